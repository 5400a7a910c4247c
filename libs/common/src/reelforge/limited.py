"""Limiter-aware provider proxies, built by the worker bootstrap around `Providers`.

Stage code calls `ctx.providers.video.generate(...)` as always. In distributed mode that
member is a proxy over the capability's fallback chain whose every member call goes through
`CallGuard`: take a global slot for that provider (so N replicas together never exceed its
limit), time the call, record the metrics. Embedded mode does not wrap, so stage code never
knows either way.

The guard sits on each chain member, not on the chain: with `REELFORGE_VIDEO=seedance,local`
the seedance calls count against seedance's limit and the local fallback against its own.

A call that waited for its slot may find its job cancelled meanwhile: once the slot is
taken, the guard runs the check of the call's `CallOwner` (the runtime sets one per delivery:
its job and that job's cancellation check), so no paid call starts for a cancelled job
however long it queued.

Each finished call can also land in a JSON-lines journal (`provider_journal`): an audit
trail of what was paid for and for which job, and how the tests prove that no clip was
generated twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from reelforge.metrics import Metrics
from reelforge.models import Word
from reelforge.providers import Audio, ClipRequest, FrameRequest, Providers, ScorePlan, Speech
from reelforge.providers.base import LLMTask, PlaneForm, ProviderError, streams_frames
from reelforge.providers.chain import VideoChain, build_chain
from reelforge.providers.registry import CAPABILITIES, create
from reelforge.providers.remote.http import RETRY_OBSERVER
from reelforge.settings import Settings

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class CallOwner:
    """The job provider calls are made for: named in the journal, and `check`ed once a call
    holds its slot, just before it starts (raising stops the call)."""

    job_id: str
    check: Callable[[], Awaitable[None]]


CALL_OWNER: ContextVar[CallOwner | None] = ContextVar("reelforge_call_owner", default=None)
"""Set by the runtime around each delivery's handler."""


class SlotLimiter(Protocol):
    """What the guard needs from `reelforge.limiter.ProviderLimiter`."""

    def slot(self, provider: str) -> AbstractAsyncContextManager[Any]: ...


def limit_key(capability: str, provider: str, limits: Mapping[str, int]) -> str | None:
    """The limiter pool a provider draws from: `video.local` before `local`; None: no limit."""
    for key in (f"{capability}.{provider}", provider):
        if key in limits:
            return key
    return None


@dataclass
class CallGuard:
    """`(capability, provider) -> async context manager` around one provider call: the
    `guard` hook of the fallback chains (see providers/chain.py)."""

    limiter: SlotLimiter | None
    limits: Mapping[str, int]
    metrics: Metrics
    journal: Path | None = None

    def __call__(self, capability: str, provider: str,
                 owner: CallOwner | None = None) -> AbstractAsyncContextManager[None]:
        """`owner` defaults to the caller's `CALL_OWNER`; pass it when the guard is entered
        from another context (a worker thread's)."""
        return self._guarded(capability, provider, owner or CALL_OWNER.get())

    @contextlib.asynccontextmanager
    async def _guarded(self, capability: str, provider: str,
                       owner: CallOwner | None) -> AsyncIterator[None]:
        key = limit_key(capability, provider, self.limits)
        asked = time.perf_counter()
        async with contextlib.AsyncExitStack() as stack:
            if self.limiter is not None and key is not None:
                await stack.enter_async_context(self.limiter.slot(key))
            checked = time.time()  # a check that begins after a cancel is committed sees it
            if owner is not None:
                await owner.check()
            waited = time.perf_counter() - asked
            started = time.perf_counter()
            outcome = "ok"
            # set/restore rather than a Token: a streamed call (the clip path) may close
            # this guard from another task's context, where Token.reset raises
            outer_observer = RETRY_OBSERVER.get()
            RETRY_OBSERVER.set(self._count_retry)
            try:
                yield
            except ProviderError as exc:
                outcome = "permanent" if exc.permanent else "failed"
                raise
            except BaseException as exc:
                outcome = type(exc).__name__
                raise
            finally:
                RETRY_OBSERVER.set(outer_observer)
                seconds = time.perf_counter() - started
                self.metrics.provider_latency.labels(capability, provider).observe(seconds)
                self._journal(capability, provider, seconds, waited, outcome,
                              owner.job_id if owner else None, checked)

    def _count_retry(self, provider: str, status: int | None) -> None:
        self.metrics.provider_retries.labels(provider).inc()
        if status == 429:
            self.metrics.provider_rate_limited.labels(provider).inc()

    def _journal(self, capability: str, provider: str, seconds: float, waited: float,
                 outcome: str, job_id: str | None, checked: float) -> None:
        if self.journal is None:
            return
        line = json.dumps({
            "time": round(time.time(), 3), "pid": os.getpid(), "job": job_id,
            "capability": capability, "provider": provider, "seconds": round(seconds, 4),
            "waited": round(waited, 4), "outcome": outcome, "checked": round(checked, 3),
        })
        # One O_APPEND write per line: lines from several processes never interleave.
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- proxies


