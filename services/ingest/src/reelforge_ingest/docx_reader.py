"""DOCX: a ZIP archive checked against zip bombs, then the few parts we need (the body, its
styles, the recorded title and page count) inflated in bounded chunks and read with lxml in
document order (paragraphs and tables); Title/Heading styles start sections.

Nothing here trusts the archive: the central directory's sizes are checked before anything is
inflated, every part is inflated a chunk at a time against its declared size (a part that
inflates past it is damaged, found after at most one chunk more), styles are looked up in a
map built once, and table cells are read as they are stored (merged cells are never
expanded), so the work is bounded by the size of the file.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO

from lxml import etree
from reelforge.models import Document

from .errors import DocumentError, DocumentLimits, size_text
from .textclean import Outline, clean_line, clean_title, join_cells

XML_BYTES_PER_CHAR = 100
"""Generous upper bound on WordprocessingML bytes per character of text: a body part
bigger than this many times max_chars cannot be within the length limit, so it is refused
before it is inflated. Every other part we read is held to the same bound."""
RATIO_FLOOR = 256 * 1024
"""Parts smaller than this are not ratio-checked: tiny XML parts compress very well and
cannot make a bomb on their own (the total size limit covers many of them)."""
INFLATE_CHUNK = 64 * 1024
"""Bytes inflated at a time: a part that lies about its size costs at most this much more
than its declared size before it is called damaged."""
MAX_BASE_STYLES = 8
"""Base-style chains are short; the bound guards against loops."""
_EOCD = b"PK\x05\x06"
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_HEADING_STYLE = re.compile(r"^(title|heading [1-9])$", re.IGNORECASE)
_RESAVE = "open it in Word or LibreOffice, save it again as DOCX (or export a PDF) and try again"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc"
_SDT, _SDT_CONTENT, _BODY = f"{_W}sdt", f"{_W}sdtContent", f"{_W}body"
_T, _TAB, _BR, _CR, _TXBX = f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}txbxContent"
_STYLE, _VAL, _STYLE_ID = f"{_W}style", f"{_W}val", f"{_W}styleId"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_CT_OVERRIDE = "{http://schemas.openxmlformats.org/package/2006/content-types}Override"
_BODY_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

BODY, STYLES, CORE, APP, TYPES = (
    "word/document.xml", "word/styles.xml", "docProps/core.xml", "docProps/app.xml",
    "[Content_Types].xml",
)

_OTHER_ZIPS = (
    ("xl/workbook.xml", "an Excel workbook (XLSX)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (PPTX)"),
    ("content.xml", "an OpenDocument file (e.g. ODT)"),
    ("META-INF/container.xml", "an EPUB e-book"),
)


def read_docx(data: bytes, limits: DocumentLimits) -> Document:
    """Check the archive, then read its body into a Document. Any failure is a one-line
    DocumentError."""
    try:
        return _read(data, limits)
    except DocumentError:
        raise
    except Exception as exc:  # lxml, zlib and struct raise many types on hostile files
        raise damaged() from exc


def _read(data: bytes, limits: DocumentLimits) -> Document:
    archive = open_archive(data, limits)
    require_docx(archive)
    _check_body_size(archive, limits)
    parts = Parts(data, archive, XML_BYTES_PER_CHAR * limits.max_chars)
    pages = recorded_pages(parts)
    if pages is not None and pages > limits.max_pages:
        raise DocumentError(
            f"this DOCX has {pages:,} pages, over the {limits.max_pages:,}-page limit; "
            "send a shorter document (e.g. a synopsis) and try again",
            "too_many_pages",
        )
    _check_content_type(parts)
    styles = StyleMap(parts.xml(STYLES))
    body = parts.xml(BODY)
    if body is None or (body_element := body.find(_BODY)) is None:
        raise damaged()
    outline = Outline()
    title_style = _fill(body_element, styles, outline)
    title = clean_title(core_title(parts)) or title_style or outline.first_heading
    return outline.document("docx", title, pages)


def damaged() -> DocumentError:
    return DocumentError(f"this DOCX is damaged or not a Word document; {_RESAVE}", "corrupt")


# --------------------------------------------------------------------------- the archive


def open_archive(data: bytes, limits: DocumentLimits) -> zipfile.ZipFile:
    """The ZIP (its central directory only), after checking entry count, total
    uncompressed size and compression ratio (zip-bomb protection). The count is read from
    the end record first, so a directory of millions of entries is refused before zipfile
    parses it."""
    declared = declared_entries(data)
    if declared is not None and declared > limits.max_zip_entries:
        raise _too_many_entries(declared, limits)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
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
    if BODY in names:
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
    size = archive.getinfo(BODY).file_size
    if size > XML_BYTES_PER_CHAR * limits.max_chars:
        raise DocumentError(
            f"this DOCX is far over the {limits.max_chars:,}-character limit (its text part "
            f"alone is {size_text(size)}); send a shorter document (e.g. a synopsis) and "
            "try again",
            "too_long",
        )


class Parts:
    """The archive's parts, inflated on request, never past their declared size nor
    `max_part_bytes`."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, max_part_bytes: int) -> None:
        self._data = memoryview(data)
        self._infos = {info.filename: info for info in archive.infolist()}
        self._max_part_bytes = max_part_bytes
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True,
                                       load_dtd=False, huge_tree=False)

    def read(self, name: str) -> bytes | None:
        """The part's bytes, None if the archive has no such part; raises the damaged
        error as soon as the part turns out bigger than it says, or is corrupt."""
        info = self._infos.get(name)
        if info is None:
            return None
        if info.file_size > self._max_part_bytes:
            raise damaged()
        compressed = self._compressed(info)
        if info.compress_type == zipfile.ZIP_STORED:
            content = bytes(compressed)
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            content = inflate(compressed, info.file_size)
        else:  # Word only deflates; other methods have no output bound in zlib's API
            raise damaged()
        if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
            raise damaged()
        return content

    def xml(self, name: str) -> etree._Element | None:
        content = self.read(name)
        if content is None:
            return None
        try:
            return etree.fromstring(content, self._parser)
        except etree.XMLSyntaxError as exc:
            raise damaged() from exc

    def _compressed(self, info: zipfile.ZipInfo) -> memoryview:
        """The part's compressed bytes, found through its local header."""
        at = info.header_offset
        if at + _LOCAL_HEADER.size > len(self._data):
            raise damaged()
        signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(self._data, at)
        if signature != b"PK\x03\x04":
            raise damaged()
        start = at + _LOCAL_HEADER.size + name_length + extra_length
        end = start + info.compress_size
        if end > len(self._data):
            raise damaged()
        return self._data[start:end]


