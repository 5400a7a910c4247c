"""Small phrase surgery shared by summaries, loglines and narration.

Cutting a sentence to a word budget must never leave it hanging on "the" or "of": cuts land
on a content word, preferably right before a preposition, conjunction or comma.
"""

from __future__ import annotations

import re

from reelforge.providers.analyst.lexicons import BREAK_WORDS, FUNCTION_WORDS, HONORIFICS
from reelforge.providers.analyst.text import clauses

UNNATURAL_CUT_COST = 4.0
COMMA_BONUS = 0.75
OVERFLOW_COST = 0.5
LEAD_IN_WORDS = {
    "with",
    "on",
    "in",
    "at",
    "by",
    "after",
    "before",
    "when",
    "as",
    "far",
    "aboard",
    "during",
    "from",
    "that",
    "then",
    "every",
    "one",
    "for",
    "until",
    "along",
    "across",
    "beneath",
    "inside",
    "outside",
    "through",
    "under",
    "over",
    "above",
    "below",
    "beyond",
    "beside",
    "near",
    "into",
    "high",
    "deep",
    "later",
    "now",
    "soon",
    "years",
    "hours",
    "somewhere",
}
CLAUSE_INSIDE = re.compile(r"\b(?:[A-Z][a-z]+|she|he|they|it|we|I)\s+[a-z]+(?:s|ed)\b")
"""A subject followed by a finite verb: 'Mara sees', 'she climbed'."""
SUBJECTS = {"she", "he", "they", "we", "I", "it"}
DETERMINERS = {"a", "an", "the", "her", "his", "their", "its", "one", "every", "my", "our"}
VERB_FORM = re.compile(r"^[a-z]+(?:s|ed)$")
APPOSITIVE = re.compile(r"([A-Z][A-Za-z']+), (?:a|an|the|his|her|their) [^,;.!?]{2,70}?(, |[.!?]$)")
"""A name followed by a description between commas, or closing the sentence."""
SUBJECT_PRONOUNS = {"She": "female", "He": "male"}


def _bare(token: str) -> str:
    return token.strip(".,;:!?\"'()").lower()


def fit_words(text: str, budget: int) -> str:
    """`text` cut to about `budget` words at the most natural point (never on a function word)."""
    tokens = text.split()
    if len(tokens) <= budget:
        return text.strip().rstrip(",;:")
    best_length, best_cost = len(tokens), float("inf")
    for length in range(2, len(tokens)):
        cost = _cut_cost(tokens, length, budget)
        if cost < best_cost:
            best_length, best_cost = length, cost
    return " ".join(tokens[:best_length]).rstrip(",;:")


