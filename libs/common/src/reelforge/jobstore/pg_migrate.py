"""Versioned SQL migrations for the Postgres job store.

Files live in `reelforge/jobstore/migrations/NNN_name.sql`. All pending ones are applied in ONE
transaction that first takes a transaction-scoped advisory lock, so when several services start
at once exactly one migrates and the others wait, then find nothing left to do. A checksum per
applied file catches a migration that was edited after it shipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files

import asyncpg
import structlog

log = structlog.get_logger(__name__)

MIGRATION_LOCK = 0x7265_656C_666F_7267  # "reelforg": the advisory lock id of migrations
_NAME = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(
    package: str = "reelforge.jobstore", folder: str = "migrations"
) -> list[Migration]:
    """The migration files shipped in `package/folder`, in version order."""
    found: list[Migration] = []
    for entry in files(package).joinpath(folder).iterdir():
        m = _NAME.match(entry.name)
        if m is None:
            continue
        found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions: {versions}")
    return found


async def migrate(conn: asyncpg.Connection, migrations: list[Migration]) -> list[int]:
    """Apply the pending `migrations`; returns the versions applied by this call."""
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        applied = {r["version"]: r["checksum"] for r in rows}
        for m in migrations:
            if m.version in applied:
                if applied[m.version] != m.checksum:
                    raise MigrationError(
                        f"migration {m.version:03d}_{m.name} changed after it was applied"
                    )
                continue
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                m.version, m.name, m.checksum,
            )
            applied_now.append(m.version)
    if applied_now:
        log.info("migrated", versions=applied_now)
    return applied_now
