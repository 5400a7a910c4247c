"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def isolated_structlog() -> Iterator[None]:
    """Undo any `structlog.configure` a test caused (a CLI run sets a WARNING filter), so
    tests that read log events see them whatever ran before."""
    yield
    structlog.reset_defaults()
