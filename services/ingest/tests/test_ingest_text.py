"""Text uploads: Fountain, Markdown and plain text, decoding, and format detection."""

from __future__ import annotations

import codecs

import pytest
from reelforge_ingest.detect import classify_text, decode_text
from reelforge_ingest.documents import extract_document

SCREENPLAY = """\
Title:
    _**THE LAST LIGHT**_
Credit: Written by
Author: Jane Doe
Draft date: 1 May 2025

# ACT ONE

= Maya finds the ship.

FADE IN:

INT. LIGHTHOUSE - NIGHT #1#

Rain hammers the glass. MAYA (30s) climbs the *spiral* stairs.

MAYA
(breathless)
We have to go back.
[[is this line too on the nose?]]
Tonight.

TOM (O.S.)
It's too late for that.

@McCLANE
Yippee.

BRICK ^
Screw retirement.

CUT TO:

/* Cut scene:
EXT. BEACH - DAY

Nothing happens.
*/

.FLASHBACK

A younger Maya watches her father light the lamp.

> FADE OUT.

===

EXT. CLIFF - DAWN

Tom stands at the edge. The sea is **furious** and \\*loud\\*.

MAYA
~Somewhere beyond the sea
~she's waiting for me

>THE END<
"""


def test_fountain_screenplay() -> None:
    doc = extract_document(SCREENPLAY.encode(), filename="script.txt")
    assert doc.format == "fountain"
    assert doc.title == "THE LAST LIGHT"
    assert [s.heading for s in doc.sections] == [
        "INT. LIGHTHOUSE - NIGHT",
        "FLASHBACK",
        "EXT. CLIFF - DAWN",
    ]
    assert doc.sections[0].text.split("\n\n") == [
        "Rain hammers the glass. MAYA (30s) climbs the spiral stairs.",
        "MAYA: We have to go back. Tonight.",
        "TOM: It's too late for that.",
        "McCLANE: Yippee.",
        "BRICK: Screw retirement.",
    ]
    assert doc.sections[2].text.split("\n\n") == [
        "Tom stands at the edge. The sea is furious and *loud*.",
        "MAYA: Somewhere beyond the sea she's waiting for me",
        "THE END",
    ]
    for gone in ("CUT TO", "FADE OUT", "FADE IN", "BEACH", "on the nose", "breathless", "Jane Doe",
                 "Maya finds", "===", "#1#"):
        assert gone not in doc.text


def test_fountain_without_title_page() -> None:
    text = "EXT. FIELD - DAY\n\nA crow lands.\n\nANNA\nGo away.\n\nANNA\nPlease.\n"
    doc = extract_document(text.encode())
    assert doc.format == "fountain" and doc.title is None
    assert doc.sections[0].text == "A crow lands.\n\nANNA: Go away.\n\nANNA: Please."


MARKDOWN = """\
---
title: "Front Matter Title"
author: someone
---

# The Last Light

A *lighthouse keeper* on a **forgotten** coast, told in [three parts](https://x.y).
![the lamp at night](lamp.png)

## Part One

- She climbs the stairs.
- The lamp fails.

### A small note

<!-- an editor comment -->
Text with `code` and ~~struck~~ words.

| Name | Role |
|------|------|
| Maya | keeper |

```
a poem in a code block
```

Part Two
--------

> The sea answers.
"""


def test_markdown_to_prose() -> None:
    doc = extract_document(MARKDOWN.encode())
    assert doc.format == "markdown"
    assert doc.title == "The Last Light"
    assert [s.heading for s in doc.sections] == ["The Last Light", "Part One", "Part Two"]
    assert doc.sections[0].text == (
        "A lighthouse keeper on a forgotten coast, told in three parts. the lamp at night"
    )
    assert doc.sections[1].text.split("\n\n") == [
        "She climbs the stairs.",
        "The lamp fails.",
        "A small note",
        "Text with code and struck words.",
        "Maya: keeper",
        "a poem in a code block",
    ]
    assert doc.sections[2].text == "The sea answers."
    for gone in ("*", "](", "<!--", "---", "author", "Name"):
        assert gone not in doc.text


def test_markdown_title_from_front_matter_without_h1() -> None:
    doc = extract_document(b"---\ntitle: Lamp\n---\n\n## One\n\nSome **bold** text, and more.\n",
                           filename="a.md")
    assert doc.format == "markdown" and doc.title == "Lamp"


PLAIN = """\
THE LAST LIGHT

A lighthouse keeper on a forgotten coast lights a lamp that no ship has
needed in thirty years \u2014 until the night a ship answers. Caf\u00e9 owners
in the village call it \u201cthe ghost light\u201d.

Part One
The storm arrives and the lamp fails.

The Village Below

Beneath the water the old town is still lit.
"""


