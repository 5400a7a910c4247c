"""Cut a story into a target number of scene passages.

The story is broken into units (sentences, or paragraphs for long documents), then an
optimal partition into exactly `target` contiguous groups is found by dynamic programming:
groups should hold similar amounts of text and should end where the author broke the text
(section > paragraph > sentence > clause). Stories too short for the target are split at
clauses, and if that is still not enough, passages are revisited from a further angle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from reelforge.providers.analyst.story import Story
from reelforge.providers.analyst.text import clauses, sentences, word_count


class Boundary(IntEnum):
    CLAUSE = 0
    SENTENCE = 1
    PARAGRAPH = 2
    SECTION = 3


BREAK_COST = {
    Boundary.SECTION: 0.0,
    Boundary.PARAGRAPH: 0.1,
    Boundary.SENTENCE: 0.6,
    Boundary.CLAUSE: 1.2,
}
"""What it costs to end a scene at each kind of break."""
SECTION_CROSSING_COST = 0.8
"""What it costs a scene to run across a section heading."""
MAX_UNITS = 160
"""Keeps the O(k·n²) partition fast on long documents."""


@dataclass(frozen=True)
class Unit:
    text: str
    words: int
    heading: str | None
    end: Boundary


@dataclass(frozen=True)
class Segment:
    """A scene's source passage. `beat` > 0 revisits a passage a short story cannot split."""

    text: str
    heading: str | None
    beat: int = 0


def segment(story: Story, target: int) -> list[Segment]:
    units = units_for(story, target)
    if not units:
        raise ValueError("the story has no text to cut into scenes")
    if len(units) < target:
        return stretched(units, target)
    return [_joined(group) for group in partition(units, target)]


# --------------------------------------------------------------------------- units


def units_for(story: Story, target: int) -> list[Unit]:
    units = sentence_units(story)
    if len(units) > MAX_UNITS:
        units = paragraph_units(story)
    if len(units) > MAX_UNITS:
        units = coalesced(units, MAX_UNITS)
    return split_to_clauses(units, target)


def sentence_units(story: Story) -> list[Unit]:
    units: list[Unit] = []
    for number, paragraph in enumerate(story.paragraphs):
        parts = sentences(paragraph.text)
        for position, sentence in enumerate(parts):
            end = Boundary.SENTENCE
            if position == len(parts) - 1:
                end = _paragraph_end(story, number)
            units.append(Unit(sentence, word_count(sentence), paragraph.heading, end))
    return units


def paragraph_units(story: Story) -> list[Unit]:
    return [
        Unit(p.text, word_count(p.text), p.heading, _paragraph_end(story, number))
        for number, p in enumerate(story.paragraphs)
    ]


def _paragraph_end(story: Story, number: int) -> Boundary:
    following = story.paragraphs[number + 1] if number + 1 < len(story.paragraphs) else None
    if following is None or following.section != story.paragraphs[number].section:
        return Boundary.SECTION
    return Boundary.PARAGRAPH


def coalesced(units: list[Unit], limit: int) -> list[Unit]:
    size = math.ceil(len(units) / limit)
    return [_merged(units[i : i + size]) for i in range(0, len(units), size)]


def split_to_clauses(units: list[Unit], target: int) -> list[Unit]:
    """Split the longest splittable units at clause breaks until there are `target` units."""
    units = list(units)
    while len(units) < target:
        splittable = [i for i, u in enumerate(units) if len(clauses(u.text)) > 1]
        if not splittable:
            break
        longest = max(splittable, key=lambda i: units[i].words)
        unit = units[longest]
        parts = clauses(unit.text)
        pieces = [
            Unit(
                part,
                word_count(part),
                unit.heading,
                unit.end if n == len(parts) - 1 else Boundary.CLAUSE,
            )
            for n, part in enumerate(parts)
        ]
        units[longest : longest + 1] = pieces
    return units


def _merged(units: list[Unit]) -> Unit:
    return Unit(
        text=_join_texts(units),
        words=sum(u.words for u in units),
        heading=units[0].heading,
        end=units[-1].end,
    )


def _join_texts(units: list[Unit]) -> str:
    text = ""
    for n, unit in enumerate(units):
        if n == 0:
            text = unit.text
        else:
            text += ("\n\n" if units[n - 1].end >= Boundary.PARAGRAPH else " ") + unit.text
    return text


def _joined(units: list[Unit]) -> Segment:
    return Segment(text=_join_texts(units), heading=units[0].heading)


# --------------------------------------------------------------------------- partition


def partition(units: list[Unit], groups: int) -> list[list[Unit]]:
    """The contiguous split of `units` into `groups` groups of least total cost."""
    n = len(units)
    words_before = [0]
    sections_before = [0]
    for unit in units:
        words_before.append(words_before[-1] + unit.words)
        sections_before.append(sections_before[-1] + (unit.end == Boundary.SECTION))
    ideal = max(1.0, words_before[-1] / groups)

    def group_cost(i: int, j: int) -> float:
        size = (words_before[j] - words_before[i] - ideal) / ideal
        crossings = sections_before[j - 1] - sections_before[i]
        return size * size + BREAK_COST[units[j - 1].end] + SECTION_CROSSING_COST * crossings

    best = [[math.inf] * (n + 1) for _ in range(groups + 1)]
    start_of = [[0] * (n + 1) for _ in range(groups + 1)]
    best[0][0] = 0.0
    for g in range(1, groups + 1):
        for j in range(g, n - (groups - g) + 1):
            for i in range(g - 1, j):
                cost = best[g - 1][i] + group_cost(i, j)
                if cost < best[g][j]:
                    best[g][j], start_of[g][j] = cost, i
    return _unwind(units, start_of, groups)


def _unwind(units: list[Unit], start_of: list[list[int]], groups: int) -> list[list[Unit]]:
    result: list[list[Unit]] = []
    j = len(units)
    for g in range(groups, 0, -1):
        i = start_of[g][j]
        result.append(units[i:j])
        j = i
    return result[::-1]


# --------------------------------------------------------------------------- too little text


def stretched(units: list[Unit], target: int) -> list[Segment]:
    """Each unit at least once, longer ones revisited more (largest-remainder shares)."""
    total = sum(max(1, u.words) for u in units)
    shares = [target * max(1, u.words) / total for u in units]
    counts = [max(1, math.floor(share)) for share in shares]
    order = sorted(range(len(units)), key=lambda i: (counts[i] - shares[i], i))
    position = 0
    while sum(counts) < target:
        counts[order[position % len(order)]] += 1
        position += 1
    while sum(counts) > target:
        largest = max(range(len(units)), key=lambda i: (counts[i], -i))
        counts[largest] -= 1
    return [
        Segment(text=unit.text, heading=unit.heading, beat=beat)
        for unit, count in zip(units, counts, strict=True)
        for beat in range(count)
    ]
