"""Pictures as the encoder takes them: 4:2:0 planes, so no frame is ever converted from RGB.

A clip's still is converted once (`still_planes`); every frame after that is a warp of each
plane (the chroma planes at half resolution, with the matrix rescaled to their grid), a grade
on the planes, and a copy into the encoder's frame. For the black-and-white grade only the
luminance is warped at all: the chroma of a grey picture is constant.

`Form` names what a picture holds: `rgb` (one H x W x 3 array), `luma` (one grey plane, the
same weights as the black-and-white grade's `COLOR_RGB2GRAY`), `yuv420` (BT.709 limited-range
Y, U, V, as the clips are tagged).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Form = Literal["rgb", "luma", "yuv420"]
Picture = tuple[np.ndarray, ...]
"""One frame in some `Form`: (rgb,), (luma,) or (y, u, v)."""

NEUTRAL_CHROMA = 128


def still_planes(rgb: np.ndarray, form: Form) -> Picture:
    """An RGB uint8 image (even sides for yuv420) in `form`."""
    if form == "rgb":
        return (rgb,)
    if form == "luma":
        return (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),)
    return rgb_to_yuv420(rgb)


def plane_scales(form: Form) -> tuple[int, ...]:
    """How many times smaller than the picture each plane of `form` is."""
    return (1, 2, 2) if form == "yuv420" else (1,)


def rgb_to_yuv420(rgb: np.ndarray) -> Picture:
    """BT.709 limited-range 4:2:0 planes (chroma averaged over each 2x2 block)."""
    x = rgb.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 16.0 + 0.182586 * r + 0.614231 * g + 0.062007 * b
    u = 128.0 - 0.100644 * r - 0.338572 * g + 0.439216 * b
    v = 128.0 + 0.439216 * r - 0.398942 * g - 0.040274 * b
    h, w = rgb.shape[0] // 2, rgb.shape[1] // 2
    half = (w, h)
    return (
        _u8(y),
        _u8(cv2.resize(u, half, interpolation=cv2.INTER_AREA)),
        _u8(cv2.resize(v, half, interpolation=cv2.INTER_AREA)),
    )


def yuv420_to_rgb(picture: Picture) -> np.ndarray:
    """The inverse of `rgb_to_yuv420` (chroma upsampled bilinearly)."""
    y, u, v = picture
    size = (y.shape[1], y.shape[0])
    yf = (y.astype(np.float32) - 16.0) * (255.0 / 219.0)
    uf = cv2.resize(u, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) - 128.0
    vf = cv2.resize(v, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) - 128.0
    uf *= 255.0 / 224.0
    vf *= 255.0 / 224.0
    r = yf + 1.5748 * vf
    g = yf - 0.187324 * uf - 0.468124 * vf
    b = yf + 1.8556 * uf
    return _u8(np.dstack([r, g, b]))


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


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)
