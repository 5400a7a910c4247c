"""The trailer's title and tagline.

The title is the document's own when it has one (title page, first heading, a short
capitalised or quoted first line); otherwise the most distinctive named thing the story turns
on: a quoted name, a named ship ('the ship Exodus'), a contest or event ('the Hunger Games'),
else the protagonist, else the story's first described person or thing ('The Stranded
Astronaut'). Never a stock noun. The tagline comes from a set keyed by genre and tone, varied
by seed and story, and uses the story's dominant image only where that suits the genre.
"""

from __future__ import annotations

import re
from collections import Counter

from reelforge.models import StoryPatterns
from reelforge.providers.analyst.entities import Cast
from reelforge.providers.analyst.lexicons import (
    EVENT_NOUNS,
    FUNCTION_WORDS,
    GENERIC_TITLE_WORDS,
    GENRE_TAGLINES,
    LIGHT_GENRES,
    NOUN_TAGLINES,
    TONE_TAGLINES,
)
from reelforge.providers.analyst.story import Story
from reelforge.providers.analyst.text import count_phrase, stable_hash, title_case
from reelforge.speakable import speakable

TITLE_LINE_MAX_WORDS = 8
QUOTED = re.compile(r"[\"\u201c]([A-Z][^\"\u201c\u201d]{1,40}?)[\"\u201d]")
NAMED_VESSEL = re.compile(
    r"\b(?:ship|boat|vessel|yacht|submarine|spaceship|starship|spacecraft|shuttle|train|plane|"
    r"airship|called|named|codenamed|known as)\s+(?:the\s+)?[\"\u201c]?"
    r"((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+){0,3})"
)
THE_NAME = re.compile(
    r"(?<=[a-z,;:] )the\s+((?:[A-Z][\w'-]+\s+){0,3}[A-Z][\w'-]+"
    r"(?:\s+of\s+(?:[A-Z][\w'-]+\s+){0,2}[A-Z][\w'-]+)?)\b(\s+[a-z]+)?"
)
DESCRIBED = re.compile(r"\b(?:[Aa]|[Aa]n)\s+((?:[a-z]+\s+)?[a-z]{4,})\b(?![-'])")
STOCK_TITLES = {"night", "life", "ship", "storm", "world", "end", "story", "film", "truth"}


def title_of(
    requested: str | None, document_title: str | None, raw_text: str, story: Story, cast: Cast
) -> str:
    for chosen in (requested, document_title, story.title, title_line(raw_text)):
        if chosen and speakable(chosen):
            return speakable(chosen)
    return speakable(named_subject(story, cast) or described_subject(story) or "Untold")


def title_line(text: str) -> str | None:
    """A first line that is a title: short, no closing full stop, capitalised or quoted,
    with the story below it."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 2 or not lines[0] or not "".join(lines[1:]).strip():
        return None
    first = lines[0].strip("#*_ ").strip()
    quoted = QUOTED.fullmatch(first)
    if quoted:
        return quoted.group(1)
    words = first.split()
    if not words or len(words) > TITLE_LINE_MAX_WORDS or first.endswith((".", ",", ";", ":")):
        return None
    capitalised = [w for w in words if w[:1].isupper() or w.lower() in GENERIC_TITLE_WORDS]
    if len(capitalised) < len(words):
        return None
    return first.title() if first.isupper() else first


def named_subject(story: Story, cast: Cast) -> str | None:
    """A quoted name, a named vessel or a 'the …' proper name the story returns to (a contest,
    an event first), else the protagonist."""
    text = story.all_text
    people = {a for p in cast.people for a in p.aliases}
    scores: Counter[str] = Counter()
    for match in QUOTED.finditer(text):
        scores[match.group(1)] += 2
    for match in NAMED_VESSEL.finditer(text):
        scores[match.group(1)] += 2
    for match in THE_NAME.finditer(text):
        name, following = match.group(1), (match.group(2) or "").strip()
        if following and following not in FUNCTION_WORDS and not following.endswith(("s", "ed")):
            continue  # 'the Colby fortune': a name used as an adjective
        if name.split(" of ")[0].split()[-1].lower() in EVENT_NOUNS:
            scores[f"the {name}"] += 3
        elif len(name.split()) > 1 or not name.endswith("s"):
            scores[f"the {name}"] += 1  # not 'the Philistines', 'the Lowells': a people
    candidates = [
        (score, name)
        for name, score in scores.items()
        if _distinctive(name, people) and (score >= 3 or count_phrase(text, name) >= 2)
    ]
    if candidates:
        best = max(candidates, key=lambda c: (c[0], count_phrase(text, c[1]), -len(c[1])))[1]
        return best[:1].upper() + best[1:]
    protagonist = cast.protagonist
    if protagonist is None:
        return None
    return title_case(protagonist.name) if protagonist.name.islower() else protagonist.name


def _distinctive(name: str, people: set[str]) -> bool:
    bare = name.removeprefix("the ").strip()
    words = bare.lower().split()
    if not words or bare in people or all(w in GENERIC_TITLE_WORDS for w in words):
        return False
    return not (len(words) == 1 and words[0] in STOCK_TITLES)


def described_subject(story: Story) -> str | None:
    """'The Stranded Astronaut' from 'a stranded astronaut on the moon…'."""
    first = story.sentences[0] if story.sentences else story.all_text
    match = DESCRIBED.search(first)
    if not match:
        return None
    return "The " + " ".join(w.capitalize() for w in match.group(1).split())


def tagline_of(patterns: StoryPatterns, noun: str, noun_count: int, seed: int, key: str) -> str:
    """A genre's tagline (the story's dominant image where it suits the genre), varied by seed
    and story; seed 0 prefers the image. A story with a light genre among its genres (an
    action comedy) gets that genre's taglines only, never a grim one."""
    genres = [g.label for g in patterns.genres] or ["drama"]
    tone = patterns.tones[0].label if patterns.tones else "suspenseful"
    light = next((g for g in genres if g in LIGHT_GENRES), None)
    options: list[str] = []
    if light:
        options += GENRE_TAGLINES[light]
    else:
        if noun in NOUN_TAGLINES and noun_count >= 3:
            options.append(NOUN_TAGLINES[noun])
        options += GENRE_TAGLINES.get(genres[0], GENRE_TAGLINES["drama"])
        options += TONE_TAGLINES.get(tone, ())
    options = list(dict.fromkeys(options))
    if seed == 0 and options[0] in NOUN_TAGLINES.values():
        return options[0]
    return options[stable_hash("tagline", seed, key) % len(options)]
