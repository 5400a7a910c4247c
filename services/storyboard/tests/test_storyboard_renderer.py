"""The procedural renderer: frames that are the right size, repeatable, different per scene,
faithful to a location across scenes, lit by the hour, and peopled by the scene's cast."""

from __future__ import annotations

import asyncio
import itertools
import tracemalloc
import typing

import cv2
import numpy as np
import pytest
from reelforge.media.stills import read_nearness
from reelforge.models import LocationKind, Script
from reelforge.providers import FrameRequest
from reelforge_storyboard.render import LocalImageGen, layout_for, render_frame
from reelforge_storyboard.render.figures import look_of
from storyboard_samples import SceneSpec, build_script

SIDE = 128
LUMA = np.array([0.2126, 0.7152, 0.0722])


def request(script: Script, index: int, side: int = SIDE, seed: int = 11) -> FrameRequest:
    scene = script.scenes[index]
    return FrameRequest(prompt=script.frame_prompt(scene), scene=scene, script=script,
                        width=side, height=side, seed=seed + scene.index)


def rgb_of(png: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ LUMA


def test_frame_is_a_png_of_the_requested_size_with_its_depth() -> None:
    script = build_script([SceneSpec("harbour", "sea", characters=("mara", "vance"))])
    png = asyncio.run(LocalImageGen().generate(request(script, 0, side=144)))
    rgb = rgb_of(png)
    assert rgb.shape == (144, 144, 3)
    assert rgb.std() > 10  # a picture, not a flat fill
    depth = read_nearness(png)
    assert depth is not None and depth.shape == (144, 144)
    assert depth[:10].mean() < 0.05  # the sky is infinitely far
    assert depth[-5:].mean() > 0.7  # the frame's base is near


def test_a_frame_renders_in_one_of_the_local_work_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames share the process's slots with the voice lines the audio stage speaks beside
    them (`local_work_slots`), so the two never stack a render on every core."""
    from reelforge.media.system import local_work_slots
    from reelforge_storyboard.render import provider

    held: list[int] = []

    def counting(frame_request: FrameRequest) -> typing.Any:
        held.append(local_work_slots().in_use())
        return render_frame(frame_request)

    monkeypatch.setattr(provider, "render_frame", counting)
    script = build_script([SceneSpec("harbour", "sea", characters=("mara",))])
    before = local_work_slots().in_use()
    asyncio.run(LocalImageGen().generate(request(script, 0, side=96)))
    assert held == [before + 1]
    assert local_work_slots().in_use() == before


def test_rendering_is_deterministic() -> None:
    script = build_script([SceneSpec("woods", "forest", time="dusk", characters=("mara",))])
    generator = LocalImageGen()
    assert generator.render_png(request(script, 0)) == generator.render_png(request(script, 0))


def test_different_scenes_look_different() -> None:
    script = build_script([
        SceneSpec("city", "city", time="night"),
        SceneSpec("dunes", "desert", time="day"),
        SceneSpec("pines", "forest", time="dawn", characters=("mara", "vance")),
    ])
    frames = [render_frame(request(script, i)).rgb.astype(np.float32) for i in range(3)]
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.abs(frames[a] - frames[b]).mean() > 15, (a, b)


@pytest.mark.parametrize("kind", ["forest", "city", "sea", "interior"])
def test_a_location_keeps_its_look_across_scenes(kind: LocationKind) -> None:
    other: LocationKind = "desert" if kind != "desert" else "snow"
    script = build_script([
        SceneSpec("here", kind, characters=()),
        SceneSpec("here", kind, characters=()),
        SceneSpec("elsewhere", other, characters=()),
    ])
    first, second, elsewhere = (render_frame(request(script, i)).rgb.astype(np.float32)
                                for i in range(3))
    same_place = np.abs(first - second).mean()
    assert same_place < np.abs(first - elsewhere).mean()
    assert same_place < np.abs(second - elsewhere).mean()


def test_night_is_darker_than_day() -> None:
    for kind in ("field", "city"):
        script = build_script([SceneSpec("place", kind, time="day"),
                               SceneSpec("place", kind, time="night")])
        day, night = (luminance(render_frame(request(script, i)).rgb.astype(np.float32)).mean()
                      for i in range(2))
        assert night < day * 0.6, (kind, day, night)


def test_the_cast_appears_as_silhouettes_where_the_layout_places_them() -> None:
    script = build_script([SceneSpec("square", "village", characters=("mara", "vance", "ella"))])
    frame = render_frame(request(script, 0, side=192))
    figures = frame.layout.figures
    assert {f.character for f in figures} == {"mara", "vance", "ella"}
    light = luminance(frame.rgb.astype(np.float32))
    for figure in figures:
        x = int(figure.x * 192)
        y = int((figure.foot - figure.height * 0.6) * 192)  # the chest
        if not 0 <= y < 192:
            continue
        assert abs(frame.nearness[y, x] - figure.nearness) < 0.06, figure
        assert light[y, x] < np.median(light), figure  # a silhouette against the scene


def test_without_cast_there_are_no_figures_and_focus_goes_to_the_landmark() -> None:
    script = build_script([SceneSpec("coast", "sea", characters=(), name="The Old Lighthouse")])
    layout = layout_for(request(script, 0))
    assert layout.figures == ()
    assert layout.focus[0] == pytest.approx(layout.landmark_x, abs=0.06)


def test_focus_is_the_protagonists_face() -> None:
    script = build_script([SceneSpec("road", "road", characters=("vance", "mara"))])
    layout = layout_for(request(script, 0))
    hero = next(f for f in layout.figures if f.character == "mara")
    fx, fy = layout.focus
    assert fx == pytest.approx(hero.x, abs=0.01)
    assert hero.head_top - 0.01 <= fy <= hero.foot
    assert 0 <= fx <= 1 and 0 <= fy <= 1


def test_a_character_keeps_their_silhouette_from_scene_to_scene() -> None:
    script = build_script([SceneSpec("a", "city", characters=("mara", "vance")),
                           SceneSpec("b", "forest", characters=("vance", "mara"))])
    looks = [{f.character: look_of(f) for f in layout_for(request(script, i)).figures}
             for i in range(2)]
    assert looks[0] == looks[1]
    assert looks[0]["mara"] != looks[0]["vance"]


@pytest.mark.parametrize("kind", typing.get_args(LocationKind))
def test_every_location_kind_renders(kind: LocationKind) -> None:
    script = build_script([SceneSpec("place", kind, time="dusk", characters=("mara",))])
    frame = render_frame(request(script, 0, side=96))
    assert frame.rgb.shape == (96, 96, 3) and frame.rgb.dtype == np.uint8
    assert frame.rgb.std() > 6
    assert frame.nearness.min() >= 0.0 and frame.nearness.max() <= 1.0


def test_consecutive_frames_change_their_framing_and_an_edit_wins() -> None:
    """The storyboard must not look like one shot eight times: the renderer follows the
    script's framing, which alternates by default and which a person may edit."""
    script = build_script([SceneSpec(f"s{i}", "city", characters=("mara",)) for i in range(6)])
    sizes = [layout_for(request(script, i)).shot for i in range(6)]
    assert all(a != b for a, b in itertools.pairwise(sizes)), sizes
    assert set(sizes) == {"wide", "medium", "close"}
    edited = script.model_copy(update={"scenes": [
        s.model_copy(update={"framing": "close"}) for s in script.scenes]})
    assert {layout_for(request(edited, i)).shot for i in range(6)} == {"close"}


@pytest.mark.parametrize("spec", [
    SceneSpec("parlour", "interior", time="night", summary="Fog fills the room."),
    SceneSpec("harbour", "sea", time="night", summary="A storm: rain and lightning."),
], ids=["ray-cast-room", "storm-at-sea"])
def test_a_frame_renders_within_a_few_canvases_of_memory(spec: SceneSpec) -> None:
    """The storyboard renders a frame per core beside the voice model, so a frame's float
    temporaries bound the pipeline's peak: the full-frame passes (ray-cast rooms, fog,
    development) work in row bands. Whole-frame temporaries took 90-120 bytes a pixel (over
    400 MB for a 1920 frame); the float canvas itself is 16 (colour and depth)."""
    script = build_script([spec])
    side = 1024
    tracemalloc.start()
    try:
        render_frame(request(script, 0, side=side))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / (side * side) < 80, f"{peak / (side * side):.0f} bytes a pixel"
