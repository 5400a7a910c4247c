"""The pipeline, declared once: its stages, the queues and events that drive them, the
artifacts each stage makes and what each is made from, the fan-out over scenes and the join.

Everything else that knows the stage graph derives from here: the broker topology
(`topology.PIPELINE_QUEUES`), the sweeper's current events, a job's stage list
(`models.STAGES`), the CLI's stage choices and worker names, each service's consumers
(`runtime.stage_service`), the tables in docs/pipeline.md (a test compares them with
`queue_table` and `artifact_table`) and `dependents`: what must be redone when an artifact
changes. Adding a stage means one `Stage` here plus its handlers.

A stage reads its inputs from the job store by artifact name (`Artifact.named`), never from
a copy elsewhere. This module imports nothing from reelforge, so every module can use it.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal, get_args

# --------------------------------------------------------------------------- routing keys

JOB_SUBMITTED: Final = "job.submitted"
SCRIPT_COMPLETED: Final = "script.completed"
AUDIO_COMPLETED: Final = "audio.completed"
STORYBOARD_SCENE: Final = "storyboard.scene"
STORYBOARD_COMPLETED: Final = "storyboard.completed"
VIDEO_SHOT: Final = "video.shot"
VIDEO_COMPLETED: Final = "video.completed"
ASSEMBLY_READY: Final = "assembly.ready"
JOB_COMPLETED: Final = "job.completed"
JOB_FAILED: Final = "job.failed"

# --------------------------------------------------------------------------- artifacts

SCENE: Final = "NN"
"""The placeholder of a per-scene artifact's number: two digits from 01, in script order."""
CHARACTER: Final = "character"
LOCATION: Final = "location"
"""The placeholders of a reference picture's subject: a character's or location's id as
`subject_id` writes it."""
SUBJECT_ID: Final = r"[a-z0-9][a-z0-9_-]{0,63}"
PLACEHOLDER_VALUES = {SCENE: r"\d{2}", "aspect": r"\d+x\d+", CHARACTER: SUBJECT_ID,
                      LOCATION: SUBJECT_ID}


def subject_id(story_id: str) -> str:
    """A character's or location's id as artifact names and package paths spell it: the id
    itself when it is a plain lower-case slug, else a slug of it with a digest of the id, so
    two ids never share a file."""
    if re.fullmatch(SUBJECT_ID, story_id):
        return story_id
    slug = re.sub(r"[^a-z0-9]+", "-", story_id.lower()).strip("-")[:48] or "x"
    return f"{slug}-{hashlib.sha256(story_id.encode()).hexdigest()[:8]}"


@dataclass(frozen=True, repr=False)
class Artifact:
    """A kind of artifact: its job-store name and package path, as patterns where it is
    made once per scene (`{NN}`) or per aspect (`{aspect}`, e.g. 9x16), and the artifacts
    its content depends on (a change to any of them means it must be made again)."""

    name: str
    path: str | None
    made_from: tuple[Artifact, ...] = ()
    note: str = ""

    @property
    def per_scene(self) -> bool:
        return "{" + SCENE + "}" in self.name

    def named(self, **placeholders: str) -> str:
        """The job-store name of one artifact of this kind: `FRAME.named(NN="03")`."""
        return self.name.format(**placeholders)

    def path_for(self, **placeholders: str) -> str | None:
        return None if self.path is None else self.path.format(**placeholders)

    def matches(self, name: str) -> dict[str, str] | None:
        """The placeholder values of `name` if it is one of this kind, else None."""
        pattern = re.escape(self.name)
        for placeholder, value in PLACEHOLDER_VALUES.items():
            pattern = pattern.replace(re.escape("{" + placeholder + "}"),
                                      f"(?P<{placeholder}>{value})")
        found = re.fullmatch(pattern, name)
        return None if found is None else found.groupdict()

    def __repr__(self) -> str:
        return f"Artifact({self.name!r})"


