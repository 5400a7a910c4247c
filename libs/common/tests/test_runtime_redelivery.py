"""A work item is paid for once, even when its delivery comes twice while it runs.

The case the soak met: RabbitMQ closes a worker's connection (a broker restart) while a
handler waits on a paid provider. The handler must go on, store its result and lose only its
ack; the broker redelivers the message once the worker reconnects, and the redelivery must
wait for the first run (the runtime's delivery claim) and then reuse its output instead of
asking the provider again. The connection is closed by the broker itself
(`rabbitmqctl close_connection`: CONNECTION_FORCED, as in a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from reelforge.blobs import LocalBlobStore
from reelforge.bus import Bus, Handler, InMemoryBus
from reelforge.bus.rabbitmq import RabbitMQBus
from reelforge.events import Event
from reelforge.jobstore import JobStore, SQLiteJobStore
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.models import Job
from reelforge.providers import Providers
from reelforge.runtime import (
    Consumer,
    Service,
    StageContext,
    fingerprint,
    output_key,
    start_service,
)
from reelforge.settings import Settings

STAGE = "video"
EVENT = "video.shot"


class GatedProvider:
    """A paid call that does not answer until the test opens the gate."""

    def __init__(self) -> None:
        self.calls = 0
        self.outcomes: list[str] = []
        self.started = asyncio.Event()
        self.second_call = asyncio.Event()
        self.gate = asyncio.Event()

    async def generate(self, item: str) -> bytes:
        self.calls += 1
        self.started.set()
        if self.calls > 1:
            self.second_call.set()
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.outcomes.append("cancelled")
            raise
        self.outcomes.append("ok")
        return f"clip {item}".encode()


class ArrivalsBus:
    """A bus that notes every delivery its handlers receive (before the runtime sees it) and
    every one that ended (returned, raised or was cancelled)."""

    def __init__(self, inner: Bus) -> None:
        self.inner = inner
        self.arrivals: list[str] = []
        self.departures: list[str] = []

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def publish(self, event: Event) -> None:
        await self.inner.publish(event)

    async def subscribe(self, queue: str, routing_keys: Sequence[str], handler: Handler,
                        prefetch: int = 1) -> None:
        async def noted(event: Event) -> None:
            self.arrivals.append(event.id)
            try:
                await handler(event)
            finally:
                self.departures.append(event.id)

        await self.inner.subscribe(queue, routing_keys, noted, prefetch)

    def on_dead_letter(self, callback: Callable[[Event, str, str], Awaitable[None]]) -> None:
        self.inner.on_dead_letter(callback)

    async def queue_depth(self, queue: str) -> int:
        return await self.inner.queue_depth(queue)


class ClipStage:
    """A stage shaped like the real ones: reuse the output if it exists, else call the
    provider, store the output under its content-addressed key and record it."""

    def __init__(self, provider: GatedProvider) -> None:
        self.provider = provider
        self.reused: list[str] = []
        self.stored: list[str] = []

    def key(self, job_id: str, item: str) -> str:
        return output_key(job_id, STAGE, f"{item}.mp4", fingerprint("clip", item))

    async def handle(self, event: Event, ctx: StageContext) -> None:
        assert event.item is not None
        job = await ctx.job(event.job_id)
        key = self.key(job.id, event.item)
        if await ctx.reuse(job, STAGE, key):
            self.reused.append(event.id)
            return
        clip = await self.provider.generate(event.item)
        await ctx.blobs.put(key, clip, "video/mp4")
        await ctx.record(job.id, f"clip/{event.item}", key, STAGE, provider="gated")
        self.stored.append(event.id)


def _context(bus: Bus, jobs: JobStore, blobs: Path) -> StageContext:
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=None)  # type: ignore[arg-type]
    return StageContext(bus, LocalBlobStore(blobs), jobs, providers, Settings())


async def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what} within {timeout:g}s") from None


def _force_close(connection_name: str) -> None:
    """Have the broker close the connection named `connection_name`, as a restart does."""
    listed = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q",
         "--no-table-headers"], capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    pids = [line.split("\t")[0] for line in listed.splitlines()
            if f'"{connection_name}"' in line]
    assert len(pids) == 1, f"expected one connection named {connection_name}: {listed}"
    subprocess.run(["rabbitmqctl", "close_connection", pids[0], "broker restart (test)"],
                   capture_output=True, text=True, timeout=60, check=True)


async def _provider_called_while_waiting(provider: GatedProvider) -> None:
    """Give a redelivery that does not wait for the first run time to call the provider
    (so a regression shows as a second call), then let the first call answer."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(provider.second_call.wait(), 1.0)
    provider.gate.set()


