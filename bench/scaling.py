"""Length scaling: the render benchmark's trailer (16:9, captions, voiceover over the score)
at 1, 5 and 10 minutes; peak memory and time per minute of output for each.

    .venv/bin/python bench/scaling.py [--minutes 1,5,10] [--repeat N]

Scenes are 5 s; the 12 distinct master clips are used in turn, the voiceover, score and
captions are made as long as the trailer. Memory should be flat: the renderer holds a few
frames whatever the length, and the mix works on the soundtrack in blocks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", default="1,5,10")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--variants", choices=("ours", "ours3"), default="ours",
                        help="16:9 only (default) or all three variants")
    args = parser.parse_args()
    minutes = [float(m) for m in args.minutes.split(",")]
    print(f"machine: {benchlib.machine()}")
    for m in minutes:
        benchlib.render_inputs(m * 60)  # made once, outside the measurements
    out = benchlib.WORK / "scaling-out"
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for m in minutes:
        runs = []
        for _ in range(args.repeat):
            argv = render.contender_argv(args.variants, out / f"{m:g}min.mp4", m * 60)
            runs.append(benchlib.measure(argv))
            print(f"  {m:g} min: {runs[-1].line()}", flush=True)
        rows[m] = benchlib.quietest(runs)
    print()
    print(f"{'minutes':>7s} {'wall s':>8s} {'s/min':>7s} {'cpu s/min':>9s} {'peak MB':>8s}  load")
    for m, r in rows.items():
        print(f"{m:7g} {r.wall:8.1f} {r.wall / m:7.1f} {r.cpu / m:9.1f} {r.peak_rss_mb:8.0f}  "
              f"{r.load_before:.1f}/{r.load_after:.1f}")
    benchlib.save_result("scaling", {"machine": benchlib.machine(), "variants": args.variants,
                                      "results": {str(m): r for m, r in rows.items()}})
    if 1.0 in rows and 10.0 in rows:
        growth = rows[10.0].peak_rss_mb / rows[1.0].peak_rss_mb
        print(f"peak memory 10 min / 1 min = {growth:.2f} (target <= 1.10)")


if __name__ == "__main__":
    main()
