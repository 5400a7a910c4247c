"""One backdrop per outdoor location kind, composed far to near.

Each backdrop paints the distant scenery at once and returns the `Prop`s near enough to
overlap the figures, which the renderer interleaves with them in depth order. Geometry comes
from `world.place_rng` (the same in every scene at the location); only weather and light
change from scene to scene.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import cv2
import numpy as np

from reelforge_storyboard.render.atmosphere import horizon_glow
from reelforge_storyboard.render.canvas import (
    Color,
    Mask,
    mix,
    scale,
    smoothstep,
    soft_blur,
)
from reelforge_storyboard.render.sky import paint_clouds, paint_sky, paint_stars
from reelforge_storyboard.render.terrain import (
    broadleaf,
    building,
    conifer,
    crest_light,
    house,
    paint_band,
    paint_ground,
    pine,
    ridge_layer,
    rock_faces,
    slope_relief,
    treeline,
)
from reelforge_storyboard.render.world import PANORAMA, Prop, World

Backdrop = Callable[[World], list[Prop]]

SNOW: Color = (0.90, 0.93, 0.98)


def _spread(rng: np.random.Generator, per_frame: float) -> np.ndarray:
    """World x positions over the whole panorama (stable whatever the framing)."""
    span = PANORAMA[1] - PANORAMA[0]
    return np.sort(rng.uniform(PANORAMA[0], PANORAMA[1], int(per_frame * span)))


def _dark(world: World, lift: float = 0.0) -> Color:
    """The silhouette value of scenery, lifted towards the far ground colour."""
    return mix(world.palette.silhouette, world.palette.ground_far, lift)


# --------------------------------------------------------------------------- city


def city(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    if p.night or world.layout.horizon - world.layout.light.y < 0.15:
        horizon_glow(world, p.practical, 0.18)
    paint_ground(world, texture=0.05)
    _asphalt(world)
    sky_px = world.horizon_px
    # (distance m, buildings per frame, height range as a share of the sky, width m)
    layers = ((1500.0, 30, (0.10, 0.28), 40.0), (700.0, 16, (0.16, 0.42), 45.0),
              (320.0, 8, (0.28, 0.62), 50.0))
    for i, (distance, per_frame, heights, width_m) in enumerate(layers):
        rng = world.place_rng(f"skyline-{i}")
        xs = _spread(rng, per_frame)
        tops = rng.uniform(*heights, len(xs))
        widths = rng.uniform(0.6, 1.4, len(xs)) * width_m
        seeds = rng.integers(0, 2**31, len(xs))
        n = world.at(distance)
        base = world.base_px(n)
        colour = world.aerial(_dark(world, 0.35 - 0.12 * i), n)
        for x, top, wm, seed in zip(xs, tops, widths, seeds, strict=True):
            width = float(np.clip(wm * world.px_per_metre_at(distance), 4 * world.unit,
                                  0.2 * world.w))
            left = float(world.px(x)) - width / 2
            if -width < left < world.w:
                building(world, left, width, base - top * sky_px, base + 1, colour, n,
                         np.random.default_rng(int(seed)))
        if i == 1:
            _landmark_tower(world, n, colour)
    return _street_lamps(world, side=1 if world.layout.landmark_x < 0.5 else -1, lateral_m=7.0)


def _landmark_tower(world: World, nearness: float, colour: Color) -> None:
    x = world.layout.landmark_x * world.w
    width = 0.05 * world.w
    base, top = world.base_px(nearness), world.horizon_px * 0.22
    shapes = world.canvas.shapes()
    shapes.polygon([(x - width / 2, base), (x - width * 0.35, top + width),
                    (x + width * 0.35, top + width), (x + width / 2, base)])
    shapes.polygon([(x - width * 0.3, top + width), (x, top - width * 0.8),
                    (x + width * 0.3, top + width)])
    shapes.line(x, top - width * 0.8, x, top - width * 2.2, max(1.0, 2 * world.unit))
    world.canvas.paint(shapes, colour, nearness)
    beacon = world.canvas.shapes().circle(x, top - width * 2.2, 4 * world.unit)
    world.canvas.add_light(beacon, (1.0, 0.25, 0.2), 2.0 if world.palette.night else 0.6)


def _street_lamps(world: World, side: int, lateral_m: float, count: int = 7) -> list[Prop]:
    """Lamp posts receding to the vanishing point, lit from dusk on."""
    lit = world.palette.night or world.layout.horizon - world.layout.light.y < 0.15
    vx = world.layout.landmark_x * world.w
    props = []
    for k in range(count):
        distance = 14.0 * 1.6**k
        n, per_m = world.at(distance), world.px_per_metre_at(distance)
        x = vx + side * lateral_m * per_m
        if not -50 < x < world.w + 50 or world.hides_figure(x, 0.3 * per_m, n):
            continue
        props.append(Prop(n, _lamp_drawer(world, x, n, per_m, side, lit)))
    return props


def _lamp_drawer(
    world: World, x: float, n: float, per_m: float, side: int, lit: bool
) -> Callable[[], None]:
    def draw() -> None:
        c = world.canvas
        base, top = world.base_px(n), world.base_px(n) - 6.0 * per_m
        shapes = c.shapes().line(x, base, x, top, max(1.0, 0.16 * per_m))
        shapes.line(x, top, x - side * 1.2 * per_m, top - 0.2 * per_m, max(1.0, 0.1 * per_m))
        c.paint(shapes, world.aerial(world.palette.silhouette, n), n)
        if lit:
            head = x - side * 1.2 * per_m
            glow = c.shapes().ellipse(head, top + 0.12 * per_m, max(1.2, 0.3 * per_m),
                                      max(0.8, 0.12 * per_m))
            c.add_light(glow, world.palette.practical, 2.5)
            _halo(world, head, top + 0.12 * per_m, max(2.0, 0.9 * per_m),
                  world.palette.practical, 0.35)

    return draw


def _halo(world: World, x: float, y: float, radius: float, colour: Color, strength: float) -> None:
    """A soft radial glow, computed only in its own box."""
    c = world.canvas
    c.add_light(c.radial_falloff(x, y, radius, reach=max(2.0, radius * 3)), colour, strength)


# --------------------------------------------------------------------------- forest


def forest(world: World) -> list[Prop]:
    """Layered treelines dissolving into the air, then trunks at every depth: the look of
    standing inside a wood rather than in front of one."""
    p, rng = world.palette, world.place_rng("forest")
    paint_sky(world)
    ridge_layer(world, "forest-hills", world.layout.horizon - 0.14, 0.1, world.at(4000.0),
                mix(p.ground_far, p.haze, 0.4), features=1.2)
    paint_ground(world, texture=0.14)
    green = mix(_dark(world, 0.3), (0.10, 0.18, 0.10), 0.35)
    conifers = rng.random() < 0.65
    for i, distance in enumerate((420.0, 190.0, 85.0)):
        n = world.at(distance)
        height = rng.uniform(20, 28) * world.px_per_metre_at(distance) / world.h
        treeline(world, f"treeline-{i}", world.base_px(n), height, n, green, density=60 - 12 * i,
                 conifer=conifers or i == 0)
    return _scattered_trees(world, "forest-trees", 9, (9.0, 70.0), green, "pine",
                            height_m=(22.0, 32.0))


TreeKind = str  # "spruce", "pine", "broadleaf" or "mixed"


def _scattered_trees(
    world: World, purpose: str, per_frame: float, distances: tuple[float, float], colour: Color,
    kind: TreeKind, height_m: tuple[float, float] = (14.0, 24.0), snowy: bool = False,
) -> list[Prop]:
    """Trees over the location's panorama at log-uniform distances; those that would hide a
    figure standing behind them are left out."""
    rng = world.place_rng(purpose)
    xs = _spread(rng, per_frame)
    far = np.exp(rng.uniform(np.log(distances[0]), np.log(distances[1]), len(xs)))
    heights = rng.uniform(*height_m, len(xs))
    seeds = rng.integers(0, 2**31, len(xs))
    mixed = rng.choice(["spruce", "pine", "broadleaf"], len(xs))
    kinds = mixed if kind == "mixed" else [kind] * len(xs)
    props = []
    for x, distance, hm, seed, tree in zip(xs, far, heights, seeds, kinds, strict=True):
        n = world.at(float(distance))
        px = float(world.px(x))
        height = hm * world.px_per_metre_at(float(distance))
        if not -height * 0.3 < px < world.w + height * 0.3:
            continue
        if world.hides_figure(px, height * 0.1, n):
            continue
        props.append(Prop(n, _tree_drawer(world, px, n, height, colour, str(tree), int(seed),
                                          snowy)))
    return props


_TREES = {"spruce": conifer, "pine": pine, "broadleaf": broadleaf}


def _tree_drawer(
    world: World, x: float, n: float, height: float, colour: Color, tree: str, seed: int,
    snowy: bool = False,
) -> Callable[[], None]:
    def draw() -> None:
        shapes = world.canvas.shapes()
        _TREES[tree](shapes, x, world.base_px(n), height, np.random.default_rng(seed))
        tone = mix(colour, SNOW, 0.3) if snowy else colour
        world.canvas.paint(shapes, world.aerial(tone, n), n)

    return draw


# --------------------------------------------------------------------------- sea


def sea(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    water_far = mix(p.haze, p.ground_far, 0.35)
    paint_ground(world, far=water_far, near=p.ground_near, texture=0.0)
    _waves(world)
    if world.cues.lighthouse or world.place_rng("headland").random() < 0.5:
        _headland(world, lighthouse=world.cues.lighthouse)
    return _shore(world)


def _waves(world: World) -> None:
    """Swell and glints on the water: a stretched texture in perspective, a glitter path
    under the sun or moon."""
    c, p, layout = world.canvas, world.palette, world.layout
    top = int(world.horizon_px) + 1
    if top >= c.height:
        return
    swell = world.plane(world.texture("waves", cells=10, octaves=4), below=True, tiling=2.5,
                        stretch=4.0)[top:]
    rows = c.rows()[top:]
    below = rows - layout.horizon
    crest = smoothstep(0.55, 0.85, swell)
    trough = smoothstep(0.45, 0.15, swell)
    region = c.rgb[top:]
    region *= (1 - 0.25 * trough)[..., None]
    sky_tone = np.asarray(mix(p.horizon, p.haze, 0.5), np.float32)
    region += (crest * 0.18)[..., None] * sky_tone
    width = 0.02 + below * 0.7
    path = np.exp(-(((c.cols() - layout.light.x) / width) ** 2))
    if layout.light.y < layout.horizon:
        glints = smoothstep(0.62, 0.8, swell) * path * (1.6 if not p.night else 0.9)
        region += glints[..., None] * np.asarray(p.light, np.float32)
    foam_far = np.exp(-below / 0.01) * 0.15
    region += foam_far[..., None] * np.asarray(p.haze, np.float32)


def _headland(world: World, lighthouse: bool) -> None:
    """A cliff rising from the sea on the landmark's side, crowned by a lighthouse."""
    layout = world.layout
    n = world.at(1800.0)
    side = 1 if layout.landmark_x > 0.5 else -1
    cols = world.canvas.cols()[0]
    reach = np.clip((cols - layout.landmark_x) * side + 0.12, 0, None)  # rises towards the edge
    rough = world.ridge("cliff", 6, octaves=5, roughness=0.6)
    lift = np.minimum(reach * 0.9, 0.1) * layout.horizon / 0.6 + rough * 0.012 * (reach > 0)
    top_y = (world.base_px(n) / world.h - lift) * world.h
    colour = world.aerial(_dark(world, 0.25), n)
    paint_band(world, top_y.astype(np.float32), world.base_px(n) + 1, colour, n, mist=0.25,
               relief=slope_relief(world, top_y))
    if lighthouse:
        x = layout.landmark_x * world.w + side * 0.04 * world.w
        column = int(np.clip(x, 0, world.w - 1))
        _lighthouse(world, x, float(top_y[column]) + 2, n)


