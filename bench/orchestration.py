"""Orchestration benchmark: the distributed runtime with fake providers of fixed latency.

    .venv/bin/python bench/orchestration.py [--jobs 1,5] [--image 0.2] [--video 2.0]

Real pieces: the RabbitMQ bus (127.0.0.1:5672, guest/guest, a fresh vhost deleted after),
a Postgres job store (a fresh database, dropped after), a local blob store, and every
discovered service's real consumers (`reelforge.runtime.start_service`) with the default
concurrency limits (storyboard prefetch 30, video prefetch 4), all in this process.

Fake providers: image generation sleeps `--image` seconds and returns a tiny PNG; video
generation sleeps `--video` seconds and returns a tiny MP4. The LLM is the local rule-based
one (milliseconds); speech, alignment and music are instant fakes returning short valid
audio. The canvas sizes the stages render at are shrunk (192 px master), so the real
consumers' own CPU work is small next to the fake latencies; what remains on the critical
path (script, assembly) is measured per job from the job store and added to the bound.

Lower bound for J jobs of N scenes each, from the DAG and the limits:
    script + ceil(N / 30) x image + ceil(J x N / 4) x video + assembly
(at least one job's storyboard must finish before any clip starts; then J x N clips at 4 at
a time; then the last job's assembly). Script and assembly are the shortest any job took:
every job is the same work, so the shortest is the closest to what it costs when nothing
else competes for the cores (a job's soundtrack, made beside its clips, is off the path).
The makespan is from submitting all J jobs to the last job.completed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import io
import math
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DOCUMENT = benchlib.ROOT / "examples" / "the-last-lighthouse.md"
SMALL = 192


# --------------------------------------------------------------------------- fakes


class FakeImage:
    name = "fake-image"

    def __init__(self, latency: float) -> None:
        self.latency = latency

    async def generate(self, request: Any) -> bytes:
        import cv2

        await asyncio.sleep(self.latency)
        rng = np.random.default_rng(request.seed)
        tile = rng.integers(0, 255, (16, 16, 3), np.uint8)
        _, png = cv2.imencode(".png", cv2.resize(tile, (64, 64)))
        return png.tobytes()


class FakeVideo:
    name = "fake-video"

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.calls: list[tuple[float, float]] = []
        """(start, end) of every call, perf_counter seconds: the provider's utilisation."""

    async def generate(self, request: Any, duration: float) -> bytes:
        started = time.perf_counter()
        await asyncio.sleep(self.latency)
        self.calls.append((started, time.perf_counter()))
        return _tiny_mp4(duration, request.fps)


