"""The offline answer to the `idea` task: a one-line idea told as a short synopsis.

The idea is parsed for who ("a stranded astronaut"), where ("on the moon") and what happens
("walks around and discovers nature"); its words pick a story shape (discovery, survival,
chase, heist, romance, revenge, mystery, quest), and the shape's beats give the goal, the
obstacle, the stakes and a rival or ally. Names, beat wordings and ties between shapes are
chosen by a generator seeded with the seed and the idea, so the same idea and seed give the
same story and different ideas get different people.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from reelforge.models import IdeaStory

# --------------------------------------------------------------------------- parsing the idea

PEOPLE = {
    "astronaut", "detective", "girl", "boy", "woman", "man", "pilot", "thief", "soldier",
    "keeper", "farmer", "doctor", "nurse", "scientist", "robot", "android", "teacher",
    "student", "writer", "painter", "musician", "chef", "cook", "sailor", "captain", "knight",
    "princess", "prince", "king", "queen", "witch", "wizard", "ghost", "hunter", "spy",
    "agent", "cop", "officer", "lawyer", "journalist", "reporter", "widow", "widower",
    "orphan", "child", "kid", "teenager", "mother", "father", "sister", "brother", "daughter",
    "son", "grandmother", "grandfather", "miner", "diver", "explorer", "archaeologist",
    "engineer", "hacker", "boxer", "dancer", "singer", "monk", "nun", "priest", "bandit",
    "outlaw", "sheriff", "cowboy", "mechanic", "driver", "courier", "librarian", "baker",
    "fisherman", "smuggler", "assassin", "mercenary", "refugee", "stranger", "survivor",
    "alien", "wife", "husband", "bride", "groom", "veteran", "rookie", "inventor", "clown",
    "magician", "heir", "heiress", "maid", "butler", "gardener", "shepherd", "ranger",
    "photographer", "surgeon", "climber", "ballerina", "gambler", "con", "artist", "poet",
    "professor", "beekeeper", "janitor", "waitress", "nanny", "twins", "sisters", "brothers",
    "friends", "kids", "children", "siblings", "couple", "crew", "dog", "cat", "horse", "fox",
    "bear", "wolf", "owl", "mermaid", "dragon", "vampire", "zombie", "cellist",
}
PLURAL_PEOPLE = {"twins", "sisters", "brothers", "friends", "kids", "children", "siblings",
                 "couple", "crew"}
MACHINES = {"robot", "android"}
HE = {"boy", "man", "father", "brother", "son", "king", "prince", "husband", "groom",
      "widower", "monk", "priest", "grandfather", "cowboy", "fisherman", "butler", "heir"}
SHE = {"girl", "woman", "mother", "sister", "daughter", "queen", "princess", "wife", "bride",
       "widow", "nun", "grandmother", "heiress", "maid", "waitress", "ballerina", "mermaid",
       "nanny"}
PERSON_ENDINGS = ("er", "or", "ist", "ian", "ess", "ant", "eer")
NOT_PEOPLE = {"winter", "summer", "number", "letter", "center", "centre", "corner", "danger",
              "answer", "mirror", "tower", "finger", "dinner", "border", "manner", "matter",
              "shelter", "chapter", "monster", "silver", "thunder", "whisper", "disaster",
              "weather", "meteor", "harbor", "harbour", "corridor", "elevator", "treasure",
              "mistress", "fortress", "address", "business", "darkness", "wilderness",
              "distant", "giant", "elephant", "restaurant", "instant", "servant"}
PLACE_PREPOSITIONS = ("on", "in", "at", "aboard", "inside", "beneath", "under", "across",
                      "near", "through", "beyond", "within", "off", "over")
ARTICLES = {"a", "an", "the", "another", "two", "three", "four", "five", "some", "this"}
NOT_PLACES = {"night", "day", "morning", "evening", "future", "past", "year", "years", "time",
              "love", "secret", "hope", "summer", "winter", "spring", "autumn", "war",
              "trouble", "danger", "order", "search", "charge", "vain", "fact", "public",
              "revenge", "return", "exchange"}
LINKS = {"and", "or", "but", "who", "that", "which", "where", "when", "while", "to", "with",
         "for", "after", "before", "until", "because", "as", "by", "into", "must", "has",
         "have", "is", "are", "was", "were", "will", "can", "from", "named", "called", "of"}
ADVERBS = {"around", "away", "back", "home", "out", "up", "down", "off", "alone", "again",
           "together", "there", "here", "about", "along", "forward"}
ADJECTIVES = {"last", "old", "young", "new", "famous", "sunken", "strange", "ancient", "lost",
              "secret", "small", "big", "little", "great", "dark", "cold", "frozen", "lonely",
              "missing", "haunted", "stranded", "retired", "only", "first", "final", "whole",
              "own", "one", "single", "other", "mysterious", "hidden", "broken", "abandoned",
              "serial", "nuclear", "evil", "wild", "deadly", "dangerous", "beautiful"}
QUIET_WORDS = ARTICLES | LINKS | ADVERBS | ADJECTIVES | set(PLACE_PREPOSITIONS) | {
    "his", "her", "their", "its", "my", "our", "your", "them", "him", "it", "they", "she",
    "he", "night", "day", "world", "what", "if", "between", "never", "ever", "not", "very",
    "much", "many", "story", "serial"}

WORD = re.compile(r"[A-Za-zÀ-ÿ0-9'’-]+|[,;.!?:]")


@dataclass(frozen=True)
class Idea:
    who: str
    """The protagonist as the idea says it ("a stranded astronaut"), or "" when it names
    nobody."""
    role: str
    """The noun of `who` ("astronaut")."""
    plural: bool
    name: str | None
    """A name the idea gives ("Mara, a fisherman's widow, ..."), or None."""
    place: str
    """With its preposition ("on the moon"), or ""."""
    place_in_events: bool
    """The place is said in what happens ("plans a heist in Monaco"), not beside who."""
    actions: tuple[str, ...]
    """What happens, as the idea says it, third person ("walks around", "discovers nature")."""
    premise: str
    """The idea's first sentence as it is, when it is not about a person the story can
    name ("Zombies attack a wedding", "A heist on the moon"); "" otherwise."""
    more: tuple[str, ...]
    """The idea's later sentences, as they are."""
    names: frozenset[str]
    """Words the idea capitalises mid-sentence (names and places, never what the story
    turns on)."""
    nouns: tuple[str, ...]
    """The idea's key nouns, in order: what the story must keep."""


