"""Who and where: the persons of a story and the named places it moves through.

A name is a run of capitalised words that is neither a sentence opener ('However', 'Since')
nor a word the text also writes in lowercase, and that recurs or is seen acting. Runs are
merged into people ("Alex Thomas", "Thomas", "Agent Thomas"), then each is judged a person,
a place or neither from how it is used: place suffixes, prepositions and lists of countries
and cities for places; honorifics, possessives, appositives ('Jason, a young projectionist')
and verbs after the name for people; peoples, organisations and events ('Russian', 'Secret
Service', 'Vietnam War') for neither. Actors and comparisons ('portrayed by Nadja Uhl',
'Vincent (Jonathan Jackson)', 'a la Donald Trump') and the titles of works the story mentions
('the slasher movie Red is Dead', 'the plot of Oliver Twist') name no one; nor do the makers
of a film ("Donsky's 1996 film", 'made by film makers X and Y', 'X focuses his camera'), a
cited author, names said only where the text talks about the film itself, and famous figures
mentioned in passing ('fears that Hitler will invade'), cited reviews, dates ('Christmas
Eve'), kin words ('Dad'), roles after a possessive ('their Sing Leader') and countries that
never act at the head of a clause ('represent Canada'). A title used as a name ('Doc
realizes') and a once-named lead picked up by a pronoun ('Betty is startled awake. She ...')
are people; so is an unnamed centre the story keeps as a subject ('The boy resorts to black
magic'). A one-letter slip of a name ('Steven' for
'Stevens') is the same person. A screenplay's character cues name its speakers, so there
they are the cast. The protagonist is the person the story follows: the subject of the most
sentences (a 'They' after a pair named as subject counts for both), present from early to
late, and not someone whose death the story opens on; the antagonist is tied to conflict
words, and is neither named beside the protagonist ('Lola and Bo'), nor in love with them, nor
a victim ('Peter is killed').
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal

from reelforge.models import LocationKind, Role
from reelforge.providers.analyst.lexicons import (
    BREAK_WORDS,
    CAPITALISED_STOPWORDS,
    CITIES,
    FEMALE_HONORIFICS,
    FEMALE_NOUNS,
    FEMALE_PRONOUNS,
    FUNCTION_WORDS,
    HONORIFICS,
    MALE_HONORIFICS,
    MALE_NOUNS,
    MALE_PRONOUNS,
    NON_PERSON_WORDS,
    PERSON_NOUNS,
    PLACE_NAME_ENDINGS,
    PLACE_PREFIXES,
    PLACE_PREPOSITIONS,
    PLACE_SUFFIX_KINDS,
    SENTENCE_OPENERS,
    SETTING_NOUNS,
    VILLAIN_WORDS,
    WORLD_PLACES,
    word_set,
)
from reelforge.providers.analyst.story import Story
from reelforge.providers.analyst.text import WORD, lower_words

Gender = Literal["female", "male", "unknown"]
MAX_PEOPLE = 12
PRONOUN_WEIGHTS = {
    "she": 1.0,
    "he": 1.0,
    "his": 0.7,
    "him": 0.7,
    "himself": 0.7,
    "herself": 0.7,
    "hers": 0.7,
    "her": 0.3,
}
"""'her' is often someone else's object, so it counts least."""
GENDERED = FEMALE_PRONOUNS | MALE_PRONOUNS
NOUN = 5.0
"""A gendered noun said of a name ('Frances, a young woman'; 'her husband Pat')."""
BOUND = 2.0
NEARBY = 0.3
"""A pronoun bound to a name (the first after it) counts BOUND; one merely near, NEARBY."""
SPEECH_VERBS = {"says", "said", "asks", "asked", "tells", "told", "whispers", "shouts", "replies"}
ACTING_WORDS = word_set(
    """
    is was has had does did can will would could must should may might cannot are were have
    then also soon finally eventually now still never only again himself herself who took
    got went ran met saw made came found left kept gave fell felt knew thought brought
    bought fought caught sent spent built lost won began became broke chose drove ate hid
    held led let put rode rose sold shot sat slept spoke stood stole struck swore threw woke
    wore wrote flees goes
    """
)
"""Words that, right after a name, show it acting: auxiliaries, adverbs, irregular pasts."""
CONTRACTIONS = ("'re", "'ll", "'ve", "'d", "'m", "n't")
SUBJECT_LEADS = {
    "", "and", "but", "then", "when", "while", "as", "until", "after", "before", "that",
}  # fmt: skip
"""What may stand before a name that is a sentence's (or clause's) subject."""
DETERMINERS = {"a", "an", "the", "his", "her", "their", "its"}
QUANTIFIERS = DETERMINERS | {"other", "many", "some", "every", "each", "these", "those", "all"}
"""Before a name, these make it a modifier ('many other Monicelli movies')."""
APPOSITIVE = re.compile(
    r"^\s*,\s*(?:an?|the|his|her|their)\s+(?:[a-z]|(?:[A-Z][\w'\u2019]*[\s-]+)+[a-z])"
)
"""', a doctor', ', a San Francisco-based artist': a description, not another name."""
SUBJECT_PRONOUNS: dict[str, Gender] = {"he": "male", "she": "female"}
SUBJECT_PRONOUN = re.compile(r"\b(?:[Hh]e|[Ss]he)\b")
PRONOUN_OPENING = re.compile(
    r"(?:(?:As|When|While|After|Before|Although|Though|Once|Soon|Then|Now|Later),?\s+)?"
    r"(?:[Hh]e|[Ss]he)\b"
)
"""A sentence whose first subject is 'he' or 'she' ('As he tries to invent ...')."""
THEY_OPENING = re.compile(r"They\b")
ROLE_ORDER: dict[str, int] = {"protagonist": 0, "antagonist": 1, "supporting": 2, "minor": 3}
CREDIT_WORDS = (
    r"(?:\b(?:played|portrayed|voiced|performed|directed|written|produced|narrated|recorded"
    r"|made|created|animated|filmed|composed|sung)\s+(?:in\s+\d{4}\s+)?by"
    r"|\bby\s+(?:the\s+)?(?:film\s*-?makers?|directors?|animators?|producers?|writers?"
    r"|screenwriters?|composers?|artists?|musicians?|singers?)"
    r"|\bstarring|\b(?:\u00e0|a)\s+la|\blike\s+(?:some|a|an)\s+(?:[a-z-]+\s+){0,2}"
    r"|\b(?:modern|latter|present)[\s-]day)"
)
CREDIT_BY = re.compile(CREDIT_WORDS + r"\s*$")
CREDIT_LEAD = re.compile(rf"(?:{CREDIT_WORDS}|\(\s*\[\[)\s*$")
"""Before a name, a credit or a comparison, not a character: 'Anna, portrayed by Nadja Uhl',
'a magnate, \u00e0 la Donald Trump', 'like some modern day Robin Hood', 'made in 1998 by film
makers Seamus Walsh', and a wiki link in brackets after a name, which is always its actor's:
'Nirmal ([[Karthik'."""
CREDIT_PAIR = re.compile(r"^\s*and\s*$")
"""'by film makers Seamus Walsh and Mark Caballero': the name after 'and' shares the credit."""
WORK_BY = re.compile(
    r"^\s+(?:\d{4}\s+)?(?:[a-z-]+\s+)?(?:film|movie|documentary|adaptation|version|remake"
    r"|novel|book|play|series|short)\b"
)
"""'Seth Michael Donsky's 1996 film', "Tierney's film": the maker of a work, not a character."""
WORKS_OF = re.compile(
    r"^\s+(?:paintings|canvases|sculptures|novels|poems|operas|symphonies|movies|sonatas)\b"
)
"""'his recreations of Johannes Vermeer paintings': the maker of works, not a character."""
BEHIND_CAMERA = re.compile(
    r"^\s*(?:focuses|focused|turns|turned|points|pointed|trains|trained)\s+(?:his|her|their)"
    r"\s+(?:camera|lens)"
)
"""'Philibert focuses his camera on ...': a documentary's maker, not someone in the story."""
ACTOR_IS_ROLE = re.compile(r"^\s+(?:is|plays)\s+[\"\u201c]?(?:[Tt]he\s+)?[A-Z][a-z]")
"""'Mickey Rooney is Jimmy', 'Ralph Bellamy is "The Healer"': a full name cast as a role is
the actor's."""
REVIEW_SENTENCE = re.compile(
    r"(?i)\b(?:(?:comes\s+to|the|his|her|their)\s+acting|performances?\s+by|casting"
    r"|cinematograph\w*|background\s+score|dialogue\s+writing|comedy\s+track|choreograph\w*"
    r"|editing)\b"
)
"""A sentence that judges the film's craft ('When it comes to acting, Sudeep and Ravi
Shankar compete'): the names in it are the actors' and crew's."""
PLAYS_KIN = re.compile(
    r"^\s+as\s+[A-Z][\w'\u2019]*(?:'s|\u2019s)\s+(?:mother|father|sister|brother|wife|husband"
    r"|son|daughter|friend|uncle|aunt|grandmother|grandfather|lover|girlfriend|boyfriend)\b"
)
"""At a sentence's start, 'Thara as Ragini's mother is ...': an actor and the role."""
HOME_WORDS = {"native", "hometown", "birthplace", "homeland"}
"""'in Hubli, his native,': a place someone comes from."""
WORK_ABOUT = re.compile(
    r"\b(?:make|makes|making|made|shoot|shoots|shooting|shot|write|writes|writing|wrote|film"
    r"|films|filming|filmed)\s+(?:(?:a|an|the|his|her|their)\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:account|biography|biopic|portrait|documentary|film|movie|book|novel|play|musical"
    r"|opera)\s+(?:of|about)\s+(?:(?:the|a|an|his|her)\s+)?(?:[\w-]+\s+){0,3}$"
)
"""'attempts to make an epic account of the French adventurer Orelie-Antoine de Tounens': the
subject of a work someone in the story makes, not someone in it ('A movie about Jason' is the
synopsis speaking, and Jason is its lead)."""
HOLIDAYS = {"christmas", "easter", "halloween", "year's", "years"}
HOLIDAY_DAYS = {"Eve", "Day"}
PERSONAL_RELATIVES = {"who", "whom", "whose"}
QUOTE = re.compile(r"[\"\u201c\u201d]")
NAMES_LISTED = re.compile(
    r"(?i)\b(?:names|titles|nicknames|aliases|captions|labels|signs)\s*:[^.;:]*$"
)
"""Before a run in the same clause, a list of words given as words, not of people."""
"""Pairs of these enclose a sign, a title or a line of dialogue."""
TITLE_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "lt", "sgt", "capt", "prof", "col", "gen", "rev", "det", "insp",
    "cpl", "maj", "fr",
}  # fmt: skip
"""After a holiday, a date: 'on New Year's Eve' names no one."""
SOURCE = re.compile(r"^\s*:\s*[\"\u201c\u2018'A-Z]")
"""'Motion Picture Purgatory: Pieces': a source cited with its title, not a character."""
QUOTED_WORK_BY = re.compile(r"[\"\u201d\u2019]\s*by\s*$")
"""'"Pieces" by David Harley': the author of a quoted work."""
CITATION = re.compile(r"^\s*,\s*[A-Z][a-z]+\.(?:\s*[\"\u201c]|\s*$)")
"""'Nickel, Mark. "Brown to offer ...': a cited author's surname, not a character."""
CREDITED = re.compile(r"^\s*,?\s*(?:[a-z-]+\s+){0,4}(?:portrayed|played|voiced)\s+by\b")
"""After a name, its actor: 'Gunther, portrayed by Christian Ulmen' names a character."""
CREDIT_TAIL = re.compile(
    r"^\s*(?:(?:stars|starred|co-stars|appears|appeared)\s+as\b"
    r"|(?:animates|animated|directs|directed|storyboards|scripts)\s+(?:a|the|this)\s+"
    r"(?:sequence|scene|shot|gag)\b)"
)
"""'Tom Hanks stars as Forrest': the name before is the actor's."""
ACTOR_IN_BRACKETS = re.compile(r"[A-Z][\w'\u2019]*\s*\(\s*(?:\[\[)?\s*$")
"""'Vincent (Jonathan Jackson)': a full name in brackets after a name is the actor's."""
BRACKETED_NAME = r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)+"
BRACKETED_CREDITS = re.compile(
    rf"\(\s*(?:\[\[)?\s*(?:{BRACKETED_NAME}\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?:\[\[)?\s*)*$"
)
"""'Four of them (Frank Lovejoy, Tony Curtis and [[Alan Wells': full names that open a
bracket, and the full names listed after them in it, are the actors'."""
PRESS = {
    "herald", "journal", "gazette", "tribune", "chronicle", "times", "weekly", "magazine",
    "newspaper", "daily", "courier", "observer", "inquirer",
}  # fmt: skip
"""Words of a newspaper's name ('The Lexington Herald-Leader said'): no person's."""
ORDINALS = {
    "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth",
    "Tenth", "Last", "Final",
}  # fmt: skip
"""Capitalised before a name, the name is part of a longer proper noun ('the Third Reich')."""
AGENT_NOUN_ENDINGS = ("er", "or", "ist", "ian")
DESCRIBING_ENDINGS = (*AGENT_NOUN_ENDINGS, "ite", "ant", "ent", "ess", "man", "woman")
"""'a famous sculptor, Gustaf Borgstrom', 'womanizer Serge': a noun for a doer before a name."""
TITLE_RUN = (
    r"([A-Z][\w'\u2019-]*(?:(?:\s+(?:is|of|the|a|an|and|in|on|to|at|for|with|are|was))*"
    r"\s+[A-Z][\w'\u2019-]*)*)"
)
WORK_TITLE = re.compile(
    r"\b(?:(?i:movie|film|show|series|novel|book|song|play|album|opera|musical|comic|painting"
    r"|poem|magazine|newspaper|programme|program|sitcom|soap|slasher|sequel|prequel)"
    r"|(?i:the\s+plot\s+of|an?\s+(?:\w+\s+)?(?:adaptation|retelling|remake)\s+of))\s+"
    r"[\"'\u201c\u2018]?" + TITLE_RUN
)
"""The title of a work the story mentions ('the slasher movie Red is Dead', 'the plot of
Oliver Twist'): no one's name."""
VERB_WORK_NOUNS = {"show", "play", "film", "book", "program", "programme"}
VERB_HELPERS = {
    "to", "will", "would", "can", "could", "must", "should", "may", "might", "shall", "did",
    "does", "do", "they", "we", "you", "i", "he", "she", "who", "which",
}  # fmt: skip
WORK_DETERMINERS = DETERMINERS | {"this", "that", "whose", "our", "your", "my"}
PLAIN_S = {"his", "its", "this", "is", "was", "has", "news", "series", "various", "famous"}
"""Words ending in 's' that are no plural subject before 'show' or 'film'."""
TITLE_IS_WORK = re.compile(
    r"(?:^|[.!?]\s+)([A-Z][\w'\u2019-]*(?:\s+(?:of|the|a|an|and|in|on|to|at|for|with))*"
    r"(?:\s+[A-Z][\w'\u2019-]*(?:\s+(?:of|the|a|an|and|in|on|to|at|for|with))*)+)"
    r"\s+(?:(?:is|was)\s+an?\s+(?:[\w-]+\s+){0,3}(?:film|movie|documentary|cartoon|short)\b"
    r"|(?:is|was)\s+set\s+in\b)"
)
"""'Graveyard Jamboree with Mysterious Mose is a short film made in 1998': the sentence
names the film itself; a title of two words or more, so 'Dodge is a film buff' is left alone."""
TITLE_THEN_WORK = re.compile(
    r"(?:^|[.!?]\s+)([A-Z][\w'\u2019-]*(?:\s+(?:&|and|of|the|a)?\s*[A-Z][\w'\u2019-]*)*)"
    r"\s+(?:movie|film)\s+(?:is|was|tells|follows|revolves|centres|centers|deals|begins)\b"
)
"""'Oru Black & White Kudumbam movie is about a handsome guy': the film's own title."""
WORK_STAND_IN = "the work"
"""What a title is replaced with before names are looked for."""
WORK_REVOLVES = re.compile(
    r"(?:^|[.!?,]\s+)([A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*)\s+(?:revolves\s+around"
    r"|centres\s+on|centers\s+on|chronicles|tells\s+the\s+(?:story|tale)\s+of)\b"
)
"""'Set in today's Mumbai, Barah Aana revolves around three friends': what revolves around
people or tells their story is the work itself."""
WORK_IS_TOLD = re.compile(
    r"(?:^|[.!?]\s+)([A-Z][\w'\u2019-]*)\s+(?:is|was)\s+an?\s+(?:[\w-]+\s+){0,2}"
    r"(?:narrative|story|tale|chronicle|saga|sequel|prequel|remake)\s+(?:which|that|about|of)\b"
)
"""'Hathyar is a narrative which probes into ...': one word, but told of as a work."""
PRODUCTION_SENTENCE = re.compile(
    r"(?i)^(?=.*\b(?:film|movie|documentary|cartoon|picture)\b)"
    r"(?=.*\b(?:directed|produced|starring|stars|starred|co-stars|reunion|cameos?|premiered"
    r"|box office|critics|similar to|prior to|roles?|cast|actors?|actress(?:es)?|debut"
    r"|portrays|portrayed|(?:appears|appeared|features|featured)\s+(?:\w+\s+)?in\s+the"
    r"\s+(?:film|movie))\b)"
)
"""A sentence about the film rather than its story ('This film provided a reunion ... with
Spike Milligan, who appears halfway through the film', 'Jim Dale and Joan Sims have minor
roles in the film', 'The veteran actor Sam Kydd also appeared in the film'): its names are
credits."""
FAMOUS_FIGURES = {
    "hitler", "stalin", "mussolini", "napoleon", "churchill", "lenin", "mao", "gandhi",
    "lincoln", "kennedy", "nixon", "roosevelt", "elvis", "shakespeare", "dickens", "freud",
    "einstein", "darwin", "marx", "buddha", "jesus", "christ", "moses", "mohammed",
    "muhammad", "satan", "cleopatra", "caesar", "beethoven", "mozart", "jesus christ",
    "adolf hitler", "abraham lincoln", "winston churchill", "joseph stalin", "karl marx",
    "napoleon bonaparte", "elvis presley", "charlie chaplin", "william shakespeare",
    "sigmund freud", "albert einstein", "charles dickens", "john f kennedy",
}  # fmt: skip
"""Figures a plot mentions in passing ('fears that Hitler will invade'); one is in the cast
only when the story names them often enough to be about them."""
FAMOUS_GIVEN_NAMES = {
    "franklin", "delano", "theodore", "winston", "joseph", "adolf", "abraham", "karl",
    "napoleon", "elvis", "william", "sigmund", "albert", "charles", "mahatma", "mohandas",
    "vladimir", "benito", "richard", "john", "f", "fitzgerald", "wolfgang", "amadeus", "ludwig",
    "van", "julius", "queen", "king", "president", "general",
}  # fmt: skip
FAMOUS_FIGURE_MENTIONS = 3
ADVERB_PARTICLES = {
    "back", "away", "home", "out", "up", "down", "off", "again", "alone", "together",
    "instead", "forever", "first", "last", "now", "there", "here", "too", "later",
}  # fmt: skip
"""Words after a name that do not make it a modifier ('winning Dee Dee back')."""
ANIMAL_NOUNS = {
    "dog", "puppy", "cat", "kitten", "horse", "pony", "donkey", "mule", "cow", "bull", "pig",
    "goat", "sheep", "lamb", "rabbit", "mouse", "rat", "parrot", "bird", "owl", "eagle",
    "monkey", "chimp", "chimpanzee", "ape", "gorilla", "elephant", "lion", "tiger", "bear",
    "wolf", "fox", "dolphin", "whale", "shark", "dragon", "robot", "android",
}  # fmt: skip
"""Before a name, an animal or a machine that acts in the story ('his donkey, Birbal')."""
NAME_PARTICLES = {"von", "van", "de", "der", "den", "di", "da", "del", "du", "bin", "ibn", "al"}
"""Lowercase words inside a full name ('Justus von Dohnanyi', 'Leonardo da Vinci')."""
NOT_AGENT_NOUNS = {
    "together", "whatever", "however", "whenever", "wherever", "whoever", "further", "rather",
    "either", "neither", "another", "later", "earlier", "never", "forever", "winter", "summer",
    "october", "november", "december", "september", "number", "order", "matter", "letter",
    "water", "river", "border", "corner", "center", "centre", "quarter", "chamber", "tower",
    "theater", "theatre", "shelter", "interior", "exterior", "corridor", "mirror", "harbor",
    "manor", "floor", "weather", "dinner", "supper", "paper", "computer", "poster", "monster",
    "disaster", "character", "counter",
    "behavior", "behaviour", "honor", "honour", "horror", "terror", "error", "anchor",
    "motor", "meteor", "radar", "christian", "indian", "italian", "russian", "canadian",
    "persian", "egyptian", "brazilian", "australian", "asian",
}  # fmt: skip
LOVE = re.compile(
    r"\b(?:in love|falls? for|fell for|marr(?:y|ies|ied)|kiss(?:es|ed)?|romance|romantic"
    r"|reunited|sweetheart)\b"
)
HARMED = re.compile(
    r"(?:is|was|gets|got)\s+(?:\w+ly\s+)?(?:killed|murdered|wounded|injured|kidnapped|"
    r"abducted|attacked|shot|stabbed|poisoned|beaten|tortured|framed|betrayed)\b"
)
UNNAMED_AGENTS = {
    "demon", "ghost", "creature", "stranger", "president", "monster", "beast", "robot",
    "alien", "doctor", "priest", "detective", "soldier", "thief", "narrator", "student",
    "teacher", "captain", "sheriff", "judge",
}  # fmt: skip
UNNAMED_SUBJECTS = 3
FIRST_ACTOR_WEIGHT = 5
"""Centrality of the first person the synopsis makes act: synopses open on their lead."""
FOCUS_CUE = re.compile(
    r"(?i)\b(?:story|film|movie|plot|narrative|picture)\s+(?:begins\s+with|opens\s+with|follows"
    r"|revolves\s+around|centres\s+on|centers\s+on|focuses\s+on|is\s+about|tells\s+the\s+story\s+of"
    r"|concerns)\s"
)
NOT_FOCUS = {"on", "against", "to", "at", "for", "with", "by", "from", "into", "upon", "over"}
"""Between the cue and a name, these make the name an object inside the topic ('is about an
assassination attempt on Winston Churchill'), not the one the story is about."""
HERO_CUE = re.compile(r"(?<![\w-])(?:[Hh]ero|[Hh]eroine|[Pp]rotagonist)\s+(?=[A-Z])")
"""'The memories of hero Andrei': the text names its lead."""
DEATH_NOUNS = r"death|murder|killing|suicide|funeral|body|corpse"
FOCUS_SENTENCES = 3
FOCUS_WINDOW = 60
"""An unnamed person ('the boy', 'the demon') joins the cast when the story makes them the
subject of at least this many sentences: a story may centre on someone it never names."""
DUO_JOINER = re.compile(r"(?i)^(?:n'|'n'?)\w")
"""The 'N'' of a duo's stage name ('Kid N'Play', 'Salt-N-Pepa' aside)."""
ROLE_POSSESSIVES = {"their", "our", "your", "its"}
"""Before a capitalised run, a role someone holds ('their Sing Leader'), not a name; 'his'
and 'her' also stand before nicknames, so they are left out."""
PEOPLE_OF = {
    "people", "folk", "townsfolk", "streets", "heart", "edge", "mayor", "harbour", "battle",
    "siege", "outskirts", "suburbs",
}  # fmt: skip


