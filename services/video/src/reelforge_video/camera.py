"""Camera moves on a still: where the virtual camera looks at each instant of the clip.

A pose is a magnification `zoom` (>= 1) of the source and the point of the source at the
centre of the view, both in normalised source units. The view never leaves the image: the
centre is clamped so the window (rotated, if the move rolls) stays inside, which is why every
move starts from some zoom margin. Motion follows an ease-in-out curve, so a clip starts and
settles like a dolly or a head on a fluid tripod, not a slideshow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from reelforge.models import CameraMove

PUSH_ZOOM = (1.0, 1.22)
PAN_ZOOM = 1.2
DRIFT_ZOOM = (1.08, 1.13)
PARALLAX_ZOOM = (1.17, 1.21)
DRIFT_ROLL_DEGREES = 0.6


@dataclass(frozen=True)
class Pose:
    zoom: float
    cx: float  # view centre, 0..1 of source width
    cy: float  # 0..1 of source height
    roll: float = 0.0  # degrees

    def clamped(self) -> Pose:
        """The same pose moved just enough that the view window stays inside the source."""
        angle = np.radians(self.roll)
        half = 0.5 / self.zoom * (abs(np.cos(angle)) + abs(np.sin(angle)))
        half = min(half, 0.5)
        return Pose(self.zoom, float(np.clip(self.cx, half, 1 - half)),
                    float(np.clip(self.cy, half, 1 - half)), self.roll)


def ease(t: float) -> float:
    """Ease-in-out (sine): velocity rises from rest and returns to it."""
    return float(0.5 - 0.5 * np.cos(np.pi * np.clip(t, 0.0, 1.0)))


def lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def affine(pose: Pose, source_size: tuple[int, int], out_size: tuple[int, int]) -> np.ndarray:
    """The 2x3 matrix mapping source pixels to output pixels for cv2.warpAffine (subpixel:
    no rounding anywhere)."""
    sw, sh = source_size
    ow, oh = out_size
    scale = pose.zoom * max(ow / sw, oh / sh)  # zoom 1 = the source covers the output
    angle = np.radians(pose.roll)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    px, py = pose.cx * sw, pose.cy * sh
    return np.array([
        [cos, -sin, ow / 2 - (cos * px - sin * py)],
        [sin, cos, oh / 2 - (sin * px + cos * py)],
    ], np.float64)


PoseAt = Callable[[float], Pose]


def trajectory(move: CameraMove, focus: tuple[float, float], rng: np.random.Generator) -> PoseAt:
    """The pose at eased time t in 0..1 for each non-layered move (parallax moves layers and
    is built in `parallax`)."""
    fx, fy = focus
    if move == "push_in":
        return lambda t: _towards_focus(lerp(*PUSH_ZOOM, t), fx, fy, t)
    if move == "pull_out":
        return lambda t: _towards_focus(lerp(PUSH_ZOOM[1], PUSH_ZOOM[0], t), fx, fy, 1 - t)
    if move in ("pan_left", "pan_right", "tilt_up", "tilt_down"):
        return _pan(move, fx, fy)
    if move == "drift":
        return _drift(fx, fy, rng)
    raise ValueError(f"{move} is not a single-layer move")


def _towards_focus(zoom: float, fx: float, fy: float, amount: float) -> Pose:
    """Centred at zoom 1, closing on the subject as the zoom tightens."""
    reach = 0.7 * amount
    return Pose(zoom, lerp(0.5, fx, reach), lerp(0.5, fy, reach)).clamped()


def _pan(move: CameraMove, fx: float, fy: float) -> PoseAt:
    travel = 0.5 - 0.5 / PAN_ZOOM  # the whole margin, edge to edge
    horizontal = move in ("pan_left", "pan_right")
    sign = -1.0 if move in ("pan_left", "tilt_up") else 1.0  # the view moves that way

    def at(t: float) -> Pose:
        offset = sign * travel * (2 * t - 1)
        if horizontal:
            return Pose(PAN_ZOOM, 0.5 + offset, fy).clamped()
        return Pose(PAN_ZOOM, fx, 0.5 + offset).clamped()

    return at


def _drift(fx: float, fy: float, rng: np.random.Generator) -> PoseAt:
    """A slow float with a breath of roll, as from a handheld or a boat."""
    angle = rng.uniform(0, 2 * np.pi)
    distance = 0.02
    dx, dy = np.cos(angle) * distance, np.sin(angle) * distance
    roll = rng.choice([-1.0, 1.0]) * DRIFT_ROLL_DEGREES
    start_x, start_y = lerp(0.5, fx, 0.3) - dx, lerp(0.5, fy, 0.3) - dy
    return lambda t: Pose(lerp(*DRIFT_ZOOM, t), start_x + 2 * dx * t, start_y + 2 * dy * t,
                          roll * (2 * t - 1)).clamped()
