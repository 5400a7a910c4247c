"""Depth for parallax: the renderer's own map when the frame carries it, an estimate when not.

The local storyboard renderer embeds its nearness map (255 = at the lens, 0 = the sky) in a
private PNG chunk (`reelforge.media.stills`). Frames from other image models carry no depth;
for those a monocular guess from position and local detail is good enough to separate
foreground from background.

`Layers` splits a frame into far/mid/near cut-outs whose hidden parts are filled by push-pull
interpolation, so when the near layer slides it reveals plausible background, not a smear of
itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from reelforge.media.stills import read_nearness
from reelforge.media.yuv import to_u8

LAYER_EDGES = (0.08, 0.25, 0.5)
"""Nearness thresholds between the layers, far to near. Four layers keep the slip at each
seam small where a continuous ground plane crosses from one layer to the next."""
EDGE_SOFTNESS = 0.06


def estimate_nearness(rgb: np.ndarray) -> np.ndarray:
    """A monocular guess: lower in frame is nearer (a ground plane), and detailed, contrasty
    regions are nearer than flat, hazy ones (sky, distance). Smooth by design."""
    h, w = rgb.shape[:2]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    small_side = 256
    factor = small_side / max(h, w)
    small = cv2.resize(gray, (max(8, round(w * factor)), max(8, round(h * factor))),
                       interpolation=cv2.INTER_AREA)
    edges = np.abs(cv2.Laplacian(small, cv2.CV_32F, ksize=3))
    blurred = cv2.GaussianBlur(edges, (0, 0), 6)
    detail: np.ndarray = blurred / max(float(np.percentile(blurred, 98)), 1e-4)
    rows = (np.arange(small.shape[0], dtype=np.float32)[:, None] + 0.5) / small.shape[0]
    ground = np.clip((rows - 0.35) / 0.65, 0, 1) ** 1.2
    guess = np.clip(0.65 * ground + 0.35 * np.clip(detail, 0, 1), 0, 1)
    guess = cv2.GaussianBlur(guess, (0, 0), 3)
    return cv2.resize(guess, (w, h), interpolation=cv2.INTER_LINEAR)


def nearness_for(png: bytes, rgb: np.ndarray) -> np.ndarray:
    """Nearness at the frame's size: embedded when available, else estimated."""
    h, w = rgb.shape[:2]
    stored = read_nearness(png)
    if stored is None:
        return estimate_nearness(rgb)
    return cv2.resize(stored, (w, h), interpolation=cv2.INTER_LINEAR)


def fill_holes(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Push-pull interpolation: average the known pixels down an image pyramid, then pull
    the averages back up into the unknown ones. Fast and seamless, if soft."""
    weight = known.astype(np.float32)
    levels: list[tuple[np.ndarray, np.ndarray]] = [
        (image.astype(np.float32) * weight[..., None], weight)
    ]
    while min(levels[-1][1].shape) > 4:
        colour, w = levels[-1]
        levels.append((cv2.pyrDown(colour), cv2.pyrDown(w)))
    colour, w = levels[-1]
    filled = colour / np.maximum(w, 1e-6)[..., None]
    for colour, w in reversed(levels[:-1]):
        up = cv2.pyrUp(filled, dstsize=(w.shape[1], w.shape[0]))
        trust = np.clip(w * 4, 0, 1)[..., None]
        filled = colour / np.maximum(w, 1e-6)[..., None] * trust + up * (1 - trust)
    return filled


@dataclass(frozen=True)
class Layers:
    """Far-to-near cut-outs of a frame: colour (hidden parts filled), coverage, and the
    typical nearness that sets how fast each layer moves."""

    colours: tuple[np.ndarray, ...]  # uint8 (H, W, 3)
    alphas: tuple[np.ndarray, ...]  # float32 (H, W); the far layer's is all ones
    nearness: tuple[float, ...]

    @classmethod
    def split(cls, rgb: np.ndarray, nearness: np.ndarray) -> Layers:
        image = rgb.astype(np.float32)
        coverage = [np.ones(nearness.shape, np.float32)]
        coverage += [_smoothstep(edge - soft, edge + soft, nearness)
                     for edge, soft in layer_edges(nearness)]
        colours, speeds = [], []
        for k in range(len(coverage)):
            nearer = coverage[k + 1] if k + 1 < len(coverage) else None
            if nearer is None:
                colours.append(rgb)
            else:  # whatever the nearer layers touch is refilled from what lies behind it
                filled = fill_holes(image, nearer < 0.02)
                colours.append(to_u8(filled, "half_up"))
            own = coverage[k] * (1 - nearer) if nearer is not None else coverage[k]
            speeds.append(_typical(nearness, own, default=_band_middle(k)))
        return cls(tuple(colours), tuple(coverage), tuple(speeds))


def layer_edges(nearness: np.ndarray, search: float = 0.08) -> list[tuple[float, float]]:
    """(edge, softness) pairs. Each default edge moves into the emptiest nearby depth, so an
    object standing at one depth (a figure is a spike in the histogram) is never cut between
    two layers; its cross-fade is as wide as the empty depth around it allows (wide on a
    ground plane, where it hides the seam; narrow beside a figure, where it must not bleed)."""
    counts, _ = np.histogram(nearness, bins=100, range=(0.0, 1.0))
    smooth = np.convolve(counts.astype(np.float64), np.ones(3) / 3, mode="same")
    bins = np.arange(100)
    edges = []
    for edge in LAYER_EDGES:
        lo, hi = max(1, int((edge - search) * 100)), min(99, int((edge + search) * 100))
        window = smooth[lo:hi + 1] + np.abs(bins[lo:hi + 1] / 100 - edge) * 1e-3
        at = lo + int(np.argmin(window))
        dense = bins[smooth > max(smooth[at] * 2.0, smooth.mean() * 0.5)]
        gap = np.abs(dense - at).min() / 100 if len(dense) else EDGE_SOFTNESS
        edges.append(((at + 0.5) / 100, float(np.clip(gap * 0.6, 0.008, EDGE_SOFTNESS))))
    return edges


def _band_middle(k: int) -> float:
    edges = (0.0, *LAYER_EDGES, 1.0)
    return (edges[k] + edges[k + 1]) / 2


def _typical(nearness: np.ndarray, weight: np.ndarray, default: float) -> float:
    total = float(weight.sum())
    if total < weight.size * 1e-3:
        return default
    return float((nearness * weight).sum() / total)


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)
