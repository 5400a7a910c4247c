"""`reelforge dead-letters list|replay` against a real broker and job store: a person sees
what the pipeline gave up on and why, and sends one job's dead letters back to work."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable

import pytest
from distributed_cluster import BIN, SystemConfig
from reelforge.bus import Permanent
from reelforge.bus.rabbitmq import RabbitMQBus
from reelforge.distributed import open_backends
from reelforge.events import VIDEO_SHOT, Event
from reelforge.models import Job, Status
from reelforge.namespaced import exchange_name, queue_name
from reelforge.runtime import fail_job, stage_of

pytestmark = pytest.mark.integration


def reelforge(config: SystemConfig, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), "dead-letters", *args], env=config.env(),
                          capture_output=True, text=True, timeout=120)


async def test_list_then_replay_one_jobs_dead_letters(
    new_system: Callable[[str], SystemConfig], unique: str
) -> None:
    config = new_system("dlq")
    job_id = f"job-{unique}"
    async with open_backends(config.settings()) as backends:
        await backends.jobs.create_job(Job(id=job_id, tenant="t", status=Status.running,
                                           source_key=f"jobs/{job_id}/ingest/doc.json"))
        consumer = RabbitMQBus(config.amqp_url, exchange=exchange_name(config.namespace))
        await consumer.start()

        async def refuses(event: Event) -> None:
            raise Permanent("the clip provider refused this shot")

        async def on_dead_letter(event: Event, queue: str, reason: str) -> None:
            await fail_job(backends.jobs, backends.bus, event, stage_of(
                queue.removeprefix(f"{config.namespace}.")), reason)

        consumer.on_dead_letter(on_dead_letter)
        await consumer.subscribe(queue_name(config.namespace, "video.shots"), [VIDEO_SHOT],
                                 refuses)
        await backends.bus.publish(Event(type=VIDEO_SHOT, job_id=job_id, item="03"))
        deadline = time.monotonic() + 20
        while (await backends.jobs.get_job(job_id)).status != Status.failed:
            assert time.monotonic() < deadline, "the shot was never dead-lettered"
            await asyncio.sleep(0.1)
        await consumer.close()  # nobody consumes the queue while we look at it

        listed = reelforge(config, "list")
        assert listed.returncode == 0, listed.stderr
        assert job_id in listed.stdout and "video.shots" in listed.stdout
        assert "the clip provider refused this shot" in listed.stdout
        assert "1 dead letter(s)" in listed.stderr

        assert reelforge(config, "replay").returncode == 2  # which? a person must say
        other = reelforge(config, "replay", "--job", "someone-else")
        assert other.returncode == 0 and "0 sent back" in other.stderr

        replayed = reelforge(config, "replay", "--job", job_id)
        assert replayed.returncode == 0, replayed.stderr
        assert "1 sent back, 0 kept" in replayed.stderr
        job = await backends.jobs.get_job(job_id)
        assert job.status == Status.running and job.error is None
        assert job.stages["video"].status == Status.queued
        assert await backends.rabbit.queue_depth(queue_name(config.namespace,
                                                            "video.shots")) == 1
        assert "0 dead letter(s)" in reelforge(config, "list").stderr
