"""The video service on the in-memory runtime: storyboard.completed in; a graded clip per
shot stored and recorded; one video.completed out with four shots in flight; a redelivered
shot reuses its clip; remote providers' clips are conformed and graded the same way."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from reelforge.blobs import job_key
from reelforge.events import STORYBOARD_COMPLETED, VIDEO_COMPLETED, VIDEO_SHOT, Event
from reelforge.models import CameraMove, JobSettings, Status
from reelforge.providers import ClipRequest, ProviderError, Providers
from reelforge.providers.chain import build_chain
from reelforge.settings import Settings
from reelforge_video import clips
from reelforge_video import service as video
from reelforge_video.generator import LocalVideoGen, PictureGrade, frame_count
from reelforge_video.planes import Form
from video_samples import (
    Harness,
    build_script,
    decode_clip,
    png_with_depth,
    running,
    shot,
    still_nearness,
    synthetic_mp4,
    textured_still,
)

SIDE = 96
JOB = "job-video"
CAMERAS: list[CameraMove] = ["parallax", "push_in", "pan_left", "drift", "tilt_up"]
SMALL_CLIPS = video.build_service(SIDE)
SETTINGS = JobSettings(seed=7, fps=12, quality="draft", grade="bw")


class CountingVideoGen(LocalVideoGen):
    def __init__(self) -> None:
        super().__init__()
        self.rendered: list[int] = []

    def frames(self, request: ClipRequest, duration: float, form: Form = "rgb",
               grade: PictureGrade | None = None) -> Iterator[Any]:
        self.rendered.append(request.shot.scene)
        return super().frames(request, duration, form, grade)  # type: ignore[call-overload]


class RemoteVideoGen:
    """A model that only answers with MP4 bytes, in its own size and frame rate."""

    name = "remote-video"
    accepts_last_frame = False
    streams_frames = False

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.requests: list[ClipRequest] = []

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        self.requests.append(request)
        count = round(duration * 10)
        return synthetic_mp4(self.workdir / f"remote-{len(self.requests)}.mp4", 160, 90, 10,
                             count)


async def seed_storyboard(harness: Harness, settings: JobSettings = SETTINGS) -> str:
    """A job whose storyboard stage is done: script, frames and shots recorded."""
    await harness.add_job(JOB, settings)
    script = build_script(["sea", "forest", "city", "road", "field"])
    script_key = await harness.store_script(JOB, script)
    for position, scene in enumerate(script.scenes, start=1):
        item = f"{position:02d}"
        frame_key = job_key(JOB, "storyboard", f"{item}-frame.png")
        png = png_with_depth(textured_still(SIDE, position), still_nearness(SIDE))
        await harness.blobs.put(frame_key, png, "image/png")
        await harness.ctx.record(JOB, f"frame/{item}", frame_key, "storyboard",
                                 path=f"storyboard/{item}.png")
        shot_key = job_key(JOB, "storyboard", f"{item}-shot.json")
        await harness.ctx.store(shot_key, shot(scene.index, CAMERAS[position - 1],
                                               duration=1.5 + 0.25 * position))
        await harness.ctx.record(JOB, f"shot/{item}", shot_key, "storyboard",
                                 path=f"shots/{item}.json")
    return script_key


@pytest.fixture
def generator() -> CountingVideoGen:
    return CountingVideoGen()


@pytest.fixture
async def harness(tmp_path: Path, generator: CountingVideoGen) -> AsyncIterator[Harness]:
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=generator)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers, Settings(video_prefetch=4)) as h:
        yield h


async def test_every_shot_becomes_a_graded_clip_and_the_stage_completes_once(
    harness: Harness, generator: CountingVideoGen
) -> None:
    await seed_storyboard(harness)
    await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))

    assert sorted(e.item for e in harness.of_type(VIDEO_SHOT)) == ["01", "02", "03", "04", "05"]
    assert len(harness.of_type(VIDEO_COMPLETED)) == 1
    assert sorted(generator.rendered) == [0, 1, 2, 3, 4]
    job = await harness.jobs.get_job(JOB)
    assert job.stages["video"].status == Status.completed
    for position in range(1, 6):
        record = await harness.jobs.get_artifact(JOB, f"clip/{position:02d}")
        assert record is not None
        assert record.path == f"clips/{position:02d}.mp4" and record.provider == "local"
        assert record.key.startswith(f"jobs/{JOB}/video/{position:02d}-")
        expected_frames = frame_count(1.5 + 0.25 * position, 12)
        assert record.duration == pytest.approx(expected_frames / 12)
        async with harness.blobs.local_file(record.key) as path:
            clip = decode_clip(path)
        assert len(clip.frames) == expected_frames
        assert (clip.width, clip.height, clip.fps) == (SIDE, SIDE, 12)
        middle = clip.frames[len(clip.frames) // 2].astype(np.int16)
        assert np.abs(middle[..., 0] - middle[..., 2]).max() <= 3  # the bw grade


async def test_a_redelivered_shot_reuses_its_clip(
    harness: Harness, generator: CountingVideoGen
) -> None:
    await seed_storyboard(harness)
    await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
    before = await harness.jobs.get_artifact(JOB, "clip/03")
    assert before is not None
    async with harness.blobs.local_file(before.key) as path:
        written = path.stat().st_mtime_ns

    await harness.deliver(Event(type=VIDEO_SHOT, job_id=JOB, item="03"))
    assert sorted(generator.rendered) == [0, 1, 2, 3, 4]  # nothing rendered again
    after = await harness.jobs.get_artifact(JOB, "clip/03")
    assert after == before
    async with harness.blobs.local_file(before.key) as path:
        assert path.stat().st_mtime_ns == written


async def test_changing_the_grade_renders_new_clips(
    harness: Harness, generator: CountingVideoGen
) -> None:
    await seed_storyboard(harness)
    await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
    first = await harness.jobs.get_artifact(JOB, "clip/01")
    job = await harness.jobs.get_job(JOB)
    await harness.jobs.update_job(job.model_copy(update={
        "settings": SETTINGS.model_copy(update={"grade": "color"})}))
    await harness.jobs.bump_run(JOB)
    await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
    second = await harness.jobs.get_artifact(JOB, "clip/01")
    assert first is not None and second is not None and first.key != second.key
    assert len(generator.rendered) == 10
    assert len(harness.of_type(VIDEO_COMPLETED)) == 2


async def test_a_remote_provider_clip_is_conformed_and_graded(tmp_path: Path) -> None:
    remote = RemoteVideoGen(tmp_path)
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=remote)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers, Settings()) as harness:
        await seed_storyboard(harness)
        await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
        assert len(remote.requests) == 5
        assert all(r.width == SIDE and r.fps == 12 and r.seed == 7 + r.shot.scene
                   for r in remote.requests)
        record = await harness.jobs.get_artifact(JOB, "clip/02")
        assert record is not None and record.provider == "remote-video"
        async with harness.blobs.local_file(record.key) as path:
            clip = decode_clip(path)
        assert (clip.width, clip.height, clip.fps) == (SIDE, SIDE, 12)
        assert record.duration == pytest.approx(len(clip.frames) / 12)
        colourful = clip.frames[0].astype(np.int16)
        assert np.abs(colourful[..., 0] - colourful[..., 2]).max() <= 3  # graded to grey
        assert len(harness.of_type(VIDEO_COMPLETED)) == 1


class FirstAndLastFrameVideoGen(RemoteVideoGen):
    """A model that interpolates from the first frame to a given last one."""

    name = "two-frame-video"
    accepts_last_frame = True


async def test_a_model_that_ends_on_a_frame_is_sent_the_next_scenes_frame(
    tmp_path: Path,
) -> None:
    remote = FirstAndLastFrameVideoGen(tmp_path)
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=remote)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers, Settings()) as harness:
        await seed_storyboard(harness)
        await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
        frames = {r.name: await harness.blobs.get(r.key)
                  for r in await harness.jobs.list_artifacts(JOB) if r.name.startswith("frame/")}
        sent = {r.shot.scene: r for r in remote.requests}
        assert len(sent) == 5
        for index in range(4):
            assert sent[index].frame_png == frames[f"frame/{index + 1:02d}"]
            assert sent[index].last_frame_png == frames[f"frame/{index + 2:02d}"]
        assert sent[4].last_frame_png is None  # the last scene has no next one

        # A new frame for scene 3 redoes clips 2 and 3: the one ending on it and its own.
        clips_before = {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)
                        if r.name.startswith("clip/")}
        redrawn = png_with_depth(textured_still(SIDE, 9), still_nearness(SIDE))
        await harness.blobs.put(job_key(JOB, "storyboard", "03-redrawn.png"), redrawn,
                                "image/png")
        await harness.ctx.record(JOB, "frame/03", job_key(JOB, "storyboard", "03-redrawn.png"),
                                 "storyboard", path="storyboard/03.png")
        remote.requests.clear()
        await harness.jobs.bump_run(JOB)
        await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
        assert sorted(r.shot.scene for r in remote.requests) == [1, 2]
        clips_after = {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)
                       if r.name.startswith("clip/")}
        assert [n for n in sorted(clips_before) if clips_before[n] != clips_after[n]] == [
            "clip/02", "clip/03"]


class SlowRemoteVideoGen(RemoteVideoGen):
    """Takes long enough that a second delivery of the same shot arrives mid-call."""

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        await asyncio.sleep(0.2)
        return await super().generate(request, duration)


async def test_two_deliveries_of_one_shot_at_once_make_one_provider_call(
    tmp_path: Path
) -> None:
    """A duplicate storyboard.completed (a redelivery, a sweep) puts every shot in flight
    twice: the second delivery of each waits for the first's clip instead of paying the
    provider again, and still counts its item in."""
    remote = SlowRemoteVideoGen(tmp_path)
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=remote)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers,
                       Settings(video_prefetch=4)) as harness:
        await seed_storyboard(harness)
        completed = Event(type=STORYBOARD_COMPLETED, job_id=JOB)
        await harness.bus.publish(completed)
        await harness.bus.publish(completed)
        await harness.bus.wait_idle()
        assert not harness.bus.dead_letters, harness.bus.dead_letters

        assert len(harness.of_type(VIDEO_SHOT)) == 10
        assert sorted(r.shot.scene for r in remote.requests) == [0, 1, 2, 3, 4]
        assert len(harness.of_type(VIDEO_COMPLETED)) >= 1
        assert (await harness.jobs.get_job(JOB)).stages["video"].status == Status.completed
        for position in range(1, 6):
            record = await harness.jobs.get_artifact(JOB, f"clip/{position:02d}")
            assert record is not None and record.provider == "remote-video"


class GatedRemoteVideoGen(RemoteVideoGen):
    """Counts the calls in flight; `second_call` is set when a second call has started."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.in_flight = self.most_in_flight = 0
        self.second_call = threading.Event()

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if len(self.requests) >= 1:
            self.second_call.set()
        try:
            await asyncio.sleep(0.01)
            return await super().generate(request, duration)
        finally:
            self.in_flight -= 1


