"""A job's life, in one place for the API and the studio: create it, start a run (a retry, an
approval, a new version after edits), and edit it between runs.

One rule decides what a run redoes: every stage is queued again and finds its outputs by
content address, so only what an edit changed (and what depends on it, as the pipeline
declares) is made again. Reviews the job has passed never stop it again.

Every edit names the revision it was made on and is written only if that is still the job's
revision (`JobStore.revise_job`), so of two tabs editing at once the later one is refused
(`EditConflict`) instead of silently undoing the other. Nothing is ever overwritten: an
edited script is stored under its own key, each render's manifest is kept in
`job.versions`, and blobs are content-addressed, so every artifact an earlier version used
stays readable.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from reelforge.blobs import BlobStore, job_key, job_prefix
from reelforge.bus import Bus
from reelforge.errors import Explained
from reelforge.events import JOB_SUBMITTED, Event
from reelforge.jobstore import JobStore
from reelforge.media.pictures import PictureRefused, user_picture_png
from reelforge.models import (
    MAX_PAUSE_SECONDS,
    STAGES,
    ArtifactRecord,
    CameraMove,
    Direction,
    Document,
    FrameVariant,
    Job,
    JobSettings,
    NarrationLine,
    ProgressEvent,
    ReferenceDirection,
    ReferenceVariant,
    Scene,
    Script,
    StageState,
    Status,
    VoiceoverLayout,
    utcnow,
    voiceover_layout_key,
)
from reelforge.pipeline import FRAME, PIPELINE, SCRIPT, Review, reference_name
from reelforge.runtime import fingerprint

EDITABLE = frozenset({Status.awaiting_review, Status.completed, Status.failed,
                      Status.cancelled})
"""A job can be edited while no stage is working on it."""
MAX_LINE_CHARS = 300
MIN_SCENE_SECONDS, MAX_SCENE_SECONDS = 1.0, 30.0
IDEMPOTENCY_WINDOW = timedelta(hours=24)
"""How long an Idempotency-Key replays its submission; afterwards it is refused."""


# --------------------------------------------------------------------------- errors


class EditRefused(Explained):
    """An edit or approval that was not made; nothing changed. `status` is the HTTP answer."""

    status = 422
    code = "invalid_edit"


class EditConflict(EditRefused):
    status, code = 409, "conflict"


class JobBusy(EditRefused):
    status, code = 409, "busy"


class UnknownScene(EditRefused):
    status, code = 404, "not_found"


class UnknownReference(EditRefused):
    status, code = 404, "not_found"


class InvalidEdit(EditRefused):
    pass


# --------------------------------------------------------------------------- create and run


@dataclass(frozen=True)
class JobBackends:
    """What a job's life touches: its projection, its blobs, and the bus that drives it."""

    jobs: JobStore
    blobs: BlobStore
    bus: Bus


def new_job_id() -> str:
    return uuid.uuid4().hex


def submission_job_id(tenant: str, idempotency_key: str) -> str:
    """The job an Idempotency-Key names: the same key of the same tenant always names the
    same job, so a retried submission meets the job its first attempt created (the store's
    primary key settles two attempts at once) instead of making a second one."""
    return hashlib.sha256(f"{tenant}\0{idempotency_key}".encode()).hexdigest()[:32]


def same_submission(job: Job, document: Document, settings: JobSettings) -> bool:
    """Whether `job` was created from this document with these settings (a replay of its
    submission, not a different one under the same key), and within the key's lifetime."""
    fresh = utcnow() - job.created_at < IDEMPOTENCY_WINDOW
    return fresh and job.source_key == document_key(job.id, document) and \
        job.settings == settings


def document_key(job_id: str, document: Document) -> str:
    return job_key(job_id, "ingest", f"document-{fingerprint(document)}.json")


async def store_document(backends: JobBackends, job_id: str, document: Document) -> str:
    """The document's blob key (content-addressed, so a resubmission stores nothing new)."""
    key = document_key(job_id, document)
    await backends.blobs.put(key, document.model_dump_json(indent=2).encode(),
                             "application/json")
    return key


async def store_supplied_script(backends: JobBackends, job_id: str, script: Script) -> str:
    """A script the user wrote or edited outside the pipeline; the script stage uses it."""
    key = job_key(job_id, "script", f"script-supplied-{fingerprint(script)}.json")
    await backends.blobs.put(key, script.model_dump_json(indent=2).encode(), "application/json")
    return key


