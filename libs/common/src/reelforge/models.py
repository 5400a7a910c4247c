"""Schemas of every artifact that passes between stages.

Nothing crosses a stage boundary as a loose dict: each stage reads and writes these models
as JSON through the blob store.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reelforge.pipeline import REVIEWS, STAGES, Review  # every job has a state per stage

SCHEMA_VERSION = 1

MASTER_SIDE = 1920
"""Frames and clips are rendered on a square master canvas of this side, so every aspect
ratio's crop (1920x1080, 1080x1920, 1080x1080) is cut at full resolution: reframed, not
letterboxed."""

END_CARD_SECONDS = 3.0
MIN_SPOKEN_SECONDS = 2.5
"""The shortest planned time on screen of a scene, with or without narration."""
CLIP_MARGIN_SECONDS = 1.5
"""Extra picture beyond a scene's planned narration, so assembly can retime without freezing."""
MAX_PAUSE_SECONDS = 5.0
KEPT_PAUSE_SECONDS = 0.25
"""The shortest planned pause after a line edited in a scene that keeps its time: a longer
line than that leaves room for lengthens the scene."""
"""The end card held after the last spoken word; the trailer is voiceover + this."""

ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080),
}

ActName = Literal["setup", "escalation", "climax", "title", "tag"]
Framing = Literal["wide", "medium", "close"]
TimeOfDay = Literal["dawn", "day", "dusk", "night"]
Role = Literal["protagonist", "antagonist", "supporting", "minor"]
LocationKind = Literal[
    "city", "forest", "sea", "desert", "interior", "space", "mountain",
    "village", "field", "underground", "sky", "snow", "road", "generic",
]
CameraMove = Literal[
    "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "drift", "parallax",
]
Aspect = Literal["16:9", "9:16", "1:1"]
Grade = Literal["bw", "color"]
Quality = Literal["draft", "final"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- job settings


class JobSettings(Model):
    """What the user asked for. Part of every fingerprint that depends on it."""

    duration: float = Field(60.0, ge=15.0, le=600.0, description="target length in seconds")
    aspect: Aspect = "16:9"
    grade: Grade = "bw"
    seed: int = Field(0, ge=0, le=2**31 - 1)
    title: str | None = Field(None, max_length=120)
    voice: str | None = Field(None, max_length=500)
    quality: Quality = "final"
    fps: int = Field(24, ge=12, le=60)
    budget_usd: float | None = Field(
        None, gt=0, le=100_000,
        description="stop before a paid provider call would take the job past this many US "
        "dollars (estimated from the provider cost tables); none: no limit",
    )
    review: list[Review] = Field(
        default_factory=list,
        description="checkpoints where the job waits for a person's approval: `script` (before "
        "any voice or picture is made), `storyboard` (before video and render); none: the job "
        "runs straight through",
    )

    @field_validator("review")
    @classmethod
    def _each_review_once(cls, value: list[Review]) -> list[Review]:
        return [r for r in REVIEWS if r in value]


# --------------------------------------------------------------------------- ingest


class Section(Model):
    heading: str | None = None
    text: str


class Document(Model):
    """A story document reduced to text. Sections keep headings (Markdown headings,
    Fountain scene headings) because they are strong scene-boundary hints."""

    format: Literal["pdf", "docx", "markdown", "text", "fountain", "idea"]
    title: str | None = None
    text: str
    sections: list[Section] = Field(default_factory=list)
    pages: int | None = None


# --------------------------------------------------------------------------- script


class IdeaStory(Model):
    """A one-line idea told as a short synopsis (the `idea` task), written before the passes
    that read any synopsis."""

    title: str = Field(min_length=1, max_length=120)
    protagonist: str = Field(min_length=1, description="the lead's name")
    setting: str = Field(min_length=1, description="where the story happens")
    paragraphs: list[str] = Field(
        min_length=1, max_length=4,
        description="6 to 12 sentences in all, present tense: who, where, the goal, the "
                    "obstacle, the stakes; no ending",
    )


class Score(Model):
    label: str
    score: float = Field(ge=0.0)


class StoryPatterns(Model):
    genres: list[Score] = Field(min_length=1, description="highest first")
    tones: list[Score] = Field(min_length=1, description="highest first")
    themes: list[str] = Field(default_factory=list)
    structure: str = "three-act"
    logline: str


class Character(Model):
    id: str
    name: str
    mentions: int = Field(ge=0)
    role: Role
    description: str = ""


class Location(Model):
    id: str
    name: str
    kind: LocationKind = "generic"
    description: str = ""


class SceneList(Model):
    characters: list[Character]
    locations: list[Location]
    scenes: list[Scene]


V = TypeVar("V", bound=BaseModel)


class Variants(Model, Generic[V]):
    """Every version of a picture the user tried, oldest first, and the one in use."""

    variants: list[V] = Field(default_factory=list, max_length=50,
                              description="every one tried, oldest first")
    chosen: int = Field(0, ge=0, description="the one in use (an index of variants)")

    @model_validator(mode="after")
    def _chosen_exists(self) -> Self:
        if self.variants and self.chosen >= len(self.variants):
            raise ValueError(f"chosen variant {self.chosen} does not exist; there are "
                             f"{len(self.variants)} (numbered from 0)")
        return self

    @property
    def current(self) -> V | None:
        """The chosen variant; none while nothing was tried beyond the first one made."""
        return self.variants[self.chosen] if self.variants else None


class FrameVariant(Model):
    """One frame tried for a scene: the seed and, when the user wrote one, the prompt."""

    seed: int = Field(ge=0, le=2**31 - 1)
    prompt: str | None = Field(None, min_length=1, max_length=2000,
                               description="none: the prompt the script makes for the scene")
    key: str | None = Field(None, description="the frame made for it, once the studio knows it")


class Direction(Variants[FrameVariant]):
    """What the user directed for one scene in the studio: the frames tried, the camera move
    and the clip's seed. It travels with the scene (so it follows a reorder), and stages read
    it where it changes their output: the chosen frame variant (storyboard), the camera move
    (shot prompt), the clip's seed (video)."""

    camera: CameraMove | None = Field(None, description="none: the shot prompt's own move")
    clip_seed: int | None = Field(None, ge=0, le=2**31 - 1,
                                  description="none: the clip is seeded from the job")

    @property
    def frame(self) -> FrameVariant | None:
        """The chosen frame variant; none while the scene keeps its first frame."""
        return self.current


class ReferenceVariant(Model):
    """One reference picture tried for a character or location: made from a seed, or the
    user's own picture."""

    seed: int | None = Field(None, ge=0, le=2**31 - 1,
                             description="none with no upload: seeded from the job")
    upload: str | None = Field(None, description="the blob key of the user's own picture")
    key: str | None = Field(None, description="the picture made for it, once the studio knows it")


class ReferenceDirection(Variants[ReferenceVariant]):
    """What the user directed for one reference picture of the visual bible: every picture
    tried and the one frames are sent. Keyed in `Script.references` by the reference's
    job-store name (`reference/character/mara`)."""

    @property
    def picture(self) -> ReferenceVariant | None:
        return self.current


class Scene(Model):
    index: int = Field(ge=0)
    summary: str
    text: str = Field(description="the source passage the scene was drawn from")
    characters: list[str] = Field(default_factory=list, description="Character ids")
    location: str = Field(description="Location id")
    time_of_day: TimeOfDay = "day"
    mood: str = "tense"
    act: ActName = "setup"
    framing: Framing | None = Field(
        None, description="shot size; none: alternated by position (see alternating_framing)"
    )
    direction: Direction | None = Field(None, description="the user's direction, if any")

    def story(self) -> dict[str, object]:
        """The scene as the story tells it, without the user's direction: what a picture's
        fingerprint reads, so picking another variant never redraws the others."""
        return self.model_dump(mode="json", exclude={"direction"})

    @property
    def shot_size(self) -> Framing:
        """The scene's framing, or the alternation when the script names none."""
        return self.framing or alternating_framing(self.index, bool(self.characters))


def alternating_framing(index: int, has_people: bool) -> Framing:
    """Wide, medium or close, never the same as the scene before or after: odd scenes
    medium, even ones wide (every other one, and always when nobody is in them) or close."""
    if index % 2:
        return "medium"
    if not has_people or index % 4 == 0:
        return "wide"
    return "close"


class Act(Model):
    name: ActName
    scenes: list[int] = Field(default_factory=list)


class ActPlan(Model):
    acts: list[Act]


class NarrationLine(Model):
    """One spoken line. `scene` is the scene it plays over; `card` marks lines spoken over
    a title card instead (the title drop)."""

    index: int = Field(ge=0)
    act: ActName
    scene: int | None = None
    card: Literal["title"] | None = None
    text: str = Field(min_length=1, description="plain words, as spoken")
    marked: str = Field(description="text with '...' pauses and *emphasis* marks")
    pause_after: float = Field(0.4, ge=0.0, le=MAX_PAUSE_SECONDS,
                               description="silence after the line, s")
    slot_seconds: float | None = Field(
        None, ge=0.0, le=600.0,
        description="the voiceover's time for the line, from its start to the next line's, "
                    "kept by edits made once the voiceover exists; none: its speech and pause",
    )


class Narration(Model):
    title: str
    tagline: str
    lines: list[NarrationLine] = Field(min_length=1)


class VisualBible(Model):
    """Camera-ready descriptions, embedded in every frame prompt for consistency."""

    style: str
    characters: dict[str, str] = Field(default_factory=dict)
    locations: dict[str, str] = Field(default_factory=dict)


class Script(Model):
    version: int = SCHEMA_VERSION
    title: str
    tagline: str
    logline: str
    patterns: StoryPatterns
    characters: list[Character]
    locations: list[Location]
    scenes: list[Scene] = Field(min_length=1)
    acts: list[Act]
    narration: list[NarrationLine] = Field(min_length=1)
    bible: VisualBible
    target_duration: float
    words_per_second: float = 2.6
    references: dict[str, ReferenceDirection] = Field(
        default_factory=dict, description="the user's choice of reference pictures, by the "
        "reference's job-store name (reference/character/ID, reference/location/ID)")

    def scene(self, index: int) -> Scene:
        return next(s for s in self.scenes if s.index == index)

    def main_characters_shown(self) -> list[Character]:
        """The characters the visual bible pictures: every one but the minor ones, when a
        scene shows them, in cast order."""
        shown = {c for scene in self.scenes for c in scene.characters}
        return [c for c in self.characters if c.role != "minor" and c.id in shown]

    def scene_locations(self) -> list[Location]:
        """Every location a scene is set in, in order of first appearance; one the location
        list lacks is a generic place named by its id."""
        known = {loc.id: loc for loc in self.locations}
        ids = dict.fromkeys(scene.location for scene in self.scenes)
        return [known.get(i) or Location(id=i, name=i) for i in ids]

    def line_seconds(self, line: NarrationLine) -> float:
        """How long a line is planned to take: its words at the script's speaking rate, then
        its pause."""
        return len(line.text.split()) / self.words_per_second + line.pause_after

    def scene_lines(self, scene: Scene) -> list[NarrationLine]:
        return [line for line in self.narration if line.scene == scene.index]

    def planned_scene_seconds(self, scene: Scene) -> float:
        """The scene's planned time on screen: its lines, at least MIN_SPOKEN_SECONDS."""
        return max(MIN_SPOKEN_SECONDS, sum(self.line_seconds(line)
                                           for line in self.scene_lines(scene)))

    def shot_seconds(self, scene: Scene) -> float:
        """A shot lasts as long as its narration is planned to take, plus a margin, because
        the assembly cuts on the voiceover: the clip has to cover the words."""
        return round(self.planned_scene_seconds(scene) + CLIP_MARGIN_SECONDS, 3)

    def kept_pause(self, line: NarrationLine, text: str) -> float:
        """The pause after `line` rewritten as `text` that keeps the line's planned time (so
        its scene's and its shot's), or KEPT_PAUSE_SECONDS when the new words need more than
        that time (at most MAX_PAUSE_SECONDS when they need much less)."""
        planned = self.line_seconds(line)
        spoken = len(text.split()) / self.words_per_second
        pause = min(MAX_PAUSE_SECONDS, max(KEPT_PAUSE_SECONDS, planned - spoken))
        for _ in range(4):  # the sum must give the old time back to the bit: it keys the shot
            if spoken + pause == planned or pause in (KEPT_PAUSE_SECONDS, MAX_PAUSE_SECONDS):
                break
            pause = math.nextafter(pause, math.inf if spoken + pause < planned else 0.0)
        return pause

    def planned_seconds(self) -> float:
        """The trailer's planned length: every line, then the end card."""
        return round(sum(self.line_seconds(line) for line in self.narration)
                     + END_CARD_SECONDS, 1)

    def frame_prompt(self, scene: Scene) -> str:
        """The image prompt for a scene, with the bible entries it needs embedded."""
        parts = [self.bible.style, scene.summary]
        if scene.location in self.bible.locations:
            parts.append(self.bible.locations[scene.location])
        parts += [self.bible.characters[c] for c in scene.characters if c in self.bible.characters]
        parts.append(f"{scene.time_of_day}, {scene.mood} mood")
        return ". ".join(p.strip().rstrip(".") for p in parts if p.strip()) + "."


# --------------------------------------------------------------------------- audio


class Word(Model):
    text: str
    start: float = Field(ge=0.0)
    end: float = Field(ge=0.0)
    line: int = Field(ge=0, description="NarrationLine.index")
    tts_start: float | None = None
    tts_end: float | None = None

    @property
    def disagreement(self) -> float | None:
        if self.tts_start is None:
            return None
        return abs(self.start - self.tts_start)


class WordTimings(Model):
    """words.json: the timing backbone of the trailer."""

    version: int = SCHEMA_VERSION
    duration: float = Field(description="voiceover length, s")
    aligner: str
    words: list[Word]
    mean_disagreement: float | None = None
    max_disagreement: float | None = None

    def line_start(self, line: int) -> float | None:
        return next((w.start for w in self.words if w.line == line), None)


class PlacedLine(Model):
    """A narration line in the voiceover, with the TTS's word timings in voiceover time."""

    index: int
    act: ActName
    start: float
    end: float
    tts_words: list[Word]


class VoiceoverLayout(Model):
    """Where everything sits in voiceover.wav; stored beside it (`voiceover_layout_key`) so
    that a rerun that reuses the voiceover can still plan the score and align the words
    without speaking again, and so that an edit can keep every line where it is."""

    duration: float
    rate: int
    tts: str
    voice: str | None
    lines: list[PlacedLine]

    def slots(self) -> list[float]:
        """Each line's time in the voiceover, from its first sample to the next line's (the
        last line: its speech), in whole samples, as `NarrationLine.slot_seconds` keeps it."""
        firsts = [round(line.start * self.rate) for line in self.lines]
        ends = [*firsts[1:], round(self.lines[-1].end * self.rate)]
        return [(end - first) / self.rate for first, end in zip(firsts, ends, strict=True)]


def voiceover_layout_key(voiceover_key: str) -> str:
    """Where the layout of the voiceover stored at `voiceover_key` is."""
    return voiceover_key.removesuffix(".wav") + ".json"


# --------------------------------------------------------------------------- storyboard / video


class Shot(Model):
    """shots/NN.json: an image-to-video prompt for one frame."""

    scene: int
    camera: CameraMove
    action: str
    atmosphere: str
    prompt: str
    duration: float = Field(gt=0.0, description="planned clip length, s (assembly retimes)")
    focus: tuple[float, float] = Field(
        (0.5, 0.5), description="subject centre, 0..1 of width/height, for reframing crops"
    )


class ShotPlan(Model):
    """What the LLM's `shot` task returns for one frame."""

    camera: CameraMove
    action: str
    atmosphere: str
    prompt: str
    focus: tuple[float, float] = (0.5, 0.5)


# --------------------------------------------------------------------------- package


class ArtifactRecord(Model):
    name: str = Field(description="logical name, e.g. 'script', 'clip/03', 'trailer'")
    key: str = Field(description="blob store key")
    stage: str
    path: str | None = Field(None, description="path inside the trailer package")
    sha256: str | None = None
    size: int | None = None
    duration: float | None = Field(None, description="media duration, s")
    provider: str | None = None
    cost_usd: float | None = None


class Manifest(Model):
    version: int = SCHEMA_VERSION
    job_id: str
    title: str
    settings: JobSettings
    created_at: datetime = Field(default_factory=utcnow)
    artifacts: list[ArtifactRecord]
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    alignment: dict[str, float | str | None] = Field(default_factory=dict)
    cost_usd: float = 0.0


# --------------------------------------------------------------------------- job projection


class Status(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"
    awaiting_review = "awaiting_review"
    """stopped at a review checkpoint the job's settings name, until it is approved"""


class StageState(Model):
    status: Status = Status.queued
    items_total: int = 0
    items_done: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    error: str | None = None


class Job(Model):
    id: str
    tenant: str = "local"
    status: Status = Status.queued
    settings: JobSettings = Field(default_factory=JobSettings)  # type: ignore[arg-type]
    source_key: str
    title: str | None = None
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    stages: dict[str, StageState] = Field(
        default_factory=lambda: {s: StageState() for s in STAGES}
    )
    run: int = Field(1, ge=1, description="bumped by every rerun/retry; names fan-in groups")
    force: list[str] = Field(default_factory=list, description="stages to redo, ignoring cache")
    budget_usd: float | None = Field(None, description="JobSettings.budget_usd of the run")
    cost_usd: float = 0.0
    script_key: str | None = Field(
        None, description="a script the user supplied (edited): the script stage uses it"
    )
    revision: int = Field(0, ge=0, description="bumped by every edit; an edit names the one "
                          "it was made on, so a stale one is refused")
    awaiting: Review | None = Field(None, description="the review the job waits at")
    approved: list[Review] = Field(default_factory=list,
                                   description="reviews passed: they never stop the job again")
    versions: list[str] = Field(default_factory=list,
                                description="manifest keys of the renders before the current")

    def group(self, name: str) -> str:
        """The fan-in group `name` of the current run."""
        return f"{name}#{self.run}"


class ProgressEvent(Model):
    seq: int = 0
    job_id: str
    stage: str
    kind: Literal["started", "item", "completed", "failed", "cancelled", "info"]
    message: str = ""
    time: datetime = Field(default_factory=utcnow)


SceneList.model_rebuild()
