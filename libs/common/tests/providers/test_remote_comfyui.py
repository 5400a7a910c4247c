"""ComfyUI adapters against the fake ComfyUI server: the real HTTP code (upload, queue,
history, view) end to end, the packaged workflows, and every error a user can act on."""

from __future__ import annotations

import copy
import io
import json
import socket
from importlib import resources
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image
from provider_fakes import FakeComfyUI, FakeSuite, media
from provider_fakes.requests import (
    REFERENCE_NOTE,
    clip_request,
    frame_request,
    frame_request_with_references,
)
from reelforge.providers.base import ProviderError
from reelforge.providers.registry import create
from reelforge.providers.remote.comfyui import (
    DEFAULT_WORKFLOWS,
    PACKAGED_WORKFLOWS,
    ComfyUIImage,
    ComfyUIVideo,
    Mapping,
    load_workflow,
)
from reelforge.settings import Settings


def packaged(name: str) -> dict[str, Any]:
    path = resources.files("reelforge.providers.remote") / PACKAGED_WORKFLOWS / name
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write_workflow(folder: Path, kind: str, edit_workflow: Any = None,
                   edit_mapping: Any = None) -> Path:
    """The packaged workflow of `kind`, edited, with its mapping beside it."""
    name = DEFAULT_WORKFLOWS[kind]  # type: ignore[index]
    workflow = packaged(name)
    mapping = packaged(name.replace(".json", ".mapping.json"))
    if edit_workflow:
        edit_workflow(workflow)
    if edit_mapping:
        edit_mapping(mapping)
    path = folder / f"my_{kind}.json"
    path.write_text(json.dumps(workflow))
    path.with_suffix(".mapping.json").write_text(json.dumps(mapping))
    return path


def comfy(suite: FakeSuite) -> FakeComfyUI:
    fake = suite.fakes["comfyui"]
    assert isinstance(fake, FakeComfyUI)
    return fake


def queued_prompt(fake: FakeComfyUI) -> dict[str, Any]:
    (call,) = fake.calls("prompt")
    return dict(call.body["prompt"])


# --------------------------------------------------------------------------- success


async def test_image_runs_the_packaged_flux_workflow(suite: FakeSuite,
                                                     settings: Settings) -> None:
    fake = comfy(suite)
    png = await ComfyUIImage(settings).generate(frame_request())
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (960, 540)
    prompt = queued_prompt(fake)
    assert prompt["2"]["inputs"]["text"] == frame_request().prompt
    assert prompt["5"]["inputs"]["seed"] == 7
    # 960x540 fits under a megapixel; both sides rounded down to the model's multiple of 16
    assert (prompt["4"]["inputs"]["width"], prompt["4"]["inputs"]["height"]) == (960, 528)
    assert prompt["1"]["inputs"]["ckpt_name"] == "flux1-schnell-fp8.safetensors"
    assert fake.calls("prompt")[0].body["client_id"].startswith("reelforge-")
    assert len(fake.calls("history")) == 3  # queued, running, success
    (view,) = fake.calls("view")
    assert view.path == "/view"
    assert fake.calls("upload") == []