async def create_job(backends: JobBackends, tenant: str, document: Document,
                     settings: JobSettings, *, job_id: str | None = None,
                     force: Sequence[str] = (), script: Script | None = None) -> Job:
    """Store the document (and a supplied script), create the job, record it, publish
    `job.submitted`."""
    job_id = job_id or new_job_id()
    source_key = await store_document(backends, job_id, document)
    script_key = await store_supplied_script(backends, job_id, script) if script else None
    stages = {s: StageState() for s in STAGES}
    stages["ingest"] = StageState(status=Status.completed)
    # `running` in the store from the start: the pipeline owns the job now, and the sweeper
    # re-publishes job.submitted if the event is ever lost. The API shows it as queued.
    job = Job(id=job_id, tenant=tenant, status=Status.running, settings=settings,
              source_key=source_key, stages=stages, budget_usd=settings.budget_usd,
              force=list(force), script_key=script_key)
    await backends.jobs.create_job(job)
    await backends.jobs.record_artifact(job_id, ArtifactRecord(
        name="document", key=source_key, stage="ingest", path=None))
    await backends.jobs.add_event(ProgressEvent(
        job_id=job_id, stage="ingest", kind="completed",
        message=f"{document.format} document, {len(document.text):,} characters"))
    await register_joins(backends.jobs, job)
    await backends.bus.publish(Event(type=JOB_SUBMITTED, job_id=job_id))
    return job


async def register_joins(jobs: JobStore, job: Job) -> None:
    """The run's join groups, as the pipeline declares them (assembly waits for `audio` and
    `video`): registered before the run's first event, so whichever part completes first
    finds the other still pending."""
    for stage in PIPELINE:
        if stage.join_parts:
            await jobs.add_items(job.id, job.group(stage.name), list(stage.join_parts))


async def start_run(backends: JobBackends, job: Job, reason: str) -> None:
    """A new run of the job: the run number bumped (fresh fan-in groups), every stage queued
    again, `job.submitted` published. Stages find their stored outputs, so only what changed
    since they were made is redone. The render being replaced is kept as a version."""
    jobs = backends.jobs
    manifest = await jobs.get_artifact(job.id, "manifest")
    if manifest is not None and manifest.key not in job.versions:
        stored = await jobs.get_job(job.id)
        stored.versions = [*stored.versions, manifest.key]
        await jobs.update_job(stored)
    await jobs.bump_run(job.id)
    await register_joins(jobs, await jobs.get_job(job.id))
    for name in STAGES:
        if name != "ingest":
            await jobs.set_stage(job.id, name, Status.queued)
    await jobs.set_job_status(job.id, Status.running)
    await jobs.add_event(ProgressEvent(job_id=job.id, stage="job", kind="info", message=reason))
    await backends.bus.publish(Event(type=JOB_SUBMITTED, job_id=job.id))


async def resubmit(backends: JobBackends, job: Job, document: Document, settings: JobSettings,
                   *, force: Sequence[str] = (), script: Script | None = None) -> None:
    """A new run of an existing job with new inputs (the embedded runner's rerun of a
    folder): what the new document, settings or script change is redone, nothing else."""
    job.source_key = await store_document(backends, job.id, document)
    job.script_key = await store_supplied_script(backends, job.id, script) if script else None
    job.settings, job.force, job.budget_usd = settings, list(force), settings.budget_usd
    await backends.jobs.update_job(job)
    await backends.jobs.record_artifact(job.id, ArtifactRecord(
        name="document", key=job.source_key, stage="ingest", path=None))
    await start_run(backends, job, "submitted again")


async def retry(backends: JobBackends, job: Job) -> None:
    """Resume a failed or cancelled job from where it stopped (finished work is reused)."""
    if job.status not in (Status.failed, Status.cancelled):
        raise JobBusy(f"the job is {job.status.value}; only a failed or cancelled job can be "
                      "retried")
    await start_run(backends, job, f"retry after: {job.error or job.status.value}")


