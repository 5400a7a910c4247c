"""End to end with every stage on remote providers, pointed at contract-faithful fakes.

The adapters' real HTTP code runs over loopback sockets against fake OpenAI, ElevenLabs,
BytePlus ModelArk, Replicate and fal servers; the package is checked as in embedded mode.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from package_checks import check_package, check_references
from pydantic import SecretStr
from reelforge.embedded import JobFailed, make_trailer
from reelforge.models import Document, JobSettings, Manifest, Script
from reelforge.pipeline import reference_name
from reelforge.providers.remote.openai import OUTPUT_MODE_MEMORY
from reelforge.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs/common/tests/providers"))

from provider_fakes import FakeSuite, start_suite
from provider_fakes.requests import FAST

pytestmark = pytest.mark.e2e

STORY = Document(
    format="text", title="Salt and Signal",
    text=(
        "Mara Quinn keeps the lighthouse on Skerry Rock. One night a storm drives the fishing "
        "fleet toward the reef, and the wreckers of Saltmouth light false fires on the cliffs. "
        "Mara climbs the tower as the lamp fails. Silas Crane, the wreckers' leader, waits for "
        "her in the lamp room. She fights him in the dark and burns the stairs to keep the "
        "light alive. At dawn the fleet comes home and Mara watches the sea go quiet."
    ),
)


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeSuite]:
    suite = start_suite()
    for fake in suite.fakes.values():
        fake.video_scale = 0.2
    yield suite
    suite.stop()


def remote_settings(fakes: FakeSuite, **chains: str) -> Settings:
    # FAST keeps retries cheap; the read timeout stays generous because the fakes render
    # real media on a 2-core machine shared with the rest of the suite.
    timing = {**FAST, "http_read_timeout": 120.0, "poll_timeout": 120.0}
    return Settings(**fakes.settings(), **timing, **chains)  # type: ignore[arg-type]


def make(fakes: FakeSuite, out: Path, **chains: str) -> Manifest:
    settings = remote_settings(fakes, **chains)
    job = JobSettings(duration=20, quality="draft", seed=3)
    manifest, _ = asyncio.run(make_trailer(STORY, job, out, settings))
    return manifest


def providers_by_path(manifest: Manifest) -> dict[str, str]:
    return {a.path: a.provider or "" for a in manifest.artifacts if a.path}


def test_every_stage_on_remote_providers(fakes: FakeSuite, tmp_path: Path) -> None:
    manifest = make(fakes, tmp_path / "pkg", llm="openai", tts="elevenlabs",
                    aligner="openai", music="elevenlabs", image="seedream", video="seedance")
    check_package(tmp_path / "pkg")
    made_by = providers_by_path(manifest)
    assert made_by["script.json"].startswith("openai")
    assert made_by["voiceover.wav"].startswith("elevenlabs")
    assert made_by["score.wav"].startswith("elevenlabs")
    assert made_by["words.json"].startswith("openai")
    assert all(v.startswith("seedream") for p, v in made_by.items() if p.startswith("storyboard/"))
    assert all(v.startswith("seedance") for p, v in made_by.items() if p.startswith("clips/"))
    assert fakes.violations() == {}, fakes.violations()
    assert manifest.cost_usd > 0 or sum(a.cost_usd or 0 for a in manifest.artifacts) > 0
    check_frames_carry_their_scenes_references(fakes, tmp_path / "pkg", manifest)
    check_clips_end_on_the_next_scenes_frame(fakes, tmp_path / "pkg", seed=3)


def check_clips_end_on_the_next_scenes_frame(fakes: FakeSuite, package: Path, seed: int
                                             ) -> None:
    """Seedance takes a first and a last frame: each clip's task (known by its seed, the
    job's plus the scene's index) ended on the frame the next scene's task started on; the
    last on none."""
    shots = sorted((package / "shots").glob("*.json"))
    scenes = [json.loads(p.read_text())["scene"] for p in shots]

    def images(body: dict[str, Any], role: str) -> list[str]:
        return [c["image_url"]["url"] for c in body["content"] if c.get("role") == role]

    first: dict[int, list[str]] = {}
    last: dict[int, list[str]] = {}
    for call in fakes.fakes["ark"].calls("create_task"):
        number = scenes.index(call.body["seed"] - seed)
        first[number], last[number] = images(call.body, "first_frame"), images(call.body,
                                                                              "last_frame")
    assert sorted(first) == list(range(len(scenes)))
    for number in range(len(scenes) - 1):
        assert len(first[number]) == 1 and last[number] == first[number + 1], number
    assert last[len(scenes) - 1] == []


def check_frames_carry_their_scenes_references(fakes: FakeSuite, package: Path,
                                               manifest: Manifest) -> None:
    """Seedream made the references listed in the manifest, and each scene's frame request
    carried, in its `image` list, exactly the files of its main characters and location."""
    references = check_references(package, manifest)
    made_by = providers_by_path(manifest)
    assert all(made_by[str(p.relative_to(package))].startswith("seedream")
               for p in references.values())
    script = Script.model_validate_json((package / "script.json").read_text())
    main = {c.id: c for c in script.main_characters_shown()}
    order = {"protagonist": 0, "antagonist": 1, "supporting": 2}
    requests = fakes.fakes["ark"].calls("images")
    for scene in script.scenes:
        cast = sorted((main[c] for c in dict.fromkeys(scene.characters) if c in main),
                      key=lambda c: (order[c.role], -c.mentions))
        expected = [reference_name("character", c.id) for c in cast]
        expected.append(reference_name("location", scene.location))
        prompt = f"{script.frame_prompt(scene)} Keep the look of the reference images: "
        sent = [[base64.b64decode(url.removeprefix("data:image/png;base64,"))
                 for url in c.body["image"]]
                for c in requests if c.body["prompt"].startswith(prompt)]
        assert [references[name].read_bytes() for name in expected] in sent, scene.index


def test_a_failing_provider_falls_back_and_the_manifest_says_who_made_what(
    fakes: FakeSuite, tmp_path: Path,
) -> None:
    fakes.reset()
    bad = remote_settings(fakes).model_copy(  # a revoked key: replicate answers 401
        update={"replicate_api_token": SecretStr("r8_revoked")})
    settings = bad.model_copy(update={"image": "replicate,fal", "video": "replicate,local"})
    job = JobSettings(duration=20, quality="draft", seed=4)
    manifest, _ = asyncio.run(make_trailer(STORY, job, tmp_path / "pkg", settings))
    check_package(tmp_path / "pkg")
    made_by = providers_by_path(manifest)
    assert all(v.startswith("fal") for p, v in made_by.items() if p.startswith("storyboard/"))
    assert all(v.startswith("local") for p, v in made_by.items() if p.startswith("clips/"))
    tried = fakes.fakes["replicate"].requests  # every scene tried replicate first
    assert len(tried) >= 2 * len([p for p in made_by if p.startswith("clips/")])
    fakes.reset()


def test_the_budget_a_user_sets_stops_the_job_before_a_paid_call_passes_it(
    fakes: FakeSuite, tmp_path: Path
) -> None:
    """`budget_usd` in the job settings (`--budget` on the command line) reaches the stages:
    the first Seedream frame would cost more than the whole budget, so no frame is asked for
    and the job fails saying so."""
    settings = remote_settings(fakes, image="seedream")
    job = JobSettings(duration=20, quality="draft", seed=3, budget_usd=0.02)
    before = len(fakes.fakes["ark"].calls("images"))
    with pytest.raises(JobFailed, match=r"budget of \$0\.02"):
        asyncio.run(make_trailer(STORY, job, tmp_path / "pkg", settings))
    assert len(fakes.fakes["ark"].calls("images")) == before


def test_a_small_local_model_s_adversarial_answers_still_make_a_package(
    fakes: FakeSuite, tmp_path: Path,
) -> None:
    """The LLM served like llama-cpp-python (no `json_schema`) by a model whose answers fit the
    schema but number, reference and count things wrong."""
    fakes.reset()
    OUTPUT_MODE_MEMORY.forget()
    openai = fakes.fakes["openai"]
    openai.structured, openai.adversarial = "json_object_schema", True
    try:
        manifest = make(fakes, tmp_path / "pkg", llm="openai", tts="elevenlabs",
                        aligner="openai", music="elevenlabs", image="seedream", video="seedance")
        check_package(tmp_path / "pkg")
        assert providers_by_path(manifest)["script.json"].startswith("openai")
        script = Script.model_validate_json((tmp_path / "pkg" / "script.json").read_text())
        assert [line.scene for line in script.narration if line.card is None] == list(
            range(len(script.scenes)))
        rejected = [c for c in openai.calls("chat")
                    if c.body["response_format"]["type"] == "json_schema"]
        assert len(rejected) == 1  # asked once for the whole job, never retried
        assert fakes.violations() == {}, fakes.violations()
    finally:
        fakes.reset()
        OUTPUT_MODE_MEMORY.forget()


def test_frames_and_clips_from_comfyui_on_your_own_gpu(fakes: FakeSuite, tmp_path: Path) -> None:
    """REELFORGE_IMAGE=comfyui REELFORGE_VIDEO=comfyui with the packaged workflows (Flux
    schnell, Wan 2.2 5B), against the fake ComfyUI server."""
    fakes.reset()
    comfyui = fakes.fakes["comfyui"]
    manifest = make(fakes, tmp_path / "pkg", image="comfyui", video="comfyui")
    check_package(tmp_path / "pkg")
    made_by = providers_by_path(manifest)
    frames = [p for p in made_by if p.startswith("storyboard/")]
    clips = [p for p in made_by if p.startswith("clips/")]
    assert frames and all(made_by[p].startswith("comfyui") for p in frames)
    assert clips and all(made_by[p].startswith("comfyui") for p in clips)
    references = [p for p in made_by if p.startswith("references/")]
    assert references and all(made_by[p].startswith("comfyui") for p in references)
    prompts = [c.body["prompt"] for c in comfyui.calls("prompt")]
    assert len(prompts) == len(references) + len(frames) + len(clips)
    assert len(comfyui.calls("upload")) >= 1  # each clip's first frame went up
    assert fakes.violations() == {}, fakes.violations()
