"""Plain-text plumbing: markup removal, sentences, words, slugs and seeded choices."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019-]*")
HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
EMPHASIS = re.compile(r"(\*{1,3}|_{1,3}|`+)(?=\S)(.+?)(?<=\S)\1")
BARE_URL = re.compile(r"(?<!\()https?://[^\s)\]]+")
WIKI_REF = re.compile(r"<ref\b[^>\]]*[>\]]|</ref>|\{\{[^{}]*\}\}")
"""A wiki citation or template left in pasted text ('<ref name=...]', '{{Expand section}}')."""
INITIALISM = re.compile(r"(?:[a-z]\.)+[a-z]")
BULLET = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s+", re.MULTILINE)
BLANK_LINES = re.compile(r"\n\s*\n")
SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*\s+")
ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "capt",
    "prof",
    "sgt",
    "lt",
    "col",
    "gen",
    "rev",
    "vs",
    "etc",
    "no",
    "mt",
    "jr",
    "sr",
}
JOINING_WORDS = {
    "and",
    "but",
    "while",
    "as",
    "when",
    "until",
    "before",
    "after",
    "where",
    "because",
    "though",
    "although",
    "so",
    "yet",
}
APOSTROPHE_TAILS = {"s", "t", "d", "m", "re", "ll", "ve"}
CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:|\u2014|\u2013| - |\.\.\.|\u2026|, (?=(?:and|but|while|as|when|until|"
    r"before|after|where|because|though|although|so|yet) ))\s*"
)


# --------------------------------------------------------------------------- markup


def strip_markup(text: str) -> str:
    """Markdown reduced to its words: links to their text, emphasis, bullets, bare web
    addresses ('for release.http://www.tcm.com/...') and wiki citations removed."""
    text = BARE_URL.sub("", text)
    text = WIKI_REF.sub("", text)
    text = LINK.sub(r"\1", text)
    text = EMPHASIS.sub(r"\2", text)
    text = BULLET.sub("", text)
    return text.replace("\r\n", "\n")


def heading_of(line: str) -> str | None:
    match = HEADING_LINE.match(line)
    return match.group(1).strip() if match else None


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, each joined onto one line."""
    blocks = (" ".join(block.split()) for block in BLANK_LINES.split(text))
    return [block for block in blocks if block]


# --------------------------------------------------------------------------- sentences and words


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph, not split after abbreviations like 'Dr.', initials or
    initialisms ('U.S. Marines')."""
    result: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        before = text[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        abbreviated = last in ABBREVIATIONS or INITIALISM.fullmatch(last)
        if abbreviated or (len(last) == 1 and last.isalpha()):
            continue
        result.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        result.append(tail)
    return result


def clauses(sentence: str) -> list[str]:
    """A sentence cut at semicolons, colons, dashes and ', and'-style joins; a clause after
    the first loses its joining word so that it stands alone."""
    parts = [part.strip(" ,") for part in CLAUSE_BREAK.split(sentence)]
    parts = parts[:1] + [_unjoined(part) for part in parts[1:]]
    return [part for part in parts if len(part.split()) >= 2]


def _unjoined(clause: str) -> str:
    first, _, rest = clause.partition(" ")
    if first.lower() in JOINING_WORDS and len(rest.split()) >= 2:
        return rest[:1].upper() + rest[1:]
    return clause


def words(text: str) -> list[str]:
    return [w.replace("\u2019", "'") for w in WORD.findall(text)]


def lower_words(text: str) -> list[str]:
    return [w.lower() for w in words(text)]


def word_count(text: str) -> int:
    return len(words(text))


def contains_word(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text) is not None


def count_phrase(text: str, phrase: str) -> int:
    return len(re.findall(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text))


def first_position(text: str, phrase: str) -> int:
    match = re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text)
    return match.start() if match else len(text)


def title_case(text: str) -> str:
    """'BRICK'S PATIO' → "Brick's Patio", "O'BRIEN" → "O'Brien" (str.title gives "Brick'S")."""
    return re.sub(
        r"[A-Za-z\u00c0-\u024f]+", lambda m: _title_word(m.group(0), text[: m.start()]), text
    )


def _title_word(word: str, before: str) -> str:
    if before.endswith(("'", "\u2019")) and len(word) <= 2 and word.lower() in APOSTROPHE_TAILS:
        return word.lower()
    return word[:1].upper() + word[1:].lower()


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def ensure_period(text: str) -> str:
    text = text.rstrip(" ,;:")
    return text if text.endswith((".", "!", "?")) else text + "."


# --------------------------------------------------------------------------- ids and seeded choice


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def unique_slug(text: str, taken: set[str]) -> str:
    base = slug(text)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (Python's hash() is salted per run)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def choose(options: Sequence[T], *key: object) -> T:
    """A deterministic pick: same key, same option."""
    return options[stable_hash(*key) % len(options)]
