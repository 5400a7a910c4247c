"""The stage on answers a model could give: what it is asked (the answer schemas), how it
repairs schema-valid but wrong answers, and the answers it refuses."""

from __future__ import annotations

import copy
import json
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel
from reelforge.models import Document, JobSettings, Script
from reelforge.providers.base import LLMTask
from reelforge_script.stage import write_script
from reelforge_script.validation import ScriptError

M = TypeVar("M", bound=BaseModel)
DOCUMENT = Document(format="text", title="Salt", text="Ana keeps the harbour light.")


class ScriptedLLM:
    """Answers each task with canned JSON, validated by the schema the stage asks for, as a
    remote adapter validates a model's JSON; keeps the schemas it was sent."""

    name = "scripted"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.schemas: dict[str, dict[str, Any]] = {}

    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M:
        json.dumps(context)  # contexts must survive a trip into a prompt template
        self.schemas[task] = schema.model_json_schema()
        return schema.model_validate(self.answers[task])


def scene(n: int, **changes: Any) -> dict[str, Any]:
    return {"summary": f"Shot {n}.", "text": f"Passage {n}. It goes on.", "characters": ["ana"],
            "location": "harbour", "time_of_day": "night", "mood": "tense", **changes}


def line(n: int, text: str | None = None) -> dict[str, Any]:
    words = text if text is not None else f"Line for scene {n}."
    return {"scene": n, "text": words, "marked": words, "pause_after": 0.5}


def answers(scene_count: int = 8) -> dict[str, Any]:
    """A consistent answer to every pass for `scene_count` scenes."""
    third = scene_count // 3
    return {
        "patterns": {"genres": [{"label": "drama", "score": 1.0}],
                     "tones": [{"label": "dark", "score": 1.0}], "themes": ["duty"],
                     "structure": "three-act", "logline": "Ana holds the light."},
        "scenes": {
            "characters": [{"id": "ana", "name": "Ana", "mentions": 3, "role": "protagonist",
                            "description": "the keeper"}],
            "locations": [{"id": "harbour", "name": "the harbour", "kind": "village",
                           "description": "stone quays"}],
            "scenes": [scene(n) for n in range(scene_count)],
        },
        "acts": {"acts": [
            {"name": "setup", "scenes": list(range(third))},
            {"name": "escalation", "scenes": list(range(third, 2 * third))},
            {"name": "climax", "scenes": list(range(2 * third, scene_count - 1))},
            {"name": "tag", "scenes": [scene_count - 1]},
        ]},
        "narration": {"title": "Salt", "tagline": "Hold on.",
                      "lines": [line(n) for n in range(scene_count)],
                      "title_drop": {"text": "Salt.", "marked": "*Salt*.", "pause_after": 1.0}},
        "bible": {"style": "noir",
                  "characters": [{"id": "ana", "description": "Ana: a woman"}],
                  "locations": [{"id": "harbour", "description": "a harbour"}]},
    }


async def write(given: dict[str, Any], duration: float = 40.0) -> Script:
    return await write_script(DOCUMENT, JobSettings(duration=duration), ScriptedLLM(given))


def spoken(script: Script) -> list[tuple[int | None, str]]:
    return [(line.scene, line.text) for line in script.narration]


# --------------------------------------------------------------------------- the schemas


