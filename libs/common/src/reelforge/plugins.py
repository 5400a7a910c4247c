"""Entry-point lookups, so common code reaches service code without importing it."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any


class PluginMissing(LookupError):
    pass


def load_plugin(group: str, name: str) -> Any:
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()
    raise PluginMissing(
        f"nothing provides {group}:{name}; is the package installed? (run scripts/setup)"
    )