async def test_finishing_a_clip_frees_its_provider_call_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one call slot (video_prefetch=1), the next clip's provider call starts while the
    first clip is still being decoded, graded and encoded: the first clip's decoding waits
    for that call, so a slot held through finishing would time out here."""
    remote = GatedRemoteVideoGen(tmp_path)
    decode = clips.decode_pictures

    def decode_after_the_next_call(*args: Any, **kwargs: Any) -> Iterator[tuple[np.ndarray, ...]]:
        assert remote.second_call.wait(timeout=20), "the provider sat idle while a clip finished"
        return decode(*args, **kwargs)

    monkeypatch.setattr(clips, "decode_pictures", decode_after_the_next_call)
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=remote)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers,
                       Settings(video_prefetch=1)) as harness:
        await seed_storyboard(harness)
        await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
        assert len(remote.requests) == 5
        assert remote.most_in_flight == 1, "more provider calls at once than video_prefetch"
        assert len(harness.of_type(VIDEO_COMPLETED)) == 1


class CancellingVideoGen(RemoteVideoGen):
    """Its first call cancels the job (as a user would, while the call runs)."""

    def __init__(self, workdir: Path, harness: Harness) -> None:
        super().__init__(workdir)
        self.harness = harness

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        if not self.requests:
            await self.harness.jobs.set_job_status(JOB, Status.cancelled)
        return await super().generate(request, duration)


async def test_no_provider_call_starts_after_a_cancellation(tmp_path: Path) -> None:
    """A delivery that waited for a call slot checks the job again once it has one: the
    second clip, held while the first call ran, must not call the provider."""
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers,
                       Settings(video_prefetch=1)) as harness:
        remote = CancellingVideoGen(tmp_path, harness)
        harness.ctx.providers.video = remote  # type: ignore[assignment]
        await seed_storyboard(harness)
        await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
        assert len(remote.requests) == 1, "a provider call started after the cancellation"
        assert len(harness.of_type(VIDEO_COMPLETED)) == 0


class RefusingVideoGen:
    name = "refusing-remote"
    accepts_last_frame = False
    streams_frames = False

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        raise ProviderError(self.name, "quota exhausted", permanent=True)


async def test_a_fallback_chain_records_the_provider_that_answered(tmp_path: Path) -> None:
    chain = build_chain("video", [RefusingVideoGen(), LocalVideoGen(quality="draft")])
    providers = Providers(llm=None, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=None, video=chain)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CLIPS], providers, Settings()) as harness:
        await seed_storyboard(harness)
        await harness.deliver(Event(type=STORYBOARD_COMPLETED, job_id=JOB))
        record = await harness.jobs.get_artifact(JOB, "clip/01")
        assert record is not None and record.provider == "local"
        async with harness.blobs.local_file(record.key) as path:
            clip = decode_clip(path)
        assert (clip.width, clip.height) == (SIDE, SIDE)
        assert len(harness.of_type(VIDEO_COMPLETED)) == 1


async def test_a_malformed_item_is_dead_lettered(harness: Harness) -> None:
    await seed_storyboard(harness)
    await harness.bus.publish(Event(type=VIDEO_SHOT, job_id=JOB, item="x"))
    await harness.bus.wait_idle()
    assert [e.item for e, _ in harness.bus.dead_letters] == ["x"]