def inflate(compressed: memoryview, declared: int) -> bytes:
    """Raw deflate data inflated INFLATE_CHUNK bytes at a time; damaged as soon as it
    passes `declared` bytes (so at most declared + one chunk is ever held), or if the
    stream is truncated."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    pending: bytes = b""
    position = 0
    while not inflater.eof:
        if not pending:
            if position >= len(compressed):
                raise damaged()  # the stream ends before its end marker
            pending = bytes(compressed[position:position + INFLATE_CHUNK])
            position += INFLATE_CHUNK
        out += inflater.decompress(pending, INFLATE_CHUNK)
        pending = inflater.unconsumed_tail
        if len(out) > declared:
            raise damaged()
    return bytes(out)


def recorded_pages(parts: Parts) -> int | None:
    """The page count Word recorded in docProps/app.xml when it last saved, if any."""
    try:
        content = parts.read(APP)
    except DocumentError:
        return None  # only a hint: a broken part is no reason to refuse the document
    if content is None:
        return None
    match = re.search(r"<(?:\w+:)?Pages>\s*(\d{1,7})\s*</",
                      content[:65_536].decode("utf-8", "replace"))
    pages = int(match.group(1)) if match else 0
    return pages or None


def _check_content_type(parts: Parts) -> None:
    """The body must be declared a Word document; templates and macro-enabled documents
    are named."""
    types = parts.xml(TYPES)
    if types is None:
        raise damaged()
    for override in types.iter(_CT_OVERRIDE):
        if (override.get("PartName") or "").lower() != "/" + BODY:
            continue
        content_type = override.get("ContentType") or ""
        if content_type == _BODY_TYPE:
            return
        if "macroEnabled" in content_type or "template" in content_type:
            raise DocumentError(
                "this is a Word template or macro-enabled document, not a plain DOCX; "
                "save it as a Word Document (.docx) and try again",
                "unsupported",
            )
    raise damaged()


def core_title(parts: Parts) -> str | None:
    """The title in the document's properties, if any."""
    core = parts.xml(CORE)
    node = core.find(_DC_TITLE) if core is not None else None
    return node.text if node is not None else None


