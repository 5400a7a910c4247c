"""`video.local`: camera moves on the storyboard still.

`frames(request, duration, form, grade)` (`StreamsFrames`) yields the clip one frame at a
time, so the stage can encode in the same pass (see `clips.render_clip`) and a clip never sits
in memory; the stage asks for the planes it encodes (`luma` for the black-and-white grade,
`yuv420` for colour), so the still is converted once. Given the stage's grade, a move that
only warps the still grades the still itself, once: each frame is then a warp and a copy. That
is a third of the CPU a clip used to cost when every frame was graded (CLAHE alone took 23 ms
of a 1920x1920 frame's 70), and it keeps the tones steady: CLAHE on each moving frame let the
local contrast breathe as the framing changed. Parallax, which composites layers, grades each
composited frame. `generate` implements the VideoGen protocol for anyone who wants finished
MP4 bytes.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, overload

import cv2
import numpy as np
from reelforge.media.stills import decode_rgb
from reelforge.models import Quality
from reelforge.providers import ClipRequest
from reelforge.settings import Settings

from reelforge_video.camera import PARALLAX_ZOOM, Pose, affine, ease, lerp, trajectory
from reelforge_video.depth import Layers, nearness_for
from reelforge_video.encode import encode_planes
from reelforge_video.planes import Form, Picture, matrix_for_scale, plane_scales, still_planes

PictureGrade = Callable[[Picture], Picture]

PARALLAX_TRAVEL = 0.85
"""Share of the zoom margin the nearest layer travels across the clip."""


def frame_count(duration: float, fps: int) -> int:
    return max(2, round(duration * fps))


class LocalVideoGen:
    name = "local"
    accepts_last_frame = False  # it moves a camera through one still
    streams_frames = True

    def __init__(self, settings: Settings | None = None, quality: Quality = "final") -> None:
        self.settings = settings
        self.quality = quality

    @overload
    def frames(self, request: ClipRequest, duration: float,
               form: Literal["rgb"] = "rgb", grade: None = None) -> Iterator[np.ndarray]: ...

    @overload
    def frames(self, request: ClipRequest, duration: float,
               form: Literal["luma", "yuv420"],
               grade: PictureGrade | None = None) -> Iterator[Picture]: ...

    def frames(self, request: ClipRequest, duration: float,
               form: Form = "rgb", grade: PictureGrade | None = None) -> Iterator[Any]:
        """The clip's frames, lazily (nothing is decoded before the first is pulled, on the
        puller's thread): uint8 RGB (request.width x request.height) by default; with `form`
        "luma" or "yuv420" the planes the grade and the encoder work on (see `planes`),
        warped plane by plane so no frame is ever converted. `grade` (on pictures in `form`)
        is applied to every frame: to the still, before the move, wherever the move only
        warps it."""
        if grade is not None and form == "rgb":
            raise ValueError("a grade applies to planes: ask for form 'luma' or 'yuv420'")
        still = decode_rgb(request.frame_png, error="the frame is not a decodable image")
        rgb = _fit_source(still, request.width, request.height)
        count = frame_count(duration, request.fps)
        shots = _shoot(request, rgb, still_planes(rgb, form), form, count, grade)
        if form == "rgb":
            yield from (picture[0] for picture in shots)
        else:
            yield from shots

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        """MP4 bytes, ungraded (the stage grades every provider's clips the same way)."""
        return await asyncio.to_thread(self._encode_to_bytes, request, duration)

    def _encode_to_bytes(self, request: ClipRequest, duration: float) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "clip.mp4"
            encode_planes(self.frames(request, duration, "yuv420"), path, request.fps,
                          self.quality)
            return path.read_bytes()


def _fit_source(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Crop the still to the output's aspect (centred), keeping its full resolution."""
    h, w = rgb.shape[:2]
    target = width / height
    if abs(w / h - target) < 1e-3:
        return rgb
    if w / h > target:
        new_w = round(h * target)
        left = (w - new_w) // 2
        return rgb[:, left:left + new_w]
    new_h = round(w / target)
    top = (h - new_h) // 2
    return rgb[top:top + new_h]


def _interpolation(form: Form) -> int:
    """Bicubic where a plane is shown as it is warped (RGB, and the luminance of a colour
    clip); bilinear for the black-and-white grade's luminance, which is blurred next anyway
    (the grade's blur is narrowed by as much as bilinear softens: `grade.LINEAR_WARP_BLUR`),
    at a third of bicubic's cost."""
    return cv2.INTER_LINEAR if form == "luma" else cv2.INTER_CUBIC


def _shoot(request: ClipRequest, rgb: np.ndarray, still: Picture, form: Form,
           count: int, grade: PictureGrade | None = None) -> Iterator[Picture]:
    """`count` pictures of the camera move over `still` (in `form`), one at a time, graded
    by `grade` when given."""
    if request.shot.camera == "parallax":
        composited = _parallax_frames(request, rgb, form, count)
        yield from composited if grade is None else map(grade, composited)
        return
    if grade is not None:
        still = grade(still)
    rng = np.random.default_rng(request.seed)
    pose_at = trajectory(request.shot.camera, request.shot.focus, rng)
    size = (rgb.shape[1], rgb.shape[0])
    out = (request.width, request.height)
    scales = plane_scales(form)
    # chroma is half resolution and never examined closely: bilinear suffices there
    flags = [_interpolation(form) if s == 1 else cv2.INTER_LINEAR for s in scales]
    for i in range(count):
        matrix = affine(pose_at(ease(i / (count - 1))), size, out)
        yield tuple(
            _warp(plane, matrix_for_scale(matrix, s), (out[0] // s, out[1] // s), flag)
            for plane, s, flag in zip(still, scales, flags, strict=True)
        )


def _warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
          interpolation: int = cv2.INTER_CUBIC) -> np.ndarray:
    return cv2.warpAffine(image, matrix, size, flags=interpolation,
                          borderMode=cv2.BORDER_REFLECT_101)


def _parallax_frames(request: ClipRequest, source: np.ndarray, form: Form,
                     count: int) -> Iterator[Picture]:
    """A lateral track: each depth layer slides by its nearness, near faster than far, all
    under a slow push; composited far to near with the layers' soft edges. Four warps a
    frame per plane, so bilinear rather than bicubic: at a 1.2x zoom the difference is
    slight and the move costs half as much."""
    nearness = nearness_for(request.frame_png, source)
    layers = Layers.split(source, nearness)
    out = (request.width, request.height)
    size = (source.shape[1], source.shape[0])
    scales = plane_scales(form)
    colours = [still_planes(colour, form) for colour in layers.colours]
    alphas = [
        tuple(alpha if s == 1 else cv2.resize(alpha, (alpha.shape[1] // s, alpha.shape[0] // s),
                                              interpolation=cv2.INTER_AREA) for s in scales)
        for alpha in layers.alphas
    ]
    direction = 1.0 if request.seed % 2 == 0 else -1.0
    fx, fy = request.shot.focus
    nearest = max(max(layers.nearness), 1e-3)
    linear = cv2.INTER_LINEAR
    for i in range(count):
        t = ease(i / (count - 1))
        zoom = lerp(*PARALLAX_ZOOM, t)
        margin = 0.5 - 0.5 / zoom

        def matrix_for(near: float, t: float = t, zoom: float = zoom,
                       margin: float = margin) -> np.ndarray:
            travel = margin * PARALLAX_TRAVEL * near / nearest
            pose = Pose(zoom, lerp(0.5, fx, 0.2) + direction * travel * (2 * t - 1),
                        lerp(0.5, fy, 0.2)).clamped()
            return affine(pose, size, out)

        matrices = [matrix_for(near) for near in layers.nearness]
        planes = []
        for k, s in enumerate(scales):
            plane_out = (out[0] // s, out[1] // s)
            far = matrix_for_scale(matrices[0], s)
            frame = _warp(colours[0][k], far, plane_out, linear)
            for colour, alpha, matrix in zip(colours[1:], alphas[1:], matrices[1:],
                                             strict=True):
                scaled = matrix_for_scale(matrix, s)
                cover = cv2.warpAffine(alpha[k], scaled, plane_out, flags=linear,
                                       borderMode=cv2.BORDER_CONSTANT)
                frame = cv2.blendLinear(frame, _warp(colour[k], scaled, plane_out, linear),
                                        1.0 - cover, cover)
            planes.append(frame)
        yield tuple(planes)