def parse_idea(text: str) -> Idea:
    """Who, where and what happens, from the idea's first sentence (later sentences are
    kept as they are, in `more`)."""
    first, _, rest = re.sub(r"^\s*what if\s+", "", text.strip(), flags=re.I).partition(". ")
    tokens = WORD.findall(first.strip().rstrip(".!?"))
    lowered = [t.lower() for t in tokens]
    position, name, title_role = _leading_name(tokens)
    who_span = _who_span(lowered, position)
    who, role, plural = "", "", False
    if who_span is not None:
        start, end = who_span
        who = " ".join(tokens[start:end]).replace(" '", "'")
        if lowered[start] in ARTICLES:
            who = who[:1].lower() + who[1:]
        head = lowered[start:end].index("and") - 1 if "and" in lowered[start:end] else -1
        role = lowered[start:end][head]
        plural = role in PLURAL_PEOPLE or " and " in f" {who} "
        position = max(position, end)
    elif title_role:
        who, role = f"a {title_role}", title_role
    while position < len(tokens) and lowered[position] in {",", "who"}:
        position += 1
    places = _place_spans(lowered)
    place_span = places[-1] if places else None
    if places and places[0][0] == position:
        place_span = places[0]
        position = place_span[1]
    actions = _actions(tokens[position:]) if position < len(tokens) else ()
    subject_given = who_span is not None or name is not None
    premise = ""
    if not subject_given or (actions and not _looks_like_verb(actions[0].split()[0].lower())):
        premise, actions = _premise(first.strip().rstrip(".!?"), tokens), ()
    place = " ".join(tokens[place_span[0]:place_span[1]]) if place_span else ""
    return Idea(who=who, role=role, plural=plural, name=name, place=place,
                place_in_events=place_span is not None and (place_span[0] >= position
                                                            or bool(premise)),
                actions=actions, premise=premise,
                more=tuple(_sentence_case(s.strip()) for s in re.findall(r"[^.!?]+[.!?]?", rest)
                           if s.strip()),
                nouns=_key_nouns(tokens), names=frozenset(
                    t.lower() for i, t in enumerate(tokens) if i and t[:1].isupper()))


