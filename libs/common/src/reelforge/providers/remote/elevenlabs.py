"""ElevenLabs: text-to-speech with character timestamps, Scribe speech-to-text, Music, through
the official `elevenlabs` SDK.

The SDK's own retries are off (`max_retries: 0` on every request): each call runs under the
shared HTTP layer's policy (`ApiClient.sdk`), which reads the SDK's `ApiError` back into
status, headers and body. Auth is the `xi-api-key` header. An exhausted quota comes back as
HTTP 401 with `detail.status = "quota_exceeded"`: raised once, permanent, with ElevenLabs'
message. TTS asks for raw PCM (`pcm_24000` by default) so no MP3 decoder is involved; Music returns
MP3 by default, decoded with PyAV.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from elevenlabs import AsyncElevenLabs, MusicPrompt
from elevenlabs.core import ApiError, RequestOptions
from elevenlabs.core.parse_error import ParsingError

from reelforge.models import Word
from reelforge.providers import costs
from reelforge.providers.base import Audio, ProviderError, ScorePlan, ScoreSection, Speech
from reelforge.providers.calls import charge, check_budget
from reelforge.providers.remote.config import require_key
from reelforge.providers.remote.http import (
    ApiClient,
    ErrorAnswer,
    ErrorInfo,
    HttpPolicy,
    Outcome,
    error_info_of,
)
from reelforge.providers.remote.media import (
    MediaError,
    b64decode,
    concat_audio,
    decode_audio,
    fit_duration,
    pcm16_audio,
    wav_bytes,
)
from reelforge.providers.remote.speech import (
    Timed,
    for_elevenlabs,
    map_words,
    plain,
    split_text,
    transcript_words,
    words_from_characters,
)
from reelforge.settings import Settings

NAME = "elevenlabs"

# Characters per request (docs, Aug 2025); v3 is capped at the safe 3,000.
CHARACTER_LIMITS = {
    "eleven_v3": 3000,
    "eleven_flash_v2_5": 40000,
    "eleven_turbo_v2_5": 40000,
    "eleven_flash_v2": 30000,
    "eleven_turbo_v2": 30000,
    "eleven_multilingual_v2": 10000,
}
DEFAULT_LIMIT = 3000
VOICE_ID = re.compile(r"^[A-Za-z0-9]{16,32}$")
PERMANENT_CODES = {"quota_exceeded", "invalid_api_key", "voice_not_found",
                   "max_character_limit_exceeded", "only_for_creator+", "missing_permissions",
                   "payment_required"}
BUSY_CODES = {"too_many_concurrent_requests", "system_busy"}

SECTION_MS = (3_000, 120_000)  # per composition-plan section
MUSIC_MS = (10_000, 300_000)  # whole piece (2025 docs; the 2026 SDK allows more)
MAX_SECTIONS = 30


def classify(info: ErrorInfo) -> Outcome:
    code = (info.code or "").lower()
    if code in PERMANENT_CODES:
        return "permanent"
    if code in BUSY_CODES:
        return "retry"
    if "policy" in code or "moderation" in code or "terms_of_service" in code:
        return "content_policy"
    return "default"


def sdk_errors(exc: Exception) -> ErrorAnswer | Exception | None:
    """The SDK's exceptions in the HTTP layer's terms. It raises `ApiError` for an error
    status and for a 2xx body that is not JSON (with the text as body); transport errors come
    through as httpx's own."""
    if isinstance(exc, ApiError | ParsingError) and exc.status_code is not None:
        status, headers = exc.status_code, httpx.Headers(exc.headers or {})
        return ErrorAnswer(status, headers, error_info_of(status, exc.body))
    return None


NO_RETRIES: RequestOptions = {"max_retries": 0}


class PolicyTimeouts(httpx.AsyncBaseTransport):
    """The policy's connect, read, write and pool timeouts on every request: the SDK sends
    one number per request, which httpx would apply to all four."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._timeout = timeout.as_dict()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions["timeout"] = self._timeout
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class ElevenLabsApi(ApiClient):
    """The configured endpoint (ELEVENLABS_BASE_URL) and key, and an SDK client per
    operation."""

    def __init__(self, settings: Settings) -> None:
        key = require_key(NAME, settings.elevenlabs_api_key, "ELEVENLABS_API_KEY")
        super().__init__(NAME, settings.elevenlabs_base_url,
                         policy=HttpPolicy.from_settings(settings), secrets=(key,),
                         classify=classify, sdk_errors=sdk_errors)
        self.key = key

    @asynccontextmanager
    async def client(self) -> AsyncIterator[AsyncElevenLabs]:
        """An `AsyncElevenLabs` on its own httpx pool, closed with the operation, so no client
        outlives the event loop it was made on."""
        timeout = self.policy.timeout()
        async with httpx.AsyncClient(transport=PolicyTimeouts(timeout), timeout=timeout) as http:
            yield AsyncElevenLabs(api_key=self.key, base_url=self.base_url, httpx_client=http)


async def check_user(api: ElevenLabsApi) -> str:
    """GET /v1/user: free; shows the plan's remaining characters."""
    async with api.client() as client:
        user = await api.sdk("GET /v1/user", lambda: client.user.get(request_options=NO_RETRIES))
    sub = getattr(user, "subscription", None)
    used, limit = getattr(sub, "character_count", None), getattr(sub, "character_limit", None)
    quota = f", {limit - used} of {limit} characters left" \
        if isinstance(used, int) and isinstance(limit, int) else ""
    return f"{api.base_url}: key accepted (tier {getattr(sub, 'tier', '?')}{quota})"


