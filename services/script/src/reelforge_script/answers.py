"""What the script stage asks an LLM to fill in: answer schemas that leave little room for
broken states.

The domain models (`reelforge.models`) are what the stage hands on; these are what a model
answers. They differ on purpose:
- order is list position: scenes and narration lines carry no index, and the title drop is
  a field of its own (the stage places it between the climax and the tag);
- references are per-request `enum`s of the ids that exist: acts and narration lines name
  scene numbers, bible entries name character and location ids;
- counts are list lengths (`minItems`/`maxItems`);
- text that must not be blank says so (`minLength` 1 and a non-blank `pattern`).

Those constraints live in the JSON schema only, as instructions a server may enforce.
Local validation checks the shape (types, required keys); `normalise.py` repairs what a
model can still get wrong (a server in plain JSON mode enforces nothing) and refuses only an
answer it cannot use.

Every answer class has `from_domain`, so the local analyst, which writes domain models, can
answer any of these schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, create_model
from reelforge.models import (
    ActPlan,
    Framing,
    LocationKind,
    Model,
    Narration,
    Role,
    SceneList,
    StoryPatterns,
    TimeOfDay,
    VisualBible,
)

NON_BLANK = r"^.*[^ \t\n].*$"
"""A regular expression for "holds a visible character", written with nothing but a class
and dots so grammar-based servers (llama.cpp) can compile it too."""

SceneAct = Literal["setup", "escalation", "climax", "tag"]
"""The acts that hold scenes; the title act plays over a card."""


def _text(description: str) -> Any:
    return Field(description=description, json_schema_extra={"minLength": 1,
                                                             "pattern": NON_BLANK})


def _one_of(values: Sequence[Any], description: str = "") -> Any:
    return Field(description=description, json_schema_extra={"enum": list(values)})


def _count(low: int, high: int, description: str = "") -> Any:
    return Field(description=description, json_schema_extra={"minItems": low, "maxItems": high})


def _or_else(default: str, kind: Any) -> BeforeValidator:
    """For a label from a fixed vocabulary: the schema lists the values; an answer outside
    them (other case, a synonym) becomes `default` instead of failing validation."""
    allowed = set(get_args(kind))

    def coerce(value: Any) -> Any:
        label = value.strip().lower() if isinstance(value, str) else value
        return label if label in allowed else default

    return BeforeValidator(coerce)


RoleLabel = Annotated[Role, _or_else("minor", Role)]
KindLabel = Annotated[LocationKind, _or_else("generic", LocationKind)]
TimeLabel = Annotated[TimeOfDay, _or_else("day", TimeOfDay)]


def _framing_or_none(value: Any) -> Any:
    """A shot size the schema does not list is no choice: the storyboard alternates."""
    label = value.strip().lower() if isinstance(value, str) else value
    return label if label in get_args(Framing) else None


FramingLabel = Annotated[Framing | None, BeforeValidator(_framing_or_none)]


def _number(value: Any) -> Any:
    """Numbers a model wrote as strings ("0.5") still count; anything else is left to fail."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


Number = Annotated[float, BeforeValidator(_number)]


# --------------------------------------------------------------------------- patterns


class ScoreAnswer(Model):
    label: str = _text("one of the labels offered in the context")
    score: Number = Field(description="0 to 1, higher is stronger",
                          json_schema_extra={"minimum": 0, "maximum": 1})


LABELS_KEPT = 3
"""Genres and tones a patterns answer may list: the stages read the strongest only, and
without a bound a small model lists the labels offered again and again."""
THEMES_KEPT = 5
PEOPLE_KEPT = 12
"""Characters a scenes answer may list (the local analyst's bound too)."""


class StoryPatternsAnswer(Model):
    genres: list[ScoreAnswer] = Field(min_length=1, description="strongest first")
    tones: list[ScoreAnswer] = Field(min_length=1, description="strongest first")
    themes: list[str] = Field(default_factory=list,
                              json_schema_extra={"maxItems": THEMES_KEPT})
    structure: str = "three-act"
    logline: str = _text("one sentence: who wants what, and what stands in the way")

    @classmethod
    def from_domain(cls, patterns: StoryPatterns) -> StoryPatternsAnswer:
        return cls.model_validate(patterns.model_dump(mode="json"))


