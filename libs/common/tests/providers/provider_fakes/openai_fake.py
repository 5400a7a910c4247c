"""Fake OpenAI API (/v1): models, chat completions with strict json_schema, audio speech,
audio transcriptions (whisper-1 verbose_json words) and gpt-image-1 generations and edits.

Chat completions can play other OpenAI-compatible servers (`structured`): one that takes
`json_object` with a `schema` but rejects `json_schema` the way llama-cpp-python's server
does (HTTP 500, its pydantic message), and one that takes plain `json_object` only (HTTP
400 naming `response_format`). And the model can answer `adversarially`: schema-valid JSON
that numbers, references and counts things wrong, as small local models do.

Errors use OpenAI's envelope {"error": {"message", "type", "param", "code"}}. Like the real
API, a bad key is echoed back in the 401 message (here in full, the worst case for
redaction).
"""

from __future__ import annotations

import base64
import time
from collections import deque
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, json_body, triggered
from .llm_answers import SCHEMA_NAME, answer, context_of, schema_of, strict_problems
from .recognise import hear, remember

KEY = "sk-fake-openai-0123456789abcdefABCDEF"
MODELS = ["gpt-4o-mini", "gpt-4o", "tts-1", "tts-1-hd", "gpt-4o-mini-tts", "whisper-1",
          "gpt-image-1"]
VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage",
          "shimmer", "verse", "marin", "cedar"}
TTS_MODELS = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"}
AUDIO_FORMATS = {"mp3", "opus", "aac", "flac", "wav", "pcm"}
IMAGE_SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
EDIT_FORMATS = {"PNG", "WEBP", "JPEG"}


def error(status: int, message: str, *, code: str | None = None, param: str | None = None,
          kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param,
                                   "code": code}}, status)


SERVER_ERROR: dict[str, Any] = {"error": {
    "message": "The server had an error while processing your request.",
    "type": "server_error", "param": None, "code": None}}

Structured = Literal["json_schema", "json_object_schema", "json_object"]
LLAMA_CPP_REJECTION = (
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input "
    "should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': "
    "\"'text' or 'json_object'\"}}]")
"""What llama-cpp-python's server says (HTTP 500, type internal_server_error) to
`response_format: {type: json_schema}`: its request model's validation error, as text."""


