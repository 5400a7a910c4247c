"""Pick fresh batches of real plot summaries by a rule fixed before the analyser runs.

The source is Microsoft's sample of the CMU Movie Summary Corpus (CC BY-SA 3.0; one summary
a file, named after the film's Wikipedia article), outside this repository:
github.com/Azure-Samples/cognitive-services-sample-data-files, file
"language-service/Custom text classification/Custom multi classification - movies summary.zip".

Rule for batches A and B (2026-12-03): the 210 titled files; whitespace collapsed; 400 to
2,500 characters; none whose opening matches a row already in plots-dev.tsv or
plots-heldout.tsv; sorted by file name; random.Random(20261203).sample of 30; the first 15
are batch A, the next 15 batch B.

Rule for batch C (2026-12-04, written before any of its rows was read or run): the same
files, whitespace and length window; none whose opening matches a row of plots-dev.tsv,
plots-heldout.tsv or plots-fresh.tsv (batches A and B) and none whose title is in
plots-fresh.tsv; sorted by file name; random.Random(20261204).sample of 15.

Rule for batch D (2026-12-04, third session, written before any of its rows was read or
run): the same files, whitespace and length window; none whose opening matches a row of
plots-dev.tsv, plots-heldout.tsv, plots-fresh.tsv or plots-fresh-c.tsv (batches A, B and C)
and none whose title is in plots-fresh.tsv or plots-fresh-c.tsv; sorted by file name;
random.Random(20261205).sample of 15.

Rule for batch E (2026-12-04, fourth session, written before any of its rows was read or
run): the same files, whitespace and length window; none whose opening matches a row of
plots-dev.tsv, plots-heldout.tsv, plots-fresh.tsv, plots-fresh-c.tsv or plots-fresh-d.tsv
(batches A to D) and none whose title is in any of those five files; sorted by file name;
random.Random(20261206).sample of 15.

Prints the TSV lines (article title, tab, text), in the sampled order.

    python bench/pick_fresh_rows.py FOLDER > bench/corpus/plots-fresh.tsv
    python bench/pick_fresh_rows.py --batch-c FOLDER > bench/corpus/plots-fresh-c.tsv
    python bench/pick_fresh_rows.py --batch-d FOLDER > bench/corpus/plots-fresh-d.tsv
    python bench/pick_fresh_rows.py --batch-e FOLDER > bench/corpus/plots-fresh-e.tsv
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
BATCH = 15
RULES = {
    # name: (files whose rows are excluded, seed, rows picked)
    "A+B": (("plots-dev.tsv", "plots-heldout.tsv"), 20261203, 2 * BATCH),
    "C": (("plots-dev.tsv", "plots-heldout.tsv", "plots-fresh.tsv"), 20261204, BATCH),
    "D": (("plots-dev.tsv", "plots-heldout.tsv", "plots-fresh.tsv", "plots-fresh-c.tsv"),
          20261205, BATCH),
    "E": (("plots-dev.tsv", "plots-heldout.tsv", "plots-fresh.tsv", "plots-fresh-c.tsv",
           "plots-fresh-d.tsv"), 20261206, BATCH),
}


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the unzipped sample's folder of .txt files")
    batch = parser.add_mutually_exclusive_group()
    batch.add_argument("--batch-c", action="store_true", help="pick batch C (rows 97-111)")
    batch.add_argument("--batch-d", action="store_true", help="pick batch D (rows 112-126)")
    batch.add_argument("--batch-e", action="store_true", help="pick batch E (rows 127-141)")
    args = parser.parse_args()
    rule = "E" if args.batch_e else "D" if args.batch_d else "C" if args.batch_c else "A+B"
    excluded_files, seed, count = RULES[rule]

    known_openings: set[str] = set()
    known_titles: set[str] = set()
    for name in excluded_files:
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            title, _, text = line.partition("\t")
            known_openings.add(normalised(text)[:120])
            known_titles.add(title)
    candidates = []
    for path in sorted(args.folder.glob("*.txt")):
        text = normalised(path.read_text(encoding="utf-8-sig"))
        if (
            400 <= len(text) <= 2500
            and text[:120] not in known_openings
            and path.stem not in known_titles
        ):
            candidates.append((path.stem, text))
    chosen = random.Random(seed).sample(candidates, count)
    print(f"{len(candidates)} candidates", file=sys.stderr)
    for title, text in chosen:
        print(f"{title}\t{text}")


if __name__ == "__main__":
    main()
