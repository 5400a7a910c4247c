"""`reelforge script` writes a script to read and edit; `reelforge make --script` renders an
edited one, redoing only what the edit touches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reelforge.cli import app
from reelforge.models import Manifest, Script, WordTimings
from typer.testing import CliRunner

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "short.md"


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def script_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("script") / "script.json"
    code, output = run_cli("script", str(EXAMPLE), "-o", str(path), "--duration", "20")
    assert code == 0, output
    return path


def test_script_writes_a_valid_script_and_prints_it_as_tables(script_file: Path) -> None:
    script = Script.model_validate_json(script_file.read_text())
    assert script.target_duration == 20
    code, output = run_cli("script", str(EXAMPLE), "-o", str(script_file), "--duration", "20")
    assert code == 0
    flat = " ".join(output.split())
    assert script.title in flat
    assert "cast" in flat and "scenes and narration" in flat
    assert script.characters[0].name in flat
    assert "title card" in flat


def test_script_from_an_idea_and_a_title(tmp_path: Path) -> None:
    path = tmp_path / "idea.json"
    code, output = run_cli("script", "--idea", "a lighthouse keeper hides a stranger from a storm",
                           "-o", str(path), "--title", "Lamplight")
    assert code == 0, output
    assert Script.model_validate_json(path.read_text()).title == "Lamplight"


def edited(script_file: Path, tmp_path: Path, change: object) -> Path:
    data = json.loads(script_file.read_text())
    change(data)  # type: ignore[operator]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.pop("scenes"), "scenes: field required"),
    (lambda d: d["narration"][0].update(text=""), "narration.0.text: string should have"),
    (lambda d: d["scenes"][1].update(location="the-moon"),
     "scenes.1.location: 'the-moon' is not a location id"),
    (lambda d: d["narration"][0].update(scene=99), "narration.0.scene: there is no scene 99"),
])
def test_make_rejects_a_broken_script_in_one_line_with_exit_code_2(
    script_file: Path, tmp_path: Path, change: object, expected: str
) -> None:
    path = edited(script_file, tmp_path, change)
    code, output = run_cli("make", str(EXAMPLE), "--script", str(path), "-o",
                           str(tmp_path / "out"))
    assert code == 2, output
    flat = " ".join(output.split())
    assert expected in flat
    assert flat.startswith("error:") and "Traceback" not in flat
    assert not (tmp_path / "out").exists()


def test_make_rejects_a_script_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text('{"title": "x",')
    code, output = run_cli("make", str(EXAMPLE), "--script", str(path))
    assert code == 2
    assert "not valid JSON" in " ".join(output.split())


@pytest.mark.e2e
def test_an_edited_narration_line_redoes_the_voiceover_and_keeps_the_frames(
    tmp_path: Path,
) -> None:
    out = tmp_path / "trailer"
    common = ("-o", str(out), "--duration", "20", "--quality", "draft")
    code, output = run_cli("make", str(EXAMPLE), *common)
    assert code == 0, output
    before = Manifest.model_validate_json((out / "manifest.json").read_text())
    frames = {p: p.stat().st_mtime_ns for p in (out / ".reelforge" / "store").rglob("*.png")}

    script = Script.model_validate_json((out / "script.json").read_text())
    line = next(n for n in script.narration if n.card is None and n.scene == 1)
    new_text = "Nobody expected the marmalade engineer."
    script.narration[line.index] = line.model_copy(update={"text": new_text,
                                                           "marked": new_text})
    path = tmp_path / "edited.json"
    path.write_text(script.model_dump_json(indent=2))
    code, output = run_cli("make", str(EXAMPLE), "--script", str(path), *common)
    assert code == 0, output

    after = Manifest.model_validate_json((out / "manifest.json").read_text())

    def keys(m: Manifest, prefix: str) -> dict[str | None, str]:
        return {a.path: a.key for a in m.artifacts if a.path and a.path.startswith(prefix)}

    assert keys(before, "storyboard/") == keys(after, "storyboard/")
    assert frames == {p: p.stat().st_mtime_ns for p in frames}
    assert keys(before, "voiceover.wav") != keys(after, "voiceover.wav")
    words = WordTimings.model_validate_json((out / "words.json").read_text()).words
    spoken = " ".join(w.text for w in words if w.line == line.index).lower()
    assert "marmalade engineer" in spoken
    assert Script.model_validate_json((out / "script.json").read_text()) == script
