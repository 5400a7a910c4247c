"""How the script stage reads on plot summaries nobody on the project wrote.

For every synopsis of bench/corpus/plots-dev.tsv (rows 1-52), plots-heldout.tsv (rows 53-66),
plots-fresh.tsv (rows 67-96), plots-fresh-c.tsv (rows 97-111), plots-fresh-d.tsv (rows
112-126) and plots-fresh-e.tsv (rows 127-141) the script stage runs offline, in process (the
function `reelforge script` calls), and this reports:

- broken lines: narration lines that are not complete sentences (see `line_faults`);
- revealed endings: synopses with a narration line drawn from the story's last fifth;
- cast: on the rows annotated by hand (bench/corpus/cast-annotations.json), the share of
  cast entries that are real characters (precision), the share of annotated persons the text
  names at least twice that the cast holds (recall), and whether the protagonist is the right
  one.

Rows 1-66 are tuning rows; rows 67-81 (batch A), 82-96 (batch B), 97-111 (batch C),
112-126 (batch D) and 127-141 (batch E) were each held out, measured once, then tuned on
(bench/README.md has the figures); the next held-out rows must be new text. The figures are
printed for each set apart, and for the one-line ideas of bench/corpus/ideas.txt (broken
lines and distinct titles). The last line is machine-readable, for the last set that ran.

    .venv/bin/python bench/script_quality.py [--rows 67-81] [--examples 10] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reelforge.models import Document, JobSettings, Script
from reelforge.providers.analyst.lexicons import TEASES
from reelforge.settings import Settings
from reelforge_ingest.documents import extract_document, idea_document
from reelforge_script.standalone import script_only

CORPUS = Path(__file__).resolve().parent / "corpus"
PLOTS = (CORPUS / "plots-dev.tsv", CORPUS / "plots-heldout.tsv", CORPUS / "plots-fresh.tsv",
         CORPUS / "plots-fresh-c.tsv", CORPUS / "plots-fresh-d.tsv", CORPUS / "plots-fresh-e.tsv")
ANNOTATIONS = CORPUS / "cast-annotations.json"
IDEAS = CORPUS / "ideas.txt"
ROW_SETS = (
    ("tuning rows 1-66", range(1, 67)),
    ("batch A rows 67-81", range(67, 82)),
    ("batch B rows 82-96", range(82, 97)),
    ("batch C rows 97-111", range(97, 112)),
    ("batch D rows 112-126", range(112, 127)),
    ("batch E rows 127-141", range(127, 142)),
)

# --------------------------------------------------------------------------- sentences

DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "his", "her", "their",
               "its", "my", "your", "our", "some", "any", "every", "each", "no"}
PREPOSITIONS = {"of", "in", "on", "at", "to", "for", "with", "from", "by", "about", "into",
                "onto", "upon", "over", "under", "after", "before", "during", "through",
                "across", "against", "among", "between", "without", "within", "towards",
                "toward", "than", "via", "beyond"}
CONJUNCTIONS = {"and", "but", "or", "nor", "so", "yet", "because", "while", "when",
                "although", "though", "if", "as", "whether", "where", "who", "whom", "which",
                "whose", "until", "unless", "since", "once"}
DANGLING_ENDS = (PREPOSITIONS | CONJUNCTIONS
                 | {"a", "an", "the", "his", "their", "its", "my", "your", "our", "every"})
"""A sentence ending on one of these was cut mid-phrase ("her" and "this" end sentences)."""
STRAY_OPENERS = {"however", "moreover", "furthermore", "therefore", "thus", "whereas",
                 "although", "though", "since", "because", "instead", "also", "hence",
                 "consequently", "nevertheless", "nonetheless"}
"""Openers that point at a sentence the narration does not have ("However, ...")."""
COORDINATORS = {"and", "but", "or", "so", "yet"}
CLASHING_SECOND = {"and", "but", "or"} | STRAY_OPENERS - {"instead", "also"}
"""After a coordinator, these make a stray pair ("And but", "And however")."""
ADJECTIVE_ENDINGS = ("ful", "ous", "ive", "able", "ible", "ical", "ish", "less", "ic")
NOUNS_LIKE_ADJECTIVES = {"music", "clinic", "panic", "republic", "magic", "traffic", "topic",
                         "critic", "public", "relative", "detective", "executive", "native",
                         "motive", "captive", "fugitive", "explosive", "objective", "table",
                         "cable", "stable", "fable", "bible"}
FINITE_VERBS = {
    "is", "are", "was", "were", "am", "be", "has", "have", "had", "do", "does", "did", "will",
    "would", "can", "could", "must", "may", "might", "shall", "should", "won't", "can't",
    "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "it's", "there's",
    "he's", "she's", "they're", "we're", "you're", "i'm", "what's", "nothing's", "let's",
    "went", "came", "took", "found", "made", "knew", "saw", "met", "fell", "ran", "began",
    "left", "told", "gave", "got", "became", "brought", "thought", "kept", "lost", "won",
    "fought", "held", "stood", "sat", "rose", "broke", "chose", "drove", "flew", "forgot",
    "hid", "led", "meant", "paid", "said", "sent", "shot", "sold", "spoke", "stole", "struck",
    "swore", "taught", "threw", "understood", "woke", "wrote", "ate", "felt", "heard", "built",
    "caught", "fled", "hung", "lay", "sought", "slept", "spent", "stuck", "tore", "wept",
    "bought", "drew", "grew", "knelt", "rode", "sang", "sank", "shook", "slid", "swam",
    "put", "set", "let", "hit", "cut", "quit", "bet", "hurt", "cast", "burst", "shut",
}
IMPERATIVES = {"survive", "run", "fear", "trust", "believe", "remember", "meet", "find",
               "save", "hold", "fight", "never", "don't", "listen", "look", "watch", "wait",
               "see", "come", "get", "go", "stay", "forget", "keep", "pray", "hide", "follow",
               "leave", "take", "welcome", "prepare", "witness", "discover", "imagine", "dare"}
SUBJECT_PRONOUNS = {"i", "you", "we", "they", "he", "she", "it", "who", "nobody",
                    "someone", "everyone", "nothing", "everything", "something",
                    "men", "women", "children", "people", "police"}
ADVERBS_BEFORE_VERBS = {"then", "now", "also", "still", "never", "always", "finally", "soon",
                        "only", "just", "both", "all", "together", "suddenly", "secretly"}
NOT_VERBS_ENDING_IN_S = {"this", "his", "its", "is", "was", "as", "us", "yes", "less", "thus",
                         "perhaps", "always", "sometimes", "towards", "afterwards", "across",
                         "ways", "news", "hers", "ours", "yours", "theirs", "unless",
                         "whereas", "various", "serious", "famous", "dangerous", "nervous",
                         "mysterious", "glorious", "jealous", "anxious", "curious", "previous",
                         "obvious", "enormous", "ruthless", "endless", "reckless", "helpless",
                         "homeless", "fearless", "countless", "relentless", "merciless"}
SHORT_FRAGMENT_WORDS = 4
"""A verbless sentence this short is a deliberate trailer fragment ("One last chance."),
unless it opens with a coordinator, which promises a clause ("But their passion soon.")."""

WORD = re.compile(r"[A-Za-zÀ-ÿ'’]+(?:-[A-Za-zÀ-ÿ'’]+)*")
MARKUP = re.compile(r"\{\{|\}\}|\[\[|\]\]|https?://|<ref|\|")


def words_of(text: str) -> list[str]:
    return [w.replace("’", "'") for w in WORD.findall(text)]


STOPWORDS_FOR_VERBS = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | ADVERBS_BEFORE_VERBS


def plural_or_name_before(words: list[str], position: int) -> bool:
    """A lowercase word after a plural noun or a name ("the lies start", "Chris and Debbie
    go", "the Rosarios then try") is taken for a present-tense verb."""
    before = position - 1
    while before >= 0 and words[before].lower() in ADVERBS_BEFORE_VERBS:
        before -= 1
    if before < 0:
        return False
    subject = words[before]
    lowered = subject.lower()
    return ((subject[:1].isupper() and before > 0) or lowered in SUBJECT_PRONOUNS
            or (lowered.endswith("s") and not lowered.endswith(("ss", "'s"))
                and lowered not in NOT_VERBS_ENDING_IN_S and lowered not in STOPWORDS_FOR_VERBS))


def has_finite_verb(words: list[str]) -> bool:
    lowered = [w.lower() for w in words]
    for position, word in enumerate(lowered):
        if word in FINITE_VERBS:
            return True
        if position == 0 and word in IMPERATIVES:
            return True
        if position > 0 and lowered[position - 1] in SUBJECT_PRONOUNS and word.isalpha():
            return True
        capitalised = words[position][:1].isupper()
        if capitalised and position > 0:
            continue  # a name, not a verb
        if plural_or_name_before(words, position) and word not in STOPWORDS_FOR_VERBS:
            return True
        if (len(word) > 3 and word.endswith("ed") and "-" not in word
                and (position == 0 or lowered[position - 1] not in DETERMINERS)):
            return True
        if (len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "'s"))
                and word not in NOT_VERBS_ENDING_IN_S
                and (position == 0 or lowered[position - 1] not in DETERMINERS)):
            return True
    return False


