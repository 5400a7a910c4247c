"""Fake ElevenLabs API: TTS with timestamps, Scribe speech-to-text, Music compose, user.

Validation errors are FastAPI's 422 {"detail": [{loc, msg, type}]}; other errors
{"detail": {"status", "message"}}; an exhausted quota is a 401 with `quota_exceeded`
(inject it with `Fault(401, QUOTA_EXCEEDED)`).
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, json_body
from .recognise import hear, remember

KEY = "xi-fake-elevenlabs-0123456789abcdef"
VOICE_ID = re.compile(r"^[A-Za-z0-9]{20}$")
LIMITS = {"eleven_v3": 3000, "eleven_multilingual_v2": 10000, "eleven_flash_v2_5": 40000,
          "eleven_turbo_v2_5": 40000, "eleven_flash_v2": 30000, "eleven_turbo_v2": 30000}
FORMATS = re.compile(r"^(mp3_(22050_32|24000_48|44100_(32|64|96|128|192))|pcm_(8000|16000|"
                     r"22050|24000|32000|44100|48000)|opus_48000_(32|64|96|128|192)|"
                     r"ulaw_8000|alaw_8000)$")
QUOTA_EXCEEDED = {"detail": {"status": "quota_exceeded", "message": "This request exceeds your "
                             "quota of 10000. You have 12 credits remaining, while 412 credits "
                             "are required for this request."}}
SECTION_FIELDS = ("section_name", "positive_local_styles", "negative_local_styles",
                  "duration_ms", "lines")


def invalid(*items: tuple[list[Any], str, str]) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": loc, "msg": msg, "type": kind}
                                    for loc, msg, kind in items]}, 422)


def detail(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"status": code, "message": message}}, status)


SERVER_ERROR: dict[str, Any] = {
    "detail": {"status": "system_busy", "message": "The system is busy."}}


class FakeElevenLabs(FakeProvider):
    name = "elevenlabs"
    key = KEY
    default_error = SERVER_ERROR

    def routes(self) -> list[Route]:
        return [
            Route("/v1/text-to-speech/{voice_id}/with-timestamps", self.tts, methods=["POST"]),
            Route("/v1/speech-to-text", self.stt, methods=["POST"]),
            Route("/v1/music", self.music, methods=["POST"]),
            Route("/v1/user", self.user, methods=["GET"]),
            Route("/v1/models", self.models, methods=["GET"]),
            self.file_route(),
        ]

    async def _gate(self, route: str, request: Request, body: Any) -> Response | None:
        self.record(route, request, body)
        key = request.headers.get("xi-api-key")
        if key != KEY:
            return detail(401, "invalid_api_key", "Invalid API key")
        fault = self.take_fault(route)
        return await self.answer_fault(fault)

    def _invalid(self, *items: tuple[list[Any], str, str]) -> Response:
        self.violation("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg, _ in items))
        return invalid(*items)

    # ------------------------------------------------------------------ TTS

    async def tts(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("tts", request, body)) is not None:
            return gate
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        if not FORMATS.match(fmt):
            return self._invalid((["query", "output_format"], "invalid output format", "enum"))
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return self._invalid((["body", "text"], "Field required", "missing"))
        voice_id = request.path_params["voice_id"]
        if not VOICE_ID.match(voice_id):
            self.violation(f"unknown voice {voice_id}")
            return detail(400, "voice_not_found", f"A voice with voice_id {voice_id} was "
                          "not found.")
        text, model = body["text"], body.get("model_id", "eleven_multilingual_v2")
        if len(text) > LIMITS.get(model, 5000):
            self.violation(f"{len(text)} characters > {model} limit")
            return detail(400, "max_character_limit_exceeded", "Text too long for this model.")
        if model.startswith("eleven_v3") and "<break" in text:
            self.violation("SSML <break> sent to eleven_v3 (it reads tags as audio tags only)")
        for key in ("previous_request_ids", "next_request_ids"):
            if len(body.get(key) or []) > 3:
                return self._invalid((["body", key], "at most 3 items", "too_long"))
        rate = int(fmt.split("_")[1])
        clip = media.speech(text, rate)
        remember(text, clip.duration)
        if fmt.startswith("pcm_"):
            audio = clip.samples.astype("<i2").tobytes()
        else:
            audio = media.mp3(clip.samples, rate) if fmt.startswith("mp3") \
                else media.wav(clip.samples, rate)
        alignment = {"characters": clip.characters,
                     "character_start_times_seconds": clip.starts,
                     "character_end_times_seconds": clip.ends}
        return JSONResponse(
            {"audio_base64": base64.b64encode(audio).decode(), "alignment": alignment,
             "normalized_alignment": alignment},
            headers={"request-id": uuid.uuid4().hex, "character-cost": str(len(text))},
        )

    # ------------------------------------------------------------------ Scribe

    async def stt(self, request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        if (gate := await self._gate("stt", request, fields)) is not None:
            return gate
        if not fields.get("model_id"):
            return self._invalid((["body", "model_id"], "Field required", "missing"))
        if fields["model_id"] not in ("scribe_v1", "scribe_v1_experimental", "scribe_v2"):
            return self._invalid((["body", "model_id"], "unknown model", "enum"))
        upload = form.get("file")
        has_url = bool(fields.get("cloud_storage_url") or fields.get("source_url"))
        if (upload is None or isinstance(upload, str)) == (not has_url):
            return self._invalid((["body", "file"], "exactly one of file or "
                                  "cloud_storage_url/source_url is required", "value_error"))
        granularity = fields.get("timestamps_granularity", "word")
        if granularity not in ("none", "word", "character"):
            return self._invalid((["body", "timestamps_granularity"], "invalid", "enum"))
        assert upload is not None and not isinstance(upload, str)
        try:
            samples, rate = media.decode_any(await upload.read())
        except Exception:
            return detail(400, "invalid_audio", "The audio file could not be decoded.")
        words: list[dict[str, Any]] = []
        for i, (word, start, end) in enumerate(hear(samples, rate)):
            if i:
                words.append({"text": " ", "start": words[-1]["end"], "end": start,
                              "type": "spacing", "speaker_id": "speaker_0", "logprob": 0.0})
            words.append({"text": word, "start": start, "end": end, "type": "word",
                          "speaker_id": "speaker_0", "logprob": -0.05})
        return JSONResponse({
            "language_code": "eng", "language_probability": 0.98,
            "text": " ".join(w["text"] for w in words if w["type"] == "word"),
            "words": words if granularity != "none" else [],
            "transcription_id": uuid.uuid4().hex,
            "audio_duration_secs": round(len(samples) / rate, 3),
        })

    # ------------------------------------------------------------------ Music

    async def music(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("music", request, body)) is not None:
            return gate
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        if not FORMATS.match(fmt):
            return self._invalid((["query", "output_format"], "invalid output format", "enum"))
        if not isinstance(body, dict):
            return self._invalid((["body"], "JSON object required", "type_error"))
        problems = self._music_problems(body)
        if problems:
            return self._invalid(*problems)
        plan = body.get("composition_plan")
        seconds = (sum(s["duration_ms"] for s in plan["sections"]) if plan
                   else body.get("music_length_ms") or 30000) / 1000
        rate = int(fmt.split("_")[1])
        samples = media.music(seconds, rate)
        audio = samples_to(fmt, samples, rate)
        return Response(audio, media_type="audio/mpeg" if fmt.startswith("mp3") else
                        "audio/pcm", headers={"song-id": uuid.uuid4().hex})

    def _music_problems(self, body: dict[str, Any]) -> list[tuple[list[Any], str, str]]:
        plan, prompt = body.get("composition_plan"), body.get("prompt")
        if (plan is None) == (prompt is None):
            return [(["body"], "exactly one of prompt or composition_plan", "value_error")]
        if plan is None:
            length = body.get("music_length_ms")
            if length is not None and not 10000 <= length <= 300000:
                return [(["body", "music_length_ms"], "10000 to 300000", "range")]
            return []
        if body.get("force_instrumental") is not None or body.get("music_length_ms"):
            return [(["body"], "force_instrumental/music_length_ms only with prompt",
                     "value_error")]
        problems: list[tuple[list[Any], str, str]] = []
        for key in ("positive_global_styles", "negative_global_styles", "sections"):
            if not isinstance(plan.get(key), list):
                problems.append((["body", "composition_plan", key], "Field required",
                                 "missing"))
        for i, section in enumerate(plan.get("sections") or []):
            loc = ["body", "composition_plan", "sections", i]
            missing = [f for f in SECTION_FIELDS if f not in section]
            if missing:
                problems.append(([*loc, missing[0]], "Field required", "missing"))
                continue
            if not 3000 <= section["duration_ms"] <= 120000:
                problems.append(([*loc, "duration_ms"], "3000 to 120000", "range"))
            if not 1 <= len(section["section_name"]) <= 100:
                problems.append(([*loc, "section_name"], "1 to 100 characters", "length"))
            if len(section["lines"]) > 30:
                problems.append(([*loc, "lines"], "at most 30 lines", "too_long"))
        if len(plan.get("sections") or []) > 30:
            problems.append((["body", "composition_plan", "sections"], "at most 30", "too_long"))
        return problems

    # ------------------------------------------------------------------ account

    async def user(self, request: Request) -> Response:
        if (gate := await self._gate("user", request, None)) is not None:
            return gate
        return JSONResponse({"user_id": "u1", "subscription": {
            "tier": "creator", "character_count": 1200, "character_limit": 100000,
            "status": "active"}})

    async def models(self, request: Request) -> Response:
        if (gate := await self._gate("models", request, None)) is not None:
            return gate
        return JSONResponse([{"model_id": m, "name": m, "max_characters_request_subscribed_user":
                              limit} for m, limit in LIMITS.items()])


def samples_to(fmt: str, samples: Any, rate: int) -> bytes:
    if fmt.startswith("pcm_"):
        mono = samples.mean(axis=1) if samples.ndim == 2 else samples
        return (mono.clip(-1, 1) * 32767).astype("<i2").tobytes()
    if fmt.startswith("mp3"):
        return media.mp3(samples, rate)
    return media.wav(samples, rate)