@dataclass
class Mention:
    """One occurrence of a capitalised run in a sentence."""

    name: str
    sentence: int
    initial: bool
    before: str
    before_that: str
    article: bool
    possessive: bool
    after: str
    appositive: bool = False
    described_as: tuple[str, ...] = ()
    clause_initial: bool = False
    place_appositive: bool = False
    modifies: bool = False
    credit: bool = False
    """Named as an actor or in a comparison ('portrayed by X', 'à la X'), not as a character."""
    separated: bool = False
    """Punctuation stands between the name and the word before it ('suburbs, Aduri's'): that
    word belongs to another phrase."""
    of_tail: bool = False
    """The end of a longer proper name joined by 'of' ('Children of Glory', 'Bank of X')."""
    work_subject: bool = False
    """What a work in the story is about ('a film about X')."""
    indefinite: bool = False
    """After 'a' or 'an' and at most one lowercase word ('a young Ulsterman', 'a Parisian
    woman'): a kind of person, not a name."""
    quoted: bool = False
    """Inside a quoted phrase of several words (a sign, a title, a line of dialogue), or in
    a list of names given as names ('the Latin names: Ultra-sonicus Ad Infinitum and ...')."""


@dataclass
class Persona:
    """A person of the story with everything later passes need to know about them."""

    name: str
    aliases: list[str]
    mentions: int
    first_sentence: int
    gender: Gender = "unknown"
    appositive: str | None = None
    conflict: int = 0
    role: Role = "minor"
    last_sentence: int = 0
    subject_of: int = 0
    first_subject: int | None = None
    subject_sentences: set[int] = field(default_factory=set)
    """Sentences it heads as a subject, found before pronouns are resolved (unnamed people)."""


