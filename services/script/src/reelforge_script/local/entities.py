"""Who and where: characters and named places found in the story's capitalised words.

A name is a run of capitalised words that is not a sentence opener or a stop word, or that
recurs. Runs are merged into people ("Mara", "Quinn" → "Mara Quinn"), then each is judged a
person, a place or a thing (ships, boards, companies) from how it is used: place suffixes and
prepositions for places, honorifics, possessives and verbs for people, a leading "the" for
things. Roles come from prominence and from the conflict words around a name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from reelforge.models import LocationKind, Role

from reelforge_script.local.lexicons import (
    CAPITALISED_STOPWORDS,
    FEMALE_HONORIFICS,
    FEMALE_NOUNS,
    FEMALE_PRONOUNS,
    FUNCTION_WORDS,
    HONORIFICS,
    MALE_HONORIFICS,
    MALE_NOUNS,
    MALE_PRONOUNS,
    PLACE_NAME_ENDINGS,
    PLACE_PREFIXES,
    PLACE_PREPOSITIONS,
    PLACE_SUFFIX_KINDS,
    SETTING_NOUNS,
    VILLAIN_WORDS,
)
from reelforge_script.local.story import Story
from reelforge_script.local.text import WORD, lower_words

Gender = Literal["female", "male", "unknown"]
MAX_PEOPLE = 12
PRONOUN_WEIGHTS = {
    "she": 1.0,
    "he": 1.0,
    "his": 0.7,
    "him": 0.7,
    "himself": 0.7,
    "herself": 0.7,
    "hers": 0.7,
    "her": 0.3,
}
"""'her' is often someone else's object, so it counts least."""
SPEECH_VERBS = {"says", "said", "asks", "asked", "tells", "told", "whispers", "shouts", "replies"}
ROLE_ORDER: dict[str, int] = {"protagonist": 0, "antagonist": 1, "supporting": 2, "minor": 3}
PEOPLE_OF = {"people", "folk", "townsfolk", "streets", "heart", "edge", "mayor", "harbour"}


@dataclass
class Mention:
    """One occurrence of a capitalised run in a sentence."""

    name: str
    sentence: int
    initial: bool
    before: str
    before_that: str
    article: bool
    possessive: bool
    after: str


@dataclass
class Persona:
    """A person of the story with everything later passes need to know about them."""

    name: str
    aliases: list[str]
    mentions: int
    first_sentence: int
    gender: Gender = "unknown"
    appositive: str | None = None
    conflict: int = 0
    role: Role = "minor"


@dataclass
class Place:
    """A named place; `key` is the bare proper name, `name` how to say it ('the Merrow')."""

    name: str
    key: str
    mentions: int
    kind: LocationKind | None


@dataclass
class Cast:
    """People (protagonist first) and named places (most mentioned first)."""

    people: list[Persona] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)

    @property
    def protagonist(self) -> Persona | None:
        return next((p for p in self.people if p.role == "protagonist"), None)

    @property
    def antagonist(self) -> Persona | None:
        return next((p for p in self.people if p.role == "antagonist"), None)

    def person_named(self, name: str) -> Persona | None:
        return next((p for p in self.people if p.name == name), None)


def analyse_cast(story: Story) -> Cast:
    """People (with roles, gender and any appositive) and named places of a story."""
    all_sentences = ([story.preface] if story.preface else []) + story.sentences
    mentions = [m for i, s in enumerate(all_sentences) for m in capitalised_runs(s, i)]
    lowercase = Counter(lower_words_in_lowercase(story.all_text))
    names = plausible_names(mentions, lowercase)
    groups = merged_names(names, mentions)
    people, places = classify(groups, mentions)
    for person in people:
        person.gender = infer_gender(person, all_sentences)
        person.appositive = find_appositive(person, story.all_text)
        person.conflict = conflict_score(person, all_sentences)
    assign_roles(people, len(all_sentences))
    people.sort(key=lambda p: (ROLE_ORDER[p.role], -p.mentions, p.first_sentence))
    places.sort(key=lambda p: -p.mentions)
    return Cast(people=people[:MAX_PEOPLE], places=places)


