"""POST /v1/jobs against hostile requests, through the ASGI app with in-process stores (no
servers): parsing under limits, charged to the rate limit, and bodies counted as they
arrive."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from ingest_samples import pdf_sharing_one_stream, raw_docx
from reelforge.apikeys import create_key
from reelforge.blobs.local import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.settings import Settings
from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps
from reelforge_ingest.errors import DocumentLimits

STORY = b"The keeper climbs the stairs every night and lights the lamp. " * 4
MB = 1024 * 1024
CHUNK = 64 * 1024
RATE_LIMIT = 2
MAX_UPLOAD = 2 * MB


@dataclass
class Api:
    client: httpx.AsyncClient
    auth: dict[str, str]

    async def upload(self, data: bytes, name: str = "story.txt") -> httpx.Response:
        return await self.client.post("/v1/jobs", headers=self.auth,
                                      files={"file": (name, data)})


async def start_api(tmp_path: Path, limits: DocumentLimits) -> AsyncIterator[Api]:
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    bus = InMemoryBus()
    deps = ApiDeps(jobs=jobs, blobs=LocalBlobStore(tmp_path / "blobs"), bus=bus,
                   settings=Settings(api_rate_limit=RATE_LIMIT, api_max_upload_bytes=MAX_UPLOAD),
                   document_limits=limits)
    key = await create_key(jobs, "tenant")
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield Api(client, {"Authorization": f"Bearer {key}"})
    await bus.close()
    await jobs.close()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for started in start_api(tmp_path, DocumentLimits()):
        yield started


@pytest.fixture
async def api_with_big_budgets(tmp_path: Path) -> AsyncIterator[Api]:
    """The readers' own budgets out of the way (10M characters: 1 GB of drawing
    instructions), so only the isolation's 1-second CPU limit stops a slow file (its
    wall-clock backstop is set far off, so a loaded machine cannot get there first)."""
    async for started in start_api(tmp_path, DocumentLimits(max_chars=10_000_000,
                                                            parse_seconds=1,
                                                            parse_wall_seconds=300)):
        yield started


def error(response: httpx.Response) -> dict[str, str]:
    body: dict[str, dict[str, str]] = response.json()
    return body["error"]


async def test_a_parse_over_the_time_limit_is_a_one_line_422(
    api_with_big_budgets: Api,
) -> None:
    """200 pages drawing one 20 MB stream: tens of seconds of pypdf work, stopped at 1 s."""
    slow = pdf_sharing_one_stream(pages=200, inflated=20 * MB)
    response = await api_with_big_budgets.upload(slow, "slow.pdf")
    assert response.status_code == 422
    assert error(response)["code"] == "too_complex"
    assert error(response)["message"].startswith(
        "this file could not be read within the 1-second limit of CPU time; it is probably "
        "damaged")


async def test_a_parse_that_needs_much_memory_costs_the_api_nothing(api: Api) -> None:
    """A 1.3 MB DOCX whose 19.6 MB body is 2.8M empty elements: read in the API's process
    it held the 20 MB body and built a 400 MB tree; now a child pays, within 256 MB."""
    tags = [f"<w:{tag}/>" for tag in ("p", "tbl", "sdt", "r")]
    rng = random.Random(1)
    hungry = raw_docx("".join(rng.choice(tags) for _ in range(2_800_000)))
    tracemalloc.start()
    try:
        response = await api.upload(hungry, "hungry.docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 422
    assert "\n" not in error(response)["message"]
    assert peak < 3 * len(hungry) + 4 * MB, f"the API held {peak / MB:.0f} MB"


async def test_every_parse_counts_against_the_rate_limit(api: Api) -> None:
    damaged = raw_docx("<w:p><w:r><w:t>unclosed")
    for _ in range(RATE_LIMIT):
        response = await api.upload(damaged, "story.docx")
        assert response.status_code == 422 and error(response)["code"] == "corrupt"
    refused = await api.upload(STORY)
    assert refused.status_code == 429 and "Retry-After" in refused.headers


async def test_an_invalid_idea_does_not_count_against_the_rate_limit(api: Api) -> None:
    assert (await api.client.post("/v1/jobs", headers=api.auth,
                                  json={"idea": "no"})).status_code == 422
    for _ in range(RATE_LIMIT):
        assert (await api.upload(STORY)).status_code == 202


async def test_style_id_with_a_quote_is_accepted(api: Api) -> None:
    styles = ('<w:style w:type="paragraph" w:styleId="a&quot;b"><w:name w:val="heading 1"/>'
              "</w:style>")
    body = ('<w:p><w:pPr><w:pStyle w:val="a&quot;b"/></w:pPr><w:r><w:t>The Storm</w:t></w:r>'
            f"</w:p><w:p><w:r><w:t>{STORY.decode()}</w:t></w:r></w:p>")
    response = await api.upload(raw_docx(body, styles), "story.docx")
    assert response.status_code == 202, response.text


class Endless:
    """A chunked body of `total` bytes that counts how much of it was pulled."""

    def __init__(self, prefix: bytes, total: int) -> None:
        self.prefix, self.total, self.sent = prefix, total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.prefix
        self.sent = len(self.prefix)
        while self.sent < self.total:
            yield b"x" * CHUNK
            self.sent += CHUNK


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=b", "application/json"])
async def test_a_chunked_body_over_the_limit_is_cut_off(api: Api, content_type: str) -> None:
    prefix = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
              if content_type.startswith("multipart") else b'{"synopsis": "')
    body = Endless(prefix, total=32 * MB)
    response = await api.client.post(
        "/v1/jobs", headers={**api.auth, "Content-Type": content_type}, content=body)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and error(response)["code"] == "too_large"
    assert "over the 2 MB limit; send a smaller file" in error(response)["message"]
    assert body.sent <= MAX_UPLOAD + 64 * 1024 + 2 * CHUNK
