"""Limiter-aware provider proxies: a provider's global limit holds across replicas (two
limiters sharing one Postgres store), every call is measured, and providers are built only
when a stage first uses them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reelforge import limited
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.limited import CallGuard, limit_key, limited_providers
from reelforge.limiter import ProviderLimiter
from reelforge.metrics import Metrics
from reelforge.models import Shot
from reelforge.providers import ClipRequest, PlaneForm, ProviderError
from reelforge.providers.chain import build_chain
from reelforge.runtime import JobCancelled
from reelforge.settings import Settings

pytestmark = pytest.mark.integration


class FakeVideo:
    """Records how many calls run at once across every instance sharing `state`."""

    accepts_last_frame = False
    streams_frames = False

    def __init__(self, state: dict[str, int], name: str = "fake", fail: bool = False) -> None:
        self.name = name
        self.state = state
        self.fail = fail

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        self.state["now"] += 1
        self.state["max"] = max(self.state["max"], self.state["now"])
        try:
            await asyncio.sleep(0.15)
            if self.fail:
                raise ProviderError(self.name, "refused", permanent=True)
            return b"mp4"
        finally:
            self.state["now"] -= 1


REQUEST = ClipRequest(
    frame_png=b"png", width=64, height=64,
    shot=Shot(scene=1, camera="drift", action="a", atmosphere="b", prompt="c", duration=1.0),
)


@pytest.fixture
async def jobs(pg_database: Callable[[], str]) -> AsyncIterator[PostgresJobStore]:
    store = PostgresJobStore(pg_database())
    await store.start()
    yield store
    await store.close()


def replica(jobs: PostgresJobStore, name: str, limits: dict[str, int], journal: Path,
            state: dict[str, int], **fake: Any) -> tuple[Any, Metrics]:
    metrics = Metrics()
    limiter = ProviderLimiter(
        jobs, limits, holder_prefix=name, ttl=5, poll=0.02, max_poll=0.1,
        on_wait=lambda p, s: metrics.rate_limit_wait.labels(p).observe(s),
    )
    guard = CallGuard(limiter, limits, metrics, journal)
    return build_chain("video", [FakeVideo(state, **fake)], guard), metrics


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return float(value or 0.0)


def test_limit_key_prefers_the_capability_qualified_name() -> None:
    limits = {"video.local": 2, "local": 8, "seedance": 4}
    assert limit_key("video", "local", limits) == "video.local"
    assert limit_key("image", "local", limits) == "local"
    assert limit_key("video", "seedance", limits) == "seedance"
    assert limit_key("video", "fal", limits) is None
    assert Settings(provider_limits="seedance=4, openai=8").provider_limit_map() == {
        "seedance": 4, "openai": 8}
    with pytest.raises(ValueError, match="NAME=N"):
        Settings(provider_limits="seedance").provider_limit_map()


async def test_a_global_limit_holds_across_replicas(jobs: PostgresJobStore,
                                                    tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    state = {"now": 0, "max": 0}
    first, m1 = replica(jobs, "r1", {"fake": 2}, journal, state)
    second, m2 = replica(jobs, "r2", {"fake": 2}, journal, state)
    calls = [c.generate(REQUEST, 1.0) for c in (first, second) for _ in range(5)]
    assert await asyncio.gather(*calls) == [b"mp4"] * 10
    assert state["max"] == 2, "more concurrent calls than the global limit"
    for m in (m1, m2):
        assert sample(m, "reelforge_provider_latency_seconds_count",
                      capability="video", provider="fake") == 5
    waits = sum(sample(m, "reelforge_rate_limit_wait_seconds_count", provider="fake")
                for m in (m1, m2))
    assert waits >= 6  # at most 2 of the 10 got a slot at once
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert len(lines) == 10
    assert {(x["capability"], x["provider"], x["outcome"]) for x in lines} == {
        ("video", "fake", "ok")}


async def test_unlimited_providers_are_measured_but_not_throttled(
    jobs: PostgresJobStore, tmp_path: Path
) -> None:
    state = {"now": 0, "max": 0}
    chain, metrics = replica(jobs, "r1", {"other": 1}, tmp_path / "j", state)
    await asyncio.gather(*(chain.generate(REQUEST, 1.0) for _ in range(4)))
    assert state["max"] == 4
    assert sample(metrics, "reelforge_provider_latency_seconds_count",
                  capability="video", provider="fake") == 4


async def test_a_failed_call_releases_its_slot_and_is_journaled(
    jobs: PostgresJobStore, tmp_path: Path
) -> None:
    journal = tmp_path / "calls.jsonl"
    chain, _ = replica(jobs, "r1", {"fake": 1}, journal, {"now": 0, "max": 0}, fail=True)
    for _ in range(2):  # the second call would wait forever if the first kept its slot
        with pytest.raises(ProviderError):
            await asyncio.wait_for(chain.generate(REQUEST, 1.0), 5)
    outcomes = [json.loads(line)["outcome"] for line in journal.read_text().splitlines()]
    assert outcomes == ["permanent", "permanent"]
    assert await jobs.acquire_slot("fake", "probe", 1, 5)


async def test_providers_are_built_on_first_use(tmp_path: Path) -> None:
    built: list[tuple[str, str]] = []
    state = {"now": 0, "max": 0}

    def fake_create(capability: str, name: str, settings: Settings) -> Any:
        built.append((capability, name))
        return FakeVideo(state, name=name)

    guard = CallGuard(None, {}, Metrics(), tmp_path / "j")
    providers = limited_providers(Settings(video="seedance,local"), guard, create=fake_create)
    assert built == []  # nothing built: a worker pays only for what its stage calls
    assert providers.video.name == "seedance,local"
    assert built == [("video", "seedance"), ("video", "local")]
    assert await providers.video.generate(REQUEST, 1.0) == b"mp4"
    assert built == [("video", "seedance"), ("video", "local")]  # built once


class StreamingVideo(FakeVideo):
    """Like the local generator: frames streamed to the caller, who encodes them."""

    streams_frames = True

    def frames(self, request: ClipRequest, duration: float, form: PlaneForm,
               grade: Any = None) -> Iterator[int]:
        self.state["now"] += 1
        self.state["max"] = max(self.state["max"], self.state["now"])
        try:
            for i in range(3):
                time.sleep(0.05)
                yield i
        finally:
            self.state["now"] -= 1


async def test_streamed_frames_are_limited_and_measured_too(
    jobs: PostgresJobStore, tmp_path: Path
) -> None:
    state = {"now": 0, "max": 0}

    def streaming(capability: str, name: str, settings: Settings) -> StreamingVideo:
        return StreamingVideo(state, name=name)

    journal = tmp_path / "calls.jsonl"
    replicas = []
    for name in ("r1", "r2"):
        metrics = Metrics()
        limiter = ProviderLimiter(jobs, {"video.local": 1}, holder_prefix=name, ttl=5, poll=0.02)
        guard = CallGuard(limiter, {"video.local": 1}, metrics, journal)
        replicas.append((limited_providers(Settings(), guard, create=streaming), metrics))

    async def render(providers: Any) -> int:
        frames = providers.video.frames(REQUEST, 1.0, "luma")  # what the video stage does
        return await asyncio.to_thread(lambda: sum(1 for _ in frames))

    counts = await asyncio.gather(*(render(p) for p, _ in replicas for _ in range(3)))
    assert counts == [3] * 6
    assert state["max"] == 1
    for _, metrics in replicas:
        assert sample(metrics, "reelforge_provider_latency_seconds_count",
                      capability="video", provider="local") == 3
    assert len(journal.read_text().splitlines()) == 6


class GatedVideo(FakeVideo):
    """Holds each call until `release` is set."""

    def __init__(self, state: dict[str, int]) -> None:
        super().__init__(state)
        self.release = asyncio.Event()
        self.calls = 0

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        self.calls += 1
        await self.release.wait()
        return b"mp4"


async def test_a_call_that_queued_for_its_slot_rechecks_its_job(
    jobs: PostgresJobStore, tmp_path: Path
) -> None:
    """The job is checked once the global slot is ours: a call that waited while its job
    was cancelled never starts, and its slot is free for the next job."""
    journal = tmp_path / "calls.jsonl"
    limits = {"fake": 1}
    limiter = ProviderLimiter(jobs, limits, holder_prefix="r1", ttl=5, poll=0.02, max_poll=0.1)
    video = GatedVideo({"now": 0, "max": 0})
    chain = build_chain("video", [video], CallGuard(limiter, limits, Metrics(), journal))
    cancelled: set[str] = set()

    async def call_for(job: str) -> bytes:
        async def check() -> None:
            if job in cancelled:
                raise JobCancelled(f"job {job} was cancelled")

        limited.CALL_OWNER.set(limited.CallOwner(job, check))  # as the runtime does
        result: bytes = await chain.generate(REQUEST, 1.0)
        return result

    first = asyncio.create_task(call_for("a"))
    while video.calls == 0:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(call_for("b"))
    await asyncio.sleep(0.3)  # b is waiting for a's slot
    cancelled.add("b")
    video.release.set()
    assert await first == b"mp4"
    with pytest.raises(JobCancelled):
        await asyncio.wait_for(second, 5)
    assert video.calls == 1, "a call started for a cancelled job"
    assert await asyncio.wait_for(call_for("c"), 5) == b"mp4"  # b left the slot free
    assert [(c["job"], c["outcome"]) for c in map(json.loads, journal.read_text().splitlines())
            ] == [("a", "ok"), ("c", "ok")]


async def test_a_streamed_call_rechecks_the_job_of_the_task_that_asked(
    jobs: PostgresJobStore, tmp_path: Path
) -> None:
    """The local generator's frames are pulled on a worker thread, outside the delivery's
    context: the check is taken from the task that asked for them."""
    state = {"now": 0, "max": 0}
    limiter = ProviderLimiter(jobs, {"video.local": 1}, holder_prefix="r1", ttl=5, poll=0.02)
    guard = CallGuard(limiter, {"video.local": 1}, Metrics(), tmp_path / "calls.jsonl")
    providers = limited_providers(Settings(), guard,
                                  create=lambda cap, name, s: StreamingVideo(state, name=name))

    async def refuse() -> None:
        raise JobCancelled("job x was cancelled")

    limited.CALL_OWNER.set(limited.CallOwner("x", refuse))
    frames = providers.video.frames(REQUEST, 1.0, "luma")
    with pytest.raises(JobCancelled):
        await asyncio.to_thread(lambda: list(frames))
    assert state["max"] == 0, "frames were made for a cancelled job"
    assert not (tmp_path / "calls.jsonl").exists()
