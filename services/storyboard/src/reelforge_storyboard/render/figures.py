"""Figures: silhouettes a storyboard artist would block in, with enough shape variety
(build, long coat, cloak, dress, jacket; hat, hood, cap, long hair; bag, staff) that the
characters of a story tell apart at a glance.

A character's look is seeded by its id and the job seed, so it is the same figure in every
scene; only the pose changes with the scene. Outlines are drawn in figure units (height 1,
feet at 0, y up), rounded by corner cutting so they read as bodies rather than boxes, and lit
from the layout's light: a thin rim on the edge facing it, a soft shadow cast away from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelforge_storyboard.render.canvas import Mask, Shapes, mix, rounded, soft_blur
from reelforge_storyboard.render.layout import Figure
from reelforge_storyboard.render.world import World

GARMENTS = ("coat", "cloak", "jacket", "dress")
HEADWEAR = ("none", "hat", "hood", "cap", "long_hair")
PROPS = ("none", "bag", "staff")

Outline = list[tuple[float, float]]


@dataclass(frozen=True)
class Look:
    build: float  # shoulder width factor
    garment: str
    headwear: str
    prop: str


def look_of(figure: Figure) -> Look:
    rng = np.random.default_rng(figure.look_seed)
    garment = str(rng.choice(GARMENTS, p=[0.35, 0.12, 0.38, 0.15]))
    headwear = str(rng.choice(HEADWEAR, p=[0.35, 0.18, 0.12, 0.1, 0.25]))
    prop = str(rng.choice(PROPS, p=[0.7, 0.2, 0.1]))
    build = float(rng.uniform(0.88, 1.12))
    if figure.role == "antagonist":  # the threat reads broad, long-coated, hatted or hooded
        garment = "cloak" if rng.random() < 0.4 else "coat"
        headwear = "hood" if garment == "cloak" else "hat"
        build, prop = max(build, 1.1), "none"
    return Look(build=build, garment=garment, headwear=headwear, prop=prop)


def pose_for(figure: Figure, rng: np.random.Generator) -> str:
    if figure.height > 0.9:
        return "stand"  # a close-up reads best square to camera
    return str(rng.choice(["stand", "walk", "profile"], p=[0.5, 0.3, 0.2]))


def draw_figure(world: World, figure: Figure, pose: str) -> None:
    """Shadow, silhouette, then the rim of light along its lit edge."""
    h_px = figure.height * world.h
    if h_px < 3:
        return
    if figure.foot <= 1.02:
        _cast_shadow(world, figure)
    shapes = world.canvas.shapes()
    _Body(shapes, figure, world).draw(look_of(figure), pose)
    mask = shapes.mask()
    if mask is None:
        return
    colour = _against_background(world, mask,
                                 world.aerial(world.palette.silhouette, figure.nearness, 0.7))
    world.canvas.paint(mask, _fill(world, mask, colour), figure.nearness)
    _rim(world, mask, figure)


class _Body:
    """Draws the parts of one figure onto pixel shapes."""

    def __init__(self, shapes: Shapes, figure: Figure, world: World) -> None:
        self.shapes = shapes
        self.x, self.foot = figure.x * world.w, figure.foot * world.h
        self.height, self.facing = figure.height * world.h, figure.facing
        self.frame_height = world.h

    def _px(self, outline: Outline) -> np.ndarray:
        pts = np.asarray(outline, np.float64)
        return np.stack([self.x + self.facing * pts[:, 0] * self.height,
                         self.foot - pts[:, 1] * self.height], axis=1)

    def shape(self, outline: Outline, smooth: int = 2) -> None:
        self.shapes.polygon(self._px([tuple(p) for p in rounded(outline, smooth)]))

    def ellipse(self, u: float, v: float, ru: float, rv: float, angle: float = 0.0) -> None:
        cx, cy = self._px([(u, v)])[0]
        self.shapes.ellipse(cx, cy, ru * self.height, rv * self.height, angle * self.facing)

    def limb(self, top: tuple[float, float], length: float, angle: float, w0: float,
             w1: float) -> tuple[float, float]:
        """A tapered limb hanging from `top` (inside the body), swung by `angle` radians,
        with a rounded far end that also fills the next joint."""
        u0, v0 = top
        u1, v1 = u0 + np.sin(angle) * length, v0 - np.cos(angle) * length
        nu, nv = np.cos(angle), np.sin(angle)
        self.shape([(u0 - nu * w0 / 2, v0 - nv * w0 / 2), (u0 + nu * w0 / 2, v0 + nv * w0 / 2),
                    (u1 + nu * w1 / 2, v1 + nv * w1 / 2), (u1 - nu * w1 / 2, v1 - nv * w1 / 2)],
                   smooth=1)
        self.ellipse(u1, v1, w1 / 2, w1 / 2)
        return u1, v1

    # ------------------------------------------------------------------ the figure

    def draw(self, look: Look, pose: str) -> None:
        turned = pose in ("walk", "profile")  # walking reads in profile, as a stride
        width = look.build * (0.6 if turned else 1.0)
        shoulder, waist, hip = 0.118 * width, 0.072 * width, 0.088 * width
        self._legs(hip * (0.3 if turned else 1.0), 0.22 if pose == "walk" else 0.03)
        self.shape(_mirror([(0.0, 0.868), (0.03, 0.862), (shoulder * 0.72, 0.842),
                            (shoulder, 0.815), (shoulder * 1.02, 0.77), (shoulder * 0.9, 0.69),
                            (waist, 0.6), (hip, 0.5), (hip * 0.92, 0.45), (0.0, 0.445)]))
        self._garment(look, shoulder, waist, hip)
        self._arms(shoulder * (0.5 if turned else 1.0), look.build,
                   0.35 if pose == "walk" else 0.0)
        self.shape([(-0.021, 0.84), (0.021, 0.84), (0.019, 0.9), (-0.019, 0.9)], smooth=1)
        self._head(look, turned)
        if self.height < 0.9 * self.frame_height:  # a close-up frames the face, not the bag
            self._prop(look, shoulder)

    def _legs(self, hip: float, stride: float) -> None:
        for side, swing in ((-1, -stride), (1, stride)):
            u, v = self.limb((side * hip * 0.5, 0.47), 0.43, swing, 0.082, 0.044)
            self.shape([(u - 0.022, v + 0.02), (u + 0.02, v + 0.02), (u + 0.058, v - 0.008),
                        (u + 0.054, v - 0.03), (u - 0.026, v - 0.03)], smooth=1)

    def _arms(self, shoulder: float, build: float, swing: float) -> None:
        """Upper arm and forearm with a slight bend, hanging clear of the waist."""
        for side in (-1, 1):
            angle = side * 0.13 + (swing if side < 0 else -swing)
            elbow = self.limb((side * shoulder * 0.86, 0.79), 0.175, angle, 0.05 * build,
                              0.04 * build)
            wrist = self.limb(elbow, 0.16, angle - side * 0.1, 0.04 * build, 0.03)
            self.ellipse(wrist[0] + side * 0.002, wrist[1] - 0.03, 0.017, 0.034,
                         np.degrees(angle) * side * 0.5)

    def _garment(self, look: Look, shoulder: float, waist: float, hip: float) -> None:
        if look.garment == "coat":  # to the knees, flared, with a turned-up collar
            self.shape(_mirror([(0.0, 0.85), (shoulder * 0.7, 0.84), (shoulder * 0.98, 0.81),
                                (shoulder * 0.95, 0.7), (waist * 1.12, 0.58), (hip * 1.25, 0.45),
                                (hip * 1.5, 0.27), (0.0, 0.265)]))
            self.shape(_mirror([(0.0, 0.885), (0.035, 0.885), (0.055, 0.83), (0.0, 0.82)]),
                       smooth=1)
        elif look.garment == "cloak":  # covers the arms: a tall draped triangle
            self.shape(_mirror([(0.0, 0.875), (0.055, 0.87), (shoulder * 1.3, 0.8),
                                (shoulder * 1.45, 0.62), (0.19, 0.22), (0.22, 0.03),
                                (0.0, 0.03)]))
        elif look.garment == "dress":
            self.shape(_mirror([(0.0, 0.6), (waist, 0.6), (hip * 1.15, 0.47), (0.17, 0.14),
                                (0.0, 0.13)]))
        else:  # a short jacket, a little looser than the body
            self.shape(_mirror([(0.0, 0.85), (shoulder * 0.75, 0.84), (shoulder * 1.0, 0.81),
                                (shoulder * 0.93, 0.68), (waist * 1.15, 0.57), (hip * 1.08, 0.43),
                                (0.0, 0.43)]))

    def _head(self, look: Look, turned: bool) -> None:
        if look.headwear == "hood":
            self.shape(_mirror([(0.0, 1.0), (0.045, 0.99), (0.068, 0.94), (0.064, 0.88),
                                (0.09, 0.83), (0.0, 0.82)]))
            return
        self.ellipse(0.0, 0.93, 0.046, 0.06)
        if turned:  # profile: a nose and a chin read instantly
            self.shape([(0.04, 0.948), (0.062, 0.925), (0.044, 0.912)], smooth=0)
        if look.headwear == "hat":
            self.ellipse(0.0, 0.968, 0.1, 0.012)
            self.shape([(-0.05, 0.966), (0.05, 0.966), (0.046, 1.03), (0.0, 1.02),
                        (-0.046, 1.03)], smooth=1)
        elif look.headwear == "cap":
            self.ellipse(0.0, 0.972, 0.05, 0.028)
            self.shape([(0.02, 0.965), (0.095, 0.962), (0.09, 0.975), (0.02, 0.985)], smooth=0)
        elif look.headwear == "long_hair":
            self.shape(_mirror([(0.0, 0.995), (0.05, 0.975), (0.062, 0.9), (0.07, 0.81),
                                (0.0, 0.82)]))

    def _prop(self, look: Look, shoulder: float) -> None:
        if look.prop == "bag":  # a satchel on the far hip, its strap across the chest
            u = -shoulder - 0.01
            self.shape([(u, 0.57), (u - 0.07, 0.565), (u - 0.072, 0.47), (u - 0.002, 0.47)])
            self.limb((shoulder * 0.6, 0.82), 0.33, -0.62, 0.012, 0.012)
        elif look.prop == "staff":
            u = shoulder + 0.055
            self.shape([(u - 0.007, 0.0), (u + 0.007, 0.0), (u + 0.009, 1.06), (u - 0.009, 1.06)],
                       smooth=0)


def _mirror(right_half: Outline) -> Outline:
    """A symmetric outline from its right half, listed top to bottom."""
    left = [(-u, v) for u, v in reversed(right_half) if u != 0.0]
    return right_half + left


def _against_background(world: World, mask: Mask, colour: tuple[float, float, float]
                        ) -> tuple[float, float, float]:
    """Darken the silhouette where the scenery behind it is dark (a dim room, a night street)
    so a figure always reads as a shape cut out of its surroundings, never as a glow."""
    region = world.canvas.rgb[mask.rows, mask.cols]
    around = region[mask.alpha < 0.5]
    if around.size == 0:
        return colour
    backdrop = float(np.median(around @ np.array([0.2126, 0.7152, 0.0722], np.float32)))
    own = 0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2]
    ceiling = 0.45 * backdrop
    if own <= ceiling or own <= 0:
        return colour
    k = ceiling / own
    return (colour[0] * k, colour[1] * k, colour[2] * k)


def _fill(world: World, mask: Mask, colour: tuple[float, float, float]) -> np.ndarray:
    """A silhouette is never flat black on set: lift the side facing the light a touch."""
    rows = np.arange(mask.rows.start, mask.rows.stop, dtype=np.float32)[:, None] / world.h
    cols = np.arange(mask.cols.start, mask.cols.stop, dtype=np.float32)[None, :] / world.w
    cx, cy = float(cols.mean()), float(rows.mean())
    lx, ly = world.layout.light.direction(cx, cy)
    span = max(float(cols.max() - cols.min()), 1e-3)
    toward = np.clip(((cols - cx) * lx + (rows - cy) * ly) / span + 0.5, 0, 1)
    lift = mix(colour, world.palette.light, 0.1)
    base = np.asarray(colour, np.float32)
    return (base + (np.asarray(lift, np.float32) - base) * toward[..., None]).astype(np.float32)


def _rim(world: World, mask: Mask, figure: Figure) -> None:
    """Light catching the edge that faces the source: strongest when the figure is backlit."""
    lx, ly = world.layout.light.direction(figure.x, figure.foot - figure.height / 2)
    width = max(1.2, figure.height * world.h * 0.005)
    pad = int(np.ceil(width)) + 2
    alpha = np.pad(mask.alpha, pad)
    shifted = np.roll(alpha, (-round(ly * width), -round(lx * width)), axis=(0, 1))
    edge = np.clip(alpha - shifted, 0, 1)[pad:-pad, pad:-pad]
    edge = soft_blur(edge, 0.5 * max(1.0, world.unit)) * mask.alpha
    light = world.layout.light
    backlit = light.visible or (light.y < world.layout.horizon and 0 < light.x < 1)
    strength = (1.0 if backlit else 0.45) * (0.6 if world.palette.night else 1.0)
    world.canvas.add_light(Mask(edge.astype(np.float32), mask.rows, mask.cols),
                           world.palette.light, strength)


def _cast_shadow(world: World, figure: Figure) -> None:
    """A soft contact shadow stretched away from the light, longer when the light is low."""
    light = world.layout.light
    elevation = max(0.05, world.layout.horizon - light.y)
    h_px = figure.height * world.h
    length = h_px * float(np.clip(0.35 / elevation, 0.3, 1.6)) * 0.5
    away = -1.0 if light.x > figure.x else 1.0
    cx, cy = figure.x * world.w + away * length * 0.45, figure.foot * world.h
    pad = int(h_px * 0.04) + 3
    rx, ry = length * 0.55 + 4, h_px * 0.025 + 1
    rows = slice(max(0, int(cy - ry - pad)), min(world.h, int(cy + ry + pad)))
    cols = slice(max(0, int(cx - rx - pad)), min(world.w, int(cx + rx + pad)))
    if rows.stop <= rows.start or cols.stop <= cols.start:
        return
    ys = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None] - cy
    xs = np.arange(cols.start, cols.stop, dtype=np.float32)[None, :] - cx
    inside = np.clip(1.0 - np.sqrt((xs / rx) ** 2 + (ys / ry) ** 2), 0, 1)
    soft = soft_blur(inside.astype(np.float32) ** 0.5, max(1.0, h_px * 0.008))
    world.canvas.paint(Mask(soft * 0.6, rows, cols), world.palette.silhouette)
