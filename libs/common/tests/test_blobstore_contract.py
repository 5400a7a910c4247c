"""The BlobStore contract, run against LocalBlobStore and S3BlobStore (on SeaweedFS)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError
from reelforge.blobs import BlobNotFound, BlobStore, LocalBlobStore
from reelforge.blobs.s3 import S3BlobStore

MB = 1024 * 1024


def s3_store(server: object, bucket: str, secret: str | None = None) -> S3BlobStore:
    return S3BlobStore(
        bucket,
        endpoint_url=server.endpoint_url,  # type: ignore[attr-defined]
        region=server.region,  # type: ignore[attr-defined]
        access_key=server.access_key,  # type: ignore[attr-defined]
        secret_key=secret or server.secret_key,  # type: ignore[attr-defined]
        multipart_threshold=5 * MB,  # S3's smallest part: makes a multi-MB file multipart
        multipart_chunksize=5 * MB,
    )


@pytest.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[BlobStore]:
    blobs: BlobStore
    if request.param == "local":
        blobs = LocalBlobStore(tmp_path / "blobs")
    else:
        blobs = s3_store(request.getfixturevalue("seaweedfs"), f"test-{unique}")
    await blobs.start()
    await blobs.start()  # idempotent (the bucket exists now)
    yield blobs
    await blobs.close()


async def fetch(url: str) -> httpx.Response | bytes:
    """What a browser would get for the URL (file:// for the local store)."""
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path)).read_bytes()
    async with httpx.AsyncClient() as client:
        return await client.get(url)


async def test_round_trip_exists_and_delete(store: BlobStore) -> None:
    key = "jobs/j1/script/script-abc.json"
    assert not await store.exists(key)
    with pytest.raises(BlobNotFound):
        await store.get(key)
    await store.put(key, b'{"title": "x"}', "application/json")
    assert await store.exists(key)
    assert await store.get(key) == b'{"title": "x"}'
    await store.put(key, b"replaced")
    assert await store.get(key) == b"replaced"
    await store.delete(key)
    assert not await store.exists(key)
    await store.delete(key)  # deleting what is gone is fine


async def test_list_by_prefix(store: BlobStore) -> None:
    keys = ["jobs/a/script/s.json", "jobs/a/video/clip-01.mp4", "jobs/ab/x.bin", "jobs/b/y.bin"]
    for k in keys:
        await store.put(k, b"x")
    assert await store.list("jobs/a/") == ["jobs/a/script/s.json", "jobs/a/video/clip-01.mp4"]
    assert await store.list("jobs/a") == keys[:3]  # a prefix, not a folder
    assert await store.list("jobs/a/video/clip-") == ["jobs/a/video/clip-01.mp4"]
    assert await store.list("jobs/zzz/") == []
    assert await store.list("") == sorted(keys)


async def test_url_downloads_the_object(store: BlobStore) -> None:
    key = "jobs/j1/assembly/trailer-abc.mp4"
    await store.put(key, b"\x00movie bytes\xff", "video/mp4")
    got = await fetch(await store.url(key, expires=600))
    body = got if isinstance(got, bytes) else got.raise_for_status().content
    assert body == b"\x00movie bytes\xff"


async def test_put_file_and_local_file_with_a_multi_megabyte_file(
    store: BlobStore, tmp_path: Path
) -> None:
    src = tmp_path / "clip.mp4"
    src.write_bytes(os.urandom(12 * MB + 123))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    key = "jobs/j1/video/clip-01-abc.mp4"
    await store.put_file(key, src, "video/mp4")
    assert await store.exists(key)
    async with store.local_file(key) as path:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    if isinstance(store, S3BlobStore):
        assert not path.exists(), "the temporary download must be removed after the block"
    with pytest.raises(BlobNotFound):
        async with store.local_file("jobs/j1/video/missing.mp4"):
            pass


# --------------------------------------------------------------------------- S3 only


@pytest.fixture
async def s3(seaweedfs: object, unique: str) -> AsyncIterator[S3BlobStore]:
    blobs = s3_store(seaweedfs, f"test-{unique}")
    await blobs.start()
    yield blobs
    await blobs.close()


async def test_s3_presigned_url_rejects_a_tampered_signature(s3: S3BlobStore) -> None:
    key = "jobs/j1/assembly/poster-abc.png"
    await s3.put(key, b"png", "image/png")
    url = await s3.url(key, expires=600)
    sig = url.rsplit("X-Amz-Signature=", 1)[1]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    async with httpx.AsyncClient() as client:
        ok = await client.get(url)
        tampered = await client.get(url.replace(sig, flipped))
        other_key = await client.get(url.replace("poster-abc.png", "poster-abd.png"))
    assert ok.status_code == 200 and ok.content == b"png"
    assert ok.headers["content-type"] == "image/png"
    assert tampered.status_code == 403
    assert other_key.status_code == 403


async def test_s3_wrong_secret_is_refused(seaweedfs: object, s3: S3BlobStore) -> None:
    intruder = s3_store(seaweedfs, s3.bucket, secret="not-the-secret")
    with pytest.raises(ClientError):
        await intruder.start()  # head_bucket is signed too
    await intruder.close()


async def test_s3_put_file_uses_multipart_above_the_threshold(
    s3: S3BlobStore, tmp_path: Path
) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(11 * MB))
    await s3.put_file("jobs/j1/big.bin", src)
    head = await s3.client.head_object(Bucket=s3.bucket, Key="jobs/j1/big.bin")
    assert head["ContentLength"] == 11 * MB
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag: md5-of-parts "-N"
