"""The mix: -16 LUFS, true peak <= -1 dBTP (measured independently), the score ducked under
speech, exact length, 48 kHz stereo."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import soundfile
from assembly_samples import make_script, make_words, speech_like, tone, write_wav
from reelforge_assembly.mix import RATE, limit, mix_files
from scipy.signal import resample_poly

SCORE_HZ = 1000.0


def _true_peak_db(samples: np.ndarray) -> float:
    """BS.1770 true peak, computed here on its own: 4x polyphase oversampling, max |x|."""
    up = resample_poly(samples.astype(np.float64), 4, 1, axis=0)
    return float(20 * np.log10(np.abs(up).max()))


def _tone_level_db(samples: np.ndarray, start: float, end: float) -> float:
    """Level of the 1 kHz score tone alone in [start, end): a windowed FFT bin, which the
    speech (band-limited noise far below 1 kHz) barely touches."""
    mono = samples[round(start * RATE): round(end * RATE)].mean(axis=1)
    window = np.hanning(len(mono))
    spectrum = np.abs(np.fft.rfft(mono * window))
    freqs = np.fft.rfftfreq(len(mono), 1 / RATE)
    band = (freqs > SCORE_HZ - 15) & (freqs < SCORE_HZ + 15)
    return float(20 * np.log10(spectrum[band].max() / window.sum()))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mix")
    script = make_script([(0, "one two three four five six"), (1, "seven eight nine ten"),
                          (2, "eleven twelve thirteen fourteen")])
    words = make_words(script, [1.0, 7.0, 13.0], 18.0)
    voice = speech_like(words, rate=22_050)
    # a loud, peaky score: the limiter has real work to do
    score = tone(19.0, rate=44_100, freq=SCORE_HZ, level=0.5)
    score[::4410] = 0.99
    samples = round(21.0 * RATE)
    report = mix_files(write_wav(folder / "vo.wav", voice, 22_050),
                       write_wav(folder / "score.wav", score, 44_100),
                       folder / "mix.wav", samples)
    data, rate = soundfile.read(str(folder / "mix.wav"), dtype="float32", always_2d=True)
    return data, rate, samples, words, report


def test_format_and_exact_length(mixed) -> None:
    data, rate, samples, _, _ = mixed
    assert rate == 48_000
    assert data.shape == (samples, 2)


def test_integrated_loudness_is_minus_16_lufs(mixed) -> None:
    data, rate, _, _, report = mixed
    loudness = pyloudnorm.Meter(rate).integrated_loudness(data.astype(np.float64))
    assert loudness == pytest.approx(-16.0, abs=1.0)
    assert report.loudness_lufs == pytest.approx(loudness, abs=0.05)


def test_true_peak_is_at_most_minus_1_dbtp(mixed) -> None:
    data, _, _, _, report = mixed
    assert _true_peak_db(data) <= -1.0
    assert report.true_peak_dbtp <= -1.0


def test_score_ducks_8_to_10_db_under_speech(mixed) -> None:
    data, _, _, words, _ = mixed
    lines = {}
    for w in words.words:
        first, last = lines.get(w.line, (w.start, w.end))
        lines[w.line] = (min(first, w.start), max(last, w.end))
    speech = [_tone_level_db(data, a + 0.3, b - 0.3) for a, b in lines.values()]
    gaps = [_tone_level_db(data, 4.0, 6.3), _tone_level_db(data, 10.0, 12.3)]
    dip = np.mean(gaps) - np.mean(speech)
    assert 7.0 <= dip <= 11.0, (speech, gaps)
    assert max(speech) < min(gaps)


def test_limiter_holds_the_ceiling_on_inter_sample_peaks() -> None:
    t = np.arange(RATE) / RATE
    # a near-Nyquist tone whose true peak sits between samples, above the sample peaks
    signal = (0.99 * np.sin(2 * np.pi * (RATE / 4) * t + np.pi / 4)).astype(np.float32)
    stereo = np.stack([signal, signal], axis=1)
    ceiling = 10 ** (-1.2 / 20)
    limited = limit(stereo, RATE, ceiling)
    assert _true_peak_db(limited) <= -1.0


class RecordingSink:
    def __init__(self) -> None:
        self.passes: list[list[np.ndarray]] = []

    def begin_pass(self) -> None:
        self.passes.append([])

    def write(self, block: np.ndarray) -> None:
        self.passes[-1].append(block.copy())


def test_a_pass_sink_sees_every_pass_and_the_last_is_the_mix(tmp_path) -> None:
    """Dense clicks under quiet speech: the limiter costs loudness, so a second pass."""
    script = make_script([(0, "one two three four five six"), (1, "seven eight nine ten")])
    voice = speech_like(make_words(script, [1.0, 5.0], 9.0), rate=22_050) * 0.05
    score = tone(10.0, rate=44_100, freq=SCORE_HZ, level=0.05)
    score[::441] = 0.99
    sink = RecordingSink()
    report = mix_files(write_wav(tmp_path / "vo.wav", voice, 22_050),
                       write_wav(tmp_path / "score.wav", score, 44_100),
                       tmp_path / "mix.wav", 10 * RATE, sink=sink)
    assert report.passes == len(sink.passes) == 2
    written, _ = soundfile.read(str(tmp_path / "mix.wav"), dtype="float32", always_2d=True)
    assert np.array_equal(np.concatenate(sink.passes[-1]), written)
    assert not np.array_equal(np.concatenate(sink.passes[0]), written)
