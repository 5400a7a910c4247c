"""The isolated parse is bounded by CPU time, with the wall clock only as a backstop: a file
that waits for a CPU on a loaded host is not refused for the waiting, a file that burns CPU
is still stopped at its limit, and a child that gets no CPU at all is given up on ("busy").

Load is made exact: the parse child is stopped (SIGSTOP) as soon as it starts, which is what
a starved process sees, all wall-clock time and no CPU, then let go (SIGCONT) or not.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ingest_samples import pdf_sharing_one_stream
from reelforge_ingest.api.errors import from_document_error
from reelforge_ingest.errors import DocumentError, DocumentLimits
from reelforge_ingest.isolation import extract_isolated

MB = 1024 * 1024
PARAGRAPH = "The keeper climbs the stairs every night and lights the lamp. " * 8
LIFTED = 10_000_000
"""max_chars for these tests: the readers' own budgets out of the way of the isolation's."""


def _state(pid: int) -> str:
    """The process's state letter from /proc (R, S, T stopped, Z finished), "" if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[0]


class Starver:
    """Stops the next parse child the moment it appears and keeps it stopped for `seconds`
    (None: until it is killed)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.stopped_for: float | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        child = None
        while child is None and time.monotonic() < deadline:
            child = next((p for p in multiprocessing.active_children()
                          if p.name == "reelforge-parse" and p.pid), None)
        if child is None or child.pid is None:
            self.error = "no parse child appeared"
            return
        os.kill(child.pid, signal.SIGSTOP)
        while _state(child.pid) not in ("T", "t", "Z", ""):
            time.sleep(0.001)
        if _state(child.pid) not in ("T", "t"):
            self.error = "the child finished before it could be stopped"
            return
        stopped = time.monotonic()
        if self.seconds is None:
            return
        time.sleep(self.seconds)
        self.stopped_for = time.monotonic() - stopped
        os.kill(child.pid, signal.SIGCONT)

    @contextmanager
    def running(self) -> Iterator[Starver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._thread.join(timeout=120)
        assert self.error is None, self.error


def test_a_starved_parse_is_not_refused_for_waiting() -> None:
    """Stopped for longer than its CPU limit, the parse still needs only a third of a second
    of CPU: it must come back read (a wall-clock limit equal to the CPU limit refused it)."""
    story = "\n\n".join([PARAGRAPH] * 3_000)  # 1.5 MB: about 0.3 s of CPU to read
    limits = DocumentLimits(max_chars=LIFTED, parse_seconds=3)
    with Starver(seconds=4).running() as starver:
        document = extract_isolated(story.encode(), "story.txt", limits)
    assert starver.stopped_for is not None and starver.stopped_for > limits.parse_seconds
    assert document.text.count(PARAGRAPH.strip()) == 3_000


def test_a_parse_that_burns_cpu_is_stopped_at_its_cpu_limit() -> None:
    """200 pages drawing one 20 MB stream: tens of seconds of pypdf work. With the wall
    clock out of the way, the CPU limit alone stops it, and says so."""
    slow = pdf_sharing_one_stream(pages=200, inflated=20 * MB)
    limits = DocumentLimits(max_chars=LIFTED, parse_seconds=1, parse_wall_seconds=300)
    started = time.monotonic()
    with pytest.raises(DocumentError) as refused:
        extract_isolated(slow, "slow.pdf", limits)
    assert refused.value.code == "too_complex"
    assert str(refused.value).startswith(
        "this file could not be read within the 1-second limit of CPU time; it is probably "
        "damaged")
    assert time.monotonic() - started < limits.wall_seconds


def test_a_parse_that_gets_no_cpu_meets_the_wall_clock_backstop() -> None:
    """A child that never runs is given up on at the backstop, as "busy, try again" (a 503
    with Retry-After in the API), not as a file too complex to read."""
    limits = DocumentLimits(max_chars=LIFTED, parse_seconds=10, parse_wall_seconds=1)
    story = "\n\n".join([PARAGRAPH] * 3_000)
    with Starver(seconds=None).running(), pytest.raises(DocumentError) as refused:
        extract_isolated(story.encode(), "story.txt", limits)
    assert refused.value.code == "busy"
    assert str(refused.value) == (
        "the server is too busy to read this file now (no result after 1 seconds, most of "
        "them waiting for a CPU); send it again in a minute")
    answer = from_document_error(refused.value)
    assert answer.status == 503 and int(answer.headers["Retry-After"]) > 0


def test_the_backstop_defaults_to_four_times_the_cpu_limit() -> None:
    assert DocumentLimits(parse_seconds=10).wall_seconds == 40
    assert DocumentLimits(parse_seconds=10, parse_wall_seconds=15).wall_seconds == 15
