"""Refusals common to every format, ideas, and the promise that every error message is
one line that says what was wrong and what to do."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest
from ingest_samples import (
    docx_bytes,
    image_pdf,
    lying_zip,
    minimal_docx_entries,
    pdf_bytes,
    zip_bytes,
)
from reelforge_ingest.documents import (
    DocumentError,
    DocumentLimits,
    extract_document,
    idea_document,
)

PROSE = "The keeper climbs the stairs every night and lights the lamp. "


def random_bytes(n: int = 4096) -> bytes:
    return random.Random(7).randbytes(n)


def test_random_binary_is_unsupported() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(random_bytes(), filename="story.txt")
    assert err.value.code == "unsupported"
    assert "binary data" in str(err.value) and "upload a PDF, DOCX" in str(err.value)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "Word 97-2003 (.doc)"),
        (b"{\\rtf1\\ansi Hello}", "RTF document"),
        (b"\x1f\x8b\x08" + bytes(64), "gzip archive"),
        (b"<!DOCTYPE html><html><body>Hi</body></html>", "HTML page"),
        (b'<?xml version="1.0"?><FinalDraft DocumentType="Script">', "Final Draft"),
    ],
)
def test_known_binary_formats_are_named(data: bytes, what: str) -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(data, filename="story.pdf")
    assert err.value.code == "unsupported"
    assert what in str(err.value)


@pytest.mark.parametrize("data", [b"", b"   \n\t \r\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "empty"
    assert "the file is empty" in str(err.value)


def test_document_whose_text_is_all_markup_is_empty() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(b"<!-- nothing -->\n\n---\n\n<br>\n", filename="a.md")
    assert err.value.code == "empty"


def test_too_short() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(b"A ship.")
    assert err.value.code == "too_short"
    assert "(7 characters; at least 20 are needed)" in str(err.value)


def test_too_long_says_limit_and_length() -> None:
    text = (PROSE * 4000)[:200_001]
    with pytest.raises(DocumentError) as err:
        extract_document(text.encode())
    assert err.value.code == "too_long"
    assert "200,001 characters long, over the 200,000-character limit" in str(err.value)


def test_at_the_length_limit_is_accepted() -> None:
    text = (PROSE * 4000)[:199_990].strip()
    assert len(extract_document(text.encode()).text) <= 200_000


def test_hopelessly_long_text_is_refused_before_parsing() -> None:
    with pytest.raises(DocumentError, match="about 700,000 characters long"):
        extract_document(b"word " * 140_000)


def test_too_long_pdf() -> None:
    limits = DocumentLimits(max_chars=100)
    data = pdf_bytes([[PROSE, PROSE]])
    with pytest.raises(DocumentError, match="characters long, over the 100-character limit"):
        extract_document(data, limits=limits)


def test_oversized_file() -> None:
    data = b"a" * (20 * 1024 * 1024 + 1)
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "too_large"
    assert "this file is 20 MB, over the 20 MB limit" in str(err.value)


def test_size_is_checked_before_anything_else() -> None:
    with pytest.raises(DocumentError, match="over the 1 KB limit"):
        extract_document(random_bytes(2048), limits=DocumentLimits(max_bytes=1024))


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        DocumentLimits(max_bytes=0)


# --------------------------------------------------------------------------- ideas


def test_idea_document() -> None:
    doc = idea_document("  “A lighthouse keeper\n finds a  map that leads under the sea.”  ")
    assert doc.format == "idea"
    assert doc.text == "A lighthouse keeper finds a map that leads under the sea."
    assert [s.text for s in doc.sections] == [doc.text]
    assert doc.title is None and doc.pages is None


@pytest.mark.parametrize(
    ("idea", "code", "says"),
    [
        ("", "empty", "the idea is empty; describe your story"),
        ("  \n\t ", "empty", "the idea is empty"),
        ("lighthouse keeper", "too_short", "too short (2 words); describe it in at least 3"),
        ("x" * 2001, "too_long", "2,001 characters long, over the 2,000-character limit"),
    ],
)
def test_bad_ideas(idea: str, code: str, says: str) -> None:
    with pytest.raises(DocumentError) as err:
        idea_document(idea)
    assert err.value.code == code
    assert says in str(err.value)


# --------------------------------------------------------------------------- messages

ACTIONS = re.compile(
    r"\b(try again|upload|save|send|run OCR|remove the password|add|describe|shorten|export)\b"
)

ERROR_CASES: dict[str, Callable[[], object]] = {
    "empty": lambda: extract_document(b""),
    "binary": lambda: extract_document(random_bytes()),
    "image": lambda: extract_document(b"\x89PNG\r\n\x1a\n" + bytes(16)),
    "old-doc": lambda: extract_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)),
    "too-large": lambda: extract_document(b"abc" * 400, limits=DocumentLimits(max_bytes=1000)),
    "too-short": lambda: extract_document(b"Hi."),
    "too-long": lambda: extract_document(PROSE.encode() * 50, limits=DocumentLimits(max_chars=99)),
    "pdf-encrypted": lambda: extract_document(pdf_bytes([[PROSE]], user_password="pw")),
    "pdf-scanned": lambda: extract_document(image_pdf(1)),
    "pdf-pages": lambda: extract_document(pdf_bytes([[PROSE]] * 3),
                                          limits=DocumentLimits(max_pages=1)),
    "pdf-corrupt": lambda: extract_document(b"%PDF-1.4\n" + random_bytes(512)),
    "zip-not-docx": lambda: extract_document(zip_bytes({"a.txt": b"hello"})),
    "zip-bomb": lambda: extract_document(lying_zip(2**31)),
    "zip-entries": lambda: extract_document(zip_bytes(minimal_docx_entries()),
                                            limits=DocumentLimits(max_zip_entries=1)),
    "docx-corrupt": lambda: extract_document(zip_bytes(minimal_docx_entries())),
    "docx-empty": lambda: extract_document(docx_bytes([])),
    "idea-empty": lambda: idea_document(" "),
    "idea-short": lambda: idea_document("a ship"),
    "idea-long": lambda: idea_document("word " * 500),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_every_error_is_one_actionable_line(case: str) -> None:
    with pytest.raises(DocumentError) as err:
        ERROR_CASES[case]()
    message = str(err.value)
    assert issubclass(DocumentError, ValueError)
    assert message == err.value.message
    assert "\n" not in message and len(message) < 300
    assert ";" in message, "what was wrong; what to do"
    assert ACTIONS.search(message.split(";", 1)[1]), message
