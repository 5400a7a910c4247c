"""Seedance image-to-video on BytePlus ModelArk: create a task, poll it, download the video.

The frame goes in as `first_frame` image content (a PNG data URL), with an optional
`last_frame`; resolution, ratio and duration are body fields (strict validation, unlike the
legacy `--rs/--rt/--dur` text commands). Tasks move queued -> running -> succeeded | failed |
expired | cancelled; the video URL is a signed link that expires, so it is fetched at once.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from reelforge.providers import costs
from reelforge.providers.base import ClipRequest, ProviderError
from reelforge.providers.calls import charge, check_budget
from reelforge.providers.remote.ark import ark_api, check_tasks, is_sensitive
from reelforge.providers.remote.http import ApiSession
from reelforge.providers.remote.inputs import nearest_aspect
from reelforge.providers.remote.media import MediaError, check_clip, data_url
from reelforge.providers.remote.policy import with_softening
from reelforge.settings import Settings

NAME = "seedance"
RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
TERMINAL = {"succeeded", "failed", "expired", "cancelled"}
# Output sizes per resolution at 16:9, for the cost estimate (1.5/2.0 sizes; 1.0 is close).
RESOLUTION_PIXELS = {"480p": 864 * 480, "720p": 1280 * 720, "1080p": 1920 * 1080}


def duration_range(model: str) -> tuple[int, int]:
    """Whole seconds each model family accepts."""
    if "seedance-2" in model:
        return 4, 15
    if "seedance-1-5" in model:
        return 4, 12
    return 2, 12


def with_audio_flag(model: str) -> bool:
    """Only 1.5 and 2.0 take `generate_audio` (default true): the trailer brings its own."""
    return "seedance-1-5" in model or "seedance-2" in model


class SeedanceVideo:
    name = NAME
    accepts_last_frame = True  # content item with role last_frame
    streams_frames = False

    def __init__(self, settings: Settings) -> None:
        self.api = ark_api(NAME, settings)
        self.model = settings.seedance_model
        self.resolution = settings.seedance_resolution

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}:{self.resolution}"

    async def check(self) -> str:
        return await check_tasks(self.api)

    def body(self, request: ClipRequest, duration: float, prompt: str) -> dict[str, Any]:
        low, high = duration_range(self.model)
        content: list[dict[str, Any]] = [
            {"type": "text", "text": prompt},
            {"type": "image_url", "image_url": {"url": data_url(request.frame_png)},
             "role": "first_frame"},
        ]
        if request.last_frame_png:
            content.append({"type": "image_url",
                            "image_url": {"url": data_url(request.last_frame_png)},
                            "role": "last_frame"})
        body: dict[str, Any] = {
            "model": self.model, "content": content, "resolution": self.resolution,
            "ratio": nearest_aspect(request.width, request.height, RATIOS),
            "duration": int(min(max(math.ceil(duration - 1e-6), low), high)),
            "seed": request.seed, "camera_fixed": False, "watermark": False,
        }
        if with_audio_flag(self.model):
            body["generate_audio"] = False
        return body

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        async with self.api.session() as s:
            return await with_softening(
                NAME, request.shot.prompt, lambda p: self._generate(s, request, duration, p)
            )

    async def _generate(self, s: ApiSession, request: ClipRequest, duration: float,
                        prompt: str) -> bytes:
        body = self.body(request, duration, prompt)
        pixels = RESOLUTION_PIXELS.get(self.resolution, RESOLUTION_PIXELS["1080p"])
        usd = costs.seedance_usd(self.model, pixels, 24, body["duration"])
        check_budget(NAME, usd, f"a {body['duration']}s video clip")
        created = await s.json("POST", "contents/generations/tasks", json=body,
                               safe_to_repeat=False)
        task_id = created.get("id") if isinstance(created, dict) else None
        if not task_id:
            raise self.api.error("task creation answered without an id", permanent=False)
        task = await self._wait(s, str(task_id))
        video = await self._finish(s, task, float(body["duration"]))
        tokens = (task.get("usage") or {}).get("completion_tokens")
        if isinstance(tokens, int | float) and tokens > 0:
            usd = costs.seedance_tokens_usd(self.model, tokens)
        charge(NAME, self.model, usd, "video")
        return video

    async def _wait(self, s: ApiSession, task_id: str) -> dict[str, Any]:
        async def fetch() -> dict[str, Any]:
            task = await s.json("GET", f"contents/generations/tasks/{task_id}")
            if not isinstance(task, dict) or "status" not in task:
                raise self.api.error("malformed task status", permanent=False)
            return task

        try:
            return await s.poll(fetch, lambda t: t["status"] in TERMINAL,
                                f"Seedance task {task_id}")
        except Exception:
            await self._cancel(s, task_id)
            raise

    async def _cancel(self, s: ApiSession, task_id: str) -> None:
        """Best effort: a queued task can be cancelled (a running one cannot)."""
        with contextlib.suppress(ProviderError):  # the original failure matters more
            await s.request("DELETE", f"contents/generations/tasks/{task_id}")

    async def _finish(self, s: ApiSession, task: dict[str, Any], duration: float) -> bytes:
        status, task_id = task["status"], task.get("id", "?")
        if status == "succeeded":
            url = (task.get("content") or {}).get("video_url")
            if not url:
                raise self.api.error(f"task {task_id} succeeded without a video_url",
                                     permanent=False)
            video = await s.download(url, what="video")
            try:
                check_clip(video, duration)
            except MediaError as exc:
                raise self.api.error(f"task {task_id}: {exc}", permanent=False) from None
            return video
        error = task.get("error") or {}
        detail = f"task {task_id} {status}: {error.get('code')}: {error.get('message')}" \
            if error else f"task {task_id} {status}"
        if is_sensitive(error.get("code")):
            raise self.api.content_policy(detail)
        # failed: the model could not make it (permanent for this input); expired/cancelled:
        # it never ran, so a later delivery may succeed.
        raise self.api.error(detail, permanent=status == "failed")
