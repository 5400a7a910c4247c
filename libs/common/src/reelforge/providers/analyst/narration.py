"""Pass 4: the voiceover, in trailer grammar, built from the story's own sentences.

One line per scene, in the shape of a trailer: setup, escalation, a climax tease, the title
drop, the tag. A line is an opener chosen by act and position ("In a world where…", "One
woman…", "This winter…", "Now…") joined to whole sentences of the scene's passage, cleaned
and shortened only at clause boundaries (see `trailer_grammar`), never cut mid-phrase.
Nothing is drawn from the story's resolution: sentences from its last fifth, or that tell an
outcome, are never spoken; climax and tag lines with nothing else to say become teases
("One storm. One light.", "There is no way back.") and the last line ends on the tagline.
Budgets are rebalanced until the whole narration fits the target word count, so the spoken
trailer fits the requested duration; a line overruns its budget rather than break a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from reelforge.models import (
    ActName,
    Character,
    Document,
    Narration,
    NarrationLine,
    Scene,
    StoryPatterns,
)
from reelforge.providers.analyst.entities import Cast, Persona, analyse_cast, antecedent
from reelforge.providers.analyst.lexicons import (
    DRAMATIC_NOUNS,
    FUNCTION_WORDS,
    HONORIFICS,
    LITANY_NOUNS,
    SEASONS,
    TEASES,
    VILLAIN_WORDS,
)
from reelforge.providers.analyst.phrasing import (
    leading_pronoun_gender,
    lower_first,
    replace_leading_pronoun,
    without_appositives,
)
from reelforge.providers.analyst.story import Story, story_from_context
from reelforge.providers.analyst.text import (
    choose,
    clauses,
    contains_word,
    count_phrase,
    ensure_period,
    lower_words,
    sentences,
    stable_hash,
    word_count,
)
from reelforge.providers.analyst.titles import tagline_of, title_of
from reelforge.providers.analyst.trailer_grammar import (
    RESOLUTION_CUES,
    RESOLUTION_SHARE,
    is_complete,
    is_meta,
    is_resolution,
    opens_with_clause,
    shorter_forms,
)
from reelforge.providers.contexts import ACT_BREAK_PAUSE, narration_word_target
from reelforge.speakable import speakable


@dataclass(frozen=True)
class Opener:
    words: str = ""
    joiner: str = " "
    pause: bool = False
    """Whether the narrator holds a beat after it ('In a world where...')."""


ACT_WEIGHTS: dict[ActName, float] = {"setup": 1.15, "escalation": 1.0, "climax": 0.6, "tag": 0.9}
MIN_LINE_WORDS = 3
PRONOUN_SUBJECT = re.compile(r"(?:She|He)\s+(?=[a-z])")
OPENING_SLACK = 3
"""A line's first sentence may overrun its budget by this much before a shorter sentence is
preferred; the balancing pass takes the difference out of the other lines."""
BALANCE_ROUNDS = 4
BALANCE_TOLERANCE = 0.06
FINAL_PAUSE = 0.5
RETOLD_SHARE = 0.7
SCARCE_RATIO = 2
"""With fewer speakable sentences than this many per scene, a line says one sentence only,
leaving the next for the next line."""
WORLD_OPENERS = (
    Opener("In a world where", " ", pause=True),
    Opener("Out here", ", ", pause=True),
    Opener("At the edge of the world", ", ", pause=True),
)
FOLLOW_OPENERS = (Opener("And"), Opener(), Opener("But"), Opener(), Opener("Soon"))
WHERE_CLAUSE = re.compile(r"\bwhere\s+([^,;.!?]{8,})")
PLAIN_SUBJECTS = {"the", "a", "an", "he", "she", "they", "it", "his", "her", "their", "every"}
"""A clause opening on one of these can follow an opener in lower case ('And the sea…')."""


@dataclass(frozen=True)
class Candidate:
    """A sentence of a scene that may be spoken, in its complete forms, longest first."""

    sentence: str
    forms: tuple[str, ...]


@dataclass
class LinePlan:
    """What a scene's line will say, before it is fitted to a budget."""

    scene: Scene
    opener: Opener = Opener()
    lead: str | None = None
    content: list[Candidate] = field(default_factory=list)
    fixed: str | None = None
    closing: str | None = None
    tight: bool = False
    people: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    """Name words of the cast and places, for appositive removal."""
    cast: list[Persona] = field(default_factory=list)
    """Who a leading 'she'/'he' may refer to."""
    text_before: str = ""
    """The previous scene's passage, where that person may last have been named."""
    introduction: str | None = None
    """The lead's appositive when the line introduces them ('a serial killer')."""


