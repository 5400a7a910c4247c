"""Colour: the time of day sets the light, the mood and genre grade it, the place tints it.

Values are what a colourist would pick for a previs frame, not a physical sky model: the goal
is that dawn, day, dusk and night read at a glance and that a mood shifts the whole frame
(an ominous scene is colder and darker than a hopeful one) while staying recognisably the
same time of day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reelforge.models import LocationKind, TimeOfDay

from reelforge_storyboard.render.canvas import Color, mix, scale


@dataclass(frozen=True)
class Palette:
    zenith: Color  # sky at the top of the frame
    horizon: Color  # sky at the horizon
    light: Color  # key light: sun, moon, window
    haze: Color  # aerial perspective and fog
    ground_far: Color
    ground_near: Color
    silhouette: Color  # the darkest foreground value
    practical: Color  # man-made lights: windows, lamps, lanterns
    exposure: float = 1.0
    saturation: float = 1.0
    contrast: float = 1.0
    night: bool = False


_TIME: dict[TimeOfDay, Palette] = {
    "dawn": Palette(
        zenith=(0.30, 0.36, 0.55), horizon=(0.98, 0.72, 0.55), light=(1.00, 0.80, 0.60),
        haze=(0.80, 0.70, 0.68), ground_far=(0.42, 0.38, 0.42), ground_near=(0.16, 0.14, 0.17),
        silhouette=(0.07, 0.06, 0.09), practical=(1.00, 0.78, 0.45),
    ),
    "day": Palette(
        zenith=(0.26, 0.46, 0.78), horizon=(0.78, 0.86, 0.93), light=(1.00, 0.97, 0.90),
        haze=(0.78, 0.84, 0.90), ground_far=(0.52, 0.56, 0.52), ground_near=(0.30, 0.31, 0.26),
        silhouette=(0.10, 0.10, 0.11), practical=(1.00, 0.90, 0.70), exposure=1.05,
    ),
    "dusk": Palette(
        zenith=(0.15, 0.13, 0.30), horizon=(1.00, 0.50, 0.22), light=(1.00, 0.62, 0.32),
        haze=(0.62, 0.40, 0.38), ground_far=(0.30, 0.22, 0.28), ground_near=(0.10, 0.07, 0.10),
        silhouette=(0.04, 0.03, 0.05), practical=(1.00, 0.70, 0.35),
    ),
    "night": Palette(
        zenith=(0.020, 0.030, 0.075), horizon=(0.10, 0.13, 0.24), light=(0.62, 0.72, 0.95),
        haze=(0.15, 0.18, 0.28), ground_far=(0.12, 0.13, 0.19), ground_near=(0.05, 0.055, 0.08),
        silhouette=(0.010, 0.012, 0.022), practical=(1.00, 0.72, 0.38), exposure=1.0,
        night=True,
    ),
}


@dataclass(frozen=True)
class Grade:
    """How a mood or genre bends the base palette."""

    tint: Color  # blended into sky and haze
    tint_amount: float
    saturation: float = 1.0
    exposure: float = 1.0
    contrast: float = 1.0


_MOODS: tuple[tuple[tuple[str, ...], Grade], ...] = (
    (("ominous", "dread", "sinister", "menac", "grim", "dark", "horror", "fear", "doom"),
     Grade((0.30, 0.42, 0.38), 0.30, saturation=0.65, exposure=0.80, contrast=1.15)),
    (("melanchol", "sad", "lonel", "grief", "somber", "sombre", "mourn", "regret", "loss"),
     Grade((0.45, 0.52, 0.65), 0.35, saturation=0.55, exposure=0.92, contrast=0.95)),
    (("myster", "eerie", "strange", "dream", "uncanny", "haunt", "secret"),
     Grade((0.45, 0.40, 0.70), 0.30, saturation=0.80, exposure=0.90, contrast=1.05)),
    (("hope", "warm", "tender", "romant", "joy", "love", "triumph", "uplift", "wonder"),
     Grade((1.00, 0.78, 0.55), 0.22, saturation=1.10, exposure=1.08, contrast=1.00)),
    (("epic", "heroic", "grand", "majest", "defiant", "resolve"),
     Grade((1.00, 0.75, 0.40), 0.18, saturation=1.05, exposure=1.00, contrast=1.20)),
    (("frantic", "violent", "chaos", "action", "urgent", "rage", "fury", "desperate"),
     Grade((0.90, 0.40, 0.25), 0.20, saturation=0.95, exposure=0.95, contrast=1.25)),
    (("calm", "peace", "serene", "quiet", "gentle", "still"),
     Grade((0.75, 0.82, 0.85), 0.15, saturation=0.90, exposure=1.05, contrast=0.90)),
    (("tense", "suspense", "uneas", "anxious", "nervous", "paranoi", "threat"),
     Grade((0.35, 0.55, 0.60), 0.22, saturation=0.80, exposure=0.92, contrast=1.12)),
)

_GENRES: dict[str, Grade] = {
    "horror": Grade((0.35, 0.45, 0.35), 0.20, saturation=0.70, exposure=0.85, contrast=1.10),
    "thriller": Grade((0.35, 0.50, 0.58), 0.12, saturation=0.85, contrast=1.08),
    "noir": Grade((0.50, 0.50, 0.55), 0.20, saturation=0.50, contrast=1.20),
    "sci-fi": Grade((0.30, 0.60, 0.75), 0.15, saturation=0.95, contrast=1.05),
    "science fiction": Grade((0.30, 0.60, 0.75), 0.15, saturation=0.95, contrast=1.05),
    "romance": Grade((1.00, 0.70, 0.65), 0.15, saturation=1.05, exposure=1.05),
    "western": Grade((0.95, 0.70, 0.40), 0.20, saturation=0.90, contrast=1.08),
    "fantasy": Grade((0.70, 0.60, 0.90), 0.12, saturation=1.05),
    "war": Grade((0.55, 0.55, 0.45), 0.20, saturation=0.60, contrast=1.15),
    "drama": Grade((0.80, 0.75, 0.70), 0.08, saturation=0.90),
}

_GROUND: dict[LocationKind, tuple[Color, float]] = {
    "forest": ((0.16, 0.26, 0.14), 0.55),
    "field": ((0.42, 0.48, 0.22), 0.55),
    "desert": ((0.80, 0.60, 0.38), 0.70),
    "sea": ((0.10, 0.26, 0.36), 0.60),
    "snow": ((0.88, 0.91, 0.96), 0.80),
    "mountain": ((0.35, 0.36, 0.38), 0.40),
    "village": ((0.40, 0.36, 0.28), 0.40),
    "city": ((0.30, 0.31, 0.34), 0.45),
    "road": ((0.34, 0.32, 0.28), 0.40),
    "underground": ((0.22, 0.20, 0.18), 0.60),
    "interior": ((0.35, 0.27, 0.20), 0.60),
    "space": ((0.25, 0.24, 0.26), 0.60),
}


def palette_for(
    time_of_day: TimeOfDay, mood: str, genres: list[str], kind: LocationKind
) -> Palette:
    """The frame's palette: base light for the time, the place's ground, then the grades."""
    base = _TIME[time_of_day]
    base = _tint_ground(base, kind)
    if kind == "space":
        base = replace(base, zenith=(0.0, 0.0, 0.01), horizon=(0.02, 0.02, 0.05),
                       haze=(0.05, 0.05, 0.10), silhouette=(0.012, 0.012, 0.018), night=True)
    for grade in [*_mood_grades(mood), *_genre_grades(genres)]:
        base = _apply(base, grade)
    return base


def _tint_ground(p: Palette, kind: LocationKind) -> Palette:
    colour, amount = _GROUND.get(kind, ((0.38, 0.36, 0.32), 0.35))
    brightness = sum(p.ground_far) / 3 / 0.47  # keep the time of day's overall level
    lit = scale(colour, min(1.6, brightness))
    return replace(
        p,
        ground_far=mix(p.ground_far, mix(lit, p.haze, 0.35), amount),
        ground_near=mix(p.ground_near, scale(lit, 0.55), amount),
    )


def _mood_grades(mood: str) -> list[Grade]:
    words = mood.lower()
    return [grade for keys, grade in _MOODS if any(k in words for k in keys)][:2]


def _genre_grades(genres: list[str]) -> list[Grade]:
    top = [g.lower() for g in genres[:1]]
    return [_GENRES[g] for g in top if g in _GENRES]


def _apply(p: Palette, g: Grade) -> Palette:
    def tinted(c: Color, k: float = 1.0) -> Color:
        level = sum(c) / 3
        target = scale(g.tint, level / max(sum(g.tint) / 3, 1e-3))
        return mix(c, target, g.tint_amount * k)

    return replace(
        p,
        zenith=tinted(p.zenith),
        horizon=tinted(p.horizon, 0.7),
        haze=tinted(p.haze),
        ground_far=tinted(p.ground_far, 0.5),
        ground_near=tinted(p.ground_near, 0.5),
        light=tinted(p.light, 0.4),
        exposure=p.exposure * g.exposure,
        saturation=p.saturation * g.saturation,
        contrast=p.contrast * g.contrast,
    )
