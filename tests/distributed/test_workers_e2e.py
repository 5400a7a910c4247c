"""End to end, distributed: the five workers as separate processes and the API as another,
over RabbitMQ, PostgreSQL and S3. Two tenants submit three jobs over HTTP; all complete; the
package downloads through presigned URLs and decodes; each tenant sees only its own jobs;
the workers' /metrics count what they did."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from distributed_api import FINAL, Client, create_key, metric, metric_samples, video_calls
from distributed_cluster import Cluster, SystemConfig
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

WORKERS = ("script", "audio", "storyboard", "video", "assembly")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "short.md"
SYNOPSIS = ("A retired cartographer receives a letter from her missing brother, drawn on a map "
            "of a town that does not exist. She follows the map across the winter mountains, "
            "and finds the town waiting for her, every window lit.")
DRAFT = {"quality": "draft", "seed": 3}


@dataclass
class Run:
    config: SystemConfig
    cluster: Cluster
    journal: Path
    alice: Client
    bob: Client
    jobs: dict[str, Client]  # job id -> the client (tenant) that submitted it
    views: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def run(new_system: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("e2e")
    journal = work / "provider-calls.jsonl"
    config: SystemConfig = new_system("e2e").with_env(
        REELFORGE_PROVIDER_JOURNAL=str(journal), REELFORGE_QUEUE_DEPTH_INTERVAL="1",
        REELFORGE_PROVIDER_LIMITS="video.local=2",
    )
    cluster = Cluster(config, work / "procs")
    try:
        for name in WORKERS:
            cluster.start_worker(name)
        api = cluster.start_api()
        alice = Client(api.url, create_key(config, "alice"))
        bob = Client(api.url, create_key(config, "bob"))
        jobs = {
            alice.submit_idea("a lighthouse keeper finds a map that leads under the sea",
                              duration=15, **DRAFT): alice,
            alice.submit_file(EXAMPLE, duration=20, **DRAFT): alice,
            bob.submit_synopsis(SYNOPSIS, duration=15, aspect="9:16", **DRAFT): bob,
        }
        views = {}
        for client in (alice, bob):
            mine = [j for j, c in jobs.items() if c is client]
            views.update(client.wait(mine, timeout=900, logs=cluster.logs))
        yield Run(config, cluster, journal, alice, bob, jobs, views)
    finally:
        cluster.stop_all()


def test_every_job_completes(run: Run) -> None:
    for job_id, view in run.views.items():
        assert view["status"] == "completed", (job_id, view["error"], run.cluster.logs())
        assert all(s["status"] == "completed" for s in view["stages"].values()), view["stages"]
        assert view["progress"] == 1.0
        video = view["stages"]["video"]
        assert video["items_done"] == video["items_total"] > 0


def test_the_package_downloads_through_presigned_urls_and_decodes(run: Run) -> None:
    for job_id, view in run.views.items():
        artifacts = {a["name"]: a for a in view["artifacts"]}
        for name in ("trailer", "manifest", "script", "voiceover", "words", "captions_srt",
                     "poster", "thumbnail"):
            assert name in artifacts, (job_id, sorted(artifacts))
        clips = [a for a in artifacts.values() if a["name"].startswith("clip/")]
        assert len(clips) == view["stages"]["video"]["items_total"]
        for artifact in artifacts.values():
            assert "X-Amz-Signature" in artifact["url"], artifact["url"]
            resp = httpx.get(artifact["url"], timeout=60)  # no API key: the URL is the grant
            assert resp.status_code == 200, (artifact["name"], resp.text[:200])
            if artifact["size"] is not None:
                assert len(resp.content) == artifact["size"], artifact["name"]
            check_content(artifact["path"] or "", resp.content)
        trailer = decode(httpx.get(artifacts["trailer"]["url"], timeout=60).content)
        expected = (1080, 1920) if view["settings"]["aspect"] == "9:16" else (1920, 1080)
        assert trailer["size"] == expected
        assert trailer["frames"] > 0 and trailer["audio"]
        manifest = json.loads(httpx.get(artifacts["manifest"]["url"], timeout=60).content)
        assert manifest["job_id"] == job_id


def check_content(path: str, data: bytes) -> None:
    if path.endswith(".mp4"):
        assert decode(data)["frames"] > 0, path
    elif path.endswith(".png"):
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    elif path.endswith(".json"):
        json.loads(data)
    elif path.endswith(".wav"):
        with av.open(io.BytesIO(data), "r") as container:
            assert container.streams.audio, path
    elif path.endswith((".srt", ".vtt")):
        assert data.strip(), path


def decode(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return {"frames": frames, "audio": bool(container.streams.audio),
                "size": (stream.codec_context.width, stream.codec_context.height)}


def test_each_tenant_sees_only_its_own_jobs(run: Run) -> None:
    for client, other in ((run.alice, run.bob), (run.bob, run.alice)):
        listed = {j["id"] for j in client.get("/v1/jobs").json()["jobs"]}
        assert listed == {j for j, c in run.jobs.items() if c is client}
        for job_id, owner in run.jobs.items():
            if owner is other:
                assert client.get(f"/v1/jobs/{job_id}").status_code == 404


def test_the_event_stream_of_a_finished_job_tells_the_whole_story(run: Run) -> None:
    job_id = next(iter(run.jobs))
    client = run.jobs[job_id]
    text = client.get(f"/v1/jobs/{job_id}/events").text
    kinds = [line.removeprefix("data: ") for line in text.splitlines()
             if line.startswith("data: ")]
    events = [json.loads(k) for k in kinds]
    assert events[-1] == {"status": "completed", "error": None}
    completed = {e["stage"] for e in events[:-1] if e.get("kind") == "completed"}
    assert {"ingest", "script", "audio", "storyboard", "video", "assembly"} <= completed


def test_worker_metrics_count_the_stage_work(run: Run) -> None:
    jobs = len(run.jobs)
    clips = sum(v["stages"]["video"]["items_total"] for v in run.views.values())
    scenes = sum(v["stages"]["storyboard"]["items_total"] for v in run.views.values())
    expected = {
        "script": {"script": jobs},
        "audio": {"audio": jobs},
        "storyboard": {"storyboard": jobs, "storyboard.scenes": scenes},
        "video": {"video": jobs, "video.shots": clips},
        "assembly": {"assembly.soundtrack": jobs, "assembly": jobs, "assembly.render": jobs},
    }
    for worker, queues in expected.items():
        samples = metric_samples(run.cluster.procs[worker].url)
        for queue, count in queues.items():
            done = metric(samples, "reelforge_stage_completed_total", queue=queue)
            assert done >= count, (worker, queue, done, count)
            assert metric(samples, "reelforge_stage_duration_seconds_count", queue=queue) == done
            assert metric(samples, "reelforge_stage_in_flight", queue=queue) == 0
            assert ("reelforge_queue_depth", (("queue", queue),)) in samples
    assembly = metric_samples(run.cluster.procs["assembly"].url)
    assert metric(assembly, "reelforge_jobs_finished_total", status="completed") == jobs
    video = metric_samples(run.cluster.procs["video"].url)
    calls = metric(video, "reelforge_provider_latency_seconds_count", capability="video",
                   provider="local")
    assert calls == clips == video_calls(run.journal)


def test_jobs_are_final_in_the_listing(run: Run) -> None:
    listed = run.alice.get("/v1/jobs?limit=1").json()
    assert len(listed["jobs"]) == 1 and listed["jobs"][0]["status"] in FINAL
    assert listed["next"] == "/v1/jobs?limit=1&offset=1"


def test_a_job_waits_at_its_script_review_is_edited_over_http_and_completes(run: Run) -> None:
    """Runs last: the counts above are of the three jobs the fixture made."""
    alice, bob = run.alice, run.bob
    job_id = alice.submit_synopsis(SYNOPSIS, duration=15, review=["script"], **DRAFT)
    waiting = alice.wait([job_id], timeout=300, logs=run.cluster.logs,
                         until=lambda v: v["status"] in FINAL | {"awaiting_review"})[job_id]
    assert (waiting["status"], waiting["awaiting"]) == ("awaiting_review", "script"), waiting
    assert waiting["stages"]["audio"]["status"] == "queued"
    assert bob.get(f"/v1/jobs/{job_id}/script").status_code == 404

    line = "The map was drawn by her own hand."
    edited = httpx.patch(f"{alice.base}/v1/jobs/{job_id}/scenes/01", headers=alice.headers,
                         json={"revision": 0, "narration": line}, timeout=30)
    assert edited.status_code == 200, edited.text
    stale = alice.post(f"/v1/jobs/{job_id}/approve", json={"revision": 0, "review": "script"})
    assert stale.status_code == 409, stale.text
    approved = alice.post(f"/v1/jobs/{job_id}/approve", json={"revision": 1,
                                                              "review": "script"})
    assert approved.status_code == 202, approved.text

    view = alice.wait([job_id], timeout=900, logs=run.cluster.logs)[job_id]
    assert view["status"] == "completed", (view["error"], run.cluster.logs())
    artifacts = {a["name"]: a for a in view["artifacts"]}
    words = json.loads(httpx.get(artifacts["words"]["url"], timeout=60).content)
    spoken = " ".join(w["text"] for w in words["words"]).lower()
    assert "drawn by her own hand" in spoken
    script = json.loads(httpx.get(artifacts["script"]["url"], timeout=60).content)
    assert script["narration"][next(i for i, n in enumerate(script["narration"])
                                    if n["scene"] == 0)]["text"] == line
