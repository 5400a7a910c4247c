"""Pictures as YUV 4:2:0 planes, the format clips decode to and x264 encodes from.

Staying in YUV end to end means no colour conversion per frame: a crop is a slice of three
planes, a dissolve is a weighted sum, and overlays (text) are converted once, when rendered,
and alpha-blended only on their bounding box. Conversions use BT.709 limited range, the
matrix the video stage encodes clips with and the one the trailers are tagged with
(`reelforge.media.yuv`, with this stage's own chroma averaging and rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import cv2
import numpy as np
from reelforge.media.yuv import (
    BLACK_Y,
    NEUTRAL_CHROMA,
    halve,
    plane_views,
    rgb_to_yuv,
    rgb_to_yuv420,
)


@dataclass(frozen=True)
class Planes:
    """Views of one 4:2:0 picture: `y` is (h, w), `u` and `v` are (h/2, w/2)."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @property
    def width(self) -> int:
        return int(self.y.shape[1])

    @property
    def height(self) -> int:
        return int(self.y.shape[0])

    def region(self, x: int, y: int, width: int, height: int) -> Planes:
        """A crop (no copy). x, y, width and height must be even."""
        hx, hy, hw, hh = x // 2, y // 2, width // 2, height // 2
        return Planes(
            self.y[y : y + height, x : x + width],
            self.u[hy : hy + hh, hx : hx + hw],
            self.v[hy : hy + hh, hx : hx + hw],
        )

    def all(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.y, self.u, self.v


def allocate(width: int, height: int) -> Planes:
    return Planes(
        np.empty((height, width), np.uint8),
        np.empty((height // 2, width // 2), np.uint8),
        np.empty((height // 2, width // 2), np.uint8),
    )


def frame_planes(frame: av.VideoFrame) -> Planes:
    """Views into a yuv420p frame's own buffers (writable for frames we allocate)."""
    return Planes(*plane_views(frame))


def fill_black(out: Planes) -> None:
    out.y.fill(BLACK_Y)
    out.u.fill(NEUTRAL_CHROMA)
    out.v.fill(NEUTRAL_CHROMA)


def copy_into(src: Planes, out: Planes) -> None:
    for s, d in zip(src.all(), out.all(), strict=True):
        np.copyto(d, s)


def resize_into(src: Planes, out: Planes) -> None:
    """Scale `src` to `out`'s size (area filter when shrinking, bilinear when growing)."""
    shrinking = src.width >= out.width
    method = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    for s, d in zip(src.all(), out.all(), strict=True):
        cv2.resize(s, (d.shape[1], d.shape[0]), dst=d, interpolation=method)


def blend_into(a: Planes, b: Planes, weight_b: float, out: Planes) -> None:
    """out = a * (1 - w) + b * w, per plane (out may be `a`)."""
    for pa, pb, po in zip(a.all(), b.all(), out.all(), strict=True):
        cv2.addWeighted(pa, 1.0 - weight_b, pb, weight_b, 0.0, dst=po)


def blend(a: Planes, b: Planes, weight_b: float) -> Planes:
    out = allocate(a.width, a.height)
    blend_into(a, b, weight_b, out)
    return out


def rgb_to_planes(rgb: np.ndarray) -> Planes:
    """An RGB uint8 image (even width and height) as BT.709 limited-range 4:2:0 planes."""
    return Planes(*rgb_to_yuv420(rgb, chroma="blocks", rounding="half_even"))


class Overlay:
    """A pre-rendered RGBA image placed at (x, y) on a frame, converted once to YUV colour
    and 8-bit alpha per plane, so compositing is integer multiply-adds over its box only."""

    def __init__(self, rgba: np.ndarray, x: int, y: int) -> None:
        rgba = _even_sized(rgba)
        self.x, self.y = x - x % 2, y - y % 2
        self.width, self.height = rgba.shape[1], rgba.shape[0]
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        yy, uu, vv = rgb_to_yuv(rgba[..., :3])
        half_alpha = halve(alpha)
        covered = np.maximum(half_alpha, 1e-6)
        colours = (yy, halve(uu * alpha) / covered, halve(vv * alpha) / covered)
        self._alpha = tuple(_fixed_alpha(a) for a in (alpha, half_alpha, half_alpha))
        self._colour = tuple(np.clip(np.rint(c), 0, 255).astype(np.uint16) for c in colours)

    def composite(self, out: Planes, opacity: float = 1.0) -> None:
        """Alpha-blend onto `out` (clipped to its bounds) with an overall opacity."""
        if opacity <= 0.0:
            return
        x0, y0 = max(0, self.x), max(0, self.y)
        x1 = min(out.width, self.x + self.width)
        y1 = min(out.height, self.y + self.height)
        if x1 <= x0 or y1 <= y0:
            return
        target = out.region(x0, y0, x1 - x0, y1 - y0)
        fade = round(min(1.0, opacity) * 256)
        for scale, plane, alpha, colour in zip(
            (1, 2, 2), target.all(), self._alpha, self._colour, strict=True
        ):
            oy, ox = (y0 - self.y) // scale, (x0 - self.x) // scale
            window = (slice(oy, oy + plane.shape[0]), slice(ox, ox + plane.shape[1]))
            _blend_fixed(plane, colour[window], alpha[window], fade)


def _fixed_alpha(alpha: np.ndarray) -> np.ndarray:
    """Alpha in 1/256 steps (0..256) as uint16."""
    return np.rint(alpha * 256.0).astype(np.uint16)


def _blend_fixed(plane: np.ndarray, colour: np.ndarray, alpha: np.ndarray, fade: int) -> None:
    """plane = plane * (1 - a) + colour * a in 8.8 fixed point (fits uint16: the two terms
    are a convex combination of values <= 255, scaled by 256)."""
    if fade < 256:
        alpha = (alpha * np.uint16(fade)) >> np.uint16(8)
    mixed = plane.astype(np.uint16)
    mixed *= np.uint16(256) - alpha
    mixed += colour * alpha
    mixed += np.uint16(128)
    mixed >>= np.uint16(8)
    np.copyto(plane, mixed, casting="unsafe")


def _even_sized(rgba: np.ndarray) -> np.ndarray:
    h, w = rgba.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgba
    padded = np.zeros((h + h % 2, w + w % 2, 4), np.uint8)
    padded[:h, :w] = rgba
    return padded
