"""What the studio's browser tests share: Debian's Chromium driven by Playwright, the API
served by uvicorn on a loopback port, and screenshots in tests/.screenshots/."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from playwright.sync_api import Page
from reelforge.apikeys import create_key
from reelforge.blobs.local import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.settings import Settings
from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / ".screenshots"
T = TypeVar("T")


def chromium_path() -> Path:
    """Debian's Chromium; a missing one fails the test with what to do (never a skip)."""
    if not CHROMIUM.exists():
        pytest.fail(f"the studio browser tests need Debian's Chromium at {CHROMIUM}; install "
                    "it with `REELFORGE_DEV=1 scripts/setup`", pytrace=False)
    return CHROMIUM


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServedApi:
    """`create_app` over SQLite, local blobs and the in-memory bus, served by uvicorn on
    127.0.0.1:<free port>, on an event loop in its own thread. `call` runs a coroutine
    there (the stores belong to that loop)."""

    def __init__(self, data: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="studio-api")
        self.thread.start()
        self.jobs = SQLiteJobStore(data / "jobs.db")
        self.call(self.jobs.start())
        self.bus = self.call(self._bus())
        self.blobs = LocalBlobStore(data / "blobs")
        deps = ApiDeps(jobs=self.jobs, blobs=self.blobs, bus=self.bus,
                       settings=Settings(), poll_interval=0.2)
        sock = free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(deps), log_level="warning", access_log=False,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.serving = asyncio.run_coroutine_threadsafe(self.server.serve(sockets=[sock]),
                                                        self.loop)
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or self.serving.done():
                raise RuntimeError("the studio test server did not start")
            time.sleep(0.01)

    @staticmethod
    async def _bus() -> InMemoryBus:
        return InMemoryBus()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def new_key(self, tenant: str) -> str:
        return self.call(create_key(self.jobs, tenant))

    def stop(self) -> None:
        self.server.should_exit = True
        self.serving.result(timeout=15)
        self.call(self.bus.close())
        self.call(self.jobs.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def collect_page_errors(page: Page) -> list[str]:
    """Uncaught errors in the page's scripts, to assert there are none."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
