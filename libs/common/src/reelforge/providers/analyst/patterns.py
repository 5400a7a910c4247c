"""Pass 1: genre, tone, themes, structure and a logline.

Genres and tones are lexicon scores over the whole text, normalised to sum to one over the
labels kept (those within reach of the leader). The logline is the author's own when the
document opens with one; otherwise it is built from the protagonist, a goal phrase found
in the text ("must…", "sets out to…") and the antagonist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from reelforge.models import Score, StoryPatterns
from reelforge.providers.analyst.entities import Cast, Persona, sentences_with
from reelforge.providers.analyst.lexicons import (
    FLASHBACK_CUES,
    GENRES,
    GOAL_MARKERS,
    THEMES,
    TONES,
)
from reelforge.providers.analyst.phrasing import fit_words, pronouns
from reelforge.providers.analyst.story import Story
from reelforge.providers.analyst.text import ensure_period, lower_words, sentences

MAX_LABELS = 3
KEEP_RATIO = 0.35
"""A label is kept when it scores at least this share of the leader's score."""
MIN_THEME_SCORE = 2.0

THEME_STAKES = {
    "survival": "a fight to survive",
    "family": "the family {pos} left behind",
    "duty": "the hardest night of {pos} duty",
    "truth": "a truth no one wants told",
    "sacrifice": "a choice that will cost {obj} everything",
    "grief": "a loss {sub} cannot outrun",
    "love": "a love that could ruin everything",
    "power": "a struggle for power",
    "greed": "the greed of desperate people",
    "isolation": "a world that has left {obj} behind",
    "redemption": "one last chance at redemption",
    "faith": "a test of faith",
    "revenge": "a debt paid in blood",
    "freedom": "a fight for freedom",
    "identity": "the truth about who {sub} is",
    "hope": "the end of hope",
}


def analyse_patterns(story: Story, cast: Cast) -> StoryPatterns:
    tokens = lower_words(story.all_text)
    themes = ranked_themes(tokens)
    return StoryPatterns(
        genres=ranked(GENRES.score(tokens), fallback="drama"),
        tones=ranked(TONES.score(tokens), fallback="suspenseful"),
        themes=themes,
        structure=structure_of(story, cast),
        logline=logline_of(story, cast, themes),
    )


# --------------------------------------------------------------------------- scores


def ranked(scores: Mapping[str, float], fallback: str) -> list[Score]:
    """The leading labels, highest first, scores normalised to sum to one."""
    leaders = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if not leaders or leaders[0][1] <= 0:
        return [Score(label=fallback, score=1.0)]
    top = leaders[0][1]
    kept = [(label, value) for label, value in leaders[:MAX_LABELS] if value >= KEEP_RATIO * top]
    total = sum(value for _, value in kept)
    return [Score(label=label, score=round(value / total, 3)) for label, value in kept]


def ranked_themes(tokens: list[str]) -> list[str]:
    scores = THEMES.score(tokens)
    leaders = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [label for label, value in leaders[:MAX_LABELS] if value >= MIN_THEME_SCORE]


def structure_of(story: Story, cast: Cast) -> str:
    text = story.all_text.lower()
    if sum(text.count(cue) for cue in FLASHBACK_CUES) >= 2:
        return "nonlinear"
    if len(cast.people) >= 3:
        top = cast.people[0].mentions
        peers = [p for p in cast.people if p.mentions >= 0.8 * top]
        if len(peers) >= 3:
            return "ensemble"
    return "three-act"


# --------------------------------------------------------------------------- logline


def logline_of(story: Story, cast: Cast, themes: list[str]) -> str:
    if story.preface:
        return ensure_period(sentences(story.preface)[0])
    protagonist = cast.protagonist
    if protagonist is None:
        opening = story.sentences[0] if story.sentences else story.title or "A story"
        return ensure_period(fit_words(opening, 30))
    subject = protagonist.name
    if protagonist.appositive:
        subject += f", {protagonist.appositive},"
    goal = goal_of(story, protagonist)
    antagonist = cast.antagonist
    forms = pronouns(protagonist.gender)
    if goal:
        against = f" while {antagonist.name} stands in {forms['pos']} way" if antagonist else ""
        return ensure_period(f"{subject} {goal}{against}")
    stakes = THEME_STAKES.get(themes[0] if themes else "", "the night everything changes")
    closing = f" as {antagonist.name} closes in" if antagonist else ""
    return ensure_period(f"{subject} faces {stakes.format(**forms)}{closing}")


def goal_of(story: Story, person: Persona) -> str | None:
    """'must keep the lamp burning' from the first goal sentence about the person."""
    markers = "|".join(re.escape(m) for m in GOAL_MARKERS)
    pattern = re.compile(rf"\b({markers})\s+([^,.;:!?]+)")
    found = sentences_with(person, story.sentences)
    follow_ups = {i + 1 for i in found if i + 1 < len(story.sentences)}
    for i in sorted(set(found) | follow_ups):
        match = pattern.search(story.sentences[i])
        if match:
            return f"{match.group(1)} {fit_words(match.group(2), 14)}"
    return None
