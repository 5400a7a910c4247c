"""PDF through pypdf: text per page, running headers/footers and page numbers removed,
lines reflowed into paragraphs (de-hyphenated), headings detected from short title-like
lines.

pypdf's plain extraction keeps the content's reading order (safe with columns) but does not
mark paragraph gaps, so paragraphs are rebuilt from line shapes: a line that ends a
sentence and is clearly shorter than the text width ends its paragraph.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from pypdf import PasswordType, PdfReader
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
FURNITURE_ZONE = 2
"""Lines at each end of a page where running headers, footers and page numbers live."""
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—(\[]?\s*(\d{1,4})\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
_RETRY = "re-export it (e.g. print it to PDF) and try again"


def read_pdf(data: bytes, limits: DocumentLimits) -> Document:
    """Read a PDF into a Document (pages = the PDF's page count)."""
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
    extract are skipped; if all fail, the file is damaged."""
    budget = RAW_BUDGET * limits.max_chars
    pages: list[Page] = []
    used = failed = 0
    for page in reader.pages:
        try:
            raw = page.extract_text() or ""
        except Exception:  # one broken content stream should not lose the others
            failed += 1
            raw = ""
        used += len(raw)
        if used > budget:
            raise DocumentError(
                f"this PDF has more than {budget:,} characters of text, over the "
                f"{limits.max_chars:,}-character limit; send a shorter document (e.g. a "
                "synopsis) and try again",
                "too_long",
            )
        pages.append([clean_line(line) for line in normalise_newlines(raw).strip().split("\n")])
    if pages and failed == len(pages):
        raise DocumentError(f"this PDF is damaged (no page could be read); {_RETRY}", "corrupt")
    return pages


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
