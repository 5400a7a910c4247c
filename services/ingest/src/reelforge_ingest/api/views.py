"""What the API answers about a job: response models and how they are built from the job
store and the manifest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from reelforge.models import STAGES, Job, JobSettings, Manifest, Status
from reelforge.pipeline import FAN_OUT_STAGES as FAN_OUT
from reelforge.pipeline import Review

from reelforge_ingest.api.deps import ApiDeps

FINAL = {Status.completed, Status.failed, Status.cancelled}
"""States after which the event stream ends (a job awaiting review may still go on)."""


class Links(BaseModel):
    self: str
    events: str
    cancel: str
    retry: str


class JobCreated(BaseModel):
    id: str
    status: str = "queued"
    links: Links


class StageView(BaseModel):
    status: Status
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    error: str | None = None
    items_done: int | None = None  # fan-out stages: work items finished / registered
    items_total: int | None = None


class ArtifactView(BaseModel):
    name: str
    path: str | None = None
    url: str
    size: int | None = None
    duration: float | None = None
    provider: str | None = None


class JobSummary(BaseModel):
    id: str
    status: str
    title: str | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    links: Links
    awaiting: Review | None = Field(None, description="the review the job waits at")
    revision: int = Field(0, description="the revision an edit or approval must name")
    thumbnail_url: str | None = Field(None, description="a small picture of the job, once "
                                      "it has one")
    duration: float | None = Field(None, description="the trailer's length, once rendered")


class JobView(JobSummary):
    settings: JobSettings
    run: int
    cost_usd: float
    progress: float = Field(description="0..1, stages and fan-out items done")
    stages: dict[str, StageView]
    artifacts: list[ArtifactView] = Field(
        default_factory=list, description="the package, as presigned download URLs"
    )


class JobPage(BaseModel):
    jobs: list[JobSummary]
    limit: int
    offset: int
    next: str | None = Field(None, description="the next page, when there may be one")


def links(job_id: str) -> Links:
    base = f"/v1/jobs/{job_id}"
    return Links(self=base, events=f"{base}/events", cancel=f"{base}/cancel",
                 retry=f"{base}/retry")


def public_status(job: Job) -> str:
    """`queued` until a pipeline stage starts (the store says running from submission, so
    the sweeper watches it), then the job's own status."""
    if job.status == Status.running and all(
        job.stages[s].status == Status.queued for s in STAGES if s != "ingest" and s in job.stages
    ):
        return Status.queued.value
    return job.status.value


async def summary(job: Job, deps: ApiDeps) -> JobSummary:
    trailer = await deps.jobs.get_artifact(job.id, "trailer")
    picture = (await deps.jobs.get_artifact(job.id, "thumbnail")
               or await deps.jobs.get_artifact(job.id, "frame/01"))
    return JobSummary(id=job.id, status=public_status(job), title=job.title, error=job.error,
                      created_at=job.created_at, updated_at=job.updated_at, links=links(job.id),
                      awaiting=job.awaiting, revision=job.revision,
                      thumbnail_url=await deps.media.thumb_url(picture.key) if picture else None,
                      duration=trailer.duration if trailer else None)


async def job_view(job: Job, deps: ApiDeps) -> JobView:
    stages: dict[str, StageView] = {}
    for name, state in job.stages.items():
        view = StageView(status=state.status, started_at=state.started_at,
                         finished_at=state.finished_at, seconds=state.seconds, error=state.error)
        if name in FAN_OUT:
            view.items_done, view.items_total = await deps.jobs.item_counts(job.id,
                                                                           job.group(name))
        stages[name] = view
    return JobView(
        **(await summary(job, deps)).model_dump(), settings=job.settings, run=job.run,
        cost_usd=job.cost_usd, progress=progress(stages), stages=stages,
        artifacts=await package_artifacts(job, deps),
    )


def progress(stages: dict[str, StageView]) -> float:
    """Each stage counts one unit; a fan-out stage counts its share of items done."""
    done = 0.0
    for view in stages.values():
        if view.status == Status.completed:
            done += 1
        elif view.items_total:
            done += (view.items_done or 0) / view.items_total
    return round(done / max(1, len(stages)), 3)


async def package_artifacts(job: Job, deps: ApiDeps) -> list[ArtifactView]:
    """Download links of every package file, once the manifest exists."""
    record = await deps.jobs.get_artifact(job.id, "manifest")
    if record is None:
        return []
    manifest = Manifest.model_validate_json(await deps.blobs.get(record.key))
    views = [ArtifactView(name="manifest", path="manifest.json",
                          url=await deps.media.url(record.key))]
    for a in manifest.artifacts:
        if a.path is None or a.name == "manifest":
            continue
        views.append(ArtifactView(name=a.name, path=a.path, url=await deps.media.url(a.key),
                                  size=a.size, duration=a.duration, provider=a.provider))
    return views


def event_data(event: Any) -> str:
    """A progress event as the JSON of one server-sent event."""
    return str(event.model_dump_json(include={"seq", "stage", "kind", "message", "time"}))
