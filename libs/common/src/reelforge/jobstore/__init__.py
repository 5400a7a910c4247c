"""The job projection: jobs, per-stage status, fan-out work items, artifacts, progress.

`PostgresJobStore` is imported lazily so embedded mode never pays for importing asyncpg.
"""

from typing import TYPE_CHECKING, Any

from reelforge.jobstore.base import (
    ApiKeyInfo,
    ApiKeys,
    Artifacts,
    JobExists,
    JobNotFound,
    JobRecords,
    JobStore,
    Leases,
    Progress,
    ProviderSlots,
    StoreUnavailable,
    WorkItems,
    hash_api_key,
    key_id,
)
from reelforge.jobstore.sqlite import SQLiteJobStore

if TYPE_CHECKING:
    from reelforge.jobstore.postgres import PostgresJobStore

__all__ = ["ApiKeyInfo", "ApiKeys", "Artifacts", "JobExists", "JobNotFound", "JobRecords",
           "JobStore", "Leases", "PostgresJobStore", "Progress", "ProviderSlots",
           "SQLiteJobStore", "StoreUnavailable", "WorkItems", "hash_api_key", "key_id"]


def __getattr__(name: str) -> Any:
    if name == "PostgresJobStore":
        from reelforge.jobstore.postgres import PostgresJobStore

        return PostgresJobStore
    raise AttributeError(name)
