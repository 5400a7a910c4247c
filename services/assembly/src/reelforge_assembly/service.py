"""Stage 7 as a service: audio + video fan-in → the trailer package → job.completed.

Queue `assembly.soundtrack` mixes and encodes the soundtrack as soon as the audio stage is
done (it needs nothing else, so it is ready before the clips are), then counts audio in;
queue `assembly` counts video in. Whoever brings the job store's count to zero publishes
`assembly.ready`, and queue `assembly.render` renders everything from the artifacts the job
store names. Every output is keyed by a fingerprint of exactly the inputs and settings it
depends on, so a redelivery or rerun reuses what is already there and an edit re-renders
only what it touched (new captions do not re-encode the video).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import soundfile
from reelforge.blobs import BlobNotFound
from reelforge.bus import Permanent
from reelforge.events import ASSEMBLY_READY, JOB_COMPLETED, Event
from reelforge.models import (
    ASPECT_SIZES,
    MASTER_SIDE,
    ArtifactRecord,
    Aspect,
    Job,
    Manifest,
    Script,
    Shot,
    Status,
    WordTimings,
)
from reelforge.pipeline import SHOT, reference_name
from reelforge.runtime import Service, StageContext, fingerprint, output_key, stage_service

from reelforge_assembly.captions import build_cues, to_srt, to_vtt
from reelforge_assembly.encode import ENCODINGS, OpenEncoder, SegmentWriter
from reelforge_assembly.manifest import build_manifest, describe, described_before
from reelforge_assembly.mix import RATE
from reelforge_assembly.promo import PROMOS, key_frame, key_scene, write_promos
from reelforge_assembly.render import Variant, plan_variants, render_trailer
from reelforge_assembly.segments import (
    KnownSegments,
    RenderSegment,
    SceneIdentity,
    plan_segments,
    segment_keys,
)
from reelforge_assembly.soundtrack import make_soundtrack, soundtrack_samples
from reelforge_assembly.sources import SceneSource
from reelforge_assembly.timeline import Timeline, build_timeline

STAGE = "assembly"
ASSEMBLY_VERSION = 1
"""Bump when a change to this stage should re-render existing outputs."""
VIDEO_PROVIDER = "pyav-libx264"
SOUNDTRACK_PROVIDER = "mix+ffmpeg-aac"
UPSTREAM = ("script", "voiceover", "score", "words", "soundtrack")
SCENE_KINDS = ("frame", "shot", "clip")


@dataclass(frozen=True)
class RenderOptions:
    """Canvas and output sizes, and how a render segment's encoder is opened; production
    uses the defaults, tests pass small sizes (and count the encoders)."""

    master_side: int = MASTER_SIDE
    sizes: Mapping[Aspect, tuple[int, int]] = field(default_factory=lambda: dict(ASPECT_SIZES))
    open_encoder: OpenEncoder = SegmentWriter


@dataclass
class Inputs:
    """The upstream artifacts assembly reads, by logical name."""

    records: dict[str, ArtifactRecord]
    script: Script
    words: WordTimings
    shots: dict[str, Shot]
    scene_of: dict[str, int]
    """NN → scene index (NN is the scene's 1-based position in script.scenes)."""

    def key(self, name: str) -> str:
        return self.records[name].key

    def scene_items(self, kind: str) -> dict[int, ArtifactRecord]:
        """scene index → record of `kind` (frame, shot, clip)."""
        found = {}
        for nn, scene in self.scene_of.items():
            record = self.records.get(f"{kind}/{nn}")
            if record is not None:
                found[scene] = record
        return found

    def upstream(self) -> list[ArtifactRecord]:
        """The upstream files of the package, in this run's scenes only, with the reference
        pictures of this script's characters and locations (not those of an edit's past)."""
        references = [
            *(reference_name("character", c.id) for c in self.script.main_characters_shown()),
            *(reference_name("location", loc.id) for loc in self.script.scene_locations()),
        ]
        names = [*UPSTREAM, *references,
                 *(f"{k}/{nn}" for nn in self.scene_of for k in SCENE_KINDS)]
        return [self.records[n] for n in names if n in self.records and self.records[n].path]


# --------------------------------------------------------------------------- fan-in


async def on_audio_completed(event: Event, ctx: StageContext) -> None:
    """Make the soundtrack, then count audio in."""
    job = await ctx.job(event.job_id)
    await make_job_soundtrack(ctx, job)
    await _count_in(event, ctx, job, "audio")


async def on_video_completed(event: Event, ctx: StageContext) -> None:
    await _count_in(event, ctx, await ctx.job(event.job_id), "video")


async def _count_in(event: Event, ctx: StageContext, job: Job, part: str) -> None:
    """The delivery that completes the pair starts the render."""
    remaining = await ctx.jobs.complete_item(job.id, job.group(STAGE), part)
    if remaining == 0:
        await ctx.publish(event.follow(ASSEMBLY_READY))


async def make_job_soundtrack(ctx: StageContext, job: Job) -> ArtifactRecord:
    """Mix the job's voiceover over its score and encode it to AAC (or find it made), as
    long as the trailer will be: the voiceover plus the end card."""
    records = {r.name: r for r in await ctx.jobs.list_artifacts(job.id)}
    for name in ("voiceover", "score"):
        if name not in records:
            raise Permanent(f"job {job.id} has no {name!r} artifact; audio must finish first")
    voiceover, score = records["voiceover"].key, records["score"].key
    fps, bitrate = job.settings.fps, ENCODINGS[job.settings.quality].audio_bitrate
    key = output_key(job.id, STAGE, "soundtrack.m4a",
                     fingerprint(ASSEMBLY_VERSION, "soundtrack", voiceover, score, fps, bitrate))
    spoken = await _voiceover_seconds(ctx, voiceover)
    samples = soundtrack_samples(spoken, fps)
    if not await ctx.reuse(job, STAGE, key):
        await ctx.check_cancelled(job.id)
        async with AsyncExitStack() as stack:
            local = await _local_files(ctx, stack, {"voiceover": voiceover, "score": score})
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mix-")))
            report = await asyncio.to_thread(make_soundtrack, local["voiceover"],
                                             local["score"], samples,
                                             folder / "soundtrack.m4a", bitrate)
            await ctx.blobs.put_file(key, folder / "soundtrack.m4a", "audio/mp4")
        await ctx.progress(job.id, STAGE, "info",
                           f"soundtrack mixed: {report.loudness_lufs:.1f} LUFS, true peak "
                           f"{report.true_peak_dbtp:.1f} dBTP")
    return await ctx.record(job.id, "soundtrack", key, STAGE, provider=SOUNDTRACK_PROVIDER,
                            duration=samples / RATE, path="soundtrack.m4a")


# --------------------------------------------------------------------------- render


class Assembler:
    """The `assembly.render` handler, parameterised by canvas and output sizes."""

    def __init__(self, options: RenderOptions | None = None) -> None:
        self.options = options or RenderOptions()

    async def on_ready(self, event: Event, ctx: StageContext) -> None:
        started = time.perf_counter()
        job = await ctx.job(event.job_id)
        await ctx.stage_started(job, STAGE)
        if await ctx.jobs.get_artifact(job.id, "soundtrack") is None:
            await make_job_soundtrack(ctx, job)  # audio counted in by an earlier version
        inputs = await load_inputs(ctx, job)
        made = [
            *await self._captions(ctx, job, inputs),
            *await self._trailers(ctx, job, inputs),
            *await self._promos(ctx, job, inputs),
        ]
        await self._manifest(ctx, job, inputs, made, started)
        await ctx.stage_completed(job.id, STAGE)
        await ctx.jobs.set_job_status(job.id, Status.completed)
        if job.status != Status.completed:  # a redelivery re-completes; count a job once
            ctx.metrics.jobs_finished.labels(Status.completed.value).inc()
        await ctx.publish(event.follow(JOB_COMPLETED))

    # ------------------------------------------------------------ captions

    async def _captions(self, ctx: StageContext, job: Job, inputs: Inputs) -> list[ArtifactRecord]:
        fp = fingerprint(ASSEMBLY_VERSION, "captions", inputs.key("script"), inputs.key("words"))
        cues = build_cues(inputs.words, inputs.script)
        records = []
        for name, filename, text in (("captions_srt", "captions.srt", to_srt(cues)),
                                     ("captions_vtt", "captions.vtt", to_vtt(cues))):
            key = output_key(job.id, STAGE, filename, fp)
            if not await ctx.reuse(job, STAGE, key):
                await ctx.blobs.put(key, text.encode(), "text/plain; charset=utf-8")
            records.append(await ctx.record(job.id, name, key, STAGE, provider=STAGE,
                                            path=filename))
        return records

    # ------------------------------------------------------------ trailers

    async def _trailers(self, ctx: StageContext, job: Job, inputs: Inputs) -> list[ArtifactRecord]:
        """Each variant is joined from render segments stored under their own fingerprints,
        so an edit re-encodes only the segments that show it; a variant whose segments and
        soundtrack are all unchanged is reused whole."""
        s = job.settings
        variants = plan_variants(s.aspect, master_side=self.options.master_side,
                                 sizes=self.options.sizes)
        spoken = await _voiceover_seconds(ctx, inputs.key("voiceover"))
        timeline = build_timeline(inputs.script, inputs.words, s.fps, voiceover_seconds=spoken,
                                  title=s.title)
        cues = build_cues(inputs.words, inputs.script)
        identities = self._identities(inputs)
        plan = plan_segments(timeline)
        pieces = {
            v.name: segment_keys(timeline, plan, v, identities, cues, ENCODINGS[s.quality],
                                 self.options.master_side)
            for v in variants
        }
        keys = {
            v.name: output_key(job.id, STAGE, v.filename, fingerprint(
                ASSEMBLY_VERSION, "trailer", v.name, pieces[v.name], inputs.key("soundtrack")))
            for v in variants
        }
        missing = [v for v in variants if not await ctx.reuse(job, STAGE, keys[v.name])]
        if missing:
            await ctx.check_cancelled(job.id)
            await ctx.progress(job.id, STAGE, "info",
                               f"rendering {', '.join(v.filename for v in missing)}")
            await self._render(ctx, job, inputs, missing, keys, spoken, _Pieces(
                timeline, plan, {v.name: pieces[v.name] for v in missing}, identities))
        return [
            await ctx.record(job.id, v.name, keys[v.name], STAGE, provider=VIDEO_PROVIDER,
                             duration=timeline.duration, path=v.filename)
            for v in variants
        ]

    async def _render(self, ctx: StageContext, job: Job, inputs: Inputs,
                      variants: Sequence[Variant], keys: Mapping[str, str],
                      spoken: float, pieces: _Pieces) -> None:
        s = job.settings
        pictures = self._pictures(inputs)
        async with AsyncExitStack() as stack:
            known = {}
            for key in {k for variant_keys in pieces.keys.values() for k in variant_keys}:
                blob = segment_key(job.id, key)
                if await ctx.reuse(job, STAGE, blob):
                    known[key] = await stack.enter_async_context(ctx.blobs.local_file(blob))
            shown = pieces.scenes_to_encode(set(known))  # only their clips are read
            local = await _local_files(ctx, stack, {
                "soundtrack": inputs.key("soundtrack"),
                **{f"scene/{i}": r.key for i, r in pictures.items() if i in shown},
            })
            sources = {
                scene: SceneSource(local[f"scene/{scene}"], self._focus(inputs, scene))
                for scene in pictures if scene in shown
            }
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="assembly-")))
            uploads = _SegmentUploads(ctx, job.id)
            store = KnownSegments(known, folder / "segments", uploads.start)
            outputs = {v.aspect: folder / v.filename for v in variants}
            todo = pieces.count_to_encode(set(known))
            await ctx.progress(job.id, STAGE, "info",
                               f"render segments: {todo} to encode, "
                               f"{pieces.count() - todo} reused")
            try:
                await asyncio.to_thread(
                    render_trailer, inputs.script, inputs.words, sources, local["soundtrack"],
                    outputs, primary=s.aspect, fps=s.fps, quality=s.quality,
                    title=s.title, master_side=self.options.master_side,
                    sizes=self.options.sizes, voiceover_seconds=spoken, segments=store,
                    pictures=pieces.identities, open_encoder=self.options.open_encoder,
                )
            finally:  # a render that fails part way keeps the pieces it finished
                await uploads.wait()
            for variant in variants:
                await ctx.blobs.put_file(keys[variant.name], outputs[variant.aspect],
                                         "video/mp4")

    def _identities(self, inputs: Inputs) -> dict[int, SceneIdentity]:
        """What each scene's segments are keyed by: its picture's blob key and its focus."""
        return {scene: SceneIdentity(record.key, self._focus(inputs, scene))
                for scene, record in self._pictures(inputs).items()}

    def _pictures(self, inputs: Inputs) -> dict[int, ArtifactRecord]:
        """Each scene's clip, or its still frame when the clip is missing."""
        return {**inputs.scene_items("frame"), **inputs.scene_items("clip")}

    def _focus(self, inputs: Inputs, scene: int) -> tuple[float, float]:
        for nn, shot in inputs.shots.items():
            if inputs.scene_of.get(nn) == scene:
                return shot.focus
        return (0.5, 0.5)

    # ------------------------------------------------------------ promo

    async def _promos(self, ctx: StageContext, job: Job, inputs: Inputs) -> list[ArtifactRecord]:
        frames, clips = inputs.scene_items("frame"), inputs.scene_items("clip")
        scene = key_scene(inputs.script, set(frames) | set(clips))
        if scene is None:
            return []
        s = job.settings
        title = s.title or inputs.script.title
        still, clip = frames.get(scene), clips.get(scene)
        focus = self._focus(inputs, scene)
        fp = fingerprint(ASSEMBLY_VERSION, "promo", still.key if still else None,
                         clip.key if clip else None, focus, title, inputs.script.tagline,
                         s.grade)
        keys = {p.name: output_key(job.id, STAGE, p.filename, fp) for p in PROMOS}
        if not all([await ctx.reuse(job, STAGE, k) for k in keys.values()]):
            async with AsyncExitStack() as stack:
                local = await _local_files(ctx, stack, {
                    n: r.key for n, r in (("still", still), ("clip", clip)) if r is not None
                })
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="promo-")))
                picture = await asyncio.to_thread(key_frame, local.get("still"),
                                                  local.get("clip"), s.grade)
                written = await asyncio.to_thread(write_promos, picture, focus, title,
                                                  inputs.script.tagline, folder)
                for name, path in written.items():
                    await ctx.blobs.put_file(keys[name], path, _content_type(path))
        return [
            await ctx.record(job.id, p.name, keys[p.name], STAGE, provider="pillow",
                             path=p.filename)
            for p in PROMOS
        ]

    # ------------------------------------------------------------ manifest

    async def _manifest(self, ctx: StageContext, job: Job, inputs: Inputs,
                        made: Sequence[ArtifactRecord], started: float) -> str:
        entries = [*inputs.upstream(), *made]
        key = output_key(job.id, STAGE, "manifest.json",
                         fingerprint(ASSEMBLY_VERSION, sorted(e.key for e in entries)))
        earlier = await _earlier_descriptions(ctx, job.id)
        described = []
        for entry in entries:
            known = earlier.get(entry.key)
            if known is not None and not ctx.is_forced(job, entry.stage):
                described.append(described_before(entry, known))
                continue
            async with ctx.blobs.local_file(entry.key) as path:
                described.append(await asyncio.to_thread(describe, entry, path))
        own = ArtifactRecord(name="manifest", key=key, stage=STAGE, path="manifest.json",
                             provider=STAGE)
        job = await ctx.job(job.id)
        title = job.settings.title or inputs.script.title
        manifest = build_manifest(job, title, [*described, own],
                                  time.perf_counter() - started, inputs.words)
        await ctx.store(key, manifest)
        await ctx.record(job.id, "manifest", key, STAGE, provider=STAGE, path="manifest.json")
        return key


