"""The context dict of every LLM task: one builder per task.

These builders are the contract between the script stage and any `LLM` provider. The local
rule-based analyst reads these keys, and a remote adapter renders them into its prompt
templates, so every value is plain JSON (models go through `model_dump(mode="json")`).
Change a key here and both sides see the change.

Scenes are indexed from 0 in pipeline order; artifact names use `NN = index + 1`.
"""

from __future__ import annotations

from typing import Any

from reelforge.models import (
    END_CARD_SECONDS,
    ActPlan,
    Document,
    JobSettings,
    Scene,
    SceneList,
    Script,
    StoryPatterns,
)

GENRES: tuple[str, ...] = (
    "sci-fi",
    "horror",
    "fantasy",
    "thriller",
    "mystery",
    "drama",
    "romance",
    "adventure",
    "action",
    "war",
    "western",
    "crime",
    "comedy",
    "family",
)
"""Genre labels a `patterns` answer should choose from (the score composer keys on them)."""

TONES: tuple[str, ...] = (
    "dark",
    "hopeful",
    "melancholic",
    "suspenseful",
    "epic",
    "intimate",
    "eerie",
    "gritty",
    "whimsical",
    "triumphant",
)
"""Tone labels a `patterns` answer should choose from."""

WORDS_PER_SECOND = 2.4
"""A natural trailer-narrator rate; the word budget is planned at this rate."""

TITLE_CARD_SECONDS = 2.0
"""Time reserved for the spoken title drop."""

ACT_BREAK_PAUSE = 1.0
"""Silence after the last line of an act."""

LINE_PAUSE = 0.55
"""Average silence between two lines of the same act (lines use 0.3 to 0.8 s)."""

MIN_SCENES, MAX_SCENES = 8, 25
SECONDS_PER_SCENE = 5.5

ACT_BREAKS = 4
"""setup|escalation, escalation|climax, climax|title, title|tag."""


# --------------------------------------------------------------------------- targets


def target_scene_count(duration: float) -> int:
    """Roughly one scene per 5.5 s of trailer, clamped so short trailers still cut and long
    ones do not become a slideshow."""
    return max(MIN_SCENES, min(MAX_SCENES, round(duration / SECONDS_PER_SCENE)))


def planned_pauses(line_count: int) -> float:
    """Total silence between `line_count` lines: an act break at each of the four act changes
    and an average short pause elsewhere (no pause counted after the last line)."""
    gaps = max(0, line_count - 1)
    breaks = min(ACT_BREAKS, gaps)
    return breaks * ACT_BREAK_PAUSE + (gaps - breaks) * LINE_PAUSE


def narration_word_target(duration: float, scene_count: int) -> int:
    """Words of narration (title drop excluded) that fill `duration` at a natural rate:
    what is left after the end card, the title drop and the pauses, times the speaking rate."""
    speaking = duration - END_CARD_SECONDS - TITLE_CARD_SECONDS - planned_pauses(scene_count + 1)
    return max(scene_count * 3, round(speaking * WORDS_PER_SECOND))


def scene_range(target: int) -> tuple[int, int]:
    """How many scenes a `scenes` answer may have around `target`: fewer are split into more
    beats, more are merged (see `validation.scene_list_from`)."""
    return max(1, (target + 1) // 2), min(MAX_SCENES, max(target, target + target // 2))


# --------------------------------------------------------------------------- task contexts


def patterns_context(document: Document, settings: JobSettings) -> dict[str, Any]:
    """`patterns` → StoryPatterns. Keys: document, genre_labels, tone_labels, seed."""
    return {
        "document": document.model_dump(mode="json"),
        "genre_labels": list(GENRES),
        "tone_labels": list(TONES),
        "seed": settings.seed,
    }


def scenes_context(
    document: Document, settings: JobSettings, patterns: StoryPatterns
) -> dict[str, Any]:
    """`scenes` → SceneList. Keys: document, patterns, duration, target_scenes, seed."""
    return {
        "document": document.model_dump(mode="json"),
        "patterns": patterns.model_dump(mode="json"),
        "duration": settings.duration,
        "target_scenes": target_scene_count(settings.duration),
        "seed": settings.seed,
    }


def acts_context(
    settings: JobSettings, patterns: StoryPatterns, scene_list: SceneList
) -> dict[str, Any]:
    """`acts` → ActPlan. Keys: patterns, scenes (list of Scene), duration, seed."""
    return {
        "patterns": patterns.model_dump(mode="json"),
        "scenes": [scene.model_dump(mode="json") for scene in scene_list.scenes],
        "duration": settings.duration,
        "seed": settings.seed,
    }


def narration_context(
    document: Document,
    settings: JobSettings,
    patterns: StoryPatterns,
    scene_list: SceneList,
    act_plan: ActPlan,
) -> dict[str, Any]:
    """`narration` → Narration.

    Keys: document, patterns, characters, locations, scenes (acts applied), acts,
    requested_title (settings.title or null), document_title, duration, target_words (title
    drop excluded), words_per_second, end_card_seconds, seed."""
    return {
        "document": document.model_dump(mode="json"),
        "patterns": patterns.model_dump(mode="json"),
        "characters": [c.model_dump(mode="json") for c in scene_list.characters],
        "locations": [loc.model_dump(mode="json") for loc in scene_list.locations],
        "scenes": [scene.model_dump(mode="json") for scene in scene_list.scenes],
        "acts": [act.model_dump(mode="json") for act in act_plan.acts],
        "requested_title": settings.title,
        "document_title": document.title,
        "duration": settings.duration,
        "target_words": narration_word_target(settings.duration, len(scene_list.scenes)),
        "words_per_second": WORDS_PER_SECOND,
        "end_card_seconds": END_CARD_SECONDS,
        "seed": settings.seed,
    }


def bible_context(
    settings: JobSettings, patterns: StoryPatterns, scene_list: SceneList
) -> dict[str, Any]:
    """`bible` → VisualBible. Keys: patterns, characters, locations, scenes, seed.
    Answer keys must be the character and location ids given here."""
    return {
        "patterns": patterns.model_dump(mode="json"),
        "characters": [c.model_dump(mode="json") for c in scene_list.characters],
        "locations": [loc.model_dump(mode="json") for loc in scene_list.locations],
        "scenes": [scene.model_dump(mode="json") for scene in scene_list.scenes],
        "seed": settings.seed,
    }


def shot_context(scene: Scene, script: Script, frame_png_b64: str | None = None) -> dict[str, Any]:
    """`shot` → ShotPlan, for one storyboard frame.

    Keys: scene (Scene), script ({title, genres, tones}: label lists, highest first) and,
    when the caller has the frame, frame_png_b64 (base64 PNG, for vision models)."""
    context: dict[str, Any] = {
        "scene": scene.model_dump(mode="json"),
        "script": {
            "title": script.title,
            "genres": [g.label for g in script.patterns.genres],
            "tones": [t.label for t in script.patterns.tones],
        },
    }
    if frame_png_b64 is not None:
        context["frame_png_b64"] = frame_png_b64
    return context