DOCUMENT = Artifact("document", None, note="the parsed story; blob key in `job.source_key`")
SCRIPT = Artifact("script", "script.json", (DOCUMENT,))
VOICEOVER = Artifact("voiceover", "voiceover.wav", (SCRIPT,))
WORDS = Artifact("words", "words.json", (SCRIPT, VOICEOVER))
SCORE = Artifact("score", "score.wav", (SCRIPT, VOICEOVER),
                 note="cues placed on the voiceover's lines")
REFERENCE_CHARACTER = Artifact(
    "reference/character/{character}", "references/characters/{character}.png", (SCRIPT,),
    note="a reference portrait of each main character (not minor ones) a scene shows")
REFERENCE_LOCATION = Artifact(
    "reference/location/{location}", "references/locations/{location}.png", (SCRIPT,),
    note="a reference shot of each location a scene is set in")
FRAME = Artifact("frame/{NN}", "storyboard/{NN}.png",
                 (SCRIPT, REFERENCE_CHARACTER, REFERENCE_LOCATION),
                 note="sent the references of its scene's characters and location where the "
                 "image provider takes reference images")
SHOT = Artifact("shot/{NN}", "shots/{NN}.json", (SCRIPT, FRAME))
CLIP = Artifact("clip/{NN}", "clips/{NN}.mp4", (FRAME, SHOT),
                note="a video model that ends a clip on a given frame is sent the next "
                "scene's frame too")
SOUNDTRACK = Artifact("soundtrack", "soundtrack.m4a", (VOICEOVER, SCORE),
                      note="the AAC track every trailer variant carries")
CAPTIONS_SRT = Artifact("captions_srt", "captions.srt", (SCRIPT, WORDS))
CAPTIONS_VTT = Artifact("captions_vtt", "captions.vtt", (SCRIPT, WORDS))
_PICTURES = (SCRIPT, VOICEOVER, WORDS, SCORE, FRAME, SHOT, CLIP, SOUNDTRACK)
TRAILER = Artifact("trailer", "trailer.mp4", _PICTURES, note="the job's primary aspect")
TRAILER_VARIANT = Artifact("trailer_{aspect}", "trailer_{aspect}.mp4", _PICTURES,
                           note="the other aspects, e.g. trailer_9x16")
_KEY_FRAME = (SCRIPT, FRAME, SHOT, CLIP)
POSTER = Artifact("poster", "poster.png", _KEY_FRAME, note="from the key scene")
THUMBNAIL = Artifact("thumbnail", "thumbnail.jpg", _KEY_FRAME, note="from the key scene")
COVER = Artifact("cover", "cover.jpg", _KEY_FRAME, note="from the key scene")
_PACKAGE = (SCRIPT, VOICEOVER, WORDS, SCORE, REFERENCE_CHARACTER, REFERENCE_LOCATION, FRAME,
            SHOT, CLIP, SOUNDTRACK, CAPTIONS_SRT, CAPTIONS_VTT, TRAILER, TRAILER_VARIANT, POSTER,
            THUMBNAIL, COVER)
MANIFEST = Artifact("manifest", "manifest.json", _PACKAGE)

ReferenceKind = Literal["character", "location"]


def reference_artifact(kind: ReferenceKind) -> Artifact:
    return REFERENCE_CHARACTER if kind == CHARACTER else REFERENCE_LOCATION


def reference_name(kind: ReferenceKind, story_id: str) -> str:
    """The job-store name of the reference picture of a character or location (by its id in
    the script): `reference/character/mara`."""
    return reference_artifact(kind).named(**{kind: subject_id(story_id)})


# --------------------------------------------------------------------------- stages


class Emits(StrEnum):
    """When a step publishes its event."""

    once = "once"
    per_scene = "per scene"  # the fan-out: one work item per scene of the script
    last_item = "last item"  # the fan-in: the delivery that completes the stage's group
    joined = "joined"  # the join: the delivery that completes the stage's join group


