"""Replicate predictions: any image or video model by name (`owner/name` or
`owner/name:version`).

Create with `Prefer: wait=N` (the answer may already be final), else poll the prediction
(starting -> processing -> succeeded | failed | canceled) with backoff, then download the
output at once (API outputs are deleted after an hour). Creating a prediction is not safe to
repeat, so it is retried only when Replicate cannot have acted on it (429, 502-504).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from reelforge.providers import costs
from reelforge.providers.base import (
    ClipRequest,
    FrameRequest,
    ProviderError,
    prompt_with_references,
)
from reelforge.providers.remote.config import require_key
from reelforge.providers.remote.http import ApiClient, ApiSession, HttpPolicy
from reelforge.providers.remote.inputs import (
    InputMap,
    build_inputs,
    first_url,
    with_reference_field,
)
from reelforge.providers.remote.media import data_url
from reelforge.providers.remote.paid import paid_clip, paid_image
from reelforge.settings import Settings

NAME = "replicate"
TERMINAL = {"succeeded", "failed", "canceled"}
NSFW = re.compile(r"nsfw|sensitive|flagged|safety|content policy|inappropriate", re.IGNORECASE)
INLINE_LIMIT = 256 * 1024  # larger frames are uploaded through /v1/files

# Input names per model, from the models' API pages (they change; unknown models get the
# defaults: prompt, aspect_ratio, seed, and `image` for video).
IMAGE_MODELS: dict[str, InputMap] = {
    "black-forest-labs/flux-schnell": InputMap(
        aspects=("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"),
        extra={"output_format": "png", "num_outputs": 1}),
    "black-forest-labs/flux-dev": InputMap(
        aspects=("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"),
        extra={"output_format": "png", "num_outputs": 1}),
    "black-forest-labs/flux-1.1-pro": InputMap(extra={"output_format": "png"}),
    "google/imagen-4": InputMap(aspects=("1:1", "9:16", "16:9", "3:4", "4:3"), seed=None,
                                extra={"output_format": "png"}),
    "bytedance/seedream-4": InputMap(references="image_input", seed=None,
                                     aspects=("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3",
                                              "21:9")),
    "google/nano-banana": InputMap(references="image_input", seed=None,
                                   aspects=("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4",
                                            "9:16", "16:9", "21:9"),
                                   extra={"output_format": "png"}),
}
VIDEO_MODELS: dict[str, InputMap] = {
    "wan-video/wan-2.2-i2v-fast": InputMap(aspect=None, image="image",
                                           extra={"resolution": "720p"}),
    "kwaivgi/kling-v2.1": InputMap(aspect=None, image="start_image", duration="duration",
                                   durations=(5, 10), seed=None),
    "bytedance/seedance-1-pro": InputMap(image="image", last_image="last_frame_image",
                                         duration="duration", aspects=("16:9", "4:3", "1:1",
                                                                       "3:4", "9:16", "21:9"),
                                         extra={"resolution": "1080p", "fps": 24}),
    "minimax/hailuo-02": InputMap(aspect=None, image="first_frame_image", duration="duration",
                                  durations=(6, 10), seed=None),
}
DEFAULT_IMAGE = InputMap()
DEFAULT_VIDEO = InputMap(image="image")


def replicate_api(settings: Settings) -> ApiClient:
    key = require_key(NAME, settings.replicate_api_token, "REPLICATE_API_TOKEN")
    return ApiClient(NAME, settings.replicate_base_url, policy=HttpPolicy.from_settings(settings),
                     auth_headers={"authorization": f"Bearer {key}"}, secrets=(key,))


class _Replicate:
    """Shared create / wait / download."""

    name = NAME

    def __init__(self, settings: Settings, model: str) -> None:
        self.api = replicate_api(settings)
        self.model = model
        self.wait = settings.replicate_wait

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}"

    async def check(self) -> str:
        """GET /v1/account: free, and needs a valid token."""
        async with self.api.session() as s:
            body = await s.json("GET", "v1/account")
        user = body.get("username", "?") if isinstance(body, dict) else "?"
        return f"{self.api.base_url}: token accepted (account {user})"

    async def run(self, s: ApiSession, inputs: dict[str, Any]) -> bytes:
        """Run the model on `inputs` and return the first output file's bytes."""
        prediction = await self._create(s, inputs)
        if prediction.get("status") not in TERMINAL:
            prediction = await self._wait(s, prediction)
        status = prediction.get("status")
        if status != "succeeded":
            detail = f"prediction {prediction.get('id')} {status}: {prediction.get('error')}"
            if NSFW.search(str(prediction.get("error") or "")):
                raise self.api.content_policy(detail)
            raise self.api.error(detail, permanent=False)
        url = first_url(prediction.get("output"))
        if not url:
            raise self.api.error("prediction succeeded without an output file", permanent=False)
        return await s.download(url)

    async def _create(self, s: ApiSession, inputs: dict[str, Any]) -> dict[str, Any]:
        name, _, version = self.model.partition(":")
        if version:
            path, body = "v1/predictions", {"version": version, "input": inputs}
        else:
            path, body = f"v1/models/{name}/predictions", {"input": inputs}
        headers = {"prefer": f"wait={self.wait}"} if self.wait else {}
        created = await s.json("POST", path, json=body, headers=headers,
                               read_timeout=self.wait + 15 if self.wait else None,
                               safe_to_repeat=False)
        if not isinstance(created, dict) or not created.get("id"):
            raise self.api.error("prediction created without an id", permanent=False)
        return created

    async def _wait(self, s: ApiSession, prediction: dict[str, Any]) -> dict[str, Any]:
        url = (prediction.get("urls") or {}).get("get")
        if not url or not self.api.is_ours(url):
            url = f"v1/predictions/{prediction['id']}"

        async def fetch() -> dict[str, Any]:
            state = await s.json("GET", url)
            if not isinstance(state, dict) or "status" not in state:
                raise self.api.error("malformed prediction status", permanent=False)
            return state

        try:
            return await s.poll(fetch, lambda p: p["status"] in TERMINAL,
                                f"prediction {prediction['id']}")
        except Exception:
            await self._cancel(s, prediction)
            raise

    async def _cancel(self, s: ApiSession, prediction: dict[str, Any]) -> None:
        with contextlib.suppress(ProviderError):  # best effort; the failure is what matters
            await s.request("POST", f"v1/predictions/{prediction['id']}/cancel")

    async def file_url(self, s: ApiSession, png: bytes) -> str:
        """A URL the model can read the frame from: inline when small, else /v1/files."""
        if len(png) <= INLINE_LIMIT:
            return data_url(png)
        body = await s.json("POST", "v1/files",
                            files={"content": ("frame.png", png, "image/png")},
                            safe_to_repeat=True)
        try:
            return str(body["urls"]["get"])
        except (KeyError, TypeError):
            raise self.api.error("file upload answered without urls.get",
                                 permanent=False) from None


