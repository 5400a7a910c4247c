"""The studio page in a real browser (Debian's Chromium through Playwright) against the API
served on a loopback port: the key form, the jobs list, the new-trailer form's labels and
keyboard order, and text from users shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from reelforge.models import ProgressEvent
from studio_browser import ServedApi, collect_page_errors, screenshot

HOSTILE = '<img src=x onerror="window.__studioXss = 1">'
CONTROLS = "main input, main select, main textarea, main button"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedApi]:
    api = ServedApi(tmp_path)
    yield api
    api.stop()


def make_job(served: ServedApi, key: str, title: str | None = None,
             message: str | None = None) -> str:
    """A job submitted through the API (nothing runs it: the bus has no consumer), its
    title and an event set in the store as the pipeline would."""
    response = httpx.post(f"{served.url}/v1/jobs", headers={"Authorization": f"Bearer {key}"},
                          timeout=60,
                          json={"synopsis": "The keeper climbs the stairs every night and "
                                "lights the lamp. One night the lamp will not light."})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]

    async def name_it() -> None:
        job = await served.jobs.get_job(job_id)
        job.title = title
        await served.jobs.update_job(job)
        if message:
            await served.jobs.add_event(ProgressEvent(job_id=job_id, stage="script",
                                                      kind="info", message=message))

    served.call(name_it())
    return job_id


def test_a_wrong_key_is_refused_with_the_servers_message(served: ServedApi, page: Page) -> None:
    errors = collect_page_errors(page)
    page.goto(f"{served.url}/studio")
    key = page.get_by_label("API key")
    expect(key).to_be_focused()
    key.fill("rf_not-a-real-key")
    key.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("invalid API key")
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("localStorage.length") == 0
    screenshot(page, "key-refused")
    assert errors == []


def test_a_key_in_the_fragment_opens_the_tenants_jobs(served: ServedApi, page: Page) -> None:
    errors = collect_page_errors(page)
    key, other = served.new_key("studio"), served.new_key("elsewhere")
    make_job(served, key, title="The Last Lamp")
    make_job(served, key, title="Salt and Iron")
    make_job(served, other, title="Another tenant's trailer")

    page.goto(f"{served.url}/studio#key={key}")
    titles = page.locator(".job-card .job-title")
    expect(titles).to_have_text(["Salt and Iron", "The Last Lamp"])
    assert key not in page.url  # taken out of the address bar
    expect(page.locator(".job-card .badge").first).to_have_text("queued")

    page.reload()  # the key stays in this browser
    expect(titles).to_have_count(2)
    screenshot(page, "jobs-list")

    page.get_by_role("button", name="Delete trailer “The Last Lamp”").click()
    page.get_by_role("button", name="Keep “The Last Lamp”").click()  # changed my mind
    expect(titles).to_have_count(2)
    page.get_by_role("button", name="Delete trailer “The Last Lamp”").click()
    page.get_by_role("button", name="Delete “The Last Lamp” for good").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Deleted “The Last Lamp”"))
    expect(titles).to_have_text(["Salt and Iron"])
    listing = httpx.get(f"{served.url}/v1/jobs", headers={"Authorization": f"Bearer {key}"})
    assert [job["title"] for job in listing.json()["jobs"]] == ["Salt and Iron"]
    assert errors == []


def test_the_new_trailer_form_is_labelled_and_keyboard_reachable(
    served: ServedApi, page: Page,
) -> None:
    errors = collect_page_errors(page)
    key = served.new_key("studio")
    page.goto(f"{served.url}/studio#key={key}")
    page.get_by_role("link", name="New trailer").first.click()
    expect(page.get_by_role("heading", name="New trailer")).to_be_visible()

    for label in ("Story file", "Type an idea or paste a synopsis", "Title (optional)",
                  "Duration (seconds)", "Primary aspect", "Grade", "Quality", "Voice (optional)",
                  "Seed"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_label("Script: before any voice or picture is made")).to_be_checked()
    expect(page.get_by_label("Storyboard: before the video is made")).to_be_checked()
    unlabelled = page.eval_on_selector_all(CONTROLS, """controls => controls
        .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
                     && !c.getAttribute('aria-labelledby') && !c.textContent.trim())
        .map(c => c.outerHTML)""")
    assert unlabelled == []

    # Tab walks through every control of the form, each with a visible focus ring
    expected = page.eval_on_selector_all(
        "form input:not([type=radio]), form select, form textarea, form button",
        "controls => controls.length") + 1  # one stop for the radio group
    reached: list[str] = []
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        focus = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el.closest('form')) return null;
            return {id: el.id || el.textContent, outline: getComputedStyle(el).outlineStyle};
        }""")
        if focus is None:
            if reached:
                break
            continue
        assert focus["outline"] != "none", f"{focus['id']} has no visible focus"
        reached.append(focus["id"])
    assert len(reached) == expected, reached
    screenshot(page, "new-trailer")

    # the server's message for a request it refuses is what the page shows
    page.get_by_label("Type an idea or paste a synopsis").fill("no")
    page.get_by_label("Seed").focus()
    page.keyboard.press("Enter")
    settings = {"duration": 60, "aspect": "16:9", "grade": "bw", "quality": "final", "seed": 0,
                "review": ["script", "storyboard"]}
    refused = httpx.post(f"{served.url}/v1/jobs", headers={"Authorization": f"Bearer {key}"},
                         json={"idea": "no", "settings": settings})
    assert refused.status_code == 422
    expect(page.get_by_role("alert")).to_contain_text(refused.json()["error"]["message"])
    assert errors == []


def test_text_from_users_is_shown_as_text(served: ServedApi, page: Page) -> None:
    errors = collect_page_errors(page)
    key = served.new_key("studio")
    job_id = make_job(served, key, title=HOSTILE, message=f"narration: {HOSTILE}")

    page.goto(f"{served.url}/studio#key={key}")
    expect(page.locator(".job-card .job-title")).to_have_text(HOSTILE)
    page.get_by_role("link", name=HOSTILE).click()
    expect(page).to_have_url(f"{served.url}/studio#/jobs/{job_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE)
    page.get_by_text("Activity").click()
    expect(page.locator(".log li").filter(has_text="narration:")).to_contain_text(HOSTILE)
    screenshot(page, "hostile-title")

    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("window.__studioXss") is None
    assert errors == []
