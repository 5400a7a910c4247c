"""The local composer: planned length, real sound, headroom, genre and seed behaviour."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile
from reelforge.providers import Audio, ScorePlan, ScoreSection
from reelforge.providers.registry import create
from reelforge.settings import Settings
from reelforge_audio import pcm
from reelforge_audio.music import LocalComposer
from reelforge_audio.music.arrangement import BRASS, LOW_BRASS, MOTIF, OSTINATO, arrange
from reelforge_audio.music.style import genre_family, style_for, tempo_for_genre

ACTS = (("setup", 0.0, 0.3), ("escalation", 5.0, 0.6), ("climax", 10.0, 1.0),
        ("title", 15.0, 0.8), ("tag", 18.0, 0.35))


def plan(genre: str = "thriller", mood: str = "tense", seed: int = 0,
         duration: float = 22.5) -> ScorePlan:
    starts = [start for _, start, _ in ACTS] + [duration]
    return ScorePlan(
        genre=genre, mood=mood, tempo_bpm=tempo_for_genre(genre), duration=duration, seed=seed,
        sections=[ScoreSection(act=act, start=start, duration=end - start, intensity=level)
                  for (act, start, level), end in zip(ACTS, starts[1:], strict=True)],
    )


def decoded(audio: Audio) -> np.ndarray:
    samples, rate = soundfile.read(io.BytesIO(pcm.wav_bytes(audio)), dtype="float32")
    assert rate == 48_000
    return samples


def rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) + 1e-12))


def window(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[int(start * 48_000):int(end * 48_000)]


async def test_cue_has_the_planned_length_sound_and_headroom(composer: LocalComposer) -> None:
    thriller = plan(duration=22.5)
    samples = decoded(await composer.compose(thriller))

    assert samples.shape == (round(22.5 * 48_000), 2)
    assert rms_db(samples) > -35  # not silent
    assert np.abs(samples).max() < 10 ** (-0.5 / 20)  # peaks under 0 dBFS (ceiling -1)
    # it builds: the climax is louder than the setup, and it resolves quietly at the end
    assert rms_db(window(samples, 10.5, 14.5)) > rms_db(window(samples, 0.5, 4.5)) + 6
    assert rms_db(window(samples, 21.8, 22.5)) < rms_db(window(samples, 10.5, 14.5)) - 20
    # the cut to silence before the title, then the hit
    assert np.abs(window(samples, 15.0 - 0.35, 15.0 - 0.02)).max() < 1e-3
    assert rms_db(window(samples, 15.0, 15.5)) > rms_db(window(samples, 0.5, 4.5))


async def test_genres_sound_different_and_seeds_repeat(composer: LocalComposer) -> None:
    thriller = decoded(await composer.compose(plan("thriller", duration=22.5)))
    again = decoded(await composer.compose(plan("thriller", duration=22.5)))
    horror = decoded(await composer.compose(plan("supernatural horror", "eerie",
                                                 duration=22.5)))
    assert np.array_equal(thriller, again)
    difference = thriller - horror
    assert rms_db(difference) > rms_db(thriller) - 6  # not the same cue at another level


def test_intensity_drives_the_arrangement() -> None:
    notes = arrange(plan()).notes

    def density(channel: int, start: float, end: float) -> int:
        return sum(1 for n in notes if n.channel == channel and start <= n.start < end)

    assert density(OSTINATO, 0.0, 4.9) == 0 and density(OSTINATO, 5.0, 10.0) > 8
    assert density(BRASS, 0.0, 9.9) == 0 and density(BRASS, 10.0, 15.0) > 0
    assert any(n.channel == LOW_BRASS and n.start == 10.0 and n.velocity > 110 for n in notes)
    assert density(MOTIF, 0.0, 5.0) > 0
    assert not [n for n in notes if 15.0 - 0.45 <= n.start < 15.0]
    assert max(n.end for n in notes) <= 22.5 - 1.5  # the end rings out, nothing is cut off


def test_seed_changes_the_key_or_material_and_styles_follow_genre_and_mood() -> None:
    variants = {tuple((n.pitch, round(n.start, 3)) for n in arrange(plan(seed=s)).notes)
                for s in range(4)}
    assert len(variants) > 1
    assert genre_family("Science Fiction") == "scifi"
    assert genre_family("crime thriller") == "thriller"
    assert genre_family("romantic comedy") == "comedy"
    assert genre_family("unheard-of genre") == "thriller"
    assert style_for("drama", "hopeful").mode != style_for("drama", "ominous").mode
    assert tempo_for_genre("action") > tempo_for_genre("horror")


def test_writes_a_standard_midi_file(composer: LocalComposer, tmp_path: Path) -> None:
    path = tmp_path / "cue.mid"
    composer.write_midi(plan()).save(path)
    midi = mido.MidiFile(path)
    programs = {m.channel: m.program for m in midi if m.type == "program_change"}
    assert programs[9] == 48 and len(programs) == 12  # orchestra kit on the drum channel
    assert sum(1 for m in midi if m.type == "note_on") > 200
    assert midi.length == pytest.approx(22.5, abs=0.01)


def test_registered_as_the_local_music_provider() -> None:
    provider = create("music", "local", Settings())
    assert isinstance(provider, LocalComposer)
    assert provider.name == "fluidsynth:FluidR3_GM"
