"""The visual bible at the storyboard review, in a real browser (Debian's Chromium through
Playwright) against the API on a loopback port: a reference card per main character and
location, labelled controls, and the user's own picture uploaded from the page. The job is
put at the review directly in the store (its script written by the offline analyst, its
reference pictures small PNGs), so no stage has to run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from reelforge import lifecycle
from reelforge.blobs import job_key
from reelforge.models import ArtifactRecord, Document, Status
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.settings import Settings
from reelforge_script.stage import write_script
from studio_browser import ServedApi, collect_page_errors, screenshot

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "short.md"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedApi]:
    api = ServedApi(tmp_path)
    yield api
    api.stop()


def picture(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    return cv2.imencode(".png", np.full((height, width, 3), colour, np.uint8))[1].tobytes()


def job_at_the_storyboard_review(served: ServedApi, key: str) -> tuple[str, list[str]]:
    """A job waiting at the storyboard review, with its script and reference pictures; the
    references' job-store names."""
    response = httpx.post(f"{served.url}/v1/jobs", headers={"Authorization": f"Bearer {key}"},
                          timeout=60, json={"synopsis": EXAMPLE.read_text(),
                                            "settings": {"review": ["storyboard"]}})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    blobs = served.blobs

    async def set_up() -> list[str]:
        jobs = served.jobs
        job = await jobs.get_job(job_id)
        document = Document.model_validate_json(await blobs.get(job.source_key))
        script = await write_script(document, job.settings, LocalStoryAnalyst(Settings()))
        script_key = job_key(job_id, "script", "script.json")
        await blobs.put(script_key, script.model_dump_json().encode(), "application/json")
        await jobs.record_artifact(job_id, ArtifactRecord(name="script", key=script_key,
                                                          stage="script", path="script.json"))
        names = list(lifecycle.reference_names(script))
        for number, name in enumerate(names):
            stored = job_key(job_id, "storyboard", f"{name.replace('/', '-')}.png")
            await blobs.put(stored, picture(64, 64, (40 * number % 255, 90, 160)), "image/png")
            await jobs.record_artifact(job_id, ArtifactRecord(name=name, key=stored,
                                                              stage="storyboard"))
        for stage in ("script", "audio", "storyboard"):
            await jobs.set_stage(job_id, stage, Status.completed)
        job = await jobs.get_job(job_id)
        job.awaiting = "storyboard"
        await jobs.update_job(job)
        await jobs.set_job_status(job_id, Status.awaiting_review)
        return names

    return job_id, served.call(set_up())


def test_the_visual_bible_shows_every_reference_and_takes_the_users_picture(
    served: ServedApi, page: Page, tmp_path: Path,
) -> None:
    errors = collect_page_errors(page)
    key = served.new_key("studio")
    job_id, names = job_at_the_storyboard_review(served, key)
    page.goto(f"{served.url}/studio#key={key}")
    page.goto(f"{served.url}/studio#/jobs/{job_id}")

    expect(page.get_by_role("heading", name="Visual bible")).to_be_visible()
    cards = page.locator(".bible-card")
    expect(cards).to_have_count(len(names))
    references = httpx.get(f"{served.url}/v1/jobs/{job_id}/references", timeout=30,
                           headers={"Authorization": f"Bearer {key}"}).json()["references"]
    first = references[0]
    expect(cards.first.get_by_role("img", name=f"Reference picture of {first['title']}")
           ).to_be_visible()
    expect(page.get_by_role("button", name=f"New reference picture of {first['title']}")
           ).to_be_enabled()
    upload = page.get_by_role("button", name=f"Upload your own picture of {first['title']}")
    upload.focus()
    expect(upload).to_be_focused()  # reachable from the keyboard
    screenshot(page, "bible-review")

    mine = tmp_path / "mine.png"
    mine.write_bytes(picture(300, 400, (30, 160, 240)))
    cards.first.locator("input[type=file]").set_input_files(str(mine))
    expect(page.locator("#notice")).to_contain_text(
        f"{first['title']}: your picture is used from now on.")
    after = httpx.get(f"{served.url}/v1/jobs/{job_id}/references", timeout=30,
                      headers={"Authorization": f"Bearer {key}"}).json()["references"][0]
    assert [(v["uploaded"], v["chosen"]) for v in after["variants"]] == [(False, False),
                                                                         (True, True)]
    thumb = httpx.get(f"{served.url}{after['variants'][1]['thumb_url']}", timeout=30)
    shown = cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_COLOR)
    assert shown.shape[0] / shown.shape[1] == pytest.approx(4 / 3, abs=0.02)
    assert errors == []
