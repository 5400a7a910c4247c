"""Air and film: fog, haze, rain, snowfall, lightning, god rays, bloom, then the development
of the float canvas into an 8-bit frame (exposure, saturation, contrast, vignette, grain).

Grain is not only a look: it dithers the long sky gradients so the 8-bit PNG does not band.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reelforge_storyboard.render.canvas import (
    Color,
    mix,
    row_bands,
    smoothstep,
    soft_blur,
    value_noise,
)
from reelforge_storyboard.render.world import World

LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass(frozen=True)
class Weather:
    fog: float
    haze: float
    rain: float
    snow: float
    god_rays: float
    lightning: bool


def weather_for(world: World) -> Weather:
    """What hangs in the air, from the scene's words, the mood, the hour and the place."""
    cues, kind, p = world.cues, world.location.kind, world.palette
    low_sun = world.layout.horizon - world.layout.light.y < 0.2
    fog = 0.55 if cues.fog else 0.0
    if kind in ("forest", "sea", "field", "village") and low_sun and not p.night:
        fog = max(fog, 0.3)
    if kind == "underground":
        fog = max(fog, 0.25)
    haze = {"desert": 0.25, "city": 0.18, "mountain": 0.15}.get(kind, 0.1)
    rays = 0.0
    if kind not in ("interior", "underground", "space") and not cues.rain:
        near_light = -0.3 < world.layout.light.x < 1.3 and world.layout.light.y > -0.4
        if near_light and (low_sun or fog > 0 or kind == "forest"):
            rays = 0.5 if not p.night else 0.15
    storm_scene = cues.storm and world.scene_rng("lightning").random() < 0.5
    return Weather(
        fog=fog, haze=haze,
        rain=0.8 if cues.storm else (0.55 if cues.rain else 0.0),
        snow=0.6 if cues.snow and kind not in ("interior", "underground", "space") else 0.0,
        god_rays=rays, lightning=storm_scene,
    )


def horizon_glow(world: World, colour: Color, strength: float) -> None:
    """Light scattered in the air over the horizon: city light pollution, distant fire."""
    c = world.canvas
    rows = c.rows()
    band = np.exp(-np.abs(rows - world.layout.horizon) / 0.09) * (rows < world.layout.horizon)
    far = (1.0 - np.clip(c.nearness, 0.0, 1.0)) ** 4  # in the distance, not on the cast
    glow = (band * strength).astype(np.float32) * far
    c.rgb += glow[..., None] * np.asarray(colour, np.float32)


def apply_air(world: World, weather: Weather) -> None:
    """Everything between the lens and the scenery, in the order light would meet it."""
    if world.cues.fire:
        horizon_glow(world, (1.0, 0.45, 0.15), 0.35)
    if weather.lightning:
        _lightning(world)
    if weather.fog > 0 or weather.haze > 0:
        _fog(world, weather.fog, weather.haze)
    if weather.god_rays > 0:
        _god_rays(world, weather.god_rays)
    if weather.rain > 0:
        _rain(world, weather.rain)
    if weather.snow > 0:
        _snowfall(world, weather.snow)