@dataclass
class Spoken:
    text: str
    marked: str


def write_narration(context: dict[str, Any]) -> Narration:
    story = story_from_context(context)
    document = Document.model_validate(context["document"])
    cast = analyse_cast(story)
    patterns = StoryPatterns.model_validate(context["patterns"])
    scenes = [Scene.model_validate(s) for s in context["scenes"]]
    characters = [Character.model_validate(c) for c in context["characters"]]
    seed = int(context.get("seed", 0))
    noun, noun_count = story_noun(story)
    title = title_of(
        context.get("requested_title"), context.get("document_title"), document.text, story, cast
    )
    tagline = tagline_of(patterns, noun, noun_count, seed, title)
    plans = plan_lines(scenes, story, cast, characters, tagline, seed)
    target = int(
        context.get("target_words")
        or narration_word_target(float(context.get("duration", 60.0)), len(scenes))
    )
    spoken = distinct(balanced(plans, target), plans, story, cast, seed)
    return Narration(title=title, tagline=tagline, lines=assemble(plans, spoken, title))


def story_noun(story: Story) -> tuple[str, int]:
    """The dramatic noun the story leans on most ('light', 'storm', 'signal'), and how often."""
    text = story.all_text.lower()
    counts = {n: count_phrase(text, n) + count_phrase(text, n + "s") for n in DRAMATIC_NOUNS}
    noun = max(DRAMATIC_NOUNS, key=lambda n: (counts[n], -DRAMATIC_NOUNS.index(n)))
    return noun, counts[noun]


# --------------------------------------------------------------------------- what may be said


def speakable_candidates(scene: Scene, story: Story, scene_count: int) -> list[Candidate]:
    """What the scene's passage may say: see `candidates_in`."""
    share = scene.index / max(1, scene_count)
    found: list[Candidate] = []
    for part in sentences(scene.text):
        for candidate in candidates_in(_whole_sentence(part, story), story, share):
            if all(c.sentence != candidate.sentence for c in found):
                found.append(candidate)
    return found


def story_candidates(story: Story) -> list[Candidate]:
    """What the whole story may say, in story order."""
    return [c for sentence in story.sentences for c in candidates_in(sentence, story, 1.0)]


def candidates_in(sentence: str, story: Story, fallback_share: float) -> list[Candidate]:
    """A sentence's independent clauses, each said on its own when two or more stand alone,
    else the sentence; none about the film, from the story's resolution or without a
    complete form."""
    if is_meta(sentence):
        return []
    parts = [(part, shorter_forms(part)) for part in clauses(sentence)]
    standalone = [(part, forms) for part, forms in parts if forms]
    units = standalone if len(standalone) >= 2 else [(sentence, shorter_forms(sentence))]
    text = story.all_text
    at = text.find(sentence)
    whole_share = (at + len(sentence) / 2) / len(text) if at >= 0 and text else fallback_share
    if len(units) > 1 and (whole_share >= RESOLUTION_SHARE or RESOLUTION_CUES.search(sentence)):
        return []  # '..., and her abduction sparks a clash that can only be resolved, in the end'
    found: list[Candidate] = []
    for unit, forms in units:
        offset = max(0, sentence.lower().find(unit.lower()))
        middle = at + offset + len(unit) / 2
        share = middle / len(text) if at >= 0 and text else fallback_share
        if forms and not is_resolution(unit, share):
            found.append(Candidate(unit, tuple(forms)))
    return found


def _whole_sentence(part: str, story: Story) -> str:
    """The story's sentence a scene's passage was cut from ('Oregon was always…' is the end
    of '…in Portland, Oregon, was always…'; 'That the planter…' of '…, and that the
    planter…'), so that a line never starts mid-sentence."""
    core = part.rstrip(" .!?")
    uncapitalised = core[:1].lower() + core[1:]
    holding = [s for s in story.sentences if core in s or uncapitalised in s]
    return min(holding, key=len) if holding else part


def _spoken(sentence: str, used: set[str]) -> bool:
    """Whether a sentence, or a passage holding it or held by it, has been spoken."""
    lower = sentence.lower()
    return any(lower in u.lower() or u.lower() in lower for u in used)