async def approve(backends: JobBackends, job_id: str, review: Review, revision: int) -> Job:
    """Pass `review`: the job goes on (through any edits made while it waited)."""
    job = await _editable(backends, job_id, revision)
    if job.awaiting != review:
        waiting = f"waits at the {job.awaiting} review" if job.awaiting else "waits at no review"
        raise EditConflict(f"the job {waiting}, not the {review} review; reload it")
    job.approved = [*job.approved, review]
    job.awaiting = None
    job = await _commit(backends, job, revision)
    await start_run(backends, job, f"{review} approved")
    return await backends.jobs.get_job(job.id)


async def render(backends: JobBackends, job_id: str, revision: int) -> Job:
    """A new version from the edits made since the last run."""
    job = await _editable(backends, job_id, revision)
    if job.awaiting is not None:
        raise EditConflict(f"the job waits at the {job.awaiting} review; approve it to go on")
    job = await _commit(backends, job, revision)
    await start_run(backends, job, "a new version was asked for")
    return await backends.jobs.get_job(job.id)


async def delete(backends: JobBackends, job: Job) -> None:
    """Stop the job if it runs, then remove it and every blob it made."""
    if job.status not in EDITABLE:
        await backends.jobs.set_job_status(job.id, Status.cancelled, "deleted by the user")
    await backends.jobs.delete_job(job.id)
    for key in await backends.blobs.list(job_prefix(job.id)):
        await backends.blobs.delete(key)


# --------------------------------------------------------------------------- the script


async def current_script(backends: JobBackends, job: Job) -> tuple[Script, ArtifactRecord]:
    record = await backends.jobs.get_artifact(job.id, SCRIPT.name)
    if record is None:
        raise InvalidEdit("the job has no script yet; wait until the script stage has run")
    return Script.model_validate_json(await backends.blobs.get(record.key)), record


async def save_script(backends: JobBackends, job_id: str, script: Script, revision: int) -> Job:
    """Replace the job's script with an edited one (scenes edited, deleted, inserted or
    reordered); what it changes is redone by the next run."""
    job = await _editable(backends, job_id, revision)
    return await _store_script(backends, job, normalised(script), revision)


async def edit_scene(
    backends: JobBackends, job_id: str, number: str, revision: int, *,
    narration: str | None = None, camera: CameraMove | None = None,
    seconds: float | None = None, seconds_given: bool = False,
) -> Job:
    """Change one scene: its narration line, its camera move, or its time on screen (the
    pause after its line, so the scene lasts about `seconds`).

    Once the voiceover exists, the lines keep their places in it (`_keep_timing`): a new
    line that fits in its scene's time leaves the scene as long as it was (the pause after
    it takes up the difference), so its clip and every other scene stay as they are; a
    longer one lengthens the scene and moves the later ones (see docs/studio-api.md)."""
    job = await _editable(backends, job_id, revision)
    script, _ = await current_script(backends, job)
    scene = scene_at(script, number)
    lines = script.scene_lines(scene)
    kept = (narration is not None or seconds_given) and await _keep_timing(backends, job, script)
    if narration is not None:
        text = _line_text(narration, f"scene {number}'s narration")
        if lines:
            line = lines[0]
            planned = script.line_seconds(line)
            if kept:
                line.pause_after = script.kept_pause(line, text)
            line.text, line.marked = text, text
            _move_slot(line, script.line_seconds(line) - planned, grow_only=True)
        else:
            lines = [_insert_line(script, scene, text)]
    if camera is not None:
        scene.direction = (scene.direction or Direction()).model_copy(update={"camera": camera})
    if seconds_given:
        if not lines:
            raise InvalidEdit(f"scene {number} has no narration line, so its time on screen "
                              "follows the next line's; give it a line first")
        last = lines[-1]
        planned = sum(script.line_seconds(line) for line in lines)
        if seconds is None:
            last.pause_after = NarrationLine.model_fields["pause_after"].default
        else:
            shortest = planned - last.pause_after
            if not shortest - 0.05 <= seconds <= shortest + MAX_PAUSE_SECONDS + 0.05:
                raise InvalidEdit(
                    f"scene {number} can last {shortest:.1f} to "
                    f"{shortest + MAX_PAUSE_SECONDS:.1f} seconds: its line takes "
                    f"{shortest:.1f} s to say and may be followed by a pause of up to "
                    f"{MAX_PAUSE_SECONDS:g} s; change the line to go further")
            last.pause_after = round(min(MAX_PAUSE_SECONDS, max(0.0, seconds - shortest)), 2)
        _move_slot(last, sum(script.line_seconds(line) for line in lines) - planned)
    return await _store_script(backends, job, normalised(script), revision)


