"""OpenAI and OpenAI-compatible servers: chat LLM (structured outputs), TTS, whisper-1 word
timestamps, gpt-image-1, through the official `openai` SDK.

The SDK's own retries are off (`max_retries=0`): every call runs under the shared HTTP layer's
policy (`ApiClient.sdk`), which reads the SDK's exceptions back into status, headers and body,
so retries, Retry-After, error messages and key redaction are those of every other adapter.

OPENAI_BASE_URL (with /v1) points the LLM at OpenRouter, Ollama, vLLM or llama.cpp; a key is
required only for api.openai.com and OpenRouter. Answers are validated on our side whatever
the server claims to enforce, with one repair round-trip on a validation failure.

Servers differ in the structured output they accept. The LLM asks for strict `json_schema`
first; on the error that says the server does not support it (llama-cpp-python answers 500
"Input should be 'text' or 'json_object'", others a 400 naming `response_format`) it falls
back to `json_object` with a `schema`, then to plain `json_object` (the schema is always in
the prompt too). The mode that works is remembered per endpoint (base URL and model) for the
process, and a request rejected as unsupported is never retried.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
import httpx2
import structlog
from openai import APIConnectionError, APIStatusError, AsyncOpenAI, omit
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from reelforge.models import Word
from reelforge.providers import costs
from reelforge.providers.base import (
    Audio,
    FrameRequest,
    LLMTask,
    M,
    ProviderError,
    Speech,
    prompt_with_references,
)
from reelforge.providers.calls import charge, check_budget
from reelforge.providers.prompts import PROMPT_VERSION, load_prompt
from reelforge.providers.remote.config import require_key, secret
from reelforge.providers.remote.http import (
    ApiClient,
    ApiError,
    ErrorAnswer,
    ErrorInfo,
    HttpPolicy,
    Outcome,
    default_error_info,
)
from reelforge.providers.remote.media import (
    MediaError,
    b64decode,
    concat_audio,
    data_url,
    decode_audio,
    fit_png,
    shrink_png,
    wav_bytes,
)
from reelforge.providers.remote.policy import with_softening
from reelforge.providers.remote.schema import (
    OUTPUT_MODES,
    OutputMode,
    StrictSchema,
    strict_schema,
)
from reelforge.providers.remote.speech import Timed, map_words, plain, split_text, transcript_words
from reelforge.settings import Settings

log = structlog.get_logger(__name__)

NAME = "openai"
OFFICIAL_HOST = "api.openai.com"
CONTENT_POLICY_CODES = {"moderation_blocked", "content_policy_violation", "content_filter"}
VISION_MODELS = re.compile(
    r"gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|^o[134]\b|^o[34]-|vision|[-_]vl\b|vl-|llava|gemma-?3|"
    r"pixtral|claude|gemini|minicpm-v|llama-?4|mistral-small-3|qwen2\.5-?vl|qwen3-vl",
    re.IGNORECASE,
)
REPAIR = (
    "Your answer did not validate against the required JSON schema:\n{error}\n"
    "Reply again with the complete corrected JSON object only, matching the schema exactly."
)
VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage",
          "shimmer", "verse", "marin", "cedar"}
NARRATOR = ("A deep, dramatic movie-trailer narrator: measured pace, gravitas, short pauses at "
            "ellipses, a slight rise on the emphasised word.")
TTS_INPUT_LIMIT = 4096
STT_UPLOAD_LIMIT = 25 * 1024 * 1024
FORMAT_REJECTED = re.compile(
    r"response_format|json_schema|json[ _]object|json schema|structured output", re.IGNORECASE)
FORMAT_REJECTED_STATUSES = frozenset({400, 422, 500, 501})


def rejects_output_mode(status: int, message: str) -> bool:
    """Whether an error says the server does not take this kind of `response_format`."""
    return status in FORMAT_REJECTED_STATUSES and bool(FORMAT_REJECTED.search(message))


def classify(info: ErrorInfo) -> Outcome:
    """OpenAI envelope codes: moderation -> content policy; exhausted quota is a 429 that no
    retry will fix; an unsupported `response_format` is answered once, never retried."""
    code = (info.code or "").lower()
    if code in CONTENT_POLICY_CODES or "safety system" in info.message.lower():
        return "content_policy"
    if code in ("insufficient_quota", "billing_hard_limit_reached", "invalid_api_key"):
        return "permanent"
    if rejects_output_mode(info.status, info.message):
        return "permanent"
    return "default"


class OutputModes:
    """Which structured-output mode each endpoint takes, learnt once per process.

    An endpoint starts at the first mode; a rejection moves it to the next one for good. Until
    an answer proves a mode, requests to that endpoint go one at a time, so concurrent calls
    (the storyboard's shot prompts) ask a rejected mode once, not once each."""

    def __init__(self) -> None:
        self._mode: dict[tuple[str, str], int] = {}
        self._proven: set[tuple[str, str]] = set()
        self._locks: dict[tuple[str, str], tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}

    def mode(self, endpoint: tuple[str, str]) -> OutputMode:
        return OUTPUT_MODES[self._mode.get(endpoint, 0)]

    def proven(self, endpoint: tuple[str, str]) -> bool:
        return endpoint in self._proven

    def prove(self, endpoint: tuple[str, str]) -> None:
        if endpoint not in self._proven:
            self._proven.add(endpoint)
            log.info("llm_output_mode", provider=NAME, endpoint=endpoint[0], model=endpoint[1],
                     mode=self.mode(endpoint))

    def reject(self, endpoint: tuple[str, str], error: str) -> bool:
        """Move past the current mode; False when none is left."""
        current = self._mode.get(endpoint, 0)
        log.warning("llm_output_mode_rejected", provider=NAME, endpoint=endpoint[0],
                    model=endpoint[1], mode=OUTPUT_MODES[current], error=error[:300])
        if current + 1 >= len(OUTPUT_MODES):
            return False
        self._mode[endpoint] = current + 1
        return True

    def lock(self, endpoint: tuple[str, str]) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        held = self._locks.get(endpoint)
        if held is None or held[0] is not loop:
            held = (loop, asyncio.Lock())
            self._locks[endpoint] = held
        return held[1]

    def forget(self) -> None:
        self._mode.clear()
        self._proven.clear()
        self._locks.clear()


OUTPUT_MODE_MEMORY = OutputModes()


def sdk_errors(exc: Exception) -> ErrorAnswer | Exception | None:
    """The SDK's exceptions in the HTTP layer's terms: an error status with the response it
    came in, or the transport error under a connection error or timeout."""
    if isinstance(exc, APIStatusError):
        resp = exc.response
        return ErrorAnswer(resp.status_code, resp.headers, default_error_info(resp))
    if isinstance(exc, APIConnectionError):  # APITimeoutError too
        return exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
    return None


NO_KEY = "sk-no-key-required"
"""The SDK insists on a key; self-hosted servers (llama.cpp, Ollama, vLLM) ignore this one."""


class OpenAIApi(ApiClient):
    """The configured endpoint (OPENAI_BASE_URL) and key, and an SDK client per operation."""

    def __init__(self, settings: Settings) -> None:
        base = settings.openai_base_url
        host = httpx.URL(base).host
        key = secret(settings.openai_api_key)
        if key is None and (host == OFFICIAL_HOST or host.endswith("openrouter.ai")):
            key = require_key(NAME, settings.openai_api_key, "OPENAI_API_KEY")
        super().__init__(NAME, base, policy=HttpPolicy.from_settings(settings), secrets=(key,),
                         classify=classify, sdk_errors=sdk_errors)
        self.key = key

    @asynccontextmanager
    async def client(self) -> AsyncIterator[AsyncOpenAI]:
        """An `AsyncOpenAI` on its own httpx2 pool, closed with the operation, so no client
        outlives the event loop it was made on."""
        timeout = httpx2.Timeout(**self.policy.timeouts())
        async with httpx2.AsyncClient(timeout=timeout) as http:
            yield AsyncOpenAI(api_key=self.key or NO_KEY, base_url=self.base_url,
                              http_client=http, timeout=timeout, max_retries=0)


async def check_models(api: OpenAIApi, model: str) -> str:
    """GET /models: free, and proves the key (where one is needed) and the endpoint."""
    async with api.client() as client:
        page = await api.sdk("GET /models", lambda: client.models.list())
    ids = [getattr(m, "id", None) for m in getattr(page, "data", None) or []]
    seen = "listed" if model in ids else "NOT listed (check the model name)"
    return f"{api.base_url}: key accepted, {len(ids)} models, {model!r} {seen}"


class _Invalid(ValueError):
    """The model's answer failed validation (with a message fit to send back to it)."""


# --------------------------------------------------------------------------- LLM


class OpenAILLM:
    """Structured JSON completion over Chat Completions with strict `json_schema`."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = OpenAIApi(settings)
        self.model = settings.llm_model
        host = httpx.URL(settings.openai_base_url).host
        self.openrouter = host.endswith("openrouter.ai")
        self.self_hosted = host != OFFICIAL_HOST and not self.openrouter
        self.vision = settings.llm_vision if settings.llm_vision is not None \
            else bool(VISION_MODELS.search(self.model))
        self.temperature = settings.llm_temperature

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}:prompts-v{PROMPT_VERSION}"

    async def check(self) -> str:
        return await check_models(self.api, self.model)

    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M:
        strict = strict_schema(schema)
        messages = self._messages(task, context, strict)
        async with self.api.client() as client:
            answer = await self._ask(client, task, messages, strict)
            try:
                return _validate(answer, strict, schema)
            except _Invalid as first:
                log.info("llm_repair", provider=NAME, task=task, error=str(first)[:300])
                messages += [{"role": "assistant", "content": answer},
                             {"role": "user", "content": REPAIR.format(error=first)}]
                answer = await self._ask(client, task, messages, strict)
                try:
                    return _validate(answer, strict, schema)
                except _Invalid as second:
                    raise ProviderError(
                        NAME, f"{task}: the answer does not match {schema.__name__}, even after "
                        f"one repair attempt: {second}", permanent=True,
                    ) from None

    def _messages(self, task: LLMTask, context: dict[str, Any],
                  strict: StrictSchema) -> list[dict[str, Any]]:
        frame = context.get("frame_png_b64") if task == "shot" else None
        visible = {k: v for k, v in context.items() if k != "frame_png_b64"}
        system, user = load_prompt(task).render(visible, strict.schema)
        content: Any = user
        if isinstance(frame, str) and frame and self.vision:
            small = shrink_png(base64.b64decode(frame), 768)
            image = {"url": data_url(small), "detail": "low"}
            content = [{"type": "text", "text": user}, {"type": "image_url", "image_url": image}]
        return [{"role": "system", "content": system}, {"role": "user", "content": content}]

    async def _ask(self, client: AsyncOpenAI, task: str, messages: list[dict[str, Any]],
                   strict: StrictSchema) -> str:
        """The answer in the endpoint's structured-output mode, finding that mode first if
        no answer has proven one yet."""
        endpoint = (self.api.base_url, self.model)
        modes = OUTPUT_MODE_MEMORY
        if modes.proven(endpoint):
            return await self._ask_in(client, task, messages, strict, modes.mode(endpoint))
        async with modes.lock(endpoint):
            while True:
                mode = modes.mode(endpoint)
                try:
                    content = await self._ask_in(client, task, messages, strict, mode)
                except ApiError as exc:
                    if modes.proven(endpoint) or not rejects_output_mode(exc.status, str(exc)):
                        raise
                    if not modes.reject(endpoint, str(exc)):
                        raise ProviderError(NAME, f"{task}: the server takes no JSON output "
                                            f"mode (json_schema, json_object): {exc}",
                                            permanent=True) from None
                    continue
                modes.prove(endpoint)
                return content

    async def _ask_in(self, client: AsyncOpenAI, task: str, messages: list[dict[str, Any]],
                      strict: StrictSchema, mode: OutputMode) -> str:
        chars = sum(len(json.dumps(m["content"])) for m in messages)
        check_budget(NAME, costs.llm_usd(self.model, chars // 4, 2000,
                                         self_hosted=self.self_hosted), f"LLM task {task}")
        # `json_object` with a `schema` (llama.cpp's) is not in the SDK's types; it sends the
        # dict as given. A self-hosted server generates until its context is full when a
        # small model loops, so its answers are bounded by the schema; hosted APIs count
        # reasoning tokens against the bound, so they get none.
        reply = await self.api.sdk("POST /chat/completions", lambda: client.chat.completions.create(
            model=self.model, messages=cast(Any, messages),
            response_format=cast(Any, strict.response_format(mode)),
            temperature=omit if self.temperature is None else self.temperature,
            max_tokens=strict.max_tokens if self.self_hosted else omit,
            extra_body={"provider": {"require_parameters": True}} if self.openrouter else None,
        ))
        content, prompt_tokens, completion_tokens = self._parse_reply(reply)
        if reply.choices[0].finish_reason == "length":
            log.info("llm_answer_cut", provider=NAME, task=task, max_tokens=strict.max_tokens,
                     completion_tokens=completion_tokens)
        usd = costs.llm_usd(self.model, prompt_tokens or chars // 4,
                            completion_tokens or len(content) // 4, self_hosted=self.self_hosted)
        charge(NAME, self.model, usd, f"llm:{task}")
        return content

    def _parse_reply(self, reply: ChatCompletion) -> tuple[str, int, int]:
        """The answer and the tokens billed (0 where the server does not say). The SDK does
        not validate what it reads, so a broken body shows up here as missing attributes."""
        try:
            choice = reply.choices[0]
            message = choice.message
            refusal, content = message.refusal, message.content
        except (AttributeError, IndexError, TypeError):
            raise self.api.error("malformed chat completion (no choices[0].message)",
                                 permanent=False) from None
        if refusal:
            raise self.api.content_policy(f"the model refused: {refusal}")
        if choice.finish_reason == "content_filter":
            raise self.api.content_policy("the answer was withheld by the content filter")
        parts: Any = content
        if isinstance(parts, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
        if not isinstance(content, str) or not content.strip():
            raise self.api.error("empty answer from the model", permanent=False)
        usage = reply.usage
        return (content, int(getattr(usage, "prompt_tokens", 0) or 0),
                int(getattr(usage, "completion_tokens", 0) or 0))


def _validate(answer: str, strict: StrictSchema, schema: type[M]) -> M:
    text = answer.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Invalid(f"not valid JSON: {exc}") from None
    try:
        return schema.model_validate(strict.decode(data))
    except ValidationError as exc:
        raise _Invalid(_errors(exc)) from None


def _errors(exc: ValidationError) -> str:
    lines = [f"- {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
             for e in exc.errors()[:12]]
    more = exc.error_count() - len(lines)
    return "\n".join(lines) + (f"\n- ... and {more} more" if more > 0 else "")


# --------------------------------------------------------------------------- TTS


class OpenAITTS:
    """/v1/audio/speech: no timestamps (words empty; the aligner times the words)."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = OpenAIApi(settings)
        self.model = settings.openai_tts_model
        self.voice = settings.openai_tts_voice

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}:{self.voice}"

    async def check(self) -> str:
        return await check_models(self.api, self.model)

    def _voice(self, voice: str | None) -> tuple[str, str | None]:
        """(voice name, instructions): a known voice name is used as is; any other text is
        a description, sent as `instructions` where the model takes them."""
        takes_instructions = not self.model.startswith("tts-1")
        if voice and voice.strip().lower() in VOICES:
            return voice.strip().lower(), NARRATOR if takes_instructions else None
        if voice and takes_instructions:
            return self.voice, voice.strip()
        return self.voice, NARRATOR if takes_instructions else None

    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        spoken = plain(text)
        if not spoken:
            raise ProviderError(NAME, "nothing to say: the text has no words", permanent=True)
        name, instructions = self._voice(voice)
        parts: list[Audio] = []
        async with self.api.client() as client:
            for chunk in split_text(spoken, TTS_INPUT_LIMIT):
                parts.append(await self._speak(client, chunk, name, instructions))
        return Speech(audio=concat_audio(parts), words=[])

    async def _speak(self, client: AsyncOpenAI, text: str, voice: str,
                     instructions: str | None) -> Audio:
        usd = costs.tts_usd(NAME, self.model, len(text))
        check_budget(NAME, usd, "speech synthesis")

        async def spoken() -> bytes:
            async with client.audio.speech.with_streaming_response.create(
                model=self.model, input=text, voice=voice, response_format="wav",
                instructions=instructions or omit,
            ) as response:
                return await self.api.capped(response.iter_bytes(), "speech")

        speech = await self.api.sdk("POST /audio/speech", spoken)
        try:
            audio = decode_audio(speech)
        except MediaError as exc:
            raise self.api.error(f"speech is not decodable audio: {exc}", permanent=False) from exc
        charge(NAME, self.model, usd, "tts")
        return audio



