"""The video stage's streamed clip path: frames are pulled in a worker thread while the call
guard is entered and left on the event loop (each from its own task, so its own context)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reelforge.limited import CallGuard, LimitedVideoGen
from reelforge.metrics import Metrics
from reelforge.providers import PlaneForm
from reelforge.providers.chain import build_chain


class PlaneFrames:
    """A generator that streams the planes it is asked for, through the grade it is given."""

    name = "local"
    accepts_last_frame = False
    streams_frames = True

    async def generate(self, request: Any, duration: float) -> bytes:
        raise AssertionError("a streaming generator is asked for its frames")

    def frames(self, request: Any, duration: float, form: PlaneForm,
               grade: Any = None) -> Iterator[Any]:
        for i in range(int(duration * 4)):
            yield (form, grade(i) if grade else i)


class MP4Only(PlaneFrames):
    name = "remote"
    streams_frames = False


async def test_streamed_frames_run_inside_the_guard_from_a_thread(tmp_path: Path) -> None:
    journal = tmp_path / "calls.jsonl"
    video = LimitedVideoGen(lambda: build_chain("video", [PlaneFrames()]),
                            CallGuard(None, {}, Metrics(), journal))
    assert video.streams_frames
    for _ in range(2):  # a second call must find the guard's state restored
        frames = video.frames(None, 2.0, "luma")  # asked on the loop, pulled on a thread
        pulled = await asyncio.to_thread(list, frames)
        assert pulled == [("luma", i) for i in range(8)]
    calls = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(c["capability"], c["provider"], c["outcome"]) for c in calls] == \
        [("video", "local", "ok")] * 2


async def test_guarded_frames_pass_the_form_and_the_grade_on(tmp_path: Path) -> None:
    video = LimitedVideoGen(PlaneFrames, CallGuard(None, {}, Metrics(), tmp_path / "j.jsonl"))
    frames = video.frames(None, 1.0, "yuv420", lambda i: -i)
    pulled = await asyncio.to_thread(lambda: list(frames))
    assert pulled == [("yuv420", 0), ("yuv420", -1), ("yuv420", -2), ("yuv420", -3)]


async def test_a_chain_streams_only_when_its_first_member_does(tmp_path: Path) -> None:
    """A streamed clip cannot fall back part way: the chain streams as its first member."""
    guard = CallGuard(None, {}, Metrics(), tmp_path / "j.jsonl")
    remote_first = LimitedVideoGen(lambda: build_chain("video", [MP4Only(), PlaneFrames()]),
                                   guard)
    assert not remote_first.streams_frames
    with pytest.raises(TypeError, match="remote,local makes MP4 clips"):
        remote_first.frames(None, 1.0, "luma")
    local_first = LimitedVideoGen(lambda: build_chain("video", [PlaneFrames(), MP4Only()]),
                                  guard)
    assert local_first.streams_frames
