"""Drawing primitives of the previs renderer.

A `Canvas` keeps a nearness map beside the colour: every shape painted onto it also says how
close it is to the lens, so the frame ships with a depth map that the video stage uses for
parallax. Shapes are drawn antialiased at subpixel precision into masks that cover only
their bounding box, so a frame of a few hundred shapes stays cheap at 1920x1920.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Color = tuple[float, float, float]
"""Display-referred RGB in 0..1 (values above 1 are allowed for lights before tone mapping)."""

BAND_ROWS = 128
"""Rows that the full-frame per-pixel passes (ray-cast rooms, fog, development) work on at a
time: they then hold a band's float temporaries, not a whole canvas's (at 1920x1920 those
peaked at 300-400 MB per frame, and the storyboard renders a frame per core)."""

_SHIFT = 4  # cv2 fractional bits: coordinates are drawn at 1/16 pixel precision
_ONE = 1 << _SHIFT


def mix(a: Color, b: Color, t: float) -> Color:
    """Linear blend of two colours (t=0 gives a, t=1 gives b)."""
    t = float(np.clip(t, 0.0, 1.0))
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def scale(c: Color, k: float) -> Color:
    return (c[0] * k, c[1] * k, c[2] * k)


@dataclass
class Mask:
    """Coverage in 0..1 over a bounding box of the canvas."""

    alpha: np.ndarray  # float32 (h, w)
    rows: slice
    cols: slice


class Shapes:
    """Accumulates antialiased shapes into one mask, tracking the box they cover."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._image = np.zeros((height, width), np.uint8)
        self._box = [width, height, 0, 0]  # x0, y0, x1, y1

    def _grow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        b = self._box
        b[0] = min(b[0], max(0, int(x0) - 2))
        b[1] = min(b[1], max(0, int(y0) - 2))
        b[2] = max(b[2], min(self.width, int(np.ceil(x1)) + 2))
        b[3] = max(b[3], min(self.height, int(np.ceil(y1)) + 2))

    def polygon(self, points: np.ndarray | Sequence[tuple[float, float]]) -> Shapes:
        pts = np.asarray(points, np.float64)
        if len(pts) < 3:
            return self
        self._grow(pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
        fixed = np.round(pts * _ONE).astype(np.int32)
        cv2.fillPoly(self._image, [fixed], 255, cv2.LINE_AA, _SHIFT)
        return self

    def ellipse(
        self, cx: float, cy: float, rx: float, ry: float, angle: float = 0.0
    ) -> Shapes:
        if rx <= 0 or ry <= 0:
            return self
        r = max(rx, ry)
        self._grow(cx - r, cy - r, cx + r, cy + r)
        centre = (round(cx * _ONE), round(cy * _ONE))
        axes = (max(1, round(rx * _ONE)), max(1, round(ry * _ONE)))
        cv2.ellipse(self._image, centre, axes, angle, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
        return self

    def circle(self, cx: float, cy: float, r: float) -> Shapes:
        return self.ellipse(cx, cy, r, r)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> Shapes:
        return self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])

    def line(
        self, x0: float, y0: float, x1: float, y1: float, thickness: float
    ) -> Shapes:
        """A stroke as a quad, so thin lines keep subpixel width."""
        dx, dy = x1 - x0, y1 - y0
        length = max(1e-6, float(np.hypot(dx, dy)))
        nx, ny = -dy / length * thickness / 2, dx / length * thickness / 2
        return self.polygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny),
                             (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)])

    def mask(self) -> Mask | None:
        x0, y0, x1, y1 = self._box
        if x1 <= x0 or y1 <= y0:
            return None
        rows, cols = slice(y0, y1), slice(x0, x1)
        return Mask(self._image[rows, cols].astype(np.float32) * (1 / 255), rows, cols)


def full_mask(alpha: np.ndarray) -> Mask:
    """A mask over the whole canvas from a (H, W) coverage array."""
    return Mask(alpha.astype(np.float32, copy=False), slice(0, alpha.shape[0]),
                slice(0, alpha.shape[1]))


