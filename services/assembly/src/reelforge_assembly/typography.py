"""Fonts and set type: the shared typography of cards, captions and promo images.

Pillow has no letter spacing, so tracked text is set glyph by glyph from the kerned advance
of each prefix. Fonts come from the system (fonts-dejavu-core, fonts-liberation2, installed
by scripts/setup); without them Pillow's built-in scalable font keeps everything working.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FontStyle = Literal["display", "sans", "sans-bold", "caption"]

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
    Path("/Library/Fonts"),
)
FONT_FILES: dict[FontStyle, tuple[str, ...]] = {
    "display": ("DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf"),
    "sans": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
    "sans-bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
    "caption": ("DejaVuSansCondensed-Bold.ttf", "LiberationSansNarrow-Bold.ttf",
                "DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def font_path(style: FontStyle) -> Path | None:
    """The first installed font file for `style`, if any."""
    for name in FONT_FILES[style]:
        for folder in FONT_DIRS:
            if (folder / name).is_file():
                return folder / name
    return None


@lru_cache(maxsize=256)
def font(style: FontStyle, size: int) -> Font:
    path = font_path(style)
    if path is not None:
        return ImageFont.truetype(str(path), max(1, size))
    return ImageFont.load_default(size=max(1, size))


@dataclass(frozen=True)
class TypeSpec:
    """How a line is set: face, size and tracking (extra space between letters, in ems)."""

    style: FontStyle
    size: int
    tracking: float = 0.0

    @property
    def face(self) -> Font:
        return font(self.style, self.size)

    @property
    def spacing(self) -> float:
        return self.tracking * self.size


def text_width(text: str, spec: TypeSpec) -> float:
    if not text:
        return 0.0
    return float(spec.face.getlength(text)) + spec.spacing * (len(text) - 1)


def line_height(spec: TypeSpec) -> int:
    ascent, descent = spec.face.getmetrics() if hasattr(spec.face, "getmetrics") else (
        spec.size, spec.size // 4)
    return int(ascent + descent)


def fit_size(
    text: str, style: FontStyle, max_width: float, max_size: int, tracking: float = 0.0,
    min_size: int = 8,
) -> TypeSpec:
    """The largest size (up to `max_size`) at which `text` fits in `max_width`."""
    lo, hi = min_size, max(min_size, max_size)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text, TypeSpec(style, mid, tracking)) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return TypeSpec(style, lo, tracking)


def wrap_balanced(text: str, max_lines: int = 2) -> list[str]:
    """Split `text` into up to `max_lines` lines of similar length at spaces."""
    words = text.split()
    if max_lines < 2 or len(words) < 2:
        return [text]
    cut = min(range(1, len(words)), key=lambda i: abs(
        len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def fit_lines(
    text: str, style: FontStyle, max_width: float, max_size: int, tracking: float = 0.0,
    min_size: int = 8,
) -> tuple[list[str], TypeSpec]:
    """Set `text` on one line if that keeps it at least 60% of `max_size`, else on two
    balanced lines, each at the largest size that fits."""
    one = fit_size(text, style, max_width, max_size, tracking, min_size)
    if one.size >= 0.6 * max_size or len(text.split()) < 2:
        return [text], one
    lines = wrap_balanced(text)
    widest = max(lines, key=lambda line: text_width(line, TypeSpec(style, max_size, tracking)))
    return lines, fit_size(widest, style, max_width, max_size, tracking, min_size)


def draw_tracked(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    spec: TypeSpec,
    fill: tuple[int, ...],
    stroke: int = 0,
    stroke_fill: tuple[int, ...] | None = None,
) -> None:
    """Draw `text` with its top-left at `xy`, glyph by glyph when it is tracked."""
    x, y = xy
    if spec.tracking == 0.0:
        draw.text((x, y), text, font=spec.face, fill=fill, stroke_width=stroke,
                  stroke_fill=stroke_fill)
        return
    for i, char in enumerate(text):
        offset = spec.face.getlength(text[:i]) + spec.spacing * i
        draw.text((x + offset, y), char, font=spec.face, fill=fill, stroke_width=stroke,
                  stroke_fill=stroke_fill)


def draw_centered_lines(
    image: Image.Image,
    lines: list[str],
    spec: TypeSpec,
    top: float,
    fill: tuple[int, ...],
    shadow: float = 0.0,
) -> float:
    """Centre `lines` horizontally from `top`; an optional soft shadow (blurred copy of the
    text, radius in ems) keeps them legible over pictures. Returns the bottom edge."""
    height = line_height(spec)
    if shadow > 0:
        mask = Image.new("L", image.size, 0)
        _lay_lines(ImageDraw.Draw(mask), image.width, lines, spec, top, (255,))
        blurred = mask.filter(ImageFilter.GaussianBlur(max(1.0, shadow * spec.size)))
        dark = Image.new("RGBA", image.size, (0, 0, 0, 0))
        dark.putalpha(blurred.point(lambda v: int(v * 0.8)))
        image.alpha_composite(dark)
    _lay_lines(ImageDraw.Draw(image), image.width, lines, spec, top, fill)
    return top + height * len(lines)


def _lay_lines(
    draw: ImageDraw.ImageDraw, width: int, lines: list[str], spec: TypeSpec, top: float,
    fill: tuple[int, ...],
) -> None:
    height = line_height(spec)
    for i, line in enumerate(lines):
        x = (width - text_width(line, spec)) / 2
        draw_tracked(draw, (x, top + i * height), line, spec, fill)
