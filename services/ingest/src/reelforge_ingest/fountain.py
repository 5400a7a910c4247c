"""A focused Fountain (https://fountain.io) reader: screenplay in, readable prose out.

We need text for a story analyser, not a typeset script, so this keeps what tells the story
(scene headings, action, who says what) and drops what only formats a page (transitions,
page breaks, notes, boneyard, synopses, parentheticals, emphasis marks). Dialogue becomes
`MAYA: We have to go back.` so the analyser sees who speaks. The PyPI parsers were either
unmaintained or pre-1.0 single-author projects, and none produce this shape, so this is
ours.
"""

from __future__ import annotations

import re

from reelforge.models import Document

from .textclean import Outline, normalise_newlines, remove_spans

TITLE_KEYS = frozenset(
    ("title", "credit", "author", "authors", "source", "draft date", "date", "contact",
     "copyright", "notes", "revision", "format", "episode", "series")
)
_TITLE_PAGE_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{0,29}):(.*)$")
SCENE_HEADING = re.compile(r"^(?:int|ext|est|int\.?/ext|i/e)[.\s]", re.IGNORECASE)
_FORCED_SCENE = re.compile(r"^\.(?=[^.\s])")
_SCENE_NUMBER = re.compile(r"\s*#[\w.-]+#\s*$")
TRANSITION = re.compile(r"^[^a-z]*TO:$")
_STOCK_TRANSITION = re.compile(
    r"^(?:FADE IN|FADE OUT|FADE TO BLACK|CUT TO BLACK|SMASH CUT|MATCH CUT|DISSOLVE)"
    r"[.:]?$"
)
_EXTENSION = re.compile(r"\s*\([^)]*\)")
_PAGE_BREAK = re.compile(r"^={3,}$")
_EMPHASIS = (  # no nesting across marks: keeps matching linear on hostile input
    re.compile(r"(\*{1,3})(?=[^*\s])([^*]+?)(?<=\S)\1"),
    re.compile(r"(?<!\w)_(?=[^_\s])([^_]+?)(?<=\S)_(?!\w)"),
)
_MARK = "\x00"


def read_fountain(text: str) -> Document:
    """Parse a Fountain screenplay into a Document (title from the title page)."""
    lines = _strip_hidden(normalise_newlines(text)).split("\n")
    title, start = title_page(lines)
    outline = Outline()
    i = start
    while i < len(lines):
        i = _element(lines, i, i == start or not lines[i - 1].strip(), outline)
    return outline.document("fountain", title)


def _strip_hidden(text: str) -> str:
    """Remove boneyard (/* */) and notes ([[ ]]). A line that held only hidden text goes
    away entirely, so a note between a cue and its dialogue does not split them."""
    text = remove_spans(remove_spans(text, "/*", "*/", _MARK), "[[", "]]", _MARK)
    kept = []
    for line in text.split("\n"):
        visible = line.replace(_MARK, "")
        if visible.strip() or _MARK not in line:
            kept.append(visible)
    return "\n".join(kept)


def title_page(lines: list[str]) -> tuple[str | None, int]:
    """(title, index of the first body line). A title page is key: value lines at the very
    top, starting with a known key and ending at the first blank line."""
    first = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    match = _TITLE_PAGE_LINE.match(lines[first].strip()) if first < len(lines) else None
    if not match or match.group(1).strip().lower() not in TITLE_KEYS:
        return None, 0
    values: dict[str, list[str]] = {}
    key = ""
    i = first
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        match = _TITLE_PAGE_LINE.match(line.strip())
        if match and not line[:1].isspace():
            key = match.group(1).strip().lower()
            values[key] = [match.group(2).strip()]
        elif key:
            values[key].append(line.strip())
        i += 1
    parts = [plain(v) for v in values.get("title", []) if plain(v)]
    return (" ".join(parts) or None), i