@dataclass
class Canvas:
    rgb: np.ndarray  # float32 (H, W, 3)
    nearness: np.ndarray  # float32 (H, W): 0 = infinitely far (sky), 1 = at the frame's base

    @classmethod
    def blank(cls, width: int, height: int) -> Canvas:
        return cls(np.zeros((height, width, 3), np.float32), np.zeros((height, width), np.float32))

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    def shapes(self) -> Shapes:
        return Shapes(self.width, self.height)

    def paint(
        self,
        shapes: Shapes | Mask | None,
        color: Color | np.ndarray,
        nearness: float | np.ndarray | None = None,
        opacity: float = 1.0,
    ) -> None:
        """Composite `color` through the shapes' coverage; where `nearness` is given the
        depth map takes it too (painter's order: paint far to near)."""
        mask = shapes.mask() if isinstance(shapes, Shapes) else shapes
        if mask is None:
            return
        alpha = mask.alpha * opacity
        region = self.rgb[mask.rows, mask.cols]
        region += (_crop(color, mask) - region) * alpha[..., None]
        if nearness is not None:
            depth = self.nearness[mask.rows, mask.cols]
            depth += (_crop(nearness, mask) - depth) * alpha

    def add_light(self, shapes: Shapes | Mask | None, color: Color | np.ndarray,
                  strength: float = 1.0) -> None:
        """Additive light (windows, glows, rims): brightens without touching depth."""
        mask = shapes.mask() if isinstance(shapes, Shapes) else shapes
        if mask is None:
            return
        region = self.rgb[mask.rows, mask.cols]
        region += _crop(color, mask) * (mask.alpha[..., None] * strength)

    def radial_falloff(self, x: float, y: float, radius: float, reach: float) -> Mask | None:
        """exp(-d^2 / radius^2) around (x, y), computed only over the box within `reach` of
        it (None when that box is off the canvas): the coverage of a soft glow."""
        x0, x1 = int(max(0, x - reach)), int(min(self.width, x + reach))
        y0, y1 = int(max(0, y - reach)), int(min(self.height, y + reach))
        if x1 <= x0 or y1 <= y0:
            return None
        xs = np.arange(x0, x1, dtype=np.float32)[None, :] - x
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] - y
        falloff = np.exp(-(xs * xs + ys * ys) / (radius * radius)).astype(np.float32)
        return Mask(falloff, slice(y0, y1), slice(x0, x1))

    def rows(self) -> np.ndarray:
        """Row coordinates normalised to 0..1, shape (H, 1)."""
        return (np.arange(self.height, dtype=np.float32)[:, None] + 0.5) / self.height

    def cols(self) -> np.ndarray:
        """Column coordinates normalised to 0..1, shape (1, W)."""
        return (np.arange(self.width, dtype=np.float32)[None, :] + 0.5) / self.width


def _crop(value: Color | float | np.ndarray, mask: Mask) -> np.ndarray | float:
    """The part of a per-pixel colour/depth field under a mask; scalars pass through. A
    field may cover the whole canvas or exactly the mask's box."""
    if isinstance(value, np.ndarray) and value.shape[:2] == mask.alpha.shape:
        return value
    if isinstance(value, np.ndarray) and value.ndim >= 2:
        rows = mask.rows if value.shape[0] > 1 else slice(None)
        cols = mask.cols if value.shape[1] > 1 else slice(None)
        return value[rows, cols]
    if isinstance(value, tuple):
        return np.asarray(value, np.float32)
    return value


def rounded(points: Sequence[tuple[float, float]], iterations: int = 2) -> np.ndarray:
    """Chaikin corner cutting of a closed outline: hard polygons become organic shapes."""
    pts = np.asarray(points, np.float64)
    for _ in range(iterations):
        nxt = np.roll(pts, -1, axis=0)
        pts = np.stack([pts * 0.75 + nxt * 0.25, pts * 0.25 + nxt * 0.75], axis=1).reshape(-1, 2)
    return pts


