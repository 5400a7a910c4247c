"""Pause fitting: the voiceover lands on the target length when the pauses allow it."""

from reelforge_audio.voiceover import (
    LEAD_IN_SECONDS,
    MAX_GAP_SECONDS,
    MIN_GAP_SECONDS,
    TAIL_SECONDS,
    fitted_gaps,
)


def total(gaps: list[float], speech: float) -> float:
    return LEAD_IN_SECONDS + speech + sum(gaps) + TAIL_SECONDS


def test_pauses_stretch_to_reach_the_target() -> None:
    gaps = [0.5, 1.0, 0.5, 0.0]
    fitted = fitted_gaps(gaps, speech=40.0, target=44.0)
    assert abs(total(fitted, 40.0) - 44.0) < 1e-6
    assert fitted[-1] == 0.0
    assert fitted[1] > fitted[0]  # act gaps stay the longer ones


def test_pauses_shrink_but_never_below_the_floor() -> None:
    fitted = fitted_gaps([0.6, 0.6, 0.6, 0.0], speech=30.0, target=29.0)
    assert all(g >= MIN_GAP_SECONDS for g in fitted[:-1])


def test_pauses_never_exceed_the_ceiling_and_no_target_keeps_the_plan() -> None:
    fitted = fitted_gaps([0.5, 0.5, 0.0], speech=5.0, target=60.0)
    assert all(g <= MAX_GAP_SECONDS for g in fitted)
    assert fitted_gaps([0.5, 0.7, 0.0], speech=5.0, target=None) == [0.5, 0.7, 0.0]