@functools.cache
def _tiny_mp4(duration: float, fps: int) -> bytes:
    """A clip as a remote provider hands it over: made once per length, so the fake spends
    no CPU on the event loop (a real one only downloads)."""
    from fractions import Fraction

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(max(2, round(duration * fps))):
            frame = av.VideoFrame.from_ndarray(
                np.full((64, 64, 3), (i * 3) % 255, np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


class FakeSpeech:
    name = "fake-tts"

    async def synthesize(self, text: str, voice: str | None = None) -> Any:
        from reelforge.models import Word
        from reelforge.providers import Audio, Speech

        words = text.split() or ["."]
        rate, per = 22_050, 0.25
        t = np.arange(int(len(words) * per * rate)) / rate
        samples = (0.2 * np.sin(2 * np.pi * 140 * t)).astype(np.float32)
        timed = [Word(text=w, start=i * per, end=(i + 0.9) * per, line=0)
                 for i, w in enumerate(words)]
        return Speech(Audio(samples, rate), timed)


class FakeAligner:
    name = "fake-aligner"

    async def align(self, audio: Any, transcript: str) -> list[Any]:
        from reelforge.models import Word

        words = transcript.split()
        per = audio.duration / max(1, len(words))
        return [Word(text=w, start=i * per, end=(i + 0.9) * per, line=0)
                for i, w in enumerate(words)]


class FakeMusic:
    name = "fake-music"

    async def compose(self, plan: Any) -> Any:
        from reelforge.providers import Audio

        rate = 44_100
        t = np.arange(int(plan.duration * rate)) / rate
        tone = (0.1 * np.sin(2 * np.pi * 110 * t)).astype(np.float32)
        return Audio(np.stack([tone, tone], axis=1), rate)


# --------------------------------------------------------------------------- the run


async def run(jobs: int, image: float, video: float) -> dict[str, Any]:
    from reelforge.blobs import LocalBlobStore, job_key
    from reelforge.bus.rabbitmq import RabbitMQBus
    from reelforge.cli import read_input
    from reelforge.events import JOB_COMPLETED, JOB_FAILED, JOB_SUBMITTED, Event
    from reelforge.jobstore.postgres import PostgresJobStore
    from reelforge.models import Job, JobSettings, Status
    from reelforge.providers import Providers, load_providers
    from reelforge.runtime import (
        StageContext,
        dead_letter_handler,
        discover_services,
        fingerprint,
        start_service,
    )
    from reelforge.settings import Settings
    from reelforge_assembly import service as assembly
    from reelforge_storyboard import service as storyboard
    from reelforge_video import service as video_stage

    # the real consumers, on a small canvas: their CPU work must not be what is measured
    storyboard.CANVAS_SIDE = SMALL
    video_stage.CLIP_SIDE = SMALL
    small_sizes = {"16:9": (192, 108), "9:16": (108, 192), "1:1": (108, 108)}
    services = discover_services()
    services["assembly"] = assembly.build_service(
        assembly.RenderOptions(master_side=SMALL, sizes=small_sizes))

    vhost = f"reelforge_bench_{uuid.uuid4().hex[:8]}"
    database = f"reelforge_bench_{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    settings = Settings()
    bus = RabbitMQBus(f"{AMQP}{vhost}", exchange=f"reelforge-bench-{uuid.uuid4().hex[:6]}")
    store = PostgresJobStore(f"{POSTGRES}/{database}")
    tmp = tempfile.TemporaryDirectory(prefix="reelforge-orchestration-")
    blobs = LocalBlobStore(Path(tmp.name))
    local = load_providers(settings)
    fake_video = FakeVideo(video)
    providers = Providers(llm=local.llm, tts=FakeSpeech(), aligner=FakeAligner(),  # type: ignore[arg-type]
                          music=FakeMusic(), image=FakeImage(image),  # type: ignore[arg-type]
                          video=fake_video)  # type: ignore[arg-type]
    try:
        await bus.start()
        await store.start()
        ctx = StageContext(bus, blobs, store, providers, settings)
        done: dict[str, float] = {}
        finished = asyncio.Event()
        ids = [f"bench{uuid.uuid4().hex[:10]}" for _ in range(jobs)]

        async def watch(event: Event) -> None:
            if event.job_id in ids and event.job_id not in done:
                done[event.job_id] = time.perf_counter()
                if event.type == JOB_FAILED:
                    print(f"job {event.job_id} failed: {event.reason}", flush=True)
                if len(done) == len(ids):
                    finished.set()

        bus.on_dead_letter(dead_letter_handler(ctx))
        await bus.subscribe("bench.watch", [JOB_COMPLETED, JOB_FAILED], watch)
        for service in services.values():
            await start_service(service, ctx)
        document = read_input(DOCUMENT, None)
        created = []
        for job_id in ids:
            source = job_key(job_id, "ingest", f"document-{fingerprint(document)}.json")
            await blobs.put(source, document.model_dump_json().encode())
            job = Job(id=job_id, settings=JobSettings(), source_key=source)
            await store.create_job(job)
            await store.set_stage(job_id, "ingest", Status.completed)
            await store.set_job_status(job_id, Status.running)
            await ctx.record(job_id, "document", source, "ingest")
            created.append(job_id)
        started, started_wall = time.perf_counter(), time.time()
        for job_id in created:
            await bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))
        await asyncio.wait_for(finished.wait(), timeout=600)
        makespan = max(done.values()) - started
        states = [await store.get_job(job_id) for job_id in ids]
        scenes = max(s.stages["video"].items_total for s in states)
        failed = [s.id for s in states if s.status != Status.completed]
        stage = {name: [s.stages[name].seconds or 0.0 for s in states]
                 for name in ("script", "audio", "storyboard", "video", "assembly")}
        timelines = [_timeline(s, await store.list_events(s.id), started_wall) for s in states]
    finally:
        await bus.close()
        await store.close()
        tmp.cleanup()
        _rabbitmqctl("delete_vhost", vhost)
        await _drop_database(database)
    script_s = min(stage["script"])
    assembly_s = min(stage["assembly"])
    bound = (script_s + math.ceil(scenes / settings.storyboard_prefetch) * image
             + math.ceil(jobs * scenes / settings.video_prefetch) * video + assembly_s)
    return {"jobs": jobs, "scenes": scenes, "makespan": makespan, "bound": bound,
            "ratio": makespan / bound, "failed": failed, "script_s": script_s,
            "timelines": timelines, "video_calls": _utilisation(fake_video.calls, started,
                                                                settings.video_prefetch),
            "assembly_s": assembly_s, "audio_s": max(stage["audio"]),
            "storyboard_s": max(stage["storyboard"]), "video_s": max(stage["video"])}