@dataclass(frozen=True)
class Step:
    """One queue of a stage: the event it consumes, what its handler does, what it
    publishes and when, and how many deliveries one replica holds at once."""

    queue: str
    consumes: str
    does: str
    publishes: str
    emits: Emits = Emits.once
    prefetch: int = 1
    prefetch_setting: str | None = None
    """A Settings field that overrides `prefetch` (the services' limits per replica)."""
    prefetch_scale: int = 1
    """Deliveries held per unit of `prefetch_setting` (see the video stage's call slots)."""


@dataclass(frozen=True)
class Stage:
    name: str
    makes: tuple[Artifact, ...]
    steps: tuple[Step, ...] = ()

    @property
    def fans_out(self) -> bool:
        """One work item per scene, counted in the job-store group `{name}#{run}`."""
        return any(s.emits == Emits.per_scene for s in self.steps)

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(s.queue for s in self.steps)

    @property
    def reads(self) -> tuple[Artifact, ...]:
        """The artifacts of other stages this one reads (from the job store, by name)."""
        wanted = {a for made in self.makes for a in made.made_from} - set(self.makes)
        return tuple(a for a in ARTIFACTS if a in wanted)

    @property
    def entry_events(self) -> tuple[str, ...]:
        """The events from outside the stage that start its work."""
        own = {s.publishes for s in self.steps}
        return tuple(s.consumes for s in self.steps if s.consumes not in own)

    @property
    def fan_in_event(self) -> str | None:
        """The event the delivery completing the stage's last work item publishes."""
        return next((s.publishes for s in self.steps if s.emits == Emits.last_item), None)

    @property
    def joined_event(self) -> str | None:
        """The event the join publishes once every part is in; None without a join."""
        return next((s.publishes for s in self.steps if s.emits == Emits.joined), None)

    @property
    def join_parts(self) -> tuple[str, ...]:
        """The items of the join group: the stages whose completion it waits for."""
        return tuple(publisher(s.consumes).name for s in self.steps if s.emits == Emits.joined)


INGEST = Stage("ingest", (DOCUMENT,))  # the API or the CLI: publishes job.submitted
SCRIPT_STAGE = Stage("script", (SCRIPT,), (
    Step("script", JOB_SUBMITTED, "Document → `script.json`", SCRIPT_COMPLETED),
))
AUDIO_STAGE = Stage("audio", (VOICEOVER, WORDS, SCORE), (
    Step("audio", SCRIPT_COMPLETED, "voiceover, then word alignment and score at once",
         AUDIO_COMPLETED),
))
STORYBOARD_STAGE = Stage("storyboard", (REFERENCE_CHARACTER, REFERENCE_LOCATION, FRAME,
                                        SHOT), (
    Step("storyboard", SCRIPT_COMPLETED, "the reference pictures (one per main character and "
         "per location), then registers group `storyboard#run` (one item per scene)",
         STORYBOARD_SCENE, Emits.per_scene),
    Step("storyboard.scenes", STORYBOARD_SCENE, "frame + shot prompt for scene `item`",
         STORYBOARD_COMPLETED, Emits.last_item, prefetch=30,
         prefetch_setting="storyboard_prefetch"),
))
VIDEO_STAGE = Stage("video", (CLIP,), (
    Step("video", STORYBOARD_COMPLETED, "registers group `video#run` (one item per scene)",
         VIDEO_SHOT, Emits.per_scene),
    Step("video.shots", VIDEO_SHOT, "clip for shot `item`; `video_prefetch` provider calls "
         "at once, three times as many deliveries held", VIDEO_COMPLETED, Emits.last_item,
         prefetch=4, prefetch_setting="video_prefetch", prefetch_scale=3),
))
ASSEMBLY_STAGE = Stage("assembly", (SOUNDTRACK, CAPTIONS_SRT, CAPTIONS_VTT, TRAILER,
                                    TRAILER_VARIANT, POSTER, THUMBNAIL, COVER, MANIFEST), (
    Step("assembly.soundtrack", AUDIO_COMPLETED,
         "mixes the voiceover over the ducked score (-16 LUFS, -1 dBTP) and encodes it to AAC "
         "while the visuals are still being made, then completes item `audio` of group "
         "`assembly#run`", ASSEMBLY_READY, Emits.joined),
    Step("assembly", VIDEO_COMPLETED, "completes item `video` of group `assembly#run`",
         ASSEMBLY_READY, Emits.joined),
    Step("assembly.render", ASSEMBLY_READY, "timeline, render (the soundtrack remuxed), "
         "captions, variants, promo, manifest", JOB_COMPLETED),
))

