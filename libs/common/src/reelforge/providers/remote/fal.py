"""fal.ai queue API: any image or video app by name (`fal-ai/flux/schnell`).

Submit (POST {queue}/{app}), poll the status (IN_QUEUE -> IN_PROGRESS -> COMPLETED; a failed
run also ends COMPLETED, with `error`), then GET the result. Status and result live under
`{owner}/{app}` without the subpath; the URLs fal returns are used when they point at the
configured host (the key is never sent elsewhere). Auth: `Authorization: Key <FAL_KEY>`.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx

from reelforge.providers import costs
from reelforge.providers.base import (
    ClipRequest,
    FrameRequest,
    ProviderError,
    prompt_with_references,
)
from reelforge.providers.remote.config import require_key
from reelforge.providers.remote.http import (
    ApiClient,
    ApiError,
    ApiSession,
    ErrorInfo,
    HttpPolicy,
    Outcome,
    default_error_info,
)
from reelforge.providers.remote.inputs import (
    InputMap,
    build_inputs,
    first_url,
    with_reference_field,
)
from reelforge.providers.remote.media import data_url
from reelforge.providers.remote.paid import paid_clip, paid_image
from reelforge.settings import Settings

NAME = "fal"
POLICY_TYPES = {"content_policy_violation", "nsfw_content_detected", "image_nsfw"}
NIL_REQUEST = "00000000-0000-0000-0000-000000000000"

IMAGE_MODELS: dict[str, InputMap] = {
    "fal-ai/flux/schnell": InputMap(aspect=None, size="image_size",
                                    extra={"num_images": 1, "enable_safety_checker": True}),
    "fal-ai/flux/dev": InputMap(aspect=None, size="image_size",
                                extra={"num_images": 1, "enable_safety_checker": True,
                                       "output_format": "png"}),
    "fal-ai/bytedance/seedream/v4/edit": InputMap(aspect=None, size="image_size",
                                                  references="image_urls",
                                                  extra={"num_images": 1}),
    "fal-ai/flux-pro/kontext/multi": InputMap(references="image_urls",
                                              aspects=("21:9", "16:9", "4:3", "3:2", "1:1",
                                                       "2:3", "3:4", "9:16", "9:21"),
                                              extra={"num_images": 1, "output_format": "png"}),
}
VIDEO_MODELS: dict[str, InputMap] = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": InputMap(
        aspect=None, image="image_url", duration="duration", durations=(5, 10),
        duration_text=True, seed=None),
    "fal-ai/kling-video/v2.1/pro/image-to-video": InputMap(
        aspect=None, image="image_url", duration="duration", durations=(5, 10),
        duration_text=True, seed=None, last_image="tail_image_url"),
    "fal-ai/wan-i2v": InputMap(image="image_url", aspects=("16:9", "9:16", "1:1", "auto")),
}
DEFAULT_IMAGE = InputMap(aspect=None, size="image_size")
DEFAULT_VIDEO = InputMap(aspect=None, image="image_url")


def error_info(resp: httpx.Response) -> ErrorInfo:
    """fal puts the error type in the `x-fal-error-type` header or detail items' `type`."""
    info = default_error_info(resp)
    header = resp.headers.get("x-fal-error-type")
    return ErrorInfo(info.status, info.message, header or info.code)


def classify(info: ErrorInfo) -> Outcome:
    return "content_policy" if (info.code or "") in POLICY_TYPES else "default"


def fal_api(settings: Settings) -> ApiClient:
    key = require_key(NAME, settings.fal_key, "FAL_KEY")
    return ApiClient(NAME, settings.fal_base_url, policy=HttpPolicy.from_settings(settings),
                     auth_headers={"authorization": f"Key {key}"}, secrets=(key,),
                     error_info=error_info, classify=classify)


def app_root(model: str) -> str:
    """`fal-ai/flux/dev` -> `fal-ai/flux`: per-request endpoints drop the subpath."""
    return "/".join(model.split("/")[:2])