def _timeline(job: Any, events: list[Any], started_wall: float) -> str:
    """When each stage of `job` ran, and when its soundtrack was ready, in seconds from the
    submission of all jobs."""
    parts = []
    for name in ("storyboard", "video", "assembly"):
        state = job.stages[name]
        if state.started_at and state.finished_at:
            parts.append(f"{name} {state.started_at.timestamp() - started_wall:5.1f}-"
                         f"{state.finished_at.timestamp() - started_wall:5.1f}")
    mixed = [e.time.timestamp() - started_wall for e in events
             if e.message.startswith("soundtrack mixed")]
    if mixed:
        parts.append(f"soundtrack ready {mixed[0]:5.1f}")
    return ", ".join(parts)


def _utilisation(calls: list[tuple[float, float]], started: float, slots: int) -> str:
    """The video provider's calls in flight, on average, from the first call to the last."""
    if not calls:
        return "no calls"
    first, last = min(c[0] for c in calls), max(c[1] for c in calls)
    busy = sum(end - start for start, end in calls)
    return (f"{len(calls)} calls from {first - started:.1f} to {last - started:.1f} s, "
            f"{busy / (last - first):.2f} in flight on average (limit {slots})")


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


async def _drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", default="1,5")
    parser.add_argument("--image", type=float, default=0.2, help="fake image latency, s")
    parser.add_argument("--video", type=float, default=2.0, help="fake video latency, s")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(f"machine: {benchlib.machine()}")
    rows = []
    for jobs in [int(j) for j in args.jobs.split(",")]:
        best = None
        for _ in range(args.repeat):
            result = asyncio.run(run(jobs, args.image, args.video))
            print(f"  {jobs} job(s): makespan {result['makespan']:.2f} s, bound "
                  f"{result['bound']:.2f} s, ratio {result['ratio']:.3f} (slowest stages: "
                  f"audio {result['audio_s']:.2f}, storyboard {result['storyboard_s']:.2f}, "
                  f"video {result['video_s']:.2f}, assembly {result['assembly_s']:.2f} s)"
                  f"{' FAILED ' + str(result['failed']) if result['failed'] else ''}",
                  flush=True)
            print(f"    video provider: {result['video_calls']}")
            for line in result["timelines"]:
                print(f"    {line}")
            if best is None or result["ratio"] < best["ratio"]:
                best = result
        assert best is not None
        rows.append(best)
    print()
    print(f"{'jobs':>4s} {'scenes':>6s} {'makespan s':>10s} {'bound s':>8s} {'ratio':>6s}  "
          "(script / assembly s in the bound)")
    for r in rows:
        print(f"{r['jobs']:4d} {r['scenes']:6d} {r['makespan']:10.2f} {r['bound']:8.2f} "
              f"{r['ratio']:6.3f}  ({r['script_s']:.2f} / {r['assembly_s']:.2f})")
    benchlib.save_result("orchestration", {"machine": benchlib.machine(), "results": rows})
    print(" ".join(f"orchestration_{r['jobs']}job={r['ratio']:.3f}" for r in rows))


if __name__ == "__main__":
    main()
