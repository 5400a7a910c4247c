"""Test material for the video stage: synthetic stills (with and without the depth chunk),
clip decoding, a hand-built script and shots, a stand-in LLM and the in-memory runtime."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import av
import cv2
import numpy as np
from pydantic import BaseModel
from reelforge.blobs import LocalBlobStore, job_key
from reelforge.bus import InMemoryBus
from reelforge.events import Event
from reelforge.jobstore import SQLiteJobStore
from reelforge.models import (
    Act,
    CameraMove,
    Character,
    Job,
    JobSettings,
    Location,
    LocationKind,
    NarrationLine,
    Scene,
    Score,
    Script,
    Shot,
    ShotPlan,
    StoryPatterns,
    VisualBible,
)
from reelforge.providers import Providers
from reelforge.runtime import Service, StageContext, start_service
from reelforge.settings import Settings

M = TypeVar("M", bound=BaseModel)

RED = np.array([230, 30, 30], np.uint8)


def textured_still(side: int, seed: int = 0) -> np.ndarray:
    """A blue-green backdrop with enough texture that motion is measurable, and a red
    block standing in the lower middle (the 'figure')."""
    rng = np.random.default_rng(seed)
    lattice = rng.random((side // 8 + 2, side // 8 + 2, 3)).astype(np.float32)
    texture = cv2.resize(lattice, (side, side), interpolation=cv2.INTER_CUBIC)
    rgb = np.clip(texture * [60, 140, 200] + 30, 0, 255).astype(np.uint8)
    rgb[figure_box(side)] = RED
    return rgb


def figure_box(side: int) -> tuple[slice, slice]:
    return slice(side * 9 // 20, side * 17 // 20), slice(side * 2 // 5, side * 3 // 5)


def still_nearness(side: int) -> np.ndarray:
    """Sky far at the top, ground nearer towards the base, the block near."""
    rows = np.linspace(0, 1, side, dtype=np.float32)[:, None]
    nearness = np.broadcast_to(np.clip((rows - 0.5) / 0.5, 0, 1) * 0.4, (side, side)).copy()
    nearness[figure_box(side)] = 0.85
    return nearness


def png_with_depth(rgb: np.ndarray, nearness: np.ndarray | None) -> bytes:
    """A PNG carrying nearness in the private `dpTh` chunk, written from the format's
    description (independently of the storyboard's writer)."""
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    png = encoded.tobytes()
    if nearness is None:
        return png
    ok, depth = cv2.imencode(".png", np.round(nearness * 255).astype(np.uint8))
    assert ok
    data = depth.tobytes()
    chunk = struct.pack(">I", len(data)) + b"dpTh" + data + struct.pack(
        ">I", zlib.crc32(b"dpTh" + data) & 0xFFFFFFFF)
    return png[:-12] + chunk + png[-12:]


@dataclass
class DecodedClip:
    frames: list[np.ndarray]
    codec: str
    pix_fmt: str
    fps: float
    width: int
    height: int


def decode_clip(source: Path | bytes) -> DecodedClip:
    with av.open(str(source) if isinstance(source, Path) else io.BytesIO(source),
                 mode="r") as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return DecodedClip(frames=frames, codec=stream.codec_context.name,
                           pix_fmt=stream.codec_context.pix_fmt or "",
                           fps=float(stream.average_rate or 0), width=stream.width,
                           height=stream.height)


def synthetic_mp4(path: Path, width: int, height: int, fps: int, count: int) -> bytes:
    """A colourful moving test clip, as a remote video model might return it."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(count):
            image = np.zeros((height, width, 3), np.uint8)
            image[..., 0] = np.linspace(40, 220, width, dtype=np.uint8)[None, :]
            image[..., 2] = 120
            image[:, (i * 3) % width:(i * 3) % width + 6, 1] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path.read_bytes()


def build_script(kinds: Sequence[LocationKind]) -> Script:
    cast = [Character(id="mara", name="Mara", mentions=9, role="protagonist"),
            Character(id="vance", name="Vance", mentions=5, role="antagonist")]
    locations = [Location(id=f"place-{i}", name=f"Place {i}", kind=k) for i, k in enumerate(kinds)]
    scenes = [Scene(index=i, summary=f"At place {i}.", text=f"They stand at place {i}.",
                    characters=["mara", "vance"][: 1 + i % 2], location=f"place-{i}",
                    time_of_day=("dusk", "night", "day")[i % 3], mood="tense")
              for i in range(len(kinds))]
    lines = [NarrationLine(index=i, act="setup", scene=i, text="The light goes out tonight",
                           marked="The light goes out... *tonight*", pause_after=0.3)
             for i in range(len(kinds))]
    return Script(title="Dark Water", tagline="t", logline="l",
                  patterns=StoryPatterns(genres=[Score(label="thriller", score=1.0)],
                                         tones=[Score(label="dark", score=1.0)], logline="l"),
                  characters=cast, locations=locations, scenes=scenes,
                  acts=[Act(name="setup", scenes=list(range(len(kinds))))], narration=lines,
                  bible=VisualBible(style="previs"), target_duration=30.0)


def shot(scene: int, camera: CameraMove, duration: float = 2.0) -> Shot:
    return Shot(scene=scene, camera=camera, action="a figure waits", atmosphere="mist",
                prompt="a figure waits in the mist", duration=duration, focus=(0.5, 0.6))


class FakeShotLLM:
    name = "fake-llm"
    MOVES: tuple[CameraMove, ...] = ("parallax", "push_in", "pan_right", "drift")

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, task: str, context: dict[str, Any], schema: type[M]) -> M:
        camera = self.MOVES[self.calls % len(self.MOVES)]
        self.calls += 1
        plan = ShotPlan(camera=camera, action="waits", atmosphere="mist", prompt="waits")
        return schema.model_validate(plan.model_dump())


@dataclass
class Harness:
    ctx: StageContext
    bus: InMemoryBus
    blobs: LocalBlobStore
    jobs: SQLiteJobStore
    events: list[Event] = field(default_factory=list)

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]

    async def add_job(self, job_id: str, settings: JobSettings) -> Job:
        job = Job(id=job_id, source_key=job_key(job_id, "ingest", "document.json"),
                  settings=settings)
        await self.jobs.create_job(job)
        return job

    async def store_script(self, job_id: str, script: Script) -> str:
        key = job_key(job_id, "script", "script.json")
        await self.ctx.store(key, script)
        await self.ctx.record(job_id, "script", key, "script", path="script.json")
        return key

    async def deliver(self, event: Event) -> None:
        await self.bus.publish(event)
        await self.bus.wait_idle()
        assert not self.bus.dead_letters, self.bus.dead_letters


@asynccontextmanager
async def running(
    tmp_path: Path, services: Sequence[Service], providers: Providers, settings: Settings
) -> AsyncIterator[Harness]:
    bus = InMemoryBus(max_attempts=2, retry_base=0.01)
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    blobs = LocalBlobStore(tmp_path / "blobs")
    ctx = StageContext(bus=bus, blobs=blobs, jobs=jobs, providers=providers, settings=settings)
    harness = Harness(ctx=ctx, bus=bus, blobs=blobs, jobs=jobs)

    async def record(event: Event) -> None:
        harness.events.append(event)

    await bus.subscribe("test.recorder", ["#"], record)
    for service in services:
        await start_service(service, ctx)
    try:
        yield harness
    finally:
        await bus.close()
        await jobs.close()
