"""`extract_document` in a child process with memory, CPU and wall-clock limits.

The readers bound their own work, but they sit on parsers (pypdf, lxml, zlib, markdown-it)
that a crafted file may still drive into a corner; the limits make sure such a file costs at
most `parse_memory_bytes` and `parse_seconds` of CPU time, in a process that is thrown away,
and gets a one-line answer. CPU time is the bound because it is what a file costs whatever
else the host runs: on a loaded host a small file may wait for a CPU far longer than it
computes, and must not be refused for that. The wall clock is only a backstop
(`parse_wall_seconds`, by default 4 times the CPU limit) for a child starved or stuck; past it
the answer is "busy, try again", not "this file is too complex".

A single-threaded process (the command line) forks the child directly; a threaded one (the
API) has it forked by a forkserver that has the readers imported, since a fork copies locks
other threads may hold. Either way a parse starts in milliseconds; at most `PARALLEL_PARSES`
run at once per process.

The child returns JSON (validated here, with a size cap), never a pickle: a child that a
hostile file took over cannot make the parent run anything. Its warnings (e.g. the summary of
pypdf's repairs) come back with it and are logged here, where logging is configured.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

from pydantic import BaseModel, ValidationError
from reelforge.models import Document

from .documents import extract_document
from .errors import DocumentError, DocumentLimits, ErrorCode, size_text

PARALLEL_PARSES = max(1, min(4, os.cpu_count() or 1))
"""Children parsing at once in one process; more wait for a free slot (so a burst of
uploads cannot multiply the memory bound past what the host has)."""
MAX_WARNINGS = 20
"""Warnings a child may pass back (each cut to 300 characters)."""
RESULT_BYTES_PER_CHAR = 16
"""A Document's JSON holds its text about twice (text and sections), escaped: it cannot be
bigger than this many bytes a character of max_chars (plus room for the rest)."""
_RESAVE = ("it is probably damaged or far more complex than a story needs; re-save it (or "
           "export a PDF or plain text) and try again")

_forkserver = multiprocessing.get_context("forkserver")
_forkserver.set_forkserver_preload(["__main__", "reelforge_ingest.isolation"])
_fork = multiprocessing.get_context("fork")
_slots = threading.BoundedSemaphore(PARALLEL_PARSES)
log = logging.getLogger(__name__)


class ParseOutcome(BaseModel):
    """What the child sends back: the document, or the DocumentError it raised."""

    status: Literal["ok", "refused", "out_of_memory"]
    document: Document | None = None
    message: str = ""
    code: ErrorCode = "corrupt"
    warnings: list[str] = []


def extract_isolated(
    data: bytes, filename: str | None = None, limits: DocumentLimits = DocumentLimits()
) -> Document:
    """`extract_document` run in a child process under the limits' memory and CPU-time
    bounds and the wall-clock backstop. Raises DocumentError (one line) for every failure,
    including a parse that went over a bound ("too_complex"; "busy" for the backstop) or a
    child that died."""
    context = _fork if threading.active_count() == 1 else _forkserver
    with _slots:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_parse_in_child, args=(sender, data, filename, limits),
                                 name="reelforge-parse", daemon=True)
        child.start()
        sender.close()
        try:
            outcome = _receive(receiver, child, limits)
        finally:
            receiver.close()
            child.kill()
            child.join()
            child.close()
    for warning in outcome.warnings[:MAX_WARNINGS]:
        log.warning("%s", warning[:300])
    if outcome.status == "ok" and outcome.document is not None:
        return outcome.document
    if outcome.status == "out_of_memory":
        raise _over_memory(limits)
    raise DocumentError(outcome.message, outcome.code)


def _receive(receiver: Connection, child: BaseProcess, limits: DocumentLimits) -> ParseOutcome:
    """The child's answer within the wall-clock backstop (the caller kills the child
    whatever it is doing). Its CPU time is bounded in the child itself (RLIMIT_CPU)."""
    if not receiver.poll(limits.wall_seconds):
        raise _starved(limits)
    try:
        raw = receiver.recv_bytes(RESULT_BYTES_PER_CHAR * limits.max_chars + 65_536)
        return ParseOutcome.model_validate_json(raw)
    except EOFError:  # the child died without answering
        child.join(1)
        if child.exitcode == -signal.SIGXCPU:
            raise _over_time(limits) from None
        raise DocumentError(f"this file made the reader fail; {_RESAVE}", "too_complex") from None
    except (OSError, ValidationError):  # an answer too big, or not ours
        raise _over_memory(limits) from None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < MAX_WARNINGS:
            self.messages.append(record.getMessage()[:300])


def _parse_in_child(sender: Connection, data: bytes, filename: str | None,
                    limits: DocumentLimits) -> None:
    _limit_resources(limits)
    warnings = _Collect()
    logging.getLogger().handlers = [warnings]  # a forked child inherits the parent's
    try:
        outcome = ParseOutcome(status="ok", document=extract_document(data, filename, limits))
    except DocumentError as exc:
        outcome = ParseOutcome(status="refused", message=exc.message, code=exc.code)
    except MemoryError:
        outcome = ParseOutcome(status="out_of_memory")
    del data
    outcome.warnings = warnings.messages
    sender.send_bytes(outcome.model_dump_json().encode())
    sender.close()


def _limit_resources(limits: DocumentLimits) -> None:
    """Bound this (child) process: its address space may grow by parse_memory_bytes over
    what the forkserver gave it (where /proc tells its size: Linux, as deployed), its CPU
    time is parse_seconds (whole seconds, rounded up: the kernel counts no finer), and it
    dumps no core."""
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        mapped = None
    if mapped is not None:
        memory = mapped + limits.parse_memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = max(1, math.ceil(limits.parse_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _over_time(limits: DocumentLimits) -> DocumentError:
    return DocumentError(
        f"this file could not be read within the {limits.parse_seconds:g}-second limit of "
        f"CPU time; {_RESAVE}",
        "too_complex",
    )


def _starved(limits: DocumentLimits) -> DocumentError:
    return DocumentError(
        f"the server is too busy to read this file now (no result after "
        f"{limits.wall_seconds:g} seconds, most of them waiting for a CPU); send it again in "
        f"a minute",
        "busy",
    )


def _over_memory(limits: DocumentLimits) -> DocumentError:
    return DocumentError(
        f"this file needs more than {size_text(limits.parse_memory_bytes)} of memory to read; "
        f"{_RESAVE}",
        "too_complex",
    )
