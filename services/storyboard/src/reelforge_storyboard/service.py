"""Stages 4–5 as a service: script.completed → the visual bible's reference pictures, then
one frame and one shot prompt per scene.

Queue `storyboard` makes the reference pictures (one per main character and per location,
see references.py), then fans the script out into `storyboard.scene` events (one work item
per scene, numbered 01, 02, … in script order); queue `storyboard.scenes` handles one scene:
frame (image provider, sent the scene's references when it takes them), then shot prompt
(LLM `shot` task), then fan-in. Whoever completes the last item publishes
`storyboard.completed`. Outputs are keyed by fingerprints of exactly what they depend on, so
a redelivery or rerun reuses them and editing one scene redraws only that scene.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

from reelforge.bus import Permanent
from reelforge.events import STORYBOARD_SCENE, Event
from reelforge.models import MASTER_SIDE, Job, Scene, Script, ShotPlan
from reelforge.pipeline import FRAME, SCRIPT, SHOT
from reelforge.providers import (
    Budget,
    CallLog,
    DescribesFrames,
    FrameRequest,
    ReferenceImage,
    identity_of,
    track_calls,
)
from reelforge.runtime import Service, StageContext, fingerprint, output_key, stage_service

from reelforge_storyboard.frames import normalise_frame, preview_b64
from reelforge_storyboard.references import (
    Subject,
    reference_request,
    scene_subjects,
    subjects,
)
from reelforge_storyboard.shots import shot_context, shot_from_plan

STAGE = "storyboard"


@dataclass(frozen=True)
class Canvas:
    """Sides of the square pictures the stage makes; production uses the defaults, tests and
    benches pass small ones (`build_service(Canvas(...))`)."""

    frame_side: int = MASTER_SIDE
    """Frames are rendered on the square master canvas."""
    reference_side: int = 512
    """Reference pictures are square and small: a look to keep, not a frame of the trailer
    (a local render at this size costs a fraction of a frame's)."""

FRAME_VERSION = 1
REFERENCE_VERSION = 1
SHOT_VERSION = 1


def scene_items(script: Script) -> list[str]:
    """Work item ids: two digits from 01, one per scene in script order."""
    return [f"{position:02d}" for position in range(1, len(script.scenes) + 1)]


def scene_for_item(script: Script, item: str | None) -> Scene:
    if item is None or not item.isdigit() or not 1 <= int(item) <= len(script.scenes):
        raise Permanent(f"storyboard item {item!r} is not a scene of this script")
    return script.scenes[int(item) - 1]


def frame_request(script: Script, scene: Scene, job_seed: int, side: int) -> FrameRequest:
    """seed = job seed + scene index: the local renderer subtracts the index again to seed
    each location's look from the job seed alone. A frame variant the user chose in the
    studio brings its own seed, and its own prompt when they wrote one."""
    seed, prompt = job_seed + scene.index, script.frame_prompt(scene)
    chosen = scene.direction.frame if scene.direction else None
    if chosen is not None:
        seed, prompt = chosen.seed, chosen.prompt or prompt
    return FrameRequest(prompt=prompt, scene=scene, script=script,
                        width=side, height=side, seed=seed)


async def on_script_completed(event: Event, ctx: StageContext, canvas: Canvas) -> None:
    job = await ctx.job(event.job_id)
    script = await ctx.load_artifact(job.id, SCRIPT, Script)
    items = scene_items(script)
    await ctx.jobs.add_items(job.id, job.group(STAGE), items)
    await ctx.stage_started(job, STAGE)
    await asyncio.gather(*(_reference(ctx, job, script, s, canvas) for s in subjects(script)))
    for item in items:
        await ctx.publish(event.follow(STORYBOARD_SCENE, item=item))


async def on_storyboard_scene(event: Event, ctx: StageContext, canvas: Canvas) -> None:
    job = await ctx.job(event.job_id)
    script = await ctx.load_artifact(job.id, SCRIPT, Script)
    scene = scene_for_item(script, event.item)
    item = f"{script.scenes.index(scene) + 1:02d}"
    request = frame_request(script, scene, job.settings.seed, canvas.frame_side)
    if ctx.providers.image.accepts_references:
        references = [await _load_reference(ctx, job, script, s, canvas)
                      for s in scene_subjects(script, scene)]
        request = request.model_copy(update={"references": references})

    frame_key, frame_png = await _frame(ctx, job, item, request)
    await _shot(ctx, job, item, script, scene, request, frame_key, frame_png)

    await ctx.item_done(event, job, STAGE, item, f"scene {item} storyboarded")


def _frame_identity(ctx: StageContext, request: FrameRequest) -> Any:
    """What a frame depends on. A renderer that reads the structured scene says which parts
    (`frame_inputs`); a prompt-driven model depends on the prompt, size and seed; and a
    provider that takes reference images on the references' keys (their content)."""
    image = ctx.providers.image
    identity = image.frame_inputs(request) if isinstance(image, DescribesFrames) else {
        "prompt": request.prompt, "size": [request.width, request.height],
        "seed": request.seed}
    if image.accepts_references:
        identity = {**identity, "references": [r.key for r in request.references]}
    return identity


async def _record_reused(ctx: StageContext, job: Job, name: str, key: str, path: str,
                         provider: str) -> None:
    """A reused output keeps the record it was stored with (its provider and cost)."""
    existing = await ctx.jobs.get_artifact(job.id, name)
    if existing is None or existing.key != key:
        await ctx.record(job.id, name, key, STAGE, provider=provider, path=path)


async def _frame(
    ctx: StageContext, job: Job, item: str, request: FrameRequest
) -> tuple[str, bytes | None]:
    """The frame's key, and its bytes when they were just made (saves a read)."""
    image = ctx.providers.image
    fp = fingerprint(FRAME_VERSION, identity_of(image), _frame_identity(ctx, request))
    key = output_key(job.id, STAGE, f"{item}.png", fp)
    name, path = FRAME.named(NN=item), str(FRAME.path_for(NN=item))
    if await ctx.reuse(job, STAGE, key):
        await _record_reused(ctx, job, name, key, path, image.name)
        return key, None
    await ctx.check_cancelled(job.id)
    with track_calls(Budget.of_job(job)) as calls:
        answer = await image.generate(request)
    png = normalise_frame(answer, request.width)
    await ctx.blobs.put(key, png, "image/png")
    await ctx.record_made(job.id, name, key, STAGE, provider=calls.provider or image.name,
                          cost_usd=calls.cost_usd, path=path)
    return key, png


async def _reference(ctx: StageContext, job: Job, script: Script, subject: Subject,
                     canvas: Canvas) -> str:
    """One reference picture: the user's own when they chose one in the studio, else made
    from its seed (the job's, or the variant's), reused when its inputs are unchanged."""
    image = ctx.providers.image
    direction = script.references.get(subject.job_name)
    chosen = direction.picture if direction else None
    if chosen is not None and chosen.upload is not None:
        await _record_reused(ctx, job, subject.job_name, chosen.upload, subject.path, "user")
        return chosen.upload
    seed = chosen.seed if chosen is not None and chosen.seed is not None else job.settings.seed
    request = reference_request(script, subject, seed, canvas.reference_side)
    fp = fingerprint(REFERENCE_VERSION, identity_of(image), _frame_identity(ctx, request))
    key = output_key(job.id, STAGE, subject.blob_name, fp)
    if await ctx.reuse(job, STAGE, key):
        await _record_reused(ctx, job, subject.job_name, key, subject.path, image.name)
        return key
    await ctx.check_cancelled(job.id)
    with track_calls(Budget.of_job(job)) as calls:
        answer = await image.generate(request)
    png = normalise_frame(answer, request.width)
    await ctx.blobs.put(key, png, "image/png")
    await ctx.record_made(job.id, subject.job_name, key, STAGE,
                          provider=calls.provider or image.name, cost_usd=calls.cost_usd,
                          path=subject.path)
    return key


async def _load_reference(ctx: StageContext, job: Job, script: Script, subject: Subject,
                          canvas: Canvas) -> ReferenceImage:
    """A reference this run made before fanning out (its record names the current one). A
    scene of a job started before references existed makes its own."""
    record = await ctx.jobs.get_artifact(job.id, subject.job_name)
    key = record.key if record else await _reference(ctx, job, script, subject, canvas)
    return ReferenceImage(kind=subject.kind, subject=subject.id, name=subject.name, key=key,
                          png=await ctx.blobs.get(key))


def _composed_focus(ctx: StageContext, request: FrameRequest) -> tuple[float, float] | None:
    """The subject focus the local renderer composed; None for models that do not say."""
    image = ctx.providers.image
    if not isinstance(image, DescribesFrames):
        return None
    x, y = image.layout_for(request).focus
    return x, y


async def _shot(
    ctx: StageContext, job: Job, item: str, script: Script, scene: Scene,
    request: FrameRequest, frame_key: str, frame_png: bytes | None,
) -> str:
    llm = ctx.providers.llm
    focus = _composed_focus(ctx, request)
    genres = [g.label for g in script.patterns.genres]
    tones = [t.label for t in script.patterns.tones]
    plan_fp = fingerprint(SHOT_VERSION, frame_key, scene.story(), script.title, genres, tones,
                          identity_of(llm))
    directed = scene.direction.camera if scene.direction else None
    fp = fingerprint(plan_fp, script.shot_seconds(scene), focus, directed)
    key = output_key(job.id, STAGE, f"{item}.json", fp)
    name, path = SHOT.named(NN=item), str(SHOT.path_for(NN=item))
    if await ctx.reuse(job, STAGE, key):
        await _record_reused(ctx, job, name, key, path, llm.name)
        return key
    # The LLM's plan is kept apart from the timing and the user's camera move, so a retimed
    # or redirected shot costs no new call.
    plan_key = output_key(job.id, STAGE, f"{item}.plan.json", plan_fp)
    calls = CallLog()
    if await ctx.reuse(job, STAGE, plan_key):
        plan = await ctx.load(plan_key, ShotPlan)
    else:
        png = frame_png if frame_png is not None else await ctx.blobs.get(frame_key)
        context = shot_context(script, scene, preview_b64(png))
        await ctx.check_cancelled(job.id)
        with track_calls(Budget.of_job(job)) as calls:
            plan = await llm.complete("shot", context, ShotPlan)
        await ctx.store(plan_key, plan)
    await ctx.store(key, shot_from_plan(plan, script, scene, focus))
    await ctx.record_made(job.id, name, key, STAGE, provider=calls.provider or llm.name,
                          cost_usd=calls.cost_usd, path=path)
    return key


def build_service(canvas: Canvas | None = None) -> Service:
    sides = canvas or Canvas()
    return stage_service(STAGE, {
        "storyboard": functools.partial(on_script_completed, canvas=sides),
        "storyboard.scenes": functools.partial(on_storyboard_scene, canvas=sides),
    })


service = build_service()