def fit_naturally(text: str, budget: int) -> str | None:
    """Like fit_words, but None unless the text fits whole or breaks at a natural point
    close to the budget: for optional extra content that must not read mangled."""
    tokens = text.split()
    if len(tokens) <= budget:
        return text.strip()
    natural = [
        length
        for length in range(max(3, budget // 2), min(len(tokens), budget + 3))
        if _natural_cut(tokens, length)
    ]
    if not natural:
        return None
    best = min(natural, key=lambda length: _cut_cost(tokens, length, budget))
    return " ".join(tokens[:best]).rstrip(",;:")


def _natural_cut(tokens: list[str], length: int) -> bool:
    """Ends on a content word, before a comma, conjunction or preposition, and is more
    than a fronted phrase ('But along the harbour wall,' says nothing yet)."""
    last = tokens[length - 1]
    if _bare(last) in FUNCTION_WORDS:
        return False
    if _is_lead_in(" ".join(tokens[:length])):
        return False
    return last.endswith((",", ";", ":")) or _bare(tokens[length]) in BREAK_WORDS


def _cut_cost(tokens: list[str], length: int, budget: int) -> float:
    if _bare(tokens[length - 1]) in FUNCTION_WORDS:
        return float("inf")
    cost = abs(length - budget) + (0 if _natural_cut(tokens, length) else UNNATURAL_CUT_COST)
    cost -= COMMA_BONUS if tokens[length - 1].endswith((",", ";", ":")) else 0
    return cost + (OVERFLOW_COST if length > budget else 0)


def without_appositives(sentence: str, people: set[str], places: set[str]) -> str:
    """'Mara Quinn, the last keeper of the light, climbs' → 'Mara Quinn climbs'; 'moving in
    Blackwood, the pine forest above the bay.' → 'moving in Blackwood.' A place that opens
    the sentence keeps what follows ('On Gull Point, the wreckers light…' is a clause)."""

    def drop(match: re.Match[str]) -> str:
        name = match.group(1)
        opening = len(sentence[: match.start()].split()) < 4
        ending = match.group(2)
        if name in people:
            return f"{name} " if ending == ", " else f"{name}{ending}"
        if name in places and not opening:
            return f"{name}{ending}"
        return match.group(0)

    return APPOSITIVE.sub(drop, sentence)


def without_lead_in(sentence: str) -> str:
    """'With no oil left, Mara tears the tower apart' → 'Mara tears the tower apart';
    stacked lead-ins ('That night, for the first time, …') all go."""
    while True:
        head, comma, rest = sentence.partition(", ")
        if not (comma and _is_lead_in(head) and len(rest.split()) >= 3):
            return sentence
        sentence = rest[:1].upper() + rest[1:]


def _is_lead_in(phrase: str) -> bool:
    """A fronted time/place phrase ('At dawn', 'On Gull Point'), not a clause ('Mara sees…')."""
    words = phrase.strip(" ,").split()
    while words and words[0].lower() in ("but", "and", "then"):
        words = words[1:]
    if not words or words[0].lower() not in LEAD_IN_WORDS or len(words) > 10:
        return False
    return CLAUSE_INSIDE.search(" ".join(words[1:])) is None


def without_fronted_phrase(sentence: str) -> str:
    """'On the cliff edge she finds men…' → 'She finds men…' (no comma marks the phrase, so
    it ends where a subject and its verb begin)."""
    tokens = sentence.split()
    if not tokens or _bare(tokens[0]) not in LEAD_IN_WORDS:
        return sentence
    for i in range(1, min(11, len(tokens) - 2)):
        subject, verb = tokens[i], tokens[i + 1]
        relative = VERB_FORM.match(tokens[i + 2])  # 'Every answer he finds opens…': the
        # subject and verb belong to a clause inside the phrase, not after it
        if (
            (subject in SUBJECTS or subject[:1].isupper())
            and VERB_FORM.match(verb)
            and not relative
        ):
            rest = " ".join(tokens[i:])
            return rest[:1].upper() + rest[1:]
    return sentence


def variants(sentence: str) -> list[str]:
    """Ways to say a sentence shorter without cutting it mid-phrase, longest first."""
    short = without_fronted_phrase(without_lead_in(sentence))
    options = [
        sentence,
        without_lead_in(sentence),
        short,
        main_clause(sentence),
        main_clause(short),
    ]
    return [o for o in dict.fromkeys(options) if len(o.split()) >= 3]


def main_clause(sentence: str) -> str:
    """The first clause with enough words to carry an action."""
    parts = clauses(sentence) or [sentence]
    return next((part for part in parts if len(part.split()) >= 3), parts[0])


def pronouns(gender: str) -> dict[str, str]:
    if gender == "female":
        return {"sub": "she", "obj": "her", "pos": "her"}
    if gender == "male":
        return {"sub": "he", "obj": "him", "pos": "his"}
    return {"sub": "they", "obj": "them", "pos": "their"}


def leading_pronoun_gender(text: str) -> str | None:
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return SUBJECT_PRONOUNS.get(first)


def replace_leading_pronoun(text: str, name: str) -> str:
    first, _, rest = text.partition(" ")
    return f"{name} {rest}" if first in SUBJECT_PRONOUNS else text


def lower_first(text: str, proper: set[str]) -> str:
    """Lowercase the first word for joining after an opener, unless it is a proper noun."""
    words = text.split(maxsplit=2)
    first = words[0] if words else ""
    bare = first.strip(".,;:!?\"'")
    owner = bare.removesuffix("'s").removesuffix("\u2019s")  # "Creasy's life"
    if not bare or owner in proper or bare == "I" or (len(bare) > 1 and bare.isupper()):
        return text
    if bare.lower() in HONORIFICS and len(words) > 1 and words[1][:1].isupper():
        return text  # 'Lieutenant Crowe'

    return text[:1].lower() + text[1:]


def noun_phrases(text: str) -> list[str]:
    """'a lighthouse keeper', 'her daughter's ship': short determiner phrases, in order, for
    stories too short to give every scene a sentence of its own."""
    tokens = re.findall(r"[A-Za-z']+", text)
    found: list[str] = []
    for i, token in enumerate(tokens):
        if token.lower() not in DETERMINERS:
            continue
        phrase = [token.lower()]
        for word in tokens[i + 1 : i + 3]:
            if word.lower() in FUNCTION_WORDS or word.endswith(("ing", "ed", "ly")):
                break
            phrase.append(word)
        if len(phrase) > 1:
            found.append(" ".join(phrase))
    return list(dict.fromkeys(found))