def _premise(sentence: str, tokens: list[str]) -> str:
    """The idea's own sentence when it is a clause ("Zombies attack a wedding"); a noun
    phrase is introduced ("It begins with a heist on the moon")."""
    lowered = [t.lower() for t in tokens]
    plain = [t.lower() for t in tokens[1:] if t[:1].islower() and not t.endswith("'s")]
    clause = any(_looks_like_verb(w) or w in {"never", "not"} for w in plain) or (
        len(lowered) > 1 and lowered[0].endswith("s") and lowered[0] not in ARTICLES
        and lowered[1].isalpha() and lowered[1] not in PLACE_PREPOSITIONS)
    if clause:
        return _sentence_case(sentence)
    opening = sentence if tokens[0].isupper() else sentence[:1].lower() + sentence[1:]
    return f"It begins with {opening}"


def _leading_name(tokens: list[str]) -> tuple[int, str | None, str]:
    """A name the idea opens with ("Mara, a widow, ...", "Detective Sam Hale hunts ..."):
    (where the rest starts, the name, a role word before it)."""
    run = 0
    while run < len(tokens) and run < 4 and tokens[run][:1].isupper() \
            and tokens[run].lower() not in ARTICLES:
        run += 1
    following = tokens[run].lower() if run < len(tokens) else ""
    if run == 0 or not (following == "," or _looks_like_verb(following)):
        return 0, None, ""
    words = tokens[:run]
    role = words[0].lower() if words[0].lower() in PEOPLE and run > 1 else ""
    name = " ".join(words[1:] if role else words)
    return run + (following == ","), name, role


def _person_like(word: str) -> bool:
    singular = word.removesuffix("s")
    return word in PEOPLE or singular in PEOPLE or (
        len(word) > 5 and word.endswith(PERSON_ENDINGS) and word not in ADJECTIVES
        and singular not in NOT_PEOPLE)


def _looks_like_verb(word: str) -> bool:
    return word in {"must", "has", "is", "tries", "wants"} or (
        len(word) > 3 and word.endswith("s") and not word.endswith("ss")
        and not _person_like(word))


def _who_span(lowered: list[str], start: int) -> tuple[int, int] | None:
    """The protagonist's noun phrase at `start`: an article, then words up to a person-like
    head ("a stranded astronaut", "two sisters", "a boy and his dog"); None when the idea
    does not open with one ("a heist on the moon", "zombies attack a wedding")."""
    if start >= len(lowered) or lowered[start] not in ARTICLES:
        return None
    end = None
    i = start + 1
    while i < len(lowered) and i < start + 6:
        word = lowered[i]
        if word == "and" and end == i and i + 2 < len(lowered) \
                and lowered[i + 1] in {"his", "her", "their"} and _person_like(lowered[i + 2]):
            return start, i + 3  # "a boy and his dog"
        if word in LINKS or word in PLACE_PREPOSITIONS or word in ARTICLES \
                or word in {",", ";", ":", "between", "among", "against", "about"}:
            break
        if _person_like(word) or word.endswith("'s"):
            end = i + 1
        elif end is not None or _looks_like_verb(word):
            break
        i += 1
    if end is None or lowered[end - 1].endswith("'s"):
        return None
    return start, end