def patterns_answer(genres: Sequence[str], tones: Sequence[str]) -> type[StoryPatternsAnswer]:
    """The patterns schema with the genre and tone labels the score composer knows."""
    genre = create_model("GenreAnswer", __base__=ScoreAnswer,
                         label=(str, _one_of(genres, "a genre label")))
    tone = create_model("ToneAnswer", __base__=ScoreAnswer,
                        label=(str, _one_of(tones, "a tone label")))
    return create_model(
        "StoryPatternsAnswer", __base__=StoryPatternsAnswer,
        genres=(list[genre], Field(min_length=1, description="strongest first",  # type: ignore[valid-type]
                                   json_schema_extra={"maxItems": LABELS_KEPT})),
        tones=(list[tone], Field(min_length=1, description="strongest first",  # type: ignore[valid-type]
                                 json_schema_extra={"maxItems": LABELS_KEPT})),
    )


# --------------------------------------------------------------------------- scenes


class CharacterAnswer(Model):
    id: str = _text("short stable id in lowercase snake_case")
    name: str = _text("the name the story uses")
    mentions: int = Field(0, description="how often the story mentions them")
    role: RoleLabel
    description: str = ""


class LocationAnswer(Model):
    id: str = _text("short stable id in lowercase snake_case")
    name: str = _text("the place's name or a short description ('the forest')")
    kind: KindLabel = "generic"
    description: str = ""


class SceneAnswer(Model):
    summary: str = _text("one filmable sentence: what we see")
    text: str = Field("", description="the source passage the scene is drawn from")
    characters: list[str] = Field(default_factory=list, description="ids from `characters`",
                                  json_schema_extra={"maxItems": PEOPLE_KEPT})
    location: str = _text("an id from `locations`")
    time_of_day: TimeLabel = "day"
    mood: str = "tense"
    framing: FramingLabel = Field(
        None, description="wide, medium or close; vary it from one scene to the next")


class SceneListAnswer(Model):
    """Scenes in story order: a scene's number is its position in the list, from 0."""

    characters: list[CharacterAnswer]
    locations: list[LocationAnswer]
    scenes: list[SceneAnswer]

    @classmethod
    def from_domain(cls, scene_list: SceneList) -> SceneListAnswer:
        ordered = sorted(scene_list.scenes, key=lambda scene: scene.index)
        scenes = [scene.model_dump(mode="json", exclude={"index", "act", "direction"})
                  for scene in ordered]
        return cls.model_validate({
            "characters": [c.model_dump(mode="json") for c in scene_list.characters],
            "locations": [loc.model_dump(mode="json") for loc in scene_list.locations],
            "scenes": scenes,
        })


def scene_list_answer(low: int, high: int) -> type[SceneListAnswer]:
    """The scenes schema asking for `low` to `high` scenes, with at most one place a scene."""
    return create_model(
        "SceneListAnswer", __base__=SceneListAnswer,
        characters=(list[CharacterAnswer], Field(json_schema_extra={"maxItems": PEOPLE_KEPT})),
        locations=(list[LocationAnswer], Field(json_schema_extra={"maxItems": high})),
        scenes=(list[SceneAnswer], _count(low, high, "in story order")),
    )


# --------------------------------------------------------------------------- acts


ActLabel = Annotated[SceneAct, _or_else("escalation", SceneAct)]


class ActAnswer(Model):
    name: ActLabel
    scenes: list[int] = Field(default_factory=list, description="scene numbers, in order")


class ActPlanAnswer(Model):
    """Scene numbers per act; the title act (a card, no scenes) is not asked for."""

    acts: list[ActAnswer]

    @classmethod
    def from_domain(cls, plan: ActPlan) -> ActPlanAnswer:
        return cls.model_validate({"acts": [
            act.model_dump(mode="json") for act in plan.acts if act.name != "title"
        ]})


