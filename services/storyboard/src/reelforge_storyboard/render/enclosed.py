"""Interiors and tunnels, ray-cast: every pixel's ray meets a floor, wall, ceiling or arch
in one vectorised pass, which gives exact one-point perspective, true depth for parallax and
light that falls where it physically would (a sun patch through the window, lamps along a
tunnel) for the cost of a few array operations.

Camera space: x right, y up (0 at the eye), z forward, in metres; the vanishing point sits on
the layout's landmark column at the horizon, so the figures' ground plane and the floor agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from reelforge_storyboard.render.canvas import Color, mix, row_bands, scale, smoothstep
from reelforge_storyboard.render.world import FOCAL, Prop, World

INF = np.float32(1e6)


@dataclass(frozen=True)
class Rays:
    dx: np.ndarray  # (1, W) x slope per unit z
    dy: np.ndarray  # (H, 1) y slope per unit z
    eye: float  # camera height, m
    focal: float  # pixels
    vx: float
    vy: float

    def project(self, x: float, y: float, z: float) -> tuple[float, float]:
        """Camera-space point to pixel."""
        return self.vx + x / z * self.focal, self.vy - y / z * self.focal

    def base_distance(self, world: World) -> float:
        """Distance of the floor at the frame's base: where nearness is 1."""
        return self.eye * self.focal / ((1 - world.layout.horizon) * world.h)

    def nearness(self, t: np.ndarray | float, world: World) -> np.ndarray | float:
        """Inverse distance normalised like the ground plane (1 at the frame's base)."""
        return np.clip(self.base_distance(world) / np.maximum(t, 1e-3), 0.0, 1.0)

    def rows(self, band: slice) -> Rays:
        """The rays of the rows in `band` (the per-pixel passes shade a band at a time)."""
        return replace(self, dy=self.dy[band])


def _rays(world: World, min_eye: float = 0.6, max_eye: float = 2.2) -> Rays:
    focal = FOCAL * world.w
    vx, vy = world.layout.landmark_x * world.w, world.horizon_px
    cols = np.arange(world.w, dtype=np.float32)[None, :] + 0.5
    rows = np.arange(world.h, dtype=np.float32)[:, None] + 0.5
    eye = float(np.clip(world.layout.eye_height, min_eye, max_eye))
    return Rays((cols - vx) / focal, -(rows - vy) / focal, eye, focal, vx, vy)


def _where_positive(value: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid & (value > 0), value, INF).astype(np.float32)


# --------------------------------------------------------------------------- interior


@dataclass(frozen=True)
class Room:
    left: float
    right: float
    ceiling: float  # y of the ceiling (eye = 0)
    floor: float  # y of the floor (negative)
    depth: float  # z of the back wall
    window: tuple[float, float, float, float]  # x0, x1, y0, y1 on the back wall
    beams: bool
    lamp: tuple[float, float, float]  # lamp head position


def _room(world: World, rays: Rays) -> Room:
    rng = world.place_rng("room")
    width = rng.uniform(5.0, 8.0)
    offset = rng.uniform(-1.0, 1.0)
    height = max(2.7, rays.eye + 0.9) + rng.uniform(0.0, 0.8)
    farthest_figure = min((f.nearness for f in world.layout.figures), default=1.0)
    figure_depth = rays.base_distance(world) / max(farthest_figure, 0.05)
    depth = max(rng.uniform(5.5, 9.0), figure_depth * 1.3 + 1.0)
    floor = -rays.eye
    # the window sits where the layout put the light
    window_x = (world.layout.light.x * world.w - rays.vx) / rays.focal * depth
    window_x = float(np.clip(window_x, -width / 2 + offset + 0.8, width / 2 + offset - 0.8))
    half = rng.uniform(0.6, 1.0)
    sill = floor + rng.uniform(0.8, 1.0)
    window = (window_x - half, window_x + half, sill, min(floor + height - 0.3, sill + 1.7))
    lamp = _lamp_position(rays, window_x - offset, offset, width, floor, depth,
                          rng.uniform(0.5, 0.8))
    return Room(left=-width / 2 + offset, right=width / 2 + offset, ceiling=floor + height,
                floor=floor, depth=depth, window=window, beams=bool(rng.random() < 0.5),
                lamp=lamp)