async def test_video_uploads_the_frame_and_decodes(suite: FakeSuite,
                                                   settings: Settings) -> None:
    fake = comfy(suite)
    request = clip_request(side=640)
    video = await ComfyUIVideo(settings).generate(request, 4.0)
    with av.open(io.BytesIO(video), mode="r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = stream.average_rate
    prompt = queued_prompt(fake)
    # 4 s at Wan's 24 fps, as 4n+1 frames; 640x640 rounded to Wan 2.2's multiple of 32
    assert prompt["7"]["inputs"]["length"] == 97 and frames == 97 and rate == 24
    assert (prompt["7"]["inputs"]["width"], prompt["7"]["inputs"]["height"]) == (640, 640)
    assert prompt["11"]["inputs"]["fps"] == 24
    assert prompt["4"]["inputs"]["text"] == request.shot.prompt
    (upload,) = fake.calls("upload")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert fake.uploads[prompt["6"]["inputs"]["image"]] == request.frame_png


async def test_the_entry_points_build_both_providers(settings: Settings) -> None:
    assert isinstance(create("image", "comfyui", settings), ComfyUIImage)
    assert isinstance(create("video", "comfyui", settings), ComfyUIVideo)


async def test_a_user_workflow_with_a_negative_prompt_and_a_list_of_targets(
        suite: FakeSuite, settings: Settings, tmp_path: Path) -> None:
    def mapping(m: dict[str, Any]) -> None:
        m["inputs"]["negative_prompt"] = "3.text"
        m["inputs"]["seed"] = ["5.seed"]
        m["negative_prompt"] = "blurry, text"

    path = write_workflow(tmp_path, "image", edit_mapping=mapping)
    await ComfyUIImage(settings.model_copy(update={"comfyui_image_workflow": path})).generate(
        frame_request())
    prompt = queued_prompt(comfy(suite))
    assert prompt["3"]["inputs"]["text"] == "blurry, text" and prompt["5"]["inputs"]["seed"] == 7


@pytest.mark.parametrize(("seconds", "frames"),
                         [(0.01, 1), (0.1, 5), (1.0, 25), (4.0, 97), (30.0, 121)])
def test_frame_counts_follow_the_models_rule(seconds: float, frames: int) -> None:
    mapping = Mapping.model_validate({"inputs": {"prompt": "1.text"}, "fps": 24,
                                      "frame_step": 4, "max_frames": 121})
    assert mapping.frame_count(seconds) == frames


# --------------------------------------------------------------------------- errors


async def test_server_unreachable(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = settings.model_copy(update={"comfyui_base_url": f"http://127.0.0.1:{port}"})
    with pytest.raises(ProviderError) as err:
        await ComfyUIImage(down).generate(frame_request())
    message = str(err.value)
    assert f"cannot reach ComfyUI at http://127.0.0.1:{port}" in message
    assert "COMFYUI_BASE_URL" in message and "\n" not in message
    assert message.startswith("comfyui: cannot reach") and message.count("comfyui:") == 1


async def test_a_missing_node_type_is_named(suite: FakeSuite, settings: Settings,
                                            tmp_path: Path) -> None:
    def workflow(w: dict[str, Any]) -> None:
        w["12"]["class_type"] = "VHS_VideoCombine"

    path = write_workflow(tmp_path, "video", edit_workflow=workflow)
    video = ComfyUIVideo(settings.model_copy(update={"comfyui_video_workflow": path}))
    with pytest.raises(ProviderError) as err:
        await video.generate(clip_request(), 4.0)
    # what ComfyUI 0.8.0 answered: 400 invalid_prompt "Cannot execute because node X does
    # not exist.", the node in `details`
    assert "HTTP 400 invalid_prompt: this ComfyUI has no node type 'VHS_VideoCombine' " \
        "(node #12)" in str(err.value)
    assert "install the custom node" in str(err.value) and err.value.permanent


async def test_the_missing_node_type_answer_is_understood(suite: FakeSuite,
                                                           settings: Settings,
                                                           tmp_path: Path) -> None:
    """The shape other clients report from releases after 0.8.0 (not checked here)."""
    comfy(suite).node_type_error = "missing_node_type"
    path = write_workflow(tmp_path, "image", _set("7/class_type", "Image Save (WAS)"))
    image = ComfyUIImage(settings.model_copy(update={"comfyui_image_workflow": path}))
    with pytest.raises(ProviderError, match=r"HTTP 400 missing_node_type: this ComfyUI has no "
                       r"node type 'Image Save \(WAS\)' \(node #7\)"):
        await image.generate(frame_request())


async def test_a_missing_model_file_is_named(suite: FakeSuite, settings: Settings) -> None:
    comfy(suite).models["checkpoints"] = ["v1-5-pruned-emaonly-fp16.safetensors"]
    with pytest.raises(ProviderError) as err:
        await ComfyUIImage(settings).generate(frame_request())
    assert ("model file missing on the ComfyUI server: flux1-schnell-fp8.safetensors "
            "(node #1 CheckpointLoaderSimple, ckpt_name)") in str(err.value)
    assert err.value.permanent and len(comfy(suite).calls("prompt")) == 1


async def test_validation_errors_are_summarised(suite: FakeSuite, settings: Settings,
                                                tmp_path: Path) -> None:
    def workflow(w: dict[str, Any]) -> None:
        w["5"]["inputs"]["steps"] = 0
        w["5"]["inputs"]["sampler_name"] = "euler_fancy"

    path = write_workflow(tmp_path, "image", edit_workflow=workflow)
    image = ComfyUIImage(settings.model_copy(update={"comfyui_image_workflow": path}))
    with pytest.raises(ProviderError) as err:
        await image.generate(frame_request())
    message = str(err.value)
    assert "prompt_outputs_failed_validation" in message
    assert "node #5 KSampler: Value 0 smaller than min of 1: steps" in message
    assert "'euler_fancy' not in" in message and "model file missing" not in message


async def test_a_job_that_never_finishes_hits_the_deadline(suite: FakeSuite,
                                                           settings: Settings) -> None:
    fake = comfy(suite)
    fake.script_next_task("queued")
    slow = settings.model_copy(update={"comfyui_timeout": 0.3})
    with pytest.raises(ProviderError) as err:
        await ComfyUIImage(slow).generate(frame_request())
    assert "did not finish within 0s (REELFORGE_COMFYUI_TIMEOUT)" in str(err.value)
    (delete,) = fake.calls("queue.POST")
    assert delete.body == {"delete": [next(iter(fake.jobs))]}
    assert fake.calls("interrupt") == []  # a queued job is dropped, never interrupted


async def test_a_running_job_past_the_deadline_is_interrupted(suite: FakeSuite,
                                                              settings: Settings) -> None:
    fake = comfy(suite)
    fake.script_next_task("queued", "running")
    slow = settings.model_copy(update={"comfyui_timeout": 0.3})
    with pytest.raises(ProviderError, match="REELFORGE_COMFYUI_TIMEOUT"):
        await ComfyUIVideo(slow).generate(clip_request(), 2.0)
    (interrupt,) = fake.calls("interrupt")
    assert interrupt.body == {"prompt_id": next(iter(fake.jobs))}


async def test_an_execution_error_names_the_node(suite: FakeSuite, settings: Settings) -> None:
    comfy(suite).script_next_task("queued", ("error", "Allocation on device 0 would exceed "
                                             "allowed memory. (out of memory)"))
    with pytest.raises(ProviderError) as err:
        await ComfyUIImage(settings).generate(frame_request())
    assert "failed in node #5 KSampler: torch.OutOfMemoryError: Allocation on device 0" \
        in str(err.value)
    assert not err.value.permanent


async def test_a_job_lost_by_a_restarted_server(suite: FakeSuite, settings: Settings) -> None:
    fake = comfy(suite)
    fake.script_next_task("queued", "running", "vanished")
    with pytest.raises(ProviderError, match=r"neither in ComfyUI's queue nor in its history: "
                       r"was the server restarted\?"):
        await ComfyUIImage(settings).generate(frame_request())
    assert len(fake.calls("history")) == 4  # queued, running, then unseen twice


async def test_a_workflow_without_the_wanted_output(suite: FakeSuite, settings: Settings,
                                                    tmp_path: Path) -> None:
    def workflow(w: dict[str, Any]) -> None:  # saves the decoded frames as PNGs
        w["12"] = {"class_type": "SaveImage", "inputs": {"images": ["10", 0],
                                                         "filename_prefix": "x"}}

    path = write_workflow(tmp_path, "video", edit_workflow=workflow)
    video = ComfyUIVideo(settings.model_copy(update={"comfyui_video_workflow": path}))
    with pytest.raises(ProviderError, match="finished without saving a video"):
        await video.generate(clip_request(), 2.0)


# --------------------------------------------------------------------------- configuration


def _set(path: str, value: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    return edit


@pytest.mark.parametrize(("edit_workflow", "edit_mapping", "expected"), [
    (None, _set("inputs/prompt", "99.text"), "inputs.prompt names node '99', which is not in"),
    (None, _set("inputs/seed", "5.sed"), "names input 'sed' of node 5 (KSampler), which has: "),
    (None, _set("inputs/width", "4"), "'4' is not NODE_ID.INPUT_NAME"),
    (None, _set("inputs/width", "5.model"), "5.model, a connection from another node"),
    (None, _set("inputs/duration", "4.width"), "inputs.duration: Extra inputs are not permitted"),
    (None, _set("output", "42"), "output node '42' is not in the workflow"),
    (_set("2/class_type", ""), None, "node 2: class_type: String should have at least 1 character"),
])
def test_mapping_mistakes_are_reported_with_the_file(
        tmp_path: Path, edit_workflow: Any, edit_mapping: Any, expected: str) -> None:
    path = write_workflow(tmp_path, "image", edit_workflow, edit_mapping)
    with pytest.raises(ProviderError) as err:
        load_workflow("image", path, None)
    assert expected in str(err.value) and err.value.permanent
    assert str(path.parent) in str(err.value)


def test_workflow_file_mistakes(tmp_path: Path) -> None:
    ui = tmp_path / "ui.json"
    ui.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    ui.with_suffix(".mapping.json").write_text(json.dumps({"inputs": {"prompt": "1.text"}}))
    with pytest.raises(ProviderError, match=r"UI format; export it in the API format"):
        load_workflow("image", ui, None)
    with pytest.raises(ProviderError, match=r"no mapping for workflow .*lonely.json: write "
                       r".*lonely.mapping.json or set REELFORGE_COMFYUI_IMAGE_MAPPING"):
        (tmp_path / "lonely.json").write_text("{}")
        load_workflow("image", tmp_path / "lonely.json", None)
    with pytest.raises(ProviderError, match="does not exist; fix REELFORGE_COMFYUI_VIDEO_"):
        load_workflow("video", tmp_path / "absent.json", tmp_path / "m.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"1": {"class_type": "SaveImage",,}}')
    broken.with_suffix(".mapping.json").write_text("{}")
    with pytest.raises(ProviderError, match=r"is not JSON: .* at line 1, column 34"):
        load_workflow("image", broken, None)
    no_image = write_workflow(tmp_path, "video", edit_mapping=_set("inputs/image", []))
    with pytest.raises(ProviderError, match=r"inputs\.image is required for a video workflow"):
        load_workflow("video", no_image, None)
    with_references = write_workflow(tmp_path, "video",
                                     edit_mapping=_set("inputs/references", ["6.image"]))
    with pytest.raises(ProviderError, match=r"inputs\.references is for image workflows"):
        load_workflow("video", with_references, None)


def test_the_packaged_workflows_are_consistent() -> None:
    image = load_workflow("image", None, None)
    video = load_workflow("video", None, None)
    assert image.mapping.output == "7" and video.mapping.output == "12"
    assert "Wan22ImageToVideoLatent" in video.class_types
    again = load_workflow("video", None, None)
    assert again.digest == video.digest != image.digest


async def test_check_reports_reachability_and_node_types(suite: FakeSuite, settings: Settings,
                                                         tmp_path: Path) -> None:
    detail = await ComfyUIVideo(settings).check()
    assert "ComfyUI 0.3.fake" in detail and "all 11 node types and the model files" in detail
    comfy(suite).models["vae"] = []
    with pytest.raises(ProviderError, match=r"model file missing on http://127\.0\.0\.1:\d+: "
                       r"wan2\.2_vae\.safetensors \(node #3 VAELoader, vae_name\)"):
        await ComfyUIVideo(settings).check()
    path = write_workflow(tmp_path, "image", _set("7/class_type", "Image Save (WAS)"))
    with pytest.raises(ProviderError, match=r"lacks node types Image Save \(WAS\)"):
        await ComfyUIImage(settings.model_copy(
            update={"comfyui_image_workflow": path})).check()


def test_prompts_leave_the_loaded_workflow_untouched() -> None:
    workflow = load_workflow("image", None, None)
    before = copy.deepcopy({k: n.model_dump() for k, n in workflow.nodes.items()})
    workflow.prompt({"prompt": "changed", "seed": 3})
    assert {k: n.model_dump() for k, n in workflow.nodes.items()} == before


# --------------------------------------------------------------------------- as a real server did
# The workflows below ran against a real ComfyUI 0.8.0 on the CPU (docs/comfyui.md, "Checked
# against a real server"); the fake must answer them the same way.

EMPTY_IMAGE: dict[str, Any] = {  # needs no model file: an empty image of the frame's size, saved
    "1": {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 1,
                                                 "color": 0}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0],
                                                "filename_prefix": "reelforge/empty"}},
}
EMPTY_IMAGE_MAPPING = {"inputs": {"prompt": [], "seed": "1.color", "width": "1.width",
                                  "height": "1.height"}, "output": "2"}
REFERENCES_BLENDED: dict[str, Any] = {  # the two reference images, blended and saved
    "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
    "2": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
    "3": {"class_type": "ImageBlend", "inputs": {"image1": ["1", 0], "image2": ["2", 0],
                                                 "blend_factor": 0.5, "blend_mode": "normal"}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0],
                                                "filename_prefix": "reelforge/refs"}},
}
REFERENCES_MAPPING = {"inputs": {"prompt": [], "references": ["1.image", "2.image"]},
                      "output": "4"}
