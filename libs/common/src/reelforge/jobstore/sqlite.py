"""SQLite job projection for embedded mode.

One writer at a time (BEGIN IMMEDIATE) makes read-modify-write of a job, the fan-in count and
the limiter count atomic, also across several stores (processes) on the same file. Within one
store, an asyncio lock serialises use of its single connection: two coroutines must never
interleave statements inside one another's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

import aiosqlite

from reelforge.jobstore.base import EDITABLE, ApiKeyInfo, JobExists, JobNotFound, key_id
from reelforge.models import ArtifactRecord, Job, ProgressEvent, StageState, Status, utcnow

MIGRATIONS = [
    """
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, created_at);
    CREATE TABLE IF NOT EXISTS items (
        job_id TEXT NOT NULL, grp TEXT NOT NULL, item TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (job_id, grp, item)
    );
    CREATE TABLE IF NOT EXISTS artifacts (
        job_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (job_id, name)
    );
    CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, doc TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
    """,
    """
    ALTER TABLE items ADD COLUMN done_at REAL;
    CREATE TABLE IF NOT EXISTS api_keys (
        key_hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, created_at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS limiter_slots (
        provider TEXT NOT NULL, holder TEXT NOT NULL, expires_at REAL NOT NULL,
        PRIMARY KEY (provider, holder)
    );
    CREATE TABLE IF NOT EXISTS locks (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL
    );
    """,
    """
    ALTER TABLE api_keys ADD COLUMN expires_at REAL;
    ALTER TABLE api_keys ADD COLUMN revoked_at REAL;
    """,
]

FINAL = {Status.completed, Status.failed, Status.cancelled}


@overload
def _utc(seconds: float) -> datetime: ...
@overload
def _utc(seconds: None) -> None: ...
def _utc(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _statements(script: str) -> list[str]:
    """Our DDL has no ';' inside statements; executescript would COMMIT our transaction."""
    return [s.strip() for s in script.split(";") if s.strip()]


class SQLiteJobStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("SQLiteJobStore.start() was not called")
        return self._db

    async def start(self) -> None:
        """Open the file and apply pending migrations in one write transaction."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._all("PRAGMA busy_timeout=10000")  # read to the end: no open statement
        await self._enable_wal()
        async with self._tx():
            await self.db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (v INTEGER NOT NULL)"
            )
            row = await self._one("SELECT MAX(v) FROM schema_version")
            current = row[0] if row and row[0] is not None else 0
            for v, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _statements(script):
                    await self.db.execute(statement)
                await self.db.execute("INSERT INTO schema_version (v) VALUES (?)", (v,))

    async def _enable_wal(self, timeout: float = 10.0) -> None:
        """Switching to WAL needs a moment of exclusive access and SQLite does not wait for
        it (no busy handler), so processes opening a new file together retry here."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                # fully read: a half-read PRAGMA cursor keeps a read snapshot open, and a
                # later BEGIN IMMEDIATE on it fails at once with "database is locked"
                await self._all("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    # ------------------------------------------------------------------ plumbing

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[None]:
        """A write transaction; holds the store's lock for its whole duration. A task
        cancelled while BEGIN is under way still ends the transaction: the statement runs on
        aiosqlite's thread whatever happens to the awaiting task, and the ROLLBACK queued
        behind it (shielded from a second cancellation) closes whatever it opened."""
        async with self._lock:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                yield
            except BaseException:
                with contextlib.suppress(sqlite3.OperationalError):  # BEGIN itself failed
                    await asyncio.shield(self.db.execute("ROLLBACK"))
                raise
            await self.db.execute("COMMIT")

    async def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        async with self.db.execute(sql, args) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        async with self.db.execute(sql, args) as cur:
            return list(await cur.fetchall())

    async def _read_one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        async with self._lock:
            return await self._one(sql, args)

    async def _read_all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        async with self._lock:
            return await self._all(sql, args)

    async def _write(self, sql: str, args: Sequence[Any] = ()) -> int:
        """One autocommitted statement; returns the rows it changed."""
        async with self._lock:
            cur = await self.db.execute(sql, args)
            return cur.rowcount

    # ------------------------------------------------------------------ jobs

    async def create_job(self, job: Job) -> None:
        try:
            await self._write(
                "INSERT INTO jobs (id, tenant, created_at, doc) VALUES (?, ?, ?, ?)",
                (job.id, job.tenant, job.created_at.isoformat(), job.model_dump_json()),
            )
        except sqlite3.IntegrityError as exc:
            raise JobExists(job.id) from exc

    async def _with_items(self, jobs: list[Job]) -> list[Job]:
        """Fill each stage's item counts from the current run's fan-out group."""
        for job in jobs:
            rows = await self._all(
                "SELECT grp, COALESCE(SUM(done), 0), COUNT(*) FROM items WHERE job_id = ?"
                " GROUP BY grp",
                (job.id,),
            )
            counts = {grp: (int(done), int(total)) for grp, done, total in rows}
            for name, st in job.stages.items():
                st.items_done, st.items_total = counts.get(job.group(name), (0, 0))
        return jobs

    async def _get_job(self, job_id: str) -> Job:
        row = await self._one("SELECT doc FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return Job.model_validate_json(row[0])

    async def get_job(self, job_id: str) -> Job:
        async with self._lock:
            return (await self._with_items([await self._get_job(job_id)]))[0]

    async def list_jobs(self, tenant: str, limit: int = 20, offset: int = 0) -> list[Job]:
        async with self._lock:
            rows = await self._all(
                "SELECT doc FROM jobs WHERE tenant = ? ORDER BY created_at DESC, id"
                " LIMIT ? OFFSET ?",
                (tenant, limit, offset),
            )
            return await self._with_items([Job.model_validate_json(r[0]) for r in rows])

    async def _mutate(self, job_id: str, change: Callable[[Job], None]) -> Job:
        async with self._tx():
            job = await self._get_job(job_id)
            change(job)
            job.updated_at = utcnow()
            await self.db.execute(
                "UPDATE jobs SET doc = ? WHERE id = ?", (job.model_dump_json(), job_id)
            )
        return job

    async def update_job(self, job: Job) -> None:
        def change(j: Job) -> None:
            for name in EDITABLE:
                setattr(j, name, getattr(job, name))
            j.run = job.run

        await self._mutate(job.id, change)

    async def revise_job(self, job: Job, revision: int) -> bool:
        async with self._tx():
            stored = await self._get_job(job.id)
            if stored.revision != revision:
                return False
            for name in EDITABLE:
                setattr(stored, name, getattr(job, name))
            stored.revision, stored.updated_at = revision + 1, utcnow()
            await self.db.execute(
                "UPDATE jobs SET doc = ? WHERE id = ?", (stored.model_dump_json(), job.id)
            )
        return True

    async def delete_job(self, job_id: str) -> None:
        async with self._tx():
            for table in ("items", "artifacts", "events", "jobs"):
                column = "id" if table == "jobs" else "job_id"
                await self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (job_id,))

    async def set_job_status(self, job_id: str, status: Status, error: str | None = None) -> None:
        def change(j: Job) -> None:
            j.status, j.error = status, error

        await self._mutate(job_id, change)

    async def set_stage(
        self, job_id: str, stage: str, status: Status, error: str | None = None
    ) -> None:
        def change(j: Job) -> None:
            st = j.stages.setdefault(stage, StageState())
            now = utcnow()
            if status == Status.running and st.status != Status.running:
                st.started_at, st.finished_at, st.seconds = now, None, None
            if status in FINAL:
                st.finished_at = now
                if st.started_at is not None:
                    st.seconds = (now - st.started_at).total_seconds()
            st.status, st.error = status, error

        await self._mutate(job_id, change)

    # ------------------------------------------------------------------ fan-out / fan-in

    async def add_items(self, job_id: str, group: str, items: Sequence[str]) -> None:
        async with self._tx():
            if await self._one("SELECT 1 FROM jobs WHERE id = ?", (job_id,)) is None:
                raise JobNotFound(job_id)
            await self.db.executemany(
                "INSERT OR IGNORE INTO items (job_id, grp, item) VALUES (?, ?, ?)",
                [(job_id, group, i) for i in items],
            )

    async def complete_item(self, job_id: str, group: str, item: str) -> int:
        async with self._tx():
            await self.db.execute(
                "UPDATE items SET done = 1, done_at = ? WHERE job_id = ? AND grp = ? AND item = ?"
                " AND done = 0",
                (time.time(), job_id, group, item),
            )
            row = await self._one(
                "SELECT COUNT(*) FROM items WHERE job_id = ? AND grp = ? AND done = 0",
                (job_id, group),
            )
        return int(row[0]) if row else 0

    async def item_counts(self, job_id: str, group: str) -> tuple[int, int]:
        row = await self._read_one(
            "SELECT COALESCE(SUM(done), 0), COUNT(*) FROM items WHERE job_id = ? AND grp = ?",
            (job_id, group),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # ------------------------------------------------------------------ artifacts

    async def record_artifact(self, job_id: str, artifact: ArtifactRecord) -> None:
        await self._write(
            "INSERT INTO artifacts (job_id, name, doc) VALUES (?, ?, ?) "
            "ON CONFLICT (job_id, name) DO UPDATE SET doc = excluded.doc",
            (job_id, artifact.name, artifact.model_dump_json()),
        )

    async def get_artifact(self, job_id: str, name: str) -> ArtifactRecord | None:
        row = await self._read_one(
            "SELECT doc FROM artifacts WHERE job_id = ? AND name = ?", (job_id, name)
        )
        return ArtifactRecord.model_validate_json(row[0]) if row else None

    async def list_artifacts(self, job_id: str, prefix: str = "") -> list[ArtifactRecord]:
        # substr, not LIKE: LIKE is case-insensitive and treats '_' as a wildcard
        rows = await self._read_all(
            "SELECT doc FROM artifacts WHERE job_id = ? AND substr(name, 1, ?) = ?"
            " ORDER BY name",
            (job_id, len(prefix), prefix),
        )
        return [ArtifactRecord.model_validate_json(r[0]) for r in rows]

    # ------------------------------------------------------------------ progress

    async def add_event(self, event: ProgressEvent) -> int:
        """Append; touches the job's updated_at (progress is activity, for the sweeper)."""
        async with self._tx():
            touched = await self.db.execute(
                "UPDATE jobs SET doc = json_set(doc, '$.updated_at', ?) WHERE id = ?",
                (utcnow().isoformat(), event.job_id),
            )
            if touched.rowcount == 0:
                raise JobNotFound(event.job_id)
            cur = await self.db.execute(
                "INSERT INTO events (job_id, doc) VALUES (?, ?)",
                (event.job_id, event.model_dump_json()),
            )
        return int(cur.lastrowid or 0)

    async def list_events(self, job_id: str, after: int = 0) -> list[ProgressEvent]:
        rows = await self._read_all(
            "SELECT seq, doc FROM events WHERE job_id = ? AND seq > ? ORDER BY seq",
            (job_id, after),
        )
        return [ProgressEvent.model_validate_json(d).model_copy(update={"seq": s}) for s, d in rows]

    async def add_cost(self, job_id: str, usd: float) -> float:
        def change(j: Job) -> None:
            j.cost_usd += usd

        return (await self._mutate(job_id, change)).cost_usd

    # ------------------------------------------------------------------ runs

    async def bump_run(self, job_id: str) -> int:
        def change(j: Job) -> None:
            j.run, j.status, j.error = j.run + 1, Status.queued, None

        return (await self._mutate(job_id, change)).run

    # ------------------------------------------------------------------ API keys

    async def create_api_key(self, tenant: str, key_hash: str,
                             expires_at: datetime | None = None) -> None:
        expires = expires_at.timestamp() if expires_at else None
        async with self._tx():
            await self.db.execute(
                "INSERT OR IGNORE INTO api_keys (key_hash, tenant, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)", (key_hash, tenant, time.time(), expires),
            )
            row = await self._one("SELECT tenant FROM api_keys WHERE key_hash = ?", (key_hash,))
        if row is None or row[0] != tenant:
            raise ValueError("this API key already belongs to another tenant")

    async def tenant_for_key(self, key_hash: str) -> str | None:
        row = await self._read_one(
            "SELECT tenant FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > ?)", (key_hash, time.time()),
        )
        return str(row[0]) if row else None

    async def list_api_keys(self, tenant: str) -> list[ApiKeyInfo]:
        async with self._lock:
            rows = await self._all(
                "SELECT key_hash, tenant, created_at, expires_at, revoked_at FROM api_keys"
                " WHERE tenant = ? ORDER BY created_at", (tenant,),
            )
        return [ApiKeyInfo(key_id(r[0]), r[1], _utc(r[2]), _utc(r[3]), _utc(r[4]))
                for r in rows]

    async def revoke_api_keys(self, tenant: str, key_id: str | None = None) -> int:
        async with self._tx():
            cursor = await self.db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE tenant = ? AND revoked_at IS NULL"
                " AND (? IS NULL OR substr(key_hash, 1, 12) = ?)",
                (time.time(), tenant, key_id, key_id),
            )
            return cursor.rowcount

    # ------------------------------------------------------------------ provider limiter

    async def acquire_slot(self, provider: str, holder: str, limit: int, ttl: float) -> bool:
        """Count and take in one IMMEDIATE transaction; a holder that has a slot renews it."""
        now = time.time()
        async with self._tx():
            await self.db.execute(
                "DELETE FROM limiter_slots WHERE provider = ? AND expires_at < ?", (provider, now)
            )
            renewed = await self.db.execute(
                "UPDATE limiter_slots SET expires_at = ? WHERE provider = ? AND holder = ?",
                (now + ttl, provider, holder),
            )
            if renewed.rowcount:
                return True
            row = await self._one(
                "SELECT COUNT(*) FROM limiter_slots WHERE provider = ?", (provider,)
            )
            if row is not None and int(row[0]) >= limit:
                return False
            await self.db.execute(
                "INSERT INTO limiter_slots (provider, holder, expires_at) VALUES (?, ?, ?)",
                (provider, holder, now + ttl),
            )
            return True

    async def release_slot(self, provider: str, holder: str) -> None:
        await self._write(
            "DELETE FROM limiter_slots WHERE provider = ? AND holder = ?", (provider, holder)
        )

    # ------------------------------------------------------------------ sweeper

    async def stuck_jobs(
        self,
        older_than: float,
        statuses: Sequence[Status] = (Status.running,),
        limit: int = 100,
    ) -> list[Job]:
        """Jobs in `statuses` with no update, progress event or item completion for
        `older_than` seconds, oldest first. (Embedded mode has few jobs: filter in Python.)"""
        cutoff = utcnow() - timedelta(seconds=older_than)
        marks = ",".join("?" * len(statuses))
        async with self._lock:
            rows = await self._all(
                f"SELECT doc FROM jobs WHERE json_extract(doc, '$.status') IN ({marks})",
                [Status(s).value for s in statuses],
            )
            jobs = [j for j in (Job.model_validate_json(r[0]) for r in rows)
                    if j.updated_at < cutoff]
            busy = {r[0] for r in await self._all(
                "SELECT DISTINCT job_id FROM items WHERE done_at >= ?", (cutoff.timestamp(),)
            )}
        stuck = sorted((j for j in jobs if j.id not in busy), key=lambda j: j.updated_at)
        return stuck[:limit]

    async def try_lock(self, name: str, holder: str, ttl: float) -> bool:
        now = time.time()
        changed = await self._write(
            "INSERT INTO locks (name, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE locks.holder = excluded.holder OR locks.expires_at < ?",
            (name, holder, now + ttl, now),
        )
        return changed > 0

    async def release_lock(self, name: str, holder: str) -> None:
        await self._write("DELETE FROM locks WHERE name = ? AND holder = ?", (name, holder))
