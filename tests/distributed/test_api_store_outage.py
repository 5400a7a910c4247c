"""While PostgreSQL restarts, the API answers 503 with Retry-After and one line, not 500.

The job store reaches a real PostgreSQL through a TCP relay the test can cut (every
connection dropped, new ones refused: what a restart looks like to a client) and restore;
the API app runs in-process on that store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from reelforge.apikeys import create_key
from reelforge.blobs.local import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.jobstore import StoreUnavailable
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.settings import Settings
from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps

pytestmark = pytest.mark.integration

IDEA = {"idea": "A lighthouse keeper finds a letter from herself, dated tomorrow."}


class Relay:
    """Forwards 127.0.0.1:port to the database server until `cut`, after which the port
    refuses connections and every open one is gone, until `restore`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target = host, port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def restore(self) -> None:
        await self.start()

    async def _relay(self, client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(self.host, self.target)
        self._open |= {client_writer, server_writer}
        try:
            await asyncio.gather(self._pipe(client_reader, server_writer),
                                 self._pipe(server_reader, client_writer))
        finally:
            for writer in (client_writer, server_writer):
                self._open.discard(writer)
                writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


@pytest.fixture
async def relay(pg_database: Callable[[], str]) -> AsyncIterator[tuple[Relay, str]]:
    """A relay to the test server, and the DSN of a fresh database reached through it."""
    dsn = urlsplit(pg_database())
    assert dsn.hostname is not None and dsn.port is not None
    relay = Relay(dsn.hostname, dsn.port)
    await relay.start()
    yield relay, dsn._replace(netloc=f"{dsn.username}@127.0.0.1:{relay.port}").geturl()
    with contextlib.suppress(AssertionError):
        await relay.cut()


def assert_unavailable(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert int(resp.headers["retry-after"]) > 0
    error = resp.json()["error"]
    assert error["code"] == "unavailable"
    assert error["message"] == str(StoreUnavailable())
    assert "\n" not in error["message"] and "asyncpg" not in resp.text


async def test_submissions_during_a_database_restart_get_503_then_succeed(
    relay: tuple[Relay, str], tmp_path: Path
) -> None:
    link, dsn = relay
    jobs = PostgresJobStore(dsn)
    await jobs.start()
    bus = InMemoryBus()
    deps = ApiDeps(jobs=jobs, blobs=LocalBlobStore(tmp_path / "blobs"), bus=bus,
                   settings=Settings(api_rate_limit=100))
    auth = {"Authorization": f"Bearer {await create_key(jobs, 'tenant')}"}
    transport = httpx.ASGITransport(app=create_app(deps))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            before = await client.post("/v1/jobs", headers=auth, json=IDEA)
            assert before.status_code == 202, before.text

            await link.cut()  # the pool's connections break, new ones are refused
            assert_unavailable(await client.post("/v1/jobs", headers=auth, json=IDEA))
            assert_unavailable(await client.post("/v1/jobs", headers=auth, json=IDEA))
            assert_unavailable(await client.get("/v1/jobs", headers=auth))

            await link.restore()
            after = await client.post("/v1/jobs", headers=auth, json=IDEA)
            assert after.status_code == 202, after.text
            listed = (await client.get("/v1/jobs", headers=auth)).json()["jobs"]
            assert {j["id"] for j in listed} == {before.json()["id"], after.json()["id"]}
    finally:
        await bus.close()
        await jobs.close()
