"""An Arrangement as a Standard MIDI File (mido), and that file rendered offline by
FluidSynth (pyfluidsynth, no audio driver) with a General MIDI soundfont."""

from __future__ import annotations

import ctypes
from pathlib import Path

import mido
import numpy as np

from reelforge_audio.music.arrangement import DRUMS, Arrangement

TICKS_PER_BEAT = 480
DRUM_BANK = 128
SYNTH_GAIN = 0.3
RENDER_BLOCK = 4096
REVERB = {"roomsize": 0.82, "damping": 0.35, "width": 0.9, "level": 0.75}


def to_midi(arrangement: Arrangement) -> mido.MidiFile:
    """A type-0 MIDI file: tempo, programs, controllers and notes on one track."""
    tempo = mido.bpm2tempo(arrangement.tempo_bpm)
    ticks_per_second = TICKS_PER_BEAT * 1_000_000 / tempo

    def tick(seconds: float) -> int:
        return round(seconds * ticks_per_second)

    timed: list[tuple[int, int, mido.Message]] = []
    for channel, program in arrangement.programs.items():
        timed.append((0, 0, mido.Message("program_change", channel=channel, program=program)))
    for control in arrangement.controls:
        timed.append((tick(control.time), 1, mido.Message(
            "control_change", channel=control.channel, control=control.number,
            value=control.value)))
    for note in arrangement.notes:
        timed.append((tick(note.start), 2, mido.Message(
            "note_on", channel=note.channel, note=note.pitch, velocity=note.velocity)))
        timed.append((max(tick(note.end), tick(note.start) + 1), 0, mido.Message(
            "note_off", channel=note.channel, note=note.pitch, velocity=0)))
    # at one tick: note-offs first (so a re-struck note is not cut), then controls, then ons
    timed.sort(key=lambda item: (item[0], item[1]))

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    previous = 0
    for ticks, _, message in timed:
        track.append(message.copy(time=ticks - previous))
        previous = ticks
    remaining = max(0, tick(arrangement.duration) - previous)
    track.append(mido.MetaMessage("end_of_track", time=remaining))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    return midi


def render(midi: mido.MidiFile, soundfont: Path, duration: float, rate: int) -> np.ndarray:
    """Stereo float32 samples, shape (round(duration * rate), 2), of `midi` as played by
    FluidSynth. Messages are applied at their sample position; the render stops at
    `duration` exactly, whatever is still ringing."""
    import fluidsynth

    total = round(duration * rate)
    out = np.zeros((total, 2), dtype=np.float32)
    synth = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(rate))
    try:
        soundfont_id = synth.sfload(str(soundfont))
        if soundfont_id < 0:
            raise RuntimeError(f"FluidSynth could not load the soundfont {soundfont}")
        synth.set_reverb(**REVERB)
        writer = _FloatWriter(synth)
        position, elapsed = 0, 0.0
        for message in midi:
            elapsed += message.time
            target = min(total, round(elapsed * rate))
            position = writer.write(out, position, target)
            if not message.is_meta:
                _apply(synth, soundfont_id, message)
        writer.write(out, position, total)
    finally:
        synth.delete()
    return out


def _apply(synth: object, soundfont_id: int, message: mido.Message) -> None:
    channel = message.channel
    if message.type == "program_change":
        bank = DRUM_BANK if channel == DRUMS else 0
        synth.program_select(channel, soundfont_id, bank, message.program)  # type: ignore[attr-defined]
    elif message.type == "control_change":
        synth.cc(channel, message.control, message.value)  # type: ignore[attr-defined]
    elif message.type == "note_on" and message.velocity > 0:
        synth.noteon(channel, message.note, message.velocity)  # type: ignore[attr-defined]
    elif message.type in ("note_on", "note_off"):
        synth.noteoff(channel, message.note)  # type: ignore[attr-defined]


class _FloatWriter:
    """fluid_synth_write_float straight into a numpy buffer: no 16-bit clipping inside the
    render, so the level is set afterwards by loudness normalisation."""

    def __init__(self, synth: object) -> None:
        import fluidsynth

        self._synth = synth.synth  # type: ignore[attr-defined]
        self._write = fluidsynth.cfunc(
            "fluid_synth_write_float", ctypes.c_int,
            ("synth", ctypes.c_void_p, 1), ("len", ctypes.c_int, 1),
            ("lout", ctypes.c_void_p, 1), ("loff", ctypes.c_int, 1), ("lincr", ctypes.c_int, 1),
            ("rout", ctypes.c_void_p, 1), ("roff", ctypes.c_int, 1), ("rincr", ctypes.c_int, 1),
        )

    def write(self, out: np.ndarray, start: int, stop: int) -> int:
        """Render samples [start, stop) into `out` (C-contiguous, shape (n, 2)); returns stop."""
        position = start
        base = out.ctypes.data
        while position < stop:
            count = min(RENDER_BLOCK, stop - position)
            address = base + position * 2 * out.itemsize
            self._write(self._synth, count, address, 0, 2, address, 1, 2)
            position += count
        return max(start, stop)
