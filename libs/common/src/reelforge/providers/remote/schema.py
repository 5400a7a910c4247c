"""Pydantic model -> a JSON schema that OpenAI's strict structured outputs accept, plus the
decoder that turns the constrained answer back into the model's shape.

Strict mode wants: every object closed (`additionalProperties: false`) with every property
required, no `$ref` next to other keys, and only a subset of keywords. Our models also use
two shapes strict mode cannot express:
- `dict[str, X]` (an open object) becomes an array of `{key, value}` pairs;
- `tuple[float, float]` (`prefixItems`) becomes a fixed-length array.
All `$ref`s are inlined (llama.cpp's grammar compiler is fragile with them). Optional fields
become required; the model fills in a value and pydantic validates it as usual.

The same schema travels three ways (`OutputMode`), most constrained first: OpenAI's strict
`json_schema` (no `minLength`/`maxLength`, which strict mode rejects), `json_object` with a
`schema` (llama.cpp-style servers compile it into a grammar; no `pattern`, which they compile
only when anchored their way), or plain `json_object` with the schema in the prompt alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

Decoder = Callable[[Any], Any]
OutputMode = Literal["json_schema", "json_object_schema", "json_object"]
OUTPUT_MODES: tuple[OutputMode, ...] = ("json_schema", "json_object_schema", "json_object")
"""Structured-output modes, tried in this order until an endpoint accepts one."""

# Keywords kept (besides the structural ones handled explicitly).
_KEEP = ("description", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
         "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "pattern", "format",
         "minLength", "maxLength")
_DROPPED_BY_MODE: dict[OutputMode, frozenset[str]] = {
    "json_schema": frozenset({"minLength", "maxLength"}),
    "json_object_schema": frozenset({"pattern"}),
    "json_object": frozenset(),
}


ANSWER_TOKENS_FLOOR = 512
ANSWER_TOKENS_CEILING = 8192
UNBOUNDED_STRING_CHARS = 400
"""What a string without `maxLength` may take: a few sentences."""
UNBOUNDED_ITEMS = 12
"""How many items an array without `maxItems` may hold."""
CHARS_PER_TOKEN = 3


def _identity(value: Any) -> Any:
    return value


def answer_chars(node: Any) -> int:
    """The characters of the longest sensible JSON value `node` allows (compact JSON, every
    list at its `maxItems` and every string at its `maxLength`, or the defaults above)."""
    if not isinstance(node, dict):
        return 0
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        return max(answer_chars(alternative) for alternative in alternatives)
    if "enum" in node or "const" in node:
        values = node.get("enum") or [node.get("const")]
        return max(len(json.dumps(value)) for value in values)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return 2 + sum(len(name) + 4 + answer_chars(sub)
                       for name, sub in (node.get("properties") or {}).items())
    if kind == "array":
        items = int(node.get("maxItems", UNBOUNDED_ITEMS))
        return 2 + items * (answer_chars(node.get("items")) + 1)
    if kind == "string":
        return 2 + int(node.get("maxLength", UNBOUNDED_STRING_CHARS))
    return 12


@dataclass(frozen=True)
class StrictSchema:
    name: str
    schema: dict[str, Any]
    decode: Decoder

    @property
    def max_tokens(self) -> int:
        """A bound on the answer's tokens: it stops a model that loops (repeating a phrase
        inside a string) without cutting a full, sensible answer, since every list and
        string is counted at its longest."""
        tokens = answer_chars(self.schema) // CHARS_PER_TOKEN
        return max(ANSWER_TOKENS_FLOOR, min(ANSWER_TOKENS_CEILING, tokens))

    def response_format(self, mode: OutputMode = "json_schema") -> dict[str, Any]:
        """The Chat Completions `response_format` for this schema in `mode`."""
        if mode == "json_object":
            return {"type": "json_object"}
        schema = _without(self.schema, _DROPPED_BY_MODE[mode])
        if mode == "json_object_schema":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema",
                "json_schema": {"name": self.name, "schema": schema, "strict": True}}


def _without(node: Any, keywords: frozenset[str]) -> Any:
    """`node` with `keywords` removed wherever they are schema keywords (never from the
    names under `properties`)."""
    if isinstance(node, list):
        return [_without(item, keywords) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _without(sub, keywords) for name, sub in value.items()}
        elif key not in keywords:
            out[key] = _without(value, keywords)
    return out


def strict_schema(model: type[BaseModel]) -> StrictSchema:
    raw = model.model_json_schema()
    defs = raw.get("$defs", {})
    schema, decode = _convert(raw, defs, ())
    if schema.get("type") != "object":
        raise TypeError(f"{model.__name__}: a structured output must be a JSON object")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", model.__name__)[:64] or "answer"
    return StrictSchema(name, schema, decode)


def _convert(node: dict[str, Any], defs: dict[str, Any],
             seen: tuple[str, ...]) -> tuple[dict[str, Any], Decoder]:
    node = _resolve(node, defs, seen)
    if "$ref" in node:
        ref = node["$ref"].rsplit("/", 1)[-1]
        if ref in seen:
            raise TypeError(f"recursive schema ({ref}) is not supported")
        return _convert(defs[ref], defs, (*seen, ref))
    kept = {k: node[k] for k in _KEEP if k in node}
    if "anyOf" in node or "oneOf" in node:
        return _union(node.get("anyOf") or node["oneOf"], kept, defs, seen)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return _object(node, kept, defs, seen)
    if kind == "array":
        return _array(node, kept, defs, seen)
    if kind is not None:
        kept["type"] = kind
    return kept, _identity


def _resolve(node: dict[str, Any], defs: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    """`allOf: [one]` (pydantic's way of adding a description to a $ref) -> that one."""
    if "allOf" in node and len(node["allOf"]) == 1:
        merged = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        return merged
    return node


def _object(node: dict[str, Any], kept: dict[str, Any], defs: dict[str, Any],
            seen: tuple[str, ...]) -> tuple[dict[str, Any], Decoder]:
    properties = node.get("properties")
    extra = node.get("additionalProperties")
    if not properties and isinstance(extra, dict):
        return _mapping(extra, kept, defs, seen)
    props: dict[str, Any] = {}
    decoders: dict[str, Decoder] = {}
    for key, sub in (properties or {}).items():
        props[key], dec = _convert(sub, defs, seen)
        if dec is not _identity:
            decoders[key] = dec
    out = {**kept, "type": "object", "properties": props, "required": list(props),
           "additionalProperties": False}

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: decoders[k](v) if k in decoders else v for k, v in value.items()}

    return out, decode if decoders else _identity