RELATIVE_CLAUSE = re.compile(r",\s*(?:who|which|whose|whom)\b[^,]*(?:,|$)")
"""", who has carried guilt," : its verb is not the sentence's own."""
VERBS_THAT_NEED_MORE = {
    "informs", "tells", "tries", "begins", "says", "realizes", "decides", "wants", "needs",
    "convinces", "asks", "reveals", "learns", "starts", "continues", "agrees", "manages",
    "refuses", "attempts", "hopes", "plans", "promises", "threatens", "forces", "allows",
    "makes", "takes", "gives", "brings", "sends", "puts", "becomes", "seems", "tried",
    "began", "decided", "wanted", "told", "asked", "managed", "refused", "attempted"}
"""A sentence that ends on one of these was cut before its object ("Ritu, a doctor,
informs.")."""

CUT_BEFORE_OBJECT = re.compile(r"(?:,|\bthen|\band|\balso|\bfinally)\s+[a-z]+\W*$")
"""The verb ends the sentence right after a comma or a connective, with no subject of its
own before it ("Ritu Patel, a doctor, informs.", "He starts out well, then tries.")."""

SENTENCE = re.compile(r"[^.!?…]+[.!?…]*[\"'”’)]*")
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "lt", "sgt", "capt", "prof", "col",
                 "gen", "rev", "mt", "vs", "no"}
