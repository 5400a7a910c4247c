"""The soundtrack: the mix encoded to AAC while it is being mixed, exactly as a mix written
first and encoded after would be, and an encoder failure that surfaces instead of hanging."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from assembly_samples import make_script, make_words, speech_like, tone, write_wav
from reelforge_assembly.encode import AacWriter, encode_audio
from reelforge_assembly.mix import RATE, mix_files
from reelforge_assembly.soundtrack import make_soundtrack, soundtrack_samples


def _packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def test_the_streamed_encoding_is_the_encoding_of_the_mix(tmp_path: Path) -> None:
    """A mix that takes two passes: the first pass's encoding is abandoned, the second's
    kept, and it is packet for packet what encoding the finished mix gives."""
    script = make_script([(0, "one two three four five six"), (1, "seven eight nine ten")])
    voice = speech_like(make_words(script, [1.0, 5.0], 9.0), rate=22_050) * 0.05
    score = tone(10.0, rate=44_100, freq=1000.0, level=0.05)
    score[::441] = 0.99
    vo = write_wav(tmp_path / "vo.wav", voice, 22_050)
    sc = write_wav(tmp_path / "score.wav", score, 44_100)
    samples = soundtrack_samples(7.0, 24)  # 7 s of voiceover + the 3 s end card
    assert samples == 10 * RATE

    report = make_soundtrack(vo, sc, samples, tmp_path / "streamed.m4a", 192_000)
    assert report.passes == 2
    mixed = mix_files(vo, sc, tmp_path / "mix.wav", samples)
    encode_audio(tmp_path / "mix.wav", tmp_path / "after.m4a", 192_000)
    assert report == mixed
    assert _packets(tmp_path / "streamed.m4a") == _packets(tmp_path / "after.m4a")
    with av.open(str(tmp_path / "streamed.m4a")) as container:
        decoded = sum(f.samples for f in container.decode(audio=0))
    assert abs(decoded - samples) <= 1024  # AAC works in frames of 1024 samples


def test_an_encoder_failure_is_raised_and_never_blocks_the_writer(tmp_path: Path) -> None:
    writer = AacWriter(tmp_path / "missing-folder" / "out.m4a", RATE, 2, 192_000, depth=2)
    block = np.zeros((4096, 2), np.float32)
    with pytest.raises((av.FFmpegError, OSError)):
        for _ in range(50):  # far more than the queue holds
            writer.write(block)
        writer.close()
