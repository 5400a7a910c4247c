"""The sky: gradient, sun or moon with its glow, stars, and clouds on a perspective ceiling."""

from __future__ import annotations

import cv2
import numpy as np

from reelforge_storyboard.render.canvas import Color, full_mask, mix, scale, smoothstep, soft_blur
from reelforge_storyboard.render.world import World


def paint_sky(world: World, cloud_cover: float | None = None) -> None:
    """Everything above the horizon, far to near: gradient, glow, stars, disc, clouds."""
    _gradient(world)
    _glow(world)
    if world.palette.night:
        paint_stars(world, density=0.35 if world.location.kind == "city" else 1.0)
    if world.layout.light.visible:
        _disc(world)
    cover = _cloud_cover(world) if cloud_cover is None else cloud_cover
    if cover > 0.02:
        paint_clouds(world, cover, below=False)


def _cloud_cover(world: World) -> float:
    cues = world.cues
    if cues.storm:
        return 0.85
    if cues.rain or cues.snow:
        return 0.7
    base = world.scene_rng("cloud-cover").uniform(0.15, 0.5)
    return base * (0.5 if world.palette.night else 1.0)


def _gradient(world: World) -> None:
    c, p, horizon = world.canvas, world.palette, world.layout.horizon
    height_above = np.clip((horizon - c.rows()) / max(horizon, 0.3), 0.0, 1.0)
    t = height_above**0.6  # the horizon colour hugs the horizon, as in a real sky
    stops = np.array([0.0, 0.35, 1.0], np.float32)
    colours = np.array([p.horizon, mix(p.horizon, p.zenith, 0.55), p.zenith], np.float32)
    ramp = np.stack([np.interp(t[:, 0], stops, colours[:, k]) for k in range(3)], axis=-1)
    c.rgb[:] = ramp.reshape(c.height, 1, 3).astype(np.float32)
    c.nearness[:] = 0.0


