"""Orchestration benchmark: the distributed runtime with fake providers of fixed latency.

    .venv/bin/python bench/orchestration.py [--jobs 1,5] [--image 0.2] [--video 2.0]

Real pieces: the RabbitMQ bus (127.0.0.1:5672, guest/guest, a fresh vhost deleted after),
a Postgres job store (a fresh database, dropped after), and one `reelforge worker` process
per stage (`reelforge.worker.run_worker`, this script started with `--worker STAGE`) with
the default concurrency limits (storyboard prefetch 30, video prefetch 4), sharing a local
folder for blobs. One untimed job warms the workers up before the batches are measured.

Fake providers: image generation sleeps `--image` seconds and returns a tiny PNG; video
generation sleeps `--video` seconds and returns a tiny MP4. The LLM is the local rule-based
one (milliseconds); speech, alignment and music are instant fakes returning audio shaped
like narration (noise bursts on the words) and a score (a chord over noise), so the
soundtrack costs what a real one does. The canvas sizes the stages render at are shrunk
(192 px master), so the real consumers' own CPU work is small next to the fake latencies;
what remains on the critical path (script, assembly) is measured per job from the job store
and added to the bound.

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
import contextlib
import functools
import io
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from reelforge.pipeline import WORKER_STAGES

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DOCUMENT = benchlib.ROOT / "examples" / "the-last-lighthouse.md"
SMALL = 192
WORKERS = WORKER_STAGES


# --------------------------------------------------------------------------- fakes


class FakeImage:
    name = "fake-image"
    accepts_references = False

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
    accepts_last_frame = False
    streams_frames = False

    def __init__(self, latency: float, calls: Path) -> None:
        self.latency = latency
        self.calls = calls
        """Gets a line "start end" (epoch seconds) per call: the provider's utilisation."""

    async def generate(self, request: Any, duration: float) -> bytes:
        started = time.time()
        await asyncio.sleep(self.latency)
        with self.calls.open("a") as journal:
            journal.write(f"{started} {time.time()}\n")
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
    """Noise bursts where the words are, as band-limited as a voice: the soundtrack's mix and
    AAC encoder do the work real narration gives them (a pure tone would make the encoder
    search for bits it cannot spend, at several times the CPU)."""

    name = "fake-tts"

    async def synthesize(self, text: str, voice: str | None = None) -> Any:
        from reelforge.models import Word
        from reelforge.providers import Audio, Speech

        words = text.split() or ["."]
        per = 0.25
        timed = [Word(text=w, start=i * per, end=(i + 0.9) * per, line=0)
                 for i, w in enumerate(words)]
        return Speech(Audio(_narration(len(words), per), 22_050), timed)


@functools.cache
def _narration(words: int, per: float, rate: int = 22_050) -> np.ndarray:
    """Made once per length: a remote provider's audio costs us no CPU to make."""
    rng = np.random.default_rng(words)
    samples = np.zeros(int(words * per * rate), np.float32)
    burst = round(0.9 * per * rate)
    window = np.hanning(burst).astype(np.float32)
    for i in range(words):
        noise = np.convolve(rng.normal(0, 0.25, burst), np.ones(6) / 6, mode="same")
        start = round(i * per * rate)
        samples[start:start + burst] = noise.astype(np.float32) * window
    samples.flags.writeable = False
    return samples


class FakeAligner:
    name = "fake-aligner"

    async def align(self, audio: Any, transcript: str) -> list[Any]:
        from reelforge.models import Word

        words = transcript.split()
        per = audio.duration / max(1, len(words))
        return [Word(text=w, start=i * per, end=(i + 0.9) * per, line=0)
                for i, w in enumerate(words)]


class FakeMusic:
    """A slowly swelling chord over a little noise: music-like for the mix and the encoder."""

    name = "fake-music"

    async def compose(self, plan: Any) -> Any:
        from reelforge.providers import Audio

        return Audio(_score(plan.duration), 44_100)


@functools.cache
def _score(seconds: float, rate: int = 44_100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 164.8, 220.0, 277.2))
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t)
    noise = np.random.default_rng(1).normal(0, 0.01, (len(t), 2))
    music = ((0.03 * chord * swell)[:, None] + noise).astype(np.float32)
    music.flags.writeable = False
    return music


# --------------------------------------------------------------------------- a worker


def fake_providers(image: float, video: float, calls: Path) -> dict[str, Any]:
    """capability -> the fake that stands in for its provider."""
    return {"tts": FakeSpeech(), "aligner": FakeAligner(), "music": FakeMusic(),
            "image": FakeImage(image), "video": FakeVideo(video, calls)}