def test_plain_text_cp1252() -> None:
    doc = extract_document(PLAIN.encode("cp1252"), filename="story.txt")
    assert doc.format == "text"
    assert doc.title == "THE LAST LIGHT"
    assert "\u201cthe ghost light\u201d" in doc.text and "Caf\u00e9" in doc.text
    assert [s.heading for s in doc.sections] == ["THE LAST LIGHT", "Part One", "The Village Below"]
    assert doc.sections[0].text.startswith("A lighthouse keeper on a forgotten coast lights a "
                                           "lamp that no ship has needed in thirty years")
    assert doc.sections[1].text == "The storm arrives and the lamp fails."


def test_plain_text_one_paragraph_per_line() -> None:
    long = "The keeper climbs the stairs every night and lights the lamp for ships that never come."
    text = f"CHAPTER ONE\n{long} {long}\n{long} {long}\n"
    doc = extract_document(text.encode())
    assert doc.format == "text"
    assert [s.heading for s in doc.sections] == ["CHAPTER ONE"]
    assert doc.sections[0].text == f"{long} {long}\n\n{long} {long}"


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (codecs.BOM_UTF8 + PLAIN.encode(), "utf-8-bom"),
        (PLAIN.encode("utf-16-le"), "utf-16-le-no-bom"),
        (PLAIN.encode("utf-16-be"), "utf-16-be-no-bom"),
        (PLAIN.encode("utf-16"), "utf-16-bom"),
        (PLAIN.encode("utf-32"), "utf-32-bom"),
        (PLAIN.encode("cp1252"), "cp1252"),
        (PLAIN.replace("\u2014", "-").replace("\u201c", '"').replace("\u201d", '"')
         .encode("latin-1"), "latin-1"),
    ],
)
def test_decoding(encoded: bytes, name: str) -> None:
    text = decode_text(encoded)
    assert "Caf\u00e9" in text, name
    assert not text.startswith("\ufeff")


def test_decoding_mostly_utf8_with_a_stray_byte() -> None:
    """One bad byte in a UTF-8 file must not turn every accent into mojibake."""
    data = ("na\u00efve caf\u00e9 " * 20).encode() + b"\xff"
    assert decode_text(data).startswith("na\u00efve caf\u00e9")


def test_windows_newlines() -> None:
    doc = extract_document(PLAIN.replace("\n", "\r\n").encode())
    assert "\r" not in doc.text
    assert [s.heading for s in doc.sections] == ["THE LAST LIGHT", "Part One", "The Village Below"]


AMBIGUOUS = "MAYA\nWe should go.\n\nThe keeper looks out to sea and waits for the ship.\n"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("scene.fountain", "fountain"),
        ("scene.md", "markdown"),
        ("scene.txt", "text"),
        (None, "text"),
        ("scene.pdf", "text"),
    ],
)
def test_extension_breaks_ties(filename: str | None, expected: str) -> None:
    assert classify_text(AMBIGUOUS, filename) == expected


def test_ambiguous_text_read_as_fountain_when_named_so() -> None:
    doc = extract_document(AMBIGUOUS.encode(), filename="scene.fountain")
    assert doc.text.startswith("MAYA: We should go.")


@pytest.mark.parametrize("filename", ["story.fountain", "story.txt", None])
def test_content_beats_extension(filename: str | None) -> None:
    assert classify_text(MARKDOWN, filename) == "markdown"
    assert classify_text(SCREENPLAY, filename) == "fountain"


def test_plain_text_with_caps_headings_is_not_a_screenplay() -> None:
    text = ("THE LIGHT\nA story in two parts.\n\nPART ONE\nThe storm comes.\n\n"
            "PART TWO\nThe sea answers.\n")
    assert classify_text(text) == "text"


def test_text_mentioning_pdf_header_is_still_text() -> None:
    doc = extract_document(b"Notes: the file starts with %PDF- and then garbage, says Tom.")
    assert doc.format == "text"


def test_part_heading_is_not_a_title() -> None:
    doc = extract_document(b"# Chapter One\n\nThe keeper climbs the stairs. **Slowly**.\n",
                           filename="a.md")
    assert doc.title is None
    assert doc.sections[0].heading == "Chapter One"


def test_one_markdown_heading_is_enough() -> None:
    doc = extract_document(b"# The Last Light\n\nA keeper lights a lamp no ship has needed.\n")
    assert doc.format == "markdown" and doc.title == "The Last Light"
