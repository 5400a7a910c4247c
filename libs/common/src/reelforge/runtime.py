"""The service runtime shared by embedded mode and the distributed workers.

A delivery goes: consume → take its work item's claim → skip if the output already exists
→ run the stage → store outputs → record them in the job store → publish the next events →
let the claim go → ack (the handler returns). The claim (queue, job, item) makes two
deliveries of one work item take turns: a message redelivered after its connection dropped
while the first run is still going (the bus lets that run finish), a duplicate event, a
sweep. The second one then finds the first one's outputs instead of paying for them again.
Stage code only ever talks to a `StageContext`; which bus, store and providers sit behind it
is the runner's choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel

from reelforge import pipeline
from reelforge.blobs import BlobStore, job_key
from reelforge.bus import Bus, Permanent
from reelforge.errors import Explained
from reelforge.events import JOB_FAILED, Event
from reelforge.jobstore import JobStore
from reelforge.limited import CALL_OWNER, CallOwner
from reelforge.limiter import ProviderLimiter
from reelforge.metrics import Metrics, failure_reason
from reelforge.models import ArtifactRecord, Job, ProgressEvent, Status
from reelforge.providers import Providers
from reelforge.settings import Settings

log = structlog.get_logger(__name__)
M = TypeVar("M", bound=BaseModel)

StageHandler = Callable[[Event, "StageContext"], Awaitable[None]]

CLAIM_TTL = 30.0
"""Seconds a work item's claim outlives its last renewal: how long a holder that died keeps
a redelivery of its item waiting."""


class JobCancelled(Permanent):
    """The job was cancelled: drop the delivery, never retry it."""


class InternalStageError(Explained):
    """What the job's owner reads when a stage failed on something not meant for them."""


class HandlerTimeout(Explained):
    """A delivery's handler ran past its queue's timeout: retried like any failure, then
    dead-lettered, so a hung provider or a wedged render cannot hold a delivery forever."""


DEFAULT_HANDLER_TIMEOUT = 1800.0
"""Seconds one delivery may take unless its consumer says otherwise: RabbitMQ's own
consumer_timeout (30 min) would close the channel of a longer one anyway."""


@dataclass(frozen=True)
class Consumer:
    queue: str
    routing_keys: Sequence[str]
    handler: StageHandler
    timeout: float = DEFAULT_HANDLER_TIMEOUT
    """Seconds one delivery may take (REELFORGE_HANDLER_TIMEOUTS overrides it per queue)."""
    prefetch: int = 1
    prefetch_setting: str | None = None  # a Settings field that overrides `prefetch`
    prefetch_scale: int = 1
    """Deliveries held per unit of `prefetch_setting` (see the video stage's call slots)."""


@dataclass(frozen=True)
class Service:
    """What a service package exports under the `reelforge.services` entry-point group."""

    name: str
    consumers: Sequence[Consumer] = field(default_factory=tuple)


def stage_service(name: str, handlers: Mapping[str, StageHandler]) -> Service:
    """The service of pipeline stage `name`: one consumer per step the pipeline declares
    (its queue, event and prefetch), each running the handler given for its queue."""
    stage = pipeline.stage(name)
    if set(handlers) != set(stage.queues):
        raise ValueError(f"stage {name} has queues {', '.join(stage.queues)}; handlers were "
                         f"given for {', '.join(handlers)}")
    return Service(name=name, consumers=tuple(
        Consumer(step.queue, (step.consumes,), handlers[step.queue], prefetch=step.prefetch,
                 prefetch_setting=step.prefetch_setting, prefetch_scale=step.prefetch_scale)
        for step in stage.steps
    ))


def discover_services() -> dict[str, Service]:
    services: dict[str, Service] = {}
    for ep in entry_points(group="reelforge.services"):
        services[ep.name] = ep.load()
    return services


