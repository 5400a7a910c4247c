"""The broker restarting under the API: a submission that cannot publish its job answers 503
with Retry-After and one line (not a 500 with a driver traceback); the job it stored is not
lost (the sweeper re-publishes it), and a retry with the same Idempotency-Key finds it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aio_pika
import httpx
import pytest
from reelforge.apikeys import create_key
from reelforge.blobs.local import LocalBlobStore
from reelforge.bus import BusUnavailable, InMemoryBus
from reelforge.bus.rabbitmq import RabbitMQBus
from reelforge.events import Event
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.models import Status
from reelforge.settings import Settings
from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps

STORY = "The keeper climbs the stairs every night and lights the lamp. " * 4


class BrokerDown(InMemoryBus):
    """The in-memory bus while `down`: every publish fails as RabbitMQBus's does after its
    retries."""

    down = True

    async def publish(self, event: Event) -> None:
        if self.down:
            raise BusUnavailable()
        await super().publish(event)


async def test_a_submission_during_a_broker_outage_is_a_503_and_the_retry_finds_its_job(
    tmp_path: Path,
) -> None:
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    bus = BrokerDown()
    deps = ApiDeps(jobs=jobs, blobs=LocalBlobStore(tmp_path / "blobs"), bus=bus,
                   settings=Settings())
    headers = {"Authorization": f"Bearer {await create_key(jobs, 'acme')}",
               "Idempotency-Key": "outage-1"}
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        refused = await client.post("/v1/jobs", headers=headers, json={"synopsis": STORY})
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "unavailable"
        assert "broker" in refused.json()["error"]["message"]
        (stored,) = await jobs.list_jobs("acme")  # kept, running: the sweeper re-publishes it
        assert stored.status == Status.running

        bus.down = False
        again = await client.post("/v1/jobs", headers=headers, json={"synopsis": STORY})
        assert again.status_code == 200 and again.json()["id"] == stored.id
    await bus.close()
    await jobs.close()


async def test_rabbitmq_publishing_gives_up_with_one_line_after_its_retries() -> None:
    tries = 0

    async def send() -> None:
        nonlocal tries
        tries += 1
        raise aio_pika.exceptions.AMQPConnectionError("connect call failed")

    started = asyncio.get_running_loop().time()
    with pytest.raises(BusUnavailable, match="message broker cannot be reached"):
        await RabbitMQBus._with_retries(send)
    assert tries == 4 and asyncio.get_running_loop().time() - started < 10
