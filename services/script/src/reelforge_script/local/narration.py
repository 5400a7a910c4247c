"""Pass 4: the voiceover, in trailer grammar, built from the story's own sentences.

One line per scene. Each line is an opener chosen by act and position ("In a world
where…", "One woman…", "This winter…", "Now…") joined to content drawn from the scene's
passage: its most dramatic sentence, then what follows it, cut to the line's word budget.
Climax lines are short fragments; the title drop sits between the climax and the tag; the
last tag line ends on the tagline. Budgets are rebalanced until the whole narration fits the
target word count, so the spoken trailer fits the requested duration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import cycle, pairwise
from typing import Any

from reelforge.models import ActName, Character, Narration, NarrationLine, Scene, StoryPatterns

from reelforge_script.contexts import ACT_BREAK_PAUSE, narration_word_target
from reelforge_script.local.entities import Cast, Persona, analyse_cast, antecedent
from reelforge_script.local.lexicons import (
    DRAMATIC_NOUNS,
    HONORIFICS,
    LITANY_NOUNS,
    SEASONS,
    VILLAIN_WORDS,
)
from reelforge_script.local.phrasing import (
    fit_naturally,
    fit_words,
    leading_pronoun_gender,
    lower_first,
    main_clause,
    noun_phrases,
    replace_leading_pronoun,
    variants,
    without_appositives,
    without_lead_in,
)
from reelforge_script.local.story import Story, story_from_context
from reelforge_script.local.text import (
    choose,
    clauses,
    contains_word,
    count_phrase,
    ensure_period,
    lower_words,
    sentence_case,
    sentences,
    word_count,
)
from reelforge_script.speakable import speakable


@dataclass(frozen=True)
class Opener:
    words: str = ""
    joiner: str = " "
    pause: bool = False
    """Whether the narrator holds a beat after it ('In a world where...')."""


ACT_WEIGHTS: dict[ActName, float] = {"setup": 1.15, "escalation": 1.0, "climax": 0.6, "tag": 0.9}
MIN_LINE_WORDS = 3
OPENING_SLACK = 3
"""A line's first sentence may overrun its budget by this much rather than be cut; the
balancing pass takes the difference out of the other lines."""
BALANCE_ROUNDS = 4
BALANCE_TOLERANCE = 0.06
FINAL_PAUSE = 0.5
WORLD_OPENERS = (
    Opener("In a world where", " ", pause=True),
    Opener("Out here", ", ", pause=True),
    Opener("At the edge of the world", ", ", pause=True),
)
FOLLOW_OPENERS = (Opener("And"), Opener(), Opener("But"), Opener(), Opener("Soon"))
WHERE_CLAUSE = re.compile(r"\bwhere\s+([^,;.!?]{8,})")

NOUN_TAGLINES = {
    "light": "Keep the light burning.",
    "lamp": "Keep the light burning.",
    "beacon": "Keep the light burning.",
    "storm": "Survive the storm.",
    "night": "Survive the night.",
    "sea": "The sea takes everything.",
    "signal": "Answer the signal.",
    "truth": "The truth will surface.",
    "fire": "Walk through the fire.",
    "winter": "Outlast the winter.",
    "secret": "Every secret has a keeper.",
    "war": "No one comes home the same.",
    "darkness": "Face the dark.",
    "tide": "The tide always turns.",
}
THEME_TAGLINES = {
    "sacrifice": "Some things are worth burning for.",
    "duty": "Hold on until morning.",
    "family": "Some bonds never break.",
    "survival": "Only the stubborn survive.",
    "grief": "What the dark takes, it keeps.",
    "hope": "Hope is the last light.",
    "truth": "The truth will surface.",
    "greed": "Everything has a price.",
    "isolation": "Alone against everything.",
    "love": "Love is the last light.",
    "power": "Power always has a price.",
    "revenge": "Every debt is paid.",
    "faith": "Believe in something.",
    "freedom": "Break free.",
    "identity": "Become who you are.",
    "redemption": "Everyone deserves a second chance.",
}


@dataclass
class LinePlan:
    """What a scene's line will say, before it is cut to a budget."""

    scene: Scene
    opener: Opener = Opener()
    lead: str | None = None
    content: list[str] = field(default_factory=list)
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


