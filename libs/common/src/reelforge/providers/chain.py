"""Fallback chains: `REELFORGE_VIDEO=seedance,replicate,local` tries each provider in order.

A chain implements the same protocol as its members, so stages never know it is there. For
each item it calls the members in order and moves on when one raises `ProviderError` (a
permanent failure, or a transient one whose retries are exhausted). Which member answered is
recorded in the `track_calls()` scope (see calls.py), so the stage can store the provider per
artifact. `BudgetExceeded` is never swallowed, and other exceptions (bugs) propagate as is.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

import structlog

from reelforge.models import Word
from reelforge.providers.base import (
    LLM,
    TTS,
    Aligner,
    Audio,
    BudgetExceeded,
    ClipRequest,
    ContentPolicyError,
    FrameRequest,
    HoldsModels,
    ImageGen,
    LLMTask,
    M,
    Music,
    PlaneForm,
    ProviderError,
    ScorePlan,
    Speech,
    VideoGen,
    identity_of,
    streams_frames,
)
from reelforge.providers.calls import record_attempt

log = structlog.get_logger(__name__)

P = TypeVar("P")
T = TypeVar("T")

Guard = Callable[[str, str], AbstractAsyncContextManager[Any]]
"""(capability, provider) -> an async context manager entered around each member call: the
hook for global concurrency limits, metrics or a call journal."""


class ChainFailed(ProviderError):
    """Every provider of a chain failed for one item. Permanent only if every failure was."""

    def __init__(self, capability: str, chain: str, failures: Sequence[ProviderError]) -> None:
        detail = "; ".join(str(f) for f in failures)
        super().__init__(
            chain,
            f"every {capability} provider failed: {detail}",
            permanent=all(f.permanent for f in failures),
        )
        self.failures = list(failures)


class _Chain(Generic[P]):
    capability = ""

    def __init__(self, members: Sequence[P], guard: Guard | None = None) -> None:
        if not members:
            raise ValueError(f"a {self.capability} chain needs at least one provider")
        self.members = list(members)
        self.name = ",".join(_name(m) for m in self.members)
        self._guard = guard

    @property
    def identity(self) -> str:
        """Names plus models/prompt versions where members expose them: for fingerprints."""
        return ",".join(identity_of(m) for m in self.members)

    def __getattr__(self, attr: str) -> Any:
        """Optional extras (`frame_inputs`, `layout_for`, ...) are the first
        member's: it is the provider the chain means to use, so a one-provider chain is
        transparent. Stages that call them bypass the fallback for that call."""
        if attr.startswith("_") or attr == "members":
            raise AttributeError(attr)
        return getattr(self.members[0], attr)

    def release_models(self) -> None:
        """Every member's, where it holds models (see `HoldsModels`)."""
        for member in self.members:
            if isinstance(member, HoldsModels):
                member.release_models()

    async def _run(self, call: Callable[[P], Awaitable[T]]) -> T:
        failures: list[ProviderError] = []
        for index, member in enumerate(self.members):
            name = _name(member)
            started = time.perf_counter()
            try:
                result = await self._guarded(name, functools.partial(call, member))
            except BudgetExceeded as exc:
                seconds = time.perf_counter() - started
                record_attempt(self.capability, name, False, seconds, str(exc))
                raise
            except ProviderError as exc:
                seconds = time.perf_counter() - started
                record_attempt(self.capability, name, False, seconds, str(exc))
                nxt = _name(self.members[index + 1]) if index + 1 < len(self.members) else None
                log.warning(
                    "provider_failed", capability=self.capability, provider=name,
                    permanent=exc.permanent, content_policy=isinstance(exc, ContentPolicyError),
                    error=str(exc), fallback=nxt,
                )
                failures.append(exc)
                continue
            record_attempt(self.capability, name, True, time.perf_counter() - started)
            return result
        if len(failures) == 1:
            raise failures[0]
        if all(isinstance(f, ContentPolicyError) for f in failures):
            raise ContentPolicyError(self.name, "; ".join(str(f) for f in failures))
        raise ChainFailed(self.capability, self.name, failures)

    async def _guarded(self, name: str, start: Callable[[], Awaitable[T]]) -> T:
        if self._guard is None:
            return await start()
        async with self._guard(self.capability, name):
            return await start()


def _name(member: Any) -> str:
    return str(getattr(member, "name", type(member).__name__))


class LLMChain(_Chain[LLM]):
    capability = "llm"

    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M:
        return await self._run(lambda p: p.complete(task, context, schema))


class TTSChain(_Chain[TTS]):
    capability = "tts"

    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        return await self._run(lambda p: p.synthesize(text, voice))


class AlignerChain(_Chain[Aligner]):
    capability = "aligner"

    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        return await self._run(lambda p: p.align(audio, transcript))


class MusicChain(_Chain[Music]):
    capability = "music"

    async def compose(self, plan: ScorePlan) -> Audio:
        return await self._run(lambda p: p.compose(plan))


class ImageChain(_Chain[ImageGen]):
    capability = "image"

    @property
    def accepts_references(self) -> bool:
        """Any member may answer, so references go with the request when one takes them
        (each member sends them or not, as it declares)."""
        return any(m.accepts_references for m in self.members)

    async def generate(self, request: FrameRequest) -> bytes:
        return await self._run(lambda p: p.generate(request))


class VideoChain(_Chain[VideoGen]):
    capability = "video"

    @property
    def accepts_last_frame(self) -> bool:
        """Any member may answer, so the last frame goes with the request when one reads it."""
        return any(m.accepts_last_frame for m in self.members)

    @property
    def streams_frames(self) -> bool:
        """The first member's: a clip streamed frame by frame cannot fall back part way, so
        the chain streams only when the provider it means to use does."""
        return self.members[0].streams_frames

    def frames(self, request: ClipRequest, duration: float, form: PlaneForm,
               grade: Callable[[Any], Any] | None = None) -> Iterator[Any]:
        first = self.members[0]
        if not streams_frames(first):
            raise TypeError(f"{_name(first)} makes MP4 clips; it does not stream frames")
        return first.frames(request, duration, form, grade)

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        return await self._run(lambda p: p.generate(request, duration))


CHAINS: dict[str, type[_Chain[Any]]] = {
    "llm": LLMChain, "tts": TTSChain, "aligner": AlignerChain,
    "music": MusicChain, "image": ImageChain, "video": VideoChain,
}


def build_chain(capability: str, members: Sequence[Any], guard: Guard | None = None) -> Any:
    """The chain of `capability` over already-created providers."""
    return CHAINS[capability](members, guard)
