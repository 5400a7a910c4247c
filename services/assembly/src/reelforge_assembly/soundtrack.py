"""The trailer's soundtrack: the voiceover over the ducked score, loudness-normalised
(`mix.py`), encoded to AAC once (`encode.py`).

It depends only on the audio stage's outputs and the trailer's length (the voiceover plus
the end card), so the service makes it as soon as the audio stage is done, while the video
stage is still running; the render then only remuxes its packets into every output.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from reelforge_assembly.encode import AacWriter
from reelforge_assembly.mix import RATE, MixReport, mix_files
from reelforge_assembly.timeline import trailer_frames


def soundtrack_samples(voiceover_seconds: float, fps: int, rate: int = RATE) -> int:
    """Samples in a soundtrack exactly as long as the trailer's frames."""
    return round(trailer_frames(voiceover_seconds, fps) * rate / fps)


def make_soundtrack(voiceover: Path, score: Path, samples: int, out: Path,
                    bitrate: int) -> MixReport:
    """Mix `samples` samples of soundtrack and encode them to an AAC file at `out`. The
    encoder takes each output pass of the mix as it is written, on a second core; the
    last pass, the mix, is the one whose encoding is kept."""
    encoder = _PassEncoder(out, bitrate)
    try:
        with tempfile.TemporaryDirectory(prefix="reelforge-soundtrack-") as tmp:
            report = mix_files(voiceover, score, Path(tmp) / "soundtrack.wav", samples,
                               sink=encoder)
        encoder.close()
    except BaseException:
        encoder.abort()
        raise
    return report


class _PassEncoder:
    """A `mix.PassSink` that encodes each pass to `out`, abandoning the one before."""

    def __init__(self, out: Path, bitrate: int) -> None:
        self._out = out
        self._bitrate = bitrate
        self._writer: AacWriter | None = None

    def begin_pass(self) -> None:
        self.abort()
        self._writer = AacWriter(self._out, RATE, 2, self._bitrate)

    def write(self, block: np.ndarray) -> None:
        assert self._writer is not None, "a block before its pass began"
        self._writer.write(block)

    def close(self) -> None:
        if self._writer is None:
            raise ValueError("the mix wrote no pass")
        self._writer.close()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
