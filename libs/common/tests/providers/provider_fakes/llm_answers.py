"""Answers for the fake chat model: coherent, schema-shaped JSON for each reelforge task
(so a pipeline run on the fakes produces a usable script), a generic schema instance for
anything else, and the strict-mode checks OpenAI applies to `json_schema` requests.

The task is known by the `json_schema` name, or, in the JSON modes that send no name, by the
schema's properties (taken from `response_format.schema` or from the prompt). Both the
domain shapes (`SceneList`, `Narration`, ...) and the script stage's answer shapes
(`SceneListAnswer`, `NarrationAnswer`, ...) are answered. `adversarial` answers keep to the
answer shapes' types but number, reference and count things wrong."""

from __future__ import annotations

import json
import random
import re
from typing import Any

CONTEXT = re.compile(r"task context, as JSON:\s*(\{.*\})\s*Answer with JSON", re.DOTALL)
PROMPT_SCHEMA = re.compile(r"Answer with JSON matching this schema:\s*(\{.*\})\s*$", re.DOTALL)
SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


# --------------------------------------------------------------------------- strict checks


def strict_problems(schema: Any, path: str = "$") -> list[str]:
    """What OpenAI's strict structured outputs would reject in `schema`."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return [f"{path}: not a schema object"]
    if path == "$" and schema.get("type") != "object":
        problems.append("$: the root must be an object")
    if "$ref" in schema and len(schema) > 1:
        problems.append(f"{path}: $ref with sibling keywords")
    if "prefixItems" in schema:
        problems.append(f"{path}: prefixItems is not supported")
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        if set(schema.get("required", [])) != set(props):
            problems.append(f"{path}: every property must be required")
        for key, sub in props.items():
            problems += strict_problems(sub, f"{path}.{key}")
    if "items" in schema:
        problems += strict_problems(schema["items"], f"{path}[]")
    for i, option in enumerate(schema.get("anyOf", [])):
        problems += strict_problems(option, f"{path}|{i}")
    return problems


# --------------------------------------------------------------------------- answers


def context_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The task context the adapter embedded in the user message (empty if none)."""
    for message in messages:
        content = message.get("content")
        texts = [content] if isinstance(content, str) else [
            p.get("text", "") for p in content or [] if isinstance(p, dict)]
        for text in texts:
            found = CONTEXT.search(text or "")
            if found:
                try:
                    value = json.loads(found.group(1))
                except ValueError:
                    return {}
                return value if isinstance(value, dict) else {}
    return {}


