"""The studio end to end in a real browser: `reelforge studio` on a short synopsis, the script
review (a line edited, scenes reordered, deleted and inserted), the storyboard review (a new
frame and its variants, a frame redrawn from an edited prompt, a camera move), the result
played, then a longer scene, a rewritten line and a new frame rendered as a new version,
whose zip is downloaded and decoded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from package_checks import check_package
from playwright.sync_api import Page, expect
from studio_browser import collect_page_errors, free_socket, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "short.md"
DURATION = 20
NEW_LINE = "One engineer. One signal. No way home."
INSERTED_LINE = "Something out there is answering."
PROMPT = "A lone radio tower on a cliff at night, lightning over the sea, wide shot."
RESULT_LINE = "Nobody hears it."
CAMERAS = ["push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down"]
STAGE_WAIT_MS = 600_000
"""a stage on the local generators, on a loaded two-core machine"""
STUDIO_URL = re.compile(r"http://127\.0\.0\.1:\d+/studio\S*")


@dataclass
class Studio:
    url: str
    """the page's address as the command printed it (with `#key=` when it needs one)"""
    base: str
    headers: dict[str, str]


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    with free_socket() as sock:
        port = sock.getsockname()[1]
    log = (tmp_path / "studio.log").open("w+")
    command = [str(Path(sys.executable).with_name("reelforge")), "studio", "--no-browser",
               "--port", str(port), "--data", str(tmp_path / "data")]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        url = wait_for_url(process, Path(log.name))
        key = re.search(r"#key=([^&\s]+)", url)
        yield Studio(url=url, base=f"http://127.0.0.1:{port}",
                     headers={"Authorization": f"Bearer {key[1]}"} if key else {})
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for_url(process: subprocess.Popen[str], log: Path) -> str:
    """The page's address from what `reelforge studio` prints, once it answers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`reelforge studio` exited with {process.returncode}:\n"
                        f"{log.read_text()}", pytrace=False)
        found = STUDIO_URL.search(log.read_text())
        if found:
            try:
                if httpx.get(found[0].split("#")[0], timeout=5).status_code == 200:
                    return found[0]
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    pytest.fail(f"`reelforge studio` printed no page address that answers in 120 s:\n"
                f"{log.read_text()}", pytrace=False)


def settled(studio: Studio, api: str, status: str,
            scenes_ready: Callable[[list[dict[str, Any]]], bool]) -> None:
    """Wait until the job rests at `status` (no stage running) with its scenes as wanted."""
    deadline = time.monotonic() + STAGE_WAIT_MS / 1000
    while time.monotonic() < deadline:
        job = httpx.get(api, headers=studio.headers, timeout=30).json()
        if job["status"] == status:
            scenes = httpx.get(f"{api}/scenes", headers=studio.headers, timeout=30).json()
            if scenes_ready(scenes["scenes"]):
                return
        elif job["status"] in ("failed", "cancelled"):
            pytest.fail(f"the job {job['status']}: {job['error']}", pytrace=False)
        time.sleep(1)
    pytest.fail(f"the job did not come back to {status} in time", pytrace=False)


def told(page: Page, message: str) -> None:
    """Wait for the page's notice of an answered request: an edit that starts a run has
    started it by then (waiting on the API alone could see the job before it starts)."""
    expect(page.locator("#notice")).to_contain_text(message, timeout=60_000)


def spoken_by_scene(script: dict[str, Any]) -> list[list[str]]:
    """Each scene's narration lines, in scene order."""
    return [[line["text"] for line in script["narration"] if line["scene"] == scene["index"]]
            for scene in script["scenes"]]


def variants_of(scene: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in scene["variants"] if v["thumb_url"]]


def job_id_of(page: Page) -> str:
    found = re.search(r"#/jobs/([A-Za-z0-9_-]+)$", page.url)
    assert found, page.url
    return found[1]


