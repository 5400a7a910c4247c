"""Postgres job projection for distributed mode (asyncpg).

Every multi-replica invariant is enforced by the database, never by the caller:
- fan-in: the group row is a counter; completing an item flips its row (`NOT done` makes a
  duplicate a no-op) and decrements the counter in one statement, so concurrent completions
  serialise on the group's row lock and exactly one of them sees 0;
- progress events are numbered per job under the job's row lock, so `after` never skips one
  that commits late;
- limiter slots are counted under a per-provider advisory transaction lock;
- leases are one atomic upsert.
Times that decide expiry come from the database clock, so replicas' clocks do not matter.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import structlog

from reelforge.jobstore.base import (
    EDITABLE,
    ApiKeyInfo,
    JobExists,
    JobNotFound,
    StoreUnavailable,
    key_id,
)
from reelforge.jobstore.pg_migrate import load_migrations, migrate
from reelforge.models import ArtifactRecord, Job, ProgressEvent, StageState, Status

log = structlog.get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset: the server is down or restarting
    TimeoutError,  # no answer to the connection attempt
    asyncpg.PostgresConnectionError,  # the connection broke mid-query
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,  # closed by a fast shutdown (a restart)
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""Errors that mean the database cannot be reached (for now), not that a query is wrong."""

FINAL = [Status.completed.value, Status.failed.value, Status.cancelled.value]
_COLUMNS = {"id", "tenant", "status", "error", "run", "cost_usd", "created_at", "updated_at",
            "stages"}

_SELECT_JOB = """
SELECT j.id, j.tenant, j.status, j.error, j.run, j.cost_usd, j.created_at, j.updated_at, j.doc,
    COALESCE((
        SELECT jsonb_object_agg(s.stage, jsonb_build_object(
            'status', s.status, 'error', s.error, 'started_at', s.started_at,
            'finished_at', s.finished_at, 'seconds', s.seconds))
        FROM job_stages s WHERE s.job_id = j.id), '{}'::jsonb) AS stages,
    COALESCE((
        SELECT jsonb_object_agg(g.grp, jsonb_build_array(g.total - g.remaining, g.total))
        FROM work_groups g WHERE g.job_id = j.id AND g.grp LIKE '%#' || j.run::text
    ), '{}'::jsonb) AS groups
FROM jobs j
"""


def database_name(dsn: str) -> str | None:
    """The database a libpq URL names (path, or a `dbname` query parameter)."""
    parts = urlsplit(dsn)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        name = parse_qs(parts.query).get("dbname", [""])[0]
    return name or None


async def ensure_database(dsn: str) -> None:
    """Create the DSN's database if it does not exist (connecting to `postgres` to do so)."""
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        name = database_name(dsn)
        if name is None:
            raise
        admin = await asyncpg.connect(dsn, database="postgres")
        try:
            quoted = '"' + name.replace('"', '""') + '"'
            await admin.execute(f"CREATE DATABASE {quoted}")
            log.info("database_created", database=name)
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            pass  # another replica won the race (a true race surfaces as a unique violation)
        finally:
            await admin.close()
    else:
        await conn.close()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


def _job(row: asyncpg.Record) -> Job:
    stages = {}
    for name, s in row["stages"].items():
        done, total = row["groups"].get(f"{name}#{row['run']}", (0, 0))
        stages[name] = StageState.model_validate({**s, "items_done": done, "items_total": total})
    return Job.model_validate({
        **row["doc"],
        "id": row["id"], "tenant": row["tenant"], "status": row["status"], "error": row["error"],
        "run": row["run"], "cost_usd": row["cost_usd"], "created_at": row["created_at"],
        "updated_at": row["updated_at"], "stages": stages,
    })


