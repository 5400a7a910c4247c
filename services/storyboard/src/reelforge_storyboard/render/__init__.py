"""The local image generator: a procedural previsualisation renderer."""

from reelforge_storyboard.render.layout import Layout, layout_for
from reelforge_storyboard.render.provider import LocalImageGen
from reelforge_storyboard.render.renderer import RenderedFrame, frame_inputs, render_frame

__all__ = [
    "Layout",
    "LocalImageGen",
    "RenderedFrame",
    "frame_inputs",
    "layout_for",
    "render_frame",
]
