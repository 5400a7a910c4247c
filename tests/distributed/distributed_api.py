"""A small synchronous client of the public API for the process-level tests, plus readers of
the provider journal and of Prometheus text."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from distributed_cluster import BIN, SystemConfig
from prometheus_client.parser import text_string_to_metric_families

FINAL = {"completed", "failed", "cancelled"}


def create_key(config: SystemConfig, tenant: str) -> str:
    """Through the real CLI, as an operator would."""
    done = subprocess.run([str(BIN), "keys", "create", "--tenant", tenant], env=config.env(),
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"keys create failed: {done.stderr}")
    return done.stdout.strip()


@dataclass
class Client:
    base: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, headers=self.headers, timeout=30)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.base + path, headers=self.headers, timeout=60, **kwargs)

    def submit_idea(self, idea: str, **settings: Any) -> str:
        return self._created(self.post("/v1/jobs", json={"idea": idea, "settings": settings}))

    def submit_synopsis(self, text: str, **settings: Any) -> str:
        return self._created(self.post("/v1/jobs", json={"synopsis": text,
                                                         "settings": settings}))

    def submit_file(self, path: Path, **settings: Any) -> str:
        return self._created(self.post(
            "/v1/jobs", data={"settings": json.dumps(settings)},
            files={"file": (path.name, path.read_bytes(), "application/octet-stream")}))

    @staticmethod
    def _created(resp: httpx.Response) -> str:
        if resp.status_code != 202:
            raise AssertionError(f"submission refused: {resp.status_code} {resp.text}")
        return str(resp.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        resp = self.get(f"/v1/jobs/{job_id}")
        if resp.status_code != 200:
            raise AssertionError(f"GET job {job_id}: {resp.status_code} {resp.text}")
        return dict(resp.json())

    def wait(self, job_ids: list[str], timeout: float, until: Callable[[dict[str, Any]], bool]
             | None = None, logs: Callable[[], str] = str) -> dict[str, dict[str, Any]]:
        """Poll until every job is final (or `until` holds for it)."""
        done = until or (lambda view: view["status"] in FINAL)
        deadline = time.monotonic() + timeout
        views: dict[str, dict[str, Any]] = {}
        while True:
            views = {j: self.job(j) for j in job_ids}
            if all(done(v) for v in views.values()):
                return views
            if time.monotonic() > deadline:
                states = {j: (v["status"], {s: st["status"] for s, st in v["stages"].items()})
                          for j, v in views.items()}
                raise AssertionError(f"jobs not done in {timeout:.0f}s: {states}\n{logs()}")
            time.sleep(1.0)


def journal(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def video_calls(path: Path, pid: int | None = None, outcome: str | None = "ok") -> int:
    return sum(1 for c in journal(path) if c["capability"] == "video"
               and (pid is None or c["pid"] == pid)
               and (outcome is None or c["outcome"] == outcome))


def metric_samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text -> {(sample name, sorted labels): value}."""
    text = httpx.get(url + "/metrics", timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return samples


def metric(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
           **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
