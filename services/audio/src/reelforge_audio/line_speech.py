"""One narration line's speech (and its alignment) as stored units, so that an edit to one
line of a script speaks and aligns that line alone again.

A line is kept as two blobs: its samples as a 16-bit WAV (48 kHz mono, as `speak_line`
returns them) and, written last so that its presence marks the pair complete, the TTS word
timings and the provider that spoke it. A freshly spoken line is used in the form it is
stored in, so a voiceover is the same whether its lines were spoken now or read back.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TypeVar

import soundfile
from pydantic import ValidationError
from reelforge.models import Model, Word
from reelforge.providers import Audio, Speech

from reelforge_audio import pcm
from reelforge_audio.voiceover import VOICEOVER_RATE

M = TypeVar("M", bound=Model)

MAX_LINE_SECONDS = 120.0
"""No narration line lasts this long; a stored one that claims to is not read."""
MAX_JSON_BYTES = 1024 * 1024
WAV_HEADER_SLACK_BYTES = 4096


class LineTimings(Model):
    """What is stored beside a line's WAV: who spoke it and where its words are."""

    tts: str
    rate: int
    samples: int
    words: list[Word]


class LineAlignment(Model):
    """What is stored once a line's clip is aligned: the aligner that answered and its
    words, in the clip's time."""

    aligner: str
    words: list[Word]


@dataclass(frozen=True)
class StoredLine:
    """A line ready to store, and its speech as it reads back from the store."""

    wav: bytes
    timings: LineTimings
    speech: Speech


def encode(speech: Speech, tts: str) -> StoredLine:
    """The WAV and the timings to store for a line that `tts` spoke."""
    wav = pcm.wav_bytes(speech.audio)
    timings = LineTimings(tts=tts, rate=speech.audio.rate, samples=len(speech.audio.samples),
                          words=speech.words)
    return StoredLine(wav, timings, Speech(audio=pcm.read_wav(wav), words=speech.words))


def decode_json(data: bytes, model: type[M]) -> M | None:
    """A stored line's timings or alignment, or None when the blob is too large or not
    what was written."""
    if len(data) > MAX_JSON_BYTES:
        return None
    try:
        return model.model_validate_json(data)
    except ValidationError:
        return None


def decode(wav: bytes, timings: LineTimings) -> Speech | None:
    """The stored speech, or None when the WAV does not match its timings (or is larger
    than any line): such a line is spoken again rather than trusted."""
    if timings.rate != VOICEOVER_RATE or timings.samples > MAX_LINE_SECONDS * VOICEOVER_RATE:
        return None
    if len(wav) > timings.samples * 2 + WAV_HEADER_SLACK_BYTES:
        return None
    try:
        samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=False)
    except soundfile.LibsndfileError:
        return None
    if rate != timings.rate or samples.ndim != 1 or len(samples) != timings.samples:
        return None
    return Speech(audio=Audio(samples=samples, rate=rate), words=timings.words)
