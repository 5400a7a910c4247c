"""A delivery whose handler never answers is stopped at its queue's timeout and treated as a
failure (retried, then dead-lettered with a reason that says what to change), instead of
holding its delivery, and a worker's prefetch slot, forever."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from reelforge.blobs import LocalBlobStore
from reelforge.bus.memory import InMemoryBus
from reelforge.events import JOB_SUBMITTED, Event
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.models import Job
from reelforge.providers import Providers
from reelforge.providers.base import ProviderError
from reelforge.runtime import Consumer, Service, StageContext, start_service
from reelforge.settings import Settings


async def run_one(tmp_path: Path, handler: Any, settings: Settings, timeout: float = 3600.0,
                  default_timeouts: bool = True) -> tuple[int, list[tuple[Event, str]]]:
    bus = InMemoryBus(max_attempts=2, retry_base=0.01)
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=None)  # type: ignore[arg-type]
    ctx = StageContext(bus, LocalBlobStore(tmp_path / "blobs"), jobs, providers, settings)
    calls = 0

    async def counted(event: Event, ctx: Any) -> None:
        nonlocal calls
        calls += 1
        await handler()

    await start_service(Service("test", [Consumer("hangs", [JOB_SUBMITTED], counted,
                                                  timeout=timeout)]), ctx,
                        default_timeouts=default_timeouts)
    try:
        await jobs.create_job(Job(id="j1", source_key="jobs/j1/ingest/doc.json"))
        await bus.publish(Event(type=JOB_SUBMITTED, job_id="j1"))
        await asyncio.wait_for(bus.wait_idle(), 30)
    finally:
        await bus.close()
        await jobs.close()
    return calls, bus.dead_letters


async def hang() -> None:
    await asyncio.Event().wait()


async def test_a_hung_handler_is_stopped_retried_and_dead_lettered(tmp_path: Path) -> None:
    calls, letters = await run_one(tmp_path, hang, Settings(), timeout=0.2)
    assert calls == 2  # max_attempts
    [(_, reason)] = letters
    assert reason.startswith("HandlerTimeout: hangs: no result after 0.2s")
    assert "REELFORGE_HANDLER_TIMEOUTS=hangs=SECONDS" in reason


async def test_the_setting_overrides_a_queues_timeout(tmp_path: Path) -> None:
    settings = Settings(handler_timeouts="other=5,hangs=0.2")
    calls, letters = await run_one(tmp_path, hang, settings, timeout=3600)
    assert calls == 2 and "no result after 0.2s" in letters[0][1]


async def test_a_timeout_the_handler_raises_itself_is_not_ours(tmp_path: Path) -> None:
    async def provider_timed_out() -> None:
        raise TimeoutError("the provider did not answer")

    _, letters = await run_one(tmp_path, provider_timed_out, Settings(), timeout=60)
    assert "HandlerTimeout" not in letters[0][1]  # an unexplained error of the handler's own
    assert letters[0][1].startswith("InternalStageError: an internal error stopped the hangs")


def test_malformed_timeouts_are_refused_with_the_variable_named() -> None:
    with pytest.raises(ValueError, match=r"REELFORGE_HANDLER_TIMEOUTS: 'video\.shots=soon'"):
        Settings(handler_timeouts="video.shots=soon").handler_timeout_map()
    assert Settings(handler_timeouts="video.shots=900, assembly.render=0").handler_timeout_map() \
        == {"video.shots": 900.0, "assembly.render": 0.0}


async def test_an_unexpected_error_reaches_the_job_as_a_reference_not_its_text(
    tmp_path: Path,
) -> None:
    """A driver's exception text (a column name, a path, an address) is for the logs; the
    job's owner reads that an internal error happened, with a reference to report."""
    async def breaks() -> None:
        raise KeyError("pg_catalog.secret_column at 10.0.3.7")

    _, letters = await run_one(tmp_path, breaks, Settings())
    [(event, reason)] = letters
    assert reason == (f"InternalStageError: an internal error stopped the hangs stage "
                      f"(reference {event.id[:8]}); retry the job, and report the reference "
                      f"if it happens again")


async def test_an_explained_error_reaches_the_job_as_written(tmp_path: Path) -> None:
    async def refused() -> None:
        raise ProviderError("seedance", "the prompt was rejected on content grounds")

    _, letters = await run_one(tmp_path, refused, Settings())
    assert letters[0][1] == "ProviderError: seedance: the prompt was rejected on content grounds"


async def test_embedded_mode_applies_only_timeouts_the_user_set(tmp_path: Path) -> None:
    """No broker closes a slow consumer in one process, and a small local model may take an
    hour: there a consumer's own default does not apply, an explicit setting does."""
    async def slow() -> None:
        await asyncio.sleep(0.5)

    calls, letters = await run_one(tmp_path / "a", slow, Settings(), timeout=0.2,
                                   default_timeouts=False)
    assert calls == 1 and letters == []
    _, letters = await run_one(tmp_path / "b", slow, Settings(handler_timeouts="hangs=0.2"),
                               timeout=3600, default_timeouts=False)
    assert "no result after 0.2s" in letters[0][1]
