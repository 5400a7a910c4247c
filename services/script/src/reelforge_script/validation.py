"""Cross-reference checks on what an LLM answered.

Each pass is schema-valid on its own by the time it gets here; these checks catch the
inconsistencies a schema cannot see (a scene set in a location that was never listed, a scene
with no narration line) so a bad answer fails the job with a message a person can act on,
instead of breaking a later stage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from reelforge.models import ActName, ActPlan, NarrationLine, Scene, SceneList, VisualBible

SCENE_ACT_ORDER: tuple[ActName, ...] = ("setup", "escalation", "climax", "tag")


class ScriptError(ValueError):
    """An LLM answer is internally inconsistent."""


def _duplicates(values: Iterable[object]) -> list[object]:
    return [value for value, count in Counter(values).items() if count > 1]


# --------------------------------------------------------------------------- scenes


def check_scene_list(scene_list: SceneList) -> None:
    """Ids unique, scenes indexed 0..n-1 in order, every reference resolvable."""
    character_ids = [c.id for c in scene_list.characters]
    location_ids = [loc.id for loc in scene_list.locations]
    if dupes := _duplicates(character_ids):
        raise ScriptError(f"scenes: duplicate character ids {dupes}")
    if dupes := _duplicates(location_ids):
        raise ScriptError(f"scenes: duplicate location ids {dupes}")
    if not scene_list.scenes:
        raise ScriptError("scenes: the answer has no scenes")
    indexes = [scene.index for scene in scene_list.scenes]
    if indexes != list(range(len(indexes))):
        raise ScriptError(f"scenes: indexes must run 0..{len(indexes) - 1} in order, got {indexes}")
    known_characters, known_locations = set(character_ids), set(location_ids)
    for scene in scene_list.scenes:
        if scene.location not in known_locations:
            raise ScriptError(
                f"scene {scene.index}: location {scene.location!r} is not among the locations "
                f"{sorted(known_locations)}"
            )
        if unknown := [c for c in scene.characters if c not in known_characters]:
            raise ScriptError(
                f"scene {scene.index}: characters {unknown} are not among the characters "
                f"{sorted(known_characters)}"
            )


# --------------------------------------------------------------------------- acts


def scene_acts(plan: ActPlan, scene_count: int) -> dict[int, ActName]:
    """The act of every scene: each scene in exactly one act, acts in trailer order, and the
    title act without scenes (the title drop plays over a card)."""
    act_of: dict[int, ActName] = {}
    for act in plan.acts:
        if act.name == "title" and act.scenes:
            raise ScriptError(
                f"acts: the title act plays over a card, but lists scenes {act.scenes}"
            )
        for index in act.scenes:
            if not 0 <= index < scene_count:
                raise ScriptError(f"acts: {act.name} lists scene {index}, which does not exist")
            if index in act_of:
                raise ScriptError(f"acts: scene {index} is in both {act_of[index]} and {act.name}")
            act_of[index] = act.name
    if missing := sorted(set(range(scene_count)) - set(act_of)):
        raise ScriptError(f"acts: scenes {missing} belong to no act")
    ranks = [SCENE_ACT_ORDER.index(act_of[i]) for i in range(scene_count)]
    if ranks != sorted(ranks):
        order = [act_of[i] for i in range(scene_count)]
        raise ScriptError(f"acts: scenes must run setup → escalation → climax → tag, got {order}")
    return act_of


def apply_acts(scenes: list[Scene], act_of: dict[int, ActName]) -> list[Scene]:
    return [scene.model_copy(update={"act": act_of[scene.index]}) for scene in scenes]


# --------------------------------------------------------------------------- narration


def check_narration(lines: list[NarrationLine], scenes: list[Scene]) -> None:
    """Line indexes 0..n-1; one line per scene, in scene order; one title drop after the
    climax and before the tag; no line that plays over nothing."""
    indexes = [line.index for line in lines]
    if indexes != list(range(len(lines))):
        raise ScriptError(f"narration: line indexes must run 0..{len(lines) - 1}, got {indexes}")
    _check_line_targets(lines, len(scenes))
    _check_one_line_per_scene(lines, len(scenes))
    _check_title_drop(lines, {scene.index: scene.act for scene in scenes})


def _check_line_targets(lines: list[NarrationLine], scene_count: int) -> None:
    for line in lines:
        if line.card == "title":
            if line.scene is not None:
                raise ScriptError(
                    f"narration: title line {line.index} also names scene {line.scene}"
                )
        elif line.scene is None:
            raise ScriptError(f"narration: line {line.index} plays over no scene and no card")
        elif not 0 <= line.scene < scene_count:
            raise ScriptError(
                f"narration: line {line.index} names scene {line.scene}, which does not exist"
            )


def _check_one_line_per_scene(lines: list[NarrationLine], scene_count: int) -> None:
    spoken = [line.scene for line in lines if line.scene is not None]
    if dupes := _duplicates(spoken):
        raise ScriptError(f"narration: scenes {dupes} have more than one line")
    if missing := sorted(set(range(scene_count)) - set(spoken)):
        raise ScriptError(f"narration: scenes {missing} have no line")
    if spoken != sorted(spoken):
        raise ScriptError(f"narration: scene lines must follow scene order, got {spoken}")


def _check_title_drop(lines: list[NarrationLine], act_of: dict[int, ActName]) -> None:
    titles = [line for line in lines if line.card == "title"]
    if len(titles) != 1:
        raise ScriptError(f"narration: expected exactly one title line, got {len(titles)}")
    title = titles[0]
    if title.act != "title":
        raise ScriptError(f"narration: the title line is in act {title.act!r}, not 'title'")
    for line in lines:
        if line.scene is None:
            continue
        act = act_of[line.scene]
        if act == "tag" and line.index < title.index:
            raise ScriptError(f"narration: tag line {line.index} comes before the title drop")
        if act != "tag" and line.index > title.index:
            raise ScriptError(f"narration: {act} line {line.index} comes after the title drop")


def align_line_acts(lines: list[NarrationLine], scenes: list[Scene]) -> list[NarrationLine]:
    """Give each scene line its scene's act: the act plan, not the narration, decides acts."""
    act_of = {scene.index: scene.act for scene in scenes}
    return [
        line if line.scene is None else line.model_copy(update={"act": act_of[line.scene]})
        for line in lines
    ]


# --------------------------------------------------------------------------- bible


def check_bible(bible: VisualBible, scene_list: SceneList) -> None:
    """Bible entries must be keyed by ids the scenes use, or frame prompts never find them."""
    character_ids = {c.id for c in scene_list.characters}
    location_ids = {loc.id for loc in scene_list.locations}
    if unknown := sorted(set(bible.characters) - character_ids):
        raise ScriptError(f"bible: entries for unknown characters {unknown}")
    if unknown := sorted(set(bible.locations) - location_ids):
        raise ScriptError(f"bible: entries for unknown locations {unknown}")
