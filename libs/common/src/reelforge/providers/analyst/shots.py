"""The `shot` task: an image-to-video prompt for one storyboard frame.

The camera move follows what the scene is about: revelation and tension push in, journeys
and searches pan, awe and scale tilt up, descent and dread tilt down, deep landscapes get
parallax, isolation and endings pull out, calm and memory drift. The framing alternates so
that no two consecutive scenes share it: odd scenes are medium shots, even ones wide (every
other one, and always when nobody is in the scene) or close. The local analyst does not
look at the frame itself; `frame_png_b64` is there for vision-capable remote models.
"""

from __future__ import annotations

import re
from typing import Any

from reelforge.models import CameraMove, Framing, Scene, ShotPlan
from reelforge.providers.analyst.lexicons import (
    FUNCTION_WORDS,
    HONORIFICS,
    LOCATION_KINDS,
    Lexicon,
    tiered,
)
from reelforge.providers.analyst.phrasing import without_appositives
from reelforge.providers.analyst.text import ensure_period, lower_words

FOCUS = (0.5, 0.55)
FRAMING_PHRASES: dict[Framing, str] = {
    "wide": "Wide shot, the whole place in frame, figures small within it",
    "medium": "Medium shot, figures from the waist up",
    "close": "Close-up on a face or a telling detail",
}
CLOSE_MOVES: dict[CameraMove, CameraMove] = {"parallax": "push_in", "tilt_up": "push_in"}
"""Moves that need depth or height to read, and what a close-up does instead."""
FIGURES = ("the figure", "a second figure", "another figure")
DESCRIBED = r"(?:\b(?:the|her|his|their)\s+[a-z]+\s+)?"
"""'the harbourmaster Silas Crane', 'her daughter Nell': the description goes with the name."""
HONORIFIC_PATTERN = "|".join(sorted((h.capitalize() for h in HONORIFICS), key=len, reverse=True))
MOVE_ORDER: tuple[CameraMove, ...] = (
    "push_in",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "parallax",
    "pull_out",
    "drift",
)
CAMERA_CUES = Lexicon(
    {
        "push_in": tiered(
            "reveal,discover,realise,realize,secret,truth,confront,stare,recognise,recognize",
            "find,see,read,letter,face,watch,whisper,ledger,count,admit",
        ),
        "pan_right": tiered(
            "journey,search,follow,chase,hunt,travel,cross,row,ride",
            "walk,run,through,along,across,path,road,drag,move,lanterns",
        ),
        "tilt_up": tiered(
            "tower,towering,climb,rise,soar,vast,colossal,awe,summit",
            "above,sky,great,lighthouse,stairs,mountain,beam,flare",
        ),
        "tilt_down": tiered(
            "descend,fall,sink,drown,beneath,grave,collapse,plunge,drop",
            "below,down,cave,floor,bury,edge,water",
        ),
        "parallax": tiered(
            "landscape,horizon,valley,coastline,panorama", "trees,pines,hills,dunes,coast"
        ),
        "pull_out": tiered(
            "alone,isolated,lonely,farewell,leave,empty,abandon,last",
            "dark,silence,gone,end,wall,one by one",
        ),
        "drift": tiered(
            "dream,memory,remember,serene,calm,sleep,asleep", "quiet,still,gentle,wake,hand"
        ),
    }
)
MOOD_MOVES: dict[str, CameraMove] = {
    "tense": "push_in",
    "ominous": "push_in",
    "mysterious": "push_in",
    "frantic": "pan_right",
    "triumphant": "tilt_up",
    "desperate": "tilt_down",
    "melancholy": "pull_out",
    "serene": "drift",
    "tender": "drift",
    "hopeful": "tilt_up",
}
DEEP_LANDSCAPES = {"forest", "field", "mountain", "desert", "snow", "road"}
"""Location kinds whose layers of depth make a parallax move read."""
CAMERA_PHRASES: dict[CameraMove, str] = {
    "push_in": "Slow push in toward the subject",
    "pull_out": "Slow pull out, the surroundings opening around the subject",
    "pan_left": "Steady pan left across the scene",
    "pan_right": "Steady pan right across the scene",
    "tilt_up": "Slow tilt up, revealing height and scale",
    "tilt_down": "Slow tilt down into the depth below",
    "drift": "Gentle floating drift, almost still",
    "parallax": "Lateral parallax move, foreground sliding past the deep background",
}
TIME_LIGHT = {
    "dawn": "cold first light on the horizon",
    "day": "flat overcast daylight",
    "dusk": "low amber light fading into blue",
    "night": "deep night, hard practical light against darkness",
}
WEATHER = (
    ("storm", "storm wind and driving rain"),
    ("rain", "rain streaking through the light"),
    ("fog", "drifting fog"),
    ("mist", "drifting mist"),
    ("snow", "falling snow"),
    ("fire", "flickering firelight and sparks"),
    ("burn", "flickering firelight and sparks"),
    ("smoke", "smoke curling through the frame"),
    ("wave", "spray blowing off the waves"),
    ("dust", "dust hanging in the air"),
    ("lantern", "pools of lantern light"),
    ("lamp", "pools of lamplight"),
    ("candle", "candlelight"),
)
MOTION = (
    (("storm", "wind", "wave", "sea", "surf"), "hair and clothing whipped by the wind"),
    (("fire", "burn", "flame"), "flames licking and shifting"),
    (("run", "race", "chase", "fight"), "urgent movement"),
)


