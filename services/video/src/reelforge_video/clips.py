"""One clip, from whatever video provider, graded and encoded once.

A provider that streams its frames (`StreamsFrames`: the local generator) hands over the
planes the grade and the encoder work on (the luminance alone for black and white), so no
frame is converted between RGB and YUV and none is encoded twice; it takes the grade too, so
it can grade its still once instead of every frame. Any other provider returns MP4 bytes,
which are decoded straight into those planes, graded and re-encoded, so every clip in the
trailer has the same look, size and frame rate.

The CPU work runs on a pool of its own with one thread per core: clips render in parallel
up to the core count whatever the prefetch, and never occupy the event loop's default
executor, which blob I/O and the other stages' providers share. Within a clip the camera
move and the grade run on a second thread, a frame or two ahead of the encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

from reelforge.media.system import available_cores, release_memory
from reelforge.models import Grade, Quality
from reelforge.providers import ClipRequest, VideoGen, streams_frames

from reelforge_video.encode import ClipInfo, decode_pictures, encode_planes
from reelforge_video.grade import GRAIN_BLUR, plane_form, plane_grader_for

T = TypeVar("T")
READ_AHEAD = 2
"""Graded frames a clip's encoder may have waiting (each one master-sized plane or three)."""

_POOL: ThreadPoolExecutor | None = None


def render_pool() -> ThreadPoolExecutor:
    """The process's clip-rendering threads, one per core."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=available_cores(),
                                   thread_name_prefix="reelforge-clip")
    return _POOL


async def run_on_cores(work: Callable[[], T]) -> T:
    def run() -> T:
        try:
            return work()
        finally:
            release_memory()

    return await asyncio.get_running_loop().run_in_executor(render_pool(), run)


def encoder_threads(concurrent_clips: int) -> int:
    """x264 threads per clip when `concurrent_clips` may render at once: the cores shared
    among the clips that can actually run (one each on 2 cores)."""
    cores = available_cores()
    return max(1, cores // max(1, min(cores, concurrent_clips)))


async def render_clip(
    provider: VideoGen, request: ClipRequest, duration: float, grade: Grade, quality: Quality,
    path: Path, threads: int = 1,
    calls: AbstractAsyncContextManager[Any] | None = None,
) -> ClipInfo:
    """Make, grade and encode one clip. `calls` is held around the provider's work alone: a
    local generator's whole render, or a remote generation, whose clip is then decoded,
    graded and encoded while the slot already serves the next call."""
    slot = calls if calls is not None else contextlib.nullcontext()
    if streams_frames(provider):
        grader = plane_grader_for(grade)  # every frame is warped bilinearly, still or not
        pictures = provider.frames(request, duration, plane_form(grade), grader)
        async with slot:
            return await run_on_cores(lambda: encode_planes(read_ahead(pictures), path,
                                                            request.fps, quality, threads))
    async with slot:
        mp4 = await provider.generate(request, duration)

    def finish() -> ClipInfo:
        grader = plane_grader_for(grade, blur=GRAIN_BLUR)  # scaled bicubic, not warped
        pictures = decode_pictures(mp4, request.fps, request.width, request.height,
                                   plane_form(grade), seconds=duration)
        return encode_planes((grader(p) for p in pictures), path, request.fps, quality,
                             threads)

    return await run_on_cores(finish)


def read_ahead(items: Iterator[T], depth: int = READ_AHEAD) -> Iterator[T]:
    """`items`, produced on a thread of their own up to `depth` ahead: a clip's camera move
    and grade run beside its encoder, so even a clip rendering alone keeps two cores busy."""
    buffer: queue.Queue[tuple[bool, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put((True, item), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put((False, None))
        except BaseException as exc:  # handed to the consumer
            buffer.put((False, exc))

    thread = threading.Thread(target=produce, name="reelforge-clip-frames", daemon=True)
    thread.start()
    try:
        while True:
            more, value = buffer.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full buffer
            with contextlib.suppress(queue.Empty):
                buffer.get_nowait()
            thread.join(timeout=0.05)
