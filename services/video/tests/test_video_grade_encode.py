"""The grade and the encoder: black-and-white really is grey and CLAHE-stretched, the colour
grade splits tones, quality picks the x264 settings, and remote clips are conformed."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from reelforge.media.x264 import CLIP_X264
from reelforge_video.encode import decode_pictures, encode_clip, probe
from reelforge_video.grade import black_and_white, filmic_colour, grader_for
from reelforge_video.planes import Form, still_planes
from video_samples import decode_clip, synthetic_mp4, textured_still

SIDE = 96


def flat_colour_frame(seed: int = 0) -> np.ndarray:
    """A dull, low-contrast colour frame: values crowd 110..150."""
    rgb = textured_still(SIDE, seed).astype(np.float32)
    return np.clip(110 + (rgb - rgb.min()) / (rgb.max() - rgb.min()) * 40, 0, 255).astype(np.uint8)


def test_black_and_white_is_grey_and_stretches_the_histogram(tmp_path: Path) -> None:
    source = flat_colour_frame()
    graded = black_and_white()(source)
    assert np.array_equal(graded[..., 0], graded[..., 1])
    assert np.array_equal(graded[..., 1], graded[..., 2])
    before = np.percentile(cv2.cvtColor(source, cv2.COLOR_RGB2GRAY), [2, 98])
    after = np.percentile(graded[..., 0], [2, 98])
    assert after[1] - after[0] > 2.0 * (before[1] - before[0])  # CLAHE spread the tones

    path = tmp_path / "bw.mp4"
    encode_clip((black_and_white()(flat_colour_frame(i)) for i in range(6)), path, 12, "final")
    for frame in decode_clip(path).frames:  # still grey after 4:2:0 and back
        channels = frame.astype(np.int16)
        assert np.abs(channels[..., 0] - channels[..., 1]).max() <= 3
        assert np.abs(channels[..., 1] - channels[..., 2]).max() <= 3


def test_colour_grade_cools_shadows_and_warms_highlights() -> None:
    ramp = np.repeat(np.linspace(0, 255, SIDE, dtype=np.uint8)[None, :, None], 3, axis=2)
    ramp = np.repeat(ramp, 8, axis=0)  # a neutral grey ramp, dark to light
    graded = filmic_colour()(ramp).astype(np.int16)
    shadows, highlights = graded[:, 10:25], graded[:, -25:-10]
    assert (shadows[..., 2] - shadows[..., 0]).mean() > 3  # teal: blue over red
    assert (highlights[..., 0] - highlights[..., 2]).mean() > 3  # orange: red over blue
    assert grader_for("color")(ramp).shape == ramp.shape


def test_quality_sets_preset_and_crf(tmp_path: Path) -> None:
    frames = [textured_still(SIDE, i) for i in range(6)]
    # ultrafast (both qualities: cheap to encode and to decode) writes no CABAC, no deblocking
    in_band = {"ultrafast": (b"cabac=0", b"deblock=0"), "veryfast": (b"cabac=1", b"deblock=1")}
    for quality, settings in CLIP_X264.items():
        path = tmp_path / f"{quality}.mp4"
        info = encode_clip(iter(frames), path, 12, quality)
        assert (info.frames, info.width, info.height) == (6, SIDE, SIDE)
        data = path.read_bytes()
        assert f"crf={settings.crf}.0".encode() in data  # x264 writes its settings in-band
        assert all(option in data for option in in_band[settings.preset])
        with av.open(str(path), mode="r") as container:
            context = container.streams.video[0].codec_context
            assert context.colorspace == 1 and context.color_primaries == 1  # BT.709
    assert CLIP_X264["final"].crf < CLIP_X264["draft"].crf


def test_a_remote_clip_is_conformed_to_our_size_and_rate(tmp_path: Path) -> None:
    mp4 = synthetic_mp4(tmp_path / "remote.mp4", 160, 90, fps=10, count=20)  # 2 s, 16:9
    frames = [p[0] for p in decode_pictures(mp4, fps=12, width=SIDE, height=SIDE)]
    assert len(frames) == pytest.approx(24, abs=1)
    assert all(f.shape == (SIDE, SIDE, 3) for f in frames)
    path = tmp_path / "conformed.mp4"
    info = encode_clip(iter(frames), path, 12, "draft")
    assert probe(path).frames == info.frames == len(frames)
    assert probe(path).fps == 12


def test_decoding_a_remote_clip_stops_at_the_seconds_asked_for(tmp_path: Path) -> None:
    """A provider's clip whose last frame claims to be an hour in would be held and
    repeated for 86,400 frames; decoding stops at what the shot needs."""
    mp4 = synthetic_mp4(tmp_path / "remote.mp4", 160, 90, fps=10, count=20)  # 2 s
    assert len(list(decode_pictures(mp4, fps=12, width=SIDE, height=SIDE, seconds=0.5))) == 6
    assert len(list(decode_pictures(mp4, fps=12, width=SIDE, height=SIDE, seconds=10))) == 24


@pytest.mark.parametrize("form", ["luma", "yuv420"])
def test_a_remote_clip_decodes_into_the_planes_of_its_rgb_frames(tmp_path: Path,
                                                                 form: Form) -> None:
    """Decoded straight to the grade's planes, a remote clip is the picture its RGB
    decoding gives (cover-scaled and cropped alike), seen through `still_planes`."""
    mp4 = synthetic_mp4(tmp_path / "remote.mp4", 160, 90, fps=10, count=20)
    rgb = [p[0] for p in decode_pictures(mp4, fps=12, width=SIDE, height=SIDE)]
    pictures = list(decode_pictures(mp4, fps=12, width=SIDE, height=SIDE, form=form))
    assert len(pictures) == len(rgb)
    for frame, picture in zip(rgb[::6], pictures[::6], strict=True):
        expected = still_planes(frame, form)
        assert [p.shape for p in picture] == [p.shape for p in expected]
        for got, want in zip(picture, expected, strict=True):
            # the source's own luma weights and chroma siting, not ours: close, not equal
            assert np.abs(got.astype(np.int16) - want.astype(np.int16)).mean() < 2.0
