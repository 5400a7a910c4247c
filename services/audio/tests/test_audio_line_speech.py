"""A line's stored speech reads back exactly as it is used, and a stored pair that is not
what was written (torn, oversized, not audio) is refused rather than trusted."""

from __future__ import annotations

import numpy as np
import pytest
from audio_samples import NARRATION
from reelforge_audio.line_speech import (
    MAX_JSON_BYTES,
    MAX_LINE_SECONDS,
    LineTimings,
    StoredLine,
    decode,
    decode_json,
    encode,
)
from reelforge_audio.tts import EspeakTTS
from reelforge_audio.voiceover import VOICEOVER_RATE, speak_line


async def nothing() -> None:
    return None


@pytest.fixture
async def stored(espeak_tts: EspeakTTS) -> StoredLine:
    return encode(await speak_line(espeak_tts, NARRATION[3], None, nothing), espeak_tts.name)


def test_a_line_reads_back_as_it_is_used(stored: StoredLine) -> None:
    timings = decode_json(stored.timings.model_dump_json().encode(), LineTimings)
    assert timings == stored.timings and timings.rate == VOICEOVER_RATE
    speech = decode(stored.wav, timings)
    assert speech is not None and speech.words == stored.speech.words
    assert np.array_equal(speech.audio.samples, stored.speech.audio.samples)
    assert speech.audio.duration > 0.3


def test_a_stored_line_that_is_not_what_was_written_is_refused(stored: StoredLine) -> None:
    timings = stored.timings
    assert decode(stored.wav[: len(stored.wav) // 2], timings) is None
    assert decode(stored.wav + bytes(len(stored.wav)), timings) is None
    assert decode(b"RIFF" + bytes(len(stored.wav) - 4), timings) is None
    too_long = timings.model_copy(update={"samples": int(MAX_LINE_SECONDS * VOICEOVER_RATE) + 1})
    assert decode(stored.wav, too_long) is None
    assert decode_json(b'{"tts": "espeak"}', LineTimings) is None
    assert decode_json(b" " * (MAX_JSON_BYTES + 1), LineTimings) is None
