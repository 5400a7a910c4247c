"""PDF through pypdf: text per page, running headers/footers and page numbers removed,
lines reflowed into paragraphs (de-hyphenated), headings detected from short title-like
lines.

A hostile PDF costs bounded work: pypdf decompresses no stream past a size tied to the text
limit, the drawing instructions of all pages together have a budget (pages may share one
content stream, so counting the file's size is not enough), and reading stops at the first
page over either. pypdf's warnings (one per oddity it repairs: thousands for some files)
become one summary line.

pypdf's plain extraction keeps the content's reading order (safe with columns) but does not
mark paragraph gaps, so paragraphs are rebuilt from line shapes: a line that ends a
sentence and is clearly shorter than the text width ends its paragraph.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from pypdf import PageObject, PasswordType, PdfReader, apply_configuration, get_configuration
from pypdf.errors import LimitReachedError
from reelforge.models import Document

from .errors import DocumentError, DocumentLimits
from .textclean import (
    Outline,
    clean_line,
    clean_title,
    count_text,
    ends_sentence,
    is_heading_line,
    join_wrapped,
    normalise_newlines,
)

Page = list[str]
Block = tuple[bool, str]
"""(is a heading, text)."""

RAW_BUDGET = 10
"""Stop extracting once the raw text passes this many times max_chars: the document is
far over the limit whatever clean-up would remove, and a hostile PDF cannot make us work
on and on."""
CONTENT_BYTES_PER_CHAR = 100
"""Budget of page drawing instructions (decompressed content streams, all pages together)
and largest stream pypdf may decompress, per character of max_chars: text-drawing operators
take a few bytes a character, so a story within the limit is far under it."""
FURNITURE_ZONE = 2
"""Lines at each end of a page where running headers, footers and page numbers live."""
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—(\[]?\s*(\d{1,4})\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
_RETRY = "re-export it (e.g. print it to PDF) and try again"
_DECOMPRESSION_LIMITS = (
    "maximum_declared_stream_length", "array_based_stream_maximum_output_length",
    "jbig2_maximum_output_length", "lzw_maximum_output_length",
    "run_length_maximum_output_length", "zlib_maximum_output_length",
    "brotli_maximum_output_length",
)
log = logging.getLogger(__name__)


def read_pdf(data: bytes, limits: DocumentLimits) -> Document:
    """Read a PDF into a Document (pages = the PDF's page count). Any failure is a
    one-line DocumentError."""
    bounded = get_configuration().with_overwrites(
        **dict.fromkeys(_DECOMPRESSION_LIMITS, CONTENT_BYTES_PER_CHAR * limits.max_chars))
    with pypdf_warnings_summarised(), apply_configuration(bounded):
        try:
            return _read(data, limits)
        except DocumentError:
            raise
        except Exception as exc:  # pypdf raises many types on hostile files
            raise DocumentError(f"this PDF is damaged or incomplete; {_RETRY}",
                                "corrupt") from exc


def _read(data: bytes, limits: DocumentLimits) -> Document:
    reader = _open(data)
    _unlock(reader)
    count = _page_count(reader)
    if count > limits.max_pages:
        raise DocumentError(
            f"this PDF has {count:,} pages, over the {limits.max_pages:,}-page limit; send a "
            "shorter document (e.g. a synopsis rather than the full manuscript) and try again",
            "too_many_pages",
        )
    pages = _extract(reader, limits)
    if count_text("".join("".join(p) for p in pages)) == 0:
        raise DocumentError(
            "this PDF has no extractable text (it is probably scanned images); run OCR on it "
            "first (e.g. with ocrmypdf) or upload the story as DOCX, Markdown or plain text",
            "no_text",
        )
    blocks = reflow(strip_furniture(pages))
    outline = Outline()
    for is_heading, text in blocks:
        (outline.heading if is_heading else outline.paragraph)(text)
    title = clean_title(_metadata_title(reader)) or _first_line_title(blocks)
    return outline.document("pdf", title, count)


def _open(data: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:  # pypdf raises many types on malformed files
        raise DocumentError(f"this PDF is damaged or incomplete; {_RETRY}", "corrupt") from exc


def _unlock(reader: PdfReader) -> None:
    """Open PDFs that are encrypted without an open password (permissions only), as every
    viewer does; refuse the ones that need a password."""
    if not reader.is_encrypted:
        return
    try:
        result = reader.decrypt("")
    except Exception:  # unsupported algorithm or broken encryption dictionary
        result = PasswordType.NOT_DECRYPTED
    if result == PasswordType.NOT_DECRYPTED:
        raise DocumentError(
            "this PDF is encrypted; remove the password (e.g. print it to a new PDF) and "
            "try again",
            "encrypted",
        )


def _page_count(reader: PdfReader) -> int:
    try:
        return len(reader.pages)
    except Exception as exc:
        raise DocumentError(f"this PDF is damaged (its page list cannot be read); {_RETRY}",
                            "corrupt") from exc


def _extract(reader: PdfReader, limits: DocumentLimits) -> list[Page]:
    """Clean lines of every page ("" where the page had a blank line). Pages that fail to
    extract are skipped; if all fail, the file is damaged. Reading stops at the first page
    over the text or drawing-instruction budget."""
    text_budget = RAW_BUDGET * limits.max_chars
    content_budget = CONTENT_BYTES_PER_CHAR * limits.max_chars
    pages: list[Page] = []
    text_used = content_used = failed = 0
    for number, page in enumerate(reader.pages, 1):
        try:
            content_used += content_size(page)
            if content_used > content_budget:
                raise _too_complex(number)
            raw = page.extract_text() or ""
        except LimitReachedError as exc:
            raise _too_complex(number) from exc
        except DocumentError:
            raise
        except Exception:  # one broken content stream should not lose the others
            failed += 1
            raw = ""
        text_used += len(raw)
        if text_used > text_budget:
            raise DocumentError(
                f"this PDF has more than {text_budget:,} characters of text, over the "
                f"{limits.max_chars:,}-character limit; send a shorter document (e.g. a "
                "synopsis) and try again",
                "too_long",
            )
        pages.append([clean_line(line) for line in normalise_newlines(raw).strip().split("\n")])
    if pages and failed == len(pages):
        raise DocumentError(f"this PDF is damaged (no page could be read); {_RETRY}", "corrupt")
    return pages


def content_size(page: PageObject) -> int:
    """Bytes of the page's decompressed drawing instructions (pypdf keeps a decompressed
    stream, so a stream shared by many pages is decompressed once)."""
    contents = page.get_contents()
    return len(contents.get_data()) if contents is not None else 0


def _too_complex(page: int) -> DocumentError:
    return DocumentError(
        f"this PDF is damaged or far too complex for its text (reading stopped at page "
        f"{page}); {_RETRY}, or send the story as DOCX or plain text",
        "corrupt",
    )


def _metadata_title(reader: PdfReader) -> str | None:
    try:
        meta = reader.metadata
        return str(meta.title) if meta and meta.title else None
    except Exception:  # broken info dictionary: no title, not an error
        return None


# --------------------------------------------------------------------------- clean-up


def _zone(page: Page) -> list[int]:
    """Indexes of the first and last FURNITURE_ZONE non-empty lines of a page."""
    filled = [i for i, line in enumerate(page) if line]
    return sorted(set(filled[:FURNITURE_ZONE] + filled[-FURNITURE_ZONE:]))


def _furniture_key(line: str) -> str:
    """Lines that differ only in their numbers ("Page 3", "Page 4") are the same line."""
    return re.sub(r"\d+", "#", line.lower())


def strip_furniture(pages: list[Page]) -> list[Page]:
    """Remove page numbers, and lines repeated at the top or bottom of at least half the
    pages (three or more): running titles, author names, "Confidential" footers."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_furniture_key(page[i]) for i in _zone(page)})
    needed = max(3, (len(pages) + 1) // 2)
    repeated = {key for key, n in counts.items() if n >= needed}
    cleaned: list[Page] = []
    for page in pages:
        drop = {i for i in _zone(page)
                if _furniture_key(page[i]) in repeated or _is_page_number(page[i], len(pages))}
        cleaned.append([line for i, line in enumerate(page) if i not in drop])
    return cleaned


def _is_page_number(line: str, page_count: int) -> bool:
    """"3", "- 3 -", "Page 3", "3 of 12", "3/12" with a plausible number (so a title like
    "1984" on a short document stays)."""
    match = _PAGE_NUMBER.match(line)
    return match is not None and int(match.group(1)) <= page_count + 20


def reflow(pages: list[Page]) -> list[Block]:
    """Lines back into paragraphs and headings. A paragraph ends at a blank line, or after
    a line that ends a sentence and is clearly shorter than the text width (80th
    percentile line length); a short title-like line after a paragraph end is a heading.
    Paragraphs run on across page breaks unless the page ended a sentence."""
    lengths = sorted(len(line) for page in pages for line in page if line)
    width = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
    blocks: list[Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append((False, join_wrapped(current, dehyphenate=True)))
            current.clear()

    for page in pages:
        for line in page:
            if not line:
                flush()
            elif not current and is_heading_line(line) and len(line) < 0.7 * width:
                blocks.append((True, line))
            else:
                current.append(line)
                if ends_sentence(line) and len(line) < 0.85 * width:
                    flush()
        if current and ends_sentence(current[-1]):
            flush()  # a page that ends a sentence usually ends a paragraph
    flush()
    return blocks


def _first_line_title(blocks: list[Block]) -> str | None:
    """The first line, when it stands alone and reads like a title (short, Title Case or
    ALL CAPS, not a sentence)."""
    return blocks[0][1] if blocks and blocks[0][0] else None


# --------------------------------------------------------------------------- pypdf's warnings

@dataclass
class _Tally:
    count: int = 0
    first: str = ""


_tally: ContextVar[_Tally | None] = ContextVar("pypdf_warnings", default=None)


class _WarningCounter(logging.Handler):
    """On the `pypdf` logger, which no longer propagates: while a PDF is read, its records
    are counted for one summary; otherwise they go on to the root logger unchanged."""

    def emit(self, record: logging.LogRecord) -> None:
        tally = _tally.get()
        if tally is None:
            logging.getLogger().handle(record)
            return
        tally.count += 1
        tally.first = tally.first or record.getMessage()[:200]


_PYPDF_LOGGER = logging.getLogger("pypdf")
if not any(isinstance(h, _WarningCounter) for h in _PYPDF_LOGGER.handlers):
    _PYPDF_LOGGER.addHandler(_WarningCounter())
    _PYPDF_LOGGER.propagate = False


@contextmanager
def pypdf_warnings_summarised() -> Iterator[None]:
    """pypdf's warnings while the block runs become one log line with their count."""
    tally = _Tally()
    token = _tally.set(tally)
    try:
        yield
    finally:
        _tally.reset(token)
        if tally.count:
            log.warning("pypdf worked around %d problem(s) while reading a PDF (first: %s)",
                        tally.count, tally.first)
