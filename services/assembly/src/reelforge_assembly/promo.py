"""Poster, thumbnail and cover: the climax scene's key frame, graded like the trailer,
reframed on its subject, with the title set large over a soft gradient.

The storyboard frame is the sharpest picture of a scene (no camera move, no compression),
but it is ungraded; the clip made from it is graded. So the still is matched to the clip's
first frame (histogram matching, per channel in Lab, or in grey when the grade is black and
white), which reproduces whatever grade the video stage applied. Without a clip, the job's
grade is applied here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np
from PIL import Image
from reelforge.models import Grade, Script

from reelforge_assembly.typography import (
    TypeSpec,
    draw_centered_lines,
    fit_lines,
    fit_size,
    line_height,
)

PNG_LEVEL = 3
"""zlib level for the poster: on a 2000x3000 poster, 3 made a smaller file than 6 (4.35 vs
4.49 MB) in a third of the time (0.41 vs 1.13 s)."""
GREY_CHROMA_SPREAD = 3.0
"""Below this standard deviation of a/b in Lab, a reference frame counts as black and white."""


@dataclass(frozen=True)
class PromoSpec:
    name: str
    filename: str
    size: tuple[int, int]
    layout: Literal["portrait", "wide"]


PROMOS: tuple[PromoSpec, ...] = (
    PromoSpec("poster", "poster.png", (2000, 3000), "portrait"),
    PromoSpec("thumbnail", "thumbnail.jpg", (1280, 720), "wide"),
    PromoSpec("cover", "cover.jpg", (1920, 1080), "wide"),
)


# --------------------------------------------------------------------------- key frame


def key_scene(script: Script, available: set[int]) -> int | None:
    """The climax's first scene that has a picture; else the available scene nearest two
    thirds of the way through (where trailers usually peak)."""
    climax = [i for act in script.acts if act.name == "climax" for i in act.scenes]
    climax += [s.index for s in script.scenes if s.act == "climax"]
    for index in climax:
        if index in available:
            return index
    ordered = [s.index for s in script.scenes if s.index in available]
    if not ordered:
        return min(available) if available else None
    return ordered[min(len(ordered) - 1, (2 * len(ordered)) // 3)]


def key_frame(still: Path | None, clip: Path | None, grade: Grade) -> Image.Image:
    """The scene's picture as RGB, graded like its clip."""
    reference = first_frame(clip) if clip is not None else None
    if still is not None:
        with Image.open(still) as opened:
            picture = opened.convert("RGB")
    elif reference is not None:
        return reference
    else:
        raise ValueError("a key frame needs a still or a clip")
    if reference is not None:
        return match_grade(picture, reference)
    return apply_grade(picture, grade)


def first_frame(clip: Path) -> Image.Image | None:
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            rgb = frame.reformat(format="rgb24", src_colorspace="ITU709",
                                 src_color_range="MPEG")
            return rgb.to_image()
    return None


def match_grade(picture: Image.Image, reference: Image.Image) -> Image.Image:
    """Give `picture` the tonal (and colour) distribution of `reference`."""
    ref = cv2.cvtColor(np.asarray(reference.convert("RGB")), cv2.COLOR_RGB2LAB)
    src = cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2LAB)
    if float(ref[..., 1:].std()) < GREY_CHROMA_SPREAD:
        grey = _match_channel(src[..., 0], ref[..., 0])
        return Image.fromarray(grey).convert("RGB")
    matched = np.stack([_match_channel(src[..., c], ref[..., c]) for c in range(3)], axis=-1)
    return Image.fromarray(cv2.cvtColor(matched, cv2.COLOR_LAB2RGB))