def test_a_trailer_made_reviewed_and_edited_in_the_studio(
    studio: Studio, page: Page, tmp_path: Path,
) -> None:
    errors = collect_page_errors(page)
    page.goto(studio.url)

    # New trailer: the synopsis as a file, short and quick; both reviews (the default)
    page.get_by_role("link", name="New trailer").first.click()
    page.get_by_label("Story file").set_input_files(str(EXAMPLE))
    page.get_by_label("Duration (seconds)").fill(str(DURATION))
    page.get_by_label("Quality").select_option("draft")
    page.get_by_label("Seed").fill("7")
    expect(page.get_by_label("Script: before any voice or picture is made")).to_be_checked()
    expect(page.get_by_label("Storyboard: before the video is made")).to_be_checked()
    page.get_by_role("button", name="Make the trailer").click()
    expect(page).to_have_url(re.compile(r"#/jobs/[A-Za-z0-9_-]+$"), timeout=120_000)
    job_id = job_id_of(page)
    api = f"{studio.base}/v1/jobs/{job_id}"

    # Script review: edit scene 1's line; the estimate follows the typing
    expect(page.get_by_role("heading", name="Script review")).to_be_visible(
        timeout=STAGE_WAIT_MS)
    first_line = page.locator(".scene-card").first.get_by_label("Narration line").first

    # another tab saves first: this page's save is refused with the server's word, and the
    # page shows the script as it now is
    current = httpx.get(f"{api}/script", headers=studio.headers, timeout=30).json()
    current["script"]["tagline"] = "Some signals should stay unanswered."
    other_tab = httpx.put(f"{api}/script", headers=studio.headers, timeout=30,
                          json={"revision": current["revision"], "script": current["script"]})
    assert other_tab.status_code == 200, other_tab.text
    first_line.fill("A line this page never saves.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"the job was edited since revision {current['revision']}")
    expect(page.get_by_label("Tagline")).to_have_value("Some signals should stay unanswered.")
    expect(first_line).not_to_have_value("A line this page never saves.")

    estimate = page.locator("output.estimate")
    before = float(estimate.get_attribute("data-seconds") or 0)
    first_line.fill(NEW_LINE + " " + " ".join(["Again."] * 26))
    expect(estimate).not_to_have_attribute("data-seconds", f"{before:.1f}")
    assert float(estimate.get_attribute("data-seconds") or 0) > before
    first_line.fill(NEW_LINE)

    # reorder, delete and insert scenes; the approval saves the script as the page shows it
    said = spoken_by_scene(httpx.get(f"{api}/script", headers=studio.headers,
                                     timeout=30).json()["script"])
    count = len(said)
    assert count >= 4, said
    cards = page.locator(".scene-card")
    page.get_by_role("button", name="Move scene 03 up").click()
    expect(cards.nth(1).get_by_label("Narration line").first).to_have_value(said[2][0])
    page.get_by_role("button", name=f"Delete scene {count:02d}").click()
    expect(cards).to_have_count(count - 1)
    page.get_by_role("button", name="Insert a scene after scene 02").click()
    expect(cards).to_have_count(count)
    inserted = cards.nth(2)
    expect(inserted.get_by_label("Narration line")).to_be_focused()
    page.keyboard.type(INSERTED_LINE)
    inserted.get_by_label("Visual description").fill("A radio mast alone in a storm.")
    screenshot(page, "e2e-script-review")
    page.get_by_role("button", name="Approve the script").click()

    # Storyboard review: a new frame for scene 01, then pick between its variants
    storyboard = page.get_by_role("heading", name="Storyboard review")
    expect(storyboard).to_be_visible(timeout=STAGE_WAIT_MS)
    script = httpx.get(f"{api}/script", headers=studio.headers, timeout=30).json()["script"]
    assert spoken_by_scene(script) == [[NEW_LINE], said[2], [INSERTED_LINE], said[1],
                                       *said[3:count - 1]]
    expect(page.locator(".board-card").first.locator(".line")).to_have_text(NEW_LINE)
    expect(page.locator(".estimate-box")).to_contain_text("What remains")
    page.get_by_role("button", name="New frame for scene 01 (new seed)").click()
    told(page, "Scene 01: a new frame is being drawn.")
    settled(studio, api, "awaiting_review", lambda s: len(variants_of(s[0])) == 2)
    variant = page.get_by_role("group", name="Variants of scene 01").get_by_role("button")
    expect(variant).to_have_count(2)
    expect(variant.last).to_have_attribute("aria-pressed", "true")  # the new one is chosen
    variant.first.click()
    told(page, "Scene 01: variant 0 chosen.")
    settled(studio, api, "awaiting_review", lambda s: s[0]["variants"][0]["chosen"])
    expect(variant.first).to_have_attribute("aria-pressed", "true")
    variant.last.click()
    told(page, "Scene 01: variant 1 chosen.")
    settled(studio, api, "awaiting_review", lambda s: s[0]["variants"][-1]["chosen"])
    expect(variant.last).to_have_attribute("aria-pressed", "true")

    # scene 02 redrawn from an edited prompt; another camera move for scene 03
    board = page.locator(".board-card")
    board.nth(1).get_by_label("Shot prompt").fill(PROMPT)
    page.get_by_role("button", name="Redraw scene 02 from the edited prompt").click()
    told(page, "Scene 02: drawing the edited prompt.")
    settled(studio, api, "awaiting_review", lambda s: len(variants_of(s[1])) == 2)
    redrawn = page.get_by_role("group", name="Variants of scene 02").get_by_role("button")
    expect(redrawn).to_have_count(2)
    expect(redrawn.last).to_have_attribute("aria-pressed", "true")
    scenes = httpx.get(f"{api}/scenes", headers=studio.headers, timeout=30).json()["scenes"]
    assert scenes[1]["variants"][1]["prompt"] == PROMPT, scenes[1]["variants"]
    camera = next(move for move in CAMERAS if move != scenes[2]["camera"])
    board.nth(2).get_by_label("Camera move").select_option(camera)
    told(page, f"Scene 03: camera move set to {camera}.")
    screenshot(page, "e2e-storyboard-review")
    expect(storyboard).to_be_visible()
    page.get_by_role("button", name="Approve and make the video").click()

    # The result: the player knows the trailer's length, and it plays
    expect(page.get_by_role("heading", name="The trailer")).to_be_visible(
        timeout=STAGE_WAIT_MS)
    video = page.locator("video[data-aspect='16:9']")
    expect(video).to_be_visible()
    first = httpx.get(f"{api}/versions", headers=studio.headers, timeout=30).json()["versions"]
    assert len(first) == 1
    trailer = next(f for f in first[0]["files"] if f["path"] == "trailer.mp4")
    page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle())
    duration = video.evaluate("v => v.duration")
    assert abs(duration - trailer["duration"]) < 0.1
    assert DURATION * 0.6 < duration < DURATION * 1.6
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=video.element_handle())
    expect(page.locator("video[data-aspect='16:9'] track[kind='captions']")).to_have_count(1)
    screenshot(page, "e2e-result")

    # After the render: a later scene held longer and scene 02's line rewritten (saved, not
    # yet rendered), then a new frame for scene 02 starts the run that renders them all
    editor = page.locator(".scene-editor")
    held_scene = f"{count - 1:02d}"  # late in the trailer: few render segments move
    page.get_by_role("button", name=f"Edit scene {held_scene}").click()
    held = round(float(editor.get_by_label("Time on screen (seconds)").input_value()) + 1.5, 1)
    editor.get_by_label("Time on screen (seconds)").fill(str(held))
    editor.get_by_role("button", name="Save scene changes").click()
    told(page, f"Scene {held_scene} saved.")
    page.get_by_role("button", name="Edit scene 02").click()
    editor.get_by_label("Narration line").fill(RESULT_LINE)
    editor.get_by_role("button", name="Save scene changes").click()
    told(page, "Scene 02 saved.")
    scenes = httpx.get(f"{api}/scenes", headers=studio.headers, timeout=30).json()["scenes"]
    tried = len(variants_of(scenes[1]))
    page.get_by_role("button", name="New frame for scene 02").click()
    told(page, "Scene 02: a new frame is being drawn.")
    settled(studio, api, "completed", lambda s: len(variants_of(s[1])) == max(tried, 1) + 1)
    expect(page.get_by_role("heading", name="The trailer")).to_be_visible()
    page.get_by_role("button", name="Render new version").click()  # nothing left to redo
    told(page, "Rendering a new version")
    expect(page.locator(".version[data-version='2']")).to_be_visible(timeout=STAGE_WAIT_MS)

    # The new version's package, downloaded as the page offers it, decodes and checks out
    with page.expect_download() as download:
        page.get_by_role("link", name="Download version 2 as a zip").click()
    archive = tmp_path / "v2.zip"
    download.value.save_as(archive)
    package = tmp_path / "v2"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(package)
    if not (package / "trailer.mp4").exists():  # the package in one folder of the zip
        (package,) = [p for p in package.iterdir() if p.is_dir()]
    check_package(package)
    with av.open(str(package / "trailer.mp4")) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > DURATION * 0.6 * 24
    versions = httpx.get(f"{api}/versions", headers=studio.headers, timeout=30).json()
    assert sorted(v["number"] for v in versions["versions"]) == [1, 2]
    spoken = " ".join(w["text"] for w in json.loads((package / "words.json").read_text())["words"])
    assert RESULT_LINE.rstrip(".") in spoken, spoken
    shot = json.loads((package / "shots" / "03.json").read_text())
    assert shot["camera"] == camera
    scenes = httpx.get(f"{api}/scenes", headers=studio.headers, timeout=30).json()["scenes"]
    assert scenes[1]["narration"] == RESULT_LINE
    assert abs(scenes[count - 2]["seconds"] - held) < 0.11, (scenes[count - 2], held)
    screenshot(page, "e2e-second-version")

    # The jobs list shows the finished trailer with its picture and length
    page.get_by_role("link", name="Trailers", exact=True).click()
    card = page.locator(".job-card").first
    expect(card.locator("img.thumb")).to_be_visible()
    expect(card.locator(".duration")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(card.locator(".badge")).to_have_text("completed")
    screenshot(page, "e2e-jobs-list")
    assert errors == []
