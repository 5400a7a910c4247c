"""The plane path: the stage warps and grades the planes it encodes (the luminance alone for
black and white), and that gives the pictures the RGB path gives."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import numpy as np
import pytest
from reelforge.providers import ClipRequest
from reelforge_video.clips import read_ahead, render_clip
from reelforge_video.generator import LocalVideoGen
from reelforge_video.grade import (
    GRAIN_BLUR,
    black_and_white,
    black_and_white_planes,
    filmic_colour,
    filmic_colour_planes,
)
from reelforge_video.planes import matrix_for_scale, still_planes, to_rgb
from video_samples import decode_clip, png_with_depth, shot, still_nearness, textured_still

SIDE = 96


def _request(camera: str = "push_in") -> ClipRequest:
    png = png_with_depth(textured_still(SIDE), still_nearness(SIDE))
    return ClipRequest(frame_png=png, shot=shot(0, camera, 1.0), width=SIDE, height=SIDE,
                       fps=12, seed=3)


def test_grey_planes_are_the_rgb_grade_in_limited_range() -> None:
    rgb = textured_still(SIDE)
    grey = black_and_white()(rgb)[..., 0].astype(np.float32)
    (y,) = black_and_white_planes(GRAIN_BLUR)((cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),))
    assert np.abs(y - (16 + grey * 219 / 255)).max() <= 1.0


def test_colour_planes_match_the_rgb_grade() -> None:
    rgb = textured_still(SIDE, 2)
    expected = filmic_colour()(rgb).astype(np.float32)
    graded = to_rgb(filmic_colour_planes()(still_planes(rgb, "yuv420")), "yuv420")
    graded = graded.astype(np.float32)
    # 4:2:0 chroma and rounding only
    assert np.abs(graded - expected).mean() < 3.0


@pytest.mark.parametrize("camera", ["drift", "parallax"])
def test_luma_frames_are_the_grey_of_the_rgb_frames(camera: str) -> None:
    generator = LocalVideoGen()
    rgb = list(generator.frames(_request(camera), 1.0))
    luma = list(generator.frames(_request(camera), 1.0, "luma"))
    assert len(rgb) == len(luma)
    for colour, (y,) in zip(rgb, luma, strict=True):
        # bilinear on the plane vs bicubic on RGB: close, not equal
        assert np.abs(cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY).astype(np.float32)
                      - y).mean() < 4.0


def test_chroma_matrix_keeps_pixel_centres_aligned() -> None:
    matrix = np.array([[1.1, 0.02, -5.0], [-0.02, 1.1, 3.0]])
    half = matrix_for_scale(matrix, 2)
    point = np.array([10.0, 20.0])  # a chroma pixel centre, in chroma pixels
    fine = point * 2 + 0.5  # the same place in luma pixels
    assert np.allclose((matrix[:, :2] @ fine + matrix[:, 2] - 0.5) / 2,
                       half[:, :2] @ point + half[:, 2])


def test_the_local_generator_takes_the_plane_path_and_clips_stay_grey(tmp_path: Path) -> None:
    path = tmp_path / "bw.mp4"
    info = asyncio.run(render_clip(LocalVideoGen(), _request(), 1.0, "bw", "final", path))
    clip = decode_clip(path)
    assert len(clip.frames) == info.frames == 12
    for frame in clip.frames:
        channels = frame.astype(np.int16)
        assert np.abs(channels[..., 0] - channels[..., 2]).max() <= 3


def test_read_ahead_keeps_order_and_passes_errors_on() -> None:
    assert list(read_ahead(iter(range(50)))) == list(range(50))

    def failing():
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(read_ahead(failing()))
    ahead = read_ahead(iter(range(1000)))
    assert next(ahead) == 0
    ahead.close()  # an abandoned consumer stops its producer


class CountingGrade:
    """The black-and-white plane grade, counting the pictures it grades."""

    def __init__(self) -> None:
        self.graded = 0
        self.grade = black_and_white_planes()

    def __call__(self, picture: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        self.graded += 1
        return self.grade(picture)


def test_a_move_that_only_warps_grades_its_still_once() -> None:
    generator, grade = LocalVideoGen(), CountingGrade()
    frames = list(generator.frames(_request("push_in"), 1.0, "luma", grade=grade))
    assert len(frames) == 12 and grade.graded == 1
    # the look of grading every frame: CLAHE over the whole still rather than over each
    # framing differs a little (on 1920 storyboard frames: 30-44 dB PSNR, mean difference
    # 1-5 levels); on this 96-pixel still, with 12-pixel CLAHE tiles, a little more
    # (the closest framing of the push shows an eighth of the still: 10 levels there)
    ungraded = list(generator.frames(_request("push_in"), 1.0, "luma"))
    differences = []
    for (y,), (raw,) in zip(frames, ungraded, strict=True):
        expected = black_and_white_planes()((raw,))[0].astype(np.float32)
        assert y.dtype == np.uint8 and y.shape == (SIDE, SIDE)
        differences.append(float(np.abs(y - expected).mean()))
        assert differences[-1] < 0.4 * np.abs(raw - expected).mean()  # graded, and alike
    assert differences[0] < 0.5 and np.mean(differences) < 8.0


def test_parallax_grades_every_composited_frame() -> None:
    grade = CountingGrade()
    frames = list(LocalVideoGen().frames(_request("parallax"), 1.0, "luma", grade=grade))
    assert grade.graded == len(frames) == 12


def test_a_grade_needs_planes() -> None:
    with pytest.raises(ValueError, match="form"):
        list(LocalVideoGen().frames(_request(), 1.0, "rgb",  # type: ignore[call-overload]
                                    grade=CountingGrade()))
