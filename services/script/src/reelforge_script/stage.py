"""Stage 1: a Document becomes a Script through a chain of LLM passes.

patterns → scenes → acts → (narration ∥ bible), each a separate `llm.complete` call with a
context from `contexts.py`. The stage owns consistency: it applies the act plan to the
scenes, checks every cross-reference between passes and assembles the final `Script`.
"""

from __future__ import annotations

import asyncio

from reelforge.models import (
    ActPlan,
    Document,
    JobSettings,
    Narration,
    NarrationLine,
    SceneList,
    Script,
    StoryPatterns,
    VisualBible,
)
from reelforge.providers.base import LLM

from reelforge_script.contexts import (
    WORDS_PER_SECOND,
    acts_context,
    bible_context,
    narration_context,
    patterns_context,
    scenes_context,
)
from reelforge_script.idea import expand_idea
from reelforge_script.speakable import speakable
from reelforge_script.validation import (
    align_line_acts,
    apply_acts,
    check_bible,
    check_narration,
    check_scene_list,
    scene_acts,
)

SCRIPT_VERSION = "script-2"
"""Part of the script fingerprint: bump it when the stage's output changes for the same input."""


async def write_script(document: Document, settings: JobSettings, llm: LLM) -> Script:
    """Run the four passes and the visual bible; raise ValueError on an inconsistent answer."""
    document = await expand_idea(document, settings, llm)  # an idea becomes a synopsis first
    patterns = await llm.complete("patterns", patterns_context(document, settings), StoryPatterns)
    scene_list = await llm.complete(
        "scenes", scenes_context(document, settings, patterns), SceneList
    )
    check_scene_list(scene_list)

    act_plan = await llm.complete("acts", acts_context(settings, patterns, scene_list), ActPlan)
    act_of = scene_acts(act_plan, len(scene_list.scenes))
    scene_list = scene_list.model_copy(update={"scenes": apply_acts(scene_list.scenes, act_of)})

    narration, bible = await asyncio.gather(
        llm.complete(
            "narration",
            narration_context(document, settings, patterns, scene_list, act_plan),
            Narration,
        ),
        llm.complete("bible", bible_context(settings, patterns, scene_list), VisualBible),
    )
    check_narration(narration.lines, scene_list.scenes)
    check_bible(bible, scene_list)
    lines = align_line_acts(narration.lines, scene_list.scenes)
    title = settings.title or narration.title
    return Script(
        title=title,
        tagline=narration.tagline,
        logline=patterns.logline,
        patterns=patterns,
        characters=scene_list.characters,
        locations=scene_list.locations,
        scenes=scene_list.scenes,
        acts=act_plan.acts,
        narration=with_title_drop(lines, settings.title),
        bible=bible,
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
