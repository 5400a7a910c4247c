"""Shared fixtures: the bundled example synopses read as ingest would hand them over."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from reelforge.models import Document, JobSettings, Script, Section
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.settings import Settings
from reelforge_script.stage import write_script

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def markdown_document(text: str) -> Document:
    """A Markdown story as a Document with its heading sections (what ingest produces)."""
    sections: list[Section] = []
    title: str | None = None
    heading: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = HEADING.match(line)
        if not match:
            lines.append(line)
            continue
        if heading is not None or "".join(lines).strip():
            sections.append(Section(heading=heading, text="\n".join(lines).strip()))
        heading, lines = match.group(2), []
        if match.group(1) == "#" and title is None:
            title = heading
    sections.append(Section(heading=heading, text="\n".join(lines).strip()))
    return Document(format="markdown", title=title, text=text, sections=sections)


@pytest.fixture(scope="session")
def example_document() -> Document:
    return markdown_document((EXAMPLES / "the-last-lighthouse.md").read_text())


@pytest.fixture(scope="session")
def short_document() -> Document:
    return markdown_document((EXAMPLES / "short.md").read_text())


@pytest.fixture
def analyst() -> LocalStoryAnalyst:
    return LocalStoryAnalyst(Settings())


@pytest.fixture(scope="session")
def example_scripts(example_document: Document) -> dict[float, Script]:
    """The example written at three durations once per session (the analyst is pure)."""

    async def write_all() -> dict[float, Script]:
        llm = LocalStoryAnalyst(Settings())
        return {
            duration: await write_script(example_document, JobSettings(duration=duration), llm)
            for duration in (30.0, 60.0, 120.0)
        }

    return asyncio.run(write_all())