class ReplicateImage(_Replicate):
    """Reference images go in the model's list input for them (`image_input` for the models
    in IMAGE_MODELS, or REELFORGE_REPLICATE_IMAGE_REFERENCES), inline or uploaded like a
    video's frame; a model without one gets the prompt alone."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.replicate_image_model)
        self.spec = with_reference_field(
            IMAGE_MODELS.get(self.model.partition(":")[0], DEFAULT_IMAGE),
            settings.replicate_image_references)
        self.accepts_references = self.spec.references is not None

    async def generate(self, request: FrameRequest) -> bytes:
        usd = costs.image_usd(NAME, self.model, request.width, request.height)
        return await paid_image(self.api, self.model, usd, request,
                                lambda s, prompt: self._draw(s, request, prompt))

    async def _draw(self, s: ApiSession, request: FrameRequest, prompt: str) -> bytes:
        references = request.references if self.accepts_references else []
        inputs = build_inputs(self.spec, prompt=prompt_with_references(prompt, references),
                              width=request.width, height=request.height, seed=request.seed,
                              reference_urls=[await self.file_url(s, r.png) for r in references])
        return await self.run(s, inputs)


class ReplicateVideo(_Replicate):
    streams_frames = False

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.replicate_video_model)
        self.spec = VIDEO_MODELS.get(self.model.partition(":")[0], DEFAULT_VIDEO)
        self.accepts_last_frame = self.spec.last_image is not None

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        usd = costs.video_usd(NAME, self.model, max(duration, 5.0))
        return await paid_clip(self.api, self.model, usd, request, duration,
                               lambda s, prompt: self._film(s, request, duration, prompt))

    async def _film(self, s: ApiSession, request: ClipRequest, duration: float,
                    prompt: str) -> bytes:
        last = await self.file_url(s, request.last_frame_png) \
            if request.last_frame_png and self.spec.last_image else None
        inputs = build_inputs(self.spec, prompt=prompt, width=request.width,
                              height=request.height, seed=request.seed,
                              image_url=await self.file_url(s, request.frame_png),
                              last_image_url=last, duration=duration)
        return await self.run(s, inputs)