@dataclass
class Spoken:
    text: str
    marked: str


def write_narration(context: dict[str, Any]) -> Narration:
    story = story_from_context(context)
    cast = analyse_cast(story)
    patterns = StoryPatterns.model_validate(context["patterns"])
    scenes = [Scene.model_validate(s) for s in context["scenes"]]
    characters = [Character.model_validate(c) for c in context["characters"]]
    seed = int(context.get("seed", 0))
    noun = story_noun(story)
    title = title_of(context, story, noun)
    tagline = tagline_of(patterns, noun, seed)
    plans = plan_lines(scenes, story, cast, characters, tagline, seed)
    target = int(
        context.get("target_words")
        or narration_word_target(float(context.get("duration", 60.0)), len(scenes))
    )
    spoken = balanced(plans, target)
    return Narration(title=title, tagline=tagline, lines=assemble(plans, spoken, title))


# --------------------------------------------------------------------------- title and tagline


def story_noun(story: Story) -> str:
    """The dramatic noun the story leans on most ('light', 'storm', 'signal')."""
    text = story.all_text.lower()
    counts = {n: count_phrase(text, n) + count_phrase(text, n + "s") for n in DRAMATIC_NOUNS}
    return max(DRAMATIC_NOUNS, key=lambda n: (counts[n], -DRAMATIC_NOUNS.index(n)))


def title_of(context: dict[str, Any], story: Story, noun: str) -> str:
    chosen = context.get("requested_title") or context.get("document_title") or story.title
    return speakable(chosen) if chosen and speakable(chosen) else f"The {noun.title()}"


def tagline_of(patterns: StoryPatterns, noun: str, seed: int) -> str:
    options = [NOUN_TAGLINES[noun]] if noun in NOUN_TAGLINES else []
    options += [THEME_TAGLINES[t] for t in patterns.themes if t in THEME_TAGLINES]
    options = list(dict.fromkeys(options)) or ["Nothing will ever be the same."]
    return options[0] if seed == 0 else choose(options, "tagline", seed)


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
    phrases = noun_phrases(story.all_text)
    fragments = cycle(phrases) if phrases else iter(())
    text_before = {s.index: p.text for p, s in pairwise(scenes)}
    plans: list[LinePlan] = []
    for act in ("setup", "escalation", "climax", "tag"):
        act_scenes = [s for s in scenes if s.act == act]
        for position, scene in enumerate(act_scenes):
            plan = LinePlan(
                scene=scene,
                lead=_lead_of(scene, people),
                tight=act == "climax",
                people=person_words,
                places=place_words,
                cast=cast.people,
                text_before=text_before.get(scene.index, ""),
            )
            if act == "setup" and position == 0:
                plan.opener = (
                    WORLD_OPENERS[0] if seed == 0 else choose(WORLD_OPENERS, "world", seed)
                )
                plan.content = world_content(scene, used, cast)
            elif (
                act == "setup"
                and hero
                and hero_id in scene.characters
                and not _introduced(plans, hero)
            ):
                introduce(plan, hero, used)
            else:
                plan.content = content_for(scene, used)
                shape_line(plan, act, position, len(act_scenes), story, seed)
            if not plan.content and plan.fixed is None:
                fragment = next(fragments, None)
                plan.fixed = (
                    sentence_case(fragment) if fragment else _litany(scene) or scene.summary
                )
            if act == "tag" and position == len(act_scenes) - 1:
                plan.closing = tagline
            plans.append(plan)
    return plans


