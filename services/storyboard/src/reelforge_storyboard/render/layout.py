"""Composition: shot size, camera height and horizon, where the light comes from and where the
figures stand.

The layout is pure arithmetic on the request (no pixels), so the storyboard stage can ask for
a frame's subject focus without rendering it. Figures obey one ground plane: a figure's height
and the height of its feet above the frame's base follow from the camera height, so people
further away are smaller *and* higher in the frame, and the horizon crosses everyone at the
same body height. The location's geometry (where its landmark and the east lie) is seeded
from the location id and the job seed, so a place looks the same in every scene; the framing
within it varies per scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from reelforge.models import Character, Location, Role, Scene
from reelforge.providers import FrameRequest

from reelforge_storyboard.render.cues import stable_seed

ShotSize = Literal["wide", "medium", "close"]

FIGURE_METRES = 1.75
MAX_FIGURES = 5

_ROLE_ORDER: dict[Role, int] = {"protagonist": 0, "antagonist": 1, "supporting": 2, "minor": 3}


@dataclass(frozen=True)
class Light:
    x: float  # source position in frame units (0..1 of width; outside = off-frame)
    y: float  # 0..1 of height, negative = above the frame
    visible: bool  # the sun or moon disc is in frame

    def direction(self, x: float, y: float) -> tuple[float, float]:
        """Unit vector from a point towards the light (for rim lights and shadows)."""
        dx, dy = self.x - x, self.y - y
        n = max(1e-6, float(np.hypot(dx, dy)))
        return dx / n, dy / n


@dataclass(frozen=True)
class Figure:
    character: str
    role: Role
    x: float  # centre, 0..1 of width
    foot: float  # feet, 0..1 of height (beyond 1: cut by the frame)
    height: float  # fraction of frame height
    nearness: float
    facing: int  # +1 looks right, -1 looks left
    look_seed: int  # the character's silhouette, the same in every scene

    @property
    def head_top(self) -> float:
        return self.foot - self.height


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    shot: ShotSize
    horizon: float  # 0..1 from the top
    eye_height: float  # camera height above the ground, metres
    pan: float  # where the frame looks into the location's panorama (world x of left edge)
    landmark_x: float  # the location's landmark / vanishing point, in frame units
    light: Light
    figures: tuple[Figure, ...]
    focus: tuple[float, float]
    location_seed: int
    scene_seed: int
    job_seed: int

    def ground_nearness(self, y: float | np.ndarray) -> float | np.ndarray:
        """Inverse distance of the ground at row y, 1 at the frame's base: what a sideways
        camera move shifts in proportion to."""
        span = max(1e-3, 1.0 - self.horizon)
        return np.clip((np.asarray(y) - self.horizon) / span, 0.0, 1.0)

    def base_y(self, nearness: float) -> float:
        """The ground row (0..1) of something standing at `nearness`."""
        return self.horizon + nearness * (1.0 - self.horizon)

    def metre(self, nearness: float) -> float:
        """Frame heights per metre at `nearness`: the same ground plane the figures use."""
        return nearness * (1.0 - self.horizon) / self.eye_height


def job_seed_of(request: FrameRequest) -> int:
    """The stage asks with seed = job seed + scene index; undo that to seed the location."""
    return max(0, request.seed - request.scene.index)


def location_of(request: FrameRequest) -> Location:
    found = next((loc for loc in request.script.locations if loc.id == request.scene.location),
                 None)
    return found or Location(id=request.scene.location, name=request.scene.location)


def cast_of(request: FrameRequest) -> list[Character]:
    """The scene's characters, most important first (protagonist leads the frame)."""
    by_id = {c.id: c for c in request.script.characters}
    present = [by_id[c] for c in request.scene.characters if c in by_id]
    present.sort(key=lambda c: (_ROLE_ORDER[c.role], -c.mentions))
    return present[:MAX_FIGURES]


def layout_for(request: FrameRequest) -> Layout:
    """The frame's composition, from the scene and the seeds alone."""
    scene, location = request.scene, location_of(request)
    job_seed = job_seed_of(request)
    location_seed = stable_seed("location", location.id, job_seed)
    scene_seed = stable_seed("scene", request.seed, scene.index, scene.location)
    rng = np.random.default_rng(scene_seed)
    cast = cast_of(request)

    shot = _shot_size(scene, bool(cast))
    angle = _camera_angle(scene, shot, rng)
    if angle == "high" and location.kind in ("interior", "underground"):
        angle = "eye"  # a ceiling is no place for a camera
    horizon, head_top, hero_height = _framing(shot, angle, rng)
    hero_side = 1 if rng.random() < 0.5 else -1  # +1: protagonist on the left third

    landmark_world = _location_rng(location_seed).uniform(0.8, 1.2)
    target = 0.5 if not cast else (0.5 + 0.17 * hero_side)
    target += rng.uniform(-0.04, 0.04)
    pan = landmark_world - target

    figures = _place_figures(cast, shot, horizon, head_top, hero_height, hero_side, job_seed,
                             rng)
    if cast:
        eye_height = (head_top + hero_height - horizon) / hero_height * FIGURE_METRES
    else:
        eye_height = {"low": 0.9, "eye": 1.7, "high": 6.0}[angle]
    light = _light(scene.time_of_day, location_seed, pan, horizon)
    if location.kind == "interior":  # the window: on the room's own side of the far wall
        side = 1.0 if _location_rng(location_seed + 2).random() < 0.5 else -1.0
        light = Light(x=target + side * 0.18, y=horizon - 0.12, visible=False)
    elif location.kind == "underground":  # the tunnel's mouth
        light = Light(x=target, y=horizon, visible=False)
    focus = _focus(figures, target, horizon, light)
    return Layout(
        width=request.width, height=request.height, shot=shot, horizon=horizon,
        eye_height=float(eye_height), pan=pan,
        landmark_x=target, light=light, figures=figures, focus=focus,
        location_seed=location_seed, scene_seed=scene_seed, job_seed=job_seed,
    )


