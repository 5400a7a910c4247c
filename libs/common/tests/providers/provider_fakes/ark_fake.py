"""Fake BytePlus ModelArk (/api/v3): Seedream image generations and Seedance video tasks.

Tasks walk a scripted status list, one step per poll (default queued -> running ->
succeeded); script others with `fake.script_next_task("queued", ("failed", {...}))`.
Errors: {"error": {"code", "message", "param", "type"}}.
"""

from __future__ import annotations

import base64
import io
import re
import time
import uuid
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, TaskScript, json_body, triggered

KEY = "ark-fake-0123456789abcdef0123456789"
RESOLUTIONS = {"480p", "720p", "1080p"}
RATIOS = {"16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"}
SIZES_720P = {"16:9": (1280, 720), "4:3": (1112, 834), "1:1": (960, 960), "3:4": (834, 1112),
              "9:16": (720, 1280), "21:9": (1470, 630), "adaptive": (1280, 720)}
TERMINAL = {"succeeded", "failed", "expired", "cancelled"}
DATA_URL = re.compile(r"^data:image/(png|jpeg|webp|bmp|tiff|gif);base64,(.+)$", re.DOTALL)


def ark_error(status: int, code: str, message: str, param: str = "",
              kind: str = "BadRequest") -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": f"{message} Request id: "
                                   f"{uuid.uuid4().hex[:20]}", "param": param, "type": kind}},
                        status, headers={"x-request-id": uuid.uuid4().hex})


SERVER_ERROR: dict[str, Any] = {"error": {
    "code": "InternalServiceError", "message": "internal error", "param": "",
    "type": "InternalServerError"}}


