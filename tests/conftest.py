"""Fixtures of the studio's tests: its API over the embedded backends, and Debian's
Chromium through Playwright for the browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from studio_browser import chromium_path
from studio_client import Client, studio_client


@pytest.fixture
async def studio(tmp_path: Path) -> AsyncIterator[Client]:
    async with studio_client(tmp_path / "data") as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable))
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()
