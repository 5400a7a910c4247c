"""What a provider returns is decoded within bounds: a clip much longer than asked for or
larger than 4K is refused before decoding, and audio decoding stops at a length limit."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import pytest
from provider_fakes import media
from reelforge.providers.remote.media import MediaError, check_clip, decode_audio


def lying_mp4(last_frame_at: float, width: int = 64, height: int = 64) -> bytes:
    """Two frames, the second `last_frame_at` seconds in: a few KB that claim an hour."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 24)
        for pts in (0, round(last_frame_at * 24)):
            frame = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), "rgb24")
            frame.pts = pts
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return out.getvalue()


def test_a_clip_claiming_an_hour_is_refused() -> None:
    clip = lying_mp4(3600.0)
    assert len(clip) < 10_000
    with pytest.raises(MediaError, match=r"lasts 3600\.\ds for 5\.0s requested"):
        check_clip(clip, 5.0)


def test_a_provider_rounding_up_to_its_duration_steps_is_accepted() -> None:
    assert check_clip(media.mp4(160, 96, 10.0, 24), 5.0)[0] == pytest.approx(10.0, abs=0.1)


def test_a_clip_larger_than_4k_is_refused() -> None:
    with pytest.raises(MediaError, match="4160x64, larger than 4K"):
        check_clip(lying_mp4(1.0, width=4160), 5.0)


def test_audio_decoding_stops_at_its_limit() -> None:
    song = media.mp3(media.music(3.0), 44100)
    assert decode_audio(song).duration > 2.9
    with pytest.raises(MediaError, match="audio longer than 1s"):
        decode_audio(song, max_seconds=1.0)
