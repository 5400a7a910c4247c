"""From what an LLM answered to consistent domain models.

The answer schemas (`answers.py`) already rule out most broken states for a server that
enforces them; a server in plain JSON mode, or a small model, can still number things oddly,
name ids that do not exist, write too many or too few items or leave text blank. Each
`*_from` function here repairs that (renumbers, dedupes, drops dangling references, pads or
merges, fills blanks from what the earlier passes know), notes every repair in `Repairs`,
and raises `ScriptError` only when an answer leaves nothing to work with, naming the pass
and what was missing. The `check_*` functions state the invariants the stage guarantees.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol, TypeVar

from reelforge.models import (
    Act,
    ActName,
    ActPlan,
    Character,
    Location,
    NarrationLine,
    Scene,
    SceneList,
    Score,
    StoryPatterns,
    VisualBible,
)

from reelforge_script.answers import (
    ActPlanAnswer,
    EntryAnswer,
    NarrationAnswer,
    SceneAnswer,
    SceneListAnswer,
    ScoreAnswer,
    StoryPatternsAnswer,
    VisualBibleAnswer,
)

SCENE_ACT_ORDER: tuple[ActName, ...] = ("setup", "escalation", "climax", "tag")
PLAN_ORDER: tuple[ActName, ...] = ("setup", "escalation", "climax", "title", "tag")
FALLBACK_STYLE = "cinematic film still, natural light"
MAX_PAUSE = 5.0
SUMMARY_WORDS = 30
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"[\w']+")
PAUSES = re.compile(r"\.\.\.|\u2026")


class ScriptError(ValueError):
    """An LLM answer cannot be used, even after repairs."""


@dataclass
class Repairs:
    """What normalisation changed, pass by pass: logged, so a weak model shows up."""

    notes: list[str] = field(default_factory=list)

    def note(self, task: str, what: str) -> None:
        self.notes.append(f"{task}: {what}")


def _duplicates(values: Iterable[object]) -> list[object]:
    return [value for value, count in Counter(values).items() if count > 1]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _sentences(text: str) -> list[str]:
    return SENTENCE_END.split(_clean(text))


def _first_sentence(text: str) -> str:
    sentence = _sentences(text)[0]
    words = sentence.split()
    return " ".join(words[:SUMMARY_WORDS]) if words else ""


# --------------------------------------------------------------------------- patterns


def patterns_from(answer: StoryPatternsAnswer, repairs: Repairs) -> StoryPatterns:
    genres = _scores(answer.genres, "genres", repairs)
    tones = _scores(answer.tones, "tones", repairs)
    logline = _clean(answer.logline)
    themes = list(dict.fromkeys(t for t in (_clean(t) for t in answer.themes) if t))
    return StoryPatterns(genres=genres, tones=tones, themes=themes,
                         structure=_clean(answer.structure) or "three-act", logline=logline)


def _scores(answers: Sequence[ScoreAnswer], kind: str, repairs: Repairs) -> list[Score]:
    best: dict[str, float] = {}
    for item in answers:
        label = _clean(item.label).lower()
        if label:
            best[label] = max(0.0, item.score, best.get(label, 0.0))
    if len(best) != len(answers):
        repairs.note("patterns", f"dropped {len(answers) - len(best)} blank or repeated {kind}")
    if not best:
        raise ScriptError(f"patterns: the answer names no {kind} (every label is blank)")
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [Score(label=label, score=score) for label, score in ranked]


# --------------------------------------------------------------------------- scenes


def scene_list_from(answer: SceneListAnswer, scene_range: tuple[int, int],
                    repairs: Repairs) -> SceneList:
    """Scenes numbered by position, every reference resolvable, the count within range."""
    characters = _characters(answer, repairs)
    locations = _locations(answer, repairs)
    drafts = [scene for scene in (_scene(s, n, repairs) for n, s in enumerate(answer.scenes))
              if scene is not None]
    if not drafts:
        raise ScriptError("scenes: the answer has no usable scene (each needs a summary or "
                          "a passage of the story)")
    drafts = _fit_count(drafts, scene_range, repairs)
    resolver = _References(characters, locations, repairs)
    scenes = [resolver.scene(draft, index) for index, draft in enumerate(drafts)]
    return SceneList(characters=characters, locations=resolver.locations, scenes=scenes)


class _Named(Protocol):
    id: str
    name: str


T = TypeVar("T", bound=_Named)


def _characters(answer: SceneListAnswer, repairs: Repairs) -> list[Character]:
    return [Character(id=key, name=name, mentions=max(0, item.mentions), role=item.role,
                      description=_clean(item.description))
            for key, name, item in _unique_ids(answer.characters, "character", repairs)]


def _locations(answer: SceneListAnswer, repairs: Repairs) -> list[Location]:
    return [Location(id=key, name=name, kind=item.kind, description=_clean(item.description))
            for key, name, item in _unique_ids(answer.locations, "location", repairs)]


def _unique_ids(items: Sequence[T], what: str, repairs: Repairs) -> list[tuple[str, str, T]]:
    """(id, name, item) for each entry with an id (or a name to make one from); a repeated
    id keeps its first entry."""
    kept: dict[str, tuple[str, str, T]] = {}
    for item in items:
        name = _clean(item.name) or _clean(item.id)
        key = _clean(item.id) or _slug(name)
        if not key:
            repairs.note("scenes", f"dropped a {what} with neither id nor name")
        elif key in kept:
            repairs.note("scenes", f"dropped a second {what} with id {key!r}")
        else:
            kept[key] = (key, name, item)
    return list(kept.values())


def _scene(answer: SceneAnswer, position: int, repairs: Repairs) -> SceneAnswer | None:
    summary = _clean(answer.summary)
    if not summary:
        summary = _first_sentence(answer.text)
        if not summary:
            repairs.note("scenes", f"dropped scene {position}: no summary and no passage")
            return None
        repairs.note("scenes", f"scene {position} had a blank summary: took its passage")
    return answer.model_copy(update={"summary": summary, "text": answer.text.strip(),
                                     "mood": _clean(answer.mood) or "tense"})


def _fit_count(scenes: list[SceneAnswer], scene_range: tuple[int, int],
               repairs: Repairs) -> list[SceneAnswer]:
    low, high = scene_range
    if len(scenes) > high:
        repairs.note("scenes", f"merged {len(scenes)} scenes into {high}")
        return _merged(scenes, high)
    if len(scenes) < low:
        padded = _padded(scenes, low)
        repairs.note("scenes", f"split {len(scenes)} scenes into {len(padded)}")
        return padded
    return scenes


def _merged(scenes: list[SceneAnswer], count: int) -> list[SceneAnswer]:
    """`count` scenes, each the union of a run of neighbours (the first one's place and
    time; every character; the summaries and passages joined)."""
    bounds = [round(i * len(scenes) / count) for i in range(count + 1)]
    merged = []
    for start, end in pairwise(bounds):
        run = scenes[start:end]
        merged.append(run[0].model_copy(update={
            "summary": " ".join(s.summary for s in run),
            "text": " ".join(s.text for s in run if s.text),
            "characters": list(dict.fromkeys(c for s in run for c in s.characters)),
        }))
    return merged


def _padded(scenes: list[SceneAnswer], count: int) -> list[SceneAnswer]:
    """At least `count` scenes: the scene with the longest passage is split into two beats
    at a sentence boundary, until the count is reached or no passage splits any more."""
    scenes = list(scenes)
    while len(scenes) < count:
        splittable = [i for i, s in enumerate(scenes) if len(_sentences(s.text)) > 1]
        if not splittable:
            break
        at = max(splittable, key=lambda i: len(scenes[i].text))
        sentences = _sentences(scenes[at].text)
        half = len(sentences) // 2
        first, second = " ".join(sentences[:half]), " ".join(sentences[half:])
        later = scenes[at].model_copy(update={"summary": _first_sentence(second), "text": second})
        scenes[at:at + 1] = [scenes[at].model_copy(update={"text": first}), later]
    return scenes


class _References:
    """Resolves a scene's character and location references against the lists given."""

    def __init__(self, characters: list[Character], locations: list[Location],
                 repairs: Repairs) -> None:
        self.repairs = repairs
        self.characters = {c.id: c.id for c in characters}
        self.characters.update({_slug(c.name): c.id for c in characters if _slug(c.name)})
        self.characters.update({_slug(c.id): c.id for c in characters if _slug(c.id)})
        self.locations = list(locations)
        self.previous: str | None = None

    def _location_ids(self) -> dict[str, str]:
        ids = {_slug(loc.name): loc.id for loc in self.locations if _slug(loc.name)}
        ids.update({_slug(loc.id): loc.id for loc in self.locations if _slug(loc.id)})
        ids.update({loc.id: loc.id for loc in self.locations})
        return ids

    def scene(self, draft: SceneAnswer, index: int) -> Scene:
        return Scene(index=index, summary=draft.summary, text=draft.text,
                     characters=self._cast(draft.characters, index),
                     location=self._place(_clean(draft.location), index),
                     time_of_day=draft.time_of_day, mood=draft.mood, framing=draft.framing)

    def _cast(self, references: list[str], index: int) -> list[str]:
        cast: list[str] = []
        for reference in references:
            known = self.characters.get(_clean(reference)) or self.characters.get(
                _slug(reference))
            if known is None:
                self.repairs.note("scenes", f"scene {index}: dropped unknown character "
                                  f"{reference!r}")
            elif known not in cast:
                cast.append(known)
        return cast

    def _place(self, reference: str, index: int) -> str:
        ids = self._location_ids()
        known = ids.get(reference) or ids.get(_slug(reference))
        if known is None:
            known = self.previous or (self.locations[0].id if self.locations else None)
            if known is None:
                known = _slug(reference) or "setting"
                self.locations.append(Location(id=known, name=reference or "the setting"))
            self.repairs.note("scenes", f"scene {index}: unknown location {reference!r}, "
                              f"set in {known!r}")
        self.previous = known
        return known


