"""The visual bible in the studio API: the reference picture of each main character and
location, a new picture, the user's own upload, and picking a variant; bad uploads refused
with a reason. The job runs the real local pipeline over the embedded backends."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from reelforge.apikeys import create_key
from studio_client import Client, at_script_review, stored


def png(width: int, height: int, value: int = 180) -> bytes:
    image = np.full((height, width, 3), value, np.uint8)
    image[: height // 2] = (40, 90, value)
    return cv2.imencode(".png", image)[1].tobytes()


def decoded(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


async def test_references_are_listed_and_bad_uploads_refused_with_a_reason(
    studio: Client,
) -> None:
    job_id, _ = await at_script_review(studio)
    base = f"/v1/jobs/{job_id}"
    listed = await studio.call("GET", f"{base}/references")
    names = [r["name"] for r in listed["references"]]
    kinds = {r["kind"] for r in listed["references"]}
    assert kinds == {"character", "location"} and len(names) == len(set(names)) >= 2
    assert all(r["picture"] is None and r["variants"] == [] for r in listed["references"])
    who = next(r for r in listed["references"] if r["kind"] == "character")
    path = f"{base}/references/character/{who['subject']}"

    cases = [
        (f"{path}/upload?revision=0", b"%PDF-1.7 not a picture", 422, "PNG, JPEG or WebP"),
        (f"{path}/upload?revision=0", b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 2**20), 413,
         "10 MB"),
        (f"{base}/references/character/nobody-here/upload?revision=0", png(40, 40), 404,
         "no reference picture"),
        (f"{path}/upload?revision=7", png(40, 40), 409, "revision 7"),
    ]
    for url, body, status, says in cases:
        answer = await studio.call("POST", url, status, content=body,
                                   headers={"Content-Type": "image/png"})
        assert says in answer["error"]["message"], (url, answer)
    refused = await studio.call("POST", f"{path}/variants/3", 404, json={"revision": 0})
    assert "no picture variant 3" in refused["error"]["message"]
    assert (await studio.call("GET", base))["revision"] == 0

    # Before the storyboard: the upload is kept and chosen; it is used once frames are made.
    await studio.call("POST", f"{path}/upload?revision=0", 202, content=png(300, 200),
                      headers={"Content-Type": "image/png"})
    listed = await studio.call("GET", f"{base}/references")
    mine = next(r for r in listed["references"] if r["name"] == who["name"])
    assert [(v["uploaded"], v["chosen"]) for v in mine["variants"]] == [(False, False),
                                                                        (True, True)]
    assert mine["variants"][1]["thumb_url"] and mine["variants"][0]["thumb_url"] is None
    thumb = decoded(await studio.fetch(mine["variants"][1]["thumb_url"]))
    assert thumb.shape[1] / thumb.shape[0] == pytest.approx(1.5, abs=0.02)  # not cropped

    stranger = {"Authorization": f"Bearer {await create_key(studio.jobs, 'stranger')}"}
    for method, url, body in [
        ("GET", f"{base}/references", None),
        ("POST", path, {"revision": 1}),
        ("POST", f"{path}/variants/0", {"revision": 1}),
    ]:
        resp = await studio.http.request(method, url, json=body, headers=stranger)
        assert resp.status_code == 404, (method, url, resp.text)
    resp = await studio.http.post(f"{path}/upload?revision=1", content=png(40, 40),
                                  headers={**stranger, "Content-Type": "image/png"})
    assert resp.status_code == 404, resp.text


@pytest.mark.e2e
async def test_a_reference_is_remade_uploaded_and_picked_back_at_the_storyboard_review(
    studio: Client, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    job_id = await studio.submit(["storyboard"])
    base = f"/v1/jobs/{job_id}"
    view = await studio.settle(job_id)
    assert view["awaiting"] == "storyboard", view
    listed = (await studio.call("GET", f"{base}/references"))["references"]
    assert all(r["picture"] and r["picture"]["thumb_url"] for r in listed)
    who = next(r for r in listed if r["kind"] == "character")
    path = f"{base}/references/character/{who['subject']}"
    first = decoded(await studio.fetch(who["picture"]["url"]))

    # A new picture: only that reference is made again (the offline renderer draws frames
    # from the script, not from references, so no frame is redrawn).
    before = stored(data, "storyboard")
    await studio.call("POST", path, 202, json={"revision": view["revision"], "seed": 1234})
    view = await studio.settle(job_id)
    assert view["awaiting"] == "storyboard", view
    made = {n for n in stored(data, "storyboard") - before if n.endswith(".png")}
    assert made and all(n.startswith(f"reference-character-{who['subject']}") for n in made)
    again = next(r for r in (await studio.call("GET", f"{base}/references"))["references"]
                 if r["name"] == who["name"])
    assert [v["chosen"] for v in again["variants"]] == [False, True]
    assert not np.array_equal(decoded(await studio.fetch(again["picture"]["url"])), first)

    # The user's own picture, then the first one picked back: nothing is drawn.
    await studio.call("POST", f"{path}/upload?revision={view['revision']}", 202,
                      content=png(1600, 2000), headers={"Content-Type": "image/png"})
    view = await studio.settle(job_id)
    record = await studio.jobs.get_artifact(job_id, who["name"])
    assert record is not None and record.provider == "user"
    mine = next(r for r in (await studio.call("GET", f"{base}/references"))["references"]
                if r["name"] == who["name"])
    assert decoded(await studio.fetch(mine["picture"]["url"])).shape == (1024, 819, 3)
    before = stored(data, "storyboard")
    await studio.call("POST", f"{path}/variants/0", 202, json={"revision": view["revision"]})
    view = await studio.settle(job_id)
    assert not {n for n in stored(data, "storyboard") - before if n.endswith(".png")}
    back = next(r for r in (await studio.call("GET", f"{base}/references"))["references"]
                if r["name"] == who["name"])
    assert [(v["uploaded"], v["chosen"]) for v in back["variants"]] == [
        (False, True), (False, False), (True, False)]
    assert np.array_equal(decoded(await studio.fetch(back["picture"]["url"])), first)
