"""What an upload is, decided from its bytes, never from its name.

Binary formats are recognised by their magic numbers; everything else must decode as text
(UTF-8/UTF-16 with or without BOM, else cp1252/latin-1) and is then classified as Fountain,
Markdown or plain text by counting the marks each format leaves. The file name's extension
only breaks ties when the content does not say clearly.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from itertools import pairwise
from pathlib import PurePosixPath
from typing import Literal

from . import fountain
from .errors import DocumentError

BinaryKind = Literal["pdf", "zip", "text"]
TextFormat = Literal["fountain", "markdown", "text"]

SUPPORTED = "PDF, DOCX, Markdown, Fountain or plain text"
SAMPLE_CHARS = 100_000
"""Classification looks at the start of the text only: the marks show up early."""
FOUNTAIN_MIN = 5.0
"""Fountain evidence needed: e.g. a scene heading plus a cue, or a title page plus one."""
MARKDOWN_MIN = 4.0
"""Markdown evidence needed: e.g. one `#` heading, or a list and some emphasis."""

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "image"),
    (b"\xff\xd8\xff", "a JPEG image", "image"),
    (b"GIF87a", "a GIF image", "image"),
    (b"GIF89a", "a GIF image", "image"),
    (b"II*\x00", "a TIFF image", "image"),
    (b"MM\x00*", "a TIFF image", "image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "", "ole"),
    (b"{\\rtf", "an RTF document", "convert"),
    (b"\x1f\x8b", "a gzip archive", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "archive"),
    (b"Rar!\x1a\x07", "a RAR archive", "archive"),
    (b"\x7fELF", "a program", "archive"),
)
_PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
_HTML = re.compile(rb"\A\s*(<!doctype html|<html)", re.IGNORECASE)
_XML = re.compile(rb"\A\s*<\?xml", re.IGNORECASE)
_FDX = re.compile(rb"<FinalDraft\b")

_NON_ASCII = re.compile(r"[^\x00-\x7f\ufffd]")
_EXTENSIONS: dict[str, TextFormat] = {
    ".fountain": "fountain", ".spmd": "fountain",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".txt": "text", ".text": "text",
}


def detect_binary(data: bytes) -> BinaryKind:
    """'pdf' (a %PDF-n.n header in the first KB, as readers allow), 'zip', or 'text';
    other known binary formats raise a DocumentError naming them."""
    if _PDF_HEADER.search(data[:1024]):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    for magic, what, kind in _MAGIC:
        if data.startswith(magic):
            raise DocumentError(_magic_message(what, kind), "unsupported")
    head = data[:4096].removeprefix(codecs.BOM_UTF8)
    if _HTML.match(head):
        raise DocumentError(
            f"this is an HTML page; save it as PDF or plain text (or upload {SUPPORTED})",
            "unsupported",
        )
    if _XML.match(head):
        what = "a Final Draft (.fdx) script" if _FDX.search(head) else "an XML file"
        raise DocumentError(
            f"this is {what}; export it as Fountain or PDF and try again", "unsupported"
        )
    return "text"


def _magic_message(what: str, kind: str) -> str:
    if kind == "image":
        return (
            f"this is {what}, not a document; run OCR on it and upload the text, "
            f"or upload a {SUPPORTED} file"
        )
    if kind == "ole":
        return (
            "this is an old Word 97-2003 (.doc) file or a password-protected Office "
            "document; save it as DOCX (without a password) or PDF and try again"
        )
    if kind == "convert":
        return f"this is {what}; save it as DOCX, PDF or plain text and try again"
    return f"this is {what}, not a document; upload a {SUPPORTED} file instead"


# --------------------------------------------------------------------------- decoding


def decode_text(data: bytes) -> str:
    """Bytes to text. UTF-32/UTF-16 by BOM, UTF-8 (BOM stripped; a few bad bytes in
    otherwise valid UTF-8 are replaced rather than misread), else cp1252, else latin-1.
    Raises DocumentError when the result is not text (binary junk)."""
    text = _decode(data)
    if _looks_binary(text):
        raise DocumentError(
            f"this file is not a supported document (it looks like binary data); "
            f"upload a {SUPPORTED} file",
            "unsupported",
        )
    return text.removeprefix("\ufeff")


def _decode(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    bomless = _utf16_without_bom(data[:4096])
    if bomless:
        return data.decode(bomless, errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8-sig", errors="replace")
    multibyte = len(_NON_ASCII.findall(lenient))
    if multibyte >= 10 * lenient.count("\ufffd"):
        return lenient
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when mostly-ASCII text shows the telltale NUL in every
    other byte (Windows tools sometimes omit the BOM), else None."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return None
    if even.count(0) == 0 and odd.count(0) > 0.7 * len(odd):
        return "utf-16-le"
    if odd.count(0) == 0 and even.count(0) > 0.7 * len(even):
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    """NUL bytes, or more than 1% control/replacement characters, in the first 64K."""
    sample = text[:65536]
    if not sample.strip():
        return False
    if "\x00" in sample:
        return True
    odd = sum(
        1 for c in sample
        if c == "\ufffd" or (c < " " and c not in "\t\n\r\f\v") or "\x7f" <= c <= "\x9f"
    )
    return odd > 0.01 * len(sample)


# --------------------------------------------------------------------------- classifying


def classify_text(text: str, filename: str | None = None) -> TextFormat:
    """Fountain, Markdown or plain text, from the marks in the text. When neither markup
    has clear evidence, or both do equally, the extension (if it names a text format)
    decides; otherwise plain text."""
    sample = text[:SAMPLE_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    f_score, m_score = fountain_score(sample), markdown_score(sample)
    enough_f, enough_m = f_score >= FOUNTAIN_MIN, m_score >= MARKDOWN_MIN
    if enough_f and f_score >= 2 * m_score:
        return "fountain"
    if enough_m and m_score >= 2 * f_score:
        return "markdown"
    hint = extension_hint(filename)
    if hint:
        return hint
    if enough_f or enough_m:
        return "fountain" if f_score / FOUNTAIN_MIN >= m_score / MARKDOWN_MIN else "markdown"
    return "text"


def extension_hint(filename: str | None) -> TextFormat | None:
    """The text format a file name's extension suggests, if any."""
    if not filename:
        return None
    return _EXTENSIONS.get(PurePosixPath(filename.replace("\\", "/")).suffix.lower())


