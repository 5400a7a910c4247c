"""Reusable scenery: the ground plane, ridgelines (mountains, hills, dunes, treelines), trees,
buildings and houses. Backdrops compose these per location kind."""

from __future__ import annotations

import cv2
import numpy as np

from reelforge_storyboard.render.canvas import (
    Color,
    Mask,
    Shapes,
    mix,
    scale,
    smoothstep,
    value_noise,
)
from reelforge_storyboard.render.world import World

# --------------------------------------------------------------------------- ground plane


def paint_ground(
    world: World,
    far: Color | None = None,
    near: Color | None = None,
    texture: float = 0.10,
    tiling: float = 1.0,
) -> None:
    """The ground from the horizon to the frame's base, textured in perspective and lit by a
    sheen towards a low sun."""
    c, p, layout = world.canvas, world.palette, world.layout
    far, near = far or p.ground_far, near or p.ground_near
    top = int(world.horizon_px)
    if top >= c.height:
        return
    rows = c.rows()[top:]
    t = np.clip((rows - layout.horizon) / max(1e-3, 1 - layout.horizon), 0, 1) ** 0.55
    colour = np.asarray(far, np.float32) * (1 - t[..., None]) + np.asarray(near, np.float32) * t[
        ..., None
    ]  # (h, 1, 3)
    grain = world.plane(world.texture("ground", cells=8, octaves=5), below=True, tiling=tiling)
    shade = 1 + texture * (grain[top:] - 0.5) * 2
    colour = colour * shade[..., None]
    colour = colour + _sheen(world, rows)[..., None] * np.asarray(p.light, np.float32)
    region = c.rgb[top:]
    region[:] = colour
    c.nearness[top:] = np.asarray(layout.ground_nearness(rows), np.float32)
    _antialias_horizon(world, top)


def _sheen(world: World, rows: np.ndarray) -> np.ndarray:
    """The ground brightens under a low light: a broad wedge towards it."""
    light, c = world.layout.light, world.canvas
    low = float(np.clip(1 - (world.layout.horizon - light.y) / 0.4, 0, 1))
    if low <= 0:
        return np.zeros((len(rows), c.width), np.float32)
    below = rows - world.layout.horizon
    spread = 0.08 + below * 1.2
    sheen = np.exp(-(((c.cols() - light.x) / spread) ** 2)) * np.exp(-below / 0.25)
    strength = 0.10 if world.palette.night else 0.25
    return (sheen * low * strength).astype(np.float32)


def _antialias_horizon(world: World, top: int) -> None:
    """Blend the first ground row with the sky above by the horizon's subpixel position."""
    frac = world.horizon_px - top
    if 0 < top < world.h:
        row = world.canvas.rgb[top]
        row[:] = row * (1 - frac) + world.canvas.rgb[top - 1] * frac


# --------------------------------------------------------------------------- ridgelines


def paint_band(
    world: World,
    top_y: np.ndarray,
    base_y: float,
    color: Color,
    nearness: float | np.ndarray | None,
    mist: float = 0.0,
    relief: np.ndarray | None = None,
    faces: str | None = None,
) -> Mask | None:
    """Fill from a per-column top edge down to `base_y` (pixels): a ridge, a treeline, a
    dune. `mist` lightens the band towards its base (valley mist); `relief` (per column,
    -1..1) lights slopes facing the light and darkens the others; `faces` names a rock-face
    field (see `rock_faces`) that breaks the band into lit and shaded gullies."""
    c = world.canvas
    y0 = int(max(0, np.floor(top_y.min())))
    y1 = int(min(c.height, np.ceil(base_y)))
    if y1 <= y0:
        return None
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    alpha = np.clip(ys - top_y[None, :] + 0.5, 0.0, 1.0)
    alpha *= np.clip(base_y - ys + 0.5, 0.0, 1.0)
    depth_in = np.clip((ys - top_y[None, :]) / max(1.0, base_y - float(top_y.min())), 0, 1)
    base = np.asarray(color, np.float32)
    haze = np.asarray(world.palette.haze, np.float32)
    colour = base + (haze - base) * (mist * smoothstep(0.0, 1.0, depth_in))[..., None]
    if relief is not None:
        colour = colour * (1 + 0.35 * relief[None, :, None] * (1 - depth_in[..., None]) ** 2)
    if faces is not None:
        colour = colour * (1 + 0.28 * rock_faces(world, faces)[y0:y1, :, None])
    mask = Mask(alpha.astype(np.float32), slice(y0, y1), slice(0, c.width))
    c.paint(mask, colour.astype(np.float32), nearness)
    return mask