def _place_spans(lowered: list[str]) -> list[tuple[int, int]]:
    """Every "preposition (article) noun..." phrase that names a place, in order."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lowered):
        span = _place_span(lowered, i)
        if span is None:
            break
        spans.append(span)
        i = span[1]
    return spans


def _place_span(lowered: list[str], start: int) -> tuple[int, int] | None:
    """The first "preposition (article) noun..." phrase from `start` that names a place."""
    for i in range(start, len(lowered)):
        if lowered[i] not in PLACE_PREPOSITIONS:
            continue
        end = i + 1
        if end < len(lowered) and lowered[end] in ARTICLES | {"his", "her", "their"}:
            end += 1
        words = 0
        while end < len(lowered) and words < 3:
            word = lowered[end]
            if word in LINKS - {"of"} or word in ADVERBS or word in PLACE_PREPOSITIONS \
                    or not word[:1].isalnum():
                break
            following = lowered[end + 1] if end + 1 < len(lowered) else ""
            if words and _looks_like_verb(word) and following not in {"", "of"}:
                break  # "on the moon walks around": a verb, not part of the place
            if word == "of":
                if not words or end + 1 >= len(lowered):
                    break
                end += 1
                if lowered[end] in ARTICLES and end + 1 < len(lowered):
                    end += 1
                end, words = end + 1, words + 1
                break
            end, words = end + 1, words + 1
        if words and lowered[end - 1] not in NOT_PLACES and not _person_like(lowered[end - 1]):
            return i, end
    return None


def _actions(tokens: list[str]) -> tuple[str, ...]:
    text = " ".join(tokens).replace(" ,", ",").replace(" '", "'").strip(" ,;:")
    parts = re.split(r",\s*(?:and\s+|then\s+)?|\s+and\s+(?:then\s+)?(?=[a-z]+s\b)", text)
    return tuple(part.strip() for part in parts if part.strip())


MODALS = {"must", "to", "will", "can", "cannot", "should", "could", "would", "may", "might"}


def _key_nouns(tokens: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for i, token in enumerate(tokens):
        word = token.lower()
        after_article = i > 0 and tokens[i - 1].lower() in ARTICLES | {"his", "her", "their"}
        if len(word) < 3 or word in QUIET_WORDS or not word.isalpha() \
                or (_looks_like_verb(word) and not _person_like(word) and not after_article) \
                or word.endswith(("ed", "ing", "ly")) \
                or (i > 0 and tokens[i - 1].lower() in MODALS):
            continue
        if word not in found:
            found.append(word)
    return tuple(found)


# --------------------------------------------------------------------------- story shapes


@dataclass(frozen=True)
class Shape:
    name: str
    cues: frozenset[str]
    roles: tuple[str, ...]
    """Who the protagonist is when the idea names nobody."""
    places: tuple[str, ...]
    """Where, when the idea says nowhere."""
    routine: tuple[str, ...]
    goal: tuple[str, ...]
    obstacle: tuple[str, ...]
    other: tuple[str, ...]
    """The second person: {other} is their name."""
    turn: tuple[str, ...]
    stakes: tuple[str, ...]
    tease: tuple[str, ...]
    titles: tuple[str, ...]


SHAPES = (
    Shape(
        "discovery",
        frozenset({"discover", "discovers", "find", "finds", "uncover", "uncovers", "nature",
                   "garden", "ancient", "strange", "signal", "map", "door", "portal",
                   "life", "creature", "secret", "hidden", "world", "learns"}),
        ("a field botanist", "a cartographer", "a night-shift radio operator"),
        ("in a forgotten valley", "on a remote island", "beneath the old city"),
        ("For years {pron} has believed there is nothing left to find {place}.",
         "{Pron} keeps to the same routine {place}, day after day, and expects nothing new."),
        ("{Name} wants to understand {thing} before anyone else sees it.",
         "{Name} sets out to learn where {thing} came from and what it wants."),
        ("But {thing} is changing faster than {pron} can record it.",
         "But every answer {pron} finds opens a stranger question."),
        ("{Other_full}, who sent {obj} there, wants {thing} kept secret.",
         "{Other_full}, an old colleague, arrives with orders to take {thing} away."),
        ("When {thing} begins to spread, no one believes {obj}.",
         "Soon {thing} answers {obj}, and the silence {place} is gone."),
        ("If {pron} fails, {thing} will be lost for good.",
         "If {pron} is wrong, the one chance to understand it disappears."),
        ("Now {name} must decide who {thing} can be trusted to.",
         "Now {name} must choose between going home and staying with {thing}."),
        ("{Noun} {Place}", "What {Name} Found"),
    ),
    Shape(
        "survival",
        frozenset({"stranded", "lost", "survive", "survives", "trapped", "alone", "storm",
                   "shipwreck", "crash", "crashes", "wilderness", "desert", "stuck", "flood",
                   "avalanche", "cold", "ice", "escape"}),
        ("a supply pilot", "a deep-sea welder", "a mountain guide"),
        ("in the frozen north", "on a drifting ice floe", "in the open desert"),
        ("{Name} was meant to be gone for three days; that was a month ago.",
         "{Pron} has air, water and food for a week, if {pron} is careful."),
        ("{Name} wants only one thing: to get home alive.",
         "{Name} has to last until someone comes, if anyone is coming."),
        ("But the {place_noun} gives nothing for free, and the supplies are running out.",
         "But the storms {place} are getting worse, and the radio has gone quiet."),
        ("{Other_full}, the only other voice on the radio, promises a way out that makes no sense.",
         "{Other_full}, a survivor {pron} meets along the way, does not tell the whole truth."),
        ("Every day {pron} goes a little further and comes back with a little less.",
         "When the shelter fails, {pron} has to move before night falls."),
        ("If {pron} stops moving, {pron} will not get a second chance.",
         "If help does not come in time, no one will ever know what happened {place}."),
        ("Now {name} must cross the one stretch {pron} swore {pron} never would.",
         "Now {name} has one last chance to be seen."),
        ("Alone {Place}", "{Name} Alone"),
    ),
    Shape(
        "chase",
        frozenset({"chase", "chased", "chases", "hunt", "hunted", "hunts", "flee", "flees",
                   "run", "runs", "pursued", "wanted", "fugitive", "race", "races", "catch"}),
        ("a getaway driver", "a bike courier", "a disgraced marshal"),
        ("in the border country", "in a city that never sleeps", "on the night train"),
        ("{Name} has always been the fastest one {place}.",
         "{Pron} knows every back road {place}, and every way out."),
        ("{Name} has to stay one step ahead until the sun comes up.",
         "{Name} must reach the border before the word gets out."),
        ("But the people behind {obj} never sleep, and they never stop.",
         "But every road out is already watched."),
        ("{Other_full}, the best tracker there is, takes the job personally.",
         "{Other_full}, who taught {obj} everything, is leading the hunt."),
        ("Each time {pron} gets away, the net closes a little tighter.",
         "The faster {pron} runs, the more {pron} leaves behind."),
        ("If {pron} is caught, everyone who helped {obj} goes down too.",
         "If {pron} stops, {pron} loses everything {pron} is running for."),
        ("Now there is only one road left, and {other} is waiting on it.",
         "Now {name} has to turn around and face what is chasing {obj}."),
        ("Run {Place}", "Run, {Name}, Run"),
    ),
    Shape(
        "heist",
        frozenset({"steal", "steals", "rob", "robs", "heist", "vault", "jewel", "diamond",
                   "bank", "thief", "thieves", "con", "painting", "casino", "safe", "loot"}),
        ("a retired safecracker", "a museum night guard", "a card sharp"),
        ("in the richest bank in the city", "at a casino on the coast", "inside the museum"),
        ("{Name} swore {pron} was done with this life.",
         "{Pron} has spent a year learning every camera and every guard {place}."),
        ("{Name} plans to take {thing} in a single night.",
         "{Name} needs one last job to pay off an old debt."),
        ("But {thing} is guarded by a system no one has ever beaten.",
         "But someone on the crew is talking to the other side."),
        ("{Other_full}, the best inside player in town, has {other_poss} own plan for {thing}.",
         "{Other_full}, the detective who never caught {obj}, is on the guest list."),
        ("Every rehearsal goes perfectly, and that is what worries {obj}.",
         "The night arrives early, and the plan has to change on the spot."),
        ("If the job goes wrong, {pron} loses the only people {pron} has left.",
         "If anyone talks, {pron} goes away for the rest of {poss} life."),
        ("Now {name} has ninety seconds and no way back.",
         "Now the vault is open, and the only question is who walks out."),
        ("The {Noun} Job", "Ninety Seconds {Place}"),
    ),
    Shape(
        "romance",
        frozenset({"love", "loves", "falls", "wedding", "date", "heart", "kiss", "marry",
                   "marries", "romance", "lovers", "crush", "letters", "dance", "meets"}),
        ("a wedding singer", "a night-ferry deckhand", "a bookshop owner"),
        ("in a seaside town", "in a city of bridges", "on a summer island"),
        ("{Name} has stopped expecting anything from love.",
         "{Pron} has a quiet life {place} and likes it that way."),
        ("{Name} wants to believe that this time it could last.",
         "{Name} decides to say what {pron} feels before the summer ends."),
        ("But {other} is leaving, and neither of them says the word stay.",
         "But the past {pron} ran from follows {obj} all the way here."),
        ("{Other_full}, a stranger with a borrowed umbrella, changes everything in one evening.",
         "{Other_full}, who knew {obj} before, comes back at the worst possible moment."),
        ("The closer they get, the more each of them has to lose.",
         "Every letter says a little more than the last one."),
        ("If {pron} waits, the chance will be gone by morning.",
         "If {pron} says nothing, {pron} will wonder for the rest of {poss} life."),
        ("Now {name} has one night to decide what {pron} is willing to give up.",
         "Now there is one train left, and {name} has to choose."),
        ("Love {Place}", "{Name} and {Other}"),
    ),
    Shape(
        "revenge",
        frozenset({"revenge", "avenge", "avenges", "betrayed", "vengeance", "killed",
                   "murdered", "betrays", "payback", "wronged", "framed"}),
        ("a former boxer", "a quiet mechanic", "a retired soldier"),
        ("in a town that looked away", "on the docks", "in the hills above the city"),
        ("{Name} lost everything the night the trouble came to {where}.",
         "{Pron} has waited years {place} without saying a word."),
        ("{Name} wants the one responsible to pay.",
         "{Name} wants the truth, and then {pron} wants more than the truth."),
        ("But the man behind it owns half the town, and the law with it.",
         "But every name on the list leads to someone more dangerous."),
        ("{Other_full}, who was there that night, begs {obj} to let it go.",
         "{Other_full}, an old friend, is now on the other side."),
        ("One by one, the people who looked away start to remember.",
         "The further {pron} goes, the less of the old {name} is left."),
        ("If {pron} stops now, it was all for nothing.",
         "If {pron} goes on, there will be no way back to the life {pron} had."),
        ("Now {name} stands at the last door, and {other} is behind it.",
         "Now {name} has to decide what kind of person walks out."),
        ("Blood {Place}", "{Name}'s Reckoning"),
    ),
    Shape(
        "mystery",
        frozenset({"murder", "detective", "investigate", "investigates", "missing",
                   "disappear", "disappears", "clue", "case", "solve", "solves", "vanishes",
                   "body", "suspect", "haunted", "ghost"}),
        ("a small-town detective", "a night-desk reporter", "an insurance investigator"),
        ("in a fishing village", "in an old hotel", "in a city under fog"),
        ("{Name} has solved every case {place} except one.",
         "{Pron} came to {where} to forget, not to ask questions."),
        ("{Name} wants the truth about {thing}, whatever it costs.",
         "{Name} has until the end of the week to find out what happened."),
        ("But everyone {place} is hiding something, and nobody wants {obj} asking.",
         "But the only witness will not speak."),
        ("{Other_full}, who knows more than {other_pron} admits, keeps turning up too early.",
         "{Other_full}, who found {thing} first, has a story that keeps changing."),
        ("Every clue points somewhere {pron} does not want to look.",
         "The deeper {pron} digs, the closer the danger comes to {poss} own door."),
        ("If {pron} is right, someone {pron} trusts is lying.",
         "If {pron} gets it wrong, the wrong person pays."),
        ("Now {name} has one question left, and only {other} can answer it.",
         "Now the last door {place} is open."),
        ("The {Noun} Case", "Fog {Place}"),
    ),
    Shape(
        "quest",
        frozenset({"journey", "quest", "search", "searches", "return", "returns", "home",
                   "deliver", "delivers", "travel", "travels", "crosses", "seeks", "road",
                   "treasure", "walks", "climbs", "sails"}),
        ("a young courier", "a shepherd", "a retired sailor"),
        ("in the northern mountains", "on the great river", "on the salt flats"),
        ("{Name} has never been further than the edge of town.",
         "{Pron} promised long ago that one day {pron} would go."),
        ("{Name} sets out to reach {thing} before winter.",
         "{Name} has to bring {thing} home, whatever the road asks."),
        ("But the way is longer and darker than any map says.",
         "But someone else is searching for {thing} too."),
        ("{Other_full}, a guide with a past, agrees to go only part of the way.",
         "{Other_full}, a rival with a faster horse, is always one day ahead."),
        ("Each crossing takes something {pron} cannot get back.",
         "The further {pron} goes, the less the way home looks the same."),
        ("If {pron} turns back, the people waiting for {obj} have nothing.",
         "If {pron} fails, no one will ever make the journey again."),
        ("Now the last stretch lies ahead, and {name} has to cross it alone.",
         "Now {name} can see {thing}, and the price of reaching it."),
        ("The Road to the {Noun}", "{Name}'s Crossing"),
    ),
)

NAMES = (
    ("Mara Quist", "she"), ("Ilse Varga", "she"), ("Tomas Reyes", "he"),
    ("June Okafor", "she"), ("Eli Brandt", "he"), ("Noor Haddad", "she"),
    ("Caleb Moss", "he"), ("Ada Lindqvist", "she"), ("Rafael Cruz", "he"),
    ("Hana Sato", "she"), ("Owen Price", "he"), ("Priya Nair", "she"),
    ("Felix Adeyemi", "he"), ("Sofia Marin", "she"), ("Jonah Kerr", "he"),
    ("Lena Novak", "she"), ("Malik Osei", "he"), ("Tess Calloway", "she"),
    ("Arjun Rao", "he"), ("Vera Holm", "she"), ("Dmitri Volkov", "he"),
    ("Rosa Delgado", "she"), ("Kofi Mensah", "he"), ("Greta Falk", "she"),
    ("Samir Aziz", "he"), ("Nadia Petrova", "she"), ("Lucas Ferreira", "he"),
    ("Amara Diallo", "she"), ("Henrik Dahl", "he"), ("Yuki Tanaka", "she"),
    ("Mateo Silva", "he"), ("Clara Winter", "she"), ("Idris Bello", "he"),
    ("Maya Castillo", "she"), ("Leo Hartmann", "he"), ("Zara Qureshi", "she"),
    ("Nikolai Berg", "he"), ("Esme Fairfax", "she"), ("Tariq Hassan", "he"),
    ("Iris Moreau", "she"), ("Pavel Horak", "he"), ("Ruth Adler", "she"),
    ("Diego Romero", "he"), ("Selin Kaya", "she"), ("Wren Callahan", "she"),
    ("Marcus Hale", "he"), ("Anya Sokol", "she"), ("Bram Visser", "he"),
)
DOUBTS = ("{Name} cannot tell whether {other} is an ally or a threat.",
          "{Name} has to decide how far to trust {other}.",
          "{Other} knows something {name} does not.")
"""A second mention of the other person, whatever the shape."""
PRONOUNS = {"she": ("she", "her", "her"), "he": ("he", "him", "his"),
            "it": ("it", "it", "its"), "they": ("they", "them", "their")}


def _pick_shape(idea: Idea, text: str, rng: random.Random) -> Shape:
    words = set(re.findall(r"[a-z]+", text.lower()))
    scores = [(len(shape.cues & words), shape) for shape in SHAPES]
    best = max(score for score, _ in scores)
    if best == 0:
        return rng.choice([s for s in SHAPES if s.name in ("discovery", "quest", "survival")])
    return rng.choice([shape for score, shape in scores if score == best])


ABSTRACT_SHAPE_WORDS = {"revenge", "love", "vengeance", "heist", "escape", "journey",
                        "quest", "search", "mystery", "murder"}
"""Words that name the story's shape rather than what it turns on."""


