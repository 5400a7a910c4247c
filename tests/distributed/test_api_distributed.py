"""The public API as a real `reelforge api` process over PostgreSQL, RabbitMQ and S3.

No workers run here: jobs stay queued unless a test moves them through the job store, and a
test queue bound to the system's exchange shows what the API published.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from distributed_api import metric, metric_samples
from distributed_cluster import BIN, Cluster, Proc, SystemConfig
from reelforge.apikeys import create_key
from reelforge.distributed import Backends, open_backends
from reelforge.events import JOB_SUBMITTED, Event
from reelforge.models import Document, ProgressEvent, Status

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "short.md"
RATE_LIMIT = 5
MAX_UPLOAD = 64 * 1024
IDEA = {"idea": "a lighthouse keeper finds a map that leads under the sea"}


@pytest.fixture(scope="module")
def system(new_system: Any) -> SystemConfig:
    config: SystemConfig = new_system("api")
    return config


@pytest.fixture(scope="module")
def api(system: SystemConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    cluster = Cluster(system, tmp_path_factory.mktemp("api"))
    proc = cluster.start_api(REELFORGE_API_RATE_LIMIT=str(RATE_LIMIT),
                             REELFORGE_API_MAX_UPLOAD_BYTES=str(MAX_UPLOAD))
    yield proc
    cluster.stop_all()


@pytest.fixture
async def backends(system: SystemConfig) -> AsyncIterator[Backends]:
    async with open_backends(system.settings()) as b:
        yield b


@pytest.fixture
async def published(backends: Backends, unique: str) -> list[Event]:
    """Every job.submitted the system publishes from now on."""
    seen: list[Event] = []

    async def collect(event: Event) -> None:
        seen.append(event)

    await backends.bus.subscribe(f"test-observer-{unique}", [JOB_SUBMITTED], collect)
    return seen


async def new_key(backends: Backends, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await create_key(backends.jobs, tenant)}"}


async def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.request(method, url, **kwargs)


async def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


def error_of(resp: httpx.Response) -> dict[str, str]:
    body = resp.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return dict(body["error"])


# --------------------------------------------------------------------------- ops


async def test_openapi_health_ready_and_metrics(api: Proc) -> None:
    spec = (await request("GET", api.url + "/openapi.json")).json()
    for path in ("/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/events",
                 "/v1/jobs/{job_id}/cancel", "/v1/jobs/{job_id}/retry"):
        assert path in spec["paths"], path
    assert "multipart/form-data" in spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    assert (await request("GET", api.url + "/healthz")).json() == {"status": "ok"}
    ready = await request("GET", api.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"bus": True, "db": True}
    metrics = (await request("GET", api.url + "/metrics")).text
    assert "reelforge_jobs_submitted_total" in metrics


# --------------------------------------------------------------------------- auth


async def test_missing_or_invalid_key_is_401(api: Proc) -> None:
    missing = await request("GET", api.url + "/v1/jobs")
    assert missing.status_code == 401
    assert "Authorization: Bearer" in error_of(missing)["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    invalid = await request("POST", api.url + "/v1/jobs", json=IDEA,
                            headers={"Authorization": "Bearer rf_not-a-real-key"})
    assert invalid.status_code == 401
    assert "invalid API key" in error_of(invalid)["message"]
    malformed = await request("GET", api.url + "/v1/jobs", headers={"Authorization": "Basic x"})
    assert malformed.status_code == 401


async def test_keys_create_cli_prints_a_working_key(api: Proc, system: SystemConfig,
                                                    unique: str) -> None:
    done = subprocess.run([str(BIN), "keys", "create", "--tenant", f"cli-{unique}"],
                          env=system.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith("rf_") and len(key) > 40
    ok = await request("GET", api.url + "/v1/jobs", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200 and ok.json()["jobs"] == []
    bad = subprocess.run([str(BIN), "keys", "create", "--tenant", "no spaces allowed"],
                         env=system.env(), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "tenant" in bad.stderr


async def test_a_revoked_key_is_refused_at_once(api: Proc, system: SystemConfig,
                                               unique: str) -> None:
    """An operator lists a tenant's keys by id, revokes one, and the API stops taking it
    while the tenant's other key keeps working; an expiring key says until when."""
    def reelforge(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN), "keys", *args], env=system.env(),
                              capture_output=True, text=True, timeout=60)

    tenant = f"revoke-{unique}"
    first = reelforge("create", "--tenant", tenant)
    second = reelforge("create", "--tenant", tenant, "--expires-in", "30")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "valid until" in second.stderr
    old, kept = first.stdout.strip(), second.stdout.strip()
    listed = reelforge("list", "--tenant", tenant)
    ids = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert len(ids) == 2 and all("\tactive\t" in line for line in listed.stdout.splitlines())
    assert old not in listed.stdout and kept not in listed.stdout  # ids, never keys

    assert reelforge("revoke", "--tenant", tenant).returncode == 2  # which one?
    assert reelforge("revoke", "--tenant", "someone-else", ids[0]).returncode == 2
    done = reelforge("revoke", "--tenant", tenant, ids[0])
    assert done.returncode == 0 and "revoked 1 key(s)" in done.stderr
    refused = await request("GET", api.url + "/v1/jobs",
                            headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401
    ok = await request("GET", api.url + "/v1/jobs", headers={"Authorization": f"Bearer {kept}"})
    assert ok.status_code == 200
    assert "\trevoked\t" in reelforge("list", "--tenant", tenant).stdout


# --------------------------------------------------------------------------- submission


async def test_idea_creates_a_queued_job_stores_the_document_and_publishes(
    api: Proc, backends: Backends, published: list[Event], unique: str
) -> None:
    headers = await new_key(backends, f"ideas-{unique}")
    resp = await request("POST", api.url + "/v1/jobs", json=IDEA, headers=headers)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    job_id = body["id"]
    assert body["status"] == "queued"
    assert body["links"]["self"] == f"/v1/jobs/{job_id}" == resp.headers["location"]
    assert set(body["links"]) == {"self", "events", "cancel", "retry"}

    job = await backends.jobs.get_job(job_id)
    assert job.tenant == f"ideas-{unique}"
    record = await backends.jobs.get_artifact(job_id, "document")
    assert record is not None and record.key.startswith(f"jobs/{job_id}/ingest/document-")
    document = Document.model_validate_json(await backends.blobs.get(record.key))
    assert document.format == "idea" and "lighthouse keeper" in document.text
    await eventually(lambda: any(e.job_id == job_id for e in published))

    view = (await request("GET", api.url + f"/v1/jobs/{job_id}", headers=headers)).json()
    assert view["status"] == "queued"
    assert view["stages"]["ingest"]["status"] == "completed"
    assert view["stages"]["script"]["status"] == "queued"
    assert view["stages"]["video"]["items_total"] == 0
    assert view["artifacts"] == [] and view["cost_usd"] == 0


async def test_file_upload_with_settings(api: Proc, backends: Backends, unique: str) -> None:
    headers = await new_key(backends, f"files-{unique}")
    settings = json.dumps({"duration": 20, "quality": "draft", "aspect": "9:16",
                           "budget_usd": 1.5})
    resp = await request(
        "POST", api.url + "/v1/jobs", headers=headers, data={"settings": settings},
        files={"file": ("story.md", EXAMPLE.read_bytes(), "text/markdown")},
    )
    assert resp.status_code == 202, resp.text
    job = await backends.jobs.get_job(resp.json()["id"])
    assert job.settings.duration == 20 and job.settings.aspect == "9:16"
    assert job.settings.budget_usd == job.budget_usd == 1.5  # what the stages check
    document = Document.model_validate_json(await backends.blobs.get(job.source_key))
    assert document.format == "markdown" and document.title == "The Quiet Orbit"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200

REJECTED: list[tuple[str, dict[str, Any], int, str]] = [
    ("image upload", {"files": {"file": ("story.pdf", PNG, "application/pdf")}}, 415,
     "unsupported"),
    ("plain body", {"content": b"a story", "headers": {"content-type": "text/plain"}}, 415,
     "unsupported"),
    ("file too large", {"files": {"file": ("big.txt", b"word " * (MAX_UPLOAD // 4), "text/plain")}},
     413, "too_large"),
    ("empty file", {"files": {"file": ("empty.txt", b"", "text/plain")}}, 422, "empty"),
    ("no file field", {"data": {"settings": "{}"}, "files": {"other": ("x.txt", b"x")}}, 422,
     "missing_file"),
    ("idea too short", {"json": {"idea": "a heist"}}, 422, "too_short"),
    ("idea too long", {"json": {"idea": "word " * 600}}, 422, "too_long"),
    ("idea and synopsis", {"json": {"idea": "a b c d", "synopsis": "e f g h"}}, 422,
     "invalid_request"),
    ("bad settings", {"json": {**IDEA, "settings": {"duration": 5}}}, 422, "invalid_settings"),
    ("bad settings field", {"json": {**IDEA, "settings": {"speed": 2}}}, 422, "invalid_settings"),
    ("negative budget", {"json": {**IDEA, "settings": {"budget_usd": -1}}}, 422,
     "invalid_settings"),
    ("broken JSON", {"content": b"{", "headers": {"content-type": "application/json"}}, 422,
     "invalid_json"),
]


@pytest.mark.parametrize(("case", "kwargs", "status", "code"), REJECTED,
                         ids=[r[0] for r in REJECTED])
async def test_bad_input_is_rejected_with_an_actionable_error_and_nothing_created(
    api: Proc, backends: Backends, unique: str, case: str, kwargs: dict[str, Any], status: int,
    code: str,
) -> None:
    tenant = f"bad-{unique}"
    headers = {**await new_key(backends, tenant), **kwargs.pop("headers", {})}
    before = await backends.blobs.list("jobs/")
    resp = await request("POST", api.url + "/v1/jobs", headers=headers, **kwargs)
    assert resp.status_code == status, (case, resp.text)
    error = error_of(resp)
    assert error["code"] == code, (case, error)
    assert len(error["message"]) > 20, error  # a sentence, not a bare code
    assert await backends.jobs.list_jobs(tenant) == []
    assert await backends.blobs.list("jobs/") == before


async def test_error_messages_say_what_to_do(api: Proc, backends: Backends, unique: str) -> None:
    headers = await new_key(backends, f"msg-{unique}")
    big = await request("POST", api.url + "/v1/jobs", headers=headers,
                        files={"file": ("big.txt", b"x " * MAX_UPLOAD, "text/plain")})
    assert "64 KB limit" in error_of(big)["message"]
    settings = await request("POST", api.url + "/v1/jobs", headers=headers,
                             json={**IDEA, "settings": {"duration": 5}})
    assert "settings.duration" in error_of(settings)["message"]
    image = await request("POST", api.url + "/v1/jobs", headers=headers,
                          files={"file": ("a.png", PNG, "image/png")})
    assert "PDF" in error_of(image)["message"] or "pdf" in error_of(image)["message"]


async def test_job_creation_is_rate_limited_per_key(api: Proc, backends: Backends,
                                                    unique: str) -> None:
    limited = await new_key(backends, f"rate-{unique}")
    other = await new_key(backends, f"rate-{unique}")
    rejected = await request("POST", api.url + "/v1/jobs", headers=limited,
                             json={"idea": "no"})
    assert rejected.status_code == 422  # invalid requests do not use up the limit
    for _ in range(RATE_LIMIT):
        ok = await request("POST", api.url + "/v1/jobs", headers=limited, json=IDEA)
        assert ok.status_code == 202, ok.text
    over = await request("POST", api.url + "/v1/jobs", headers=limited, json=IDEA)
    assert over.status_code == 429
    assert error_of(over)["code"] == "rate_limited"
    assert 0 < int(over.headers["retry-after"]) <= 60
    assert len(await backends.jobs.list_jobs(f"rate-{unique}")) == RATE_LIMIT
    # the limit is per key, not per tenant
    assert (await request("POST", api.url + "/v1/jobs", headers=other, json=IDEA)).status_code \
        == 202


# --------------------------------------------------------------------------- reading


async def test_tenants_see_only_their_own_jobs(api: Proc, backends: Backends,
                                               unique: str) -> None:
    alice = await new_key(backends, f"alice-{unique}")
    bob = await new_key(backends, f"bob-{unique}")
    job_id = (await request("POST", api.url + "/v1/jobs", headers=alice, json=IDEA)).json()["id"]
    for method, path in (("GET", ""), ("GET", "/events"), ("POST", "/cancel"),
                         ("POST", "/retry")):
        resp = await request(method, api.url + f"/v1/jobs/{job_id}{path}", headers=bob)
        assert resp.status_code == 404, (method, path, resp.text)
        assert error_of(resp)["code"] == "not_found"
    assert (await request("GET", api.url + "/v1/jobs", headers=bob)).json()["jobs"] == []
    mine = (await request("GET", api.url + "/v1/jobs", headers=alice)).json()["jobs"]
    assert [j["id"] for j in mine] == [job_id]
    missing = await request("GET", api.url + "/v1/jobs/does-not-exist", headers=alice)
    assert missing.status_code == 404


async def test_listing_is_paginated_newest_first(api: Proc, backends: Backends,
                                                 unique: str) -> None:
    headers = await new_key(backends, f"pages-{unique}")
    created = []
    for _ in range(RATE_LIMIT):
        resp = await request("POST", api.url + "/v1/jobs", headers=headers, json=IDEA)
        created.append(resp.json()["id"])
    seen: list[str] = []
    url: str | None = "/v1/jobs?limit=2"
    pages = 0
    while url:
        page = (await request("GET", api.url + url, headers=headers)).json()
        assert len(page["jobs"]) <= 2
        seen += [j["id"] for j in page["jobs"]]
        url = page["next"]
        pages += 1
    assert pages == 3
    assert seen == list(reversed(created))
    bad = await request("GET", api.url + "/v1/jobs?limit=1000", headers=headers)
    assert bad.status_code == 422 and "limit" in error_of(bad)["message"]


# --------------------------------------------------------------------------- control


async def test_cancel_then_the_event_stream_ends(api: Proc, backends: Backends,
                                                 unique: str) -> None:
    headers = await new_key(backends, f"cancel-{unique}")
    job_id = (await request("POST", api.url + "/v1/jobs", headers=headers, json=IDEA)).json()["id"]
    cancelled_before = metric(metric_samples(api.url), "reelforge_jobs_finished_total",
                              status="cancelled")
    resp = await request("POST", api.url + f"/v1/jobs/{job_id}/cancel", headers=headers)
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    assert metric(metric_samples(api.url), "reelforge_jobs_finished_total",
                  status="cancelled") == cancelled_before + 1
    assert (await backends.jobs.get_job(job_id)).status == Status.cancelled
    again = await request("POST", api.url + f"/v1/jobs/{job_id}/cancel", headers=headers)
    assert again.status_code == 409 and "already cancelled" in error_of(again)["message"]
    stream = await request("GET", api.url + f"/v1/jobs/{job_id}/events", headers=headers)
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(stream.text)
    assert [(e["event"], e["data"].get("kind")) for e in events] == [
        ("progress", "completed"), ("progress", "cancelled"), ("end", None)]
    assert events[-1]["data"]["status"] == "cancelled"
    resumed = await request("GET", api.url + f"/v1/jobs/{job_id}/events", headers={
        **headers, "Last-Event-ID": events[0]["id"]})
    assert [e["event"] for e in parse_sse(resumed.text)] == ["progress", "end"]


async def test_retry_resumes_a_failed_job(api: Proc, backends: Backends, published: list[Event],
                                          unique: str) -> None:
    headers = await new_key(backends, f"retry-{unique}")
    job_id = (await request("POST", api.url + "/v1/jobs", headers=headers, json=IDEA)).json()["id"]
    not_failed = await request("POST", api.url + f"/v1/jobs/{job_id}/retry", headers=headers)
    assert not_failed.status_code == 409
    # what the dead-letter handler does when the script stage gives up
    await backends.jobs.set_stage(job_id, "script", Status.failed, "ValueError: boom")
    await backends.jobs.set_job_status(job_id, Status.failed, "script: ValueError: boom")
    failed = (await request("GET", api.url + f"/v1/jobs/{job_id}", headers=headers)).json()
    assert failed["status"] == "failed" and failed["error"] == "script: ValueError: boom"
    assert failed["stages"]["script"]["error"] == "ValueError: boom"

    resp = await request("POST", api.url + f"/v1/jobs/{job_id}/retry", headers=headers)
    assert resp.status_code == 202, resp.text
    view = resp.json()
    assert view["run"] == 2 and view["status"] == "queued" and view["error"] is None
    assert view["stages"]["script"]["status"] == "queued"
    job = await backends.jobs.get_job(job_id)
    assert job.status == Status.running and job.run == 2
    await eventually(lambda: sum(e.job_id == job_id for e in published) == 2)


async def test_event_stream_follows_a_running_job_live(api: Proc, backends: Backends,
                                                       unique: str) -> None:
    headers = await new_key(backends, f"sse-{unique}")
    job_id = (await request("POST", api.url + "/v1/jobs", headers=headers, json=IDEA)).json()["id"]
    received: list[dict[str, Any]] = []
    first = threading.Event()

    def listen() -> None:
        url = api.url + f"/v1/jobs/{job_id}/events"
        with httpx.stream("GET", url, headers=headers, timeout=30) as resp:
            buffer = ""
            for chunk in resp.iter_text():
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    received.extend(parse_sse(block + "\n\n"))
                    first.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert await asyncio.to_thread(first.wait, 10)
    for stage, kind in (("script", "started"), ("script", "completed")):
        await backends.jobs.add_event(ProgressEvent(job_id=job_id, stage=stage, kind=kind))
        await asyncio.sleep(0.3)
    await backends.jobs.set_job_status(job_id, Status.completed)
    await asyncio.to_thread(thread.join, 15)
    assert not thread.is_alive(), "the stream did not end with the job"
    kinds = [(e["event"], e["data"].get("stage"), e["data"].get("kind")) for e in received]
    assert kinds == [("progress", "ingest", "completed"), ("progress", "script", "started"),
                     ("progress", "script", "completed"), ("end", None, None)]
    assert [int(e["id"]) for e in received[:-1]] == [1, 2, 3]


def parse_sse(text: str) -> list[dict[str, Any]]:
    """Server-sent events (comments skipped) as {"event", "id", "data"} with data decoded."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            fields["data"] = json.loads(fields.get("data", "{}"))
            events.append(fields)
    return events


# --------------------------------------------------------------------------- bounds


@pytest.fixture(scope="module")
def tight_api(system: SystemConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    """An API with two event streams per key, each open two seconds at most."""
    cluster = Cluster(system, tmp_path_factory.mktemp("tight-api"))
    yield cluster.start_api(REELFORGE_API_STREAMS_PER_KEY="2",
                            REELFORGE_API_STREAM_SECONDS="2")
    cluster.stop_all()


@pytest.mark.parametrize(("query", "headers"), [
    ("?offset=99999999999999999999999", {}),
    ("?offset=-1", {}),
], ids=["huge-offset", "negative-offset"])
async def test_numbers_out_of_range_are_a_4xx_not_a_500(
    api: Proc, backends: Backends, unique: str, query: str, headers: dict[str, str],
) -> None:
    auth = await new_key(backends, f"bounds-{unique}")
    resp = await request("GET", api.url + "/v1/jobs" + query, headers={**auth, **headers})
    assert resp.status_code == 422, resp.text
    assert "offset" in error_of(resp)["message"]


@pytest.mark.parametrize(("query", "last_event_id"), [
    ("?after=99999999999999999999999", None),
    ("", "99999999999999999999999"),
    ("", "not-a-number"),
], ids=["huge-after", "huge-last-event-id", "text-last-event-id"])
async def test_event_positions_out_of_range_are_a_422(
    api: Proc, backends: Backends, unique: str, query: str, last_event_id: str | None,
) -> None:
    auth = await new_key(backends, f"after-{unique}")
    job_id = (await request("POST", api.url + "/v1/jobs", headers=auth, json=IDEA)).json()["id"]
    headers = {**auth, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    resp = await request("GET", api.url + f"/v1/jobs/{job_id}/events{query}", headers=headers)
    assert resp.status_code == 422, resp.text


async def test_a_key_holds_a_bounded_number_of_streams_each_for_a_bounded_time(
    tight_api: Proc, backends: Backends, unique: str,
) -> None:
    auth = await new_key(backends, f"streams-{unique}")
    job_id = (await request("POST", tight_api.url + "/v1/jobs", headers=auth,
                            json=IDEA)).json()["id"]
    url = tight_api.url + f"/v1/jobs/{job_id}/events"
    async with httpx.AsyncClient(timeout=30) as client:
        async with client.stream("GET", url, headers=auth) as first, \
                client.stream("GET", url, headers=auth) as second:
            assert first.status_code == second.status_code == 200
            third = await client.get(url, headers=auth)
            assert third.status_code == 429
            assert "2 event streams open" in error_of(third)["message"]
            started = asyncio.get_running_loop().time()
            body = "".join([chunk async for chunk in first.aiter_text()])
            assert asyncio.get_running_loop().time() - started < 10  # it ended by itself
            assert "id: 1" in body and "retry:" in body and "event: end" not in body
        # both closed: their slots are free again
        async with client.stream("GET", url, headers={**auth, "Last-Event-ID": "1"}) as again:
            assert again.status_code == 200


async def test_retries_count_against_the_keys_rate_limit(
    api: Proc, backends: Backends, unique: str,
) -> None:
    """A retry may call paid providers again: it takes a creation slot like a new job."""
    auth = await new_key(backends, f"retries-{unique}")
    job_id = (await request("POST", api.url + "/v1/jobs", headers=auth, json=IDEA)).json()["id"]
    answers = []
    for _ in range(RATE_LIMIT):
        await backends.jobs.set_job_status(job_id, Status.failed, "script: the provider broke")
        answers.append(await request("POST", api.url + f"/v1/jobs/{job_id}/retry", headers=auth))
    assert [a.status_code for a in answers] == [202] * (RATE_LIMIT - 1) + [429]
    assert "Retry-After" in answers[-1].headers
    assert (await backends.jobs.get_job(job_id)).status == Status.failed  # nothing restarted
