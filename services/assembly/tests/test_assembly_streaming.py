"""Streaming pieces of the renderer: the blockwise loudness meter agrees with pyloudnorm, the
mix streamed over many blocks meets its targets, and a soundtrack made while the video renders
ends up in every output, interleaved and complete."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
import soundfile
from assembly_samples import SMALL_SIDE, SMALL_SIZES, even_timeline, make_clip, tone, write_wav
from reelforge_assembly import mix
from reelforge_assembly.render import plan_variants, render_timeline
from reelforge_assembly.sources import SceneSource


@pytest.mark.parametrize("samples", [48_000 * 2 + 17, 48_000 * 9])
def test_blockwise_loudness_is_pyloudnorms(samples: int) -> None:
    rng = np.random.default_rng(1)
    data = (rng.normal(0, 0.1, (samples, 2)) * np.sin(np.arange(samples) / 9000)[:, None])
    meter = mix.LoudnessMeter(48_000)
    for start in range(0, samples, 30_011):  # blocks that fall across hops and gates
        meter.add(data[start:start + 30_011].astype(np.float32))
    expected = pyloudnorm.Meter(48_000).integrated_loudness(data.astype(np.float32))
    assert meter.integrated() == pytest.approx(expected, abs=1e-6)


def test_streamed_mix_over_many_blocks_meets_the_targets(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mix, "BLOCK", 1 << 14)  # 0.34 s blocks: dozens of them
    voice = write_wav(tmp_path / "vo.wav", tone(6.0, rate=22_050, freq=180.0, level=0.3), 22_050)
    score = write_wav(tmp_path / "score.wav", tone(7.0, rate=44_100, freq=440.0, level=0.6),
                      44_100)
    samples = round(6.5 * 48_000)
    report = mix.mix_files(voice, score, tmp_path / "mix.wav", samples)
    data, rate = soundfile.read(str(tmp_path / "mix.wav"), dtype="float32", always_2d=True)
    assert data.shape == (samples, 2) and rate == 48_000
    measured = pyloudnorm.Meter(rate).integrated_loudness(data.astype(np.float64))
    assert measured == pytest.approx(report.loudness_lufs, abs=0.05)
    assert report.loudness_lufs == pytest.approx(-16.0, abs=1.0)
    assert report.true_peak_dbtp <= -1.0
    assert np.abs(data[-5:]).max() < 1e-3  # the closing fade reaches silence


def test_a_late_soundtrack_still_lands_in_every_output(tmp_path: Path) -> None:
    clips = [make_clip(tmp_path / f"{i}.mp4", 1.0, phase=i) for i in range(2)]
    wav = write_wav(tmp_path / "audio.wav", tone(6.0, rate=48_000, level=0.1), 48_000)

    def slow_mix() -> Path:  # made on its own thread while the video renders
        time.sleep(1.0)
        return wav

    outputs = {a: tmp_path / f"out_{a.replace(':', 'x')}.mp4" for a in SMALL_SIZES}
    timeline = even_timeline(2, 1.5, 24, "T", "t")
    variants = {v.aspect: v for v in plan_variants("16:9", master_side=SMALL_SIDE,
                                                   sizes=SMALL_SIZES)}
    render_timeline(timeline, {i: SceneSource(c) for i, c in enumerate(clips)},
                    [(variants[a], p) for a, p in outputs.items()], audio=slow_mix,
                    master_side=SMALL_SIDE)
    for path in outputs.values():
        with av.open(str(path)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            assert _seconds(video) == pytest.approx(timeline.duration, abs=0.05)
            assert _seconds(audio) == pytest.approx(timeline.duration, abs=0.1)
            kinds = [packet.stream.type for packet in container.demux()
                     if packet.size][:200]
        assert "audio" in kinds[:40]  # interleaved from the start, not appended at the end


def _seconds(stream: av.stream.Stream) -> float:
    assert stream.duration is not None and stream.time_base is not None
    return float(stream.duration * stream.time_base)