PIPELINE: Final = (INGEST, SCRIPT_STAGE, AUDIO_STAGE, STORYBOARD_STAGE, VIDEO_STAGE,
                   ASSEMBLY_STAGE)
ARTIFACTS: Final = tuple(a for stage in PIPELINE for a in stage.makes)

STAGES: Final = tuple(stage.name for stage in PIPELINE)
"""Every stage of a job, in pipeline order (ingest first)."""
WORKER_STAGES: Final = tuple(stage.name for stage in PIPELINE if stage.steps)
"""The stages a worker runs (every one but ingest): `reelforge worker NAME`, `--force NAME`."""
FAN_OUT_STAGES: Final = tuple(stage.name for stage in PIPELINE if stage.fans_out)
STEPS: Final = tuple(step for stage in PIPELINE for step in stage.steps)
SCENE_FOLDERS: Final[tuple[str, ...]] = tuple(
    a.path.split("/")[0] for a in ARTIFACTS if a.per_scene and a.path)
"""The package folders that hold one file per scene."""


def stage(name: str) -> Stage:
    found = next((s for s in PIPELINE if s.name == name), None)
    if found is None:
        raise KeyError(f"no stage {name!r}; the stages are {', '.join(STAGES)}")
    return found


def publisher(event: str) -> Stage:
    """The stage whose step publishes `event`."""
    return next(s for s in PIPELINE if any(step.publishes == event for step in s.steps))


def maker(artifact: Artifact) -> Stage:
    return next(s for s in PIPELINE if artifact in s.makes)


def upstream(of: Stage) -> tuple[Stage, ...]:
    """Every stage whose events lead, directly or not, to `of`'s work (ingest excluded: it
    publishes from outside the queues)."""
    found: set[str] = set()
    frontier = [of]
    while frontier:
        events = frontier.pop().entry_events
        for feeding in PIPELINE:
            if feeding.name not in found and any(s.publishes in events for s in feeding.steps):
                found.add(feeding.name)
                frontier.append(feeding)
    return tuple(s for s in PIPELINE if s.name in found)


def finishing_step() -> Step:
    """The step that completes a job."""
    return next(s for s in STEPS if s.publishes == JOB_COMPLETED)


# --------------------------------------------------------------------------- reviews

Review = Literal["script", "storyboard"]
REVIEWS: Final[dict[Review, str]] = {
    "script": SCRIPT_COMPLETED,
    "storyboard": STORYBOARD_COMPLETED,
}
"""The checkpoints a job may wait at for a person's approval, each with the event it holds
back: a job whose settings name a review publishes everything up to that event, then waits
(status `awaiting_review`) until the review is approved, and the held event is published."""
assert set(get_args(Review)) == set(REVIEWS)


def held_by(event: str) -> Review | None:
    """The review that holds `event` back, if any."""
    return next((review for review, held in REVIEWS.items() if held == event), None)


# --------------------------------------------------------------------------- dependents


@dataclass(frozen=True)
class ArtifactRef:
    """One artifact of a job, or, with `scene` None on a per-scene kind, every scene's."""

    artifact: Artifact
    scene: str | None = None

    def __str__(self) -> str:
        if self.artifact.per_scene and self.scene is not None:
            return self.artifact.named(**{SCENE: self.scene})
        return self.artifact.name


def ref(artifact: Artifact, scene: str | None = None) -> ArtifactRef:
    if scene is not None and not artifact.per_scene:
        raise ValueError(f"{artifact.name} is made once per job, not per scene")
    return ArtifactRef(artifact, scene)