def _mapping(values: dict[str, Any], kept: dict[str, Any], defs: dict[str, Any],
             seen: tuple[str, ...]) -> tuple[dict[str, Any], Decoder]:
    """dict[str, X] -> [{"key": str, "value": X}, ...]."""
    value_schema, value_decode = _convert(values, defs, seen)
    pair = {"type": "object", "properties": {"key": {"type": "string"}, "value": value_schema},
            "required": ["key", "value"], "additionalProperties": False}
    out = {**kept, "type": "array", "items": pair}

    def decode(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return {
            str(item.get("key")): value_decode(item.get("value"))
            for item in value if isinstance(item, dict)
        }

    return out, decode


def _array(node: dict[str, Any], kept: dict[str, Any], defs: dict[str, Any],
           seen: tuple[str, ...]) -> tuple[dict[str, Any], Decoder]:
    prefix = node.get("prefixItems")
    if prefix:
        converted = [_convert(p, defs, seen)[0] for p in prefix]
        distinct = [c for i, c in enumerate(converted) if c not in converted[:i]]
        items = distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
        out = {**kept, "type": "array", "items": items,
               "minItems": len(prefix), "maxItems": len(prefix)}
        return out, _identity
    items_schema, item_decode = _convert(node.get("items", {}), defs, seen)
    out = {**kept, "type": "array", "items": items_schema}
    if item_decode is _identity:
        return out, _identity
    return out, lambda v: [item_decode(i) for i in v] if isinstance(v, list) else v


def _union(options: list[dict[str, Any]], kept: dict[str, Any], defs: dict[str, Any],
           seen: tuple[str, ...]) -> tuple[dict[str, Any], Decoder]:
    converted = [_convert(o, defs, seen) for o in options]
    out = {**kept, "anyOf": [c[0] for c in converted]}
    special = [d for _, d in converted if d is not _identity]
    if len(special) != 1:
        return out, _identity  # nothing to undo, or ambiguous: leave it to validation
    only = special[0]
    return out, lambda v: None if v is None else only(v)
