"""What every fake provider shares: a real HTTP server on a loopback port (uvicorn in a
thread), fault injection, a log of requests, contract violations, and a scripted task state
machine for asynchronous APIs.

Faults are injected per route name and consumed in order, before the handler runs:

    fake.inject("chat", Fault(429, headers={"retry-after-ms": "10"}), Fault(503))

A request that breaks the documented contract is answered the way the provider answers it
(its own error envelope) and recorded in `fake.violations`, so a test can assert there were
none.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CONTENT_TRIGGERS = ("gore", "forbidden")
"""Prompt words the fakes reject on content grounds. `soften()` removes "gore" (the retry
passes); "FORBIDDEN" survives softening (the provider fails for that item)."""


@dataclass
class Fault:
    """One injected answer: a status with a body and headers, or a malformed 200."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is (e.g. malformed JSON)
    delay: float = 0.0  # seconds to stall before answering (timeouts)

    def response(self, default_body: Any) -> Response:
        if self.raw is not None:
            return Response(self.raw, self.status, headers=self.headers,
                            media_type="application/json")
        body = default_body if self.body is None else self.body
        return JSONResponse(body, self.status, headers=self.headers)


@dataclass
class Recorded:
    route: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ServedApp:
    """A Starlette app served by uvicorn on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app: Starlette) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True, name=f"fake-{self.port}")
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("fake provider server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


class TaskScript:
    """Statuses a task walks through, one step per poll; the last one sticks."""

    def __init__(self, steps: list[Any]) -> None:
        self.steps = list(steps)
        self.polls = 0

    def advance(self) -> Any:
        step = self.steps[min(self.polls, len(self.steps) - 1)]
        self.polls += 1
        return step

    @property
    def current(self) -> Any:
        return self.steps[min(max(self.polls - 1, 0), len(self.steps) - 1)]


class FakeProvider:
    """Base of the fakes: subclasses list their routes and implement handlers."""

    name = "fake"
    key = ""
    default_error: ClassVar[Any] = {"error": "injected"}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, deque[Fault]] = {}
        self._scripts: deque[list[Any]] = deque()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        self.video_scale = 1.0
        self._served: ServedApp | None = None

    # ------------------------------------------------------------------ control (tests)

    def inject(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self._faults.setdefault(route, deque()).extend(faults)

    def script_next_task(self, *steps: Any) -> None:
        """The next task created walks through `steps` (one per poll)."""
        with self._lock:
            self._scripts.append(list(steps))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._scripts.clear()
            self.requests.clear()
            self.violations.clear()
            self.video_scale = 1.0

    def calls(self, route: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    # ------------------------------------------------------------------ serving

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def start(self) -> str:
        self._served = ServedApp(Starlette(routes=self.routes()))
        return self.base_url

    def stop(self) -> None:
        if self._served:
            self._served.stop()
            self._served = None

    @property
    def origin(self) -> str:
        assert self._served, "fake not started"
        return self._served.url

    @property
    def base_url(self) -> str:
        return self.origin

    # ------------------------------------------------------------------ helpers (handlers)

    def next_script(self, default: list[Any]) -> TaskScript:
        with self._lock:
            return TaskScript(self._scripts.popleft() if self._scripts else default)

    def take_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(route)
            return queue.popleft() if queue else None

    async def answer_fault(self, fault: Fault | None) -> Response | None:
        """The injected answer (after its delay), or None to run the handler."""
        if fault is None:
            return None
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status == 200 and fault.raw is None and fault.body is None:
            return None  # a pure delay: answer normally, late
        return fault.response(self.default_error)

    def record(self, route: str, request: Request, body: Any) -> None:
        with self._lock:
            self.requests.append(Recorded(route, request.method, request.url.path,
                                          dict(request.headers), body))

    def violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    def serve_file(self, data: bytes, media_type: str, suffix: str) -> str:
        """Store output bytes and return the URL it can be downloaded from (no auth, like a
        signed CDN link)."""
        with self._lock:
            file_id = f"f{len(self.files) + 1:05d}{suffix}"
            self.files[file_id] = (data, media_type)
        return f"{self.origin}/files/{file_id}?X-Expires=86400"

    async def get_file(self, request: Request) -> Response:
        item = self.files.get(request.path_params["file_id"])
        if item is None:
            return Response(b"not found", 404)
        return Response(item[0], media_type=item[1])

    def file_route(self) -> Route:
        return Route("/files/{file_id}", self.get_file, methods=["GET"])


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def triggered(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in CONTENT_TRIGGERS)


Handler = Callable[[Request], Any]
