"""A picture or a clip as the task-style adapters (fal, Replicate, Seedream) make one.

Each adapter only says how to ask its API for the bytes (`Make`); the rest is the same for
all: the price checked against the job's budget before anything is sent, the prompt softened
once if the provider refuses it on content grounds, the answer checked (a picture fitted to
the frame, a clip held against its duration), and the call charged only once it is usable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from reelforge.providers.base import ClipRequest, FrameRequest
from reelforge.providers.calls import charge, check_budget
from reelforge.providers.remote.http import ApiClient, ApiSession
from reelforge.providers.remote.media import MediaError, check_clip, fit_png
from reelforge.providers.remote.policy import with_softening

Make = Callable[[ApiSession, str], Awaitable[bytes]]
"""Asks the API for the raw bytes, given the session and the prompt to send."""


async def paid_image(api: ApiClient, model: str, usd: float, request: FrameRequest,
                     make: Make) -> bytes:
    """PNG bytes at the request's size."""
    raw = await _paid(api, usd, "image generation", request.prompt, make)
    try:
        png = fit_png(raw, request.width, request.height)
    except MediaError as exc:
        raise api.error(f"output is not an image: {exc}", permanent=False) from None
    charge(api.provider, model, usd, "image")
    return png


async def paid_clip(api: ApiClient, model: str, usd: float, request: ClipRequest,
                    duration: float, make: Make) -> bytes:
    """MP4 bytes of about `duration` seconds."""
    video = await _paid(api, usd, "a video clip", request.shot.prompt, make)
    try:
        check_clip(video, duration)
    except MediaError as exc:
        raise api.error(f"output is not a video: {exc}", permanent=False) from None
    charge(api.provider, model, usd, "video")
    return video


async def _paid(api: ApiClient, usd: float, what: str, prompt: str, make: Make) -> bytes:
    check_budget(api.provider, usd, what)
    async with api.session() as s:
        return await with_softening(api.provider, prompt, lambda p: make(s, p))
