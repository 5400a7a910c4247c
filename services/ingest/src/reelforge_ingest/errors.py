"""The error every reader raises, and the limits it enforces.

Kept apart from `documents` so the format readers can raise it without importing the
dispatcher (which imports them).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ErrorCode = Literal[
    "empty",
    "too_large",
    "unsupported",
    "corrupt",
    "encrypted",
    "no_text",
    "too_short",
    "too_long",
    "too_many_pages",
    "unsafe_archive",
    "too_complex",
    "busy",
]

MB = 1024 * 1024
WALL_CLOCK_FACTOR = 4.0
"""The default wall-clock backstop of one isolated parse, in multiples of its CPU limit: the
child's CPU time cannot pass the limit, so reaching the backstop means it got under a quarter
of a CPU (a starved host) or is stuck without computing."""


class DocumentError(ValueError):
    """A document we cannot (or will not) read. `str(error)` is one line a person can act on:
    what was wrong and what to do. `code` lets an API pick a status (e.g. 413 for
    `too_large`, 415 for `unsupported`, 422 for the rest) without parsing the message."""

    def __init__(self, message: str, code: ErrorCode = "unsupported") -> None:
        super().__init__(message)
        self.message = message
        self.code: ErrorCode = code


class DocumentLimits(BaseModel):
    """Bounds checked before and during parsing, so a hostile or accidental upload costs
    little memory and time and gets a clear answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_bytes: int = Field(default=20 * MB, gt=0, description="size of the uploaded file")
    max_pages: int = Field(default=200, gt=0, description="PDF pages (DOCX: as Word saved them)")
    max_chars: int = Field(default=200_000, gt=0, description="length of the extracted text")
    min_chars: int = Field(default=20, ge=1, description="shortest useful document text")
    min_idea_words: int = Field(default=3, ge=1, description="shortest useful idea")
    max_idea_chars: int = Field(default=2_000, gt=0, description="longest idea; more is a document")
    max_zip_entries: int = Field(default=1_000, gt=0, description="DOCX: parts in the archive")
    max_unzipped_bytes: int = Field(
        default=100 * MB, gt=0, description="DOCX: total uncompressed size of its parts"
    )
    max_compression_ratio: float = Field(
        default=100.0, gt=1.0, description="DOCX: uncompressed/compressed size of any large part"
    )
    parse_memory_bytes: int = Field(
        default=256 * MB, gt=0, description="memory one isolated parse may add to its process"
    )
    parse_seconds: float = Field(
        default=10.0, gt=0, description="CPU seconds of one isolated parse"
    )
    parse_wall_seconds: float | None = Field(
        default=None, gt=0,
        description="wall-clock backstop of one isolated parse (default: 4 x parse_seconds)",
    )

    @property
    def wall_seconds(self) -> float:
        return self.parse_wall_seconds or self.parse_seconds * WALL_CLOCK_FACTOR


def size_text(n: int) -> str:
    """A byte count the way people read it ("25.3 MB", "812 KB")."""
    if n >= MB:
        return f"{n / MB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
