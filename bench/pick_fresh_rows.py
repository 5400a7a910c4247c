"""Pick two fresh batches of real plot summaries by a rule fixed before the analyser runs.

The source is Microsoft's sample of the CMU Movie Summary Corpus (CC BY-SA 3.0; one summary
a file, named after the film's Wikipedia article), outside this repository:
github.com/Azure-Samples/cognitive-services-sample-data-files, file
"language-service/Custom text classification/Custom multi classification - movies summary.zip".

Rule: the 210 titled files; whitespace collapsed; 400 to 2,500 characters; none whose
opening matches a row already in plots-dev.tsv or plots-heldout.tsv; sorted by file name;
random.Random(20261203).sample of 30; the first 15 are batch A, the next 15 batch B.
Prints the TSV lines (article title, tab, text), batch A first.

    python bench/pick_fresh_rows.py FOLDER > bench/corpus/plots-fresh.tsv
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SEED = 20261203
BATCH = 15


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    folder = Path(sys.argv[1])
    known = {
        normalised(line.partition("\t")[2])[:120]
        for name in ("plots-dev.tsv", "plots-heldout.tsv")
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
    }
    candidates = []
    for path in sorted(folder.glob("*.txt")):
        text = normalised(path.read_text(encoding="utf-8-sig"))
        if 400 <= len(text) <= 2500 and text[:120] not in known:
            candidates.append((path.stem, text))
    chosen = random.Random(SEED).sample(candidates, 2 * BATCH)
    print(f"{len(candidates)} candidates", file=sys.stderr)
    for title, text in chosen:
        print(f"{title}\t{text}")


if __name__ == "__main__":
    main()
