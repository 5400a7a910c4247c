"""An S3-compatible bucket as the blob store, for distributed mode (aioboto3).

One client is opened at `start()` and shared by every call (its connection pool is the point).
Path-style addressing and SigV4 make it work unchanged against AWS, MinIO and SeaweedFS.
Large files go through the managed transfer (multipart above `multipart_threshold`), so media
never has to sit in memory. Presigned URLs can be signed for a different, public endpoint than
the one the services use inside the cluster.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aioboto3
import structlog
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from reelforge.blobs.base import BlobNotFound

log = structlog.get_logger(__name__)

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        *,
        public_endpoint_url: str | None = None,
        multipart_threshold: int = 8 * 1024 * 1024,
        multipart_chunksize: int = 8 * 1024 * 1024,
        max_pool_connections: int = 32,
        temp_dir: Path | None = None,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.public_endpoint_url = public_endpoint_url
        self.region = region
        self.temp_dir = temp_dir
        self._session = aioboto3.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
        )
        self._config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max_pool_connections,
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize
        )
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._signer: Any = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Open the client and create the bucket if it is missing (safe to race)."""
        if self._stack is not None:
            return
        stack = AsyncExitStack()
        self._client = await stack.enter_async_context(
            self._session.client("s3", endpoint_url=self.endpoint_url, config=self._config)
        )
        self._signer = self._client
        if self.public_endpoint_url and self.public_endpoint_url != self.endpoint_url:
            self._signer = await stack.enter_async_context(
                self._session.client(
                    "s3", endpoint_url=self.public_endpoint_url, config=self._config
                )
            )
        self._stack = stack
        await self._ensure_bucket()

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self._client = self._signer = None

    async def _ensure_bucket(self) -> None:
        try:
            await self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region and self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            await self.client.create_bucket(**kwargs)
            log.info("bucket_created", bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("S3BlobStore.start() was not called")
        return self._client

    # ------------------------------------------------------------------ objects

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        await self.client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)

    async def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else None
        await self.client.upload_file(
            str(path), self.bucket, key, ExtraArgs=extra, Config=self._transfer
        )

    async def get(self, key: str) -> bytes:
        try:
            response = await self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise BlobNotFound(key) from None
            raise
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def exists(self, key: str) -> bool:
        try:
            await self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=key)

    async def url(self, key: str, expires: int = 3600) -> str:
        """A presigned GET URL (signed locally; nothing is sent to the store)."""
        if self._signer is None:
            raise RuntimeError("S3BlobStore.start() was not called")
        url: str = await self._signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires
        )
        return url

    @asynccontextmanager
    async def local_file(self, key: str) -> AsyncIterator[Path]:
        """Download to a temporary file that is deleted when the block ends."""
        suffix = Path(key).suffix
        fd, name = tempfile.mkstemp(prefix="reelforge-", suffix=suffix, dir=self.temp_dir)
        os.close(fd)
        path = Path(name)
        try:
            try:
                await self.client.download_file(
                    self.bucket, key, str(path), Config=self._transfer
                )
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    raise BlobNotFound(key) from None
                raise
            yield path
        finally:
            path.unlink(missing_ok=True)

    async def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)
