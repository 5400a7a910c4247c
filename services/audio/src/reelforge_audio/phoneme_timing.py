"""Word timings from a phoneme stream with sample durations (Piper's alignments).

Piper tells how many samples each phoneme of a sentence took, but its phonemes come from
eSpeak, which joins some words ("on the" -> "ɔnðə"), expands numbers ("1999" -> three
words) and reduces function words in context. So the phonemes of each written word are
looked up on their own and the two sequences are aligned by a weighted edit distance in
which a space only pairs with a space: every spoken phoneme then carries the index of the
written word it belongs to, and a word's time is the span of its phonemes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SPACE = " "
PREFIX_MARKS = frozenset("ˈˌ")
"""Stress marks: they belong to the phoneme after them."""
SUFFIX_MARKS = frozenset("ːˑʲʰʷ")
"""Length and secondary articulation: they belong to the phoneme before them."""
SILENT_SYMBOLS = frozenset("^$_.,:;!?¡¿—–-…\"'()«»")
"""Sentence boundaries and punctuation: pauses, not parts of a word."""

_MATCH, _SUBSTITUTE, _SPACE_GAP, _PHONE_GAP, _SPACE_VS_PHONE = 0.0, 1.0, 0.4, 1.0, 3.0


@dataclass(frozen=True)
class TimedPhone:
    """A spoken phoneme (or a word gap, symbol " ") and its sample range."""

    symbol: str
    start: int
    end: int


@dataclass(frozen=True)
class WordSpan:
    start: int
    end: int


def timed_phones(symbols: Sequence[str], sample_counts: Sequence[int], offset: int = 0) -> list[
    TimedPhone
]:
    """Merge marks into their phonemes and drop punctuation, keeping sample positions."""
    phones: list[TimedPhone] = []
    cursor, pending_start = offset, None
    for symbol, count in zip(symbols, sample_counts, strict=True):
        start, cursor = cursor, cursor + int(count)
        if symbol in PREFIX_MARKS:
            pending_start = start if pending_start is None else pending_start
        elif symbol in SUFFIX_MARKS or _is_combining(symbol):
            if phones and phones[-1].symbol != SPACE:
                last = phones[-1]
                phones[-1] = TimedPhone(last.symbol, last.start, cursor)
        elif symbol in SILENT_SYMBOLS or symbol.isspace():
            pending_start = None
            if symbol.isspace() and phones and phones[-1].symbol != SPACE:
                phones.append(TimedPhone(SPACE, start, cursor))
        else:
            phones.append(TimedPhone(symbol, start if pending_start is None else pending_start,
                                     cursor))
            pending_start = None
    return phones


def reference_phones(
    words: Sequence[str], phonemize: Callable[[str], Sequence[str]]
) -> list[tuple[str, int | None]]:
    """Each written word's own phonemes, labelled with its index; spaces between words."""
    reference: list[tuple[str, int | None]] = []
    for index, word in enumerate(words):
        if reference:
            reference.append((SPACE, None))
        for symbol in phonemize(word):
            if symbol.isspace():
                reference.append((SPACE, index))
            elif not _is_mark_or_silent(symbol):
                reference.append((symbol, index))
    return reference


def word_spans(
    phones: Sequence[TimedPhone], reference: Sequence[tuple[str, int | None]], word_count: int
) -> list[WordSpan]:
    """The sample span of each written word, in order, never overlapping."""
    labels = _label_phones(phones, reference)
    spans: list[WordSpan | None] = [None] * word_count
    for phone, label in zip(phones, labels, strict=True):
        if label is None:
            continue
        span = spans[label]
        spans[label] = (
            WordSpan(phone.start, phone.end) if span is None else WordSpan(span.start, phone.end)
        )
    return _fill_unspoken(spans, phones)


# ------------------------------------------------------------------------- alignment


def _label_phones(
    phones: Sequence[TimedPhone], reference: Sequence[tuple[str, int | None]]
) -> list[int | None]:
    """Word index for each spoken phoneme (None for word gaps), by edit-distance alignment."""
    hyp = [p.symbol for p in phones]
    ref = [symbol for symbol, _ in reference]
    pairs = _align(ref, hyp)
    labels: list[int | None] = [None] * len(hyp)
    for ref_index, hyp_index in pairs:
        if ref_index is not None and hyp[hyp_index] != SPACE and ref[ref_index] != SPACE:
            labels[hyp_index] = reference[ref_index][1]
    return _inherit_labels(hyp, labels)


def _align(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int | None, int]]:
    """Pairs (ref index or None, hyp index) of a cheapest alignment, for each hyp symbol."""
    rows, cols = len(ref) + 1, len(hyp) + 1
    cost = [[0.0] * cols for _ in range(rows)]
    for i in range(1, rows):
        cost[i][0] = cost[i - 1][0] + _gap(ref[i - 1])
    for j in range(1, cols):
        cost[0][j] = cost[0][j - 1] + _gap(hyp[j - 1])
    for i in range(1, rows):
        row, previous, r = cost[i], cost[i - 1], ref[i - 1]
        for j in range(1, cols):
            h = hyp[j - 1]
            row[j] = min(
                previous[j - 1] + _pair(r, h),
                previous[j] + _gap(r),
                row[j - 1] + _gap(h),
            )
    return _backtrack(cost, ref, hyp)


def _backtrack(
    cost: list[list[float]], ref: Sequence[str], hyp: Sequence[str]
) -> list[tuple[int | None, int]]:
    pairs: list[tuple[int | None, int]] = []
    i, j = len(ref), len(hyp)
    while j > 0:
        if i > 0 and _close(cost[i][j], cost[i - 1][j - 1] + _pair(ref[i - 1], hyp[j - 1])):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and _close(cost[i][j], cost[i - 1][j] + _gap(ref[i - 1])):
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return pairs


def _inherit_labels(hyp: Sequence[str], labels: list[int | None]) -> list[int | None]:
    """A spoken phoneme the written words did not predict joins the word before it
    (or, at the very start, the word after it)."""
    result = list(labels)
    previous: int | None = None
    for index, symbol in enumerate(hyp):
        if symbol == SPACE:
            continue
        if result[index] is None:
            result[index] = previous
        previous = result[index]
    following: int | None = None
    for index in range(len(hyp) - 1, -1, -1):
        if hyp[index] == SPACE:
            continue
        if result[index] is None:
            result[index] = following
        following = result[index]
    return result


def _fill_unspoken(spans: list[WordSpan | None], phones: Sequence[TimedPhone]) -> list[WordSpan]:
    """A word that got no phoneme sits, zero-length, where the previous word ended; spans
    are then clipped so that no word starts before the previous one ends."""
    filled: list[WordSpan] = []
    cursor = phones[0].start if phones else 0
    for span in spans:
        if span is None:
            filled.append(WordSpan(cursor, cursor))
            continue
        start = max(span.start, cursor)
        end = max(span.end, start)
        filled.append(WordSpan(start, end))
        cursor = end
    return filled


def _pair(ref: str, hyp: str) -> float:
    if ref == hyp:
        return _MATCH
    if SPACE in (ref, hyp):
        return _SPACE_VS_PHONE
    return _SUBSTITUTE


def _gap(symbol: str) -> float:
    return _SPACE_GAP if symbol == SPACE else _PHONE_GAP


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9


def _is_combining(symbol: str) -> bool:
    return all(unicodedata.combining(ch) for ch in symbol)


def _is_mark_or_silent(symbol: str) -> bool:
    return (
        symbol in PREFIX_MARKS or symbol in SUFFIX_MARKS or symbol in SILENT_SYMBOLS
        or _is_combining(symbol)
    )
