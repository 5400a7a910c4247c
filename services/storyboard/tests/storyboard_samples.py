"""Test material for the storyboard stage: a script built by hand, a stand-in LLM that
answers the `shot` task, and the in-memory runtime around the service."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from reelforge.blobs import LocalBlobStore, job_key
from reelforge.bus import InMemoryBus
from reelforge.events import Event
from reelforge.jobstore import SQLiteJobStore
from reelforge.models import (
    Act,
    Character,
    Job,
    JobSettings,
    Location,
    LocationKind,
    NarrationLine,
    Scene,
    Score,
    Script,
    ShotPlan,
    StoryPatterns,
    TimeOfDay,
    VisualBible,
)
from reelforge.providers import Providers
from reelforge.runtime import Service, StageContext, start_service
from reelforge.settings import Settings

M = TypeVar("M", bound=BaseModel)

CAST = [
    Character(id="mara", name="Mara", mentions=14, role="protagonist",
              description="a lighthouse keeper in a long coat"),
    Character(id="vance", name="Vance", mentions=9, role="antagonist",
              description="a tall man in a hat"),
    Character(id="ella", name="Ella", mentions=5, role="supporting"),
]


@dataclass(frozen=True)
class SceneSpec:
    location: str
    kind: LocationKind
    time: TimeOfDay = "day"
    characters: Sequence[str] = ("mara",)
    mood: str = "tense"
    summary: str = ""
    name: str = ""


def build_script(specs: Sequence[SceneSpec], genre: str = "thriller") -> Script:
    """A complete, valid Script whose scenes follow `specs` (one narration line each)."""
    locations: dict[str, Location] = {}
    scenes, lines = [], []
    for index, spec in enumerate(specs):
        locations.setdefault(spec.location, Location(
            id=spec.location, name=spec.name or spec.location.replace("-", " ").title(),
            kind=spec.kind))
        act = ("setup", "escalation", "climax")[min(2, index * 3 // max(1, len(specs)))]
        scenes.append(Scene(
            index=index, summary=spec.summary or f"Scene {index + 1} at the {spec.kind}.",
            text=spec.summary or f"They stand at the {spec.kind}.",
            characters=list(spec.characters), location=spec.location, time_of_day=spec.time,
            mood=spec.mood, act=act))
        lines.append(NarrationLine(
            index=index, act=act, scene=index, text="Some roads lead only one way home",
            marked="Some roads... lead only *one* way home", pause_after=0.5))
    return Script(
        title="The Last Light", tagline="Keep it burning.", logline="A keeper holds on.",
        patterns=StoryPatterns(genres=[Score(label=genre, score=1.0)],
                               tones=[Score(label="dark", score=1.0)], logline="A keeper."),
        characters=CAST, locations=list(locations.values()), scenes=scenes,
        acts=[Act(name="setup", scenes=[s.index for s in scenes])], narration=lines,
        bible=VisualBible(style="cinematic previs"), target_duration=60.0,
    )


class FakeShotLLM:
    """Answers the `shot` task like a planner would, cycling through camera moves, and
    remembers what it was asked."""

    name = "fake-llm"
    MOVES = ("push_in", "pan_left", "parallax", "drift", "tilt_up", "pull_out", "pan_right",
             "tilt_down")

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._moves = itertools.cycle(self.MOVES)

    async def complete(self, task: str, context: dict[str, Any], schema: type[M]) -> M:
        assert task == "shot" and schema is ShotPlan
        self.calls.append(context)
        scene = context["scene"]
        plan = ShotPlan(camera=next(self._moves), action=f"{scene['summary']} in motion",
                        atmosphere=scene["mood"], prompt=f"cinematic, {scene['summary']}",
                        focus=(0.5, 0.5))
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

    async def add_job(self, job_id: str, settings: JobSettings | None = None) -> Job:
        job = Job(id=job_id, source_key=job_key(job_id, "ingest", "document.json"),
                  settings=settings or JobSettings())
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
    """The services subscribed to an in-memory bus over real local stores, with every
    published event recorded."""
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
