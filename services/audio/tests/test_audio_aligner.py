"""PocketSphinx forced alignment against the TTS engines' own timings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from reelforge.providers import Audio
from reelforge.providers.registry import create
from reelforge.settings import Settings
from reelforge_audio import pcm
from reelforge_audio.aligner import PocketsphinxAligner
from reelforge_audio.tts import EspeakTTS, PiperTTS

TEXT = "Nobody in Harbourville remembers the night Zorvanek arrived."
""""Harbourville" and "Zorvanek" are not in the CMU dictionary: letter-to-sound covers them."""
MEAN_TOLERANCE = 0.08
MAX_TOLERANCE = 0.2


def start_differences(aligned: list, spoken: list) -> np.ndarray:
    assert [w.text for w in aligned] == [w.text for w in spoken]
    return np.array([abs(a.start - s.start) for a, s in zip(aligned, spoken, strict=True)])


@pytest.mark.parametrize("engine", ["piper_tts", "espeak_tts"])
async def test_alignment_agrees_with_the_tts(
    engine: str, aligner: PocketsphinxAligner, request: pytest.FixtureRequest
) -> None:
    tts: PiperTTS | EspeakTTS = request.getfixturevalue(engine)
    speech = await tts.synthesize(TEXT)
    speech48k = Audio(pcm.resample(speech.audio.samples, speech.audio.rate, 48_000), 48_000)

    aligned = await aligner.align(speech48k, TEXT)

    differences = start_differences(aligned, speech.words)
    assert differences.mean() < MEAN_TOLERANCE, differences
    assert differences.max() < MAX_TOLERANCE, differences
    for previous, word in itertools.pairwise(aligned):
        assert previous.start < word.start and previous.end <= word.start + 1e-6


async def test_alignment_is_relative_to_the_audio_given(
    piper_tts: PiperTTS, aligner: PocketsphinxAligner
) -> None:
    """Leading silence moves every word by exactly that much."""
    speech = await piper_tts.synthesize("Keep the lights on.")
    rate = speech.audio.rate
    padded = Audio(np.concatenate([np.zeros(rate, dtype=np.float32), speech.audio.samples]),
                   rate)
    plain = await aligner.align(speech.audio, "Keep the lights on.")
    shifted = await aligner.align(padded, "Keep the lights on.")
    assert len(plain) == len(shifted) == 4
    for a, b in zip(plain, shifted, strict=True):
        assert b.start - a.start == pytest.approx(1.0, abs=0.05)


async def test_unalignable_audio_yields_no_words_instead_of_failing(
    aligner: PocketsphinxAligner,
) -> None:
    noise = np.random.default_rng(1).normal(0, 0.3, 16_000).astype(np.float32)
    words = await aligner.align(Audio(noise, 16_000), "a long sentence that is certainly "
                                "not in this short burst of noise at all")
    assert len(words) < 14  # the service falls back to TTS timings for the rest


def test_registered_as_the_local_aligner() -> None:
    assert isinstance(create("aligner", "local", Settings()), PocketsphinxAligner)