class _Lazy:
    """Builds its capability's guarded chain on first use, then passes everything through
    (`name`, `identity`, ...). A worker only pays for what its stage calls: the video worker
    never loads a TTS voice, and its image needs no audio packages."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._built: Any = None

    @property
    def _inner(self) -> Any:
        if self._built is None:
            self._built = self._build()
        return self._built

    @property
    def name(self) -> str:
        return str(self._inner.name)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self._inner, attr)


class LimitedLLM(_Lazy):
    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M:
        result: M = await self._inner.complete(task, context, schema)
        return result


class LimitedTTS(_Lazy):
    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        result: Speech = await self._inner.synthesize(text, voice)
        return result


class LimitedAligner(_Lazy):
    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        result: list[Word] = await self._inner.align(audio, transcript)
        return result


class LimitedMusic(_Lazy):
    async def compose(self, plan: ScorePlan) -> Audio:
        result: Audio = await self._inner.compose(plan)
        return result


class LimitedImageGen(_Lazy):
    async def generate(self, request: FrameRequest) -> bytes:
        result: bytes = await self._inner.generate(request)
        return result


class LimitedVideoGen(_Lazy):
    """Also guards `frames` (StreamsFrames) of a generator that streams, which the video
    stage prefers to `generate` (it skips an encode and a decode): the slot is held, and the
    call measured, for as long as frames are pulled, in a distributed worker as embedded."""

    def __init__(self, build: Callable[[], Any], guard: CallGuard | None = None) -> None:
        super().__init__(build)
        self._call_guard = guard

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        result: bytes = await self._inner.generate(request, duration)
        return result

    def frames(self, request: ClipRequest, duration: float, form: PlaneForm,
               grade: Callable[[Any], Any] | None = None) -> Iterator[Any]:
        """Called on the event loop; the frames are then pulled on another thread."""
        inner = self._inner
        if not streams_frames(inner):
            raise TypeError(f"{inner.name} makes MP4 clips; it does not stream frames")
        if self._call_guard is None:
            return inner.frames(request, duration, form, grade)
        first = inner.members[0] if isinstance(inner, VideoChain) else inner
        guard = self._call_guard("video", str(first.name), CALL_OWNER.get())
        return _guarded_iter(asyncio.get_running_loop(), guard,
                             lambda: inner.frames(request, duration, form, grade))


def _guarded_iter(loop: asyncio.AbstractEventLoop, guard: AbstractAsyncContextManager[None],
                  make: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """Consume `make()` (in a worker thread) inside `guard` (entered and left on `loop`): the
    slot is held, and the call measured, for as long as frames are being produced."""
    asyncio.run_coroutine_threadsafe(guard.__aenter__(), loop).result()
    failure: BaseException | None = None
    try:
        yield from make()
    except BaseException as exc:
        failure = exc
        raise
    finally:
        exit_args = (type(failure), failure, failure.__traceback__) if failure else (None,) * 3
        asyncio.run_coroutine_threadsafe(guard.__aexit__(*exit_args), loop).result()


PROXIES: dict[str, type[_Lazy]] = {
    "llm": LimitedLLM, "tts": LimitedTTS, "aligner": LimitedAligner, "music": LimitedMusic,
    "image": LimitedImageGen, "video": LimitedVideoGen,
}


ProviderFactory = Callable[[str, str, Settings], Any]
"""Builds one provider from (capability, name, settings): the registry's `create`."""


def limited_providers(settings: Settings, guard: CallGuard,
                      create: ProviderFactory = create) -> Providers:
    """`load_providers(settings, guard=guard)`, but each capability built on first use."""

    def builder(capability: str) -> Callable[[], Any]:
        def build() -> Any:
            members = [create(capability, n, settings) for n in settings.chain(capability)]
            return build_chain(capability, members, guard)

        return build

    wrapped: dict[str, Any] = {cap: PROXIES[cap](builder(cap)) for cap in CAPABILITIES}
    wrapped["video"] = LimitedVideoGen(builder("video"), guard)
    return Providers(**wrapped)
