"""DOCX: a ZIP archive checked against zip bombs before python-docx opens it, then read in
document order (paragraphs and tables); Title/Heading styles start sections.

The archive checks read only the central directory (declared sizes). That is enough:
Python's zipfile never inflates an entry past its declared size (a lying entry fails its
CRC instead), so the declared sizes bound what python-docx can make us decompress.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph
from reelforge.models import Document

from .errors import DocumentError, DocumentLimits, size_text
from .textclean import Outline, clean_line, clean_title, join_cells

XML_BYTES_PER_CHAR = 100
"""Generous upper bound on WordprocessingML bytes per character of text: a body part
bigger than this many times max_chars cannot be within the length limit, so it is refused
before lxml builds a tree of it."""
RATIO_FLOOR = 256 * 1024
"""Parts smaller than this are not ratio-checked: tiny XML parts compress very well and
cannot make a bomb on their own (the total size limit covers many of them)."""
_EOCD = b"PK\x05\x06"
_HEADING_STYLE = re.compile(r"^(Title|Heading [1-9])$")
_RESAVE = "open it in Word or LibreOffice, save it again as DOCX (or export a PDF) and try again"

_P, _TBL, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
_T, _TAB, _BR, _CR, _TXBX = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:txbxContent")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

_OTHER_ZIPS = (
    ("xl/workbook.xml", "an Excel workbook (XLSX)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (PPTX)"),
    ("content.xml", "an OpenDocument file (e.g. ODT)"),
    ("META-INF/container.xml", "an EPUB e-book"),
)


def read_docx(data: bytes, limits: DocumentLimits) -> Document:
    """Check the archive, then read it with python-docx into a Document."""
    archive = open_archive(data, limits)
    require_docx(archive)
    _check_body_size(archive, limits)
    pages = recorded_pages(archive)
    if pages is not None and pages > limits.max_pages:
        raise DocumentError(
            f"this DOCX has {pages:,} pages, over the {limits.max_pages:,}-page limit; "
            "send a shorter document (e.g. a synopsis) and try again",
            "too_many_pages",
        )
    document = _open_docx(data)
    outline = Outline()
    title_style = _fill(document, outline)
    title = clean_title(document.core_properties.title) or title_style or outline.first_heading
    return outline.document("docx", title, pages)


def _open_docx(data: bytes) -> DocxDocument:
    try:
        return docx.Document(io.BytesIO(data))
    except ValueError as exc:
        if "content type" in str(exc):  # .docm, .dotx: a Word file python-docx won't open
            raise DocumentError(
                "this is a Word template or macro-enabled document, not a plain DOCX; "
                "save it as a Word Document (.docx) and try again",
                "unsupported",
            ) from exc
        raise _damaged() from exc
    except Exception as exc:  # python-docx raises many types on malformed packages
        raise _damaged() from exc


def _damaged() -> DocumentError:
    return DocumentError(f"this DOCX is damaged or not a Word document; {_RESAVE}", "corrupt")


# --------------------------------------------------------------------------- the archive


def open_archive(data: bytes, limits: DocumentLimits) -> zipfile.ZipFile:
    """The ZIP, after checking entry count, total uncompressed size and compression ratio
    (zip-bomb protection). The count is read from the end record first, so a directory of
    millions of entries is refused before zipfile parses it."""
    declared = declared_entries(data)
    if declared is not None and declared > limits.max_zip_entries:
        raise _too_many_entries(declared, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(f"this ZIP/DOCX file is damaged or incomplete; {_RESAVE}",
                            "corrupt") from exc
    if len(infos) > limits.max_zip_entries:
        raise _too_many_entries(len(infos), limits)
    total = sum(info.file_size for info in infos)
    if total > limits.max_unzipped_bytes:
        raise DocumentError(
            f"this archive expands to {size_text(total)}, over the "
            f"{size_text(limits.max_unzipped_bytes)} safety limit; {_RESAVE}",
            "unsafe_archive",
        )
    for info in infos:
        _check_entry(info, limits)
    return archive


def _check_entry(info: zipfile.ZipInfo, limits: DocumentLimits) -> None:
    if info.flag_bits & 0x1:
        raise DocumentError(
            "this DOCX is password-protected; remove the password in Word and try again",
            "encrypted",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= RATIO_FLOOR and ratio > limits.max_compression_ratio:
        raise DocumentError(
            f"this archive has a part compressed {ratio:,.0f}:1 (over the "
            f"{limits.max_compression_ratio:,.0f}:1 safety limit), which looks like a zip "
            f"bomb; {_RESAVE}",
            "unsafe_archive",
        )


def _too_many_entries(count: int, limits: DocumentLimits) -> DocumentError:
    return DocumentError(
        f"this archive has {count:,} files inside, over the {limits.max_zip_entries:,} "
        f"limit, so it is not a normal Word document; {_RESAVE}",
        "unsafe_archive",
    )


def declared_entries(data: bytes) -> int | None:
    """The entry count in the end-of-central-directory record, or None if there is no
    such record (zipfile will then report the damage) or the count is in a ZIP64 record."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, at + 10)
    return None if count == 0xFFFF else int(count)


