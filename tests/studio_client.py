"""The studio API as the tests drive it: `reelforge studio`'s app over the embedded backends,
called through ASGI with the studio's key (the `studio` fixture in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from reelforge.jobstore import JobStore
from reelforge.settings import Settings
from reelforge_ingest.local_studio import open_studio

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "short.md"
WAITING = {"awaiting_review", "completed", "failed", "cancelled"}


@dataclass
class Client:
    http: httpx.AsyncClient
    jobs: JobStore

    async def call(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        resp = await self.http.request(method, path, **kw)
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content and status != 204 else None

    async def submit(self, review: list[str], duration: float = 20.0) -> str:
        settings = {"duration": duration, "quality": "draft", "seed": 3, "review": review}
        created = await self.call("POST", "/v1/jobs", 202, json={
            "synopsis": EXAMPLE.read_text(), "settings": settings})
        return str(created["id"])

    async def settle(self, job_id: str, timeout: float = 600.0) -> dict[str, Any]:
        """Wait until the job stops: at a review, done, or failed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            view: dict[str, Any] = await self.call("GET", f"/v1/jobs/{job_id}")
            if view["status"] in WAITING:
                return view
            assert asyncio.get_running_loop().time() < deadline, view
            await asyncio.sleep(0.2)

    async def fetch(self, url: str) -> bytes:
        resp = await self.http.get(url)  # signed: no Authorization header needed
        assert resp.status_code == 200, f"{url}: {resp.status_code} {resp.text[:200]}"
        return resp.content


@asynccontextmanager
async def studio_client(data: Path) -> AsyncIterator[Client]:
    async with open_studio(data, Settings()) as opened:
        transport = httpx.ASGITransport(app=opened.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://studio",
                                     headers={"Authorization": f"Bearer {opened.key}"},
                                     timeout=120) as http:
            yield Client(http, opened.deps.jobs)


async def at_script_review(studio: Client) -> tuple[str, dict[str, Any]]:
    job_id = await studio.submit(["script"])
    view = await studio.settle(job_id)
    assert (view["status"], view["awaiting"]) == ("awaiting_review", "script"), view
    return job_id, view


def stored(data: Path, stage: str) -> set[str]:
    """The names of the blobs a stage stored, in the studio's data folder."""
    return {p.name for p in (data / "store").rglob(f"jobs/*/{stage}/*") if p.is_file()}
