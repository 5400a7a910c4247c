"""Trailer grammar of the offline analyst: whole sentences, no ending given away, a title and
a tagline that fit the story."""

from __future__ import annotations

import re

import pytest
from reelforge.models import Document, JobSettings, Score, StoryPatterns
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.providers.analyst.lexicons import FUNCTION_WORDS
from reelforge.providers.analyst.titles import tagline_of
from reelforge.providers.analyst.trailer_grammar import (
    cleaned,
    is_complete,
    is_resolution,
    shorter_forms,
)
from reelforge_script.stage import write_script

CONTEST_STORY = """\
In the ruined nation of Veld, every year the Capital forces each district to send two \
children to the Ember Trials, a contest that only one of them may survive. When her younger \
brother Tam is chosen, Ilsa Marr volunteers to take his place. Her trainer, a drunk former \
victor named Brannock, tells her that the crowd decides who lives. Ilsa smiles for the \
cameras and hides her fear. However, the boy from her own district, Coran, has loved her \
for years. The Ember Trials open in a burning forest arena. Ilsa runs from the fighting at \
the cornucopia and hides in the trees. Later, she finds a wounded girl named Pip and they \
form an alliance. The gamemakers send fire and wolves through the forest. Ilsa and Coran \
hide in a cave while the other tributes hunt them. Since the rules allow two victors from \
one district, they fight side by side. The last career tribute traps them on the roof of \
the horn. Ilsa shoots Marek with her last arrow and he dies in the ditch. Ilsa and Coran \
are crowned together as the victors of the Ember Trials and finally return home.
"""
ENDING_WORDS = {"crowned", "shoots", "dies", "marek", "finally", "return home"}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "After several successful hustles, the Kid comes across a beautiful woman.",
            "The Kid comes across a beautiful woman.",
        ),
        (
            "Now, Nandagopal Maarar, a close friend, arrives at the house.",
            "Nandagopal Maarar arrives at the house.",
        ),
        (
            "When introduced to Bo, Lola's father, Victor, refuses to allow the wedding.",
            "Lola's father refuses to allow the wedding.",
        ),
        ("Since Woody is broke as usual, he sneaks into the shop.", "He sneaks into the shop."),
        ("However, the boy from her district has loved her for years.", None),
    ],
)
def test_a_sentence_loses_its_connectives_and_lead_in(sentence: str, expected: str | None) -> None:
    forms = shorter_forms(sentence)
    assert forms, sentence
    if expected is not None:
        assert forms[0] == expected
    assert not forms[0].lower().startswith(("however", "now", "after", "when", "since", "and"))


@pytest.mark.parametrize(
    "fragment",
    [
        "However next visits local crime boss Oxford Charley.",
        "And but upon knowing the truth from Chandrabhanu his uncle.",
        "In a world where after several successful hustles.",
    ],
)
def test_a_sentence_without_subject_and_verb_is_never_offered(fragment: str) -> None:
    assert shorter_forms(fragment) == []


def test_sentences_are_shortened_only_where_a_clause_ends() -> None:
    sentence = (
        "Tobias takes the boat through the surf to Gull Point, climbs the cliff path and "
        "kicks the burning barrels off the edge, while Crane watches from the rocks."
    )
    forms = shorter_forms(sentence)
    assert forms[-1].endswith("off the edge.")
    assert all(is_complete(form) for form in forms)
    assert "Tobias takes the boat through the surf to Gull Point, climbs the cliff path." not in (
        forms
    )


def test_the_resolution_is_recognised_by_position_and_by_outcome() -> None:
    assert is_resolution("Ilsa runs to the river.", 0.9)
    assert is_resolution("Karen and Taha are buried together in one grave.", 0.5)
    assert is_resolution("In the end, the couple is reunited.", 0.2)
    assert not is_resolution("Anyone she questions is killed.", 0.2)
    assert not is_resolution("Ilsa runs to the river.", 0.5)


async def test_narration_is_whole_sentences_and_keeps_the_ending(
    analyst: LocalStoryAnalyst,
) -> None:
    document = Document(format="text", text=CONTEST_STORY)
    script = await write_script(document, JobSettings(duration=60.0), analyst)
    lines = [line.text for line in script.narration if line.card is None]
    assert len(set(lines)) == len(lines)
    for line in lines:
        last_word = re.findall(r"[A-Za-z']+", line)[-1].lower()
        assert line.endswith((".", "!", "?")) and last_word not in FUNCTION_WORDS - {"this"}
        assert not re.match(r"(?:However|Later|Since|And but)\b", line), line
        assert not any(word in line.lower() for word in ENDING_WORDS), line
    assert script.title == "The Ember Trials"


async def test_title_comes_from_the_document_then_the_story(analyst: LocalStoryAnalyst) -> None:
    titled = Document(format="text", text="The Salt Road\n\n" + CONTEST_STORY)
    assert (await write_script(titled, JobSettings(), analyst)).title == "The Salt Road"
    shouted = Document(format="text", text="THE SALT ROAD\n\n" + CONTEST_STORY)
    assert (await write_script(shouted, JobSettings(), analyst)).title == "The Salt Road"
    idea = Document(format="idea", text="A lighthouse keeper fights a storm to save a ship.")
    title = (await write_script(idea, JobSettings(), analyst)).title  # the expanded story's
    assert title and title.split()[-1] not in {"Storm", "Night", "Life", "Ship", "Sea"}


