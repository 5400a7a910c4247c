"""The drawing context every backdrop, figure and atmosphere function receives.

Locations are drawn as a panorama in world units (a strip two frames wide); a scene looks
at a one-frame window of it (`Layout.pan`). Geometry comes from random generators seeded by
the location, so a skyline or a ridge is the same wherever a scene frames it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from reelforge.models import Location

from reelforge_storyboard.render.canvas import Canvas, Color, mix, ridge_profile, tileable_noise
from reelforge_storyboard.render.cues import Cues, stable_seed
from reelforge_storyboard.render.layout import Layout
from reelforge_storyboard.render.palette import Palette

PANORAMA = (-0.4, 2.6)
"""World x range drawn for a location: wide enough for any pan a layout picks."""


FOCAL = 1.0
"""Focal length in frame widths (about a 53 degree lens): how metres become pixels."""


@dataclass(frozen=True)
class Prop:
    """Scenery near enough to overlap the figures: drawn in depth order with them."""

    nearness: float
    draw: Callable[[], None]


@dataclass
class World:
    canvas: Canvas
    layout: Layout
    palette: Palette
    cues: Cues
    location: Location

    @property
    def w(self) -> int:
        return self.canvas.width

    @property
    def h(self) -> int:
        return self.canvas.height

    @property
    def unit(self) -> float:
        """Pixels per 1/1920 of the frame: keeps strokes proportionate at any size."""
        return self.canvas.width / 1920

    @property
    def horizon_px(self) -> float:
        return self.layout.horizon * self.h

    def per_metre(self, nearness: float) -> float:
        """Pixels per metre for something standing at `nearness` (figures' ground plane)."""
        return self.layout.metre(nearness) * self.h

    def base_px(self, nearness: float) -> float:
        """The pixel row where something standing at `nearness` meets the ground."""
        return self.layout.base_y(nearness) * self.h

    def distance(self, nearness: float) -> float:
        """Metres from the camera to ground at `nearness` (inverse of the ground plane)."""
        base = self.layout.eye_height * FOCAL * self.w / ((1 - self.layout.horizon) * self.h)
        return base / max(nearness, 1e-4)

    def at(self, distance: float) -> float:
        """Nearness of ground `distance` metres away (what the depth map stores)."""
        return min(1.0, self.distance(1.0) / max(distance, 1e-6))

    def ground_px_at(self, distance: float) -> float:
        """Pixel row where ground `distance` metres away meets the frame."""
        return self.base_px(self.at(distance))

    def px_per_metre_at(self, distance: float) -> float:
        """Pixels per metre of something `distance` metres away."""
        return FOCAL * self.w / max(distance, 1e-6)

    def hides_figure(self, x: float, half_width: float, nearness: float) -> bool:
        """Would a prop at pixel column x cover a figure standing behind it?"""
        for f in self.layout.figures:
            body = f.height * self.h * 0.22
            if f.nearness < nearness and abs(f.x * self.w - x) < body + half_width:
                return True
        return False

    def place_rng(self, purpose: str) -> np.random.Generator:
        """Geometry of the location: identical in every scene set there."""
        return np.random.default_rng(stable_seed(self.layout.location_seed, purpose))

    def scene_rng(self, purpose: str) -> np.random.Generator:
        """Things that change between scenes: weather, particles, grain."""
        return np.random.default_rng(stable_seed(self.layout.scene_seed, purpose))

    def px(self, world_x: float | np.ndarray) -> float | np.ndarray:
        """World x to pixel column of this frame."""
        return (np.asarray(world_x) - self.layout.pan) * self.w

    def visible(self, world_x: float, margin: float = 0.1) -> bool:
        fx = world_x - self.layout.pan
        return -margin < fx < 1 + margin

    def ridge(
        self, purpose: str, features: float, octaves: int = 5, roughness: float = 0.5,
        sharp: bool = False,
    ) -> np.ndarray:
        """A location profile (0..1) sampled at this frame's pixel columns. `features` is
        the number of major bumps per frame width."""
        span = PANORAMA[1] - PANORAMA[0]
        samples = int(span * min(self.w, 960))
        profile = ridge_profile(self.place_rng(purpose), samples, features * span, octaves,
                                roughness, sharp)
        world_cols = self.layout.pan + (np.arange(self.w) + 0.5) / self.w
        positions = (world_cols - PANORAMA[0]) / span * (samples - 1)
        return np.interp(positions, np.arange(samples), profile).astype(np.float32)

    @property
    def visibility(self) -> float:
        """Metres at which scenery has faded about two thirds of the way into the haze."""
        if self.cues.fog:
            return 140.0
        if self.cues.rain or self.cues.snow:
            return 450.0
        return {"desert": 900.0, "city": 1100.0, "underground": 60.0}.get(self.location.kind,
                                                                          1600.0)

    def aerial(self, color: Color, nearness: float, strength: float = 1.0) -> Color:
        """Distance washes colour into the haze (aerial perspective)."""
        if nearness <= 0:
            return mix(color, self.palette.haze, strength * 0.9)
        fade = 1.0 - float(np.exp(-self.distance(nearness) / self.visibility))
        return mix(color, self.palette.haze, strength * fade * 0.9)

    def light_px(self) -> tuple[float, float]:
        return self.layout.light.x * self.w, self.layout.light.y * self.h

    def texture(self, purpose: str, cells: int = 6, octaves: int = 5) -> np.ndarray:
        """A seamless noise texture of the location, for perspective sampling."""
        side = 512 if self.w > 640 else 256
        return tileable_noise(self.place_rng(purpose), side, cells, octaves)

    def plane(
        self, texture: np.ndarray, below: bool, tiling: float = 1.0, stretch: float = 1.0,
        size: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """`texture` laid on a horizontal plane (ground below the horizon, cloud ceiling
        above) and seen in perspective: detail compresses towards the horizon. `size`
        (width, height) samples it at another resolution than the canvas."""
        width, height = size or (self.w, self.h)
        rows = (np.arange(height, dtype=np.float32)[:, None] + 0.5) / height
        cols = (np.arange(width, dtype=np.float32)[None, :] + 0.5) / width
        offset = (rows - self.layout.horizon) if below else (self.layout.horizon - rows)
        depth = 0.10 / (np.maximum(offset, 0.0) + 0.025)  # (H, 1): distance along the plane
        side = texture.shape[0]
        u = ((cols - 0.5) * depth + self.layout.pan * 0.6) * tiling  # (H, W)
        v = depth * tiling * 0.5 * stretch
        map_x = (u * side * 0.35) % side
        map_y = np.broadcast_to(v * side * 0.35 % side, map_x.shape)
        return cv2.remap(texture, map_x.astype(np.float32), map_y.astype(np.float32),
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
