"""The composer: a ScorePlan becomes a trailer cue as timed notes and controller moves.

Trailer grammar, driven by each section's act and intensity:
- setup: a low drone, soft pad chords and a sparse motif; a pulse of distant booms;
- escalation: bass pulses and an ostinato enter, percussion thickens, everything builds
  toward the section's end and finishes with a tom build;
- climax: a braam (low brass cluster) and a full hit, then brass, choir, high strings and
  a driving percussion pattern at the top of the register;
- title: a riser swells, cuts to a short silence, and the title lands on a hit whose
  chord rings out;
- tag: the motif returns over a quiet pad and resolves to the tonic chord, which decays
  before the end (the last seconds are left for the reverb to ring out).

Everything random comes from one `random.Random` seeded from the plan, so a seed always
gives the same cue.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from reelforge.providers import ScorePlan

from reelforge_audio.music.style import Style, style_for, tonic_for

DRONE, PAD, BASS, OSTINATO, HIGH, BRASS, LOW_BRASS, CHOIR, MOTIF, DRUMS, TIMPANI, RISER = range(
    12
)
MELODIC_CHANNELS = (DRONE, PAD, BASS, OSTINATO, HIGH, BRASS, LOW_BRASS, CHOIR, MOTIF, TIMPANI)

KICK, CONCERT_KICK, SNARE, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, CHINA, CRASH_2 = (
    35, 36, 38, 41, 43, 45, 49, 52, 57,
)

SILENCE_BEFORE_TITLE = 0.45
RISER_SECONDS = 2.6
REVERSE_CYMBAL_PEAK = 1.4
"""The General MIDI reverse cymbal swells for about this long before it peaks."""
BRAAM_SECONDS = 3.2
RELEASE_TAIL = 1.6
"""The last seconds hold no note: the final chord's release and the reverb ring out."""
FINAL_FADE_SECONDS = 3.5
HUMANIZE_SECONDS = 0.006
SECTION_RAMP = {"setup": 0.15, "escalation": 0.3}
"""How much intensity a section gains by its end (building toward the next)."""
MOTIFS = (
    ((4, 1.0), (2, 1.0), (3, 1.0), (0, 3.0)),
    ((0, 1.0), (4, 1.0), (5, 1.0), (4, 3.0)),
    ((2, 1.5), (1, 0.5), (0, 1.0), (4, 3.0)),
    ((0, 0.5), (2, 0.5), (4, 1.0), (3, 1.0), (2, 3.0)),
)
"""(scale degree, beats) phrases the setup states and the tag resolves."""
HIGH_PATTERNS = (
    "x..x..x.x..x..x.",
    "x...x.x.x...x.xx",
    "x..x...xx..x.x..",
)
"""16-step kick/taiko grids for full-intensity sections."""
TOM_PATTERNS = (
    "......x.......x.",
    "...x......x...xx",
    "....x.....x.x...",
)
REVERB_SENDS = {DRONE: 100, PAD: 110, BASS: 50, OSTINATO: 70, HIGH: 100, BRASS: 80,
                LOW_BRASS: 70, CHOIR: 110, MOTIF: 90, DRUMS: 60, TIMPANI: 70, RISER: 90}
VOLUMES = {DRONE: 96, PAD: 80, BASS: 100, OSTINATO: 84, HIGH: 78, BRASS: 104, LOW_BRASS: 112,
           CHOIR: 82, MOTIF: 92, DRUMS: 112, TIMPANI: 110, RISER: 96}


@dataclass(frozen=True)
class Note:
    start: float
    duration: float
    channel: int
    pitch: int
    velocity: int

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Control:
    time: float
    channel: int
    number: int
    value: int


@dataclass
class Arrangement:
    """A cue ready to be written as MIDI: programs per channel (channel 9 is the drum kit,
    bank 128), notes and controller changes, all in seconds."""

    tempo_bpm: float
    duration: float
    programs: dict[int, int]
    notes: list[Note] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    silences: list[tuple[float, float]] = field(default_factory=list)
    """Windows the render must mute completely, reverb tails included (the cut before the
    title): MIDI can stop notes but not the effects bus."""


@dataclass(frozen=True)
class Span:
    """A section resolved onto the timeline: contiguous, non-overlapping, covering it all."""

    act: str
    start: float
    end: float
    intensity: float
    ramp: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def level(self, time: float) -> float:
        """Intensity at `time`, rising through the section by its ramp."""
        progress = (time - self.start) / self.length if self.length > 0 else 0.0
        return min(1.0, self.intensity + self.ramp * min(max(progress, 0.0), 1.0))


