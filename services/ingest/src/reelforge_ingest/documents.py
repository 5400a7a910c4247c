"""Story documents in, `Document` out: the one entry point for every upload.

`extract_document` decides the type from the bytes (never trusting the name), applies the
limits before and after parsing, and raises `DocumentError` with one line a person can act
on. `idea_document` wraps a typed one-line idea the same way. Both are synchronous and
CPU-bound. Untrusted uploads go through `isolation.extract_isolated`, which runs
`extract_document` in a child process with memory and time limits.
"""

from __future__ import annotations

import re

from reelforge.models import Document, Section

from .detect import classify_text, decode_text, detect_binary
from .docx_reader import read_docx
from .errors import DocumentError, DocumentLimits, ErrorCode, size_text
from .fountain import read_fountain
from .markdown_reader import read_markdown
from .pdf_reader import read_pdf
from .plain_reader import read_plain
from .textclean import clean_line, count_text

__all__ = [
    "DocumentError",
    "DocumentLimits",
    "ErrorCode",
    "extract_document",
    "idea_document",
]

TEXT_READERS = {"fountain": read_fountain, "markdown": read_markdown, "text": read_plain}
RAW_TEXT_SLACK = 2
"""Text files whose raw text is over this many times max_chars are refused before parsing:
markup never accounts for that much."""
_IDEA_EXAMPLE = "e.g. 'a lighthouse keeper finds a map that leads under the sea'"


def extract_document(
    data: bytes, filename: str | None = None, limits: DocumentLimits = DocumentLimits()
) -> Document:
    """Read an uploaded story (PDF, DOCX, Fountain, Markdown or plain text) into a
    Document. `filename` only breaks ties between text formats. Raises DocumentError."""
    _check_size(data, limits)
    try:
        document = _read(data, filename, limits)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # a reader bug met by a strange file: still one line
        raise DocumentError(
            "this file could not be read (it looks damaged); re-save or re-export it (e.g. as "
            "PDF or plain text) and try again",
            "corrupt",
        ) from exc
    check_length(document.text, limits)
    return document


def _read(data: bytes, filename: str | None, limits: DocumentLimits) -> Document:
    kind = detect_binary(data)
    if kind == "pdf":
        return read_pdf(data, limits)
    if kind == "zip":
        return read_docx(data, limits)
    text = decode_text(data)
    _check_raw_length(text, limits)
    return TEXT_READERS[classify_text(text, filename)](text)


def idea_document(idea: str, limits: DocumentLimits = DocumentLimits()) -> Document:
    """A typed idea as a Document(format="idea"): one clean line, one section. Raises
    DocumentError when it is empty, too short to work from or long enough to be a
    document."""
    text = _unquote(clean_line(idea))
    if not text:
        raise DocumentError(f"the idea is empty; describe your story in a sentence, "
                            f"{_IDEA_EXAMPLE}", "empty")
    if len(text) > limits.max_idea_chars:
        raise DocumentError(
            f"the idea is {len(text):,} characters long, over the {limits.max_idea_chars:,}-"
            "character limit; shorten it to a few sentences or upload it as a document",
            "too_long",
        )
    words = len(re.findall(r"\w+", text))
    if words < limits.min_idea_words:
        raise DocumentError(
            f"the idea is too short ({words} word{'s' * (words != 1)}); describe it in at "
            f"least {limits.min_idea_words} words, {_IDEA_EXAMPLE}",
            "too_short",
        )
    return Document(format="idea", text=text, sections=[Section(text=text)])


def _unquote(text: str) -> str:
    """An idea pasted in quotes loses them (only when they wrap the whole idea)."""
    pairs = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}
    if len(text) >= 2 and pairs.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def _check_size(data: bytes, limits: DocumentLimits) -> None:
    if len(data) > limits.max_bytes:
        raise DocumentError(
            f"this file is {size_text(len(data))}, over the {size_text(limits.max_bytes)} "
            "limit; send a smaller file (e.g. the synopsis alone, or the text without images)",
            "too_large",
        )
    if not data.strip():
        raise DocumentError(
            "the file is empty; choose the file that holds your story and try again", "empty"
        )


def _check_raw_length(text: str, limits: DocumentLimits) -> None:
    """Refuse hopelessly long text before parsing it (the message counts raw characters)."""
    if len(text) > RAW_TEXT_SLACK * limits.max_chars:
        raise _too_long(len(text), limits, about=True)


def check_length(text: str, limits: DocumentLimits) -> None:
    """The extracted text must be present, long enough to tell a story and within the
    limit."""
    if count_text(text) == 0:
        raise DocumentError(
            "this document has no text; add your story to it (or type an idea instead) and "
            "try again",
            "empty",
        )
    if len(text) < limits.min_chars:
        raise DocumentError(
            f"this document is too short ({len(text)} characters; at least "
            f"{limits.min_chars} are needed); add more of your story, or submit it as an "
            "idea instead",
            "too_short",
        )
    if len(text) > limits.max_chars:
        raise _too_long(len(text), limits)


def _too_long(length: int, limits: DocumentLimits, about: bool = False) -> DocumentError:
    return DocumentError(
        f"this document is {'about ' * about}{length:,} characters long, over the "
        f"{limits.max_chars:,}-character limit; shorten it (e.g. send a synopsis rather "
        "than the full manuscript) and try again",
        "too_long",
    )