@dataclass
class Place:
    """A named place; `key` is the bare proper name, `name` how to say it ('the Merrow').
    `region` marks a country, state or continent: too wide to stage a scene in."""

    name: str
    key: str
    mentions: int
    kind: LocationKind | None
    region: bool = False


@dataclass
class Cast:
    """People (protagonist first) and named places (most mentioned first)."""

    people: list[Persona] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)

    @property
    def protagonist(self) -> Persona | None:
        return next((p for p in self.people if p.role == "protagonist"), None)

    @property
    def antagonist(self) -> Persona | None:
        return next((p for p in self.people if p.role == "antagonist"), None)

    def person_named(self, name: str) -> Persona | None:
        return next((p for p in self.people if p.name == name), None)


def analyse_cast(story: Story) -> Cast:
    """People (with roles, gender and any appositive) and named places of a story."""
    all_sentences = ([story.preface] if story.preface else []) + story.sentences
    lowercase = Counter(lower_words_in_lowercase(story.all_text))
    titles = work_titles(story.all_text)
    found = [
        m
        for i, s in enumerate(all_sentences)
        for m in capitalised_runs(without_titles(s, titles), i, lowercase)
    ]
    about_the_film = {i for i, s in enumerate(all_sentences) if PRODUCTION_SENTENCE.match(s)}
    mentions = without_credited(without_owned_nouns(without_leading_nouns(found)), about_the_film)
    followed_by_pronoun = {
        i for i, s in enumerate(all_sentences[1:]) if PRONOUN_OPENING.match(s.lstrip())
    }
    names = plausible_names(mentions, lowercase, followed_by_pronoun)
    screenplay_cast = set(story.speakers) | set(story.introduced)
    if screenplay_cast:
        names = {n for n in names if not _run_on(n, screenplay_cast)} | set(story.speakers)
    groups = merged_names(names, mentions)
    people, places = classify(groups, mentions, declared_places(story.all_text))
    if screenplay_cast:
        people = [p for p in people if set(p.aliases) & screenplay_cast]
    for person in people:
        person.appositive = find_appositive(person, story.all_text)
        person.gender = infer_gender(person, all_sentences, mentions, people)
        person.conflict = conflict_score(person, all_sentences)
    if not screenplay_cast:
        for person in unnamed_people(all_sentences):
            person.conflict = conflict_score(person, all_sentences)
            people.append(person)
    count_subjects(people, mentions, all_sentences)
    assign_roles(people, all_sentences)
    people.sort(key=lambda p: (ROLE_ORDER[p.role], -p.mentions, p.first_sentence))
    places.sort(key=lambda p: -p.mentions)
    return Cast(people=people[:MAX_PEOPLE], places=places)


def work_titles(text: str) -> list[str]:
    """Titles of films, books or songs named in the text, longest first."""
    titles = {
        m.group(1) for m in WORK_TITLE.finditer(text) if not _work_noun_is_verb(text, m.start())
    }
    flat = " ".join(text.split())
    titles |= {m.group(1) for m in TITLE_IS_WORK.finditer(flat)}
    titles |= {m.group(1) for m in WORK_IS_TOLD.finditer(flat)}
    titles |= {m.group(1) for m in WORK_REVOLVES.finditer(flat)}
    titles |= {m.group(1) for m in TITLE_THEN_WORK.finditer(flat)}
    titles |= {t.replace(" & ", " and ") for t in titles}  # the text spells it both ways
    return sorted(titles, key=len, reverse=True)