def _location_rng(location_seed: int) -> np.random.Generator:
    return np.random.default_rng(location_seed)


def _shot_size(scene: Scene, has_cast: bool) -> ShotSize:
    """The script's framing (so consecutive frames differ); a frame with nobody to show
    is wide whatever it says."""
    return scene.shot_size if has_cast else "wide"


def _camera_angle(scene: Scene, shot: ShotSize, rng: np.random.Generator) -> str:
    """Low angles for menace and climaxes, high angles for isolation."""
    mood = scene.mood.lower()
    if scene.act == "climax" or any(w in mood for w in ("epic", "heroic", "ominous", "menac")):
        return "low" if rng.random() < 0.7 else "eye"
    if any(w in mood for w in ("lonel", "melanchol", "sad", "lost", "isolat")):
        return "high" if rng.random() < 0.7 else "eye"
    if shot == "wide" and rng.random() < 0.25:
        return "high"
    return "eye"


def _framing(shot: ShotSize, angle: str, rng: np.random.Generator) -> tuple[float, float, float]:
    """(horizon, head top of the protagonist, protagonist height) in frame units."""
    horizon_range = {"low": (0.66, 0.74), "eye": (0.52, 0.62), "high": (0.36, 0.44)}[angle]
    horizon = rng.uniform(*horizon_range)
    if shot == "close":
        height, head_top = rng.uniform(1.05, 1.35), rng.uniform(0.13, 0.2)
        horizon = min(horizon, head_top + height - 0.2)
    elif shot == "medium":
        height, head_top = rng.uniform(0.5, 0.66), rng.uniform(0.22, 0.3)
    else:
        height = rng.uniform(0.15, 0.24)
        head_top = rng.uniform(0.80, 0.88) - height
    # the protagonist's feet must stand below the horizon on the ground plane
    horizon = min(horizon, head_top + height * 0.92)
    return float(horizon), float(head_top), float(height)


def _place_figures(
    cast: list[Character], shot: ShotSize, horizon: float, head_top: float, hero_height: float,
    hero_side: int, job_seed: int, rng: np.random.Generator,
) -> tuple[Figure, ...]:
    if not cast:
        return ()
    foot = head_top + hero_height
    ground_per_height = (foot - horizon) / hero_height  # camera height over figure height
    hero_x = 0.5 - 0.17 * hero_side + rng.uniform(-0.03, 0.03)
    placed = [_figure(cast[0], hero_x, hero_height, horizon, ground_per_height, job_seed,
                      facing=hero_side)]
    others = cast[1:]
    for i, character in enumerate(others):
        depth = rng.uniform(0.35, 0.55) if shot == "close" else rng.uniform(0.45, 0.85)
        depth *= 0.92**i
        if character.role == "antagonist":  # across the frame, facing the protagonist
            x = 0.5 + hero_side * rng.uniform(0.14, 0.26)
        else:
            x = hero_x + hero_side * (0.10 + 0.09 * i) * (1 if rng.random() < 0.7 else -1)
        x = float(np.clip(x, 0.08, 0.92))
        facing = 1 if x < hero_x else -1
        placed.append(_figure(character, x, hero_height * depth, horizon, ground_per_height,
                              job_seed, facing=facing))
    placed.sort(key=lambda f: f.foot)  # paint far (higher feet) to near
    return tuple(placed)


def _figure(
    character: Character, x: float, height: float, horizon: float, ground_per_height: float,
    job_seed: int, facing: int,
) -> Figure:
    foot = horizon + height * ground_per_height
    nearness = float(np.clip((foot - horizon) / max(1e-3, 1 - horizon), 0.0, 1.0))
    if character.role == "antagonist":
        height *= 1.06  # a touch taller: it reads as threat
    return Figure(
        character=character.id, role=character.role, x=x, foot=foot, height=height,
        nearness=nearness, facing=facing,
        look_seed=stable_seed("character", character.id, job_seed),
    )


def _light(time_of_day: str, location_seed: int, pan: float, horizon: float) -> Light:
    """The sun rises on the location's east and sets opposite; the moon rides higher."""
    east = _location_rng(location_seed + 1).uniform(0.2, 1.8)
    world_x, elevation = {
        "dawn": (east, 0.07),
        "day": (east + 0.5, 0.72),
        "dusk": (east + 1.0, 0.05),
        "night": (east + 0.3, 0.36),
    }[time_of_day]
    x = (world_x % 2.0) - pan
    y = horizon - elevation
    visible = 0.05 < x < 0.95 and y > 0.06
    return Light(x=float(x), y=float(y), visible=visible)


def _focus(
    figures: tuple[Figure, ...], landmark_x: float, horizon: float, light: Light
) -> tuple[float, float]:
    """Where the eye goes: the protagonist's face, else the landmark on the horizon."""
    hero = next((f for f in figures if f.role == "protagonist"), None)
    hero = hero or (max(figures, key=lambda f: f.height) if figures else None)
    if hero is not None:
        y = hero.head_top + hero.height * (0.09 if hero.height > 0.45 else 0.45)
        return (_clip(hero.x), _clip(y))
    return (_clip(landmark_x), _clip(horizon - 0.06))


def _clip(v: float) -> float:
    return float(np.clip(v, 0.05, 0.95))