async def _earlier_descriptions(ctx: StageContext, job_id: str) -> dict[str, ArtifactRecord]:
    """The files the job's last manifest described, by blob key: after an edit most of the
    package is the same blobs, and hashing and demuxing them again (clips, trailers, the
    audio) was the larger part of writing the manifest. A forced stage writes over its
    keys, so its outputs are described again."""
    record = await ctx.jobs.get_artifact(job_id, "manifest")
    if record is None:
        return {}
    try:
        manifest = await ctx.load(record.key, Manifest)
    except BlobNotFound:
        return {}
    return {a.key: a for a in manifest.artifacts if a.sha256 is not None and a.size is not None}


@dataclass(frozen=True)
class _Pieces:
    """The render segments of the variants to render, by variant name, and what keys them."""

    timeline: Timeline
    plan: Sequence[RenderSegment]
    keys: Mapping[str, Sequence[str]]
    identities: Mapping[int, SceneIdentity]

    def count(self) -> int:
        return sum(len(variant_keys) for variant_keys in self.keys.values())

    def count_to_encode(self, stored: set[str]) -> int:
        return sum(key not in stored for variant_keys in self.keys.values()
                   for key in variant_keys)

    def scenes_to_encode(self, stored: set[str]) -> set[int]:
        """The scenes shown in some segment that is not stored yet."""
        return {
            scene
            for variant_keys in self.keys.values()
            for piece, key in zip(self.plan, variant_keys, strict=True) if key not in stored
            for index in piece.shows
            if (scene := self.timeline.segments[index].scene) is not None
        }