def _work_noun_is_verb(text: str, start: int) -> bool:
    """'the streets of New York City show Joe spending time', 'hopes to film Maya': a work
    noun that is also a verb, after a subject or a verb's helper, names no work."""
    keyword = text[start:].split(maxsplit=1)[0].lower()
    if keyword not in VERB_WORK_NOUNS:
        return False
    before = [m.group(0) for m in WORD.finditer(text[max(0, start - 80) : start])]
    if not before or re.search(r"[.!?]\s*$", text[:start]):
        return False
    previous = before[-1]
    if previous[:1].isupper():
        run_start = len(before) - 1
        while run_start > 0 and before[run_start - 1][:1].isupper():
            run_start -= 1
        return run_start == 0 or before[run_start - 1].lower() not in WORK_DETERMINERS
    lower = previous.lower()
    plural_subject = (
        lower.endswith("s") and not lower.endswith(("ss", "'s", "us")) and lower not in PLAIN_S
    )
    return lower in VERB_HELPERS or plural_subject


def without_credited(mentions: list[Mention], about_the_film: set[int]) -> list[Mention]:
    """Leave out credits and every later use of a credited name ('film makers Seamus Walsh
    and Mark Caballero ... Walsh and Caballero used the song'), names said only in sentences
    about the film itself, and famous figures the story only mentions in passing."""
    in_story = {m.name for m in mentions if m.sentence not in about_the_film}
    credited = [set(core_tokens(m.name)) for m in mentions if m.credit or m.name not in in_story]
    kept = [
        m
        for m in mentions
        if not m.credit and not any(set(core_tokens(m.name)) <= c for c in credited)
    ]
    figures = Counter(_figure(m.name) for m in kept if _figure(m.name) in FAMOUS_FIGURES)
    return [m for m in kept if not 0 < figures[_figure(m.name)] < FAMOUS_FIGURE_MENTIONS]


def _figure(name: str) -> str:
    """'Franklin Delano Roosevelt' is the famous figure 'roosevelt'; 'Kevin Kennedy' is not."""
    *given, surname = name.lower().split()
    famous = given and surname in FAMOUS_FIGURES and set(given) <= FAMOUS_GIVEN_NAMES
    return surname if famous else name.lower()


def without_leading_nouns(mentions: list[Mention]) -> list[Mention]:
    """'Socialite Claire Gregory attends a party': at a sentence's start, a capitalised word
    for what someone is, said nowhere else, before a full name whose first name the text
    uses on its own, is not part of the name."""
    words = Counter(w for m in mentions for w in set(m.name.split()))
    kept: list[Mention] = []
    for mention in mentions:
        first, *rest = mention.name.split()
        if (
            mention.initial
            and len(rest) >= 2
            and words[first] == 1
            and words[rest[0]] > 1
            and first.lower().endswith(DESCRIBING_ENDINGS)
        ):
            mention = replace(mention, name=" ".join(rest), initial=False)
        kept.append(mention)
    return kept


def without_owned_nouns(mentions: list[Mention]) -> list[Mention]:
    """'At Bailey's Hacienda Benteen's girlfriend ...': after someone's possessive, a
    capitalised word said nowhere else, before a name the text uses on its own, is the thing
    owned (a comma left out), not part of the name."""
    names = Counter(m.name for m in mentions)
    words = Counter(w for m in mentions for w in set(m.name.split()))
    kept: list[Mention] = []
    for mention in mentions:
        first, *rest = mention.name.split()
        if (
            rest
            and mention.before.endswith("'s")
            and not mention.separated
            and words[first] == 1
            and names[" ".join(rest)] > 0
        ):
            mention = replace(mention, name=" ".join(rest))
        kept.append(mention)
    return kept


def without_titles(sentence: str, titles: list[str]) -> str:
    for title in titles:
        sentence = re.sub(rf"(?<![\w-]){re.escape(title)}(?![\w-])", WORK_STAND_IN, sentence)
    return sentence


def _run_on(name: str, cast_names: set[str]) -> bool:
    """'Brick FILLS a glass' reads 'Brick Fills': a cast name run into a shouted word."""
    tokens = set(core_tokens(name))
    cores = [set(core_tokens(c)) for c in cast_names]
    return any(tokens & core for core in cores) and not any(tokens <= core for core in cores)


# --------------------------------------------------------------------------- capitalised runs


