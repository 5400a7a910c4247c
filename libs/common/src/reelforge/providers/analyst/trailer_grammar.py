"""Whole sentences for a trailer voiceover, made from a synopsis's own sentences.

Cutting a source sentence to a word budget is what breaks grammar ("the Kid comes across a
beautiful."), so nothing here cuts at an arbitrary word. A sentence is cleaned (leading
connectives and subordinate lead-ins dropped, brackets removed), then shortened only at
clause boundaries that leave an independent clause standing ('…, who…', '…, but…',
'… while…'), and every form is checked to open on a subject followed by a finite verb and to
end on a content word. Sentences that tell how the story ends (its last fifth, or words such
as 'dies', 'are reunited', 'in the end') are never offered.
"""

from __future__ import annotations

import re

from reelforge.providers.analyst.lexicons import (
    FUNCTION_WORDS,
    IRREGULAR_FINITE_VERBS,
    OUTCOME_PHRASES,
    RESOLUTION_PHRASES,
)
from reelforge.providers.analyst.phrasing import without_fronted_phrase

RESOLUTION_SHARE = 0.75
"""Text from (about) this point of the story on is its resolution: never narrated."""
OUTCOME_FREE_SHARE = 0.35
"""Before this point an outcome word ('killed') is setup, not the ending."""
MIN_WORDS = 3
MAX_SUBJECT_WORDS = 8
SUBJECT_PHRASE_WORDS = {"and", "of", "from", "in", "at", "with", "the", "a", "an", "her", "his"}
"""Words a subject may hold before its verb ('the boy from her district has…')."""

BRACKETED = re.compile(r"\s*[(\[{][^)\]}]*[)\]}]")
DISCOURSE_LEAD = re.compile(
    r"^(?:however|meanwhile|later(?: on)?|then|subsequently|afterwards?|after that|"
    r"in the mean ?time|at first|soon after(?:wards)?|also|thus|therefore|consequently|"
    r"nevertheless|nonetheless|instead|moreover|furthermore|besides|and|but|so|now|still|"
    r"concurrently|fortunately(?: for \w+)?|unfortunately(?: for \w+)?|surprisingly|"
    r"one day|the next day|the next morning|next|here|there|indeed|in addition|"
    r"as a result|in turn|at this point|by then|to (?:his|her|their) (?:surprise|horror|dismay))"
    r"\b,?\s+",
    re.IGNORECASE,
)
SUBORDINATE_OPENERS = {
    "when",
    "while",
    "whilst",
    "after",
    "before",
    "since",
    "because",
    "although",
    "though",
    "as",
    "once",
    "upon",
    "despite",
    "until",
    "if",
    "with",
    "without",
    "having",
    "in",
    "on",
    "at",
    "during",
    "by",
    "from",
    "following",
    "over",
    "within",
    "to",
    "for",
    "unable",
    "unaware",
    "determined",
    "desperate",
    "set",
    "back",
    "like",
    "seeking",
    "realizing",
    "realising",
    "knowing",
    "not",
    "now",
}
TRAILING_CUTS = re.compile(
    r"(?:,\s+(?:who|whom|whose|which|where|while|whilst|as|when|because|although|though|"
    r"until|before|after|only to|so that|unaware|not knowing|leaving|forcing|causing|"
    r"making|setting|ending|hoping|thinking|believing|prompting|resulting|eventually|"
    r"and then|but|and|then|yet|so)\b"
    r"|\s+(?:while|whilst|because|although|though|until|only to|so that|in order to|"
    r"and then|before|after|when|as|since|unless)\s+"
    r"|\s+(?:and|but)\s+(?=(?:then\s+|also\s+|soon\s+)?[a-z]+(?:s|ed)\b)"
    r"|;\s+|:\s+|\s+-\s+|,\s+[a-z]+ing\b)"
)
META = re.compile(
    r"\b(?:the|this)\s+(?:film|movie|cartoon|episode|picture|sequel|remake)\b|"
    r"^(?:the|this|that)\s+(?:story|plot|novel|book|show|narrative|series|opening)\b|"
    r"\bmain theme\b|^it\s+(?:tells|follows|presents|depicts|is about|revolves|focuses)\b|"
    r"\bcharacter study\b|(?-i:(?:Herald|Journal|Gazette|Tribune|Chronicle|Times|Weekly"
    r"|Magazine)[\w-]*)\s+(?:says|said|writes|wrote|calls|called|notes|noted)\b",
    re.IGNORECASE,
)
"""Sentences about the film rather than in it ('The film follows…', 'It tells the story…'),
and a review's ('Ringel of the Atlanta Journal-Constitution says that…', 'a likable
character study')."""
PRONOUN_SUBJECTS = {
    "he",
    "she",
    "they",
    "it",
    "we",
    "i",
    "you",
    "everyone",
    "everybody",
    "nobody",
    "someone",
    "anyone",
}
PLURAL_SUBJECTS = {"they", "we", "you", "i"}
DETERMINERS = {
    "the",
    "a",
    "an",
    "his",
    "her",
    "their",
    "its",
    "this",
    "that",
    "these",
    "those",
    "one",
    "two",
    "three",
    "some",
    "every",
    "each",
    "all",
    "both",
    "no",
    "another",
    "our",
    "my",
    "your",
}
ADVERBS = {
    "then",
    "also",
    "soon",
    "still",
    "even",
    "never",
    "now",
    "only",
    "just",
    "secretly",
    "quickly",
    "suddenly",
    "immediately",
    "again",
    "always",
    "already",
    "not",
    "together",
    "both",
}
OUTCOME_WORDS = re.compile(rf"\b(?:{'|'.join(OUTCOME_PHRASES)})\b", re.IGNORECASE)
RESOLUTION_CUES = re.compile(rf"\b(?:{'|'.join(RESOLUTION_PHRASES)})\b", re.IGNORECASE)
SUBJECT_APPOSITIVE = re.compile(r"^([^,]{1,40}), ([^,]{1,90}), (.+)$")
VERB_SERIES = re.compile(r", [a-z]+(?:s|ed)\b")
QUANTIFIERS = {"few", "many", "several", "other", "more", "most", "two", "three", "four"}
PARTICLES = {"out", "up", "down", "off", "away", "back", "together", "home"}
IRREGULAR_PLURALS = {"people", "men", "women", "children", "police", "folk", "townsfolk", "crew"}
WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019-]*")


