"""Stage 1: a Document becomes a Script through a chain of LLM passes.

patterns → scenes → acts → (narration ∥ bible), each a separate `llm.complete` call with a
context from `contexts.py` and an answer schema from `answers.py`. The stage owns
consistency: it turns each answer into domain models with `validation.py` (repairing what a
model numbered or referenced oddly, failing only on an answer it cannot use), applies the act
plan to the scenes and assembles the final `Script`.
"""

from __future__ import annotations

import asyncio

import structlog
from reelforge.models import Document, JobSettings, NarrationLine, Script
from reelforge.providers.base import LLM
from reelforge.providers.contexts import (
    GENRES,
    TONES,
    WORDS_PER_SECOND,
    acts_context,
    bible_context,
    narration_context,
    patterns_context,
    scene_range,
    scenes_context,
    target_scene_count,
)
from reelforge.speakable import speakable

from reelforge_script.answers import (
    act_plan_answer,
    narration_answer,
    patterns_answer,
    scene_list_answer,
    visual_bible_answer,
)
from reelforge_script.idea import expand_idea
from reelforge_script.validation import (
    Repairs,
    ScriptError,
    act_plan_from,
    apply_acts,
    bible_from,
    check_bible,
    check_narration,
    check_scene_list,
    narration_from,
    patterns_from,
    scene_acts,
    scene_list_from,
)

log = structlog.get_logger(__name__)

SCRIPT_VERSION = "script-2"
"""Part of the script fingerprint: bump it when the stage's output changes for the same input."""


async def write_script(document: Document, settings: JobSettings, llm: LLM) -> Script:
    """Run the four passes and the visual bible; raise ScriptError on an unusable answer."""
    try:
        return await _write_script(document, settings, llm)
    except ScriptError as exc:
        raise ScriptError(f"{exc} (LLM {llm.name!r}: run the job again, or choose another "
                          "model or REELFORGE_LLM=local)") from None


async def _write_script(document: Document, settings: JobSettings, llm: LLM) -> Script:
    document = await expand_idea(document, settings, llm)  # an idea becomes a synopsis first
    repairs = Repairs()
    answer = await llm.complete("patterns", patterns_context(document, settings),
                                patterns_answer(GENRES, TONES))
    patterns = patterns_from(answer, repairs)

    wanted = scene_range(target_scene_count(settings.duration))
    scenes_answer = await llm.complete("scenes", scenes_context(document, settings, patterns),
                                       scene_list_answer(*wanted))
    scene_list = scene_list_from(scenes_answer, wanted, repairs)
    count = len(scene_list.scenes)

    acts_answer = await llm.complete("acts", acts_context(settings, patterns, scene_list),
                                     act_plan_answer(count))
    act_plan = act_plan_from(acts_answer, count, repairs)
    scene_list = scene_list.model_copy(
        update={"scenes": apply_acts(scene_list.scenes, scene_acts(act_plan))})

    narration, bible = await asyncio.gather(
        llm.complete("narration",
                     narration_context(document, settings, patterns, scene_list, act_plan),
                     narration_answer(count)),
        llm.complete("bible", bible_context(settings, patterns, scene_list),
                     visual_bible_answer([c.id for c in scene_list.characters],
                                         [loc.id for loc in scene_list.locations])),
    )
    title, tagline, lines = narration_from(narration, scene_list.scenes,
                                           settings.title or document.title, repairs)
    visual_bible = bible_from(bible, scene_list, repairs)
    if repairs.notes:
        log.info("script_repaired", llm=llm.name, count=len(repairs.notes),
                 repairs=repairs.notes[:40])
    check_scene_list(scene_list)
    check_narration(lines, scene_list.scenes)
    check_bible(visual_bible, scene_list)
    return Script(
        title=settings.title or title,
        tagline=tagline,
        logline=patterns.logline,
        patterns=patterns,
        characters=scene_list.characters,
        locations=scene_list.locations,
        scenes=scene_list.scenes,
        acts=act_plan.acts,
        narration=with_title_drop(lines, settings.title),
        bible=visual_bible,
        target_duration=settings.duration,
        words_per_second=WORDS_PER_SECOND,
    )


def with_title_drop(lines: list[NarrationLine], requested_title: str | None) -> list[NarrationLine]:
    """The title the user asked for is the one spoken, whatever the LLM chose."""
    spoken = speakable(requested_title) if requested_title else ""
    if not spoken:
        return lines
    return [
        line.model_copy(update={"text": spoken, "marked": f"*{spoken}*"})
        if line.card == "title" and line.text != spoken
        else line
        for line in lines
    ]