def _borrowed(story_wide: list[Candidate], used: set[str]) -> list[Candidate]:
    """For a scene whose own sentences are all spoken: the next unspoken sentence of the story
    after the last one spoken."""
    spoken_at = [i for i, c in enumerate(story_wide) if _spoken(c.sentence, used)]
    start = max(spoken_at, default=-1) + 1
    return [c for c in story_wide[start:] if not _spoken(c.sentence, used)][:1]


def _left_unsaid(story_wide: list[Candidate], used: set[str]) -> list[Candidate]:
    """For a climax scene with nothing of its own and nothing left after the last spoken
    sentence: the most dramatic sentence before the resolution not yet spoken, so that the
    climax teases with the story's own words rather than a stock line."""
    unsaid = [c for c in story_wide if not _spoken(c.sentence, used)]
    if not unsaid:
        return []
    return [max(unsaid, key=lambda c: (drama(c.sentence), -unsaid.index(c)))]


# --------------------------------------------------------------------------- planning


def plan_lines(
    scenes: list[Scene],
    story: Story,
    cast: Cast,
    characters: list[Character],
    tagline: str,
    seed: int,
) -> list[LinePlan]:
    people = {c.id: cast.person_named(c.name) for c in characters}
    hero_id = next((c.id for c in characters if c.role == "protagonist"), None)
    hero = people.get(hero_id) if hero_id else None
    used: set[str] = set()
    person_words = {w for p in cast.people for a in p.aliases for w in a.split()}
    place_words = {w for place in cast.places for w in place.key.split()}
    text_before = {s.index: p.text for p, s in pairwise(scenes)}
    teases = Teases(story, cast, seed)
    story_wide = story_candidates(story)
    scarce = len(story_wide) < SCARCE_RATIO * len(scenes)
    introductions = iter(
        [
            f"{p.name} is {p.appositive}."
            for p in cast.people[1:]
            if _describes(p.appositive) and not _told_late(p.appositive, story)
        ]
    )
    plans: list[LinePlan] = []
    for act in ("setup", "escalation", "climax", "tag"):
        act_scenes = [s for s in scenes if s.act == act]
        for position, scene in enumerate(act_scenes):
            plan = LinePlan(
                scene=scene,
                lead=_lead_of(scene, people),
                tight=act == "climax" or scarce,
                people=person_words,
                places=place_words,
                cast=cast.people,
                text_before=text_before.get(scene.index, ""),
            )
            candidates = [
                c
                for c in speakable_candidates(scene, story, len(scenes))
                if not _spoken(c.sentence, used)
            ]
            if not candidates and act != "tag":
                candidates = _borrowed(story_wide, used)
            if not candidates and act == "climax":
                candidates = _left_unsaid(story_wide, used)
            last = position == len(act_scenes) - 1
            if act == "tag":
                plan.fixed = None if last else teases.next()
                plan.closing = tagline if last else None
            elif act == "setup" and position == 0:
                plan.opener, plan.content = world_line(scene, candidates, cast, seed)
            elif (
                act == "setup"
                and hero
                and hero_id in scene.characters
                and not _introduced(plans, hero)
                and _describes(hero.appositive)
            ):
                introduce(plan, hero, candidates)
            elif act == "climax" and last and len(act_scenes) >= 2:
                plan.fixed = _litany(story) or teases.next()
            else:
                plan.content = content_for(candidates, about=None)
                shape_line(plan, act, position, story)
            if act != "tag" and not plan.content and not plan.fixed:
                introduction = next(introductions, None) if act != "climax" else None
                plan.fixed = introduction or teases.next()
            used.update(c.sentence for c in plan.content[:1])
            plans.append(plan)
    return plans


def _lead_of(scene: Scene, people: dict[str, Persona | None]) -> str | None:
    present = [people.get(cid) for cid in scene.characters]
    return next((p.name for p in present if p is not None), None)


def _introduced(plans: list[LinePlan], hero: Persona) -> bool:
    appositive = hero.appositive or ""
    return any(p.lead == hero.name and appositive in (p.fixed or "-") for p in plans)


def _told_late(appositive: str | None, story: Story) -> bool:
    """A description first given in the story's resolution ('the executor of the estate',
    in the closing list of suspects) belongs to the ending."""
    text = " ".join(story.all_text.split())
    at = text.find(appositive or "")
    return at >= RESOLUTION_SHARE * len(text)


