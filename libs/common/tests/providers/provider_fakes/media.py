"""Real media for the fake providers: PNG frames, H.264 MP4 clips, speech-like PCM whose
character timings are exact (so alignments are consistent with the audio), music, MP3.

Speech is synthetic but structured like speech: each letter is a short harmonic burst,
words are continuous voiced runs, spaces and punctuation are silences. A recogniser fake can
therefore find the words again by energy alone.
"""

from __future__ import annotations

import base64
import functools
import io
import wave
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image, ImageDraw

LETTER_S = 0.06
SPACE_S = 0.09
PAUSES = {",": 0.2, ";": 0.2, ":": 0.2, ".": 0.35, "!": 0.35, "?": 0.35, "…": 0.4}


# --------------------------------------------------------------------------- images


def png(width: int, height: int, seed: int = 0) -> bytes:
    """A gradient with a disc and a horizon: cheap, deterministic, a real PNG."""
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=3)
    sw, sh = max(2, width // 16), max(2, height // 16)
    y = np.linspace(0.0, 1.0, sh, dtype=np.float32)[:, None, None]
    x = np.linspace(0.0, 1.0, sw, dtype=np.float32)[None, :, None]
    pixels = (base * (0.4 + 0.6 * y) + 50 * x).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    r = min(width, height) // 6
    cx, cy = int(width * rng.uniform(0.3, 0.7)), int(height * rng.uniform(0.3, 0.6))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(230, 220, 200))
    draw.rectangle((0, int(height * 0.7), width, height), fill=(20, 25, 30))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


# --------------------------------------------------------------------------- video


@functools.lru_cache(maxsize=16)
def mp4(width: int, height: int, seconds: float, fps: int = 24) -> bytes:
    """H.264 MP4 of a drifting gradient (cached: encoding is the slow part of the fakes)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "35"}
        ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :]
        rows = np.linspace(0, 80, height, dtype=np.float32)[:, None]
        for i in range(max(1, round(seconds * fps))):
            luma = ((ramp + i * 4) % 256 * 0.7 + rows).clip(0, 255).astype(np.uint8)
            rgb = np.repeat(luma[:, :, None], 3, axis=2)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


# --------------------------------------------------------------------------- speech


@dataclass
class SpeechClip:
    samples: np.ndarray  # int16 mono
    rate: int
    characters: list[str]
    starts: list[float]
    ends: list[float]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


def speech(text: str, rate: int = 24000) -> SpeechClip:
    """Speech-like audio for `text` and each character's exact start/end."""
    chunks: list[np.ndarray] = []
    starts: list[float] = []
    ends: list[float] = []
    t = 0.0
    in_tag = ""
    for ch in text:
        if in_tag or ch in "<[":
            length, voiced = 0.01, False  # tags (<break/>, [pause]) are not spoken
            in_tag = "" if ch == in_tag else (in_tag or (">" if ch == "<" else "]"))
        elif ch.isalnum() or ch in "'’-":
            length, voiced = LETTER_S, True
        elif ch.isspace():
            length, voiced = SPACE_S, False
        else:
            length, voiced = PAUSES.get(ch, 0.05), False
        n = round(length * rate)
        chunks.append(_burst(ch, n, rate) if voiced else _silence(n))
        starts.append(round(t, 4))
        t += n / rate
        ends.append(round(t, 4))
    chunks.append(_silence(round(0.15 * rate)))
    samples = np.concatenate(chunks) if chunks else _silence(rate // 10)
    return SpeechClip((samples * 32767).astype(np.int16), rate, list(text), starts, ends)


def _burst(ch: str, n: int, rate: int) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / rate
    f0 = 110.0 + (ord(ch.lower()) % 13) * 4.0
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3, 5))
    return (0.3 * tone / 1.8).astype(np.float32)


def _silence(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.float32)


def voiced_segments(samples: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """Voiced runs (start, end) found by frame energy; gaps under 40 ms are bridged."""
    x = samples.astype(np.float32)
    if x.dtype != np.float32 or np.abs(x).max(initial=0) > 1.5:
        x = x / 32768.0
    hop = max(1, rate // 100)  # 10 ms
    frames = len(x) // hop
    if frames == 0:
        return []
    energy = np.sqrt((x[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1))
    voiced = energy > max(0.02, 0.1 * energy.max())
    runs: list[list[float]] = []
    for i, v in enumerate(voiced):
        if not v:
            continue
        start, end = i * hop / rate, (i + 1) * hop / rate
        if runs and start - runs[-1][1] < 0.04:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return [(round(a, 3), round(b, 3)) for a, b in runs if b - a >= 0.03]


# --------------------------------------------------------------------------- music / codecs


def music(seconds: float, rate: int = 44100) -> np.ndarray:
    """A slow minor chord with a pulse: float32 stereo."""
    t = np.arange(round(seconds * rate), dtype=np.float32) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 130.81, 164.81))
    pulse = 0.6 + 0.4 * np.sin(2 * np.pi * 1.5 * t) ** 2
    mono = (0.15 * chord * pulse).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def wav(samples: np.ndarray, rate: int) -> bytes:
    pcm = samples if samples.dtype == np.int16 else (np.clip(samples, -1, 1) * 32767).astype(
        np.int16)
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return out.getvalue()


def mp3(samples: np.ndarray, rate: int) -> bytes:
    """MP3 through PyAV's libmp3lame (float samples, mono or stereo)."""
    x = samples.astype(np.float32) / (32768.0 if samples.dtype == np.int16 else 1.0)
    if x.ndim == 1:
        x = x[:, None]
    layout = "mono" if x.shape[1] == 1 else "stereo"
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout=layout)
        planar = np.ascontiguousarray(x.T)
        step = 1152 * 8
        for i in range(0, planar.shape[1], step):
            frame = av.AudioFrame.from_ndarray(planar[:, i:i + step], format="fltp",
                                               layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def decode_any(data: bytes) -> tuple[np.ndarray, int]:
    """Uploaded audio (WAV from the adapters) -> mono float32 and its rate."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        frames = [f.to_ndarray() for f in container.decode(stream)]
    planar = np.concatenate(frames, axis=1).astype(np.float32)
    if frames[0].dtype == np.int16:
        planar /= 32768.0
    return planar.mean(axis=0), int(rate)


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def image_format(data: bytes) -> str | None:
    """PIL's name for the image's format (PNG, JPEG, WEBP), or None if it is no image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format
    except Exception:
        return None


def data_uri_image(uri: str) -> bytes | None:
    """The image bytes of a `data:image/<format>;base64,` URI, or None if it is not one of a
    decodable image."""
    head, _, payload = uri.partition(",")
    if not (head.startswith("data:image/") and head.endswith(";base64")):
        return None
    try:
        data = base64.b64decode(payload, validate=True)
        image_size(data)
    except Exception:
        return None
    return data


def image_list_problem(value: object, most: int) -> str | None:
    """What is wrong with a list input of image URLs (1 to `most`, each an http(s) URL or a
    data URI of a decodable image), or None."""
    if not isinstance(value, list) or not 1 <= len(value) <= most:
        return f"must be a list of 1 to {most} image URLs"
    for url in value:
        if not isinstance(url, str):
            return "every item must be a URL string"
        if not url.startswith(("http://", "https://")) and data_uri_image(url) is None:
            return "every item must be a URL or the data URI of an image"
    return None