PARTLY_VALID: dict[str, Any] = {  # a valid preview; the saved image needs a missing checkpoint
    **EMPTY_IMAGE,
    "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
    "3": {"class_type": "CheckpointLoaderSimple",
          "inputs": {"ckpt_name": "flux1-schnell-fp8.safetensors"}},
    "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64,
                                                       "batch_size": 1}},
    "5": {"class_type": "VAEDecode", "inputs": {"samples": ["4", 0], "vae": ["3", 2]}},
    "6": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "x"}},
}
PARTLY_VALID_MAPPING = {"inputs": {"prompt": [], "seed": "1.color",
                                   "width": ["1.width", "4.width"],
                                   "height": ["1.height", "4.height"]}, "output": "6"}


def own_workflow(folder: Path, workflow: dict[str, Any], mapping: dict[str, Any],
                 settings: Settings) -> Settings:
    path = folder / "workflow.json"
    path.write_text(json.dumps(workflow))
    path.with_suffix(".mapping.json").write_text(json.dumps(mapping))
    return settings.model_copy(update={"comfyui_image_workflow": path})


async def test_a_workflow_that_needs_no_model(suite: FakeSuite, settings: Settings,
                                              tmp_path: Path) -> None:
    image = ComfyUIImage(own_workflow(tmp_path, EMPTY_IMAGE, EMPTY_IMAGE_MAPPING, settings))
    assert "all 2 node types and the model files of workflow.json installed" \
        in await image.check()
    png = await image.generate(frame_request())
    assert Image.open(io.BytesIO(png)).size == (960, 540)
    assert queued_prompt(comfy(suite))["1"]["inputs"] == {"width": 960, "height": 528,
                                                          "batch_size": 1, "color": 7}


