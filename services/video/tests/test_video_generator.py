"""The local video generator: every camera move gives a decodable H.264 clip of the right
size, length and rate; motion is continuous; the view never leaves the still; parallax moves
near things faster than far ones."""

from __future__ import annotations

import asyncio
import inspect
import typing
from pathlib import Path

import cv2
import numpy as np
import pytest
from reelforge.media.stills import read_nearness
from reelforge.models import CameraMove
from reelforge.providers import ClipRequest
from reelforge_video.camera import affine, ease, trajectory
from reelforge_video.clips import render_clip
from reelforge_video.depth import estimate_nearness
from reelforge_video.generator import LocalVideoGen, frame_count
from video_samples import (
    decode_clip,
    png_with_depth,
    shot,
    still_nearness,
    textured_still,
)

SIDE = 96
FPS = 12
MOVES = typing.get_args(CameraMove)


def clip_request(camera: CameraMove, png: bytes, duration: float = 2.0,
                 seed: int = 4) -> ClipRequest:
    return ClipRequest(frame_png=png, shot=shot(0, camera, duration), width=SIDE, height=SIDE,
                       fps=FPS, seed=seed)


@pytest.fixture(scope="module")
def still_png() -> bytes:
    return png_with_depth(textured_still(SIDE), still_nearness(SIDE))


@pytest.mark.parametrize("camera", MOVES)
def test_each_move_makes_a_smooth_h264_clip(camera: CameraMove, still_png: bytes,
                                            tmp_path: Path) -> None:
    path = tmp_path / f"{camera}.mp4"
    info = asyncio.run(render_clip(LocalVideoGen(), clip_request(camera, still_png), 2.0,
                                   "color", "draft", path))
    clip = decode_clip(path)
    assert (clip.codec, clip.pix_fmt) == ("h264", "yuv420p")
    assert (clip.width, clip.height) == (SIDE, SIDE)
    assert clip.fps == pytest.approx(FPS)
    assert len(clip.frames) == info.frames == frame_count(2.0, FPS) == 24
    steps = np.array([np.abs(b.astype(np.float32) - a).mean()
                      for a, b in zip(clip.frames, clip.frames[1:], strict=False)])
    assert (steps > 0.05).mean() > 0.75, steps  # the camera keeps moving
    assert steps.max() < 3 * np.median(steps) + 1.0, steps  # and never jumps
    travel = np.abs(clip.frames[-1].astype(np.float32) - clip.frames[0]).mean()
    assert travel > 2 * steps.mean()  # a move, not jitter


@pytest.mark.parametrize("camera", [m for m in MOVES if m != "parallax"])
def test_the_view_never_leaves_the_still(camera: CameraMove) -> None:
    pose_at = trajectory(camera, (0.95, 0.05), np.random.default_rng(1))  # focus in a corner
    corners = np.array([[0, 0, 1], [SIDE, 0, 1], [0, SIDE, 1], [SIDE, SIDE, 1]], np.float64)
    for t in np.linspace(0, 1, 25):
        matrix = affine(pose_at(ease(t)), (200, 200), (SIDE, SIDE))
        inverse = cv2.invertAffineTransform(matrix)
        seen = corners @ inverse.T
        assert seen.min() >= -1e-6 and seen.max() <= 200 + 1e-6, (camera, t, seen)


def test_push_in_closes_on_the_focus_and_pull_out_retreats() -> None:
    rng = np.random.default_rng(0)
    push = trajectory("push_in", (0.3, 0.4), rng)
    start, end = push(0.0), push(1.0)
    assert end.zoom > start.zoom
    assert abs(end.cx - 0.3) < abs(start.cx - 0.3)
    pull = trajectory("pull_out", (0.3, 0.4), rng)
    assert pull(1.0).zoom < pull(0.0).zoom


def test_pans_and_tilts_move_the_view_their_way() -> None:
    rng = np.random.default_rng(0)
    assert trajectory("pan_left", (0.5, 0.5), rng)(1).cx < trajectory("pan_left", (0.5, 0.5),
                                                                      rng)(0).cx
    assert trajectory("pan_right", (0.5, 0.5), rng)(1).cx > 0.5
    assert trajectory("tilt_up", (0.5, 0.5), rng)(1).cy < 0.5
    assert trajectory("tilt_down", (0.5, 0.5), rng)(1).cy > 0.5


def test_frames_are_streamed_not_collected(still_png: bytes) -> None:
    frames = LocalVideoGen().frames(clip_request("drift", still_png), 2.0)
    assert inspect.isgenerator(frames)
    first = next(frames)
    assert first.shape == (SIDE, SIDE, 3) and first.dtype == np.uint8


def _red_mask(frame: np.ndarray) -> np.ndarray:
    return (frame[..., 0] > 180) & (frame[..., 1] < 90)


def _red_centre(frame: np.ndarray) -> float:
    return float(np.nonzero(_red_mask(frame))[1].mean())


def _sky_shift(a: np.ndarray, b: np.ndarray) -> float:
    band = slice(0, SIDE * 2 // 5)
    ga = cv2.cvtColor(a[band], cv2.COLOR_RGB2GRAY).astype(np.float64)
    gb = cv2.cvtColor(b[band], cv2.COLOR_RGB2GRAY).astype(np.float64)
    (dx, _), _ = cv2.phaseCorrelate(ga, gb)
    return float(dx)


def test_parallax_slides_the_near_layer_past_the_far_one(still_png: bytes) -> None:
    frames = list(LocalVideoGen().frames(clip_request("parallax", still_png, seed=2), 2.0))
    near = _red_centre(frames[-1]) - _red_centre(frames[0])
    far = _sky_shift(frames[0], frames[-1])
    assert abs(near) > 4, near
    assert abs(near) > 3 * abs(far), (near, far)
    areas = [int(_red_mask(f).sum()) for f in frames]
    assert min(areas) > 0.85 * max(areas)  # the block travels whole (the push adds 7%)


def test_depth_comes_from_the_png_when_present_else_is_estimated() -> None:
    rgb = textured_still(SIDE)
    stored = read_nearness(png_with_depth(rgb, still_nearness(SIDE)))
    assert stored is not None and np.abs(stored - still_nearness(SIDE)).max() < 1 / 255 + 1e-6
    assert read_nearness(png_with_depth(rgb, None)) is None
    guess = estimate_nearness(rgb)
    assert guess.shape == (SIDE, SIDE)
    assert guess[-10:].mean() > guess[:10].mean()  # the ground is nearer than the sky


def test_parallax_works_on_a_frame_without_depth(tmp_path: Path) -> None:
    png = png_with_depth(textured_still(SIDE), None)
    path = tmp_path / "estimated.mp4"
    info = asyncio.run(render_clip(LocalVideoGen(), clip_request("parallax", png), 1.5, "bw",
                                   "draft", path))
    assert info.frames == frame_count(1.5, FPS) == len(decode_clip(path).frames)


def test_generate_returns_mp4_bytes_of_the_requested_length(still_png: bytes) -> None:
    data = asyncio.run(LocalVideoGen(quality="draft").generate(clip_request("push_in",
                                                                             still_png), 1.0))
    clip = decode_clip(data)
    assert len(clip.frames) == frame_count(1.0, FPS)
    assert (clip.width, clip.height) == (SIDE, SIDE)
