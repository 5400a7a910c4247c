"""The visual bible: a style line and one camera-ready description per character and place.

Descriptions are built from cues in the text (ages, hair, builds, trades) and, where the text
is silent, from choices seeded by the name and the job seed, so a character looks the same in
every frame of a run and the same again when the run is repeated.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from reelforge.models import Character, Location, Scene, StoryPatterns, VisualBible
from reelforge.providers.analyst.entities import (
    Gender,
    Persona,
    alias_forms,
    capitalised_runs,
    infer_gender,
    lower_words_in_lowercase,
)
from reelforge.providers.analyst.lexicons import (
    FEMALE_NOUNS,
    FEMALE_PRONOUNS,
    FUNCTION_WORDS,
    MALE_NOUNS,
    MALE_PRONOUNS,
)
from reelforge.providers.analyst.text import choose, lower_words, sentences

GENRE_STYLES = {
    "sci-fi": "cold blue-steel light, clean hard-surface production design",
    "horror": "low-key lighting, deep crushed shadows, film grain",
    "fantasy": "painterly volumetric light, rich textured costumes and architecture",
    "thriller": "hard side light, deep shadows, restless negative space",
    "mystery": "soft haze, pools of practical light, layered foreground",
    "drama": "naturalistic light, muted palette, intimate framing",
    "romance": "warm soft light, shallow depth of field, gentle bloom",
    "adventure": "sweeping vistas, golden directional light, epic scale",
    "action": "dynamic angles, hard contrast, motion and debris",
    "war": "desaturated palette, smoke and dust, handheld grit",
    "western": "sun-bleached palette, long shadows, dust in the air",
    "crime": "sodium-vapour pools of light, wet surfaces, hard shadows",
    "comedy": "bright even light, bold colours, clean framing",
    "family": "bright warm light, saturated storybook colour",
}
TONE_STYLES = {
    "dark": "brooding atmosphere",
    "hopeful": "warm highlights breaking through",
    "melancholic": "faded melancholy light",
    "suspenseful": "tense stillness",
    "epic": "monumental scale",
    "intimate": "close, human scale",
    "eerie": "uncanny stillness",
    "gritty": "grime and texture",
    "whimsical": "playful light",
    "triumphant": "heroic light",
}
BASE_STYLE = "cinematic previsualisation, anamorphic widescreen, high contrast"

AGE_CUES = [
    (
        re.compile(r"\b(child|little girl|little boy|kid|aged (?:six|seven|eight|nine|ten))\b"),
        "a child of about ten",
    ),
    (re.compile(r"\b(boy|girl|teenage|teenager|fifteen|sixteen|seventeen|youth)\b"), "a teenager"),
    (re.compile(r"\b(young|twenty|twenties)\b"), "in their mid twenties"),
    (
        re.compile(r"\b(old|elderly|aging|ageing|grey-haired|white-haired|seventy|eighty)\b"),
        "in their late sixties",
    ),
]
HAIR_CUES = [
    (re.compile(r"\b(red-haired|red hair|redhead|copper hair)\b"), "copper-red hair"),
    (
        re.compile(r"\b(grey-haired|grey hair|gray hair|silver hair|white hair|white-haired)\b"),
        "grey hair",
    ),
    (re.compile(r"\b(blonde|blond|fair-haired|fair hair)\b"), "fair hair"),
    (re.compile(r"\b(bald|shaven head)\b"), "a shaved head"),
    (re.compile(r"\b(dark-haired|dark hair|black hair)\b"), "dark hair"),
]
BUILD_CUES = [
    (re.compile(r"\b(wiry|thin|gaunt|slight|skinny)\b"), "wiry build"),
    (re.compile(r"\b(tall)\b"), "tall, long-limbed build"),
    (re.compile(r"\b(burly|broad|heavy|stout|big)\b"), "broad, heavy build"),
]
TRADE_CLOTHES = {
    "keeper": "a heavy oilskin coat over a cable-knit fisherman's sweater",
    "fisherman": "oilskins and tall sea boots",
    "sailor": "a salt-stained pea coat",
    "captain": "a dark naval greatcoat with tarnished brass buttons",
    "harbourmaster": "a tailored dark greatcoat and a bowler hat",
    "priest": "a black cassock",
    "doctor": "a rumpled white coat",
    "soldier": "mud-stained fatigues",
    "engineer": "a grease-stained work jumpsuit",
    "pilot": "a worn flight suit",
    "detective": "a rain-dark trench coat",
    "constable": "a dark police tunic",
    "android": "a seamless pale synthetic shell",
    "boy": "an oversized hand-me-down jacket and a knitted cap",
    "girl": "an oversized hand-me-down coat and a knitted scarf",
    "scientist": "a lab coat over practical layers",
    "queen": "a heavy embroidered gown",
    "king": "a fur-trimmed mantle",
    "knight": "battered plate armour",
}
GENRE_CLOTHES = {
    "sci-fi": "a utilitarian jumpsuit with a worn mission patch",
    "fantasy": "a travel-stained wool cloak",
    "western": "a dust-caked duster coat",
    "war": "a threadbare military greatcoat",
    "crime": "a dark overcoat",
    "romance": "simple elegant layers",
}
AGES = (
    "in their late twenties",
    "in their early thirties",
    "in their late thirties",
    "in their mid forties",
    "in their early fifties",
    "in their late fifties",
)
BUILDS = (
    "lean build",
    "wiry build",
    "broad-shouldered build",
    "slight build",
    "tall build",
    "stocky build",
)
HAIR = (
    "dark hair tied back",
    "short cropped grey hair",
    "unkempt brown hair",
    "close-cropped black hair",
    "long auburn hair",
    "wind-tangled fair hair",
)
FEATURES = (
    "a weathered, wind-burned face",
    "a watchful, guarded stare",
    "a thin scar through one eyebrow",
    "tired, deep-set eyes",
    "a sharp, angular face",
    "a quick, restless gaze",
)
KIND_SCENERY = {
    "sea": "a heaving grey sea under a low sky, white spray over black rocks",
    "village": "a huddle of slate-roofed stone houses along narrow lanes and a harbour wall",
    "city": "a dense street canyon of wet asphalt, layered signage and lit windows",
    "forest": "tall dark trunks crowding close, mist hanging between the trees",
    "desert": "wind-carved dunes under a hard white sky",
    "interior": "a dim interior, practical light from a single source, deep shadows in the corners",
    "space": "the black void of space, a planet's curve, cold hard starlight",
    "mountain": "sheer rock faces and a wind-scoured ridge above a long drop",
    "field": "open fields of long grass under a wide sky",
    "underground": "a narrow passage of wet rock, a single shaft of light",
    "sky": "open sky above banks of towering cloud",
    "snow": "a frozen expanse of wind-packed snow and blue ice",
    "road": "a long empty road running to the horizon",
    "generic": "a sparse, atmospheric setting with strong silhouettes",
}
DETAIL_NOUNS = (
    "lighthouse",
    "tower",
    "lamp",
    "lens",
    "stairs",
    "gallery",
    "nets",
    "boats",
    "quay",
    "wall",
    "lanterns",
    "barrels",
    "pines",
    "trees",
    "cliff",
    "rocks",
    "reef",
    "windows",
    "stove",
    "table",
    "fire",
    "candles",
    "bell",
    "docks",
    "masts",
    "corridors",
    "airlock",
    "consoles",
    "screens",
    "crates",
    "ruins",
    "bridge",
    "altar",
    "bar",
    "fireplace",
    "glass",
)
ADJECTIVE = re.compile(
    r"^[a-z]+(?:y|en|ed|al|ish|ous|ic)$|^(black|white|grey|gray|great|iron|"
    r"old|dark|red|cold|spiral|narrow|broken|wooden|stone|tall|small|long)$"
)


def write_bible(context: dict[str, Any]) -> VisualBible:
    patterns = StoryPatterns.model_validate(context["patterns"])
    characters = [Character.model_validate(c) for c in context["characters"]]
    locations = [Location.model_validate(loc) for loc in context["locations"]]
    scenes = [Scene.model_validate(s) for s in context["scenes"]]
    seed = int(context.get("seed", 0))
    texts = [s.text for s in scenes]
    genre = patterns.genres[0].label
    genders = genders_from_pronouns(characters, texts)
    return VisualBible(
        style=style_line(patterns),
        characters={
            c.id: describe_character(c, texts, genre, seed, genders.get(c.name, "unknown"))
            for c in characters
        },
        locations={loc.id: describe_location(loc, scenes) for loc in locations},
    )


def style_line(patterns: StoryPatterns) -> str:
    parts = [BASE_STYLE, GENRE_STYLES.get(patterns.genres[0].label, GENRE_STYLES["drama"])]
    parts.append(TONE_STYLES.get(patterns.tones[0].label, "cinematic atmosphere"))
    return ", ".join(parts)


# --------------------------------------------------------------------------- characters


def genders_from_pronouns(characters: list[Character], texts: list[str]) -> dict[str, Gender]:
    """Each character's gender as the cast analysis reads it from the scenes' text: the
    pronoun bound to each mention ('Nirmal says that he'), a gendered noun beside the name
    ('her husband Pat'), honorifics; 'unknown' where they disagree or are missing."""
    all_sentences = [s for text in texts for s in sentences(text)]
    lowercase = Counter(lower_words_in_lowercase(" ".join(texts)))
    mentions = [m for i, s in enumerate(all_sentences) for m in capitalised_runs(s, i, lowercase)]
    people = [
        Persona(name=c.name, aliases=alias_forms(c.name), mentions=c.mentions, first_sentence=0)
        for c in characters
    ]
    return {p.name: infer_gender(p, all_sentences, mentions, people) for p in people}


def describe_character(
    character: Character,
    texts: list[str],
    genre: str,
    seed: int,
    gender: Gender = "unknown",
) -> str:
    """A look for the character; `gender` from `genders_from_pronouns`, else from what the
    description says ('a young widow')."""
    before = " ".join([*_words_around(character.name, texts, 3, 0), character.description])
    around = " ".join([*_words_around(character.name, texts, 3, 4), character.description])
    key = (character.name, seed)
    if gender == "unknown":
        gender = _gender(character.description.lower())
    age = _first_cue(AGE_CUES, around.lower()) or choose(AGES, "age", *key)
    person = {"female": "a woman", "male": "a man"}.get(gender, "a person")
    if age in ("a teenager", "a child of about ten"):
        person, age = age, ""
    pronoun = {"female": "her", "male": "his"}.get(gender, "their")
    age = age.replace("their", pronoun)
    build = _first_cue(BUILD_CUES, around.lower()) or choose(BUILDS, "build", *key)
    hair = _first_cue(HAIR_CUES, around.lower()) or choose(HAIR, "hair", *key)
    feature = choose(FEATURES, "feature", *key)
    clothes = _clothes(before.lower(), genre, key)
    who = f"{person} {age}".strip()
    return f"{character.name}: {who}, {build}, {hair}, {feature}, wearing {clothes}"


def _words_around(name: str, texts: list[str], before: int, after: int) -> list[str]:
    """The few words around each mention, where cues sit: 'the harbourmaster Silas Crane',
    'Tobias Wren, a wiry boy'."""
    tokens = [t for t in name.split() if len(t) > 2]
    found: list[str] = []
    for text in texts:
        words = text.split()
        for i, word in enumerate(words):
            if word.strip(".,;:!?'\"").removesuffix("'s") in tokens:
                found.append(" ".join(words[max(0, i - before) : i + after + 1]))
    return found


def _gender(about: str) -> str:
    tokens = lower_words(about)
    female = sum(t in FEMALE_PRONOUNS for t in tokens) + 3 * sum(t in FEMALE_NOUNS for t in tokens)
    male = sum(t in MALE_PRONOUNS for t in tokens) + 3 * sum(t in MALE_NOUNS for t in tokens)
    if female > 1.3 * male:
        return "female"
    if male > 1.3 * female:
        return "male"
    return "unknown"


def _first_cue(cues: list[tuple[re.Pattern[str], str]], about: str) -> str | None:
    return next((label for pattern, label in cues if pattern.search(about)), None)


def _clothes(about: str, genre: str, key: tuple[str, int]) -> str:
    trades = [t for t in TRADE_CLOTHES if re.search(rf"\b{t}\b", about)]
    if trades:
        return TRADE_CLOTHES[min(trades, key=about.index)]
    if genre in GENRE_CLOTHES:
        return GENRE_CLOTHES[genre]
    return choose(
        ("a dark wool coat", "a weathered canvas jacket", "a heavy knitted sweater"),
        "clothes",
        *key,
    )


# --------------------------------------------------------------------------- locations


def describe_location(location: Location, scenes: list[Scene]) -> str:
    own = set(lower_words(location.name))
    details = [d for d in _details(_text_about(location, scenes)) if d.split()[-1] not in own]
    scenery = KIND_SCENERY[location.kind]
    name = location.name[:1].upper() + location.name[1:]
    return f"{name}: {scenery}" + (f", with {_listed(details)}" if details else "")


def _text_about(location: Location, scenes: list[Scene], reach: int = 8) -> str:
    """The words near each naming of the place, else what its scenes show."""
    name = location.name.removeprefix("the ").lower().split()
    near: list[str] = []
    for scene in scenes:
        tokens = lower_words(scene.text)
        for i in range(len(tokens) - len(name) + 1):
            if tokens[i : i + len(name)] == name:
                near += tokens[max(0, i - reach) : i + len(name) + reach]
    if near:
        return " ".join(near)
    return " ".join(s.summary for s in scenes if s.location == location.id)


def _details(text: str) -> list[str]:
    tokens = lower_words(text)
    counts = Counter(t for t in tokens if t in DETAIL_NOUNS)
    chosen = [noun for noun, _ in counts.most_common(3)]
    return [_with_adjective(noun, tokens) for noun in chosen]


def _with_adjective(noun: str, tokens: list[str]) -> str:
    for i, token in enumerate(tokens[1:], start=1):
        previous = tokens[i - 1]
        if token == noun and ADJECTIVE.match(previous) and previous not in FUNCTION_WORDS:
            return f"{previous} {noun}"
    return noun


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
