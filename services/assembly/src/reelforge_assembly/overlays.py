"""The text the trailer burns into its pictures: title card, end card, captions.

Each is rendered once per output size with Pillow as RGBA, cropped to what it covers and
converted to a YUV `Overlay`, so the per-frame cost is a blend over that box only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from reelforge_assembly.typography import (
    TypeSpec,
    draw_centered_lines,
    fit_lines,
    fit_size,
    line_height,
    text_width,
)
from reelforge_assembly.yuv import Overlay

WHITE = (255, 255, 255, 255)
SOFT_WHITE = (225, 225, 225, 255)
COMING_SOON = "COMING SOON"


def title_card(size: tuple[int, int], title: str, tagline: str) -> Overlay:
    """The title drop: the title large and tracked, a hairline rule, the tagline beneath."""
    return _card(size, title, tagline, scale=1.0, footer=None)


def end_card(size: tuple[int, int], title: str, tagline: str) -> Overlay:
    """The end card: the title, the tagline, and 'Coming soon' beneath."""
    return _card(size, title, tagline, scale=0.8, footer=COMING_SOON)


def _card(
    size: tuple[int, int], title: str, tagline: str, scale: float, footer: str | None
) -> Overlay:
    width, height = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    usable = width * 0.8
    title_lines, title_spec = fit_lines(
        title.upper(), "display", usable, round(0.13 * min(width, height) * scale), 0.08
    )
    tag_size = max(round(title_spec.size * 0.32), round(0.03 * min(width, height) * scale))
    tag_spec = fit_size(tagline, "sans", usable, tag_size, 0.12)
    foot_spec = TypeSpec("sans-bold", max(8, round(title_spec.size * 0.22)), 0.3)
    rule_gap = round(title_spec.size * 0.45)
    block = line_height(title_spec) * len(title_lines) + rule_gap * 2 + line_height(tag_spec)
    if footer:
        block += rule_gap * 2 + line_height(foot_spec)
    top = (height - block) / 2
    bottom = draw_centered_lines(image, title_lines, title_spec, top, WHITE, shadow=0.08)
    _rule(image, bottom + rule_gap, max(2, round(title_spec.size * 0.03)), width * 0.12)
    bottom = draw_centered_lines(
        image, [tagline], tag_spec, bottom + rule_gap * 2, SOFT_WHITE, shadow=0.08
    )
    if footer:
        draw_centered_lines(image, [footer], foot_spec, bottom + rule_gap * 2, SOFT_WHITE)
    return _cropped(image)


def _rule(image: Image.Image, y: float, thickness: int, length: float) -> None:
    x0 = (image.width - length) / 2
    ImageDraw.Draw(image).rectangle(
        (x0, y, x0 + length, y + thickness), fill=(255, 255, 255, 170)
    )


# --------------------------------------------------------------------------- captions


def caption_spec(size: tuple[int, int], lines: tuple[str, ...]) -> TypeSpec:
    """Caption type: about 4.4% of the short side, smaller if a line would not fit."""
    width, height = size
    base = max(10, round(0.044 * min(width, height)))
    widest = max(lines, key=len)
    return fit_size(widest, "caption", width * 0.86, base, 0.0)


def caption(size: tuple[int, int], lines: tuple[str, ...]) -> Overlay:
    """White text on a translucent rounded box, in the lower part of the frame: higher in
    portrait, where social apps lay their own controls over the bottom."""
    rgba, x, y = caption_image(size, lines)
    return Overlay(rgba, x, y)


def caption_image(size: tuple[int, int], lines: tuple[str, ...]) -> tuple[np.ndarray, int, int]:
    """The caption as an RGBA image and its top-left corner on a frame of `size` (what
    `caption` converts; benchmarks hand it to other renderers)."""
    width, height = size
    spec = caption_spec(size, lines)
    pad_x, pad_y = round(spec.size * 0.55), round(spec.size * 0.3)
    lead = line_height(spec)
    box_w = round(max(text_width(line, spec) for line in lines)) + 2 * pad_x
    box_h = lead * len(lines) + 2 * pad_y
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle(
        (0, 0, box_w - 1, box_h - 1), radius=round(spec.size * 0.3), fill=(0, 0, 0, 150)
    )
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        x = (box_w - text_width(line, spec)) / 2
        draw.text((x, pad_y + i * lead), line, font=spec.face, fill=WHITE)
    bottom = height * (0.8 if height > width else 0.92)
    x = (width - box_w) // 2
    y = round(bottom - box_h)
    return np.asarray(image), max(0, x), max(0, y)


def caption_region(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the band where captions may appear; tests and QA measure it."""
    width, height = size
    bottom = height * (0.8 if height > width else 0.92)
    band = round(0.044 * min(width, height) * 3.2)
    return 0, max(0, round(bottom) - band), width, band


def _cropped(image: Image.Image) -> Overlay:
    box = image.getbbox()
    if box is None:
        return Overlay(np.zeros((2, 2, 4), np.uint8), 0, 0)
    x0, y0 = box[0] - box[0] % 2, box[1] - box[1] % 2
    piece = image.crop((x0, y0, box[2], box[3]))
    return Overlay(np.asarray(piece), x0, y0)