# --------------------------------------------------------------------------- acts


def act_plan_from(answer: ActPlanAnswer, scene_count: int, repairs: Repairs) -> ActPlan:
    """Every scene in exactly one act, acts in trailer order, the title act a card.

    Each scene takes the first act that lists it; an unlisted scene takes its predecessor's
    act. If the acts then run out of order, they are re-dealt in order keeping each act's
    number of scenes (the model's proportions, not its ordering mistakes)."""
    claimed: dict[int, int] = {}
    for act in answer.acts:
        rank = SCENE_ACT_ORDER.index(act.name)
        for index in act.scenes:
            if not 0 <= index < scene_count:
                repairs.note("acts", f"{act.name} lists scene {index}, which does not exist")
            elif index in claimed:
                repairs.note("acts", f"scene {index} listed twice, kept in "
                             f"{SCENE_ACT_ORDER[claimed[index]]}")
            else:
                claimed[index] = rank
    if not claimed:
        raise ScriptError(f"acts: the answer puts none of the {scene_count} scenes in an act")
    ranks: list[int] = []
    for index in range(scene_count):
        if index in claimed:
            ranks.append(claimed[index])
        else:
            ranks.append(ranks[-1] if ranks else min(claimed.values()))
    if missing := scene_count - len(claimed):
        repairs.note("acts", f"{missing} scenes belonged to no act: each joined its neighbour's")
    if ranks != sorted(ranks):
        repairs.note("acts", "acts ran out of order: re-dealt in order")
        ranks.sort()
    names = [SCENE_ACT_ORDER[rank] for rank in ranks]
    return ActPlan(acts=[
        Act(name=name, scenes=[i for i, act in enumerate(names) if act == name])
        for name in PLAN_ORDER
    ])


