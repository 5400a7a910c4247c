"""Shared engines: loading a Piper voice takes seconds, so one of each per test session."""

from __future__ import annotations

import pytest
from reelforge_audio.aligner import PocketsphinxAligner
from reelforge_audio.music import LocalComposer
from reelforge_audio.tts import EspeakTTS, PiperTTS


@pytest.fixture(scope="session")
def piper_tts() -> PiperTTS:
    return PiperTTS()


@pytest.fixture(scope="session")
def espeak_tts() -> EspeakTTS:
    return EspeakTTS()


@pytest.fixture(scope="session")
def aligner() -> PocketsphinxAligner:
    return PocketsphinxAligner()


@pytest.fixture(scope="session")
def composer() -> LocalComposer:
    return LocalComposer()
