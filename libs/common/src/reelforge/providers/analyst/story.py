"""A Document read as a story: titled, split into headed paragraphs, logline set aside.

Sections from ingest (Markdown headings, Fountain scene headings) are used when present;
otherwise headings are recovered from the raw text, so a plain `Document(text=...)` reads
the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from reelforge.models import Document, Section
from reelforge.providers.analyst.text import (
    heading_of,
    paragraphs,
    sentences,
    strip_markup,
    title_case,
    word_count,
)

FOUNTAIN_HEADING = re.compile(r"^(?:INT|EXT|EST|INT\.?/EXT|I/E)[.\s]", re.IGNORECASE)
CHARACTER_CUE = re.compile(r"^[A-Z][A-Z .'\-]{1,30}(?:\s*\([A-Z. ']+\))?$")
CUE_EXTENSION = re.compile(r"\s*\(.*\)$")
"""'(V.O.)', '(CONT'D)' after a cue's name."""
TRANSITION = re.compile(r"^[A-Z .]+(?:TO|IN|OUT):?$")
PREFACE_MAX_WORDS = 80
PREFACE_MIN_WORDS = 8
TITLE_PAGE = re.compile(r"^(?:Title|Credit|Author|Authors|Source|Draft date|Contact):", re.I)
SHOUTED_NAME = re.compile(r"\b(?!INT\b|EXT\b)[A-Z][A-Z'\-]{1,}\b")
"""Screenplays capitalise a character's name when they first appear ('JUNE PARK')."""
SHOUTED_RUN = re.compile(r"\b(?!INT\b|EXT\b)[A-Z][A-Z'\-]+(?:[ \t]+[A-Z][A-Z'\-]+)*\b")


@dataclass(frozen=True)
class Paragraph:
    text: str
    heading: str | None
    section: int