async def test_a_workflow_valid_only_in_part_is_refused(suite: FakeSuite, settings: Settings,
                                                        tmp_path: Path) -> None:
    """ComfyUI queues a workflow whose outputs are only partly valid (200, with node_errors)
    and runs the valid ones: without a check the mapped output is never saved, or with no
    output named, a preview comes back as the frame."""
    fake = comfy(suite)
    for output, expected in [("6", "without output node #6"),
                             (None, "without some of its output nodes")]:
        fake.reset()
        fake.models["checkpoints"] = []
        mapping = {**PARTLY_VALID_MAPPING, "output": output}
        image = ComfyUIImage(own_workflow(tmp_path, PARTLY_VALID, mapping, settings))
        with pytest.raises(ProviderError) as err:
            await image.generate(frame_request())
        assert f"ComfyUI would run the workflow {expected}: model file missing on the ComfyUI " \
               "server: flux1-schnell-fp8.safetensors (node #3 CheckpointLoaderSimple, " \
               "ckpt_name)" in str(err.value)
        assert err.value.permanent and fake.calls("view") == []
        (job,) = fake.jobs
        (delete,) = fake.calls("queue.POST")  # the part that would run is dropped
        assert delete.body == {"delete": [job]}


async def test_a_job_interrupted_on_the_server(suite: FakeSuite, settings: Settings) -> None:
    comfy(suite).script_next_task("queued", "running", "interrupted")
    with pytest.raises(ProviderError, match=r"job \S+ was interrupted on the ComfyUI server"):
        await ComfyUIImage(settings).generate(frame_request())


