"""ComfyUI on your own GPU: any workflow in ComfyUI's API format, as an image or video
provider (`COMFYUI_BASE_URL`).

One generation: upload the input frame and any reference images (POST /upload/image,
multipart), queue the workflow with our values written into the nodes a mapping file names
(POST /prompt {prompt, client_id} -> {prompt_id, node_errors}; a refused workflow is a 400
{error, node_errors}, a workflow of which only some output nodes are valid is queued with
the others' node_errors), poll
GET /history/{prompt_id} (empty until the job has ended, then its outputs and status), and
download the file the output node saved (GET /view?filename=&subfolder=&type=). The
workflow and its mapping are read and cross-checked when the provider is built, so a typo
fails at start-up naming the file, not halfway through a job.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import re
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelforge.providers.base import (
    ClipRequest,
    FrameRequest,
    ProviderError,
    prompt_with_references,
)
from reelforge.providers.remote.http import (
    ApiClient,
    ApiSession,
    ErrorInfo,
    HttpPolicy,
    Outcome,
    Unreachable,
    default_error_info,
)
from reelforge.providers.remote.inputs import capped_size
from reelforge.providers.remote.media import MediaError, check_clip, fit_png
from reelforge.settings import Settings

NAME = "comfyui"
Kind = Literal["image", "video"]
PACKAGED_WORKFLOWS = "comfyui_workflows"
DEFAULT_WORKFLOWS: dict[Kind, str] = {"image": "flux_schnell_t2i.json",
                                       "video": "wan22_ti2v_5b.json"}
SUFFIXES: dict[Kind, tuple[str, ...]] = {
    "image": (".png", ".jpg", ".jpeg", ".webp"),
    "video": (".mp4", ".webm", ".mov", ".mkv"),
}
OUTPUT_LISTS = ("images", "gifs", "videos")
"""Where output nodes list their files in the history: SaveImage and SaveVideo under
`images`, VideoHelperSuite's Video Combine under `gifs`, some custom nodes under `videos`."""
MODEL_FILE = re.compile(r"\.(safetensors|ckpt|pt|pth|bin|gguf|sft|onnx)$", re.IGNORECASE)
MODEL_INPUT = re.compile(r"(ckpt|unet|vae|clip|lora|control_net|model)_name\d*$")
"""A value_not_in_list on a file-like value or a loader's input is a model file missing."""
MAX_LISTED_ERRORS = 3
LOST_AFTER = 2


class Target(BaseModel):
    """One node input: `"6.text"` is input `text` of node `6`."""

    node: str
    input: str

    def __str__(self) -> str:
        return f"{self.node}.{self.input}"


def _targets(value: Any) -> Any:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    parsed = []
    for item in items:
        node, dot, name = str(item).rpartition(".") if isinstance(item, str) else ("", "", "")
        if not (dot and node and name):
            raise ValueError(f"{item!r} is not NODE_ID.INPUT_NAME (for example \"6.text\")")
        parsed.append({"node": node, "input": name})
    return parsed


