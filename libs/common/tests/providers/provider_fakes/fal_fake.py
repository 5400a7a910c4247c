"""Fake fal.ai queue API: submit to `/{owner}/{app}[/{subpath}]`, then status and result
under `/{owner}/{app}/requests/{id}` (subpath dropped), cancel with PUT.

Status: IN_QUEUE (with queue_position) -> IN_PROGRESS -> COMPLETED; a failed run is
COMPLETED with `error` and `error_type`, and its result answers 4xx. Image apps flag unsafe
output with `has_nsfw_concepts`; errors are {"detail": str | [{loc, msg, type}]}.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, TaskScript, json_body, triggered

KEY = "fal-fake-key-id:0123456789abcdef0123456789abcdef"
DATA_OR_URL = re.compile(r"^(data:image/[a-z]+;base64,|https?://)")
REFERENCE_LIMIT = 10
"""`image_urls` of the multi-image apps (Seedream v4 edit, FLUX Kontext multi): up to 10."""


SERVER_ERROR: dict[str, Any] = {"detail": "Internal server error"}

class FakeFal(FakeProvider):
    name = "fal"
    key = KEY
    default_error = SERVER_ERROR

    def __init__(self) -> None:
        super().__init__()
        self.requests_by_id: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        super().reset()
        self.requests_by_id.clear()

    def routes(self) -> list[Route]:
        return [
            self.file_route(),
            Route("/{owner}/{app}/requests/{rid}/status", self.status, methods=["GET"]),
            Route("/{owner}/{app}/requests/{rid}/cancel", self.cancel, methods=["PUT"]),
            Route("/{owner}/{app}/requests/{rid}", self.result, methods=["GET"]),
            Route("/{model:path}", self.submit, methods=["POST"]),
        ]

    async def _gate(self, route: str, request: Request, body: Any) -> Response | None:
        self.record(route, request, body)
        if request.headers.get("authorization") != f"Key {KEY}":
            return JSONResponse({"detail": "Unauthorized: invalid or missing key"}, 401)
        fault = self.take_fault(route)
        return await self.answer_fault(fault)

    def _invalid(self, field: str, message: str) -> Response:
        self.violation(f"{field}: {message}")
        return JSONResponse({"detail": [{"loc": ["body", field], "msg": message,
                                         "type": "value_error"}]}, 422)

    async def submit(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("submit", request, body)) is not None:
            return gate
        model = request.path_params["model"].strip("/")
        if model.count("/") < 1:
            return JSONResponse({"detail": "Application not found"}, 404)
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return self._invalid("prompt", "field required")
        video = "video" in model or "i2v" in model
        if video and not DATA_OR_URL.match(str(body.get("image_url", ""))):
            return self._invalid("image_url", "a URL or image data URI is required")
        if "duration" in body and "kling" in model and body["duration"] not in ("5", "10"):
            return self._invalid("duration", "must be '5' or '10'")
        if "image_urls" in body and (problem := media.image_list_problem(
                body["image_urls"], REFERENCE_LIMIT)) is not None:
            return self._invalid("image_urls", problem)
        size = body.get("image_size")
        if size is not None and not (isinstance(size, str) or (
                isinstance(size, dict) and {"width", "height"} <= set(size))):
            return self._invalid("image_size", "an enum name or {width, height}")
        rid = str(uuid.uuid4())
        root = "/".join(model.split("/")[:2])
        steps: list[Any] = ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
        if triggered(body["prompt"]) and video:
            steps = ["IN_QUEUE", ("COMPLETED", "content_policy_violation")]
        self.requests_by_id[rid] = {"model": model, "root": root, "input": body,
                                    "video": video, "script": self.next_script(steps),
                                    "nsfw": triggered(body["prompt"]) and not video}
        base = f"{self.origin}/{root}/requests/{rid}"
        return JSONResponse({"request_id": rid, "gateway_request_id": rid,
                             "response_url": base, "status_url": f"{base}/status",
                             "cancel_url": f"{base}/cancel", "queue_position": 0},
                            headers={"x-fal-request-id": rid})

    def _lookup(self, request: Request) -> dict[str, Any] | None:
        item = self.requests_by_id.get(request.path_params["rid"])
        root = f"{request.path_params['owner']}/{request.path_params['app']}"
        if item is not None and item["root"] != root:
            self.violation(f"request polled under {root}, not its app root {item['root']}")
            return None
        return item

    async def status(self, request: Request) -> Response:
        if (gate := await self._gate("status", request, None)) is not None:
            return gate
        item = self._lookup(request)
        if item is None:
            return JSONResponse({"detail": "Request not found"}, 404)
        script: TaskScript = item["script"]
        step = script.current if item.get("cancelled") else script.advance()
        status, error_type = (step, None) if isinstance(step, str) else step
        view: dict[str, Any] = {"status": status, "request_id": request.path_params["rid"],
                                "response_url": f"{self.origin}/{item['root']}/requests/"
                                f"{request.path_params['rid']}", "logs": []}
        if status == "IN_QUEUE":
            view["queue_position"] = 0
        if status == "COMPLETED":
            view["metrics"] = {"inference_time": 1.1}
        if error_type or item.get("cancelled"):
            view["status"] = "COMPLETED"
            view["error"] = "Request was cancelled" if item.get("cancelled") else \
                "The content could not be processed because it violates the content policy."
            view["error_type"] = "request_cancelled" if item.get("cancelled") else error_type
        return JSONResponse(view)

    async def result(self, request: Request) -> Response:
        if (gate := await self._gate("result", request, None)) is not None:
            return gate
        item = self._lookup(request)
        if item is None:
            return JSONResponse({"detail": "Request not found"}, 404)
        current = item["script"].current
        if not isinstance(current, str):
            return JSONResponse({"detail": [{"loc": ["body", "prompt"], "msg": "content "
                                             "policy violation", "type": current[1]}]}, 422,
                                headers={"x-fal-error-type": current[1]})
        if current != "COMPLETED":
            return JSONResponse({"detail": "Request is still in progress"}, 400)
        return JSONResponse(self._output(item))

    def _output(self, item: dict[str, Any]) -> dict[str, Any]:
        if "output" in item:
            return dict(item["output"])
        inputs = item["input"]
        if item["video"]:
            seconds = float(inputs.get("duration") or 5)
            w, h = (int(1280 * self.video_scale) // 2 * 2, int(720 * self.video_scale) // 2 * 2)
            clip = media.mp4(max(64, w), max(64, h), seconds, 24)
            url = self.serve_file(clip, "video/mp4", ".mp4")
            item["output"] = {"video": {"url": url, "content_type": "video/mp4",
                                        "file_name": "out.mp4", "file_size": len(clip)}}
        else:
            size = inputs.get("image_size") if isinstance(inputs.get("image_size"), dict) \
                else {"width": 1024, "height": 768}
            png = media.png(int(size["width"]), int(size["height"]),
                            seed=len(inputs["prompt"]))
            url = self.serve_file(png, "image/png", ".png")
            item["output"] = {"images": [{"url": url, "content_type": "image/png",
                                          "width": size["width"], "height": size["height"]}],
                              "seed": inputs.get("seed", 42), "prompt": inputs["prompt"],
                              "has_nsfw_concepts": [bool(item["nsfw"])],
                              "timings": {"inference": 0.4}}
        item["finished_at"] = time.time()
        return dict(item["output"])

    async def cancel(self, request: Request) -> Response:
        if (gate := await self._gate("cancel", request, None)) is not None:
            return gate
        item = self._lookup(request)
        if item is None:
            return JSONResponse({"detail": "Request not found"}, 404)
        if item["script"].current != "IN_QUEUE":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, 400)
        item["cancelled"] = True
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, 202)