async def test_a_repeated_request_is_answered_from_comfyuis_cache(suite: FakeSuite,
                                                                  settings: Settings) -> None:
    """ComfyUI runs nothing for a prompt it has run before and lists the earlier files as
    outputs, but only to a prompt sent with a client_id: without one, outputs are empty."""
    fake = comfy(suite)
    image = ComfyUIImage(settings)
    first = await image.generate(frame_request())
    assert await image.generate(frame_request()) == first
    second = [i for i, job in fake.jobs.items() if job["cached"]]
    assert len(second) == 1 and len(fake.saved) == 1
    async with httpx.AsyncClient(base_url=settings.comfyui_base_url) as client:
        answer = await client.get(f"/history/{second[0]}")
        entry = answer.json()[second[0]]
        assert entry["status"]["messages"][1][1]["nodes"] == list(entry["prompt"][2])
        anonymous = await client.post("/prompt", json={"prompt": entry["prompt"][2]})
        prompt_id = anonymous.json()["prompt_id"]
        for _ in range(3):
            history = (await client.get(f"/history/{prompt_id}")).json()
    assert history[prompt_id]["outputs"] == {}


async def test_references_go_into_the_mapped_load_image_nodes(suite: FakeSuite,
                                                              settings: Settings,
                                                              tmp_path: Path) -> None:
    fake = comfy(suite)

    def with_references(w: dict[str, Any]) -> None:  # a reference branch beside the frame
        w.update({"20": REFERENCES_BLENDED["1"], "21": REFERENCES_BLENDED["2"],
                  "22": {**REFERENCES_BLENDED["3"], "inputs": {
                      **REFERENCES_BLENDED["3"]["inputs"], "image1": ["20", 0],
                      "image2": ["21", 0]}},
                  "23": {"class_type": "PreviewImage", "inputs": {"images": ["22", 0]}}})

    path = write_workflow(tmp_path, "image", with_references,
                          _set("inputs/references", ["20.image", "21.image"]))
    image = ComfyUIImage(settings.model_copy(update={"comfyui_image_workflow": path}))
    assert image.accepts_references and not ComfyUIImage(settings).accepts_references
    request = frame_request_with_references()
    await image.generate(request)
    assert len(fake.calls("upload")) == 2
    names = list(fake.uploads)  # in the order they came
    assert [fake.uploads[name] for name in names] == [r.png for r in request.references]
    prompt = queued_prompt(fake)
    assert [prompt["20"]["inputs"]["image"], prompt["21"]["inputs"]["image"]] == names
    assert prompt["2"]["inputs"]["text"] == request.prompt + REFERENCE_NOTE

    fake.reset()  # one reference for two inputs: it goes into both
    one = request.model_copy(update={"references": request.references[:1]})
    await image.generate(one)
    prompt = queued_prompt(fake)
    (name,) = fake.uploads
    assert prompt["20"]["inputs"]["image"] == prompt["21"]["inputs"]["image"] == name

    fake.reset()  # a workflow without reference inputs gets neither the images nor the note
    await ComfyUIImage(settings).generate(request)
    assert fake.calls("upload") == []
    assert queued_prompt(fake)["2"]["inputs"]["text"] == request.prompt