def _thing(idea: Idea, shape: Shape) -> str:
    """What the story turns on, with its article as the idea gives it ("the letter",
    "nature", "her magic"): the first key noun after the verb of the idea's last event, its
    head when it is "the X of Y" (the cellist of "the disappearance of a famous cellist"),
    else another noun of the idea, else one the shape supplies."""
    place_words = set(idea.place.lower().split())
    avoid = place_words | set(idea.who.lower().split()) | {(idea.name or "").lower()} \
        | ABSTRACT_SHAPE_WORDS | idea.names
    if idea.actions:
        words = WORD.findall(idea.actions[-1].lower())
        start = 1
        while start < len(words) and words[start - 1] in MODALS | {"has", "wants", "tries",
                                                                    "needs", "have"}:
            start += 1
        for k in range(start, len(words)):
            if words[k] not in idea.nouns or words[k] in avoid:
                continue
            before = k - 1
            while before > 0 and words[before] in ADJECTIVES:
                before -= 1
            after_article = words[before] in ARTICLES | {"his", "her", "their"}
            if not _person_like(words[k]) or after_article:
                return _with_determiner(words, _head_of(words, k, idea, avoid))
    for noun in idea.nouns:
        if noun not in avoid and not _person_like(noun) and not noun.endswith("s"):
            return f"the {noun}"
    fallback = {"discovery": "the signal", "survival": "the way out", "chase": "the evidence",
                "heist": "the diamond", "romance": "the letter", "revenge": "the ledger",
                "mystery": "the disappearance", "quest": "the lost map"}
    return fallback[shape.name]


