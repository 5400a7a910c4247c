"""Markdown to clean prose, through markdown-it-py's token stream (not regexes), so
emphasis, links, images, lists, tables and code are unwrapped the way a renderer would.

`#` and `##` headings start sections (they are the document's structure); deeper headings
are kept as short paragraphs. The first `#` heading is the title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from reelforge.models import Document

from .textclean import Outline, join_cells, normalise_newlines, remove_spans

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
SECTION_LEVELS = 2


def read_markdown(text: str) -> Document:
    """Parse Markdown into a Document; title from the first `#` heading or front matter."""
    body, front_title = split_front_matter(normalise_newlines(text))
    outline = Outline()
    h1 = _walk(_PARSER.parse(body), outline)
    return outline.document("markdown", h1 or front_title)


def split_front_matter(text: str) -> tuple[str, str | None]:
    """(text without a leading YAML front matter block, its `title:` if any). Read with a
    regex rather than a YAML parser: only the title matters here."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, None
    title = _FRONT_TITLE.search(match.group(1))
    value = title.group(1).strip("\"' ") if title else None
    return text[match.end():], value or None


def _walk(tokens: Sequence[Token], outline: Outline) -> str | None:
    """Feed block tokens to the outline; return the first level-1 heading's text. Table
    body rows become paragraphs; header rows are dropped."""
    h1: str | None = None
    row: list[str] | None = None
    in_head = False
    heading_level = 0
    for tok in tokens:
        if tok.type == "heading_open":
            heading_level = int(tok.tag[1:])
        elif tok.type == "heading_close":
            heading_level = 0
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_close" and row is not None:
            if not in_head:  # column names are not prose
                outline.paragraph(join_cells(row))
            row = None
        elif tok.type == "inline":
            text = inline_text(tok.children or [])
            if row is not None:
                row.append(text)
            elif heading_level and heading_level <= SECTION_LEVELS:
                outline.heading(text)
                h1 = h1 or (text if heading_level == 1 else None)
            else:
                outline.paragraph(text)
        elif tok.type in ("fence", "code_block"):
            outline.paragraph(tok.content)
        elif tok.type == "html_block":
            outline.paragraph(_TAG.sub(" ", remove_spans(tok.content, "<!--", "-->")))
    return h1


def inline_text(children: Sequence[Token]) -> str:
    """The visible words of an inline token: markup dropped, link text and image alt text
    kept, inline HTML removed."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)
