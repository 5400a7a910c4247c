"""The small tools under the analyst: speakable text, phrase cuts, scene partitions."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from reelforge.models import Document
from reelforge.providers.analyst.narration import _whole_sentence, echoes
from reelforge.providers.analyst.phrasing import (
    fit_words,
    lower_first,
    without_appositives,
    without_lead_in,
)
from reelforge.providers.analyst.segmentation import Boundary, Unit, partition
from reelforge.providers.analyst.story import read_story
from reelforge.providers.analyst.text import sentences, strip_markup
from reelforge.providers.analyst.trailer_grammar import is_meta
from reelforge.runtime import Service
from reelforge.speakable import number_words, speakable


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        ("In 1893, 3 ships sank.", "In eighteen ninety-three, three ships sank."),
        ('Rock & roll (loudly) — 100% "true"', "Rock and roll, one hundred percent true"),
        ("The keeper\u2019s #1 rule: 2.5 lamps", "The keeper's one rule: two point five lamps"),
        (
            "Lt. Crowe takes Dr. Voss to St. Ives.",
            "Lieutenant Crowe takes Doctor Voss to Saint Ives.",
        ),
        ("Sgt Lind and Mr. Hasson wait.", "Sergeant Lind and Mr. Hasson wait."),
    ],
)
def test_speakable_spells_numbers_and_drops_symbols(raw: str, spoken: str) -> None:
    assert speakable(raw) == spoken


def test_number_words() -> None:
    assert number_words(21) == "twenty-one"
    assert number_words(305) == "three hundred and five"
    assert number_words(2024) == "two thousand and twenty-four"


def test_cuts_land_on_content_words_before_a_break() -> None:
    sentence = "Mara Quinn has kept the light on Skerry Rock for nineteen long years."
    cut = fit_words(sentence, 7)
    assert cut == "Mara Quinn has kept the light"
    assert fit_words("Short line.", 7) == "Short line."


def test_appositives_and_lead_ins_can_go() -> None:
    people, places = {"Mara", "Quinn"}, {"Blackwood", "Gull", "Point"}
    assert (
        without_appositives("Mara Quinn, the last keeper, climbs the stairs.", people, places)
        == "Mara Quinn climbs the stairs."
    )
    assert (
        without_appositives("On Gull Point, the wreckers light a fire.", people, places)
        == "On Gull Point, the wreckers light a fire."
    )
    assert without_lead_in("That night, for the first time, the rock is dark.") == (
        "The rock is dark."
    )
    assert without_lead_in("One night Mara sees lanterns, far away.") == (
        "One night Mara sees lanterns, far away."
    )


def test_partition_prefers_section_ends_and_even_sizes() -> None:
    def unit(words: int, end: Boundary) -> Unit:
        return Unit(text="w " * words, words=words, heading=None, end=end)

    units = [
        unit(10, Boundary.SENTENCE),
        unit(10, Boundary.SECTION),
        unit(10, Boundary.SENTENCE),
        unit(10, Boundary.PARAGRAPH),
        unit(10, Boundary.SENTENCE),
        unit(10, Boundary.SECTION),
    ]
    groups = partition(units, 2)
    assert [len(g) for g in groups] == [2, 4]
    assert [len(g) for g in partition(units, 3)] == [2, 2, 2]


def test_service_entry_point_is_installed() -> None:
    (found,) = [ep for ep in entry_points(group="reelforge.services") if ep.name == "script"]
    service = found.load()
    assert isinstance(service, Service) and service.consumers[0].queue == "script"


def test_a_bare_web_address_is_not_text() -> None:
    assert strip_markup("He sues for her release.http://www.example.org/title?id=4 Then") == (
        "He sues for her release. Then"
    )


def test_a_stock_tease_that_echoes_the_ending_is_a_hint() -> None:
    ending = "Crowe locks the pimp in a cell, then walks away smiling."
    assert echoes("No one walks away unchanged.", ending)
    assert not echoes("There is no way back.", ending)


def test_a_title_before_a_name_keeps_its_capital_after_an_opener() -> None:
    assert (
        lower_first("Lieutenant Crowe finds the girl.", set()) == "Lieutenant Crowe finds the girl."
    )
    assert lower_first("The lieutenant finds the girl.", set()) == "the lieutenant finds the girl."


def test_wiki_citations_and_templates_are_markup() -> None:
    raw = '{{Expand section}} Creasy arrives."<ref nameAT&p_text&dqen Man on Fire]." Sam waits.'
    assert strip_markup(raw) == ' Creasy arrives."." Sam waits.'


def test_no_sentence_ends_after_an_initialism() -> None:
    assert sentences("A battalion of U.S. Marines lands. The D.E.A. agent waits.") == [
        "A battalion of U.S. Marines lands.",
        "The D.E.A. agent waits.",
    ]


def test_a_capitalised_passage_belongs_to_the_sentence_it_was_cut_from() -> None:
    story = read_story(
        Document(
            format="text",
            text="The patrol must confirm that the message is true, and that the planter lives.",
        )
    )
    assert _whole_sentence("That the planter lives.", story) == story.sentences[0]


def test_a_name_s_possessive_keeps_its_capital_after_an_opener() -> None:
    assert lower_first("Creasy's life is shattered.", {"Creasy"}) == "Creasy's life is shattered."


def test_a_review_s_sentences_are_about_the_film() -> None:
    assert is_meta("Ann Lee of the Boston Herald-Journal says that Creasy introduces himself.")
    assert is_meta("The first half is a likable character study in which Sam grows up.")
    assert is_meta("The opening portrays a man being declared dead in a hospital.")
    assert not is_meta("Creasy writes to Sam every week.")