def _lighthouse(world: World, x: float, base: float, n: float) -> None:
    c, p = world.canvas, world.palette
    height = 0.24 * world.horizon_px
    w0, w1 = height * 0.16, height * 0.10
    top = base - height
    tower = c.shapes().polygon([(x - w0 / 2, base), (x - w1 / 2, top), (x + w1 / 2, top),
                                (x + w0 / 2, base)])
    light_tone = world.aerial(mix(p.haze, (0.95, 0.95, 0.92), 0.5), n)
    c.paint(tower, light_tone, n)
    bands = c.shapes()
    for k in range(3):
        y0 = base - height * (0.18 + 0.27 * k)
        t0, t1 = (base - y0) / height, (base - y0 + height * 0.12) / height
        half0, half1 = (w0 + (w1 - w0) * t0) / 2, (w0 + (w1 - w0) * t1) / 2
        bands.polygon([(x - half0, y0), (x - half1, y0 - height * 0.12),
                       (x + half1, y0 - height * 0.12), (x + half0, y0)])
    c.paint(bands, world.aerial(_dark(world, 0.3), n), n)
    cap = c.shapes().rect(x - w1 * 0.75, top - height * 0.02, x + w1 * 0.75, top + height * 0.01)
    cap.polygon([(x - w1 * 0.5, top - height * 0.1), (x, top - height * 0.17),
                 (x + w1 * 0.5, top - height * 0.1)])
    c.paint(cap, world.aerial(_dark(world, 0.1), n), n)
    lantern_y = top - height * 0.06
    lantern = c.shapes().rect(x - w1 * 0.4, top - height * 0.1, x + w1 * 0.4, top - height * 0.02)
    dark_out = p.night or world.layout.horizon - world.layout.light.y < 0.15
    c.add_light(lantern, p.practical, 2.5 if dark_out else 0.4)
    if dark_out:
        _beam(world, x, lantern_y, height)
        _halo(world, x, lantern_y, height * 0.12, p.practical, 1.2)