async def test_a_connection_lost_mid_call_costs_no_second_call(
    rabbitmq_url: str, pg_database: Callable[[], str], tmp_path: Path, unique: str
) -> None:
    jobs = PostgresJobStore(pg_database())
    await jobs.start()
    name = f"worker-{unique}"
    worker = RabbitMQBus(f"{rabbitmq_url}?name={name}&reconnect_interval=0.2",
                         exchange=f"test-{unique}", retry_base=0.05, drain_timeout=5)
    publisher = RabbitMQBus(rabbitmq_url, exchange=f"test-{unique}")
    observed = ArrivalsBus(worker)
    provider = GatedProvider()
    stage = ClipStage(provider)
    try:
        await observed.start()
        await publisher.start()
        ctx = _context(observed, jobs, tmp_path / "blobs")
        await start_service(Service("clips", [Consumer(f"{unique}.shots", [EVENT],
                                                       stage.handle)]), ctx)
        job = Job(id=f"job-{unique}", source_key="jobs/x/ingest/doc.json")
        await jobs.create_job(job)
        sent = Event(type=EVENT, job_id=job.id, item="01")
        await publisher.publish(sent)
        await asyncio.wait_for(provider.started.wait(), 30)

        await asyncio.to_thread(_force_close, name)
        await eventually(lambda: len(observed.arrivals) == 2, 60,
                         "the message was not redelivered after the reconnect")
        await _provider_called_while_waiting(provider)
        await eventually(lambda: len(observed.departures) == 2, 60,
                         "the two deliveries did not end")

        assert provider.calls == 1
        assert provider.outcomes == ["ok"]  # the first call was never cancelled
        assert stage.stored == [sent.id] and stage.reused == [sent.id]
        key = stage.key(job.id, "01")
        assert await ctx.blobs.get(key) == b"clip 01"
        record = await jobs.get_artifact(job.id, "clip/01")
        assert record is not None and record.key == key
    finally:
        provider.gate.set()
        await observed.close()
        await publisher.close()
        await jobs.close()


async def test_two_deliveries_of_one_item_at_once_take_turns(tmp_path: Path) -> None:
    """A duplicate event (or a sweep) while the first delivery waits on the provider: the
    second waits for the first's output instead of paying for it again."""
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    bus = ArrivalsBus(InMemoryBus(max_attempts=1))
    provider = GatedProvider()
    stage = ClipStage(provider)
    ctx = _context(bus, jobs, tmp_path / "blobs")
    try:
        await start_service(Service("clips", [Consumer("shots", [EVENT], stage.handle,
                                                       prefetch=2)]), ctx)
        await jobs.create_job(Job(id="j1", source_key="jobs/j1/ingest/doc.json"))
        first = Event(type=EVENT, job_id="j1", item="01")
        await bus.publish(first)
        await asyncio.wait_for(provider.started.wait(), 10)
        duplicate = first.model_copy(update={"id": "duplicate"})
        await bus.publish(duplicate)
        await eventually(lambda: len(bus.arrivals) == 2, 10, "the duplicate was not delivered")
        await _provider_called_while_waiting(provider)
        await eventually(lambda: len(bus.departures) == 2, 10, "the deliveries did not end")
        assert provider.calls == 1
        assert stage.stored == [first.id] and stage.reused == ["duplicate"]
    finally:
        provider.gate.set()
        await bus.close()
        await jobs.close()