def _lamp_position(rays: Rays, window_in_room: float, offset: float, width: float,
                   floor: float, depth: float, along: float) -> tuple[float, float, float]:
    """A standing lamp by the side wall opposite the window, if the camera sees that wall;
    else by the back wall, where it is always in view."""
    head_y = floor + 1.5
    frame_width = rays.focal / FOCAL
    for side in ((-1.0, 1.0) if window_in_room > 0 else (1.0, -1.0)):
        x, z = offset + side * (width / 2 - 0.6), depth * along
        px, _ = rays.project(x, head_y, z)
        if 0.08 * frame_width < px < 0.92 * frame_width:
            return x, head_y, z
    x = offset - np.sign(window_in_room or 1.0) * (width / 2 - 0.8)
    return float(x), head_y, depth - 0.6


def interior(world: World) -> list[Prop]:
    rays = _rays(world)
    room = _room(world, rays)
    c = world.canvas
    for band in row_bands(world.h):
        _shade_room(world, rays.rows(band), room, c.rgb[band], c.nearness[band])
    _light_shaft(world, rays, room)
    return _furniture(world, rays, room)


def _shade_room(world: World, rays: Rays, room: Room, rgb: np.ndarray,
                nearness: np.ndarray) -> None:
    """The room as the given rays see it, into those rays' part of the canvas."""
    t, surface = _hit_room(rays, room)
    x, y, z = rays.dx * t, rays.dy * t, t
    albedo = _room_albedo(world, room, surface, x, y, z)
    light = _room_light(world, room, surface, x, y, z)
    rgb[:] = albedo * light
    nearness[:] = rays.nearness(t, world)
    _window_view(world, room, surface, x, y, rgb, nearness)


def _hit_room(rays: Rays, room: Room) -> tuple[np.ndarray, np.ndarray]:
    dx, dy = rays.dx, rays.dy
    with np.errstate(divide="ignore", invalid="ignore"):
        candidates = np.broadcast_arrays(
            _where_positive(room.floor / dy, dy < 0),
            _where_positive(room.ceiling / dy, dy > 0),
            _where_positive(room.left / dx, dx < 0),
            _where_positive(room.right / dx, dx > 0),
            np.full((1, 1), room.depth, np.float32),
        )
    stack = np.stack(candidates)
    surface = np.argmin(stack, axis=0)
    t = np.take_along_axis(stack, surface[None], axis=0)[0]
    return t, surface


_NORMALS = np.array([(0, 1, 0), (0, -1, 0), (1, 0, 0), (-1, 0, 0), (0, 0, -1)], np.float32)


def _room_albedo(world: World, room: Room, surface: np.ndarray, x: np.ndarray, y: np.ndarray,
                 z: np.ndarray) -> np.ndarray:
    p = world.palette
    wall = np.asarray(mix(p.ground_far, (0.62, 0.56, 0.48), 0.6), np.float32)
    floor = np.asarray(scale(p.ground_near, 1.6), np.float32)
    ceiling = wall * 0.85
    colours = np.stack([floor, ceiling, wall, wall, wall * 0.95])
    albedo = colours[surface]
    board = np.floor(x / 0.16)
    along = np.abs((x / 0.16) - np.round(x / 0.16)) < 0.05
    seam = along | (((z / 2.4 + board * 0.37) % 1) < 0.01)
    tone = 0.9 + 0.2 * ((np.sin(board * 12.9898) * 43758.5453) % 1)
    is_floor = surface == 0
    albedo *= np.where(is_floor, tone * np.where(seam, 0.55, 1.0), 1.0)[..., None]
    wainscot = (surface >= 2) & (y < room.floor + 0.95)
    rail = (surface >= 2) & (np.abs(y - (room.floor + 0.95)) < 0.03)
    albedo *= np.where(wainscot, 0.78, 1.0)[..., None]
    albedo *= np.where(rail, 0.55, 1.0)[..., None]
    if room.beams:
        beam = (surface == 1) & ((z % 1.6) < 0.2)
        albedo *= np.where(beam, 0.45, 1.0)[..., None]
    albedo *= _ambient_occlusion(room, x, y, z)[..., None]
    return albedo.astype(np.float32)


