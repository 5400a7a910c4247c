"""The spoken words of a text: the one tokenisation every timing in this package agrees on.

A word is a whitespace-delimited token that holds at least one letter or digit, kept as
written (punctuation included, so captions can show it); tokens that are only punctuation
("—", "...") are not spoken and get no timing. Engines, aligners and the service all index
words this way, so the n-th timing of a line always belongs to the n-th word of its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


@dataclass(frozen=True)
class Token:
    """One spoken word and where it sits in its source text (character offsets)."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return normalize_word(self.text)


def spoken_tokens(text: str) -> list[Token]:
    """The words of `text` that are spoken, in order."""
    return [
        Token(m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(text)
        if any(ch.isalnum() for ch in m.group())
    ]


def normalize_word(word: str) -> str:
    """Lower case without surrounding punctuation: the form used to compare words."""
    return _EDGE_PUNCTUATION.sub("", word.translate(_APOSTROPHES)).lower()
