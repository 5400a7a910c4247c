"""The visual bible's pictures: a reference portrait of each main character and a reference
shot of each location the scenes use, made before the frames through the configured image
provider, then sent with every frame of a scene they appear in (to providers that take
reference images).

A reference is asked for like a frame, on a scene of its own: the character alone in a plain
place, or the location with nobody in it, both by day and calm, so the pictures do not
change when a scene's time or mood is edited. The local renderer therefore draws the
character's own figure and the location's own look, seeded from the job as in every frame;
a prompt-driven model gets a prompt written for a reference picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelforge.models import Character, Location, Role, Scene, Script
from reelforge.pipeline import ReferenceKind, reference_artifact, reference_name, subject_id
from reelforge.providers import FrameRequest

MAX_CHARACTERS_PER_FRAME = 5
"""References sent with one frame: its most important characters (as many as the local
renderer draws), then its location; well within every adapter's limit on input images."""
PLAIN_PLACE = "reference-backdrop"
"""The place a portrait stands in: no story location, so the renderer draws a generic one."""

_ROLE_ORDER: dict[Role, int] = {"protagonist": 0, "antagonist": 1, "supporting": 2, "minor": 3}


@dataclass(frozen=True)
class Subject:
    """Whom or what one reference picture shows."""

    kind: ReferenceKind
    id: str
    name: str
    description: str

    @property
    def job_name(self) -> str:
        """The job-store name: `reference/character/mara`."""
        return reference_name(self.kind, self.id)

    @property
    def path(self) -> str:
        """The package path: `references/characters/mara.png`."""
        path = reference_artifact(self.kind).path_for(**{self.kind: subject_id(self.id)})
        assert path is not None
        return path

    @property
    def blob_name(self) -> str:
        return f"reference-{self.kind}-{subject_id(self.id)}.png"


def _character(script: Script, character: Character) -> Subject:
    described = script.bible.characters.get(character.id) or character.description
    return Subject("character", character.id, character.name, described)


def _location(script: Script, location: Location) -> Subject:
    described = script.bible.locations.get(location.id) or location.description
    return Subject("location", location.id, location.name, described)


def subjects(script: Script) -> list[Subject]:
    """Every reference the script needs: its main characters a scene shows, then every
    location a scene is set in."""
    return ([_character(script, c) for c in script.main_characters_shown()]
            + [_location(script, loc) for loc in script.scene_locations()])


def scene_subjects(script: Script, scene: Scene) -> list[Subject]:
    """The references a frame of `scene` is sent: its main characters, most important
    first, then its location."""
    by_id = {c.id: c for c in script.main_characters_shown()}
    cast = sorted((by_id[c] for c in dict.fromkeys(scene.characters) if c in by_id),
                  key=lambda c: (_ROLE_ORDER[c.role], -c.mentions))
    location = next(loc for loc in script.scene_locations() if loc.id == scene.location)
    return ([_character(script, c) for c in cast[:MAX_CHARACTERS_PER_FRAME]]
            + [_location(script, location)])


def reference_request(script: Script, subject: Subject, job_seed: int, side: int
                      ) -> FrameRequest:
    """The request for one reference picture, `side` pixels square. Its scene is numbered 0
    and seeded with the job seed, so the local renderer seeds the figure and the place as in
    every frame."""
    if subject.kind == "character":
        scene = Scene(index=0, summary=f"{subject.name}, a reference portrait",
                      text=subject.description or subject.name, characters=[subject.id],
                      location=PLAIN_PLACE, time_of_day="day", mood="calm", framing="medium")
        lines = [f"Character reference portrait of {subject.name}", subject.description,
                 "One person alone, full figure, standing and facing the camera",
                 "Plain background, soft even light"]
    else:
        scene = Scene(index=0, summary=f"{subject.name}, a reference shot",
                      text=subject.description or subject.name, characters=[],
                      location=subject.id, time_of_day="day", mood="calm", framing="wide")
        lines = [f"Location reference shot of {subject.name}", subject.description,
                 "Establishing wide shot with nobody in it, daylight"]
    parts = [script.bible.style, *lines]
    prompt = ". ".join(p.strip().rstrip(".") for p in parts if p.strip()) + "."
    return FrameRequest(prompt=prompt, scene=scene, script=script, width=side, height=side,
                        seed=job_seed)