def _lead_of(scene: Scene, people: dict[str, Persona | None]) -> str | None:
    present = [people.get(cid) for cid in scene.characters]
    return next((p.name for p in present if p is not None), None)


def _introduced(plans: list[LinePlan], hero: Persona) -> bool:
    return any(p.opener.words.startswith("One ") and p.lead == hero.name for p in plans)


def introduce(plan: LinePlan, hero: Persona, used: set[str]) -> None:
    """'One woman... the last keeper of the light.' then what the scene says about her."""
    plan.opener = Opener(f"One {_person_noun(hero)}", ", ", pause=True)
    plan.lead = hero.name
    plan.fixed = hero.appositive
    plan.content = content_for(plan.scene, used, about=hero.aliases)


def world_content(scene: Scene, used: set[str], cast: Cast) -> list[str]:
    """For 'In a world where…': a 'where' clause of the opening passage, else its first
    sentence that names nobody, else its first sentence."""
    candidates = sentences(scene.text)
    if not candidates:
        return []
    for sentence in candidates:
        match = WHERE_CLAUSE.search(sentence)
        if match and len(match.group(1).split()) >= 3:
            used.add(sentence)
            return [ensure_period(match.group(1).strip())]
    aliases = [a for p in cast.people for a in p.aliases]
    anonymous = [s for s in candidates if not any(contains_word(s, a) for a in aliases)]
    chosen = (anonymous or candidates)[0]
    used.add(chosen)
    return [chosen]


def content_for(scene: Scene, used: set[str], about: list[str] | None = None) -> list[str]:
    """The scene's unused sentences from its most dramatic one (one about `about` when
    given) onwards; when every sentence is spoken for, its unused clauses."""
    candidates = [s for s in sentences(scene.text) if s not in used]
    if not candidates:
        candidates = [c for s in sentences(scene.text) for c in clauses(s) if c not in used]
    if not candidates:
        return []
    pool = [s for s in candidates if about and any(contains_word(s, a) for a in about)]
    pool = pool or candidates
    key = max(pool, key=lambda s: (drama(s), -candidates.index(s)))
    used.add(key)
    return candidates[candidates.index(key) :]


def drama(sentence: str) -> float:
    tokens = lower_words(sentence)
    dramatic = sum(t in DRAMATIC_NOUNS or t.rstrip("s") in DRAMATIC_NOUNS for t in tokens)
    conflict = sum(t in VILLAIN_WORDS for t in tokens)
    return dramatic + 1.5 * conflict - 0.04 * max(0, len(tokens) - 22)


def shape_line(
    plan: LinePlan, act: str, position: int, act_length: int, story: Story, seed: int
) -> None:
    """The opener (and any fixed words) of a line, by act and position."""
    if act == "escalation" and position == 0:
        plan.opener = Opener(_turn_opener(story, plan.scene), ", ", pause=True)
    elif act == "escalation":
        plan.opener = FOLLOW_OPENERS[(position - 1 + seed) % len(FOLLOW_OPENERS)]
    elif act == "climax" and position == 0:
        plan.opener = Opener("Now", ", ", pause=True)
    elif act == "climax" and position == act_length - 1 and act_length >= 2:
        plan.fixed = _litany(plan.scene)


def _person_noun(person: Persona) -> str:
    if person.gender in ("female", "male"):
        return "woman" if person.gender == "female" else "man"
    if person.appositive:
        head = re.split(r"\s+(?:of|from|who|with|in|on|at)\s+", person.appositive)[0].split()
        if head:
            return head[-1]
    return "soul"


def _turn_opener(story: Story, scene: Scene) -> str:
    text = story.all_text.lower()
    season = next((s for s in SEASONS if count_phrase(text, s)), None)
    if season:
        return f"This {season}"
    return "But one night" if scene.time_of_day == "night" else "But then"


