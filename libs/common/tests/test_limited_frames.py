"""The video stage's streamed clip path: frames are pulled in a worker thread while the call
guard is entered and left on the event loop (each from its own task, so its own context)."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reelforge.limited import CallGuard, LimitedVideoGen
from reelforge.metrics import Metrics


class CountingFrames:
    name = "local"

    def __init__(self) -> None:
        self.members = [self]

    def frames(self, request: Any, duration: float) -> Iterator[int]:
        yield from range(int(duration * 4))


async def test_streamed_frames_run_inside_the_guard_from_a_thread(tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    video = LimitedVideoGen(CountingFrames, CallGuard(None, {}, Metrics(), journal))
    frames = video.frames
    assert frames is not None
    for _ in range(2):  # a second call must find the guard's state restored
        pulled = await asyncio.to_thread(lambda: list(frames(None, 2.0)))
        assert pulled == list(range(8))
    calls = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(c["capability"], c["provider"], c["outcome"]) for c in calls] == \
        [("video", "local", "ok")] * 2


class PlaneFrames(CountingFrames):
    """A generator that also takes the planes it should yield and a grade for them."""

    def frames(self, request: Any, duration: float, form: str = "rgb",  # type: ignore[override]
               grade: Any = None) -> Iterator[Any]:
        for i in range(int(duration * 4)):
            yield (form, grade(i) if grade else i)


async def test_guarded_frames_keep_the_generators_arguments(tmp_path: Path) -> None:
    """The video stage asks `frames` which arguments it takes (inspect.signature) to pick the
    plane path and the graded still: behind the guard, a worker must see the same ones."""
    video = LimitedVideoGen(PlaneFrames, CallGuard(None, {}, Metrics(), tmp_path / "j.jsonl"))
    frames = video.frames
    assert frames is not None
    assert {"form", "grade"} <= set(inspect.signature(frames).parameters)
    pulled = await asyncio.to_thread(lambda: list(frames(None, 1.0, "luma", grade=lambda i: -i)))
    assert pulled == [("luma", 0), ("luma", -1), ("luma", -2), ("luma", -3)]