def _describes(appositive: str | None) -> bool:
    """A description that reads alone ('the last keeper of the light'), not a clause."""
    if not appositive or len(appositive.split()) < 2:
        return False
    return not opens_with_clause(appositive) and appositive.split()[-1].lower() not in HONORIFICS


def introduce(plan: LinePlan, hero: Persona, candidates: list[Candidate]) -> None:
    """'One woman... the last keeper of the light.' then what the scene says about her."""
    noun = _person_noun(hero)
    plan.opener = Opener(f"One {noun}", ", ", pause=True) if noun else Opener()
    plan.lead = hero.name
    plan.fixed = hero.appositive if noun else f"{hero.name}, {hero.appositive}"
    plan.introduction = hero.appositive
    plan.content = content_for(candidates, about=hero.aliases)


def world_line(
    scene: Scene, candidates: list[Candidate], cast: Cast, seed: int
) -> tuple[Opener, list[Candidate]]:
    """'In a world where…' over a 'where' clause of the opening passage, else over its first
    sentence that names nobody; a sentence about someone opens the trailer plainly."""
    opener = WORLD_OPENERS[0] if seed == 0 else choose(WORLD_OPENERS, "world", seed)
    for sentence in sentences(scene.text)[:3]:
        match = WHERE_CLAUSE.search(sentence)
        clause = ensure_period(match.group(1).strip()) if match else ""
        if match and is_complete(clause) and not _about_someone_unnamed(clause):
            return opener, [Candidate(match.group(1), (clause,))]
    aliases = [a for p in cast.people for a in p.aliases]
    for candidate in candidates:
        generic = [
            f
            for f in candidate.forms
            if f.split()[0].lower() in PLAIN_SUBJECTS
            and not _about_someone_unnamed(f)
            and not any(contains_word(f, a) for a in aliases)
        ]
        if generic and opener.words == "In a world where":
            return opener, [Candidate(candidate.sentence, tuple(generic))]
    return Opener(), candidates[:3]


PERSONAL_LEADS = {"he", "she", "they", "his", "her", "their", "him", "them"}


def _about_someone_unnamed(clause: str) -> bool:
    """'In a world where she wants more.': the first line has no one for 'she' to mean."""
    return lower_words(clause)[:1] in ([w] for w in PERSONAL_LEADS)


def content_for(candidates: list[Candidate], about: list[str] | None) -> list[Candidate]:
    """The scene's sentences from its most dramatic one (one about `about` when given)
    onwards."""
    if not candidates:
        return []
    pool = [c for c in candidates if about and any(contains_word(c.sentence, a) for a in about)]
    pool = pool or candidates
    key = max(pool, key=lambda c: (drama(c.sentence), -candidates.index(c)))
    return candidates[candidates.index(key) :]


def drama(sentence: str) -> float:
    tokens = lower_words(sentence)
    dramatic = sum(t in DRAMATIC_NOUNS or t.rstrip("s") in DRAMATIC_NOUNS for t in tokens)
    conflict = sum(t in VILLAIN_WORDS for t in tokens)
    return dramatic + 1.5 * conflict - 0.04 * max(0, len(tokens) - 22)


def shape_line(plan: LinePlan, act: str, position: int, story: Story) -> None:
    """The opener of a line, by act and position."""
    if act == "escalation" and position == 0:
        plan.opener = Opener(_turn_opener(story, plan.scene), ", ", pause=True)
    elif act == "escalation":
        plan.opener = FOLLOW_OPENERS[(position - 1) % len(FOLLOW_OPENERS)]
    elif act == "climax" and position == 0:
        plan.opener = Opener("Now", ", ", pause=True)


def _person_noun(person: Persona) -> str | None:
    if person.gender in ("female", "male"):
        return "woman" if person.gender == "female" else "man"
    return None


def _turn_opener(story: Story, scene: Scene) -> str:
    text = story.all_text.lower()
    season = next((s for s in SEASONS if count_phrase(text, s)), None)
    if season:
        return f"This {season}"
    return "But one night" if scene.time_of_day == "night" else "But then"


def _litany(story: Story) -> str | None:
    """'One storm. One light.' from the dramatic nouns of the story before its resolution."""
    text = story.all_text
    tokens = lower_words(text[: int(len(text) * 0.8)])
    counts = {n: tokens.count(n) for n in LITANY_NOUNS}
    nouns = [n for n in dict.fromkeys(t for t in tokens if t in LITANY_NOUNS) if counts[n] >= 2]
    if len(nouns) < 2:
        return None
    return " ".join(f"One {n}." for n in nouns[:3])