# --------------------------------------------------------------------------- capitalised runs


def capitalised_runs(sentence: str, index: int) -> list[Mention]:
    """Runs of capitalised words; punctuation between two words ends a run."""
    matches = list(WORD.finditer(sentence))
    tokens = [m.group(0).replace("\u2019", "'") for m in matches]
    found: list[Mention] = []
    run: list[str] = []
    run_start = 0
    for position, token in enumerate(tokens):
        if run and sentence[matches[position - 1].end() : matches[position].start()].strip():
            found.append(_mention(run, run_start, tokens, index, possessive=False))
            run = []
        bare, possessive = _bare(token)
        if bare and bare[0].isupper() and bare.lower() not in CAPITALISED_STOPWORDS:
            if not run:
                run_start = position
            run.append(bare)
            if possessive:
                found.append(_mention(run, run_start, tokens, index, possessive=True))
                run = []
            continue
        if run:
            found.append(_mention(run, run_start, tokens, index, possessive=False))
            run = []
    if run:
        found.append(_mention(run, run_start, tokens, index, possessive=False))
    return found


def _bare(token: str) -> tuple[str, bool]:
    if token.endswith(("'s", "'S")):
        return token[:-2], True
    return token.rstrip("'"), False


def _mention(
    run: list[str], start: int, tokens: list[str], index: int, *, possessive: bool
) -> Mention:
    before = tokens[start - 1].lower() if start > 0 else ""
    article = before == "the"
    if article:
        before = tokens[start - 2].lower() if start > 1 else ""
    offset = 2 if article else 1
    before_that = tokens[start - offset - 1].lower() if start - offset - 1 >= 0 else ""
    end = start + len(run)
    return Mention(
        name=" ".join(run),
        sentence=index,
        initial=start == 0,
        before=before,
        before_that=before_that,
        article=article,
        possessive=possessive,
        after=tokens[end].lower() if end < len(tokens) else "",
    )


def lower_words_in_lowercase(text: str) -> list[str]:
    """Words written in lowercase: a capitalised word that also appears like this is a noun."""
    return [w for w in (m.group(0) for m in WORD.finditer(text)) if w.islower()]


def plausible_names(mentions: list[Mention], lowercase: Counter[str]) -> set[str]:
    by_name: dict[str, list[Mention]] = {}
    for mention in mentions:
        by_name.setdefault(mention.name, []).append(mention)
    names: set[str] = set()
    for name, found in by_name.items():
        tokens = name.split()
        if all(t.lower() in HONORIFICS for t in tokens):
            continue
        inside = sum(not m.initial for m in found)
        if len(tokens) == 1 and lowercase[name.lower()] > inside:
            continue
        if inside or (len(found) >= 2 and _name_like(name, lowercase)):
            names.add(name)
    return names | _full_names_of(set(by_name) - names, names)


def _full_names_of(candidates: set[str], names: set[str]) -> set[str]:
    """'Mara Quinn', said once at a sentence start, is a name when 'Mara' already is one."""
    return {
        name
        for name in candidates
        if len(name.split()) > 1 and any(token in names for token in core_tokens(name))
    }


def _name_like(word: str, lowercase: Counter[str]) -> bool:
    """A word seen only at sentence starts passes as a name if it never looks like prose."""
    lower = word.lower()
    return " " in word or (lowercase[lower] == 0 and not lower.endswith(("ly", "ing", "ed")))


# --------------------------------------------------------------------------- merging


def core_tokens(name: str) -> tuple[str, ...]:
    return tuple(t for t in name.split() if t.lower() not in HONORIFICS)


