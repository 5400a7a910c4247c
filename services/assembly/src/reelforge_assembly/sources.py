"""Scene pictures as a stream of master frames: decode, fit to the master canvas, retime.

A clip is decoded strictly forward and only the two frames that retiming may blend are held,
so memory does not depend on clip length. A render that needs a clip only from late in it
(the dissolve out of a scene whose own frames are stored) seeks to the IDR frame before and
decodes from there, which gives the same pictures as decoding from the start. A scene
without a clip falls back to its still frame (or black), so one missing upstream item
degrades the trailer instead of failing it.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import numpy as np
from PIL import Image

from reelforge_assembly.timeline import Retime
from reelforge_assembly.yuv import (
    Planes,
    allocate,
    fill_black,
    frame_planes,
    resize_into,
    rgb_to_planes,
)

SEEK_AHEAD = 24
"""How far past the newest decoded frame a request must be to seek to an IDR frame instead
of decoding through (the video stage puts one every second)."""

BLEND_EPSILON = 0.02
"""Source positions this close to a whole frame show that frame instead of a blend."""

STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class SceneSource:
    """What a scene shows: an MP4 clip (or a still image) and its subject's centre (0..1)."""

    path: Path | None
    focus: tuple[float, float] = (0.5, 0.5)


@dataclass(frozen=True)
class MasterFrame:
    """One point of a retimed clip: a master frame, or two neighbours to be blended with
    `weight` on the later one. The blend is left to whoever crops, so it costs only the
    pixels each variant actually shows."""

    earlier: Planes
    later: Planes | None = None
    weight: float = 0.0


class FrameSource(Protocol):
    fps: float
    frame_count: int

    def get(self, index: int) -> Planes: ...

    def close(self) -> None: ...


class ClipFrames:
    """Sequential decoding of one clip onto the square master canvas."""

    def __init__(self, path: Path, side: int) -> None:
        self._path = path
        self._side = side
        self._container = av.open(str(path))
        stream = self._container.streams.video[0]
        # One decoding thread: the encoders already fill both cores, and every frame thread
        # would hold its own master-sized buffers (about 100 MB more at 1920x1920).
        stream.codec_context.thread_count = 1
        self._stream = stream
        self.fps = float(stream.average_rate or stream.guessed_rate or 24)
        self.frame_count = stream.frames or _estimated_frames(self._container, stream, self.fps)
        self._decoded: Iterator[av.VideoFrame] = self._container.decode(stream)
        self._recent: list[tuple[int, Planes]] = []
        self._decoded_frames = 0
        self._skipped: tuple[int, av.VideoFrame] | None = None
        self._exhausted = False
        self._idr: list[tuple[int, int]] | None = None
        self.decoded = 0
        """Frames decoded so far (a seek skips some)."""

    def get(self, index: int) -> Planes:
        """Frame `index` (past the end: the last frame). Indexes must not go back more than
        one frame from the newest one asked for."""
        if not self._exhausted and index - 1 - self._decoded_frames >= SEEK_AHEAD:
            self._seek_before(index - 1)
        while not self._exhausted and self._decoded_frames <= index:
            self._advance(keep_from=index - 1)
        for number, planes in reversed(self._recent):
            if number <= index:
                return planes
        if not self._recent:
            raise ValueError("the clip has no decodable video frames")
        return self._recent[0][1]

    def _seek_before(self, wanted: int) -> None:
        """Go to the last IDR frame at or before frame `wanted`, if it is ahead of the
        decoder; the frames from there are the ones decoding through would give."""
        if self._idr is None:
            self._idr = idr_frames(self._path, self.frame_count)
        ahead = [(number, pts) for number, pts in self._idr
                 if self._decoded_frames < number <= wanted]
        if not ahead:
            return
        number, pts = ahead[-1]
        self._container.seek(pts, stream=self._stream, backward=True, any_frame=False)
        decoded = self._container.decode(self._stream)
        first = next(decoded, None)
        if first is None or first.pts != pts:  # not where the index said: start over
            self._container.close()
            self._container = av.open(str(self._path))
            self._stream = self._container.streams.video[0]
            self._stream.codec_context.thread_count = 1
            self._decoded = self._container.decode(self._stream)
            self._recent, self._decoded_frames, self._skipped = [], 0, None
            self._idr = []
            return
        self._decoded = itertools.chain([first], decoded)
        self._recent, self._decoded_frames, self._skipped = [], number, None

    def _advance(self, keep_from: int) -> None:
        """Decode the next frame, fitting it to the master only if it may be asked for: a
        render that starts inside the clip's window decodes what comes before but never
        fits it (unless the clip ends there: its last frame stands in for the rest)."""
        try:
            frame = next(self._decoded)
        except StopIteration:
            self._exhausted = True
            if self._skipped is not None:
                self._keep(*self._skipped)
            return
        number = self._decoded_frames
        self._decoded_frames += 1
        self.decoded += 1
        if number >= keep_from:
            self._keep(number, frame)
            self._skipped = None
        else:
            self._skipped = (number, frame)

    def _keep(self, number: int, frame: av.VideoFrame) -> None:
        self._recent = [*self._recent[-1:], (number, to_master(frame, self._side))]

    def close(self) -> None:
        self._container.close()


