"""Both local TTS engines: real, decodable speech with one monotonic timing per word."""

from __future__ import annotations

import builtins
import io
import itertools
import os
from typing import Any

import numpy as np
import pytest
import soundfile
from reelforge.media.system import local_work_slots, release_memory
from reelforge.models import Word
from reelforge.providers import ProviderError, Speech
from reelforge.providers.registry import create
from reelforge.settings import Settings
from reelforge_audio import pcm
from reelforge_audio.tts import EspeakTTS, PiperTTS, create_local_tts
from reelforge_audio.words import spoken_tokens

TEXT = "In 1999, Dr. Mara Quill found the lighthouse dark... and nobody believed her!"


def decode(speech: Speech) -> tuple[np.ndarray, int]:
    """Round-trip through a WAV file, as the service stores it."""
    samples, rate = soundfile.read(io.BytesIO(pcm.wav_bytes(speech.audio)), dtype="float32")
    return samples, rate


def assert_covers_every_word(words: list[Word], text: str, duration: float) -> None:
    assert [w.text for w in words] == [t.text for t in spoken_tokens(text)]
    for previous, word in itertools.pairwise(words):
        assert word.start >= previous.end - 1e-6, (previous, word)
    for word in words:
        assert 0.0 <= word.start <= word.end <= duration + 1e-6
        assert word.line == 0
    # every word takes time, except at most one eSpeak folded into a neighbour
    assert sum(w.end - w.start < 0.02 for w in words) <= 1


def assert_speech_like(samples: np.ndarray, rate: int, duration: float) -> None:
    assert samples.ndim == 1 and len(samples) == pytest.approx(duration * rate, abs=1)
    assert 2.0 < duration < 12.0
    levels = pcm.frame_levels_db(samples, rate)
    voiced_fraction = float(np.mean(levels > -30))
    assert 0.3 < voiced_fraction < 0.98  # speech has pauses, and is mostly sound


async def test_piper_speaks_with_word_timings(piper_tts: PiperTTS) -> None:
    speech = await piper_tts.synthesize(TEXT)

    samples, rate = decode(speech)
    assert rate == 22050
    assert_speech_like(samples, rate, speech.audio.duration)
    assert_covers_every_word(speech.words, TEXT, speech.audio.duration)
    assert piper_tts.name == "piper:en_US-joe-medium"


async def test_piper_word_timings_follow_the_sound(piper_tts: PiperTTS) -> None:
    """Words separated by sentence pauses must start where sound resumes after silence."""
    speech = await piper_tts.synthesize("Stop. Wait. Go.")
    samples, rate = speech.audio.samples, speech.audio.rate
    levels = pcm.frame_levels_db(samples, rate)
    for word in speech.words[1:]:
        frame = int(word.start / pcm.FRAME_SECONDS)
        before = levels[max(0, frame - 8):max(1, frame - 3)]
        after = levels[frame + 2:frame + 8]
        assert before.max() < -25, f"{word.text} starts inside sound"
        assert after.max() > -15, f"{word.text} starts far from its sound"


async def test_espeak_fallback_speaks_with_word_timings(espeak_tts: EspeakTTS) -> None:
    speech = await espeak_tts.synthesize(TEXT)

    samples, rate = decode(speech)
    assert rate == 22050
    assert_speech_like(samples, rate, speech.audio.duration)
    assert_covers_every_word(speech.words, TEXT, speech.audio.duration)
    assert espeak_tts.name == "espeak-ng:en-us"


async def test_factory_picks_piper_and_falls_back_to_espeak(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(create("tts", "local", Settings()), PiperTTS)

    real_import = builtins.__import__

    def import_without_piper(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "piper" or name.startswith("piper."):
            raise ImportError("piper is not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", import_without_piper)
    fallback = create_local_tts(Settings())
    assert isinstance(fallback, EspeakTTS)
    speech = await fallback.synthesize("The fallback still speaks.")
    assert len(speech.words) == 4 and speech.audio.duration > 1.0


async def test_voices_resolve_or_fail_clearly(piper_tts: PiperTTS, espeak_tts: EspeakTTS) -> None:
    assert piper_tts.resolve_voice("en_US-joe-medium") == piper_tts.default_voice
    with pytest.raises(ProviderError, match="unknown voice"):
        await piper_tts.synthesize("hello", "no-such-voice")
    assert espeak_tts.resolve_voice("en_GB-alan-medium") == "en"  # British is "en"
    assert espeak_tts.resolve_voice("en_US-lessac-high.onnx") == "en-us"
    assert espeak_tts.resolve_voice("en-us+m3") == "en-us+m3"
    with pytest.raises(ProviderError, match="unknown voice"):
        await espeak_tts.synthesize("hello", "xx-nowhere")


@pytest.mark.parametrize("path", ["/etc/passwd", "/no/such/voice.onnx", "../../en_US-joe-medium",
                                  "{default}"])
async def test_a_voice_is_a_name_never_a_path_on_the_worker(piper_tts: PiperTTS, path: str) -> None:
    """A tenant's `voice` must not reveal whether a file exists on the worker: every path,
    present or not, even the default voice's own, gets the same answer naming the choices."""
    with pytest.raises(ProviderError) as err:
        piper_tts.resolve_voice(path.format(default=piper_tts.default_voice))
    assert str(err.value).endswith("choose one of: en_US-joe-medium")
    assert "not found" not in str(err.value)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def test_piper_hands_back_a_long_lines_memory_once_spoken() -> None:
    """onnxruntime's arena would keep every block a long sentence needed (about 170 MB
    more than a short line's); the voice's session shrinks it after each run."""
    tts = PiperTTS()
    await tts.synthesize("The light is out.")
    release_memory()
    spoken_short = _rss_mb()
    long_sentence = ("Every night for forty years the keeper climbed the stairs and lit the lamp "
                     "for ships that never came, until the winter a stranger walked out of the "
                     "sea carrying a map of the lighthouse that nobody living could have drawn.")
    speech = await tts.synthesize(long_sentence)
    assert speech.audio.duration > 10
    release_memory()
    assert _rss_mb() - spoken_short < 60
    tts.release_models()


async def test_a_piper_line_holds_one_of_the_local_work_slots(
    piper_tts: PiperTTS, monkeypatch: pytest.MonkeyPatch
) -> None:
    from piper import PiperVoice

    held: list[int] = []
    speak = PiperVoice.synthesize

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        held.append(local_work_slots().in_use())
        return speak(self, *args, **kwargs)

    monkeypatch.setattr(PiperVoice, "synthesize", counting)
    before = local_work_slots().in_use()
    await piper_tts.synthesize("The light is out.")
    assert held == [before + 1]
