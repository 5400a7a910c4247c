"""Mapping our requests onto the inputs of "any model by name" hosts (Replicate, fal).

Each model names its inputs differently (`image`, `start_image`, `image_url`,
`first_frame_image`; `aspect_ratio` or `image_size`; durations as numbers or strings from a
fixed set). A small table per host says, per model, which field takes what; models not in the
table get the common defaults, and `extra` fixed inputs can be added per model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21")


@dataclass(frozen=True)
class InputMap:
    """Which input field of a model takes which part of our request (None: not sent)."""

    prompt: str = "prompt"
    aspect: str | None = "aspect_ratio"
    aspects: tuple[str, ...] = ASPECTS
    size: str | None = None  # an {"width", "height"} object (fal's image_size)
    max_pixels: int = 2_100_000  # cap for `size`, the output is upscaled to the frame
    image: str | None = None  # the first frame, for image-to-video
    last_image: str | None = None
    references: str | None = None  # reference images, as a list of URLs (image_urls, ...)
    duration: str | None = None
    durations: tuple[int, ...] = ()  # allowed values; empty: any whole second count
    duration_text: bool = False  # fal's Kling wants "5", not 5
    seed: str | None = "seed"
    extra: dict[str, Any] = field(default_factory=dict)


def with_reference_field(spec: InputMap, configured: str | None) -> InputMap:
    """`spec` with the input that takes reference images named by the settings: a name
    replaces the model's known one, an empty value turns references off, None keeps it."""
    if configured is None:
        return spec
    return replace(spec, references=configured.strip() or None)


def nearest_aspect(width: int, height: int, options: tuple[str, ...]) -> str:
    """The allowed ratio closest to width:height (compared in log space)."""
    target = math.log(width / height)

    def distance(option: str) -> float:
        w, _, h = option.partition(":")
        return abs(math.log(float(w) / float(h)) - target)

    return min(options, key=distance)


def pick_duration(seconds: float, options: tuple[int, ...], low: int = 1, high: int = 60) -> int:
    """The allowed whole-second duration nearest to, and preferably not under, `seconds`."""
    if options:
        longer = [o for o in options if o >= seconds]
        return min(longer) if longer else max(options)
    return int(min(max(math.ceil(seconds - 1e-6), low), high))


def capped_size(width: int, height: int, max_pixels: int, multiple: int = 16) -> tuple[int, int]:
    """width x height scaled down to at most max_pixels, rounded to a multiple."""
    scale = min(1.0, math.sqrt(max_pixels / (width * height)))
    w = max(multiple, int(width * scale) // multiple * multiple)
    h = max(multiple, int(height * scale) // multiple * multiple)
    return w, h


def build_inputs(
    spec: InputMap,
    *,
    prompt: str,
    width: int,
    height: int,
    seed: int | None = None,
    image_url: str | None = None,
    last_image_url: str | None = None,
    reference_urls: list[str] | None = None,
    duration: float | None = None,
) -> dict[str, Any]:
    inputs: dict[str, Any] = {spec.prompt: prompt}
    if spec.aspect:
        inputs[spec.aspect] = nearest_aspect(width, height, spec.aspects)
    if spec.size:
        w, h = capped_size(width, height, spec.max_pixels)
        inputs[spec.size] = {"width": w, "height": h}
    if spec.image and image_url:
        inputs[spec.image] = image_url
    if spec.last_image and last_image_url:
        inputs[spec.last_image] = last_image_url
    if spec.references and reference_urls:
        inputs[spec.references] = reference_urls
    if spec.duration and duration is not None:
        chosen = pick_duration(duration, spec.durations)
        inputs[spec.duration] = str(chosen) if spec.duration_text else chosen
    if spec.seed and seed is not None:
        inputs[spec.seed] = seed
    inputs.update(spec.extra)
    return inputs


def first_url(output: Any) -> str | None:
    """The first media URL in a model's output: a URL, a list of them, or an object with
    `url` / `video` / `image` / `images`."""
    if isinstance(output, str):
        return output if output.startswith(("http://", "https://", "data:")) else None
    if isinstance(output, list):
        for item in output:
            found = first_url(item)
            if found:
                return found
        return None
    if isinstance(output, dict):
        for key in ("url", "video", "image", "images", "output", "videos"):
            if key in output:
                found = first_url(output[key])
                if found:
                    return found
    return None
