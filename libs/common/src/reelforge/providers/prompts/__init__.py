"""Versioned prompt templates for the LLM tasks: `<task>.v<N>.md`, each with a `# system` and
a `# user` part. The user part embeds the task context as JSON at `{{context}}` and the
expected answer's JSON schema at `{{schema}}` (servers that do not enforce `json_schema`,
such as some Ollama setups, still see it). Editing a template means adding a new version, so
cached outputs made with the old wording stay attributable: `PROMPT_VERSION` is the newest,
and a task whose template did not change keeps its latest earlier version."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

PROMPT_VERSION = 2


@dataclass(frozen=True)
class Prompt:
    task: str
    version: int
    system: str
    user: str

    def render(self, context: dict[str, Any], schema: dict[str, Any]) -> tuple[str, str]:
        """(system, user) with the context and schema embedded."""
        user = self.user.replace("{{context}}", to_json(context))
        user = user.replace("{{schema}}", json.dumps(schema, separators=(",", ":")))
        return self.system, user


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=_default)


def _default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def load_prompt(task: str, version: int = PROMPT_VERSION) -> Prompt:
    """The template of `task` at `version`, or its newest earlier version."""
    folder = resources.files(__package__)
    for candidate in range(version, 0, -1):
        file = folder.joinpath(f"{task}.v{candidate}.md")
        if file.is_file():
            return parse(task, candidate, file.read_text(encoding="utf-8"))
    raise LookupError(f"no prompt template {task}.v{version}.md (or earlier) for LLM task "
                      f"{task!r}")


def parse(task: str, version: int, text: str) -> Prompt:
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = line.strip().lower()
        if heading in ("# system", "# user"):
            current = parts.setdefault(heading[2:], [])
        elif current is not None:
            current.append(line)
    if "system" not in parts or "user" not in parts:
        raise ValueError(f"prompt {task}.v{version} needs '# system' and '# user' parts")
    return Prompt(task, version, "\n".join(parts["system"]).strip(),
                  "\n".join(parts["user"]).strip())