def scene_acts(plan: ActPlan) -> dict[int, ActName]:
    return {index: act.name for act in plan.acts for index in act.scenes}


def apply_acts(scenes: list[Scene], act_of: dict[int, ActName]) -> list[Scene]:
    return [scene.model_copy(update={"act": act_of[scene.index]}) for scene in scenes]


# --------------------------------------------------------------------------- narration


def narration_from(answer: NarrationAnswer, scenes: list[Scene], fallback_title: str | None,
                   repairs: Repairs) -> tuple[str, str, list[NarrationLine]]:
    """(title, tagline, lines): one line per scene in scene order, the title drop after the
    last line before the tag. Several lines for one scene are joined; a scene without words
    speaks its summary."""
    title = _clean(answer.title) or _clean(fallback_title or "") or _clean(answer.title_drop.text)
    if not title:
        raise ScriptError("narration: the answer has no title and the document names none")
    spoken = _lines_by_scene(answer, len(scenes), repairs)
    if not any(spoken.values()):
        raise ScriptError(f"narration: none of the {len(scenes)} scene lines has any words")
    lines: list[NarrationLine] = []
    for scene in scenes:
        text, marked, pause = spoken.get(scene.index) or _from_summary(scene, repairs)
        lines.append(NarrationLine(index=0, act=scene.act, scene=scene.index, text=text,
                                   marked=marked, pause_after=pause))
    drop_text = _clean(answer.title_drop.text)
    if not drop_text:
        repairs.note("narration", "the title drop was blank: it speaks the title")
        drop_text = title
    drop = NarrationLine(index=0, act="title", card="title", text=drop_text,
                         marked=_marked(drop_text, answer.title_drop.marked),
                         pause_after=_pause(answer.title_drop.pause_after))
    at = next((i for i, line in enumerate(lines) if line.act == "tag"), len(lines))
    lines.insert(at, drop)
    tagline = _clean(answer.tagline)
    if not tagline:
        repairs.note("narration", "the tagline was blank: it repeats the title")
        tagline = title
    return title, tagline, [line.model_copy(update={"index": i}) for i, line in enumerate(lines)]