def _match_channel(source: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Histogram matching through the two cumulative distributions (a 256-entry LUT)."""
    src_cdf = np.cumsum(np.bincount(source.ravel(), minlength=256)).astype(np.float64)
    ref_cdf = np.cumsum(np.bincount(reference.ravel(), minlength=256)).astype(np.float64)
    src_cdf /= src_cdf[-1]
    ref_cdf /= ref_cdf[-1]
    lut = np.interp(src_cdf, ref_cdf, np.arange(256))
    return np.clip(np.rint(lut), 0, 255).astype(np.uint8)[source]


def apply_grade(picture: Image.Image, grade: Grade) -> Image.Image:
    """The default grades when no graded clip is at hand: CLAHE black and white, or CLAHE on
    lightness only for colour."""
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    rgb = np.asarray(picture.convert("RGB"))
    if grade == "bw":
        grey = clahe.apply(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        return Image.fromarray(grey).convert("RGB")
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = clahe.apply(np.ascontiguousarray(lab[..., 0]))
    return Image.fromarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))


# --------------------------------------------------------------------------- layout


def reframe(picture: Image.Image, size: tuple[int, int], focus: tuple[float, float]
            ) -> Image.Image:
    """The largest crop of the output's aspect centred on the focus (clamped), scaled."""
    width, height = picture.size
    aspect = size[0] / size[1]
    crop_w, crop_h = (width, round(width / aspect))
    if crop_h > height:
        crop_w, crop_h = round(height * aspect), height
    left = min(max(0, round(focus[0] * width - crop_w / 2)), width - crop_w)
    top = min(max(0, round(focus[1] * height - crop_h / 2)), height - crop_h)
    cropped = picture.crop((left, top, left + crop_w, top + crop_h))
    return cropped.resize(size, Image.Resampling.LANCZOS)


def _gradient(size: tuple[int, int], start: float, strength: int) -> Image.Image:
    """Transparent at `start` (fraction of height) to `strength` alpha black at the bottom,
    eased so the picture darkens smoothly under the type."""
    width, height = size
    ramp = np.clip((np.arange(height, dtype=np.float32) / height - start) / (1 - start), 0, 1)
    alpha = (strength * ramp**1.6).astype(np.uint8)
    layer = np.zeros((height, width, 4), np.uint8)
    layer[..., 3] = alpha[:, None]
    return Image.fromarray(layer, "RGBA")


def compose(picture: Image.Image, spec: PromoSpec, title: str, tagline: str,
            focus: tuple[float, float]) -> Image.Image:
    """Reframed, darkened towards the bottom, titled: title fitted to the width, letter
    spaced, with a soft shadow; the tagline smaller below; 'Coming soon' on the poster."""
    width, height = spec.size
    canvas = reframe(picture, spec.size, focus).convert("RGBA")
    portrait = spec.layout == "portrait"
    canvas.alpha_composite(_gradient(spec.size, 0.45 if portrait else 0.35, 235))
    usable = width * (0.84 if portrait else 0.8)
    title_lines, title_spec = fit_lines(
        title.upper(), "display", usable, round((0.13 if portrait else 0.1) * width), 0.08
    )
    tag_spec = fit_size(tagline, "sans", usable, max(12, round(title_spec.size * 0.34)), 0.1)
    foot_spec = TypeSpec("sans-bold", max(10, round(title_spec.size * 0.22)), 0.3)
    gap = round(title_spec.size * 0.35)
    block = line_height(title_spec) * len(title_lines) + gap + line_height(tag_spec)
    if portrait:
        block += gap * 3 + line_height(foot_spec)
    top = height * (0.94 if portrait else 0.92) - block
    bottom = draw_centered_lines(canvas, title_lines, title_spec, top, (255, 255, 255, 255),
                                 shadow=0.12)
    bottom = draw_centered_lines(canvas, [tagline], tag_spec, bottom + gap,
                                 (230, 230, 230, 255), shadow=0.12)
    if portrait:
        draw_centered_lines(canvas, ["COMING SOON"], foot_spec, bottom + gap * 3,
                            (200, 200, 200, 255))
    return canvas.convert("RGB")


def write_promos(picture: Image.Image, focus: tuple[float, float], title: str, tagline: str,
                 folder: Path) -> dict[str, Path]:
    """Every promo image into `folder`; returns name -> path."""
    written = {}
    for spec in PROMOS:
        path = folder / spec.filename
        image = compose(picture, spec, title, tagline, focus)
        if path.suffix == ".png":
            image.save(path, optimize=False, compress_level=PNG_LEVEL)
        else:
            image.save(path, quality=92, optimize=True, progressive=True)
        written[spec.name] = path
    return written
