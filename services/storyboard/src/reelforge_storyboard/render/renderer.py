"""The procedural previsualisation renderer: a frame from the structured scene.

Order of work: layout (composition, light, figure placement) → palette → the location's
backdrop, far to near → figures and near props interleaved by depth → the air (fog, rays,
rain, snow) → development to 8 bits (bloom, contrast, vignette, grain).

It reads only the scene, its location and characters, and the script's genres from the
request (see `frame_inputs`); the storyboard stage fingerprints exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from reelforge.providers import FrameRequest

from reelforge_storyboard.render.atmosphere import apply_air, develop, weather_for
from reelforge_storyboard.render.backdrops import OUTDOOR
from reelforge_storyboard.render.canvas import Canvas
from reelforge_storyboard.render.cues import cues_for
from reelforge_storyboard.render.enclosed import ENCLOSED
from reelforge_storyboard.render.figures import draw_figure, pose_for
from reelforge_storyboard.render.layout import Layout, cast_of, layout_for, location_of
from reelforge_storyboard.render.palette import palette_for
from reelforge_storyboard.render.world import Prop, World

BACKDROPS = {**OUTDOOR, **ENCLOSED}
RENDERER_VERSION = 1
"""Bump when the renderer's output changes, so cached frames are redrawn."""


@dataclass(frozen=True)
class RenderedFrame:
    rgb: np.ndarray  # uint8 (H, W, 3)
    nearness: np.ndarray  # float32 (H, W): 0 = sky, 1 = at the frame's base
    layout: Layout


def render_frame(request: FrameRequest) -> RenderedFrame:
    layout = layout_for(request)
    scene, location = request.scene, location_of(request)
    genres = [g.label for g in request.script.patterns.genres]
    world = World(
        canvas=Canvas.blank(request.width, request.height),
        layout=layout,
        palette=palette_for(scene.time_of_day, scene.mood, genres, location.kind),
        cues=cues_for(scene, location),
        location=location,
    )
    props = BACKDROPS.get(location.kind, OUTDOOR["generic"])(world)
    _draw_in_depth_order(world, props)
    apply_air(world, weather_for(world))
    nearness = np.clip(world.canvas.nearness, 0.0, 1.0)
    return RenderedFrame(rgb=develop(world), nearness=nearness, layout=layout)


def _draw_in_depth_order(world: World, props: list[Prop]) -> None:
    """Props and figures far to near, so a tree in front of someone hides them."""
    rng = world.scene_rng("poses")
    figures = [
        Prop(f.nearness, _figure_drawer(world, f, pose_for(f, rng))) for f in world.layout.figures
    ]
    for item in sorted([*props, *figures], key=lambda p: p.nearness):
        item.draw()


def _figure_drawer(world: World, figure: Any, pose: str) -> Any:
    return lambda: draw_figure(world, figure, pose)


def frame_inputs(request: FrameRequest) -> dict[str, Any]:
    """Everything the renderer reads: the fingerprint of a local frame."""
    scene, location = request.scene, location_of(request)
    return {
        "renderer": RENDERER_VERSION,
        "scene": scene.story(),
        "location": location.model_dump(mode="json"),
        "cast": [c.model_dump(mode="json") for c in cast_of(request)],
        "genres": [g.label for g in request.script.patterns.genres],
        "size": [request.width, request.height],
        "seed": request.seed,
    }