def worker_main(stage: str, blobs: Path | None, fakes: dict[str, Any]) -> None:
    """`reelforge worker STAGE` as deployed (`reelforge.worker.run_worker`: limiter-aware
    providers, health server, drain on SIGTERM), with `fakes` for providers, the small
    canvas, and a local folder the workers share for blobs (None: the store the settings
    name)."""
    import logging
    import signal

    import structlog
    from reelforge.blobs import LocalBlobStore
    from reelforge.distributed import make_blobs
    from reelforge.providers.registry import create
    from reelforge.settings import Settings
    from reelforge.worker import WorkerParts, run_worker, worker_services
    from reelforge_assembly import service as assembly
    from reelforge_storyboard import service as storyboard
    from reelforge_video import service as video_stage

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    # the real consumers, on a small canvas: their CPU work must not be what is measured
    small = {
        "storyboard": storyboard.build_service(storyboard.Canvas(SMALL, SMALL // 2)),
        "video": video_stage.build_service(SMALL),
        "assembly": assembly.build_service(assembly.RenderOptions(
            master_side=SMALL, sizes={"16:9": (192, 108), "9:16": (108, 192), "1:1": (108, 108)})),
    }
    parts = WorkerParts(
        services=[small.get(stage) or worker_services([stage])[0]],
        create=lambda cap, name, settings: fakes.get(cap) or create(cap, name, settings),
        blobs_from=(lambda settings: LocalBlobStore(blobs)) if blobs is not None else make_blobs,
        on_ready=lambda: print("ready", flush=True),
    )

    async def serve() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run_worker([stage], Settings(), stop, parts=parts)

    asyncio.run(serve())


# --------------------------------------------------------------------------- the run


@dataclass
class System:
    """The workers, and what the bench itself uses to submit jobs and watch them."""

    settings: Any
    bus: Any
    store: Any
    blobs: Any
    calls: Path
    finished: dict[str, float] = field(default_factory=dict)
    """job id -> perf_counter time its job.completed (or job.failed) arrived"""


@contextlib.asynccontextmanager
async def running_system(image: float, video: float) -> AsyncIterator[System]:
    """A fresh vhost and database, and one `reelforge worker` process per stage."""
    from reelforge.blobs import LocalBlobStore
    from reelforge.distributed import make_bus
    from reelforge.events import JOB_COMPLETED, JOB_FAILED, Event
    from reelforge.jobstore.postgres import PostgresJobStore
    from reelforge.settings import Settings

    vhost = f"reelforge_bench_{uuid.uuid4().hex[:8]}"
    database = f"reelforge_bench_{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    environment = {"REELFORGE_AMQP_URL": f"{AMQP}{vhost}",
                   "REELFORGE_DATABASE_URL": f"{POSTGRES}/{database}",
                   "REELFORGE_NAMESPACE": "bench", "REELFORGE_METRICS_HOST": "127.0.0.1",
                   "REELFORGE_METRICS_PORT": "0", "REELFORGE_SWEEPER": "false"}
    settings = Settings(amqp_url=environment["REELFORGE_AMQP_URL"],
                        database_url=environment["REELFORGE_DATABASE_URL"], namespace="bench")
    workers: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory(prefix="reelforge-orchestration-") as tmp:
        blobs = Path(tmp) / "blobs"
        bus, _ = make_bus(settings)
        store = PostgresJobStore(settings.database_url)
        system = System(settings, bus, store, LocalBlobStore(blobs), Path(tmp) / "calls.txt")

        async def watch(event: Event) -> None:
            system.finished.setdefault(event.job_id, time.perf_counter())
            if event.type == JOB_FAILED:
                print(f"job {event.job_id} failed: {event.reason}", flush=True)

        try:
            await store.start()  # creates the database, as the workers would
            workers = [_start_worker(stage, blobs, system.calls, image, video, environment)
                       for stage in WORKERS]
            for worker in workers:
                _wait_ready(worker)
            await bus.start()
            await bus.subscribe("bench.watch", [JOB_COMPLETED, JOB_FAILED], watch)
            yield system
        finally:
            _stop(workers)
            await bus.close()
            await store.close()
            _rabbitmqctl("delete_vhost", vhost)
            await _drop_database(database)


async def run(system: System, jobs: int, image: float, video: float) -> dict[str, Any]:
    """Submit `jobs` jobs at once; the makespan until the last one has completed."""
    from reelforge.blobs import job_key
    from reelforge.cli import read_input
    from reelforge.events import JOB_SUBMITTED, Event
    from reelforge.lifecycle import register_joins
    from reelforge.models import ArtifactRecord, Job, JobSettings, Status
    from reelforge.runtime import fingerprint

    store = system.store
    ids = [f"bench{uuid.uuid4().hex[:10]}" for _ in range(jobs)]
    document = read_input(DOCUMENT, None)
    for job_id in ids:
        source = job_key(job_id, "ingest", f"document-{fingerprint(document)}.json")
        await system.blobs.put(source, document.model_dump_json().encode())
        await store.create_job(Job(id=job_id, settings=JobSettings(), source_key=source))
        await store.set_stage(job_id, "ingest", Status.completed)
        await store.set_job_status(job_id, Status.running)
        await store.record_artifact(job_id, ArtifactRecord(name="document", key=source,
                                                           stage="ingest"))
        await register_joins(store, await store.get_job(job_id))
    started, started_wall = time.perf_counter(), time.time()
    for job_id in ids:
        await system.bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))
    deadline = started + 600
    while not all(job_id in system.finished for job_id in ids):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{jobs} job(s) did not finish in 600 s")
        await asyncio.sleep(0.05)
    makespan = max(system.finished[job_id] for job_id in ids) - started
    ended_wall = started_wall + makespan
    states = [await store.get_job(job_id) for job_id in ids]
    scenes = max(s.stages["video"].items_total for s in states)
    stage = {name: [s.stages[name].seconds or 0.0 for s in states]
             for name in WORKER_STAGES}
    script_s, assembly_s = min(stage["script"]), min(stage["assembly"])
    settings = system.settings
    bound = (script_s + math.ceil(scenes / settings.storyboard_prefetch) * image
             + math.ceil(jobs * scenes / settings.video_prefetch) * video + assembly_s)
    calls = [c for c in _calls(system.calls) if started_wall <= c[0] <= ended_wall]
    return {"jobs": jobs, "scenes": scenes, "makespan": makespan, "bound": bound,
            "ratio": makespan / bound, "script_s": script_s, "assembly_s": assembly_s,
            "failed": [s.id for s in states if s.status != Status.completed],
            "timelines": [_timeline(s, await store.list_events(s.id), started_wall)
                          for s in states],
            "video_calls": _utilisation(calls, started_wall, settings.video_prefetch),
            "audio_s": max(stage["audio"]), "storyboard_s": max(stage["storyboard"]),
            "video_s": max(stage["video"])}


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


