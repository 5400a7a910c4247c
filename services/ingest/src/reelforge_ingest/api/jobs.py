"""The /v1/jobs routes. Built by a factory closing over the dependencies."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from reelforge import lifecycle
from reelforge.jobstore import JobExists, JobNotFound
from reelforge.models import Document, Job, JobSettings, ProgressEvent, Status

from reelforge_ingest.api.auth import Caller, authenticate
from reelforge_ingest.api.deps import ApiDeps
from reelforge_ingest.api.errors import ApiError
from reelforge_ingest.api.intake import read_submission
from reelforge_ingest.api.ratelimit import CreationLimiter
from reelforge_ingest.api.views import (
    FINAL,
    JobCreated,
    JobPage,
    JobView,
    event_data,
    job_view,
    links,
    summary,
)

ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "missing or invalid API key"},
          404: {"description": "no such job for this key's tenant"},
          503: {"description": "the job store is unreachable for now; see Retry-After"}}
CREATE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"description": "the Idempotency-Key was used for another submission"},
    413: {"description": "the upload is too large"},
    415: {"description": "unsupported request or document type"},
    422: {"description": "empty, too short/long, unreadable document, or bad settings"},
    429: {"description": "too many jobs created with this key; see Retry-After"},
}


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
MAX_OFFSET = 1_000_000
"""Pages past this are no listing anyone reads (and a bigger integer overflows the store)."""
MAX_EVENT = 2**53
STREAM_SLOT_TTL = 60.0
"""s an open stream's slot outlives its last renewal (a replica that died frees it then)."""


async def owned_job(deps: ApiDeps, request: Request, job_id: str) -> tuple[Caller, Job]:
    """The caller and their job; another tenant's job answers 404 as if it did not exist."""
    caller = await authenticate(request, deps.jobs)
    try:
        job = await deps.jobs.get_job(job_id)
    except JobNotFound:
        job = None
    if job is None or job.tenant != caller.tenant:
        raise ApiError(404, "not_found", f"no job {job_id!r} for this API key; list yours "
                       "with GET /v1/jobs")
    return caller, job