"""A full stop after these, or after an initial ('Wile E. Coyote'), ends no sentence."""


def sentences_of(body: str) -> list[str]:
    found: list[str] = []
    for piece in SENTENCE.findall(body):
        previous = words_of(found[-1])[-1:] if found else []
        if previous and found[-1].rstrip().endswith(".") and (
                previous[0].lower() in ABBREVIATIONS
                or (len(previous[0]) == 1 and previous[0].isupper())):
            found[-1] += piece
        else:
            found.append(piece)
    return found


def line_faults(text: str) -> list[str]:
    """Why a narration line is not made of complete sentences; empty when it is. A line may
    hold several sentences (a scene line and the tag); each is judged on its own."""
    body = text.strip()
    faults: list[str] = []
    for sentence in sentences_of(body):
        faults += sentence_faults(sentence.strip())
    if body.count('"') % 2 or body.count("(") != body.count(")") \
            or body.count("[") != body.count("]") or body.count("“") != body.count("”"):
        faults.append("unbalanced quotes or brackets")
    if MARKUP.search(body):
        faults.append("wiki markup")
    return faults or ([] if words_of(body) else ["empty"])


def stranded_on_purpose(lowered: list[str]) -> bool:
    """A preposition may end a question or a tag ("What are you fighting for?", "Some
    things are worth burning for.")."""
    return lowered[-1] in PREPOSITIONS and bool(
        {"worth", "what", "who", "whom", "which", "where", "everything", "something",
         "nothing", "anything"} & set(lowered))


