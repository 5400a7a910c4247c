"""Make text safe to hand to a TTS engine and an aligner.

Narration is spoken and then force-aligned word by word, so a line may hold only words and
light punctuation: digits are spelled out, symbols become words or disappear.
"""

from __future__ import annotations

import re


def _word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ONES = _word_list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
TENS = _word_list("_ _ twenty thirty forty fifty sixty seventy eighty ninety")

SYMBOL_WORDS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "=": " equals "}
DASHES = re.compile(r"\s*[\u2013\u2014]\s*|\s+-\s+|--+")
QUOTES = re.compile(r"[\"\u201c\u201d\u2018\u00ab\u00bb`]")
APOSTROPHE = re.compile(r"\u2019")
BRACKETED = re.compile(r"\s*[(\[{][^)\]}]*[)\]}]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
NOT_SPOKEN = re.compile(r"[^A-Za-z0-9\u00c0-\u024f'.,!?;:\s-]")
SPACES = re.compile(r"\s+")
SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?;:])")
REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
TITLES = {
    "Lt": "Lieutenant", "Sgt": "Sergeant", "Capt": "Captain", "Cpl": "Corporal",
    "Col": "Colonel", "Gen": "General", "Maj": "Major", "Adm": "Admiral", "Cmdr": "Commander",
    "Det": "Detective", "Insp": "Inspector", "Supt": "Superintendent", "Dr": "Doctor",
    "Prof": "Professor", "Rev": "Reverend", "Fr": "Father", "St": "Saint",
}  # fmt: skip
TITLE = re.compile(rf"\b({'|'.join(TITLES)})\.?\s+(?=[A-Z])")
"""'Lt. Crowe': a voice may spell the abbreviation out letter by letter, and its full stop
reads as the end of a sentence."""


def number_words(n: int) -> str:
    """English words for 0 ≤ n < 1,000,000; years 1100–1999 read as pairs ("nineteen ten")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + (f"-{ONES[ones]}" if ones else "")
    if 1100 <= n < 2000 and n % 100:
        return f"{number_words(n // 100)} {number_words(n % 100)}"
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        tail = "" if not rest else (" and " if rest < 100 else " ") + number_words(rest)
        return f"{number_words(thousands)} thousand{tail}"
    return "many"


def _spell_number(match: re.Match[str]) -> str:
    digits = match.group(0).replace(",", "")
    whole, _, fraction = digits.partition(".")
    spoken = number_words(int(whole))
    if fraction:
        spoken += " point " + " ".join(ONES[int(d)] for d in fraction)
    return spoken


def speakable(text: str) -> str:
    """`text` with numbers spelled, symbols spoken or dropped, and whitespace tidied."""
    text = APOSTROPHE.sub("'", text)
    text = TITLE.sub(lambda m: TITLES[m.group(1)] + " ", text)
    text = BRACKETED.sub("", text)
    text = QUOTES.sub("", text)
    text = DASHES.sub(", ", text)
    for symbol, word in SYMBOL_WORDS.items():
        text = text.replace(symbol, word)
    text = NUMBER.sub(_spell_number, text)
    text = NOT_SPOKEN.sub(" ", text)
    text = SPACES.sub(" ", text).strip()
    text = SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return REPEATED_PUNCT.sub(r"\1", text).strip(" ,;:")