def capitalised(line: str) -> str:
    """'The Road Runner is running out of time.': a hero said with 'the' opens a line."""
    return line[:1].upper() + line[1:]


def echoes(tease: str, ending: str) -> bool:
    """A stock tease that shares two words with the story's resolution ('No one walks away
    unchanged' over '... then walks away smiling') sounds like a hint at how it ends."""
    words = {w for w in lower_words(tease) if len(w) > 2 and w not in FUNCTION_WORDS}
    return len(words & set(lower_words(ending))) >= 2


class Teases:
    """Short trailer fragments for lines that must not tell the story's outcome, never the
    same one twice: the hero's name where a template takes one."""

    def __init__(self, story: Story, cast: Cast, seed: int) -> None:
        hero = cast.protagonist
        name = hero.name if hero else None
        offset = stable_hash("teases", seed, story.all_text[:400]) % len(TEASES)
        ordered = TEASES[offset:] + TEASES[:offset]
        ending = story.all_text[int(len(story.all_text) * RESOLUTION_SHARE) :]
        self._lines = [
            capitalised(t.format(hero=name))
            for t in ordered
            if (name or "{hero}" not in t) and not echoes(t, ending)
        ]
        self._given = 0

    def next(self) -> str | None:
        if self._given >= len(self._lines):
            return None
        self._given += 1
        return self._lines[self._given - 1]

    def fresh(self, taken: set[str]) -> str | None:
        return next((t for t in self._lines if t.lower() not in taken), None)


# --------------------------------------------------------------------------- wording to a budget


def budgets_for(plans: list[LinePlan], target: int) -> list[int]:
    weights = [ACT_WEIGHTS[p.scene.act] for p in plans]
    total = sum(weights)
    return [max(MIN_LINE_WORDS, round(target * w / total)) for w in weights]


def balanced(plans: list[LinePlan], target: int) -> list[Spoken]:
    """Word each line to its budget, then rescale budgets until the total fits the target."""
    budgets = budgets_for(plans, target)
    spoken = [
        word_line(p, b, plans[:i]) for i, (p, b) in enumerate(zip(plans, budgets, strict=True))
    ]
    for _ in range(BALANCE_ROUNDS):
        total = sum(word_count(s.text) for s in spoken)
        if abs(total - target) <= BALANCE_TOLERANCE * target or total == 0:
            break
        scale = target / total
        budgets = [max(MIN_LINE_WORDS, round(b * scale)) for b in budgets]
        spoken = [
            word_line(p, b, plans[:i]) for i, (p, b) in enumerate(zip(plans, budgets, strict=True))
        ]
    return spoken


def word_line(plan: LinePlan, budget: int, earlier: list[LinePlan]) -> Spoken:
    opener = plan.opener
    closing = plan.closing or ""
    remaining = budget - word_count(opener.words) - word_count(closing)
    pieces = _pieces(plan, remaining, earlier)
    if plan.introduction and plan.lead and len(pieces) == 1 and not closing:
        # 'One woman, a serial killer.' says nothing of her: 'Catherine is a serial killer.'
        pieces, opener = [f"{plan.lead} is {plan.introduction}."], Opener()
    elif plan.introduction and plan.lead and plan.fixed and len(pieces) > 1 and not closing:
        pieces, opener = _introduction_with_verb(pieces, plan, opener)
    body = speakable(" ".join([*pieces, closing]).strip()) or closing or "Everything changes."
    if opener.words and not (opener.words.startswith("One ") or opens_with_clause(body)):
        opener = Opener()
    over_budget = word_count(opener.words) + word_count(body) > budget + OPENING_SLACK
    if over_budget and opener not in WORLD_OPENERS and not opener.words.startswith("One "):
        opener = Opener()
    if opener.words:
        body = lower_first(body, _proper_words(plan))
    text = f"{opener.words}{opener.joiner}{body}" if opener.words else body
    marked_body = emphasised(body, plan, named_before(plan, earlier))
    if opener.words:
        marked = (
            f"{opener.words}... {marked_body}"
            if opener.pause
            else f"{opener.words}{opener.joiner}{marked_body}"
        )
    else:
        marked = marked_body
    return Spoken(text=ensure_period(text), marked=ensure_period(marked))