@dataclass(frozen=True)
class Chord:
    start: float
    end: float
    degree: int


def timeline(plan: ScorePlan) -> list[Span]:
    """The plan's sections sorted, clipped to the cue, the first pulled back to 0 and each
    running until the next begins (the last until the end)."""
    sections = sorted(
        (s for s in plan.sections if s.start < plan.duration), key=lambda s: s.start
    )
    if not sections:
        return [Span("setup", 0.0, plan.duration, 0.5, 0.2)]
    starts = [0.0] + [s.start for s in sections[1:]]
    ends = [*starts[1:], plan.duration]
    return [
        Span(s.act, start, end, s.intensity, SECTION_RAMP.get(s.act, 0.0))
        for s, start, end in zip(sections, starts, ends, strict=True)
        if end - start > 1e-3
    ]


def arrange(plan: ScorePlan) -> Arrangement:
    """The cue for `plan` (deterministic for its seed)."""
    return _Composer(plan).compose()


class _Composer:
    def __init__(self, plan: ScorePlan) -> None:
        self.plan = plan
        self.style: Style = style_for(plan.genre, plan.mood)
        self.rng = random.Random(zlib.crc32(f"{plan.seed}|{plan.genre}|{plan.mood}".encode()))
        self.tonic = tonic_for(plan.seed, plan.genre)
        self.beat = 60.0 / plan.tempo_bpm
        self.spans = timeline(plan)
        self.music_end = max(0.5, plan.duration - RELEASE_TAIL)
        self.motif = self.rng.choice(MOTIFS)
        self.high_pattern = self.rng.choice(HIGH_PATTERNS)
        self.tom_pattern = self.rng.choice(TOM_PATTERNS)
        self.chord_counter = 0
        self.notes: list[Note] = []
        self.controls: list[Control] = []
        self.silences: list[tuple[float, float]] = []

    # ---------------------------------------------------------------- the whole cue

    def compose(self) -> Arrangement:
        self._mix()
        for index, span in enumerate(self.spans):
            self._section(span, is_last=index == len(self.spans) - 1)
        title = self._first("title")
        climax = self._first("climax") or self._peak_span()
        if climax is not None and climax is not title:
            self._riser(climax.start, climax_riser=True)
            self._braam(climax)
        if title is not None and title.start > SILENCE_BEFORE_TITLE + 1.0:
            self._riser(title.start - SILENCE_BEFORE_TITLE, climax_riser=False)
            self._braam(title)
            self._carve_silence(title.start - SILENCE_BEFORE_TITLE, title.start)
        self._final_fade()
        self._clip_to_end()
        return Arrangement(
            tempo_bpm=self.plan.tempo_bpm,
            duration=self.plan.duration,
            programs=self._programs(),
            notes=sorted(self.notes, key=lambda n: (n.start, n.channel, n.pitch)),
            controls=sorted(self.controls, key=lambda c: (c.time, c.channel, c.number)),
            silences=self.silences,
        )

    def _section(self, span: Span, is_last: bool) -> None:
        chords = self._chords(span, resolve=span.act == "tag" or is_last)
        self._drone(span)
        self._pad(span, chords)
        self._bass(span, chords)
        self._ostinato(span, chords)
        self._high_strings(span, chords)
        self._brass(span, chords)
        self._choir(span, chords)
        self._motif_phrases(span)
        self._percussion(span)
        if span.act == "escalation":
            self._tom_build(span)

    # ---------------------------------------------------------------- harmony

    def _chords(self, span: Span, resolve: bool) -> list[Chord]:
        """Chord changes every bar when intense, every two bars when calm. Climax and title
        restart on the tonic; a resolving section ends subdominant -> tonic."""
        bar = 4 * self.beat
        length = bar if span.intensity >= 0.55 else 2 * bar
        count = max(1, round(span.length / length))
        length = span.length / count
        if span.act in ("climax", "title"):
            self.chord_counter = 0
        degrees = []
        for _ in range(count):
            degrees.append(self.style.progression[self.chord_counter % len(self.style.progression)])
            self.chord_counter += 1
        if resolve:
            degrees[-1] = 0
            if count >= 2:
                degrees[-2] = 3
        return [Chord(span.start + i * length, span.start + (i + 1) * length, d)
                for i, d in enumerate(degrees)]

    def _scale_pitch(self, degree: int, octave: int) -> int:
        mode = self.style.mode
        return self.tonic + 12 * (octave + degree // 7) + mode[degree % 7]

    def _triad(self, degree: int, octave: int) -> list[int]:
        return [self._scale_pitch(degree + step, octave) for step in (0, 2, 4)]

    def _chord_tone(self, degree: int, index: int, octave: int) -> int:
        """0 root, 1 third, 2 fifth, 3 octave of the chord on `degree`."""
        if index == 3:
            return self._scale_pitch(degree, octave + 1)
        return self._scale_pitch(degree + 2 * index, octave)

    # ---------------------------------------------------------------- layers

    def _drone(self, span: Span) -> None:
        velocity = 56 + 40 * span.intensity
        for pitch in (self.tonic, self.tonic + 7):
            self._note(span.start, span.length, DRONE, pitch, velocity, humanize=False)
        rise = {"setup": (100, 112), "escalation": (104, 127), "tag": (112, 90)}
        start_value, end_value = rise.get(span.act, (118, 112))
        self._ramp(DRONE, span.start, span.end, start_value, end_value)

    def _pad(self, span: Span, chords: list[Chord]) -> None:
        for chord in chords:
            level = span.level(chord.start)
            voicing = self._triad(chord.degree, 1)
            if level > 0.6:
                voicing.append(self._scale_pitch(chord.degree, 2))
            if self.style.dissonant:
                voicing.append(self._scale_pitch(chord.degree, 2) + 1)
            for pitch in voicing:
                self._note(chord.start, chord.end - chord.start, PAD, pitch, 48 + 40 * level)

    def _bass(self, span: Span, chords: list[Chord]) -> None:
        if span.intensity < 0.3:
            return
        for chord in chords:
            root = self._scale_pitch(chord.degree, 0)
            root = root - 12 if root > 45 else root
            level = span.level(chord.start)
            if level < 0.55:
                self._note(chord.start, chord.end - chord.start, BASS, root, 50 + 40 * level)
                continue
            step = self.beat / 2
            for index, time in enumerate(_steps(chord.start, chord.end, step)):
                accent = 14 if index % 2 == 0 else 0
                self._note(time, step * 0.8, BASS, root, 56 + 40 * span.level(time) + accent)

    def _ostinato(self, span: Span, chords: list[Chord]) -> None:
        if span.intensity < 0.4 or span.act == "tag":
            return
        figure = self.style.ostinato_figure
        for chord in chords:
            step = self.beat / 2 if span.level(chord.start) < 0.7 else self.beat / 4
            for index, time in enumerate(_steps(chord.start, chord.end, step)):
                level = span.level(time)
                octave = 2 if level > 0.85 else 1
                pitch = self._chord_tone(chord.degree, figure[index % len(figure)], octave)
                accent = 12 if index % 4 == 0 else 0
                self._note(time, step * 0.55, OSTINATO, pitch, 44 + 58 * level + accent)

    def _high_strings(self, span: Span, chords: list[Chord]) -> None:
        if span.intensity < 0.6 and span.act != "title":
            return
        for chord in chords:
            level = span.level(chord.start)
            for index in (1, 2):
                pitch = self._chord_tone(chord.degree, index, 3)
                self._note(chord.start, chord.end - chord.start, HIGH, pitch, 34 + 56 * level)

    def _brass(self, span: Span, chords: list[Chord]) -> None:
        if span.intensity < 0.75:
            return
        for chord in chords:
            level = span.level(chord.start)
            length = (chord.end - chord.start) * 0.95
            for pitch in self._triad(chord.degree, 1):
                self._note(chord.start, length, BRASS, pitch, 66 + 54 * level)
            if level >= 0.85:
                root = self._scale_pitch(chord.degree, 0)
                for pitch in (root, root + 7):
                    self._note(chord.start, length, LOW_BRASS, pitch, 70 + 50 * level)

    def _choir(self, span: Span, chords: list[Chord]) -> None:
        if span.intensity < 0.7 and span.act != "title":
            return
        for chord in chords:
            level = span.level(chord.start)
            for pitch in self._triad(chord.degree, 2):
                self._note(chord.start, chord.end - chord.start, CHOIR, pitch, 44 + 50 * level)

    def _motif_phrases(self, span: Span) -> None:
        """The motif: stated every few bars in the setup, once and slowly in the tag."""
        if span.act not in ("setup", "tag"):
            return
        stretch = 1.5 if span.act == "tag" else 1.0
        phrase_beats = sum(beats for _, beats in self.motif) * stretch
        gap_beats = 8 if span.act == "setup" else phrase_beats + 4
        time = span.start + self.beat
        while time + phrase_beats * self.beat <= span.end:
            for position, (degree, beats) in enumerate(self.motif):
                final = position == len(self.motif) - 1
                resolved = 0 if span.act == "tag" and final else degree
                length = beats * stretch * self.beat
                self._note(time, length * 0.95, MOTIF, self._scale_pitch(resolved, 3),
                           58 + 24 * span.intensity)
                time += length
            time += (gap_beats - phrase_beats) * self.beat if gap_beats > phrase_beats else 0
            if span.act == "tag":
                break

    def _percussion(self, span: Span) -> None:
        bar = 4 * self.beat
        for bar_index, bar_start in enumerate(_steps(span.start, span.end, bar)):
            level = span.level(bar_start)
            if level < 0.2 or span.act == "tag":
                continue
            if level < 0.45:
                if bar_index % 2 == 0:
                    self._boom(bar_start, 70 + 40 * level)
            elif level < 0.75:
                self._boom(bar_start, 80 + 40 * level)
                self._note(bar_start + 2 * self.beat, self.beat, TIMPANI, self.tonic + 12,
                           60 + 30 * level)
            else:
                self._driving_bar(bar_start, min(bar_start + bar, span.end), level)

    def _driving_bar(self, start: float, end: float, level: float) -> None:
        sixteenth = self.beat / 4
        for step, time in enumerate(_steps(start, end, sixteenth)):
            if self.high_pattern[step % 16] == "x":
                self._note(time, sixteenth * 2, DRUMS, KICK, 80 + 44 * level)
                self._note(time, sixteenth * 2, TIMPANI, self.tonic + 12, 70 + 40 * level)
            if self.tom_pattern[step % 16] == "x":
                tom = (LOW_TOM, MID_TOM, HIGH_TOM)[step % 3]
                self._note(time, sixteenth, DRUMS, tom, 70 + 40 * level)

    def _tom_build(self, span: Span) -> None:
        """Two bars of toms accelerating from eighths to sixteenths into the next section."""
        bar = 4 * self.beat
        if span.length < 3 * bar:
            return
        start = span.end - 2 * bar
        toms = (LOW_TOM, LOW_TOM, MID_TOM, HIGH_TOM)
        for bar_index in range(2):
            step = self.beat / 2 if bar_index == 0 else self.beat / 4
            bar_start = start + bar_index * bar
            for index, time in enumerate(_steps(bar_start, bar_start + bar, step)):
                progress = (time - start) / (2 * bar)
                self._note(time, step, DRUMS, toms[index % 4], 56 + 66 * progress)

    def _boom(self, time: float, velocity: float) -> None:
        self._note(time, 1.5, DRUMS, CONCERT_KICK, velocity, humanize=False)
        self._note(time, 1.5, TIMPANI, self.tonic + 12, velocity * 0.9, humanize=False)

    # ---------------------------------------------------------------- events

    def _braam(self, span: Span) -> None:
        """The hit that opens a climax or the title: low brass cluster, drums, cymbal."""
        time = span.start
        length = min(BRAAM_SECONDS, span.length)
        for pitch in (self.tonic, self.tonic + 7, self.tonic + 12):
            self._note(time, length, LOW_BRASS, pitch, 124, humanize=False)
        for pitch in self._triad(0, 1):
            self._note(time, length, BRASS, pitch, 118, humanize=False)
        for pitch in (KICK, CONCERT_KICK):
            self._note(time, 2.0, DRUMS, pitch, 127, humanize=False)
        self._note(time, 3.0, DRUMS, CRASH, 112, humanize=False)
        self._note(time, 3.0, DRUMS, CHINA, 90, humanize=False)
        self._note(time, 2.0, TIMPANI, self.tonic + 12, 127, humanize=False)
        for channel in (LOW_BRASS, BRASS):
            self._ramp(channel, time, time + length, 127, 60)
            self._control(time + length + 0.05, channel, 11, 127)

    def _riser(self, peak: float, climax_riser: bool) -> None:
        """A swell that peaks at `peak`: reverse cymbal, snare roll, ascending strings."""
        previous = max((s.start for s in self.spans if s.start < peak - 0.5), default=0.0)
        length = min(RISER_SECONDS * (0.7 if climax_riser else 1.0), (peak - previous) * 0.6)
        if length < 0.8:
            return
        start = peak - length
        cymbal_start = max(start, peak - REVERSE_CYMBAL_PEAK)
        self._note(cymbal_start, peak - cymbal_start, RISER, 60, 112, humanize=False)
        roll = self.beat / 8 if self.beat / 8 >= 0.05 else self.beat / 4
        for time in _steps(start, peak, roll):
            progress = (time - start) / length
            self._note(time, roll, DRUMS, SNARE, 24 + 96 * progress ** 1.5, humanize=False)
        if climax_riser:
            return
        step = length / 8
        for index, time in enumerate(_steps(start, peak, step)):
            pitch = self._scale_pitch(index, 3)
            self._note(time, step * 1.05, HIGH, pitch, 50 + 70 * index / 8, humanize=False)
        self._ramp(HIGH, start, peak, 60, 127)

    def _carve_silence(self, start: float, end: float) -> None:
        """Nothing sounds in [start, end): notes are cut and voices stopped at `start`."""
        kept: list[Note] = []
        for note in self.notes:
            if start <= note.start < end:
                continue
            if note.start < start < note.end:
                note = Note(note.start, start - note.start, note.channel, note.pitch,
                            note.velocity)
            kept.append(note)
        self.notes = kept
        for channel in (*MELODIC_CHANNELS, DRUMS, RISER):
            self._control(start + 0.12, channel, 120, 0)  # all sound off, after the release
        self.silences.append((start, end))

    def _final_fade(self) -> None:
        fade_start = max(0.0, self.music_end - FINAL_FADE_SECONDS)
        for channel in MELODIC_CHANNELS:
            self.controls = [c for c in self.controls
                             if not (c.channel == channel and c.number == 11
                                     and c.time >= fade_start)]
            self._ramp(channel, fade_start, self.music_end, 110, 40)

    def _clip_to_end(self) -> None:
        clipped = []
        for note in self.notes:
            if note.start >= self.music_end - 0.05:
                continue
            if note.end > self.music_end:
                note = Note(note.start, self.music_end - note.start, note.channel, note.pitch,
                            note.velocity)
            clipped.append(note)
        self.notes = clipped

    # ---------------------------------------------------------------- primitives

    def _note(self, start: float, duration: float, channel: int, pitch: int, velocity: float,
              humanize: bool = True) -> None:
        if humanize:
            start += self.rng.uniform(-HUMANIZE_SECONDS, HUMANIZE_SECONDS)
            velocity += self.rng.uniform(-4, 4)
        start = max(0.0, start)
        if duration < 0.02 or start >= self.plan.duration:
            return
        while pitch > 100:
            pitch -= 12
        self.notes.append(Note(start, duration, channel, pitch, int(min(127, max(1, velocity)))))

    def _control(self, time: float, channel: int, number: int, value: int) -> None:
        self.controls.append(Control(max(0.0, time), channel, number, min(127, max(0, value))))

    def _ramp(self, channel: int, start: float, end: float, first: int, last: int) -> None:
        """Expression (CC11) moving from `first` to `last` over [start, end], every 0.1 s."""
        steps = max(1, math.ceil((end - start) / 0.1))
        for index in range(steps + 1):
            progress = index / steps
            self._control(start + (end - start) * progress, channel, 11,
                          round(first + (last - first) * progress))

    def _mix(self) -> None:
        for channel, send in REVERB_SENDS.items():
            self._control(0.0, channel, 91, send)
            self._control(0.0, channel, 7, VOLUMES[channel])
            self._control(0.0, channel, 11, 127)

    def _programs(self) -> dict[int, int]:
        i = self.style.instruments
        return {DRONE: i.drone, PAD: i.pad, BASS: i.bass, OSTINATO: i.ostinato, HIGH: i.high,
                BRASS: i.brass, LOW_BRASS: i.low_brass, CHOIR: i.choir, MOTIF: i.motif,
                DRUMS: i.drum_kit, TIMPANI: i.timpani, RISER: i.riser}

    def _first(self, act: str) -> Span | None:
        return next((s for s in self.spans if s.act == act), None)

    def _peak_span(self) -> Span | None:
        peak = max(self.spans, key=lambda s: s.intensity)
        return peak if peak.intensity >= 0.8 and peak.start > 0 else None


def _steps(start: float, end: float, step: float) -> Iterator[float]:
    """start, start + step, ... while before `end`."""
    count = 0
    while start + count * step < end - 1e-6:
        yield start + count * step
        count += 1
