"""Fake Replicate API: predictions (official-model and version routes, `Prefer: wait`),
polling, cancel, file uploads, account.

Predictions walk starting -> processing -> succeeded by default (one step per poll). With
`Prefer: wait=N` the create call answers after `sync_steps` steps, so a short script comes
back final and a longer one must be polled. Errors are RFC 7807 {title, detail, status}.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, TaskScript, json_body, triggered

KEY = "r8_fakeReplicateToken0123456789abcdef"
IMAGE_FIELDS = ("image", "start_image", "first_frame_image", "image_url", "input_image")
IMAGE_LIST_FIELDS = ("image_input", "input_images")
"""List inputs of reference images (bytedance/seedream-4, google/nano-banana: up to 10)."""
REFERENCE_LIMIT = 10
TERMINAL = {"succeeded", "failed", "canceled"}
NSFW_ERROR = "NSFW content detected. Try running it again, or try a different prompt."


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"title": title, "detail": detail, "status": status, **extra}, status,
                        media_type="application/problem+json")


SERVER_ERROR: dict[str, Any] = {
    "title": "Internal Server Error", "detail": "try again", "status": 500}


class FakeReplicate(FakeProvider):
    name = "replicate"
    key = KEY
    default_error = SERVER_ERROR

    def __init__(self) -> None:
        super().__init__()
        self.predictions: dict[str, dict[str, Any]] = {}
        self.sync_steps = 3

    def reset(self) -> None:
        super().reset()
        self.predictions.clear()
        self.sync_steps = 3

    def routes(self) -> list[Route]:
        return [
            Route("/v1/models/{owner}/{model}/predictions", self.create_official,
                  methods=["POST"]),
            Route("/v1/predictions", self.create_version, methods=["POST"]),
            Route("/v1/predictions/{pid}", self.get_prediction, methods=["GET"]),
            Route("/v1/predictions/{pid}/cancel", self.cancel, methods=["POST"]),
            Route("/v1/files", self.upload, methods=["POST"]),
            Route("/v1/account", self.account, methods=["GET"]),
            self.file_route(),
        ]

    async def _gate(self, route: str, request: Request, body: Any) -> Response | None:
        self.record(route, request, body)
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return problem(401, "Unauthenticated", "You did not pass a valid authentication "
                           "token")
        fault = self.take_fault(route)
        return await self.answer_fault(fault)

    def _invalid(self, detail: str, field: str) -> Response:
        self.violation(detail)
        return problem(422, "Input validation failed", detail,
                       invalid_fields=[{"type": "required", "field": field,
                                        "description": detail}])

    # ------------------------------------------------------------------ predictions

    async def create_official(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("create", request, body)) is not None:
            return gate
        model = f"{request.path_params['owner']}/{request.path_params['model']}"
        return self._create(request, body, model, version=None)

    async def create_version(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("create", request, body)) is not None:
            return gate
        if not isinstance(body, dict) or not re.fullmatch(r"[0-9a-f]{8,64}",
                                                          str(body.get("version", ""))):
            return self._invalid("version must be a version id", "version")
        return self._create(request, body, "owner/model", version=body["version"])

    def _create(self, request: Request, body: Any, model: str, version: str | None) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return self._invalid("input is required", "input")
        inputs = body["input"]
        if not isinstance(inputs.get("prompt"), str) or not inputs["prompt"]:
            return self._invalid("prompt is required", "input.prompt")
        for key in IMAGE_FIELDS:
            url = inputs.get(key)
            if url is not None and not (isinstance(url, str) and url.startswith(
                    ("data:image/", "http://", "https://"))):
                return self._invalid(f"{key} must be a URL or data URI", f"input.{key}")
        for key in IMAGE_LIST_FIELDS:
            if key in inputs and (wrong := media.image_list_problem(
                    inputs[key], REFERENCE_LIMIT)) is not None:
                return self._invalid(f"{key}: {wrong}", f"input.{key}")
        pid = uuid.uuid4().hex[:26]
        steps: list[Any] = ["starting", "processing", "succeeded"]
        if triggered(inputs["prompt"]):
            steps = ["starting", ("failed", NSFW_ERROR)]
        prediction = {"id": pid, "model": model, "version": version or "v-official",
                      "input": inputs, "script": self.next_script(steps),
                      "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "video": any(inputs.get(k) for k in IMAGE_FIELDS)}
        self.predictions[pid] = prediction
        wait = request.headers.get("prefer", "")
        step = "starting"
        if wait.startswith("wait"):
            for _ in range(self.sync_steps):
                step = prediction["script"].advance()
                if self._status(step) in TERMINAL:
                    break
        return JSONResponse(self._view(prediction, step), 201)

    @staticmethod
    def _status(step: Any) -> str:
        return step if isinstance(step, str) else step[0]

    def _view(self, prediction: dict[str, Any], step: Any) -> dict[str, Any]:
        status = "canceled" if prediction.get("canceled") else self._status(step)
        error = None if isinstance(step, str) else step[1]
        pid = prediction["id"]
        view = {
            "id": pid, "model": prediction["model"], "version": prediction["version"],
            "input": prediction["input"], "logs": "", "output": None, "error": error,
            "status": status, "created_at": prediction["created_at"], "data_removed": False,
            "urls": {"get": f"{self.origin}/v1/predictions/{pid}",
                     "cancel": f"{self.origin}/v1/predictions/{pid}/cancel"},
        }
        if status == "succeeded":
            view["output"] = self._output(prediction)
            view["metrics"] = {"predict_time": 1.2}
        return view

    def _output(self, prediction: dict[str, Any]) -> Any:
        if "output" not in prediction:
            inputs = prediction["input"]
            if prediction["video"]:
                seconds = float(inputs.get("duration") or 5)
                w, h = (int(832 * self.video_scale) // 2 * 2, int(480 * self.video_scale) // 2 * 2)
                url = self.serve_file(media.mp4(max(64, w), max(64, h), seconds, 24),
                                      "video/mp4", ".mp4")
                prediction["output"] = url
            else:
                png = media.png(1344, 768, seed=len(inputs["prompt"]))
                prediction["output"] = [self.serve_file(png, "image/png", ".png")]
        return prediction["output"]

    async def get_prediction(self, request: Request) -> Response:
        if (gate := await self._gate("get", request, None)) is not None:
            return gate
        prediction = self.predictions.get(request.path_params["pid"])
        if prediction is None:
            return problem(404, "Not found", "The requested resource could not be found.")
        script: TaskScript = prediction["script"]
        step = script.current if prediction.get("canceled") else script.advance()
        return JSONResponse(self._view(prediction, step))

    async def cancel(self, request: Request) -> Response:
        if (gate := await self._gate("cancel", request, None)) is not None:
            return gate
        prediction = self.predictions.get(request.path_params["pid"])
        if prediction is None:
            return problem(404, "Not found", "The requested resource could not be found.")
        prediction["canceled"] = True
        return JSONResponse(self._view(prediction, prediction["script"].current))

    # ------------------------------------------------------------------ files, account

    async def upload(self, request: Request) -> Response:
        form = await request.form()
        if (gate := await self._gate("files", request, None)) is not None:
            return gate
        upload = form.get("content")
        if upload is None or isinstance(upload, str):
            return self._invalid("content is required", "content")
        data = await upload.read()
        url = self.serve_file(data, upload.content_type or "application/octet-stream", ".bin")
        return JSONResponse({"id": uuid.uuid4().hex, "name": upload.filename,
                             "content_type": upload.content_type, "size": len(data),
                             "etag": base64.b16encode(data[:8]).decode(), "checksums": {},
                             "metadata": {}, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "urls": {"get": url}}, 201)

    async def account(self, request: Request) -> Response:
        if (gate := await self._gate("account", request, None)) is not None:
            return gate
        return JSONResponse({"type": "user", "username": "reelforge-test", "name": "Test",
                             "github_url": None})