def _lines_by_scene(answer: NarrationAnswer, scene_count: int,
                    repairs: Repairs) -> dict[int, tuple[str, str, float]]:
    spoken: dict[int, tuple[str, str, float]] = {}
    order: list[int] = []
    for line in answer.lines:
        text = _clean(line.text)
        if not 0 <= line.scene < scene_count:
            repairs.note("narration", f"dropped a line for scene {line.scene}, which does not "
                         "exist")
            continue
        order.append(line.scene)
        if not text:
            repairs.note("narration", f"scene {line.scene}: dropped a blank line")
            continue
        marked = _marked(text, line.marked)
        if line.scene in spoken:
            repairs.note("narration", f"scene {line.scene}: joined two lines")
            before, before_marked, _ = spoken[line.scene]
            text, marked = f"{before} {text}", f"{before_marked} {marked}"
        spoken[line.scene] = (text, marked, _pause(line.pause_after))
    if order != sorted(order):
        repairs.note("narration", "lines ran out of scene order: put back in order")
    return spoken


def _from_summary(scene: Scene, repairs: Repairs) -> tuple[str, str, float]:
    repairs.note("narration", f"scene {scene.index} had no words: it speaks the summary")
    return scene.summary, scene.summary, 0.5


def _marked(text: str, marked: str) -> str:
    """The marked-up line, unless its words are not the spoken words (then the text)."""
    marked = _clean(marked)
    unmarked = PAUSES.sub(" ", marked.replace("*", "")).lower()
    return marked if marked and WORD.findall(unmarked) == WORD.findall(text.lower()) else text


def _pause(seconds: float) -> float:
    return min(MAX_PAUSE, max(0.0, seconds))


# --------------------------------------------------------------------------- bible


