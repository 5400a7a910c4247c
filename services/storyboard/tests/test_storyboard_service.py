"""The storyboard service on the in-memory runtime: script.completed in; a frame and a shot
per scene stored and recorded; one storyboard.completed out, even with many scenes in flight;
redeliveries and reruns reuse what exists."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from reelforge.events import SCRIPT_COMPLETED, STORYBOARD_COMPLETED, STORYBOARD_SCENE, Event
from reelforge.media.stills import read_nearness
from reelforge.models import (
    Character,
    JobSettings,
    ReferenceDirection,
    ReferenceVariant,
    Script,
    Shot,
    Status,
)
from reelforge.providers import FrameRequest, Providers
from reelforge.providers.chain import build_chain
from reelforge.settings import Settings
from reelforge_storyboard import service as storyboard
from reelforge_storyboard.render import LocalImageGen
from storyboard_samples import FakeShotLLM, Harness, SceneSpec, build_script, running

SIDE = 96
REFERENCE_SIDE = 64
SMALL_CANVAS = storyboard.build_service(storyboard.Canvas(SIDE, REFERENCE_SIDE))
JOB = "job-storyboard"
SPECS = [
    SceneSpec("harbour", "sea", time="dawn", characters=("mara",), name="Old Lighthouse"),
    SceneSpec("harbour", "sea", time="dusk", characters=("mara", "vance")),
    SceneSpec("streets", "city", time="night", characters=("vance",)),
    SceneSpec("woods", "forest", time="day", characters=("mara", "ella")),
    SceneSpec("cellar", "interior", time="night", characters=()),
]


class CountingImageGen(LocalImageGen):
    """The real renderer, counting frames drawn (by scene index) and reference pictures
    drawn (by what they show), to prove reuse."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.references: list[str] = []

    async def generate(self, request: FrameRequest) -> bytes:
        if request.width == REFERENCE_SIDE:
            self.references.append(request.prompt)
        else:
            self.calls.append(request.scene.index)
        return await super().generate(request)


class RemoteImageGen:
    """A prompt-only model answering in its own size and format (16:9 JPEG)."""

    name = "remote-images"
    accepts_references = False

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.requests: list[FrameRequest] = []

    async def generate(self, request: FrameRequest) -> bytes:
        self.requests.append(request)
        if request.width != REFERENCE_SIDE:
            self.prompts.append(request.prompt)
        image = np.zeros((72, 128, 3), np.uint8)
        image[:, :, 1] = np.linspace(0, 255, 128, dtype=np.uint8)[None, :]
        ok, jpeg = cv2.imencode(".jpg", image)
        assert ok
        return jpeg.tobytes()


class ReferenceTakingImageGen(RemoteImageGen):
    """A model that takes reference images with the prompt."""

    name = "reference-images"
    accepts_references = True


@pytest.fixture
def llm() -> FakeShotLLM:
    return FakeShotLLM()


@pytest.fixture
def images() -> CountingImageGen:
    return CountingImageGen()


@pytest.fixture
async def harness(tmp_path: Path, llm: FakeShotLLM, images: CountingImageGen
                  ) -> AsyncIterator[Harness]:
    providers = Providers(llm=llm, tts=None, aligner=None, music=None, image=images,  # type: ignore[arg-type]
                          video=None)  # type: ignore[arg-type]
    settings = Settings(storyboard_prefetch=8)
    async with running(tmp_path, [SMALL_CANVAS], providers, settings) as h:
        yield h


async def run_storyboard(harness: Harness, script: Script, settings: JobSettings | None = None
                         ) -> str:
    if not await harness.jobs.list_jobs("local"):
        await harness.add_job(JOB, settings or JobSettings(seed=3))
    key = await harness.store_script(JOB, script)
    await harness.deliver(Event(type=SCRIPT_COMPLETED, job_id=JOB))
    return key


