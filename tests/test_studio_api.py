"""The studio API over the embedded backends (what `reelforge studio` serves): reviews,
revisions, scene edits, frame variants, versions. The job runs the real local pipeline in
this process; the HTTP calls go through the ASGI app."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import av
import pytest
from reelforge.apikeys import create_key
from studio_client import Client, at_script_review, stored

# --------------------------------------------------------------------------- refusals


async def test_a_job_waits_at_the_script_review_before_any_voice_or_picture(
    studio: Client,
) -> None:
    job_id, view = await at_script_review(studio)
    assert view["stages"]["script"]["status"] == "completed"
    script = await studio.call("GET", f"/v1/jobs/{job_id}/script")
    assert view["title"] == script["script"]["title"]  # the list and the page show it
    for stage in ("audio", "storyboard", "video", "assembly"):
        assert view["stages"][stage]["status"] == "queued", stage
    assert script["revision"] == 0 and script["estimated_seconds"] > 5
    scenes = await studio.call("GET", f"/v1/jobs/{job_id}/scenes")
    assert all(s["frame"] is None and s["clip"] is None for s in scenes["scenes"])


async def test_edits_name_their_revision_and_a_stale_one_changes_nothing(
    studio: Client,
) -> None:
    job_id, _ = await at_script_review(studio)
    path = f"/v1/jobs/{job_id}/scenes/02"
    first = await studio.call("PATCH", path, json={"revision": 0, "narration": "One line."})
    assert first["revision"] == 1
    stale = await studio.call("PATCH", path, 409, json={"revision": 0, "narration": "Other."})
    assert "revision 0" in stale["error"]["message"]
    script = await studio.call("GET", f"/v1/jobs/{job_id}/script")
    line = next(n for n in script["script"]["narration"] if n["scene"] == 1)
    assert (script["revision"], line["text"]) == (1, "One line.")
    again = await studio.call("POST", f"/v1/jobs/{job_id}/approve", 409,
                              json={"revision": 0, "review": "script"})
    assert again["error"]["code"] == "conflict"


async def test_bad_edits_are_refused_with_a_reason_and_change_nothing(studio: Client) -> None:
    job_id, _ = await at_script_review(studio)
    base = f"/v1/jobs/{job_id}"
    cases = [
        ("PATCH", f"{base}/scenes/99", {"revision": 0, "narration": "x"}, 404, "no scene"),
        ("PATCH", f"{base}/scenes/01", {"revision": 0, "narration": "   "}, 422, "empty"),
        ("PATCH", f"{base}/scenes/01", {"revision": 0, "narration": "word " * 80}, 422,
         "characters"),
        ("PATCH", f"{base}/scenes/01", {"revision": 0, "camera": "zoom_wild"}, 422, "camera"),
        ("POST", f"{base}/approve", {"revision": 0, "review": "storyboard"}, 409, "script review"),
        ("POST", f"{base}/render", {"revision": 0}, 409, "approve"),
        ("POST", f"{base}/scenes/01/variants/5", {"revision": 0}, 404, "variant"),
    ]
    for method, path, body, status, says in cases:
        answer = await studio.call(method, path, status, json=body)
        assert says in answer["error"]["message"], (path, answer)
    assert (await studio.call("GET", base))["revision"] == 0


async def test_an_edit_while_a_stage_runs_is_refused_as_busy(studio: Client) -> None:
    job_id = await studio.submit([])
    answer = await studio.call("PATCH", f"/v1/jobs/{job_id}/scenes/01", 409,
                               json={"revision": 0, "narration": "Too early."})
    assert answer["error"]["code"] == "busy"
    await studio.call("POST", f"/v1/jobs/{job_id}/cancel")


async def test_another_tenant_gets_404_on_every_studio_route(studio: Client) -> None:
    job_id, _ = await at_script_review(studio)
    script = (await studio.call("GET", f"/v1/jobs/{job_id}/script"))["script"]
    stranger = {"Authorization": f"Bearer {await create_key(studio.jobs, 'stranger')}"}
    base = f"/v1/jobs/{job_id}"
    for method, path, body in [
        ("GET", f"{base}/script", None), ("PUT", f"{base}/script", {"revision": 0,
                                                                   "script": script}),
        ("GET", f"{base}/scenes", None), ("PATCH", f"{base}/scenes/01", {"revision": 0}),
        ("POST", f"{base}/scenes/01/frame", {"revision": 0}),
        ("POST", f"{base}/scenes/01/variants/0", {"revision": 0}),
        ("POST", f"{base}/scenes/01/clip", {"revision": 0}),
        ("POST", f"{base}/approve", {"revision": 0, "review": "script"}),
        ("POST", f"{base}/render", {"revision": 0}), ("GET", f"{base}/versions", None),
        ("GET", f"{base}/estimate", None), ("DELETE", base, None),
    ]:
        resp = await studio.http.request(method, path, json=body, headers=stranger)
        assert resp.status_code == 404, (method, path, resp.status_code, resp.text)
    view = await studio.call("GET", base)
    assert (view["status"], view["revision"]) == ("awaiting_review", 0)


# --------------------------------------------------------------------------- the whole loop


async def segments_rendered(studio: Client, job_id: str) -> tuple[int, int]:
    """The last render's segments: how many were encoded and how many reused."""
    events = await studio.jobs.list_events(job_id)
    message = next(e.message for e in reversed(events)
                   if e.message.startswith("render segments:"))
    encoded, reused = re.findall(r"\d+", message)
    return int(encoded), int(reused)


