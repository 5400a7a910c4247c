"""Pipeline benchmark: the embedded end-to-end run on the bundled example, from a cold cache
in a fresh temporary folder, then the cache-hit rerun of the same command.

    .venv/bin/python bench/pipeline.py [--repeat N] [--quality final|draft] [--document PATH]
                                       [--duration SECONDS]

Reports the time of each stage (from the package's manifest), the total, wall and CPU time
of the whole command, its peak memory, and the rerun's wall time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from reelforge.pipeline import WORKER_STAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--document", type=Path,
                        default=benchlib.ROOT / "examples" / "the-last-lighthouse.md")
    parser.add_argument("--quality", choices=("final", "draft"), default="final")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--duration", type=float, default=60.0,
                        help="target trailer length in seconds (peak memory should not grow "
                             "with it)")
    args = parser.parse_args()
    reelforge = str(Path(sys.executable).parent / "reelforge")
    print(f"machine: {benchlib.machine()}")
    runs = []
    for _ in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="reelforge-pipeline-"))
        try:
            command = [reelforge, "make", str(args.document), "-o", str(folder / "out"),
                       "--quality", args.quality, "--duration", str(args.duration)]
            cold = benchlib.measure(command)
            manifest = json.loads((folder / "out" / "manifest.json").read_text())
            rerun = benchlib.measure(command)
            trailer: dict[str, Any] = next(
                (a for a in manifest["artifacts"] if a.get("path") == "trailer.mp4"),
                {})
            runs.append({"cold": cold, "rerun": rerun, "stages": manifest["stage_seconds"],
                         "duration": trailer.get("duration")})
            print(f"  cold {cold.line()}; rerun {rerun.wall:.1f} s", flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    best = min(runs, key=lambda r: r["cold"].wall)
    cold, rerun, stages = best["cold"], best["rerun"], best["stages"]
    print()
    print(f"trailer: {best['duration']} s, quality {args.quality}")
    print("stages: " + ", ".join(f"{s} {stages.get(s, 0):.1f} s" for s in WORKER_STAGES)
          + " (audio runs beside storyboard and video)")
    print(f"command: wall {cold.wall:.1f} s, cpu {cold.cpu:.1f} s "
          f"({100 * cold.cpu / cold.wall:.0f}% of one core), peak {cold.peak_rss_mb:.0f} MB, "
          f"load {cold.load_before:.1f}/{cold.load_after:.1f}")
    print(f"rerun (cache hit): wall {rerun.wall:.1f} s")
    benchlib.save_result("pipeline", {"machine": benchlib.machine(), "quality": args.quality,
                                       "runs": runs})
    print(f"pipeline_cold_s={cold.wall:.1f} pipeline_rerun_s={rerun.wall:.1f} "
          f"peak_rss_mb={cold.peak_rss_mb:.0f}")


if __name__ == "__main__":
    main()
