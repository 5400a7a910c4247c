"""A script.json the user wrote or edited, read back into a `Script` with one-line errors."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from reelforge.models import Script


class ScriptFileError(ValueError):
    """The file is not a usable script; the message names the file, the field and the fix."""


def load_script_file(path: Path) -> Script:
    if not path.is_file():
        raise ScriptFileError(f"{path}: no such file; write one with `reelforge script`")
    try:
        script = Script.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ScriptFileError(f"{path}: {_first_problem(exc)}") from None
    problem = dangling_reference(script)
    if problem:
        raise ScriptFileError(f"{path}: {problem}")
    return script


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['msg'].removeprefix('Invalid JSON: ')}); fix the syntax"
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg'].lower()}; fix that field and run again{more}"


def dangling_reference(script: Script) -> str | None:
    """What an edit broke between the parts of a script (ids the other parts name)."""
    scenes = {scene.index for scene in script.scenes}
    locations = {location.id for location in script.locations}
    characters = {character.id for character in script.characters}
    if len(scenes) != len(script.scenes):
        return "scenes: two scenes share an index; give each scene its own index"
    for scene in script.scenes:
        if scene.location not in locations:
            return (f"scenes.{scene.index}.location: {scene.location!r} is not a location id; "
                    f"use one of {', '.join(sorted(locations)) or '(add a location first)'}")
        unknown = [c for c in scene.characters if c not in characters]
        if unknown:
            return (f"scenes.{scene.index}.characters: {unknown[0]!r} is not a character id; "
                    f"use one of {', '.join(sorted(characters)) or '(none defined)'}")
    for line in script.narration:
        if line.scene is not None and line.scene not in scenes:
            return (f"narration.{line.index}.scene: there is no scene {line.scene}; "
                    "use a scene index or null for a title card")
    return None
