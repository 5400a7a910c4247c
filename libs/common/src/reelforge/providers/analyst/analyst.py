"""The offline `LLM`: answers every script task with rules instead of a model.

It reads the same context keys a remote model's prompt templates do (see `contexts.py`),
and answers whatever schema the caller asks for: its rules write domain models, which an
answer schema turns into its own shape (`from_domain`, see `answers.py`); any other schema
validates the domain model's JSON, exactly as a remote adapter validates a model's JSON.
Deterministic: the same context gives the same answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reelforge.models import ActPlan, SceneList, StoryPatterns
from reelforge.providers.analyst.acts import plan_acts
from reelforge.providers.analyst.bible import write_bible
from reelforge.providers.analyst.entities import analyse_cast
from reelforge.providers.analyst.idea import answer_idea
from reelforge.providers.analyst.narration import write_narration
from reelforge.providers.analyst.patterns import analyse_patterns
from reelforge.providers.analyst.scenes import build_scene_list
from reelforge.providers.analyst.shots import plan_shot
from reelforge.providers.analyst.story import story_from_context
from reelforge.providers.base import LLMTask, ProviderError
from reelforge.providers.contexts import target_scene_count
from reelforge.settings import Settings

M = TypeVar("M", bound=BaseModel)


def answer_patterns(context: dict[str, Any]) -> StoryPatterns:
    story = story_from_context(context)
    return analyse_patterns(story, analyse_cast(story))


def answer_scenes(context: dict[str, Any]) -> SceneList:
    story = story_from_context(context)
    patterns = StoryPatterns.model_validate(context["patterns"])
    target = int(context.get("target_scenes") or target_scene_count(float(context["duration"])))
    return build_scene_list(story, analyse_cast(story), patterns, target)


def answer_acts(context: dict[str, Any]) -> ActPlan:
    return plan_acts(len(context["scenes"]))


ANSWERS: dict[str, Callable[[dict[str, Any]], BaseModel]] = {
    "idea": answer_idea,
    "patterns": answer_patterns,
    "scenes": answer_scenes,
    "acts": answer_acts,
    "narration": write_narration,
    "bible": write_bible,
    "shot": plan_shot,
}


class LocalStoryAnalyst:
    """Registered as `llm.local`; the default LLM, needing no model and no network."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M:
        answer = ANSWERS.get(task)
        if answer is None:
            raise ProviderError(self.name, f"unknown task {task!r}", permanent=True)
        try:
            result = await asyncio.to_thread(answer, context)
        except (KeyError, ValueError) as exc:
            raise ProviderError(
                self.name, f"{task}: cannot answer from this context: {exc}", permanent=True
            ) from exc
        from_domain = getattr(schema, "from_domain", None)
        try:
            if callable(from_domain):
                return schema.model_validate(from_domain(result))
            return schema.model_validate(result.model_dump(mode="json"))
        except ValidationError as exc:
            raise ProviderError(
                self.name, f"{task}: answer does not fit {schema.__name__}: {exc}", permanent=True
            ) from exc