class FakeOpenAI(FakeProvider):
    name = "openai"
    key = KEY
    default_error = SERVER_ERROR

    def __init__(self) -> None:
        super().__init__()
        self.chat_answers: deque[Any] = deque()
        self.structured: Structured = "json_schema"
        """The most constrained response_format this server takes."""
        self.adversarial = False
        """Whether the model answers schema-valid but wrong (see llm_answers.adversarial)."""

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def queue_answer(self, *answers: Any) -> None:
        """The next chat completions answer these (a content string, or a message dict)."""
        self.chat_answers.extend(answers)

    def reset(self) -> None:
        super().reset()
        self.chat_answers.clear()
        self.structured = "json_schema"
        self.adversarial = False

    def routes(self) -> list[Route]:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/audio/speech", self.speech, methods=["POST"]),
            Route("/v1/audio/transcriptions", self.transcriptions, methods=["POST"]),
            Route("/v1/images/generations", self.images, methods=["POST"]),
            Route("/v1/images/edits", self.edits, methods=["POST"]),
            self.file_route(),
        ]

    async def _gate(self, route: str, request: Request, body: Any) -> Response | None:
        """Record, check auth, apply injected faults."""
        self.record(route, request, body)
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {KEY}":
            given = auth.removeprefix("Bearer ")
            return error(401, f"Incorrect API key provided: {given}. You can find your API key "
                         "at https://platform.openai.com/account/api-keys.",
                         code="invalid_api_key")
        fault = self.take_fault(route)
        return await self.answer_fault(fault)

    def _bad(self, message: str, param: str | None = None, code: str | None = None) -> Response:
        self.violation(message)
        return error(400, message, param=param, code=code)

    # ------------------------------------------------------------------ routes

    async def models(self, request: Request) -> Response:
        if (gate := await self._gate("models", request, None)) is not None:
            return gate
        return JSONResponse({"object": "list", "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "openai"}
            for m in MODELS]})

    async def chat(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("chat", request, body)) is not None:
            return gate
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return self._bad("you must provide a model parameter", "model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and m.get("role") and "content" in m for m in messages):
            return self._bad("'messages' must be a non-empty list of {role, content}",
                             "messages")
        problem = self._check_format(body.get("response_format"))
        if problem:
            return self._bad(problem, "response_format")
        if (refusal := self._unsupported(body.get("response_format"))) is not None:
            return refusal
        if not self._images_ok(messages):
            return self._bad("image_url parts must be base64 data URLs of images",
                             "messages")
        return self._completion(body, messages)

    def _check_format(self, fmt: Any) -> str | None:
        if fmt is None:
            return None
        if not isinstance(fmt, dict) or fmt.get("type") not in ("json_schema", "json_object",
                                                                "text"):
            return "Invalid response_format type"
        if fmt["type"] != "json_schema":
            return None
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not SCHEMA_NAME.match(str(spec.get("name", ""))):
            return "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$"
        if spec.get("strict") is True:
            problems = strict_problems(spec.get("schema"))
            if problems:
                return f"Invalid schema for response_format '{spec['name']}': {problems[0]}"
        return None

    def _unsupported(self, fmt: Any) -> Response | None:
        """How a less capable server refuses a response_format it does not take (not a
        contract violation: the client is expected to fall back)."""
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind == "json_schema" and self.structured == "json_object_schema":
            return error(500, LLAMA_CPP_REJECTION, kind="internal_server_error")
        if kind == "json_schema" and self.structured == "json_object":
            return error(400, "response_format type 'json_schema' is not supported by this "
                         "server", param="response_format")
        if kind == "json_object" and "schema" in fmt and self.structured == "json_object":
            return error(400, "response_format: extra field 'schema' is not permitted",
                         param="response_format")
        return None

    def _images_ok(self, messages: list[dict[str, Any]]) -> bool:
        for message in messages:
            content = message.get("content")
            for part in content if isinstance(content, list) else []:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    url = str((part.get("image_url") or {}).get("url", ""))
                    head, _, payload = url.partition(",")
                    if not head.startswith("data:image/") or not head.endswith(";base64"):
                        return False
                    try:
                        media.image_size(base64.b64decode(payload))
                    except Exception:
                        return False
        return True

    def _completion(self, body: dict[str, Any], messages: list[dict[str, Any]]) -> Response:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        if self.chat_answers:
            queued = self.chat_answers.popleft()
            if isinstance(queued, dict):
                message.update(queued)
                finish = queued.get("finish_reason", finish)
                message.pop("finish_reason", None)
            else:
                message["content"] = queued
        else:
            name, schema = schema_of(body.get("response_format"), messages)
            message["content"] = answer(name, schema, context_of(messages),
                                        adversarial=self.adversarial)
        prompt_chars = sum(len(str(m.get("content"))) for m in messages)
        completion = len(message.get("content") or "")
        return JSONResponse({
            "id": f"chatcmpl-{int(time.time() * 1000)}", "object": "chat.completion",
            "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": completion // 4,
                      "total_tokens": (prompt_chars + completion) // 4},
        })

    async def speech(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("speech", request, body)) is not None:
            return gate
        if not isinstance(body, dict):
            return self._bad("body must be JSON")
        text, model = body.get("input"), body.get("model")
        if model not in TTS_MODELS:
            return self._bad(f"invalid model {model!r}", "model")
        if not isinstance(text, str) or not text or len(text) > 4096:
            return self._bad("'input' must be 1 to 4096 characters", "input")
        voice = body.get("voice")
        if not (voice in VOICES or (isinstance(voice, dict) and voice.get("id"))):
            return self._bad(f"invalid voice {voice!r}", "voice")
        fmt = body.get("response_format", "mp3")
        if fmt not in AUDIO_FORMATS:
            return self._bad(f"invalid response_format {fmt!r}", "response_format")
        if body.get("instructions") and str(model).startswith("tts-1"):
            return self._bad("instructions are not supported by tts-1", "instructions")
        clip = media.speech(text, 24000)
        remember(text, clip.duration)
        if fmt == "pcm":
            return Response(clip.samples.astype("<i2").tobytes(), media_type="audio/pcm")
        if fmt == "wav":
            return Response(media.wav(clip.samples, 24000), media_type="audio/wav")
        return Response(media.mp3(clip.samples, 24000), media_type="audio/mpeg")

    async def transcriptions(self, request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        upload = form.get("file")
        if (gate := await self._gate("transcriptions", request, fields)) is not None:
            return gate
        if upload is None or isinstance(upload, str):
            return self._bad("'file' is a required multipart field", "file")
        data = await upload.read()
        if len(data) > 25 * 1024 * 1024:
            return self._bad("Maximum content size limit (26214400) exceeded", "file")
        fmt = fields.get("response_format", "json")
        granularities = form.getlist("timestamp_granularities[]")
        if fields.get("model") != "whisper-1" and fmt == "verbose_json":
            return self._bad("verbose_json is only supported by whisper-1", "response_format")
        if granularities and fmt != "verbose_json":
            return self._bad("timestamp_granularities requires verbose_json",
                             "timestamp_granularities")
        try:
            samples, rate = media.decode_any(data)
        except Exception:
            return self._bad("Invalid file format.", "file")
        words = hear(samples, rate, fields.get("prompt"))
        duration = round(len(samples) / rate, 3)
        result: dict[str, Any] = {"task": "transcribe", "language": "english",
                                  "duration": duration, "text": " ".join(w for w, _, _ in words),
                                  "usage": {"type": "duration", "seconds": duration}}
        if "word" in granularities:
            result["words"] = [{"word": w, "start": a, "end": b} for w, a, b in words]
        return JSONResponse(result)

    async def images(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("images", request, body)) is not None:
            return gate
        if not isinstance(body, dict):
            return self._bad("body must be JSON")
        return self._image(body)

    async def edits(self, request: Request) -> Response:
        """POST /v1/images/edits, multipart: the input images as `image[]` parts (or one
        `image`), up to 16 for gpt-image-1, each a png, webp or jpg under 50 MB; the other
        parameters as for generations. Recorded with the images' bytes under `images`."""
        form = await request.form()
        fields: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        uploads = [*form.getlist("image[]"), *form.getlist("image")]
        images = [await u.read() for u in uploads if not isinstance(u, str)]
        if (gate := await self._gate("edits", request, {**fields, "images": images})) \
                is not None:
            return gate
        if not images or len(images) != len(uploads):
            return self._bad("'image' is a required multipart file field", "image")
        if len(images) > 16:
            return self._bad("gpt-image-1 accepts at most 16 images", "image")
        for data in images:
            if len(data) >= 50 * 1024 * 1024 or media.image_format(data) not in EDIT_FORMATS:
                return self._bad("Invalid image: each must be a png, webp or jpg file under "
                                 "50MB", "image")
        return self._image(fields)

    def _image(self, body: dict[str, Any]) -> Response:
        if "response_format" in body and str(body.get("model", "")).startswith("gpt-image"):
            return self._bad("Unknown parameter: 'response_format'.", "response_format",
                             "unknown_parameter")
        prompt, size = body.get("prompt"), body.get("size", "auto")
        if not isinstance(prompt, str) or not prompt or len(prompt) > 32000:
            return self._bad("'prompt' must be 1 to 32000 characters", "prompt")
        if size not in IMAGE_SIZES:
            return self._bad(f"Invalid size {size!r} for gpt-image-1", "size")
        if not 1 <= int(body.get("n", 1)) <= 10:
            return self._bad("'n' must be 1 to 10", "n")
        if triggered(prompt):
            return error(400, "Your request was rejected as a result of our safety system. "
                         "Your request may contain content that is not allowed.",
                         code="moderation_blocked", kind="image_generation_user_error")
        w, h = (1024, 1024) if size == "auto" else map(int, size.split("x"))
        png = media.png(w, h, seed=len(prompt))
        return JSONResponse({
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(png).decode()}],
            "background": "opaque", "output_format": "png", "quality": body.get("quality"),
            "size": f"{w}x{h}",
            "usage": {"input_tokens": len(prompt) // 4, "output_tokens": 1056,
                      "total_tokens": len(prompt) // 4 + 1056,
                      "input_tokens_details": {"text_tokens": len(prompt) // 4,
                                               "image_tokens": 0}},
        })
