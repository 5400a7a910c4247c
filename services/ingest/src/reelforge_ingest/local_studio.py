"""`reelforge studio`: the public API and the studio page on 127.0.0.1, over the embedded
backends (SQLite, blobs on disk, the in-memory bus, every stage in this process), so a person
reviews and edits trailers in the browser with no server and no key to set up.

Jobs live in the data folder: stopping the studio mid-job and starting it again finds every
job where it was (the stages' events, lost with the in-memory bus, are published again from
each job's stage states, as the sweeper does). Entry point `reelforge.apps:studio`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import webbrowser
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from reelforge.apikeys import create_key
from reelforge.blobs import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.jobstore import SQLiteJobStore
from reelforge.models import Status, utcnow
from reelforge.providers import load_providers
from reelforge.runtime import StageContext, dead_letter_handler, discover_services, start_service
from reelforge.settings import Settings
from reelforge.sweeper import Sweeper

from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps

TENANT = "local"
KEY_DAYS = 30
"""The studio's key lives this long; each start makes a new one."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "reelforge" / "studio"


@dataclass
class Studio:
    app: FastAPI
    deps: ApiDeps
    key: str
    resumed: list[str]


@contextlib.asynccontextmanager
async def open_studio(data: Path, settings: Settings) -> AsyncIterator[Studio]:
    data.mkdir(parents=True, exist_ok=True)
    jobs = SQLiteJobStore(data / "jobs.sqlite")
    blobs = LocalBlobStore(data / "store")
    bus = InMemoryBus(max_attempts=settings.max_attempts)
    await jobs.start()
    await blobs.start()
    try:
        ctx = StageContext(bus, blobs, jobs, load_providers(settings), settings)
        bus.on_dead_letter(dead_letter_handler(ctx))
        for service in discover_services().values():
            await start_service(service, ctx, default_timeouts=False)
        key = await create_key(jobs, TENANT, utcnow() + timedelta(days=KEY_DAYS))
        deps = ApiDeps(jobs=jobs, blobs=blobs, bus=bus, settings=settings)
        app = create_app(deps)

        @app.get("/", include_in_schema=False)
        async def home() -> RedirectResponse:
            return RedirectResponse("/studio")

        resumed = await resume_jobs(jobs, bus)
        yield Studio(app, deps, key, resumed)
    finally:
        await bus.close()
        await jobs.close()


async def resume_jobs(jobs: SQLiteJobStore, bus: InMemoryBus) -> list[str]:
    """Publish again what drives every job that was running when the studio stopped."""
    sweeper = Sweeper(bus, jobs, deadline=0.0, interval=60.0)
    running = await jobs.stuck_jobs(0.0, statuses=(Status.running,), limit=1000)
    for job in running:
        await sweeper.republish(job)
    return [job.id for job in running]


async def serve_async(settings: Settings, data: Path, host: str, port: int,
                      open_browser: bool, log_level: str = "warning") -> None:
    _check_port_free(host, port)
    async with open_studio(data, settings) as studio:
        url = f"http://{host}:{port}/studio#key={studio.key}"
        config = uvicorn.Config(studio.app, host=host, port=port, log_level=log_level,
                                lifespan="off")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        print(f"reelforge studio: {url}", flush=True)
        print(f"data: {data}  (jobs resumed: {len(studio.resumed)}); Ctrl+C stops it",
              flush=True)
        if open_browser:
            webbrowser.open(url)
        await serving


class PortInUse(SystemExit):
    pass


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {port} on {host} is already in use (is a studio already "
                                "running?); open it, or choose another port with --port") from None
            raise


def serve(settings: Settings, *, data: Path | None, host: str, port: int,
          open_browser: bool) -> None:
    asyncio.run(serve_async(settings, data or default_data_dir(), host, port, open_browser))
