"""Fake ComfyUI server, following ComfyUI's own HTTP API (server.py, execution.py) and
the answers of a real ComfyUI 0.8.0 (docs/comfyui.md, "Checked against a real server"):

- POST /prompt {prompt, client_id} -> {prompt_id, number, node_errors: {}}; a workflow that
  fails validation -> 400 {error: {type, message, details, extra_info}, node_errors}: no
  `prompt` -> `no_prompt`; a node whose class is not installed -> `invalid_prompt` "Cannot
  execute because node X does not exist." (`node_type_error = "missing_node_type"` answers
  the shape other clients report from later releases instead: extra_info node_id,
  class_type, node_title); no output node -> `prompt_no_outputs`; otherwise
  `prompt_outputs_failed_validation` with per failing node {errors, dependent_outputs (the
  output nodes it feeds), class_type} (required_input_missing, invalid_input_type,
  value_smaller_than_min, value_bigger_than_max, value_not_in_list for a model file that is
  not installed, custom_validation_failed for a LoadImage file that was never uploaded,
  exception_during_validation on the output node for a link to a node that is not there);
  the top-level `details` lists only the output nodes' own errors, so it is usually "".
  When only some output nodes fail, the prompt is queued all the same: 200 with those
  node_errors, and only the valid outputs run. A body that is not JSON -> 500 text;
- GET /history/{prompt_id} -> {} until the job ends, then {prompt_id: {prompt, outputs,
  status: {status_str, completed, messages}, meta}}; a failed job has an `execution_error`
  message (node_id, node_type, exception_type, exception_message, traceback, ...), an
  interrupted one an `execution_interrupted` message (node_id, node_type, executed). A prompt
  identical to one already run is answered from the cache: every node in
  `execution_cached`, and the earlier job's files as outputs only when the prompt came with a
  client_id (without one, outputs are {});
- POST /upload/image (multipart `image`, `overwrite`, `subfolder`, `type`) -> {name,
  subfolder, type}; with `overwrite` other than "true"/"1" a taken name is kept for the same
  content and renamed "x (1).png" for other content;
- GET /view?filename=&subfolder=&type= -> the file (404 with an empty body when absent);
  GET /queue ([number, prompt_id, prompt, {client_id, create_time}, outputs]), POST /queue
  {delete}, POST /interrupt {prompt_id} (only that job, when it is the one running),
  GET /system_stats, GET /object_info[/{class}] ({} for an unknown class).

Jobs walk the steps "queued" -> "running" -> "success" (one per history poll); tests script
others: "queued" forever (a job that never ends), ("error", message), "interrupted", or
"vanished" (the server restarted, forgetting its queue and history). Outputs are real
media sized from the workflow's own width/height/length/fps values.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, ClassVar, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, json_body

INT = ("INT", {"min": -0xFFFFFFFFFFFFFFFF, "max": 0xFFFFFFFFFFFFFFFF})
SIZE = ("INT", {"min": 16, "max": 16384})
LISTED_CHOICES = 20
"""value_not_in_list shows a longer list of choices as its length only."""
FLOAT = ("FLOAT", {"min": 0.0, "max": 1000.0})
STRING: tuple[str, dict[str, Any]] = ("STRING", {})


def _models(folder: str) -> tuple[str, str]:
    return ("MODELS", folder)  # filled from FakeComfyUI.models when the node is checked


NODES: dict[str, dict[str, Any]] = {
    "CheckpointLoaderSimple": {"required": {"ckpt_name": _models("checkpoints")}},
    "UNETLoader": {"required": {"unet_name": _models("diffusion_models"),
                                "weight_dtype": (["default", "fp8_e4m3fn"], {})}},
    "CLIPLoader": {"required": {"clip_name": _models("text_encoders"),
                                "type": (["stable_diffusion", "wan", "flux"], {})}},
    "VAELoader": {"required": {"vae_name": _models("vae")}},
    "CLIPTextEncode": {"required": {"text": STRING, "clip": ("CLIP",)}},
    "EmptySD3LatentImage": {"required": {"width": SIZE, "height": SIZE, "batch_size": INT}},
    "EmptyLatentImage": {"required": {"width": SIZE, "height": SIZE, "batch_size": INT}},
    "EmptyImage": {"required": {"width": ("INT", {"min": 1, "max": 16384}),
                                "height": ("INT", {"min": 1, "max": 16384}),
                                "batch_size": ("INT", {"min": 1, "max": 4096}),
                                "color": ("INT", {"min": 0, "max": 0xFFFFFF})}},
    "KSampler": {"required": {"model": ("MODEL",), "seed": INT, "steps": ("INT", {"min": 1,
                              "max": 10000}), "cfg": FLOAT,
                              "sampler_name": (["euler", "uni_pc", "dpmpp_2m"], {}),
                              "scheduler": (["simple", "normal", "karras"], {}),
                              "positive": ("CONDITIONING",), "negative": ("CONDITIONING",),
                              "latent_image": ("LATENT",), "denoise": FLOAT}},
    "VAEDecode": {"required": {"samples": ("LATENT",), "vae": ("VAE",)}},
    "SaveImage": {"required": {"images": ("IMAGE",), "filename_prefix": STRING},
                  "output_node": True},
    "PreviewImage": {"required": {"images": ("IMAGE",)}, "output_node": True},
    "LoadImage": {"required": {"image": ("UPLOADED",)}},
    "ImageBlend": {"required": {"image1": ("IMAGE",), "image2": ("IMAGE",),
                                "blend_factor": ("FLOAT", {"min": 0.0, "max": 1.0}),
                                "blend_mode": (["normal", "multiply", "screen"], {})}},
    "Wan22ImageToVideoLatent": {"required": {"vae": ("VAE",), "width": SIZE, "height": SIZE,
                                             "length": ("INT", {"min": 1, "max": 16384}),
                                             "batch_size": INT}},
    "ModelSamplingSD3": {"required": {"model": ("MODEL",), "shift": FLOAT}},
    "CreateVideo": {"required": {"images": ("IMAGE",), "fps": ("FLOAT", {"min": 1.0,
                                                                         "max": 120.0})}},
    "SaveVideo": {"required": {"video": ("VIDEO",), "filename_prefix": STRING,
                               "format": (["auto", "mp4"], {}), "codec": (["auto", "h264"], {})},
                  "output_node": True},
}
OUTPUTS = {"CheckpointLoaderSimple": ("MODEL", "CLIP", "VAE"), "UNETLoader": ("MODEL",),
           "CLIPLoader": ("CLIP",), "VAELoader": ("VAE",), "CLIPTextEncode": ("CONDITIONING",),
           "EmptySD3LatentImage": ("LATENT",), "EmptyLatentImage": ("LATENT",),
           "EmptyImage": ("IMAGE",), "KSampler": ("LATENT",), "VAEDecode": ("IMAGE",),
           "LoadImage": ("IMAGE", "MASK"), "ImageBlend": ("IMAGE",),
           "Wan22ImageToVideoLatent": ("LATENT",),
           "ModelSamplingSD3": ("MODEL",), "CreateVideo": ("VIDEO",), "SaveImage": (),
           "PreviewImage": (), "SaveVideo": ()}
MODELS = {
    "checkpoints": ["flux1-schnell-fp8.safetensors", "v1-5-pruned-emaonly-fp16.safetensors"],
    "diffusion_models": ["wan2.2_ti2v_5B_fp16.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": ["wan2.2_vae.safetensors"],
}


def _error(kind: str, message: str, details: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


class FakeComfyUI(FakeProvider):
    name = "comfyui"
    default_error: ClassVar[Any] = {"error": _error("injected", "injected fault")}

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[str, list[str]] = {k: list(v) for k, v in MODELS.items()}
        self.uploads: dict[str, bytes] = {}
        self.saved: dict[tuple[str, str, str], bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.cache: dict[str, dict[str, Any]] = {}
        self.node_type_error: Literal["invalid_prompt", "missing_node_type"] = "invalid_prompt"
        self.counter = 0

    def reset(self) -> None:
        super().reset()
        self.models = {k: list(v) for k, v in MODELS.items()}
        self.uploads.clear()
        self.saved.clear()
        self.jobs.clear()
        self.cache.clear()
        self.node_type_error = "invalid_prompt"

    def routes(self) -> list[Route]:
        return [
            Route("/prompt", self.queue_prompt, methods=["POST"]),
            Route("/history/{prompt_id}", self.history, methods=["GET"]),
            Route("/upload/image", self.upload, methods=["POST"]),
            Route("/view", self.view, methods=["GET"]),
            Route("/queue", self.queue, methods=["GET", "POST"]),
            Route("/interrupt", self.interrupt, methods=["POST"]),
            Route("/system_stats", self.system_stats, methods=["GET"]),
            Route("/object_info", self.object_info, methods=["GET"]),
            Route("/object_info/{node_class}", self.object_info, methods=["GET"]),
        ]

    async def _gate(self, route: str, request: Request, body: Any) -> Response | None:
        self.record(route, request, body)
        return await self.answer_fault(self.take_fault(route))

    # ------------------------------------------------------------------ validation

    def _input_types(self, class_type: str) -> dict[str, Any]:
        required = {}
        for name, spec in NODES[class_type]["required"].items():
            if spec[0] == "MODELS":
                spec = (list(self.models.get(spec[1], [])), {})
            required[name] = spec
        return required

    def _missing_node(self, node_id: str, node: dict[str, Any]) -> dict[str, Any]:
        class_type = node["class_type"]
        if self.node_type_error == "invalid_prompt":
            return _error("invalid_prompt", f"Cannot execute because node {class_type} does "
                          "not exist.", f"Node ID '#{node_id}'")
        title = (node.get("_meta") or {}).get("title", class_type)
        return _error("missing_node_type", f"Node '{title}' not found. The custom node may "
                      "not be installed.", f"Node ID '#{node_id}'", node_id=node_id,
                      class_type=class_type, node_title=title)

    def validate(self, prompt: Any) -> tuple[dict[str, Any] | None, list[str], dict[str, Any]]:
        """ComfyUI's validate_prompt: the 400 body (or None), the output nodes that will run,
        and the node errors of those that will not."""
        if not isinstance(prompt, dict) or not prompt:
            return ({"error": _error("prompt_no_outputs", "Prompt has no outputs"),
                     "node_errors": {}}, [], {})
        for node_id, node in prompt.items():
            if not isinstance(node, dict) or "class_type" not in node:
                return ({"error": _error("invalid_prompt", "Cannot execute because a node is "
                                         "missing the class_type property.",
                                         f"Node ID '#{node_id}'"), "node_errors": {}}, [], {})
            if node["class_type"] not in NODES:
                return {"error": self._missing_node(node_id, node), "node_errors": {}}, [], {}
        outputs = [i for i, n in prompt.items() if NODES[n["class_type"]].get("output_node")]
        if not outputs:
            return ({"error": _error("prompt_no_outputs", "Prompt has no outputs"),
                     "node_errors": {}}, [], {})
        own = {i: self._node_errors(prompt, n) for i, n in prompt.items()}
        node_errors: dict[str, Any] = {}
        good: list[str] = []
        output_reasons: list[dict[str, Any]] = []
        for output in outputs:
            upstream, dangling = _upstream(prompt, output)
            if dangling is not None:  # ComfyUI raises a KeyError while validating the output
                reasons = [_error("exception_during_validation", "Exception when validating "
                                  "node", repr(dangling), exception_type="KeyError",
                                  traceback=["  File \"execution.py\", line 818, in "
                                             "validate_inputs\n"])]
                node_errors[output] = {"errors": reasons, "dependent_outputs": [output],
                                       "class_type": prompt[output]["class_type"]}
                output_reasons += reasons
                continue
            failing = [i for i in upstream if own[i]]
            if not failing:
                good.append(output)
                continue
            output_reasons += own[output]
            for node_id in failing:
                entry = node_errors.setdefault(node_id, {
                    "errors": own[node_id], "dependent_outputs": [],
                    "class_type": prompt[node_id]["class_type"]})
                entry["dependent_outputs"].append(output)
        if good:
            return None, good, node_errors
        details = "\n".join(f"{e['message']}: {e['details']}" for e in output_reasons)
        return ({"error": _error("prompt_outputs_failed_validation",
                                 "Prompt outputs failed validation", details),
                 "node_errors": node_errors}, [], node_errors)

    def _node_errors(self, prompt: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
        errors = []
        inputs = node.get("inputs") or {}
        for name, spec in self._input_types(node["class_type"]).items():
            if name not in inputs:
                errors.append(_error("required_input_missing", "Required input is missing",
                                     name, input_name=name))
                continue
            value = inputs[name]
            if isinstance(value, list):
                if len(value) != 2:
                    errors.append(_error("bad_linked_input", "Bad linked input, must be a "
                                         "length-2 list of [node_id, slot_index]", name,
                                         input_name=name, received_value=value))
                continue
            error = self._value_error(name, spec, value)
            if error:
                errors.append(error)
        return errors

    def _value_error(self, name: str, spec: tuple[Any, ...], value: Any) -> dict[str, Any] | None:
        kind, options = spec[0], (spec[1] if len(spec) > 1 else {})
        if kind == "UPLOADED":
            if value not in self.uploads:
                return _error("custom_validation_failed", "Custom validation failed for node",
                              f"{name} - Invalid image file: {value}", input_name=name)
            return None
        if isinstance(kind, list):
            if value not in kind:
                listed = f"(list of length {len(kind)})" if len(kind) > LISTED_CHOICES \
                    else str(kind)
                config = None if len(kind) > LISTED_CHOICES else [kind, options]
                return _error("value_not_in_list", "Value not in list",
                              f"{name}: '{value}' not in {listed}", input_name=name,
                              input_config=config, received_value=value)
            return None
        if kind in ("INT", "FLOAT"):
            try:
                number = int(value) if kind == "INT" else float(value)
            except (TypeError, ValueError) as exc:
                return _error("invalid_input_type", f"Failed to convert an input value to a "
                              f"{kind} value", f"{name}, {value}, {exc}", input_name=name,
                              input_config=list(spec), received_value=value,
                              exception_message=str(exc))
            if number < options["min"]:
                return _error("value_smaller_than_min", f"Value {number} smaller than min of "
                              f"{options['min']}", name, input_name=name,
                              input_config=list(spec), received_value=value)
            if number > options["max"]:
                return _error("value_bigger_than_max", f"Value {number} bigger than max of "
                              f"{options['max']}", name, input_name=name,
                              input_config=list(spec), received_value=value)
        if kind == "STRING" and not isinstance(value, str):
            return _error("invalid_input_type", "Failed to convert an input value to a STRING "
                          "value", name, input_name=name, received_value=value)
        return None

    # ------------------------------------------------------------------ queue and history

    async def queue_prompt(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("prompt", request, body)) is not None:
            return gate
        if body is None:  # aiohttp's json() raises and ComfyUI answers its default 500
            return PlainTextResponse("500 Internal Server Error\n\nServer got itself in "
                                     "trouble", 500)
        if not isinstance(body, dict) or "prompt" not in body:
            return JSONResponse({"error": _error("no_prompt", "No prompt provided",
                                                 "No prompt provided"), "node_errors": {}}, 400)
        prompt = body["prompt"]
        refused, outputs, node_errors = self.validate(prompt)
        if refused is not None:
            return JSONResponse(refused, 400)
        prompt_id = str(uuid.uuid4())
        extra = {"client_id": body["client_id"]} if body.get("client_id") else {}
        self.jobs[prompt_id] = {"number": self.counter, "prompt": prompt,
                                "extra": {**extra, "create_time": int(time.time() * 1000)},
                                "outputs_to_execute": outputs, "state": "queued",
                                "script": self.next_script(["queued", "running", "success"])}
        self.counter += 1
        return JSONResponse({"prompt_id": prompt_id, "number": self.counter - 1,
                             "node_errors": node_errors})

    async def history(self, request: Request) -> Response:
        if (gate := await self._gate("history", request, None)) is not None:
            return gate
        prompt_id = request.path_params["prompt_id"]
        job = self.jobs.get(prompt_id)
        if job is None:
            return JSONResponse({})
        if job["state"] in ("queued", "running"):
            step = job["script"].advance()
            if step == "vanished":  # the server restarted: queue and history are gone
                del self.jobs[prompt_id]
                return JSONResponse({})
            job["state"] = step if isinstance(step, str) else step[0]
            job["error"] = None if isinstance(step, str) else step[1]
        if job["state"] in ("queued", "running", "deleted"):
            return JSONResponse({})
        return JSONResponse({prompt_id: self._entry(prompt_id, job)})

    def _entry(self, prompt_id: str, job: dict[str, Any]) -> dict[str, Any]:
        prompt = job["prompt"]
        outputs_to_execute = job["outputs_to_execute"]
        key = json.dumps(prompt, sort_keys=True)
        if "cached" not in job:  # decided once: the history may be read again
            job["cached"] = job["state"] == "success" and key in self.cache
        start = {"prompt_id": prompt_id, "timestamp": 1}
        messages: list[Any] = [
            ["execution_start", start],
            ["execution_cached", {**start, "nodes": list(prompt) if job["cached"] else []}]]
        outputs: dict[str, Any] = {}
        if job["state"] == "error":
            node_id = next(i for i, n in prompt.items() if n["class_type"] == "KSampler") \
                if any(n["class_type"] == "KSampler" for n in prompt.values()) \
                else outputs_to_execute[0]
            messages.append(["execution_error", {
                "prompt_id": prompt_id, "node_id": node_id,
                "node_type": prompt[node_id]["class_type"], "executed": [],
                "exception_message": job["error"], "exception_type":
                "torch.OutOfMemoryError", "traceback": ["  File \"execution.py\", line 1\n"],
                "current_inputs": {}, "current_outputs": {}, "timestamp": 2}])
            status = {"status_str": "error", "completed": False, "messages": messages}
        elif job["state"] == "interrupted":
            node_id = outputs_to_execute[0]
            messages.append(["execution_interrupted", {
                "prompt_id": prompt_id, "node_id": node_id,
                "node_type": prompt[node_id]["class_type"], "executed": [], "timestamp": 2}])
            status = {"status_str": "error", "completed": False, "messages": messages}
        else:
            if "outputs" not in job:
                if job["cached"]:
                    # ComfyUI lists a cached output node's files only for a prompt that came
                    # with a client_id (it replays them to that client)
                    job["outputs"] = self.cache[key] if "client_id" in job["extra"] else {}
                else:
                    job["outputs"] = {i: self._run_output(prompt, i)
                                      for i in outputs_to_execute}
                    self.cache[key] = job["outputs"]
            outputs = job["outputs"]
            messages.append(["execution_success", {"prompt_id": prompt_id, "timestamp": 2}])
            status = {"status_str": "success", "completed": True, "messages": messages}
        return {"prompt": [job["number"], prompt_id, prompt, job["extra"], outputs_to_execute],
                "outputs": outputs, "status": status,
                "meta": {i: {"node_id": i, "display_node": i, "parent_node": None,
                             "real_node_id": i} for i in outputs}}

    def _run_output(self, prompt: dict[str, Any], node_id: str) -> dict[str, Any]:
        values = _values(prompt)
        node = prompt[node_id]
        prefix = str(node["inputs"].get("filename_prefix", "ComfyUI"))
        subfolder, _, stem = prefix.rpartition("/")
        kind = "output"
        if node["class_type"] == "PreviewImage":
            subfolder, stem, kind = "", "ComfyUI_temp_fake", "temp"
        width, height = int(values.get("width", 512)), int(values.get("height", 512))
        if node["class_type"] == "SaveVideo":
            fps = float(values.get("fps", 24))
            seconds = int(values.get("length", 25)) / fps
            w = max(64, int(width * self.video_scale) // 2 * 2)
            h = max(64, int(height * self.video_scale) // 2 * 2)
            data, suffix, key = media.mp4(w, h, round(seconds, 3), round(fps)), ".mp4", "images"
        else:
            data, suffix, key = media.png(width, height, seed=len(self.saved)), ".png", "images"
        filename = f"{stem}_{len(self.saved) + 1:05d}_{suffix}"
        self.saved[(kind, subfolder, filename)] = data
        output: dict[str, Any] = {key: [{"filename": filename, "subfolder": subfolder,
                                         "type": kind}]}
        if node["class_type"] == "SaveVideo":
            output["animated"] = [True]
        return output

    async def queue(self, request: Request) -> Response:
        body = await json_body(request) if request.method == "POST" else None
        if (gate := await self._gate(f"queue.{request.method}", request, body)) is not None:
            return gate
        if request.method == "POST":
            for prompt_id in (body or {}).get("delete") or []:
                job = self.jobs.get(prompt_id)
                if job and job["state"] == "queued":
                    job["state"] = "deleted"
            return Response(status_code=200)

        def item(prompt_id: str, job: dict[str, Any]) -> list[Any]:
            return [job["number"], prompt_id, job["prompt"], job["extra"],
                    job["outputs_to_execute"]]

        return JSONResponse({
            "queue_running": [item(i, j) for i, j in self.jobs.items() if j["state"] == "running"],
            "queue_pending": [item(i, j) for i, j in self.jobs.items() if j["state"] == "queued"],
        })

    async def interrupt(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("interrupt", request, body)) is not None:
            return gate
        job = self.jobs.get((body or {}).get("prompt_id", ""))
        if job and job["state"] == "running":
            job["state"] = "interrupted"
        return Response(status_code=200)

    # ------------------------------------------------------------------ files

    async def upload(self, request: Request) -> Response:
        form = await request.form()
        if (gate := await self._gate("upload", request, None)) is not None:
            return gate
        image = form.get("image")
        if image is None or isinstance(image, str) or not image.filename:
            self.violation("upload without an `image` file part")
            return Response(status_code=400)
        data = await image.read()
        subfolder = str(form.get("subfolder") or "")
        if subfolder.startswith("/") or ".." in subfolder.split("/"):
            return Response(status_code=400)
        name = str(image.filename)
        overwrite = form.get("overwrite") in ("true", "1")
        stem, dot, suffix = name.rpartition(".")
        counter = 1
        while not overwrite and self.uploads.get(self._upload_key(subfolder, name),
                                                 data) != data:
            name = f"{stem} ({counter}){dot}{suffix}"
            counter += 1
        self.uploads[self._upload_key(subfolder, name)] = data
        return JSONResponse({"name": name, "subfolder": subfolder,
                             "type": str(form.get("type") or "input")})

    @staticmethod
    def _upload_key(subfolder: str, name: str) -> str:
        return f"{subfolder}/{name}" if subfolder else name

    async def view(self, request: Request) -> Response:
        if (gate := await self._gate("view", request, None)) is not None:
            return gate
        q = request.query_params
        if "filename" not in q:
            return Response(status_code=404)
        filename = q["filename"]
        if filename.startswith("/") or ".." in filename:
            return Response(status_code=400)
        data = self.saved.get((q.get("type", "output"), q.get("subfolder", ""), filename))
        if data is None:
            return Response(status_code=404)
        kind = "video/mp4" if filename.endswith(".mp4") else "image/png"
        return Response(data, media_type=kind)

    # ------------------------------------------------------------------ server info

    async def system_stats(self, request: Request) -> Response:
        if (gate := await self._gate("system_stats", request, None)) is not None:
            return gate
        return JSONResponse({"system": {"os": "linux", "python_version": "3.11.7",
                                        "embedded_python": False, "comfyui_version": "0.3.fake",
                                        "pytorch_version": "2.5.0", "argv": ["main.py"],
                                        "ram_total": 1 << 34, "ram_free": 1 << 33},
                             "devices": [{"name": "cpu", "type": "cpu", "index": None,
                                          "vram_total": 1 << 34, "vram_free": 1 << 33}]})

    async def object_info(self, request: Request) -> Response:
        if (gate := await self._gate("object_info", request, None)) is not None:
            return gate
        wanted = request.path_params.get("node_class")
        names = [wanted] if wanted else list(NODES)
        return JSONResponse({name: self._info(name) for name in names if name in NODES})

    def _info(self, name: str) -> dict[str, Any]:
        outputs = OUTPUTS.get(name, ())
        top_level = sorted(key for key in self.uploads if "/" not in key)  # LoadImage lists
        required = {key: (top_level, {"image_upload": True}) if spec[0] == "UPLOADED" else spec
                    for key, spec in self._input_types(name).items()}
        return {"input": {"required": required}, "output": list(outputs),
                "output_is_list": [False] * len(outputs), "output_name": list(outputs),
                "name": name, "display_name": name, "description": "", "category": "fake",
                "output_node": bool(NODES[name].get("output_node"))}


def _upstream(prompt: dict[str, Any], node_id: str) -> tuple[list[str], str | None]:
    """`node_id` and every node it reads from, and the first link to a node that is not in
    the prompt (None when all are)."""
    seen: list[str] = []
    todo = [node_id]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        for value in (prompt[current].get("inputs") or {}).values():
            if isinstance(value, list) and len(value) == 2:
                source = str(value[0])
                if source not in prompt:
                    return seen, source
                todo.append(source)
    return seen, None


def _values(prompt: dict[str, Any]) -> dict[str, Any]:
    """The workflow's own width/height/length/fps values (links skipped), first wins."""
    found: dict[str, Any] = {}
    for node in prompt.values():
        for key in ("width", "height", "length", "fps"):
            value = node.get("inputs", {}).get(key)
            if key not in found and isinstance(value, int | float) \
                    and not isinstance(value, bool):
                found[key] = value
    return found
