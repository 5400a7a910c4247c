from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol


class BlobNotFound(KeyError):
    pass


def job_prefix(job_id: str) -> str:
    """The prefix of every blob a job made."""
    return f"jobs/{job_id}/"


def job_key(job_id: str, stage: str, name: str) -> str:
    return f"{job_prefix(job_id)}{stage}/{name}"


class BlobStore(Protocol):
    """put/get/exists/url, plus file-based variants so media never has to sit in memory."""

    async def start(self) -> None:
        """Open clients and create the bucket/directory if missing (idempotent)."""
        ...

    async def close(self) -> None: ...

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def url(self, key: str, expires: int = 3600) -> str: ...

    async def put_file(self, key: str, path: Path, content_type: str | None = None) -> None: ...

    def local_file(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A readable local path holding the object for the duration of the block."""
        ...

    async def list(self, prefix: str) -> list[str]: ...
