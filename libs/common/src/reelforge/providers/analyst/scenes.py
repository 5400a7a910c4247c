"""Pass 2: scenes with their characters, location, time of day, mood and a visual summary.

Each passage from segmentation becomes a scene. Where a passage gives no cue (no place, no
time of day), the previous scene's value carries over: stories rarely restate where and
when they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_args

from reelforge.models import (
    Character,
    Location,
    LocationKind,
    Scene,
    SceneList,
    StoryPatterns,
    TimeOfDay,
    alternating_framing,
)
from reelforge.providers.analyst.entities import Cast, Persona, Place, antecedent, count_mentions
from reelforge.providers.analyst.lexicons import (
    ABSTRACT_WORDS,
    LOCATION_KINDS,
    MOODS,
    PLACE_SUFFIX_KINDS,
    SETTING_NOUNS,
    TIME_OF_DAY,
    TONE_DEFAULT_MOOD,
    VISUAL_WORDS,
    Lexicon,
)
from reelforge.providers.analyst.phrasing import (
    fit_words,
    leading_pronoun_gender,
    main_clause,
    noun_phrases,
    replace_leading_pronoun,
)
from reelforge.providers.analyst.segmentation import Segment, segment
from reelforge.providers.analyst.story import Story
from reelforge.providers.analyst.text import (
    contains_word,
    count_phrase,
    ensure_period,
    first_position,
    lower_words,
    sentence_case,
    sentences,
    title_case,
    unique_slug,
    words,
)

SUMMARY_WORDS = 24
TIME_TIE_ORDER: tuple[TimeOfDay, ...] = ("dusk", "dawn", "night", "day")
BEAT_PREFIXES = ("", "Closer: ", "Detail: ", "Wide: ", "Reaction: ", "Silhouette: ")
FOUNTAIN_PLACE = re.compile(r"^(INT|EXT|EST|INT\.?/EXT|I/E)[.\s]+(.+?)(?:\s+-\s+(.*))?$", re.I)
LOCATION_KIND_NAMES: tuple[LocationKind, ...] = get_args(LocationKind)
KIND_PLACE_NAMES: dict[LocationKind, str] = {
    "sea": "the open sea",
    "village": "the village",
    "city": "the city",
    "forest": "the forest",
    "desert": "the desert",
    "interior": "the house",
    "space": "deep space",
    "mountain": "the mountains",
    "field": "the fields",
    "underground": "the tunnels",
    "sky": "the sky",
    "snow": "the snowfields",
    "road": "the road",
    "generic": "the world",
}
VISUAL = Lexicon({"visual": VISUAL_WORDS})
MIN_LOCATION_LIMIT = 4
GENERIC_PLACES = {"city", "town", "village", "district", "country"}
PLACE_SYNONYMS = {
    "home": "house",
    "woods": "forest",
    "wood": "forest",
    "cavern": "cave",
    "harbor": "harbour",
    "center": "centre",
    "theater": "theatre",
    "neighborhood": "neighbourhood",
    "hills": "mountain",
    "mountains": "mountain",
    "cliffs": "cliff",
}
ABSTRACT_PREFIXES = tuple(ABSTRACT_WORDS)


def build_scene_list(story: Story, cast: Cast, patterns: StoryPatterns, target: int) -> SceneList:
    characters = character_models(cast.people)
    ids = {p.name: c.id for p, c in zip(cast.people, characters, strict=True)}
    passages = segment(story, target)
    focuses = [focal_sentence(passage) for passage in passages]
    places = PlaceBook(story, cast, limit=max(MIN_LOCATION_LIMIT, (2 * len(passages) + 2) // 3))
    where = places.locate_all(passages, focuses)
    scenes: list[Scene] = []
    for index, (passage, focus) in enumerate(zip(passages, focuses, strict=True)):
        previous = scenes[-1] if scenes else None
        present = people_in(passage.text, cast, previous, ids)
        scenes.append(
            Scene(
                index=index,
                summary=visual_summary(passage, focus, present, cast, previous),
                text=passage.text,
                characters=[ids[p.name] for p in present],
                location=where[index],
                time_of_day=time_of_day(passage, focus, previous, patterns),
                mood=mood_of(passage, patterns),
                framing=alternating_framing(index, bool(present)),
            )
        )
    used = {scene.location for scene in scenes}
    return SceneList(
        characters=characters,
        locations=[loc for loc in places.locations if loc.id in used],
        scenes=scenes,
    )


# --------------------------------------------------------------------------- characters


def character_models(people: list[Persona]) -> list[Character]:
    taken: set[str] = set()
    return [
        Character(
            id=unique_slug(person.name, taken),
            name=person.name,
            mentions=person.mentions,
            role=person.role,
            description=person.appositive or "",
        )
        for person in people
    ]


def people_in(text: str, cast: Cast, previous: Scene | None, ids: dict[str, str]) -> list[Persona]:
    """People named in the passage, in order of appearance; a passage that only says
    'she' or 'he' keeps the previous scene's lead."""
    named = [p for p in cast.people if count_mentions(p.aliases, text)]
    named.sort(key=lambda p: min(first_position(text, a) for a in p.aliases))
    if named or previous is None or not previous.characters:
        return named
    if not re.search(r"\b(?:she|he|She|He)\b", text):
        return []
    lead = next((p for p in cast.people if ids[p.name] == previous.characters[0]), None)
    return [lead] if lead is not None else []