class MappedInputs(BaseModel):
    """Which node inputs receive each part of a request. Each takes one target or a list
    (the same width going into two nodes)."""

    model_config = ConfigDict(extra="forbid")

    prompt: list[Target]
    negative_prompt: list[Target] = []
    seed: list[Target] = []
    width: list[Target] = []
    height: list[Target] = []
    image: list[Target] = []
    last_image: list[Target] = []
    frames: list[Target] = []
    fps: list[Target] = []
    references: list[Target] = Field(
        [], description="LoadImage inputs, one per reference image in order (image workflows)")

    @field_validator("*", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return _targets(value)


class Mapping(BaseModel):
    """A workflow's mapping file (see docs/comfyui.md)."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    inputs: MappedInputs
    output: str | None = Field(None, description="the node whose saved file is the result")
    negative_prompt: str | None = Field(None, description="text for inputs.negative_prompt")
    size_multiple: int = Field(16, ge=1, le=256, description="width and height round to it")
    max_pixels: int = Field(1_048_576, ge=4096, description="larger frames are scaled down")
    fps: float = Field(24.0, gt=0, le=120, description="the frame rate the model makes")
    frame_step: int = Field(1, ge=1, le=64, description=">1: counts are frame_step * n + 1")
    max_frames: int = Field(121, ge=1, le=10_000)

    def frame_count(self, seconds: float) -> int:
        wanted = max(1.0, seconds * self.fps)
        if self.frame_step == 1:
            count = math.ceil(wanted - 1e-6)
        else:
            count = self.frame_step * math.ceil((wanted - 1) / self.frame_step - 1e-6) + 1
        ceiling = self.max_frames if self.frame_step == 1 else \
            (self.max_frames - 1) // self.frame_step * self.frame_step + 1
        return max(1, min(count, ceiling))


class WorkflowNode(BaseModel):
    model_config = ConfigDict(extra="allow")

    class_type: str = Field(min_length=1)
    inputs: dict[str, Any] = {}


@dataclass(frozen=True)
class Workflow:
    """An API-format workflow and its mapping, checked against each other."""

    path: Path
    nodes: dict[str, WorkflowNode]
    mapping: Mapping
    digest: str

    @property
    def class_types(self) -> list[str]:
        return sorted({node.class_type for node in self.nodes.values()})

    def prompt(self, values: dict[str, Any]) -> dict[str, Any]:
        """The API-format prompt with `values` (mapping field -> value) written in."""
        prompt = {node_id: node.model_dump() for node_id, node in self.nodes.items()}
        for field, value in values.items():
            targets: list[Target] = getattr(self.mapping.inputs, field)
            if field == "references":
                # one file per input; fewer references than inputs repeat them in order,
                # none leaves the workflow's own files
                written = list(itertools.islice(itertools.cycle(value), len(targets))) \
                    if value else []
            else:
                written = [value] * len(targets)
            for target, one in zip(targets, written, strict=False):
                prompt[target.node]["inputs"][target.input] = one
        return prompt


def _fail(message: str) -> ProviderError:
    return ProviderError(NAME, message, permanent=True)


def _read_json(path: Path, what: str, variable: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(f"{what} {path} does not exist; fix {variable}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{what} {path} cannot be read ({exc}); fix {variable}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"{what} {path} is not JSON: {exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the top level"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"


def parse_workflow(data: Any, path: Path) -> dict[str, WorkflowNode]:
    if isinstance(data, dict) and isinstance(data.get("nodes"), list) and "links" in data:
        raise _fail(f"workflow {path} is in ComfyUI's UI format; export it in the API format "
                    "(Workflow menu > Export (API)) and point reelforge at that file")
    if not isinstance(data, dict) or not data:
        raise _fail(f"workflow {path} is not an API-format workflow (an object of nodes by id)")
    nodes = {}
    for node_id, node in data.items():
        try:
            nodes[str(node_id)] = WorkflowNode.model_validate(node)
        except ValidationError as exc:
            raise _fail(f"workflow {path} is not an API-format workflow: node {node_id}: "
                        f"{_first_error(exc)}") from None
    return nodes


def parse_mapping(data: Any, path: Path) -> Mapping:
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise _fail(f"mapping {path}: {_first_error(exc)}") from None


def check_mapping(mapping: Mapping, nodes: dict[str, WorkflowNode], kind: Kind,
                  path: Path) -> None:
    """Every target names a node and a value input of the workflow; video needs an image."""
    if kind == "video" and not mapping.inputs.image:
        raise _fail(f"mapping {path}: inputs.image is required for a video workflow "
                    "(the node input, usually LoadImage's `image`, that takes the frame)")
    if kind == "video" and mapping.inputs.references:
        raise _fail(f"mapping {path}: inputs.references is for image workflows; a clip "
                    "starts from its frame (inputs.image)")
    if mapping.output is not None and mapping.output not in nodes:
        raise _fail(f"mapping {path}: output node {mapping.output!r} is not in the workflow")
    for field in MappedInputs.model_fields:
        for target in getattr(mapping.inputs, field):
            node = nodes.get(target.node)
            if node is None:
                raise _fail(f"mapping {path}: inputs.{field} names node {target.node!r}, which "
                            "is not in the workflow")
            if target.input not in node.inputs:
                have = ", ".join(sorted(node.inputs)) or "none"
                raise _fail(f"mapping {path}: inputs.{field} names input {target.input!r} of "
                            f"node {target.node} ({node.class_type}), which has: {have}")
            if _is_link(node.inputs[target.input]):
                raise _fail(f"mapping {path}: inputs.{field} names {target}, a connection "
                            "from another node, not a value")


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def load_workflow(kind: Kind, workflow: Path | None, mapping: Path | None) -> Workflow:
    """The configured workflow (or the packaged default) and its mapping, checked."""
    variable = f"REELFORGE_COMFYUI_{kind.upper()}_WORKFLOW"
    mapping_variable = f"REELFORGE_COMFYUI_{kind.upper()}_MAPPING"
    if workflow is None:
        packaged = resources.files(__package__) / PACKAGED_WORKFLOWS / DEFAULT_WORKFLOWS[kind]
        with resources.as_file(packaged) as default:
            return load_workflow(kind, default, mapping)
    workflow = workflow.expanduser()
    mapping_path = (mapping or workflow.with_suffix(".mapping.json")).expanduser()
    if mapping is None and not mapping_path.is_file():
        raise _fail(f"no mapping for workflow {workflow}: write {mapping_path} or set "
                    f"{mapping_variable} (see docs/comfyui.md)")
    workflow_data = _read_json(workflow, "workflow", variable)
    mapping_data = _read_json(mapping_path, "mapping", mapping_variable)
    nodes = parse_workflow(workflow_data, workflow)
    parsed = parse_mapping(mapping_data, mapping_path)
    check_mapping(parsed, nodes, kind, mapping_path)
    digest = hashlib.sha256(json.dumps([workflow_data, mapping_data], sort_keys=True)
                            .encode()).hexdigest()
    return Workflow(workflow, nodes, parsed, digest)


# --------------------------------------------------------------------------- errors


def error_info(resp: httpx.Response) -> ErrorInfo:
    """POST /prompt refusals: {"error": {type, message, details, extra_info}, "node_errors":
    {node_id: {errors: [...], class_type, dependent_outputs}}}, summarised for a person."""
    info = default_error_info(resp)
    try:
        body = resp.json()
    except ValueError:
        return info
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return info
    kind = str(error.get("type") or "")
    missing = missing_node_type(kind, error)
    if missing:
        return ErrorInfo(info.status, missing, kind)
    node_errors = body.get("node_errors")
    if isinstance(node_errors, dict) and node_errors:
        return ErrorInfo(info.status, summarise_node_errors(node_errors), kind or None)
    text = " ".join(str(p) for p in (error.get("message"), error.get("details")) if p)
    return ErrorInfo(info.status, f"ComfyUI refused the workflow: {text}", kind or None)


def missing_node_type(kind: str, error: dict[str, Any]) -> str | None:
    """`missing_node_type` (current ComfyUI) or `invalid_prompt` "Cannot execute because
    node X does not exist." (older releases): the custom node pack is not installed."""
    extra = _dict(error.get("extra_info"))
    class_type = extra.get("class_type")
    message = str(error.get("message") or "")
    if kind == "invalid_prompt":
        found = re.search(r"node (\S+) does not exist", message)
        class_type = found.group(1) if found else None
    elif kind == "missing_node_type" and not class_type:
        found = re.search(r"Node '([^']+)' not found", message)
        class_type = found.group(1) if found else "?"
    if not class_type:
        return None
    node = extra.get("node_id") or _node_id(str(error.get("details") or ""))
    where = f" (node #{node})" if node else ""
    return (f"this ComfyUI has no node type {class_type!r}{where}: install the custom node "
            "pack that provides it (ComfyUI-Manager can) and restart ComfyUI, or change the "
            "workflow")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _node_id(details: str) -> str | None:
    found = re.search(r"#([^'\s]+)", details)
    return found.group(1) if found else None


def summarise_node_errors(node_errors: dict[str, Any]) -> str:
    """Missing model files first (they are what a person most often has to fix), then the
    other validation errors, each with its node."""
    missing: list[str] = []
    other: list[str] = []
    for node_id, entry in node_errors.items():
        if not isinstance(entry, dict):
            continue
        class_type = entry.get("class_type", "?")
        for err in entry.get("errors") or []:
            if not isinstance(err, dict):
                continue
            extra = _dict(err.get("extra_info"))
            name = extra.get("input_name") or str(err.get("details", "")).split(":")[0]
            value = extra.get("received_value")
            if err.get("type") == "value_not_in_list" and (
                    MODEL_FILE.search(str(value)) or MODEL_INPUT.search(str(name))):
                missing.append(f"{value!s} (node #{node_id} {class_type}, {name})")
            else:
                other.append(f"node #{node_id} {class_type}: {err.get('message')}: "
                             f"{err.get('details')}")
    parts = []
    if missing:
        parts.append("model file missing on the ComfyUI server: " + _listed(missing)
                     + "; put it in ComfyUI's models folder or change the workflow")
    if other:
        parts.append("the workflow failed ComfyUI's validation: " + _listed(other))
    return "; ".join(parts) or "the workflow failed ComfyUI's validation"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED_ERRORS])
    rest = len(items) - MAX_LISTED_ERRORS
    return shown + (f" (+{rest} more)" if rest > 0 else "")


