"""Shot planning: the image-to-video prompt for one frame.

The LLM (task "shot") chooses the camera move, action and atmosphere from the scene and the
frame; timing is not left to it. A shot lasts as long as its narration is planned to take,
because the assembly stage cuts on the voiceover: the clip has to cover the words.
"""

from __future__ import annotations

from typing import Any

from reelforge.models import Scene, Script, Shot, ShotPlan


def shot_context(script: Script, scene: Scene, frame_png_b64: str) -> dict[str, Any]:
    """What the `shot` task is given (the same keys for the local and remote LLMs)."""
    return {
        "scene": scene.story(),
        "script": {
            "title": script.title,
            "genres": [g.label for g in script.patterns.genres],
            "tones": [t.label for t in script.patterns.tones],
        },
        "frame_png_b64": frame_png_b64,
    }


def shot_from_plan(
    plan: ShotPlan, script: Script, scene: Scene, focus: tuple[float, float] | None
) -> Shot:
    """The stored Shot: the plan's creative choices (the camera move the user directed, if
    any, over the plan's), our timing, and the composed focus when the renderer knows it
    (else the planner's guess)."""
    directed = scene.direction.camera if scene.direction else None
    return Shot(
        scene=scene.index,
        camera=directed or plan.camera,
        action=plan.action,
        atmosphere=plan.atmosphere,
        prompt=plan.prompt,
        duration=script.shot_seconds(scene),
        focus=focus if focus is not None else plan.focus,
    )
