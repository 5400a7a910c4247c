"""The local, offline, rule-based story analyst (the default `llm` provider)."""

from reelforge.providers.analyst.analyst import LocalStoryAnalyst

__all__ = ["LocalStoryAnalyst"]
