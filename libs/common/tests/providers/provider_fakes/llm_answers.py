"""Answers for the fake chat model: coherent, schema-shaped JSON for each reelforge task
(so a pipeline run on the fakes produces a usable script), a generic schema instance for
anything else, and the strict-mode checks OpenAI applies to `json_schema` requests."""

from __future__ import annotations

import json
import re
from typing import Any

CONTEXT = re.compile(r"task context, as JSON:\s*(\{.*\})\s*Answer with JSON", re.DOTALL)
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


def answer(schema_name: str, schema: dict[str, Any], context: dict[str, Any]) -> str:
    builder = TASKS.get(schema_name)
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


TASKS = {"StoryPatterns": _patterns, "SceneList": _scenes, "ActPlan": _acts,
         "Narration": _narration, "VisualBible": _bible, "ShotPlan": _shot}
