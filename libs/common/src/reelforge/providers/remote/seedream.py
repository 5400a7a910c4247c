"""Seedream text-to-image on BytePlus ModelArk (POST /images/generations)."""

from __future__ import annotations

import math
from typing import Any

from reelforge.providers import costs
from reelforge.providers.base import FrameRequest, prompt_with_references
from reelforge.providers.remote.ark import ark_api, check_tasks, is_sensitive
from reelforge.providers.remote.http import ApiSession
from reelforge.providers.remote.media import MediaError, b64decode, data_url
from reelforge.providers.remote.paid import paid_image
from reelforge.settings import Settings

NAME = "seedream"


def seedream_size(model: str, width: int, height: int) -> str:
    """`WxH` within the model's range, keeping the frame's aspect: Seedream 3 takes
    512-2048 px sides; 4.x and later 1280x720 to 4096x4096 pixels in total."""
    if "seedream-3" in model or "seededit" in model:
        scale = min(2048 / max(width, height), 1.0)
        scale = max(scale, 512 / min(width, height))
    else:
        pixels = width * height
        scale = math.sqrt(min(max(pixels, 1280 * 720), 4096 * 4096) / pixels)
    w, h = (max(16, round(width * scale / 16) * 16), max(16, round(height * scale / 16) * 16))
    return f"{w}x{h}"


MAX_REFERENCES = 10
"""Input images Seedream 4.x takes at most in `image`."""


def takes_references(model: str) -> bool:
    """Seedream 4.x generates from text and 1-10 reference images; seedream-3.0 t2i takes
    no image, and seededit-3.0 edits exactly one."""
    return not any(old in model for old in ("seedream-3", "seededit"))


class SeedreamImage:
    """A frame's reference images go in `image`, a list of data URLs, in the order the
    prompt names them."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = ark_api(NAME, settings)
        self.model = settings.seedream_model
        self.accepts_references = takes_references(self.model)

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}"

    async def check(self) -> str:
        return await check_tasks(self.api)

    async def generate(self, request: FrameRequest) -> bytes:
        usd = costs.image_usd(NAME, self.model, request.width, request.height)
        return await paid_image(self.api, self.model, usd, request,
                                lambda s, prompt: self._draw(s, request, prompt))

    async def _draw(self, s: ApiSession, request: FrameRequest, prompt: str) -> bytes:
        references = request.references[:MAX_REFERENCES] if self.accepts_references else []
        body: dict[str, Any] = {
            "model": self.model, "prompt": prompt_with_references(prompt, references),
            "size": seedream_size(self.model, request.width, request.height),
            "response_format": "b64_json", "watermark": False, "seed": request.seed,
        }
        if "seedream-3" not in self.model:
            body["sequential_image_generation"] = "disabled"
        if references:
            body["image"] = [data_url(r.png) for r in references]
        reply = await s.json("POST", "images/generations", json=body, safe_to_repeat=True)
        return await self._image(s, reply)

    async def _image(self, s: ApiSession, reply: Any) -> bytes:
        try:
            item = reply["data"][0]
        except (KeyError, IndexError, TypeError):
            raise self.api.error("no image in the response", permanent=False) from None
        error = item.get("error") if isinstance(item, dict) else None
        if isinstance(error, dict):
            message = f"{error.get('code')}: {error.get('message')}"
            if is_sensitive(error.get("code")):
                raise self.api.content_policy(message)
            raise self.api.error(message, permanent=False)
        try:
            return b64decode(item["b64_json"]) if item.get("b64_json") \
                else await s.download(item["url"], what="image")
        except (KeyError, TypeError, MediaError) as exc:
            raise self.api.error(f"unusable image in the response ({exc})",
                                 permanent=False) from None
