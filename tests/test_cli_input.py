"""`reelforge make FILE` reads the file the way the API does: in a child process under memory,
CPU and time limits, so a hostile file ends with one line and exit code 2."""

from __future__ import annotations

import io
import zlib
from functools import partial
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject
from reelforge import cli
from reelforge.cli import app
from reelforge_ingest import isolation
from reelforge_ingest.errors import DocumentLimits
from typer.testing import CliRunner


def slow_pdf(pages: int = 200, megabytes: int = 20) -> bytes:
    """Pages that all draw one stream of `megabytes` of operators: tens of seconds of pypdf
    work once the reader's own budgets are out of the way."""
    deflate = zlib.compressobj(9)
    piece = b"q 1 0 0 1 0 0 cm Q\n" * (1024 * 1024 // 19)
    stream = StreamObject()
    stream.set_data(b"".join(deflate.compress(piece) for _ in range(megabytes)) + deflate.flush())
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer = PdfWriter()
    content = writer._add_object(stream)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = content
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_make_reads_the_file_under_the_parse_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the readers' budgets lifted (10M characters), only the isolation's 1-second CPU
    bound stops the file; the pipeline never starts."""
    story = tmp_path / "story.pdf"
    story.write_bytes(slow_pdf())
    lifted = DocumentLimits(max_chars=10_000_000, parse_seconds=1, parse_wall_seconds=300)
    monkeypatch.setattr(isolation, "extract_isolated",
                        partial(isolation.extract_isolated, limits=lifted))

    def pipeline_must_not_run(*_: object) -> None:
        raise AssertionError("the pipeline started on a file over the parse limits")

    monkeypatch.setattr(cli, "_make", pipeline_must_not_run)
    result = CliRunner().invoke(app, ["make", str(story), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.output.split())  # one line, wrapped to the console's width
    assert message.endswith("story.pdf: this file could not be read within the 1-second "
                             "limit of CPU time; it is probably damaged or far more complex "
                             "than a story needs; re-save it (or export a PDF or plain text) "
                             "and try again")