def _ambient_occlusion(room: Room, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Corners darken: distance to the second-nearest room plane (the nearest is the one hit)."""
    distances = np.stack(np.broadcast_arrays(
        np.abs(y - room.floor), np.abs(room.ceiling - y), np.abs(x - room.left),
        np.abs(room.right - x), np.abs(room.depth - z)))
    second = np.partition(distances, 1, axis=0)[1]
    return (1 - 0.45 * np.exp(-second / 0.35)).astype(np.float32)


def _light_direction(world: World) -> np.ndarray:
    """Direction sunlight (or moonlight) travels into the room through the back window."""
    elevation = max(0.15, world.layout.horizon - world.layout.light.y) * 2.2
    side = 0.35 if world.layout.light.x < world.layout.landmark_x else -0.35
    d = np.array([side, -elevation, -1.0], np.float32)
    return d / np.linalg.norm(d)


def _through_window(room: Room, light: np.ndarray, x: np.ndarray, y: np.ndarray,
                    z: np.ndarray) -> np.ndarray:
    """0..1: how much of the window a point sees along the light (soft-edged)."""
    back = (room.depth - z) / -light[2]
    qx, qy = x - back * light[0], y - back * light[1]
    x0, x1, y0, y1 = room.window
    soft = 0.03 + back * 0.02
    inside = (smoothstep(x0 - soft, x0 + soft, qx) * smoothstep(x1 + soft, x1 - soft, qx)
              * smoothstep(y0 - soft, y0 + soft, qy) * smoothstep(y1 + soft, y1 - soft, qy))
    mullion = 1 - 0.8 * np.exp(-((qx - (x0 + x1) / 2) / 0.05) ** 2)
    return (inside * mullion * (z < room.depth - 1e-3)).astype(np.float32)


def _room_light(world: World, room: Room, surface: np.ndarray, x: np.ndarray, y: np.ndarray,
                z: np.ndarray) -> np.ndarray:
    p = world.palette
    level = 0.16 if p.night else (0.55 if world.layout.light.y < 0.25 else 0.35)
    ambient = np.asarray(mix(p.haze, (1, 1, 1), 0.5), np.float32) * level
    direction = _light_direction(world)
    cosine = np.clip(-(_NORMALS @ direction), 0, 1)[surface]
    sun = _through_window(room, direction, x, y, z) * cosine
    strength = 0.45 if p.night else 1.8
    bounce = 0.35 * np.exp(-(room.depth - z) / 3.0) * (0.3 if p.night else 1.0)
    light = ambient + (sun * strength)[..., None] * np.asarray(p.light, np.float32)
    light = light + bounce[..., None] * np.asarray(p.light, np.float32) * 0.4
    if _lamp_on(world):
        lx, ly, lz = room.lamp
        vx, vy, vz = lx - x, ly - y, lz - z
        dist = np.sqrt(vx * vx + vy * vy + vz * vz) + 1e-3
        n = _NORMALS[surface]
        facing = np.clip((n[..., 0] * vx + n[..., 1] * vy + n[..., 2] * vz) / dist, 0, 1)
        lamp = facing / (1 + dist * dist * 0.3) * 2.8
        light = light + lamp[..., None] * np.asarray(p.practical, np.float32)
    return light.astype(np.float32)


def _lamp_on(world: World) -> bool:
    return world.palette.night or world.layout.horizon - world.layout.light.y < 0.2


def _window_view(world: World, room: Room, surface: np.ndarray, x: np.ndarray,
                 y: np.ndarray, rgb: np.ndarray, nearness: np.ndarray) -> None:
    """The outside seen through the window: the sky of the hour, frame and mullions."""
    p = world.palette
    x0, x1, y0, y1 = room.window
    on_back = surface == 4
    glass = on_back & (x > x0) & (x < x1) & (y > y0) & (y < y1)
    frame = on_back & (x > x0 - 0.08) & (x < x1 + 0.08) & (y > y0 - 0.08) & (y < y1 + 0.08)
    mullion = glass & ((np.abs(x - (x0 + x1) / 2) < 0.03) | (np.abs(y - (y0 + y1) / 2) < 0.03))
    height = np.clip((y - y0) / max(1e-3, y1 - y0), 0, 1)
    sky = (np.asarray(p.horizon, np.float32) * (1 - height[..., None])
           + np.asarray(p.zenith, np.float32) * height[..., None])
    sky *= 1.0 if p.night else 1.6
    dark = np.asarray(scale(p.silhouette, 1.5), np.float32)
    rgb[:] = np.where((frame & ~glass)[..., None], dark, rgb)
    rgb[:] = np.where((glass & ~mullion)[..., None], sky, rgb)
    rgb[:] = np.where(mullion[..., None], dark, rgb)
    nearness[:] = np.where(glass & ~mullion, 0.0, nearness)


def _light_shaft(world: World, rays: Rays, room: Room) -> None:
    """Light visible in the air (dust) where the window's beam crosses a pixel's ray,
    integrated at quarter resolution."""
    small_w, small_h = max(8, world.w // 4), max(8, world.h // 4)
    cols = (np.arange(small_w, dtype=np.float32)[None, :] + 0.5) * world.w / small_w
    rows = (np.arange(small_h, dtype=np.float32)[:, None] + 0.5) * world.h / small_h
    small = Rays((cols - rays.vx) / rays.focal, -(rows - rays.vy) / rays.focal, rays.eye,
                 rays.focal, rays.vx, rays.vy)
    t, _ = _hit_room(small, room)
    direction = _light_direction(world)
    total = np.zeros((small_h, small_w), np.float32)
    steps = 16
    for i in range(steps):
        along = t * (i + 0.5) / steps
        total += _through_window(room, direction, small.dx * along, small.dy * along, along)
    density = (0.35 if world.cues.fog else 0.18) * (0.5 if world.palette.night else 1.0)
    shaft = cv2.resize(total / steps * density, (world.w, world.h), interpolation=cv2.INTER_LINEAR)
    world.canvas.rgb += shaft[..., None] * np.asarray(world.palette.light, np.float32)


def _furniture(world: World, rays: Rays, room: Room) -> list[Prop]:
    rng = world.place_rng("furniture")
    props: list[Prop] = []
    wood = scale(world.palette.ground_near, 0.8)
    table_z = room.depth * rng.uniform(0.55, 0.8)
    table_x = rng.uniform(room.left + 1.2, room.right - 1.2)
    props.append(_box_prop(world, rays, (table_x - 0.8, table_x + 0.8), (room.floor + 0.72,
                           room.floor + 0.78), (table_z - 0.45, table_z + 0.45), wood))
    for leg_x in (table_x - 0.72, table_x + 0.66):
        props.append(_box_prop(world, rays, (leg_x, leg_x + 0.06), (room.floor, room.floor + 0.72),
                               (table_z - 0.4, table_z - 0.34), wood))
    shelf_side = room.left if rng.random() < 0.5 else room.right - 0.4
    shelf_z = room.depth * rng.uniform(0.3, 0.6)
    props.append(_box_prop(world, rays, (shelf_side, shelf_side + 0.4),
                           (room.floor, room.floor + 2.0), (shelf_z, shelf_z + 1.2),
                           scale(wood, 0.7)))
    props.append(_lamp_prop(world, rays, room))
    return [pr for pr in props if pr.nearness > 0]


def _box_prop(world: World, rays: Rays, xs: tuple[float, float], ys: tuple[float, float],
              zs: tuple[float, float], colour: Color) -> Prop:
    """A box seen in perspective: its front, the top when below the eye, the inner side."""
    nearness = float(rays.nearness(zs[0], world))

    def draw() -> None:
        (x0, x1), (y0, y1), (z0, z1) = xs, ys, zs
        c = world.canvas
        faces = [([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], 0.8)]
        if y1 < 0:
            faces.append(([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], 1.15))
        if x1 < 0:
            faces.append(([(x1, y0, z0), (x1, y0, z1), (x1, y1, z1), (x1, y1, z0)], 0.6))
        elif x0 > 0:
            faces.append(([(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)], 0.6))
        for corners, shade in faces:
            points = [rays.project(*corner) for corner in corners]
            c.paint(c.shapes().polygon(points), scale(colour, shade), nearness)

    return Prop(nearness, draw)


def _lamp_prop(world: World, rays: Rays, room: Room) -> Prop:
    lx, ly, lz = room.lamp
    nearness = float(rays.nearness(lz, world))
    on = _lamp_on(world)

    def draw() -> None:
        c = world.canvas
        base = rays.project(lx, room.floor, lz)
        head = rays.project(lx, ly, lz)
        per_m = rays.focal / lz
        stand = c.shapes().line(base[0], base[1], head[0], head[1], max(1.0, 0.03 * per_m))
        stand.ellipse(base[0], base[1], 0.18 * per_m, 0.04 * per_m)
        c.paint(stand, world.palette.silhouette, nearness)
        shade = c.shapes().polygon([(head[0] - 0.12 * per_m, head[1] - 0.22 * per_m),
                                    (head[0] + 0.12 * per_m, head[1] - 0.22 * per_m),
                                    (head[0] + 0.22 * per_m, head[1] + 0.02 * per_m),
                                    (head[0] - 0.22 * per_m, head[1] + 0.02 * per_m)])
        if on:
            c.paint(shade, scale(world.palette.practical, 1.8), nearness)
            _glow(world, head[0], head[1] - 0.1 * per_m, 0.5 * per_m, world.palette.practical)
        else:
            c.paint(shade, scale(world.palette.ground_far, 0.8), nearness)

    return Prop(nearness, draw)


def _glow(world: World, x: float, y: float, radius: float, colour: Color) -> None:
    c = world.canvas
    c.add_light(c.radial_falloff(x, y, radius, reach=radius * 3), colour, 0.6)


# --------------------------------------------------------------------------- underground


@dataclass(frozen=True)
class Tunnel:
    radius: float  # half width, m; the arch is a half circle of this radius
    spring: float  # y where the walls turn into the arch
    floor: float
    length: float
    railway: bool
    lamp_spacing: float


def underground(world: World) -> list[Prop]:
    rays = _rays(world)
    rng = world.place_rng("tunnel")
    floor = -rays.eye
    tunnel = Tunnel(radius=rng.uniform(2.0, 3.0), spring=floor + rng.uniform(1.8, 2.4),
                    floor=floor, length=rng.uniform(70, 140), railway=bool(rng.random() < 0.5),
                    lamp_spacing=rng.uniform(8, 14))
    c = world.canvas
    for band in row_bands(world.h):
        _shade_tunnel(world, rays.rows(band), tunnel, c.rgb[band], c.nearness[band])
    _tunnel_bulbs(world, rays, tunnel)
    return []


def _shade_tunnel(world: World, rays: Rays, tunnel: Tunnel, rgb: np.ndarray,
                  nearness: np.ndarray) -> None:
    """The tunnel as the given rays see it, into those rays' part of the canvas."""
    t, surface = _hit_tunnel(rays, tunnel)
    x, y, z = rays.dx * t, rays.dy * t, t
    albedo = _tunnel_albedo(world, tunnel, surface, x, y, z)
    light = _tunnel_light(world, tunnel, x, y, z)
    rgb[:] = albedo * light
    mouth = surface == 2
    opening = np.asarray(scale(mix(world.palette.horizon, world.palette.haze, 0.4),
                               0.25 if world.palette.night else 2.2), np.float32)
    rgb[:] = np.where(mouth[..., None], opening, rgb)
    nearness[:] = rays.nearness(np.minimum(t, tunnel.length), world)


def _hit_tunnel(rays: Rays, tunnel: Tunnel) -> tuple[np.ndarray, np.ndarray]:
    dx, dy = np.broadcast_arrays(rays.dx, rays.dy)
    r, ys = tunnel.radius, tunnel.spring
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = _where_positive(tunnel.floor / dy, dy < 0)
        t_wall = _where_positive(r / np.abs(dx), np.abs(dx) > 1e-6)
        a = dx * dx + dy * dy
        b = dy * ys
        disc = np.maximum(b * b - a * (ys * ys - r * r), 0)
        t_arch = ((b + np.sqrt(disc)) / np.maximum(a, 1e-9)).astype(np.float32)
    wall_above_spring = dy * t_wall > ys
    t_side = np.where(wall_above_spring, t_arch, t_wall)
    t = np.minimum(t_floor, t_side)
    surface = np.where(t_floor <= t_side, 0, 1)
    surface = np.where(t > tunnel.length, 2, surface)
    return t.astype(np.float32), surface


def _tunnel_albedo(world: World, tunnel: Tunnel, surface: np.ndarray, x: np.ndarray,
                   y: np.ndarray, z: np.ndarray) -> np.ndarray:
    p = world.palette
    brick = np.asarray(mix(p.ground_far, (0.45, 0.36, 0.3), 0.5), np.float32)
    ground = np.asarray(scale(p.ground_near, 1.3), np.float32)
    albedo = np.where((surface == 0)[..., None], ground, brick)
    # bricks: courses along the cross-section, staggered joints along the tunnel
    around = np.where(y > tunnel.spring, tunnel.spring + tunnel.radius *
                      np.arccos(np.clip(np.abs(x) / tunnel.radius, -1, 1)), y)
    course = np.floor(around / 0.22)
    mortar = ((around / 0.22) % 1 < 0.1) | (((z / 0.45) + course * 0.5) % 1 < 0.06)
    ribs = (z % 5.0) < 0.35
    walls = surface == 1
    albedo *= np.where(walls & mortar, 0.6, 1.0)[..., None]
    albedo *= np.where(walls & ribs, 0.7, 1.0)[..., None]
    if tunnel.railway:
        sleeper = (surface == 0) & ((z % 0.7) < 0.22) & (np.abs(x) < 1.2)
        rail = (surface == 0) & (np.abs(np.abs(x) - 0.72) < 0.04)
        albedo *= np.where(sleeper, 0.55, 1.0)[..., None]
        albedo = np.where(rail[..., None], np.float32(0.9), albedo)
    return albedo.astype(np.float32)


def _lamp_positions(tunnel: Tunnel) -> list[tuple[float, float, float]]:
    positions = []
    for k, z in enumerate(np.arange(tunnel.lamp_spacing * 0.6, tunnel.length, tunnel.lamp_spacing)):
        side = -1.0 if k % 2 == 0 else 1.0
        positions.append((side * (tunnel.radius - 0.15), tunnel.spring - 0.2, float(z)))
    return positions[:12]


def _tunnel_light(world: World, tunnel: Tunnel, x: np.ndarray, y: np.ndarray,
                  z: np.ndarray) -> np.ndarray:
    p = world.palette
    light = np.full(np.broadcast_shapes(x.shape, y.shape), 0.05, np.float32)[..., None]
    light = light * np.asarray(mix(p.haze, (1, 1, 1), 0.5), np.float32)
    total = np.zeros(light.shape[:2], np.float32)
    for lx, ly, lz in _lamp_positions(tunnel):
        d2 = (x - lx) ** 2 + (y - ly) ** 2 + (z - lz) ** 2
        total += 3.0 / (1 + d2 * 0.6)
    light = light + total[..., None] * np.asarray(p.practical, np.float32)
    mouth_glow = 0.0 if p.night else 1.2
    to_mouth = np.maximum(tunnel.length - np.minimum(z, tunnel.length), 0.0)
    toward_mouth = np.exp(-to_mouth / (tunnel.length * 0.25)) * mouth_glow
    return (light + toward_mouth[..., None] * np.asarray(p.horizon, np.float32)).astype(np.float32)


def _tunnel_bulbs(world: World, rays: Rays, tunnel: Tunnel) -> None:
    for lx, ly, lz in _lamp_positions(tunnel):
        px, py = rays.project(lx, ly, lz)
        radius = max(1.5, 0.15 * rays.focal / lz)
        _glow(world, px, py, radius * 3, world.palette.practical)
        bulb = world.canvas.shapes().circle(px, py, radius)
        world.canvas.add_light(bulb, world.palette.practical, 2.5)


ENCLOSED: dict[str, Callable[[World], list[Prop]]] = {
    "interior": interior,
    "underground": underground,
}
