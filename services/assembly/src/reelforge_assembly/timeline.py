"""The trailer's timeline: which picture is on screen at every output frame.

The word timings are the backbone: a scene starts when its narration starts and lasts until
the next segment's narration starts, so pictures change on the spoken beat. Every boundary is
rounded to a whole frame once, here, so video, audio and captions all agree on the same
frame grid. The renderer only asks two questions of a timeline: which segments are visible
at frame `f` (with what weight), and which source frame a segment shows at frame `f`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from reelforge.models import END_CARD_SECONDS, NarrationLine, Script, WordTimings

DISSOLVE_SECONDS = 0.5
"""Length of the cross-dissolve centred on every boundary between two segments."""

CARD_FADE_SECONDS = 0.6
"""How long the text of a title or end card takes to fade in (and the title card to fade
out)."""

END_FADE_SECONDS = 1.0
"""The end card's closing fade to black: the trailer's last frame is black."""

SegmentKind = Literal["scene", "title", "end"]


@dataclass(frozen=True)
class Segment:
    """A run of frames `[start, end)` showing one picture: a scene's clip or a card."""

    kind: SegmentKind
    start: int
    end: int
    scene: int | None = None
    lines: tuple[int, ...] = ()

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Layer:
    """One segment's contribution to an output frame (two layers during a dissolve)."""

    segment: int
    weight: float


