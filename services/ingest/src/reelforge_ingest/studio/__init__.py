"""The studio: one web page (plain ES modules and CSS, no build step) that drives the
/v1/jobs API from the browser. `studio_router()` serves the page and its static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from reelforge_ingest.api.errors import ApiError

STATIC = Path(__file__).parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The page keeps the API key it was given; no third-party origin may load anything into it.
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # media may come from the object store's presigned URLs, on any origin
    "Content-Security-Policy": "default-src 'self'; img-src * blob: data:; media-src * blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}


def static_files(folder: Path = STATIC) -> dict[str, Path]:
    """The files the studio may serve, by name: read once, so a request can only name one
    of them (no path from a request ever reaches the file system)."""
    return {p.name: p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in CONTENT_TYPES}


def studio_router(folder: Path = STATIC) -> APIRouter:
    router = APIRouter(tags=["studio"], include_in_schema=False)
    files = static_files(folder)

    def serve(name: str) -> FileResponse:
        path = files.get(name)
        if path is None:
            raise ApiError(404, "not_found", f"the studio has no file {name!r}; open /studio")
        return FileResponse(path, media_type=CONTENT_TYPES[path.suffix], headers=HEADERS)

    @router.get("/studio")
    async def studio_page() -> FileResponse:
        """The studio page; the API key comes from `#key=...` or the form it shows."""
        return serve("index.html")

    @router.get("/studio/static/{name}")
    async def studio_static(name: str) -> FileResponse:
        return serve(name)

    return router