def sentence_faults(sentence: str) -> list[str]:
    words = words_of(sentence)
    if not words:
        return []
    faults: list[str] = []
    lowered = [w.lower() for w in words]
    last = lowered[-1]
    if sentence.rstrip(".!?…\"'”’ ").endswith((",", ";", ":", "-", "—")):
        faults.append("ends on punctuation")
    elif (last in DANGLING_ENDS and not stranded_on_purpose(lowered)) or last.endswith("'s"):
        faults.append(f"ends on {last!r}")
    elif last in VERBS_THAT_NEED_MORE and (len(words) <= 2 or CUT_BEFORE_OBJECT.search(sentence)):
        faults.append(f"ends on {last!r}, which needs an object")
    elif (len(lowered) >= 2 and lowered[-2] in DETERMINERS and last.endswith(ADJECTIVE_ENDINGS)
          and last not in NOUNS_LIKE_ADJECTIVES and not words[-1][:1].isupper()):
        faults.append(f"ends on an adjective: {' '.join(words[-2:])!r}")
    if words[0][:1].islower():
        faults.append(f"starts in lower case: {words[0]!r}")
    if lowered[0] in STRAY_OPENERS:
        faults.append(f"starts with {words[0]!r}")
    if len(lowered) >= 2 and lowered[0] in COORDINATORS and lowered[1] in CLASHING_SECOND:
        faults.append(f"stray connectives: {' '.join(words[:2])!r}")
    if any(w[:1].isupper() and w.lower() in STRAY_OPENERS for w in words[1:]):
        faults.append("a capitalised connective mid-sentence")
    main_clause = words_of(RELATIVE_CLAUSE.sub(" ", sentence))
    if not has_finite_verb(main_clause) and (len(words) > SHORT_FRAGMENT_WORDS
                                       or lowered[0] in COORDINATORS):
        faults.append("no finite verb")
    return faults


# --------------------------------------------------------------------------- endings

STOPWORDS = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | FINITE_VERBS | SUBJECT_PRONOUNS | {
    "him", "them", "me", "not", "all", "one", "then", "now", "just", "only", "even", "more",
    "most", "very", "own", "out", "up", "down", "off", "back", "what", "there", "here",
    "world", "but", "also", "too", "again", "ever", "never", "everything", "nothing"}
LAST_FIFTH = 0.8


def content_words(text: str) -> set[str]:
    return {w.lower().removesuffix("'s") for w in words_of(text)
            if len(w) > 2 and w.lower() not in STOPWORDS}


@dataclass
class SourceSentence:
    text: str
    centre: float
    """Where the sentence sits in the story, 0 (start) to 1 (end), by character."""
    words: set[str]


def source_sentences(story: str) -> list[SourceSentence]:
    spans = [m.span() for m in re.finditer(r"[^.!?]+[.!?]*", story)]
    return [SourceSentence(story[a:b], (a + b) / 2 / max(1, len(story)),
                           content_words(story[a:b]))
            for a, b in spans if content_words(story[a:b])]


def drawn_from_ending(line: str, sentences: list[SourceSentence]) -> SourceSentence | None:
    """The sentence of the story's last fifth a line is drawn from: the sentence sharing most
    of the line's content words (at least two, and half of them; the earliest on a tie)."""
    words = content_words(line)
    if len(words) < 2:
        return None
    best = max(sentences, key=lambda s: (len(words & s.words), -s.centre), default=None)
    if best is None:
        return None
    shared = len(words & best.words)
    if shared >= 2 and shared * 2 >= len(words) and best.centre >= LAST_FIFTH:
        return best
    return None


