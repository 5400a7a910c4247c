"""Text and timing helpers for speech providers.

- narration marks (`...` pauses, `*emphasis*`) rendered per engine: SSML `<break>` for
  ElevenLabs models that honour it, audio tags for `eleven_v3`, plain text elsewhere;
- long text split at sentence boundaries under a model's character limit;
- timings mapped back onto the transcript's own words: a recogniser (or a TTS alignment)
  hears "nineteen ninety nine" where the script says "1999", drops or adds words; a sequence
  alignment (difflib) matches what it can and the rest is interpolated, so every transcript
  word gets a timing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from reelforge.models import Word
from reelforge.word_timing import fill_untimed

_PAUSE = re.compile(r"\s*(?:\.\.\.|…)\s*")
_EMPHASIS = re.compile(r"\*([^*]+)\*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_TAG = re.compile(r"<[^>]*>|\[[^\]]*\]")


@dataclass(frozen=True)
class Timed:
    """A word as some engine timed it."""

    text: str
    start: float
    end: float


# --------------------------------------------------------------------------- marks


def plain(marked: str) -> str:
    """The words as spoken: emphasis marks and tags removed, pauses kept as '...'."""
    text = _EMPHASIS.sub(r"\1", marked)
    return " ".join(_TAG.sub(" ", text).split())


def for_elevenlabs(marked: str, model: str, pause: float = 0.5) -> str:
    """`eleven_v3` ignores SSML and reads audio tags; other models take `<break>` (max 3 s)."""
    if model.startswith("eleven_v3"):
        text = _EMPHASIS.sub(lambda m: m.group(1).upper(), marked)
        text = _PAUSE.sub(" [pause] ", text)
    else:
        text = _EMPHASIS.sub(r"\1", marked)
        text = _PAUSE.sub(f'... <break time="{min(pause, 3.0):.1f}s" /> ', text)
    return " ".join(text.split())


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at sentence ends (then at spaces)."""
    if len(text) <= limit:
        return [text]
    return _pack([piece for sentence in _SENTENCE_END.split(text)
                  for piece in _hard_split(sentence, limit)], limit)


def _hard_split(sentence: str, limit: int) -> list[str]:
    """A sentence longer than the limit, cut at spaces."""
    return [sentence] if len(sentence) <= limit else _pack(sentence.split(), limit)


def _pack(pieces: list[str], limit: int) -> list[str]:
    """`pieces` joined by spaces into as few chunks of at most `limit` as their order allows
    (a piece longer than `limit` is a chunk of its own)."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > limit:
            chunks.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


# --------------------------------------------------------------------------- words


def transcript_words(text: str) -> list[str]:
    """The transcript's words: whitespace tokens with a letter or digit, punctuation kept
    (captions show it). Marks and tags are removed first."""
    return [t for t in plain(text).split() if any(ch.isalnum() for ch in t)]


def normalise(token: str) -> str:
    folded = unicodedata.normalize("NFKD", token.lower())
    return "".join(ch for ch in folded if ch.isalnum())


def words_from_characters(chars: list[str], starts: list[float], ends: list[float]) -> list[Timed]:
    """ElevenLabs character alignment -> words. Characters inside `<...>`/`[...]` tags (breaks,
    v3 audio tags) are dropped: they are not spoken words. A word runs from its first to its
    last letter or digit (the time of punctuation around it is the pause, not the word)."""
    words: list[Timed] = []
    buf = ""
    span: tuple[float, float] | None = None
    closing = ""
    for ch, start, end in zip(chars, starts, ends, strict=False):
        if closing:
            closing = "" if ch == closing else closing
            continue
        if ch in "<[":
            closing = ">" if ch == "<" else "]"
            ch = " "
        if ch.isspace():
            if buf and span:
                words.append(Timed(buf, *span))
            buf, span = "", None
            continue
        buf += ch
        if ch.isalnum():
            span = (span[0] if span else start, end)
    if buf and span:
        words.append(Timed(buf, *span))
    return words


def map_words(words: list[str], heard: list[Timed], duration: float) -> list[Word]:
    """A timing for every transcript word (Word.line = 0), from the words an engine timed."""
    times: list[tuple[float, float] | None] = [None] * len(words)
    matcher = SequenceMatcher(
        a=[normalise(w) for w in words], b=[normalise(h.text) for h in heard], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                times[i1 + k] = (heard[j1 + k].start, heard[j1 + k].end)
        elif tag == "replace":
            span = (heard[j1].start, heard[j2 - 1].end)
            for k, t in enumerate(_spread(words[i1:i2], *span)):
                times[i1 + k] = t
    filled: list[tuple[float, float] | None] = list(
        fill_untimed(times, _weights(words), 0.0, duration))
    return _monotonic(words, filled, duration)


def _spread(words: list[str], start: float, end: float) -> list[tuple[float, float]]:
    """Share [start, end] among words in proportion to their length."""
    return fill_untimed([None] * len(words), _weights(words), start, end)


def _weights(words: list[str]) -> list[int]:
    return [max(1, len(normalise(w))) for w in words]


def _monotonic(words: list[str], times: list[tuple[float, float] | None],
               duration: float) -> list[Word]:
    out: list[Word] = []
    last = 0.0
    for text, t in zip(words, times, strict=True):
        start, end = t if t else (last, last)
        start = min(max(start, last), duration)
        end = min(max(end, start), duration)
        out.append(Word(text=text, start=round(start, 3), end=round(end, 3), line=0))
        last = start
    return out