async def test_the_reference_workflow_run_on_a_real_server(suite: FakeSuite,
                                                           settings: Settings,
                                                           tmp_path: Path) -> None:
    image = ComfyUIImage(own_workflow(tmp_path, REFERENCES_BLENDED, REFERENCES_MAPPING,
                                      settings))
    png = await image.generate(frame_request_with_references())
    assert Image.open(io.BytesIO(png)).size == (960, 540)
    prompt = queued_prompt(comfy(suite))
    assert {prompt["1"]["inputs"]["image"], prompt["2"]["inputs"]["image"]} \
        == set(comfy(suite).uploads)


async def test_the_fake_answers_as_a_real_comfyui_did(suite: FakeSuite,
                                                      settings: Settings) -> None:
    """Answers recorded from ComfyUI 0.8.0 (docs/comfyui.md), replayed against the fake."""
    fake = comfy(suite)
    fake.models["checkpoints"] = []
    async with httpx.AsyncClient(base_url=settings.comfyui_base_url) as client:
        async def post(prompt: Any) -> tuple[int, Any]:
            answer = await client.post("/prompt", json={"prompt": prompt, "client_id": "t"})
            return answer.status_code, answer.json()

        status, body = await post({k: v for k, v in PARTLY_VALID.items() if k != "2"})
        assert status == 400 and body["error"] == {
            "type": "prompt_outputs_failed_validation",
            "message": "Prompt outputs failed validation", "details": "", "extra_info": {}}
        assert body["node_errors"] == {"3": {"errors": [{
            "type": "value_not_in_list", "message": "Value not in list",
            "details": "ckpt_name: 'flux1-schnell-fp8.safetensors' not in []",
            "extra_info": {"input_name": "ckpt_name", "input_config": [[], {}],
                           "received_value": "flux1-schnell-fp8.safetensors"}}],
            "dependent_outputs": ["6"], "class_type": "CheckpointLoaderSimple"}}

        status, body = await post(PARTLY_VALID)
        assert status == 200 and list(body["node_errors"]) == ["3"]

        status, body = await post({**EMPTY_IMAGE, "3": {
            "class_type": "VHS_VideoCombine", "inputs": {"images": ["1", 0]}}})
        assert (status, body) == (400, {"error": {
            "type": "invalid_prompt",
            "message": "Cannot execute because node VHS_VideoCombine does not exist.",
            "details": "Node ID '#3'", "extra_info": {}}, "node_errors": {}})

        status, body = await post({"2": {**EMPTY_IMAGE["2"], "inputs": {
            "images": ["9", 0], "filename_prefix": "x"}}})
        error = body["node_errors"]["2"]["errors"][0]
        assert status == 400 and error["type"] == "exception_during_validation"
        assert error["details"] == "'9'" and error["extra_info"]["exception_type"] == "KeyError"
        assert body["error"]["details"] == "Exception when validating node: '9'"

        status, body = await post({"1": EMPTY_IMAGE["1"]})
        assert (status, body["error"]["type"]) == (400, "prompt_no_outputs")
        not_json = await client.post("/prompt", content=b"nope")
        assert not_json.status_code == 500

        png, other = media.png(32, 24, seed=1), media.png(32, 24, seed=2)
        names = []
        for data, overwrite in [(png, "true"), (png, ""), (other, ""), (other, "")]:
            answer = await client.post("/upload/image", files={"image": ("p.png", data)},
                                       data={"overwrite": overwrite} if overwrite else {})
            names.append(answer.json())
        assert [n["name"] for n in names] == ["p.png", "p.png", "p (1).png", "p (1).png"]
        assert names[0] == {"name": "p.png", "subfolder": "", "type": "input"}

        missing = await client.get("/view", params={"filename": "nope.png", "type": "output"})
        assert (missing.status_code, missing.content) == (404, b"")
        assert (await client.get("/object_info/NoSuchNode")).json() == {}