def _litany(scene: Scene) -> str | None:
    """'One storm. One light.' from the dramatic nouns of the scene, in order of appearance."""
    tokens = lower_words(scene.text)
    nouns = list(dict.fromkeys(t for t in tokens if t in LITANY_NOUNS))[:3]
    if len(nouns) < 2:
        return None
    return " ".join(f"One {n}." for n in nouns)


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
    body = speakable(" ".join([*pieces, closing]).strip() or plan.scene.summary)
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


def _pieces(plan: LinePlan, budget: int, earlier: list[LinePlan]) -> list[str]:
    """The sentences of a line: fixed words or the opening piece, then whole following
    sentences (or their natural cuts) while the budget lasts."""
    content = [without_appositives(s, plan.people, plan.places) for s in plan.content]
    pieces: list[str] = []
    following: list[str] = []
    opening = 0
    if plan.fixed:
        size = max(MIN_LINE_WORDS, budget)
        pieces.append(fit_naturally(plan.fixed, size) or fit_words(plan.fixed, size))
        following = [] if plan.tight else content
    elif content and not (plan.closing and budget < MIN_LINE_WORDS):
        opening, piece = _opening_piece(content, max(MIN_LINE_WORDS, budget), plan.tight)
        pieces.append(piece)
        following = content[opening + 1 :]
    for sentence in following:
        left = budget - sum(word_count(p) for p in pieces)
        if left <= MIN_LINE_WORDS:
            break
        piece = fit_naturally(sentence, left) or fit_naturally(main_clause(sentence), left)
        if piece is None:
            break
        pieces.append(piece)
    if pieces and not plan.fixed and plan.content:
        pieces[0] = _named_once(pieces[0], plan.content[opening], plan, earlier)
    return [ensure_period(p) for p in pieces]


def _named_once(piece: str, sentence: str, plan: LinePlan, earlier: list[LinePlan]) -> str:
    """A line that opens on 'She…' says who she is, the first time she is spoken of: the
    person of that gender named last before the sentence, else the scene's lead."""
    gender = leading_pronoun_gender(piece)
    if gender is None:
        return piece
    text = plan.scene.text
    before = plan.text_before + "\n" + text[: max(0, text.find(sentence))]
    person = antecedent(gender, before, plan.cast)
    name = person.name if person else plan.lead
    if name is None or any(p.lead == name for p in earlier):
        return piece
    return replace_leading_pronoun(piece, name)


def _opening_piece(content: list[str], budget: int, tight: bool) -> tuple[int, str]:
    """The first way of saying a sentence whole within the budget, looking at the key
    sentence and the one after it first; failing that, the key sentence's shortest form cut
    at its most natural point."""
    options = [(i, o) for i, sentence in enumerate(content) for o in variants(sentence)]
    if tight:
        options = [(i, without_lead_in(o)) for i, o in options]
    near = [(i, o) for i, o in options if i < 2] + [(i, o) for i, o in options if i >= 2]
    for index, option in near:
        if word_count(option) <= budget + OPENING_SLACK:
            return index, option
    shortest = min((o for i, o in options if i == 0), key=word_count, default=content[0])
    return 0, fit_naturally(shortest, budget) or fit_words(shortest, budget)


def named_before(plan: LinePlan, earlier: list[LinePlan]) -> bool:
    return plan.lead is not None and any(p.lead == plan.lead for p in earlier)


def _proper_words(plan: LinePlan) -> set[str]:
    """Words that keep their capital after an opener: names, places and a title before a
    name ('Engineer Ada Okafor')."""
    proper = set(plan.people | plan.places)
    for sentence in plan.content:
        tokens = sentence.split()
        proper |= {w for w in (t.strip(".,;:!?") for t in tokens[1:]) if w[:1].isupper()}
        if len(tokens) > 1 and tokens[0].lower() in HONORIFICS:
            proper.add(tokens[0])
    if plan.lead:
        proper |= set(plan.lead.split())
    return proper


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
