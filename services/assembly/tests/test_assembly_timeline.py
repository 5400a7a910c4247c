"""Timeline math: cuts on the words, whole frames, the exact total, dissolves, retiming."""

from __future__ import annotations

import numpy as np
import pytest
from assembly_samples import make_script, make_words
from reelforge.models import END_CARD_SECONDS
from reelforge_assembly.timeline import Retime, build_timeline

FPS = 24
LINES = [(0, "The sea took the town."), (1, "She stayed."), (None, "This winter."),
         (2, "Something answers.")]
STARTS = [0.37, 2.113, 3.9, 5.26]
VOICEOVER = 7.03


@pytest.fixture
def timeline():
    script = make_script(LINES)
    return build_timeline(script, make_words(script, STARTS, VOICEOVER), FPS)


def test_segments_follow_narration_and_cut_on_first_words(timeline) -> None:
    kinds = [(s.kind, s.scene) for s in timeline.segments]
    assert kinds == [("scene", 0), ("scene", 1), ("title", None), ("scene", 2), ("end", None)]
    starts = [s.start for s in timeline.segments]
    assert starts[0] == 0  # the first segment starts at 0, not at its first word
    assert starts[1:4] == [round(t * FPS) for t in STARTS[1:]]
    for previous, current in zip(timeline.segments, timeline.segments[1:], strict=False):
        assert previous.end == current.start


def test_total_is_voiceover_plus_end_card_to_the_frame(timeline) -> None:
    assert timeline.total_frames == round((VOICEOVER + END_CARD_SECONDS) * FPS)
    assert abs(timeline.duration - (VOICEOVER + END_CARD_SECONDS)) <= 0.5 / FPS
    end = timeline.segments[-1]
    assert end.kind == "end"
    assert end.frames == round(END_CARD_SECONDS * FPS)
    assert end.start == round(VOICEOVER * FPS)


def test_layers_cover_every_frame_and_dissolve_on_each_boundary(timeline) -> None:
    for frame in range(timeline.total_frames):
        layers = timeline.layers_at(frame)
        assert 1 <= len(layers) <= 2
        assert sum(layer.weight for layer in layers) == pytest.approx(1.0)
    for boundary, dissolve in zip(timeline.segments[1:], timeline.dissolves, strict=True):
        assert dissolve == round(0.5 * FPS)
        before = timeline.layers_at(boundary.start - 1)
        after = timeline.layers_at(boundary.start)
        assert len(before) == len(after) == 2
        # the incoming picture's weight climbs through the cut, centred on it
        assert before[1].weight < 0.5 < after[1].weight


def test_short_segment_shrinks_its_dissolves() -> None:
    script = make_script([(0, "One two three."), (1, "Go."), (2, "And then the rest.")])
    words = make_words(script, [0.2, 2.0, 2.2], 4.0)  # scene 1 lasts 0.2 s (5 frames)
    timeline = build_timeline(script, words, FPS)
    short = timeline.segments[1]
    assert short.frames == 5
    assert timeline.dissolves[0] <= 5 and timeline.dissolves[1] <= 5
    for frame in range(timeline.total_frames):
        assert len(timeline.layers_at(frame)) <= 2


def test_lines_over_the_same_scene_merge_and_unspoken_lines_fold_in() -> None:
    script = make_script([(0, "First line."), (0, "Same scene."), (1, "Next scene.")])
    words = make_words(script, [0.0, 1.5, 3.0], 5.0)
    words.words = [w for w in words.words if w.line != 1]  # line 1 never aligned
    timeline = build_timeline(script, words, FPS)
    assert [(s.kind, s.scene) for s in timeline.segments] == [
        ("scene", 0), ("scene", 1), ("end", None)]
    assert timeline.segments[0].lines == (0, 1)


def test_end_card_fades_to_black_and_cards_fade_in(timeline) -> None:
    end = len(timeline.segments) - 1
    assert timeline.card_opacity(end, timeline.total_frames - 1) == 0.0
    assert timeline.card_opacity(end, timeline.segments[end].start + FPS) == 1.0
    title = 2
    first, _ = timeline.window(title)
    assert timeline.card_opacity(title, first) < 0.2


def test_retime_trims_long_clips_at_normal_speed() -> None:
    retime = Retime.plan(window_frames=48, source_frames=120, source_fps=24, fps=24)
    assert [retime.position(i) for i in range(48)] == [float(i) for i in range(48)]


def test_retime_slows_short_clips_evenly_without_repeats() -> None:
    retime = Retime.plan(window_frames=60, source_frames=25, source_fps=24, fps=24)
    positions = np.array([retime.position(i) for i in range(60)])
    steps = np.diff(positions)
    assert positions[0] == 0.0 and positions[-1] == pytest.approx(24.0)
    assert np.allclose(steps, steps[0]) and steps[0] > 0  # even slow motion, never frozen


def test_retime_resamples_other_frame_rates() -> None:
    retime = Retime.plan(window_frames=24, source_frames=60, source_fps=30, fps=24)
    assert retime.position(4) == pytest.approx(5.0)