async def test_the_schemas_order_by_position_and_name_only_what_exists() -> None:
    llm = ScriptedLLM(answers())
    await write_script(DOCUMENT, JobSettings(duration=40.0), llm)
    text = json.dumps(llm.schemas)
    assert '"index"' not in text  # order is list position, never an index field
    scenes = llm.schemas["scenes"]["properties"]["scenes"]
    assert (scenes["minItems"], scenes["maxItems"]) == (4, 12)  # around the 8 wanted
    defs = {name: d for schema in llm.schemas.values() for name, d in
            schema.get("$defs", {}).items()}
    narration = llm.schemas["narration"]["properties"]["lines"]
    assert (narration["minItems"], narration["maxItems"]) == (8, 8)
    line_def = defs[narration["items"]["$ref"].rsplit("/", 1)[-1]]
    assert line_def["properties"]["scene"]["enum"] == list(range(8))
    act_def = defs[llm.schemas["acts"]["properties"]["acts"]["items"]["$ref"].rsplit("/")[-1]]
    assert act_def["properties"]["scenes"]["items"]["enum"] == list(range(8))
    assert "title" not in act_def["properties"]["name"]["enum"]
    bible = llm.schemas["bible"]["properties"]
    entry = defs[bible["characters"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert entry["properties"]["id"]["enum"] == ["ana"]
    assert entry["properties"]["description"]["minLength"] == 1
    assert entry["properties"]["description"]["pattern"]
    genre = defs[llm.schemas["patterns"]["properties"]["genres"]["items"]["$ref"].split("/")[-1]]
    assert "drama" in genre["properties"]["label"]["enum"]
    patterns = llm.schemas["patterns"]["properties"]
    # bounded, or a small model lists the offered labels over and over until max_tokens
    assert patterns["genres"]["maxItems"] == patterns["tones"]["maxItems"] == 3
    assert patterns["themes"]["maxItems"] == 5
    scene_list = llm.schemas["scenes"]["properties"]
    assert scene_list["characters"]["maxItems"] == 12
    assert scene_list["locations"]["maxItems"] == scenes["maxItems"]  # one place a scene at most


async def test_more_labels_than_the_schema_allows_are_still_read() -> None:
    given = answers()
    given["patterns"]["genres"] = [{"label": "drama", "score": 0.9},
                                   {"label": "thriller", "score": 0.5}] * 3
    script = await write(given)
    assert [g.label for g in script.patterns.genres][:2] == ["drama", "thriller"]


async def test_consistent_answers_assemble_as_given() -> None:
    script = await write(answers())
    assert [s.act for s in script.scenes] == ["setup"] * 2 + ["escalation"] * 2 + [
        "climax"] * 3 + ["tag"]
    assert [line.card for line in script.narration].index("title") == 7
    assert script.narration[7].text == "Salt." and script.narration[7].marked == "*Salt*."
    assert [a.name for a in script.acts] == ["setup", "escalation", "climax", "title", "tag"]
    assert script.bible.characters == {"ana": "Ana: a woman"}


# --------------------------------------------------------------------------- repairs


async def test_scenes_with_repeated_and_unknown_ids_are_resolved() -> None:
    given = answers()
    given["scenes"]["characters"].append({"id": "ana", "name": "Other", "mentions": 1,
                                          "role": "minor", "description": ""})
    given["scenes"]["scenes"][1] = scene(1, characters=["Ana", "ghost", "ana"],
                                         location="The Harbour")
    given["scenes"]["scenes"][2] = scene(2, location="lighthouse")
    given["scenes"]["scenes"][3] = scene(3, summary=" ", text="The storm breaks. Boats sink.")
    script = await write(given)
    assert [c.id for c in script.characters] == ["ana"]
    assert script.scenes[1].characters == ["ana"] and script.scenes[1].location == "harbour"
    assert script.scenes[2].location == "harbour"  # unknown: the previous scene's place
    assert script.scenes[3].summary == "The storm breaks."


async def test_a_character_and_a_location_may_share_an_id() -> None:
    given = answers()
    given["scenes"]["locations"].append({"id": "ana", "name": "Ana's house", "kind": "interior",
                                         "description": ""})
    given["scenes"]["scenes"][4] = scene(4, location="ana")
    script = await write(given)
    assert script.scenes[4].location == "ana" and script.scenes[4].characters == ["ana"]


async def test_passages_keep_their_paragraphs() -> None:
    given = answers()
    given["scenes"]["scenes"][0] = scene(0, text="  The letter comes.\n\nShe burns it.\n")
    script = await write(given)
    assert script.scenes[0].text == "The letter comes.\n\nShe burns it."


async def test_a_scene_list_without_locations_gets_one() -> None:
    given = answers()
    given["scenes"]["locations"] = []
    script = await write(given)
    assert [loc.id for loc in script.locations] == ["harbour"]
    assert {s.location for s in script.scenes} == {"harbour"}
    assert "harbour" in script.bible.locations


async def test_too_many_scenes_are_merged_and_too_few_split() -> None:
    many = answers(30)  # 40 s wants 8, at most 12
    script = await write(many)
    assert len(script.scenes) == 12
    assert [s.index for s in script.scenes] == list(range(12))
    assert script.scenes[0].summary == "Shot 0. Shot 1."  # 30 into 12: runs of 2 or 3
    few = answers(2)
    script = await write(few)
    assert len(script.scenes) == 4  # split at sentence boundaries up to the minimum
    assert [line.scene for line in script.narration if line.card is None] == [0, 1, 2, 3]


async def test_acts_shuffled_repeated_unknown_and_missing_are_redealt_in_order() -> None:
    given = answers()
    given["acts"] = {"acts": [
        {"name": "climax", "scenes": [1, 0]},
        {"name": "setup", "scenes": [5, 5, 2, 99]},
        {"name": "tag", "scenes": [7]},
    ]}
    script = await write(given)
    acts = [s.act for s in script.scenes]
    # claims: 0,1 climax; 2,5 setup; 3, 4 and 6 follow their predecessor (setup); 7 tag:
    # five setup, two climax, one tag, dealt in trailer order
    assert acts == ["setup"] * 5 + ["climax"] * 2 + ["tag"]
    assert sorted(i for a in script.acts for i in a.scenes) == list(range(8))


async def test_narration_shuffled_repeated_unknown_missing_and_blank_is_realigned() -> None:
    given = answers()
    lines = [line(n) for n in range(8)]
    lines[2] = line(2, "   ")
    given["narration"]["lines"] = [lines[5], lines[1], line(1, "Twice."), line(42), lines[2],
                                   lines[0], lines[3], lines[4], lines[6]]  # no line for 7
    given["narration"]["lines"].append({**line(3), "scene": None})  # a line over nothing
    given["narration"]["title_drop"] = {"text": "", "marked": "", "pause_after": 30}
    script = await write(given)
    scene_lines = [(line.scene, line.text) for line in script.narration if line.card is None]
    assert [n for n, _ in scene_lines] == list(range(8))
    assert scene_lines[1] == (1, "Line for scene 1. Twice.")
    assert scene_lines[2] == (2, "Shot 2.")  # blank: the scene's summary
    assert scene_lines[7] == (7, "Shot 7.")
    drop = next(line for line in script.narration if line.card == "title")
    assert drop.text == "Salt" and drop.pause_after == 5.0
    assert [line.index for line in script.narration] == list(range(9))


async def test_a_missing_title_drop_speaks_the_title() -> None:
    given = answers()
    del given["narration"]["title_drop"]
    script = await write(given)
    assert [line.text for line in script.narration if line.card == "title"] == ["Salt"]


async def test_marks_that_change_the_words_are_dropped() -> None:
    given = answers()
    given["narration"]["lines"][0] = {**line(0), "marked": "Something *else* entirely."}
    given["narration"]["lines"][1] = {**line(1), "marked": "Line... for *scene* 1."}
    script = await write(given)
    assert script.narration[0].marked == "Line for scene 0."
    assert script.narration[1].marked == "Line... for *scene* 1."


async def test_bible_unknown_repeated_blank_and_missing_entries() -> None:
    given = answers()
    given["scenes"]["characters"].append({"id": "bo", "name": "Bo", "mentions": 1,
                                          "role": "minor", "description": "a fisherman"})
    given["bible"]["characters"] += [{"id": "ghost", "description": "pale"},
                                     {"id": "ana", "description": "again"}]
    given["bible"]["locations"] = [{"id": "harbour", "description": " "}]
    script = await write(given)
    assert script.bible.characters == {"ana": "Ana: a woman", "bo": "Bo, a fisherman"}
    assert script.bible.locations == {"harbour": "the harbour, stone quays"}


async def test_labels_off_the_lists_and_repeated_genres() -> None:
    given = answers()
    given["patterns"]["genres"] = [{"label": "Drama", "score": 0.2},
                                   {"label": "thriller", "score": 0.9},
                                   {"label": "drama", "score": 0.8}]
    given["scenes"]["characters"][0]["role"] = "hero"
    given["scenes"]["locations"][0]["kind"] = "Harbour Town"
    script = await write(given)
    assert [g.label for g in script.patterns.genres] == ["thriller", "drama"]
    assert script.characters[0].role == "minor"
    assert script.locations[0].kind == "generic"


# --------------------------------------------------------------------------- refusals


def _unusable(task: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    given = copy.deepcopy(answers())
    node = given[task]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return given


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (_unusable("scenes", ("scenes",), [scene(0, summary="", text="")]),
         "scenes: the answer has no usable scene"),
        (_unusable("patterns", ("genres",), [{"label": " ", "score": 1.0}]),
         "patterns: the answer names no genres"),
        (_unusable("acts", ("acts",), [{"name": "setup", "scenes": [40, 41]}]),
         "acts: the answer puts none of the 8 scenes in an act"),
        (_unusable("narration", ("lines",), [line(n, "") for n in range(8)]),
         "narration: none of the 8 scene lines has any words"),
    ],
)
async def test_unusable_answers_fail_naming_the_pass(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ScriptError, match=message) as error:
        await write(given)
    assert "\n" not in str(error.value) and "LLM 'scripted': run the job again" in str(error.value)


async def test_no_title_anywhere_is_unusable() -> None:
    given = answers()
    given["narration"]["title"] = ""
    given["narration"]["title_drop"]["text"] = ""
    document = DOCUMENT.model_copy(update={"title": None})
    with pytest.raises(ScriptError, match="narration: the answer has no title"):
        await write_script(document, JobSettings(duration=40.0), ScriptedLLM(given))
