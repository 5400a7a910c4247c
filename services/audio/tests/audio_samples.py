"""A small script to narrate, shared by the audio tests."""

from __future__ import annotations

from reelforge.models import (
    Act,
    Character,
    Location,
    NarrationLine,
    Scene,
    Score,
    Script,
    StoryPatterns,
    VisualBible,
)

NARRATION = [
    NarrationLine(index=0, act="setup", scene=0, text="In a quiet harbour town, nobody locks "
                  "their doors.", marked="In a quiet harbour town... nobody locks their doors.",
                  pause_after=0.4),
    NarrationLine(index=1, act="escalation", scene=1, text="Until the lighthouse goes dark.",
                  marked="Until the *lighthouse* goes dark.", pause_after=0.3),
    NarrationLine(index=2, act="climax", scene=2, text="Now Mara Quill has one night to "
                  "find the truth.", marked="Now Mara Quill has one night... to find the truth.",
                  pause_after=0.5),
    NarrationLine(index=3, act="title", card="title", text="Dark Harbour.",
                  marked="*Dark Harbour.*", pause_after=0.6),
]


def build_script(narration: list[NarrationLine] = NARRATION, genre: str = "thriller",
                 tone: str = "tense") -> Script:
    """A complete, valid Script around the given narration."""
    scenes = [
        Scene(index=i, summary=f"scene {i}", text=f"passage {i}", location="harbour",
              act=act)
        for i, act in enumerate(("setup", "escalation", "climax"))
    ]
    return Script(
        title="Dark Harbour",
        tagline="Some lights should stay off.",
        logline="A harbour town loses its lighthouse and its nerve.",
        patterns=StoryPatterns(
            genres=[Score(label=genre, score=0.8), Score(label="drama", score=0.2)],
            tones=[Score(label=tone, score=0.7)],
            logline="A harbour town loses its lighthouse.",
        ),
        characters=[Character(id="mara", name="Mara Quill", mentions=4, role="protagonist")],
        locations=[Location(id="harbour", name="the harbour", kind="sea")],
        scenes=scenes,
        acts=[Act(name="setup", scenes=[0]), Act(name="escalation", scenes=[1]),
              Act(name="climax", scenes=[2])],
        narration=narration,
        bible=VisualBible(style="grainy 35mm"),
        target_duration=30.0,
    )
