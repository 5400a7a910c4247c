"""The local, offline, rule-based story analyst (the default `llm` provider)."""

from reelforge_script.local.analyst import LocalStoryAnalyst

__all__ = ["LocalStoryAnalyst"]
