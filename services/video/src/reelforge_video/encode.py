"""H.264 in and out through PyAV, one frame at a time.

Clips are intermediates that the assembly stage decodes, retimes and re-encodes, so they are
encoded for quality per second of CPU, encoding and decoding (`reelforge.media.x264.CLIP_X264`).
A keyframe every second keeps trimming cheap. Frames are tagged BT.709 limited range, as
players assume for HD.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter
from reelforge.media.x264 import CLIP_X264, X264Settings, tag_bt709
from reelforge.media.yuv import NEUTRAL_CHROMA, plane_views
from reelforge.models import Quality

from reelforge_video.planes import Form, Picture

P = TypeVar("P")


@dataclass(frozen=True)
class ClipInfo:
    frames: int
    fps: int
    width: int
    height: int

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def encode_clip(frames: Iterable[np.ndarray], path: Path, fps: int, quality: Quality,
                threads: int = 1) -> ClipInfo:
    """Encode RGB uint8 frames (all the same size, even dimensions) to an MP4 at `path`."""
    reformatter = VideoReformatter()
    yuv_frames = (
        reformatter.reformat(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24"),
                             format="yuv420p", dst_colorspace=Colorspace.ITU709,
                             dst_color_range=ColorRange.MPEG)
        for rgb in frames
    )
    return _encode_each(yuv_frames, lambda frame: (frame.width, frame.height), ClipWriter.write,
                        path, fps, quality, threads)


def encode_planes(frames: Iterable[Sequence[np.ndarray]], path: Path, fps: int,
                  quality: Quality, threads: int = 1) -> ClipInfo:
    """Encode pictures given as planes: (y, u, v) in BT.709 limited range, or (y,) alone for
    a grey picture (neutral chroma). No colour conversion: the planes are copied into one
    reused frame, which x264 copies in turn."""
    return _encode_each(frames, lambda planes: (planes[0].shape[1], planes[0].shape[0]),
                        ClipWriter.write_planes, path, fps, quality, threads)


def _encode_each(pictures: Iterable[P], size: Callable[[P], tuple[int, int]],
                 write: Callable[[ClipWriter, P], None], path: Path, fps: int,
                 quality: Quality, threads: int) -> ClipInfo:
    """One clip of `pictures`, sized by the first (`size` gives width and height)."""
    writer: ClipWriter | None = None
    try:
        for picture in pictures:
            if writer is None:
                writer = ClipWriter(path, *size(picture), fps, quality, threads)
            write(writer, picture)
        if writer is None:
            raise ValueError("a clip needs at least one frame")
        return writer.close()
    finally:
        if writer is not None:
            writer.abort()


class ClipWriter:
    """One clip file: yuv420p frames in, H.264 out."""

    def __init__(self, path: Path, width: int, height: int, fps: int, quality: Quality,
                 threads: int = 1) -> None:
        self._container = av.open(str(path), "w", format="mp4")
        self._stream = _open_stream(self._container, width, height, fps, CLIP_X264[quality],
                                    threads)
        self._fps = fps
        self._size = (width, height)
        self._frame = av.VideoFrame(width, height, "yuv420p")
        self._grey_chroma = False
        self._count = 0
        self._closed = False

    def write(self, frame: av.VideoFrame) -> None:
        frame.pts = self._count
        frame.time_base = Fraction(1, self._fps)
        self._container.mux(self._stream.encode(frame))
        self._count += 1

    def write_planes(self, planes: Sequence[np.ndarray]) -> None:
        frame = self._frame
        # x264 copies its input, so the frame is ours again once `encode` returns (and
        # make_writable copies it should anything still hold a reference)
        frame.make_writable()
        views = plane_views(frame)
        np.copyto(views[0], planes[0])
        if len(planes) == 3:
            np.copyto(views[1], planes[1])
            np.copyto(views[2], planes[2])
            self._grey_chroma = False
        elif not self._grey_chroma:
            views[1].fill(NEUTRAL_CHROMA)
            views[2].fill(NEUTRAL_CHROMA)
            self._grey_chroma = True
        self.write(frame)

    def close(self) -> ClipInfo:
        self._container.mux(self._stream.encode(None))
        self._container.close()
        self._closed = True
        return ClipInfo(frames=self._count, fps=self._fps, width=self._size[0],
                        height=self._size[1])

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(av.FFmpegError, ValueError, OSError):
                self._container.close()


def _open_stream(container: av.container.OutputContainer, width: int, height: int, fps: int,
                 settings: X264Settings, threads: int = 1) -> av.video.stream.VideoStream:
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, fps)
    stream.options = settings.options()
    context = stream.codec_context
    # one x264 thread per clip by default: the stage renders as many clips at once as there
    # are cores (frame threads would each hold master-sized frames, and cost more CPU)
    context.thread_count = max(1, threads)
    context.gop_size = fps
    tag_bt709(context)
    return stream


def decode_pictures(mp4: bytes, fps: int, width: int, height: int, form: Form = "rgb",
                    seconds: float | None = None) -> Iterator[Picture]:
    """`resampled_pictures`, stopping after `seconds` of output (a clip whose timestamps
    claim an hour yields no more than was asked for, and decodes no further)."""
    pictures = resampled_pictures(mp4, fps, width, height, form)
    if seconds is None:
        return pictures
    return itertools.islice(pictures, math.ceil(seconds * fps - 1e-6))


def resampled_pictures(mp4: bytes, fps: int, width: int, height: int,
                       form: Form = "rgb") -> Iterator[Picture]:
    """A remote provider's clip as pictures in `form` at our size and frame rate. Each frame
    is cover-scaled by swscale straight into the planes the grade takes (the luminance alone
    for black and white: no RGB on the way), centre-cropped, and resampled by holding the
    latest source frame at each output time. One reformatter serves the whole clip: it keeps
    its swscale context, which `VideoFrame.reformat` builds anew for every frame (0.95 vs
    0.10 ms a frame for a small clip, 11.5 vs 4.6 ms from 720p to the 1920 master)."""
    reformatter = VideoReformatter()
    with av.open(io.BytesIO(mp4), mode="r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        step, next_time = 1.0 / fps, 0.0
        held: Picture | None = None
        last_time = 0.0
        for frame in container.decode(stream):
            time = float(frame.time) if frame.time is not None else next_time
            while held is not None and next_time < time - 1e-6:
                yield held
                next_time += step
            held = _covered(reformatter, frame, width, height, form)
            last_time = time
        if held is None:
            raise ValueError("the provider's clip has no video frames")
        frame_span = 1.0 / float(stream.average_rate or fps)
        while next_time < last_time + frame_span - 1e-6:
            yield held
            next_time += step


def _covered(reformatter: VideoReformatter, frame: av.VideoFrame, width: int, height: int,
             form: Form) -> Picture:
    """`frame` scaled to cover width x height (keeping its aspect), centre-cropped, in
    `form` (yuv420 as BT.709 limited range, like our clips; luma full range, like the RGB
    grade's grey)."""
    scale = max(width / frame.width, height / frame.height)
    cover_w = max(width, round(frame.width * scale)) // 2 * 2
    cover_h = max(height, round(frame.height * scale)) // 2 * 2
    interpolation = "AREA" if scale < 1 else "BICUBIC"
    top, left = (cover_h - height) // 4 * 2, (cover_w - width) // 4 * 2  # even: 4:2:0
    if form == "yuv420":
        scaled = reformatter.reformat(frame, cover_w, cover_h, "yuv420p",
                                      dst_colorspace=Colorspace.ITU709,
                                      dst_color_range=ColorRange.MPEG,
                                      interpolation=interpolation)
        y, u, v = plane_views(scaled)
        return (y[top:top + height, left:left + width].copy(),
                u[top // 2:(top + height) // 2, left // 2:(left + width) // 2].copy(),
                v[top // 2:(top + height) // 2, left // 2:(left + width) // 2].copy())
    scaled = reformatter.reformat(frame, cover_w, cover_h, "gray" if form == "luma" else "rgb24",
                                  interpolation=interpolation)
    return (scaled.to_ndarray()[top:top + height, left:left + width],)


def probe(path: Path) -> ClipInfo:
    """Frame count, rate and size of an encoded clip (for a reused one)."""
    with av.open(str(path), mode="r") as container:
        stream = container.streams.video[0]
        fps = round(float(stream.average_rate or 0)) or 24
        frames = stream.frames or sum(1 for _ in container.demux(stream) if _.size)
        return ClipInfo(frames=int(frames), fps=fps, width=stream.width, height=stream.height)
