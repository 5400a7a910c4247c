"""Hostile documents: files crafted to make the readers use unbounded memory or time, or
fail with something other than a one-line DocumentError."""

from __future__ import annotations

import logging
import re
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from ingest_samples import docx_with_lying_body, pdf_bytes, pdf_sharing_one_stream, raw_docx
from pypdf import PageObject
from reelforge_ingest.documents import DocumentError, DocumentLimits, extract_document
from reelforge_ingest.isolation import extract_isolated

MB = 1024 * 1024
STORY = "The keeper climbs the stairs every night and lights the lamp."


def para(text: str, style: str | None = None) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}<w:r><w:t>{text}</w:t></w:r></w:p>"


def style(style_id: str, name: str, based_on: str | None = None) -> str:
    base = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>'
            f"{base}</w:style>")


def test_docx_part_that_inflates_past_its_declared_size_is_damaged_in_small_memory() -> None:
    data = docx_with_lying_body(inflated=64 * MB, declared=4096)
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError) as err:
            extract_document(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.code == "corrupt" and "damaged" in str(err.value)
    assert peak < 4 * MB, f"inflating the lying part peaked at {peak / MB:.0f} MB"


# The next three run under the isolation's limits (10 s, 256 MB): the readers they cover
# used to take tens of seconds, or unbounded time and memory, on these files.


def test_docx_long_vertical_merge_is_read_once() -> None:
    rows = ['<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr>'
            f"{para('Maya, the keeper of the northern light')}</w:tc></w:tr>"]
    rows += ["<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr>"] * 3_000
    doc = extract_isolated(raw_docx(para(STORY) + f"<w:tbl>{''.join(rows)}</w:tbl>"))
    assert doc.text == f"{STORY}\n\nMaya, the keeper of the northern light"


def test_docx_huge_grid_span_costs_one_cell() -> None:
    cell = f'<w:tc><w:tcPr><w:gridSpan w:val="2000000000"/></w:tcPr>{para("Maya")}</w:tc>'
    row = f"<w:tr>{cell}<w:tc>{para('the keeper')}</w:tc></w:tr>"
    doc = extract_isolated(raw_docx(para(STORY) + f"<w:tbl>{row * 50}</w:tbl>"))
    assert doc.text.split("\n\n")[1:] == ["Maya: the keeper"] * 50


def test_docx_many_styles_and_paragraphs() -> None:
    styles = "".join(style(f"s{i}", f"custom {i}", based_on=f"s{i - 1}" if i else None)
                     for i in range(3_000))
    styles += style("h", "heading 1", based_on="s2999")
    body = para("Chapter One", "h") + "".join(para(STORY, f"s{i % 3_000}")
                                               for i in range(3_000))
    doc = extract_isolated(raw_docx(body, styles))
    assert [s.heading for s in doc.sections] == ["Chapter One"]
    assert doc.text.count(STORY) == 3_000


@pytest.mark.parametrize("style_id", ['a"b', "a'b", "x']/*|//w:p[@a='"])
def test_docx_quote_in_style_id_is_just_a_name(style_id: str) -> None:
    quoted = style_id.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    styles = (f'<w:style w:type="paragraph" w:styleId="{quoted}">'
              '<w:name w:val="heading 1"/></w:style>')
    doc = extract_document(raw_docx(para("The Storm", quoted) + para(STORY), styles))
    assert [s.heading for s in doc.sections] == ["The Storm"]


@pytest.fixture
def pages_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pages whose text extraction was attempted."""
    calls: list[int] = []
    extract_text = PageObject.extract_text

    def counted(page: PageObject, *args: Any, **kwargs: Any) -> str:
        calls.append(1)
        return extract_text(page, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", counted)
    return calls


@pytest.mark.parametrize(("stream_mb", "stopped_at"), [(3, 1), (1.5, 2)])
def test_pdf_pages_sharing_one_big_stream_stop_at_the_first_page_over_budget(
    pages_read: list[int], stream_mb: float, stopped_at: int
) -> None:
    """2 MB of drawing instructions at most (100 bytes a character): a 3 MB stream is
    over pypdf's decompression limit; a 1.5 MB one passes it once, not twice."""
    data = pdf_sharing_one_stream(pages=20, inflated=int(stream_mb * MB))
    with pytest.raises(DocumentError) as err:
        extract_document(data, limits=DocumentLimits(max_chars=20_000))
    assert err.value.code == "corrupt"
    assert f"far too complex for its text (reading stopped at page {stopped_at})" in str(err.value)
    assert len(pages_read) <= 1


@pytest.fixture
def root_records() -> Iterator[list[logging.LogRecord]]:
    """What reaches the root logger's handlers (where a process's log output goes)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)


def test_pypdf_warnings_are_one_summary_line(root_records: list[logging.LogRecord]) -> None:
    data = pdf_bytes([[STORY]]).replace(b"/Type /Font", b"/Type /Font" + b" /Dup 1" * 300)
    assert extract_document(data).text == STORY
    assert [r.name for r in root_records] == ["reelforge_ingest.pdf_reader"]
    count = re.search(r"worked around (\d+) problem", root_records[0].getMessage())
    assert count is not None and int(count[1]) >= 300


def test_an_isolated_parse_passes_its_warning_summary_back(
    root_records: list[logging.LogRecord],
) -> None:
    """The child's log output is not configured: its summary is logged by the parent."""
    data = pdf_bytes([[STORY]]).replace(b"/Type /Font", b"/Type /Font" + b" /Dup 1" * 300)
    assert extract_isolated(data).text == STORY
    assert [r.name for r in root_records] == ["reelforge_ingest.isolation"]
    assert re.match(r"pypdf worked around \d{3} problem", root_records[0].getMessage())
