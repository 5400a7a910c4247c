"""The studio's page and static files: only the files it ships, with their content types;
no path from a request reaches the file system."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from reelforge_ingest.api.errors import install_handlers
from reelforge_ingest.studio import STATIC, studio_router


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_handlers(app)
    app.include_router(studio_router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://studio") as opened:
        yield opened


async def test_the_page_and_its_modules_are_served_with_their_types(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/studio")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/studio/static/app.js">' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        answer = await client.get(f"/studio/static/{name}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(kind)
        assert answer.content == (STATIC / name).read_bytes()


async def test_every_module_the_page_imports_is_served(client: httpx.AsyncClient) -> None:
    imported = {line.split('"./')[1].split('"')[0]
                for path in STATIC.glob("*.js") for line in path.read_text().splitlines()
                if line.startswith(("import ", "  from ")) and '"./' in line}
    assert imported and "app.js" not in imported
    for name in imported:
        assert (await client.get(f"/studio/static/{name}")).status_code == 200, name


@pytest.mark.parametrize("path", [
    "/studio/static/..%2F__init__.py", "/studio/static/%2e%2e/__init__.py",
    "/studio/static/../__init__.py", "/studio/static/__init__.py", "/studio/static/nope.js",
    "/studio/static/", "/studio/static/..%2F..%2F..%2Fpyproject.toml",
])
async def test_nothing_else_is_served(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert "def studio_router" not in answer.text