def _head_of(words: list[str], k: int, idea: Idea, avoid: set[str]) -> int:
    if k + 1 < len(words) and words[k + 1] == "of":
        for j in range(k + 2, min(len(words), k + 6)):
            if words[j] in idea.nouns and words[j] not in avoid:
                return j
    return k


def _with_determiner(words: list[str], k: int) -> str:
    before = words[k - 1] if k else ""
    if before in {"his", "her", "their"}:
        return f"{before} {words[k]}"
    if before in ARTICLES or (k > 1 and words[k - 2] in ARTICLES and words[k - 1] in ADJECTIVES):
        return f"the {words[k]}"
    return words[k]


def _people(idea: Idea, rng: random.Random) -> tuple[tuple[str, str], tuple[str, str]]:
    """(name, gender) of the protagonist and of the second person, seeded; a gendered role
    ("a widow", "a boy") gets a name of its gender, a machine is "it"."""
    names = list(NAMES)
    rng.shuffle(names)
    singular = idea.role.removesuffix("s") if idea.plural else idea.role
    wanted = "he" if singular in HE else "she" if singular in SHE else None
    lead = next(n for n in names if wanted is None or n[1] == wanted)
    other = next(n for n in names if n != lead)
    if idea.name:
        lead = (idea.name, wanted or lead[1])
    if idea.role in MACHINES:
        lead = (lead[0], "it")
    return lead, other