def classify(info: ErrorInfo) -> Outcome:
    return "permanent" if info.status == 400 else "default"


def execution_error(entry: dict[str, Any], prompt_id: str) -> str:
    """The history `status.messages` of a failed job: the node that raised, and what."""
    for message in _dict(entry.get("status")).get("messages") or []:
        event, data = message if isinstance(message, list) and len(message) == 2 else ("", {})
        if event == "execution_error" and isinstance(data, dict):
            return (f"job {prompt_id} failed in node #{data.get('node_id')} "
                    f"{data.get('node_type')}: {data.get('exception_type')}: "
                    f"{str(data.get('exception_message') or '').strip()}")
        if event == "execution_interrupted":
            return f"job {prompt_id} was interrupted on the ComfyUI server"
    return f"job {prompt_id} ended with status {(entry.get('status') or {}).get('status_str')}"


# --------------------------------------------------------------------------- the provider


def comfyui_api(settings: Settings) -> ApiClient:
    return ApiClient(NAME, settings.comfyui_base_url, policy=HttpPolicy.from_settings(settings),
                     error_info=error_info, classify=classify)


class _ComfyUI:
    name = NAME
    kind: Kind

    def __init__(self, settings: Settings, workflow: Workflow) -> None:
        self.api = comfyui_api(settings)
        self.workflow = workflow
        self.timeout = settings.comfyui_timeout
        self.client_id = f"reelforge-{uuid.uuid4().hex}"

    @property
    def identity(self) -> str:
        return f"{NAME}:{self.workflow.path.name}:{self.workflow.digest[:12]}"

    def unreachable(self, exc: Unreachable) -> ProviderError:
        why = str(exc).removeprefix(f"{NAME}: ")
        return ProviderError(NAME, f"cannot reach ComfyUI at {self.api.base_url} ({why}); "
                             "start it, or set COMFYUI_BASE_URL to where it listens")

    async def check(self) -> str:
        """Reachable, every node type of the workflow installed there, and every model file
        its loaders name listed by the server."""
        try:
            async with self.api.session() as s:
                stats = _dict(await s.json("GET", "system_stats"))
                infos = {c: _dict(await s.json("GET", f"object_info/{quote(c, safe='')}"))
                         .get(c) for c in self.workflow.class_types}
        except Unreachable as exc:
            raise self.unreachable(exc) from None
        workflow = self.workflow.path.name
        missing = [c for c, info in infos.items() if not isinstance(info, dict)]
        if missing:
            raise _fail(f"{self.api.base_url} lacks node types {', '.join(missing)} used by "
                        f"{workflow}: install the custom nodes that provide them")
        models = missing_models(self.workflow.nodes, {c: _dict(i) for c, i in infos.items()})
        if models:
            raise _fail(f"model file missing on {self.api.base_url}: {_listed(models)}, used by "
                        f"{workflow}; put it in ComfyUI's models folder or change the workflow")
        version = _dict(stats.get("system")).get("comfyui_version", "?")
        return (f"{self.api.base_url}: ComfyUI {version}, all {len(infos)} node types and the "
                f"model files of {workflow} installed")

    async def run(self, values: dict[str, Any], images: dict[str, bytes],
                  references: list[bytes] | None = None) -> bytes:
        """Upload `images` (mapping field -> PNG) and `references`, queue the workflow with
        `values`, wait, return the bytes of the file its output node saved."""
        try:
            async with self.api.session() as s:
                for field, png in images.items():
                    values[field] = await self.upload(s, png)
                if references:
                    values["references"] = [await self.upload(s, png) for png in references]
                prompt_id = await self.queue(s, self.workflow.prompt(values))
                entry = await self.wait(s, prompt_id)
                return await self.download(s, entry, prompt_id)
        except Unreachable as exc:
            raise self.unreachable(exc) from None

    async def upload(self, s: ApiSession, png: bytes) -> str:
        """Named by content with overwrite on: repeating an upload is harmless."""
        name = f"reelforge-{hashlib.sha256(png).hexdigest()[:24]}.png"
        body = await s.json("POST", "upload/image", files={"image": (name, png, "image/png")},
                            data={"overwrite": "true", "type": "input"}, safe_to_repeat=True)
        if not isinstance(body, dict) or not body.get("name"):
            raise self.api.error("image upload answered without a name", permanent=False)
        subfolder = str(body.get("subfolder") or "")
        return f"{subfolder}/{body['name']}" if subfolder else str(body["name"])

    async def queue(self, s: ApiSession, prompt: dict[str, Any]) -> str:
        queued = await s.json("POST", "prompt", json={"prompt": prompt,
                                                      "client_id": self.client_id},
                              safe_to_repeat=False)
        prompt_id = queued.get("prompt_id") if isinstance(queued, dict) else None
        if not prompt_id:
            raise self.api.error("the queue answered without a prompt_id", permanent=False)
        failed = self.failed_outputs(_dict(queued.get("node_errors")))
        if failed:
            await self.cancel(s, str(prompt_id))
            raise self.api.error(failed, permanent=True)
        return str(prompt_id)

    def failed_outputs(self, node_errors: dict[str, Any]) -> str | None:
        """ComfyUI queues a workflow when any output node is valid and runs only those; the
        node errors it answers with name the others. Ours failing means no result (or, with
        no output named, maybe a preview's picture instead of the intended one)."""
        wanted = self.workflow.mapping.output
        ours = {node_id: entry for node_id, entry in node_errors.items() if wanted is None
                or wanted in [str(o) for o in _dict(entry).get("dependent_outputs") or []]}
        if not ours:
            return None
        what = f"output node #{wanted}" if wanted else "some of its output nodes"
        return (f"ComfyUI would run the workflow without {what}: "
                f"{summarise_node_errors(ours)}")

    async def wait(self, s: ApiSession, prompt_id: str) -> dict[str, Any]:
        """Poll the history until the job is in it. A job that is in neither the history
        nor the queue twice running is lost (a restarted server forgets both); once could
        be a job that ended between the two reads."""
        unseen = 0

        async def fetch() -> dict[str, Any]:
            nonlocal unseen
            history = await s.json("GET", f"history/{prompt_id}")
            if not isinstance(history, dict):
                raise self.api.error("malformed history", permanent=False)
            entry = history.get(prompt_id)
            if isinstance(entry, dict) and entry:
                return entry
            running, pending = await self.queue_state(s)
            unseen = 0 if prompt_id in running | pending else unseen + 1
            if unseen >= LOST_AFTER:
                raise self.api.error(f"job {prompt_id} is neither in ComfyUI's queue nor in "
                                     "its history: was the server restarted?", permanent=False)
            return {}

        try:
            entry = await s.poll(fetch, bool, f"ComfyUI job {prompt_id}", timeout=self.timeout,
                                 timeout_setting="REELFORGE_COMFYUI_TIMEOUT")
        except (ProviderError, TimeoutError):
            await self.cancel(s, prompt_id)
            raise
        status = entry.get("status") or {}
        if status.get("status_str") == "error" or status.get("completed") is False:
            raise self.api.error(execution_error(entry, prompt_id), permanent=False)
        return entry

    async def cancel(self, s: ApiSession, prompt_id: str) -> None:
        """Best effort, and only our own job: drop it from the queue, or interrupt it when
        it is the one running (a bare /interrupt would stop someone else's)."""
        with contextlib.suppress(ProviderError):
            running, _ = await self.queue_state(s)
            if prompt_id in running:
                await s.request("POST", "interrupt", json={"prompt_id": prompt_id})
            else:
                await s.request("POST", "queue", json={"delete": [prompt_id]})

    async def queue_state(self, s: ApiSession) -> tuple[set[str], set[str]]:
        """Prompt ids running and pending (GET /queue lists [number, prompt_id, ...])."""
        queue = _dict(await s.json("GET", "queue"))

        def ids(key: str) -> set[str]:
            return {str(item[1]) for item in queue.get(key) or []
                    if isinstance(item, list) and len(item) > 1}

        return ids("queue_running"), ids("queue_pending")

    async def download(self, s: ApiSession, entry: dict[str, Any], prompt_id: str) -> bytes:
        files = output_files(entry.get("outputs") or {}, self.workflow.mapping.output,
                             SUFFIXES[self.kind])
        if not files:
            article = "an" if self.kind == "image" else "a"
            raise self.api.error(f"job {prompt_id} finished without saving {article} {self.kind} "
                                 f"(file types {', '.join(SUFFIXES[self.kind])}); check the "
                                 "workflow's output node", permanent=True)
        chosen = files[0]
        query = urlencode({"filename": chosen.get("filename", ""),
                           "subfolder": chosen.get("subfolder", ""),
                           "type": chosen.get("type", "output")})
        return await s.download(s.url(f"view?{query}"), what=self.kind)