def capitalised_runs(
    sentence: str, index: int, lowercase: Counter[str] | None = None
) -> list[Mention]:
    """Runs of capitalised words; punctuation between two words ends a run. A sentence's
    first word joins no run when it is an opener or a word the text writes in lowercase."""
    matches = list(WORD.finditer(sentence))
    tokens = [m.group(0).replace("\u2019", "'") for m in matches]
    found: list[Mention] = []
    run: list[str] = []
    run_start = 0
    last_end = [0]
    credited_by = [False]

    def close(end: int, *, possessive: bool) -> None:
        tail = sentence[matches[end - 1].end() :]
        named, start = list(run), run_start
        if len(named) > 1 and _people_word(named[0]) and _plain_name(named[1:]):
            named, start = named[1:], start + 1  # 'English Peter Linton'
        lead = sentence[: matches[start].start()].rstrip()
        mention = _mention(named, start, tokens, index, tail, possessive=possessive)
        mention.clause_initial = not lead or lead.endswith((",", ";", ":", "(", "\u2014"))
        mention.quoted = any(a < matches[start].start() < b for a, b in quoted_phrases) or bool(
            NAMES_LISTED.search(sentence[: matches[start].start()])
        )
        mention.separated = start > 0 and bool(
            sentence[matches[start - 1].end() : matches[start].start()].strip()
        )
        mention.of_tail = (
            start > 1
            and tokens[start - 1] == "of"
            and tokens[start - 2][:1].isupper()
            and not sentence[matches[start - 2].end() : matches[start].start()].strip(" of")
        ) or (start > 0 and not mention.separated and tokens[start - 1] in ORDINALS)
        before_run = sentence[: matches[run_start].start()]
        between = sentence[last_end[0] : matches[run_start].start()]
        mention.work_subject = bool(WORK_ABOUT.search(sentence[: matches[start].start()]))
        mention.credit = bool(
            CREDIT_LEAD.search(before_run)
            or CREDIT_TAIL.match(tail)
            or (len(run) > 1 and not possessive and ACTOR_IN_BRACKETS.search(before_run))
            or (len(named) > 1 and _plain_name(named) and BRACKETED_CREDITS.search(before_run))
            or (possessive and WORK_BY.match(tail))
            or (not possessive and WORKS_OF.match(tail) is not None)
            or BEHIND_CAMERA.match(tail)
            or (len(named) > 1 and not possessive and ACTOR_IS_ROLE.match(tail))
            or CITATION.match(tail)
            or SOURCE.match(tail)
            or QUOTED_WORK_BY.search(before_run)
            or (start > 0 and tokens[start - 1].lower() in HOLIDAYS and named[0] in HOLIDAY_DAYS)
            or (credited_by[0] and CREDIT_PAIR.match(between))
            or review
            or (not lead and PLAYS_KIN.match(tail) is not None)
        )
        credited_by[0] = bool(CREDIT_BY.search(before_run)) or (
            credited_by[0] and bool(CREDIT_PAIR.match(between))
        )
        last_end[0] = matches[end - 1].end()
        found.append(mention)

    quoted_phrases = quoted_spans(sentence)
    review = bool(REVIEW_SENTENCE.search(sentence))
    bridged = False
    for position, token in enumerate(tokens):
        if _nickname(sentence, matches[position]) and _name_follows(tokens, position):
            bridged = bool(run)  # 'Raphael "Jinji" Moked' is one name, 'Jinji' no one's own
            continue
        gap = sentence[matches[position - 1].end() : matches[position].start()] if position else ""
        broken = bool(gap.strip()) and not (run and _title_stop(gap, run))
        if run and not bridged and (broken or _quoted(sentence, matches[position - 1])):
            close(position, possessive=False)
            run = []
        bridged = False
        bare, possessive = _bare(token)
        if run and bare in NAME_PARTICLES and _name_follows(tokens, position):
            run.append(bare)  # 'Justus von Dohnanyi'
            continue
        if _name_word(bare, opening=position == 0, lowercase=lowercase):
            if not run:
                run_start = position
            run.append(bare)
            if possessive:
                close(position + 1, possessive=True)
                run = []
            continue
        if run:
            close(position, possessive=False)
            run = []
    if run:
        close(len(tokens), possessive=False)
    return found


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans between pairs of double quotes that hold three words or more."""
    marks = [m.start() for m in QUOTE.finditer(sentence)]
    pairs = zip(marks[::2], marks[1::2], strict=False)
    return [(a, b) for a, b in pairs if len(sentence[a + 1 : b].split()) >= 3]


def _title_stop(gap: str, run: list[str]) -> bool:
    """'Lt. Crowe', 'Mr. Hasson': the full stop of an abbreviated title ends no name."""
    return gap.strip() == "." and run[-1].lower() in TITLE_ABBREVIATIONS


def _nickname(sentence: str, match: re.Match[str]) -> bool:
    """A word in quotes right before a name: 'Pimp-King' Duke, Raphael "Jinji" Moked."""
    opening = sentence[max(0, match.start() - 1) : match.start()]
    closing = sentence[match.end() : match.end() + 1]
    return _quoted(sentence, match) or (opening in ('"', "\u201c") and closing in ('"', "\u201d"))


def _quoted(sentence: str, match: re.Match[str]) -> bool:
    """A word in single quotes ("the infamous 'Pimp-King' Duke"): a nickname, not the first
    word of the name after it."""
    return match.group(0).endswith(("'", "\u2019")) and sentence[
        max(0, match.start() - 1) : match.start()
    ] in ("'", "\u2018")


def _name_follows(tokens: list[str], position: int) -> bool:
    following = tokens[position + 1] if position + 1 < len(tokens) else ""
    return following[:1].isupper()


def _people_word(word: str) -> bool:
    """A word naming a people, faith or organisation rather than a place ('English')."""
    lower = word.lower()
    return (
        lower in NON_PERSON_WORDS
        and lower not in WORLD_PLACES | CITIES
        and lower not in PLACE_SUFFIX_KINDS  # 'Road Runner': a noun, not a people
    )


def _plain_name(tokens: list[str]) -> bool:
    """No word of a place or an organisation: 'Peter Linton', not 'City' or 'Church'."""
    return not any(t.lower() in NON_PERSON_WORDS or t.lower() in PLACE_SUFFIX_KINDS for t in tokens)


def _name_word(bare: str, *, opening: bool, lowercase: Counter[str] | None) -> bool:
    if len(bare) < 2 or not bare[0].isupper() or bare.endswith(CONTRACTIONS):
        return False
    lower = bare.lower()
    if lower in CAPITALISED_STOPWORDS or lower in SENTENCE_OPENERS:
        return False
    written_lowercase = lowercase is not None and lowercase[lower] > 0
    gerund = len(lower) > 5 and lower.endswith("ing")  # 'Joining Ethel in Belfast, Jack ...'
    return not (opening and (lower.endswith("ly") or gerund or written_lowercase))


def _bare(token: str) -> tuple[str, bool]:
    if token.endswith(("'s", "'S")):
        return token[:-2], True
    return token.rstrip("'"), token.endswith("s'")


def _mention(
    run: list[str], start: int, tokens: list[str], index: int, tail: str, *, possessive: bool
) -> Mention:
    before = tokens[start - 1].lower() if start > 0 else ""
    article = before == "the"
    if article:
        before = tokens[start - 2].lower() if start > 1 else ""
    offset = 2 if article else 1
    before_that = tokens[start - offset - 1].lower() if start - offset - 1 >= 0 else ""
    end = start + len(run)
    appositive = (APPOSITIVE.match(tail) or CREDITED.match(tail)) if not possessive else None
    if tail.lstrip(" ,").startswith(WORK_STAND_IN):
        appositive = None  # "Set in today's Mumbai, Barah Aana revolves around ..."
    head = appositive_head(tail) if tail.lstrip().startswith(",") else ""
    place_like = appositive is not None and (
        head in SETTING_NOUNS or head in PLACE_SUFFIX_KINDS or head in HOME_WORDS
    )
    indefinite = start > 0 and (
        tokens[start - 1].lower() in ("a", "an")
        or (
            start > 1
            and tokens[start - 2].lower() in ("a", "an")
            and tokens[start - 1].islower()
            and tokens[start - 1] not in PERSON_NOUNS
            and not _agent_noun(tokens[start - 1])  # 'an industrialist Satyanarayana'
        )
    )
    return Mention(
        indefinite=indefinite,
        name=" ".join(run),
        sentence=index,
        initial=start == 0,
        before=before,
        before_that=before_that,
        article=article,
        possessive=possessive,
        after=tokens[end].lower() if end < len(tokens) else "",
        appositive=appositive is not None and not place_like,
        place_appositive=place_like,
        described_as=tuple(described_words(tail)) if head else (),
        modifies=not possessive and re.match(r" [a-z]", tail) is not None,
    )


def appositive_head(tail: str) -> str:
    """The noun an appositive is about: its last word before a preposition, a conjunction
    or a comma (', a hard-working taxi driver and' → 'driver'; ', the pine forest on' →
    'forest'; ", Semadar's sister," → 'sister')."""
    head = ""
    for word in described_words(tail):
        if word in FUNCTION_WORDS:
            break
        head = word
    return head


def described_words(tail: str) -> list[str]:
    """The words of a comma phrase after a name, without its determiner, at most eight."""
    phrase = re.split(r"[,.;:!?]", tail.lstrip(" ,"), maxsplit=1)[0]
    described = lower_words(phrase)[:9]
    return described[1:] if described and described[0] in DETERMINERS else described[:8]


def lower_words_in_lowercase(text: str) -> list[str]:
    """Words written in lowercase: a capitalised word that also appears like this is a noun."""
    return [w for w in (m.group(0) for m in WORD.finditer(text)) if w.islower()]


def plausible_names(
    mentions: list[Mention], lowercase: Counter[str], followed_by_pronoun: set[int] | None = None
) -> set[str]:
    """Names that recur or are seen acting. `followed_by_pronoun` holds the sentences whose
    next sentence opens with 'He' or 'She': a word that opens a sentence acting, followed by
    a pronoun, is a name even when said once ('Betty is startled awake. She searches ...')."""
    by_name: dict[str, list[Mention]] = {}
    for mention in mentions:
        by_name.setdefault(mention.name, []).append(mention)
    names: set[str] = set()
    for name, found in by_name.items():
        tokens = name.split()
        if all(t.lower() in HONORIFICS for t in tokens):
            if len(tokens) == 1 and _title_as_name(found):
                names.add(name)
            continue
        titled = len(tokens) > 1 and tokens[0].lower() in HONORIFICS  # 'Dr. Voss watches'
        inside = sum(not m.initial or titled for m in found)
        if len(tokens) == 1 and lowercase[name.lower()] > inside:
            continue
        described = any(m.appositive for m in found)
        picked_up = any(
            m.initial and _acts(m) and m.sentence in (followed_by_pronoun or set()) for m in found
        )
        if inside or (_name_like(name, lowercase) and (len(found) >= 2 or described or picked_up)):
            names.add(name)
    names |= _full_names_of(set(by_name) - names, names)
    return {n for n in names if not _duo(n) and not _two_people(n, names, len(by_name.get(n, [])))}


def _two_people(name: str, names: set[str], said: int) -> bool:
    """'gives Shelia Kid's scholarship cheque': two names side by side, said so once, the
    first already someone's first name ('Shelia Landreaux'), the second a name of its own."""
    first, *rest = name.split()
    return (
        said == 1
        and len(rest) == 1
        and rest[0] in names
        and any(other.split()[0] == first and other != name and " " in other for other in names)
    )


def _duo(name: str) -> bool:
    """'Kid N'Play' is a duo's stage name: its members are the people."""
    return any(DUO_JOINER.match(token) for token in name.split()[1:])


def _title_as_name(found: list[Mention]) -> bool:
    """A title used as someone's name, without 'the', heading a clause and acting at least
    twice: 'Doc is momentarily swayed ... Doc realizes'."""
    return sum(_heads_clause(m) and _acts(m) and not m.article for m in found) >= 2


def _full_names_of(candidates: set[str], names: set[str]) -> set[str]:
    """'Mara Quinn', said once at a sentence start, is a name when 'Mara' already is one."""
    return {
        name
        for name in candidates
        if len(name.split()) > 1 and any(token in names for token in core_tokens(name))
    }


def _name_like(word: str, lowercase: Counter[str]) -> bool:
    """A word seen only at sentence starts passes as a name if it never looks like prose."""
    lower = word.lower()
    return " " in word or (lowercase[lower] == 0 and not lower.endswith(("ly", "ing", "ed")))


# --------------------------------------------------------------------------- merging


def core_tokens(name: str) -> tuple[str, ...]:
    """The words of a name without its titles, and without the words of a title before one
    ('Staff Sgt Raphael Moked' → 'Raphael Moked'); a title alone is the name ('Doc')."""
    tokens = name.split()
    leading = [i for i, t in enumerate(tokens[:3]) if t.lower() in HONORIFICS]
    if leading and leading[-1] < len(tokens) - 1:
        tokens = tokens[leading[-1] + 1 :]
    core = tuple(t for t in tokens if t.lower() not in HONORIFICS)
    return core or tuple(name.split())


def merged_names(names: set[str], mentions: list[Mention]) -> dict[str, set[str]]:
    """canonical name → every form that refers to it ("Mara", "Quinn", "Captain Quinn")."""
    counts = Counter(m.name for m in mentions if m.name in names)
    ordered = sorted(names, key=lambda n: (-len(core_tokens(n)), -counts[n], n))
    groups: dict[str, set[str]] = {}
    for name in ordered:
        owners = [c for c in groups if set(core_tokens(name)) <= set(core_tokens(c))]
        if len(owners) == 1:
            groups[owners[0]].add(name)
        elif not owners or counts[name] > sum(counts[o] for o in owners):
            groups[name] = {name}  # 'Kid', said far more often than 'Shelia Kid' or 'Kid Jones'

    families = {m.name for m in mentions if m.article}
    return _merge_misspellings(groups, counts, families)


def _merge_misspellings(
    groups: dict[str, set[str]], counts: Counter[str], families: set[str]
) -> dict[str, set[str]]:
    """A one-word name that is a slip of another person's name joins that person ('Steven'
    for 'Vaughan Stevens', 'Murumu' for 'Marumu'); the rarer spelling gives way. A name said
    with 'the' is a family or a group ('the Lowells'), not a slip."""
    weight = {c: sum(counts[f] for f in forms) for c, forms in groups.items()}
    for name in sorted(groups, key=lambda n: (weight[n], n)):
        if " " in name or name in families:
            continue
        hosts = [
            c
            for c in groups
            if c != name
            and weight[c] >= weight[name]
            and any(misspelt(name, token) for token in core_tokens(c))
        ]
        if len(hosts) == 1:
            groups[hosts[0]] |= groups.pop(name)
            weight[hosts[0]] += weight[name]
    return groups