def _introduction_with_verb(
    pieces: list[str], plan: LinePlan, opener: Opener
) -> tuple[list[str], Opener]:
    """'One woman, a young actress. She finds ...' has a sentence without a verb: the
    description takes the place of the pronoun that opens the next sentence ('One woman, a
    young actress, finds ...'), else it is said of the name ('Serap is a young actress.')."""
    first, second, *rest = pieces
    subject = PRONOUN_SUBJECT.match(second)
    if subject:
        return [f"{first.rstrip('.')}, {second[subject.end() :]}", *rest], opener
    return [f"{plan.lead} is {plan.introduction}.", second, *rest], Opener()


def _pieces(plan: LinePlan, budget: int, earlier: list[LinePlan]) -> list[str]:
    """The sentences of a line: fixed words and/or the opening sentence, then whole following
    sentences while the budget lasts. Sentences are only ever shortened to their complete
    forms; a line overruns its budget rather than break one."""
    pieces: list[str] = []
    if plan.fixed:
        pieces.append(_shortened_litany(ensure_period(plan.fixed), budget))
    content = [
        [without_appositives(form, plan.people, plan.places) for form in c.forms]
        for c in plan.content
    ]
    content = [[f for f in forms if is_complete(f)] or forms for forms in content]
    if content and not plan.closing:
        left = budget - sum(word_count(p) for p in pieces)
        if not plan.fixed or left >= MIN_LINE_WORDS + 2:
            index, piece = _opening_piece(content, max(MIN_LINE_WORDS, left))
            pieces.append(_named_once(piece, plan.content[index].sentence, plan, earlier))
            for forms in [] if plan.tight else content[index + 1 :]:
                left = budget - sum(word_count(p) for p in pieces)
                fitting = [f for f in forms if word_count(f) <= left]
                if left <= MIN_LINE_WORDS or not fitting:
                    break
                pieces.append(fitting[0])
    return [ensure_period(p) for p in pieces]