# --------------------------------------------------------------------------- cast


def name_tokens(name: str) -> set[str]:
    return {w.lower().removesuffix("'s") for w in words_of(name)}


@dataclass(frozen=True)
class Annotation:
    row: int
    variants: tuple[frozenset[str], ...]
    protagonists: tuple[frozenset[str], ...]
    persons: tuple[tuple[frozenset[str], ...], ...] = ()
    """Each annotated person's variants, for recall."""


def load_annotations(path: Path = ANNOTATIONS) -> dict[int, Annotation]:
    rows = json.loads(path.read_text())["rows"]
    found: dict[int, Annotation] = {}
    for row in rows:
        persons: dict[str, list[str]] = row["persons"]
        found[row["row"]] = Annotation(
            row=row["row"],
            variants=tuple(frozenset(name_tokens(v)) for names in persons.values()
                           for v in names),
            protagonists=tuple(frozenset(name_tokens(v)) for name in row["protagonist"]
                               for v in persons[name]),
            persons=tuple(tuple(frozenset(name_tokens(v)) for v in names)
                          for names in persons.values()),
        )
    return found


def names_one_of(name: str, variants: Iterable[frozenset[str]]) -> bool:
    """A cast name is a person's when its words all belong to one of that person's
    variants ("Katniss" of "Katniss Everdeen"; not "Since Katniss")."""
    tokens = name_tokens(name) - {"the"}
    return bool(tokens) and any(tokens <= variant for variant in variants)


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    row: int
    script: Script
    faults: list[tuple[str, list[str]]]
    revealing: list[tuple[str, str]]
    cast_real: int | None = None
    cast_total: int | None = None
    persons_found: int | None = None
    story: str = ""
    annotation: Annotation | None = None
    persons_named_twice: int | None = None
    protagonist_hit: bool | None = None


@dataclass
class Tally:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    def figures(self) -> dict[str, float | int | str]:
        lines = sum(len(spoken_lines(o.script)) for o in self.outcomes)
        broken = sum(len(o.faults) for o in self.outcomes)
        stock = sum(is_stock(t) for o in self.outcomes for t in spoken_lines(o.script))
        revealed = sum(1 for o in self.outcomes if o.revealing)
        annotated = [o for o in self.outcomes if o.cast_total is not None]
        cast_total = sum(o.cast_total or 0 for o in annotated)
        cast_real = sum(o.cast_real or 0 for o in annotated)
        found = sum(o.persons_found or 0 for o in annotated)
        wanted = sum(o.persons_named_twice or 0 for o in annotated)
        judged = [o for o in annotated if o.protagonist_hit is not None]
        hits = sum(1 for o in judged if o.protagonist_hit)
        return {
            "synopses": len(self.outcomes),
            "broken_line_share": round(broken / max(1, lines), 3),
            "broken_lines": f"{broken}/{lines}",
            "stock_lines": f"{stock}/{lines}",
            "revealed_endings": revealed,
            "cast_person_share": round(cast_real / max(1, cast_total), 3),
            "cast_entries": f"{cast_real}/{cast_total} on {len(annotated)} annotated",
            "cast_recall": round(found / max(1, wanted), 3),
            "persons_found": f"{found}/{wanted}",
            "protagonist_hits": round(hits / max(1, len(judged)), 3),
            "protagonists": f"{hits}/{len(judged)}",
        }


STOCK_LINES = [
    re.compile("^" + re.escape(tease).replace(re.escape("{hero}"), ".+") + "$", re.IGNORECASE)
    for tease in TEASES
]
"""The analyst's stock teases ("There is no way back."), said where the story gave no line."""