async def new_frame(backends: JobBackends, job_id: str, number: str, revision: int, *,
                    seed: int | None = None, prompt: str | None = None) -> Job:
    """Make another frame for the scene (a new seed, or the user's prompt) and show it; every
    earlier frame stays a variant to pick again."""
    job = await _editable(backends, job_id, revision)
    script, _ = await current_script(backends, job)
    scene = scene_at(script, number)
    direction = await _direction_with_keys(backends, job, scene, number)
    if not direction.variants:  # the frame the storyboard made first becomes variant 0
        direction.variants.append(FrameVariant(seed=job.settings.seed + scene.index,
                                               key=await _frame_key(backends, job, number)))
    if prompt is not None:
        prompt = prompt.strip() or None
    direction.variants.append(FrameVariant(seed=random.randrange(2**31) if seed is None else seed,
                                           prompt=prompt))
    direction.chosen = len(direction.variants) - 1
    scene.direction = direction
    job = await _store_script(backends, job, script, revision)
    await start_run(backends, job, f"a new frame for scene {number}")
    return await backends.jobs.get_job(job.id)


async def choose_frame(backends: JobBackends, job_id: str, number: str, variant: int,
                       revision: int) -> Job:
    job = await _editable(backends, job_id, revision)
    script, _ = await current_script(backends, job)
    scene = scene_at(script, number)
    direction = await _direction_with_keys(backends, job, scene, number)
    if not 0 <= variant < len(direction.variants):
        raise UnknownScene(f"scene {number} has no frame variant {variant}; it has "
                           f"{len(direction.variants)} (numbered from 0)")
    direction.chosen = variant
    scene.direction = direction
    job = await _store_script(backends, job, script, revision)
    await start_run(backends, job, f"frame variant {variant} chosen for scene {number}")
    return await backends.jobs.get_job(job.id)


async def new_clip(backends: JobBackends, job_id: str, number: str, revision: int,
                   seed: int | None = None) -> Job:
    job = await _editable(backends, job_id, revision)
    script, _ = await current_script(backends, job)
    scene = scene_at(script, number)
    clip_seed = random.randrange(2**31) if seed is None else seed
    scene.direction = (scene.direction or Direction()).model_copy(
        update={"clip_seed": clip_seed})
    job = await _store_script(backends, job, script, revision)
    await start_run(backends, job, f"a new clip for scene {number}")
    return await backends.jobs.get_job(job.id)


# --------------------------------------------------------------------------- the visual bible


def reference_names(script: Script) -> dict[str, str]:
    """The reference pictures the script needs, job-store name → who or what they show:
    its main characters a scene shows, then every location a scene is set in."""
    names = {reference_name("character", c.id): c.name for c in script.main_characters_shown()}
    names.update({reference_name("location", loc.id): loc.name
                  for loc in script.scene_locations()})
    return names


async def new_reference(backends: JobBackends, job_id: str, name: str, revision: int,
                        seed: int | None = None) -> Job:
    """Make another picture of a character or location (a new seed); every earlier one stays
    a variant to pick again. Frames are sent the chosen one by providers that take them."""
    return await _add_reference(backends, job_id, name, revision, ReferenceVariant(
        seed=random.randrange(2**31) if seed is None else seed), "a new reference picture")


async def upload_reference(backends: JobBackends, job_id: str, name: str, revision: int,
                           data: bytes) -> Job:
    """Use the user's own picture (PNG, JPEG or WebP) for a character or location."""
    try:
        png = user_picture_png(data)
    except PictureRefused as exc:
        raise InvalidEdit(str(exc)) from exc
    key = job_key(job_id, "references", f"upload-{fingerprint(png)}.png")
    await backends.blobs.put(key, png, "image/png")
    return await _add_reference(backends, job_id, name, revision,
                                ReferenceVariant(upload=key, key=key), "an uploaded picture")


async def choose_reference(backends: JobBackends, job_id: str, name: str, variant: int,
                           revision: int) -> Job:
    job = await _editable(backends, job_id, revision)
    script, _ = await current_script(backends, job)
    direction = await _reference_with_keys(backends, job, script, name)
    if not 0 <= variant < len(direction.variants):
        raise UnknownReference(f"{name} has no picture variant {variant}; it has "
                               f"{len(direction.variants)} (numbered from 0)")
    direction.chosen = variant
    script.references[name] = direction
    job = await _store_script(backends, job, script, revision)
    await start_run(backends, job, f"picture variant {variant} chosen for {name}")
    return await backends.jobs.get_job(job.id)


