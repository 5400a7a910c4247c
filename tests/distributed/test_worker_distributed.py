"""`reelforge worker` as a process: start-up in any order, health endpoints, graceful stop,
and the sweeper inside it recovering a job whose event was lost."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import aio_pika
import asyncpg
import boto3
import httpx
import pytest
from distributed_cluster import BIN, Cluster, SystemConfig
from reelforge import pipeline
from reelforge.apikeys import create_key
from reelforge.blobs import job_key
from reelforge.bus.rabbitmq import declare_work_queue
from reelforge.distributed import open_backends
from reelforge.events import AUDIO_COMPLETED
from reelforge.models import Document, Job, Section, StageState, Status
from reelforge.namespaced import exchange_name, queue_name
from reelforge.runtime import discover_services
from reelforge.topology import PIPELINE_QUEUES, declare_pipeline

pytestmark = pytest.mark.integration

STORY = ("Ada wakes alone on a silent space station above a dead planet. A signal calls her "
         "down to the surface, where the missing crew is waiting in the dark.")


def bucket_exists(config: SystemConfig) -> bool:
    s3 = boto3.client("s3", endpoint_url=config.s3_endpoint, region_name=config.s3_region,
                      aws_access_key_id=config.s3_access_key,
                      aws_secret_access_key=config.s3_secret_key)
    return config.bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}


async def database_exists(config: SystemConfig) -> bool:
    try:
        conn = await asyncpg.connect(config.database_url)
    except asyncpg.InvalidCatalogNameError:
        return False
    await conn.close()
    return True


async def test_a_worker_creates_what_is_missing_serves_health_and_stops_cleanly(
    new_system: Callable[[str], SystemConfig], cluster_factory: Callable[..., Cluster]
) -> None:
    config = new_system("boot")
    assert not await database_exists(config) and not bucket_exists(config)
    cluster = cluster_factory(config)
    worker = cluster.start_worker("script", REELFORGE_QUEUE_DEPTH_INTERVAL="0.5")
    assert await database_exists(config) and bucket_exists(config)

    assert httpx.get(worker.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(worker.url + "/readyz").json()
    assert ready == {"ready": True, "checks": {"bus": True, "db": True}}
    deadline = time.monotonic() + 10
    while 'reelforge_queue_depth{queue="script"}' not in (text := httpx.get(
            worker.url + "/metrics").text):
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.3)
    assert 'reelforge_queue_depth{queue="script.dlq"} 0.0' in text

    second = cluster.start_worker("audio")  # a second service on the same system
    assert httpx.get(second.url + "/readyz").status_code == 200
    started = time.monotonic()
    assert cluster.stop("script", signal.SIGTERM) == 0
    assert time.monotonic() - started < 15
    log = worker.log.read_text()
    assert "worker_draining" in log and "worker_stopped" in log


def test_an_unknown_worker_name_is_refused(new_system: Callable[[str], SystemConfig]) -> None:
    config = new_system("names")
    done = subprocess.run([str(BIN), "worker", "ingest"], env=config.env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "unknown worker 'ingest'" in done.stderr and "storyboard" in done.stderr


def test_a_taken_metrics_port_is_one_clear_line(
    new_system: Callable[[str], SystemConfig],
) -> None:
    """A second worker on one host must say which port and what to set, not print a trace."""
    config = new_system("port")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**config.env(), "REELFORGE_METRICS_HOST": "127.0.0.1",
               "REELFORGE_METRICS_PORT": str(port)}
        done = subprocess.run([str(BIN), "worker", "script"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "REELFORGE_METRICS_PORT" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("where", ["in-worker", "standalone"])
async def test_the_sweeper_recovers_a_job_whose_event_was_lost(
    new_system: Callable[[str], SystemConfig], cluster_factory: Callable[..., Cluster],
    unique: str, where: str,
) -> None:
    config = new_system("sweep").with_env(REELFORGE_SWEEPER_DEADLINE="2",
                                          REELFORGE_SWEEPER_INTERVAL="0.5")
    cluster = cluster_factory(config)
    if where == "in-worker":
        cluster.start_worker("script")
    else:
        cluster.start_worker("script", REELFORGE_SWEEPER="false")
        cluster.start_sweeper()
    async with open_backends(config.settings()) as backends:
        # what the API does, minus the publish: as if the broker lost job.submitted
        job_id = f"lost-{unique}"
        document = Document(format="text", text=STORY, sections=[Section(text=STORY)])
        key = job_key(job_id, "ingest", "document.json")
        await backends.blobs.put(key, document.model_dump_json().encode())
        stages: dict[str, Any] = {"ingest": StageState(status=Status.completed)}
        await backends.jobs.create_job(Job(id=job_id, tenant="t", status=Status.running,
                                           source_key=key, stages={**Job(
                                               id="x", source_key="x").stages, **stages}))
        deadline = time.monotonic() + 60
        while (job := await backends.jobs.get_job(job_id)).stages["script"].status \
                != Status.completed:
            assert time.monotonic() < deadline, (job, cluster.logs())
            await asyncio.sleep(0.5)
        events = await backends.jobs.list_events(job_id)
        assert any(e.stage == "sweeper" and "job.submitted" in e.message for e in events)
        assert await backends.jobs.get_artifact(job_id, "script") is not None


def test_the_declared_topology_matches_the_installed_services() -> None:
    """Every installed service consumes exactly its stage's declared queues, events and
    prefetch (the script service writes its consumer out; the others derive theirs)."""
    services = {n: s for n, s in discover_services().items() if s.consumers}
    consumed = {c.queue: tuple(c.routing_keys) for s in services.values() for c in s.consumers}
    assert consumed == dict(PIPELINE_QUEUES)
    assert set(services) == set(pipeline.WORKER_STAGES)
    for name, service in services.items():
        assert [(c.queue, tuple(c.routing_keys), c.prefetch, c.prefetch_setting,
                 c.prefetch_scale) for c in service.consumers] == [
            (step.queue, (step.consumes,), step.prefetch, step.prefetch_setting,
             step.prefetch_scale) for step in pipeline.stage(name).steps], name


async def test_declaring_the_topology_drops_a_retired_binding(
    new_system: Callable[[str], SystemConfig]
) -> None:
    """A broker kept through the upgrade still binds `audio.completed` to `assembly`; the
    start-up declaration removes that, so the event reaches `assembly.soundtrack` alone."""
    config = new_system("retired")
    namespace = config.namespace
    connection = await aio_pika.connect_robust(config.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name(namespace),
                                                  aio_pika.ExchangeType.TOPIC, durable=True)
        old = await declare_work_queue(channel, queue_name(namespace, "assembly"))
        await old.bind(exchange, routing_key=AUDIO_COMPLETED)  # as the earlier version did
        await declare_pipeline(connection, namespace)
        await declare_pipeline(connection, namespace)  # again: a second replica starting
        await exchange.publish(aio_pika.Message(b"{}"), routing_key=AUDIO_COMPLETED)

        async def delivered(queue: str, wait: float) -> bool:
            declared = await channel.declare_queue(queue_name(namespace, queue), passive=True)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if await declared.get(no_ack=True, fail=False) is not None:
                    return True
                await asyncio.sleep(0.05)
            return False

        assert await delivered("assembly.soundtrack", wait=10)
        assert not await delivered("assembly", wait=1), "the retired binding still routes"
    finally:
        await connection.close()


async def test_a_classic_queue_left_by_an_earlier_version_is_one_clear_line(
    new_system: Callable[[str], SystemConfig]
) -> None:
    """Work queues are quorum queues now; the broker refuses to redeclare a classic one, and
    the worker must say what to do about it instead of a PRECONDITION_FAILED trace."""
    config = new_system("classic")
    connection = await aio_pika.connect(config.amqp_url)
    try:
        channel = await connection.channel()
        await channel.declare_queue(queue_name(config.namespace, "script"), durable=True)
    finally:
        await connection.close()
    done = subprocess.run([str(BIN), "worker", "script"], env=config.env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "exists with other arguments" in done.stderr and "delete_queue" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


async def test_a_job_submitted_before_any_worker_started_is_not_lost(
    new_system: Callable[[str], SystemConfig], cluster_factory: Callable[..., Cluster],
    unique: str,
) -> None:
    config = new_system("order")
    cluster = cluster_factory(config)
    api = cluster.start_api()
    async with open_backends(config.settings()) as backends:
        key = await create_key(backends.jobs, f"order-{unique}")
        resp = httpx.post(api.url + "/v1/jobs", json={"synopsis": STORY},
                          headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["id"]
        assert await backends.bus.queue_depth("script") == 1  # waiting, not dropped
        cluster.start_worker("script")
        deadline = time.monotonic() + 60
        while (await backends.jobs.get_job(job_id)).stages["script"].status != Status.completed:
            assert time.monotonic() < deadline, cluster.logs()
            await asyncio.sleep(0.5)
        assert await backends.bus.queue_depth("audio") == 1  # and the next one waits too
