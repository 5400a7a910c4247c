"""Stage 6 as a service: storyboard.completed → one graded clip per shot → video.completed.

Queue `video` fans out one `video.shot` event per scene (items 01, 02, … as the storyboard
numbered them); queue `video.shots` renders one clip: frame/NN + shot/NN → the video provider
→ the grade → H.264 at the job's fps and quality. `video_prefetch` bounds the provider calls
a worker makes at once; its consumer holds three times as many deliveries: while clips that
came back are graded, encoded and stored, as many are waiting to call the moment a call
ends (the provider's concurrency, not our finishing work, sets the pace). The clip's key
fingerprints every input (frame key, shot, grade, fps, quality, provider, seed, size), so
a redelivered event finds its clip and moves on; a claim on that key in the job store makes
a second delivery of the same shot at once (a duplicate storyboard.completed, a sweep) wait
for the first one's clip instead of paying the provider for it again.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from reelforge.bus import Permanent
from reelforge.events import VIDEO_SHOT, Event
from reelforge.models import MASTER_SIDE, Job, Script, Shot
from reelforge.pipeline import CLIP, FRAME, SCRIPT, SHOT
from reelforge.providers import Budget, ClipRequest, identity_of, track_calls
from reelforge.runtime import Service, StageContext, fingerprint, output_key, stage_service

from reelforge_video.clips import encoder_threads, render_clip
from reelforge_video.encode import probe

STAGE = "video"
CLIP_VERSION = 2
"""Bump when the same inputs make a different clip (2: the local generator grades its still
once instead of every frame), so cached clips are remade."""


def shot_items(script: Script) -> list[str]:
    """One item per scene, numbered as the storyboard stage numbered its frames."""
    return [f"{position:02d}" for position in range(1, len(script.scenes) + 1)]


async def on_storyboard_completed(event: Event, ctx: StageContext) -> None:
    job = await ctx.job(event.job_id)
    script = await ctx.load_artifact(job.id, SCRIPT, Script)
    items = shot_items(script)
    await ctx.jobs.add_items(job.id, job.group(STAGE), items)
    await ctx.stage_started(job, STAGE)
    for item in items:
        await ctx.publish(event.follow(VIDEO_SHOT, item=item))


async def on_video_shot(event: Event, ctx: StageContext, clip_side: int) -> None:
    item = event.item
    if item is None or len(item) != 2 or not item.isdigit():
        raise Permanent(f"video.shot needs a two-digit item, got {item!r}")
    job = await ctx.job(event.job_id)
    frame_key = await ctx.artifact_key(job.id, FRAME.named(NN=item))
    shot = await ctx.load(await ctx.artifact_key(job.id, SHOT.named(NN=item)), Shot)
    script = await ctx.load_artifact(job.id, SCRIPT, Script)
    scenes = script.scenes
    direction = scenes[int(item) - 1].direction if int(item) <= len(scenes) else None
    seed = job.settings.seed + shot.scene
    if direction is not None and direction.clip_seed is not None:
        seed = direction.clip_seed  # the user asked the studio for another take
    last_key = None
    if ctx.providers.video.accepts_last_frame and int(item) < len(scenes):
        last_key = await ctx.artifact_key(job.id, FRAME.named(NN=f"{int(item) + 1:02d}"))

    await _clip(ctx, job, item, frame_key, last_key, shot, seed, clip_side)

    await ctx.item_done(event, job, STAGE, item, f"clip {item} rendered")


async def _clip(ctx: StageContext, job: Job, item: str, frame_key: str, last_key: str | None,
                shot: Shot, seed: int, side: int) -> None:
    """Render, store and record clip/NN, unless it exists (then keep its record). A claim on
    the clip's key makes a concurrent delivery of the same shot wait for this one's clip
    rather than render it too. `last_key` is the next scene's frame, for a model that ends
    the clip on it (so the cut into the next scene matches); then it is an input too."""
    settings, video = job.settings, ctx.providers.video
    inputs: list[Any] = [CLIP_VERSION, frame_key, shot, settings.grade, settings.fps,
                         settings.quality, identity_of(video), seed, side]
    if last_key is not None:
        inputs.append({"last_frame": last_key})
    fp = fingerprint(*inputs)
    key = output_key(job.id, STAGE, f"{item}.mp4", fp)
    name, path = CLIP.named(NN=item), str(CLIP.path_for(NN=item))
    if await _reuse_clip(ctx, job, key, name, path):
        return
    async with ctx.exclusive(f"clip:{key}"):
        if await _reuse_clip(ctx, job, key, name, path):  # the other delivery made it
            return
        await ctx.check_cancelled(job.id)
        request = ClipRequest(
            frame_png=await ctx.blobs.get(frame_key), shot=shot, width=side,
            height=side, fps=settings.fps, seed=seed,
            last_frame_png=await ctx.blobs.get(last_key) if last_key else None)
        with tempfile.TemporaryDirectory(prefix="reelforge-clip-") as tmp:
            clip_path = Path(tmp) / f"{item}.mp4"
            with track_calls(Budget.of_job(job)) as calls:
                info = await render_clip(video, request, shot.duration, settings.grade,
                                         settings.quality, clip_path,
                                         threads=encoder_threads(ctx.settings.video_prefetch),
                                         calls=_call_slot(ctx, job.id))
            await ctx.blobs.put_file(key, clip_path, "video/mp4")
        # recorded before the claim is let go, so a waiting delivery finds the record too
        # and never overwrites it with one that lacks the provider and cost
        await ctx.record_made(job.id, name, key, STAGE, provider=calls.provider or video.name,
                              cost_usd=calls.cost_usd, duration=info.duration, path=path)


async def _reuse_clip(ctx: StageContext, job: Job, key: str, name: str, path: str) -> bool:
    """True when the clip is stored already; its record is made if missing or stale."""
    if not await ctx.reuse(job, STAGE, key):
        return False
    existing = await ctx.jobs.get_artifact(job.id, name)
    if existing is None or existing.key != key:
        async with ctx.blobs.local_file(key) as stored:
            duration = probe(stored).duration
        await ctx.record(job.id, name, key, STAGE, provider=ctx.providers.video.name,
                         duration=duration, path=path)
    return True


@asynccontextmanager
async def _call_slot(ctx: StageContext, job_id: str) -> AsyncIterator[None]:
    """One of this worker's `video_prefetch` provider call slots. The job is checked again
    once the slot is ours: the wait may outlast a cancellation, and no call may start after
    one."""
    async with ctx.call_slots(STAGE, ctx.settings.video_prefetch):
        await ctx.check_cancelled(job_id)
        yield


def build_service(clip_side: int = MASTER_SIDE) -> Service:
    """Clips keep the square master canvas, `clip_side` a side (assembly cuts every aspect
    from it); tests and benches pass a small one."""
    return stage_service(STAGE, {
        "video": on_storyboard_completed,
        "video.shots": functools.partial(on_video_shot, clip_side=clip_side),
    })


service = build_service()