def _beam(world: World, x: float, y: float, reach: float) -> None:
    """The lighthouse beam: a soft wedge of light sweeping over the sea."""
    c = world.canvas
    rng = world.scene_rng("beam")
    angle = rng.uniform(-0.25, 0.25) + (np.pi if rng.random() < 0.5 else 0.0)
    length = reach * 6
    spread = 0.09
    tip = (x + np.cos(angle) * length, y + np.sin(angle) * length)
    left = (x + np.cos(angle - spread) * length, y + np.sin(angle - spread) * length)
    right = (x + np.cos(angle + spread) * length, y + np.sin(angle + spread) * length)
    wedge = c.shapes().polygon([(x, y), left, tip, right]).mask()
    if wedge is None:
        return
    ys = np.arange(wedge.rows.start, wedge.rows.stop, dtype=np.float32)[:, None] - y
    xs = np.arange(wedge.cols.start, wedge.cols.stop, dtype=np.float32)[None, :] - x
    falloff = np.exp(-np.hypot(xs, ys) / (length * 0.45))
    soft = soft_blur(wedge.alpha, 6 * world.unit) * falloff
    c.add_light(Mask(soft.astype(np.float32), wedge.rows, wedge.cols), world.palette.practical,
                0.45)


def _shore(world: World) -> list[Prop]:
    """Sand or rock where the figures stand, with a line of surf."""
    if not world.layout.figures:
        return []
    p = world.palette
    feet = min(f.foot for f in world.layout.figures)
    horizon = world.layout.horizon  # the waterline lies between the sea and the nearest feet
    edge = (horizon + max(0.02, 0.6 * (feet - horizon))) * world.h
    rough = world.ridge("shore", 3, octaves=4)
    top_y = (edge + (rough - 0.5) * 0.03 * world.h).astype(np.float32)
    sand = mix(p.ground_far, (0.78, 0.70, 0.55), 0.35)
    near = np.asarray(world.layout.ground_nearness(world.canvas.rows()), np.float32)
    paint_band(world, top_y, world.h + 1, scale(sand, 0.8), near, mist=0.0)
    foam = world.ridge("foam", 30, octaves=3)
    thickness = (1.0 + 3.0 * foam) * world.unit
    rows = np.arange(int(top_y.min()) - 8, int(top_y.max()) + 8, dtype=np.float32)[:, None]
    rows = rows[(rows[:, 0] >= 0) & (rows[:, 0] < world.h)]
    if len(rows):
        line = np.exp(-(((rows - top_y[None, :] + thickness) / thickness) ** 2))
        world.canvas.add_light(Mask(line.astype(np.float32), slice(int(rows[0, 0]),
                                    int(rows[-1, 0]) + 1), slice(0, world.w)), p.haze, 0.5)
    return []


