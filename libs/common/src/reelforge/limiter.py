"""The global provider limiter: bounds concurrent calls per provider across all replicas.

Prefetch bounds one replica; the slots live in the job store, so N replicas together never
hold more than `limits[provider]` calls. A holder renews its slot every ttl/3 while the call
runs, so `ttl` can be short: a crashed replica's slots are evicted after at most `ttl`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import structlog

from reelforge.jobstore.base import ProviderSlots

log = structlog.get_logger(__name__)

WaitCallback = Callable[[str, float], None]
"""(provider, seconds waited): called once per slot that was not free at the first try."""


class ProviderLimiter:
    def __init__(
        self,
        jobs: ProviderSlots,
        limits: Mapping[str, int],
        holder_prefix: str,
        ttl: float = 60.0,
        poll: float = 0.25,
        max_poll: float = 2.0,
        on_wait: WaitCallback | None = None,
    ) -> None:
        self.jobs = jobs
        self.limits = dict(limits)
        self.holder_prefix = holder_prefix
        self.ttl = ttl
        self.poll = poll
        self.max_poll = max_poll
        self.on_wait = on_wait

    @asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[None]:
        """Hold one of `provider`'s slots for the block; providers without a limit pass."""
        limit = self.limits.get(provider)
        if limit is None:
            yield
            return
        holder = f"{self.holder_prefix}:{uuid.uuid4().hex[:12]}"
        await self._acquire(provider, holder, limit)
        renewer = asyncio.create_task(self._renew(provider, holder, limit))
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self._release(provider, holder)

    async def _acquire(self, provider: str, holder: str, limit: int) -> None:
        started = time.monotonic()
        delay = self.poll
        waited = False
        try:
            while not await self.jobs.acquire_slot(provider, holder, limit, self.ttl):
                waited = True
                # jittered, slowly growing polls so waiting replicas do not stampede
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(self.max_poll, delay * 1.5)
        except BaseException:
            # cancelled (or failed) mid-acquire: the store may have granted it anyway
            await self._release(provider, holder)
            raise
        if waited:
            seconds = time.monotonic() - started
            log.debug("limiter_waited", provider=provider, seconds=round(seconds, 3))
            if self.on_wait is not None:
                self.on_wait(provider, seconds)

    async def _renew(self, provider: str, holder: str, limit: int) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                if not await self.jobs.acquire_slot(provider, holder, limit, self.ttl):
                    log.warning("limiter_slot_lost", provider=provider, holder=holder)
            except Exception as exc:  # the store hiccuped; the next renewal may succeed
                log.warning("limiter_renew_failed", provider=provider, error=repr(exc))

    async def _release(self, provider: str, holder: str) -> None:
        """Release even while being cancelled; a failure only costs the slot until its ttl."""
        try:
            await asyncio.shield(self.jobs.release_slot(provider, holder))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("limiter_release_failed", provider=provider, error=repr(exc))