def rock_faces(world: World, purpose: str) -> np.ndarray:
    """-1..1 over the whole frame: rock faces turned towards the light (+) or away (-).
    Noise stretched downhill gives gullies; its sideways gradient says which way a face
    turns. Seeded by the place, so a mountain keeps its faces from scene to scene."""
    small_w, small_h = max(16, world.w // 4), max(16, world.h // 12)
    noise = value_noise(world.place_rng(f"{purpose}-faces"), small_h, small_w, 10, octaves=5)
    gradient = cv2.Sobel(noise, cv2.CV_32F, 1, 0, ksize=3)
    side = 1.0 if world.layout.light.x > 0.5 else -1.0
    faces = np.tanh(gradient * side * 6.0).astype(np.float32)
    return cv2.resize(faces, (world.w, world.h), interpolation=cv2.INTER_CUBIC)


def crest_light(world: World, top_y: np.ndarray, strength: float) -> None:
    """A line of light along a ridge where its slope faces the light (sunlit or moonlit
    dune crests): what makes layered sand read at night."""
    c = world.canvas
    thickness = max(1.0, 2.5 * world.unit)
    y0 = int(max(0, np.floor(top_y.min())))
    y1 = int(min(c.height, np.ceil(top_y.max() + 4 * thickness)))
    if y1 <= y0:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    below = ys - top_y[None, :]
    line = np.exp(-((below / thickness) ** 2)) * (below > -0.5)
    facing = np.clip(slope_relief(world, top_y), 0, 1)[None, :]
    c.add_light(Mask((line * facing).astype(np.float32), slice(y0, y1), slice(0, c.width)),
                world.palette.light, strength)


def slope_relief(world: World, top_y: np.ndarray) -> np.ndarray:
    """-1..1 per column: how much the ridge's slope faces the light."""
    slope = np.gradient(top_y.astype(np.float64))
    window = max(9, int(world.w * 0.03)) | 1  # broad faces, not pixel-to-pixel flicker
    slope = np.convolve(slope, np.ones(window) / window, mode="same")
    side = 1.0 if world.layout.light.x > 0.5 else -1.0
    scaled = -slope * side / max(1e-3, 2.5 * world.unit)
    return np.tanh(scaled).astype(np.float32)


def ridge_layer(
    world: World,
    purpose: str,
    top: float,
    amplitude: float,
    nearness: float,
    color: Color,
    features: float = 2.0,
    sharp: bool = False,
    mist: float = 0.5,
    lit: bool = True,
    roughness: float = 0.5,
    haze: float | None = None,
    peaks: float = 1.0,
    rocky: bool = False,
) -> np.ndarray:
    """A range of hills or mountains whose peaks reach `top` (fraction of height) and whose
    base sits on the horizon. `peaks` above 1 sharpens summits over broad valleys; `haze`
    overrides the aerial perspective (a painter's choice for ranges kilometres away).
    Returns the ridge's top edge per column, in pixels."""
    profile = world.ridge(purpose, features, octaves=6, roughness=roughness, sharp=sharp)
    top_y = (top + amplitude * (1 - profile**peaks)) * world.h
    relief = slope_relief(world, top_y) if lit else None
    tone = world.aerial(color, nearness) if haze is None else mix(color, world.palette.haze, haze)
    paint_band(world, top_y, world.horizon_px + 2, tone, nearness, mist=mist, relief=relief,
               faces=purpose if rocky else None)
    return top_y


def treeline(
    world: World, purpose: str, base_y: float, height: float, nearness: float, color: Color,
    density: float = 40.0, conifer: bool = True,
) -> None:
    """A far band of trees as a profile: the maximum of many small crowns."""
    rng = world.place_rng(purpose)
    span = (world.layout.pan - 0.1, world.layout.pan + 1.1)
    count = int(density * 1.2)
    centres = rng.uniform(*span, count)
    heights = height * rng.uniform(0.55, 1.0, count) * world.h
    widths = heights * (rng.uniform(0.22, 0.32, count) if conifer else rng.uniform(0.5, 0.8, count))
    cols = np.arange(world.w, dtype=np.float32) + 0.5
    dx = np.abs(cols[None, :] - np.asarray(world.px(centres))[:, None]) / widths[:, None]
    if conifer:
        crowns = heights[:, None] * np.clip(1 - dx, 0, None)
    else:
        crowns = heights[:, None] * np.sqrt(np.clip(1 - dx * dx, 0, None))
    top_y = base_y - crowns.max(axis=0)
    paint_band(world, top_y.astype(np.float32), base_y + 2, world.aerial(color, nearness),
               nearness, mist=0.35)


# --------------------------------------------------------------------------- trees


def conifer(shapes: Shapes, x: float, base: float, height: float, rng: np.random.Generator) -> None:
    """A spruce: a short trunk under many overlapping skirts of drooping branches, narrowing
    to a thin leader at the tip."""
    width = height * rng.uniform(0.28, 0.36)
    shapes.rect(x - height * 0.014, base - height * 0.1, x + height * 0.014, base + 2)
    tiers = int(rng.integers(11, 17))
    for i in range(tiers):
        t = i / tiers  # 0 at the lowest skirt
        bottom = base - height * (0.06 + 0.86 * t)
        half = width / 2 * (1 - t) ** 0.95 * rng.uniform(0.85, 1.1)
        apex = bottom - height * (0.16 + 0.05 * rng.random())
        droop = height * 0.025 * (1 - t)
        lean = rng.normal(0, 0.04) * half
        shapes.polygon([(x, apex), (x + half * 0.55 + lean, bottom - droop * 0.4),
                        (x + half + lean, bottom + droop), (x + half * 0.3, bottom - droop * 0.2),
                        (x - half * 0.3, bottom - droop * 0.2), (x - half + lean, bottom + droop),
                        (x - half * 0.55 + lean, bottom - droop * 0.4)])
    shapes.line(x, base - height * 0.9, x, base - height, max(1.0, height * 0.008))


def pine(shapes: Shapes, x: float, base: float, height: float, rng: np.random.Generator) -> None:
    """A tall forest pine: a long bare trunk with a few dead branch stubs and a crown of
    ragged clumps high up (near the camera, mostly trunk is in frame)."""
    tw = height * rng.uniform(0.014, 0.02)
    lean = rng.uniform(-0.015, 0.015) * height
    top = base - height
    shapes.polygon([(x - tw, base + 2), (x + tw, base + 2), (x + lean + tw * 0.45, top),
                    (x + lean - tw * 0.45, top)])
    for _ in range(int(rng.integers(2, 6))):  # dead stubs along the trunk
        t = rng.uniform(0.25, 0.65)
        y = base - height * t
        side = 1 if rng.random() < 0.5 else -1
        sx = x + lean * t
        shapes.line(sx, y, sx + side * height * rng.uniform(0.03, 0.07), y - height * 0.02,
                    max(1.0, tw * 0.35))
    for _ in range(int(rng.integers(4, 7))):  # branches reaching out to the crown's clumps
        t = rng.uniform(0.7, 0.92)
        side = 1 if rng.random() < 0.5 else -1
        reach = rng.uniform(0.05, 0.12) * height
        sx, sy = x + lean * t, base - height * t
        shapes.line(sx, sy, sx + side * reach, sy - reach * 0.5, max(1.0, tw * 0.4))
        for _ in range(int(rng.integers(3, 6))):  # needle tufts: small flattened clumps
            cx = sx + side * reach * rng.uniform(0.5, 1.1)
            cy = sy - reach * rng.uniform(0.3, 0.7)
            shapes.ellipse(cx, cy, height * rng.uniform(0.025, 0.05), height * rng.uniform(0.012,
                           0.022), rng.uniform(-20, 20))
    for _ in range(int(rng.integers(4, 8))):
        cx = x + lean + rng.normal(0, 0.035) * height
        cy = base - height * rng.uniform(0.93, 1.0)
        shapes.ellipse(cx, cy, height * rng.uniform(0.03, 0.06), height * rng.uniform(0.015, 0.03),
                       rng.uniform(-20, 20))


def broadleaf(
    shapes: Shapes, x: float, base: float, height: float, rng: np.random.Generator
) -> None:
    """An oak-like tree: a leaning trunk with two limbs under a clustered crown."""
    trunk_top = base - height * 0.45
    lean = rng.uniform(-0.05, 0.05) * height
    tw = height * 0.035
    shapes.polygon([(x - tw, base), (x + tw, base), (x + lean + tw * 0.6, trunk_top),
                    (x + lean - tw * 0.6, trunk_top)])
    for side in (-1, 1):
        shapes.line(x + lean, trunk_top + height * 0.05, x + lean + side * height * 0.16,
                    trunk_top - height * 0.12, tw * 0.8)
    crown_y = base - height * 0.68
    for _ in range(int(rng.integers(9, 15))):
        ox = rng.normal(0, 0.16) * height
        oy = rng.normal(0, 0.09) * height
        r = height * rng.uniform(0.10, 0.18)
        shapes.ellipse(x + lean + ox, crown_y + oy, r * 1.15, r)


# --------------------------------------------------------------------------- buildings


def window_lights(
    world: World, x0: float, y0: float, x1: float, y1: float, pitch: float,
    lit_share: float, rng: np.random.Generator,
) -> tuple[Mask | None, Mask | None]:
    """A facade's window grid: (lit windows, dark windows) as masks over the facade."""
    c = world.canvas
    cx0, cy0 = max(0, int(x0)), max(0, int(y0))
    cx1, cy1 = min(c.width, int(np.ceil(x1))), min(c.height, int(np.ceil(y1)))
    if cx1 - cx0 < 2 or cy1 - cy0 < 2 or pitch < 2.5:
        return None, None
    xs = np.arange(cx0, cx1, dtype=np.float32) - x0
    ys = np.arange(cy0, cy1, dtype=np.float32) - y0
    pitch_y = pitch * 1.4
    in_x = (xs % pitch) > pitch * 0.4
    in_y = (ys % pitch_y) > pitch_y * 0.45
    window = (in_y[:, None] & in_x[None, :]).astype(np.float32)
    cols = int((x1 - x0) // pitch) + 2
    rows = int((y1 - y0) // pitch_y) + 2
    lit_cells = rng.random((rows, cols)) < lit_share
    lit = lit_cells[(ys // pitch_y).astype(int)[:, None], (xs // pitch).astype(int)[None, :]]
    region = (slice(cy0, cy1), slice(cx0, cx1))
    lit_mask = Mask(window * lit, *region)
    dark_mask = Mask(window * (~lit), *region)
    return lit_mask, dark_mask


def lit_window_share(world: World) -> float:
    if world.palette.night:
        return 0.42
    rows = world.layout.horizon - world.layout.light.y
    return 0.25 if rows < 0.15 else 0.0  # dawn/dusk: some lights on


def building(
    world: World, x: float, width: float, top: float, base: float, color: Color,
    nearness: float, rng: np.random.Generator, windows: bool = True,
) -> None:
    """A tower block in pixels: a setback crown, maybe an antenna, and a window grid."""
    c = world.canvas
    shapes = c.shapes().rect(x, top, x + width, base)
    if rng.random() < 0.45:  # setback
        inset = width * rng.uniform(0.12, 0.25)
        shapes.rect(x + inset, top - width * rng.uniform(0.15, 0.5), x + width - inset, top + 1)
    if rng.random() < 0.3:
        ax = x + width * rng.uniform(0.3, 0.7)
        shapes.line(ax, top, ax, top - width * rng.uniform(0.4, 1.0), max(1.0, width * 0.025))
    c.paint(shapes, color, nearness)
    if windows:
        pitch = max(3.0, width / rng.integers(5, 11))
        lit, dark = window_lights(world, x + pitch * 0.4, top + pitch, x + width - pitch * 0.2,
                                  base - pitch, pitch, lit_window_share(world), rng)
        c.paint(dark, scale(color, 0.75) if not world.palette.night else color)
        glow = world.aerial(world.palette.practical, nearness, 0.6)
        c.add_light(lit, glow, 0.9 * rng.uniform(0.7, 1.0))


def house(
    world: World, x: float, base: float, width: float, color: Color, nearness: float,
    rng: np.random.Generator, steeple: bool = False,
) -> None:
    """A cottage (or a church with a steeple): walls, pitched roof, chimney, windows."""
    c = world.canvas
    wall_h = width * rng.uniform(0.45, 0.65)
    roof_h = width * rng.uniform(0.35, 0.55)
    overhang = width * 0.06
    shapes = c.shapes().rect(x, base - wall_h, x + width, base)
    shapes.polygon([(x - overhang, base - wall_h), (x + width / 2, base - wall_h - roof_h),
                    (x + width + overhang, base - wall_h)])
    if rng.random() < 0.7 and not steeple:
        cx = x + width * rng.uniform(0.6, 0.8)
        eaves = base - wall_h
        shapes.rect(cx, eaves - roof_h * 0.9, cx + width * 0.09, eaves - roof_h * 0.3)
    if steeple:
        sx, sw = x + width * 0.72, width * 0.22
        shapes.rect(sx, base - wall_h - roof_h * 1.6, sx + sw, base - wall_h * 0.5)
        shapes.polygon([(sx - sw * 0.1, base - wall_h - roof_h * 1.6),
                        (sx + sw / 2, base - wall_h - roof_h * 3.2),
                        (sx + sw * 1.1, base - wall_h - roof_h * 1.6)])
        shapes.line(sx + sw / 2, base - wall_h - roof_h * 3.2, sx + sw / 2,
                    base - wall_h - roof_h * 3.6, max(1.0, sw * 0.08))
    c.paint(shapes, color, nearness)
    windows = c.shapes()
    for i in range(int(rng.integers(1, 4))):
        wx = x + width * (0.18 + 0.28 * i)
        if wx > x + width * 0.8:
            break
        wy = base - wall_h * rng.uniform(0.55, 0.75)
        windows.rect(wx, wy, wx + width * 0.13, wy + width * 0.15)
    share = lit_window_share(world)
    if share > 0 and rng.random() < 0.35 + share:
        c.add_light(windows, world.aerial(world.palette.practical, nearness, 0.5), 1.1)
    else:
        c.paint(windows, mix(color, world.palette.haze, 0.25))


def fence(world: World, y_of_depth: np.ndarray, x_of_depth: np.ndarray, height_of_depth: np.ndarray,
          color: Color) -> None:
    """Posts and a rail receding in perspective (arrays ordered far to near)."""
    c = world.canvas
    shapes = c.shapes()
    for y, x, h in zip(y_of_depth, x_of_depth, height_of_depth, strict=True):
        shapes.line(x, y, x, y - h, max(1.0, h * 0.08))
    for k in range(len(x_of_depth) - 1):
        for frac in (0.35, 0.8):
            shapes.line(x_of_depth[k], y_of_depth[k] - height_of_depth[k] * frac,
                        x_of_depth[k + 1], y_of_depth[k + 1] - height_of_depth[k + 1] * frac,
                        max(1.0, height_of_depth[k] * 0.05))
    c.paint(shapes, color, float(world.layout.ground_nearness(float(y_of_depth[-1]) / world.h)))
