"""The checks of bench/script_quality.py, which other work is measured by: the issue's
broken lines count as broken, ordinary trailer lines do not."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "script_quality.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("script_quality", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["script_quality"] = module
    spec.loader.exec_module(module)
    return module


bench = load_bench()


@pytest.mark.parametrize("line", [
    "In a world where after several successful hustles, the Kid comes across a beautiful.",
    "One man, However next visits local crime boss Oxford Charley.",
    "And but upon knowing the truth from Chandrabhanu his uncle.",
    "Now, Nandagopal Maarar, a close friend.",
    "The man he's.",
    "But their passion soon.",
    "Despite the despair of leaving Vietnam and having to live.",
    "and conflicts. Survive the night.",
    'He says "never again.',
    "See {{quote box}} below.",
    "Ritu Patel, a doctor, informs.",
    "One man, a year old.",
    "He starts out well, then tries.",
    "Sleepy begins.",
    "Vincent, who has carried guilt for letting go.",
    "Sleepy, a small and droopy-eyed duck.",
])
def test_broken_lines_are_found(line: str) -> None:
    assert bench.line_faults(line)


@pytest.mark.parametrize("line", [
    "One last chance.",
    "Survive the storm.",
    "In a world where the sea never stops moving.",
    "Mara climbs to the lamp room and finds the oil tanks drained.",
    "Nobody says the word wrecking. Everybody understands it.",
    "And only Tobias believes her.",
    "But the wreckers light their false beacon.",
    "Then the lies start happening.",
    "Katniss volunteers in her sister's place.",
    "Mary gained confidence and began to fight back.",
    "And so, over the week they spend time together.",
    "Some things are worth burning for.",
    "If he stops, he loses everything he is running for.",
    "Caleb sets out to learn where nature came from and what it wants.",
    "Tomas must deliver a letter before the war begins.",
    "Tahaan, who has lost his donkey, goes in search of the old man.",
    "And Mr. Hasson arrives at the base with the loader.",
    "But Wile E. accidentally ignites his tail instead of the fuse.",
])
def test_complete_sentences_pass(line: str) -> None:
    assert bench.line_faults(line) == []


def test_a_line_drawn_from_the_last_fifth_reveals_the_ending() -> None:
    story = ("Katniss lives in District 12. She volunteers for the Games. Peeta joins her. "
             "They train in the Capitol. The arena opens. Cato hunts them. "
             "Rue is killed in the forest. A storm of fire drives them on. "
             "Katniss shoots Cato to spare him a prolonged death. They win together.")
    sentences = bench.source_sentences(story)
    assert bench.drawn_from_ending("Katniss shoots Cato to spare him.", sentences)
    assert bench.drawn_from_ending("She volunteers for the Games.", sentences) is None
    assert bench.drawn_from_ending("One last chance.", sentences) is None


def test_cast_names_are_matched_against_the_variants_of_a_person() -> None:
    variants = [frozenset({"katniss", "everdeen"}), frozenset({"peeta"})]
    assert bench.names_one_of("Katniss", variants)
    assert bench.names_one_of("Katniss Everdeen", variants)
    assert not bench.names_one_of("Since Katniss", variants)
    assert not bench.names_one_of("District", variants)


def test_a_person_s_mentions_are_counted_once_per_name() -> None:
    bench = load_bench()
    ellen = (frozenset({"ellen", "brody"}), frozenset({"ellen"}), frozenset({"brody"}))
    story = "Ellen Brody swims. Later Ellen's son calls Brody, and the brodys leave."
    assert bench.times_named(story, ellen) == 3
    assert bench.times_named("Nobody is named here.", ellen) == 0
