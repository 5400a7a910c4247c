"""ProviderLimiter over both job stores: two "replicas" (limiter + store each) share a limit."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from reelforge.jobstore import JobStore, SQLiteJobStore
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.limiter import ProviderLimiter


@pytest.fixture(params=["sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[JobStore, JobStore]]:
    pair: list[JobStore]
    if request.param == "sqlite":
        pair = [SQLiteJobStore(tmp_path / "jobs.db") for _ in range(2)]
    else:
        dsn = request.getfixturevalue("pg_dsn")
        pair = [PostgresJobStore(dsn, max_size=4) for _ in range(2)]
    for s in pair:
        await s.start()
    yield pair[0], pair[1]
    for s in pair:
        await s.close()


async def test_concurrent_calls_are_bounded_across_replicas(
    stores: tuple[JobStore, JobStore], unique: str
) -> None:
    provider = f"seedance-{unique}"
    waits: list[tuple[str, float]] = []
    replicas = [
        ProviderLimiter(store, {provider: 2}, f"replica-{i}", ttl=30, poll=0.01,
                        on_wait=lambda p, s: waits.append((p, s)))
        for i, store in enumerate(stores)
    ]
    active, peak, done = 0, 0, 0

    async def call(n: int) -> None:
        nonlocal active, peak, done
        async with replicas[n % 2].slot(provider):
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(random.uniform(0.01, 0.04))
            active -= 1
            done += 1

    await asyncio.gather(*(call(n) for n in range(12)))
    assert (done, peak) == (12, 2)
    assert waits and all(p == provider and s > 0 for p, s in waits)


async def test_unlimited_provider_passes_and_slots_are_released_on_errors(
    stores: tuple[JobStore, JobStore], unique: str
) -> None:
    provider = f"openai-{unique}"
    limiter = ProviderLimiter(stores[0], {provider: 1}, "replica-0", ttl=30, poll=0.01)
    async with limiter.slot("local"):  # no limit configured: no store round trip needed
        pass
    with pytest.raises(RuntimeError):
        async with limiter.slot(provider):
            raise RuntimeError("provider said 500")
    async with asyncio.timeout(2):  # the slot came back
        async with limiter.slot(provider):
            pass
    # a call cancelled while it holds the slot, and one cancelled while waiting
    holding = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot(provider):
            holding.set()
            await asyncio.sleep(3600)

    holder = asyncio.create_task(hold())
    await holding.wait()
    waiter = asyncio.create_task(limiter.slot(provider).__aenter__())
    await asyncio.sleep(0.05)
    for task in (waiter, holder):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await stores[1].acquire_slot(provider, "probe", 1, ttl=30)


async def test_a_crashed_holder_is_evicted_and_a_live_one_keeps_renewing(
    stores: tuple[JobStore, JobStore], unique: str
) -> None:
    provider = f"replicate-{unique}"
    # a replica that died while holding the only slot (never released)
    assert await stores[0].acquire_slot(provider, "dead-replica:1", 1, ttl=0.3)
    limiter = ProviderLimiter(stores[1], {provider: 1}, "replica-1", ttl=0.3, poll=0.02)
    started = time.monotonic()
    async with limiter.slot(provider):
        waited = time.monotonic() - started
        assert 0.15 < waited < 3
        # a call far longer than ttl keeps its slot: the limiter renews it every ttl/3
        await asyncio.sleep(1.0)
        assert not await stores[0].acquire_slot(provider, "other", 1, ttl=0.3)
    assert await stores[0].acquire_slot(provider, "other", 1, ttl=0.3)


async def test_a_call_cancelled_mid_transaction_leaves_the_store_writable(
    stores: tuple[JobStore, JobStore], unique: str
) -> None:
    """A cancellation can land while the store's write transaction is starting (SQLite's
    BEGIN runs on aiosqlite's thread whatever happens to the awaiting task): the other
    replica must still get its slot at once, not wait out a transaction nobody will end."""
    provider = f"fal-{unique}"
    for turn in range(40):
        attempt = asyncio.create_task(stores[0].acquire_slot(provider, f"r0-{turn}", 1, ttl=0))
        for _ in range(turn % 4):
            await asyncio.sleep(0)
        attempt.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await attempt
        async with asyncio.timeout(2):
            assert await stores[1].acquire_slot(provider, f"r1-{turn}", 40, ttl=0)