class _Fal:
    name = NAME

    def __init__(self, settings: Settings, model: str) -> None:
        self.api = fal_api(settings)
        self.model = model.strip("/")

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}"

    async def check(self) -> str:
        """The queue has no account endpoint: ask for the status of a request that does not
        exist. 401/403 means a bad key; 404 (or any other answer) means it was accepted."""
        async with self.api.session() as s:
            try:
                await s.request("GET", f"{app_root(self.model)}/requests/{NIL_REQUEST}/status")
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise
        return f"{self.api.base_url}: key accepted for {self.model}"

    async def run(self, s: ApiSession, inputs: dict[str, Any]) -> dict[str, Any]:
        """Submit, wait, fetch the result JSON."""
        submitted = await s.json("POST", self.model, json=inputs, safe_to_repeat=False)
        request_id = submitted.get("request_id") if isinstance(submitted, dict) else None
        if not request_id:
            raise self.api.error("submission answered without a request_id", permanent=False)
        base = f"{app_root(self.model)}/requests/{request_id}"
        status_url = self._ours(submitted.get("status_url"), f"{base}/status")
        response_url = self._ours(submitted.get("response_url"), base)
        status = await self._wait(s, status_url, str(request_id))
        if status.get("error"):
            self._raise_run_error(status, str(request_id))
        result = await s.json("GET", response_url)
        if not isinstance(result, dict):
            raise self.api.error("result is not a JSON object", permanent=False)
        if any(result.get("has_nsfw_concepts") or []):
            raise self.api.content_policy(f"request {request_id}: output flagged as NSFW")
        return result

    def _ours(self, url: Any, fallback: str) -> str:
        return url if isinstance(url, str) and self.api.is_ours(url) else fallback

    async def _wait(self, s: ApiSession, status_url: str, request_id: str) -> dict[str, Any]:
        async def fetch() -> dict[str, Any]:
            state = await s.json("GET", status_url, params={"logs": 0})
            if not isinstance(state, dict) or "status" not in state:
                raise self.api.error("malformed request status", permanent=False)
            return state

        try:
            return await s.poll(fetch, lambda st: st["status"] == "COMPLETED",
                                f"request {request_id}")
        except Exception:
            await self._cancel(s, status_url)
            raise

    async def _cancel(self, s: ApiSession, status_url: str) -> None:
        with contextlib.suppress(ProviderError):  # only queued requests can be cancelled
            await s.request("PUT", status_url.removesuffix("/status") + "/cancel")

    def _raise_run_error(self, status: dict[str, Any], request_id: str) -> None:
        detail = f"request {request_id} failed: {status.get('error')}"
        if status.get("error_type") in POLICY_TYPES:
            raise self.api.content_policy(detail)
        raise self.api.error(detail, permanent=False)


class FalImage(_Fal):
    """Reference images go, as data URIs, in the app's list input for them (`image_urls`
    for the apps in IMAGE_MODELS, or REELFORGE_FAL_IMAGE_REFERENCES); an app without one
    gets the prompt alone."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.fal_image_model)
        self.spec = with_reference_field(IMAGE_MODELS.get(self.model, DEFAULT_IMAGE),
                                         settings.fal_image_references)
        self.accepts_references = self.spec.references is not None

    async def generate(self, request: FrameRequest) -> bytes:
        usd = costs.image_usd(NAME, self.model, request.width, request.height)
        return await paid_image(self.api, self.model, usd, request,
                                lambda s, prompt: self._draw(s, request, prompt))

    async def _draw(self, s: ApiSession, request: FrameRequest, prompt: str) -> bytes:
        references = request.references if self.accepts_references else []
        inputs = build_inputs(self.spec, prompt=prompt_with_references(prompt, references),
                              width=request.width, height=request.height, seed=request.seed,
                              reference_urls=[data_url(r.png) for r in references])
        result = await self.run(s, inputs)
        url = first_url(result.get("images") or result.get("image"))
        if not url:
            raise self.api.error("result without an image URL", permanent=False)
        return await s.download(url, what="image")


class FalVideo(_Fal):
    streams_frames = False

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settings.fal_video_model)
        self.spec = VIDEO_MODELS.get(self.model, DEFAULT_VIDEO)
        self.accepts_last_frame = self.spec.last_image is not None

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        usd = costs.video_usd(NAME, self.model, max(duration, 5.0))
        return await paid_clip(self.api, self.model, usd, request, duration,
                               lambda s, prompt: self._film(s, request, duration, prompt))

    async def _film(self, s: ApiSession, request: ClipRequest, duration: float,
                    prompt: str) -> bytes:
        last = data_url(request.last_frame_png) if request.last_frame_png else None
        inputs = build_inputs(self.spec, prompt=prompt, width=request.width,
                              height=request.height, seed=request.seed,
                              image_url=data_url(request.frame_png), last_image_url=last,
                              duration=duration)
        result = await self.run(s, inputs)
        url = first_url(result.get("video") or result.get("videos"))
        if not url:
            raise self.api.error("result without a video URL", permanent=False)
        return await s.download(url, what="video")