class StillFrames:
    """A single picture shown for as long as it is asked for."""

    def __init__(self, planes: Planes, fps: float) -> None:
        self._planes = planes
        self.fps = fps
        self.frame_count = 1

    def get(self, index: int) -> Planes:
        return self._planes

    def close(self) -> None:
        return None


def open_frames(source: SceneSource, side: int, fps: float) -> FrameSource:
    if source.path is None:
        black = allocate(side, side)
        fill_black(black)
        return StillFrames(black, fps)
    if source.path.suffix.lower() in STILL_SUFFIXES:
        with Image.open(source.path) as image:
            rgb = np.asarray(fit_square_image(image.convert("RGB"), side))
        return StillFrames(rgb_to_planes(rgb), fps)
    return ClipFrames(source.path, side)


class RetimedClip:
    """A scene's frames over its timeline window: trimmed, or slowed evenly with blended
    in-between frames."""

    def __init__(self, source: SceneSource, window_frames: int, fps: int, side: int) -> None:
        self._frames = open_frames(source, side, fps)
        self.retime = Retime.plan(window_frames, self._frames.frame_count, self._frames.fps, fps)

    def at(self, offset: int) -> MasterFrame:
        position = self.retime.position(offset)
        index = math.floor(position)
        fraction = position - index
        if fraction < BLEND_EPSILON:
            return MasterFrame(self._frames.get(index))
        if fraction > 1.0 - BLEND_EPSILON:
            return MasterFrame(self._frames.get(index + 1))
        earlier = self._frames.get(index)
        return MasterFrame(earlier, self._frames.get(index + 1), fraction)

    def close(self) -> None:
        self._frames.close()


# --------------------------------------------------------------------------- fitting


def to_master(frame: av.VideoFrame, side: int) -> Planes:
    """A decoded frame as yuv420p planes of side x side: zero-copy when the clip is already
    on the master canvas, otherwise centre-cropped to a square and scaled."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    planes = frame_planes(frame)
    if planes.width == side and planes.height == side:
        return planes
    square = min(planes.width, planes.height) // 2 * 2
    x = (planes.width - square) // 4 * 2
    y = (planes.height - square) // 4 * 2
    out = allocate(side, side)
    resize_into(planes.region(x, y, square, square), out)
    return out


def idr_frames(path: Path, frame_count: int) -> list[tuple[int, int]]:
    """(frame number, pts) of each IDR frame of an H.264 clip in MP4, numbered in
    presentation order as decoding from the start counts them. Empty when the packets cannot
    vouch for that numbering: another codec or packaging, a packet without a time or two at
    the same time, or not one packet per frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        avcc = bytes(stream.codec_context.extradata or b"")
        if stream.codec_context.name != "h264" or len(avcc) < 5 or avcc[0] != 1:
            return []
        length_size = (avcc[4] & 3) + 1
        times: list[int] = []
        idr: list[int] = []
        for packet in container.demux(stream):
            if packet.size == 0:  # the demuxer's closing empty packet
                continue
            if packet.pts is None:
                return []
            times.append(packet.pts)
            if packet.is_keyframe and _holds_idr_slice(bytes(packet), length_size):
                idr.append(packet.pts)
    if len(times) != frame_count or len(set(times)) != len(times):
        return []
    order = sorted(times)
    return [(bisect.bisect_left(order, pts), pts) for pts in idr]


def _holds_idr_slice(data: bytes, length_size: int) -> bool:
    """Whether a length-prefixed H.264 access unit holds an IDR slice (NAL type 5), after
    which nothing refers to an earlier frame."""
    at = 0
    while at + length_size < len(data):
        size = int.from_bytes(data[at : at + length_size], "big")
        if data[at + length_size] & 0x1F == 5:
            return True
        at += length_size + size
    return False


def fit_square_image(image: Image.Image, side: int) -> Image.Image:
    square = min(image.size)
    left, top = (image.width - square) // 2, (image.height - square) // 2
    cropped = image.crop((left, top, left + square, top + square))
    if square == side:
        return cropped
    return cropped.resize((side, side), Image.Resampling.LANCZOS)


def _estimated_frames(container: av.container.InputContainer, stream: av.VideoStream,
                      fps: float) -> int:
    if stream.duration is not None and stream.time_base is not None:
        return max(1, round(float(stream.duration * stream.time_base) * fps))
    if container.duration is not None:
        return max(1, round(container.duration / av.time_base * fps))
    return 1