def merged_names(names: set[str], mentions: list[Mention]) -> dict[str, set[str]]:
    """canonical name → every form that refers to it ("Mara", "Quinn", "Captain Quinn")."""
    counts = Counter(m.name for m in mentions if m.name in names)
    ordered = sorted(names, key=lambda n: (-len(core_tokens(n)), -counts[n], n))
    groups: dict[str, set[str]] = {}
    for name in ordered:
        owners = [c for c in groups if set(core_tokens(name)) <= set(core_tokens(c))]
        if len(owners) == 1:
            groups[owners[0]].add(name)
        elif not owners:
            groups[name] = {name}
    return groups


# --------------------------------------------------------------------------- person, place or thing


def classify(
    groups: dict[str, set[str]], mentions: list[Mention]
) -> tuple[list[Persona], list[Place]]:
    people: list[Persona] = []
    places: list[Place] = []
    for canonical, forms in groups.items():
        found = [m for m in mentions if m.name in forms]
        place, person = place_evidence(canonical, found), person_evidence(forms, found)
        with_article = sum(m.article for m in found) * 2 > len(found)
        if place > person or (with_article and place > 0):
            name = f"the {canonical}" if with_article else canonical
            kind = suffix_kind(canonical) or noun_kind(found)
            places.append(Place(name, canonical, len(found), kind))
        elif not with_article:
            people.append(
                Persona(
                    name=display_name(canonical),
                    aliases=_aliases(canonical, forms),
                    mentions=len(found),
                    first_sentence=min(m.sentence for m in found),
                )
            )
    return people, places


def place_evidence(name: str, found: list[Mention]) -> float:
    tokens = name.split()
    score = 0.0
    if len(tokens) > 1 and tokens[-1].lower() in PLACE_SUFFIX_KINDS:
        score += 3
    if len(tokens) > 1 and tokens[0].lower() in PLACE_PREFIXES:
        score += 3
    if len(tokens) == 1 and len(name) > 5 and name.lower().endswith(PLACE_NAME_ENDINGS):
        score += 2
    score += sum(m.before in PLACE_PREPOSITIONS for m in found)
    score += 2 * sum(m.before in SETTING_NOUNS for m in found)
    score += sum(
        m.before == "of" and (m.before_that in SETTING_NOUNS or m.before_that in PEOPLE_OF)
        for m in found
    )
    return score


def person_evidence(forms: set[str], found: list[Mention]) -> float:
    score = 3.0 if any(t.lower() in HONORIFICS for f in forms for t in f.split()) else 0.0
    score += sum(m.possessive for m in found)
    score += sum(m.after in SPEECH_VERBS or _verb_like(m.after) for m in found)
    return score


def _verb_like(word: str) -> bool:
    return len(word) > 3 and word not in FUNCTION_WORDS and word.endswith(("s", "ed"))


def suffix_kind(name: str) -> LocationKind | None:
    tokens = name.lower().split()
    if len(tokens) > 1 and tokens[-1] in PLACE_SUFFIX_KINDS:
        return PLACE_SUFFIX_KINDS[tokens[-1]]
    if len(tokens) > 1 and tokens[0] == "port":
        return "village"
    return None


def display_name(canonical: str) -> str:
    """'Captain Ilse Brandt' → 'Ilse Brandt'; a lone surname keeps its title ('Father Tomas')."""
    core = core_tokens(canonical)
    return " ".join(core) if len(core) > 1 else canonical


def noun_kind(found: list[Mention]) -> LocationKind | None:
    """'the Anchor tavern', 'Saltmouth harbour': the noun after the name says what it is."""
    nouns = Counter(m.after for m in found if m.after in SETTING_NOUNS)
    return SETTING_NOUNS[nouns.most_common(1)[0][0]] if nouns else None


def _aliases(canonical: str, forms: set[str]) -> list[str]:
    singles = set(core_tokens(canonical)) if len(core_tokens(canonical)) > 1 else set()
    return sorted(forms | singles | {canonical}, key=lambda a: (-len(a), a))


# --------------------------------------------------------------------------- attributes