def decode_output(data: bytes, output_format: str) -> Audio:
    """pcm_<rate> is headerless s16le mono; everything else goes through PyAV."""
    match = re.fullmatch(r"pcm_(\d+)", output_format)
    if match:
        return pcm16_audio(data, int(match.group(1)))
    return decode_audio(data)


# --------------------------------------------------------------------------- TTS


class ElevenLabsTTS:
    """/v1/text-to-speech/{voice_id}/with-timestamps; character alignment -> word timings."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = ElevenLabsApi(settings)
        self.model = settings.elevenlabs_tts_model
        self.voice_id = settings.elevenlabs_voice_id
        self.output_format = settings.elevenlabs_output_format
        self.language = settings.speech_language

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}:{self.voice_id}:{self.output_format}"

    async def check(self) -> str:
        return await check_user(self.api)

    def _voice(self, voice: str | None) -> str:
        """A voice id is used as is; a description (JobSettings.voice) cannot pick one here."""
        return voice.strip() if voice and VOICE_ID.match(voice.strip()) else self.voice_id

    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        words = transcript_words(text)
        if not words:
            raise ProviderError(NAME, "nothing to say: the text has no words", permanent=True)
        limit = CHARACTER_LIMITS.get(self.model, DEFAULT_LIMIT)
        chunks = split_text(for_elevenlabs(text, self.model), limit)
        spoken = [plain(c) for c in chunks]
        voice_id = self._voice(voice)
        parts: list[Audio] = []
        heard: list[Timed] = []
        offset = 0.0
        async with self.api.client() as client:
            for i, chunk in enumerate(chunks):
                context = (spoken[i - 1] if i else None,
                           spoken[i + 1] if i + 1 < len(chunks) else None)
                audio, timed = await self._chunk(client, voice_id, chunk, context)
                heard += [Timed(w.text, w.start + offset, w.end + offset) for w in timed]
                offset += audio.duration
                parts.append(audio)
        audio = concat_audio(parts)
        return Speech(audio=audio, words=map_words(words, heard, audio.duration))

    async def _chunk(self, client: AsyncElevenLabs, voice_id: str, text: str,
                     context: tuple[str | None, str | None]) -> tuple[Audio, list[Timed]]:
        usd = costs.tts_usd(NAME, self.model, len(text))
        check_budget(NAME, usd, "speech synthesis")
        options: dict[str, Any] = {}
        if not self.model.startswith("eleven_v3"):  # request stitching is not for v3
            previous, following = context
            if previous:
                options["previous_text"] = previous
            if following:
                options["next_text"] = following
        if self.language:
            options["language_code"] = self.language
        reply = await self.api.sdk(
            f"POST /v1/text-to-speech/{voice_id}/with-timestamps",
            lambda: client.text_to_speech.convert_with_timestamps(
                voice_id, text=text, model_id=self.model, output_format=self.output_format,
                request_options=NO_RETRIES, **options))
        audio, timed = self._parse(reply)
        charge(NAME, self.model, usd, "tts")
        return audio, timed

    def _parse(self, reply: Any) -> tuple[Audio, list[Timed]]:
        """Audio and word timings. The SDK does not validate what it reads, so a broken body
        shows up here as missing attributes or values of the wrong type."""
        try:
            audio = decode_output(b64decode(reply.audio_base_64), self.output_format)
        except (AttributeError, TypeError, MediaError) as exc:
            raise self.api.error(f"no usable audio_base64 in the response ({exc})",
                                 permanent=False) from None
        alignment = getattr(reply, "alignment", None) or getattr(reply, "normalized_alignment",
                                                                 None)
        if alignment is None:
            return audio, []
        try:
            timed = words_from_characters(
                list(alignment.characters),
                [float(t) for t in alignment.character_start_times_seconds],
                [float(t) for t in alignment.character_end_times_seconds],
            )
        except (AttributeError, TypeError, ValueError):
            raise self.api.error("malformed character alignment", permanent=False) from None
        return audio, timed


# --------------------------------------------------------------------------- aligner


class ElevenLabsAligner:
    """Scribe (/v1/speech-to-text) word timestamps, mapped onto the transcript's words."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = ElevenLabsApi(settings)
        self.model = settings.elevenlabs_stt_model
        self.language = settings.speech_language

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}"

    async def check(self) -> str:
        return await check_user(self.api)

    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        words = transcript_words(transcript)
        if not words:
            return []
        usd = costs.audio_usd(NAME, self.model, audio.duration)
        check_budget(NAME, usd, "word alignment")
        wav = wav_bytes(audio)
        async with self.api.client() as client:
            transcript_reply = await self.api.sdk(
                "POST /v1/speech-to-text", lambda: client.speech_to_text.convert(
                    model_id=self.model, file=("voiceover.wav", wav, "audio/wav"),
                    timestamps_granularity="word", tag_audio_events=False, diarize=False,
                    language_code=self.language, request_options=NO_RETRIES))
        heard = self._heard(transcript_reply)
        charge(NAME, self.model, usd, "stt")
        return map_words(words, heard, audio.duration)

    def _heard(self, reply: Any) -> list[Timed]:
        channels = getattr(reply, "transcripts", None)
        if isinstance(channels, list) and channels:
            reply = channels[0]  # multichannel answer: the first channel
        try:
            return [Timed(str(w.text), float(w.start), float(w.end)) for w in reply.words
                    if (w.type or "word") == "word" and w.start is not None
                    and w.end is not None]
        except (TypeError, ValueError, AttributeError):
            raise self.api.error("transcript without word timestamps", permanent=False) from None


