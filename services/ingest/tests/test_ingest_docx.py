"""DOCX ingestion, and the archive checks that run before any part is inflated."""

from __future__ import annotations

import pytest
from ingest_samples import (
    as_macro_enabled,
    docx_bytes,
    docx_with_xml,
    lying_zip,
    minimal_docx_entries,
    with_recorded_pages,
    zip_bytes,
)
from reelforge_ingest import docx_reader
from reelforge_ingest.documents import DocumentError, DocumentLimits, extract_document

STORY = [
    ("title", "The Last Light"),
    ("p", "A lighthouse keeper on a forgotten coast lights a lamp no ship has needed."),
    ("h1", "The Storm"),
    ("p", "The storm arrives at night and the lamp fails."),
    ("table", "Maya|the keeper\nTom|her brother"),
    ("h2", "Below"),
    ("p", "Beneath the water the old town is still lit."),
]


@pytest.fixture
def no_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any part is inflated: hostile archives must be refused by the
    archive checks first."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a part was inflated from a file the archive checks should refuse")

    monkeypatch.setattr(docx_reader.Parts, "read", refuse)


def test_docx_paragraphs_tables_and_sections() -> None:
    doc = extract_document(docx_bytes(STORY))
    assert doc.format == "docx"
    assert doc.title == "The Last Light"
    assert doc.text.split("\n\n") == [
        "The Last Light",
        "A lighthouse keeper on a forgotten coast lights a lamp no ship has needed.",
        "The Storm",
        "The storm arrives at night and the lamp fails.",
        "Maya: the keeper",
        "Tom: her brother",
        "Below",
        "Beneath the water the old town is still lit.",
    ]
    assert [s.heading for s in doc.sections] == ["The Last Light", "The Storm", "Below"]
    assert doc.sections[1].text.endswith("Tom: her brother")
    assert doc.pages == 1  # as recorded in docProps/app.xml


def test_docx_title_from_core_properties() -> None:
    doc = extract_document(docx_bytes(STORY, core_title="Lamp (working title)"))
    assert doc.title == "Lamp (working title)"


def test_docx_title_from_first_heading_without_title_style() -> None:
    doc = extract_document(docx_bytes(STORY[2:]))
    assert doc.title == "The Storm"


def test_docx_without_headings_is_one_section() -> None:
    doc = extract_document(docx_bytes([("p", "Just one paragraph of story text here.")]))
    assert doc.title is None
    assert len(doc.sections) == 1 and doc.sections[0].heading is None


def test_docx_detected_by_content_not_name() -> None:
    assert extract_document(docx_bytes(STORY), filename="notes.md").format == "docx"


@pytest.mark.usefixtures("no_inflating")
def test_zip_bomb_by_ratio() -> None:
    data = zip_bytes({**minimal_docx_entries(), "word/media/bomb.bin": bytes(4 * 1024 * 1024)})
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "unsafe_archive"
    assert "zip bomb" in str(err.value) and "save it again" in str(err.value)


@pytest.mark.usefixtures("no_inflating")
def test_zip_bomb_by_declared_size() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(lying_zip(4_000_000_000))
    assert err.value.code == "unsafe_archive"
    assert "expands to 3814.7 MB, over the 100 MB safety limit" in str(err.value)


@pytest.mark.usefixtures("no_inflating")
def test_zip_total_size_limit_is_configurable() -> None:
    data = zip_bytes({**minimal_docx_entries(), "word/media/a.bin": bytes(range(256)) * 8192})
    with pytest.raises(DocumentError, match="expands to 2 MB, over the 1 MB safety limit"):
        extract_document(data, limits=DocumentLimits(max_unzipped_bytes=1024 * 1024))


@pytest.mark.usefixtures("no_inflating")
def test_zip_with_too_many_entries() -> None:
    entries = {f"word/media/{i}.xml": b"<x/>" for i in range(1_001)}
    with pytest.raises(DocumentError) as err:
        extract_document(zip_bytes({**minimal_docx_entries(), **entries}))
    assert err.value.code == "unsafe_archive"
    assert "1,003 files inside, over the 1,000 limit" in str(err.value)


def test_declared_entries_read_from_end_record() -> None:
    data = zip_bytes({"a": b"1", "b": b"2"})
    assert docx_reader.declared_entries(data) == 2
    assert docx_reader.declared_entries(b"not a zip") is None


def test_zip_that_is_not_a_docx() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(zip_bytes({"story.txt": b"Once upon a time.", "cover.png": b"x"}))
    assert err.value.code == "unsupported"
    assert "this is a ZIP archive, not a DOCX; upload the document itself" in str(err.value)


def test_zip_that_is_a_spreadsheet() -> None:
    with pytest.raises(DocumentError, match=r"Excel workbook.*not a DOCX; save the story"):
        extract_document(zip_bytes({"xl/workbook.xml": b"<w/>", "[Content_Types].xml": b""}))


def test_docx_damaged_inside() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(zip_bytes(minimal_docx_entries()))
    assert err.value.code == "corrupt"
    assert "damaged" in str(err.value) and "save it again" in str(err.value)


def test_docx_truncated() -> None:
    data = docx_bytes(STORY)
    with pytest.raises(DocumentError) as err:
        extract_document(data[: len(data) // 2])
    assert err.value.code == "corrupt"


def test_docx_page_count_over_limit() -> None:
    data = with_recorded_pages(docx_bytes(STORY), 250)
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "too_many_pages"
    assert "250 pages, over the 200-page limit; send a shorter document" in str(err.value)


def test_docx_empty_document() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(docx_bytes([]))
    assert err.value.code == "empty"
    assert "has no text; add your story" in str(err.value)


def test_docx_tracked_changes_content_controls_and_text_boxes() -> None:
    data = docx_with_xml(
        "<w:p><w:r><w:t xml:space='preserve'>The lamp </w:t></w:r>"
        "<w:ins w:id='1' w:author='ed'><w:r><w:t xml:space='preserve'>finally </w:t></w:r></w:ins>"
        "<w:del w:id='2' w:author='ed'><w:r><w:delText>never </w:delText></w:r></w:del>"
        "<w:r><w:t>fails.</w:t><w:tab/><w:t>Then</w:t><w:br/><w:t>silence.</w:t></w:r>"
        "<w:r><w:pict><v:shape xmlns:v='urn:schemas-microsoft-com:vml'><v:textbox>"
        "<w:txbxContent><w:p><w:r><w:t>BOX</w:t></w:r></w:p></w:txbxContent>"
        "</v:textbox></v:shape></w:pict></w:r></w:p>",
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>Inside a content control.</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    doc = extract_document(data)
    assert doc.text == "The lamp finally fails. Then silence.\n\nInside a content control."


def test_docx_macro_enabled_is_named() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(as_macro_enabled(docx_bytes(STORY)))
    assert err.value.code == "unsupported"
    assert "macro-enabled" in str(err.value) and "save it as a Word Document" in str(err.value)


@pytest.mark.usefixtures("no_inflating")
def test_docx_body_too_big_to_be_within_the_length_limit() -> None:
    data = zip_bytes({**minimal_docx_entries(), "word/document.xml": b"<w:p/>" * 40_000})
    with pytest.raises(DocumentError) as err:
        extract_document(data, limits=DocumentLimits(max_chars=1_000))
    assert err.value.code == "too_long"
    assert "far over the 1,000-character limit (its text part alone is 234 KB)" in str(err.value)
