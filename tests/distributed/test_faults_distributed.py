"""Faults, with every worker a real process: a video worker killed with SIGKILL mid-job and
restarted, a video worker stopped with SIGTERM (drain), messages delivered twice, a stage
that always fails (dead letter), and a cancellation mid-job.

"No clip generated twice" is measured with the provider journal (one line per finished
provider call, with the pid of the process that made it) against the clips the store held
when the worker died: the restarted worker may only make the clips that were missing.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from distributed_api import Client, create_key, journal, metric, metric_samples, video_calls
from distributed_cluster import Cluster, SystemConfig
from reelforge.apikeys import create_key as store_key
from reelforge.blobs import job_key
from reelforge.distributed import Backends, open_backends
from reelforge.events import JOB_COMPLETED, JOB_SUBMITTED, Event
from reelforge.models import STAGES, Job, StageState, Status

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

WORKERS = ("script", "audio", "storyboard", "video", "assembly")
SYNOPSIS = ("A night-shift nurse notices that the same patient is admitted every night at "
            "three, with no memory of the night before. She follows him into the basement of "
            "the hospital, where the old wing was sealed after the fire. Behind the last door "
            "the clocks all read three, and the patient is waiting with her name on a chart.")
SETTINGS = {"duration": 20, "quality": "draft"}


@dataclass
class System:
    config: SystemConfig
    cluster: Cluster
    journal: Path
    client: Client


@pytest.fixture(scope="module")
def system(new_system: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    work = tmp_path_factory.mktemp("faults")
    calls = work / "provider-calls.jsonl"
    # one clip at a time (a global limit of 1), so a job spends long enough in the video
    # stage to be interrupted half-way
    config: SystemConfig = new_system("faults").with_env(
        REELFORGE_PROVIDER_JOURNAL=str(calls), REELFORGE_PROVIDER_LIMITS="video.local=1",
        REELFORGE_DRAIN_TIMEOUT="120", REELFORGE_PROVIDER_SLOT_TTL="10",
    )
    cluster = Cluster(config, work / "procs")
    try:
        for name in WORKERS:
            cluster.start_worker(name)
        api = cluster.start_api()
        yield System(config, cluster, calls, Client(api.url, create_key(config, "faults")))
    finally:
        cluster.stop_all()


@pytest.fixture(autouse=True)
def video_worker_running(system: System) -> None:
    """A test that failed between stopping and restarting the video worker must not take
    the tests after it down too."""
    proc = system.cluster.procs.get("video")
    if proc is None or proc.popen.poll() is not None:
        system.cluster.start_worker("video")


@pytest.fixture
async def backends(system: System) -> AsyncIterator[Backends]:
    async with open_backends(system.config.settings()) as b:
        yield b


async def stored_clips(backends: Backends, job_id: str) -> set[str]:
    return {k for k in await backends.blobs.list(f"jobs/{job_id}/video/") if k.endswith(".mp4")}


async def wait_for_clips(system: System, backends: Backends, job_id: str) -> int:
    """Wait until at least one of the job's clips is stored (a provider call is journaled
    when its frames are made, a moment before the clip is encoded and uploaded, so the
    journal alone would race the upload) and more are still to come; return the job's clip
    count."""
    deadline = time.monotonic() + 600
    while True:
        view = system.client.job(job_id)
        total = view["stages"]["video"]["items_total"]
        if total and await stored_clips(backends, job_id):
            assert view["stages"]["video"]["items_done"] < total, \
                "the video stage finished before the fault could be injected"
            return int(total)
        assert view["status"] not in ("completed", "failed"), view
        assert time.monotonic() < deadline, system.cluster.logs()
        await asyncio.sleep(0.05)


async def test_a_killed_video_worker_loses_nothing_and_redoes_nothing(
    system: System, backends: Backends
) -> None:
    old = system.cluster.procs["video"].popen.pid
    job_id = system.client.submit_synopsis(SYNOPSIS, seed=11, **SETTINGS)
    total = await wait_for_clips(system, backends, job_id)

    system.cluster.kill("video")  # SIGKILL: no drain, the broker requeues the unacked shots
    survived = await stored_clips(backends, job_id)
    assert 0 < len(survived) < total
    assert video_calls(system.journal, old) >= len(survived), "a stored clip nobody made"
    new = system.cluster.start_worker("video").popen.pid

    view = system.client.wait([job_id], timeout=900, logs=system.cluster.logs)[job_id]
    assert view["status"] == "completed", view["error"]
    assert view["stages"]["video"]["items_done"] == total
    final = await stored_clips(backends, job_id)
    assert survived <= final and len(final) == total, "a stored clip was replaced"
    # the restarted worker made exactly the clips the store did not have
    assert video_calls(system.journal, new) == total - len(survived)
    records = await backends.jobs.list_artifacts(job_id, "clip/")
    assert {r.key for r in records} == final


async def test_sigterm_drains_the_video_worker(system: System, backends: Backends) -> None:
    old = system.cluster.procs["video"].popen.pid
    before = video_calls(system.journal, old)  # clips this process made for earlier jobs
    job_id = system.client.submit_synopsis(SYNOPSIS, seed=12, **SETTINGS)
    total = await wait_for_clips(system, backends, job_id)

    assert system.cluster.stop("video", signal.SIGTERM, timeout=180) == 0
    log = system.cluster.procs["video"].log.read_text()
    assert "worker_draining" in log and "worker_stopped" in log
    made = video_calls(system.journal, old) - before
    assert video_calls(system.journal, old, outcome=None) - before == made, \
        "a provider call was cut off instead of drained"
    drained = await stored_clips(backends, job_id)
    assert len(drained) == made, "every clip made before the stop was stored"

    new = system.cluster.start_worker("video").popen.pid
    view = system.client.wait([job_id], timeout=900, logs=system.cluster.logs)[job_id]
    assert view["status"] == "completed", view["error"]
    assert video_calls(system.journal, new) == total - len(drained)


async def test_a_message_delivered_twice_produces_one_result(
    system: System, backends: Backends, unique: str
) -> None:
    completions: list[Event] = []

    async def watch(event: Event) -> None:
        completions.append(event)

    await backends.bus.subscribe(f"test-completed-{unique}", [JOB_COMPLETED], watch)
    job_id = system.client.submit_synopsis(SYNOPSIS, seed=13, **SETTINGS)
    await backends.bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))  # a duplicate
    view = system.client.wait([job_id], timeout=900, logs=system.cluster.logs)[job_id]
    assert view["status"] == "completed", view["error"]
    for stage in ("storyboard", "video"):
        st = view["stages"][stage]
        assert st["items_done"] == st["items_total"] > 0
    records = await backends.jobs.list_artifacts(job_id)
    recorded = {r.key for r in records}
    for stage in ("storyboard", "video"):  # every output of these is a recorded artifact
        stored = set(await backends.blobs.list(f"jobs/{job_id}/{stage}/"))
        thumbnails = {k for k in stored if k.endswith(".w480.jpg")}  # made by the API's views
        plans = {k for k in stored if ".plan-" in k}  # the shot planner's cached answers
        assert len(plans) == len({k.rsplit("/", 1)[1].split(".")[0] for k in plans})
        outputs = stored - thumbnails - plans
        assert outputs <= recorded, f"{stage}: outputs nobody recorded: {outputs - recorded}"
    clips = await stored_clips(backends, job_id)
    assert len(clips) == view["stages"]["video"]["items_total"]

    # once finished, a redelivery of the whole job costs no provider call and changes nothing
    calls_before = len(journal(system.journal))
    seen = sum(e.job_id == job_id for e in completions)
    await backends.bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))
    deadline = time.monotonic() + 300
    while sum(e.job_id == job_id for e in completions) <= seen:
        assert time.monotonic() < deadline, system.cluster.logs()
        await asyncio.sleep(0.5)
    assert len(journal(system.journal)) == calls_before
    assert {r.key for r in await backends.jobs.list_artifacts(job_id)} == recorded
    assert (await backends.jobs.get_job(job_id)).status == Status.completed


async def test_a_stage_that_always_fails_dead_letters_and_fails_the_job(
    system: System, backends: Backends, unique: str
) -> None:
    # a corrupt input: the stored document is not a Document
    tenant = f"corrupt-{unique}"
    client = Client(system.client.base, await store_key(backends.jobs, tenant))
    job_id = f"corrupt-{unique}"
    key = job_key(job_id, "ingest", "document.json")
    await backends.blobs.put(key, b"\x00 this is not json")
    stages = {s: StageState() for s in STAGES}
    stages["ingest"] = StageState(status=Status.completed)
    await backends.jobs.create_job(Job(id=job_id, tenant=tenant, status=Status.running,
                                       source_key=key, stages=stages))
    await backends.bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))

    view = client.wait([job_id], timeout=120, logs=system.cluster.logs)[job_id]
    assert view["status"] == "failed"
    # the tenant reads that an internal error happened, with a reference; the operator finds
    # the parser's own words under that reference in the worker's log
    assert view["error"].startswith("script: InternalStageError: an internal error stopped "
                                    "the script stage (reference ")
    assert "json" not in view["error"].lower()
    reference = view["error"].split("(reference ")[1][:8]
    logged = [line for line in system.cluster.procs["script"].log.read_text().splitlines()
              if reference in line and "delivery_failed_internally" in line]
    assert logged and "json" in logged[0].lower()
    assert view["stages"]["script"]["status"] == "failed"
    assert await backends.bus.queue_depth("script.dlq") == 1
    letters = await backends.rabbit.dead_letters(f"{system.config.namespace}.script")
    assert [e.job_id for e, _ in letters] == [job_id]
    assert f"(reference {reference})" in letters[0][1]
    samples = metric_samples(system.cluster.procs["script"].url)
    assert metric(samples, "reelforge_dead_letters_total", queue="script") == 1
    assert metric(samples, "reelforge_jobs_finished_total", status="failed") == 1
    assert metric(samples, "reelforge_stage_failures_total", queue="script",
                  reason="ValidationError") == system.config.settings().max_attempts


async def test_a_cancelled_job_stops(system: System, backends: Backends) -> None:
    job_id = system.client.submit_synopsis(SYNOPSIS, seed=14, **SETTINGS)
    system.client.wait([job_id], timeout=600, logs=system.cluster.logs,
                       until=lambda v: v["stages"]["storyboard"]["status"] != "queued")
    resp = system.client.post(f"/v1/jobs/{job_id}/cancel")
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    cancelled_at = time.time()  # the cancel is committed: every check from now on sees it
    # calls already running finish (a frame being drawn cannot be interrupted); none starts,
    # not even one that was asked for before the cancel and waited for a global provider
    # slot (the guard checks the job again once the slot is its own). A call is admitted by
    # its check, so that is the moment that counts, not when a loaded machine got round to
    # starting it.
    await asyncio.sleep(30)
    admitted_after = [c for c in journal(system.journal)
                      if c["job"] == job_id and c["checked"] > cancelled_at]
    assert admitted_after == [], "provider calls were admitted after the job was cancelled"
    view = system.client.job(job_id)
    assert view["status"] == "cancelled" and view["artifacts"] == []
    assert view["stages"]["assembly"]["status"] == "queued"
