"""The distributed backends built from Settings: RabbitMQ, Postgres and S3.

Shared by the workers, the sweeper, the API and `keys create`, so every process connects the
same way. Start-up is idempotent and order-free: the database is created and migrated, the
exchange and every pipeline queue declared (topology.py), the bucket created, each only if
missing; a backend that is
not reachable yet is retried for `startup_timeout` seconds (compose and Kubernetes start
everything at once).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from aio_pika.exceptions import AMQPConnectionError
from botocore.exceptions import EndpointConnectionError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from reelforge.blobs import BlobStore
from reelforge.blobs.s3 import S3BlobStore
from reelforge.bus.rabbitmq import RabbitMQBus
from reelforge.jobstore.postgres import UNREACHABLE as POSTGRES_UNREACHABLE
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.namespaced import NamespacedBus, exchange_name
from reelforge.settings import Settings
from reelforge.topology import declare_pipeline

log = structlog.get_logger(__name__)
T = TypeVar("T")

UNREACHABLE: tuple[type[BaseException], ...] = (
    *POSTGRES_UNREACHABLE,  # OSError among them: refused, reset, DNS
    AMQPConnectionError,
    EndpointConnectionError,
)
"""Errors that mean "not reachable yet" at start-up; anything else fails at once."""


@dataclass
class Backends:
    """The three connections of a distributed process. `bus` is what stage code sees (queue
    names namespaced); `rabbit` is the raw bus for health checks."""

    settings: Settings
    bus: NamespacedBus
    rabbit: RabbitMQBus
    jobs: PostgresJobStore
    blobs: BlobStore

    async def ready(self) -> dict[str, bool]:
        """bus + db connected (for /readyz)."""
        checks = {"bus": False, "db": False}
        with contextlib.suppress(Exception):
            checks["bus"] = not self.rabbit.connection.is_closed
        with contextlib.suppress(Exception):
            checks["db"] = await self.jobs.pool.fetchval("SELECT 1") == 1
        return checks


def make_bus(settings: Settings) -> tuple[NamespacedBus, RabbitMQBus]:
    rabbit = RabbitMQBus(
        settings.amqp_url,
        exchange=exchange_name(settings.namespace),
        max_attempts=settings.max_attempts,
        drain_timeout=settings.drain_timeout,
        max_redeliveries=settings.max_redeliveries,
    )
    return NamespacedBus(rabbit, settings.namespace), rabbit


def make_blobs(settings: Settings) -> S3BlobStore:
    key, secret = settings.aws_access_key_id, settings.aws_secret_access_key
    return S3BlobStore(
        settings.s3_bucket,
        settings.s3_endpoint_url,
        settings.aws_region,
        key.get_secret_value() if key else None,
        secret.get_secret_value() if secret else None,
        public_endpoint_url=settings.s3_public_endpoint_url,
    )


async def _retrying(what: str, start: Callable[[], Awaitable[T]], timeout: float) -> T:
    """Call `start` until it succeeds or `timeout` seconds passed (then raise its error)."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential(multiplier=0.5, max=5.0),
        retry=retry_if_exception_type(UNREACHABLE),
        reraise=True,
        before_sleep=lambda state: log.warning(
            "backend_unavailable", backend=what, attempt=state.attempt_number,
            error=repr(state.outcome.exception()) if state.outcome else None,
        ),
    ):
        with attempt:
            return await start()
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.asynccontextmanager
async def open_backends(
    settings: Settings, blobs_from: Callable[[Settings], BlobStore] = make_blobs,
) -> AsyncIterator[Backends]:
    """Connect (creating/migrating what is missing), yield, then close in reverse order.
    `blobs_from` builds the artifact store (S3 from the settings; benches pass a folder).

    The bus closes first: that drains in-flight handlers, which still need the store and
    the bucket to finish their work."""
    bus, rabbit = make_bus(settings)
    jobs = PostgresJobStore(settings.database_url)
    blobs = blobs_from(settings)
    async with contextlib.AsyncExitStack() as stack:
        await _retrying("postgres", jobs.start, settings.startup_timeout)
        stack.push_async_callback(jobs.close)
        await _retrying("s3", blobs.start, settings.startup_timeout)
        stack.push_async_callback(blobs.close)
        await _retrying("rabbitmq", bus.start, settings.startup_timeout)
        stack.push_async_callback(bus.close)
        await declare_pipeline(rabbit.connection, settings.namespace)
        yield Backends(settings, bus, rabbit, jobs, blobs)
