"""The small HTTP server every worker runs: liveness, readiness and Prometheus metrics.

aiohttp rather than FastAPI because workers must not depend on the API stack, and three
plain-text routes need no framework. The server is separate from the consumers' event loop
work only in the sense of routes: it shares the loop, so a wedged loop also fails /healthz.
"""

from __future__ import annotations

import errno
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from reelforge.metrics import Metrics

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


class PortInUse(OSError):
    """The health/metrics port is taken, most often by another worker on the same host."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} on {host} is already in use")
        self.host, self.port = host, port


def health_app(metrics: Metrics, ready: ReadinessCheck) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        try:
            checks = await ready()
        except Exception as exc:  # a check that raises means "not ready", not a 500
            return web.json_response({"ready": False, "error": str(exc)}, status=503)
        ok = all(checks.values())
        return web.json_response({"ready": ok, "checks": checks}, status=200 if ok else 503)

    async def metrics_route(_: web.Request) -> web.Response:
        body = metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_route)
    return app


@dataclass
class HealthServer:
    """Runs `health_app` on host:port (port 0 picks a free one; see `port`)."""

    metrics: Metrics
    ready: ReadinessCheck
    host: str = "0.0.0.0"
    port: int = 9100
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(health_app(self.metrics, self.ready), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(self.host, self.port) from None
            raise
        if self.port == 0:
            server = site._server
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = int(sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