STOCK_OPENER = re.compile(r"^(?:(?:But then|But one night|This \w+|And|But|Soon|Now|Then),?\s+)")
"""An opener the analyst may put before a tease ('Now, everyone has something to lose.')."""


def is_stock(line: str) -> bool:
    bare = line.replace("*", "").strip()
    without_opener = STOCK_OPENER.sub("", bare)
    return any(p.match(bare) or p.match(without_opener) for p in STOCK_LINES)


def spoken_lines(script: Script) -> list[str]:
    """The narration lines over scenes (the title card speaks the title)."""
    return [line.text for line in script.narration if line.card != "title"]


def judge(row: int, story: str, script: Script, annotation: Annotation | None) -> Outcome:
    lines = spoken_lines(script)
    faults: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for text in lines:
        problems = line_faults(text)
        key = " ".join(words_of(text.lower()))
        if key in seen:
            problems.append("repeated")
        seen.add(key)
        if problems:
            faults.append((text, problems))
    sentences = source_sentences(story)
    revealing = [(text, source.text.strip()) for text in lines
                 if (source := drawn_from_ending(text, sentences)) is not None]
    outcome = Outcome(row, script, faults, revealing, story=story, annotation=annotation)
    if annotation is not None:
        outcome.cast_total = len(script.characters)
        outcome.cast_real = sum(names_one_of(c.name, annotation.variants)
                                for c in script.characters)
        wanted = [p for p in annotation.persons if times_named(story, p) >= 2]
        outcome.persons_named_twice = len(wanted)
        outcome.persons_found = sum(
            any(names_one_of(c.name, person) for c in script.characters) for person in wanted)
        if annotation.protagonists:
            lead = next((c for c in script.characters if c.role == "protagonist"), None)
            outcome.protagonist_hit = lead is not None and names_one_of(
                lead.name, annotation.protagonists)
    return outcome


def cast_report(script: Script, annotation: Annotation, story: str) -> str:
    lead = next((c.name for c in script.characters if c.role == "protagonist"), "-")
    hit = names_one_of(lead, annotation.protagonists) if annotation.protagonists else None
    wrong = [c.name for c in script.characters if not names_one_of(c.name, annotation.variants)]
    missed = [" ".join(sorted(max(person, key=len))) for person in annotation.persons
              if times_named(story, person) >= 2
              and not any(names_one_of(c.name, person) for c in script.characters)]
    mark = {True: "ok", False: "WRONG", None: "n/a"}[hit]
    return f"{lead} ({mark}) | {', '.join(wrong) or '-'} | {', '.join(missed) or '-'}"


def times_named(story: str, variants: tuple[frozenset[str], ...]) -> int:
    """How often the story names a person by any of its variants (longest first, each word
    counted once: "Ellen Brody" is one mention, not one of Ellen and one of Brody)."""
    words = [w.lower().removesuffix("'s") for w in words_of(story)]
    used = [False] * len(words)
    count = 0
    for variant in sorted({v - {"the"} for v in variants}, key=len, reverse=True):
        size = len(variant)
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if not any(used[i] for i in span) and set(words[start:start + size]) == variant:
                count += 1
                for i in span:
                    used[i] = True
    return count


def read_plots(paths: tuple[Path, ...] = PLOTS) -> list[tuple[int, str]]:
    """Every synopsis, numbered from 1 across the files in order."""
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            _, _, text = line.partition("\t")
            rows.append((len(rows) + 1, text.strip()))
    return rows


async def run_rows(rows: list[tuple[int, str]], duration: float,
                   annotations: dict[int, Annotation]) -> list[Outcome]:
    settings = Settings()
    outcomes = []
    for row, story in rows:
        document: Document = extract_document(story.encode(), f"plot-{row}.txt")
        script = await script_only(document, JobSettings(duration=duration), settings)
        outcomes.append(judge(row, story, script, annotations.get(row)))
    return outcomes