def _shortened_litany(text: str, budget: int) -> str:
    """'One storm. One ship. One night.' keeps two beats when the budget is short."""
    beats = text.split(". ")
    if len(beats) <= 2 or not all(b.startswith("One ") for b in beats):
        return text
    keep = max(2, min(len(beats), budget // 2))
    return ensure_period(". ".join(beats[:keep]))


def _named_once(piece: str, sentence: str, plan: LinePlan, earlier: list[LinePlan]) -> str:
    """A line that opens on 'She…' says who she is, the first time she is spoken of: the
    person of that gender named last before the sentence, else the scene's lead."""
    gender = leading_pronoun_gender(piece)
    if gender is None:
        return piece
    text = plan.scene.text
    at = text.find(sentence)
    before = plan.text_before + "\n" + (text[:at] if at >= 0 else text)  # borrowed: all of it
    person = antecedent(gender, before, plan.cast)
    lead = next((p for p in plan.cast if p.name == plan.lead), None)
    if person is None and lead is not None and lead.gender not in (gender, "unknown"):
        return piece  # 'he' is not the scene's lead when she is a woman
    name = person.name if person else plan.lead
    if name is None or any(p.lead == name for p in earlier):
        return piece
    return replace_leading_pronoun(piece, name)


def _opening_piece(content: list[list[str]], budget: int) -> tuple[int, str]:
    """The longest complete form within the budget, looking at the key sentence and the one
    after it first; failing that, the shortest form of any, whatever its length."""
    options = [(i, form) for i, forms in enumerate(content) for form in forms]
    near = [(i, f) for i, f in options if i < 2] + [(i, f) for i, f in options if i >= 2]
    for index, form in near:
        if word_count(form) <= budget + OPENING_SLACK:
            return index, form
    return min(options, key=lambda option: (word_count(option[1]), option[0]))


def named_before(plan: LinePlan, earlier: list[LinePlan]) -> bool:
    return plan.lead is not None and any(p.lead == plan.lead for p in earlier)


def _proper_words(plan: LinePlan) -> set[str]:
    """Words that keep their capital after an opener: names, places and a title before a
    name ('Engineer Ada Okafor')."""
    proper = set(plan.people | plan.places)
    for candidate in plan.content:
        tokens = candidate.sentence.split()
        proper |= {w for w in (t.strip(".,;:!?") for t in tokens[1:]) if w[:1].isupper()}
        if len(tokens) > 1 and tokens[0].lower().rstrip(".") in HONORIFICS:
            proper.add(tokens[0].rstrip("."))
        elif (
            len(tokens) > 1
            and tokens[0][:1].isupper()
            and tokens[1][:1].isupper()
            and tokens[0].lower() not in FUNCTION_WORDS
        ):
            proper.add(tokens[0])  # the first name of a full name ('Mickey Rooney is…')
    if plan.lead:
        proper |= {w for w in plan.lead.split() if w[:1].isupper()}  # not 'the boy'
    return proper - {"The", "A", "An"}  # 'of The Exorcist' keeps no article capitalised


def emphasised(text: str, plan: LinePlan, named: bool) -> str:
    """*Stress* a name on its first telling, else the last dramatic noun, else (in the
    climax) the last word."""
    targets = [plan.lead] if plan.lead and not named and plan.lead in text else []
    targets += [w for w in reversed(re.findall(r"[A-Za-z']+", text)) if w.lower() in DRAMATIC_NOUNS]
    if not targets and plan.scene.act == "climax":
        targets = re.findall(r"[A-Za-z']+", text)[-1:]
    if not targets:
        return text
    target = targets[0]
    return re.sub(rf"(?<![A-Za-z*]){re.escape(target)}(?![A-Za-z*])", f"*{target}*", text, count=1)


def distinct(
    spoken: list[Spoken], plans: list[LinePlan], story: Story, cast: Cast, seed: int
) -> list[Spoken]:
    """No line said twice, openers aside: a repeat becomes a tease nobody has heard yet."""
    teases = Teases(story, cast, seed)
    keys = [_said(words.text, plan) for words, plan in zip(spoken, plans, strict=True)]
    taken: set[str] = set()
    result: list[Spoken] = []
    for words, plan, key in zip(spoken, plans, keys, strict=True):
        if key in taken or any(_retold(key, earlier) for earlier in taken):
            tease = teases.fresh(taken | set(keys))
            if tease is not None:
                closing = f" {plan.closing}" if plan.closing else ""
                words = Spoken(text=tease + closing, marked=tease + closing)
                key = tease.lower()
        taken.add(key)
        result.append(words)
    return result


def _retold(line: str, earlier: str) -> bool:
    """Whether most of a line's content words were already said in an earlier line."""
    words = {w for w in lower_words(line) if len(w) > 3}
    before = {w for w in lower_words(earlier) if len(w) > 3}
    return len(words) >= 3 and len(words & before) >= RETOLD_SHARE * len(words)


def _said(text: str, plan: LinePlan) -> str:
    opener = plan.opener.words
    if opener and text.startswith(opener):
        text = text[len(opener) :].lstrip(" ,")
    return text.lower()


# --------------------------------------------------------------------------- assembly


def assemble(plans: list[LinePlan], spoken: list[Spoken], title: str) -> list[NarrationLine]:
    lines: list[NarrationLine] = []
    for plan, words in zip(plans, spoken, strict=True):
        if plan.scene.act == "tag" and not any(line.card for line in lines):
            lines.append(_title_line(len(lines), title))
        lines.append(
            NarrationLine(
                index=len(lines),
                act=plan.scene.act,
                scene=plan.scene.index,
                text=words.text,
                marked=words.marked,
                pause_after=pause_for(words.text),
            )
        )
    if not any(line.card for line in lines):
        lines.append(_title_line(len(lines), title))
    return with_act_breaks(lines)


def _title_line(index: int, title: str) -> NarrationLine:
    return NarrationLine(
        index=index,
        act="title",
        card="title",
        text=title,
        marked=f"*{title}*",
        pause_after=ACT_BREAK_PAUSE,
    )


def pause_for(text: str) -> float:
    """0.3 s after a short line, up to 0.8 s after a long one."""
    return round(min(0.8, 0.3 + 0.03 * word_count(text)), 2)


def with_act_breaks(lines: list[NarrationLine]) -> list[NarrationLine]:
    result: list[NarrationLine] = []
    for n, line in enumerate(lines):
        following = lines[n + 1] if n + 1 < len(lines) else None
        if following is None:
            line = line.model_copy(update={"pause_after": FINAL_PAUSE})
        elif following.act != line.act:
            line = line.model_copy(update={"pause_after": ACT_BREAK_PAUSE})
        result.append(line)
    return result