def jobs_router(deps: ApiDeps) -> APIRouter:
    router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
    limiter = CreationLimiter(deps.jobs, deps.settings.api_rate_limit,
                              deps.settings.api_rate_window)

    async def caller_job(request: Request, job_id: str) -> tuple[Caller, Job]:
        return await owned_job(deps, request, job_id)

    @router.post("", status_code=202, response_model=JobCreated, responses={
                     **CREATE_ERRORS, 200: {"model": JobCreated, "description": "a retry with "
                                            "the same Idempotency-Key: the job it created"}},
                 openapi_extra={"requestBody": {"content": {
                     "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                         "properties": {"file": {"type": "string", "format": "binary"},
                                        "settings": {"type": "string",
                                                     "description": "JobSettings as JSON"}}}},
                     "application/json": {"schema": {"type": "object", "properties": {
                         "idea": {"type": "string"}, "synopsis": {"type": "string"},
                         "settings": {"$ref": "#/components/schemas/JobSettings"}}}},
                 }}})
    async def create_job(
        request: Request,
        idempotency_key: Annotated[str | None, Header(
            description="any 1-255 visible ASCII characters, new for each story you submit: "
            "a retry with the same key (after a timeout or a 503) answers 200 with the job "
            "the first attempt created instead of making another, for 24 hours")] = None,
    ) -> JSONResponse:
        """Submit a story (file upload, idea or synopsis); the job runs asynchronously."""
        caller = await authenticate(request, deps.jobs)
        job_id = None
        if idempotency_key is not None:
            if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
                raise ApiError(422, "invalid_idempotency_key", "Idempotency-Key must be 1 to "
                               "255 visible ASCII characters, e.g. a UUID")
            job_id = lifecycle.submission_job_id(caller.tenant, idempotency_key)
        submission = await read_submission(request, deps.limits,
                                           charge=lambda: limiter.take(caller.key_hash))
        try:
            job = await lifecycle.create_job(deps.backends, caller.tenant, submission.document,
                                             submission.settings, job_id=job_id)
        except JobExists:
            assert job_id is not None
            return await replayed(job_id, submission.document, submission.settings)
        deps.metrics.jobs_submitted.inc()
        body = JobCreated(id=job.id, links=links(job.id))
        return JSONResponse(body.model_dump(), 202, headers={"Location": body.links.self})

    async def replayed(job_id: str, document: Document, settings: JobSettings) -> JSONResponse:
        """The answer to a retried submission: the job its first attempt created."""
        job = await deps.jobs.get_job(job_id)
        if not lifecycle.same_submission(job, document, settings):
            raise ApiError(409, "idempotency_conflict", "this Idempotency-Key was already used "
                           "for a different story or settings, or more than 24 hours ago; send "
                           "this submission with a new key")
        body = JobCreated(id=job.id, links=links(job.id))
        return JSONResponse(body.model_dump(), 200, headers={
            "Location": body.links.self, "Idempotent-Replayed": "true"})

    @router.get("", response_model=JobPage, responses=ERRORS)
    async def list_jobs(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> JobPage:
        """The caller's jobs, newest first."""
        caller = await authenticate(request, deps.jobs)
        jobs = await deps.jobs.list_jobs(caller.tenant, limit=limit, offset=offset)
        nxt = f"/v1/jobs?limit={limit}&offset={offset + limit}" if len(jobs) == limit else None
        return JobPage(jobs=[await summary(j, deps) for j in jobs], limit=limit, offset=offset,
                       next=nxt)

    @router.get("/{job_id}", response_model=JobView, responses=ERRORS)
    async def get_job(request: Request, job_id: str) -> JobView:
        """Status, per-stage status and progress, error, cost, and once the package exists,
        presigned download URLs of its files."""
        _, job = await caller_job(request, job_id)
        return await job_view(job, deps)

    @router.post("/{job_id}/cancel", response_model=JobView, responses={
        **ERRORS, 409: {"description": "the job already finished"}})
    async def cancel_job(request: Request, job_id: str) -> JobView:
        """Stop the job: deliveries are dropped and no further provider call is made."""
        _, job = await caller_job(request, job_id)
        if job.status in FINAL:
            raise ApiError(409, "conflict", f"the job is already {job.status.value}; only a "
                           "queued or running job can be cancelled")
        await deps.jobs.set_job_status(job.id, Status.cancelled, "cancelled by the user")
        deps.metrics.jobs_finished.labels(Status.cancelled.value).inc()
        await deps.jobs.add_event(ProgressEvent(job_id=job.id, stage="job", kind="cancelled",
                                                message="cancelled by the user"))
        job = await deps.jobs.get_job(job.id)
        return await job_view(job, deps)

    @router.post("/{job_id}/retry", status_code=202, response_model=JobView, responses={
        **ERRORS, 409: {"description": "the job is not failed or cancelled"}})
    async def retry_job(request: Request, job_id: str) -> JobView:
        """Resume a failed or cancelled job from where it stopped (finished work is reused).
        A retry may call paid providers again, so it counts against the key's rate limit like
        a new job."""
        caller, job = await caller_job(request, job_id)
        if job.status not in (Status.failed, Status.cancelled):
            raise ApiError(409, "conflict", f"the job is {job.status.value}; only a failed or "
                           "cancelled job can be retried")
        await limiter.take(caller.key_hash)
        await lifecycle.retry(deps.backends, job)
        job = await deps.jobs.get_job(job.id)
        return await job_view(job, deps)

    @router.get("/{job_id}/events", responses={
        **ERRORS, 200: {"content": {"text/event-stream": {}},
                        "description": "server-sent progress events; ends with `end`"}})
    async def job_events(
        request: Request,
        job_id: str,
        after: Annotated[int, Query(ge=0, le=MAX_EVENT,
                                    description="resume after this event number")] = 0,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """Progress as server-sent events (`progress`, then one `end` when the job is final).
        Reconnecting clients resume with Last-Event-ID (or ?after=N). A key holds at most
        `api_streams_per_key` streams at once (429 past that), each open at most
        `api_stream_seconds`, after which the client reconnects where it left off."""
        caller, job = await caller_job(request, job_id)
        if last_event_id:
            if not last_event_id.isdigit() or int(last_event_id) > MAX_EVENT:
                raise ApiError(422, "invalid_request", "Last-Event-ID must be the number of an "
                               "event this stream sent (the `id:` of its last event)")
            after = max(after, int(last_event_id))
        stream = await open_stream(deps, caller.key_hash)
        return StreamingResponse(
            stream_events(deps, job.id, after, request, stream), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


@dataclass
class StreamSlot:
    """One of a key's open event streams: a limiter slot in the job store (so the cap holds
    across API replicas), renewed while the stream runs, released when it ends."""

    deps: ApiDeps
    pool: str
    holder: str
    opened: float = field(default_factory=time.monotonic)
    renewed: float = field(default_factory=time.monotonic)

    async def renew(self) -> None:
        if time.monotonic() - self.renewed > STREAM_SLOT_TTL / 3:
            await self.deps.jobs.acquire_slot(self.pool, self.holder,
                                              self.deps.settings.api_streams_per_key,
                                              STREAM_SLOT_TTL)
            self.renewed = time.monotonic()

    async def release(self) -> None:
        await self.deps.jobs.release_slot(self.pool, self.holder)


async def open_stream(deps: ApiDeps, key_hash: str) -> StreamSlot:
    limit = deps.settings.api_streams_per_key
    slot = StreamSlot(deps, f"api-streams:{key_hash[:32]}", uuid.uuid4().hex)
    if not await deps.jobs.acquire_slot(slot.pool, slot.holder, limit, STREAM_SLOT_TTL):
        raise ApiError(429, "too_many_streams",
                       f"this API key already has {limit} event streams open; close one "
                       "(or follow several jobs from one client) and try again",
                       {"Retry-After": str(int(STREAM_SLOT_TTL))})
    return slot


async def stream_events(deps: ApiDeps, job_id: str, after: int, request: Request,
                        slot: StreamSlot) -> AsyncIterator[str]:
    """Poll the job store's progress events; end once the job is final and drained, or when
    the stream has been open `api_stream_seconds` (the client reconnects from its last id)."""
    last_sent = time.monotonic()
    try:
        while True:
            events = await deps.jobs.list_events(job_id, after)
            for event in events:
                after = event.seq
                yield f"id: {event.seq}\nevent: progress\ndata: {event_data(event)}\n\n"
                last_sent = time.monotonic()
            job = await deps.jobs.get_job(job_id)
            if job.status in FINAL:
                if not await deps.jobs.list_events(job_id, after):
                    end = json.dumps({"status": job.status.value, "error": job.error})
                    yield f"event: end\ndata: {end}\n\n"
                    return
                continue
            if await request.is_disconnected():
                return
            if time.monotonic() - slot.opened > deps.settings.api_stream_seconds:
                yield "retry: 1000\n\n"  # lived its time: reconnect with Last-Event-ID
                return
            if time.monotonic() - last_sent > deps.keepalive:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            await slot.renew()
            await asyncio.sleep(deps.poll_interval)
    finally:
        await slot.release()