@dataclass(frozen=True)
class Story:
    """`speakers`: the names a screenplay's character cues give, most lines first;
    `introduced`: names its action lines shout on a character's first appearance
    ('DR. VOSS') and later write as a name ('Voss blocks the door')."""

    title: str | None
    preface: str | None
    paragraphs: tuple[Paragraph, ...]
    speakers: tuple[str, ...] = ()
    introduced: tuple[str, ...] = ()

    @cached_property
    def body(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    @cached_property
    def sentences(self) -> list[str]:
        return [s for p in self.paragraphs for s in sentences(p.text)]

    @cached_property
    def all_text(self) -> str:
        return "\n\n".join(filter(None, [self.preface, self.body]))


def read_story(document: Document) -> Story:
    sections = document.sections or sections_from_text(document.text)
    sections = [s for s in sections if not TITLE_PAGE.match(s.text.strip()) or s.heading]
    title = document.title or _title_page(document.text) or _first_heading(sections)
    screenplay = document.format == "fountain"
    speakers = _speakers(sections) if screenplay else ()
    introduced = _introduced(sections, speakers) if screenplay else ()
    names = {w for name in speakers + introduced for w in name.split()} if screenplay else None
    headed = _headed_paragraphs(sections, title, names)
    preface = _preface(headed)
    body = headed[1:] if preface else headed
    return Story(
        title=title,
        preface=preface,
        paragraphs=tuple(body),
        speakers=speakers,
        introduced=introduced,
    )


def story_from_context(context: dict[str, Any]) -> Story:
    return read_story(Document.model_validate(context["document"]))


# --------------------------------------------------------------------------- sections


def sections_from_text(text: str) -> list[Section]:
    """Split raw Markdown/Fountain/plain text at heading lines."""
    found: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        new_heading = heading_of(line) or _fountain_heading(line)
        if new_heading is None:
            lines.append(line)
            continue
        if heading is not None or "".join(lines).strip():
            found.append(Section(heading=heading, text="\n".join(lines)))
        heading, lines = new_heading, []
    found.append(Section(heading=heading, text="\n".join(lines)))
    return [s for s in found if s.text.strip() or s.heading]


def _fountain_heading(line: str) -> str | None:
    stripped = line.strip()
    return stripped if FOUNTAIN_HEADING.match(stripped) else None


def _first_heading(sections: list[Section]) -> str | None:
    """The first heading that is a title, not a screenplay scene heading."""
    return next(
        (s.heading for s in sections if s.heading and not FOUNTAIN_HEADING.match(s.heading)),
        None,
    )


def _title_page(text: str) -> str | None:
    """A Fountain title page's `Title:` line."""
    match = re.match(r"\s*Title:\s*(.+)", text)
    return match.group(1).strip() if match else None


def _headed_paragraphs(
    sections: list[Section], title: str | None, screenplay_names: set[str] | None
) -> list[Paragraph]:
    result: list[Paragraph] = []
    for number, section in enumerate(sections):
        heading = section.heading
        if heading and title and heading.strip().lower() == title.strip().lower():
            heading = None
        text = strip_markup(section.text)
        if screenplay_names is not None:
            text = _fold_dialogue(text)
            text = _unshouted(text, screenplay_names)
        for block in paragraphs(text):
            if heading_of(block) is None:
                result.append(Paragraph(text=block, heading=heading, section=number))
    return result


def _unshouted(text: str, names: set[str]) -> str:
    """Shouted words read as prose: a character's name in title case ('JUNE' → 'June'),
    any other word in lowercase ('Brick FILLS a glass' → 'Brick fills a glass')."""

    def unshout(match: re.Match[str]) -> str:
        word = title_case(match.group(0))
        if word in names:
            return word
        opens_sentence = re.search(r"(?:^|[.!?:]\s+)$", text[: match.start()]) is not None
        return word if opens_sentence else word.lower()

    return SHOUTED_NAME.sub(unshout, text)


def _speakers(sections: list[Section]) -> tuple[str, ...]:
    """Who speaks in a screenplay: every character cue's name, most lines first."""
    lines = Counter(
        name for section in sections for name, _ in _cues(strip_markup(section.text).splitlines())
    )
    return tuple(name for name, _ in lines.most_common())


def _introduced(sections: list[Section], speakers: tuple[str, ...]) -> tuple[str, ...]:
    """Shouted names in action lines of which a word is a speaker's or is also written in
    title case ('Nurse JUNE PARK' for the speaker JUNE, 'DR. VOSS' then 'Voss')."""
    spoken = {word for name in speakers for word in name.split()}
    found: dict[str, None] = {}
    for section in sections:
        lines = strip_markup(section.text).splitlines()
        speeches = {number + 1 for _, number in _cues(lines)}
        action = "\n".join(
            line for n, line in enumerate(lines) if n not in speeches and not _is_cue(line.strip())
        )
        for match in SHOUTED_RUN.finditer(action):
            name = title_case(match.group(0))
            if any(
                word in spoken or re.search(rf"\b{re.escape(word)}\b", _all_text(sections))
                for word in name.split()
            ):
                found[name] = None
    return tuple(found)


def _all_text(sections: list[Section]) -> str:
    return "\n".join(section.text for section in sections)


def _cues(lines: list[str]) -> list[tuple[str, int]]:
    """(speaker, line number) of each character cue: an all-caps name over a speech."""
    found: list[tuple[str, int]] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        following = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if _is_cue(stripped) and following and not following.isupper():
            found.append((title_case(CUE_EXTENSION.sub("", stripped)), number))
    return found


def _fold_dialogue(text: str) -> str:
    """Fountain dialogue reads as prose: a cue line `MARA` over a speech becomes 'Mara says:'."""
    lines = text.splitlines()
    cues = {number: name for name, number in _cues(lines)}
    out: list[str] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if _is_transition(stripped):
            continue
        if number in cues:
            out.append(f"{cues[number]} says: {lines[number + 1].strip()}")
            lines[number + 1] = ""
            continue
        out.append(line)
    return "\n".join(out)


def _is_cue(line: str) -> bool:
    name = CUE_EXTENSION.sub("", line)
    return (
        bool(CHARACTER_CUE.match(line))
        and line.isupper()
        and len(name.split()) <= 3
        and not _is_transition(line)
    )


def _is_transition(line: str) -> bool:
    return bool(TRANSITION.match(line)) and line.endswith(("TO:", "OUT.", "IN:"))


def _preface(headed: list[Paragraph]) -> str | None:
    """A short first paragraph standing alone before headed parts is the author's logline."""
    if len(headed) < 4:
        return None
    first, rest = headed[0], headed[1:]
    alone = all(p.section != first.section for p in rest)
    later_parts_headed = any(p.heading for p in rest)
    size = word_count(first.text)
    if alone and later_parts_headed and PREFACE_MIN_WORDS <= size <= PREFACE_MAX_WORDS:
        return first.text
    return None
