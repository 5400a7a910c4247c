"""The runtime makes every delivery's provider calls its job's: a call asked for after the
job was cancelled never reaches the provider (the delivery is dropped, not retried or
dead-lettered), and the journal names the job each call was made for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reelforge.blobs import LocalBlobStore
from reelforge.bus.memory import InMemoryBus
from reelforge.events import JOB_SUBMITTED, Event
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.limited import CallGuard
from reelforge.metrics import Metrics
from reelforge.models import Job, Shot, Status
from reelforge.providers import ClipRequest, Providers
from reelforge.providers.chain import build_chain
from reelforge.runtime import Consumer, Service, StageContext, start_service
from reelforge.settings import Settings


class CountingVideo:
    name = "fake"
    accepts_last_frame = False
    streams_frames = False

    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        self.calls += 1
        return b"mp4"


REQUEST = ClipRequest(
    frame_png=b"png", width=64, height=64,
    shot=Shot(scene=1, camera="drift", action="a", atmosphere="b", prompt="c", duration=1.0),
)


async def test_a_provider_call_of_a_cancelled_job_never_starts(tmp_path: Path) -> None:
    video = CountingVideo()
    journal = tmp_path / "calls.jsonl"
    chain = build_chain("video", [video], CallGuard(None, {}, Metrics(), journal))
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=chain)  # type: ignore[arg-type]
    bus = InMemoryBus(max_attempts=3, retry_base=0.01)
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    ctx = StageContext(bus, LocalBlobStore(tmp_path / "blobs"), jobs, providers, Settings())
    handled: list[str] = []

    async def cancel_then_call(event: Event, ctx: Any) -> None:
        handled.append(event.job_id)
        if event.job_id == "cancelled":
            await ctx.jobs.set_job_status(event.job_id, Status.cancelled)  # a user, meanwhile
        await ctx.providers.video.generate(REQUEST, 1.0)

    await start_service(Service("test", [Consumer("test", [JOB_SUBMITTED],
                                                  cancel_then_call)]), ctx)
    try:
        for job_id in ("cancelled", "running"):
            await jobs.create_job(Job(id=job_id, source_key=f"jobs/{job_id}/ingest/doc.json"))
            await bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))
            await bus.wait_idle()
    finally:
        await bus.close()
        await jobs.close()
    assert video.calls == 1, "the provider was called for a cancelled job"
    assert handled == ["cancelled", "running"], "a cancelled delivery was retried"
    assert bus.dead_letters == []
    calls = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(c["job"], c["outcome"]) for c in calls] == [("running", "ok")]
