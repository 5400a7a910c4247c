"""POST /v1/jobs with an Idempotency-Key: a retried submission (after a timeout or a 503)
answers with the job its first attempt created, even when both attempts arrive at once; a
key reused for another story, or by another tenant, never reaches that job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from reelforge import lifecycle
from reelforge.apikeys import create_key
from reelforge.blobs.local import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.events import JOB_SUBMITTED, Event
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.models import Document
from reelforge.settings import Settings
from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps

STORY = "The keeper climbs the stairs every night and lights the lamp. " * 4


@dataclass
class Api:
    client: httpx.AsyncClient
    jobs: SQLiteJobStore
    blobs: LocalBlobStore
    submitted: list[Event]
    keys: dict[str, str]

    async def submit(self, tenant: str, key: str | None, story: str = STORY,
                     duration: float = 30) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[tenant]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post("/v1/jobs", headers=headers, json={
            "synopsis": story, "settings": {"duration": duration}})


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    bus = InMemoryBus()
    submitted: list[Event] = []

    async def observe(event: Event) -> None:
        submitted.append(event)

    await bus.subscribe("observer", [JOB_SUBMITTED], observe)
    blobs = LocalBlobStore(tmp_path / "blobs")
    deps = ApiDeps(jobs=jobs, blobs=blobs, bus=bus,
                   settings=Settings(api_rate_limit=50))
    keys = {tenant: await create_key(jobs, tenant) for tenant in ("acme", "globex")}
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield Api(client, jobs, blobs, submitted, keys)
    await bus.close()
    await jobs.close()


async def test_a_retry_with_the_same_key_gets_the_first_job(api: Api) -> None:
    first = await api.submit("acme", "order-7f3a")
    assert first.status_code == 202, first.text
    again = await api.submit("acme", "order-7f3a")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert len(await api.jobs.list_jobs("acme")) == 1
    await asyncio.sleep(0.05)
    assert [e.job_id for e in api.submitted] == [first.json()["id"]]  # it runs once

    other = await api.submit("acme", "order-8b21")  # a new key is a new job
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    plain = await api.submit("acme", None)  # and no key, as before, always a new job
    assert plain.status_code == 202 and len(await api.jobs.list_jobs("acme")) == 3


async def test_two_attempts_at_once_make_one_job(api: Api) -> None:
    answers = await asyncio.gather(*(api.submit("acme", "burst-1") for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 202]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await api.jobs.list_jobs("acme")) == 1


async def test_a_key_reused_for_something_else_is_refused_and_changes_nothing(
    api: Api,
) -> None:
    first = await api.submit("acme", "order-1")
    for different in (await api.submit("acme", "order-1", story=STORY + " The end."),
                      await api.submit("acme", "order-1", duration=45)):
        assert different.status_code == 409, different.text
        assert "new key" in different.json()["error"]["message"]
    # another tenant's identical key is theirs alone
    theirs = await api.submit("globex", "order-1")
    assert theirs.status_code == 202 and theirs.json()["id"] != first.json()["id"]
    assert len(await api.jobs.list_jobs("acme")) == 1



async def test_after_24_hours_a_key_replays_nothing(api: Api) -> None:
    first = await api.submit("acme", "order-9")
    job = await api.jobs.get_job(first.json()["id"])
    document = Document.model_validate_json(await api.blobs.get(job.source_key))
    assert lifecycle.same_submission(job, document, job.settings)
    aged = job.model_copy(update={"created_at": job.created_at - timedelta(hours=25)})
    assert not lifecycle.same_submission(aged, document, job.settings)


@pytest.mark.parametrize("key", ["", "x" * 256, "two words"])
async def test_a_malformed_key_is_a_one_line_422(api: Api, key: str) -> None:
    answer = await api.submit("acme", key)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_idempotency_key"
    assert await api.jobs.list_jobs("acme") == []
