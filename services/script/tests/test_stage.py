"""write_script end to end: the local analyst's scripts, and a fake LLM's bad answers."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from typing import TypeVar

import pytest
from pydantic import BaseModel
from reelforge.models import (
    END_CARD_SECONDS,
    ActPlan,
    Document,
    JobSettings,
    SceneList,
    Script,
)
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.providers.contexts import (
    TITLE_CARD_SECONDS,
    WORDS_PER_SECOND,
    acts_context,
    bible_context,
    narration_context,
    narration_word_target,
    patterns_context,
    scenes_context,
    shot_context,
)
from reelforge_script.stage import write_script
from reelforge_script.validation import check_narration

M = TypeVar("M", bound=BaseModel)
SPEAKABLE = re.compile(r"^[A-Za-z][A-Za-z ,.'!?;:\-]*$")
WORD = re.compile(r"[A-Za-z']+")
MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z']*")


def spoken_words(script: Script) -> int:
    return sum(len(line.text.split()) for line in script.narration if line.card is None)


def estimated_length(script: Script) -> float:
    """What the trailer will last: speech at the planned rate, pauses, title drop, end card."""
    pauses = sum(line.pause_after for line in script.narration[:-1])
    return spoken_words(script) / WORDS_PER_SECOND + pauses + TITLE_CARD_SECONDS + END_CARD_SECONDS


# --------------------------------------------------------------------------- the local analyst


@pytest.mark.parametrize("duration", [30.0, 60.0, 120.0])
def test_narration_fits_the_duration(example_scripts: dict[float, Script], duration: float) -> None:
    script = example_scripts[duration]
    target = narration_word_target(duration, len(script.scenes))
    assert abs(spoken_words(script) - target) <= 0.2 * target
    assert abs(estimated_length(script) - duration) <= 0.2 * duration


def test_scene_count_grows_with_duration(example_scripts: dict[float, Script]) -> None:
    counts = [len(example_scripts[d].scenes) for d in (30.0, 60.0, 120.0)]
    assert all(8 <= c <= 25 for c in counts)
    assert counts[0] < counts[1] < counts[2]


@pytest.mark.parametrize("duration", [30.0, 60.0, 120.0])
def test_every_scene_has_one_line_and_a_title_drop(
    example_scripts: dict[float, Script], duration: float
) -> None:
    script = example_scripts[duration]
    check_narration(script.narration, script.scenes)
    spoken = [line.scene for line in script.narration if line.scene is not None]
    assert spoken == [scene.index for scene in script.scenes]
    (title,) = [line for line in script.narration if line.card == "title"]
    assert title.text == "The Last Lighthouse" and title.act == "title"
    acts = [line.act for line in script.narration]
    assert acts.index("title") == len(acts) - acts[::-1].index("climax")  # right after climax
    assert acts[-1] == "tag"


@pytest.mark.parametrize("duration", [30.0, 60.0, 120.0])
def test_lines_are_speakable_and_paced(
    example_scripts: dict[float, Script], duration: float
) -> None:
    lines = example_scripts[duration].narration
    for line in lines:
        assert SPEAKABLE.match(line.text), line.text
        assert WORD.findall(line.marked) == WORD.findall(line.text), "marks change no words"
    for line, following in pairwise(lines):
        expected = 1.0 if following.act != line.act else None
        if expected is not None:
            assert line.pause_after == expected
        else:
            assert 0.3 <= line.pause_after <= 0.8


@pytest.mark.parametrize("duration", [30.0, 60.0, 120.0])
def test_capitals_mid_sentence_are_only_the_story_s_names(
    example_document: Document, example_scripts: dict[float, Script], duration: float
) -> None:
    names = set(MID_SENTENCE_CAPITAL.findall(example_document.text)) | {"I"}
    for line in example_scripts[duration].narration:
        if line.card is None:
            assert set(MID_SENTENCE_CAPITAL.findall(line.text)) <= names, line.text


def test_narration_uses_trailer_grammar_and_story_content(
    example_scripts: dict[float, Script],
) -> None:
    lines = [line.marked for line in example_scripts[60.0].narration]
    assert lines[0].startswith("In a world where...")
    assert any(line.startswith("One woman...") for line in lines)
    assert any(line.startswith("This winter...") for line in lines)
    text = " ".join(lines)
    for name in ("Mara", "Tobias", "Skerry Rock"):
        assert name in text
    assert "*" in text


def test_script_round_trips_and_frame_prompts_embed_the_bible(
    example_scripts: dict[float, Script],
) -> None:
    script = example_scripts[60.0]
    assert Script.model_validate_json(script.model_dump_json()) == script
    assert script.title == "The Last Lighthouse" and script.tagline
    assert set(script.bible.characters) == {c.id for c in script.characters}
    assert set(script.bible.locations) == {loc.id for loc in script.locations}
    hero_scene = next(s for s in script.scenes if "mara-quinn" in s.characters)
    prompt = script.frame_prompt(hero_scene)
    assert script.bible.characters["mara-quinn"].rstrip(".") in prompt
    assert script.bible.style in prompt


def test_scenes_follow_the_act_plan(example_scripts: dict[float, Script]) -> None:
    script = example_scripts[60.0]
    plan = {act.name: act.scenes for act in script.acts}
    assert [a.name for a in script.acts] == ["setup", "escalation", "climax", "title", "tag"]
    assert plan["title"] == [] and plan["tag"] == [len(script.scenes) - 1]
    for scene in script.scenes:
        assert scene.index in plan[scene.act]


async def test_same_input_and_seed_give_the_same_script(
    example_document: Document, analyst: LocalStoryAnalyst
) -> None:
    settings = JobSettings(duration=45.0, seed=7)
    first = await write_script(example_document, settings, analyst)
    second = await write_script(example_document, settings, LocalStoryAnalyst(analyst.settings))
    assert first.model_dump_json() == second.model_dump_json()
    other = await write_script(example_document, JobSettings(duration=45.0, seed=8), analyst)
    assert other.bible.characters != first.bible.characters


async def test_requested_title_is_the_title_spoken(
    example_document: Document, analyst: LocalStoryAnalyst
) -> None:
    script = await write_script(example_document, JobSettings(title="Keeper 2: Storm"), analyst)
    (title,) = [line for line in script.narration if line.card == "title"]
    assert script.title == "Keeper 2: Storm"
    assert title.text == "Keeper two: Storm" and SPEAKABLE.match(title.text)


async def test_short_story_and_one_line_idea_still_make_a_trailer(
    short_document: Document, analyst: LocalStoryAnalyst
) -> None:
    short = await write_script(short_document, JobSettings(duration=30.0), analyst)
    assert len(short.scenes) == 8 and short.title == "The Quiet Orbit"
    idea = Document(format="idea", text="A lighthouse keeper fights a storm to save a ship.")
    script = await write_script(idea, JobSettings(duration=60.0), analyst)
    assert 8 <= len(script.scenes) <= 25
    check_narration(script.narration, script.scenes)
    assert len({scene.summary for scene in script.scenes}) == len(script.scenes)


def test_every_context_is_plain_json(example_scripts: dict[float, Script]) -> None:
    script = example_scripts[60.0]
    document = Document(format="text", text="A story.")
    settings = JobSettings()
    scene_list = SceneList(
        characters=script.characters, locations=script.locations, scenes=script.scenes
    )
    plan = ActPlan(acts=script.acts)
    contexts = [
        patterns_context(document, settings),
        scenes_context(document, settings, script.patterns),
        acts_context(settings, script.patterns, scene_list),
        narration_context(document, settings, script.patterns, scene_list, plan),
        bible_context(settings, script.patterns, scene_list),
        shot_context(script.scenes[0], script, frame_png_b64="iVBORw0KGgo="),
    ]
    for context in contexts:
        assert json.loads(json.dumps(context)) == context
