"""What genre and mood mean for the score: instruments (General MIDI programs), mode,
chord progression, tempo and ostinato figure.

Genres arrive as free labels from the story analyser ("thriller", "science fiction",
"romantic drama"), so each is matched to a family by keywords; moods nudge the mode
brighter or darker.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

AEOLIAN = (0, 2, 3, 5, 7, 8, 10)
PHRYGIAN = (0, 1, 3, 5, 7, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)
IONIAN = (0, 2, 4, 5, 7, 9, 11)
LYDIAN = (0, 2, 4, 6, 7, 9, 11)


@dataclass(frozen=True)
class Instruments:
    """General MIDI programs (0-based) for each role in a trailer cue."""

    drone: int
    pad: int
    bass: int
    ostinato: int
    high: int
    brass: int
    low_brass: int
    choir: int
    motif: int
    timpani: int = 47
    riser: int = 119  # reverse cymbal
    drum_kit: int = 48  # bank 128: the orchestra kit


@dataclass(frozen=True)
class Style:
    family: str
    instruments: Instruments
    mode: tuple[int, ...]
    progression: tuple[int, ...]
    """Scale degrees (0-based) of the chord roots, cycled."""
    tempo_bpm: float
    ostinato_figure: tuple[int, ...]
    """Chord-tone indices per step: 0 root, 1 third, 2 fifth, 3 octave."""
    dissonant: bool = False
    """Add a minor second to pad chords (horror clusters)."""


STYLES: dict[str, Style] = {
    "horror": Style(
        "horror", Instruments(drone=49, pad=95, bass=43, ostinato=45, high=44, brass=57,
                              low_brass=58, choir=52, motif=10),
        PHRYGIAN, (0, 1, 0, 5), 68, (0, 1, 0, 3, 0, 1, 2, 1), dissonant=True,
    ),
    "thriller": Style(
        "thriller", Instruments(drone=48, pad=89, bass=38, ostinato=48, high=44, brass=61,
                                low_brass=57, choir=52, motif=0),
        AEOLIAN, (0, 5, 3, 6), 100, (0, 2, 3, 2, 0, 2, 1, 2),
    ),
    "action": Style(
        "action", Instruments(drone=48, pad=50, bass=43, ostinato=48, high=44, brass=61,
                              low_brass=58, choir=52, motif=60, timpani=116, drum_kit=16),
        AEOLIAN, (0, 5, 6, 0), 124, (0, 0, 2, 0, 3, 0, 2, 1),
    ),
    "scifi": Style(
        "scifi", Instruments(drone=89, pad=94, bass=38, ostinato=81, high=50, brass=62,
                             low_brass=58, choir=91, motif=98, drum_kit=16),
        AEOLIAN, (0, 5, 2, 6), 104, (0, 2, 3, 2, 1, 2, 3, 2),
    ),
    "fantasy": Style(
        "fantasy", Instruments(drone=48, pad=49, bass=43, ostinato=46, high=44, brass=60,
                               low_brass=58, choir=52, motif=60),
        DORIAN, (0, 3, 6, 0), 92, (0, 1, 2, 3, 2, 1, 2, 1),
    ),
    "drama": Style(
        "drama", Instruments(drone=49, pad=49, bass=43, ostinato=0, high=48, brass=60,
                             low_brass=57, choir=53, motif=0),
        IONIAN, (5, 3, 0, 4), 76, (0, 2, 3, 1, 3, 2, 1, 2),
    ),
    "comedy": Style(
        "comedy", Instruments(drone=48, pad=48, bass=43, ostinato=45, high=48, brass=56,
                              low_brass=58, choir=53, motif=71),
        IONIAN, (0, 4, 5, 3), 112, (0, 2, 3, 2, 1, 2, 3, 2),
    ),
    "mystery": Style(
        "mystery", Instruments(drone=49, pad=99, bass=43, ostinato=45, high=44, brass=60,
                               low_brass=57, choir=53, motif=8),
        HARMONIC_MINOR, (0, 3, 4, 0), 88, (0, 2, 1, 2, 3, 2, 1, 2),
    ),
}
DEFAULT_FAMILY = "thriller"

_GENRE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("horror", ("horror", "slasher", "supernatural", "ghost", "haunt", "zombie", "monster")),
    ("scifi", ("sci-fi", "scifi", "sci fi", "science", "space", "cyber", "futur", "dystop",
               "alien", "robot")),
    ("fantasy", ("fantasy", "epic", "myth", "magic", "fairy", "legend", "sword")),
    ("action", ("action", "war", "adventure", "heist", "martial", "disaster", "western", "spy")),
    ("mystery", ("mystery", "detective", "noir", "whodunit", "investigat")),
    ("comedy", ("comedy", "comic", "satire", "parody", "animation", "family", "musical")),
    ("drama", ("drama", "romance", "romantic", "love", "biograph", "coming", "melodrama",
               "historical", "period", "sport")),
    ("thriller", ("thriller", "suspense", "crime", "psychological", "conspiracy", "political")),
)

_BRIGHT_MOODS = ("hope", "uplift", "warm", "joy", "triumph", "whims", "playful", "heart",
                 "inspir", "light", "fun", "tender", "romantic", "wonder", "nostalg")
_DARK_MOODS = ("dark", "ominous", "eerie", "sinister", "menac", "grim", "dread", "creep",
               "bleak", "haunt", "brood", "violent")


def genre_family(genre: str) -> str:
    label = genre.lower()
    for family, keywords in _GENRE_KEYWORDS:
        if any(keyword in label for keyword in keywords):
            return family
    return DEFAULT_FAMILY


def tempo_for_genre(genre: str) -> float:
    """The tempo a trailer cue of this genre is usually cut to, in BPM."""
    return STYLES[genre_family(genre)].tempo_bpm


def style_for(genre: str, mood: str) -> Style:
    """The family's style, its mode brightened or darkened by the mood."""
    style = STYLES[genre_family(genre)]
    label = mood.lower()
    if any(word in label for word in _BRIGHT_MOODS) and style.mode not in (IONIAN, LYDIAN):
        return replace(style, mode=LYDIAN if style.family == "fantasy" else IONIAN,
                       progression=(0, 4, 5, 3), dissonant=False)
    if any(word in label for word in _DARK_MOODS) and style.mode in (IONIAN, LYDIAN):
        return replace(style, mode=AEOLIAN, progression=(0, 5, 3, 4))
    return style


TONICS = (33, 35, 36, 38, 40, 41, 43)
"""Candidate tonics (A1 to G2): low enough for drones, a seed picks one."""


def tonic_for(seed: int, genre: str) -> int:
    """A deterministic key for the seed (stable across processes, unlike `hash`)."""
    return TONICS[zlib.crc32(f"{seed}:{genre_family(genre)}".encode()) % len(TONICS)]