def line_starts(package_zip: bytes) -> dict[int, float]:
    """Each narration line's first word time in a package's words.json."""
    words = json.loads(zipfile.ZipFile(io.BytesIO(package_zip)).read("words.json"))["words"]
    starts: dict[int, float] = {}
    for word in words:
        starts.setdefault(word["line"], word["start"])
    return starts


@pytest.mark.e2e
async def test_review_edit_regenerate_and_render_a_new_version(
    studio: Client, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    job_id = await studio.submit(["script", "storyboard"])
    base = f"/v1/jobs/{job_id}"
    view = await studio.settle(job_id)
    assert view["awaiting"] == "script", view

    # script review: rewrite scene 02's line, then approve
    edited = await studio.call("PATCH", f"{base}/scenes/02",
                               json={"revision": 0, "narration": "Nobody leaves the island."})
    assert edited["scenes"][1]["narration"] == "Nobody leaves the island."
    await studio.call("POST", f"{base}/approve", 202, json={"revision": 1, "review": "script"})
    view = await studio.settle(job_id)
    assert (view["status"], view["awaiting"]) == ("awaiting_review", "storyboard"), view
    assert view["stages"]["video"]["status"] == "queued"
    scenes = (await studio.call("GET", f"{base}/scenes"))["scenes"]
    first_frame = await studio.fetch(scenes[2]["frame"]["thumb_url"])
    assert first_frame[:3] == b"\xff\xd8\xff"  # a JPEG thumbnail
    estimate = await studio.call("GET", f"{base}/estimate")
    assert set(estimate["stages"]) == {"video", "assembly"} and estimate["usd"] == 0.0

    # storyboard review: a new frame for scene 03 redraws that frame only
    frames_before = stored(data, "storyboard")
    await studio.call("POST", f"{base}/scenes/03/frame", 202, json={"revision": 2, "seed": 99})
    view = await studio.settle(job_id)
    assert view["awaiting"] == "storyboard", view
    new_files = stored(data, "storyboard") - frames_before
    assert {name.split("-")[0] for name in new_files} <= {"03", "03.plan"}, new_files
    assert any(name.startswith("03-") and name.endswith(".png") for name in new_files)
    scene3 = (await studio.call("GET", f"{base}/scenes"))["scenes"][2]
    assert [(v["number"], v["chosen"]) for v in scene3["variants"]] == [(0, False), (1, True)]
    assert all(v["thumb_url"] for v in scene3["variants"])
    assert await studio.fetch(scene3["variants"][1]["thumb_url"]) != first_frame

    # pick the first frame back: nothing is drawn again
    frames_before = stored(data, "storyboard")
    await studio.call("POST", f"{base}/scenes/03/variants/0", 202, json={"revision": 3})
    view = await studio.settle(job_id)
    assert not {n for n in stored(data, "storyboard") - frames_before if n.endswith(".png")}
    await studio.call("POST", f"{base}/approve", 202,
                      json={"revision": view["revision"], "review": "storyboard"})
    view = await studio.settle(job_id)
    assert view["status"] == "completed", view

    versions = (await studio.call("GET", f"{base}/versions"))["versions"]
    assert len(versions) == 1
    # after the result: edit one line (shorter: it fits in its scene's time) and render
    # again; the first version stays
    clips_before, audio_before = stored(data, "video"), stored(data, "audio")
    scenes_before = (await studio.call("GET", f"{base}/scenes"))["scenes"]
    edited = await studio.call("PATCH", f"{base}/scenes/04", json={
        "revision": view["revision"], "narration": "The tide turns."})
    assert [s["seconds"] for s in edited["scenes"]] == [s["seconds"] for s in scenes_before]
    await studio.call("POST", f"{base}/render", 202, json={"revision": view["revision"] + 1})
    view = await studio.settle(job_id)
    assert view["status"] == "completed", view
    assert stored(data, "video") == clips_before  # scene 04 kept its length: no clip remade
    spoken_again = [n for n in stored(data, "audio") - audio_before
                    if n.startswith("line-") and n.endswith(".wav")]
    assert len(spoken_again) == 1, spoken_again  # only the edited line was voiced again
    encoded, reused = await segments_rendered(studio, job_id)
    # the dissolve into 04, its own frames and the dissolve out of it, in the two variants
    # that burn its new captions; its first word's frame may move by one, which moves 03's
    # and 04's windows: the pieces from the dissolve into 03 to the one out of 04, in all 3
    assert encoded <= 5 * 3 and reused >= 2 * encoded, (encoded, reused)
    versions = (await studio.call("GET", f"{base}/versions"))["versions"]
    assert len(versions) == 2
    first_starts, edited_starts = [line_starts(await studio.fetch(v["zip_url"]))
                                   for v in versions]
    edited_line = next(n["index"] for n in (await studio.call(
        "GET", f"{base}/script"))["script"]["narration"] if n["scene"] == 3)
    for line, start in first_starts.items():
        if line != edited_line:  # every other scene starts where it started
            assert edited_starts[line] == start, (line, start, edited_starts[line])
    for version in versions:
        package = zipfile.ZipFile(io.BytesIO(await studio.fetch(version["zip_url"])))
        with av.open(io.BytesIO(package.read("trailer.mp4"))) as trailer:
            video = trailer.streams.video[0]
            frames = sum(1 for _ in trailer.decode(video))
        assert abs(frames / 24 - version["duration"]) < 0.1, (frames, version["duration"])
    words = [json.loads(zipfile.ZipFile(io.BytesIO(await studio.fetch(v["zip_url"])))
                        .read("words.json")) for v in versions]
    spoken = [" ".join(w["text"] for w in ws["words"]) for ws in words]
    assert "tide turns" not in spoken[0].lower() and "tide turns" in spoken[1].lower()


async def test_time_on_screen_and_camera_are_directed_per_scene(studio: Client) -> None:
    job_id, _ = await at_script_review(studio)
    path = f"/v1/jobs/{job_id}/scenes/02"
    before = (await studio.call("GET", f"/v1/jobs/{job_id}/scenes"))["scenes"][1]
    wanted = before["seconds"] + 2.0
    longer = await studio.call("PATCH", path, json={"revision": 0, "seconds": wanted,
                                                    "camera": "tilt_up"})
    scene = longer["scenes"][1]
    assert scene["camera"] == "tilt_up"
    assert abs(scene["seconds"] - wanted) < 0.11
    script = (await studio.call("GET", f"/v1/jobs/{job_id}/script"))["script"]
    assert script["scenes"][1]["direction"]["camera"] == "tilt_up"
    back = await studio.call("PATCH", path, json={"revision": 1, "seconds": None})
    assert back["scenes"][1]["seconds"] < scene["seconds"]
    script = (await studio.call("GET", f"/v1/jobs/{job_id}/script"))["script"]
    line = next(n for n in script["narration"] if n["scene"] == 1)
    assert line["pause_after"] == 0.4  # the default pause
    for out_of_reach in (1.0, 29.0):
        refused = await studio.call("PATCH", path, 422, json={"revision": 2,
                                                              "seconds": out_of_reach})
        assert "can last" in refused["error"]["message"], refused
    too_long = await studio.call("PATCH", path, 422, json={"revision": 2, "seconds": 99})
    assert "seconds" in too_long["error"]["message"]
