"""End to end on the embedded runtime: a short synopsis in, the package decoded and checked."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from package_checks import check_package, check_references
from reelforge.cli import app
from reelforge.models import Manifest
from typer.testing import CliRunner

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "short.md"
DURATION = 20.0


def run_cli(*args: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, time.perf_counter() - started


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "trailer"
    code, output, _ = run_cli("make", str(EXAMPLE), "-o", str(out), "--duration", str(DURATION),
                              "--quality", "draft", "--seed", "7")
    assert code == 0, output
    return out


def test_the_package_decodes_and_checks_out(package: Path) -> None:
    manifest = check_package(package)
    scenes = len(json.loads((package / "script.json").read_text())["scenes"])
    assert 8 <= scenes <= 25
    for folder in ("storyboard", "clips", "shots"):
        assert len(list((package / folder).iterdir())) == scenes, folder
    assert sum(1 for a in manifest.artifacts if a.path and a.path.startswith("clips/")) == scenes
    references = check_references(package, manifest)
    assert any(n.startswith("reference/character/") for n in references)
    assert any(n.startswith("reference/location/") for n in references)


def test_rerun_is_a_cache_hit_and_an_option_change_redoes_only_what_depends_on_it(
    package: Path,
) -> None:
    store = package / ".reelforge" / "store"
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}
    code, output, seconds = run_cli("make", str(EXAMPLE), "-o", str(package), "--duration",
                                    str(DURATION), "--quality", "draft", "--seed", "7")
    assert code == 0, output
    after = {p: p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}
    rewritten = [p for p in before if after.get(p) != before[p]]
    created = [p for p in after if p not in before and "/ingest/" not in str(p)]
    assert not created, created
    # the manifest is the run's record (it carries this run's stage times), so it is
    # rewritten; no media, script, timing or frame may be
    redone = [p for p in rewritten
              if "/ingest/" not in str(p) and not p.name.startswith("manifest-")]
    assert not redone, redone
    assert seconds < 30, seconds
    # re-exporting a file already linked from the store must not leave its temporary behind
    leftovers = [p for p in package.rglob("*.part") if ".reelforge" not in p.parts]
    assert not leftovers, leftovers

    old = Manifest.model_validate_json((package / "manifest.json").read_text())
    code, output, _ = run_cli("make", str(EXAMPLE), "-o", str(package), "--duration",
                              str(DURATION), "--quality", "draft", "--seed", "7",
                              "--grade", "color")
    assert code == 0, output
    new = Manifest.model_validate_json((package / "manifest.json").read_text())

    def keys(m: Manifest, prefix: str) -> dict[str | None, str]:
        return {a.path: a.key for a in m.artifacts if a.path and a.path.startswith(prefix)}

    for unchanged in ("script.json", "voiceover.wav", "words.json", "score.wav",
                      "soundtrack.m4a", "storyboard/"):
        assert keys(old, unchanged) == keys(new, unchanged), unchanged
    assert keys(old, "clips/") != keys(new, "clips/")
    assert keys(old, "trailer.mp4") != keys(new, "trailer.mp4")


def test_bad_input_gets_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    junk = tmp_path / "story.pdf"
    junk.write_bytes(bytes(range(256)) * 40)
    code, output, _ = run_cli("make", str(junk), "-o", str(tmp_path / "out"))
    assert code == 2, output
    assert "error" in output.lower() and "story.pdf" in output
    assert not (tmp_path / "out").exists()

    code, output, _ = run_cli("make", "--idea", "a moon garden", "--duration", "5")
    assert code == 2 and "--duration" in output, output


def test_a_docx_synopsis_of_a_few_thousand_characters(tmp_path: Path) -> None:
    """The bundled example, as a Word document, makes a trailer that checks out."""
    import docx

    source = Path(__file__).resolve().parents[1] / "examples" / "the-last-lighthouse.md"
    document = docx.Document()
    for block in source.read_text().split("\n\n"):
        text = block.strip()
        if text.startswith("# "):
            document.add_heading(text[2:], level=0)
        elif text.startswith("## "):
            document.add_heading(text[3:], level=1)
        elif text:
            document.add_paragraph(text.replace("\n", " "))
    path = tmp_path / "the-last-lighthouse.docx"
    document.save(str(path))
    assert len(source.read_text()) > 3000

    out = tmp_path / "pkg"
    code, output, _ = run_cli("make", str(path), "-o", str(out), "--duration", "20",
                              "--quality", "draft")
    assert code == 0, output
    manifest = check_package(out)
    assert manifest.title == "The Last Lighthouse"