def _glow(world: World) -> None:
    """Light scattered round the sun/moon, and the warm band along the horizon it sits on."""
    c, p, light = world.canvas, world.palette, world.layout.light
    w, h = max(8, c.width // 4), max(8, c.height // 4)  # a smooth field: compute it small
    rows = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h
    cols = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / w
    aspect = c.height / c.width
    dx = cols - light.x
    dy = (rows - light.y) * aspect
    distance = np.sqrt(dx * dx + dy * dy)
    strength = 0.35 if p.night else 0.7
    glow = strength * (0.6 * np.exp(-((distance / 0.07) ** 2)) + 0.4 * np.exp(-distance / 0.3))
    band = np.exp(-(((rows - world.layout.horizon) / 0.07) ** 2))
    band = band * np.exp(-np.abs(dx) / 0.6) * (0.15 if p.night else 0.35)
    field = cv2.resize((glow + band).astype(np.float32), (c.width, c.height),
                       interpolation=cv2.INTER_CUBIC)
    c.rgb += field[..., None] * np.asarray(p.light, np.float32)


def _disc(world: World) -> None:
    c, p = world.canvas, world.palette
    lx, ly = world.light_px()
    if p.night:
        r = 0.022 * c.width
        c.paint(c.shapes().circle(lx, ly, r), scale((0.92, 0.94, 1.0), 1.4))
        rng = world.place_rng("moon")
        maria = c.shapes()
        for _ in range(4):
            ox, oy = rng.uniform(-0.5, 0.5, 2) * r
            maria.ellipse(lx + ox, ly + oy, r * rng.uniform(0.15, 0.35), r * rng.uniform(0.1, 0.3))
        c.paint(maria, scale((0.75, 0.78, 0.85), 1.2), opacity=0.5)
    else:
        low = world.layout.horizon - world.layout.light.y < 0.15
        r = (0.034 if low else 0.024) * c.width
        c.paint(c.shapes().circle(lx, ly, r), scale(mix(p.light, (1, 1, 1), 0.5), 2.6))


def paint_stars(world: World, density: float = 1.0, milky_way: bool = True) -> None:
    """Stars with a power-law brightness, fading into the horizon's extinction."""
    c = world.canvas
    rng = world.place_rng("stars")
    count = int(6e-4 * c.width * c.height * density)
    xs = rng.uniform(0, c.width, count)
    ys = rng.uniform(0, c.height, count)
    brightness = rng.pareto(2.2, count).astype(np.float32) * 0.35 + 0.12
    field: np.ndarray = np.zeros((c.height, c.width), np.float32)
    np.add.at(field, (ys.astype(int), xs.astype(int)), brightness)
    gain = 1 + 2 * max(1.0, world.unit) ** 2  # keep star energy when the blur spreads it
    field = cv2.GaussianBlur(field, (0, 0), max(0.6, 0.8 * world.unit)) * np.float32(gain)
    if milky_way:
        field = field + _milky_way(world) * np.float32(0.18)
    above = np.clip((world.layout.horizon - c.rows()) / 0.25, 0.0, 1.0)
    tint = np.asarray((0.85, 0.9, 1.0), np.float32)
    c.rgb += (field * above)[..., None] * tint * (c.nearness < 0.01)[..., None]


def _milky_way(world: World) -> np.ndarray:
    c = world.canvas
    rng = world.place_rng("milky-way")
    angle = rng.uniform(-0.9, 0.9)
    offset = rng.uniform(-0.2, 0.2)
    x, y = c.cols() - 0.5, c.rows() - 0.35
    distance = np.abs(x * np.sin(angle) + y * np.cos(angle) - offset)
    band = np.exp(-((distance / 0.12) ** 2))
    small = cv2.resize(world.texture("milky", cells=8, octaves=6), (c.width, c.height))
    return (band * smoothstep(0.35, 0.9, small)).astype(np.float32)


def paint_clouds(world: World, cover: float, below: bool) -> None:
    """Clouds as noise on a plane above the camera (or below it: a sea of cloud), shaded
    lighter on the side facing the light."""
    c, p, light = world.canvas, world.palette, world.layout.light
    w, h = max(8, c.width // 2), max(8, c.height // 2)  # soft shapes: half resolution is plenty
    density = world.plane(world.texture("clouds", cells=4, octaves=6), below=below, tiling=0.7,
                          size=(w, h))
    threshold = 1.0 - cover
    coverage = smoothstep(threshold - 0.08, threshold + 0.22, density)
    rows = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h
    span = (rows - world.layout.horizon) if below else (world.layout.horizon - rows)
    coverage *= smoothstep(0.0, 0.06, span)  # clouds dissolve into the horizon haze

    shift_x = int(np.clip((light.x - 0.5) * 6, -6, 6) * world.unit)
    shift_y = int(np.clip((light.y - 0.5) * 6, -6, 6) * world.unit) or -1
    toward = np.roll(coverage, (-shift_y, -shift_x), axis=(0, 1))
    lit = np.clip(0.55 + 2.5 * (coverage - toward), 0.0, 1.0)  # faces towards the light
    heavy = world.cues.storm or world.cues.rain
    shadow = mix(mix(p.zenith, p.silhouette, 0.35 if heavy else 0.1), p.haze, 0.25)
    bright = mix(p.horizon, p.light, 0.5) if not heavy else mix(p.haze, p.horizon, 0.3)
    if below:
        bright = scale(mix(bright, (1, 1, 1), 0.3), 1.1)
    colour = _blend(shadow, bright, lit)
    colour += _silver_lining(world, coverage)
    opacity = 0.95 if heavy else 0.85
    full = (c.width, c.height)
    c.paint(full_mask(cv2.resize(coverage * opacity, full, interpolation=cv2.INTER_LINEAR)),
            cv2.resize(colour, full, interpolation=cv2.INTER_LINEAR))


def _blend(a: Color, b: Color, t: np.ndarray) -> np.ndarray:
    ca, cb = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return ca + (cb - ca) * t[..., None]


def _silver_lining(world: World, coverage: np.ndarray) -> np.ndarray:
    """Thin cloud edges near the sun glow: the detail that makes a backlit sky read."""
    light = world.layout.light
    h, w = coverage.shape
    rows = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h
    cols = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / w
    distance = np.hypot(cols - light.x, (rows - light.y) * h / w)
    near_light = np.exp(-distance / 0.18)
    edges = np.clip(coverage - soft_blur(coverage, 2 * world.unit), 0.0, 1.0) * 4
    edges = np.clip(edges, 0.0, 1.0) * (1 - coverage)
    return ((near_light * edges * 1.5)[..., None] * np.asarray(world.palette.light, np.float32))
