"""Fetching what a provider's answer points at, without trusting the pointer.

A result URL comes from a remote service: it may name a cloud metadata address, an internal
host, a redirect to one, or a body far larger than any clip. So outside the provider's own
configured origin a download must be https and resolve only to public addresses, on every
redirect hop (followed here, one at a time, never by the client); and wherever it comes
from, the body is read in chunks up to a byte cap, the whole download under one deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

ERROR_BODY_LIMIT = 64 * 1024
"""Bytes of an error response read for its message."""


@dataclass(frozen=True)
class DownloadPolicy:
    max_bytes: int = 512 * 1024 * 1024
    timeout: float = 600.0
    allow_private: bool = False
    """Only for tests and a provider on one's own network (REELFORGE_ALLOW_PRIVATE_DOWNLOADS)."""
    max_redirects: int = 5


class UnsafeDownload(ValueError):
    """The URL, or one it redirects to, is not one reelforge will fetch."""


class DownloadTooLarge(ValueError):
    """The body is larger than the policy allows."""


async def check_public(url: httpx.URL, policy: DownloadPolicy) -> None:
    """Refuse anything but https to public addresses (unless the policy allows private)."""
    if policy.allow_private:
        if url.scheme not in ("http", "https"):
            raise UnsafeDownload(f"{url.scheme}: URLs are not fetched")
        return
    if url.scheme != "https":
        raise UnsafeDownload(f"{url.scheme}: URLs are not fetched, only https")
    for address in await _addresses(url.host, url.port or 443):
        if not address.is_global:
            raise UnsafeDownload(f"{url.host} is a private, loopback or link-local address "
                                 f"({address})")


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeDownload(f"{host} does not resolve ({exc.strerror or exc})") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def fetch_bounded(
    client: httpx.AsyncClient,
    url: str,
    policy: DownloadPolicy,
    *,
    trusted: Callable[[httpx.URL], bool],
    headers_for: Callable[[httpx.URL], dict[str, str]],
) -> httpx.Response:
    """GET `url` within the policy. Returns the final response with its body read: in full
    for a 2xx (at most `max_bytes`), its first 64 KB otherwise (for the error message).
    Raises UnsafeDownload, DownloadTooLarge, TimeoutError or httpx transport errors."""
    target = httpx.URL(url)
    async with asyncio.timeout(policy.timeout):
        for _ in range(policy.max_redirects + 1):
            if not trusted(target):
                await check_public(target, policy)
            headers = {**headers_for(target), "accept-encoding": "identity"}
            request = client.build_request("GET", target, headers=headers)
            response = await client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    target = target.join(response.headers["location"])
                    continue
                limit = policy.max_bytes if response.is_success else ERROR_BODY_LIMIT
                body = await _read_at_most(response, limit, fail=response.is_success)
            finally:
                await response.aclose()
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=body, request=request)
    raise UnsafeDownload(f"more than {policy.max_redirects} redirects")


async def _read_at_most(response: httpx.Response, limit: int, *, fail: bool) -> bytes:
    declared = response.headers.get("content-length", "")
    if fail and declared.isdigit() and int(declared) > limit:
        raise DownloadTooLarge(f"{int(declared):,} bytes announced, over the {limit:,} allowed")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            if fail:
                raise DownloadTooLarge(f"more than the {limit:,} bytes allowed")
            return bytes(body[:limit])
    return bytes(body)
