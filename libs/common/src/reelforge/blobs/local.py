"""A directory as a blob store, for embedded mode. Writes are atomic (temp file + rename),
so a crash never leaves a half-written artifact that a rerun would mistake for finished."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from reelforge.blobs.base import BlobNotFound


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    async def start(self) -> None:
        """Nothing to open: the directory is created by the constructor."""
        return None

    async def close(self) -> None:
        return None

    def path(self, key: str) -> Path:
        p = (self.root / key).resolve()
        if not p.is_relative_to(self.root):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return p

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        await asyncio.to_thread(self._copy, Path(path), self.path(key))

    async def get(self, key: str) -> bytes:
        p = self.path(key)
        try:
            return await asyncio.to_thread(p.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    async def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    async def url(self, key: str, expires: int = 3600) -> str:
        return self.path(key).as_uri()

    @asynccontextmanager
    async def local_file(self, key: str) -> AsyncIterator[Path]:
        p = self.path(key)
        if not p.is_file():
            raise BlobNotFound(key)
        yield p

    async def list(self, prefix: str) -> list[str]:
        """Keys starting with `prefix`, as S3 lists them: 'jobs/a' also matches 'jobs/ab/x'."""
        if not prefix:
            scan = self.root
        elif prefix.endswith("/"):
            scan = self.path(prefix)
        else:
            scan = self.path(prefix).parent
        if not scan.is_dir():
            return []
        keys = [str(p.relative_to(self.root)) for p in scan.rglob("*") if p.is_file()]
        return sorted(k for k in keys if k.startswith(prefix) and not k.endswith(".part"))

    @staticmethod
    def _write(dest: Path, data: bytes) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)

    @staticmethod
    def _copy(src: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