def schema_of(fmt: Any, messages: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """(name, schema) of a chat request: from `json_schema`, from `json_object`'s `schema`,
    or, for plain JSON mode, from the prompt (name "")."""
    fmt = fmt if isinstance(fmt, dict) else {}
    spec = fmt.get("json_schema")
    if isinstance(spec, dict):
        return str(spec.get("name", "")), spec.get("schema") or {}
    if isinstance(fmt.get("schema"), dict):
        return "", fmt["schema"]
    for message in messages:
        content = message.get("content")
        texts = [content] if isinstance(content, str) else [
            p.get("text", "") for p in content or [] if isinstance(p, dict)]
        for text in texts:
            found = PROMPT_SCHEMA.search(text or "")
            if found:
                try:
                    return "", json.loads(found.group(1))
                except ValueError:
                    return "", {}
    return "", {}


def task_of(schema: dict[str, Any]) -> str:
    """The reelforge task a schema answers, by its properties."""
    props = set(schema.get("properties", {}))
    answer_shape = "Answer" if _is_answer_shape(schema) else ""
    for needed, task in ((("genres", "tones"), "StoryPatterns"),
                         (("characters", "locations", "scenes"), "SceneList"),
                         (("acts",), "ActPlan"), (("title", "lines"), "Narration"),
                         (("style",), "VisualBible"), (("camera",), "ShotPlan")):
        if set(needed) <= props:
            return task + (answer_shape if task != "ShotPlan" else "")
    return ""


def _is_answer_shape(schema: dict[str, Any]) -> bool:
    props = schema.get("properties", {})
    scenes = props.get("scenes", {}).get("items", {}).get("properties", {})
    bible = props.get("characters", {}).get("items", {}).get("properties", {})
    return ("title_drop" in props or (bool(scenes) and "index" not in scenes)
            or set(bible) == {"id", "description"} or _act_names(schema) is not None
            or "minLength" in json.dumps(props.get("logline", {})))


def _act_names(schema: dict[str, Any]) -> list[str] | None:
    """The act names an ActPlanAnswer schema offers (None for the domain ActPlan)."""
    act = schema.get("properties", {}).get("acts", {}).get("items", {})
    names = act.get("properties", {}).get("name", {}).get("enum")
    return names if names and "title" not in names else None


def answer(schema_name: str, schema: dict[str, Any], context: dict[str, Any],
           adversarial: bool = False) -> str:
    task = schema_name if schema_name in TASKS else task_of(schema)
    builder = (ADVERSARIAL.get(task) if adversarial else None) or TASKS.get(task)
    value = builder(context) if builder else instance(schema)
    return json.dumps(to_wire(value, schema))


def to_wire(value: Any, schema: dict[str, Any]) -> Any:
    """Model-shaped data -> the shape of the (strict) schema: dicts become key/value pairs
    where the schema says so."""
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return value if value is None or not options else to_wire(value, options[0])
    if schema.get("type") == "array":
        items = schema.get("items", {})
        pair = items.get("type") == "object" and set(items.get("properties", {})) == {
            "key", "value"}
        if pair and isinstance(value, dict):
            return [{"key": k, "value": to_wire(v, items["properties"]["value"])}
                    for k, v in value.items()]
        if isinstance(value, list | tuple):
            return [to_wire(v, items) for v in value]
    if schema.get("type") == "object" and isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: to_wire(value.get(k, instance(sub)), sub) for k, sub in props.items()}
    return value


