"""Stages 4–6 chained on one bus with the real local generators: script.completed in, one
storyboard.completed and one video.completed out, a rendered frame, shot and clip per scene,
the renderer's depth driving the parallax shot."""

from __future__ import annotations

from pathlib import Path

from reelforge.events import SCRIPT_COMPLETED, STORYBOARD_COMPLETED, VIDEO_COMPLETED, Event
from reelforge.models import JobSettings, Shot
from reelforge.providers import Providers
from reelforge.settings import Settings
from reelforge_storyboard import service as storyboard
from reelforge_storyboard.render import LocalImageGen
from reelforge_video import service as video
from reelforge_video.generator import LocalVideoGen
from video_samples import FakeShotLLM, build_script, decode_clip, running

SIDE = 96
JOB = "job-pipeline"


async def test_script_to_clips_through_both_services(tmp_path: Path) -> None:
    llm = FakeShotLLM()
    providers = Providers(llm=llm, tts=None, aligner=None, music=None,  # type: ignore[arg-type]
                          image=LocalImageGen(), video=LocalVideoGen())
    settings = Settings(storyboard_prefetch=30, video_prefetch=4)
    async with running(tmp_path, [storyboard.build_service(storyboard.Canvas(frame_side=SIDE)),
                        video.build_service(SIDE)], providers,
                       settings) as harness:
        await harness.add_job(JOB, JobSettings(seed=2, fps=12, quality="draft"))
        script = build_script(["sea", "forest", "interior", "city"])
        await harness.store_script(JOB, script)
        await harness.deliver(Event(type=SCRIPT_COMPLETED, job_id=JOB))

        assert len(harness.of_type(STORYBOARD_COMPLETED)) == 1
        assert len(harness.of_type(VIDEO_COMPLETED)) == 1
        for position in range(1, 5):
            item = f"{position:02d}"
            shot_record = await harness.jobs.get_artifact(JOB, f"shot/{item}")
            clip_record = await harness.jobs.get_artifact(JOB, f"clip/{item}")
            assert shot_record is not None and clip_record is not None
            planned = await harness.ctx.load(shot_record.key, Shot)
            async with harness.blobs.local_file(clip_record.key) as path:
                clip = decode_clip(path)
            assert (clip.width, clip.height) == (SIDE, SIDE)
            assert len(clip.frames) == round(planned.duration * 12)
        assert {a.name.split("/")[0] for a in await harness.jobs.list_artifacts(JOB)} >= {
            "frame", "shot", "clip"}
