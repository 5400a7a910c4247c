"""Fake ComfyUI server, following ComfyUI's own HTTP API (server.py, execution.py):

- POST /prompt {prompt, client_id} -> {prompt_id, number, node_errors: {}}; a workflow that
  fails validation -> 400 {error: {type, message, details, extra_info}, node_errors}: no
  `prompt` -> `no_prompt`; a node whose class is not installed -> `missing_node_type`
  (extra_info: node_id, class_type, node_title); no output node -> `prompt_no_outputs`;
  otherwise `prompt_outputs_failed_validation` with per node {errors, dependent_outputs,
  class_type} (required_input_missing, invalid_input_type, value_smaller_than_min,
  value_bigger_than_max, value_not_in_list for a model file that is not installed,
  custom_validation_failed for a LoadImage file that was never uploaded);
- GET /history/{prompt_id} -> {} until the job ends, then {prompt_id: {prompt, outputs,
  status: {status_str, completed, messages}, meta}}; a failed job has an `execution_error`
  message (node_id, node_type, exception_type, exception_message, traceback, ...);
- POST /upload/image (multipart `image`, `overwrite`, `subfolder`, `type`) -> {name,
  subfolder, type}, renaming "x (1).png" when the name exists and overwrite is off;
- GET /view?filename=&subfolder=&type= -> the file; GET /queue, POST /queue {delete},
  POST /interrupt, GET /system_stats, GET /object_info[/{class}].

Jobs walk the steps "queued" -> "running" -> "success" (one per history poll); tests script
others: "queued" forever (a job that never ends), ("error", message), or "vanished" (the
server restarted, forgetting its queue and history). Outputs are real
media sized from the workflow's own width/height/length/fps values.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import media
from .base import FakeProvider, json_body

INT = ("INT", {"min": -0xFFFFFFFFFFFFFFFF, "max": 0xFFFFFFFFFFFFFFFF})
SIZE = ("INT", {"min": 16, "max": 16384})
FLOAT = ("FLOAT", {"min": 0.0, "max": 1000.0})
STRING = ("STRING", {})


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
    "EmptyImage": {"required": {"width": SIZE, "height": SIZE, "batch_size": INT,
                                "color": INT}},
    "KSampler": {"required": {"model": ("MODEL",), "seed": INT, "steps": ("INT", {"min": 1,
                              "max": 10000}), "cfg": FLOAT,
                              "sampler_name": (["euler", "uni_pc", "dpmpp_2m"], {}),
                              "scheduler": (["simple", "normal", "karras"], {}),
                              "positive": ("CONDITIONING",), "negative": ("CONDITIONING",),
                              "latent_image": ("LATENT",), "denoise": FLOAT}},
    "VAEDecode": {"required": {"samples": ("LATENT",), "vae": ("VAE",)}},
    "SaveImage": {"required": {"images": ("IMAGE",), "filename_prefix": STRING},
                  "output_node": True},
    "LoadImage": {"required": {"image": ("UPLOADED",)}},
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
           "LoadImage": ("IMAGE", "MASK"), "Wan22ImageToVideoLatent": ("LATENT",),
           "ModelSamplingSD3": ("MODEL",), "CreateVideo": ("VIDEO",), "SaveImage": (),
           "SaveVideo": ()}
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
        self.counter = 0

    def reset(self) -> None:
        super().reset()
        self.models = {k: list(v) for k, v in MODELS.items()}
        self.uploads.clear()
        self.saved.clear()
        self.jobs.clear()

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

    def validate(self, prompt: dict[str, Any]) -> dict[str, Any] | None:
        """The 400 body ComfyUI answers for `prompt`, or None when it would queue it."""
        for node_id, node in prompt.items():
            if not isinstance(node, dict) or "class_type" not in node:
                return {"error": _error("invalid_prompt", "Cannot execute because a node is "
                                        "missing the class_type property.",
                                        f"Node ID '#{node_id}'"), "node_errors": {}}
            if node["class_type"] not in NODES:
                title = (node.get("_meta") or {}).get("title", node["class_type"])
                return {"error": _error(
                    "missing_node_type", f"Node '{title}' not found. The custom node may not "
                    "be installed.", f"Node ID '#{node_id}'", node_id=node_id,
                    class_type=node["class_type"], node_title=title), "node_errors": {}}
        outputs = [i for i, n in prompt.items() if NODES[n["class_type"]].get("output_node")]
        if not outputs:
            return {"error": _error("prompt_no_outputs", "Prompt has no outputs"),
                    "node_errors": []}
        node_errors: dict[str, Any] = {}
        for node_id, node in prompt.items():
            errors = self._node_errors(prompt, node)
            if errors:
                node_errors[node_id] = {"errors": errors, "dependent_outputs": outputs,
                                        "class_type": node["class_type"]}
        if not node_errors:
            return None
        details = "\n".join(f"{e['message']}: {e['details']}" for entry in node_errors.values()
                            for e in entry["errors"])
        return {"error": _error("prompt_outputs_failed_validation",
                                "Prompt outputs failed validation", details),
                "node_errors": node_errors}

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
                linked = prompt.get(str(value[0])) if len(value) == 2 else None
                if linked is None:
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
                              f"{name} - Invalid image file: {value}", input_name=name,
                              received_value=value)
            return None
        if isinstance(kind, list):
            if value not in kind:
                return _error("value_not_in_list", "Value not in list",
                              f"{name}: '{value}' not in {kind}", input_name=name,
                              input_config=[kind, options], received_value=value)
            return None
        if kind in ("INT", "FLOAT"):
            try:
                number = int(value) if kind == "INT" else float(value)
            except (TypeError, ValueError) as exc:
                return _error("invalid_input_type", f"Failed to convert an input value to a "
                              f"{kind} value", f"{name}, {value}, {exc}", input_name=name,
                              received_value=value)
            if number < options["min"]:
                return _error("value_smaller_than_min", f"Value {number} smaller than min of "
                              f"{options['min']}", name, input_name=name, received_value=value)
            if number > options["max"]:
                return _error("value_bigger_than_max", f"Value {number} bigger than max of "
                              f"{options['max']}", name, input_name=name, received_value=value)
        if kind == "STRING" and not isinstance(value, str):
            return _error("invalid_input_type", "Failed to convert an input value to a STRING "
                          "value", name, input_name=name, received_value=value)
        return None

    # ------------------------------------------------------------------ queue and history

    async def queue_prompt(self, request: Request) -> Response:
        body = await json_body(request)
        if (gate := await self._gate("prompt", request, body)) is not None:
            return gate
        if not isinstance(body, dict) or "prompt" not in body:
            return JSONResponse({"error": _error("no_prompt", "No prompt provided",
                                                 "No prompt provided"), "node_errors": {}}, 400)
        prompt = body["prompt"]
        refused = self.validate(prompt) if isinstance(prompt, dict) else {
            "error": _error("invalid_prompt", "Invalid prompt"), "node_errors": {}}
        if refused is not None:
            return JSONResponse(refused, 400)
        prompt_id = str(uuid.uuid4())
        self.counter += 1
        self.jobs[prompt_id] = {"number": self.counter, "prompt": prompt,
                                "client_id": body.get("client_id"), "state": "queued",
                                "script": self.next_script(["queued", "running", "success"])}
        return JSONResponse({"prompt_id": prompt_id, "number": self.counter, "node_errors": {}})

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
        outputs_to_execute = [i for i, n in prompt.items()
                              if NODES[n["class_type"]].get("output_node")]
        messages: list[Any] = [["execution_start", {"prompt_id": prompt_id, "timestamp": 1}],
                               ["execution_cached", {"nodes": [], "prompt_id": prompt_id,
                                                     "timestamp": 1}]]
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
        else:
            if "outputs" not in job:  # made once: the history may be read again
                job["outputs"] = {i: self._run_output(prompt, i) for i in outputs_to_execute}
            outputs = job["outputs"]
            messages.append(["execution_success", {"prompt_id": prompt_id, "timestamp": 2}])
            status = {"status_str": "success", "completed": True, "messages": messages}
        return {"prompt": [job["number"], prompt_id, prompt, {"client_id": job["client_id"]},
                           outputs_to_execute],
                "outputs": outputs, "status": status,
                "meta": {i: {"node_id": i, "display_node": i} for i in outputs}}

    def _run_output(self, prompt: dict[str, Any], node_id: str) -> dict[str, Any]:
        values = _values(prompt)
        node = prompt[node_id]
        prefix = str(node["inputs"].get("filename_prefix", "ComfyUI"))
        subfolder, _, stem = prefix.rpartition("/")
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
        self.saved[("output", subfolder, filename)] = data
        output: dict[str, Any] = {key: [{"filename": filename, "subfolder": subfolder,
                                         "type": "output"}]}
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
            return [job["number"], prompt_id, job["prompt"], {"client_id": job["client_id"]},
                    []]

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
            job["state"], job["error"] = "error", "Processing interrupted"
        return Response(status_code=200)

    # ------------------------------------------------------------------ files

    async def upload(self, request: Request) -> Response:
        form = await request.form()
        if (gate := await self._gate("upload", request, None)) is not None:
            return gate
        image = form.get("image")
        if image is None or isinstance(image, str):
            self.violation("upload without an `image` file part")
            return Response(status_code=400)
        data = await image.read()
        subfolder = str(form.get("subfolder") or "")
        name = str(image.filename)
        overwrite = str(form.get("overwrite", "")).lower() in ("true", "1")
        stem, dot, suffix = name.rpartition(".")
        counter = 1
        while self._upload_key(subfolder, name) in self.uploads and not overwrite:
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
        return JSONResponse({"system": {"os": "posix", "python_version": "3.12.0",
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
        required = {key: (sorted(self.uploads), {"image_upload": True})
                    if spec[0] == "UPLOADED" else spec
                    for key, spec in self._input_types(name).items()}
        return {"input": {"required": required}, "output": list(outputs),
                "output_is_list": [False] * len(outputs), "output_name": list(outputs),
                "name": name, "display_name": name, "description": "", "category": "fake",
                "output_node": bool(NODES[name].get("output_node"))}


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