# --------------------------------------------------------------------------- desert


def desert(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world, cloud_cover=0.05)
    _mesas(world)
    paint_ground(world, texture=0.08, tiling=0.6)
    sand = mix(p.ground_far, (0.85, 0.66, 0.42), 0.25)
    for i, (distance, height_m) in enumerate(((900.0, 45.0), (320.0, 20.0), (110.0, 8.0),
                                              (35.0, 2.6))):
        n = world.at(distance)
        smooth = world.ridge(f"dune-{i}", 1.2 + i * 0.4, octaves=3, roughness=0.3)
        profile = smooth**1.8  # broad troughs, tighter crests
        amp = height_m * world.px_per_metre_at(distance)
        top_y = (world.base_px(n) - amp * profile).astype(np.float32)
        tone = world.aerial(scale(sand, 1.0 - 0.12 * i), n)
        depth = np.maximum(n, np.asarray(world.layout.ground_nearness(world.canvas.rows()),
                                         np.float32))
        paint_band(world, top_y, world.h + 1, tone, depth, mist=0.0,
                   relief=slope_relief(world, top_y) * 1.3)
        crest_light(world, top_y, 0.35 if world.palette.night else 0.2)
    return []


def _mesas(world: World) -> None:
    p = world.palette
    profile = world.ridge("mesas", 1.2, octaves=3, roughness=0.3)
    stepped = np.clip((profile - 0.55) * 6, 0, 1)
    stepped = cv2.GaussianBlur(stepped[None, :], (0, 0), 2 * world.unit)[0]
    top_y = (world.layout.horizon - 0.11 * world.layout.horizon * stepped) * world.h
    paint_band(world, top_y.astype(np.float32), world.horizon_px + 2,
               world.aerial(mix(p.ground_far, (0.6, 0.4, 0.3), 0.3), 0.005), 0.005, mist=0.3,
               relief=slope_relief(world, top_y))


# --------------------------------------------------------------------------- mountains / snow


def mountain(world: World) -> list[Prop]:
    paint_sky(world)
    rock = _dark(world, 0.35)
    sky = world.layout.horizon
    for i, (distance, reach, amp) in enumerate(((12000.0, 0.62, 0.34), (6000.0, 0.42, 0.26),
                                                (3000.0, 0.25, 0.17), (1400.0, 0.12, 0.1))):
        n = world.at(distance)
        top = sky - reach * sky
        top_y = ridge_layer(world, f"range-{i}", top, amp * sky, n, rock,
                            features=0.9 + i * 0.6, sharp=True, mist=0.45, roughness=0.55,
                            haze=0.62 - 0.14 * i, peaks=1.8, rocky=True)
        if i < 2:
            _snow_caps(world, top_y, (top + amp * sky * 0.3) * world.h, n, f"range-{i}")
    paint_ground(world, texture=0.12)
    green = mix(_dark(world, 0.3), (0.1, 0.16, 0.1), 0.3)
    n = world.at(450.0)
    treeline(world, "mountain-trees", world.base_px(n), 22 * world.px_per_metre_at(450.0) / world.h,
             n, green, density=45)
    return _scattered_trees(world, "mountain-pines", 3, (25.0, 160.0), green, "spruce")