async def _add_reference(backends: JobBackends, job_id: str, name: str, revision: int,
                         variant: ReferenceVariant, what: str) -> Job:
    job = await _editable(backends, job_id, revision)
    script, _ = await current_script(backends, job)
    direction = await _reference_with_keys(backends, job, script, name)
    if not direction.variants:  # the picture the storyboard made first becomes variant 0
        first = await _storyboard_key(backends, job, name)
        direction.variants.append(ReferenceVariant(key=first))
    direction.variants.append(variant)
    direction.chosen = len(direction.variants) - 1
    script.references[name] = direction
    job = await _store_script(backends, job, script, revision)
    await start_run(backends, job, f"{what} for {name}")
    return await backends.jobs.get_job(job.id)


async def _reference_with_keys(backends: JobBackends, job: Job, script: Script,
                               name: str) -> ReferenceDirection:
    """The reference's direction, with the picture in use now remembered on its variant."""
    if name not in reference_names(script):
        raise UnknownReference(
            f"the script has no reference picture {name!r}; its references are "
            f"{', '.join(reference_names(script)) or 'none'}")
    direction = script.references.get(name, ReferenceDirection()).model_copy(deep=True)
    chosen = direction.picture
    if chosen is not None and chosen.key is None:
        chosen.key = await _storyboard_key(backends, job, name)
    return direction


# --------------------------------------------------------------------------- scenes


def scene_at(script: Script, number: str) -> Scene:
    """The scene numbered `number` in the package (01, 02, … in script order)."""
    if not re.fullmatch(r"\d{1,3}", number) or not 1 <= int(number) <= len(script.scenes):
        raise UnknownScene(f"no scene {number!r}; the script has scenes 01 to "
                           f"{len(script.scenes):02d}")
    return script.scenes[int(number) - 1]


def normalised(script: Script) -> Script:
    """An edited script made consistent: scenes numbered by position, and every narration
    line and act pointing at its scene by the index the scene had when it was sent (so a
    reorder, a deletion or an insertion keeps each line with its scene); scene lines follow
    their scenes' new order, card lines keep their place. A line that points at no scene,
    two scenes with one index, or a blank line is refused."""
    old = [scene.index for scene in script.scenes]
    if len(set(old)) != len(old):
        dupes = sorted({i for i in old if old.count(i) > 1})
        raise InvalidEdit(f"two scenes have index {dupes[0]}; give an inserted scene an index "
                          "no other scene has")
    position = {index: new for new, index in enumerate(old)}
    for line in script.narration:
        if line.scene is not None and line.scene not in position:
            raise InvalidEdit(f"narration line {line.index} belongs to scene index {line.scene}, "
                              "which the script no longer has; delete the line or its scene "
                              "reference")
        line.text = _line_text(line.text, f"narration line {line.index}")
        if _plain(line.marked) != _plain(line.text):
            line.marked = line.text  # the text was edited: its old emphasis marks no longer fit
    scene_lines = iter(sorted((line for line in script.narration if line.scene is not None),
                              key=lambda line: position[line.scene or 0]))
    ordered = [line if line.scene is None else next(scene_lines) for line in script.narration]
    for new, line in enumerate(ordered):
        line.index = new
        if line.scene is not None:
            line.scene = position[line.scene]
    for act in script.acts:
        act.scenes = [position[i] for i in act.scenes if i in position]
    for new, scene in enumerate(script.scenes):
        scene.index = new
    script.narration = ordered
    return Script.model_validate(script.model_dump())


# --------------------------------------------------------------------------- internals


async def _editable(backends: JobBackends, job_id: str, revision: int) -> Job:
    job = await backends.jobs.get_job(job_id)
    if job.status not in EDITABLE:
        running = next((name for name, st in job.stages.items()
                        if st.status == Status.running), None)
        doing = f"the {running} stage is running" if running else "the job is running"
        raise JobBusy(f"{doing}; edit it once it waits at a review or has finished")
    _same_revision(job, revision)
    return job


