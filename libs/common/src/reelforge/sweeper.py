"""The sweeper: re-publishes the current event of any job stuck in a stage past a deadline.

A job survives a lost message (broker crash, a bug between "stored" and "published") because
every consumer is idempotent: re-publishing the event that should drive the job now makes
the stage find its finished outputs, redo only what is missing, and move the job on.

"Stuck" means no sign of life for `deadline` seconds: no job update, progress event or item
completion (the job store's `stuck_jobs`). Every re-publish writes a progress event, which
counts as activity, so a job is swept at most once per deadline, and at most `max_sweeps`
times a run (counted as items of the job's `sweeps` group): a job that re-publishing does not
move is failed with a reason instead of being re-published forever.
Exactly one sweeper acts at a time across all replicas (a job-store lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import structlog

from reelforge.bus import Bus
from reelforge.events import JOB_SUBMITTED, Event
from reelforge.jobstore import JobStore
from reelforge.models import Job, ProgressEvent, Status
from reelforge.pipeline import PIPELINE, WORKER_STAGES, finishing_step, upstream
from reelforge.runtime import fail_job

log = structlog.get_logger(__name__)

LOCK = "sweeper"


async def current_events(job: Job, jobs: JobStore) -> list[str]:
    """The event types that drive `job` from where its stage states say it is.

    Each stage that is not done while every stage upstream of it is gets the events that
    start it. Re-publishing is safe because consumers are idempotent: a finished stage finds
    its outputs, a fan-out stage re-registers its group and finds its finished items. A join
    whose group has counted every part gets its joined event instead; a job whose stages
    are all done gets the event of the step that finishes it. With today's pipeline:

    - script not done → `job.submitted`
    - audio or storyboard not done → `script.completed`
    - storyboard done, video not done → `storyboard.completed`
    - audio and video done, assembly not done → `assembly.ready` when the fan-in already
      counted both, else `audio.completed` + `video.completed`
    - everything done but the job still running → `assembly.ready`
    """
    done = {name for name, st in job.stages.items() if st.status == Status.completed}
    wanted: list[str] = []
    for stage in PIPELINE:
        if not stage.steps or stage.name in done:
            continue
        if any(s.name not in done for s in upstream(stage)):
            continue
        events: tuple[str, ...] = stage.entry_events
        if stage.joined_event is not None:
            counted, total = await jobs.item_counts(job.id, job.group(stage.name))
            if total and counted == total:
                events = (stage.joined_event,)
        wanted.extend(e for e in events if e not in wanted)
    return wanted or [finishing_step().consumes]


@dataclass
class Sweeper:
    bus: Bus
    jobs: JobStore
    deadline: float
    interval: float
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)
    max_sweeps: int = 3

    async def sweep(self) -> list[tuple[str, list[str]]]:
        """One pass if this instance holds the lease; returns (job id, events) re-published."""
        if not await self.jobs.try_lock(LOCK, self.holder, ttl=max(self.interval * 3, 10.0)):
            return []
        swept: list[tuple[str, list[str]]] = []
        for job in await self.jobs.stuck_jobs(self.deadline):
            _, sweeps = await self.jobs.item_counts(job.id, job.group("sweeps"))
            if sweeps >= self.max_sweeps:
                await self.give_up(job, sweeps)
                continue
            await self.jobs.add_items(job.id, job.group("sweeps"), [str(sweeps + 1)])
            swept.append((job.id, await self.republish(job)))
        return swept

    async def give_up(self, job: Job, sweeps: int) -> None:
        """Fail a job that `sweeps` re-publishes did not move, in the stage it is stuck in."""
        stage = next((name for name in WORKER_STAGES
                      if job.stages[name].status != Status.completed), WORKER_STAGES[-1])
        reason = (f"no progress in {self.deadline * (sweeps + 1):.0f}s despite {sweeps} "
                  f"re-publishes; the job was stopped: look for errors in the {stage} "
                  f"workers' logs, then retry it")
        log.error("sweeper_gave_up", job=job.id, stage=stage, sweeps=sweeps)
        await fail_job(self.jobs, self.bus, Event(type=JOB_SUBMITTED, job_id=job.id), stage,
                       reason)

    async def republish(self, job: Job) -> list[str]:
        types = await current_events(job, self.jobs)
        await self.jobs.add_event(ProgressEvent(
            job_id=job.id, stage="sweeper", kind="info",
            message=f"no progress for {self.deadline:.0f}s; re-published {', '.join(types)}",
        ))
        for t in types:
            await self.bus.publish(Event(type=t, job_id=job.id))
        log.warning("swept", job=job.id, events=types)
        return types

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every `interval` seconds until `stop` is set; errors are logged, not fatal."""
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception as exc:  # a flaky store must not kill the worker
                log.warning("sweep_failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
        with contextlib.suppress(Exception):  # hand the lease over without waiting for its ttl
            await self.jobs.release_lock(LOCK, self.holder)