class FakeArk(FakeProvider):
    name = "ark"
    key = KEY
    default_error = SERVER_ERROR

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[str, dict[str, Any]] = {}

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/v3"

    def reset(self) -> None:
        super().reset()
        self.tasks.clear()

    def routes(self) -> list[Route]:
        return [
            Route("/api/v3/images/generations", self.images, methods=["POST"]),
            Route("/api/v3/contents/generations/tasks", self.create_task, methods=["POST"]),
            Route("/api/v3/contents/generations/tasks", self.list_tasks, methods=["GET"]),
            Route("/api/v3/contents/generations/tasks/{task_id}", self.get_task,
                  methods=["GET"]),
            Route("/api/v3/contents/generations/tasks/{task_id}", self.delete_task,
                  methods=["DELETE"]),
            self.file_route(),
        ]

    async def _gate(self, route: str, request: Request, body: Any) -> Response | None:
        self.record(route, request, body)
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return ark_error(401, "AuthenticationError", "The API key in the request is "
                             "missing or invalid.", kind="Unauthorized")
        fault = self.take_fault(route)
        return await self.answer_fault(fault)

    def _bad(self, message: str, param: str = "") -> Response:
        self.violation(message)
        return ark_error(400, "InvalidParameter", message, param)

    # ------------------------------------------------------------------ Seedream

    async def images(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("images", request, body)) is not None:
            return gate
        if not isinstance(body, dict) or not body.get("model") or not body.get("prompt"):
            return self._bad("model and prompt are required", "prompt")
        size = str(body.get("size", "2048x2048"))
        match = re.fullmatch(r"(\d+)x(\d+)", size)
        if size not in ("1K", "2K", "4K") and not match:
            return self._bad(f"size {size!r} is not WxH or 1K/2K/4K", "size")
        w, h = (int(match.group(1)), int(match.group(2))) if match else (2048, 2048)
        if not 1280 * 720 <= w * h <= 4096 * 4096 and "seedream-3" not in body["model"]:
            return self._bad(f"size {size} outside 1280x720..4096x4096 pixels", "size")
        fmt = body.get("response_format", "url")
        if fmt not in ("url", "b64_json"):
            return self._bad("response_format must be url or b64_json", "response_format")
        if "image" in body and (problem := self._reference_problem(body)) is not None:
            return self._bad(problem, "image")
        if triggered(body["prompt"]):
            return ark_error(400, "InputTextSensitiveContentDetected", "The request failed "
                             "because the input text may contain sensitive information.")
        png = media.png(w, h, seed=len(body["prompt"]))
        item: dict[str, Any] = {"size": f"{w}x{h}"}
        if fmt == "b64_json":
            item["b64_json"] = base64.b64encode(png).decode()
        else:
            item["url"] = self.serve_file(png, "image/png", ".png")
        return JSONResponse({"model": body["model"], "created": int(time.time()),
                             "data": [item], "usage": {"generated_images": 1,
                                                       "output_tokens": w * h // 256,
                                                       "total_tokens": w * h // 256}})

    @staticmethod
    def _reference_problem(body: dict[str, Any]) -> str | None:
        """`image`: one URL or data URL, or a list of 1-10 (Seedream 4.x); seedream-3.0 t2i
        takes none. Each: jpeg/png/webp/bmp/tiff/gif, sides over 14 px, ratio 1/16-16, at
        most 6000x6000 pixels in all, `data:image/<format>;base64,` with a lower-case format."""
        if "seedream-3" in body["model"]:
            return f"image is not supported by {body['model']}"
        images = body["image"] if isinstance(body["image"], list) else [body["image"]]
        if not 1 <= len(images) <= 10 or not all(isinstance(i, str) for i in images):
            return "image must be a URL or data URL, or a list of 1 to 10 of them"
        for url in images:
            if url.startswith(("http://", "https://")):
                continue
            match = DATA_URL.match(url)
            if not match:
                return "image must be a URL or data:image/<format>;base64,<data>"
            try:
                with Image.open(io.BytesIO(base64.b64decode(match.group(2)))) as image:
                    w, h = image.size
            except Exception:
                return "image could not be decoded"
            if not (w > 14 and h > 14 and 1 / 16 <= w / h <= 16 and w * h <= 6000 * 6000):
                return f"image {w}x{h} outside the sides, ratio or pixel limits"
        return None

    # ------------------------------------------------------------------ Seedance

    async def create_task(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("create_task", request, body)) is not None:
            return gate
        problem = self._task_problem(body)
        if problem:
            return self._bad(*problem)
        text = next(c["text"] for c in body["content"] if c.get("type") == "text")
        task_id = f"cgt-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        default: list[Any] = ["queued", "running", "succeeded"]
        if triggered(text):
            default = ["queued", ("failed", {"code": "OutputVideoSensitiveContentDetected",
                                             "message": "The output video may contain "
                                             "sensitive information."})]
        self.tasks[task_id] = {"body": body, "script": self.next_script(default),
                               "created_at": int(time.time()), "deleted": False}
        return JSONResponse({"id": task_id})

    def _task_problem(self, body: Any) -> tuple[str, str] | None:
        if not isinstance(body, dict) or not body.get("model"):
            return "model is required", "model"
        content = body.get("content")
        if not isinstance(content, list) or not any(c.get("type") == "text" for c in content):
            return "content must include a text item", "content"
        images = [c for c in content if c.get("type") == "image_url"]
        roles = [c.get("role", "first_frame") for c in images]
        if roles not in ([], ["first_frame"], ["first_frame", "last_frame"]) and \
                any(r != "reference_image" for r in roles):
            return f"invalid image roles {roles}", "content.role"
        for c in images:
            problem = self._image_problem(str((c.get("image_url") or {}).get("url", "")))
            if problem:
                return problem, "content.image_url"
        if body.get("resolution", "720p") not in RESOLUTIONS:
            return f"resolution {body.get('resolution')!r}", "resolution"
        if body.get("ratio", "adaptive") not in RATIOS:
            return f"ratio {body.get('ratio')!r}", "ratio"
        duration = body.get("duration", 5)
        low, high = (4, 15) if "seedance-2" in body["model"] else \
            (4, 12) if "seedance-1-5" in body["model"] else (2, 12)
        if not isinstance(duration, int) or not (low <= duration <= high or duration == -1):
            return f"duration {duration!r} outside {low}..{high}", "duration"
        if "generate_audio" in body and "seedance-1-0" in body["model"]:
            return "generate_audio is not supported by this model", "generate_audio"
        return None

    def _image_problem(self, url: str) -> str | None:
        match = DATA_URL.match(url)
        if not match:
            return "image_url must be a URL or data:image/<format>;base64,<data>" \
                if url.startswith("data:") or not url.startswith("http") else None
        try:
            with Image.open(io.BytesIO(base64.b64decode(match.group(2)))) as image:
                w, h = image.size
        except Exception:
            return "image could not be decoded"
        if not (300 <= w <= 6000 and 300 <= h <= 6000 and 0.4 <= w / h <= 2.5):
            return f"image {w}x{h} outside 300-6000 px / ratio 0.4-2.5"
        return None

    async def get_task(self, request: Request) -> Response:
        task_id = request.path_params["task_id"]
        if (gate := await self._gate("get_task", request, None)) is not None:
            return gate
        task = self.tasks.get(task_id)
        if task is None or task["deleted"]:
            return ark_error(404, "ResourceNotFound", f"task {task_id} not found",
                             kind="NotFound")
        script: TaskScript = task["script"]
        step = script.current if task.get("cancelled") else script.advance()
        return JSONResponse(self._task_view(task_id, task, step))

    def _task_view(self, task_id: str, task: dict[str, Any], step: Any) -> dict[str, Any]:
        status, error = (step, None) if isinstance(step, str) else step
        if task.get("cancelled"):
            status = "cancelled"
        body = task["body"]
        view: dict[str, Any] = {
            "id": task_id, "model": body["model"], "status": status, "error": error,
            "created_at": task["created_at"], "updated_at": int(time.time()),
            "seed": body.get("seed", -1), "resolution": body.get("resolution", "720p"),
            "ratio": body.get("ratio", "adaptive"), "duration": body.get("duration", 5),
            "framespersecond": 24, "service_tier": "default",
            "execution_expires_after": 172800,
        }
        if status == "succeeded":
            if "url" not in task:
                w, h = SIZES_720P[view["ratio"]]
                scale = self.video_scale * {"480p": 0.667, "720p": 1.0, "1080p": 1.5}[
                    view["resolution"]]
                size = (max(64, int(w * scale) // 2 * 2), max(64, int(h * scale) // 2 * 2))
                clip = media.mp4(*size, float(view["duration"]), 24)
                task["url"] = self.serve_file(clip, "video/mp4", ".mp4")
                task["tokens"] = int(w * h * 24 * view["duration"] / 1024)
            view["content"] = {"video_url": task["url"]}
            view["usage"] = {"completion_tokens": task["tokens"], "total_tokens": task["tokens"]}
        return view

    async def delete_task(self, request: Request) -> Response:
        task_id = request.path_params["task_id"]
        if (gate := await self._gate("delete_task", request, None)) is not None:
            return gate
        task = self.tasks.get(task_id)
        if task is None:
            return ark_error(404, "ResourceNotFound", f"task {task_id} not found",
                             kind="NotFound")
        current = task["script"].current
        status = current if isinstance(current, str) else current[0]
        if status == "running":
            return ark_error(409, "InvalidAction", "a running task cannot be cancelled")
        if status == "queued":
            task["cancelled"] = True
        else:
            task["deleted"] = True
        return JSONResponse({})

    async def list_tasks(self, request: Request) -> Response:
        if (gate := await self._gate("list_tasks", request, None)) is not None:
            return gate
        return JSONResponse({"items": [], "total": len(self.tasks)})