# --------------------------------------------------------------------------- the body


class StyleMap:
    """Which paragraph styles are headings: 'Title' or 'Heading N' for a style that is (or
    is based on) one, read once from the styles part. Lookups are dictionary lookups:
    style ids, which are attacker-chosen text, never reach a query."""

    def __init__(self, styles: etree._Element | None) -> None:
        names: dict[str, str] = {}
        bases: dict[str, str] = {}
        self.default: str | None = None
        for style in styles.iter(_STYLE) if styles is not None else ():
            if style.get(f"{_W}type", "paragraph") != "paragraph":
                continue
            style_id = style.get(_STYLE_ID)
            if style_id is None:
                continue
            names[style_id] = _child_value(style, "name") or ""
            bases[style_id] = _child_value(style, "basedOn") or ""
            if style.get(f"{_W}default") in ("1", "true", "on") and self.default is None:
                self.default = style_id
        self._headings = {style_id: _heading(style_id, names, bases) for style_id in names}

    def heading(self, style_id: str | None) -> str | None:
        """The heading kind of a paragraph with this style (None: not a heading); unknown
        or missing styles are the default style, as in Word."""
        if style_id is None or style_id not in self._headings:
            style_id = self.default
        return self._headings.get(style_id) if style_id is not None else None


def _heading(style_id: str, names: dict[str, str], bases: dict[str, str]) -> str | None:
    current: str | None = style_id
    for _ in range(MAX_BASE_STYLES):
        if current is None or current not in names:
            return None
        if _HEADING_STYLE.match(names[current].strip()):
            return names[current].strip().capitalize()  # Word stores "heading 1", "title"
        current = bases[current] or None
    return None


def _child_value(element: etree._Element, child: str) -> str | None:
    node = element.find(f"{_W}{child}")
    return node.get(_VAL) if node is not None else None


def _fill(body: etree._Element, styles: StyleMap, outline: Outline) -> str | None:
    """Paragraphs and tables in order into the outline; returns the first Title-styled
    paragraph's text (a title candidate)."""
    title: str | None = None
    for block in body_blocks(body):
        if block.tag == _TBL:
            for row in table_rows(block):
                outline.paragraph(row)
            continue
        text = paragraph_text(block)
        style = styles.heading(paragraph_style(block))
        if style is None:
            outline.paragraph(text)
            continue
        outline.heading(text)
        if style == "Title" and text and title is None:
            title = text
    return title


def body_blocks(body: etree._Element) -> Iterator[etree._Element]:
    """Body paragraphs and tables in order, including those wrapped in content controls
    (w:sdt)."""
    pending = [iter(body)]
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
        elif child.tag in (_P, _TBL):
            yield child
        elif child.tag in (_SDT, _SDT_CONTENT):
            pending.append(iter(child))


def paragraph_style(paragraph: etree._Element) -> str | None:
    node = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return node.get(_VAL) if node is not None else None


def paragraph_text(paragraph: etree._Element) -> str:
    """The visible text of a paragraph: runs, hyperlinks, fields' results and tracked
    insertions, without deleted text, field codes or text boxes (anchored elsewhere on the
    page; their Fallback copy would also duplicate them)."""
    parts: list[str] = []
    for node in paragraph.iter(_T, _TAB, _BR, _CR):
        if _inside_box(node, paragraph):
            continue
        if node.tag == _T:
            parts.append(node.text or "")
        else:
            parts.append(" " if node.tag == _TAB else "\n")
    return clean_line("".join(parts))


def _inside_box(node: etree._Element, stop: etree._Element) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in (_TXBX, _FALLBACK):
            return True
        parent = parent.getparent()
    return False


def table_rows(table: etree._Element) -> Iterator[str]:
    """Each row of a table as one line of prose, from its cells as stored: a merged cell
    is read once (cells continuing a vertical merge are empty)."""
    for row in table.iterchildren(_TR):
        yield join_cells([" ".join(paragraph_text(p) for p in cell.iterchildren(_P))
                          for cell in row.iterchildren(_TC)])