def expand(text: str, seed: int) -> IdeaStory:
    idea = parse_idea(text)
    rng = random.Random(f"{seed}\x00{text.strip().lower()}")
    shape = _pick_shape(idea, text, rng)
    (full_name, gender), (other_name, other_gender) = _people(idea, rng)
    pron, obj, poss = PRONOUNS[gender]
    first, other = full_name.split()[0], other_name.split()[0]
    who = idea.who or rng.choice(shape.roles)
    place = idea.place or rng.choice(shape.places)
    thing = _thing(idea, shape)
    values: dict[str, Any] = {
        "name": first, "Name": first, "pron": pron, "Pron": pron.capitalize(), "obj": obj,
        "poss": poss, "other": other, "Other": other, "Other_full": other_name,
        "other_pron": PRONOUNS[other_gender][0], "other_poss": PRONOUNS[other_gender][2],
        "place": place, "place_noun": place.split()[-1], "thing": thing,
        "Noun": thing.split()[-1], "Place": place, "where": _without_preposition(place),
    }

    def say(options: tuple[str, ...]) -> str:
        return _sentence_case(rng.choice(options).format(**values))

    if idea.plural:
        setup = [_sentence_case(text.strip().rstrip(".!")) + ".",
                 f"{full_name} is {'the ' + idea.role if ' and ' in idea.who else 'one of them'}."]
        setup.append(say(shape.routine))
    else:
        where = "" if idea.place_in_events else f" {place}"
        setup = [f"{full_name} is {_with_article(who)}{where}."]
        if idea.premise:
            setup.append(f"{idea.premise}.")
        if idea.actions:
            setup.append(f"{first} {idea.actions[0]}.")
            if len(idea.actions) > 1:
                setup.append(f"Then {pron} {' and '.join(idea.actions[1:3])}.")
        setup += list(idea.more[:2])
        setup.insert(1, say(shape.routine))
    setup.append(say(shape.goal))
    trouble = [say(shape.obstacle), say(shape.other), say(shape.turn)]
    if shape.name != "romance":
        trouble.insert(2, say(DOUBTS))
    risk = [say(shape.stakes), say(shape.tease)]
    title = _title_case(rng.choice(shape.titles).format(**values))
    return IdeaStory(title=title, protagonist=full_name, setting=_without_preposition(place),
                     paragraphs=[" ".join(setup), " ".join(trouble), " ".join(risk)])


def _without_preposition(place: str) -> str:
    words = place.split()
    return " ".join(words[1:]) if words and words[0].lower() in PLACE_PREPOSITIONS else place


def _with_article(who: str) -> str:
    first = who.split()[0].lower() if who else ""
    if first in ARTICLES or who[:1].isupper():
        return who
    return f"{'an' if who[:1].lower() in 'aeiou' else 'a'} {who}"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    small = {"a", "an", "the", "of", "on", "in", "at", "to", "and", "from", "across",
             "through", "off", "over", "under", "beneath", "inside", "near", "beyond"}
    words = text.split()
    return " ".join(w if w[:1].isupper() else (w if i and w in small else w.capitalize())
                    for i, w in enumerate(words))


def answer_idea(context: dict[str, Any]) -> IdeaStory:
    return expand(str(context["idea"]), int(context.get("seed") or 0))