async def test_every_scene_gets_a_frame_and_a_shot_and_the_stage_completes_once(
    harness: Harness, llm: FakeShotLLM, images: CountingImageGen
) -> None:
    script = build_script(SPECS)
    await run_storyboard(harness, script)

    scene_events = harness.of_type(STORYBOARD_SCENE)
    assert sorted(e.item for e in scene_events) == ["01", "02", "03", "04", "05"]
    completed = harness.of_type(STORYBOARD_COMPLETED)
    assert len(completed) == 1
    assert sorted(images.calls) == [0, 1, 2, 3, 4] and len(llm.calls) == 5

    job = await harness.jobs.get_job(JOB)
    assert job.stages["storyboard"].status == Status.completed
    assert await harness.jobs.item_counts(JOB, job.group("storyboard")) == (5, 5)
    for position, scene in enumerate(script.scenes, start=1):
        item = f"{position:02d}"
        frame = await harness.jobs.get_artifact(JOB, f"frame/{item}")
        shot_record = await harness.jobs.get_artifact(JOB, f"shot/{item}")
        assert frame is not None and shot_record is not None
        assert frame.path == f"storyboard/{item}.png" and frame.provider == "local"
        assert shot_record.path == f"shots/{item}.json" and shot_record.provider == "fake-llm"
        assert frame.key.startswith(f"jobs/{JOB}/storyboard/{item}-")
        png = await harness.blobs.get(frame.key)
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (SIDE, SIDE, 3)
        assert read_nearness(png) is not None  # the depth rides along for parallax

        shot = await harness.ctx.load(shot_record.key, Shot)
        assert shot.scene == scene.index
        assert shot.duration == pytest.approx(script.shot_seconds(scene))
        request = storyboard.frame_request(script, scene, 3, SIDE)
        assert shot.focus == images.layout_for(request).focus  # composed, not guessed


async def test_the_shot_planner_sees_the_scene_the_script_and_a_small_frame(
    harness: Harness, llm: FakeShotLLM
) -> None:
    script = build_script(SPECS[:2])
    await run_storyboard(harness, script)
    context = next(c for c in llm.calls if c["scene"]["index"] == 1)
    assert context["scene"] == script.scenes[1].story()
    assert context["script"] == {"title": script.title, "genres": ["thriller"], "tones": ["dark"]}
    preview = base64.b64decode(context["frame_png_b64"])
    image = cv2.imdecode(np.frombuffer(preview, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (SIDE, SIDE, 3)


async def test_a_redelivered_scene_reuses_its_frame_and_shot(
    harness: Harness, llm: FakeShotLLM, images: CountingImageGen
) -> None:
    await run_storyboard(harness, build_script(SPECS))
    before = await harness.jobs.get_artifact(JOB, "frame/02")
    await harness.deliver(Event(type=STORYBOARD_SCENE, job_id=JOB, item="02"))
    assert len(images.calls) == 5 and len(llm.calls) == 5
    assert await harness.jobs.get_artifact(JOB, "frame/02") == before


async def test_editing_one_scene_redraws_only_that_scene(
    harness: Harness, llm: FakeShotLLM, images: CountingImageGen
) -> None:
    script = build_script(SPECS)
    await run_storyboard(harness, script)
    edited = script.model_copy(deep=True)
    edited.scenes[3].summary = "Mara runs between the pines."
    await harness.jobs.bump_run(JOB)
    await run_storyboard(harness, edited)
    assert len(images.calls) == 6 and images.calls[5] == 3  # only the edited scene redrawn
    assert len(llm.calls) == 6
    assert len(harness.of_type(STORYBOARD_COMPLETED)) == 2  # one per run


async def test_a_remote_model_frame_is_squared_and_its_focus_comes_from_the_plan(
    tmp_path: Path, llm: FakeShotLLM
) -> None:
    remote = RemoteImageGen()
    providers = Providers(llm=llm, tts=None, aligner=None, music=None, image=remote,  # type: ignore[arg-type]
                          video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CANVAS], providers, Settings()) as harness:
        script = build_script(SPECS[:2])
        await run_storyboard(harness, script)
        assert sorted(remote.prompts) == sorted(script.frame_prompt(s) for s in script.scenes)
        record = await harness.jobs.get_artifact(JOB, "frame/01")
        assert record is not None and record.provider == "remote-images"
        png = await harness.blobs.get(record.key)
        assert png.startswith(b"\x89PNG")
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (SIDE, SIDE, 3)
        shot_record = await harness.jobs.get_artifact(JOB, "shot/01")
        assert shot_record is not None
        assert (await harness.ctx.load(shot_record.key, Shot)).focus == (0.5, 0.5)


async def test_through_a_provider_chain_the_local_extras_still_apply(
    tmp_path: Path, llm: FakeShotLLM
) -> None:
    local = CountingImageGen()
    providers = Providers(llm=build_chain("llm", [llm]), tts=None, aligner=None,  # type: ignore[arg-type]
                          music=None, image=build_chain("image", [local]), video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CANVAS], providers, Settings()) as harness:
        script = build_script(SPECS[:2])
        await run_storyboard(harness, script)
        record = await harness.jobs.get_artifact(JOB, "shot/02")
        frame = await harness.jobs.get_artifact(JOB, "frame/02")
        assert record is not None and frame is not None
        assert (frame.provider, record.provider) == ("local", "fake-llm")
        shot = await harness.ctx.load(record.key, Shot)
        request = storyboard.frame_request(script, script.scenes[1], 3, SIDE)
        assert shot.focus == local.layout_for(request).focus


