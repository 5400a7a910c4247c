"""The score's plan from the script and the voiceover layout: the music follows the acts
as they are actually spoken, so its hits land where the lines do."""

from __future__ import annotations

from reelforge.models import END_CARD_SECONDS, ActName, Script
from reelforge.providers import ScorePlan, ScoreSection

from reelforge_audio.music import tempo_for_genre
from reelforge_audio.voiceover import VoiceoverLayout

ACT_INTENSITY: dict[ActName, float] = {
    "setup": 0.3,
    "escalation": 0.6,
    "climax": 1.0,
    "title": 0.8,
    "tag": 0.35,
}


def build_score_plan(script: Script, layout: VoiceoverLayout, seed: int) -> ScorePlan:
    """Top genre and tone, the genre's tempo, one section per run of lines of one act
    (starting where its first line starts; the first at 0), lasting voiceover + end card."""
    genre = script.patterns.genres[0].label
    duration = layout.duration + END_CARD_SECONDS
    runs: list[tuple[ActName, float]] = []
    for line in layout.lines:
        if not runs or runs[-1][0] != line.act:
            runs.append((line.act, line.start))
    starts = [0.0] + [start for _, start in runs[1:]]
    ends = [*starts[1:], duration]
    sections = [
        ScoreSection(act=act, start=round(start, 3), duration=round(end - start, 3),
                     intensity=ACT_INTENSITY[act])
        for (act, _), start, end in zip(runs, starts, ends, strict=True)
    ]
    return ScorePlan(
        genre=genre,
        mood=script.patterns.tones[0].label,
        tempo_bpm=tempo_for_genre(genre),
        duration=round(duration, 3),
        sections=sections,
        seed=seed,
    )