def _same_revision(job: Job, revision: int) -> None:
    if job.revision != revision:
        raise EditConflict(f"the job was edited since revision {revision} (it is now at "
                           f"{job.revision}); reload it and make your change again")


async def _commit(backends: JobBackends, job: Job, revision: int) -> Job:
    if not await backends.jobs.revise_job(job, revision):
        stored = await backends.jobs.get_job(job.id)
        _same_revision(stored, revision)
        raise EditConflict("another edit was saved at the same moment; reload the job and make "
                           "your change again")
    return await backends.jobs.get_job(job.id)


async def _store_script(backends: JobBackends, job: Job, script: Script,
                        revision: int) -> Job:
    """Store the edited script under its own key and make it the job's script."""
    key = job_key(job.id, "script", f"script-edited-{fingerprint(script)}.json")
    await backends.blobs.put(key, script.model_dump_json(indent=2).encode(), "application/json")
    job.script_key, job.title = key, script.title
    job = await _commit(backends, job, revision)
    await backends.jobs.record_artifact(job.id, ArtifactRecord(
        name=SCRIPT.name, key=key, stage="script", provider="studio", path=SCRIPT.path))
    await backends.jobs.add_event(ProgressEvent(
        job_id=job.id, stage="script", kind="info", message=f"edited (revision {job.revision})"))
    return job


async def _frame_key(backends: JobBackends, job: Job, number: str) -> str | None:
    return await _storyboard_key(backends, job, FRAME.named(NN=f"{int(number):02d}"))


async def _storyboard_key(backends: JobBackends, job: Job, name: str) -> str | None:
    """The key of the storyboard's artifact `name` (a frame, a reference picture), when the
    storyboard made it for the script as it stands (not while a run is remaking it)."""
    if job.stages["storyboard"].status != Status.completed:
        return None
    record = await backends.jobs.get_artifact(job.id, name)
    return None if record is None else record.key


async def _direction_with_keys(backends: JobBackends, job: Job, scene: Scene,
                               number: str) -> Direction:
    """The scene's direction, with the frame on screen now remembered on its variant, so
    it can be shown and picked again after another variant replaces it."""
    direction = (scene.direction or Direction()).model_copy(deep=True)
    chosen = direction.frame
    if chosen is not None and chosen.key is None:
        chosen.key = await _frame_key(backends, job, number)
    return direction


async def _keep_timing(backends: JobBackends, job: Job, script: Script) -> bool:
    """Whether the script's lines keep their places in the voiceover, giving each line the
    slot it has in the job's voiceover the first time (when that voiceover was made from as
    many lines); False while there is none."""
    if any(line.slot_seconds is not None for line in script.narration):
        return True
    record = await backends.jobs.get_artifact(job.id, "voiceover")
    layout_key = None if record is None else voiceover_layout_key(record.key)
    if layout_key is None or not await backends.blobs.exists(layout_key):
        return False
    layout = VoiceoverLayout.model_validate_json(await backends.blobs.get(layout_key))
    if len(layout.lines) != len(script.narration):
        return False
    for line, slot in zip(script.narration, layout.slots(), strict=True):
        line.slot_seconds = slot
    return True


def _move_slot(line: NarrationLine, change: float, *, grow_only: bool = False) -> None:
    """A kept line's slot in the voiceover changed as much as its planned time did (not at
    all for a shorter line with `grow_only`: its scene keeps its length)."""
    if line.slot_seconds is not None and (change > 0 or not grow_only):
        line.slot_seconds = round(max(0.0, line.slot_seconds + change), 3)


def _insert_line(script: Script, scene: Scene, text: str) -> NarrationLine:
    """A new line for a scene that had none, before the lines of the scenes after it."""
    line = NarrationLine(index=0, act=scene.act, scene=scene.index, text=text, marked=text)
    later = (i for i, other in enumerate(script.narration)
             if other.scene is not None and other.scene > scene.index)
    script.narration.insert(next(later, len(script.narration)), line)
    return line


def _line_text(text: str, what: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidEdit(f"{what} is empty; write the line, or delete it")
    if len(cleaned) > MAX_LINE_CHARS:
        raise InvalidEdit(f"{what} has {len(cleaned)} characters; a trailer line fits in "
                          f"{MAX_LINE_CHARS}: shorten it or split it over two scenes")
    return cleaned


def _plain(marked: str) -> str:
    return " ".join(marked.replace("*", "").replace("...", " ").split())