def with_a_minor_character(script: Script) -> Script:
    """The script with a gull (a minor character) in scene 1: minor characters get no
    reference picture."""
    edited = script.model_copy(deep=True)
    edited.characters.append(Character(id="gull", name="Gull", mentions=1, role="minor"))
    edited.scenes[0].characters.append("gull")
    return edited


async def test_references_are_made_once_per_main_character_and_location(
    harness: Harness, images: CountingImageGen
) -> None:
    script = with_a_minor_character(build_script(SPECS))
    await run_storyboard(harness, script)
    assert len(images.references) == 3 + 4  # mara, vance, ella; harbour, streets, woods, cellar
    assert sum("Mara" in p for p in images.references) == 1
    records = {r.name: r for r in await harness.jobs.list_artifacts(JOB)}
    made = sorted(n for n in records if n.startswith("reference/"))
    assert made == ["reference/character/ella", "reference/character/mara",
                    "reference/character/vance", "reference/location/cellar",
                    "reference/location/harbour", "reference/location/streets",
                    "reference/location/woods"]
    assert records["reference/character/mara"].path == "references/characters/mara.png"
    assert records["reference/location/harbour"].path == "references/locations/harbour.png"
    assert records["reference/character/mara"].provider == "local"
    png = await harness.blobs.get(records["reference/character/mara"].key)
    portrait = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert portrait.shape == (REFERENCE_SIDE, REFERENCE_SIDE, 3)
    shot = cv2.imdecode(np.frombuffer(await harness.blobs.get(
        records["reference/location/harbour"].key), np.uint8), cv2.IMREAD_COLOR)
    assert not np.array_equal(portrait, shot)

    await harness.deliver(Event(type=SCRIPT_COMPLETED, job_id=JOB))
    await harness.jobs.bump_run(JOB)
    await run_storyboard(harness, script)
    assert len(images.references) == 7, "redelivery and rerun reuse every reference"


async def test_a_frame_request_carries_its_scenes_references_and_their_keys(
    tmp_path: Path, llm: FakeShotLLM
) -> None:
    model = ReferenceTakingImageGen()
    providers = Providers(llm=llm, tts=None, aligner=None, music=None, image=model,  # type: ignore[arg-type]
                          video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CANVAS], providers, Settings()) as harness:
        script = with_a_minor_character(build_script(SPECS))
        await run_storyboard(harness, script)
        records = {r.name: r for r in await harness.jobs.list_artifacts(JOB)}
        references = [r for r in model.requests if r.width == REFERENCE_SIDE]
        assert len(references) == 7 and all(not r.references for r in references)
        frames = {r.scene.index: r for r in model.requests if r.width == SIDE}
        expected = {0: ["mara", "harbour"], 1: ["mara", "vance", "harbour"],
                    2: ["vance", "streets"], 3: ["mara", "ella", "woods"], 4: ["cellar"]}
        for index, subjects in expected.items():
            sent = frames[index].references
            assert [r.subject for r in sent] == subjects
            for reference in sent:
                name = f"reference/{reference.kind}/{reference.subject}"
                assert reference.key == records[name].key
                assert reference.png == await harness.blobs.get(records[name].key)

        # A changed portrait redraws the frames it is sent with, and only those.
        before = {n: r.key for n, r in records.items() if n.startswith("frame/")}
        edited = script.model_copy(deep=True)
        edited.characters[1].description = "a tall man in a grey cloak"  # vance
        await harness.jobs.bump_run(JOB)
        await run_storyboard(harness, edited)
        after = {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)
                 if r.name.startswith("frame/")}
        assert [n for n in sorted(before) if before[n] != after[n]] == ["frame/02", "frame/03"]


async def test_a_scene_of_a_job_begun_before_references_existed_makes_its_own(
    tmp_path: Path, llm: FakeShotLLM
) -> None:
    model = ReferenceTakingImageGen()
    providers = Providers(llm=llm, tts=None, aligner=None, music=None, image=model,  # type: ignore[arg-type]
                          video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CANVAS], providers, Settings()) as harness:
        await harness.add_job(JOB, JobSettings(seed=3))
        await harness.store_script(JOB, build_script(SPECS))
        await harness.deliver(Event(type=STORYBOARD_SCENE, job_id=JOB, item="02"))
        (frame,) = [r for r in model.requests if r.width == SIDE]
        assert [r.subject for r in frame.references] == ["mara", "vance", "harbour"]
        record = await harness.jobs.get_artifact(JOB, "reference/character/vance")
        assert record is not None and frame.references[1].key == record.key


