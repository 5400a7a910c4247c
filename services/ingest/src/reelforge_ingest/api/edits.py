"""The studio's routes under /v1/jobs/{id}: read and edit the script and the scenes, pick
frame variants, approve reviews, render new versions, list versions. Each edit goes through
`reelforge.lifecycle`, which refuses a stale revision or a busy job; this module only maps
requests and answers (docs/studio-api.md)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from reelforge import lifecycle
from reelforge.jobstore import JobNotFound, JobStore
from reelforge.lifecycle import EditRefused
from reelforge.media.pictures import MAX_UPLOAD_BYTES
from reelforge.models import CameraMove, Job, Manifest, Scene, Script, Shot, Status
from reelforge.pipeline import CLIP, FRAME, SHOT, SUBJECT_ID, Review
from reelforge.providers import costs

from reelforge_ingest.api.deps import ApiDeps
from reelforge_ingest.api.errors import ApiError
from reelforge_ingest.api.intake import bounded_body
from reelforge_ingest.api.jobs import ERRORS, owned_job
from reelforge_ingest.api.media import MediaLinks, version_digest
from reelforge_ingest.api.views import JobView, job_view

EDIT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"description": "the job was edited since that revision, or a stage is running"},
    422: {"description": "the edit is not valid (the message says why); nothing changed"},
}
T = TypeVar("T")
SceneNumber = Annotated[str, Path(pattern=r"^\d{2,3}$", description="01, 02, … in script order")]
ReferenceKind = Annotated[str, Path(pattern=r"^(character|location)$")]
SubjectId = Annotated[str, Path(pattern=f"^{SUBJECT_ID}$",
                                description="the character's or location's id, as in "
                                "GET /references")]


# --------------------------------------------------------------------------- bodies


class Revised(BaseModel):
    revision: int = Field(ge=0, description="the job revision the edit was made on")


class ScriptEdit(Revised):
    script: Script


class SceneEdit(Revised):
    narration: str | None = Field(None, description="the scene's narration line")
    camera: CameraMove | None = None
    seconds: float | None = Field(None, ge=lifecycle.MIN_SCENE_SECONDS,
                                  le=lifecycle.MAX_SCENE_SECONDS,
                                  description="time on screen; null: as the narration times it")


class FrameAsk(Revised):
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="none: a random seed")
    prompt: str | None = Field(None, max_length=2000, description="none: the script's prompt")


class PictureAsk(Revised):
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="none: a random seed")


class ClipAsk(Revised):
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="none: a random seed")


class Approval(Revised):
    review: Review


# --------------------------------------------------------------------------- answers


class ScriptView(BaseModel):
    revision: int
    script: Script
    estimated_seconds: float = Field(description="the trailer length the narration gives")


class MediaView(BaseModel):
    url: str
    thumb_url: str | None = None


class VariantView(BaseModel):
    number: int
    seed: int
    prompt: str | None
    chosen: bool
    thumb_url: str | None


class SceneView(BaseModel):
    number: str
    summary: str
    location: str
    time_of_day: str
    mood: str
    act: str
    narration: str | None
    camera: CameraMove | None
    seconds: float | None = Field(description="planned time on screen from the narration")
    prompt: str
    frame: MediaView | None
    clip: MediaView | None
    variants: list[VariantView]


class ScenesView(BaseModel):
    revision: int
    scenes: list[SceneView]


class ReferenceVariantView(BaseModel):
    number: int
    seed: int | None
    uploaded: bool = Field(description="the user's own picture")
    chosen: bool
    thumb_url: str | None


class ReferenceView(BaseModel):
    name: str = Field(description="reference/character/ID or reference/location/ID")
    kind: str
    subject: str = Field(description="the ID in the routes")
    title: str = Field(description="the character's or location's name")
    picture: MediaView | None = Field(description="the picture frames are sent, once made")
    variants: list[ReferenceVariantView]


class ReferencesView(BaseModel):
    revision: int
    references: list[ReferenceView]


class StageEstimate(BaseModel):
    usd: float
    seconds: float


class Estimate(BaseModel):
    usd: float
    seconds: float
    stages: dict[str, StageEstimate]


class FileView(BaseModel):
    name: str
    path: str
    url: str
    size: int | None = None
    duration: float | None = None


class VersionView(BaseModel):
    number: int
    created_at: datetime
    duration: float | None
    zip_url: str
    files: list[FileView]


class VersionsView(BaseModel):
    versions: list[VersionView]


# --------------------------------------------------------------------------- routes


def edits_router(deps: ApiDeps) -> APIRouter:
    router = APIRouter(prefix="/v1/jobs", tags=["studio"])
    backends, links = deps.backends, deps.media

    async def answer_job(job: Job) -> JSONResponse:
        view = await job_view(job, deps)
        return JSONResponse(view.model_dump(mode="json"), 202)

    @router.delete("/{job_id}", status_code=204, responses=ERRORS)
    async def delete_job(request: Request, job_id: str) -> Response:
        """Delete the job and every file it made (a running job is stopped first)."""
        _, job = await owned_job(deps, request, job_id)
        await lifecycle.delete(backends, job)
        return Response(status_code=204)

    @router.get("/{job_id}/script", response_model=ScriptView, responses=EDIT_ERRORS)
    async def get_script(request: Request, job_id: str) -> ScriptView:
        """The script as it stands, with the revision to edit it on."""
        _, job = await owned_job(deps, request, job_id)
        script, _ = await _refused(lifecycle.current_script(backends, job))
        return ScriptView(revision=job.revision, script=script,
                          estimated_seconds=script.planned_seconds())

    @router.put("/{job_id}/script", response_model=ScriptView, responses=EDIT_ERRORS)
    async def put_script(request: Request, job_id: str, body: ScriptEdit) -> ScriptView:
        """Replace the script: edit any field, delete, insert or reorder scenes (narration
        lines and acts follow their scenes by the index each scene was sent with)."""
        await owned_job(deps, request, job_id)
        job = await _refused(lifecycle.save_script(backends, job_id, body.script, body.revision))
        script, _ = await lifecycle.current_script(backends, job)
        return ScriptView(revision=job.revision, script=script,
                          estimated_seconds=script.planned_seconds())

    @router.get("/{job_id}/scenes", response_model=ScenesView, responses=EDIT_ERRORS)
    async def get_scenes(request: Request, job_id: str) -> ScenesView:
        """Every scene with its line, shot, frame, clip and frame variants."""
        _, job = await owned_job(deps, request, job_id)
        return await scenes_view(deps.jobs, links, job, backends)

    @router.patch("/{job_id}/scenes/{number}", response_model=ScenesView,
                  responses=EDIT_ERRORS)
    async def patch_scene(request: Request, job_id: str, number: SceneNumber,
                          body: SceneEdit) -> ScenesView:
        """Edit one scene's narration line, camera move or time on screen; `render` makes
        the new version."""
        await owned_job(deps, request, job_id)
        job = await _refused(lifecycle.edit_scene(
            backends, job_id, number, body.revision, narration=body.narration,
            camera=body.camera, seconds=body.seconds,
            seconds_given="seconds" in body.model_fields_set))
        return await scenes_view(deps.jobs, links, job, backends)

    @router.post("/{job_id}/scenes/{number}/frame", status_code=202, response_model=JobView,
                 responses=EDIT_ERRORS)
    async def new_frame(request: Request, job_id: str, number: SceneNumber,
                        body: FrameAsk) -> JSONResponse:
        """Make another frame for the scene (new seed, or an edited prompt) and show it;
        earlier frames stay as variants."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.new_frame(
            backends, job_id, number, body.revision, seed=body.seed, prompt=body.prompt)))

    @router.post("/{job_id}/scenes/{number}/variants/{variant}", status_code=202,
                 response_model=JobView, responses=EDIT_ERRORS)
    async def choose_variant(request: Request, job_id: str, number: SceneNumber,
                             variant: int, body: Revised) -> JSONResponse:
        """Show frame variant `variant` for the scene (no new picture is made)."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.choose_frame(
            backends, job_id, number, variant, body.revision)))

    @router.post("/{job_id}/scenes/{number}/clip", status_code=202, response_model=JobView,
                 responses=EDIT_ERRORS)
    async def new_clip(request: Request, job_id: str, number: SceneNumber,
                       body: ClipAsk) -> JSONResponse:
        """Make the scene's clip again with another seed."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.new_clip(
            backends, job_id, number, body.revision, body.seed)))

    @router.get("/{job_id}/references", response_model=ReferencesView, responses=EDIT_ERRORS)
    async def get_references(request: Request, job_id: str) -> ReferencesView:
        """The visual bible's pictures: a portrait of each main character and a shot of each
        location, with every variant tried. Frames are sent the chosen ones by image models
        that take reference pictures."""
        _, job = await owned_job(deps, request, job_id)
        return await references_view(deps.jobs, links, job, backends)

    @router.post("/{job_id}/references/{kind}/{subject}", status_code=202,
                 response_model=JobView, responses=EDIT_ERRORS)
    async def new_reference(request: Request, job_id: str, kind: ReferenceKind,
                            subject: SubjectId, body: PictureAsk) -> JSONResponse:
        """Make another picture of the character or location (a new seed) and use it;
        earlier pictures stay as variants."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.new_reference(
            backends, job_id, f"reference/{kind}/{subject}", body.revision, body.seed)))

    @router.post("/{job_id}/references/{kind}/{subject}/upload", status_code=202,
                 response_model=JobView, responses={
                     **EDIT_ERRORS, 413: {"description": "the picture is over 10 MB"}},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     t: {"schema": {"type": "string", "format": "binary"}}
                     for t in ("image/png", "image/jpeg", "image/webp")}}})
    async def upload_reference(request: Request, job_id: str, kind: ReferenceKind,
                               subject: SubjectId,
                               revision: Annotated[int, Query(ge=0)]) -> JSONResponse:
        """Use your own picture (the request body: PNG, JPEG or WebP, at most 10 MB) for the
        character or location; it becomes a variant like the made ones."""
        await owned_job(deps, request, job_id)
        data = await bounded_body(request, MAX_UPLOAD_BYTES, lambda: ApiError(
            413, "too_large", f"the picture is over {MAX_UPLOAD_BYTES // 2**20} MB; send a "
            "smaller one"))
        return await answer_job(await _refused(lifecycle.upload_reference(
            backends, job_id, f"reference/{kind}/{subject}", revision, data)))

    @router.post("/{job_id}/references/{kind}/{subject}/variants/{variant}", status_code=202,
                 response_model=JobView, responses=EDIT_ERRORS)
    async def choose_reference(request: Request, job_id: str, kind: ReferenceKind,
                               subject: SubjectId, variant: int, body: Revised) -> JSONResponse:
        """Use picture variant `variant` for the character or location (nothing new is
        made; frames that are sent it are drawn again)."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.choose_reference(
            backends, job_id, f"reference/{kind}/{subject}", variant, body.revision)))

    @router.post("/{job_id}/approve", status_code=202, response_model=JobView,
                 responses=EDIT_ERRORS)
    async def approve(request: Request, job_id: str, body: Approval) -> JSONResponse:
        """Pass the review the job waits at; it goes on with every edit made meanwhile."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.approve(
            backends, job_id, body.review, body.revision)))

    @router.post("/{job_id}/render", status_code=202, response_model=JobView,
                 responses=EDIT_ERRORS)
    async def render(request: Request, job_id: str, body: Revised) -> JSONResponse:
        """Make a new version from the edits; the current one stays listed."""
        await owned_job(deps, request, job_id)
        return await answer_job(await _refused(lifecycle.render(backends, job_id,
                                                                body.revision)))

    @router.get("/{job_id}/estimate", response_model=Estimate, responses=ERRORS)
    async def estimate(request: Request, job_id: str) -> Estimate:
        """What the stages still to run will cost (provider cost tables) and take."""
        _, job = await owned_job(deps, request, job_id)
        return await estimate_remaining(deps, job)

    @router.get("/{job_id}/versions", response_model=VersionsView, responses=ERRORS)
    async def versions(request: Request, job_id: str) -> VersionsView:
        """Every render of the job, oldest first, each downloadable whole or file by file."""
        _, job = await owned_job(deps, request, job_id)
        return await versions_view(deps, links, job)

    return router


async def _refused(edit: Awaitable[T]) -> T:
    """Await a lifecycle call; its refusal becomes the HTTP answer it names."""
    try:
        return await edit
    except EditRefused as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc


# --------------------------------------------------------------------------- views


async def scenes_view(jobs: JobStore, links: MediaLinks, job: Job,
                      backends: lifecycle.JobBackends) -> ScenesView:
    script, _ = await _refused(lifecycle.current_script(backends, job))
    artifacts = {a.name: a for a in await jobs.list_artifacts(job.id)}
    storyboard_done = job.stages["storyboard"].status == Status.completed
    video_done = job.stages["video"].status == Status.completed
    scenes = []
    for position, scene in enumerate(script.scenes, start=1):
        number = f"{position:02d}"
        frame = artifacts.get(FRAME.named(NN=number)) if storyboard_done else None
        clip = artifacts.get(CLIP.named(NN=number)) if video_done else None
        shot = artifacts.get(SHOT.named(NN=number)) if storyboard_done else None
        scenes.append(SceneView(
            number=number, summary=scene.summary, location=scene.location,
            time_of_day=scene.time_of_day, mood=scene.mood, act=scene.act,
            narration=next((line.text for line in script.narration
                            if line.scene == scene.index), None),
            camera=await _camera(backends, scene, shot.key if shot else None),
            seconds=_planned_seconds(script, scene),
            prompt=_prompt(script, scene),
            frame=MediaView(url=await links.url(frame.key), thumb_url=await links.thumb_url(
                frame.key)) if frame else None,
            clip=MediaView(url=await links.url(clip.key)) if clip else None,
            variants=await _variants(links, scene, frame.key if frame else None),
        ))
    return ScenesView(revision=job.revision, scenes=scenes)


async def references_view(jobs: JobStore, links: MediaLinks, job: Job,
                          backends: lifecycle.JobBackends) -> ReferencesView:
    script, _ = await _refused(lifecycle.current_script(backends, job))
    made = job.stages["storyboard"].status == Status.completed
    views = []
    for name, title in lifecycle.reference_names(script).items():
        _, kind, subject = name.split("/")
        record = await jobs.get_artifact(job.id, name) if made else None
        direction = script.references.get(name)
        variants = []
        for number, variant in enumerate(direction.variants if direction else []):
            chosen = number == direction.chosen  # type: ignore[union-attr]
            key = record.key if chosen and record else variant.key
            variants.append(ReferenceVariantView(
                number=number, seed=variant.seed, uploaded=variant.upload is not None,
                chosen=chosen, thumb_url=await links.thumb_url(key) if key else None))
        views.append(ReferenceView(
            name=name, kind=kind, subject=subject, title=title,
            picture=MediaView(url=await links.url(record.key),
                              thumb_url=await links.thumb_url(record.key)) if record else None,
            variants=variants))
    return ReferencesView(revision=job.revision, references=views)


async def _camera(backends: lifecycle.JobBackends, scene: Scene,
                  shot_key: str | None) -> CameraMove | None:
    if scene.direction is not None and scene.direction.camera is not None:
        return scene.direction.camera
    if shot_key is None:
        return None
    shot = Shot.model_validate_json(await backends.blobs.get(shot_key))
    return shot.camera


def _planned_seconds(script: Script, scene: Scene) -> float | None:
    lines = script.scene_lines(scene)
    return round(sum(script.line_seconds(line) for line in lines), 1) if lines else None


def _prompt(script: Script, scene: Scene) -> str:
    chosen = scene.direction.frame if scene.direction else None
    return (chosen.prompt if chosen and chosen.prompt else None) or script.frame_prompt(scene)


async def _variants(links: MediaLinks, scene: Scene, frame_key: str | None) -> list[VariantView]:
    if scene.direction is None:
        return []
    views = []
    for number, variant in enumerate(scene.direction.variants):
        chosen = number == scene.direction.chosen
        key = frame_key if chosen and frame_key else variant.key
        views.append(VariantView(number=number, seed=variant.seed, prompt=variant.prompt,
                                 chosen=chosen,
                                 thumb_url=await links.thumb_url(key) if key else None))
    return views


async def estimate_remaining(deps: ApiDeps, job: Job) -> Estimate:
    """The video and assembly stages, if not done: per clip the first video provider's list
    price for the clip's length (nothing for the local generator), and rough local times."""
    script_record = await deps.jobs.get_artifact(job.id, "script")
    stages: dict[str, StageEstimate] = {}
    if script_record is not None:
        script = Script.model_validate_json(await deps.blobs.get(script_record.key))
        seconds = script.planned_seconds()
        clip_seconds = [script.shot_seconds(s) for s in script.scenes]
        if job.stages["video"].status != Status.completed:
            stages["video"] = StageEstimate(
                usd=round(sum(_clip_usd(deps, s) for s in clip_seconds), 2),
                seconds=round(CLIP_LOCAL_SECONDS * len(script.scenes), 1))
        if job.stages["assembly"].status != Status.completed:
            stages["assembly"] = StageEstimate(usd=0.0,
                                               seconds=round(RENDER_RATIO * seconds, 1))
    return Estimate(usd=round(sum(s.usd for s in stages.values()), 2),
                    seconds=round(sum(s.seconds for s in stages.values()), 1), stages=stages)


