"""`reelforge studio` as a user starts it: a process on 127.0.0.1 that prints its URL with a
key, serves the API, refuses a taken port in one line, and, killed mid-job and started again
on the same data folder, finishes the job."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

BIN = Path(sys.executable).parent / "reelforge"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "short.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    proc: subprocess.Popen[str]
    base: str
    key: str

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, headers={"Authorization": f"Bearer {self.key}"},
                         timeout=30)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.post(self.base + path, headers={"Authorization": f"Bearer {self.key}"},
                          timeout=60, **kw)


def start(data: Path, port: int) -> Running:
    """Start the studio, its output to a file (a pipe nobody reads would block it)."""
    log = data.parent / f"studio-{port}-{time.monotonic_ns()}.log"
    data.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen([str(BIN), "studio", "--no-browser", "--port", str(port),
                                 "--data", str(data)], stdout=out, stderr=subprocess.STDOUT,
                                text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+)/studio#key=(\S+)", log.read_text())
        if found:
            return Running(proc, found.group(1), found.group(2))
        if proc.poll() is not None:
            raise AssertionError(f"the studio exited {proc.returncode}: {log.read_text()}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the studio printed no URL in 120 s: {log.read_text()}")


def stop(running: Running, sig: int = signal.SIGTERM) -> None:
    running.proc.send_signal(sig)
    running.proc.wait(timeout=60)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[tuple[Running, Path, int]]:
    port, data = free_port(), tmp_path / "data"
    running = start(data, port)
    yield running, data, port
    if running.proc.poll() is None:
        stop(running)


def test_the_studio_serves_the_api_with_its_key_and_refuses_a_taken_port(
    studio: tuple[Running, Path, int], tmp_path: Path,
) -> None:
    running, _, port = studio
    assert running.get("/v1/jobs").json()["jobs"] == []
    assert httpx.get(running.base + "/v1/jobs", timeout=30).status_code == 401
    assert "/v1/jobs/{job_id}/approve" in httpx.get(running.base + "/openapi.json").json()[
        "paths"]
    second = subprocess.run([str(BIN), "studio", "--no-browser", "--port", str(port),
                             "--data", str(tmp_path / "other")], capture_output=True,
                            text=True, timeout=120)
    assert second.returncode != 0
    assert f"port {port}" in second.stderr + second.stdout
    assert "Traceback" not in second.stderr + second.stdout


@pytest.mark.e2e
def test_a_studio_killed_mid_job_finishes_it_when_started_again(
    studio: tuple[Running, Path, int],
) -> None:
    running, data, port = studio
    created = running.post("/v1/jobs", json={"synopsis": EXAMPLE.read_text(), "settings": {
        "duration": 15, "quality": "draft", "seed": 5}})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    deadline = time.monotonic() + 300
    while running.get(f"/v1/jobs/{job_id}").json()["stages"]["storyboard"]["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    stop(running, signal.SIGKILL)  # mid-job, no clean shutdown

    again = start(data, port)
    try:
        deadline = time.monotonic() + 600
        while (view := again.get(f"/v1/jobs/{job_id}").json())["status"] not in (
                "completed", "failed"):
            assert time.monotonic() < deadline, view
            time.sleep(0.5)
        assert view["status"] == "completed", view["error"]
        assert {a["name"] for a in view["artifacts"]} >= {"trailer", "manifest"}
    finally:
        stop(again)
    assert os.path.isdir(data / "store")
