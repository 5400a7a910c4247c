"""Artifact storage. Keys look like `jobs/{job_id}/{stage}/{name}`.

`S3BlobStore` is imported lazily so embedded mode never pays for importing boto.
"""

from typing import TYPE_CHECKING, Any

from reelforge.blobs.base import BlobNotFound, BlobStore, job_key, job_prefix
from reelforge.blobs.local import LocalBlobStore

if TYPE_CHECKING:
    from reelforge.blobs.s3 import S3BlobStore

__all__ = ["BlobNotFound", "BlobStore", "LocalBlobStore", "S3BlobStore", "job_key", "job_prefix"]


def __getattr__(name: str) -> Any:
    if name == "S3BlobStore":
        from reelforge.blobs.s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(name)