def parse(name: str) -> ArtifactRef:
    """The artifact a job-store name is: `parse("frame/03")` → frame of scene 03."""
    for artifact in ARTIFACTS:
        values = artifact.matches(name)
        if values is not None:
            return ref(artifact, values.get(SCENE))
    raise KeyError(f"{name!r} is no artifact of the pipeline")


def dependents(changed: ArtifactRef | Artifact | str) -> tuple[ArtifactRef, ...]:
    """Everything that must be made again when `changed` changes, transitively, in pipeline
    order. A per-scene artifact's change reaches the same scene's per-scene artifacts and
    every per-job one; a per-job artifact's change reaches every scene."""
    start = (parse(changed) if isinstance(changed, str)
             else ref(changed) if isinstance(changed, Artifact) else changed)
    reached: dict[Artifact, str | None] = {}
    frontier = [start]
    while frontier:
        source = frontier.pop()
        for artifact in ARTIFACTS:
            if source.artifact not in artifact.made_from:
                continue
            scene = source.scene if artifact.per_scene else None
            if artifact in reached:
                if reached[artifact] in (None, scene):
                    continue
                scene = None  # reached for two scenes: redo every scene
            reached[artifact] = scene
            frontier.append(ref(artifact, scene))
    return tuple(ref(a, reached[a]) for a in ARTIFACTS if a in reached)


def stages_to_redo(changed: ArtifactRef | Artifact | str) -> tuple[Stage, ...]:
    """The stages that make what `dependents(changed)` lists, in pipeline order."""
    names = {maker(r.artifact).name for r in dependents(changed)}
    return tuple(s for s in PIPELINE if s.name in names)


# --------------------------------------------------------------------------- docs tables


def queue_table() -> str:
    rows = ["| queue | consumes | does | publishes |", "|---|---|---|---|"]
    for step in STEPS:
        rows.append(f"| `{step.queue}`{_prefetch(step)} | `{step.consumes}` | {step.does} "
                    f"| {_publishes(step)} |")
    return "\n".join(rows)


def artifact_table() -> str:
    rows = ["| name | made by | made from | package path | note |", "|---|---|---|---|---|"]
    for artifact in ARTIFACTS:
        sources = ("every package file above" if artifact.made_from == _PACKAGE
                   else ", ".join(f"`{a.name}`" for a in artifact.made_from))
        path = f"`{artifact.path}`" if artifact.path else ""
        rows.append(f"| `{artifact.name}` | {maker(artifact).name} | {sources} | {path} "
                    f"| {artifact.note} |")
    return "\n".join(rows)


TABLES = {"queues": queue_table, "artifacts": artifact_table}
"""The generated blocks of docs/pipeline.md, each between `<!-- pipeline:NAME -->` and
`<!-- /pipeline:NAME -->`."""


def with_tables(text: str) -> str:
    """`text` (docs/pipeline.md) with every generated block rewritten from the declaration."""
    for name, render in TABLES.items():
        start, end = f"<!-- pipeline:{name} -->", f"<!-- /pipeline:{name} -->"
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = f"{before}{start}\n{render()}\n{end}{after}"
    return text


def _prefetch(step: Step) -> str:
    if step.prefetch_setting is None:
        return "" if step.prefetch == 1 else f" (prefetch {step.prefetch})"
    if step.prefetch_scale == 1:
        return f" (prefetch `{step.prefetch_setting}`, default {step.prefetch})"
    return (f" (prefetch {step.prefetch_scale} x `{step.prefetch_setting}`, default "
            f"{step.prefetch_scale} x {step.prefetch})")


def _publishes(step: Step) -> str:
    return {
        Emits.once: f"`{step.publishes}`",
        Emits.per_scene: f"`{step.publishes}` × N (one per scene)",
        Emits.last_item: f"`{step.publishes}` when the group reaches 0",
        Emits.joined: f"`{step.publishes}` when 0 remain",
    }[step.emits]


if __name__ == "__main__":  # python -m reelforge.pipeline docs/pipeline.md
    doc = Path(sys.argv[1])
    doc.write_text(with_tables(doc.read_text()))