# --------------------------------------------------------------------------- aligner


class OpenAIAligner:
    """whisper-1 with verbose_json word timestamps, mapped onto the transcript's words."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = OpenAIApi(settings)
        self.model = settings.openai_stt_model
        self.language = settings.speech_language

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}"

    async def check(self) -> str:
        return await check_models(self.api, self.model)

    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        words = transcript_words(transcript)
        if not words:
            return []
        wav = wav_bytes(audio)
        if len(wav) > STT_UPLOAD_LIMIT:
            raise ProviderError(NAME, f"voiceover too long for {self.model} "
                                f"({len(wav) >> 20} MiB > 25 MiB)", permanent=True)
        usd = costs.audio_usd(NAME, self.model, audio.duration)
        check_budget(NAME, usd, "word alignment")
        async with self.api.client() as client:
            verbose = await self.api.sdk(
                "POST /audio/transcriptions", lambda: client.audio.transcriptions.create(
                    model=self.model, file=("voiceover.wav", wav, "audio/wav"),
                    response_format="verbose_json", timestamp_granularities=["word"],
                    prompt=plain(transcript)[:800], language=self.language or omit,
                ))
        heard = self._heard(verbose)
        charge(NAME, self.model, usd, "stt")
        return map_words(words, heard, audio.duration)

    def _heard(self, verbose: Any) -> list[Timed]:
        try:
            return [Timed(str(w.word), float(w.start), float(w.end)) for w in verbose.words]
        except (AttributeError, TypeError, ValueError):
            raise self.api.error("transcription without word timestamps (verbose_json words)",
                                 permanent=False) from None


# --------------------------------------------------------------------------- images


MAX_EDIT_IMAGES = 16
"""Input images gpt-image-1's edits endpoint takes at most."""