def _fog(world: World, density: float, haze: float) -> None:
    """Fog thickens with distance and pools near the ground; patches keep it from looking
    like a flat grey veil. It is lit by the light it surrounds."""
    c, layout = world.canvas, world.layout
    small = value_noise(world.scene_rng("fog"), max(8, c.height // 8), max(8, c.width // 8), 3,
                        octaves=4)
    patches = cv2.resize(small, (c.width, c.height), interpolation=cv2.INTER_LINEAR)
    glow = _light_glow(world, 0.35)
    rows = c.rows()
    for band in row_bands(c.height):
        far = 1.0 - np.clip(c.nearness[band], 0.0, 1.0)
        distance = far * np.sqrt(far)
        above = np.clip(layout.horizon - rows[band], 0, None)
        pooling = np.exp(-above / 0.14)
        amount = (density * (0.6 + 0.8 * patches[band]) + haze) * distance * pooling
        amount = np.clip(amount, 0.0, 0.92)
        colour = (np.asarray(world.palette.haze, np.float32)
                  + glow[band][..., None] * np.asarray(world.palette.light, np.float32) * 0.35)
        part = c.rgb[band]
        part += (colour - part) * amount[..., None]


def _light_glow(world: World, falloff: float) -> np.ndarray:
    """exp(-distance to the light / falloff), computed small and scaled up (it is smooth)."""
    c, light = world.canvas, world.layout.light
    w, h = max(8, c.width // 8), max(8, c.height // 8)
    rows = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h
    cols = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / w
    glow = np.exp(-np.hypot(cols - light.x, (rows - light.y) * c.height / c.width) / falloff)
    return cv2.resize(glow.astype(np.float32), (c.width, c.height),
                      interpolation=cv2.INTER_CUBIC)


def _god_rays(world: World, strength: float) -> None:
    """Crepuscular rays: the bright sky, occluded by the scenery, smeared radially from the
    light (a screen-space radial blur at quarter resolution)."""
    c = world.canvas
    factor = 4
    w, h = max(8, c.width // factor), max(8, c.height // factor)
    luminance = c.rgb @ LUMA
    source = np.clip(luminance - 0.55, 0, None) * (c.nearness < 0.02)
    small = cv2.resize(source.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    lx, ly = world.layout.light.x * w, world.layout.light.y * h
    total = np.zeros_like(small)
    steps, decay = 40, 0.965
    for i in range(steps):
        s = 1.0 - i * 0.018
        matrix = np.array([[s, 0, (1 - s) * lx], [0, s, (1 - s) * ly]], np.float32)
        total += cv2.warpAffine(small, matrix, (w, h), flags=cv2.INTER_LINEAR) * decay**i
    rays = cv2.resize(total / steps, (c.width, c.height), interpolation=cv2.INTER_LINEAR)
    c.rgb += (rays * strength * 1.6)[..., None] * np.asarray(world.palette.light, np.float32)


def _rain(world: World, amount: float) -> None:
    """Streaks at two depths (fine and far, long and near), slanted by one wind, plus the
    grey veil of a downpour."""
    c, rng = world.canvas, world.scene_rng("rain")
    wind = rng.uniform(-0.25, 0.25)
    layer = np.zeros((c.height, c.width), np.float32)
    area = c.width * c.height / 1920**2
    for count, length, width, level in ((2600, 28, 1, 0.35), (500, 80, 2, 0.55)):
        n = int(count * amount * area) + 1
        xs, ys = rng.uniform(0, c.width, n), rng.uniform(0, c.height, n)
        lengths = length * world.unit * rng.uniform(0.6, 1.4, n)
        intensity = level * rng.uniform(0.4, 1.0, n)
        for x, y, ln, v in zip(xs, ys, lengths, intensity, strict=True):
            x1, y1 = x + np.sin(wind) * ln, y + np.cos(wind) * ln
            cv2.line(layer, (int(x), int(y)), (int(x1), int(y1)), float(v),
                     max(1, int(width * world.unit)), cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (0, 0), 0.7 * max(1.0, world.unit))
    veil = np.asarray(mix(world.palette.haze, (0.6, 0.62, 0.66), 0.3), np.float32)
    c.rgb += (veil - c.rgb) * 0.12 * amount
    tone = np.asarray(mix(world.palette.haze, world.palette.light, 0.3), np.float32)
    c.rgb += (layer * 0.5 * amount)[..., None] * tone


def _snowfall(world: World, amount: float) -> None:
    c, rng = world.canvas, world.scene_rng("snowfall")
    sharp = np.zeros((c.height, c.width), np.float32)
    soft = np.zeros((c.height, c.width), np.float32)
    area = c.width * c.height / 1920**2
    for layer, count, radius in ((sharp, 1800, 1.6), (soft, 160, 7.0)):
        n = int(count * amount * area) + 1
        xs, ys = rng.uniform(0, c.width, n), rng.uniform(0, c.height, n)
        radii = radius * world.unit * rng.uniform(0.5, 1.4, n)
        for x, y, r in zip(xs, ys, radii, strict=True):
            cv2.circle(layer, (int(x), int(y)), max(1, int(r)), 1.0, -1, cv2.LINE_AA)
    soft = soft_blur(soft, 3 * world.unit)
    flakes = np.clip(sharp * 0.7 + soft * 0.45, 0, 1) * amount
    white = np.asarray(mix((0.95, 0.96, 1.0), world.palette.haze, 0.3), np.float32)
    c.rgb += (white - c.rgb) * flakes[..., None]


def _lightning(world: World) -> None:
    """A forked bolt from the cloud base to the horizon, and the sky lit behind it."""
    c, rng = world.canvas, world.scene_rng("bolt")
    x = rng.uniform(0.15, 0.85) * c.width
    y, bottom = 0.0, world.horizon_px
    bolt = np.zeros((c.height, c.width), np.float32)
    width = max(1, int(2 * world.unit))
    while y < bottom:
        step = rng.uniform(0.02, 0.05) * c.height
        nx = x + rng.normal(0, 0.02) * c.width
        cv2.line(bolt, (int(x), int(y)), (int(nx), int(y + step)), 1.0, width, cv2.LINE_AA)
        if rng.random() < 0.15:
            bx = nx + rng.normal(0, 0.05) * c.width
            cv2.line(bolt, (int(nx), int(y + step)), (int(bx), int(y + step * 2.5)), 0.6,
                     max(1, width // 2), cv2.LINE_AA)
        x, y = nx, y + step
    glow = soft_blur(bolt, 25 * world.unit) * 6
    sky = (c.nearness < 0.02).astype(np.float32)
    flash = np.asarray((0.8, 0.85, 1.0), np.float32)
    c.rgb += ((bolt * 2.5 + glow) * sky)[..., None] * flash
    c.rgb += (sky * 0.08)[..., None] * flash


# --------------------------------------------------------------------------- development


def develop(world: World) -> np.ndarray:
    """The float canvas to an 8-bit RGB frame (the canvas's colour is consumed)."""
    p, c = world.palette, world.canvas
    rgb = c.rgb
    rgb *= np.float32(p.exposure)
    bloom = _bloom(world, rgb)
    if bloom is not None:
        rgb += bloom
        del bloom
    noise = world.scene_rng("grain").standard_normal((world.h, world.w), dtype=np.float32)
    vignette = _vignette(c.width, c.height)
    table = _tone_table(p.contrast)
    saturation = np.float32(p.saturation)
    out = np.empty(rgb.shape, np.uint8)
    for band in row_bands(c.height):
        part = rgb[band]
        luminance = part @ LUMA
        part = luminance[..., None] + (part - luminance[..., None]) * saturation
        part = _tone_curve(part, table)
        part *= vignette[band][..., None]
        part += _grain(noise[band], part)
        out[band] = np.clip(part * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


def _bloom(world: World, rgb: np.ndarray) -> np.ndarray | None:
    """Highlights bleed into their surroundings as they do through a lens (None: no
    highlight bright enough to bleed)."""
    excess = rgb - np.float32(0.85)
    np.maximum(excess, 0, out=excess)
    if not excess.any():
        return None
    near = soft_blur(excess, 12 * world.unit)
    wide = soft_blur(excess, 60 * world.unit)
    del excess
    near *= np.float32(0.35)
    wide *= np.float32(0.25)
    near += wide
    return near


TONE_RANGE = 2.0
TONE_STEPS = 4096


def _tone_table(contrast: float) -> np.ndarray:
    """Shoulder then S-curve, tabulated (the curve is per value, and a table lookup is
    several times cheaper than evaluating it on every pixel)."""
    x = np.linspace(0.0, TONE_RANGE, TONE_STEPS, dtype=np.float32)
    return _contrast(_shoulder(x), contrast)


def _tone_curve(rgb: np.ndarray, table: np.ndarray) -> np.ndarray:
    index = np.clip(rgb * ((TONE_STEPS - 1) / TONE_RANGE), 0, TONE_STEPS - 1).astype(np.int32)
    return table[index]


def _shoulder(x: np.ndarray) -> np.ndarray:
    """Roll highlights off smoothly instead of clipping them."""
    knee = np.float32(0.78)
    rolled = knee + (1 - knee) * np.tanh((x - knee) / (1 - knee))
    return np.where(x < knee, x, rolled).astype(np.float32)


def _contrast(x: np.ndarray, amount: float) -> np.ndarray:
    """A gentle S-curve around mid-grey; amount 1 is a mild filmic default."""
    s = smoothstep(0.0, 1.0, np.clip(x, 0, 1))
    k = np.float32(np.clip(0.25 * amount, 0, 0.6))
    return (x + (s - x) * k).astype(np.float32)


def _vignette(width: int, height: int) -> np.ndarray:
    ys = (np.arange(height, dtype=np.float32)[:, None] + 0.5) / height - 0.5
    xs = (np.arange(width, dtype=np.float32)[None, :] + 0.5) / width - 0.5
    r = np.sqrt(xs * xs + ys * ys) / 0.7071
    return (1 - 0.38 * r**2.4).astype(np.float32)


def _grain(noise: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Monochrome film grain, heavier in the shadows, from the scene's seeded noise."""
    luminance = rgb @ LUMA
    sigma = 0.005 + 0.008 * (1 - np.clip(luminance, 0, 1))
    return (noise * sigma)[..., None]
