"""Turn a POST /v1/jobs request into a Document and JobSettings, or a 4xx ApiError.

Two request shapes:
- multipart/form-data with a `file` (PDF, DOCX, Markdown, text, Fountain; the type is read
  from the bytes) and an optional `settings` field holding JSON;
- application/json `{"idea": "..."}` or `{"synopsis": "..."}`, plus optional `settings`.

Everything is checked here, before anything is stored: size (from Content-Length before the
body is read, and by counting the bytes received, so a chunked body cannot pass it), type,
text length, settings. Documents are parsed in a child process with memory, CPU and time
limits (`isolation`), and each parse is charged to the caller's rate limit first: a hostile
file costs its sender, not the API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from reelforge.models import Document, JobSettings
from starlette.datastructures import UploadFile

from reelforge_ingest.api.errors import ApiError, describe_validation, from_document_error
from reelforge_ingest.documents import idea_document
from reelforge_ingest.errors import DocumentError, DocumentLimits, size_text
from reelforge_ingest.isolation import extract_isolated

MULTIPART_OVERHEAD = 64 * 1024
"""Room for the form's boundaries and the settings field on top of the file itself."""
JSON_FIELDS = {"idea", "synopsis", "settings"}

Charge = Callable[[], Awaitable[None]]
"""Counts one parse against the caller's rate limit (raises 429 when it is used up)."""


@dataclass(frozen=True)
class Submission:
    document: Document
    settings: JobSettings
    filename: str | None = None


async def read_submission(request: Request, limits: DocumentLimits,
                          charge: Charge) -> Submission:
    """The request's document and settings. `charge` is awaited once per request that
    gets that far: before a document is parsed, or once an idea is found valid."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    _check_declared_size(request, limits)
    if ctype == "multipart/form-data":
        return await _from_form(request, limits, charge)
    if ctype == "application/json":
        return await _from_json(request, limits, charge)
    raise ApiError(
        415, "unsupported",
        f"unsupported request type {ctype or '(none)'!r}; upload the story as multipart/"
        "form-data with a 'file' field, or send JSON {\"idea\": \"...\"} or "
        "{\"synopsis\": \"...\"}",
    )


def _check_declared_size(request: Request, limits: DocumentLimits) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + MULTIPART_OVERHEAD:
        raise _too_large(int(declared), limits)


def _too_large(size: int | None, limits: DocumentLimits) -> ApiError:
    """413; `size` None when the body was cut off as soon as it passed the limit."""
    how_big = f"{size_text(size)}, over" if size is not None else "over"
    return ApiError(
        413, "too_large",
        f"the upload is {how_big} the {size_text(limits.max_bytes)} limit; send a smaller file "
        "(e.g. the synopsis alone, or the text without images)",
    )


async def bounded_body(request: Request, limit: int, too_large: Callable[[], ApiError]) -> bytes:
    """The body, counted as it arrives: `too_large()` is raised as soon as it passes `limit`
    bytes (so at most one chunk more is ever held, whatever Content-Length said, if anything)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise too_large()
    return bytes(received)


async def _bounded_body(request: Request, limit: int, limits: DocumentLimits) -> bytes:
    return await bounded_body(request, limit, lambda: _too_large(None, limits))


async def _from_form(request: Request, limits: DocumentLimits, charge: Charge) -> Submission:
    body = await _bounded_body(request, limits.max_bytes + MULTIPART_OVERHEAD, limits)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, replay).form(max_files=1, max_fields=4)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(422, "missing_file", "the form has no 'file' field; attach the story "
                       "document as 'file' (PDF, DOCX, Markdown, text or Fountain)")
    data = await upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits)
    raw_settings = form.get("settings")
    if raw_settings is not None and not isinstance(raw_settings, str):
        raise ApiError(422, "invalid_settings", "'settings' must be a JSON text field, not a file")
    settings = parse_settings(_json_object(raw_settings, "settings") if raw_settings else None)
    await charge()
    document = await _parse(lambda: extract_isolated(data, upload.filename, limits))
    return Submission(document, settings, upload.filename)


async def _from_json(request: Request, limits: DocumentLimits, charge: Charge) -> Submission:
    body = await _bounded_body(request, limits.max_bytes, limits)
    payload = _json_object(body.decode("utf-8", errors="replace"), "the request body")
    unknown = set(payload) - JSON_FIELDS
    if unknown:
        raise ApiError(422, "invalid_request", f"unknown field(s) {', '.join(sorted(unknown))}; "
                       "send 'idea' or 'synopsis', and optionally 'settings'")
    idea, synopsis = payload.get("idea"), payload.get("synopsis")
    if (idea is None) == (synopsis is None):
        raise ApiError(422, "invalid_request", "send exactly one of 'idea' (a sentence or two) "
                       "or 'synopsis' (the story text)")
    text = idea if idea is not None else synopsis
    if not isinstance(text, str):
        raise ApiError(422, "invalid_request", "'idea'/'synopsis' must be a string")
    settings = parse_settings(payload.get("settings"))
    if idea is not None:
        document = await _parse(lambda: idea_document(text, limits))
        await charge()
    else:
        await charge()
        document = await _parse(lambda: extract_isolated(text.encode("utf-8"), None, limits))
    return Submission(document, settings)


def _json_object(raw: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(422, "invalid_json", f"{what} is not valid JSON ({exc.msg} at line "
                       f"{exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, dict):
        raise ApiError(422, "invalid_json", f"{what} must be a JSON object")
    return value


def parse_settings(raw: Any) -> JobSettings:
    if raw is None:
        return JobSettings()
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_settings", "'settings' must be a JSON object, e.g. "
                       '{"duration": 30, "aspect": "9:16"}')
    try:
        return JobSettings.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "invalid_settings",
                       describe_validation(list(exc.errors()), "settings.")) from None


async def _parse(parse: Callable[[], Document]) -> Document:
    """Off the event loop: waiting for the child (or checking an idea) blocks."""
    try:
        document: Document = await asyncio.to_thread(parse)
    except DocumentError as exc:
        raise from_document_error(exc) from None
    return document
