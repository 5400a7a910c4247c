"""`reelforge providers` and `providers check`, the latter against the fake servers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from reelforge.cli import app
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs/common/tests/providers"))

from provider_fakes import FakeSuite, start_suite


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeSuite]:
    suite = start_suite()
    yield suite
    suite.stop()


def test_providers_lists_each_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_VIDEO", "seedance,local")
    result = CliRunner().invoke(app, ["providers"])
    assert result.exit_code == 0, result.output
    assert "seedance → local" in result.output


def test_providers_check_validates_keys(fakes: FakeSuite, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fakes.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REELFORGE_LLM", "openai")
    monkeypatch.setenv("REELFORGE_IMAGE", "seedream,local")
    ok = CliRunner().invoke(app, ["providers", "check"])
    assert ok.exit_code == 0, ok.output

    monkeypatch.setenv("OPENAI_API_KEY", "sk-revoked-0000")
    bad = CliRunner().invoke(app, ["providers", "check"])
    assert bad.exit_code == 1, bad.output
    assert "failed" in bad.output and "sk-revoked-0000" not in bad.output


def test_providers_check_covers_comfyui(fakes: FakeSuite, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    """Reachable, the workflows' node types and model files there (what a real ComfyUI 0.8.0
    answered for the packaged workflows without their model files: docs/comfyui.md)."""
    for name, value in fakes.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REELFORGE_IMAGE", "comfyui")
    monkeypatch.setenv("REELFORGE_VIDEO", "comfyui")
    comfyui = fakes.fakes["comfyui"]
    comfyui.reset()
    ok = CliRunner().invoke(app, ["providers", "check"], env={"COLUMNS": "400"})
    assert ok.exit_code == 0, ok.output
    assert "ComfyUI 0.3.fake, all 6 node types and the model files of flux_schnell_t2i.json" \
        in ok.output

    comfyui.models["checkpoints"] = []  # type: ignore[attr-defined]
    workflow = tmp_path / "combine.json"
    workflow.write_text('{"1": {"class_type": "LoadImage", "inputs": {"image": "a.png"}}, '
                        '"2": {"class_type": "VHS_VideoCombine", "inputs": {"images": ["1", 0]}}}')
    workflow.with_suffix(".mapping.json").write_text(
        '{"inputs": {"prompt": [], "image": "1.image"}}')
    monkeypatch.setenv("REELFORGE_COMFYUI_VIDEO_WORKFLOW", str(workflow))
    bad = CliRunner().invoke(app, ["providers", "check"], env={"COLUMNS": "400"})
    comfyui.reset()
    assert bad.exit_code == 1, bad.output
    assert "model file missing on http://127.0.0.1:" in bad.output
    assert "flux1-schnell-fp8.safetensors (node #1 CheckpointLoaderSimple, ckpt_name)" \
        in bad.output
    assert "lacks node types VHS_VideoCombine used by combine.json" in bad.output
