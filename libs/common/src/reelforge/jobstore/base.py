from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from reelforge.errors import Explained
from reelforge.models import ArtifactRecord, Job, ProgressEvent, Status


class JobNotFound(KeyError):
    pass


class JobExists(Exception):
    """`create_job` for an id the store holds already (an idempotent submission's replay)."""


class StoreUnavailable(Explained):
    """The job store's database cannot be reached (restarting, down, out of connections): a
    passing outage, not a fault of the request. The API answers 503 with Retry-After; a
    stage's delivery is retried."""

    def __init__(self, message: str = "the job store cannot be reached right now (it may be "
                                      "restarting); try again in a few seconds") -> None:
        super().__init__(message)


def hash_api_key(key: str) -> str:
    """How API keys are stored: a SHA-256 hex digest (keys are long random tokens, so a fast
    hash is enough; the plain key is shown to its owner once and never stored)."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id(key_hash: str) -> str:
    """A key's public name (the start of its hash): listed and revoked by it, never the key."""
    return key_hash[:12]


@dataclass(frozen=True)
class ApiKeyInfo:
    key_id: str
    tenant: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


EDITABLE = frozenset({"settings", "force", "title", "source_key", "budget_usd", "script_key",
                      "awaiting", "approved", "versions"})
"""The job fields `update_job` and `revise_job` write (the rest have their own methods)."""


class JobRecords(Protocol):
    """Jobs: their settings, status per stage, runs, spending; and which ones are stuck."""

    async def create_job(self, job: Job) -> None:
        """Store a new job; `JobExists` (and nothing written) when its id is taken."""
        ...

    async def get_job(self, job_id: str) -> Job: ...

    async def list_jobs(self, tenant: str, limit: int = 20, offset: int = 0) -> list[Job]: ...

    async def set_job_status(
        self, job_id: str, status: Status, error: str | None = None
    ) -> None: ...

    async def update_job(self, job: Job) -> None:
        """Replace the editable fields of an existing job (`EDITABLE`: its settings, inputs
        and review state), e.g. for a rerun with new options."""
        ...

    async def revise_job(self, job: Job, revision: int) -> bool:
        """Write the job's editable fields with revision `revision + 1`, only if the stored
        revision is still `revision`; False (and nothing written) when another edit came
        first."""
        ...

    async def delete_job(self, job_id: str) -> None:
        """Remove the job and everything the store holds for it (a no-op if it is gone)."""
        ...

    async def set_stage(
        self, job_id: str, stage: str, status: Status, error: str | None = None
    ) -> None:
        """Record a stage transition; `running` stamps the start, a final state the end."""
        ...

    async def bump_run(self, job_id: str) -> int:
        """Start a new run of the job (rerun/retry): run += 1, status queued; returns run."""
        ...

    async def add_cost(self, job_id: str, usd: float) -> float:
        """Add to the job's running cost and return the new total."""
        ...

    async def stuck_jobs(
        self,
        older_than: float,
        statuses: Sequence[Status] = (Status.running,),
        limit: int = 100,
    ) -> list[Job]:
        """Running jobs (or jobs in `statuses`) whose last update is more than `older_than`
        seconds ago, oldest first. Progress events and item completions count as updates."""
        ...


class WorkItems(Protocol):
    """Fan-out and join groups: the work items of one run of a stage, counted down."""

    async def add_items(self, job_id: str, group: str, items: Sequence[str]) -> None:
        """Register the work items of a fan-out group (idempotent)."""
        ...

    async def complete_item(self, job_id: str, group: str, item: str) -> int:
        """Mark one item done and return how many remain, atomically. Completing an item
        twice does not count twice."""
        ...

    async def item_counts(self, job_id: str, group: str) -> tuple[int, int]:
        """(done, total) for a group."""
        ...


class Artifacts(Protocol):
    """Which blob holds each of a job's artifacts now: the only source of artifact keys."""

    async def record_artifact(self, job_id: str, artifact: ArtifactRecord) -> None:
        """Upsert by (job_id, artifact.name)."""
        ...

    async def get_artifact(self, job_id: str, name: str) -> ArtifactRecord | None: ...

    async def list_artifacts(self, job_id: str, prefix: str = "") -> list[ArtifactRecord]: ...


class Progress(Protocol):
    """A job's progress events, numbered in order (the API's event stream reads them)."""

    async def add_event(self, event: ProgressEvent) -> int:
        """Append and return the event's sequence number."""
        ...

    async def list_events(self, job_id: str, after: int = 0) -> list[ProgressEvent]: ...


class ApiKeys(Protocol):
    """API keys, stored hashed; each belongs to a tenant, may expire, may be revoked."""

    async def create_api_key(self, tenant: str, key_hash: str,
                             expires_at: datetime | None = None) -> None: ...

    async def tenant_for_key(self, key_hash: str) -> str | None:
        """The key's tenant; None for an unknown, revoked or expired key."""
        ...

    async def list_api_keys(self, tenant: str) -> list[ApiKeyInfo]: ...

    async def revoke_api_keys(self, tenant: str, key_id: str | None = None) -> int:
        """Revoke the tenant's key `key_id` (every key of the tenant when None); returns how
        many were revoked now."""
        ...


class ProviderSlots(Protocol):
    """The global provider limiter's slots: concurrent calls per provider, across replicas."""

    async def acquire_slot(self, provider: str, holder: str, limit: int, ttl: float) -> bool:
        """Take one of `limit` slots for `provider`; expired holders (ttl s) are evicted.
        A holder that already has a slot gets true and its slot renewed for another `ttl`."""
        ...

    async def release_slot(self, provider: str, holder: str) -> None: ...


class Leases(Protocol):
    """Named leases with a time to live: one sweeper at a time, one delivery per work item."""

    async def try_lock(self, name: str, holder: str, ttl: float) -> bool:
        """A lease: true if `holder` now holds `name` (exactly one sweeper acts at a time).
        The holder renews by calling again before `ttl` runs out."""
        ...

    async def release_lock(self, name: str, holder: str) -> None:
        """Give the lease up early (clean shutdown); a no-op unless `holder` holds it."""
        ...


class JobStore(JobRecords, WorkItems, Artifacts, Progress, ApiKeys, ProviderSlots, Leases,
               Protocol):
    """The job projection, implemented by SQLite (embedded) and Postgres (distributed); one
    contract test suite per part runs against both. Code that needs one part takes that
    protocol (the limiter `ProviderSlots`, API keys `ApiKeys`)."""

    async def start(self) -> None:
        """Apply migrations idempotently."""
        ...

    async def close(self) -> None: ...