def _tokens(text: str) -> list[str]:
    return WORD.findall(text)


def is_resolution(sentence: str, share: float) -> bool:
    """Whether a sentence at `share` (0..1) of the story tells how it ends."""
    if share >= RESOLUTION_SHARE or RESOLUTION_CUES.search(sentence):
        return True
    return share >= OUTCOME_FREE_SHARE and OUTCOME_WORDS.search(sentence) is not None


def is_meta(sentence: str) -> bool:
    """'The film follows…', 'It tells the story of…': about the film, not in it."""
    return META.search(sentence) is not None


def finite_verb_at(tokens: list[str], start: int, plural: bool) -> int | None:
    """Index of the finite verb right after a subject ending before `start`, allowing
    adverbs between ('Thomas then jumps')."""
    i = start
    while i < len(tokens) and tokens[i].lower() in ADVERBS:
        i += 1
    if i >= len(tokens):
        return None
    word = tokens[i]
    lower = word.lower()
    if word[:1].isupper() or lower in FUNCTION_WORDS - IRREGULAR_FINITE_VERBS:
        return None
    if lower in IRREGULAR_FINITE_VERBS:
        return i
    after_determiner = i > 0 and tokens[i - 1].lower() in DETERMINERS | QUANTIFIERS
    if lower.endswith(("'s", "ss", "ly")) or after_determiner:
        return None
    if lower.endswith(("s", "ed")):
        return i
    if not plural or lower.endswith("ing"):
        return None
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    # a base form ('decide', 'drool') is a verb when an object or a preposition follows
    plain = bool(following) and (
        following[:1].isupper() or following.lower() in FUNCTION_WORDS | PARTICLES
    )
    return i if plain else None


