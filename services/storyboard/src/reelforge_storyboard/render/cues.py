"""What the words of a scene ask the renderer to show beyond its structured fields: weather,
and landmarks a location is known by (a lighthouse, a tower, a church)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from reelforge.models import Location, Scene

_WORDS = {
    "rain": r"rain\w*|downpour|drizzl\w*|storm\w*|wet streets?|monsoon",
    "storm": r"storm\w*|thunder\w*|lightning|tempest|gale",
    "fog": r"fog\w*|mist\w*|haze|smok\w*|steam",
    "snow": r"snow\w*|blizzard|frost\w*|ice|icy|frozen|winter",
    "lighthouse": r"lighthouse|beacon|light ?keeper",
    "tower": r"tower\w*|skyscraper|spire|antenna|mast",
    "church": r"church|chapel|steeple|cathedral|temple",
    "fire": r"fire|flames?|burn\w*|blaze|ember\w*|torch\w*",
    "moon": r"moon\w*",
    "crowd": r"crowd\w*|army|mob|soldiers|villagers",
}
_PATTERNS = {name: re.compile(rf"\b(?:{rx})\b", re.IGNORECASE) for name, rx in _WORDS.items()}


@dataclass(frozen=True)
class Cues:
    rain: bool = False
    storm: bool = False
    fog: bool = False
    snow: bool = False
    lighthouse: bool = False
    tower: bool = False
    church: bool = False
    fire: bool = False
    moon: bool = False
    crowd: bool = False


def cues_for(scene: Scene, location: Location) -> Cues:
    """Scene words decide the weather; the location's own name/description decide its
    landmarks, so a landmark stays put across every scene set there."""
    scene_text = " ".join([scene.summary, scene.text, scene.mood])
    place_text = " ".join([location.name, location.description])
    found = {name: bool(rx.search(scene_text)) for name, rx in _PATTERNS.items()}
    for landmark in ("lighthouse", "tower", "church"):
        found[landmark] = bool(_PATTERNS[landmark].search(place_text))
    found["snow"] = found["snow"] or location.kind == "snow"
    return Cues(**found)


def stable_seed(*parts: object) -> int:
    """A seed that is the same on every machine and Python run (unlike hash())."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")
