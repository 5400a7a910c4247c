"""Builders for test inputs: PDFs (text, image-only, encrypted), DOCX files, hostile ZIPs.
Everything is generated in memory so nothing binary is committed."""

from __future__ import annotations

import io
import re
import struct
import textwrap
import zipfile
import zlib
from collections.abc import Callable, Iterable

import docx
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

LINE_HEIGHT = 14
TOP = 750


def wrap(*paragraphs: str, width: int = 78) -> list[str]:
    """Paragraphs hard-wrapped into lines, as a PDF lays them out (no blank lines between:
    pypdf's extraction does not report the gap)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, width)
    return lines


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _text_stream(lines: Iterable[str]) -> bytes:
    ops = [f"BT /F1 10 Tf {LINE_HEIGHT} TL 60 {TOP} Td"]
    ops += [f"({_escape(line)}) Tj T*" for line in lines]
    ops.append("ET")
    return "\n".join(ops).encode("cp1252")


def pdf_bytes(
    pages: list[list[str]],
    title: str | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """A PDF with one text line per list item, Helvetica, top to bottom."""
    writer = PdfWriter()
    resources = _helvetica(writer)
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = resources
        stream = DecodedStreamObject()
        stream.set_data(_text_stream(lines))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if title:
        writer.add_metadata({"/Title": title})
    if user_password is not None:
        writer.encrypt(user_password, owner_password or "owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _helvetica(writer: PdfWriter) -> DictionaryObject:
    """Page resources naming Helvetica as /F1."""
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    return DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})


def image_pdf(pages: int = 2) -> bytes:
    """A 'scanned' PDF: each page is one grey image, no text at all."""
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        image = DecodedStreamObject()
        image.set_data(bytes(range(64)))
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(8),
                NameObject("/Height"): NumberObject(8),
                NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                NameObject("/BitsPerComponent"): NumberObject(8),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/XObject"): DictionaryObject(
                    {NameObject("/Im1"): writer._add_object(image)}
                ),
                NameObject("/ProcSet"): ArrayObject([NameObject("/ImageB")]),
            }
        )
        content = DecodedStreamObject()
        content.set_data(b"q 500 0 0 700 56 46 cm /Im1 Do Q")
        page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(build: list[tuple[str, str]], core_title: str | None = None) -> bytes:
    """A DOCX from (kind, text) items: 'title', 'h1', 'h2', 'p', or 'table' (rows split on
    '\\n', cells on '|')."""
    document = docx.Document()
    for kind, text in build:
        if kind == "title":
            document.add_heading(text, 0)
        elif kind in ("h1", "h2"):
            document.add_heading(text, int(kind[1]))
        elif kind == "table":
            rows = [row.split("|") for row in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            document.add_paragraph(text)
    if core_title is not None:
        document.core_properties.title = core_title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A deflated ZIP with the given entries."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def minimal_docx_entries() -> dict[str, bytes]:
    """The parts that make a ZIP look like a DOCX to content sniffing."""
    return {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>",
    }


def lying_zip(declared_size: int) -> bytes:
    """A DOCX-looking ZIP whose central directory claims one part inflates to
    `declared_size` bytes (a bomb that lies about itself is still caught up front)."""
    data = bytearray(zip_bytes({**minimal_docx_entries(), "word/media/big.bin": b"x" * 100}))
    at = data.rfind(b"PK\x01\x02")  # the last central directory header: big.bin
    struct.pack_into("<I", data, at + 24, declared_size)
    return bytes(data)


def replace_part(data: bytes, name: str, transform: Callable[[str], str]) -> bytes:
    """The ZIP with the text of part `name` passed through `transform`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {info.filename: source.read(info) for info in source.infolist()}
    entries[name] = transform(entries[name].decode()).encode()
    return zip_bytes(entries)


def with_recorded_pages(data: bytes, pages: int) -> bytes:
    """The DOCX with Word's recorded page count (docProps/app.xml) set to `pages`."""
    return replace_part(
        data, "docProps/app.xml", lambda xml: re.sub(r"<Pages>\d+</Pages>",
                                                      f"<Pages>{pages}</Pages>", xml)
    )


def as_macro_enabled(data: bytes) -> bytes:
    """The DOCX relabelled as a macro-enabled document (.docm)."""
    return replace_part(
        data, "[Content_Types].xml",
        lambda xml: xml.replace("wordprocessingml.document.main+xml",
                                "ms-word.document.macroEnabled.main+xml"),
    )


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_with_xml(*body_xml: str) -> bytes:
    """A DOCX whose body gets these raw WordprocessingML fragments appended (for what
    python-docx cannot build: tracked changes, content controls, text boxes)."""
    from docx.oxml import parse_xml

    document = docx.Document()
    body = document.element.body
    for fragment in body_xml:
        root, rest = fragment.split(">", 1)
        body.insert(len(body) - 1, parse_xml(f"{root} {W}>{rest}"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.styles+xml"/></Types>'
)
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = (
    f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
    f'Type="{_OFFICE}/officeDocument" Target="word/document.xml"/></Relationships>'
)
BODY_RELS = (
    f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
    f'Type="{_OFFICE}/styles" Target="styles.xml"/></Relationships>'
)


def raw_docx(body: str, styles: str = "", parts: dict[str, bytes] | None = None) -> bytes:
    """A DOCX built from WordprocessingML strings (the body's children, the styles' w:style
    elements), without python-docx: for files python-docx would not write."""
    return zip_bytes({
        "[Content_Types].xml": CONTENT_TYPES.encode(),
        "_rels/.rels": PACKAGE_RELS.encode(),
        "word/_rels/document.xml.rels": BODY_RELS.encode(),
        "word/document.xml": f"<w:document {W}><w:body>{body}</w:body></w:document>".encode(),
        "word/styles.xml": f"<w:styles {W}>{styles}</w:styles>".encode(),
        **(parts or {}),
    })


def docx_with_lying_body(inflated: int, declared: int) -> bytes:
    """A DOCX whose body part inflates to `inflated` bytes (of spaces after a valid start)
    while the central directory says `declared`: it is built by streaming, so the test
    itself never holds the inflated bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        with archive.open("word/document.xml", "w") as body:
            body.write(f"<w:document {W}><w:body>".encode())
            block = b" " * (1024 * 1024)
            for _ in range(inflated // len(block)):
                body.write(block)
    data = bytearray(out.getvalue())
    at = data.rfind(b"PK\x01\x02")  # the last central directory header: the body
    struct.pack_into("<I", data, at + 24, declared)
    return bytes(data)


def pdf_sharing_one_stream(pages: int, inflated: int) -> bytes:
    """A PDF whose pages all draw the same Flate content stream, which inflates to
    `inflated` bytes of operators that draw nothing (compressed in pieces, never held
    whole)."""
    deflate = zlib.compressobj(9)
    piece = b"q 1 0 0 1 0 0 cm Q\n" * (1024 * 1024 // 19)
    compressed = b"".join(deflate.compress(piece) for _ in range(inflated // len(piece)))
    stream = StreamObject()
    stream.set_data(compressed + deflate.flush())
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer = PdfWriter()
    content = writer._add_object(stream)
    resources = _helvetica(writer)
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = content
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
