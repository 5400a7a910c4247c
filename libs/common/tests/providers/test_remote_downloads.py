"""Provider outputs are fetched without trusting the URL a provider handed back: outside the
configured origin only https to public addresses, every redirect hop checked, a byte cap and
one deadline, over real sockets."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from reelforge.providers.base import ProviderError
from reelforge.providers.remote.downloads import DownloadPolicy
from reelforge.providers.remote.http import ApiClient, HttpPolicy

MB = 1024 * 1024


async def big(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()  # chunked: no Content-Length to refuse up front
    await response.prepare(request)
    for _ in range(64):
        await response.write(b"\0" * MB)
    return response


async def trickle(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for _ in range(600):
        await response.write(b"x")
        await asyncio.sleep(0.05)
    return response


async def ok(request: web.Request) -> web.Response:
    return web.Response(body=b"clip-bytes")


async def to(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["location"])


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    """The provider's configured origin (trusted as the user's own choice)."""
    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/big", big)
    app.router.add_get("/trickle", trickle)
    app.router.add_get("/to", to)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def api(base_url: str, **downloads: object) -> ApiClient:
    policy = HttpPolicy(max_attempts=2, backoff_initial=0.01,
                        downloads=replace(DownloadPolicy(), **downloads))  # type: ignore[arg-type]
    return ApiClient("fake", base_url, policy=policy)


async def download(client: ApiClient, url: str) -> bytes:
    async with client.session() as s:
        return await s.download(url, what="clip")


async def test_the_configured_origin_is_fetched(origin: str) -> None:
    assert await download(api(origin), f"{origin}/ok") == b"clip-bytes"


@pytest.mark.parametrize(("url", "why"), [
    ("http://169.254.169.254/latest/meta-data/", "only https"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://127.0.0.1:9/x", "private, loopback or link-local"),
    ("https://localhost:9/x", "private, loopback or link-local"),
    ("https://10.1.2.3/x", "private, loopback or link-local"),
    ("https://[::1]:9/x", "private, loopback or link-local"),
    ("file:///etc/passwd", "only https"),
], ids=["metadata-http", "metadata-https", "loopback", "localhost", "private", "ipv6", "file"])
async def test_other_origins_must_be_public_https(origin: str, url: str, why: str) -> None:
    with pytest.raises(ProviderError) as err:
        await download(api(origin), url)
    assert "clip URL refused" in str(err.value) and why in str(err.value)
    assert err.value.permanent


async def test_a_redirect_to_an_internal_address_is_refused(origin: str) -> None:
    with pytest.raises(ProviderError, match=r"clip URL refused: .*169\.254\.169\.254"):
        await download(api(origin), f"{origin}/to?location=https://169.254.169.254/creds")
    with pytest.raises(ProviderError, match=r"only https"):
        await download(api(origin), f"{origin}/to?location=http://127.0.0.1:9/x")


async def test_private_addresses_only_with_the_explicit_setting(origin: str) -> None:
    elsewhere = api("https://provider.invalid", allow_private=True)
    assert await download(elsewhere, f"{origin}/ok") == b"clip-bytes"


async def test_a_body_over_the_cap_is_refused_while_streaming(origin: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ProviderError, match=r"clip too large: more than the 4,194,304"):
            await download(api(origin, max_bytes=4 * MB), f"{origin}/big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB  # the 64 MB body was never held


async def test_a_trickling_body_stops_at_the_deadline(origin: str) -> None:
    with pytest.raises(ProviderError, match=r"took longer than 1s"):
        await asyncio.wait_for(download(api(origin, timeout=1.0), f"{origin}/trickle"), 20)