def opens_with_clause(text: str) -> bool:
    """Subject then finite verb: 'Mara sees', 'The shooter is', 'Milan and Goran decide',
    'Lola's father refuses'."""
    tokens = _tokens(text.split(",")[0])
    if len(tokens) < 2:
        return False
    first = tokens[0].lower()
    if first in SUBORDINATE_OPENERS or first in FUNCTION_WORDS - PRONOUN_SUBJECTS - DETERMINERS:
        return False
    if first in PRONOUN_SUBJECTS:
        return finite_verb_at(tokens, 1, first in PLURAL_SUBJECTS) is not None
    if first == "there":
        return tokens[1].lower() in {"is", "are", "was", "were", "has", "have", "had", "will"}
    plural = False
    i = 0
    if first in DETERMINERS:
        i = 1
    elif not tokens[0][:1].isupper():
        return False
    for j in range(i, min(len(tokens), i + MAX_SUBJECT_WORDS)):
        word = tokens[j]
        if word.lower() == "and":
            plural = True
            continue
        if j > i and finite_verb_at(tokens, j, plural or _plural_noun(tokens[j - 1])) is not None:
            return True
        if word[:1].islower() and word.lower() in FUNCTION_WORDS - SUBJECT_PHRASE_WORDS:
            return False
    return False


def _plural_noun(word: str) -> bool:
    lower = word.lower()
    return lower in IRREGULAR_PLURALS or (
        word[:1].islower() and lower.endswith("s") and not lower.endswith("ss")
    )


def ends_cleanly(text: str) -> bool:
    tokens = _tokens(text)
    if not tokens:
        return False
    last = tokens[-1]
    return last.lower() not in FUNCTION_WORDS and not last.endswith(("'s", "\u2019s"))


def balanced(text: str) -> bool:
    return text.count('"') % 2 == 0 and text.count("(") == text.count(")")


def is_complete(text: str) -> bool:
    """A standalone sentence: subject + finite verb, at least three words, no dangling end."""
    return (
        len(_tokens(text)) >= MIN_WORDS
        and opens_with_clause(text)
        and ends_cleanly(text)
        and balanced(text)
    )


def cleaned(sentence: str) -> str:
    """Brackets and quotes gone, leading connectives ('However,', 'And but') and a leading
    subordinate phrase ('When Woody is broke, …', 'After several hustles, …') dropped when
    what follows stands as a clause."""
    text = BRACKETED.sub("", sentence)
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace('"', "")
    text = " ".join(text.split()).strip()
    for _ in range(4):
        stripped = DISCOURSE_LEAD.sub("", text, count=1)
        if stripped == text:
            break
        text = _capitalised(stripped)
    head, comma, rest = text.partition(", ")
    head_words = _tokens(head)
    if (
        comma
        and head_words
        and head_words[0].lower() in SUBORDINATE_OPENERS
        and len(head_words) <= 14
        and opens_with_clause(_without_subject_appositive(rest))
    ):
        text = _capitalised(rest)
    if not opens_with_clause(text):
        unfronted = without_fronted_phrase(text)
        if "," not in text[: len(text) - len(unfronted)]:
            text = unfronted
    return _without_subject_appositive(text).rstrip(" ,;:")


def _without_subject_appositive(text: str) -> str:
    """'Lola's father, Victor, refuses…' → 'Lola's father refuses…'."""
    match = SUBJECT_APPOSITIVE.match(text)
    if match and not opens_with_clause(text):
        shorter = f"{match.group(1)} {match.group(3)}"
        if opens_with_clause(shorter):
            return shorter
    return text


def _inside_list(head: str, cut: str) -> bool:
    """A cut inside a list: 'leaving Kay, Matt' (…, and Mark), 'a life of hunting' (…,
    fishing and…)."""
    last_segment = head.rsplit(", ", 1)[-1] if ", " in head else ""
    if last_segment and len(last_segment.split()) <= 2 and not opens_with_clause(last_segment):
        return True
    return cut.strip(", ").endswith("ing") and head.rstrip().endswith("ing")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def shorter_forms(sentence: str) -> list[str]:
    """A cleaned sentence and its cuts at clause boundaries, longest first; only complete
    forms. Empty when the sentence cannot stand alone."""
    text = cleaned(sentence)
    forms = [text]
    for match in TRAILING_CUTS.finditer(text):
        head = text[: match.start()]
        if "," not in match.group(0) and VERB_SERIES.search(head):
            continue  # 'takes the boat, climbs the path' needs its 'and kicks…'
        if _inside_list(head, match.group(0)):
            continue
        forms.append(head)
    result = []
    for form in forms:
        form = form.rstrip(" ,;:.!?")
        if is_complete(form) and not _inside_list(form, ""):
            result.append(_capitalised(form) + ".")
    return list(dict.fromkeys(result))
