"""The distributed worker: one service's consumers on RabbitMQ + Postgres + S3.

`reelforge worker video` builds the backends from Settings, wraps the providers in
limiter-aware proxies, subscribes the service's consumers (the same `Service` objects the
embedded runner uses), serves /healthz, /readyz and /metrics, refreshes queue depths, and
runs the sweeper. Stopping (SIGTERM) cancels the consumers, lets in-flight deliveries finish
for `drain_timeout` seconds, then closes the connection: whatever is still unfinished was
never acked, so the broker requeues it for another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

import structlog

from reelforge.blobs import BlobStore
from reelforge.distributed import Backends, make_blobs, open_backends
from reelforge.health import HealthServer
from reelforge.limited import CallGuard, ProviderFactory, limited_providers
from reelforge.limiter import ProviderLimiter
from reelforge.metrics import Metrics
from reelforge.providers.registry import create
from reelforge.runtime import (
    Service,
    StageContext,
    dead_letter_handler,
    start_service,
)
from reelforge.settings import Settings
from reelforge.sweeper import Sweeper

log = structlog.get_logger(__name__)


class UnknownService(LookupError):
    pass


def worker_services(names: Sequence[str]) -> list[Service]:
    """The installed services called `names`, loading only those: a worker's image need not
    carry (or be able to import) any other service. Only services with consumers qualify."""
    points = {ep.name: ep for ep in entry_points(group="reelforge.services")}
    services: list[Service] = []
    for name in names:
        service: Service | None = points[name].load() if name in points else None
        if service is None or not service.consumers:
            choices = ", ".join(sorted(points)) or "none installed"
            raise UnknownService(f"no worker service named {name!r} (installed: {choices})")
        services.append(service)
    return services


def holder_id() -> str:
    """Names this process in limiter slots and leases (for debugging a stuck slot)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerParts:
    """What a worker is built from besides its settings. Production uses the defaults (the
    installed services by name, the provider registry, S3); benches pass small-canvas
    services, fake providers or a blob folder, and a hook told when consumers are up."""

    services: Sequence[Service] | None = None
    """The services to run instead of looking `names` up among the installed ones."""
    create: ProviderFactory = create
    blobs_from: Callable[[Settings], BlobStore] = make_blobs
    on_ready: Callable[[], None] | None = None


def stage_context(backends: Backends, settings: Settings, metrics: Metrics,
                  create: ProviderFactory = create) -> StageContext:
    """The StageContext of a distributed process: providers behind the global limiter."""
    limits = settings.provider_limit_map()
    limiter = ProviderLimiter(
        backends.jobs, limits, holder_prefix=holder_id(), ttl=settings.provider_slot_ttl,
        on_wait=lambda provider, seconds: metrics.rate_limit_wait.labels(provider).observe(
            seconds),
    )
    guard = CallGuard(limiter, limits, metrics, settings.provider_journal)
    providers = limited_providers(settings, guard, create)
    return StageContext(backends.bus, backends.blobs, backends.jobs, providers, settings,
                        metrics)


async def refresh_queue_depths(backends: Backends, queues: Sequence[str], metrics: Metrics,
                               interval: float, stop: asyncio.Event) -> None:
    """Keep reelforge_queue_depth current for the worker's queues and their dead letters
    (the autoscaler and the dashboards read it)."""
    while not stop.is_set():
        for queue in queues:
            for name in (queue, f"{queue}.dlq"):
                try:
                    depth = await backends.bus.queue_depth(name)
                except Exception as exc:  # a broker hiccup must not stop the worker
                    log.debug("queue_depth_failed", queue=name, error=repr(exc))
                    continue
                metrics.queue_depth.labels(name).set(depth)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_worker(
    names: Sequence[str],
    settings: Settings,
    stop: asyncio.Event,
    *,
    sweeper: bool | None = None,
    parts: WorkerParts | None = None,
) -> None:
    """Run the consumers of the services `names` until `stop` is set, then drain.
    An empty `names` runs only the sweeper (`reelforge sweeper`)."""
    parts = parts or WorkerParts()
    services = list(parts.services) if parts.services is not None else worker_services(names)
    metrics = Metrics()
    run_sweeper = settings.sweeper if sweeper is None else sweeper
    async with open_backends(settings, parts.blobs_from) as backends:
        ctx = stage_context(backends, settings, metrics, parts.create)
        backends.bus.on_dead_letter(dead_letter_handler(ctx))
        health = HealthServer(metrics, backends.ready, settings.metrics_host,
                              settings.metrics_port)
        await health.start()
        try:
            for service in services:
                await start_service(service, ctx)
            queues = [c.queue for s in services for c in s.consumers]
            tasks = [asyncio.create_task(refresh_queue_depths(
                backends, queues, metrics, settings.queue_depth_interval, stop))]
            if run_sweeper:
                sweep = Sweeper(backends.bus, backends.jobs, settings.sweeper_deadline,
                                settings.sweeper_interval, holder=holder_id(),
                                max_sweeps=settings.sweeper_max_sweeps)
                tasks.append(asyncio.create_task(sweep.run(stop)))
            log.info("worker_ready", services=[s.name for s in services], queues=queues,
                     port=health.port, sweeper=run_sweeper)
            if parts.on_ready is not None:
                parts.on_ready()
            await stop.wait()
            log.info("worker_draining", timeout=settings.drain_timeout)
            await asyncio.gather(*tasks, return_exceptions=True)
            await backends.bus.close()  # drains in-flight deliveries, requeues the rest
        finally:
            await health.close()
    log.info("worker_stopped")