def require_docx(archive: zipfile.ZipFile) -> None:
    """Refuse ZIPs that are not Word documents, naming what they are if we can tell."""
    names = set(archive.namelist())
    if "word/document.xml" in names:
        return
    what = next((label for part, label in _OTHER_ZIPS if part in names), None)
    if what:
        raise DocumentError(
            f"this is {what}, not a DOCX; save the story as DOCX, PDF or plain text and "
            "try again",
            "unsupported",
        )
    raise DocumentError(
        "this is a ZIP archive, not a DOCX; upload the document itself (PDF, DOCX, "
        "Markdown, Fountain or plain text), not an archive",
        "unsupported",
    )


def _check_body_size(archive: zipfile.ZipFile, limits: DocumentLimits) -> None:
    size = archive.getinfo("word/document.xml").file_size
    if size > XML_BYTES_PER_CHAR * limits.max_chars:
        raise DocumentError(
            f"this DOCX is far over the {limits.max_chars:,}-character limit (its text part "
            f"alone is {size_text(size)}); send a shorter document (e.g. a synopsis) and "
            "try again",
            "too_long",
        )


def recorded_pages(archive: zipfile.ZipFile) -> int | None:
    """The page count Word recorded in docProps/app.xml when it last saved, if any."""
    try:
        xml = archive.read("docProps/app.xml")[:65_536].decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return None
    match = re.search(r"<(?:\w+:)?Pages>\s*(\d{1,7})\s*</", xml)
    pages = int(match.group(1)) if match else 0
    return pages or None


# --------------------------------------------------------------------------- the body


def _fill(document: DocxDocument, outline: Outline) -> str | None:
    """Paragraphs and tables in order into the outline; returns the first Title-styled
    paragraph's text (a title candidate)."""
    title: str | None = None
    for block in body_blocks(document):
        if isinstance(block, Table):
            for row in table_rows(block):
                outline.paragraph(row)
            continue
        text = paragraph_text(block)
        style = heading_style(block)
        if style is None:
            outline.paragraph(text)
            continue
        outline.heading(text)
        if style == "Title" and text and title is None:
            title = text
    return title


def body_blocks(document: DocxDocument) -> Iterator[Paragraph | Table]:
    """Body paragraphs and tables in order, including those wrapped in content controls
    (w:sdt), which python-docx's own iteration skips."""
    parent = document._body

    def walk(element: BaseOxmlElement) -> Iterator[Paragraph | Table]:
        for child in element.iterchildren():
            if child.tag == _P:
                yield Paragraph(child, parent)
            elif child.tag == _TBL:
                yield Table(child, parent)
            elif child.tag in (_SDT, _SDT_CONTENT):
                yield from walk(child)

    yield from walk(document.element.body)


def paragraph_text(paragraph: Paragraph) -> str:
    """The visible text of a paragraph from its XML: runs, hyperlinks, fields' results and
    tracked insertions (python-docx's `.text` drops those), without deleted text, field
    codes or text boxes (anchored elsewhere on the page; their Fallback copy would also
    duplicate them)."""
    parts: list[str] = []
    for node in paragraph._p.iter(_T, _TAB, _BR, _CR):
        if _inside_box(node, paragraph._p):
            continue
        if node.tag == _T:
            parts.append(node.text or "")
        else:
            parts.append(" " if node.tag == _TAB else "\n")
    return clean_line("".join(parts))


def _inside_box(node: BaseOxmlElement, stop: BaseOxmlElement) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in (_TXBX, _FALLBACK):
            return True
        parent = parent.getparent()
    return False


def heading_style(paragraph: Paragraph) -> str | None:
    """'Title' or 'Heading N' if the paragraph's style is (or is based on) one."""
    style = paragraph.style
    for _ in range(8):  # base-style chains are short; the bound guards against loops
        if style is None:
            return None
        name = style.name or ""
        if _HEADING_STYLE.match(name):
            return name
        style = style.base_style
    return None


def table_rows(table: Table) -> Iterator[str]:
    """Each row of a table as one line of prose."""
    for row in table.rows:
        yield join_cells([" ".join(paragraph_text(p) for p in cell.paragraphs)
                          for cell in row.cells])
