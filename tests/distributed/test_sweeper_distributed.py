"""The sweeper against the Postgres job store: which event drives a stuck job, the lease that
lets one sweeper act at a time, and at most one re-publish per deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from reelforge.bus import InMemoryBus
from reelforge.events import (
    ASSEMBLY_READY,
    AUDIO_COMPLETED,
    JOB_FAILED,
    JOB_SUBMITTED,
    SCRIPT_COMPLETED,
    STORYBOARD_COMPLETED,
    VIDEO_COMPLETED,
    Event,
)
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.models import ArtifactRecord, Job, Status
from reelforge.sweeper import Sweeper, current_events

pytestmark = pytest.mark.integration


@pytest.fixture
async def jobs(pg_database: Callable[[], str]) -> AsyncIterator[PostgresJobStore]:
    store = PostgresJobStore(pg_database())
    await store.start()
    yield store
    await store.close()


@pytest.fixture
async def bus() -> AsyncIterator[tuple[InMemoryBus, list[Event]]]:
    bus = InMemoryBus()
    seen: list[Event] = []

    async def collect(event: Event) -> None:
        seen.append(event)

    await bus.subscribe("observer", ["#"], collect)
    yield bus, seen
    await bus.close()


async def new_job(jobs: PostgresJobStore, unique: str, **stages: Status) -> Job:
    job = Job(id=f"job-{unique}-{len(stages)}-{'-'.join(stages)}", tenant="t",
              status=Status.running, source_key=f"jobs/{unique}/ingest/document.json")
    await jobs.create_job(job)
    for stage, status in stages.items():
        await jobs.set_stage(job.id, stage, status)
    return await jobs.get_job(job.id)


C, R, Q = Status.completed, Status.running, Status.queued

RULES: list[tuple[dict[str, Status], list[str]]] = [
    ({}, [JOB_SUBMITTED]),
    ({"script": R}, [JOB_SUBMITTED]),
    ({"script": C}, [SCRIPT_COMPLETED]),
    ({"script": C, "audio": C, "storyboard": R}, [SCRIPT_COMPLETED]),
    ({"script": C, "audio": R, "storyboard": C, "video": R},
     [SCRIPT_COMPLETED, STORYBOARD_COMPLETED]),
    ({"script": C, "audio": C, "storyboard": C, "video": R}, [STORYBOARD_COMPLETED]),
    ({"script": C, "audio": C, "storyboard": C, "video": C}, [AUDIO_COMPLETED, VIDEO_COMPLETED]),
    ({"script": C, "audio": C, "storyboard": C, "video": C, "assembly": C}, [ASSEMBLY_READY]),
]


@pytest.mark.parametrize(("stages", "expected"), RULES,
                         ids=["new", "script-running", "script-done", "storyboard-running",
                              "audio-and-video-running", "video-running", "assembly-pending",
                              "all-done"])
async def test_current_event_follows_the_stage_states(
    jobs: PostgresJobStore, unique: str, stages: dict[str, Status], expected: list[str]
) -> None:
    job = await new_job(jobs, unique, **stages)
    assert await current_events(job, jobs) == expected


async def test_assembly_ready_when_the_fan_in_already_counted_both(
    jobs: PostgresJobStore, unique: str
) -> None:
    job = await new_job(jobs, unique, script=C, audio=C, storyboard=C, video=C)
    await jobs.add_items(job.id, job.group("assembly"), ["audio", "video"])
    await jobs.complete_item(job.id, job.group("assembly"), "audio")
    assert await current_events(job, jobs) == [AUDIO_COMPLETED, VIDEO_COMPLETED]
    await jobs.complete_item(job.id, job.group("assembly"), "video")
    assert await current_events(job, jobs) == [ASSEMBLY_READY]


async def test_a_stuck_job_is_republished_once_per_deadline_by_one_sweeper(
    jobs: PostgresJobStore, bus: tuple[InMemoryBus, list[Event]], unique: str
) -> None:
    memory, seen = bus
    job = await new_job(jobs, unique, script=C, audio=C, storyboard=C, video=R)
    await jobs.record_artifact(job.id, ArtifactRecord(name="script", key="k/script.json",
                                                      stage="script"))
    a = Sweeper(memory, jobs, deadline=1.0, interval=0.2, holder="a")
    b = Sweeper(memory, jobs, deadline=1.0, interval=0.2, holder="b")
    assert await a.sweep() == [] and await b.sweep() == []  # nothing is stuck yet
    await asyncio.sleep(1.2)
    first, second = await a.sweep(), await b.sweep()
    swept = dict(first)
    assert swept[job.id] == [STORYBOARD_COMPLETED]
    assert second == [], "the other sweeper must not act while `a` holds the lease"
    await memory.wait_idle()
    mine = [e for e in seen if e.job_id == job.id]
    assert [e.type for e in mine] == [STORYBOARD_COMPLETED]
    events = await jobs.list_events(job.id)
    assert events[-1].stage == "sweeper" and "storyboard.completed" in events[-1].message
    # the re-publish counts as activity: not swept again before another deadline
    assert job.id not in dict(await a.sweep())
    await asyncio.sleep(1.2)
    assert dict(await a.sweep())[job.id] == [STORYBOARD_COMPLETED]


async def test_a_job_that_sweeps_do_not_move_is_failed_with_a_reason(
    jobs: PostgresJobStore, bus: tuple[InMemoryBus, list[Event]], unique: str
) -> None:
    """A job whose stage never makes progress (a poisoned input the sweeper keeps feeding in,
    a stage nobody runs) is re-published `max_sweeps` times, then failed, not swept forever;
    a retry (a new run) gets its own sweeps."""
    memory, seen = bus
    job = await new_job(jobs, unique, script=C, audio=C, storyboard=R)
    sweeper = Sweeper(memory, jobs, deadline=0.3, interval=0.1, max_sweeps=2)
    rounds: list[list[str]] = []
    for _ in range(3):
        await asyncio.sleep(0.4)
        rounds.append(dict(await sweeper.sweep()).get(job.id, []))
    await memory.wait_idle()
    assert rounds == [[SCRIPT_COMPLETED], [SCRIPT_COMPLETED], []]
    failed = await jobs.get_job(job.id)
    assert failed.status == Status.failed
    assert failed.stages["storyboard"].status == Status.failed
    assert failed.error is not None and "despite 2 re-publishes" in failed.error
    assert "storyboard workers' logs" in failed.error
    assert [e.type for e in seen if e.job_id == job.id].count(JOB_FAILED) == 1

    await jobs.bump_run(job.id)  # what a retry does: a new run, running again
    await jobs.set_job_status(job.id, Status.running)
    await asyncio.sleep(0.4)
    assert job.id in dict(await sweeper.sweep())


async def test_final_jobs_are_never_swept(jobs: PostgresJobStore,
                                          bus: tuple[InMemoryBus, list[Event]],
                                          unique: str) -> None:
    memory, _ = bus
    ids = []
    for status in (Status.completed, Status.failed, Status.cancelled):
        job = await new_job(jobs, f"{unique}-{status.value}", script=C)
        await jobs.set_job_status(job.id, status)
        ids.append(job.id)
    await asyncio.sleep(1.2)
    swept = dict(await Sweeper(memory, jobs, deadline=1.0, interval=0.2).sweep())
    assert not set(ids) & set(swept)


async def test_the_lease_moves_on_when_its_holder_stops(
    jobs: PostgresJobStore, bus: tuple[InMemoryBus, list[Event]], unique: str
) -> None:
    memory, _ = bus
    job = await new_job(jobs, unique)
    a = Sweeper(memory, jobs, deadline=0.5, interval=0.1, holder=f"a-{unique}")
    b = Sweeper(memory, jobs, deadline=0.5, interval=0.1, holder=f"b-{unique}")
    stop = asyncio.Event()
    runner = asyncio.create_task(a.run(stop))
    await asyncio.sleep(0.3)
    assert await b.sweep() == []
    stop.set()
    await runner  # releases the lease on the way out
    await asyncio.sleep(0.6)
    assert job.id in dict(await b.sweep())
