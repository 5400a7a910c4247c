"""A run killed mid-way (SIGKILL) and run again finishes without redoing finished work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from package_checks import check_manifest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
REELFORGE = Path(sys.executable).parent / "reelforge"
COMMAND = ["make", str(ROOT / "examples" / "short.md"), "--duration", "20", "--quality",
           "draft", "--seed", "11"]


def stored(out: Path, stage: str) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns
            for p in (out / ".reelforge" / "store").glob(f"jobs/*/{stage}/*") if p.is_file()}


def test_killed_run_resumes_without_redoing_finished_work(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    run = subprocess.Popen([str(REELFORGE), *COMMAND, "-o", str(out)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           start_new_session=True)
    deadline = time.monotonic() + 600
    while len(stored(out, "video")) < 2:
        assert run.poll() is None, run.stderr.read().decode() if run.stderr else ""
        assert time.monotonic() < deadline, "no clip appeared in 10 minutes"
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()

    finished = {**stored(out, "script"), **stored(out, "storyboard"), **stored(out, "video")}
    assert not (out / "trailer.mp4").exists()

    rerun = subprocess.run([str(REELFORGE), *COMMAND, "-o", str(out)], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    after = {**stored(out, "script"), **stored(out, "storyboard"), **stored(out, "video")}
    redone = [p.name for p, mtime in finished.items() if after.get(p) != mtime]
    assert not redone, f"finished work was redone: {redone}"
    check_manifest(out)
