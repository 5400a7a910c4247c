"""The local-LLM benchmark's bookkeeping: how it tells each recorded request's task and
structured-output mode, and a stage's time from the CLI's progress table."""

from __future__ import annotations

import importlib.util
import sys
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