def instance(schema: dict[str, Any]) -> Any:
    """Some valid instance of a schema."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "anyOf" in schema:
        return instance(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object":
        return {k: instance(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [instance(schema.get("items", {})) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "string":
        return "text"
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        low, high = schema.get("minimum", 0.0), schema.get("maximum", 1.0)
        return (low + high) / 2
    if kind == "boolean":
        return False
    return None


def _patterns(ctx: dict[str, Any]) -> dict[str, Any]:
    genres = (ctx.get("genre_labels") or ["thriller", "drama"])[:2]
    tones = (ctx.get("tone_labels") or ["dark", "suspenseful"])[:2]
    return {
        "genres": [{"label": g, "score": round(0.9 - 0.3 * i, 2)} for i, g in enumerate(genres)],
        "tones": [{"label": t, "score": round(0.8 - 0.3 * i, 2)} for i, t in enumerate(tones)],
        "themes": ["survival", "trust"], "structure": "three-act",
        "logline": "A lone keeper must cross a drowned city before the last light goes out.",
    }


def _scenes(ctx: dict[str, Any]) -> dict[str, Any]:
    count = int(ctx.get("target_scenes") or 8)
    doc = ctx.get("document") or {}
    text = str(doc.get("text") or "A keeper walks the drowned city.")
    acts = ["setup", "escalation", "climax"]
    scenes = [{
        "index": i,
        "summary": f"The keeper crosses the flooded square, scene {i + 1}, lantern raised.",
        "text": text[: 200],
        "characters": ["keeper"] if i % 2 == 0 else ["keeper", "stranger"],
        "location": "square" if i % 2 == 0 else "tower",
        "time_of_day": ["dusk", "night"][i % 2],
        "mood": "tense",
        "act": acts[min(2, i * 3 // count)],
    } for i in range(count)]
    return {
        "characters": [
            {"id": "keeper", "name": "Ada", "mentions": 6, "role": "protagonist",
             "description": "a lighthouse keeper"},
            {"id": "stranger", "name": "The Stranger", "mentions": 3, "role": "antagonist",
             "description": "a hooded figure"},
        ],
        "locations": [
            {"id": "square", "name": "The Square", "kind": "city", "description": "flooded"},
            {"id": "tower", "name": "The Tower", "kind": "interior", "description": "a spire"},
        ],
        "scenes": scenes,
    }


def _indices(ctx: dict[str, Any]) -> list[int]:
    scenes = ctx.get("scenes") or []
    return [int(s.get("index", i)) for i, s in enumerate(scenes)] or list(range(8))


def _acts(ctx: dict[str, Any]) -> dict[str, Any]:
    idx = _indices(ctx)
    third = max(1, len(idx) // 3)
    return {"acts": [
        {"name": "setup", "scenes": idx[:third]},
        {"name": "escalation", "scenes": idx[third:2 * third]},
        {"name": "climax", "scenes": idx[2 * third:]},
        {"name": "title", "scenes": []},
        {"name": "tag", "scenes": []},
    ]}


WORDS = [
    "in", "a", "drowned", "city", "one", "keeper", "holds", "the", "last", "light", "against",
    "the", "rising", "dark", "and", "every", "night", "the", "water", "climbs", "higher",
    "while", "a", "stranger", "waits",
]


def _narration(ctx: dict[str, Any]) -> dict[str, Any]:
    idx = _indices(ctx)
    target = int(ctx.get("target_words") or len(idx) * 8)
    per_line = max(3, min(14, target // max(1, len(idx))))
    act_of = {s: a.get("name", "setup") for a in ctx.get("acts") or [] for s in a.get("scenes", [])}
    lines = []
    for n, scene in enumerate(idx):
        words = [WORDS[(n * 5 + k) % len(WORDS)] for k in range(per_line)]
        text = " ".join(words).capitalize() + "."
        marked = " ".join(words[:2]).capitalize() + "... " + " ".join(words[2:]) + "."
        lines.append({"index": n, "act": act_of.get(scene, "setup"), "scene": scene,
                      "card": None, "text": text, "marked": marked, "pause_after": 0.5})
    title = str(ctx.get("requested_title") or ctx.get("document_title") or "The Last Light")
    lines.append({"index": len(lines), "act": "title", "scene": None, "card": "title",
                  "text": f"{title}.", "marked": f"{title}.", "pause_after": 1.0})
    return {"title": title, "tagline": "Hold the light.", "lines": lines}


def _bible(ctx: dict[str, Any]) -> dict[str, Any]:
    return {
        "style": "anamorphic 35mm film still, low-key light, teal and amber",
        "characters": {c.get("id", "c"): f"{c.get('name', 'someone')}, weathered coat, lantern"
                       for c in ctx.get("characters") or []},
        "locations": {loc.get("id", "l"): f"{loc.get('name', 'somewhere')}, wet stone, fog"
                      for loc in ctx.get("locations") or []},
    }


def _shot(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"camera": "push_in", "action": "fog drifts as the lantern flickers",
            "atmosphere": "cold blue dusk",
            "prompt": "slow push in, fog drifts, lantern flickers, cinematic, film grain",
            "focus": [0.5, 0.45]}


# --------------------------------------------------------------------------- answer shapes


def _acts_answer(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"acts": [act for act in _acts(ctx)["acts"] if act["name"] != "title"]}


def _narration_answer(ctx: dict[str, Any]) -> dict[str, Any]:
    domain = _narration(ctx)
    *lines, drop = domain["lines"]
    return {"title": domain["title"], "tagline": domain["tagline"], "lines": lines,
            "title_drop": drop}


def _bible_answer(ctx: dict[str, Any]) -> dict[str, Any]:
    domain = _bible(ctx)
    return {"style": domain["style"],
            "characters": [{"id": k, "description": v} for k, v in domain["characters"].items()],
            "locations": [{"id": k, "description": v} for k, v in domain["locations"].items()]}


# --------------------------------------------------------------------------- adversarial


def _adversarial_patterns(ctx: dict[str, Any]) -> dict[str, Any]:
    answer = _patterns(ctx)
    first, *rest = answer["genres"]
    answer["genres"] = [{"label": first["label"], "score": 0.2}, *rest,
                        {"label": first["label"], "score": 0.9}]  # repeated, out of order
    return answer


def _adversarial_scenes(ctx: dict[str, Any]) -> dict[str, Any]:
    """Twice too many scenes; a repeated character id and location id; scenes that name a
    character and a location by name, an unknown character and an unknown location; one
    scene with a blank summary."""
    answer = _scenes({**ctx, "target_scenes": 2 * int(ctx.get("target_scenes") or 8) + 1})
    answer["characters"].append({"id": "keeper", "name": "Ada's twin", "mentions": 1,
                                 "role": "minor", "description": "a double"})
    answer["locations"].append({"id": "square", "name": "Another Square", "kind": "city",
                                "description": "again"})
    places = ["square", "The Tower", "lighthouse", "tower"]
    people = [["keeper"], ["Ada", "ghost"], ["stranger", "stranger"], []]
    for n, scene in enumerate(answer["scenes"]):
        scene["location"] = places[n % len(places)]
        scene["characters"] = people[n % len(people)]
    answer["scenes"][1]["summary"] = "  "
    return answer


def _adversarial_acts(ctx: dict[str, Any]) -> dict[str, Any]:
    """Scene numbers shuffled, repeated and unknown; the climax before the escalation; one
    scene in no act."""
    idx = _indices(ctx)
    n = len(idx)
    middle = idx[4:n - 2]
    random.Random(n).shuffle(middle)
    return {"acts": [
        {"name": "setup", "scenes": [2, 0, 0, 99]},
        {"name": "climax", "scenes": [1, 3]},
        {"name": "escalation", "scenes": middle},
        {"name": "tag", "scenes": [idx[-1], 1]},
    ]}


def _adversarial_narration(ctx: dict[str, Any]) -> dict[str, Any]:
    """Lines shuffled; two lines for scene 1; a line for a scene that does not exist; the
    last scene without a line; blank text for scene 2 and a blank title drop."""
    answer = _narration_answer(ctx)
    lines = answer["lines"]
    lines[2] = {**lines[2], "text": " ", "marked": ""}
    extra = {**lines[1], "text": "And the water keeps rising.", "marked": "And the water..."}
    ghost = {**lines[0], "scene": 99}
    lines = [*lines[:-1], extra, ghost]
    random.Random(len(lines)).shuffle(lines)
    answer["lines"] = lines
    answer["title_drop"] = {"text": "", "marked": "", "pause_after": 9.0}
    return answer


def _adversarial_bible(ctx: dict[str, Any]) -> dict[str, Any]:
    """An entry for an unknown character, one repeated, the others missing; a blank location
    description."""
    answer = _bible_answer(ctx)
    characters = answer["characters"][:1]
    answer["characters"] = [*characters, {"id": "ghost", "description": "a pale shape"},
                            *characters]
    answer["locations"] = [{**entry, "description": ""} for entry in answer["locations"][:1]]
    return answer


TASKS = {"StoryPatterns": _patterns, "SceneList": _scenes, "ActPlan": _acts,
         "Narration": _narration, "VisualBible": _bible, "ShotPlan": _shot,
         "StoryPatternsAnswer": _patterns, "SceneListAnswer": _scenes,
         "ActPlanAnswer": _acts_answer, "NarrationAnswer": _narration_answer,
         "VisualBibleAnswer": _bible_answer}
ADVERSARIAL = {"StoryPatternsAnswer": _adversarial_patterns,
               "SceneListAnswer": _adversarial_scenes, "ActPlanAnswer": _adversarial_acts,
               "NarrationAnswer": _adversarial_narration,
               "VisualBibleAnswer": _adversarial_bible}