def missing_models(nodes: dict[str, WorkflowNode],
                   infos: dict[str, dict[str, Any]]) -> list[str]:
    """Loader inputs whose file is not among the choices /object_info lists for them
    (`[[choices], {...}]`, or `["COMBO", {"options": [...]}]` in newer node definitions)."""
    missing = []
    for node_id, node in nodes.items():
        specs = _dict(infos.get(node.class_type, {}).get("input"))
        choices_by_input = {**_dict(specs.get("required")), **_dict(specs.get("optional"))}
        for name, value in node.inputs.items():
            spec = choices_by_input.get(name)
            if not isinstance(value, str) or not isinstance(spec, list) or not spec:
                continue
            choices = spec[0] if isinstance(spec[0], list) else \
                _dict(spec[1] if len(spec) > 1 else None).get("options")
            if isinstance(choices, list) and value not in choices and (
                    MODEL_FILE.search(value) or MODEL_INPUT.search(name)):
                missing.append(f"{value} (node #{node_id} {node.class_type}, {name})")
    return missing


def output_files(outputs: dict[str, Any], node: str | None,
                 suffixes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Saved files of the wanted type, from `node` or any output node; saved ("output")
    before previews ("temp")."""
    found = []
    for node_id, output in outputs.items():
        if (node is not None and node_id != node) or not isinstance(output, dict):
            continue
        for key in OUTPUT_LISTS:
            for item in output.get(key) or []:
                if isinstance(item, dict) and str(item.get("filename", "")).lower() \
                        .endswith(suffixes):
                    found.append(item)
    return sorted(found, key=lambda item: item.get("type") != "output")


class ComfyUIImage(_ComfyUI):
    kind: Kind = "image"
    accepts_references: bool
    """When the mapping names LoadImage inputs for them (`inputs.references`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, load_workflow("image", settings.comfyui_image_workflow,
                                                 settings.comfyui_image_mapping))
        self.accepts_references = bool(self.workflow.mapping.inputs.references)

    async def generate(self, request: FrameRequest) -> bytes:
        mapping = self.workflow.mapping
        width, height = capped_size(request.width, request.height, mapping.max_pixels,
                                    mapping.size_multiple)
        references = request.references[:len(mapping.inputs.references)]
        values: dict[str, Any] = {"prompt": prompt_with_references(request.prompt, references),
                                  "seed": request.seed, "width": width, "height": height}
        if mapping.negative_prompt is not None:
            values["negative_prompt"] = mapping.negative_prompt
        raw = await self.run(values, {}, [reference.png for reference in references])
        try:
            return fit_png(raw, request.width, request.height)
        except MediaError as exc:
            raise self.api.error(f"output is not an image: {exc}", permanent=False) from None


class ComfyUIVideo(_ComfyUI):
    streams_frames = False
    kind: Kind = "video"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, load_workflow("video", settings.comfyui_video_workflow,
                                                 settings.comfyui_video_mapping))
        self.accepts_last_frame = bool(self.workflow.mapping.inputs.last_image)

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        mapping = self.workflow.mapping
        width, height = capped_size(request.width, request.height, mapping.max_pixels,
                                    mapping.size_multiple)
        values: dict[str, Any] = {
            "prompt": request.shot.prompt, "seed": request.seed, "width": width,
            "height": height, "frames": mapping.frame_count(duration),
            "fps": int(mapping.fps) if mapping.fps.is_integer() else mapping.fps,
        }
        if mapping.negative_prompt is not None:
            values["negative_prompt"] = mapping.negative_prompt
        images = {"image": request.frame_png}
        if request.last_frame_png and mapping.inputs.last_image:
            images["last_image"] = request.last_frame_png
        video = await self.run(values, images)
        try:
            check_clip(video, duration)
        except MediaError as exc:
            raise self.api.error(f"output is not a video: {exc}", permanent=False) from None
        return video