def fountain_score(text: str) -> float:
    """Evidence of a screenplay: scene headings and a title page weigh most; character
    cues count more when names recur (screenplay speakers do, plain-text headings don't)."""
    lines = text.split("\n")
    has_title_page = _starts_with_title_key(lines)
    scenes = transitions = parentheticals = 0
    cues: Counter[str] = Counter()
    for i, raw in enumerate(lines):
        line = raw.strip()
        after_blank = i == 0 or not lines[i - 1].strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not line or not after_blank:
            continue
        if fountain.SCENE_HEADING.match(line):
            scenes += 1
        elif fountain.TRANSITION.match(line) and not nxt:
            transitions += 1
        elif fountain.is_character_cue(line, nxt):
            cues[fountain.cue_name(line)] += 1
            parentheticals += nxt.startswith("(") and nxt.endswith(")")
    total = sum(cues.values())
    recurring = total - len(cues)
    cue_score = min(total, 10) * (1.0 if recurring >= 1 else 0.5)
    return (
        4 * min(scenes, 5) + 4 * has_title_page + cue_score
        + 2 * min(transitions, 3) + min(parentheticals, 3)
    )


def _starts_with_title_key(lines: list[str]) -> bool:
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    key = first.split(":", 1)[0].strip().lower() if ":" in first else ""
    return key in fountain.TITLE_KEYS


_SETEXT = re.compile(r"^(?:=+|-+)[ \t]*$")
_MD_PATTERNS: tuple[tuple[re.Pattern[str], float, int], ...] = (
    (re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE), 4, 5),
    (re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"), 1, 5),
    (re.compile(r"(?<![*\w])\*[^*\s][^*\n]*\*(?![*\w])|(?<!\w)_[^_\s][^_\n]*_(?!\w)"), 1, 3),
    (re.compile(r"^[ \t]{0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S", re.MULTILINE), 1, 6),
    (re.compile(r"\[[^\[\]\n]+\]\([^()\s]+\)"), 2, 3),
    (re.compile(r"^(?:```|~~~)", re.MULTILINE), 2, 2),
    (re.compile(r"^>[ \t]?\S(?![^\n]*<$)", re.MULTILINE), 1, 3),
)


def markdown_score(text: str) -> float:
    """Evidence of Markdown: headings, setext underlines, emphasis, lists, links, fences,
    blockquotes; each kind capped so one repeated mark cannot dominate."""
    lines = text.split("\n")
    setext = sum(
        1 for prev, line in pairwise(lines)
        if prev.strip() and _SETEXT.match(line)
    )
    score = 2.0 * min(setext, 3)
    for pattern, weight, cap in _MD_PATTERNS:
        count = sum(1 for _ in zip(range(cap), pattern.finditer(text), strict=False))
        score += weight * count
    return score
