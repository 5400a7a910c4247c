"""End to end through the service on the in-memory bus: the soundtrack made when audio is
done, fan-in, render, package, manifest, and a redelivered `audio.completed` that reuses
everything. Inputs are synthetic and small (a 320 px master
canvas, outputs at 1/6 of production size); what is checked is measured on the decoded
outputs."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
from assembly_samples import (
    SMALL_SIDE,
    SMALL_SIZES,
    make_clip,
    make_script,
    make_still,
    make_words,
    speech_like,
    tone,
    write_wav,
)
from PIL import Image
from reelforge.blobs import LocalBlobStore, job_key
from reelforge.bus import InMemoryBus
from reelforge.events import (
    ASSEMBLY_READY,
    AUDIO_COMPLETED,
    JOB_COMPLETED,
    VIDEO_COMPLETED,
    Event,
)
from reelforge.jobstore import SQLiteJobStore
from reelforge.models import ArtifactRecord, Job, JobSettings, Manifest, Shot, Status
from reelforge.runtime import StageContext, start_service
from reelforge.settings import Settings
from reelforge_assembly import service as assembly_service
from reelforge_assembly.encode import Encoding, SegmentWriter
from reelforge_assembly.manifest import describe
from reelforge_assembly.overlays import caption_region
from reelforge_assembly.segments import plan_segments
from reelforge_assembly.service import RenderOptions, build_service
from reelforge_assembly.timeline import Timeline, build_timeline

FPS = 24
LINES = [(0, "The sea took the town."), (1, "She stayed behind, alone."),
         (None, "This winter."), (2, "Something answers the light.")]
STARTS = [0.3, 2.2, 3.9, 5.3]
VOICEOVER_SECONDS = 7.2
CLIP_SECONDS = {0: 1.0, 1: 2.5, 2: 1.5}  # scene 0 and 2 must be slowed, scene 1 trimmed
FOCUS = {0: (0.5, 0.5), 1: (0.15, 0.8), 2: (0.7, 0.3)}
PACKAGE = {
    "script.json", "voiceover.wav", "score.wav", "words.json",
    *(f"storyboard/{nn}.png" for nn in ("01", "02", "03")),
    *(f"shots/{nn}.json" for nn in ("01", "02", "03")),
    *(f"clips/{nn}.mp4" for nn in ("01", "02", "03")),
    "soundtrack.m4a", "trailer.mp4", "trailer_9x16.mp4", "trailer_1x1.mp4",
    "captions.srt", "captions.vtt", "poster.png", "thumbnail.jpg", "cover.jpg",
    "manifest.json",
}


@dataclass
class Run:
    files: dict[str, Path]
    """package path -> blob file"""
    keys: dict[str, str]
    manifest: Manifest
    completed: list[Event]
    dead_letters: int
    job: Job


@dataclass
class Package:
    first: Run
    second: Run
    timeline: Timeline
    mtimes: dict[str, float]
    soundtrack_before_video: Path | None
    """the soundtrack's blob, as recorded before `video.completed` was published"""
    finished: list[float]
    """reelforge_jobs_finished_total{status="completed"} after each run"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    root = tmp_path_factory.mktemp("assembly")
    return asyncio.run(_first_and_second_run(root))


async def _first_and_second_run(root: Path) -> Package:
    blobs = LocalBlobStore(root / "store")
    jobs = SQLiteJobStore(root / "jobs.sqlite")
    await jobs.start()
    bus = InMemoryBus(max_attempts=1)
    ctx = StageContext(bus, blobs, jobs, None, Settings())  # type: ignore[arg-type]
    try:
        job = Job(id="job-e2e", source_key=job_key("job-e2e", "ingest", "doc.json"),
                  settings=JobSettings(duration=15.0, aspect="16:9", quality="draft", fps=FPS))
        await jobs.create_job(job)
        script, words = await _upstream(ctx, job, root / "inputs")
        completed: list[Event] = []

        async def collect(event: Event) -> None:
            completed.append(event)

        await bus.subscribe("test.completed", [JOB_COMPLETED], collect)
        await start_service(build_service(RenderOptions(SMALL_SIDE, SMALL_SIZES)), ctx)

        await jobs.add_items(job.id, job.group("assembly"), ["audio", "video"])
        await bus.publish(Event(type=AUDIO_COMPLETED, job_id=job.id))
        await bus.wait_idle()
        assert completed == []  # video has not arrived: no render yet
        early = await jobs.get_artifact(job.id, "soundtrack")
        soundtrack = blobs.path(early.key) if early else None
        await bus.publish(Event(type=VIDEO_COMPLETED, job_id=job.id))
        await bus.wait_idle()
        first = await _collect(ctx, job.id, completed, len(bus.dead_letters))
        finished = [_finished(ctx)]
        mtimes = {path: f.stat().st_mtime_ns for path, f in first.files.items()}

        with pytest.MonkeyPatch.context() as patch:  # a reuse must not render anything
            patch.setattr(assembly_service, "make_soundtrack", _must_not_run)
            patch.setattr(assembly_service, "render_trailer", _must_not_run)
            patch.setattr(assembly_service, "write_promos", _must_not_run)
            patch.setattr(assembly_service, "describe", _must_not_run)  # the manifest's too
            await bus.publish(Event(type=AUDIO_COMPLETED, job_id=job.id))  # redelivered
            await bus.wait_idle()
        second = await _collect(ctx, job.id, completed[1:], len(bus.dead_letters))
        finished.append(_finished(ctx))
        timeline = build_timeline(script, words, FPS, voiceover_seconds=VOICEOVER_SECONDS)
        return Package(first, second, timeline, mtimes, soundtrack, finished)
    finally:
        await bus.close()
        await jobs.close()


def _finished(ctx: StageContext) -> float:
    sample = ctx.metrics.registry.get_sample_value("reelforge_jobs_finished_total",
                                                   {"status": "completed"})
    return sample or 0.0


def _must_not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("a second run must reuse its outputs")


async def _upstream(ctx: StageContext, job: Job, folder: Path):
    """Store and record what the script, audio, storyboard and video stages would have."""
    folder.mkdir()
    script = make_script(LINES)
    words = make_words(script, STARTS, VOICEOVER_SECONDS)
    for stage in ("script", "audio", "storyboard", "video"):
        await ctx.jobs.set_stage(job.id, stage, Status.running)
        await ctx.jobs.set_stage(job.id, stage, Status.completed)
    await _store_model(ctx, job, "script", "script", "script.json", script)
    await _store_model(ctx, job, "words", "audio", "words.json", words)
    vo = write_wav(folder / "voiceover.wav", speech_like(words), 22_050)
    score = write_wav(folder / "score.wav", tone(VOICEOVER_SECONDS + 3.0, freq=220.0), 44_100)
    await _store_file(ctx, job, "voiceover", "audio", "voiceover.wav", vo)
    await _store_file(ctx, job, "score", "audio", "score.wav", score)
    for scene, seconds in CLIP_SECONDS.items():
        nn = f"{scene + 1:02d}"
        still = make_still(folder / f"{nn}.png", phase=scene)
        clip = make_clip(folder / f"{nn}.mp4", seconds, phase=scene)
        shot = Shot(scene=scene, camera="push_in", action="a", atmosphere="b", prompt="c",
                    duration=seconds, focus=FOCUS[scene])
        await _store_file(ctx, job, f"frame/{nn}", "storyboard", f"storyboard/{nn}.png", still)
        await _store_model(ctx, job, f"shot/{nn}", "storyboard", f"shots/{nn}.json", shot)
        await _store_file(ctx, job, f"clip/{nn}", "video", f"clips/{nn}.mp4", clip)
    return script, words


async def _store_model(ctx, job, name, stage, path, model) -> None:
    key = job_key(job.id, stage, path.replace("/", "-"))
    await ctx.store(key, model)
    await ctx.record(job.id, name, key, stage, provider="test", path=path)


async def _store_file(ctx, job, name, stage, path, source: Path) -> None:
    key = job_key(job.id, stage, path.replace("/", "-"))
    await ctx.blobs.put_file(key, source)
    await ctx.record(job.id, name, key, stage, provider="test", path=path)


async def _collect(ctx: StageContext, job_id: str, completed: list[Event],
                   dead_letters: int) -> Run:
    record = await ctx.jobs.get_artifact(job_id, "manifest")
    assert record is not None
    manifest = await ctx.load(record.key, Manifest)
    blobs: LocalBlobStore = ctx.blobs  # type: ignore[assignment]
    files = {a.path: blobs.path(a.key) for a in manifest.artifacts if a.path}
    keys = {a.path: a.key for a in manifest.artifacts if a.path}
    return Run(files, keys, manifest, list(completed), dead_letters,
               await ctx.jobs.get_job(job_id))


# --------------------------------------------------------------------------- measuring


def _probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        info: dict[str, object] = {
            "vcodec": video.codec_context.name, "acodec": audio.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt, "size": (video.width, video.height),
            "fps": float(video.average_rate), "rate": audio.rate,
            "channels": audio.codec_context.channels,
        }
    with av.open(str(path)) as container:
        info["frames"] = sum(1 for _ in container.decode(video=0))
    with av.open(str(path)) as container:
        info["samples"] = sum(f.samples for f in container.decode(audio=0))
    return info


def _luma_at(path: Path, frame_index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == frame_index:
                return frame.to_ndarray(format="gray")
    raise AssertionError(f"{path} has no frame {frame_index}")


def _bright_pixels(path: Path, size: tuple[int, int], frame_index: int) -> int:
    x, y, w, h = caption_region(size)
    luma = _luma_at(path, frame_index)[y : y + h, x : x + w]
    return int((luma > 200).sum())


# --------------------------------------------------------------------------- tests


def test_job_completes_once_with_a_full_package(package: Package) -> None:
    run = package.first
    assert run.dead_letters == 0
    assert [e.type for e in run.completed] == [JOB_COMPLETED]
    assert run.job.status == Status.completed
    assert run.job.stages["assembly"].status == Status.completed
    assert set(run.files) == PACKAGE
    assert all(f.is_file() for f in run.files.values())
    assert package.finished == [1.0, 1.0], "the reuse run must not count the job again"


@pytest.mark.parametrize(("path", "aspect"), [
    ("trailer.mp4", "16:9"), ("trailer_9x16.mp4", "9:16"), ("trailer_1x1.mp4", "1:1")])
def test_variants_decode_with_agreeing_durations(package: Package, path: str,
                                                 aspect: str) -> None:
    info = _probe(package.first.files[path])
    assert info["vcodec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["acodec"] == "aac" and info["rate"] == 48_000 and info["channels"] == 2
    assert info["size"] == SMALL_SIZES[aspect]  # type: ignore[index]
    assert info["fps"] == FPS
    timeline_seconds = package.timeline.duration
    assert abs(timeline_seconds - (VOICEOVER_SECONDS + 3.0)) <= 0.5 / FPS
    video_seconds = int(info["frames"]) / FPS  # type: ignore[call-overload]
    audio_seconds = int(info["samples"]) / 48_000  # type: ignore[call-overload]
    assert abs(video_seconds - timeline_seconds) <= 0.1
    assert abs(audio_seconds - timeline_seconds) <= 0.1
    assert abs(audio_seconds - video_seconds) <= 0.1


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def test_the_soundtrack_is_ready_before_the_video_and_muxed_as_it_is(package: Package) -> None:
    """Made from the audio stage's outputs alone, as long as the trailer, -16 LUFS; every
    variant carries its AAC packets unchanged (encoded once)."""
    soundtrack = package.soundtrack_before_video
    assert soundtrack is not None, "no soundtrack once audio was done"
    assert package.first.files["soundtrack.m4a"] == soundtrack
    with av.open(str(soundtrack)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.rate, stream.codec_context.channels) == (
            "aac", 48_000, 2)
        pcm = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    assert abs(pcm.shape[1] / 48_000 - package.timeline.duration) <= 0.1
    loudness = pyloudnorm.Meter(48_000).integrated_loudness(pcm.T.astype(np.float64))
    assert abs(loudness - -16.0) <= 1.0
    packets = _audio_packets(soundtrack)
    for path in ("trailer.mp4", "trailer_9x16.mp4", "trailer_1x1.mp4"):
        assert _audio_packets(package.first.files[path]) == packets, path


def test_captions_are_burned_into_social_cuts_only(package: Package) -> None:
    files = package.first.files
    during_cue = round(3.0 * FPS)  # "She stayed behind, alone." over scene 1
    primary = _bright_pixels(files["trailer.mp4"], SMALL_SIZES["16:9"], during_cue)
    vertical = _bright_pixels(files["trailer_9x16.mp4"], SMALL_SIZES["9:16"], during_cue)
    square = _bright_pixels(files["trailer_1x1.mp4"], SMALL_SIZES["1:1"], during_cue)
    assert primary == 0
    assert vertical > 40 and square > 40


def test_variants_are_reframed_not_letterboxed(package: Package) -> None:
    for path in ("trailer.mp4", "trailer_9x16.mp4", "trailer_1x1.mp4"):
        luma = _luma_at(package.first.files[path], round(1.0 * FPS))
        edges = np.concatenate([luma[:3].ravel(), luma[-3:].ravel(),
                                luma[:, :3].ravel(), luma[:, -3:].ravel()])
        assert edges.mean() > 40  # picture to the edges: no black bars


def test_slowed_clip_moves_on_every_frame(package: Package) -> None:
    """Scene 0 (a 1 s clip) fills about 2 s: retimed by blending, it never freezes."""
    with av.open(str(package.first.files["trailer.mp4"])) as container:
        frames = [f.to_ndarray(format="gray").astype(np.int16)
                  for _, f in zip(range(36), container.decode(video=0), strict=False)]
    steps = [np.abs(b - a).mean() for a, b in itertools.pairwise(frames)]
    assert min(steps) > 0.3


def test_promo_images_have_their_sizes(package: Package) -> None:
    expected = {"poster.png": (2000, 3000), "thumbnail.jpg": (1280, 720),
                "cover.jpg": (1920, 1080)}
    for path, size in expected.items():
        with Image.open(package.first.files[path]) as image:
            assert image.size == size


def test_manifest_hashes_sizes_and_durations_match_the_files(package: Package) -> None:
    manifest = package.first.manifest
    for artifact in manifest.artifacts:
        if artifact.name == "manifest":
            continue
        data = package.first.files[artifact.path].read_bytes()  # type: ignore[index]
        assert artifact.sha256 == hashlib.sha256(data).hexdigest(), artifact.path
        assert artifact.size == len(data)
        if artifact.path.endswith((".mp4", ".m4a", ".wav")):  # type: ignore[union-attr]
            assert artifact.duration and artifact.duration > 0.5
    trailer = next(a for a in manifest.artifacts if a.path == "trailer.mp4")
    assert abs(trailer.duration - package.timeline.duration) <= 0.1  # type: ignore[operator]
    assert manifest.stage_seconds["assembly"] > 0
    assert {"script", "audio", "storyboard", "video"} <= set(manifest.stage_seconds)
    assert manifest.alignment["aligner"] == "test-aligner"
    assert manifest.alignment["mean_disagreement"] == pytest.approx(0.01, abs=1e-3)


def test_second_run_reuses_every_output(package: Package) -> None:
    first, second = package.first, package.second
    assert second.dead_letters == 0
    assert [e.type for e in second.completed] == [JOB_COMPLETED]
    assert second.keys == first.keys
    assert [a for a in second.manifest.artifacts if a.name != "manifest"] == [
        a for a in first.manifest.artifacts if a.name != "manifest"]
    for path, file in second.files.items():
        if path != "manifest.json":
            assert file.stat().st_mtime_ns == package.mtimes[path], path


async def test_a_job_counted_in_without_a_soundtrack_gets_one(tmp_path: Path) -> None:
    """A job whose audio was counted in before soundtracks were made on audio.completed
    (an upgrade mid-job) is not failed: the render makes the soundtrack first."""
    blobs = LocalBlobStore(tmp_path / "store")
    jobs = SQLiteJobStore(tmp_path / "jobs.sqlite")
    await jobs.start()
    bus = InMemoryBus(max_attempts=1)
    ctx = StageContext(bus, blobs, jobs, None, Settings())  # type: ignore[arg-type]
    try:
        job = Job(id="job-old", source_key=job_key("job-old", "ingest", "doc.json"),
                  settings=JobSettings(duration=15.0, quality="draft", fps=FPS))
        await jobs.create_job(job)
        await _upstream(ctx, job, tmp_path / "inputs")
        completed: list[Event] = []

        async def collect(event: Event) -> None:
            completed.append(event)

        await bus.subscribe("test.completed", [JOB_COMPLETED], collect)
        await start_service(build_service(RenderOptions(SMALL_SIDE, SMALL_SIZES)), ctx)
        await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
        await bus.wait_idle()
        assert [e.type for e in completed] == [JOB_COMPLETED] and bus.dead_letters == []
        record = await jobs.get_artifact(job.id, "soundtrack")
        assert record is not None
        assert _audio_packets(blobs.path(record.key)) == _audio_packets(
            blobs.path((await jobs.get_artifact(job.id, "trailer")).key))  # type: ignore[union-attr]
    finally:
        await bus.close()
        await jobs.close()


async def test_a_forced_stage_s_files_are_hashed_again_for_the_manifest(tmp_path: Path) -> None:
    """A forced stage writes over its blob keys, so the manifest of a forced run reads its
    files again instead of taking the last manifest's hashes; the others' are taken."""
    blobs = LocalBlobStore(tmp_path / "store")
    jobs = SQLiteJobStore(tmp_path / "jobs.sqlite")
    await jobs.start()
    bus = InMemoryBus(max_attempts=1)
    ctx = StageContext(bus, blobs, jobs, None, Settings())  # type: ignore[arg-type]
    try:
        job = Job(id="job-force", source_key=job_key("job-force", "ingest", "doc.json"),
                  settings=JobSettings(duration=15.0, quality="draft", fps=FPS))
        await jobs.create_job(job)
        await _upstream(ctx, job, tmp_path / "inputs")
        await start_service(build_service(RenderOptions(SMALL_SIDE, SMALL_SIZES)), ctx)
        await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
        await bus.wait_idle()
        clip = await jobs.get_artifact(job.id, "clip/01")
        assert clip is not None
        await blobs.put_file(clip.key, make_clip(tmp_path / "again.mp4", CLIP_SECONDS[0],
                                                 phase=5.0))  # as `--force video` would
        job = await jobs.get_job(job.id)
        job.force = ["video"]
        await jobs.update_job(job)
        described: list[str] = []

        def counted_describe(record: ArtifactRecord, path: Path) -> ArtifactRecord:
            described.append(record.name)
            return describe(record, path)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(assembly_service, "describe", counted_describe)
            await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
            await bus.wait_idle()
        assert bus.dead_letters == []
        assert sorted(described) == ["clip/01", "clip/02", "clip/03"]
        manifest = await ctx.load((await jobs.get_artifact(job.id, "manifest")).key,  # type: ignore[union-attr]
                                  Manifest)
        listed = {a.name: a for a in manifest.artifacts}
        data = blobs.path(clip.key).read_bytes()
        assert listed["clip/01"].sha256 == hashlib.sha256(data).hexdigest()
        assert listed["clip/01"].size == len(data)
    finally:
        await bus.close()
        await jobs.close()


async def test_a_re_shot_clip_re_encodes_only_the_segments_that_show_it(
        tmp_path: Path) -> None:
    """A new clip for scene 1, rendered again: in each variant only the render segments that
    show scene 1 are encoded (counted at the encoder seam), the rest come from the store;
    the earlier trailers stay where they were."""
    opened: list[tuple[tuple[int, int], str]] = []

    def counting(path: Path, size: tuple[int, int], fps: int,
                 encoding: Encoding) -> SegmentWriter:
        opened.append((size, path.stem))
        return SegmentWriter(path, size, fps, encoding)

    blobs = LocalBlobStore(tmp_path / "store")
    jobs = SQLiteJobStore(tmp_path / "jobs.sqlite")
    await jobs.start()
    bus = InMemoryBus(max_attempts=1)
    ctx = StageContext(bus, blobs, jobs, None, Settings())  # type: ignore[arg-type]
    try:
        job = Job(id="job-edit", source_key=job_key("job-edit", "ingest", "doc.json"),
                  settings=JobSettings(duration=15.0, quality="draft", fps=FPS))
        await jobs.create_job(job)
        script, words = await _upstream(ctx, job, tmp_path / "inputs")
        await start_service(build_service(RenderOptions(SMALL_SIDE, SMALL_SIZES, counting)),
                            ctx)
        await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
        await bus.wait_idle()
        names = {"trailer": "16:9", "trailer_9x16": "9:16", "trailer_1x1": "1:1"}
        before = {n: (await jobs.get_artifact(job.id, n)).key for n in names}  # type: ignore[union-attr]
        timeline = build_timeline(script, words, FPS, voiceover_seconds=VOICEOVER_SECONDS)
        plan = plan_segments(timeline)
        assert len(opened) == len(plan) * len(names)

        opened.clear()
        manifest_before = await ctx.load((await jobs.get_artifact(job.id, "manifest")).key,  # type: ignore[union-attr]
                                         Manifest)
        described: list[str] = []

        def counted_describe(record: ArtifactRecord, path: Path) -> ArtifactRecord:
            described.append(record.name)
            return describe(record, path)

        reshot = make_clip(tmp_path / "reshot.mp4", CLIP_SECONDS[1], phase=9.0)
        key = job_key(job.id, "video", "clips-02-reshot.mp4")
        await blobs.put_file(key, reshot)
        await ctx.record(job.id, "clip/02", key, "video", provider="test", path="clips/02.mp4")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(assembly_service, "describe", counted_describe)
            await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
            await bus.wait_idle()
        assert bus.dead_letters == []
        manifest_after = await ctx.load((await jobs.get_artifact(job.id, "manifest")).key,  # type: ignore[union-attr]
                                        Manifest)
        keys_before = {a.name: a.key for a in manifest_before.artifacts}
        changed = {a.name for a in manifest_after.artifacts
                   if a.name != "manifest" and keys_before.get(a.name) != a.key}
        assert "clip/02" in changed and "trailer" in changed
        assert sorted(described) == sorted(changed)  # the manifest reads only the new files
        for artifact in manifest_after.artifacts:
            if artifact.name != "manifest":
                data = blobs.path(artifact.key).read_bytes()
                assert artifact.sha256 == hashlib.sha256(data).hexdigest(), artifact.name
                assert artifact.size == len(data), artifact.name

        showing = [p.index for p in plan
                   if any(timeline.segments[i].scene == 1 for i in p.shows)]
        assert len(showing) == 3  # the dissolve into it, its own frames, the dissolve out
        shown = next(i for i, s in enumerate(timeline.segments) if s.scene == 1)
        first, last = timeline.window(shown)  # no frame of a neighbour's own is encoded
        assert sum(plan[i].frames for i in showing) == last - first
        assert sorted(opened) == sorted((SMALL_SIZES[a], f"{n}-{i}")  # type: ignore[index]
                                        for n, a in names.items() for i in showing)
        for name in names:
            after = (await jobs.get_artifact(job.id, name)).key  # type: ignore[union-attr]
            assert after != before[name] and blobs.path(before[name]).is_file()
            info = _probe(blobs.path(after))
            assert info["frames"] == timeline.total_frames
            assert abs(int(info["samples"]) / 48_000 - timeline.duration) <= 0.1  # type: ignore[call-overload]
    finally:
        await bus.close()
        await jobs.close()


async def test_a_render_stopped_part_way_keeps_its_finished_segments(tmp_path: Path) -> None:
    """The encoder of a later piece fails (a crash mid-render): the pieces finished before
    it are already stored, and the rerun encodes only the others."""
    opened: list[str] = []
    finished: list[str] = []
    fail_after = 4

    class Counted(SegmentWriter):
        def close(self) -> None:
            super().close()
            finished.append(self.path.stem)

    def failing(path: Path, size: tuple[int, int], fps: int,
                encoding: Encoding) -> SegmentWriter:
        if fail_after and len(opened) >= fail_after:
            raise RuntimeError("the machine went away")
        opened.append(path.stem)
        return Counted(path, size, fps, encoding)

    blobs = LocalBlobStore(tmp_path / "store")
    jobs = SQLiteJobStore(tmp_path / "jobs.sqlite")
    await jobs.start()
    bus = InMemoryBus(max_attempts=1)
    ctx = StageContext(bus, blobs, jobs, None, Settings())  # type: ignore[arg-type]
    try:
        job = Job(id="job-crash", source_key=job_key("job-crash", "ingest", "doc.json"),
                  settings=JobSettings(duration=15.0, quality="draft", fps=FPS))
        await jobs.create_job(job)
        script, words = await _upstream(ctx, job, tmp_path / "inputs")
        await start_service(build_service(RenderOptions(SMALL_SIDE, SMALL_SIZES, failing)),
                            ctx)
        await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
        await bus.wait_idle()
        assert len(bus.dead_letters) == 1  # the render failed
        assert await jobs.get_artifact(job.id, "trailer") is None
        segments = tmp_path / "store" / "jobs" / job.id / "assembly"
        stored = {p.name for p in segments.glob("segment-*.mp4")}
        assert len(finished) >= 1 and len(stored) == len(finished)  # each finished one kept

        timeline = build_timeline(script, words, FPS, voiceover_seconds=VOICEOVER_SECONDS)
        total = len(plan_segments(timeline)) * 3
        opened.clear()
        fail_after = 0
        await bus.publish(Event(type=ASSEMBLY_READY, job_id=job.id))
        await bus.wait_idle()
        assert len(bus.dead_letters) == 1
        assert len(opened) == total - len(stored)  # the stored pieces were not encoded again
        assert stored <= {p.name for p in segments.glob("segment-*.mp4")}
        record = await jobs.get_artifact(job.id, "trailer")
        assert record is not None
        assert _probe(blobs.path(record.key))["frames"] == timeline.total_frames
    finally:
        await bus.close()
        await jobs.close()