def plan_shot(context: dict[str, Any]) -> ShotPlan:
    scene = Scene.model_validate(context["scene"])
    script = context.get("script", {})
    genres, tones = _labels(script.get("genres")), _labels(script.get("tones"))
    shot_size = framing(scene)
    camera = camera_move(scene)
    if shot_size == "close":
        camera = CLOSE_MOVES.get(camera, camera)
    action = action_of(scene)
    atmosphere = atmosphere_of(scene)
    look = ", ".join(
        filter(
            None, [f"{genres[0]} film look" if genres else "", f"{tones[0]} tone" if tones else ""]
        )
    )
    prompt = " ".join(
        [
            ensure_period(CAMERA_PHRASES[camera]),
            ensure_period(FRAMING_PHRASES[shot_size]),
            ensure_period(action[:1].upper() + action[1:]),
            ensure_period(atmosphere[:1].upper() + atmosphere[1:]),
            ensure_period(
                ", ".join(
                    filter(
                        None,
                        [
                            look,
                            "cinematic, consistent lighting, "
                            "stable subject, one continuous shot, no text",
                        ],
                    )
                )
            ),
        ]
    )
    return ShotPlan(camera=camera, action=action, atmosphere=atmosphere, prompt=prompt, focus=FOCUS)


def _labels(values: Any) -> list[str]:
    """Genres/tones arrive as labels or as Score objects; accept both."""
    if not isinstance(values, list):
        return []
    return [v["label"] if isinstance(v, dict) else str(v) for v in values]


# --------------------------------------------------------------------------- camera


def framing(scene: Scene) -> Framing:
    """The scene's own framing (the script's, editable), else the alternation."""
    return scene.shot_size


def camera_move(scene: Scene) -> CameraMove:
    """What the frame shows (the summary) counts twice; the rest of the passage once."""
    scores = CAMERA_CUES.score(lower_words(f"{scene.summary} {scene.summary} {scene.text}"))
    if scene.mood in MOOD_MOVES:
        scores[MOOD_MOVES[scene.mood]] += 1.5
    if scene.act == "tag":
        scores["pull_out"] += 1.5
    if _deep_landscape(scene):
        scores["parallax"] += 2.0
    best = max(MOVE_ORDER, key=lambda m: (scores.get(m, 0.0), -MOVE_ORDER.index(m)))
    if scores.get(best, 0.0) <= 0:
        return "drift"
    if best == "pan_right" and scene.index % 2:
        return "pan_left"
    return best


def _deep_landscape(scene: Scene) -> bool:
    kinds = LOCATION_KINDS.score(lower_words(scene.summary))
    if not kinds:
        return False
    return max(kinds, key=lambda k: kinds[k]) in DEEP_LANDSCAPES


# --------------------------------------------------------------------------- words


def action_of(scene: Scene) -> str:
    """The summary with names turned into figures (the frame shows who they are)."""
    action = figures_for_names(scene.summary.rstrip("."), scene.characters)
    motion = next(
        (m for cues, m in MOTION if _mentions(scene.text, cues)), "subtle natural movement"
    )
    first, _, rest = action.partition(" ")
    if first.lower() in FUNCTION_WORDS:
        action = f"{first.lower()} {rest}"
    return f"{action}, {motion}"


def figures_for_names(text: str, character_ids: list[str]) -> str:
    """'Nell stands beside Captain Ilse Brandt' → 'the figure stands beside a second figure',
    numbering people in the order the sentence names them; descriptions after a name go."""
    names = [" ".join(part.capitalize() for part in cid.split("-")) for cid in character_ids]
    people = {word for name in names for word in name.split()}
    text = without_appositives(text, people, set())
    found: list[tuple[int, int, int]] = []
    for number, name in enumerate(names):
        forms = "|".join(re.escape(f) for f in sorted({name, *name.split()}, key=len, reverse=True))
        pattern = rf"{DESCRIBED}(?:\b(?:{HONORIFIC_PATTERN})\.?\s+)?\b(?:{forms})\b"
        found += [(m.start(), m.end(), number) for m in re.finditer(pattern, text)]
    order: dict[int, str] = {}
    for _, _, number in sorted(found):
        order.setdefault(number, FIGURES[min(len(order), len(FIGURES) - 1)])
    for start, end, number in sorted(found, reverse=True):
        text = text[:start] + order[number] + text[end:]
    return text


def _mentions(text: str, cues: tuple[str, ...]) -> bool:
    return any(word.startswith(cues) for word in lower_words(text))


def atmosphere_of(scene: Scene) -> str:
    weather = list(
        dict.fromkeys(phrase for cue, phrase in WEATHER if _mentions(scene.text, (cue,)))
    )
    return ", ".join([TIME_LIGHT[scene.time_of_day], *weather[:2], f"{scene.mood} mood"])