CLIP_LOCAL_SECONDS = 2.0
"""Seconds the local camera-move generator takes per clip on two cores (bench/pipeline.py)."""
RENDER_RATIO = 0.6
"""Seconds of render per second of trailer, three variants, two cores (bench/render.py)."""


def _clip_usd(deps: ApiDeps, seconds: float) -> float:
    chain = deps.settings.chain("video")
    provider = chain[0] if chain else "local"
    if provider == "local":
        return 0.0
    if provider == "seedance":
        return costs.seedance_usd(deps.settings.seedance_model, 1920 * 1080, 24, seconds)
    model = str(getattr(deps.settings, f"{provider}_video_model", provider))
    return costs.video_usd(provider, model, max(seconds, 5.0))


async def versions_view(deps: ApiDeps, links: MediaLinks, job: Job) -> VersionsView:
    keys = list(job.versions)
    current = await deps.jobs.get_artifact(job.id, "manifest")
    if current is not None and current.key not in keys and job.status == Status.completed:
        keys.append(current.key)
    views = []
    for number, key in enumerate(keys, start=1):
        manifest = Manifest.model_validate_json(await deps.blobs.get(key))
        trailer = next((a for a in manifest.artifacts if a.name == "trailer"), None)
        files = [FileView(name=a.name, path=a.path, url=await links.url(a.key), size=a.size,
                          duration=a.duration)
                 for a in manifest.artifacts if a.path is not None]
        views.append(VersionView(number=number, created_at=manifest.created_at,
                                 duration=trailer.duration if trailer else None,
                                 zip_url=links.zip_url(job.id, key), files=files))
    return VersionsView(versions=views)


async def manifest_by_digest(deps: ApiDeps, job_id: str, digest: str) -> str | None:
    try:
        job = await deps.jobs.get_job(job_id)
    except JobNotFound:
        return None
    current = await deps.jobs.get_artifact(job_id, "manifest")
    keys = [*job.versions, *([current.key] if current else [])]
    return next((k for k in keys if version_digest(k) == digest), None)
