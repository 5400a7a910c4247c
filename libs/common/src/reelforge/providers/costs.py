"""Per-call cost estimates of the remote providers, in USD.

These are ESTIMATES from the vendors' public list prices (2025), kept deliberately simple and
erring high where a price depends on the plan: they drive the per-job budget stop and the
cost shown in the manifest, never billing. Self-hosted endpoints (Ollama, vLLM, llama.cpp
behind OPENAI_BASE_URL) cost nothing here. Update the tables when prices change; an unknown
model falls back to its provider's conservative default.
"""

from __future__ import annotations

import math

# LLM: USD per million (input, output) tokens, matched by model-name prefix.
LLM_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
}
LLM_DEFAULT_PER_MTOK = (2.50, 10.00)

# TTS: USD per input character.
TTS_PER_CHAR: dict[tuple[str, str], float] = {
    ("openai", "tts-1"): 15e-6,
    ("openai", "tts-1-hd"): 30e-6,
    ("openai", "gpt-4o-mini-tts"): 15e-6,
    ("elevenlabs", "eleven_v3"): 100e-6,
    ("elevenlabs", "eleven_multilingual_v2"): 100e-6,
    ("elevenlabs", "eleven_flash_v2_5"): 50e-6,
    ("elevenlabs", "eleven_flash_v2"): 50e-6,
    ("elevenlabs", "eleven_turbo_v2_5"): 50e-6,
    ("elevenlabs", "eleven_turbo_v2"): 50e-6,
}
TTS_DEFAULT_PER_CHAR = 100e-6

# Speech to text and music: USD per second of audio.
AUDIO_PER_SECOND: dict[tuple[str, str], float] = {
    ("openai", "whisper-1"): 0.006 / 60,
    ("elevenlabs", "scribe_v1"): 0.40 / 3600,
    ("elevenlabs", "scribe_v2"): 0.40 / 3600,
    ("elevenlabs", "music_v1"): 0.80 / 60,
    ("elevenlabs", "music_v2"): 0.80 / 60,
}
AUDIO_DEFAULT_PER_SECOND = 0.80 / 60

# gpt-image-1: USD per image by (quality, size); "auto" is priced as "high".
OPENAI_IMAGE: dict[tuple[str, str], float] = {
    ("low", "1024x1024"): 0.011, ("medium", "1024x1024"): 0.042, ("high", "1024x1024"): 0.167,
    ("low", "1536x1024"): 0.016, ("medium", "1536x1024"): 0.063, ("high", "1536x1024"): 0.25,
    ("low", "1024x1536"): 0.016, ("medium", "1024x1536"): 0.063, ("high", "1024x1536"): 0.25,
}

# Other image models: USD per image (per megapixel for fal's per-MP models).
IMAGE_PER_IMAGE: dict[tuple[str, str], float] = {
    ("seedream", "seedream-3-0"): 0.03,
    ("seedream", "seedream-4"): 0.03,
    ("seedream", "seedream-5"): 0.04,
    ("replicate", "black-forest-labs/flux-schnell"): 0.003,
    ("replicate", "black-forest-labs/flux-dev"): 0.025,
    ("replicate", "black-forest-labs/flux-1.1-pro"): 0.04,
    ("replicate", "google/imagen-4"): 0.04,
    ("replicate", "bytedance/seedream-4"): 0.03,
}
FAL_IMAGE_PER_MP: dict[str, float] = {
    "fal-ai/flux/schnell": 0.003,
    "fal-ai/flux/dev": 0.025,
    "fal-ai/flux-pro": 0.05,
}
IMAGE_DEFAULT = 0.05

# Seedance: USD per million video tokens (tokens = width * height * fps * seconds / 1024).
SEEDANCE_PER_MTOK: dict[str, float] = {
    "seedance-1-0-pro-fast": 1.0,
    "seedance-1-0-pro": 2.5,
    "seedance-1-0-lite": 1.8,
    "seedance-1-5-pro": 2.4,
}
SEEDANCE_DEFAULT_PER_MTOK = 3.0

# Replicate and fal video models: USD per second of output.
VIDEO_PER_SECOND: dict[tuple[str, str], float] = {
    ("replicate", "wan-video/wan-2.2-i2v-fast"): 0.02,
    ("replicate", "kwaivgi/kling-v2.1"): 0.05,
    ("replicate", "bytedance/seedance-1-pro"): 0.12,
    ("replicate", "minimax/hailuo-02"): 0.045,
    ("fal", "fal-ai/kling-video/v2.1/standard/image-to-video"): 0.05,
    ("fal", "fal-ai/kling-video/v2.1/pro/image-to-video"): 0.09,
    ("fal", "fal-ai/wan-i2v"): 0.08,
}
VIDEO_DEFAULT_PER_SECOND = 0.15


def _by_prefix(table: dict[str, float], model: str) -> float | None:
    """The entry whose key is the longest prefix of `model`."""
    keys = sorted((k for k in table if model.startswith(k)), key=len, reverse=True)
    return table[keys[0]] if keys else None


def llm_usd(model: str, input_tokens: int, output_tokens: int, *, self_hosted: bool) -> float:
    """Chat completion. OpenRouter-style names ("openai/gpt-4o-mini") match without vendor."""
    if self_hosted:
        return 0.0
    name = model.split("/", 1)[-1]
    keys = sorted((k for k in LLM_PER_MTOK if name.startswith(k)), key=len, reverse=True)
    per_in, per_out = LLM_PER_MTOK[keys[0]] if keys else LLM_DEFAULT_PER_MTOK
    return (input_tokens * per_in + output_tokens * per_out) / 1e6


def tts_usd(provider: str, model: str, characters: int) -> float:
    return characters * TTS_PER_CHAR.get((provider, model), TTS_DEFAULT_PER_CHAR)


def audio_usd(provider: str, model: str, seconds: float) -> float:
    """Transcription or music, billed by audio length."""
    return seconds * AUDIO_PER_SECOND.get((provider, model), AUDIO_DEFAULT_PER_SECOND)


def openai_image_usd(quality: str, size: str) -> float:
    quality = "high" if quality == "auto" else quality
    return OPENAI_IMAGE.get((quality, size), OPENAI_IMAGE[("high", "1536x1024")])


def image_usd(provider: str, model: str, width: int, height: int) -> float:
    if provider == "fal":
        per_mp = _by_prefix(FAL_IMAGE_PER_MP, model)
        if per_mp is not None:
            return per_mp * max(1, math.ceil(width * height / 1e6))
    prefixed = {m: usd for (p, m), usd in IMAGE_PER_IMAGE.items() if p == provider}
    found = _by_prefix(prefixed, model.split(":", 1)[0])
    return IMAGE_DEFAULT if found is None else found


def seedance_usd(model: str, pixels: int, fps: int, seconds: float) -> float:
    """Estimate before the call: tokens = pixels per frame * fps * seconds / 1024."""
    return seedance_tokens_usd(model, int(pixels * fps * seconds / 1024))


def seedance_tokens_usd(model: str, tokens: float) -> float:
    """Price of a finished task from its reported `usage.completion_tokens`."""
    per_mtok = _by_prefix(SEEDANCE_PER_MTOK, model) or SEEDANCE_DEFAULT_PER_MTOK
    return tokens * per_mtok / 1e6


def video_usd(provider: str, model: str, seconds: float) -> float:
    per_s = VIDEO_PER_SECOND.get((provider, model.split(":", 1)[0]), VIDEO_DEFAULT_PER_SECOND)
    return per_s * seconds