def misspelt(one: str, other: str) -> bool:
    """Two spellings of one name: a trailing 's' more or less ('Steven', 'Stevens'), or one
    letter inside the word changed ('Marumu', 'Murumu'); short names are left alone."""
    shorter, longer = sorted((one, other), key=len)
    if len(shorter) < 5:
        return False
    if longer == shorter + "s":
        return True
    differing = [i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b]
    return len(one) == len(other) and len(differing) == 1 and 0 < differing[0] < len(one) - 1


# ----------------------------------------------------------------------- person, place or neither


DECLARED_PLACE = re.compile(
    r"(?<![\w'\u2019])([A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*)\s+(?:is|was)\s+an?\s+"
    r"(?:[\w-]+\s+){0,2}?(?:city|town|village|hamlet|island|country|kingdom|nation|state"
    r"|province|district|region|planet|suburb|port|colony|settlement|neighbou?rhood)\b"
)
"""'Bharat Nagar is a city in modern secular India': the text says what the name is."""
DECLARED_PLACE_WEIGHT = 4.0


PLACE_OF = re.compile(
    r"\b(?:city|town|village|hamlet|island|kingdom|planet|province|county|state|port"
    r"|township|municipality)\s+of\s+([A-Z][\w\u2019-]*(?:\s+[A-Z][\w\u2019-]*)*)"
)
"""'the fictional South Carolina town of Julia': the text says what the name is."""


def declared_places(text: str) -> set[str]:
    flat = " ".join(text.split())
    declared = {m.group(1) for m in DECLARED_PLACE.finditer(flat)}
    return declared | {m.group(1) for m in PLACE_OF.finditer(flat)}


def classify(
    groups: dict[str, set[str]], mentions: list[Mention], declared: set[str] | None = None
) -> tuple[list[Persona], list[Place]]:
    people: list[Persona] = []
    places: list[Place] = []
    for canonical, forms in groups.items():
        bare = " ".join(core_tokens(canonical))
        found = [m for m in mentions if m.name in forms or m.name == bare]
        if not found:
            found = [m for m in mentions if set(core_tokens(m.name)) & set(core_tokens(canonical))]
        if not found:
            continue
        place, person = place_evidence(canonical, found), person_evidence(forms, found)
        if forms & (declared or set()):
            place += DECLARED_PLACE_WEIGHT
        with_article = sum(m.article for m in found) * 2 > len(found)
        if _known_place(canonical):
            place += sum(m.before in ("to", "from") for m in found)
        if _region(canonical) and " " not in canonical:
            person = person if any(_heads_clause(m) and _acts(m) for m in found) else 0
        elif _known_place(canonical) and not any(_heads_clause(m) and _acts(m) for m in found):
            # "robs Dublin's oldest bank": what a place owns is no sign of a person
            person = person_evidence(forms, [m for m in found if not m.possessive])
        creature = with_article and _titled_creature(canonical, found)
        known = _known_place(canonical) if place >= person else None
        structural = _shaped_like_place(canonical) and not _titled(forms)
        if known or structural or place > person or (with_article and place > 0 and not creature):
            if known or not _non_person(canonical):
                name = f"the {canonical}" if with_article else canonical
                kind = suffix_kind(canonical) or noun_kind(found) or known
                region = _region(canonical)
                places.append(Place(name, canonical, len(found), kind, region))
        elif (
            (not with_article or creature)
            and (not _non_person(canonical) or creature)
            and person > _modifier_uses(found)
            and (len(found) > 1 or (person >= 1 and not found[0].possessive))
            and not all(
                m.of_tail or (m.indefinite and not m.separated) or m.quoted or m.work_subject
                for m in found
            )
        ):
            people.append(
                Persona(
                    name=f"the {canonical}" if with_article else display_name(canonical),
                    aliases=_aliases(canonical, forms),
                    mentions=len(found),
                    first_sentence=min(m.sentence for m in found),
                    last_sentence=max(m.sentence for m in found),
                )
            )
    return people, places


def _titled_creature(name: str, found: list[Mention]) -> bool:
    """'the Road Runner burns rubber ... the Road Runner, who allows ...': a name always said
    with 'the' that heads clauses, acts and is a 'who', not a family ('the Lowells'), a group
    or a ship."""
    last = name.split()[-1].lower()
    return (
        not last.endswith("s")
        and last not in NON_PERSON_WORDS
        and sum(_heads_clause(m) and _acts(m) for m in found) >= 2
        and any(m.after in PERSONAL_RELATIVES for m in found)  # not 'the Merrow', a ship
    )


def _non_person(name: str) -> bool:
    """A people, organisation or event ('Russian', 'Secret Service', 'Vietnam War'); a lone
    place name that is seen acting may be a person's ('Milan and Goran decide')."""
    tokens = [t.lower() for t in name.split()]
    if len(tokens) == 1 and tokens[0] in CITIES | WORLD_PLACES:
        return False
    parts = {part for t in tokens for part in t.split("-")}  # 'Lexington Herald-Leader'
    return any(t in NON_PERSON_WORDS for t in tokens) or bool(parts & PRESS) or name.isupper()


def _known_place(name: str) -> LocationKind | None:
    tokens = [t.lower() for t in name.split()]
    if tokens[-1] in CITIES:
        return "city"
    if tokens[-1] in WORLD_PLACES:
        return "generic"
    return None


def _region(name: str) -> bool:
    return name.split()[-1].lower() in WORLD_PLACES


def _shaped_like_place(name: str) -> bool:
    """'Skerry Rock', 'Port Ellen': a place by the shape of its name."""
    tokens = name.lower().split()
    return len(tokens) > 1 and (tokens[-1] in PLACE_SUFFIX_KINDS or tokens[0] in PLACE_PREFIXES)


def _titled(forms: set[str]) -> bool:
    return any(t.lower() in HONORIFICS for f in forms for t in f.split())


def place_evidence(name: str, found: list[Mention]) -> float:
    tokens = name.split()
    score = 3.0 if _shaped_like_place(name) else 0.0
    if len(tokens) == 1 and len(name) > 5 and name.lower().endswith(PLACE_NAME_ENDINGS):
        score += 2
    score += sum(m.before in PLACE_PREPOSITIONS and not m.separated for m in found)
    score += 2 * sum(
        (m.before in SETTING_NOUNS and not m.separated) or m.place_appositive for m in found
    )
    score += sum(
        m.before == "of" and (m.before_that in SETTING_NOUNS or m.before_that in PEOPLE_OF)
        for m in found
    )
    score += 2 * sum(m.after == "where" for m in found)
    return score


def person_evidence(forms: set[str], found: list[Mention]) -> float:
    """Honorifics, possessives, appositives, verbs after the name, a person noun before it
    ('her husband Pat'), a name joined to another by 'and' or the agent after 'by'."""
    score = 3.0 if _titled(forms) else 0.0
    score += sum(m.possessive for m in found)
    score += 2 * sum(m.appositive for m in found)
    score += sum(_acts(m) and m.before not in QUANTIFIERS for m in found)
    score += 2 * sum(m.before in PERSON_NOUNS or m.before in HONORIFICS for m in found)
    score += 0.5 * sum("and" in (m.before, m.after) or m.before == "by" for m in found)
    score += 0.5 * sum(
        _verb_like(m.before) and m.before not in PLACE_PREPOSITIONS and not m.separated
        for m in found
    )
    score += sum(_agent_noun(m.before) for m in found)
    score += 2 * sum(m.before in ANIMAL_NOUNS for m in found)
    return score


def _agent_noun(word: str) -> bool:
    """A noun for a doer ('sculptor', 'womanizer', 'publicist'), not a place or a time."""
    return (
        len(word) > 5
        and word.endswith(AGENT_NOUN_ENDINGS)
        and word not in FUNCTION_WORDS | NOT_AGENT_NOUNS | PERSON_NOUNS
        and word not in SETTING_NOUNS
        and word not in PLACE_SUFFIX_KINDS
    )


def _acts(mention: Mention) -> bool:
    """Followed by a verb, an auxiliary or an adverb; after 'and', by any word ('Milan and
    Goran decide')."""
    after = mention.after
    return (
        (mention.before == "and" and mention.modifies)
        or after in SPEECH_VERBS
        or after in ACTING_WORDS
        or _verb_like(after)
        or (len(after) > 4 and after.endswith("ly"))
    )


def _modifier_uses(found: list[Mention]) -> int:
    """Uses as a modifier of the noun after it ('Catholic school', 'Colby fortune'), or as a
    role after a possessive ('their Sing Leader')."""
    return sum(m.before in ROLE_POSSESSIVES and not m.possessive for m in found) + sum(
        m.modifies
        and m.before not in SUBJECT_LEADS
        and m.before not in PERSON_NOUNS
        and len(m.after) > 2
        and m.after not in FUNCTION_WORDS | BREAK_WORDS | ADVERB_PARTICLES
        and (not _acts(m) or m.before in QUANTIFIERS)
        for m in found
    )


def _verb_like(word: str) -> bool:
    return (
        len(word) > 3
        and word not in FUNCTION_WORDS
        and word.endswith(("s", "ed"))
        and "'" not in word
    )