@dataclass(frozen=True)
class Timeline:
    fps: int
    segments: tuple[Segment, ...]
    dissolves: tuple[int, ...]
    """Dissolve length in frames at each boundary (len(segments) - 1 entries)."""
    title: str
    tagline: str

    @property
    def total_frames(self) -> int:
        return self.segments[-1].end

    @property
    def duration(self) -> float:
        return self.total_frames / self.fps

    def time(self, frame: int) -> float:
        return frame / self.fps

    @cached_property
    def _starts(self) -> list[int]:
        return [s.start for s in self.segments]

    def segment_at(self, frame: int) -> int:
        return max(0, bisect.bisect_right(self._starts, frame) - 1)

    def window(self, index: int) -> tuple[int, int]:
        """Frames `[first, last)` for which segment `index`'s picture is needed: its own frames
        plus its halves of the dissolves on either side."""
        segment = self.segments[index]
        first = segment.start - (self.dissolves[index - 1] // 2 if index > 0 else 0)
        last = segment.end
        if index < len(self.dissolves):
            incoming = self.dissolves[index]
            last += incoming - incoming // 2
        return first, last

    def layers_at(self, frame: int) -> list[Layer]:
        """The visible segments at `frame` and their weights, which sum to 1."""
        index = self.segment_at(frame)
        segment = self.segments[index]
        if index + 1 < len(self.segments):
            outgoing = self.dissolves[index]
            begins = segment.end - outgoing // 2
            if outgoing and frame >= begins:
                return _dissolve(index, index + 1, (frame - begins + 0.5) / outgoing)
        if index > 0:
            incoming = self.dissolves[index - 1]
            begins = segment.start - incoming // 2
            if incoming and frame < begins + incoming:
                return _dissolve(index - 1, index, (frame - begins + 0.5) / incoming)
        return [Layer(index, 1.0)]

    def card_opacity(self, index: int, frame: int) -> float:
        """Opacity of a card's text at `frame`: fades in, then out (the end card to black)."""
        first, last = self.window(index)
        fade_in = max(1, round(CARD_FADE_SECONDS * self.fps))
        opening = (frame - first + 1) / fade_in
        if self.segments[index].kind == "end":
            fade_out = max(1, round(END_FADE_SECONDS * self.fps))
            closing = (last - 1 - frame) / fade_out
        else:
            closing = (last - frame) / fade_in
        return max(0.0, min(1.0, opening, closing))


def _dissolve(outgoing: int, incoming: int, progress: float) -> list[Layer]:
    progress = min(1.0, max(0.0, progress))
    return [Layer(outgoing, 1.0 - progress), Layer(incoming, progress)]


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Beat:
    """A narration segment before frame rounding: what it shows and when its words start."""

    kind: SegmentKind
    scene: int | None
    start: float
    lines: tuple[int, ...]


def trailer_frames(voiceover_seconds: float, fps: int,
                   end_card_seconds: float = END_CARD_SECONDS) -> int:
    """The trailer's length in frames: the voiceover plus the end card, rounded once. The
    soundtrack, made before the timeline, has exactly this length too."""
    return round((voiceover_seconds + end_card_seconds) * fps)


def build_timeline(
    script: Script,
    words: WordTimings,
    fps: int,
    *,
    voiceover_seconds: float | None = None,
    title: str | None = None,
    dissolve_seconds: float = DISSOLVE_SECONDS,
    end_card_seconds: float = END_CARD_SECONDS,
) -> Timeline:
    """Segments in narration order, cut on the first word of each line.

    The total is the voiceover plus the end card, rounded to a whole frame once; the end card
    starts where the voiceover ends."""
    spoken = voiceover_seconds if voiceover_seconds is not None else words.duration
    total = trailer_frames(spoken, fps, end_card_seconds)
    end_card_start = max(0, total - round(end_card_seconds * fps))
    beats = _beats(script, words)
    segments = _segments(beats, end_card_start, fps, fallback_scene=script.scenes[0].index)
    segments.append(Segment("end", end_card_start, total))
    segments = _merge_neighbours([s for s in segments if s.frames > 0])
    dissolve = round(dissolve_seconds * fps)
    dissolves = tuple(
        min(dissolve, a.frames, b.frames) for a, b in itertools.pairwise(segments)
    )
    return Timeline(
        fps=fps,
        segments=tuple(segments),
        dissolves=dissolves,
        title=title or script.title,
        tagline=script.tagline,
    )


def _beats(script: Script, words: WordTimings) -> list[_Beat]:
    """One beat per run of consecutive lines that show the same picture."""
    starts = _line_starts(words)
    beats: list[_Beat] = []
    for line in sorted(script.narration, key=lambda n: n.index):
        start = starts.get(line.index)
        kind, scene = _picture_of(line)
        if start is None or kind is None:
            if beats:  # unspoken or pictureless lines play over the current picture
                beats[-1] = _with_line(beats[-1], line.index)
            continue
        if beats and (beats[-1].kind, beats[-1].scene) == (kind, scene):
            beats[-1] = _with_line(beats[-1], line.index)
            continue
        beats.append(_Beat(kind, scene, start, (line.index,)))
    return beats


def _line_starts(words: WordTimings) -> dict[int, float]:
    starts: dict[int, float] = {}
    for word in words.words:
        starts[word.line] = min(word.start, starts.get(word.line, word.start))
    return starts


def _picture_of(line: NarrationLine) -> tuple[SegmentKind | None, int | None]:
    if line.card == "title":
        return "title", None
    if line.scene is not None:
        return "scene", line.scene
    return None, None


def _with_line(beat: _Beat, line: int) -> _Beat:
    return _Beat(beat.kind, beat.scene, beat.start, (*beat.lines, line))


def _segments(beats: Sequence[_Beat], end: int, fps: int, fallback_scene: int) -> list[Segment]:
    """Round beat starts to frames; the first segment starts at 0 and each one ends where the
    next begins. Beats that round to nothing give their frames to their neighbour."""
    if not beats:
        return [Segment("scene", 0, end, scene=fallback_scene)]
    bounds = [0] + [min(end, round(b.start * fps)) for b in beats[1:]] + [end]
    for i in range(1, len(bounds)):  # never run backwards, even if lines overlap
        bounds[i] = max(bounds[i], bounds[i - 1])
    return [
        Segment(beat.kind, bounds[i], bounds[i + 1], scene=beat.scene, lines=beat.lines)
        for i, beat in enumerate(beats)
    ]


def _merge_neighbours(segments: Sequence[Segment]) -> list[Segment]:
    """Join adjacent segments that show the same picture (left behind by dropped ones), so a
    clip never dissolves into itself."""
    merged: list[Segment] = []
    for segment in segments:
        previous = merged[-1] if merged else None
        if previous and (previous.kind, previous.scene) == (segment.kind, segment.scene):
            merged[-1] = Segment(
                previous.kind, previous.start, segment.end, previous.scene,
                (*previous.lines, *segment.lines),
            )
        else:
            merged.append(segment)
    return merged


# --------------------------------------------------------------------------- retiming


@dataclass(frozen=True)
class Retime:
    """Where in a source clip each frame of a window comes from.

    A clip at least as long as its window plays from its start at normal speed (trimmed); a
    shorter one is slowed evenly so its first and last frames land on the window's first and
    last frames. Positions are fractional: the renderer blends the two nearest source frames,
    so a slowed clip moves smoothly instead of stuttering on repeated frames."""

    window_frames: int
    source_frames: int
    step: float

    @classmethod
    def plan(cls, window_frames: int, source_frames: int, source_fps: float, fps: int) -> Retime:
        source_frames = max(1, source_frames)
        natural = source_fps / fps
        if window_frames <= 1 or source_frames == 1:
            return cls(window_frames, source_frames, 0.0 if source_frames == 1 else natural)
        if (window_frames - 1) * natural <= source_frames - 1:
            return cls(window_frames, source_frames, natural)
        return cls(window_frames, source_frames, (source_frames - 1) / (window_frames - 1))

    def position(self, offset: int) -> float:
        """The source position (in source frames) shown `offset` frames into the window."""
        return min(offset * self.step, float(self.source_frames - 1))
