"""The Bus contract, run against InMemoryBus and RabbitMQBus.

A `BusKit` hides what differs between the two: for RabbitMQ every `make()` is a new process
(connection) on the same broker and `crash()` drops its connection; for the in-memory bus the
bus *is* the broker, so `make()` hands back the same bus and `crash()` kills the queue's
consumer (which is all a crash can mean inside one process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from reelforge.bus import Bus, InMemoryBus, Permanent
from reelforge.bus.rabbitmq import RabbitMQBus
from reelforge.events import Event

RETRY_BASE = 0.05
MAX_REDELIVERIES = 2


@dataclass
class BusKit:
    name: str
    make: Callable[[], Awaitable[Bus]]
    crash: Callable[[Bus, str], Awaitable[None]]
    stop: Callable[[Bus, str], Awaitable[None]]
    dead_letters: Callable[[Bus, str], Awaitable[list[tuple[Event, str]]]]
    buses: list[Bus] = field(default_factory=list)


async def _memory_kit() -> BusKit:
    bus = InMemoryBus(max_attempts=3, retry_base=RETRY_BASE, max_redeliveries=MAX_REDELIVERIES)

    async def make() -> Bus:
        return bus

    async def crash(b: Bus, queue: str) -> None:
        assert isinstance(b, InMemoryBus)
        await b.stop_consumer(queue)

    async def dead_letters(b: Bus, queue: str) -> list[tuple[Event, str]]:
        assert isinstance(b, InMemoryBus)
        return list(b.dead_letters)

    return BusKit("memory", make, crash, crash, dead_letters, [bus])


async def _rabbit_kit(url: str, exchange: str) -> BusKit:
    kit: BusKit

    async def make() -> Bus:
        bus = RabbitMQBus(url, exchange=exchange, max_attempts=3, retry_base=RETRY_BASE,
                          drain_timeout=5, max_redeliveries=MAX_REDELIVERIES)
        await bus.start()
        kit.buses.append(bus)
        return bus

    async def crash(b: Bus, queue: str) -> None:
        assert isinstance(b, RabbitMQBus)
        await b.abort()

    async def stop(b: Bus, queue: str) -> None:
        await b.close()

    async def dead_letters(b: Bus, queue: str) -> list[tuple[Event, str]]:
        assert isinstance(b, RabbitMQBus)
        return await b.dead_letters(queue)

    kit = BusKit("rabbitmq", make, crash, stop, dead_letters)
    return kit


@pytest.fixture(params=["memory", "rabbitmq"])
async def kit(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[BusKit]:
    if request.param == "memory":
        k = await _memory_kit()
    else:
        k = await _rabbit_kit(request.getfixturevalue("rabbitmq_url"), f"test-{unique}")
    yield k
    for bus in k.buses:
        await bus.close()


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def ev(type: str, job: str = "job-1", **kw: object) -> Event:
    return Event(type=type, job_id=job, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- routing


async def test_routes_by_topic_with_wildcards(kit: BusKit, unique: str) -> None:
    bus = await kit.make()
    got: dict[str, list[str]] = {"one": [], "hash": [], "exact": []}

    def collect(name: str) -> Callable[[Event], Awaitable[None]]:
        async def handler(event: Event) -> None:
            got[name].append(event.type)

        return handler

    await bus.subscribe(f"{unique}.one", ["script.*"], collect("one"))
    await bus.subscribe(f"{unique}.hash", ["#.completed"], collect("hash"))
    await bus.subscribe(f"{unique}.exact", ["video.shot", "job.failed"], collect("exact"))
    for t in ["script.completed", "video.shot", "job.completed", "storyboard.scene",
              "audio.completed"]:
        await bus.publish(ev(t))
    await eventually(lambda: len(got["hash"]) == 3 and bool(got["one"] and got["exact"]))
    await asyncio.sleep(0.2)  # nothing else may arrive
    assert got["one"] == ["script.completed"]
    assert sorted(got["hash"]) == ["audio.completed", "job.completed", "script.completed"]
    assert got["exact"] == ["video.shot"]


async def test_prefetch_bounds_concurrency(kit: BusKit, unique: str) -> None:
    bus = await kit.make()
    active, peak, done = 0, 0, []

    async def handler(event: Event) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.1)
        active -= 1
        done.append(event.id)

    await bus.subscribe(f"{unique}.work", ["video.shot"], handler, prefetch=3)
    for i in range(10):
        await bus.publish(ev("video.shot", item=str(i)))
    await eventually(lambda: len(done) == 10)
    assert peak == 3


# --------------------------------------------------------------------------- failures


async def test_failing_handler_is_retried_then_dead_lettered(kit: BusKit, unique: str) -> None:
    bus = await kit.make()
    queue = f"{unique}.fails"
    attempts: list[int] = []
    dead: list[tuple[Event, str, str]] = []

    async def handler(event: Event) -> None:
        attempts.append(event.attempt)
        raise RuntimeError("boom")

    async def on_dead(event: Event, q: str, reason: str) -> None:
        dead.append((event, q, reason))

    bus.on_dead_letter(on_dead)
    await bus.subscribe(queue, ["script.completed"], handler)
    sent = ev("script.completed")
    await bus.publish(sent)
    await eventually(lambda: len(dead) == 1)
    assert attempts == [1, 2, 3]
    event, q, reason = dead[0]
    assert (event.id, event.attempt, q) == (sent.id, 3, queue)
    assert reason == "RuntimeError: boom"
    letters = await kit.dead_letters(bus, queue)
    assert [(e.id, r) for e, r in letters] == [(sent.id, "RuntimeError: boom")]
    assert await bus.queue_depth(queue) == 0


async def test_transient_failure_succeeds_on_retry(kit: BusKit, unique: str) -> None:
    bus = await kit.make()
    attempts: list[int] = []
    dead: list[str] = []

    async def handler(event: Event) -> None:
        attempts.append(event.attempt)
        if event.attempt == 1:
            raise ConnectionError("provider hiccup")

    async def on_dead(event: Event, q: str, reason: str) -> None:
        dead.append(reason)

    bus.on_dead_letter(on_dead)
    await bus.subscribe(f"{unique}.flaky", ["audio.completed"], handler)
    await bus.publish(ev("audio.completed"))
    await eventually(lambda: attempts == [1, 2])
    await asyncio.sleep(0.3)
    assert attempts == [1, 2] and dead == []


async def test_permanent_goes_straight_to_the_dead_letter_queue(
    kit: BusKit, unique: str
) -> None:
    bus = await kit.make()
    queue = f"{unique}.permanent"
    attempts: list[int] = []
    dead: list[tuple[str, str]] = []

    async def handler(event: Event) -> None:
        attempts.append(event.attempt)
        raise Permanent("the document is empty")

    async def on_dead(event: Event, q: str, reason: str) -> None:
        dead.append((q, reason))

    bus.on_dead_letter(on_dead)
    await bus.subscribe(queue, ["job.submitted"], handler)
    await bus.publish(ev("job.submitted"))
    await eventually(lambda: len(dead) == 1)
    await asyncio.sleep(0.2)
    assert attempts == [1]
    assert dead == [(queue, "Permanent: the document is empty")]


# --------------------------------------------------------------------------- durability


async def test_a_delivery_whose_consumer_crashed_is_redelivered(kit: BusKit, unique: str) -> None:
    queue = f"{unique}.crashy"
    first = await kit.make()
    started = asyncio.Event()
    finished: list[str] = []

    async def hangs(event: Event) -> None:
        started.set()
        await asyncio.sleep(3600)  # never acks
        finished.append(event.id)

    await first.subscribe(queue, ["video.shot"], hangs)
    publisher = await kit.make()
    sent = ev("video.shot", item="03")
    await publisher.publish(sent)
    await asyncio.wait_for(started.wait(), 10)
    await kit.crash(first, queue)

    redelivered: list[Event] = []

    async def handler(event: Event) -> None:
        redelivered.append(event)

    second = await kit.make()
    await second.subscribe(queue, ["video.shot"], handler)
    await eventually(lambda: len(redelivered) == 1)
    assert redelivered[0].id == sent.id
    assert redelivered[0].attempt == 1  # it did not fail: no attempt is charged
    assert finished == []


async def test_a_delivery_that_kills_every_consumer_is_dead_lettered_not_looped(
    kit: BusKit, unique: str
) -> None:
    """A handler that takes its worker down (out of memory, a native crash) each time gets
    MAX_REDELIVERIES tries; the next delivery goes to the dead letters with the reason, and
    the dead-letter callback (which fails the job) runs, instead of crashing workers forever."""
    queue = f"{unique}.poison"
    calls: list[str] = []
    failed: list[tuple[str, str]] = []

    async def crashes(event: Event) -> None:
        calls.append(event.id)
        await asyncio.sleep(3600)  # the crash comes from outside, mid-handler

    async def on_dead_letter(event: Event, queue: str, reason: str) -> None:
        failed.append((event.id, reason))

    sent = ev("video.shot", item="07")
    watched: set[int] = set()  # the in-memory kit hands out one bus again and again
    for delivery in range(MAX_REDELIVERIES + 1):
        bus = await kit.make()
        if id(bus) not in watched:
            bus.on_dead_letter(on_dead_letter)
            watched.add(id(bus))
        await bus.subscribe(queue, ["video.shot"], crashes)
        if delivery == 0:
            await bus.publish(sent)
        if delivery < MAX_REDELIVERIES:
            await eventually(lambda n=delivery: len(calls) == n + 1)
            await kit.crash(bus, queue)
    await eventually(lambda: len(failed) == 1)
    assert calls == [sent.id] * MAX_REDELIVERIES  # never handed to the handler again
    assert failed[0][0] == sent.id
    assert f"delivered {MAX_REDELIVERIES} times without finishing" in failed[0][1]
    letters = await kit.dead_letters(bus, queue)
    assert [(e.id, r) for e, r in letters] == failed


async def test_messages_wait_in_the_queue_across_a_consumer_restart(
    kit: BusKit, unique: str
) -> None:
    queue = f"{unique}.restart"
    first = await kit.make()

    async def ignore(event: Event) -> None:
        return None

    await first.subscribe(queue, ["storyboard.scene"], ignore)
    await kit.stop(first, queue)

    publisher = await kit.make()
    sent = [ev("storyboard.scene", item=f"{i:02d}") for i in range(1, 4)]
    for e in sent:
        await publisher.publish(e)
    depth = 0
    deadline = time.monotonic() + 5
    while depth < 3 and time.monotonic() < deadline:
        depth = await publisher.queue_depth(queue)
        await asyncio.sleep(0.05)
    assert depth == 3

    got: list[str] = []

    async def handler(event: Event) -> None:
        got.append(event.id)

    second = await kit.make()
    await second.subscribe(queue, ["storyboard.scene"], handler, prefetch=2)
    await eventually(lambda: len(got) == 3)
    assert sorted(got) == sorted(e.id for e in sent)


# --------------------------------------------------------------------------- RabbitMQ only


@pytest.fixture
async def rabbit(
    rabbitmq_url: str, unique: str
) -> AsyncIterator[Callable[[], Awaitable[RabbitMQBus]]]:
    made: list[RabbitMQBus] = []

    async def make() -> RabbitMQBus:
        bus = RabbitMQBus(rabbitmq_url, exchange=f"test-{unique}", retry_base=RETRY_BASE,
                          drain_timeout=5)
        await bus.start()
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()


async def test_rabbitmq_close_drains_in_flight_handlers(
    rabbit: Callable[[], Awaitable[RabbitMQBus]], unique: str
) -> None:
    queue = f"{unique}.drain"
    bus = await rabbit()
    started = asyncio.Event()
    finished: list[str] = []

    async def slow(event: Event) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(event.id)

    await bus.subscribe(queue, ["video.shot"], slow)
    await bus.publish(ev("video.shot"))
    await asyncio.wait_for(started.wait(), 10)
    await bus.close()
    assert len(finished) == 1  # it finished and was acked: nothing comes back
    other = await rabbit()
    seen: list[str] = []

    async def handler(event: Event) -> None:
        seen.append(event.id)

    await other.subscribe(queue, ["video.shot"], handler)
    await asyncio.sleep(0.5)
    assert seen == []


async def test_rabbitmq_undecodable_message_is_dead_lettered(
    rabbit: Callable[[], Awaitable[RabbitMQBus]], rabbitmq_url: str, unique: str
) -> None:
    import aio_pika

    queue = f"{unique}.garbage"
    bus = await rabbit()
    calls: list[Event] = []

    async def handler(event: Event) -> None:
        calls.append(event)

    await bus.subscribe(queue, ["script.completed"], handler)
    conn = await aio_pika.connect(rabbitmq_url)
    try:
        channel = await conn.channel()
        exchange = await channel.get_exchange(f"test-{unique}")
        await exchange.publish(aio_pika.Message(b"not json"), routing_key="script.completed")
    finally:
        await conn.close()
    deadline = time.monotonic() + 10
    while await bus.queue_depth(f"{queue}.dlq") != 1:
        assert time.monotonic() < deadline, "the bad message never reached the DLQ"
        await asyncio.sleep(0.05)
    assert calls == []


async def test_rabbitmq_close_requeues_what_outlives_the_drain_timeout(
    rabbitmq_url: str, rabbit: Callable[[], Awaitable[RabbitMQBus]], unique: str
) -> None:
    queue = f"{unique}.stuck"
    bus = RabbitMQBus(rabbitmq_url, exchange=f"test-{unique}", drain_timeout=0.2)
    await bus.start()
    started = asyncio.Event()

    async def forever(event: Event) -> None:
        started.set()
        await asyncio.sleep(3600)

    await bus.subscribe(queue, ["video.shot"], forever)
    sent = ev("video.shot")
    await bus.publish(sent)
    await asyncio.wait_for(started.wait(), 10)
    began = time.monotonic()
    await bus.close()
    assert time.monotonic() - began < 3
    other = await rabbit()
    seen: list[Event] = []

    async def handler(event: Event) -> None:
        seen.append(event)

    await other.subscribe(queue, ["video.shot"], handler)
    await eventually(lambda: len(seen) == 1)
    assert (seen[0].id, seen[0].attempt) == (sent.id, 1)