def _start_worker(stage: str, blobs: Path, calls: Path, image: float, video: float,
                  environment: dict[str, str]) -> subprocess.Popen[str]:
    argv = [sys.executable, __file__, "--worker", stage, "--blobs", str(blobs),
            "--calls", str(calls), "--image", str(image), "--video", str(video)]
    return subprocess.Popen(argv, env={**os.environ, **environment}, stdout=subprocess.PIPE,
                            text=True)


def _wait_ready(worker: subprocess.Popen[str]) -> None:
    """Until the worker has subscribed its consumers (it prints `ready`)."""
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.strip() == "ready":
            return
    raise RuntimeError(f"a worker exited with {worker.wait()} before it was ready")


def _stop(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def _calls(path: Path) -> list[tuple[float, float]]:
    if not path.exists():
        return []
    return [(float(a), float(b)) for a, b in
            (line.split() for line in path.read_text().splitlines() if line.strip())]


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


async def _drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def measure(batches: list[int], repeat: int, image: float,
                  video: float) -> list[dict[str, Any]]:
    """Each batch size `repeat` times on one system, after a job that warms the workers up
    (a deployed worker has long imported what its first job would); the best of each."""
    rows = []
    async with running_system(image, video) as system:
        await run(system, 1, image, video)
        for jobs in batches:
            results = [await run(system, jobs, image, video) for _ in range(repeat)]
            for result in results:
                print(f"  {jobs} job(s): makespan {result['makespan']:.2f} s, bound "
                      f"{result['bound']:.2f} s, ratio {result['ratio']:.3f} (slowest "
                      f"stages: audio {result['audio_s']:.2f}, storyboard "
                      f"{result['storyboard_s']:.2f}, video {result['video_s']:.2f}, "
                      f"assembly {result['assembly_s']:.2f} s)"
                      f"{' FAILED ' + str(result['failed']) if result['failed'] else ''}",
                      flush=True)
                print(f"    video provider: {result['video_calls']}")
                for line in result["timelines"]:
                    print(f"    {line}")
            rows.append(min(results, key=lambda r: r["ratio"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", default="1,5")
    parser.add_argument("--image", type=float, default=0.2, help="fake image latency, s")
    parser.add_argument("--video", type=float, default=2.0, help="fake video latency, s")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # run as one stage's worker
    parser.add_argument("--blobs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.blobs, fake_providers(args.image, args.video, args.calls))
        return
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(f"machine: {benchlib.machine()}")
    rows = asyncio.run(measure([int(j) for j in args.jobs.split(",")], args.repeat,
                               args.image, args.video))
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