def value_noise(
    rng: np.random.Generator, height: int, width: int, cells: float,
    octaves: int = 4, persistence: float = 0.5,
) -> np.ndarray:
    """Fractal value noise in 0..1: random lattices upsampled bicubically and summed, the
    cheapest smooth noise that numpy/OpenCV vectorise well."""
    total = np.zeros((height, width), np.float32)
    amplitude, weight = 1.0, 0.0
    for octave in range(octaves):
        n = max(2, int(cells * 2**octave))
        lattice = rng.random((n + 3, n + 3), dtype=np.float32)
        step_x, step_y = width / n, height / n
        up = cv2.resize(lattice, (int(step_x * (n + 3)) + 1, int(step_y * (n + 3)) + 1),
                        interpolation=cv2.INTER_CUBIC)
        ox, oy = int(step_x * 1.5), int(step_y * 1.5)
        total += up[oy:oy + height, ox:ox + width] * amplitude
        weight += amplitude
        amplitude *= persistence
    total /= weight
    lo, hi = float(total.min()), float(total.max())
    return (total - lo) / max(hi - lo, 1e-6)


def tileable_noise(
    rng: np.random.Generator, side: int, cells: int, octaves: int = 4, persistence: float = 0.5
) -> np.ndarray:
    """Square fractal noise in 0..1 that wraps at its edges, so a perspective plane can
    repeat it without seams."""
    total = np.zeros((side, side), np.float32)
    amplitude, weight = 1.0, 0.0
    for octave in range(octaves):
        n = max(2, cells * 2**octave)
        step = side / n
        lattice = np.pad(rng.random((n, n), dtype=np.float32), 2, mode="wrap")
        size = round(step * (n + 4))
        up = cv2.resize(lattice, (size, size), interpolation=cv2.INTER_CUBIC)
        start = round(step * 2)
        total += cv2.resize(up[start:start + round(step * n), start:start + round(step * n)],
                            (side, side), interpolation=cv2.INTER_LINEAR) * amplitude
        weight += amplitude
        amplitude *= persistence
    total /= weight
    lo, hi = float(total.min()), float(total.max())
    return (total - lo) / max(hi - lo, 1e-6)


def ridge_profile(
    rng: np.random.Generator, samples: int, features: float, octaves: int = 4,
    roughness: float = 0.5, sharp: bool = False,
) -> np.ndarray:
    """A 1-D fractal profile in 0..1 (ridgelines, dunes, canopies). `sharp` folds the noise
    so peaks are pointed like mountains rather than rounded like hills."""
    x = np.linspace(0.0, 1.0, samples, dtype=np.float64)
    total = np.zeros(samples)
    amplitude, weight = 1.0, 0.0
    for octave in range(octaves):
        n = max(2, int(features * 2**octave)) + 2
        knots = rng.random(n)
        grid = np.linspace(0.0, 1.0, n)
        smooth = np.interp(x, grid, knots)
        smooth = cv2.GaussianBlur(smooth[None, :], (0, 0), samples / n / 2.5)[0]
        if sharp:
            smooth = 1.0 - np.abs(smooth * 2 - 1)
        total += smooth * amplitude
        weight += amplitude
        amplitude *= roughness
    total /= weight
    lo, hi = total.min(), total.max()
    return ((total - lo) / max(hi - lo, 1e-9)).astype(np.float32)


def soft_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of large radius computed at reduced resolution (glows, fog, bloom)."""
    if sigma < 3:
        return cv2.GaussianBlur(image, (0, 0), max(sigma, 0.1))
    factor = max(1, int(sigma / 3))
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // factor), max(1, h // factor)),
                       interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def row_bands(height: int) -> list[slice]:
    """The row bands of a canvas `height` rows tall, `BAND_ROWS` at a time."""
    return [slice(top, top + BAND_ROWS) for top in range(0, height, BAND_ROWS)]


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