def suffix_kind(name: str) -> LocationKind | None:
    tokens = name.lower().split()
    if len(tokens) > 1 and tokens[-1] in PLACE_SUFFIX_KINDS:
        return PLACE_SUFFIX_KINDS[tokens[-1]]
    if len(tokens) > 1 and tokens[0] == "port":
        return "village"
    return None


def display_name(canonical: str) -> str:
    """'Captain Ilse Brandt' → 'Ilse Brandt'; a lone surname keeps its title ('Father Tomas')."""
    core = core_tokens(canonical)
    if len(core) > 1 or canonical.split()[0].lower() in TITLE_ABBREVIATIONS:
        return " ".join(core)  # 'Lt. Crowe' is Crowe: the abbreviation is no part of a name
    return canonical


def noun_kind(found: list[Mention]) -> LocationKind | None:
    """'the Anchor tavern', 'Saltmouth harbour': the noun after the name says what it is."""
    nouns = Counter(m.after for m in found if m.after in SETTING_NOUNS)
    return SETTING_NOUNS[nouns.most_common(1)[0][0]] if nouns else None


def alias_forms(name: str) -> list[str]:
    """The forms a cast name goes by in text: itself, each word of a full name, and a
    described person with either capital ('the boy', 'The boy')."""
    if name[:1].islower():
        return [name, name[:1].upper() + name[1:]]
    return _aliases(name, {name})


def _aliases(canonical: str, forms: set[str]) -> list[str]:
    """Every form, each word of a full name ('Alex', 'Thomas') and the name without its
    title ('Reyes' for 'Captain Reyes')."""
    core = core_tokens(canonical)
    singles = set(core) if len(core) > 1 else set()
    bare = {" ".join(core)} if core else set()
    return sorted(forms | singles | bare | {canonical}, key=lambda a: (-len(a), a))


# --------------------------------------------------------------------------- attributes


def sentences_with(person: Persona, all_sentences: list[str]) -> list[int]:
    """Indexes of the sentences that name the person by any alias."""
    pattern = name_pattern(person.aliases)
    return [i for i, s in enumerate(all_sentences) if pattern.search(s)]


def name_pattern(aliases: list[str]) -> re.Pattern[str]:
    """One regex for all of a person's names, whole words only."""
    forms = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{forms})(?![A-Za-z])")


def infer_gender(
    person: Persona, all_sentences: list[str], mentions: list[Mention], people: list[Persona]
) -> Gender:
    """From honorifics, a gendered noun in the appositive or just before the name ('her
    husband Pat'), then pronouns near the name."""
    honorifics = {t.lower() for a in person.aliases for t in a.split()}
    if honorifics & FEMALE_HONORIFICS:
        return "female"
    if honorifics & MALE_HONORIFICS:
        return "male"
    forms = set(person.aliases)
    nouns = [m.before for m in mentions if m.name in forms]
    nouns += [w for m in mentions if m.name in forms for w in m.described_as]
    nouns += lower_words(person.appositive or "")
    nouns += described_before(person, " ".join(all_sentences))
    female = NOUN * sum(w in FEMALE_NOUNS for w in nouns)
    male = NOUN * sum(w in MALE_NOUNS for w in nouns)
    others = [p for p in people if p is not person]
    for i in sentences_with(person, all_sentences):
        bound = bound_pronouns(person, all_sentences[i], others)
        bound += opening_pronoun_after(i, all_sentences, others)
        female += BOUND * sum(w in FEMALE_PRONOUNS for w in bound)
        male += BOUND * sum(w in MALE_PRONOUNS for w in bound)
        window = lower_words(" ".join(all_sentences[i : i + 2]))
        female += NEARBY * sum(PRONOUN_WEIGHTS.get(w, 0.0) for w in window if w in FEMALE_PRONOUNS)
        male += NEARBY * sum(PRONOUN_WEIGHTS.get(w, 0.0) for w in window if w in MALE_PRONOUNS)
    if female > 1.3 * male and female >= 1:
        return "female"
    if male > 1.3 * female and male >= 1:
        return "male"
    return "unknown"


def described_before(person: Persona, text: str) -> list[str]:
    """The head noun of a description just before the name: 'approached by the daughter of
    a recruiting officer, Adeline' → 'daughter'; 'a woman named Maya' → 'woman'."""
    heads = []
    for alias in person.aliases:
        pattern = (
            r"\b(?:[Aa]n?|[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[\w-]+\s+){0,2}?([a-z]+)"
            rf"(?:\s+of\s+[^,.;:!?]{{1,40}})?(?:,\s*|\s+(?:named|called)\s+){re.escape(alias)}"
            r"(?![\w'])"
        )
        heads += [m.group(1) for m in re.finditer(pattern, text)]
    return heads


def opening_pronoun_after(index: int, all_sentences: list[str], others: list[Persona]) -> list[str]:
    """The 'He' or 'She' opening the next sentence, when the sentence at `index` names no one
    else: 'The plot follows a sculptor, Gustaf Borgstrom. He hires a chorus girl.'"""
    if index + 1 >= len(all_sentences) or any(
        name_pattern(p.aliases).search(all_sentences[index]) for p in others
    ):
        return []
    opening = lower_words(all_sentences[index + 1])[:1]
    return [w for w in opening if w in SUBJECT_PRONOUNS]


def bound_pronouns(person: Persona, sentence: str, others: list[Persona]) -> list[str]:
    """The first pronoun after each (not possessive) mention of the person, unless another
    person is named first: 'Lola attempts to gain her father's trust' → 'her'. 'him' is
    skipped: after a name it is nearly always someone else ('Orla tells him her secret')."""
    found: list[str] = []
    other_names = [m.start() for p in others for m in name_pattern(p.aliases).finditer(sentence)]
    for match in name_pattern(person.aliases).finditer(sentence):
        if sentence[match.end() :].startswith(("'s", "\u2019s", "s'")):
            continue
        stop = min((s for s in other_names if s > match.end()), default=len(sentence))
        words = lower_words(sentence[match.end() : stop])
        pronouns = [w for w in words if w in GENDERED and w != "him"]  # 'tells him': another
        found += pronouns[:1]
    return found


def find_appositive(person: Persona, text: str) -> str | None:
    """'Mara Quinn, the last keeper of the light,' → 'the last keeper of the light'."""
    flat = " ".join(text.split())
    for alias in person.aliases:
        pattern = (
            rf"(?<![A-Za-z]){re.escape(alias)},\s+((?:an?|the|his|her|their)\s+[^,.;:!?*]{{3,90}}?)"
            r"(?:,|\.|;|:|\s+who\s|\s+whose\s|\s+\*)"
        )
        match = re.search(pattern, flat)
        if match and re.search(r"\b[A-Z][\w'-]*\s+and\s+$", flat[: match.start()]):
            continue  # 'Frantisek and Miluska, a barren couple': it describes both
        if match and len(match.group(1).split()) <= 14:
            # 'Shlykov, a taxi driver and Lyosha, a saxophonist': the list goes on to another
            described = re.split(r"\s+and\s+(?=[A-Z])", match.group(1))[0].strip()
            if match.group(0).endswith(",") and _adjectives_go_on(flat[match.end() :]):
                return _without_cut_phrase(described)
            return described
    return None


ADJECTIVE_LIST = re.compile(r"\s*([a-z][a-z-]*)\s+([a-z][a-z-]*)")
OBJECT_PRONOUNS = {"him", "her", "them", "it", "me", "us", "you", "himself", "herself"}
CUT_OBJECT = re.compile(
    r"\s+(?:with|of|for|from|in|on|at|about|without|like)\s+(?:an?|the|his|her|their)"
    r"\s+[\w-]+$"
)


def _adjectives_go_on(after_comma: str) -> bool:
    """After the comma that ended a description, a word that is no verb and then a noun
    ('a strong, lively personality'): the comma stood between two adjectives, not at the
    description's end ('a doctor, treats him', 'the keeper, climbs the stairs')."""
    match = ADJECTIVE_LIST.match(after_comma)
    if not match:
        return False
    first, second = match.groups()
    plain = FUNCTION_WORDS | OBJECT_PRONOUNS | DETERMINERS
    verb = _verb_like(first) and not first.endswith(("less", "ous", "ss"))  # 'restless'
    return not verb and first not in plain and second not in plain


def _without_cut_phrase(described: str) -> str | None:
    """'a young actress with a strong' → 'a young actress': the phrase the comma cut is
    dropped; a description that is nothing but that phrase ('a strong') is no description."""
    words = described.split()
    if len(words) < 3 or words[-2].lower() not in DETERMINERS:
        return described
    shortened = CUT_OBJECT.sub("", described)
    if shortened == described or len(shortened.split()) < 2:
        return None
    return shortened


def conflict_score(person: Persona, all_sentences: list[str]) -> int:
    """Conflict words in and right around the sentences that name the person."""
    near = {j for i in sentences_with(person, all_sentences) for j in (i - 1, i, i + 1)}
    return sum(
        min(2, sum(w in VILLAIN_WORDS for w in lower_words(all_sentences[j])))
        for j in sorted(near)
        if 0 <= j < len(all_sentences)
    )