async def test_a_text_only_model_gets_no_references_and_keeps_its_frame_keys(
    tmp_path: Path, llm: FakeShotLLM
) -> None:
    model = RemoteImageGen()
    providers = Providers(llm=llm, tts=None, aligner=None, music=None, image=model,  # type: ignore[arg-type]
                          video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CANVAS], providers, Settings()) as harness:
        script = build_script(SPECS)
        await run_storyboard(harness, script)
        assert all(not r.references for r in model.requests)
        before = {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)}
        edited = script.model_copy(deep=True)
        edited.characters[1].description = "a tall man in a grey cloak"
        await harness.jobs.bump_run(JOB)
        await run_storyboard(harness, edited)
        after = {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)}
        assert after["reference/character/vance"] != before["reference/character/vance"]
        assert {n: k for n, k in after.items() if n.startswith("frame/")} == \
            {n: k for n, k in before.items() if n.startswith("frame/")}


async def test_the_users_picture_or_seed_for_a_reference_is_what_frames_are_sent(
    tmp_path: Path, llm: FakeShotLLM
) -> None:
    model = ReferenceTakingImageGen()
    providers = Providers(llm=llm, tts=None, aligner=None, music=None, image=model,  # type: ignore[arg-type]
                          video=None)  # type: ignore[arg-type]
    async with running(tmp_path, [SMALL_CANVAS], providers, Settings()) as harness:
        script = build_script(SPECS)
        await run_storyboard(harness, script)
        first = {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)}

        # The user's own portrait of Vance: stored by the studio, recorded as theirs, sent
        # with the frames he is in (scenes 2 and 3), and nothing else is made again.
        upload = cv2.imencode(".png", np.full((80, 60, 3), 200, np.uint8))[1].tobytes()
        upload_key = f"jobs/{JOB}/references/upload-vance.png"
        await harness.blobs.put(upload_key, upload, "image/png")
        edited = script.model_copy(deep=True)
        edited.references["reference/character/vance"] = ReferenceDirection(
            variants=[ReferenceVariant(), ReferenceVariant(upload=upload_key)], chosen=1)
        model.requests.clear()
        await harness.jobs.bump_run(JOB)
        await run_storyboard(harness, edited)
        record = await harness.jobs.get_artifact(JOB, "reference/character/vance")
        assert record is not None and (record.key, record.provider) == (upload_key, "user")
        assert record.path == "references/characters/vance.png"
        assert all(r.width == SIDE for r in model.requests), "no reference was made again"
        assert sorted(r.scene.index for r in model.requests) == [1, 2]
        for request in model.requests:
            sent = {r.subject: r for r in request.references}
            assert (sent["vance"].key, sent["vance"].png) == (upload_key, upload)

        # Another seed makes another portrait; going back to the first variant reuses the
        # first portrait and the first frames.
        seeded = edited.model_copy(deep=True)
        seeded.references["reference/character/vance"] = ReferenceDirection(
            variants=[ReferenceVariant(), ReferenceVariant(upload=upload_key),
                      ReferenceVariant(seed=77)], chosen=2)
        await harness.jobs.bump_run(JOB)
        await run_storyboard(harness, seeded)
        made = await harness.jobs.get_artifact(JOB, "reference/character/vance")
        assert made is not None and made.key not in (upload_key,
                                                      first["reference/character/vance"])
        back = seeded.model_copy(deep=True)
        back.references["reference/character/vance"].chosen = 0
        model.requests.clear()
        await harness.jobs.bump_run(JOB)
        await run_storyboard(harness, back)
        assert model.requests == []
        assert {r.name: r.key for r in await harness.jobs.list_artifacts(JOB)
                if r.name.startswith(("frame/", "reference/"))} == \
            {n: k for n, k in first.items() if n.startswith(("frame/", "reference/"))}


async def test_an_item_outside_the_script_is_dead_lettered(harness: Harness) -> None:
    await run_storyboard(harness, build_script(SPECS[:1]))
    await harness.bus.publish(Event(type=STORYBOARD_SCENE, job_id=JOB, item="07"))
    await harness.bus.wait_idle()
    assert [e.item for e, _ in harness.bus.dead_letters] == ["07"]


def test_shot_duration_covers_the_planned_narration_with_a_margin() -> None:
    script = build_script(SPECS[:2])
    words = len(script.narration[0].text.split())
    expected = words / script.words_per_second + script.narration[0].pause_after + 1.5
    assert script.shot_seconds(script.scenes[0]) == pytest.approx(expected, abs=1e-3)
    silent = script.model_copy(update={"narration": [script.narration[1]]})
    assert silent.shot_seconds(silent.scenes[0]) == pytest.approx(2.5 + 1.5)
