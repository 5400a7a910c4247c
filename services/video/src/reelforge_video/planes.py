"""Pictures as the encoder takes them: 4:2:0 planes, so no frame is ever converted from RGB.

A clip's still is converted once (`still_planes`); every frame after that is a warp of each
plane (the chroma planes at half resolution, with the matrix rescaled to their grid), a grade
on the planes, and a copy into the encoder's frame. For the black-and-white grade only the
luminance is warped at all: the chroma of a grey picture is constant.

`Form` names what a picture holds: `rgb` (one H x W x 3 array), `luma` (one grey plane, the
same weights as the black-and-white grade's `COLOR_RGB2GRAY`), `yuv420` (BT.709 limited-range
Y, U, V, as the clips are tagged; converted by `reelforge.media.yuv` with this stage's own
chroma averaging and rounding).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from reelforge.media.yuv import rgb_to_yuv420, yuv420_to_rgb

Form = Literal["rgb", "luma", "yuv420"]
Picture = tuple[np.ndarray, ...]
"""One frame in some `Form`: (rgb,), (luma,) or (y, u, v)."""


def still_planes(rgb: np.ndarray, form: Form) -> Picture:
    """An RGB uint8 image (even sides for yuv420) in `form`."""
    if form == "rgb":
        return (rgb,)
    if form == "luma":
        return (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),)
    return rgb_to_yuv420(rgb, chroma="area", rounding="half_up")


def plane_scales(form: Form) -> tuple[int, ...]:
    """How many times smaller than the picture each plane of `form` is."""
    return (1, 2, 2) if form == "yuv420" else (1,)


def to_rgb(picture: Picture, form: Form) -> np.ndarray:
    """Any form back to RGB (for callers of the plain frame protocol)."""
    if form == "rgb":
        return picture[0]
    if form == "luma":
        return cv2.merge([picture[0]] * 3)
    return yuv420_to_rgb(picture)


def matrix_for_scale(matrix: np.ndarray, scale: int) -> np.ndarray:
    """The affine map of a full-resolution warp on a grid `scale` times coarser, pixel
    centres aligned (a coarse pixel j covers fine pixels scale*j .. scale*j + scale - 1)."""
    if scale == 1:
        return matrix
    a, t = matrix[:, :2], matrix[:, 2]
    offset = (scale - 1) / 2
    shifted = a @ np.array([offset, offset]) + t - offset
    return np.hstack([a, (shifted / scale)[:, None]])

