"""Word timings of one line: matching an engine's words to the written words, filling
gaps, and cross-checking the aligner against the TTS.

Engines and aligners may tokenise differently from the script (a remote aligner may return
"doctor" for "Dr.", or drop a word), so their words are matched to the line's spoken tokens
by sequence alignment of normalised text rather than by position.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from reelforge.models import Word
from reelforge.word_timing import fill_untimed

from reelforge_audio.words import Token, normalize_word


@dataclass
class CheckedLine:
    """A line's final words, the written words the aligner did not place, and for each word
    it did place, how far its start is from the TTS's (seconds)."""

    words: list[Word]
    lost: list[str]
    disagreements: list[float]


def match_to_tokens(tokens: Sequence[Token], words: Sequence[Word]) -> list[Word | None]:
    """For each token, the engine word that stands for it, or None."""
    matched: list[Word | None] = [None] * len(tokens)
    matcher = difflib.SequenceMatcher(
        a=[t.key for t in tokens], b=[normalize_word(w.text) for w in words], autojunk=False
    )
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a_end - a_start == b_end - b_start):
            for offset in range(a_end - a_start):
                matched[a_start + offset] = words[b_start + offset]
    return matched


def fill_missing(
    tokens: Sequence[Token], matched: Sequence[Word | None], start: float, end: float
) -> list[tuple[float, float]]:
    """(start, end) for every token: matched ones as given, runs of unmatched ones sharing
    the gap between their neighbours in proportion to their length."""
    spans = [(w.start, w.end) if w is not None else None for w in matched]
    return fill_untimed(spans, [len(t.text) for t in tokens], start, end)


def cross_check(
    line: int,
    tokens: Sequence[Token],
    tts_words: Sequence[Word],
    aligned: Sequence[Word],
    window: tuple[float, float],
) -> CheckedLine:
    """The line's words with the aligner's timing where it placed the word inside the
    line's window, else the TTS's; both timings recorded (tts_start/tts_end)."""
    matched = match_to_tokens(tokens, aligned)
    checked = CheckedLine(words=[], lost=[], disagreements=[])
    previous_end = window[0]
    for token, tts, found in zip(tokens, tts_words, matched, strict=True):
        if found is not None and window[0] <= found.start <= found.end <= window[1]:
            start, end = found.start, found.end
            checked.disagreements.append(abs(start - tts.start))
        else:
            start, end = tts.start, tts.end
            checked.lost.append(token.text)
        start = max(start, previous_end)
        end = max(end, start)
        checked.words.append(Word(text=token.text, start=start, end=end, line=line,
                                  tts_start=tts.start, tts_end=tts.end))
        previous_end = end
    return checked


def summarize(disagreements: Sequence[float]) -> tuple[float | None, float | None]:
    """(mean, max) of the aligner-vs-TTS start differences; (None, None) when none."""
    if not disagreements:
        return None, None
    return sum(disagreements) / len(disagreements), max(disagreements)