def gpt_image_size(width: int, height: int) -> str:
    ratio = width / height
    if ratio > 1.2:
        return "1536x1024"
    if ratio < 1 / 1.2:
        return "1024x1536"
    return "1024x1024"


class OpenAIImage:
    """gpt-image-1: always base64 (`b64_json`); no `response_format` parameter. A frame
    with reference images goes to the image edits endpoint (POST /images/edits, multipart),
    which takes up to 16 input images as `image[]` parts and draws from them and the prompt;
    a frame without goes to /images/generations."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.api = OpenAIApi(settings)
        self.model = settings.openai_image_model
        self.quality = settings.openai_image_quality
        self.accepts_references = self.model.startswith("gpt-image")

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.model}:{self.quality}"

    async def check(self) -> str:
        return await check_models(self.api, self.model)

    async def generate(self, request: FrameRequest) -> bytes:
        async with self.api.client() as client:
            png = await with_softening(NAME, request.prompt,
                                       lambda prompt: self._generate(client, request, prompt))
        return png

    async def _generate(self, client: AsyncOpenAI, request: FrameRequest, prompt: str) -> bytes:
        size = gpt_image_size(request.width, request.height)
        usd = costs.openai_image_usd(self.quality, size)
        check_budget(NAME, usd, "image generation")
        references = request.references[:MAX_EDIT_IMAGES] if self.accepts_references else []
        options: dict[str, Any] = {
            "model": self.model, "prompt": prompt_with_references(prompt, references)[:32000],
            "n": 1, "size": size, "quality": self.quality, "output_format": "png"}
        if references:
            images = [(f"reference-{n}.png", r.png, "image/png")
                      for n, r in enumerate(references, start=1)]
            reply = await self.api.sdk("POST /images/edits",
                                       lambda: client.images.edit(image=images, **options))
        else:
            reply = await self.api.sdk("POST /images/generations",
                                       lambda: client.images.generate(**options))
        try:
            raw = b64decode((reply.data or [])[0].b64_json or "")
            png = fit_png(raw, request.width, request.height)
        except (AttributeError, IndexError, TypeError, MediaError) as exc:
            raise self.api.error(f"no usable image in the response ({exc})",
                                 permanent=False) from None
        charge(NAME, self.model, usd, "image")
        return png

