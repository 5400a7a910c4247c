"""Media conversions at the provider boundary: whatever a provider returns becomes what the
protocol promises (PNG at the requested size, float32 Audio, a decodable MP4), and our media
becomes what a provider accepts (data URLs, 16 kHz WAV for speech recognition)."""

from __future__ import annotations

import base64
import io
import wave

import av
import numpy as np
from PIL import Image

from reelforge.providers.base import Audio


class MediaError(ValueError):
    """Provider output that cannot be decoded as the media it claims to be."""


# --------------------------------------------------------------------------- images


def open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise MediaError(f"not a decodable image ({len(data)} bytes)") from exc
    return image


def fit_png(data: bytes, width: int, height: int, focus: tuple[float, float] = (0.5, 0.5)) -> bytes:
    """Scale to cover width x height, crop around `focus`, encode PNG. Providers generate at
    their own sizes (1536x1024, 2K, ...); the pipeline needs exactly the requested frame."""
    image = open_image(data)
    if image.format == "PNG" and image.size == (width, height) and image.mode in ("RGB", "RGBA"):
        return data
    image = image.convert("RGB")
    scale = max(width / image.width, height / image.height)
    resized = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    if resized != image.size:
        image = image.resize(resized, Image.Resampling.LANCZOS)
    left = _crop_start(image.width, width, focus[0])
    top = _crop_start(image.height, height, focus[1])
    image = image.crop((left, top, left + width, top + height))
    return encode_png(image)


def _crop_start(size: int, target: int, focus: float) -> int:
    return int(min(max(round(size * focus - target / 2), 0), size - target))


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def shrink_png(data: bytes, max_side: int) -> bytes:
    """A smaller copy for prompts that only need a look at the picture (vision LLMs)."""
    image = open_image(data).convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return encode_png(image)


def image_size(data: bytes) -> tuple[int, int]:
    return open_image(data).size


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise MediaError("invalid base64 payload") from exc


# --------------------------------------------------------------------------- audio


def pcm16_audio(data: bytes, rate: int, channels: int = 1) -> Audio:
    """Raw little-endian signed 16-bit PCM (ElevenLabs pcm_*, OpenAI pcm)."""
    if len(data) % (2 * channels):
        data = data[: len(data) - len(data) % (2 * channels)]
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels)
    return Audio(samples=samples, rate=rate)


MAX_AUDIO_SECONDS = 900.0
"""Longer than any narration or score a trailer (at most 600 s) asks for: decoding stops
there, so a small file that claims hours of audio cannot fill the worker's memory."""


def decode_audio(data: bytes, max_seconds: float = MAX_AUDIO_SECONDS) -> Audio:
    """Any container/codec PyAV reads (WAV, MP3, FLAC, Opus) -> float32 samples."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or stream.rate
            chunks: list[np.ndarray] = []
            decoded = 0
            for frame in container.decode(stream):
                chunks.append(frame.to_ndarray())
                decoded += frame.samples
                if rate and decoded > max_seconds * rate:
                    raise _TooLong
    except _TooLong:
        raise MediaError(f"audio longer than {max_seconds:.0f}s") from None
    except Exception as exc:
        raise MediaError(f"not decodable audio ({len(data)} bytes)") from exc
    if not chunks or not rate:
        raise MediaError("audio without samples")
    return Audio(samples=_interleave(chunks), rate=int(rate))


def _interleave(chunks: list[np.ndarray]) -> np.ndarray:
    """PyAV frames are (channels, n) planar or (1, n*channels) packed; ours are (n,) or
    (n, channels) float32."""
    first = chunks[0]
    if first.dtype.kind in "iu":
        scale = float(np.iinfo(first.dtype).max) + 1.0
        chunks = [c.astype(np.float32) / scale for c in chunks]
    planar = np.concatenate(chunks, axis=1).astype(np.float32)
    if planar.shape[0] == 1:
        return planar[0]
    return np.ascontiguousarray(planar.T)


def mono(audio: Audio) -> np.ndarray:
    s = audio.samples
    return s if s.ndim == 1 else s.mean(axis=1)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear resampling: good enough for speech recognition input."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32)
    n = max(1, round(len(samples) * target / rate))
    positions = np.linspace(0, len(samples) - 1, n)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def wav_bytes(audio: Audio, rate: int = 16000) -> bytes:
    """Mono 16-bit WAV at `rate`: small uploads for speech-to-text (16 kHz is what both
    Whisper and Scribe work at)."""
    samples = resample(mono(audio), audio.rate, rate)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def concat_audio(parts: list[Audio]) -> Audio:
    if not parts:
        raise MediaError("nothing to concatenate")
    rate = parts[0].rate
    samples = [p.samples if p.rate == rate else resample(mono(p), p.rate, rate) for p in parts]
    return Audio(samples=np.concatenate(samples).astype(np.float32), rate=rate)


def fit_duration(audio: Audio, seconds: float, fade: float = 1.5) -> Audio:
    """Trim (with a fade-out) or pad with silence to exactly `seconds`."""
    n = round(seconds * audio.rate)
    s = audio.samples
    if len(s) >= n:
        s = s[:n].copy()
        k = min(n, round(fade * audio.rate))
        if k:
            ramp = np.linspace(1.0, 0.0, k, dtype=np.float32)
            s[n - k:] *= ramp if s.ndim == 1 else ramp[:, None]
    else:
        pad_shape = (n - len(s), *s.shape[1:])
        s = np.concatenate([s, np.zeros(pad_shape, dtype=np.float32)])
    return Audio(samples=s.astype(np.float32), rate=audio.rate)


# --------------------------------------------------------------------------- video


class _TooLong(Exception):
    pass


MAX_VIDEO_SIDE = 4096
"""Wider or taller than 4K is no clip a trailer asked for."""


def clip_limit(requested: float) -> float:
    """The longest clip accepted for `requested` seconds: providers round up to their own
    duration steps (5 or 10 s), so some slack, but never hours."""
    return max(requested * 1.5, requested + 10.0)


def check_clip(data: bytes, requested: float) -> tuple[float, int, int]:
    """`probe_video`, refusing a clip much longer than requested or larger than 4K."""
    duration, width, height = probe_video(data)
    if duration > clip_limit(requested):
        raise MediaError(f"the clip lasts {duration:.1f}s for {requested:.1f}s requested")
    if max(width, height) > MAX_VIDEO_SIDE:
        raise MediaError(f"the clip is {width}x{height}, larger than 4K")
    return duration, width, height


def probe_video(data: bytes) -> tuple[float, int, int]:
    """(duration s, width, height) of a video, or MediaError if it is not one."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if container.duration:
                duration = container.duration / 1_000_000
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = 0.0
    except Exception as exc:
        raise MediaError(f"not a decodable video ({len(data)} bytes)") from exc
    if not width or not height:
        raise MediaError("video without a picture")
    return duration, width, height
