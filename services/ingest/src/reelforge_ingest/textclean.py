"""Text clean-up shared by every reader, and `Outline`, which collects headings and
paragraphs in reading order and turns them into a `Document`.

Every reader ends in the same shape (paragraphs separated by blank lines, headings as their
own paragraphs), so the story analyser sees one kind of text whatever was uploaded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from reelforge.models import Document, Section

DocFormat = Literal["pdf", "docx", "markdown", "text", "fountain", "idea"]

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\x0c\x85]")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)\]]$")

MINOR_WORDS = frozenset(
    ("a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on",
     "or", "nor", "the", "to", "up", "via", "vs", "with", "de", "la", "le")
)
_NUMBER_WORD = (
    r"\d+|[ivxlc]{1,6}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|final|last"
)
_PART_LINE = re.compile(
    rf"^(?:(?:part|chapter|act|book|episode|volume|section)\s+(?:{_NUMBER_WORD})\b"
    r"|prologue\b|epilogue\b|interlude\b|introduction\b|afterword\b)",
    re.IGNORECASE,
)
MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12


def normalise_newlines(text: str) -> str:
    """One newline convention (\\n) whatever the source used; form feeds become breaks."""
    return _NEWLINES.sub("\n", text).replace("\u2029", "\n\n")


def clean_line(text: str) -> str:
    """One line of clean prose: NFC, no invisible or control characters, single spaces.
    Newlines inside become spaces (readers pass wrapped lines of one paragraph)."""
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE).translate(_LIGATURES))
    text = _CONTROL.sub(" ", text.replace("\n", " "))
    return _SPACES.sub(" ", text).strip()


def join_wrapped(lines: list[str], dehyphenate: bool = False) -> str:
    """Lines of one paragraph as one line. With `dehyphenate` (PDF), a word split across a
    line end by a hyphen ("exam-" / "ple") is rejoined; elsewhere the hyphen is kept and
    the halves stay joined ("well-" / "known"). Linear in the paragraph's length."""
    pieces: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if pieces:
            prev = pieces[-1]
            glued = len(prev) >= 2 and prev[-1] in "-–—/" and not prev[-2].isspace()
            split_word = dehyphenate and glued and prev[-1] == "-" and prev[-2].isalpha()
            if split_word and line[0].islower():
                pieces[-1] = prev[:-1]
            elif not glued:
                pieces.append(" ")
        pieces.append(line)
    return "".join(pieces)


def remove_spans(text: str, start: str, end: str, replacement: str = "") -> str:
    """Text with every start...end span (not nested) replaced, in linear time; an unclosed
    start stays as text. (A lazy `.*?` regex is quadratic on many unclosed starts.)"""
    out: list[str] = []
    pos = 0
    while (begin := text.find(start, pos)) >= 0:
        close = text.find(end, begin + len(start))
        if close < 0:
            break
        out += [text[pos:begin], replacement]
        pos = close + len(end)
    out.append(text[pos:])
    return "".join(out)


def ends_sentence(line: str) -> bool:
    """Whether a line ends like the end of a sentence (so a paragraph may end there)."""
    return bool(_SENTENCE_END.search(line.rstrip()))


def is_part_line(line: str) -> bool:
    """"Part One", "Chapter 3: The Storm", "Prologue": a heading whatever its casing."""
    line = line.strip()
    return len(line) <= MAX_HEADING_CHARS and bool(_PART_LINE.match(line))


def is_heading_line(line: str) -> bool:
    """A short line in ALL CAPS or Title Case that does not end like a sentence, or a
    "Part One" line. Used by the readers that have no markup (plain text, PDF)."""
    line = line.strip()
    if is_part_line(line):
        return True
    words = line.split()
    if not words or len(line) > MAX_HEADING_CHARS or len(words) > MAX_HEADING_WORDS:
        return False
    if line[-1] in ".,;:!?" or not any(c.isalpha() for c in line):
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True
    return _is_title_case(words)


def _is_title_case(words: list[str]) -> bool:
    """Every significant word capitalised, the first word included."""
    alpha = [w.strip("\"'“”‘’()[]-–—") for w in words]
    alpha = [w for w in alpha if w and w[0].isalpha()]
    if not alpha or not alpha[0][0].isupper():
        return False
    return all(w[0].isupper() for w in alpha if w.lower() not in MINOR_WORDS)


def join_cells(cells: list[str]) -> str:
    """A table row as prose: "key: value" for two cells, "a; b; c" otherwise. Repeated
    neighbours (merged cells, which readers report once per grid column) are kept once."""
    kept: list[str] = []
    for cell in (clean_line(c) for c in cells):
        if cell and (not kept or kept[-1] != cell):
            kept.append(cell)
    return ": ".join(kept) if len(kept) == 2 else "; ".join(kept)


_JUNK_TITLE = re.compile(
    r"^(untitled|document\s*\d*|microsoft word|new document|title|draft\s*\d*|none|unknown)$",
    re.IGNORECASE,
)


def clean_title(raw: str | None) -> str | None:
    """A usable title, or None for the junk metadata many tools write
    ("Microsoft Word - draft3.docx", "Untitled", a file name) and for part headings."""
    if not raw:
        return None
    title = clean_line(raw)
    title = re.sub(r"^microsoft (word|powerpoint) - ", "", title, flags=re.IGNORECASE)
    if re.search(r"\.(docx?|pdf|txt|md|markdown|fountain|rtf|odt|pages)$", title, re.I):
        return None  # a file name, not a title
    title = title.strip(" \"'*_#")
    if not title or len(title) > 150 or _JUNK_TITLE.match(title) or is_part_line(title):
        return None  # "Chapter One" names a part, not the story
    return title


@dataclass
class _Part:
    heading: str | None
    paragraphs: list[str] = field(default_factory=list)


class Outline:
    """Headings and paragraphs in reading order. Every reader fills one, so they all produce
    the same text shape: paragraphs separated by a blank line, headings as paragraphs of
    their own, and sections that start at each heading."""

    def __init__(self) -> None:
        self._parts: list[_Part] = [_Part(None)]

    def heading(self, text: str) -> None:
        """Start a new section (skipped when the heading is blank)."""
        heading = clean_line(text)
        if heading:
            self._parts.append(_Part(heading))

    def paragraph(self, text: str) -> None:
        """Add a paragraph to the current section (skipped when blank)."""
        paragraph = clean_line(text)
        if paragraph:
            self._parts[-1].paragraphs.append(paragraph)

    @property
    def first_heading(self) -> str | None:
        """The first heading, if the outline has any."""
        return next((p.heading for p in self._parts if p.heading), None)

    def document(self, fmt: DocFormat, title: str | None, pages: int | None = None) -> Document:
        """The Document. Sections with no body (a heading followed by another heading) are
        dropped from `sections` but their headings stay in `text`; if nothing is left, the
        whole text is one section, so there is always at least one."""
        blocks: list[str] = []
        for part in self._parts:
            blocks += [part.heading] if part.heading else []
            blocks += part.paragraphs
        text = "\n\n".join(blocks)
        sections = [
            Section(heading=p.heading, text="\n\n".join(p.paragraphs))
            for p in self._parts
            if p.paragraphs
        ] or [Section(heading=None, text=text)]
        return Document(
            format=fmt,
            title=clean_title(title),
            text=text,
            sections=sections,
            pages=pages,
        )


def count_text(text: str) -> int:
    """Visible characters, used to tell "no text at all" from "some text"."""
    return sum(1 for c in text if not c.isspace())