# --------------------------------------------------------------------------- music


ACT_STYLES = {
    "setup": ["atmospheric", "sparse", "mysterious intro"],
    "escalation": ["building tension", "driving ostinato", "rising percussion"],
    "climax": ["epic", "full orchestra", "massive hits", "fast"],
    "title": ["title hit", "dramatic sting", "resonant tail"],
    "tag": ["quiet coda", "eerie", "suspended"],
}
NEGATIVE = ["vocals", "singing", "lyrics", "spoken word", "choir words"]


def composition_plan(plan: ScorePlan) -> dict[str, Any]:
    """One section per act with the ScorePlan's durations, instrumental throughout."""
    sections = [_section(s) for s in _fit_sections(plan.sections)]
    return {
        "positive_global_styles": [plan.genre, plan.mood, f"{round(plan.tempo_bpm)} bpm",
                                   "cinematic trailer score", "instrumental"],
        "negative_global_styles": NEGATIVE,
        "sections": sections,
    }


def _section(section: ScoreSection) -> dict[str, Any]:
    level = ("low intensity, restrained" if section.intensity < 0.34 else
             "medium intensity" if section.intensity < 0.67 else "high intensity, powerful")
    return {
        "section_name": section.act,
        "positive_local_styles": [*ACT_STYLES.get(section.act, []), level],
        "negative_local_styles": NEGATIVE[:2],
        "duration_ms": round(section.duration * 1000),
        "lines": [],
    }


def _fit_sections(sections: list[ScoreSection]) -> list[ScoreSection]:
    """Sections within 3-120 s: short ones merge into their neighbour, long ones split."""
    merged: list[ScoreSection] = []
    for s in sections:
        if merged and (s.duration * 1000 < SECTION_MS[0]
                       or merged[-1].duration * 1000 < SECTION_MS[0]):
            last = merged.pop()
            keep = last if last.duration >= s.duration else s
            merged.append(keep.model_copy(update={"start": last.start,
                                                  "duration": last.duration + s.duration}))
        else:
            merged.append(s)
    out: list[ScoreSection] = []
    for s in merged:
        pieces = max(1, -(-int(s.duration * 1000) // SECTION_MS[1]))
        step = s.duration / pieces
        out += [s.model_copy(update={"start": s.start + k * step, "duration": step})
                for k in range(pieces)]
    return out


class ElevenLabsMusic:
    """POST /v1/music with a composition plan; the body is the audio itself."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = ElevenLabsApi(settings)
        self.model = settings.elevenlabs_music_model
        self.output_format = settings.elevenlabs_music_format

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}:{self.output_format}"

    async def check(self) -> str:
        return await check_user(self.api)

    async def compose(self, plan: ScorePlan) -> Audio:
        total_ms = plan.duration * 1000
        if not MUSIC_MS[0] <= total_ms <= MUSIC_MS[1]:
            raise ProviderError(NAME, f"a {plan.duration:.0f}s score is outside the "
                                f"{MUSIC_MS[0] // 1000}-{MUSIC_MS[1] // 1000}s Music allows",
                                permanent=True)
        sections = MusicPrompt.model_validate(composition_plan(plan))
        if len(sections.sections) > MAX_SECTIONS:
            raise ProviderError(NAME, "too many score sections for one composition plan",
                                permanent=True)
        usd = costs.audio_usd(NAME, self.model, plan.duration)
        check_budget(NAME, usd, "music composition")
        async with self.api.client() as client:
            score = await self.api.sdk("POST /v1/music", lambda: self.api.capped(
                client.music.compose(
                    composition_plan=sections, model_id=self.model,
                    respect_sections_durations=True, output_format=self.output_format,
                    request_options=NO_RETRIES),
                "score"))
        try:
            audio = decode_output(score, self.output_format)
        except MediaError as exc:
            raise self.api.error(f"the score is not decodable audio: {exc}",
                                 permanent=False) from None
        charge(NAME, self.model, usd, "music")
        return fit_duration(audio, plan.duration)
