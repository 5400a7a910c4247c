"""Plain text: paragraphs separated by blank lines, sections from the obvious headings
(a short ALL CAPS or Title Case line standing alone, or a "Part One"/"Chapter 3" line).

Hard-wrapped paragraphs are joined back into one line each; a block whose lines are too
long to be wrapping (one paragraph per line, as many editors save) is split per line.
"""

from __future__ import annotations

import re

from reelforge.models import Document

from .textclean import (
    Outline,
    is_heading_line,
    is_part_line,
    join_wrapped,
    normalise_newlines,
)

WRAP_WIDTH = 100
"""Lines longer than this are not hard-wrapped prose: each is a paragraph of its own."""


def read_plain(text: str) -> Document:
    """Parse plain text into a Document; the title is a heading-like first line."""
    blocks = [_lines(b) for b in re.split(r"\n[ \t]*\n", normalise_newlines(text))]
    blocks = [b for b in blocks if b]
    outline = Outline()
    title: str | None = None
    for index, lines in enumerate(blocks):
        is_last = index == len(blocks) - 1
        if len(lines) == 1 and not is_last and is_heading_line(lines[0]):
            outline.heading(lines[0])
            if index == 0 and not is_part_line(lines[0]):
                title = lines[0]
            continue
        _block(lines, outline)
    return outline.document("text", title)


def _lines(block: str) -> list[str]:
    return [ln.strip() for ln in block.split("\n") if ln.strip()]


def _block(lines: list[str], outline: Outline) -> None:
    """One block: a leading "Part One" line becomes a heading; wrapped lines are joined,
    unwrapped ones (longer than WRAP_WIDTH) stay separate paragraphs, with heading-like
    lines between them as headings."""
    if len(lines) > 1 and is_part_line(lines[0]):
        outline.heading(lines[0])
        lines = lines[1:]
    if max(len(ln) for ln in lines) <= WRAP_WIDTH:
        outline.paragraph(join_wrapped(lines))
        return
    pending: list[str] = []
    for line in lines:
        if not pending and is_heading_line(line):
            outline.heading(line)
            continue
        pending.append(line)
        if len(line) > WRAP_WIDTH or line.endswith((".", "!", "?", '"', "”")):
            outline.paragraph(" ".join(pending))
            pending = []
    outline.paragraph(" ".join(pending))