def act_plan_answer(scene_count: int) -> type[ActPlanAnswer]:
    scene = Annotated[int, _one_of(range(scene_count), "a scene number")]
    act = create_model("ActAnswer", __base__=ActAnswer,
                       scenes=(list[scene], Field(description="scene numbers, in order")))  # type: ignore[valid-type]
    return create_model(
        "ActPlanAnswer", __base__=ActPlanAnswer,
        acts=(list[act], _count(1, 4, "setup, escalation, climax, tag")),  # type: ignore[valid-type]
    )


# --------------------------------------------------------------------------- narration


class SpokenAnswer(Model):
    text: str = _text("exactly the words spoken")
    marked: str = Field("", description="the same words with '...' pauses and *emphasis*")
    pause_after: Number = Field(0.5, description="seconds of silence after the line",
                                json_schema_extra={"minimum": 0.2, "maximum": 2.0})


def _no_scene(value: Any) -> Any:
    """A line over no scene (null) names a scene that does not exist: repaired, not refused."""
    return -1 if value is None else value


class SceneLineAnswer(SpokenAnswer):
    scene: Annotated[int, BeforeValidator(_no_scene)] = Field(
        description="the scene number the line plays over")


class NarrationAnswer(Model):
    """One line per scene in scene order, and the title drop on its own (a missing one is
    repaired like a blank one)."""

    title: str = _text("the film's title")
    tagline: str = _text("one short line for the poster")
    lines: list[SceneLineAnswer]
    title_drop: SpokenAnswer = Field(default_factory=lambda: SpokenAnswer(text=""))

    @classmethod
    def from_domain(cls, narration: Narration) -> NarrationAnswer:
        spoken = {"text", "marked", "pause_after"}
        ordered = sorted(narration.lines, key=lambda line: line.index)
        lines = [line.model_dump(mode="json", include={*spoken, "scene"})
                 for line in ordered if line.scene is not None]
        drop = next((line for line in ordered if line.card == "title"), None)
        title_drop = (drop.model_dump(mode="json", include=spoken) if drop is not None
                      else {"text": narration.title, "marked": narration.title})
        return cls.model_validate({"title": narration.title, "tagline": narration.tagline,
                                   "lines": lines, "title_drop": title_drop})


def narration_answer(scene_count: int) -> type[NarrationAnswer]:
    line = create_model(
        "SceneLineAnswer", __base__=SceneLineAnswer,
        scene=(Annotated[int, BeforeValidator(_no_scene)],
               _one_of(range(scene_count), "the scene number the line plays over")),
    )
    return create_model(
        "NarrationAnswer", __base__=NarrationAnswer,
        lines=(list[line], _count(scene_count, scene_count, "one per scene, in scene order")),  # type: ignore[valid-type]
    )


# --------------------------------------------------------------------------- bible


class EntryAnswer(Model):
    id: str
    description: str = _text("a camera-ready description")


class VisualBibleAnswer(Model):
    style: str = _text("one line of visual style for every frame")
    characters: list[EntryAnswer]
    locations: list[EntryAnswer]

    @classmethod
    def from_domain(cls, bible: VisualBible) -> VisualBibleAnswer:
        def entries(described: dict[str, str]) -> list[dict[str, str]]:
            return [{"id": key, "description": text} for key, text in described.items()]

        return cls.model_validate({"style": bible.style,
                                   "characters": entries(bible.characters),
                                   "locations": entries(bible.locations)})


def visual_bible_answer(character_ids: Sequence[str],
                        location_ids: Sequence[str]) -> type[VisualBibleAnswer]:
    """One entry per character and per location, keyed by the ids the scenes use."""

    def entries(kind: str, ids: Sequence[str]) -> Any:
        if not ids:  # an empty enum is not a schema; no ids means no entries
            return (list[EntryAnswer], _count(0, 0))
        entry = create_model(f"{kind}Entry", __base__=EntryAnswer,
                             id=(str, _one_of(ids, f"a {kind.lower()} id")))
        return (list[entry], _count(len(ids), len(ids), "one per id"))  # type: ignore[valid-type]

    return create_model(
        "VisualBibleAnswer", __base__=VisualBibleAnswer,
        characters=entries("Character", character_ids),
        locations=entries("Location", location_ids),
    )
