"""Narration lines to one voiceover track, and where every line and word sits in it.

Each line is spoken in the pieces its `marked` text separates with "..." (a short pause
between them), trimmed of the engine's own leading and trailing silence, and placed after
the previous line's `pause_after` (at least `ACT_GAP_SECONDS` when the act changes), the
first one after a short lead-in. Once a script is edited after its voiceover was made, its
lines keep the slots they had (`kept_starts`), so an edited line moves nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

import numpy as np
from reelforge.models import NarrationLine, PlacedLine, VoiceoverLayout, Word
from reelforge.providers import TTS, Audio, Speech

from reelforge_audio import pcm
from reelforge_audio.timing import fill_missing, match_to_tokens
from reelforge_audio.words import spoken_tokens

VOICEOVER_RATE = 48_000
LEAD_IN_SECONDS = 0.5
ACT_GAP_SECONDS = 1.0
DOTS_PAUSE_SECONDS = 0.35
EDGE_SECONDS = 0.03
"""Silence kept around trimmed speech, so consonant onsets and releases stay whole."""
TAIL_SECONDS = 0.3
MIN_GAP_SECONDS = 0.25
MAX_GAP_SECONDS = 3.0
MIN_GAP_FACTOR = 0.4
MAX_GAP_FACTOR = 3.0
KEPT_GAP_SECONDS = 0.2
"""The least silence a line leaves before the next one's kept start; below MIN_GAP_SECONDS,
so a slot measured from a fitted voiceover is never overrun by rounding."""
VOICEOVER_PEAK_DBFS = -1.0
_DOTS = re.compile(r"\.{3,}|…")


def pause_segments(line: NarrationLine) -> list[str]:
    """The pieces of the line to speak with a short pause between them.

    Taken from `marked` (emphasis asterisks dropped) when its words are the line's words;
    otherwise the plain `text`, whole."""
    cleaned = line.marked.replace("*", "")
    pieces = [p.strip() for p in _DOTS.split(cleaned)]
    pieces = [p for p in pieces if spoken_tokens(p)]
    marked_words = [t.key for p in pieces for t in spoken_tokens(p)]
    if not pieces or marked_words != [t.key for t in spoken_tokens(line.text)]:
        return [line.text]
    return pieces


async def speak_line(
    tts: TTS, line: NarrationLine, voice: str | None,
    before_call: Callable[[], Awaitable[None]],
) -> Speech:
    """The line spoken (48 kHz mono, edges trimmed) with one TTS timing per written word."""
    pieces: list[Speech] = []
    for piece in pause_segments(line):
        await before_call()
        pieces.append(_trimmed(await tts.synthesize(piece, voice)))
    joined = _join(pieces, DOTS_PAUSE_SECONDS)
    samples = pcm.resample(joined.audio.samples, joined.audio.rate, VOICEOVER_RATE)
    audio = Audio(samples=samples, rate=VOICEOVER_RATE)
    return Speech(audio=audio, words=_words_for_text(line, joined.words, audio.duration))


def planned_gaps(lines: Sequence[NarrationLine]) -> list[float]:
    """The silence after each line as the script asks: its pause, longer between acts."""
    gaps = []
    for index, line in enumerate(lines):
        gap = line.pause_after
        if index + 1 < len(lines) and lines[index + 1].act != line.act:
            gap = max(gap, ACT_GAP_SECONDS)
        gaps.append(gap if index + 1 < len(lines) else 0.0)
    return gaps


def fitted_gaps(gaps: Sequence[float], speech: float, target: float | None) -> list[float]:
    """Stretch or shrink the pauses so the voiceover lasts `target` seconds.

    The words are spoken at the voice's natural rate; the breathing room between lines is
    what gives, within limits that keep the delivery natural (a pause never below
    MIN_GAP_SECONDS nor above MAX_GAP_SECONDS)."""
    if target is None or sum(gaps) <= 0:
        return list(gaps)
    room = target - LEAD_IN_SECONDS - TAIL_SECONDS - speech
    factor = min(max(room / sum(gaps), MIN_GAP_FACTOR), MAX_GAP_FACTOR)
    inner = len(gaps) - 1
    return [min(max(g * factor, MIN_GAP_SECONDS), MAX_GAP_SECONDS) if i < inner else 0.0
            for i, g in enumerate(gaps)]


def place_lines(
    lines: Sequence[NarrationLine], speeches: Sequence[Speech], target: float | None = None
) -> list[float]:
    """Start time of each line in the voiceover, on a whole sample. Lines that keep their
    slot (`NarrationLine.slot_seconds`) are placed by it (`kept_starts`); otherwise, with
    `target`, pauses are fitted so the voiceover lasts about that long."""
    if any(line.slot_seconds is not None for line in lines):
        return kept_starts(lines, speeches)
    speech = sum(s.audio.duration for s in speeches)
    gaps = fitted_gaps(planned_gaps(lines), speech, target)
    starts: list[float] = []
    cursor = LEAD_IN_SECONDS
    for speech_piece, gap in zip(speeches, gaps, strict=True):
        starts.append(round(cursor * VOICEOVER_RATE) / VOICEOVER_RATE)
        cursor += speech_piece.audio.duration + gap
    return starts


def kept_starts(lines: Sequence[NarrationLine], speeches: Sequence[Speech]) -> list[float]:
    """Start time of each line when the voiceover keeps the lines' slots: each line starts
    where the one before's slot ends, so a line spoken anew (an edit) leaves every other
    line where it was, its silence taking up the difference. A line that needs more than
    its slot (its speech and KEPT_GAP_SECONDS) pushes every later line back by the excess;
    a line without a slot (one added since) takes its speech and planned pause."""
    rate = VOICEOVER_RATE
    first = round(LEAD_IN_SECONDS * rate)
    starts: list[float] = []
    for line, speech, gap in zip(lines, speeches, planned_gaps(lines), strict=True):
        starts.append(first / rate)
        spoken = round(speech.audio.duration * rate)
        if line.slot_seconds is None:
            first += spoken + round(gap * rate)
        else:
            first += max(round(line.slot_seconds * rate), spoken + round(KEPT_GAP_SECONDS * rate))
    return starts


def build_voiceover(
    lines: Sequence[NarrationLine], speeches: Sequence[Speech], tts: str, voice: str | None,
    target: float | None = None,
) -> tuple[Audio, VoiceoverLayout]:
    """Mix the spoken lines at their places: the track and its layout.

    Each line is brought to the voiceover's peak on its own (lines never overlap, so the
    track peaks there too): a line's samples in the track depend on that line alone, and
    editing one line of a script leaves every other line sounding exactly as it did."""
    starts = place_lines(lines, speeches, target)
    last_end = starts[-1] + speeches[-1].audio.duration
    total = round((last_end + TAIL_SECONDS) * VOICEOVER_RATE)
    track = np.zeros(total, dtype=np.float32)
    placed: list[PlacedLine] = []
    for line, speech, start in zip(lines, speeches, starts, strict=True):
        first = round(start * VOICEOVER_RATE)
        samples = pcm.peak_normalize(pcm.to_mono(speech.audio.samples), VOICEOVER_PEAK_DBFS)
        track[first:first + len(samples)] += samples[: total - first]
        placed.append(PlacedLine(
            index=line.index, act=line.act, start=start, end=start + speech.audio.duration,
            tts_words=[w.model_copy(update={"start": w.start + start, "end": w.end + start,
                                            "line": line.index}) for w in speech.words],
        ))
    audio = Audio(samples=track, rate=VOICEOVER_RATE)
    layout = VoiceoverLayout(duration=total / VOICEOVER_RATE, rate=VOICEOVER_RATE, tts=tts,
                             voice=voice, lines=placed)
    return audio, layout


# ------------------------------------------------------------------------- internals


def _trimmed(speech: Speech) -> Speech:
    """Speech without its leading and trailing silence (word times shifted to match)."""
    samples, rate = pcm.to_mono(speech.audio.samples), speech.audio.rate
    span = pcm.voiced_span(samples, rate)
    if span is None:
        return speech
    first = max(0, int((span[0] - EDGE_SECONDS) * rate))
    last = min(len(samples), int((span[1] + EDGE_SECONDS) * rate))
    duration = (last - first) / rate
    shift = first / rate
    words = [
        w.model_copy(update={"start": min(max(w.start - shift, 0.0), duration),
                             "end": min(max(w.end - shift, 0.0), duration)})
        for w in speech.words
    ]
    return Speech(audio=Audio(samples=samples[first:last], rate=rate), words=words)


def _join(pieces: Sequence[Speech], pause: float) -> Speech:
    """Pieces one after another with `pause` seconds of silence between them."""
    rate = pieces[0].audio.rate
    gap = np.zeros(int(pause * rate), dtype=np.float32)
    chunks: list[np.ndarray] = []
    words: list[Word] = []
    offset = 0.0
    for index, piece in enumerate(pieces):
        if index:
            chunks.append(gap)
            offset += len(gap) / rate
        samples = pcm.resample(piece.audio.samples, piece.audio.rate, rate)
        chunks.append(samples)
        words += [w.model_copy(update={"start": w.start + offset, "end": w.end + offset})
                  for w in piece.words]
        offset += len(samples) / rate
    return Speech(audio=Audio(samples=np.concatenate(chunks), rate=rate), words=words)


def _words_for_text(line: NarrationLine, words: list[Word], duration: float) -> list[Word]:
    """Exactly one word per written word of `line.text`, carrying its spelling."""
    tokens = spoken_tokens(line.text)
    matched = match_to_tokens(tokens, words)
    if any(m is None for m in matched) and len(words) == len(tokens):
        matched = list(words)  # same count, different spelling (pieces of `marked`)
    spans = fill_missing(tokens, matched, 0.0, duration)
    return [Word(text=t.text, start=start, end=end, line=line.index)
            for t, (start, end) in zip(tokens, spans, strict=True)]