class _SegmentUploads:
    """Each render segment stored as soon as its encoder finishes it (called from the
    encoding threads), so a render that stops part way loses no finished piece: a rerun
    finds them under their fingerprints."""

    def __init__(self, ctx: StageContext, job_id: str) -> None:
        self._ctx, self._job_id = ctx, job_id
        self._loop = asyncio.get_running_loop()
        self._pending: list[concurrent.futures.Future[None]] = []

    def start(self, key: str, path: Path) -> None:
        upload = self._ctx.blobs.put_file(segment_key(self._job_id, key), path, "video/mp4")
        self._pending.append(asyncio.run_coroutine_threadsafe(upload, self._loop))

    async def wait(self) -> None:
        """Every upload started, finished (the first failure is raised)."""
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._pending))


def segment_key(job_id: str, fp: str) -> str:
    """Where a render segment with fingerprint `fp` is stored."""
    return output_key(job_id, STAGE, "segment.mp4", fp)


# --------------------------------------------------------------------------- inputs


async def load_inputs(ctx: StageContext, job: Job) -> Inputs:
    """Every upstream record this stage reads, the script, the words and the shots."""
    records = {r.name: r for r in await ctx.jobs.list_artifacts(job.id)}
    for name in UPSTREAM:
        if name not in records:
            raise Permanent(f"job {job.id} has no {name!r} artifact; audio must finish first")
    script = await ctx.load(records["script"].key, Script)
    words = await ctx.load(records["words"].key, WordTimings)
    scene_of = {f"{i:02d}": scene.index for i, scene in enumerate(script.scenes, start=1)}
    shots = {
        nn: await ctx.load(records[SHOT.named(NN=nn)].key, Shot)
        for nn in scene_of if SHOT.named(NN=nn) in records
    }
    return Inputs(records, script, words, shots, scene_of)


async def _voiceover_seconds(ctx: StageContext, key: str) -> float:
    """The voiceover's real length (the trailer is this plus the end card)."""
    async with ctx.blobs.local_file(key) as path:
        info = await asyncio.to_thread(soundfile.info, str(path))
    return float(info.frames / info.samplerate)


async def _local_files(ctx: StageContext, stack: AsyncExitStack,
                       keys: Mapping[str, str]) -> dict[str, Path]:
    """Local paths for blobs, held open until `stack` closes."""
    return {name: await stack.enter_async_context(ctx.blobs.local_file(key))
            for name, key in keys.items()}


def _content_type(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg"}.get(path.suffix, "application/octet-stream")


def build_service(options: RenderOptions | None = None) -> Service:
    assembler = Assembler(options)
    return stage_service(STAGE, {
        "assembly.soundtrack": on_audio_completed,
        "assembly": on_video_completed,
        "assembly.render": assembler.on_ready,
    })


service = build_service()
