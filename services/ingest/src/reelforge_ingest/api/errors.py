"""One error shape for every 4xx/5xx: `{"error": {"code", "message"}}`, where the message is
a sentence a person can act on (what was wrong, what to do)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from reelforge.bus import BusUnavailable
from reelforge.jobstore import StoreUnavailable
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelforge_ingest.errors import DocumentError

DOCUMENT_STATUS = {"too_large": 413, "unsupported": 415, "busy": 503}
"""DocumentError code -> HTTP status; every other code is 422."""
UNAVAILABLE_RETRY_AFTER = 5
"""Seconds a client is told to wait when the job store is unreachable (a database restart
takes about that long)."""
BUSY_RETRY_AFTER = 30
"""Seconds a client is told to wait when the host was too loaded to parse its file."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def from_document_error(exc: DocumentError) -> ApiError:
    status = DOCUMENT_STATUS.get(exc.code, 422)
    headers = {"Retry-After": str(BUSY_RETRY_AFTER)} if status == 503 else None
    return ApiError(status, exc.code, exc.message, headers)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def describe_validation(errors: list[Any], prefix: str = "") -> str:
    """Pydantic errors as one readable line: 'settings.duration: must be >= 15; ...'."""
    parts = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",))
        where = f"{prefix}{loc}" if loc else prefix.rstrip(".") or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), exc.status, headers=exc.headers)

    @app.exception_handler(StoreUnavailable)
    @app.exception_handler(BusUnavailable)
    async def store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body("unavailable", str(exc)), 503,
                            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", describe_validation(
            list(exc.errors()))), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code,
                            headers=getattr(exc, "headers", None))