# --------------------------------------------------------------------------- locations


@dataclass
class PlaceBook:
    """The locations found so far, each created once and reused by id; past `limit`, a new
    place joins the latest one of its kind (or the latest one) instead."""

    story: Story
    cast: Cast
    limit: int
    locations: list[Location] = field(default_factory=list)
    _by_key: dict[str, Location] = field(default_factory=dict)
    _ids: set[str] = field(default_factory=set)

    def locate_all(self, passages: list[Segment], focuses: list[str]) -> list[str]:
        """Each passage's location id: where its focal sentence happens, else where the
        passage happens, else where the scene before was (before the first place named:
        the first place the story names)."""
        found = [self.place_of(p, f) for p, f in zip(passages, focuses, strict=True)]
        current = next((f for f in found if f), None) or self._story_setting()
        ids: list[str] = []
        for place in found:
            current = place or current
            ids.append(self._add(*current).id)
        return ids

    def place_of(self, passage: Segment, focus: str) -> tuple[str, LocationKind] | None:
        return (
            fountain_place(passage.heading) or self._place_in(focus) or self._place_in(passage.text)
        )

    def _place_in(self, text: str) -> tuple[str, LocationKind] | None:
        noun = setting_noun(text)
        place = named_place(text, self.cast.places)
        if place is not None and not (place.region and noun):
            kind = place.kind or self._kind_around(place)
            if place.region or kind == "generic":
                kind = self._kind_around(place)
            kinds = LOCATION_KINDS.score(lower_words(text))
            if noun and SETTING_NOUNS[noun] == "interior" != kind and _leads(kinds, "interior"):
                return f"the {noun}", "interior"
            return place.name, kind
        if noun:
            return f"the {noun}", SETTING_NOUNS[noun]
        return None

    def _story_setting(self) -> tuple[str, LocationKind]:
        kind = _leader(LOCATION_KINDS.score(lower_words(self.story.all_text))) or "generic"
        return KIND_PLACE_NAMES[kind], kind

    def _kind_around(self, place: Place) -> LocationKind:
        near = [s for s in self.story.sentences if contains_word(s, place.key)]
        return _leader(LOCATION_KINDS.score(lower_words(" ".join(near)))) or "generic"

    def _add(self, name: str, kind: LocationKind) -> Location:
        key = place_key(name)
        if key in self._by_key:
            return self._by_key[key]
        if key in GENERIC_PLACES:  # 'the city' of a story set in Johannesburg is that city
            named = [loc for loc in self.locations if loc.kind == kind and loc.name[:1].isupper()]
            if named:
                return named[-1]
        if len(self.locations) >= self.limit:
            same_kind = [loc for loc in self.locations if loc.kind == kind]
            return (same_kind or self.locations)[-1]
        location = Location(
            id=unique_slug(name.removeprefix("the "), self._ids), name=name, kind=kind
        )
        self._by_key[key] = location
        self.locations.append(location)
        return location


def place_key(name: str) -> str:
    """One key for near-duplicates: 'the home' and 'the house', 'the woods' and 'the forest'."""
    words = name.lower().removeprefix("the ").split()
    if words:
        words[-1] = PLACE_SYNONYMS.get(words[-1], words[-1])
    return " ".join(words)


