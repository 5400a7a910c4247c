"""Caption rules: line length, line count, timing against the words, SRT and WebVTT syntax."""

from __future__ import annotations

import re

from assembly_samples import make_script, make_words
from reelforge_assembly.captions import build_cues, to_srt, to_vtt

LONG = (
    "When the storm came in from the north, every boat in the harbour turned for home, "
    "but one light on the cliff kept burning through the dark. Nobody knew who lit it. "
    "Nobody asked."
)
LINES = [(0, LONG), (1, "She waited."), (None, "This winter."),
         (2, "Antidisestablishmentarianism-and-other-unreasonably-long-compound-words appear.")]
STARTS = [0.2, 22.5, 24.5, 26.0]

SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


def _cues():
    script = make_script(LINES)
    words = make_words(script, STARTS, 32.0)
    return script, words, build_cues(words, script)


def _seconds(match: tuple[str, ...]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def test_lines_are_at_most_42_characters_and_2_per_cue() -> None:
    _, _, cues = _cues()
    assert len(cues) >= 5
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(0 < len(line) <= 42 for line in cue.lines)


def test_cues_keep_the_scripts_spelling_and_every_word_once() -> None:
    script, _, cues = _cues()
    shown = " ".join(" ".join(c.lines) for c in cues).split()
    expected = " ".join(line.text for line in script.narration).split()
    assert shown[:5] == ["When", "the", "storm", "came", "in"]  # aligner gave "when the ..."
    joined = "".join(shown).replace("-", "")
    assert joined == "".join(expected).replace("-", "")


def test_cues_break_at_sentences_and_narration_lines() -> None:
    _, _, cues = _cues()
    texts = [" ".join(c.lines) for c in cues]
    assert any(t.endswith("dark.") for t in texts)
    assert "Nobody asked." in texts
    assert "She waited." in texts and "This winter." in texts


def test_commas_are_preferred_break_points() -> None:
    _, _, cues = _cues()
    first = cues[0]
    assert first.lines[-1].endswith(",") or first.lines[0].endswith(",")


def test_cue_timing_follows_the_words() -> None:
    _, words, cues = _cues()
    starts = sorted(w.start for w in words.words)
    for i, cue in enumerate(cues):
        assert cue.start >= cue.first_word_start  # never before the first word is spoken
        assert cue.start in starts
        assert cue.end > cue.start
        assert cue.end <= cue.last_word_end + 1.0  # leaves shortly after the last word
        if i + 1 < len(cues):
            assert cue.end <= cues[i + 1].start  # and before the next cue
            assert cue.end >= min(cue.last_word_end, cues[i + 1].start)


def test_srt_syntax() -> None:
    _, _, cues = _cues()
    srt = to_srt(cues)
    blocks = srt.strip("\n").split("\n\n")
    assert len(blocks) == len(cues)
    for number, (block, cue) in enumerate(zip(blocks, cues, strict=True), start=1):
        lines = block.split("\n")
        assert lines[0] == str(number)
        stamp = re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", lines[1])
        assert stamp, lines[1]
        start, end = _seconds(stamp.groups()[:4]), _seconds(stamp.groups()[4:])
        assert cue.start <= start < cue.start + 0.001 + 1e-9
        assert start < end <= cue.end + 1e-9
        assert tuple(lines[2:]) == cue.lines


def test_vtt_syntax() -> None:
    _, _, cues = _cues()
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n")
    blocks = vtt[len("WEBVTT\n\n"):].strip("\n").split("\n\n")
    assert len(blocks) == len(cues)
    previous_end = 0.0
    for block, cue in zip(blocks, cues, strict=True):
        lines = block.split("\n")
        stamp = re.fullmatch(f"{VTT_TIME} --> {VTT_TIME}", lines[0])
        assert stamp, lines[0]
        start, end = _seconds(stamp.groups()[:4]), _seconds(stamp.groups()[4:])
        assert start >= previous_end and end > start
        previous_end = end
        assert tuple(lines[1:]) == cue.lines
