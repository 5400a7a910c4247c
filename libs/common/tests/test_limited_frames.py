"""The video stage's streamed clip path: frames are pulled in a worker thread while the call
guard is entered and left on the event loop (each from its own task, so its own context)."""

from __future__ import annotations

import asyncio
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