def bible_from(answer: VisualBibleAnswer, scene_list: SceneList,
               repairs: Repairs) -> VisualBible:
    """Entries keyed by the ids the scenes use; a missing one describes the character or
    place from the scenes pass."""
    style = _clean(answer.style)
    if not style:
        repairs.note("bible", "blank style: a neutral film style")
        style = FALLBACK_STYLE
    characters = _entries(answer.characters, {c.id: _described(c.name, c.description)
                                              for c in scene_list.characters},
                          "character", repairs)
    locations = _entries(answer.locations, {loc.id: _described(loc.name, loc.description)
                                            for loc in scene_list.locations},
                         "location", repairs)
    return VisualBible(style=style, characters=characters, locations=locations)


def _described(name: str, description: str) -> str:
    return f"{name}, {description}" if description else name


def _entries(answers: Sequence[EntryAnswer], known: dict[str, str], kind: str,
             repairs: Repairs) -> dict[str, str]:
    entries: dict[str, str] = {}
    for item in answers:
        key, text = _clean(item.id), _clean(item.description)
        if key not in known:
            repairs.note("bible", f"dropped an entry for unknown {kind} {key!r}")
        elif key in entries or not text:
            repairs.note("bible", f"dropped a repeated or blank entry for {kind} {key!r}")
        else:
            entries[key] = text
    for key, fallback in known.items():
        if key not in entries:
            repairs.note("bible", f"{kind} {key!r} had no entry: described from the scenes")
            entries[key] = fallback
    return {key: entries[key] for key in known}


# --------------------------------------------------------------------------- invariants


def check_scene_list(scene_list: SceneList) -> None:
    """Ids unique, scenes indexed 0..n-1 in order, every reference resolvable."""
    character_ids = [c.id for c in scene_list.characters]
    location_ids = [loc.id for loc in scene_list.locations]
    if dupes := _duplicates(character_ids) + _duplicates(location_ids):
        raise ScriptError(f"scenes: duplicate ids {dupes}")
    indexes = [scene.index for scene in scene_list.scenes]
    if not indexes or indexes != list(range(len(indexes))):
        raise ScriptError(f"scenes: indexes must run 0..{len(indexes) - 1} in order, got {indexes}")
    for scene in scene_list.scenes:
        if scene.location not in location_ids:
            raise ScriptError(f"scene {scene.index}: unknown location {scene.location!r}")
        if unknown := [c for c in scene.characters if c not in character_ids]:
            raise ScriptError(f"scene {scene.index}: unknown characters {unknown}")


def check_narration(lines: list[NarrationLine], scenes: list[Scene]) -> None:
    """Line indexes 0..n-1; one line per scene, in scene order; one title drop after the
    climax and before the tag; no line that plays over nothing."""
    indexes = [line.index for line in lines]
    if indexes != list(range(len(lines))):
        raise ScriptError(f"narration: line indexes must run 0..{len(lines) - 1}, got {indexes}")
    spoken = [line.scene for line in lines if line.card is None]
    if spoken != [scene.index for scene in scenes]:
        raise ScriptError(f"narration: one line per scene in scene order, got {spoken}")
    titles = [line for line in lines if line.card == "title"]
    if len(titles) != 1 or titles[0].act != "title" or titles[0].scene is not None:
        raise ScriptError("narration: expected exactly one title line, over the title card")
    acts = [line.act for line in lines]
    after_title = acts[titles[0].index + 1:]
    if any(act != "tag" for act in after_title) or "tag" in acts[:titles[0].index]:
        raise ScriptError(f"narration: the title drop must sit between the climax and the "
                          f"tag, got {acts}")


def check_bible(bible: VisualBible, scene_list: SceneList) -> None:
    """Bible entries must be keyed by ids the scenes use, or frame prompts never find them."""
    if unknown := sorted(set(bible.characters) - {c.id for c in scene_list.characters}):
        raise ScriptError(f"bible: entries for unknown characters {unknown}")
    if unknown := sorted(set(bible.locations) - {loc.id for loc in scene_list.locations}):
        raise ScriptError(f"bible: entries for unknown locations {unknown}")
