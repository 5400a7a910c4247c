"""A one-line idea becomes a short synopsis first (the `idea` LLM task: who, where, the goal,
the obstacle, the stakes), so every later pass reads a story rather than a single line."""

from __future__ import annotations

from typing import Any

from reelforge.models import Document, IdeaStory, JobSettings, Section
from reelforge.providers.base import LLM

SENTENCES = (6, 12)
"""How long the synopsis an idea becomes is, in sentences."""


def idea_context(document: Document, settings: JobSettings) -> dict[str, Any]:
    """`idea` → IdeaStory. Keys: idea (the line), sentences ([least, most]), seed."""
    return {"idea": document.text, "sentences": list(SENTENCES), "seed": settings.seed}


async def expand_idea(document: Document, settings: JobSettings, llm: LLM) -> Document:
    """An idea as a synopsis Document (title, one section per paragraph); any other
    document as it is."""
    if document.format != "idea":
        return document
    story = await llm.complete("idea", idea_context(document, settings), IdeaStory)
    paragraphs = [p.strip() for p in story.paragraphs if p.strip()]
    if not paragraphs:
        raise ValueError("idea: the expanded story has no text")
    return Document(format="text", title=story.title, text="\n\n".join(paragraphs),
                    sections=[Section(text=p) for p in paragraphs])