def _element(lines: list[str], i: int, after_blank: bool, outline: Outline) -> int:
    """Read the element starting at line i into the outline; return the next line index."""
    line = lines[i].strip()
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if not line or _PAGE_BREAK.match(line):
        return i + 1
    if after_blank and is_scene_heading(line):
        outline.heading(scene_heading_text(line))
        return i + 1
    if line.startswith("#"):
        outline.heading(plain(line.lstrip("#")))
        return i + 1
    if line.startswith("=") or is_transition(line, after_blank, not nxt):
        return i + 1
    if after_blank and is_character_cue(line, nxt):
        return _dialogue(lines, i, outline)
    return _action(lines, i, outline)


def is_scene_heading(line: str) -> bool:
    """INT./EXT./EST./I/E headings, or a heading forced with a leading dot."""
    return bool(SCENE_HEADING.match(line) or _FORCED_SCENE.match(line))


def scene_heading_text(line: str) -> str:
    """The heading without its forcing dot or scene number (#12A#)."""
    return plain(_SCENE_NUMBER.sub("", _FORCED_SCENE.sub("", line)))


def is_transition(line: str, after_blank: bool, before_blank: bool) -> bool:
    """CUT TO:-style transitions (uppercase, ending in TO:), the stock ones that don't
    end in TO: (FADE IN:, FADE OUT.), or any line forced with '>'."""
    if line.startswith(">") and not line.endswith("<"):
        return True
    standalone = after_blank and before_blank
    return standalone and bool(TRANSITION.match(line) or _STOCK_TRANSITION.match(line))


def is_character_cue(line: str, next_line: str) -> bool:
    """An uppercase name (extensions like (V.O.) allowed) directly above dialogue, or a
    name forced with '@'. The caller checks the blank line above."""
    if not next_line.strip() or line.startswith(("!", ">", "~", "=", "#")):
        return False
    if line.startswith("@"):
        return bool(cue_name(line))
    name = cue_name(line)
    letters = [c for c in name if c.isalpha()]
    return (
        bool(letters)
        and all(c.isupper() for c in letters)
        and len(name) <= 40
        and len(name.split()) <= 5
        and not name.endswith((":", "."))
        and not is_scene_heading(line)
        and not TRANSITION.match(line)
    )


def cue_name(line: str) -> str:
    """The speaker's name: no '@', no dual-dialogue '^', no (V.O.)/(CONT'D) extensions."""
    return _EXTENSION.sub("", line.strip().lstrip("@").rstrip("^").strip()).strip()


def _dialogue(lines: list[str], i: int, outline: Outline) -> int:
    """A cue and its dialogue as one paragraph, `NAME: words`. Parentheticals are
    dropped; a line of two spaces keeps the speech going past a visual gap."""
    name = plain(cue_name(lines[i]))
    speech: list[str] = []
    i += 1
    while i < len(lines) and (lines[i].strip() or lines[i] == "  "):
        line = lines[i].strip()
        if line and not (line.startswith("(") and line.endswith(")")):
            speech.append(plain(line.lstrip("~")))
        i += 1
    if speech:
        outline.paragraph(f"{name}: {' '.join(speech)}")
    return i


def _action(lines: list[str], i: int, outline: Outline) -> int:
    """Consecutive non-blank lines as one action paragraph (forcing marks removed)."""
    block: list[str] = []
    while i < len(lines) and lines[i].strip():
        line = lines[i].strip()
        if line.startswith(">") and line.endswith("<"):
            line = line[1:-1]
        block.append(plain(line.lstrip("!~")))
        i += 1
    outline.paragraph(" ".join(block))
    return i


def plain(text: str) -> str:
    """Text without Fountain emphasis marks (*italic*, **bold**, _underline_) or escapes."""
    text = text.replace("\\*", "\x01").replace("\\_", "\x02")
    for pattern in _EMPHASIS:
        text = pattern.sub(lambda m: m.group(m.lastindex or 0), text)
    return text.replace("\x01", "*").replace("\x02", "_").strip()
