"""Valid reelforge requests and fast Settings for tests that drive the remote adapters."""

from __future__ import annotations

from typing import Any

from reelforge.models import (
    Act,
    Character,
    Location,
    NarrationLine,
    Scene,
    Score,
    Script,
    Shot,
    StoryPatterns,
    VisualBible,
)
from reelforge.providers.base import (
    ClipRequest,
    FrameRequest,
    ReferenceImage,
    ScorePlan,
    ScoreSection,
)

from . import media

FAST: dict[str, Any] = {
    "http_backoff_initial": 0.005, "http_backoff_max": 0.02, "http_max_attempts": 3,
    "http_retry_after_max": 2.0, "http_read_timeout": 5.0, "http_connect_timeout": 2.0,
    "poll_interval": 0.005, "poll_interval_max": 0.01, "poll_timeout": 5.0,
}
"""Settings overrides: tiny backoff and poll intervals, so retries cost milliseconds."""


def tiny_script() -> Script:
    scene = Scene(index=0, summary="A keeper crosses a flooded square", text="...",
                  characters=["keeper"], location="square")
    return Script(
        title="The Last Light", tagline="Hold the light.", logline="A keeper holds on.",
        patterns=StoryPatterns(genres=[Score(label="thriller", score=0.9)],
                               tones=[Score(label="dark", score=0.8)], logline="x"),
        characters=[Character(id="keeper", name="Ada", mentions=3, role="protagonist")],
        locations=[Location(id="square", name="The Square", kind="city")],
        scenes=[scene], acts=[Act(name="setup", scenes=[0])],
        narration=[NarrationLine(index=0, act="setup", scene=0, text="In a drowned city",
                                 marked="In a drowned city...")],
        bible=VisualBible(style="35mm film still"), target_duration=30.0,
    )


def frame_request(prompt: str = "a lighthouse keeper at dusk, fog", width: int = 960,
                  height: int = 540) -> FrameRequest:
    script = tiny_script()
    return FrameRequest(prompt=prompt, scene=script.scenes[0], script=script, width=width,
                        height=height, seed=7)


def frame_request_with_references(prompt: str = "a lighthouse keeper at dusk, fog"
                                  ) -> FrameRequest:
    """A frame of the tiny script's scene with its two references: Ada's portrait, then the
    square's shot (small PNGs, so adapters send them inline)."""
    references = [
        ReferenceImage(kind="character", subject="keeper", name="Ada",
                       key="jobs/j/storyboard/reference-character-keeper-1.png",
                       png=media.png(96, 96, seed=11)),
        ReferenceImage(kind="location", subject="square", name="The Square",
                       key="jobs/j/storyboard/reference-location-square-2.png",
                       png=media.png(96, 96, seed=12)),
    ]
    return frame_request(prompt).model_copy(update={"references": references})


REFERENCE_NOTE = (" Keep the look of the reference images: image 1: Ada (character); "
                  "image 2: The Square (location).")
"""What the prompt of `frame_request_with_references` ends with at a provider that takes
them."""


def clip_request(prompt: str = "slow push in, fog drifts", side: int = 640,
                 last_frame: bool = False) -> ClipRequest:
    shot = Shot(scene=0, camera="push_in", action="fog drifts", atmosphere="cold",
                prompt=prompt, duration=4.0)
    frame = media.png(side, side, seed=3)
    return ClipRequest(frame_png=frame, shot=shot, width=side, height=side,
                       last_frame_png=media.png(side, side, seed=4) if last_frame else None)


def score_plan(duration: float = 30.0) -> ScorePlan:
    third = duration / 3
    return ScorePlan(genre="thriller", mood="dark", tempo_bpm=92, duration=duration, sections=[
        ScoreSection(act="setup", start=0, duration=third, intensity=0.2),
        ScoreSection(act="escalation", start=third, duration=third, intensity=0.5),
        ScoreSection(act="climax", start=2 * third, duration=third, intensity=0.9),
    ])
