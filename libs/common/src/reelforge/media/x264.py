"""H.264 through libx264: the two quality tables and the colour tags every file carries.

Clips and trailers are encoded for different ends, so each keeps its own table:
`CLIP_X264` for the video stage's intermediates (decoded again by assembly) and
`TRAILER_X264` for the files people watch.
"""

from __future__ import annotations

from dataclasses import dataclass

import av

from reelforge.models import Quality

BT709 = 1
"""ISO/IEC 23091-4 code point for BT.709 primaries, transfer and matrix."""
LIMITED_RANGE = 1


@dataclass(frozen=True)
class X264Settings:
    preset: str
    crf: int

    def options(self) -> dict[str, str]:
        """The stream options libx264 takes."""
        return {"preset": self.preset, "crf": str(self.crf)}


CLIP_X264: dict[Quality, X264Settings] = {
    "final": X264Settings("ultrafast", 20),
    "draft": X264Settings("ultrafast", 23),
}
"""Both ultrafast: on the 1920x1920 master, ultrafast keeps the graded frames as faithfully as
veryfast at the same CRF (44.2 vs 44.5 dB PSNR at CRF 18) for a third of the encode CPU
(18.5 vs 54 ms a frame), a quarter of the encoder's memory, and cheaper decoding in assembly
(no CABAC, no deblocking). CRF 20 rather than 18: what matters is the trailer made from the
clip: the final trailer (veryfast CRF 20) measured 42.2 dB PSNR against the uncompressed
graded frames through a CRF 20 clip and 42.7 dB through a CRF 18 one (43.4 dB with no
intermediate at all), while the clip is 41 % smaller, 13 % cheaper to encode and 29 %
cheaper to decode (5.3 vs 7.5 ms a frame): decoding is the assembly render's largest cost
after x264 itself."""

TRAILER_X264: dict[Quality, X264Settings] = {
    "final": X264Settings("veryfast", 20),
    "draft": X264Settings("ultrafast", 26),
}


def tag_bt709(context: av.VideoCodecContext) -> None:
    """Tag the stream BT.709 limited range, as players assume for HD."""
    context.colorspace = context.color_primaries = context.color_trc = BT709
    context.color_range = LIMITED_RANGE
