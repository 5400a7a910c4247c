"""PDF ingestion: text, clean-up, title, sections and every PDF-specific refusal."""

from __future__ import annotations

import pytest
from ingest_samples import image_pdf, pdf_bytes, wrap
from reelforge_ingest.documents import DocumentError, DocumentLimits, extract_document
from reelforge_ingest.pdf_reader import reflow, strip_furniture
from reelforge_ingest.textclean import join_wrapped

STORM = (
    "Maya Okafor keeps the last lighthouse on a coast that the maps have forgotten. "
    "Every night she climbs two hundred steps to light a lamp that no ship has needed "
    "in thirty years, until the night a ship answers."
)
BROTHER = (
    "Her brother Tom arrives on the morning ferry with a map drawn in their father's hand "
    "and a question neither of them wants to ask."
)
SEA = (
    "Beneath the water the old town is still lit, and something down there has been "
    "keeping the lamp burning for her."
)


def story_pdf(**kwargs: object) -> bytes:
    """Three pages with a running header, page-number footers, a heading, a word hyphenated
    across a line end and a paragraph that runs across a page break."""
    header = "THE LAST LIGHT - confidential draft"
    page1 = [header, "The Last Light", *wrap(STORM), *wrap(BROTHER)[:1], "Page 1 of 3"]
    page2 = [
        header,
        *wrap(BROTHER)[1:],
        "Part Two",
        "The storm arrives at night and the lamp fails for the first time in an extraordi-",
        "nary silence that spreads along the whole coast and into the village below.",
        "Page 2 of 3",
    ]
    page3 = [header, *wrap(SEA), "Page 3 of 3"]
    return pdf_bytes([page1, page2, page3], **kwargs)  # type: ignore[arg-type]


def test_pdf_text_is_clean_prose() -> None:
    doc = extract_document(story_pdf(title="The Last Light (Synopsis)"))
    assert doc.format == "pdf"
    assert doc.pages == 3
    assert doc.title == "The Last Light (Synopsis)"
    assert "confidential draft" not in doc.text
    assert "Page 1" not in doc.text and "Page 3 of 3" not in doc.text
    assert "extraordinary silence" in doc.text
    assert STORM in doc.text
    assert BROTHER in doc.text  # rejoined across the page break
    assert SEA in doc.text


def test_pdf_paragraphs_and_sections() -> None:
    doc = extract_document(story_pdf())
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[:3] == ["The Last Light", STORM, BROTHER]
    assert [s.heading for s in doc.sections] == ["The Last Light", "Part Two"]
    assert doc.sections[1].text.startswith("The storm arrives")
    assert doc.sections[1].text.endswith(SEA)


def test_pdf_title_falls_back_to_first_line() -> None:
    doc = extract_document(story_pdf(title="Microsoft Word - draft3.docx"))
    assert doc.title == "The Last Light"


def test_pdf_detected_by_content_not_name() -> None:
    assert extract_document(story_pdf(), filename="story.txt").format == "pdf"


def test_pdf_encrypted_with_password_is_refused() -> None:
    data = story_pdf(user_password="secret")
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "encrypted"
    assert "encrypted" in str(err.value) and "remove the password" in str(err.value)


def test_pdf_with_only_permissions_password_is_read() -> None:
    """Encrypted without an open password: every viewer opens it, so do we."""
    doc = extract_document(story_pdf(user_password=""))
    assert STORM in doc.text


def test_pdf_scanned_has_no_text() -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(image_pdf())
    assert err.value.code == "no_text"
    assert "run OCR" in str(err.value)


def test_pdf_too_many_pages() -> None:
    data = pdf_bytes([["Page text that is long enough to count."]] * 201)
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "too_many_pages"
    assert "201 pages" in str(err.value) and "200-page limit" in str(err.value)


def test_pdf_page_limit_is_configurable() -> None:
    with pytest.raises(DocumentError, match="3 pages, over the 2-page limit"):
        extract_document(story_pdf(), limits=DocumentLimits(max_pages=2))


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 8,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>",
    ],
    ids=["garbage-after-header", "broken-page-tree"],
)
def test_pdf_corrupted(data: bytes) -> None:
    with pytest.raises(DocumentError) as err:
        extract_document(data)
    assert err.value.code == "corrupt"
    assert "damaged" in str(err.value) and "try again" in str(err.value)


def test_pdf_truncated() -> None:
    data = story_pdf()
    with pytest.raises(DocumentError) as err:
        extract_document(data[: len(data) // 3])
    assert err.value.code == "corrupt"


def test_furniture_needs_repetition() -> None:
    """A line at the top of one page only is content, not a running header."""
    pages = [["Chapter One", "text a"], ["Other", "text b"], ["More", "text c"]]
    assert strip_furniture(pages) == pages


def test_reflow_keeps_hyphenated_compounds() -> None:
    blocks = reflow([["A long line about a well-", "Known place that is here ok."]])
    assert blocks == [(False, "A long line about a well-Known place that is here ok.")]


def test_join_wrapped_dashes() -> None:
    assert join_wrapped(["the lamp -", "it fails"]) == "the lamp - it fails"
    assert join_wrapped(["a well-", "known place"]) == "a well-known place"
    assert join_wrapped(["an exam-", "ple"], dehyphenate=True) == "an example"
