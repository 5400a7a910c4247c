"""BT.709 limited-range YUV 4:2:0, the format clips are encoded in and tagged with.

Two stages convert stills to planes and each keeps its own exact arithmetic, so that their
outputs stay what they were: the video stage averages chroma with OpenCV's area filter and
rounds halves up (`chroma="area", rounding="half_up"`); the assembly stage averages each 2x2
block in NumPy and rounds halves to even (`chroma="blocks", rounding="half_even"`). The two
agree on all but a few pixels in a million (float sums in another order, ties rounded
another way), which is still a different file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import av
import cv2
import numpy as np

BLACK_Y = 16
NEUTRAL_CHROMA = 128

ChromaMean = Literal["area", "blocks"]
"""How chroma is halved: OpenCV's INTER_AREA resize, or a NumPy mean of each 2x2 block."""
Rounding = Literal["half_up", "half_even"]
"""How floats become 8-bit values: floor(x + 0.5), or NumPy's `rint` (ties to even)."""

YuvPlanes = tuple[np.ndarray, np.ndarray, np.ndarray]


def rgb_to_yuv(rgb: np.ndarray) -> YuvPlanes:
    """Full-resolution float32 Y, U, V of an RGB image (BT.709, limited range)."""
    x = np.asarray(rgb, np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 16.0 + 0.182586 * r + 0.614231 * g + 0.062007 * b
    u = 128.0 - 0.100644 * r - 0.338572 * g + 0.439216 * b
    v = 128.0 + 0.439216 * r - 0.398942 * g - 0.040274 * b
    return y, u, v


def rgb_to_yuv420(rgb: np.ndarray, *, chroma: ChromaMean, rounding: Rounding) -> YuvPlanes:
    """An RGB uint8 image (even width and height) as uint8 4:2:0 planes."""
    y, u, v = rgb_to_yuv(rgb)
    if chroma == "area":
        half = (rgb.shape[1] // 2, rgb.shape[0] // 2)
        u = cv2.resize(u, half, interpolation=cv2.INTER_AREA)
        v = cv2.resize(v, half, interpolation=cv2.INTER_AREA)
    else:
        u, v = halve(u), halve(v)
    return to_u8(y, rounding), to_u8(u, rounding), to_u8(v, rounding)


def yuv420_to_rgb(planes: Sequence[np.ndarray]) -> np.ndarray:
    """RGB uint8 from 4:2:0 planes (chroma upsampled bilinearly, halves rounded up)."""
    y, u, v = planes
    size = (y.shape[1], y.shape[0])
    yf = (y.astype(np.float32) - 16.0) * (255.0 / 219.0)
    uf = cv2.resize(u, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) - 128.0
    vf = cv2.resize(v, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) - 128.0
    uf *= 255.0 / 224.0
    vf *= 255.0 / 224.0
    r = yf + 1.5748 * vf
    g = yf - 0.187324 * uf - 0.468124 * vf
    b = yf + 1.8556 * uf
    return to_u8(np.dstack([r, g, b]), "half_up")


def halve(plane: np.ndarray) -> np.ndarray:
    """Average each 2x2 block (4:2:0 chroma siting is close enough to centred for us)."""
    h, w = plane.shape[0] // 2 * 2, plane.shape[1] // 2 * 2
    p = plane[:h, :w]
    return (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) * 0.25


def to_u8(x: np.ndarray, rounding: Rounding) -> np.ndarray:
    """Floats clipped to 0..255 and rounded as `rounding` says."""
    if rounding == "half_up":
        return np.clip(x + 0.5, 0, 255).astype(np.uint8)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def plane_views(frame: av.VideoFrame) -> YuvPlanes:
    """Views of a yuv420p frame's Y, U and V buffers without their row padding (writable
    for frames we allocate)."""
    y, u, v = (
        np.frombuffer(memoryview(plane), np.uint8)
        .reshape(plane.height, plane.line_size)[:, : plane.width]
        for plane in frame.planes[:3]
    )
    return y, u, v
