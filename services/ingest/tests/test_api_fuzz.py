"""Malformed documents through POST /v1/jobs: every one answered with a 4xx (one line) or
accepted, never a 5xx. Generated from valid PDF, DOCX, Markdown and Fountain files built
here, with a fixed seed: truncations, byte flips, lying ZIP headers, deep nesting, huge
attributes."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from ingest_samples import docx_bytes, pdf_bytes, raw_docx, wrap, zip_bytes
from reelforge.apikeys import create_key
from reelforge.blobs.local import LocalBlobStore
from reelforge.bus import InMemoryBus
from reelforge.jobstore.sqlite import SQLiteJobStore
from reelforge.settings import Settings
from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps
from reelforge_ingest.errors import DocumentLimits

PROSE = ("The keeper climbs the stairs every night and lights the lamp. No ship has passed in "
         "forty years, but she keeps the light burning for her brother, lost at sea.")
MARKDOWN = f"# The Last Light\n\n{PROSE}\n\n## The Storm\n\n- a lamp\n- a *map*\n\n> {PROSE}\n"
FOUNTAIN = (f"Title: The Last Light\n\nINT. LIGHTHOUSE - NIGHT\n\n{PROSE}\n\nMAYA\n"
            "Someone has to keep it lit.\n\nTOM\n(quietly)\nNobody is coming.\n\nCUT TO:\n")
SEED = 15

Mutation = Callable[[random.Random, bytes], bytes]


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.choice([1, 4, 32, 256])):
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
    return bytes(mutated)


def lie_in_zip_header(rng: random.Random, data: bytes) -> bytes:
    """One field of one central-directory record set to a hostile value: sizes, CRC,
    compression method, local-header offset, name length."""
    mutated = bytearray(data)
    records = [i for i in range(len(data)) if data.startswith(b"PK\x01\x02", i)]
    at = rng.choice(records)
    offset, fmt, value = rng.choice([
        (24, "<I", rng.choice([0, 1, 4096, 0xFFFFFFFF])),  # uncompressed size
        (20, "<I", rng.choice([0, 1, 0xFFFFFFFF])),  # compressed size
        (16, "<I", rng.randrange(2**32)),  # CRC
        (10, "<H", rng.choice([0, 12, 14, 99])),  # method: stored, bzip2, lzma, AES
        (42, "<I", rng.choice([0, 7, len(data) - 4, 0xFFFFFFFF])),  # local header offset
        (28, "<H", rng.choice([0, 0xFFFF])),  # name length
    ])
    struct.pack_into(fmt, mutated, at + offset, value)
    return bytes(mutated)


def flip_inside_xml(rng: random.Random, data: bytes) -> bytes:
    """Markup characters written over the body or styles part before it is zipped again,
    so the damage reaches the XML (quotes in style ids, broken tags) rather than the CRC."""
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {info.filename: bytearray(source.read(info)) for info in source.infolist()}
    part = parts[rng.choice(["word/document.xml", "word/styles.xml"])]
    for _ in range(rng.choice([1, 3, 10])):
        part[rng.randrange(len(part))] = rng.choice(b"\"'<>&/=[]*:0")
    return zip_bytes({name: bytes(content) for name, content in parts.items()})


MUTATIONS: tuple[Mutation, ...] = (truncate, flip_bytes)
DOCX_MUTATIONS: tuple[Mutation, ...] = (*MUTATIONS, lie_in_zip_header, flip_inside_xml)


def deep_and_huge() -> Iterator[tuple[str, bytes]]:
    """Hand-made hostile files: deep nesting and huge attributes in every format."""
    para = f"<w:p><w:r><w:t>{PROSE}</w:t></w:r></w:p>"
    yield "nested-sdt.docx", raw_docx("<w:sdt><w:sdtContent>" * 5_000 + para
                                      + "</w:sdtContent></w:sdt>" * 5_000)
    yield "nested-tables.docx", raw_docx("<w:tbl><w:tr><w:tc>" * 200 + para
                                         + "</w:tc></w:tr></w:tbl>" * 200)
    yield "huge-attribute.docx", raw_docx(f'<w:p w:rsidR="{"A" * 5_000_000}">{para[5:]}')
    yield "huge-style-id.docx", raw_docx(
        f'<w:p><w:pPr><w:pStyle w:val="{"x" * 1_000_000}"/></w:pPr>{para[5:]}',
        f'<w:style w:type="paragraph" w:styleId="{"x" * 1_000_000}"><w:name w:val="heading 1"/>'
        "</w:style>")
    yield "quote-in-style-id.docx", raw_docx(
        '<w:p><w:pPr><w:pStyle w:val="a&quot;b"/></w:pPr>' + para[5:],
        '<w:style w:styleId="a&quot;b"><w:name w:val="heading 1"/></w:style>')
    merged = '<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr>'
    yield "vertical-merge-chain.docx", raw_docx(para + f"<w:tbl>{merged * 3_000}</w:tbl>")
    yield "style-loop.docx", raw_docx(
        '<w:p><w:pPr><w:pStyle w:val="a"/></w:pPr>' + para[5:],
        '<w:style w:styleId="a"><w:name w:val="A"/><w:basedOn w:val="b"/></w:style>'
        '<w:style w:styleId="b"><w:name w:val="B"/><w:basedOn w:val="a"/></w:style>')
    yield "entities.docx", raw_docx(para).replace(
        b"<w:document", b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<w:document", 1)
    pdf = pdf_bytes([wrap(PROSE)])
    yield "nested-arrays.pdf", pdf.replace(b"/MediaBox", b"/Deep " + b"[" * 100_000
                                           + b"]" * 100_000 + b" /MediaBox", 1)
    yield "huge-name.pdf", pdf.replace(b"/MediaBox", b"/" + b"N" * 2_000_000 + b" 1 /MediaBox", 1)
    yield "nested-quotes.md", (f"# Title\n\n{'> ' * 50_000}{PROSE}\n").encode()
    yield "nested-lists.md", ("# Title\n\n" + "".join(f"{'  ' * i}- {PROSE}\n"
                                                      for i in range(2_000))).encode()
    yield "brackets.md", (f"# Title\n\n{PROSE}\n" + "[" * 100_000 + "](" * 50_000).encode()
    yield "emphasis.md", (f"# Title\n\n{PROSE}\n" + "*_" * 200_000).encode()
    yield "long-line.fountain", (FOUNTAIN + "\n" + "A" * 1_000_000 + "\n").encode()
    yield "notes.fountain", (FOUNTAIN + "[[" * 100_000 + "/*" * 100_000).encode()


def malformed_documents() -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    bases = {
        "story.pdf": pdf_bytes([wrap(PROSE)] * 3, title="The Last Light"),
        "story.docx": docx_bytes([("title", "The Last Light"), ("p", PROSE), ("h1", "Storm"),
                                  ("table", "Maya|the keeper\nTom|her brother"), ("p", PROSE)]),
        "story.md": MARKDOWN.encode(),
        "story.fountain": FOUNTAIN.encode(),
    }
    documents: list[tuple[str, bytes]] = []
    for name, data in bases.items():
        mutations = DOCX_MUTATIONS if name.endswith(".docx") else MUTATIONS
        for i in range(48):
            mutation = mutations[i % len(mutations)]
            documents.append((f"{mutation.__name__}-{i}-{name}", mutation(rng, data)))
    documents += deep_and_huge()
    return documents


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    jobs = SQLiteJobStore(tmp_path / "jobs.db")
    await jobs.start()
    bus = InMemoryBus()
    deps = ApiDeps(jobs=jobs, blobs=LocalBlobStore(tmp_path / "blobs"), bus=bus,
                   settings=Settings(api_rate_limit=10_000),
                   # 2 s of CPU a document; the wall-clock backstop far off, so a loaded
                   # machine answers what the file costs, never "busy"
                   document_limits=DocumentLimits(parse_seconds=2, parse_wall_seconds=120))
    key = await create_key(jobs, "fuzz")
    transport = httpx.ASGITransport(app=create_app(deps), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api",
                                 timeout=60) as http:
        yield http, {"Authorization": f"Bearer {key}"}
    await bus.close()
    await jobs.close()


async def test_malformed_documents_get_4xx_or_are_accepted(
    client: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    http, auth = client
    documents = malformed_documents()
    assert len(documents) >= 200
    answers = [(name, await http.post("/v1/jobs", headers=auth, files={"file": (name, data)}))
               for name, data in documents]
    server_errors = [(name, r.status_code, r.text[:200]) for name, r in answers
                     if r.status_code >= 500]
    assert not server_errors
    for name, response in answers:
        assert response.status_code == 202 or 400 <= response.status_code < 500, name
        if response.status_code != 202:
            message = response.json()["error"]["message"]
            assert "\n" not in message and ";" in message, (name, message)
    statuses = Counter(r.status_code for _, r in answers)
    assert statuses[202] and sum(n for s, n in statuses.items() if s != 202)
