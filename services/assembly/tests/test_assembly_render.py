"""The renderer on its own: reframing around the focus point, overlay blending, and clips
rendered to every variant without the job store."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from assembly_samples import (
    SMALL_SIDE,
    SMALL_SIZES,
    even_timeline,
    make_clip,
    render_clips,
    tone,
    write_wav,
)
from PIL import Image
from reelforge_assembly.encode import Encoding
from reelforge_assembly.render import crop_origin, plan_variants, render_timeline
from reelforge_assembly.sources import ClipFrames, SceneSource, idr_frames
from reelforge_assembly.yuv import Overlay, allocate, rgb_to_planes

FPS = 24


def _gradient_still(path: Path) -> np.ndarray:
    """A still whose luma changes along both axes, so any crop offset shows."""
    yy, xx = np.mgrid[0:SMALL_SIDE, 0:SMALL_SIDE].astype(np.float32)
    grey = (40 + 0.35 * xx + 0.2 * (SMALL_SIDE - 1 - yy)).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    Image.fromarray(rgb).save(path)
    return rgb


def _luma(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray()[: frame.height].astype(np.float32)
    raise AssertionError("frame out of range")


def test_crop_is_centred_on_the_focus_and_clamped() -> None:
    assert crop_origin(1920, (1080, 1920), (0.5, 0.5)) == (420, 0)
    assert crop_origin(1920, (1920, 1080), (0.5, 0.3)) == (0, 36)
    assert crop_origin(1920, (1080, 1080), (0.02, 0.98)) == (0, 840)
    assert crop_origin(1920, (1080, 1080), (0.9, 0.1)) == (840, 0)


def test_production_variants_crop_at_full_resolution() -> None:
    variants = plan_variants("9:16")
    assert [v.name for v in variants] == ["trailer", "trailer_16x9", "trailer_1x1"]
    assert all(v.crop == v.size for v in variants)  # reframed, never scaled or letterboxed
    assert {v.aspect: v.burn_captions for v in variants} == {
        "9:16": True, "16:9": False, "1:1": True}


def test_each_variant_shows_the_focus_crop_of_the_master(tmp_path: Path) -> None:
    rgb = _gradient_still(tmp_path / "still.png")
    master = rgb_to_planes(rgb).y.astype(np.float32)
    focus = (0.1, 0.9)
    variants = plan_variants("16:9", master_side=SMALL_SIDE, sizes=SMALL_SIZES)
    outputs = [(v, tmp_path / v.filename) for v in variants]
    render_timeline(
        even_timeline(1, 2.0, FPS, "T", "t"), {0: SceneSource(tmp_path / "still.png", focus)},
        outputs, audio=None, encoding=Encoding("ultrafast", 18), master_side=SMALL_SIDE,
    )
    for variant, path in outputs:
        x, y = crop_origin(SMALL_SIDE, variant.crop, focus)
        w, h = variant.crop
        got = _luma(path, 12)
        expected = master[y : y + h, x : x + w]
        centred = master[(SMALL_SIDE - h) // 2 :][:h, (SMALL_SIDE - w) // 2 :][:, :w]
        assert np.abs(got - expected).mean() < 2.0, variant.aspect
        if (x, y) != ((SMALL_SIDE - w) // 2, (SMALL_SIDE - h) // 2):
            assert np.abs(got - centred).mean() > 8.0, variant.aspect


def test_overlay_blends_only_its_box() -> None:
    out = allocate(64, 32)
    out.y.fill(100)
    out.u.fill(128)
    out.v.fill(128)
    rgba = np.zeros((8, 16, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = 128
    Overlay(rgba, 10, 6).composite(out)
    inside = out.y[6:14, 10:26]
    assert np.all(np.abs(inside.astype(int) - round((100 + 235) / 2)) <= 1)
    untouched = out.y.copy()
    untouched[6:14, 10:26] = 100
    assert np.all(untouched == 100)
    Overlay(rgba, 40, 20).composite(out, opacity=0.0)
    assert np.all(out.y[20:28, 40:56] == 100)


def test_clips_render_to_three_variants(tmp_path: Path) -> None:
    clips = [make_clip(tmp_path / f"{i}.mp4", 1.0, phase=i) for i in range(2)]
    audio = write_wav(tmp_path / "audio.wav", tone(6.0, rate=48_000, level=0.1), 48_000)
    outputs = {a: tmp_path / f"out_{a.replace(':', 'x')}.mp4" for a in SMALL_SIZES}
    stats = render_clips(clips, audio, outputs, seconds_per_clip=1.5)
    assert stats.frames == round((2 * 1.5 + 3.0) * FPS)
    assert stats.encode_cpu_seconds > 0
    for aspect, path in outputs.items():
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert (stream.width, stream.height) == SMALL_SIZES[aspect]
            assert sum(1 for _ in container.decode(video=0)) == stats.frames


@pytest.mark.parametrize("side", [SMALL_SIDE, 256])
def test_clips_off_the_master_size_are_fitted(tmp_path: Path, side: int) -> None:
    clip = make_clip(tmp_path / "clip.mp4", 0.5, side=side)
    outputs = {"16:9": tmp_path / "out.mp4"}
    render_clips([clip], None, outputs, seconds_per_clip=0.5)
    assert _luma(outputs["16:9"], 3).shape == (180, 320)


@pytest.mark.parametrize("key_every", [24, None])
def test_a_clip_asked_for_late_shows_what_decoding_through_shows(
        tmp_path: Path, key_every: int | None) -> None:
    """A render that needs a clip only from frame 50 on (the dissolve out of a scene whose
    own piece is stored) seeks to the IDR frame at 48 when there is one; either way every
    frame it shows is the one decoding from the start gives."""
    clip = make_clip(tmp_path / "clip.mp4", 3.0, phase=2.0, key_every=key_every)
    through = ClipFrames(clip, SMALL_SIDE)
    expected = {i: [p.copy() for p in through.get(i).all()] for i in range(72)}
    through.close()
    keys = [number for number, _ in idr_frames(clip, 72)]
    assert keys == ([0, 24, 48] if key_every else [0])

    late = ClipFrames(clip, SMALL_SIDE)
    for index in (50, 51, 53, 71, 75):
        for got, want in zip(late.get(index).all(), expected[min(index, 71)], strict=True):
            assert np.array_equal(got, want), index
    assert late.decoded == (72 - 48 if key_every else 72)
    late.close()
