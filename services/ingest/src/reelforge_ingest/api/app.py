"""The FastAPI app factory."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from reelforge_ingest.api.deps import ApiDeps
from reelforge_ingest.api.edits import edits_router, manifest_by_digest
from reelforge_ingest.api.errors import install_handlers
from reelforge_ingest.api.jobs import jobs_router
from reelforge_ingest.api.media import media_router
from reelforge_ingest.studio import studio_router

DESCRIPTION = """Submit a story document (PDF, DOCX, Markdown, text, Fountain), an idea or a
synopsis; follow the job's progress; download the trailer package through presigned URLs.

Authenticate with `Authorization: Bearer <key>` (create keys with
`reelforge keys create --tenant NAME`). Errors are `{"error": {"code", "message"}}`."""


def create_app(deps: ApiDeps) -> FastAPI:
    app = FastAPI(title="reelforge", version="1", description=DESCRIPTION)
    install_handlers(app)
    app.include_router(jobs_router(deps))
    app.include_router(edits_router(deps))
    app.include_router(media_router(deps.media, partial(manifest_by_digest, deps)))
    app.include_router(studio_router())

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        checks = await deps.ready()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, 200 if ok else 503)

    @app.get("/metrics", tags=["ops"])
    async def metrics() -> Response:
        return Response(deps.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
