"""Fixtures for the remote provider tests: one fake server per provider for the whole session
(real sockets on 127.0.0.1), reset before every test, and Settings pointing at them with tiny
retry and poll delays so the suite stays fast."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from provider_fakes import FakeSuite, start_suite
from provider_fakes.requests import FAST
from reelforge.providers.remote.openai import OUTPUT_MODE_MEMORY
from reelforge.settings import Settings


@pytest.fixture(scope="session")
def suite() -> Iterator[FakeSuite]:
    fakes = start_suite()
    yield fakes
    fakes.stop()


@pytest.fixture(autouse=True)
def fresh(suite: FakeSuite) -> Iterator[None]:
    """Clean fakes per test; afterwards, no request may have broken a provider contract
    (tests that send bad requests on purpose clear `violations` themselves)."""
    suite.reset()
    OUTPUT_MODE_MEMORY.forget()  # every test meets the fake OpenAI endpoint for the first time
    for fake in suite.fakes.values():
        fake.video_scale = 0.2
    yield
    assert suite.violations() == {}, suite.violations()


@pytest.fixture
def settings(suite: FakeSuite) -> Settings:
    return Settings(**suite.settings(), **FAST)
