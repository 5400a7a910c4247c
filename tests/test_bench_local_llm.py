"""The local-LLM benchmark's bookkeeping: how it tells each recorded request's task and
structured-output mode, a stage's time from the CLI's progress table, what it unpacks from
the sdist and how it starts the server. None of it needs the model."""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest
from reelforge.providers.prompts import load_prompt

BENCH = Path(__file__).resolve().parent.parent / "bench" / "local_llm.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_llm", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_llm"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("task", ["patterns", "scenes", "acts", "narration", "bible", "shot"])
def test_each_task_is_told_by_its_system_prompt(bench: ModuleType, task: str) -> None:
    system, user = load_prompt(task).render({}, {"type": "object"})
    body = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
    assert bench.task_of(body) == task
    prefixed = "Reply with one JSON object that matches the schema below. " * 20 + system
    assert bench.task_of({"messages": [{"role": "system", "content": prefixed}]}) == task


def test_modes(bench: ModuleType) -> None:
    schema = {"type": "object"}
    assert bench.mode_of({"response_format": {"type": "json_schema", "json_schema": {
        "name": "A", "strict": True, "schema": schema}}}) == "json_schema"
    assert bench.mode_of({"response_format": {"type": "json_object", "schema": schema}}) \
        == "json_object+schema"
    assert bench.mode_of({"response_format": {"type": "json_object"}}) == "json_object"
    assert bench.mode_of({}) == "none"


def test_stage_time_from_the_progress_table(bench: ModuleType) -> None:
    table = (" ingest     │ ✔ done    │          │      \n"
             " script     │ ✘ failed  │          │ 9.6s \n"
             " audio      │ · waiting │          │      \n")
    assert bench.progress_seconds(table, "script") == 9.6
    assert bench.progress_seconds(table, "audio") is None


def test_only_the_vendored_llama_cpp_is_unpacked(bench: ModuleType, tmp_path: Path) -> None:
    sdist = tmp_path / "llama_cpp_python-0.3.36.tar.gz"
    files = {"llama_cpp_python-0.3.36/pyproject.toml": b"[project]",
             "llama_cpp_python-0.3.36/vendor/llama.cpp/CMakeLists.txt": b"project(llama)",
             "llama_cpp_python-0.3.36/vendor/llama.cpp/tools/server/server.cpp": b"int main;"}
    with tarfile.open(sdist, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    target = tmp_path / "llama.cpp"
    bench.unpack_vendored_llama_cpp(sdist, target)
    unpacked = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert unpacked == ["CMakeLists.txt", "tools/server/server.cpp"]
    assert (target / "tools" / "server" / "server.cpp").read_bytes() == b"int main;"


def test_an_sdist_without_llama_cpp_is_refused(bench: ModuleType, tmp_path: Path) -> None:
    sdist = tmp_path / "other-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        info = tarfile.TarInfo("other-1.0/setup.py")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(SystemExit):
        bench.unpack_vendored_llama_cpp(sdist, tmp_path / "llama.cpp")


def test_the_server_gets_one_slot_the_alias_and_loopback(bench: ModuleType) -> None:
    argv = bench.server_argv(8123, 8192, 2)
    options = {flag: value for flag, value in itertools.pairwise(argv)
               if flag.startswith("--") and not value.startswith("--")}
    assert argv[0].endswith("llama-server")
    assert options["--parallel"] == "1" and options["--ctx-size"] == "8192"
    assert options["--alias"] == bench.MODEL_ALIAS and options["--host"] == "127.0.0.1"
    assert "--no-jinja" not in argv  # without Jinja the server drops response_format
    assert "--no-webui" in argv


def test_tokens_and_finish_reason_of_a_reply(bench: ModuleType) -> None:
    reply = {"choices": [{"message": {"content": "{}"}, "finish_reason": "length"}],
             "usage": {"prompt_tokens": 900, "completion_tokens": 512}}
    assert bench.generation_of(json.dumps(reply).encode()) == (512, "length")
    assert bench.generation_of(b"not json") == (0, "")
    assert bench.generation_of(b'{"choices": []}') == (0, "")


def test_every_task_has_the_schema_its_stage_sends(bench: ModuleType) -> None:
    schemas = bench.task_schemas(8)
    assert set(schemas) == set(bench.TASK_OF_ROLE.values())
    acts = json.dumps(schemas["acts"].model_json_schema())
    assert '"enum": [0, 1, 2, 3, 4, 5, 6, 7]' in acts


def test_an_empty_folder_is_no_package(bench: ModuleType, tmp_path: Path) -> None:
    problem = bench.package_problem(tmp_path)
    assert problem is not None and "words.json" in problem
