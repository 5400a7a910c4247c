"""reelforge.media: the two stages' YUV recipes, stills with depth, x264 options, cores."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from reelforge.media.stills import decode_rgb, encode_png, read_nearness
from reelforge.media.system import available_cores
from reelforge.media.x264 import CLIP_X264, TRAILER_X264
from reelforge.media.yuv import ChromaMean, Rounding, rgb_to_yuv420, to_u8, yuv420_to_rgb

RECIPES: list[tuple[ChromaMean, Rounding]] = [("area", "half_up"), ("blocks", "half_even")]


def test_rounding_modes_differ_only_on_ties() -> None:
    x = np.array([-3.0, 0.5, 1.5, 2.4, 2.5, 254.5, 300.0], np.float32)
    assert to_u8(x, "half_up").tolist() == [0, 1, 2, 2, 3, 255, 255]
    assert to_u8(x, "half_even").tolist() == [0, 0, 2, 2, 2, 254, 255]


@pytest.mark.parametrize(("chroma", "rounding"), RECIPES)
def test_bt709_limited_range_of_known_colours(chroma: ChromaMean, rounding: Rounding) -> None:
    colours = {(0, 0, 0): (16, 128, 128), (255, 255, 255): (235, 128, 128),
               (255, 0, 0): (63, 102, 240)}
    for rgb, yuv in colours.items():
        flat = np.full((4, 6, 3), rgb, np.uint8)
        planes = rgb_to_yuv420(flat, chroma=chroma, rounding=rounding)
        assert [p.shape for p in planes] == [(4, 6), (2, 3), (2, 3)]
        assert tuple(int(p[0, 0]) for p in planes) == yuv


def test_the_two_recipes_agree_within_one_level_and_round_trip() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    video = rgb_to_yuv420(rgb, chroma="area", rounding="half_up")
    assembly = rgb_to_yuv420(rgb, chroma="blocks", rounding="half_even")
    for a, b in zip(video, assembly, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    flat = np.full((8, 8, 3), (40, 160, 220), np.uint8)
    back = yuv420_to_rgb(rgb_to_yuv420(flat, chroma="area", rounding="half_up"))
    assert np.abs(back.astype(int) - flat.astype(int)).max() <= 2


def test_depth_rides_in_the_png_and_is_read_back() -> None:
    rgb = np.random.default_rng(4).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    nearness = np.tile(np.linspace(0, 1, 60, dtype=np.float32), (40, 1))
    png = encode_png(rgb, nearness)
    assert np.array_equal(decode_rgb(png), rgb)
    stored = read_nearness(png)
    assert stored is not None and stored.shape == nearness.shape
    assert np.abs(stored - nearness).max() <= 0.5 / 255 + 1e-6
    assert read_nearness(encode_png(rgb)) is None
    assert read_nearness(b"GIF89a not a png at all") is None
    with pytest.raises(ValueError, match=r"^the upload is no image$"):
        decode_rgb(b"nope", error="the upload is no image")


def test_x264_tables_give_libx264_options() -> None:
    assert CLIP_X264["final"].options() == {"preset": "ultrafast", "crf": "20"}
    assert TRAILER_X264["final"].options() == {"preset": "veryfast", "crf": "20"}
    assert TRAILER_X264["draft"].options() == {"preset": "ultrafast", "crf": "26"}


def test_cores_are_capped_by_the_cgroup_quota_only_when_asked(tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("50000 100000\n")
    assert available_cores(cpu_max=cpu_max) == 1
    assert available_cores(cpu_max=cpu_max, cpu_quota=False) == affinity
    cpu_max.write_text("max 100000\n")
    assert available_cores(cpu_max=cpu_max) == affinity
    assert available_cores(cpu_max=tmp_path / "absent") == affinity


def test_work_slots_serve_in_order_so_a_releasing_holder_cannot_take_its_slot_back() -> None:
    import threading
    import time

    from reelforge.media.system import WorkSlots

    slots = WorkSlots(1)
    order: list[str] = []
    first_holds, line_queued = threading.Event(), threading.Event()

    def frames() -> None:
        with slots.hold():
            first_holds.set()
            line_queued.wait(5)
            order.append("frame 1")
        with slots.hold():  # straight back for its next frame, behind the waiting line
            order.append("frame 2")

    def line() -> None:
        with slots.hold():
            order.append("line")

    frame_thread, line_thread = threading.Thread(target=frames), threading.Thread(target=line)
    frame_thread.start()
    first_holds.wait(5)
    line_thread.start()
    deadline = time.monotonic() + 5
    while slots.waiting() < 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    line_queued.set()
    frame_thread.join(10)
    line_thread.join(10)
    assert order == ["frame 1", "line", "frame 2"]
    assert slots.in_use() == 0


def test_work_slots_never_admit_more_holders_than_slots() -> None:
    import threading
    import time

    from reelforge.media.system import WorkSlots

    slots, most, lock = WorkSlots(2), [0], threading.Lock()

    def work() -> None:
        with slots.hold():
            with lock:
                most[0] = max(most[0], slots.in_use())
            time.sleep(0.01)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 2 and slots.in_use() == 0
