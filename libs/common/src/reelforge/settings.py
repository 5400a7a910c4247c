"""Process-wide settings from the environment (pydantic-settings). Passed in explicitly;
nothing reads the environment at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

N = TypeVar("N", int, float)


def _env(name: str, field: str) -> AliasChoices:
    """A setting read from a conventional, unprefixed variable (OPENAI_API_KEY), still
    settable by field name in code."""
    return AliasChoices(name, field)


class _SecretsFileSource(PydanticBaseSettingsSource):
    """REELFORGE_SECRETS_FILE (or `secrets_file=`): a dotenv file of keys, read below the
    environment so a real variable always wins."""

    def __init__(self, settings_cls: type[BaseSettings], init_kwargs: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._path = init_kwargs.get("secrets_file") or os.environ.get("REELFORGE_SECRETS_FILE")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self._path:
            return {}
        path = Path(self._path).expanduser()
        if not path.is_file():
            raise ValueError(f"REELFORGE_SECRETS_FILE: {path} is not a file")
        return DotEnvSettingsSource(self.settings_cls, env_file=path)()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELFORGE_", extra="ignore")

    # provider fallback chains, e.g. "seedance,replicate,local"
    llm: str = "local"
    tts: str = "local"
    aligner: str = "local"
    music: str = "local"
    image: str = "local"
    video: str = "local"

    # local generators
    piper_voice: Path | None = Field(None, description="a Piper .onnx voice; default: joe")
    soundfont: Path | None = Field(None, description="a General MIDI .sf2; default: Debian's")

    # distributed runtime
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/reelforge"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "reelforge"
    max_attempts: int = 3
    max_redeliveries: int = Field(
        5, ge=1, le=19, description="deliveries of one message that may end without an answer "
        "(the worker died or was stopped) before it is dead-lettered instead of handled again"
    )
    storyboard_prefetch: int = 30
    video_prefetch: int = Field(
        4, ge=1, description="video provider calls at once per worker (it holds three times as "
        "many deliveries: clips finish locally while the next calls run, and the next in "
        "line are ready the moment a call ends)"
    )
    namespace: str = Field(
        "", description="prefix for exchange and queue names, to isolate systems on one broker"
    )
    s3_public_endpoint_url: str | None = Field(
        None, description="endpoint presigned URLs are signed for, when clients see another"
    )
    aws_access_key_id: SecretStr | None = Field(
        None, validation_alias=_env("AWS_ACCESS_KEY_ID", "aws_access_key_id")
    )
    aws_secret_access_key: SecretStr | None = Field(
        None, validation_alias=_env("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key")
    )
    startup_timeout: float = Field(
        120.0, ge=0, description="s a process keeps retrying the broker, database and store"
    )
    aws_region: str = Field(
        "us-east-1", validation_alias=_env("AWS_DEFAULT_REGION", "aws_region")
    )

    # distributed workers: health/metrics endpoint, sweeper, provider limits
    metrics_port: int = Field(9100, ge=0, le=65535, description="0 picks a free port")
    metrics_host: str = "0.0.0.0"
    queue_depth_interval: float = Field(15.0, gt=0, description="s between queue depth reads")
    drain_timeout: float = Field(
        60.0, ge=0, description="s SIGTERM waits for in-flight work before requeueing it"
    )
    sweeper: bool = Field(True, description="run the sweeper inside every worker")
    sweeper_interval: float = Field(30.0, gt=0, description="s between sweeps")
    sweeper_deadline: float = Field(
        900.0, gt=0, description="s without progress after which a job counts as stuck"
    )
    sweeper_max_sweeps: int = Field(
        3, ge=1, description="re-publishes of one stuck job a run before it is failed"
    )
    provider_limits: str = Field(
        "", description='global concurrent calls, e.g. "seedance=4,openai=8,video.local=2"'
    )
    handler_timeouts: str = Field(
        "", description='seconds one delivery of a queue may take, overriding the stage\'s own, '
        'e.g. "video.shots=900,assembly.render=3600"; 0 means no limit'
    )
    provider_slot_ttl: float = Field(
        60.0, gt=0, description="s after which a slot of a crashed holder is reclaimed"
    )
    provider_journal: Path | None = Field(
        None, description="append one JSON line per finished provider call: its job, provider, "
        "seconds, wait for a slot and outcome (auditing, tests)"
    )

    # public API
    api_rate_limit: int = Field(30, ge=1, description="job creations per key per window")
    api_rate_window: float = Field(60.0, gt=0, description="s, the rate limit's window")
    api_max_upload_bytes: int = Field(20 * 1024 * 1024, gt=0)
    api_url_expiry: int = Field(3600, gt=0, description="s a presigned download URL lives")
    api_streams_per_key: int = Field(
        5, ge=1, description="event streams (GET /v1/jobs/{id}/events) one key may hold open"
    )
    api_stream_seconds: float = Field(
        3600.0, gt=0, description="s an event stream stays open; clients reconnect with "
        "Last-Event-ID"
    )

    # remote providers: keys and endpoints under their conventional names (see PROVIDERS.md)
    secrets_file: Path | None = Field(None, description="dotenv file with the keys below")
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=_env("OPENAI_API_KEY", "openai_api_key")
    )
    openai_base_url: str = Field(
        "https://api.openai.com/v1", validation_alias=_env("OPENAI_BASE_URL", "openai_base_url")
    )
    elevenlabs_api_key: SecretStr | None = Field(
        None, validation_alias=_env("ELEVENLABS_API_KEY", "elevenlabs_api_key")
    )
    elevenlabs_base_url: str = Field(
        "https://api.elevenlabs.io",
        validation_alias=_env("ELEVENLABS_BASE_URL", "elevenlabs_base_url"),
    )
    ark_api_key: SecretStr | None = Field(None, validation_alias=_env("ARK_API_KEY", "ark_api_key"))
    ark_base_url: str = Field(
        "https://ark.ap-southeast.bytepluses.com/api/v3",
        validation_alias=_env("ARK_BASE_URL", "ark_base_url"),
    )
    replicate_api_token: SecretStr | None = Field(
        None, validation_alias=_env("REPLICATE_API_TOKEN", "replicate_api_token")
    )
    replicate_base_url: str = Field(
        "https://api.replicate.com",
        validation_alias=_env("REPLICATE_BASE_URL", "replicate_base_url"),
    )
    fal_key: SecretStr | None = Field(None, validation_alias=_env("FAL_KEY", "fal_key"))
    fal_base_url: str = Field(
        "https://queue.fal.run", validation_alias=_env("FAL_BASE_URL", "fal_base_url")
    )
    comfyui_base_url: str = Field(
        "http://127.0.0.1:8188", validation_alias=_env("COMFYUI_BASE_URL", "comfyui_base_url")
    )

    # remote providers: models and options (REELFORGE_LLM_MODEL, REELFORGE_SEEDANCE_MODEL, ...)
    llm_model: str = "gpt-4o-mini"
    llm_vision: bool | None = Field(None, description="send frames to the LLM; None: guess")
    llm_temperature: float | None = Field(None, ge=0.0, le=2.0, description="None: server's")
    speech_language: str | None = Field(None, description="ISO 639-1 for TTS/STT; None: auto")
    openai_tts_model: str = "gpt-4o-mini-tts"
    openai_tts_voice: str = "onyx"
    openai_stt_model: str = "whisper-1"
    openai_image_model: str = "gpt-image-1"
    openai_image_quality: str = Field("medium", description="low | medium | high | auto")
    elevenlabs_tts_model: str = "eleven_multilingual_v2"
    elevenlabs_voice_id: str = Field("JBFqnCBsd6RMkjVDRZzb", description="default narrator")
    elevenlabs_output_format: str = Field("pcm_24000", description="pcm_* or mp3_*")
    elevenlabs_stt_model: str = "scribe_v1"
    elevenlabs_music_model: str = "music_v1"
    elevenlabs_music_format: str = "mp3_44100_128"
    seedream_model: str = "seedream-4-0-250828"
    seedance_model: str = "seedance-1-0-pro-250528"
    seedance_resolution: str = Field("720p", description="480p | 720p | 1080p")
    replicate_image_model: str = "black-forest-labs/flux-schnell"
    replicate_video_model: str = "wan-video/wan-2.2-i2v-fast"
    replicate_wait: int = Field(60, ge=0, le=60, description="s for Prefer: wait; 0 polls")
    replicate_image_references: str | None = Field(
        None, description="the image model's input that takes reference images, a list of "
        "URLs (e.g. image_input); none: the model's known one, if any; empty: never send them")
    fal_image_model: str = "fal-ai/flux/schnell"
    fal_image_references: str | None = Field(
        None, description="the image app's input that takes reference images, a list of URLs "
        "(e.g. image_urls); none: the app's known one, if any; empty: never send them")
    fal_video_model: str = "fal-ai/kling-video/v2.1/standard/image-to-video"
    comfyui_image_workflow: Path | None = Field(
        None, description="API-format workflow JSON; default: the packaged Flux schnell one"
    )
    comfyui_image_mapping: Path | None = Field(
        None, description="its mapping file; default: <workflow>.mapping.json beside it"
    )
    comfyui_video_workflow: Path | None = Field(
        None, description="API-format workflow JSON; default: the packaged Wan 2.2 5B one"
    )
    comfyui_video_mapping: Path | None = Field(
        None, description="its mapping file; default: <workflow>.mapping.json beside it"
    )
    comfyui_timeout: float = Field(
        1800.0, gt=0, description="s one ComfyUI job may take, queue wait included"
    )

    # remote providers: HTTP behaviour (tests shrink these)
    http_connect_timeout: float = Field(10.0, gt=0)
    http_read_timeout: float = Field(180.0, gt=0)
    http_max_attempts: int = Field(4, ge=1, description="tries per request, first included")
    http_backoff_initial: float = Field(1.0, ge=0, description="s, first backoff (jittered)")
    http_backoff_max: float = Field(30.0, ge=0)
    http_retry_after_max: float = Field(
        120.0, ge=0, description="s; a longer Retry-After hands over to the next provider"
    )
    download_max_mb: int = Field(512, ge=1, description="largest provider output fetched, MB")
    download_timeout: float = Field(600.0, gt=0, description="s one output download may take")
    allow_private_downloads: bool = Field(
        False, description="fetch provider outputs from http and private/loopback addresses "
        "(tests; a provider on your own network): off, only https to public hosts outside "
        "the provider's configured origin"
    )
    poll_interval: float = Field(2.0, gt=0, description="s between task polls, growing")
    poll_interval_max: float = Field(15.0, gt=0)
    poll_timeout: float = Field(1200.0, gt=0, description="s an async task may take")

    def secret_values(self) -> list[str]:
        """Every credential these settings hold (keys, and passwords inside URLs), for the
        log redactor: none of them may ever reach a log line."""
        values = [field.get_secret_value() for field in self.__dict__.values()
                  if isinstance(field, SecretStr)]
        for url in (self.amqp_url, self.database_url):
            password = urlsplit(url).password
            if password:
                values.append(password)
        return values

    def provider_limit_map(self) -> dict[str, int]:
        """`provider_limits` parsed: {"seedance": 4, "video.local": 2}."""
        return _name_values(self.provider_limits, "REELFORGE_PROVIDER_LIMITS", int, 1, "N")

    def handler_timeout_map(self) -> dict[str, float]:
        """`handler_timeouts` parsed: {"video.shots": 900.0}."""
        return _name_values(self.handler_timeouts, "REELFORGE_HANDLER_TIMEOUTS", float, 0,
                            "SECONDS")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Adds REELFORGE_SECRETS_FILE below the environment."""
        init_kwargs = getattr(init_settings, "init_kwargs", {})
        secrets = _SecretsFileSource(settings_cls, init_kwargs)
        return init_settings, env_settings, secrets, dotenv_settings, file_secret_settings

    def chain(self, capability: str) -> list[str]:
        raw: str = getattr(self, capability)
        names = [n.strip() for n in raw.split(",") if n.strip()]
        return names or ["local"]


def _name_values(text: str, variable: str, kind: type[N], least: N,
                 unit: str) -> dict[str, N]:
    """"a=1,b=2" as {"a": 1, "b": 2}; a part that is not NAME=VALUE >= least is a ValueError
    naming the variable (and calling the value `unit`)."""
    values: dict[str, N] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, raw = part.partition("=")
        try:
            value = kind(raw.strip())
        except ValueError:
            value = None
        if not sep or not name.strip() or value is None or value < least:
            raise ValueError(
                f"{variable}: {part.strip()!r} is not NAME={unit} with {unit} >= {least}"
            )
        values[name.strip()] = value
    return values