def fountain_place(heading: str | None) -> tuple[str, LocationKind] | None:
    """'INT. LAMP ROOM - NIGHT' → ('Lamp Room', 'interior')."""
    match = FOUNTAIN_PLACE.match(heading.strip()) if heading else None
    if not match:
        return None
    name = title_case(match.group(2).strip())
    if match.group(1).upper().startswith("INT") and "/" not in match.group(1):
        return name, "interior"
    last = name.lower().split()[-1] if name.split() else ""
    named_kind = PLACE_SUFFIX_KINDS.get(last) or SETTING_NOUNS.get(last)
    return name, named_kind or _leader(LOCATION_KINDS.score(lower_words(name))) or "generic"


def named_place(text: str, places: Iterable[Place]) -> Place | None:
    found = [(count_phrase(text, p.key), -first_position(text, p.key), p) for p in places]
    found = [item for item in found if item[0] > 0]
    return max(found, key=lambda item: item[:2])[2] if found else None


def setting_noun(text: str) -> str | None:
    lowered = text.lower()
    found = [(count_phrase(lowered, n), -first_position(lowered, n), n) for n in SETTING_NOUNS]
    found = [item for item in found if item[0] > 0]
    return max(found)[2] if found else None


def _leader(scores: dict[str, float]) -> LocationKind | None:
    """The best-scoring location kind, if any scored."""
    scored = [kind for kind in LOCATION_KIND_NAMES if scores.get(kind, 0.0) > 0]
    return max(scored, key=lambda k: (scores[k], k)) if scored else None


def _leads(scores: dict[str, float], kind: str) -> bool:
    return _leader(scores) == kind


# --------------------------------------------------------------------------- time and mood


def time_of_day(
    passage: Segment, focus: str, previous: Scene | None, patterns: StoryPatterns
) -> TimeOfDay:
    """The time named in the focal sentence, else the latest one named before it, else
    anywhere in the passage, else the previous scene's."""
    before = sentences(passage.text)
    cut = before.index(focus) if focus in before else len(before)
    for text in [focus, *reversed(before[:cut]), passage.heading or "", passage.text]:
        scores = TIME_OF_DAY.score(lower_words(text))
        if scores:
            best = max(scores.values())
            return next(t for t in TIME_TIE_ORDER if scores.get(t) == best)
    if previous is not None:
        return previous.time_of_day
    return "night" if patterns.genres[0].label == "horror" else "day"


def mood_of(passage: Segment, patterns: StoryPatterns) -> str:
    scores = MOODS.score(lower_words(passage.text))
    if scores:
        return max(MOODS.labels, key=lambda m: (scores.get(m, 0.0), -MOODS.labels.index(m)))
    return TONE_DEFAULT_MOOD.get(patterns.tones[0].label, "tense")


# --------------------------------------------------------------------------- summary


def focal_sentence(passage: Segment) -> str:
    """The passage's most visual sentence: what its frame shows."""
    candidates = sentences(passage.text) or [passage.text]
    return max(candidates, key=lambda s: (visual_score(s), -candidates.index(s)))


def visual_summary(
    passage: Segment, focus: str, present: list[Persona], cast: Cast, previous: Scene | None
) -> str:
    """The focal sentence's main clause, with a leading 'she'/'he' resolved to the person
    last named before it (or the first of that gender in the scene)."""
    clause = main_clause(focus)
    gender = leading_pronoun_gender(clause)
    if gender is not None:
        earlier = previous.text if previous else ""
        before = earlier + "\n" + passage.text[: max(0, passage.text.find(focus))]
        person = antecedent(gender, before, cast.people) or next(
            (p for p in present if p.gender == gender), None
        )
        if person is not None:
            clause = replace_leading_pronoun(clause, person.name)
    if passage.beat:
        return beat_summary(passage, clause)
    return ensure_period(sentence_case(fit_words(clause, SUMMARY_WORDS)))


def beat_summary(passage: Segment, clause: str) -> str:
    """A passage shown again gets a different angle: close on one of the things it names."""
    prefix = BEAT_PREFIXES[1 + (passage.beat - 1) % (len(BEAT_PREFIXES) - 1)]
    things = noun_phrases(passage.text)
    subject = things[(passage.beat - 1) % len(things)] if things else fit_words(clause, 12)
    return ensure_period(sentence_case(f"{prefix}{subject}"))


def visual_score(sentence: str) -> float:
    tokens = lower_words(sentence)
    names = sum(word[:1].isupper() for word in words(sentence)[1:])
    abstract = sum(t.startswith(ABSTRACT_PREFIXES) for t in tokens)
    overlong = max(0, len(tokens) - 25)
    return VISUAL.score(tokens)["visual"] + min(2, names) - 1.5 * abstract - 0.1 * overlong