def unnamed_people(all_sentences: list[str]) -> list[Persona]:
    """People the story only describes ('The boy resorts to black magic', 'the demon
    steps through'), heading enough clauses to matter."""
    nouns = FEMALE_NOUNS | MALE_NOUNS | UNNAMED_AGENTS
    heads: dict[str, set[int]] = {}
    seen: dict[str, list[int]] = {}
    pattern = re.compile(r"(?<![\w'])([Tt]he)\s+([a-z]+)\b(?!['\u2019])\s*(\w*)")
    for number, sentence in enumerate(all_sentences):
        for match in pattern.finditer(sentence):
            noun, after = match.group(2), match.group(3).lower()
            if noun not in nouns:
                continue
            seen.setdefault(noun, []).append(number)
            lead = lower_words(sentence[: match.start()])[-1:]
            head = (
                not lead
                or lead[0] in SUBJECT_LEADS
                or sentence[: match.start()].rstrip()[-1:] in (",", ";", ":")
            )
            acting = after in ACTING_WORDS or after in SPEECH_VERBS or _verb_like(after)
            if head and acting:
                heads.setdefault(noun, set()).add(number)
    people = []
    for noun, subjects in heads.items():
        if len(subjects) < UNNAMED_SUBJECTS:
            continue
        gender: Gender = (
            "female" if noun in FEMALE_NOUNS else "male" if noun in MALE_NOUNS else "unknown"
        )
        people.append(
            Persona(
                name=f"the {noun}",
                aliases=[f"the {noun}", f"The {noun}"],
                mentions=len(seen[noun]),
                first_sentence=min(seen[noun]),
                last_sentence=max(seen[noun]),
                gender=gender,
                subject_sentences=subjects,
            )
        )
    return people


def count_subjects(
    people: list[Persona], mentions: list[Mention], all_sentences: list[str]
) -> None:
    """How many sentences each person is the subject of: named at the head of a clause
    before a verb, or meant by a 'he'/'she' (the person of that gender named last)."""
    subject_in: dict[int, set[int]] = {id(p): set(p.subject_sentences) for p in people}
    for person in people:
        forms = set(person.aliases)
        subject_in[id(person)] |= {
            m.sentence
            for m in mentions
            if m.name in forms
            and _heads_clause(m)
            and (_acts(m) or m.appositive or m.after == "and" or (m.possessive and m.initial))
        }
    for number, pair in sentences_of_pair(people, mentions, all_sentences):
        for person in pair:
            subject_in[id(person)].add(number)
    last_named: dict[str, Persona] = {}
    for number, sentence in enumerate(all_sentences):
        events: list[tuple[int, Persona | None, str]] = [
            (match.start(), p, p.gender)
            for p in people
            for match in name_pattern(p.aliases).finditer(sentence)
        ]
        events += [
            (m.start(), None, SUBJECT_PRONOUNS[m.group(0).lower()])
            for m in SUBJECT_PRONOUN.finditer(sentence)
        ]
        for _, named, gender in sorted(events, key=lambda event: event[0]):
            if named is not None:
                last_named[gender] = named
            elif gender in last_named:
                subject_in[id(last_named[gender])].add(number)
    for person in people:
        person.subject_of = len(subject_in[id(person)])
        person.first_subject = min(subject_in[id(person)], default=None)


def sentences_of_pair(
    people: list[Persona], mentions: list[Mention], all_sentences: list[str]
) -> list[tuple[int, tuple[Persona, Persona]]]:
    """'Meanwhile, Oswald and Oliver gradually become obsessed ... They begin this latter
    task': a sentence opening on 'They' is the last pair named together as a subject."""
    owner = {alias: p for p in people for alias in p.aliases}
    pairs: dict[int, tuple[Persona, Persona]] = {}
    for first, second in pairwise(mentions):
        one, other = owner.get(first.name), owner.get(second.name)
        if (
            one is not None
            and other is not None
            and one is not other
            and first.sentence == second.sentence
            and first.after == "and"
            and second.before == "and"
            and _heads_clause(first)
            and not first.possessive
            and not second.possessive
        ):
            pairs.setdefault(first.sentence, (one, other))
    found: list[tuple[int, tuple[Persona, Persona]]] = []
    last_pair: tuple[Persona, Persona] | None = None
    for number, sentence in enumerate(all_sentences):
        if last_pair is not None and THEY_OPENING.match(sentence.lstrip()):
            found.append((number, last_pair))
        last_pair = pairs.get(number, last_pair)
    return found


def _heads_clause(mention: Mention) -> bool:
    return (
        mention.clause_initial
        or mention.before in SUBJECT_LEADS
        or mention.before in SENTENCE_OPENERS
    )


def assign_roles(people: list[Persona], all_sentences: list[str]) -> None:
    """Protagonist: the person the story follows (subject of many sentences, named early and
    still there late); antagonist: the one most tied to conflict words who never stands
    beside the protagonist ('Lola and Bo', 'Thomas and Crawford')."""
    if not people:
        return
    sentence_count = len(all_sentences)
    early = max(1, round(sentence_count * 0.15))
    span = max(1, sentence_count - 1)
    acting = [p for p in people if p.first_subject is not None]

    def first_acting(p: Persona) -> tuple[int, int]:
        sentence = all_sentences[p.first_subject or 0] if all_sentences else ""
        named = name_pattern(p.aliases).search(sentence)
        return (p.first_subject or 0, named.start() if named else len(sentence))

    first_actor = min(acting, key=first_acting, default=None)  # on a tie, the first named

    def centrality(p: Persona) -> tuple[float, int]:
        presence = (p.last_sentence - p.first_sentence) / span
        score = p.mentions + 2 * p.subject_of + 4 * presence
        score += (3 if p.first_sentence < early else 0) + (
            FIRST_ACTOR_WEIGHT if p is first_actor else 0
        )
        return (score, -p.first_sentence)

    focus = focus_of(people, all_sentences)
    living = [p for p in people if not dead_at_outset(p, all_sentences)]
    protagonist = focus or max(living or people, key=centrality)
    protagonist.role = "protagonist"
    rivals = [
        p
        for p in people
        if p is not protagonist
        and p.conflict >= 2
        and p.mentions >= 2
        and not side_by_side(p, protagonist, all_sentences)
        and not in_love(p, protagonist, all_sentences)
        and not harmed(p, all_sentences)
    ]
    if rivals:
        max(rivals, key=lambda p: (p.conflict, p.mentions)).role = "antagonist"
    threshold = max(2, 0.2 * protagonist.mentions)
    for person in people:
        if person.role == "minor" and person.mentions >= threshold:
            person.role = "supporting"


def focus_of(people: list[Persona], all_sentences: list[str]) -> Persona | None:
    """The person a synopsis says it is about ('The story begins with Hannah, ...', 'The plot
    revolves around Catherine'): the first person named within a few words of the cue, in
    the story's first sentences."""
    for sentence in all_sentences[:FOCUS_SENTENCES]:
        cue = FOCUS_CUE.search(sentence)
        if cue is None:
            continue
        window = sentence[cue.end() : cue.end() + FOCUS_WINDOW]
        named = [
            (match.start(), person)
            for person in people
            for match in [name_pattern(person.aliases).search(window)]
            if match is not None and not set(lower_words(window[: match.start()])) & NOT_FOCUS
        ]
        if named:
            return min(named, key=lambda found: found[0])[1]
    for sentence in all_sentences:
        for cue in HERO_CUE.finditer(sentence):
            hero = next(
                (p for p in people if name_pattern(p.aliases).match(sentence, cue.end())), None
            )
            if hero is not None:
                return hero
    return None


def dead_at_outset(person: Persona, all_sentences: list[str]) -> bool:
    """'Inspector Shankar is assigned to investigate the mysterious death of Sunder Singh':
    someone whose death the story opens on is what it follows up, not whom it follows ('the
    death of Kid's father' is the father's)."""
    name = name_pattern(person.aliases).pattern
    death = re.compile(
        rf"\b(?:{DEATH_NOUNS})\s+of\s+(?:the\s+)?{name}(?!['\u2019]s)|{name}(?:'s|\u2019s)\s+"
        rf"(?:[\w-]+\s+)?(?:{DEATH_NOUNS})\b"
    )
    return any(death.search(sentence) for sentence in all_sentences[:FOCUS_SENTENCES])


def side_by_side(one: Persona, other: Persona, all_sentences: list[str]) -> bool:
    """Named together as one subject or object: 'Lola and Bo', 'Kate and Thomas'."""
    first, second = name_pattern(one.aliases).pattern, name_pattern(other.aliases).pattern
    pair = re.compile(rf"{first}\s+and\s+{second}|{second}\s+and\s+{first}")
    return any(pair.search(sentence) for sentence in all_sentences)


def in_love(one: Persona, other: Persona, all_sentences: list[str]) -> bool:
    """Joined by words of love, a few words apart: 'Kate is in love with Bluey'."""
    first, second = name_pattern(one.aliases).pattern, name_pattern(other.aliases).pattern
    gap = r"(?:\W+[\w']+){0,3}?\W+"
    love = LOVE.pattern
    pair = re.compile(rf"{first}{gap}{love}{gap}{second}|{second}{gap}{love}{gap}{first}")
    return any(pair.search(sentence) for sentence in all_sentences)


def harmed(person: Persona, all_sentences: list[str]) -> bool:
    """The subject of a passive of harm ('Peter Linton is killed'): a victim, not a villain."""
    passive = re.compile(rf"{name_pattern(person.aliases).pattern}\s+{HARMED.pattern}")
    return any(passive.search(sentence) for sentence in all_sentences)


def antecedent(gender: str, before: str, people: list[Persona]) -> Persona | None:
    """Whom a leading 'she'/'he' means: the person of that gender named last before it."""
    latest: tuple[int, Persona] | None = None
    for person in people:
        if person.gender != gender:
            continue
        ends = [m.end() for m in name_pattern(person.aliases).finditer(before)]
        if ends and (latest is None or ends[-1] > latest[0]):
            latest = (ends[-1], person)
    return latest[1] if latest else None


def count_mentions(person_aliases: list[str], text: str) -> int:
    """Mentions of a person in a text, counting each name occurrence once."""
    return len(name_pattern(person_aliases).findall(text))
