"""Embedded mode: every stage in one process on the in-memory bus, a local blob store and a
SQLite job store, all under `OUTDIR/.reelforge/`.

The output folder owns one job. A rerun bumps the job's run number and republishes
`job.submitted`; every stage finds its fingerprinted outputs and moves on, so only what the
change touched is regenerated, and a run killed half-way resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reelforge import lifecycle
from reelforge.blobs import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.events import JOB_COMPLETED, JOB_FAILED, Event
from reelforge.jobstore import JobNotFound, SQLiteJobStore
from reelforge.lifecycle import JobBackends
from reelforge.models import Document, Job, JobSettings, Manifest, Script
from reelforge.pipeline import FAN_OUT_STAGES, WORKER_STAGES
from reelforge.providers import load_providers
from reelforge.runtime import (
    StageContext,
    dead_letter_handler,
    discover_services,
    start_service,
)
from reelforge.settings import Settings

WORKDIR = ".reelforge"
TENANT = "local"
PIPELINE_STAGES = WORKER_STAGES


class JobFailed(RuntimeError):
    """The pipeline dead-lettered a stage; the message names the stage and the reason."""


@dataclass
class Workspace:
    """The embedded runtime for one output folder."""

    outdir: Path
    blobs: LocalBlobStore
    jobs: SQLiteJobStore
    bus: InMemoryBus
    ctx: StageContext

    @property
    def workdir(self) -> Path:
        return self.outdir / WORKDIR

    def job_id(self) -> str:
        """The folder's job id, created on first use."""
        path = self.workdir / "job_id"
        if not path.exists():
            path.write_text(lifecycle.new_job_id())
        return path.read_text().strip()


@contextlib.asynccontextmanager
async def open_workspace(outdir: Path, settings: Settings) -> AsyncIterator[Workspace]:
    outdir = outdir.resolve()
    workdir = outdir / WORKDIR
    workdir.mkdir(parents=True, exist_ok=True)
    blobs = LocalBlobStore(workdir / "store")
    jobs = SQLiteJobStore(workdir / "jobs.sqlite")
    bus = InMemoryBus(max_attempts=settings.max_attempts)
    await jobs.start()
    try:
        ctx = StageContext(bus, blobs, jobs, load_providers(settings), settings)
        yield Workspace(outdir, blobs, jobs, bus, ctx)
    finally:
        await bus.close()
        await jobs.close()


async def submit(
    ws: Workspace, document: Document, settings: JobSettings, force: Sequence[str],
    script: Script | None = None,
) -> Job:
    """Create the folder's job, or start a new run of it with the new inputs (the job's life
    is `reelforge.lifecycle`'s, as for the API). A `script` (one the user edited) replaces
    the script stage's passes; the stages after it redo only what its changes touch. The
    services must be running: this publishes `job.submitted`."""
    backends = JobBackends(ws.jobs, ws.blobs, ws.bus)
    job_id = ws.job_id()
    try:
        job = await ws.jobs.get_job(job_id)
    except JobNotFound:
        await lifecycle.create_job(backends, TENANT, document, settings, job_id=job_id,
                                   force=force, script=script)
    else:
        await lifecycle.resubmit(backends, job, document, settings, force=force, script=script)
    return await ws.jobs.get_job(job_id)


@contextlib.asynccontextmanager
async def running_services(ws: Workspace) -> AsyncIterator[asyncio.Future[Event]]:
    """Every installed stage service on the workspace's bus; yields the future of the next
    job.completed or job.failed."""
    finished: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

    async def watch(event: Event) -> None:
        if not finished.done():
            finished.set_result(event)

    ws.bus.on_dead_letter(dead_letter_handler(ws.ctx))
    await ws.bus.subscribe("embedded.watch", [JOB_COMPLETED, JOB_FAILED], watch)
    missing = [s for s in PIPELINE_STAGES if s not in discover_services()]
    if missing:
        raise JobFailed(f"services not installed: {', '.join(missing)}; run scripts/setup")
    for service in discover_services().values():
        await start_service(service, ws.ctx, default_timeouts=False)
    yield finished


async def run_job(
    ws: Workspace,
    job: Job,
    finished: asyncio.Future[Event],
    on_tick: Callable[[Job, dict[str, tuple[int, int]]], Awaitable[None]] | None = None,
    tick: float = 0.25,
) -> Manifest:
    """Wait until the submitted job completes or fails; return its manifest."""
    while not finished.done():
        if on_tick is not None:
            await on_tick(await ws.jobs.get_job(job.id), await item_progress(ws, job))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(finished), tick)
    outcome = finished.result()
    current = await ws.jobs.get_job(job.id)
    if on_tick is not None:
        await on_tick(current, await item_progress(ws, job))
    if outcome.type == JOB_FAILED:
        raise JobFailed(outcome.reason or current.error or "the job failed")
    record = await ws.jobs.get_artifact(job.id, "manifest")
    if record is None:
        raise JobFailed("the job completed without a manifest")
    return await ws.ctx.load(record.key, Manifest)


async def item_progress(ws: Workspace, job: Job) -> dict[str, tuple[int, int]]:
    """(done, total) of the fan-out stages in the current run."""
    return {s: await ws.jobs.item_counts(job.id, job.group(s)) for s in FAN_OUT_STAGES}


def export_package(ws: Workspace, manifest: Manifest) -> list[Path]:
    """Place every package file at its path in the output folder (hard links when possible)
    and remove files a previous run exported that this manifest no longer lists."""
    written: list[Path] = []
    for artifact in manifest.artifacts:
        if artifact.path is None:
            continue
        dest = ws.outdir / artifact.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = ws.blobs.path(artifact.key)
        written.append(dest)
        if dest.exists() and os.path.samefile(src, dest):
            continue  # a rerun's link: renaming a link onto itself would leave the .part
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    manifest_path = ws.outdir / "manifest.json"
    if manifest_path not in written:
        manifest_path.write_text(manifest.model_dump_json(indent=2))
        written.append(manifest_path)
    _remove_stale(ws, written)
    return written


def _remove_stale(ws: Workspace, written: list[Path]) -> None:
    ledger = ws.workdir / "exported.json"
    previous = set(json.loads(ledger.read_text())) if ledger.exists() else set()
    current = {str(p.relative_to(ws.outdir)) for p in written}
    for rel in previous - current:
        (ws.outdir / rel).unlink(missing_ok=True)
    ledger.write_text(json.dumps(sorted(current)))


async def make_trailer(
    document: Document,
    job_settings: JobSettings,
    outdir: Path,
    settings: Settings,
    force: Sequence[str] = (),
    on_tick: Callable[[Job, dict[str, tuple[int, int]]], Awaitable[None]] | None = None,
    script: Script | None = None,
) -> tuple[Manifest, Job]:
    """The whole embedded pipeline: document in (and an edited script, if given), package
    exported to `outdir`."""
    started = time.perf_counter()
    async with open_workspace(outdir, settings) as ws, running_services(ws) as finished:
        job = await submit(ws, document, job_settings, force, script)
        manifest = await run_job(ws, job, finished, on_tick)
        await asyncio.to_thread(export_package, ws, manifest)
        job = await ws.jobs.get_job(job.id)
    manifest.stage_seconds.setdefault("total", round(time.perf_counter() - started, 3))
    return manifest, job