def snow(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    rock = mix(_dark(world, 0.45), SNOW, 0.2)
    for i, (distance, reach) in enumerate(((9000.0, 0.4), (3500.0, 0.26))):
        n = world.at(distance)
        top = world.layout.horizon - reach * world.layout.horizon
        top_y = ridge_layer(world, f"snow-range-{i}", top, 0.16 * world.layout.horizon, n, rock,
                            features=1.8 + i, sharp=True, mist=0.5, rocky=True)
        _snow_caps(world, top_y, world.horizon_px - 0.02 * world.h, n, f"snow-range-{i}")
    paint_ground(world, far=mix(SNOW, p.haze, 0.4), near=scale(mix(SNOW, p.zenith, 0.25), 0.8),
                 texture=0.06)
    dark = mix(_dark(world, 0.2), (0.08, 0.12, 0.1), 0.3)
    n = world.at(350.0)
    treeline(world, "snow-trees", world.base_px(n), 18 * world.px_per_metre_at(350.0) / world.h,
             n, mix(dark, SNOW, 0.15), density=35)
    return _scattered_trees(world, "snow-pines", 3, (18.0, 140.0), dark, "spruce", snowy=True)


def _snow_caps(world: World, top_y: np.ndarray, snowline: float, n: float,
               purpose: str) -> None:
    """Snow above a wavy snowline, creeping down the gullies, lit on the faces that look
    towards the light."""
    c = world.canvas
    wobble = world.ridge(f"{purpose}-snowline", 3.0, octaves=4, roughness=0.6)
    line = snowline + (wobble - 0.5) * 0.05 * c.height
    y0 = int(max(0, top_y.min()))
    y1 = int(min(c.height, max(y0 + 1, line.max() + 4)))
    if y1 <= y0:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    inside = np.clip(ys - top_y[None, :] + 0.5, 0.0, 1.0)
    soft = 2.5 * world.unit
    alpha = inside * np.clip((line[None, :] - ys) / soft + 0.5, 0.0, 1.0)
    faces = rock_faces(world, purpose)[y0:y1]
    relief = slope_relief(world, top_y)[None, :]
    tone = np.asarray(world.aerial(SNOW, n), np.float32)
    shade = (0.72 + 0.14 * relief + 0.18 * faces)[..., None]
    c.paint(Mask(alpha.astype(np.float32), slice(y0, y1), slice(0, c.width)),
            (tone * shade).astype(np.float32))


# --------------------------------------------------------------------------- village / field


def village(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    ridge_layer(world, "village-hills", world.layout.horizon - 0.1, 0.08, world.at(3000.0),
                mix(p.ground_far, p.haze, 0.3), features=1.3, mist=0.4)
    paint_ground(world, texture=0.1)
    green = mix(_dark(world, 0.3), (0.12, 0.16, 0.1), 0.3)
    n = world.at(400.0)
    treeline(world, "village-trees", world.base_px(n), 14 * world.px_per_metre_at(400.0) / world.h,
             n, green, density=26, conifer=False)
    rng = world.place_rng("houses")
    landmark_world = world.layout.pan + world.layout.landmark_x
    offsets = np.sort(rng.normal(0, 0.28, 14))
    distances = rng.uniform(70.0, 220.0, len(offsets))
    widths = rng.uniform(8, 13, len(offsets))
    seeds = rng.integers(0, 2**31, len(offsets))
    church_at = int(np.argmin(np.abs(offsets))) if (world.cues.church or rng.random() < 0.6) else -1
    wall = mix(_dark(world, 0.4), (0.5, 0.42, 0.35), 0.15)
    for k in np.argsort(-distances):
        n = world.at(float(distances[k]))
        x = float(world.px(landmark_world + offsets[k]))
        width = widths[k] * world.px_per_metre_at(float(distances[k])) * (1.4 if k == church_at
                                                                          else 1.0)
        if -width < x < world.w + width:
            house(world, x - width / 2, world.base_px(n), width, world.aerial(wall, n), n,
                  np.random.default_rng(int(seeds[k])), steeple=bool(k == church_at))
    props = _scattered_trees(world, "village-oaks", 2.5, (30.0, 150.0), green, "broadleaf",
                             (9.0, 15.0))
    return props + _street_lamps(world, side=-1 if world.layout.landmark_x < 0.5 else 1,
                                 lateral_m=4.0, count=3)


def field(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    for i, distance in enumerate((5000.0, 1800.0)):
        n = world.at(distance)
        ridge_layer(world, f"field-hills-{i}", world.layout.horizon - 0.06 + 0.03 * i, 0.05, n,
                    mix(p.ground_far, (0.4, 0.45, 0.25), 0.2 + 0.1 * i), features=0.9,
                    mist=0.5)
    paint_ground(world, texture=0.1)
    _furrows(world)
    tree_x = world.layout.landmark_x * world.w
    n = world.at(160.0)
    lone = world.canvas.shapes()
    broadleaf(lone, tree_x, world.base_px(n), world.px_per_metre_at(160.0) * 14,
              world.place_rng("lone-tree"))
    world.canvas.paint(lone, world.aerial(_dark(world, 0.2), n), n)
    return _fence_posts(world)


def _furrows(world: World) -> None:
    """Crop rows converging on the vanishing point: stripes in the angle seen from it."""
    c, layout = world.canvas, world.layout
    top = int(world.horizon_px) + 1
    if top >= c.height:
        return
    rows = c.rows()[top:] - layout.horizon
    slope = (c.cols() - layout.landmark_x) / np.maximum(rows, 1e-3)
    stripes = 0.5 + 0.5 * np.cos(slope * 2 * np.pi * 3.0)
    fade = smoothstep(0.04, 0.25, rows)  # rows converge into a flat tone near the horizon
    c.rgb[top:] *= (1 - 0.2 * stripes * fade)[..., None]


def _fence_posts(world: World) -> list[Prop]:
    side = -1 if world.layout.landmark_x > 0.5 else 1
    vx = world.layout.landmark_x * world.w
    props = []
    for k in range(10):
        distance = 7.0 + 6.0 * k
        n, per_m = world.at(distance), world.px_per_metre_at(distance)
        x = vx + side * 5.5 * per_m
        if -20 < x < world.w + 20 and not world.hides_figure(x, 0.2 * per_m, n):
            props.append(Prop(n, _post_drawer(world, x, n, per_m)))
    return props


def _post_drawer(world: World, x: float, n: float, per_m: float) -> Callable[[], None]:
    def draw() -> None:
        base = world.base_px(n)
        shapes = world.canvas.shapes().line(x, base, x, base - 1.3 * per_m, max(1.0, 0.12 * per_m))
        shapes.line(x - 1.2 * per_m, base - 1.0 * per_m, x + 1.2 * per_m, base - 1.05 * per_m,
                    max(1.0, 0.06 * per_m))
        world.canvas.paint(shapes, world.aerial(_dark(world, 0.1), n), n)

    return draw


# --------------------------------------------------------------------------- road


def road(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    ridge_layer(world, "road-hills", world.layout.horizon - 0.07, 0.06, world.at(4000.0),
                mix(p.ground_far, p.haze, 0.3), features=1.0, mist=0.5)
    paint_ground(world, texture=0.1)
    _asphalt(world)
    return _telegraph_poles(world)


def _asphalt(world: World) -> None:
    c, layout = world.canvas, world.layout
    vx, vy = layout.landmark_x * world.w, world.horizon_px
    half = 3.6 * world.per_metre(1.0)
    bottom = world.h * 1.0
    asphalt = world.canvas.shapes().polygon([(vx, vy), (vx - half, bottom), (vx + half, bottom)])
    tarmac = scale(world.palette.ground_near, 0.7)
    c.paint(asphalt, tarmac)
    dashes = c.shapes()
    for z in np.arange(6.0, 2000.0, 12.0):
        n0, n1 = world.at(z), world.at(z + 4.0)
        y0, y1 = world.base_px(n0), world.base_px(n1)
        w0, w1 = 0.07 * world.px_per_metre_at(z), 0.07 * world.px_per_metre_at(z + 4.0)
        if y0 - y1 < 0.6:
            break
        dashes.polygon([(vx - w0, y0), (vx + w0, y0), (vx + w1, y1), (vx - w1, y1)])
    c.paint(dashes, mix(tarmac, (0.85, 0.85, 0.8), 0.55))


def _telegraph_poles(world: World) -> list[Prop]:
    side = 1 if world.layout.landmark_x < 0.5 else -1
    vx = world.layout.landmark_x * world.w
    props = []
    tops: list[tuple[float, float]] = []
    for k in range(14):
        z = 14.0 + 35.0 * k
        n, per_m = world.at(z), world.px_per_metre_at(z)
        x = vx + side * 7.0 * per_m
        tops.append((x, world.base_px(n) - 8.5 * per_m))
        if -30 < x < world.w + 30 and not world.hides_figure(x, 0.3 * per_m, n):
            props.append(Prop(n, _pole_drawer(world, x, n, per_m)))
    wires = world.canvas.shapes()
    for (x0, y0), (x1, y1) in pairwise(tops):
        sag = abs(x1 - x0) * 0.04
        mid = ((x0 + x1) / 2, (y0 + y1) / 2 + sag)
        width = max(0.8, 1.2 * world.unit)
        wires.line(x0, y0, *mid, width).line(*mid, x1, y1, width)
    world.canvas.paint(wires, world.aerial(_dark(world), 0.2), None, opacity=0.8)
    return props


def _pole_drawer(world: World, x: float, n: float, per_m: float) -> Callable[[], None]:
    def draw() -> None:
        base, top = world.base_px(n), world.base_px(n) - 8.5 * per_m
        shapes = world.canvas.shapes().line(x, base, x, top, max(1.0, 0.25 * per_m))
        shapes.line(x - 1.0 * per_m, top + 0.4 * per_m, x + 1.0 * per_m, top + 0.4 * per_m,
                    max(1.0, 0.12 * per_m))
        world.canvas.paint(shapes, world.aerial(_dark(world), n), n)

    return draw


# --------------------------------------------------------------------------- sky / space


def sky(world: World) -> list[Prop]:
    """Above the clouds: a cloud sea below the horizon, towers of cumulus above, and a
    ledge for anyone in the scene to stand on."""
    p = world.palette
    paint_sky(world, cloud_cover=0.4)
    top = int(world.horizon_px)
    world.canvas.rgb[top:] = np.asarray(mix(p.horizon, p.haze, 0.5), np.float32)
    world.canvas.nearness[top:] = 0.0
    paint_clouds(world, 0.85, below=True)
    _birds(world)
    if world.layout.figures:
        feet = min(f.foot for f in world.layout.figures)
        profile = world.ridge("ledge", 2.5, octaves=5)
        top_y = ((feet - 0.03) * world.h + profile * 0.04 * world.h).astype(np.float32)
        near = np.asarray(world.layout.ground_nearness(world.canvas.rows()), np.float32)
        paint_band(world, top_y, world.h + 1, _dark(world, 0.2), np.maximum(near, 0.5), mist=0.0,
                   relief=slope_relief(world, top_y))
    return []


def _birds(world: World) -> None:
    rng = world.scene_rng("birds")
    shapes = world.canvas.shapes()
    cx, cy = rng.uniform(0.2, 0.8) * world.w, rng.uniform(0.15, 0.4) * world.horizon_px
    for _ in range(int(rng.integers(3, 9))):
        x, y = cx + rng.normal(0, 0.06) * world.w, cy + rng.normal(0, 0.03) * world.h
        span = rng.uniform(6, 12) * world.unit
        lift = rng.uniform(0.2, 0.6) * span
        width = max(0.8, 1.3 * world.unit)
        shapes.line(x - span, y - lift, x, y, width).line(x, y, x + span, y - lift, width)
    world.canvas.paint(shapes, _dark(world, 0.3), None, opacity=0.8)


def space(world: World) -> list[Prop]:
    c, p = world.canvas, world.palette
    c.rgb[:] = np.asarray(p.zenith, np.float32)
    c.nearness[:] = 0.0
    _nebula(world)
    paint_stars(world, density=2.2)
    _planet(world)
    if world.layout.light.visible:
        _star_flare(world)
    profile = world.ridge("moon-surface", 2.0, octaves=6, roughness=0.55)
    top_y = (world.horizon_px - profile * 0.05 * world.h).astype(np.float32)
    near = np.asarray(world.layout.ground_nearness(c.rows()), np.float32)
    regolith = mix(p.ground_far, (0.35, 0.34, 0.36), 0.5)
    paint_band(world, top_y, world.h + 1, scale(regolith, 0.6), np.maximum(near, 0.01),
               mist=0.0, relief=slope_relief(world, top_y))
    _craters(world)
    return []


def _nebula(world: World) -> None:
    c = world.canvas
    cloud = cv2.resize(world.texture("nebula", cells=3, octaves=6), (c.width, c.height))
    veil = cv2.resize(world.texture("nebula-veil", cells=5, octaves=5), (c.width, c.height))
    rng = world.place_rng("nebula-hue")
    hues = [(0.25, 0.55, 0.75), (0.7, 0.3, 0.6), (0.85, 0.5, 0.3)]
    first, second = rng.choice(len(hues), 2, replace=False)
    glow_a = smoothstep(0.45, 0.95, cloud) * 0.22
    glow_b = smoothstep(0.55, 1.0, veil) * smoothstep(0.3, 0.8, cloud) * 0.16
    c.rgb += glow_a[..., None] * np.asarray(hues[first], np.float32)
    c.rgb += glow_b[..., None] * np.asarray(hues[second], np.float32)


def _planet(world: World) -> None:
    """A planet lit from the light's side: Lambert shading, banded clouds, a thin
    atmosphere rim, sometimes rings."""
    c, rng = world.canvas, world.place_rng("planet")
    radius = rng.uniform(0.16, 0.3) * c.width
    cx = float(world.px(world.layout.pan + world.layout.landmark_x + rng.uniform(-0.1, 0.1)))
    cy = world.horizon_px - radius * rng.uniform(0.6, 1.3)
    x0, x1 = int(max(0, cx - radius * 1.9)), int(min(c.width, cx + radius * 1.9))
    y0, y1 = int(max(0, cy - radius * 1.9)), int(min(c.height, cy + radius * 1.9))
    if x1 <= x0 or y1 <= y0:
        return
    xs = (np.arange(x0, x1, dtype=np.float32)[None, :] - cx) / radius
    ys = (np.arange(y0, y1, dtype=np.float32)[:, None] - cy) / radius
    r2 = xs * xs + ys * ys
    disc = np.clip((1 - np.sqrt(r2)) * radius + 0.5, 0, 1)
    nz = np.sqrt(np.clip(1 - r2, 0, 1))
    lx, ly = world.layout.light.direction(cx / c.width, cy / c.height)
    light = np.array([lx, ly, 0.35])
    light /= np.linalg.norm(light)
    lambert = np.clip(xs * light[0] + ys * light[1] + nz * light[2], 0, 1)
    bands = 0.75 + 0.25 * np.sin(ys * rng.uniform(8, 16) + 2 * np.sin(xs * 3))
    base = np.asarray(rng.choice([(0.75, 0.6, 0.45), (0.5, 0.6, 0.75), (0.7, 0.7, 0.65)]),
                      np.float32)
    colour = base * (lambert * bands)[..., None] + 0.015
    rows, cols = slice(y0, y1), slice(x0, x1)
    c.paint(Mask(disc.astype(np.float32), rows, cols), colour.astype(np.float32), 0.0)
    rim = np.exp(-(((np.sqrt(r2) - 1.0) * radius / (6 * world.unit)) ** 2)) * lambert.clip(0.2)
    c.add_light(Mask(rim.astype(np.float32), rows, cols), (0.5, 0.7, 1.0), 0.6)
    if rng.random() < 0.5:
        tilt = rng.uniform(-0.35, 0.35)
        ux, uy = xs * np.cos(tilt) + ys * np.sin(tilt), -xs * np.sin(tilt) + ys * np.cos(tilt)
        ring_r = np.sqrt(ux * ux + (uy / 0.22) ** 2)
        ring = smoothstep(1.35, 1.45, ring_r) * smoothstep(1.85, 1.7, ring_r)
        behind = (uy < 0) & (r2 < 1)
        ring = ring * ~behind * (0.35 + 0.65 * np.clip(lambert + 0.3, 0, 1))
        c.paint(Mask((ring * 0.8).astype(np.float32), rows, cols), scale(tuple(base), 0.8), None)


def _star_flare(world: World) -> None:
    lx, ly = world.light_px()
    _halo(world, lx, ly, 0.04 * world.w, world.palette.light, 1.5)
    streak = world.canvas.shapes().ellipse(lx, ly, 0.3 * world.w, 1.5 * world.unit)
    mask = streak.mask()
    if mask is not None:
        world.canvas.add_light(Mask(soft_blur(mask.alpha, 2.0), mask.rows, mask.cols),
                               (0.6, 0.75, 1.0), 0.8)


def _craters(world: World) -> None:
    rng = world.place_rng("craters")
    shapes = world.canvas.shapes()
    for _ in range(14):
        distance = float(np.exp(rng.uniform(np.log(6.0), np.log(400.0))))
        x = float(world.px(rng.uniform(*PANORAMA)))
        y = world.ground_px_at(distance)
        r = rng.uniform(3, 12) * world.px_per_metre_at(distance)
        shapes.ellipse(x, y, r, r * 0.22 * (1 + world.at(distance)))
    world.canvas.paint(shapes, _dark(world, 0.05), None, opacity=0.6)


# --------------------------------------------------------------------------- generic


def generic(world: World) -> list[Prop]:
    p = world.palette
    paint_sky(world)
    for i, distance in enumerate((5000.0, 2000.0)):
        n = world.at(distance)
        ridge_layer(world, f"generic-hills-{i}", world.layout.horizon - 0.09 + 0.04 * i, 0.07, n,
                    mix(p.ground_far, p.haze, 0.3 - 0.1 * i), features=1.1 + i, mist=0.5)
    paint_ground(world, texture=0.12)
    rng = world.place_rng("stones")
    props = []
    landmark_world = world.layout.pan + world.layout.landmark_x
    for k in range(6):
        distance = float(rng.uniform(25.0, 90.0))
        n = world.at(distance)
        x = float(world.px(landmark_world + rng.normal(0, 0.1)))
        size = rng.uniform(2.0, 4.0) * (1.7 if k == 0 else 1.0) * world.px_per_metre_at(distance)
        if not world.hides_figure(x, size * 0.3, n):
            props.append(Prop(n, _stone_drawer(world, x, n, size, int(rng.integers(2**31)))))
    return props


def _stone_drawer(world: World, x: float, n: float, size: float, seed: int) -> Callable[[], None]:
    def draw() -> None:
        rng = np.random.default_rng(seed)
        base = world.base_px(n)
        w = size * rng.uniform(0.3, 0.45)
        lean = rng.uniform(-0.1, 0.1) * size
        shapes = world.canvas.shapes().polygon([
            (x - w / 2, base), (x - w * 0.45 + lean, base - size * 0.95),
            (x + lean, base - size), (x + w * 0.5 + lean, base - size * 0.85), (x + w / 2, base),
        ])
        world.canvas.paint(shapes, world.aerial(_dark(world, 0.25), n), n)

    return draw


OUTDOOR: dict[str, Backdrop] = {
    "city": city, "forest": forest, "sea": sea, "desert": desert, "mountain": mountain,
    "snow": snow, "village": village, "field": field, "road": road, "sky": sky,
    "space": space, "generic": generic,
}
