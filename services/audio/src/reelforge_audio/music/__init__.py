"""Local music: a composer that writes a trailer cue as MIDI from a ScorePlan and renders it
with FluidSynth and a General MIDI soundfont, stereo 48 kHz, exactly the planned length."""

from __future__ import annotations

import asyncio
from pathlib import Path

import mido
import numpy as np
import pyloudnorm
import structlog
from reelforge.providers import Audio, Music, ProviderError, ScorePlan
from reelforge.settings import Settings

from reelforge_audio.music.arrangement import Arrangement, arrange
from reelforge_audio.music.midi import render, to_midi
from reelforge_audio.music.style import genre_family, tempo_for_genre

__all__ = ["DEFAULT_SOUNDFONT", "LocalComposer", "create_local_music", "genre_family",
           "tempo_for_genre"]

log = structlog.get_logger(__name__)

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SAMPLE_RATE = 48_000
TARGET_LOUDNESS_LUFS = -18.0
"""Music sits under the voice; the assembly's mix sets the final level."""
PEAK_CEILING_DBFS = -1.0
MUTE_FADE_SECONDS = 0.08
END_FADE_SECONDS = 0.25
"""A last short fade, so whatever reverb is left never ends on a click."""


def create_local_music(settings: Settings) -> Music:
    """Entry point `music.local`."""
    return LocalComposer(settings.soundfont or DEFAULT_SOUNDFONT)


class LocalComposer:
    """Plan -> arrangement -> MIDI (mido) -> FluidSynth render -> loudness-normalised cue."""

    def __init__(self, soundfont: Path = DEFAULT_SOUNDFONT, rate: int = SAMPLE_RATE) -> None:
        self.soundfont = Path(soundfont)
        self.rate = rate
        self.name = f"fluidsynth:{self.soundfont.stem}"

    async def compose(self, plan: ScorePlan) -> Audio:
        if not self.soundfont.is_file():
            raise ProviderError(self.name, f"soundfont not found: {self.soundfont}",
                                permanent=True)
        samples = await asyncio.to_thread(self._compose, plan)
        return Audio(samples=samples, rate=self.rate)

    def write_midi(self, plan: ScorePlan) -> mido.MidiFile:
        """The cue as a MIDI file (what `compose` renders)."""
        return to_midi(arrange(plan))

    def _compose(self, plan: ScorePlan) -> np.ndarray:
        arrangement: Arrangement = arrange(plan)
        midi = to_midi(arrangement)
        samples = render(midi, self.soundfont, plan.duration, self.rate)
        log.info("score_rendered", genre=plan.genre, family=genre_family(plan.genre),
                 notes=len(arrangement.notes), seconds=plan.duration)
        return _master(_mute(samples, arrangement.silences, self.rate), self.rate)


def _mute(samples: np.ndarray, windows: list[tuple[float, float]], rate: int) -> np.ndarray:
    """Silence each window: a quick fade out, nothing, then straight back in on the hit."""
    fade = int(MUTE_FADE_SECONDS * rate)
    for start, end in windows:
        first, last = int(start * rate), min(len(samples), int(end * rate))
        fade_start = max(0, first - fade)
        samples[fade_start:first] *= np.linspace(1.0, 0.0, first - fade_start,
                                                 dtype=np.float32)[:, None]
        samples[first:last] = 0.0
    return samples


def _master(samples: np.ndarray, rate: int) -> np.ndarray:
    """Loudness to the target, peaks under the ceiling, a short fade at the very end."""
    if np.abs(samples).max(initial=0.0) < 1e-7:
        return samples
    meter = pyloudnorm.Meter(rate)
    if len(samples) > rate * 0.5:
        loudness = meter.integrated_loudness(samples)
        if np.isfinite(loudness):
            samples *= np.float32(10 ** ((TARGET_LOUDNESS_LUFS - loudness) / 20))
    ceiling = 10 ** (PEAK_CEILING_DBFS / 20)
    peak = float(np.abs(samples).max())
    if peak > ceiling:
        samples *= np.float32(ceiling / peak)
    fade = min(len(samples), int(END_FADE_SECONDS * rate))
    if fade:
        samples[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return samples.astype(np.float32, copy=False)  # scaled in place: a cue is never copied