def sentences_with(person: Persona, all_sentences: list[str]) -> list[int]:
    """Indexes of the sentences that name the person by any alias."""
    pattern = name_pattern(person.aliases)
    return [i for i, s in enumerate(all_sentences) if pattern.search(s)]


def name_pattern(aliases: list[str]) -> re.Pattern[str]:
    """One regex for all of a person's names, whole words only."""
    forms = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{forms})(?![A-Za-z])")


def infer_gender(person: Persona, all_sentences: list[str]) -> Gender:
    """From honorifics, gendered nouns in an appositive, then pronouns near the name."""
    honorifics = {t.lower() for a in person.aliases for t in a.split()}
    if honorifics & FEMALE_HONORIFICS:
        return "female"
    if honorifics & MALE_HONORIFICS:
        return "male"
    female = male = 0.0
    for i in sentences_with(person, all_sentences):
        window = lower_words(" ".join(all_sentences[i : i + 2]))
        female += sum(PRONOUN_WEIGHTS.get(w, 0.0) for w in window if w in FEMALE_PRONOUNS)
        male += sum(PRONOUN_WEIGHTS.get(w, 0.0) for w in window if w in MALE_PRONOUNS)
        female += 2 * sum(w in FEMALE_NOUNS for w in window[:8])
        male += 2 * sum(w in MALE_NOUNS for w in window[:8])
    if female > 1.3 * male and female >= 1:
        return "female"
    if male > 1.3 * female and male >= 1:
        return "male"
    return "unknown"


def find_appositive(person: Persona, text: str) -> str | None:
    """'Mara Quinn, the last keeper of the light,' → 'the last keeper of the light'."""
    flat = " ".join(text.split())
    for alias in person.aliases:
        pattern = (
            rf"(?<![A-Za-z]){re.escape(alias)},\s+((?:an?|the|his|her|their)\s+[^,.;:!?]{{3,90}}?)"
            r"(?:,|\.|;|:|\s+who\s|\s+whose\s)"
        )
        match = re.search(pattern, flat)
        if match and len(match.group(1).split()) <= 14:
            return match.group(1).strip()
    return None


def conflict_score(person: Persona, all_sentences: list[str]) -> int:
    """Conflict words in and right around the sentences that name the person."""
    near = {j for i in sentences_with(person, all_sentences) for j in (i - 1, i, i + 1)}
    return sum(
        min(2, sum(w in VILLAIN_WORDS for w in lower_words(all_sentences[j])))
        for j in sorted(near)
        if 0 <= j < len(all_sentences)
    )



def assign_roles(people: list[Persona], sentence_count: int) -> None:
    """Protagonist: most present, early; antagonist: most tied to conflict words."""
    if not people:
        return
    early = max(1, round(sentence_count * 0.15))

    def prominence(p: Persona) -> tuple[float, int]:
        return (p.mentions + (3 if p.first_sentence < early else 0), -p.first_sentence)

    protagonist = max(people, key=prominence)
    protagonist.role = "protagonist"
    rivals = [p for p in people if p is not protagonist and p.conflict >= 2 and p.mentions >= 2]
    if rivals:
        max(rivals, key=lambda p: (p.conflict, p.mentions)).role = "antagonist"
    threshold = max(2, 0.2 * protagonist.mentions)
    for person in people:
        if person.role == "minor" and person.mentions >= threshold:
            person.role = "supporting"


def antecedent(gender: str, before: str, people: list[Persona]) -> Persona | None:
    """Whom a leading 'she'/'he' means: the person of that gender named last before it."""
    latest: tuple[int, Persona] | None = None
    for person in people:
        if person.gender != gender:
            continue
        ends = [m.end() for m in name_pattern(person.aliases).finditer(before)]
        if ends and (latest is None or ends[-1] > latest[0]):
            latest = (ends[-1], person)
    return latest[1] if latest else None


def count_mentions(person_aliases: list[str], text: str) -> int:
    """Mentions of a person in a text, counting each name occurrence once."""
    return len(name_pattern(person_aliases).findall(text))
