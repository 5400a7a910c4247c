"""A scene's planned time when its line is rewritten after the voiceover exists: kept when
the new words fit, longer by what they need beyond it otherwise."""

from __future__ import annotations

import pytest
from reelforge.models import (
    KEPT_PAUSE_SECONDS,
    MAX_PAUSE_SECONDS,
    NarrationLine,
    Scene,
    Score,
    Script,
    StoryPatterns,
    VisualBible,
)

LINE = "Nobody in the harbour town remembers the night the lighthouse went dark."


def script(pause_after: float = 0.9) -> Script:
    return Script(
        title="Dark Harbour", tagline="t", logline="l",
        patterns=StoryPatterns(genres=[Score(label="thriller", score=1.0)],
                               tones=[Score(label="tense", score=1.0)], logline="l"),
        characters=[], locations=[], acts=[],
        scenes=[Scene(index=0, summary="s", text="p", location="harbour")],
        narration=[NarrationLine(index=0, act="setup", scene=0, text=LINE, marked=LINE,
                                 pause_after=pause_after)],
        bible=VisualBible(style="grainy"), target_duration=30.0,
    )


@pytest.mark.parametrize("text", ["The tide turns.", "Nobody leaves.",
                                  "Nobody in the town remembers the night it went dark."])
def test_a_shorter_line_keeps_the_scene_and_its_shot_to_the_bit(text: str) -> None:
    original = script()
    scene = original.scenes[0]
    edited = original.model_copy(deep=True)
    line = edited.narration[0]
    line.pause_after = edited.kept_pause(line, text)
    line.text = line.marked = text
    assert line.pause_after > original.narration[0].pause_after
    assert edited.planned_scene_seconds(scene) == original.planned_scene_seconds(scene)
    assert edited.shot_seconds(scene) == original.shot_seconds(scene)
    # and the same after the script is stored and read back
    again = Script.model_validate_json(edited.model_dump_json())
    assert again.shot_seconds(scene) == original.shot_seconds(scene)


def test_a_longer_line_takes_the_shortest_pause_and_lengthens_the_scene() -> None:
    original = script()
    longer = LINE + " And tonight it is coming back for all of them."
    edited = original.model_copy(deep=True)
    line = edited.narration[0]
    line.pause_after = edited.kept_pause(line, longer)
    line.text = line.marked = longer
    assert line.pause_after == KEPT_PAUSE_SECONDS
    scene = edited.scenes[0]
    assert edited.planned_scene_seconds(scene) > original.planned_scene_seconds(scene)


def test_a_much_shorter_line_pauses_at_most_the_longest_pause() -> None:
    original = script(pause_after=4.5)
    line = original.narration[0]
    assert original.kept_pause(line, "Run.") == MAX_PAUSE_SECONDS
