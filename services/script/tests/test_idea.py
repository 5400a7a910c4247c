"""A one-line idea becomes a short synopsis (who, where, goal, obstacle, stakes) before the
passes that read any synopsis; offline, ten varied ideas give ten different scripts."""

from __future__ import annotations

import asyncio
import re
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel
from reelforge.models import Document, IdeaStory, JobSettings, Script, Section
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.providers.analyst.idea import expand, parse_idea
from reelforge.providers.base import LLMTask
from reelforge.settings import Settings
from reelforge_script.idea import expand_idea
from reelforge_script.stage import write_script

M = TypeVar("M", bound=BaseModel)

README_IDEA = "a stranded astronaut on the moon walks around and discovers nature"

IDEAS: dict[str, tuple[str, ...]] = {
    README_IDEA: ("astronaut", "moon", "nature"),
    "a retired safecracker plans one last heist on a casino in Monaco": ("heist", "casino"),
    "two sisters open a bakery in a haunted lighthouse": ("bakery", "lighthouse"),
    "a detective investigates the disappearance of a famous cellist in Vienna":
        ("detective", "cellist", "vienna"),
    "a robot falls in love with a lighthouse keeper": ("robot", "lighthouse keeper"),
    "Mara, a fisherman's widow, takes revenge on the smugglers who killed her husband":
        ("mara", "widow", "smugglers"),
    "a courier must deliver a letter across a frozen desert before the war begins":
        ("courier", "letter", "desert"),
    "a boy and his dog run from the police through the mountains":
        ("boy", "dog", "police", "mountains"),
    "a young witch loses her magic the night before the exam": ("witch", "magic", "exam"),
    "an old sailor searches for a sunken treasure off the coast of Chile":
        ("sailor", "treasure", "chile"),
}
"""Each idea with the key nouns its script must keep."""


def idea_document(text: str) -> Document:
    return Document(format="idea", text=text, sections=[Section(text=text)])


@pytest.fixture(scope="module")
def idea_scripts() -> dict[str, Script]:
    async def write_all() -> dict[str, Script]:
        llm = LocalStoryAnalyst(Settings())
        return {idea: await write_script(idea_document(idea), JobSettings(), llm)
                for idea in IDEAS}

    return asyncio.run(write_all())


def spoken(script: Script) -> list[str]:
    return [line.text for line in script.narration if line.card is None]


def test_the_idea_is_read_for_who_where_and_what_happens() -> None:
    idea = parse_idea(README_IDEA)
    assert (idea.who, idea.place) == ("a stranded astronaut", "on the moon")
    assert idea.actions == ("walks around", "discovers nature")
    named = parse_idea("Mara, a fisherman's widow, takes revenge on the smugglers")
    assert (named.name, named.who) == ("Mara", "a fisherman's widow")


def test_an_idea_becomes_a_short_synopsis_with_a_named_lead_and_another_person() -> None:
    story = expand(README_IDEA, seed=0)
    text = " ".join(story.paragraphs)
    sentences = re.findall(r"[^.!?]+[.!?]", text)
    assert 6 <= len(sentences) <= 12
    assert len(set(sentences)) == len(sentences)
    first_name = story.protagonist.split()[0]
    assert text.startswith(f"{story.protagonist} is a stranded astronaut on the moon.")
    assert f"{first_name} walks around." in text and "discovers nature" in text
    assert story.setting == "the moon"
    assert story.title not in ("The Storm", "The Night")
    assert expand(README_IDEA, seed=0) == story
    assert expand(README_IDEA, seed=1).protagonist != story.protagonist


def test_the_idea_names_the_lead_when_it_gives_a_name() -> None:
    story = expand("Mara, a fisherman's widow, takes revenge on the smugglers", seed=3)
    assert story.protagonist == "Mara"


@pytest.mark.parametrize(("idea", "kept"), [
    ("a heist on the moon", "It begins with a heist on the moon."),
    ("zombies attack a wedding", "Zombies attack a wedding."),
    ("time travel", "It begins with time travel."),
    ("what if the sun never set", "The sun never set."),
    ("A girl finds a dragon egg. She must hide it from the king.",
     "finds a dragon egg. She must hide it from the king."),
    ("Detective Sam Hale hunts a serial arsonist in 1920s Chicago",
     "Sam Hale is a detective."),
])
def test_ideas_without_a_lead_or_a_verb_still_become_a_story(idea: str, kept: str) -> None:
    story = expand(idea, seed=2)
    text = " ".join(story.paragraphs)
    sentences = re.findall(r"[^.!?]+[.!?]", text)
    assert 6 <= len(sentences) <= 12
    assert all(sentence.strip()[:1].isupper() for sentence in sentences), sentences
    assert kept in text
    assert len(story.protagonist.split()) >= 2


def test_the_readme_idea_no_longer_gives_one_line_seven_times(
    idea_scripts: dict[str, Script],
) -> None:
    script = idea_scripts[README_IDEA]
    assert script.title != "The Storm"
    assert all("the moon walks" not in line.lower() for line in spoken(script))
    assert script.characters and script.characters[0].role == "protagonist"


def test_ten_ideas_give_ten_different_scripts_that_keep_their_words(
    idea_scripts: dict[str, Script],
) -> None:
    scripts = list(idea_scripts.values())
    assert len({s.title for s in scripts}) == len(IDEAS)
    assert len({tuple(sorted(c.name for c in s.characters)) for s in scripts}) == len(IDEAS)
    assert len({tuple(spoken(s)) for s in scripts}) == len(IDEAS)
    for idea, nouns in IDEAS.items():
        script = idea_scripts[idea]
        lines = [" ".join(re.findall(r"\w+", line.lower())) for line in spoken(script)]
        assert len(set(lines)) == len(lines), (idea, lines)
        said = " ".join([script.title, *spoken(script)]).lower()
        missing = [noun for noun in nouns if noun not in said]
        assert not missing, (idea, missing)


class ExpandingLLM:
    """A remote model's answer to the idea task, recorded with the context it was given."""

    name = "fake"

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M:
        assert task == "idea"
        self.contexts.append(context)
        story = IdeaStory(title="Moon Garden", protagonist="Ilse", setting="the moon",
                          paragraphs=["Ilse is stranded on the moon.", "A garden grows."])
        return schema.model_validate(story.model_dump())


def test_with_a_model_the_model_expands_the_idea_and_other_documents_pass_through() -> None:
    llm = ExpandingLLM()
    expanded = asyncio.run(expand_idea(idea_document(README_IDEA), JobSettings(seed=4), llm))
    assert llm.contexts == [{"idea": README_IDEA, "sentences": [6, 12], "seed": 4}]
    assert (expanded.format, expanded.title) == ("text", "Moon Garden")
    assert expanded.text == "Ilse is stranded on the moon.\n\nA garden grows."
    assert [s.text for s in expanded.sections] == ["Ilse is stranded on the moon.",
                                                   "A garden grows."]
    synopsis = Document(format="text", text="A story.", sections=[Section(text="A story.")])
    assert asyncio.run(expand_idea(synopsis, JobSettings(), llm)) is synopsis
    assert len(llm.contexts) == 1
