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
