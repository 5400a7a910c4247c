"""Captions from the word timings: cues, line breaking, SRT and WebVTT.

The rules are the broadcast ones: at most 42 characters a line and 2 lines a cue; a cue
breaks at sentence ends, narration-line ends and long pauses, and prefers to break a line
after punctuation. A cue appears when its first word is spoken (never before) and leaves
shortly after its last word, always before the next cue starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reelforge.models import Script, Word, WordTimings

MAX_LINE_CHARS = 42
MAX_LINES = 2
LINGER_SECONDS = 0.5
"""How long a cue may stay on screen after its last word ends (if the next cue allows)."""
MIN_CUE_SECONDS = 0.8
"""A short cue is held at least this long when the next cue leaves room."""
PAUSE_BREAK_SECONDS = 1.0
"""A silence this long between two words always starts a new cue."""
MAX_CUE_SECONDS = 7.0

SENTENCE_END = (".", "!", "?", "…", '."', '!"', '?"', ".'", "!'", "?'")
SOFT_BREAK = (",", ";", ":", "—", "–", "-")


@dataclass(frozen=True)
class Token:
    """A word as displayed (with the script's punctuation and case) and as timed."""

    text: str
    start: float
    end: float
    line: int


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    first_word_start: float
    last_word_end: float

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# --------------------------------------------------------------------------- cues


def build_cues(
    words: WordTimings,
    script: Script | None = None,
    *,
    max_chars: int = MAX_LINE_CHARS,
    max_lines: int = MAX_LINES,
) -> list[Cue]:
    """Group the timed words into cues that satisfy the line and timing rules."""
    tokens = display_tokens(words.words, script, max_chars)
    groups = _group(tokens, max_chars, max_lines)
    return _timed(groups, max_chars, max_lines)


def display_tokens(words: Sequence[Word], script: Script | None, max_chars: int) -> list[Token]:
    """Timed words spelled as the script writes them when the line's word count matches
    (aligners often return bare lower-case words), split if longer than a line."""
    ordered = sorted(words, key=lambda w: (w.start, w.end))
    spelled = _script_spelling(ordered, script)
    tokens: list[Token] = []
    for word in ordered:
        text = spelled.get(id(word), word.text).strip()
        for piece in _split_long(text, max_chars):
            tokens.append(Token(piece, word.start, max(word.end, word.start), word.line))
    return tokens


def _script_spelling(words: Sequence[Word], script: Script | None) -> dict[int, str]:
    if script is None:
        return {}
    by_line: dict[int, list[Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    spelled: dict[int, str] = {}
    for line in script.narration:
        timed = by_line.get(line.index, [])
        written = line.text.split()
        if timed and len(written) == len(timed):
            spelled.update((id(w), text) for w, text in zip(timed, written, strict=True))
    return spelled


def _split_long(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text] if text else []
    size = max_chars - 1
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    return [p + "-" for p in pieces[:-1]] + [pieces[-1]]


def _group(tokens: Sequence[Token], max_chars: int, max_lines: int) -> list[list[Token]]:
    """Greedy grouping: add words while the cue still lays out; on overflow, move the words
    after the cue's last comma-like break (if any) to the next cue."""
    groups: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if current and _must_break(current, token):
            groups.append(current)
            current = []
        if current and layout([*current, token], max_chars, max_lines) is None:
            keep, carry = _split_at_soft_break(current, token, max_chars, max_lines)
            groups.append(keep)
            current = carry
        current.append(token)
    if current:
        groups.append(current)
    return groups


def _must_break(current: Sequence[Token], token: Token) -> bool:
    last = current[-1]
    return (
        token.line != last.line
        or last.text.endswith(SENTENCE_END)
        or token.start - last.end >= PAUSE_BREAK_SECONDS
        or token.end - current[0].start > MAX_CUE_SECONDS
    )


def _split_at_soft_break(
    current: list[Token], token: Token, max_chars: int, max_lines: int
) -> tuple[list[Token], list[Token]]:
    for cut in range(len(current), 0, -1):
        if current[cut - 1].text.endswith(SOFT_BREAK):
            carry = current[cut:]
            if layout([*carry, token], max_chars, max_lines) is not None:
                return current[:cut], carry
            break
    return current, []


def layout(tokens: Sequence[Token], max_chars: int, max_lines: int) -> tuple[str, ...] | None:
    """The cue's lines, or None if the words do not fit. Two lines are balanced, with a
    preference for breaking after punctuation."""
    texts = [t.text for t in tokens]
    one = " ".join(texts)
    if len(one) <= max_chars:
        return (one,)
    if max_lines < 2:
        return None
    best: tuple[float, tuple[str, str]] | None = None
    for cut in range(1, len(texts)):
        top, bottom = " ".join(texts[:cut]), " ".join(texts[cut:])
        if len(top) > max_chars or len(bottom) > max_chars:
            continue
        cost = abs(len(top) - len(bottom)) - (12 if texts[cut - 1].endswith(SOFT_BREAK) else 0)
        if best is None or cost < best[0]:
            best = (cost, (top, bottom))
    return best[1] if best else None


def _timed(groups: Sequence[Sequence[Token]], max_chars: int, max_lines: int) -> list[Cue]:
    cues: list[Cue] = []
    for i, group in enumerate(groups):
        lines = layout(group, max_chars, max_lines)
        if lines is None:  # unreachable by construction; fail loudly rather than overflow
            raise ValueError(f"caption words do not fit: {[t.text for t in group]}")
        start = group[0].start
        spoken_end = max(t.end for t in group)
        end = max(spoken_end + LINGER_SECONDS, start + MIN_CUE_SECONDS)
        if i + 1 < len(groups):
            end = min(end, groups[i + 1][0].start)
        end = max(end, start + 0.001)
        cues.append(Cue(start, end, lines, start, spoken_end))
    return cues


# --------------------------------------------------------------------------- writers


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{i}\n{_stamp(c.start, ',', up=True)} --> {_stamp(c.end, ',', up=False)}\n{c.text}\n"
        for i, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{_stamp(c.start, '.', up=True)} --> {_stamp(c.end, '.', up=False)}\n{c.text}\n"
        for c in cues
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _stamp(seconds: float, separator: str, *, up: bool) -> str:
    """HH:MM:SS,mmm. Starts round up and ends round down to the millisecond, so a cue never
    shows before its first word nor overlaps the next cue."""
    scaled = seconds * 1000
    millis = math.ceil(scaled - 1e-6) if up else math.floor(scaled + 1e-6)
    hours, rest = divmod(max(0, millis), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"