def _patterns(genre: str, tone: str, second: str = "drama") -> StoryPatterns:
    return StoryPatterns(
        genres=[Score(label=genre, score=0.6), Score(label=second, score=0.4)],
        tones=[Score(label=tone, score=1.0)],
        logline="x",
    )


def test_a_comedy_never_gets_a_grim_tagline_and_taglines_vary_by_seed() -> None:
    comedy = {tagline_of(_patterns("comedy", "dark"), "night", 6, seed, "t") for seed in range(30)}
    assert "What the dark takes, it keeps." not in comedy
    assert "Survive the night." not in comedy
    assert len(comedy) > 1
    action_comedy = {
        tagline_of(_patterns("action", "dark", "comedy"), "night", 6, seed, "t")
        for seed in range(30)
    }
    assert not action_comedy & {"What the dark takes, it keeps.", "Survive the night."}
    horror = tagline_of(_patterns("horror", "dark"), "light", 0, 0, "t")
    assert horror in {
        "What the dark takes, it keeps.",
        "Some doors should stay closed.",
        "No one hears you here.",
    }


def test_a_clause_inside_the_subject_is_not_taken_for_the_subject() -> None:
    """'Every answer he finds opens …' has its verb after a reduced relative clause; cutting
    at 'he finds' gave 'He finds opens a stranger question.'."""
    sentence = "Every answer he finds opens a stranger question."
    assert all("finds opens" not in form for form in shorter_forms(sentence))
    assert cleaned("On the cliff edge she finds men waiting.") == "She finds men waiting."


async def test_a_name_keeps_its_capital_after_an_opener(analyst: LocalStoryAnalyst) -> None:
    """'But then, mickey Rooney …': the first word of a full name is a name even when the
    cast does not list that person."""
    story = ("Jimmy runs a camp for sick children in the hills. Every summer the camp fills "
             "with hope. Evelyn helps him with the children and the cooking. Mickey Rooney "
             "arrives with a broken leg and a loud voice. The children love his jokes. "
             "Winter comes early and the money runs out. Jimmy must choose between the camp "
             "and the city hospital.")
    script = await write_script(Document(format="text", text=story), JobSettings(duration=60),
                                analyst)
    for line in script.narration:
        assert "mickey" not in line.text, line.text


def test_no_clause_of_a_sentence_that_tells_the_ending_is_spoken() -> None:
    from reelforge.providers.analyst.narration import candidates_in
    from reelforge.providers.analyst.story import read_story

    sentence = (
        "She shows powers that the dark has waited centuries for, and her kidnapping starts a "
        "war that is only settled in the end by one small child."
    )
    text = "Mara is a nurse. Her sister leaves a baby girl with her. " + sentence
    story = read_story(Document(format="text", text=text))
    assert candidates_in(sentence, story, 0.5) == []
    early = "Mara quits her job at the hospital, and the baby sleeps in her room."
    story = read_story(Document(format="text", text=f"{early} {text}"))
    assert len(candidates_in(early, story, 0.1)) == 2


def test_an_ellipsis_between_words_ends_a_clause() -> None:
    from reelforge.providers.analyst.text import clauses

    assert clauses("The bombs are rigged to kill the squad...and only an insider knows how.") == [
        "The bombs are rigged to kill the squad",
        "Only an insider knows how.",
    ]


def test_a_climax_with_nothing_of_its_own_speaks_an_unsaid_dramatic_sentence() -> None:
    from reelforge.providers.analyst.narration import _left_unsaid, story_candidates
    from reelforge.providers.analyst.story import read_story

    story = read_story(
        Document(
            format="text",
            text=(
                "Vass wants to film the life of a king. He finds an actor in the street. The "
                "backer betrays him and steals the money. The crew quits in the rain. Vass "
                "plays the king himself. The film ends with a parade of dummies."
            ),
        )
    )
    candidates = story_candidates(story)
    said = {candidates[0].sentence, candidates[1].sentence}
    chosen = _left_unsaid(candidates, said)
    assert [c.sentence for c in chosen] == ["The backer betrays him and steals the money."]
    assert _left_unsaid(candidates, {c.sentence for c in candidates}) == []



def test_the_world_line_never_opens_on_a_he_or_she_it_cannot_name() -> None:
    """'In a world where he is adored.' names no one; a 'where' clause about the world stays."""
    from reelforge.models import Scene
    from reelforge.providers.analyst.entities import Cast
    from reelforge.providers.analyst.narration import world_line

    about_him = Scene.model_construct(text="Kempe is a cop in a dusty village, where he is adored.")
    opener, content = world_line(about_him, [], Cast(), 0)
    assert opener.words != "In a world where" and content == []
    about_the_world = Scene.model_construct(
        text="Kempe is a cop in a dusty village, where the rain never stops."
    )
    opener, content = world_line(about_the_world, [], Cast(), 0)
    assert opener.words == "In a world where"
    assert content[0].forms == ("the rain never stops.",)
