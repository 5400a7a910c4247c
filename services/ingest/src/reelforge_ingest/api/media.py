"""Links a browser can open without the Authorization header (an `<img>`, a `<video>`, a
download): the blob store's own presigned URL, or, for a store on local disk (the studio),
a URL of this API signed with a per-process secret. Thumbnails and package zips are made on
first request and kept beside the blobs they come from."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import secrets
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response
from PIL import Image
from reelforge.blobs import BlobStore, job_key
from reelforge.models import Manifest

from reelforge_ingest.api.errors import ApiError

ManifestLookup = Callable[[str, str], Awaitable[str | None]]
"""(job id, digest) -> the manifest key of that version of the job (`MediaLinks.zip_url`)."""

THUMB_WIDTH = 480
MAX_THUMB_SOURCE_BYTES = 64 * 1024 * 1024
MEDIA_PREFIX = "/v1/media"


@dataclass
class MediaLinks:
    blobs: BlobStore
    expiry: int
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    async def url(self, key: str) -> str:
        presigned = await self.blobs.url(key, self.expiry)
        if not presigned.startswith("file:"):
            return presigned
        return self.signed(f"{MEDIA_PREFIX}/blob/{quote(key)}")

    def signed(self, path: str) -> str:
        expires = int(time.time()) + self.expiry
        return f"{path}?exp={expires}&sig={self._signature(path, expires)}"

    def check(self, path: str, expires: int, signature: str) -> None:
        if expires < time.time():
            raise ApiError(403, "expired", "this link has expired; reload the page for a new one")
        if not hmac.compare_digest(signature, self._signature(path, expires)):
            raise ApiError(403, "forbidden", "this link is not valid; reload the page for a new "
                           "one")

    def _signature(self, path: str, expires: int) -> str:
        return hmac.new(self.secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    async def thumb_url(self, key: str) -> str:
        """A JPEG at most THUMB_WIDTH wide of the image at `key`, made once."""
        thumb = f"{key}.w{THUMB_WIDTH}.jpg"
        if not await self.blobs.exists(thumb):
            data = await self.blobs.get(key)
            if len(data) > MAX_THUMB_SOURCE_BYTES:
                raise ApiError(422, "too_large", "this image is too large for a thumbnail")
            await self.blobs.put(thumb, await asyncio.to_thread(_thumbnail, data), "image/jpeg")
        return await self.url(thumb)

    def zip_url(self, job_id: str, manifest_key: str) -> str:
        """The package a manifest lists, as one zip (made on first request)."""
        return self.signed(f"{MEDIA_PREFIX}/zip/{job_id}/{version_digest(manifest_key)}")


def version_digest(manifest_key: str) -> str:
    return hashlib.sha256(manifest_key.encode()).hexdigest()[:16]


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (THUMB_WIDTH, THUMB_WIDTH))
        picture = image.convert("RGB")
        picture.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=82)
        return out.getvalue()


def media_router(links: MediaLinks, manifests: ManifestLookup) -> APIRouter:
    router = APIRouter(prefix=MEDIA_PREFIX, include_in_schema=False)

    @router.get("/blob/{key:path}")
    async def blob(key: str, exp: int = Query(...), sig: str = Query(...)) -> Response:
        links.check(f"{MEDIA_PREFIX}/blob/{quote(key)}", exp, sig)
        if not await links.blobs.exists(key):
            raise ApiError(404, "not_found", "this file is gone; reload the page")
        async with links.blobs.local_file(key) as path:
            return FileResponse(path, media_type=_content_type(key))

    @router.get("/zip/{job_id}/{digest}")
    async def package_zip(job_id: str, digest: str, exp: int = Query(...),
                          sig: str = Query(...)) -> Response:
        links.check(f"{MEDIA_PREFIX}/zip/{job_id}/{digest}", exp, sig)
        manifest_key = await manifests(job_id, digest)
        if manifest_key is None:
            raise ApiError(404, "not_found", "this version is gone; reload the page")
        key = job_key(job_id, "versions", f"package-{digest}.zip")
        if not await links.blobs.exists(key):
            await _store_zip(links.blobs, manifest_key, key)
        url = await links.blobs.url(key, links.expiry)
        if not url.startswith("file:"):
            return RedirectResponse(url, 307)
        async with links.blobs.local_file(key) as path:
            return FileResponse(path, media_type="application/zip",
                                filename=f"trailer-{job_id[:8]}-{digest[:6]}.zip")

    return router


async def _store_zip(blobs: BlobStore, manifest_key: str, key: str) -> None:
    manifest = Manifest.model_validate_json(await blobs.get(manifest_key))
    with tempfile.TemporaryDirectory(prefix="reelforge-zip-") as tmp:
        path = Path(tmp) / "package.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("manifest.json", manifest.model_dump_json(indent=2))
            for artifact in manifest.artifacts:
                if artifact.path is None or artifact.path == "manifest.json":
                    continue
                async with blobs.local_file(artifact.key) as local:
                    await asyncio.to_thread(archive.write, local, artifact.path)
        await blobs.put_file(key, path, "application/zip")


def _content_type(key: str) -> str:
    suffix = key.rsplit(".", 1)[-1].lower()
    return {"mp4": "video/mp4", "m4a": "audio/mp4", "wav": "audio/wav", "png": "image/png",
            "jpg": "image/jpeg", "json": "application/json", "vtt": "text/vtt",
            "srt": "application/x-subrip", "zip": "application/zip"}.get(
                suffix, "application/octet-stream")