def fingerprint(*parts: Any) -> str:
    """A stable hash of a stage's inputs and settings: the identity of its output."""

    def default(o: Any) -> Any:
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        if isinstance(o, bytes):
            return hashlib.sha256(o).hexdigest()
        if isinstance(o, Path):
            return str(o)
        raise TypeError(f"cannot fingerprint {type(o).__name__}")

    blob = json.dumps(parts, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def output_key(job_id: str, stage: str, filename: str, fp: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    name = f"{stem}-{fp}.{ext}" if dot else f"{filename}-{fp}"
    return job_key(job_id, stage, name)


@dataclass
class StageContext:
    bus: Bus
    blobs: BlobStore
    jobs: JobStore
    providers: Providers
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    _call_slots: dict[str, asyncio.Semaphore] = field(default_factory=dict, init=False,
                                                      repr=False)

    def call_slots(self, name: str, size: int) -> asyncio.Semaphore:
        """This process's `size` slots for calls of kind `name` (made on first use, in the
        running loop): concurrency a stage bounds apart from its deliveries."""
        if name not in self._call_slots:
            self._call_slots[name] = asyncio.Semaphore(max(1, size))
        return self._call_slots[name]

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str, ttl: float = CLAIM_TTL) -> AsyncIterator[None]:
        """Hold the claim `name` for the block, waiting while another delivery holds it: two
        deliveries of one work item at once (a duplicate event, a sweep) take turns instead
        of both paying a provider. It is a global limiter slot of one (renewed while held,
        released even on cancellation, lost by a holder that died after `ttl`)."""
        claims = ProviderLimiter(self.jobs, {name: 1}, holder_prefix="claim", ttl=ttl)
        async with claims.slot(name):
            yield

    # ---------------------------------------------------------------- job state

    async def job(self, job_id: str) -> Job:
        return await self.jobs.get_job(job_id)

    async def check_cancelled(self, job_id: str) -> None:
        """Call before every expensive provider call."""
        if (await self.jobs.get_job(job_id)).status == Status.cancelled:
            raise JobCancelled(f"job {job_id} was cancelled")

    async def stage_started(self, job: Job, stage: str) -> None:
        if job.stages.get(stage) is None or job.stages[stage].status != Status.running:
            await self.jobs.set_stage(job.id, stage, Status.running)
            await self.progress(job.id, stage, "started")

    async def stage_completed(self, job_id: str, stage: str) -> None:
        await self.jobs.set_stage(job_id, stage, Status.completed)
        await self.progress(job_id, stage, "completed")

    async def item_done(self, event: Event, job: Job, stage: str, item: str,
                        message: str) -> None:
        """The fan-in: work item `item` of a fanned-out stage is done. The
        delivery that completes the stage's group completes the stage and publishes the
        event its pipeline declaration names."""
        remaining = await self.jobs.complete_item(job.id, job.group(stage), item)
        await self.progress(job.id, stage, "item", message)
        completed = pipeline.stage(stage).fan_in_event
        if remaining == 0 and completed is not None:
            await self.stage_completed(job.id, stage)
            await self.publish(event.follow(completed))

    async def progress(self, job_id: str, stage: str, kind: str, message: str = "") -> None:
        await self.jobs.add_event(
            ProgressEvent(job_id=job_id, stage=stage, kind=kind, message=message)  # type: ignore[arg-type]
        )

    # ---------------------------------------------------------------- artifacts

    def is_forced(self, job: Job, stage: str) -> bool:
        return stage in job.force

    async def reuse(self, job: Job, stage: str, key: str) -> bool:
        """True when `key` already holds this stage's output and the stage is not forced."""
        return not self.is_forced(job, stage) and await self.blobs.exists(key)

    async def record(
        self,
        job_id: str,
        name: str,
        key: str,
        stage: str,
        *,
        provider: str | None = None,
        duration: float | None = None,
        path: str | None = None,
        cost_usd: float | None = None,
    ) -> ArtifactRecord:
        record = ArtifactRecord(
            name=name, key=key, stage=stage, provider=provider, duration=duration, path=path,
            cost_usd=cost_usd,
        )
        await self.jobs.record_artifact(job_id, record)
        return record

    async def record_made(self, job_id: str, name: str, key: str, stage: str, *,
                          provider: str, cost_usd: float | None, duration: float | None = None,
                          path: str | None = None) -> ArtifactRecord:
        """Record a freshly made output with the provider that answered, and add what it
        cost to the job's spending."""
        record = await self.record(job_id, name, key, stage, provider=provider,
                                   duration=duration, path=path, cost_usd=cost_usd or None)
        if cost_usd:
            await self.jobs.add_cost(job_id, cost_usd)
        return record

    async def artifact_key(self, job_id: str, name: str) -> str:
        record = await self.jobs.get_artifact(job_id, name)
        if record is None:
            raise Permanent(f"job {job_id} has no artifact {name!r} yet")
        return record.key

    async def load(self, key: str, model: type[M]) -> M:
        return model.model_validate_json(await self.blobs.get(key))

    async def load_artifact(self, job_id: str, artifact: pipeline.Artifact,
                            model: type[M], **placeholders: str) -> M:
        """The job's current artifact of that kind (`ctx.load_artifact(job.id, SCRIPT,
        Script)`): stages read their inputs from the job store, never from the event."""
        return await self.load(await self.artifact_key(job_id, artifact.named(**placeholders)),
                               model)

    async def store(self, key: str, value: BaseModel) -> None:
        await self.blobs.put(key, value.model_dump_json(indent=2).encode(), "application/json")

    async def publish(self, event: Event) -> None:
        """Publish `event`, unless a review the job's settings name holds it back: then the
        job waits (`awaiting_review`) until the review is approved (`lifecycle.approve`),
        which publishes the event again."""
        review = pipeline.held_by(event.type)
        if review is not None and await self._wait_for_review(event.job_id, review):
            return
        await self.bus.publish(event)

    async def _wait_for_review(self, job_id: str, review: pipeline.Review) -> bool:
        job = await self.jobs.get_job(job_id)
        if review not in job.settings.review or review in job.approved:
            return False
        if job.status in (Status.cancelled, Status.failed):
            return True
        job.awaiting = review
        await self.jobs.update_job(job)
        await self.jobs.set_job_status(job_id, Status.awaiting_review)
        await self.progress(job_id, review, "info", f"waiting for the {review} review")
        return True


async def _unwrapped(handling: Awaitable[None]) -> None:
    """Run a handler; a task group's failure surfaces as its first real exception, so the
    retry decision (Permanent or not) and the reason a user reads name the actual error."""
    try:
        await handling
    except BaseExceptionGroup as group:
        first = group.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from group


async def _within(seconds: float, queue: str, handling: Awaitable[None]) -> None:
    """Run a handler for at most `seconds` (0: no limit); only our own deadline becomes a
    HandlerTimeout, a TimeoutError the handler raised itself stays what it was."""
    if seconds <= 0:
        await handling
        return
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            await handling
    except TimeoutError as exc:
        if not deadline.expired():
            raise
        raise HandlerTimeout(
            f"{queue}: no result after {seconds:g}s; it was stopped (raise "
            f"REELFORGE_HANDLER_TIMEOUTS={queue}=SECONDS if this work legitimately takes longer)"
        ) from exc


def delivery_claim(queue: str, event: Event) -> str:
    """The claim a delivery holds while its handler runs: one per work item of a queue."""
    return f"delivery:{queue}:{event.job_id}:{event.item or '-'}"


async def _claimed(ctx: StageContext, claim: str,
                   handle: Callable[[], Awaitable[None]]) -> None:
    """Run a handler once no other delivery of its work item is running (a redelivery waits
    for the first run, which may outlive its broker connection, then reuses its outputs)."""
    async with ctx.exclusive(claim):
        await handle()


def _wrap(consumer: Consumer, ctx: StageContext,
          timeout: float) -> Callable[[Event], Awaitable[None]]:
    async def deliver(event: Event) -> None:
        job = await ctx.jobs.get_job(event.job_id)
        if job.status == Status.cancelled:
            log.info("dropped_cancelled", queue=consumer.queue, job=event.job_id)
            return
        m = ctx.metrics
        started = time.perf_counter()
        log.debug("deliver", queue=consumer.queue, type=event.type, job=event.job_id,
                  item=event.item)
        m.in_flight.labels(consumer.queue).inc()
        owner = CALL_OWNER.set(CallOwner(job.id, functools.partial(ctx.check_cancelled, job.id)))
        try:
            await _within(timeout, consumer.queue,
                          _claimed(ctx, delivery_claim(consumer.queue, event),
                                   lambda: _unwrapped(consumer.handler(event, ctx))))
        except JobCancelled:
            log.info("cancelled", queue=consumer.queue, job=event.job_id)
            return
        except Explained as exc:
            m.failures.labels(consumer.queue, failure_reason(exc)).inc()
            log.warning("delivery_failed", queue=consumer.queue, job=event.job_id,
                        attempt=event.attempt, error=str(exc))
            raise
        except Exception as exc:
            m.failures.labels(consumer.queue, failure_reason(exc)).inc()
            reference = event.id[:8]
            log.error("delivery_failed_internally", queue=consumer.queue, job=event.job_id,
                      attempt=event.attempt, reference=reference, error=repr(exc))
            log.debug("delivery_failed_internally_trace", reference=reference, exc_info=exc)
            raise InternalStageError(
                f"an internal error stopped the {stage_of(consumer.queue)} stage (reference "
                f"{reference}); retry the job, and report the reference if it happens again"
            ) from exc
        finally:
            CALL_OWNER.reset(owner)
            m.in_flight.labels(consumer.queue).dec()
        seconds = time.perf_counter() - started
        m.stage_duration.labels(consumer.queue).observe(seconds)
        m.completed.labels(consumer.queue).inc()
        log.debug("delivered", queue=consumer.queue, type=event.type, seconds=round(seconds, 3))

    return deliver


async def start_service(service: Service, ctx: StageContext, *,
                        default_timeouts: bool = True) -> None:
    """Subscribe every consumer of `service` to the context's bus. Each delivery is bounded
    by REELFORGE_HANDLER_TIMEOUTS for its queue, else by the consumer's own timeout; without
    `default_timeouts` (embedded mode: no broker closes a slow consumer, and the person
    running it can stop it) only the explicit setting applies, so a slow local model is not
    cut off at 30 minutes."""
    explicit = ctx.settings.handler_timeout_map()
    for consumer in service.consumers:
        prefetch = consumer.prefetch
        if consumer.prefetch_setting:
            prefetch = int(getattr(ctx.settings, consumer.prefetch_setting))
        prefetch *= consumer.prefetch_scale
        timeout = explicit.get(consumer.queue, consumer.timeout if default_timeouts else 0.0)
        await ctx.bus.subscribe(
            consumer.queue, consumer.routing_keys, _wrap(consumer, ctx, timeout), prefetch
        )


def stage_of(queue: str) -> str:
    return queue.split(".")[0]


async def fail_job(jobs: JobStore, bus: Bus, event: Event, stage: str, reason: str) -> None:
    """Mark `stage` and its job failed with `reason` (what the API and the CLI show), and tell
    the bus (`job.failed`) even if the store could not be written."""
    try:
        await jobs.set_stage(event.job_id, stage, Status.failed, reason)
        await jobs.set_job_status(event.job_id, Status.failed, f"{stage}: {reason}")
        await jobs.add_event(ProgressEvent(job_id=event.job_id, stage=stage, kind="failed",
                                           message=reason))
    finally:
        await bus.publish(event.follow(JOB_FAILED, reason=f"{stage}: {reason}"))


def dead_letter_handler(ctx: StageContext) -> Callable[[Event, str, str], Awaitable[None]]:
    """A dead-lettered delivery fails its job with the reason (visible in the API/CLI)."""

    async def on_dead_letter(event: Event, queue: str, reason: str) -> None:
        ctx.metrics.dead_letters.labels(queue).inc()
        await fail_job(ctx.jobs, ctx.bus, event, stage_of(queue), reason)
        ctx.metrics.jobs_finished.labels(Status.failed.value).inc()

    return on_dead_letter

