"""`reelforge make` options that are refused before any work starts: one line, exit 2."""

from __future__ import annotations

from pathlib import Path

from reelforge.cli import app, local_voice
from reelforge.settings import Settings
from typer.testing import CliRunner

IDEA = "a stranded astronaut on the moon discovers a garden"


def test_a_missing_voice_file_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["make", "--idea", IDEA, "--voice", "/no/such/voice.onnx",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--voice /no/such/voice.onnx: no such file" in result.output
    assert not (tmp_path / "out").exists()


def test_a_voice_file_becomes_the_local_default_and_the_job_names_no_path(
    tmp_path: Path,
) -> None:
    voice = tmp_path / "narrator.onnx"
    voice.write_bytes(b"onnx")
    settings, job_voice = local_voice(Settings(), str(voice))
    assert settings.piper_voice == voice and job_voice is None
    assert local_voice(Settings(), "en_US-joe-medium")[1] == "en_US-joe-medium"


def test_a_budget_must_be_positive(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["make", "--idea", IDEA, "--budget", "0",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--budget: Input should be greater than 0" in result.output