def _reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Raise StoreUnavailable, one line, when the database cannot be reached (a restart,
    an outage), so callers can tell "try again shortly" from a failure of the request."""

    @functools.wraps(method)
    async def reached(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except UNREACHABLE as exc:
            log.warning("job_store_unreachable", operation=method.__name__, error=repr(exc))
            raise StoreUnavailable() from exc

    return reached


def _affected(status: str) -> int:
    """Rows touched, from asyncpg's command tag ('UPDATE 1')."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresJobStore:
    def __init__(self, dsn: str, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn = dsn
        self.min_size = min_size
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("PostgresJobStore.start() was not called")
        return self._pool

    async def start(self) -> None:
        """Create the database if missing, apply pending migrations, open the pool."""
        if self._pool is not None:
            return
        await ensure_database(self.dsn)
        conn = await asyncpg.connect(self.dsn)
        try:
            await migrate(conn, load_migrations())
        finally:
            await conn.close()
        self._pool = await asyncpg.create_pool(
            self.dsn, min_size=self.min_size, max_size=self.max_size, init=_init_connection
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # ------------------------------------------------------------------ jobs

    @_reachable
    async def create_job(self, job: Job) -> None:
        doc = job.model_dump(mode="json", exclude=_COLUMNS)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                await conn.execute(
                    "INSERT INTO jobs (id, tenant, status, error, run, cost_usd, created_at,"
                    " updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    job.id, job.tenant, job.status.value, job.error, job.run, job.cost_usd,
                    job.created_at, job.updated_at, doc,
                )
            except asyncpg.UniqueViolationError as exc:
                raise JobExists(job.id) from exc
            await conn.executemany(
                "INSERT INTO job_stages (job_id, stage, status, error, started_at, finished_at,"
                " seconds) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [(job.id, name, s.status.value, s.error, s.started_at, s.finished_at, s.seconds)
                 for name, s in job.stages.items()],
            )

    @_reachable
    async def get_job(self, job_id: str) -> Job:
        row = await self.pool.fetchrow(_SELECT_JOB + " WHERE j.id = $1", job_id)
        if row is None:
            raise JobNotFound(job_id)
        return _job(row)

    @_reachable
    async def list_jobs(self, tenant: str, limit: int = 20, offset: int = 0) -> list[Job]:
        rows = await self.pool.fetch(
            _SELECT_JOB + ' WHERE j.tenant = $1 ORDER BY j.created_at DESC, j.id COLLATE "C"'
            " LIMIT $2 OFFSET $3",
            tenant, limit, offset,
        )
        return [_job(r) for r in rows]

    async def _update(self, sql: str, job_id: str, *args: Any) -> Any:
        """Run an UPDATE … RETURNING on one job row; JobNotFound when there is none."""
        value = await self.pool.fetchval(sql, job_id, *args)
        if value is None:
            raise JobNotFound(job_id)
        return value

    @_reachable
    async def set_job_status(self, job_id: str, status: Status, error: str | None = None) -> None:
        await self._update(
            "UPDATE jobs SET status = $2, error = $3, updated_at = now() WHERE id = $1"
            " RETURNING id",
            job_id, status.value, error,
        )

    @_reachable
    async def update_job(self, job: Job) -> None:
        changes = job.model_dump(mode="json", include=set(EDITABLE))
        await self._update(
            "UPDATE jobs SET doc = doc || $2::jsonb, run = $3, updated_at = now()"
            " WHERE id = $1 RETURNING id",
            job.id, changes, job.run,
        )

    @_reachable
    async def revise_job(self, job: Job, revision: int) -> bool:
        changes = job.model_dump(mode="json", include=set(EDITABLE))
        changes["revision"] = revision + 1
        revised = await self.pool.fetchval(
            "UPDATE jobs SET doc = doc || $2::jsonb, updated_at = now()"
            " WHERE id = $1 AND COALESCE((doc->>'revision')::int, 0) = $3 RETURNING id",
            job.id, changes, revision,
        )
        if revised is None:
            await self.get_job(job.id)  # JobNotFound when it is gone, not a conflict
            return False
        return True

    @_reachable
    async def delete_job(self, job_id: str) -> None:
        await self.pool.execute("DELETE FROM jobs WHERE id = $1", job_id)

    @_reachable
    async def set_stage(
        self, job_id: str, stage: str, status: Status, error: str | None = None
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            touched = await conn.fetchval(
                "UPDATE jobs SET updated_at = now() WHERE id = $1 RETURNING id", job_id
            )
            if touched is None:
                raise JobNotFound(job_id)
            await conn.execute(
                """
                INSERT INTO job_stages AS s (job_id, stage, status, error, started_at,
                                             finished_at, seconds)
                VALUES ($1, $2, $3, $4,
                        CASE WHEN $3 = 'running' THEN clock_timestamp() END,
                        CASE WHEN $3 = ANY($5::text[]) THEN clock_timestamp() END,
                        NULL)
                ON CONFLICT (job_id, stage) DO UPDATE SET
                    started_at = CASE WHEN $3 = 'running' AND s.status <> 'running'
                                      THEN clock_timestamp() ELSE s.started_at END,
                    finished_at = CASE WHEN $3 = ANY($5::text[]) THEN clock_timestamp()
                                       WHEN $3 = 'running' AND s.status <> 'running' THEN NULL
                                       ELSE s.finished_at END,
                    seconds = CASE WHEN $3 = ANY($5::text[])
                                   THEN EXTRACT(EPOCH FROM clock_timestamp() - s.started_at)
                                   WHEN $3 = 'running' AND s.status <> 'running' THEN NULL
                                   ELSE s.seconds END,
                    status = $3,
                    error = $4
                """,
                job_id, stage, status.value, error, FINAL,
            )

    # ------------------------------------------------------------------ fan-out / fan-in

    @_reachable
    async def add_items(self, job_id: str, group: str, items: Sequence[str]) -> None:
        unique = list(dict.fromkeys(items))
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO work_groups (job_id, grp) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    job_id, group,
                )
                await conn.execute(
                    """
                    WITH added AS (
                        INSERT INTO work_items (job_id, grp, item)
                        SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING RETURNING 1
                    )
                    UPDATE work_groups SET total = total + (SELECT count(*) FROM added),
                                           remaining = remaining + (SELECT count(*) FROM added)
                    WHERE job_id = $1 AND grp = $2
                    """,
                    job_id, group, unique,
                )
        except asyncpg.ForeignKeyViolationError:
            raise JobNotFound(job_id) from None

    @_reachable
    async def complete_item(self, job_id: str, group: str, item: str) -> int:
        remaining = await self.pool.fetchval(
            """
            WITH hit AS (
                UPDATE work_items SET done = true, done_at = now()
                WHERE job_id = $1 AND grp = $2 AND item = $3 AND NOT done
                RETURNING 1
            )
            UPDATE work_groups SET remaining = remaining - (SELECT count(*) FROM hit)
            WHERE job_id = $1 AND grp = $2
            RETURNING remaining
            """,
            job_id, group, item,
        )
        return int(remaining or 0)

    @_reachable
    async def item_counts(self, job_id: str, group: str) -> tuple[int, int]:
        row = await self.pool.fetchrow(
            "SELECT total - remaining AS done, total FROM work_groups WHERE job_id = $1"
            " AND grp = $2",
            job_id, group,
        )
        return (int(row["done"]), int(row["total"])) if row else (0, 0)

    # ------------------------------------------------------------------ artifacts

    @_reachable
    async def record_artifact(self, job_id: str, artifact: ArtifactRecord) -> None:
        try:
            await self.pool.execute(
                """
                INSERT INTO artifacts (job_id, name, key, stage, doc) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (job_id, name) DO UPDATE SET key = excluded.key,
                    stage = excluded.stage, doc = excluded.doc, updated_at = now()
                """,
                job_id, artifact.name, artifact.key, artifact.stage,
                artifact.model_dump(mode="json"),
            )
        except asyncpg.ForeignKeyViolationError:
            raise JobNotFound(job_id) from None

    @_reachable
    async def get_artifact(self, job_id: str, name: str) -> ArtifactRecord | None:
        doc = await self.pool.fetchval(
            "SELECT doc FROM artifacts WHERE job_id = $1 AND name = $2", job_id, name
        )
        return ArtifactRecord.model_validate(doc) if doc is not None else None

    @_reachable
    async def list_artifacts(self, job_id: str, prefix: str = "") -> list[ArtifactRecord]:
        rows = await self.pool.fetch(
            "SELECT doc FROM artifacts WHERE job_id = $1 AND starts_with(name, $2)"
            ' ORDER BY name COLLATE "C"',
            job_id, prefix,
        )
        return [ArtifactRecord.model_validate(r["doc"]) for r in rows]

    # ------------------------------------------------------------------ progress

    @_reachable
    async def add_event(self, event: ProgressEvent) -> int:
        seq = await self.pool.fetchval(
            """
            WITH j AS (
                UPDATE jobs SET event_seq = event_seq + 1, updated_at = now()
                WHERE id = $1 RETURNING event_seq
            )
            INSERT INTO progress_events (job_id, seq, stage, kind, message, time)
            SELECT $1, event_seq, $2, $3, $4, $5 FROM j
            RETURNING seq
            """,
            event.job_id, event.stage, event.kind, event.message, event.time,
        )
        if seq is None:
            raise JobNotFound(event.job_id)
        return int(seq)

    @_reachable
    async def list_events(self, job_id: str, after: int = 0) -> list[ProgressEvent]:
        rows = await self.pool.fetch(
            "SELECT seq, job_id, stage, kind, message, time FROM progress_events"
            " WHERE job_id = $1 AND seq > $2 ORDER BY seq",
            job_id, after,
        )
        return [ProgressEvent.model_validate(dict(r)) for r in rows]

    @_reachable
    async def add_cost(self, job_id: str, usd: float) -> float:
        total = await self._update(
            "UPDATE jobs SET cost_usd = cost_usd + $2, updated_at = now() WHERE id = $1"
            " RETURNING cost_usd",
            job_id, usd,
        )
        return float(total)

    # ------------------------------------------------------------------ runs

    @_reachable
    async def bump_run(self, job_id: str) -> int:
        run = await self._update(
            "UPDATE jobs SET run = run + 1, status = 'queued', error = NULL, updated_at = now()"
            " WHERE id = $1 RETURNING run",
            job_id,
        )
        return int(run)

    # ------------------------------------------------------------------ API keys

    @_reachable
    async def create_api_key(self, tenant: str, key_hash: str,
                             expires_at: datetime | None = None) -> None:
        owner = await self.pool.fetchval(
            "INSERT INTO api_keys (key_hash, tenant, expires_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (key_hash) DO UPDATE SET tenant = api_keys.tenant RETURNING tenant",
            key_hash, tenant, expires_at,
        )
        if owner != tenant:
            raise ValueError("this API key already belongs to another tenant")

    @_reachable
    async def tenant_for_key(self, key_hash: str) -> str | None:
        tenant: str | None = await self.pool.fetchval(
            "SELECT tenant FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now())", key_hash
        )
        return tenant

    @_reachable
    async def list_api_keys(self, tenant: str) -> list[ApiKeyInfo]:
        rows = await self.pool.fetch(
            "SELECT key_hash, tenant, created_at, expires_at, revoked_at FROM api_keys"
            " WHERE tenant = $1 ORDER BY created_at", tenant,
        )
        return [ApiKeyInfo(key_id(r["key_hash"]), r["tenant"], r["created_at"],
                           r["expires_at"], r["revoked_at"]) for r in rows]

    @_reachable
    async def revoke_api_keys(self, tenant: str, key_id: str | None = None) -> int:
        status = await self.pool.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE tenant = $1 AND revoked_at IS NULL"
            " AND ($2::text IS NULL OR left(key_hash, 12) = $2)", tenant, key_id,
        )
        return int(status.split()[-1])

    # ------------------------------------------------------------------ provider limiter

    @_reachable
    async def acquire_slot(self, provider: str, holder: str, limit: int, ttl: float) -> bool:
        """Count and take under a per-provider advisory lock; a holder that already has a slot
        renews it (that is how a long call keeps its slot alive)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('reelforge.limiter:' || $1, 0))",
                provider,
            )
            await conn.execute(
                "DELETE FROM limiter_slots WHERE provider = $1 AND expires_at < clock_timestamp()",
                provider,
            )
            renewed = await conn.execute(
                "UPDATE limiter_slots"
                " SET expires_at = clock_timestamp() + make_interval(secs => $3)"
                " WHERE provider = $1 AND holder = $2",
                provider, holder, float(ttl),
            )
            if _affected(renewed):
                return True
            held = await conn.fetchval(
                "SELECT count(*) FROM limiter_slots WHERE provider = $1", provider
            )
            if held >= limit:
                return False
            await conn.execute(
                "INSERT INTO limiter_slots (provider, holder, expires_at)"
                " VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))",
                provider, holder, float(ttl),
            )
            return True

    @_reachable
    async def release_slot(self, provider: str, holder: str) -> None:
        await self.pool.execute(
            "DELETE FROM limiter_slots WHERE provider = $1 AND holder = $2", provider, holder
        )

    # ------------------------------------------------------------------ sweeper

    @_reachable
    async def stuck_jobs(
        self,
        older_than: float,
        statuses: Sequence[Status] = (Status.running,),
        limit: int = 100,
    ) -> list[Job]:
        """Jobs in `statuses` with no update, progress event or item completion for
        `older_than` seconds, oldest first."""
        rows = await self.pool.fetch(
            _SELECT_JOB
            + """
            WHERE j.status = ANY($2::text[])
              AND j.updated_at < now() - make_interval(secs => $1)
              AND NOT EXISTS (
                  SELECT 1 FROM work_items w
                  WHERE w.job_id = j.id AND w.done_at >= now() - make_interval(secs => $1))
            ORDER BY j.updated_at LIMIT $3
            """,
            float(older_than), [s.value for s in statuses], limit,
        )
        return [_job(r) for r in rows]

    @_reachable
    async def try_lock(self, name: str, holder: str, ttl: float) -> bool:
        got = await self.pool.fetchval(
            """
            INSERT INTO locks AS l (name, holder, expires_at)
            VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                                             expires_at = excluded.expires_at
            WHERE l.holder = excluded.holder OR l.expires_at < clock_timestamp()
            RETURNING holder
            """,
            name, holder, float(ttl),
        )
        return got is not None

    @_reachable
    async def release_lock(self, name: str, holder: str) -> None:
        await self.pool.execute("DELETE FROM locks WHERE name = $1 AND holder = $2", name, holder)