async def run_ideas(duration: float) -> list[Outcome]:
    """The one-line ideas of corpus/ideas.txt (written for this bench), numbered from 201."""
    settings = Settings()
    outcomes = []
    for number, idea in enumerate(IDEAS.read_text().splitlines(), start=201):
        document = idea_document(idea)
        script = await script_only(document, JobSettings(duration=duration), settings)
        outcomes.append(judge(number, idea, script, None))
    return outcomes


def parse_rows(spec: str | None) -> set[int] | None:
    if not spec:
        return None
    chosen: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        chosen.update(range(int(first), int(last or first) + 1))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", help="only these rows, e.g. 31-52 or 1,4,9")
    parser.add_argument("--examples", type=int, default=10, help="example lines to print")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--show-faults", action="store_true", help="print every broken line")
    parser.add_argument("--show-cast", action="store_true",
                        help="print each annotated row's cast misses and wrong entries")
    args = parser.parse_args()

    chosen = parse_rows(args.rows)
    rows = [(n, text) for n, text in read_plots() if chosen is None or n in chosen]
    outcomes = asyncio.run(run_rows(rows, args.duration, load_annotations()))
    ideas = asyncio.run(run_ideas(args.duration)) if args.rows is None else []

    tallies = [Tally(name) for name, _ in ROW_SETS]
    for outcome in outcomes:
        index = next(i for i, (_, numbers) in enumerate(ROW_SETS) if outcome.row in numbers)
        tallies[index].outcomes.append(outcome)
    for tally in tallies:
        if tally.outcomes:
            print(f"{tally.name}: " + "  ".join(f"{k}={v}" for k, v in tally.figures().items()))
    if ideas:
        figures = Tally("ideas", ideas).figures()
        titles = {o.script.title for o in ideas}
        print(f"ideas 201-{200 + len(ideas)}: synopses={figures['synopses']}  "
              f"broken_line_share={figures['broken_line_share']}  "
              f"broken_lines={figures['broken_lines']}  distinct_titles={len(titles)}")

    every_line = [(o.row, text) for o in outcomes for text in spoken_lines(o.script)]
    print(f"\n{min(args.examples, len(every_line))} example lines (row: line [faults]):")
    faults_of = {(o.row, text): problems for o in outcomes for text, problems in o.faults}
    for row, text in random.Random(13).sample(every_line, min(args.examples, len(every_line))):
        marks = faults_of.get((row, text))
        print(f"  {row:>2}: {text}" + (f"   [{'; '.join(marks)}]" if marks else ""))
    print("\ntitles and casts (row: title | protagonist | cast):")
    for o in outcomes[: args.examples]:
        lead = next((c.name for c in o.script.characters if c.role == "protagonist"), "-")
        cast = ", ".join(c.name for c in o.script.characters)
        print(f"  {o.row:>2}: {o.script.title} | {lead} | {cast}")
    revealed = [(o.row, line, source) for o in outcomes for line, source in o.revealing]
    if revealed:
        print("\nlines drawn from the last fifth (row: line <- source):")
        for row, line, source in revealed[: args.examples]:
            print(f"  {row:>2}: {line}  <-  {source[:100]}")
    if args.show_faults:
        print("\nbroken lines:")
        for o in outcomes + ideas:
            for text, problems in o.faults:
                print(f"  {o.row:>2}: {text}   [{'; '.join(problems)}]")

    if args.show_cast:
        print("\ncast against the annotations (row: lead | wrong entries | persons missed):")
        for o in outcomes:
            if o.annotation is not None:
                print(f"  {o.row:>2}: " + cast_report(o.script, o.annotation, o.story))

    final = next((t for t in reversed(tallies) if t.outcomes), tallies[0]).figures()
    print(" ".join(f"{key}={final[key]}" for key in
                   ("broken_line_share", "revealed_endings", "cast_person_share",
                    "cast_recall", "protagonist_hits")))


if __name__ == "__main__":
    main()
