"""Small PCM helpers shared by the engines and the service: resampling, silence detection,
WAV encoding. Samples are float32 in [-1, 1], as in `reelforge.providers.Audio`."""

from __future__ import annotations

import io
from math import gcd

import numpy as np
import soundfile
from reelforge.providers import Audio
from scipy.signal import resample_poly

FRAME_SECONDS = 0.01
SILENCE_BELOW_PEAK_DB = 45.0
"""A 10 ms frame quieter than the loudest frame by this much counts as silence."""


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Band-limited polyphase resampling along the first axis."""
    if rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    common = gcd(rate, target_rate)
    out = resample_poly(samples, target_rate // common, rate // common, axis=0)
    return np.asarray(out, dtype=np.float32)


def to_mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else samples.mean(axis=1)


def frame_levels_db(samples: np.ndarray, rate: int) -> np.ndarray:
    """RMS level of each 10 ms frame, in dB relative to the loudest frame."""
    mono = to_mono(samples).astype(np.float64)
    hop = max(1, int(rate * FRAME_SECONDS))
    frames = len(mono) // hop
    if frames == 0:
        return np.zeros(0)
    power = (mono[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1)
    level = 10.0 * np.log10(power + 1e-12)
    return level - level.max()


def voiced_span(samples: np.ndarray, rate: int) -> tuple[float, float] | None:
    """(first, last) voiced instant in seconds, or None when it is all silence."""
    levels = frame_levels_db(samples, rate)
    voiced = np.flatnonzero(levels > -SILENCE_BELOW_PEAK_DB)
    if len(voiced) == 0 or np.abs(samples).max() < 1e-4:
        return None
    duration = len(samples) / rate
    return voiced[0] * FRAME_SECONDS, min(duration, (voiced[-1] + 1) * FRAME_SECONDS)


def last_voiced_before(samples: np.ndarray, rate: int, start: float, stop: float) -> float:
    """The end of the last voiced frame in [start, stop); `start` when none is voiced.

    Used to end a word where its sound stops rather than where the next word begins."""
    levels = frame_levels_db(samples, rate)
    first = int(start / FRAME_SECONDS)
    last = min(len(levels), int(np.ceil(stop / FRAME_SECONDS)))
    voiced = np.flatnonzero(levels[first:last] > -SILENCE_BELOW_PEAK_DB)
    if len(voiced) == 0:
        return start
    return min(stop, (first + voiced[-1] + 1) * FRAME_SECONDS)


def peak_normalize(samples: np.ndarray, peak_dbfs: float = -1.0) -> np.ndarray:
    """Scale so the highest sample sits at `peak_dbfs`; silence stays silence."""
    peak = float(np.abs(samples).max(initial=0.0))
    if peak < 1e-9:
        return samples.astype(np.float32, copy=False)
    return (samples * (10 ** (peak_dbfs / 20) / peak)).astype(np.float32)


def conform(audio: Audio, rate: int, channels: int, duration: float) -> Audio:
    """`audio` at `rate` with `channels` channels and exactly `duration` seconds: a provider
    that returns another format or length (a remote music model) is brought into line."""
    samples = resample(audio.samples, audio.rate, rate)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.shape[1] != channels:
        samples = np.repeat(samples.mean(axis=1, keepdims=True), channels, axis=1)
    total = round(duration * rate)
    if len(samples) < total:
        samples = np.concatenate([samples, np.zeros((total - len(samples), channels),
                                                    dtype=np.float32)])
    samples = samples[:total]
    if channels == 1:
        samples = samples[:, 0]
    return Audio(samples=samples.astype(np.float32, copy=False), rate=rate)


WAV_BLOCK = 1 << 16
"""Samples clipped and written at a time: a long cue is never copied whole."""


def wav_bytes(audio: Audio, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    samples = audio.samples
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with soundfile.SoundFile(buffer, "w", audio.rate, channels, subtype, format="WAV") as out:
        for start in range(0, len(samples), WAV_BLOCK):
            out.write(np.clip(samples[start : start + WAV_BLOCK], -1.0, 1.0))
    return buffer.getvalue()


def read_wav(data: bytes) -> Audio:
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=False)
    return Audio(samples=samples, rate=int(rate))


def int16_bytes(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
