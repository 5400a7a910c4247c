"""Real processes for the distributed tests: `reelforge worker NAME` and `reelforge api`,
started with the environment of one isolated system, health-checked, stopped or killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from reelforge.settings import Settings

BIN = Path(sys.executable).parent / "reelforge"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class SystemConfig:
    """Everything that isolates one system: namespace (exchange + queue prefix) on the
    session's vhost, database, bucket; plus the S3 endpoint and credentials."""

    namespace: str
    amqp_url: str
    database_url: str
    bucket: str
    s3_endpoint: str
    s3_region: str
    s3_access_key: str
    s3_secret_key: str
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fresh(cls, label: str, amqp_url: str, database_url: str, s3: Any) -> SystemConfig:
        token = uuid.uuid4().hex[:8]
        return cls(
            namespace=f"{label}-{token}", amqp_url=amqp_url, database_url=database_url,
            bucket=f"rf-{label}-{token}".lower(), s3_endpoint=s3.endpoint_url,
            s3_region=s3.region, s3_access_key=s3.access_key, s3_secret_key=s3.secret_key,
        )

    def with_env(self, **extra: str) -> SystemConfig:
        return SystemConfig(**{**self.__dict__, "extra": {**self.extra, **extra}})

    def variables(self) -> dict[str, str]:
        return {
            "REELFORGE_NAMESPACE": self.namespace,
            "REELFORGE_AMQP_URL": self.amqp_url,
            "REELFORGE_DATABASE_URL": self.database_url,
            "REELFORGE_S3_ENDPOINT_URL": self.s3_endpoint,
            "REELFORGE_S3_BUCKET": self.bucket,
            "AWS_ACCESS_KEY_ID": self.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3_secret_key,
            "AWS_DEFAULT_REGION": self.s3_region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "REELFORGE_STARTUP_TIMEOUT": "30",
            **self.extra,
        }

    def env(self, **extra: str) -> dict[str, str]:
        """The full environment of a child process (inherits PATH etc.)."""
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("REELFORGE_", "AWS_"))}
        return {**base, "PYTHONUNBUFFERED": "1", **self.variables(), **extra}

    def settings(self, **overrides: Any) -> Settings:
        """The same system's Settings, for in-process clients in the tests."""
        values: dict[str, Any] = {
            "namespace": self.namespace, "amqp_url": self.amqp_url,
            "database_url": self.database_url, "s3_endpoint_url": self.s3_endpoint,
            "s3_bucket": self.bucket, "aws_access_key_id": self.s3_access_key,
            "aws_secret_access_key": self.s3_secret_key, "aws_region": self.s3_region,
            "startup_timeout": 30,
        }
        return Settings(**{**values, **overrides})


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Cluster:
    """The processes of one system. Names: the worker name, or "api"."""

    def __init__(self, config: SystemConfig, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, Proc] = {}
        self._starts = 0

    def start_worker(self, name: str, ready: bool = True, **env: str) -> Proc:
        port = free_port()
        env = {"REELFORGE_METRICS_PORT": str(port), "REELFORGE_METRICS_HOST": "127.0.0.1",
               **env}
        return self._spawn(name, [str(BIN), "worker", name], port, env, ready, "/readyz")

    def start_sweeper(self, ready: bool = True, **env: str) -> Proc:
        port = free_port()
        env = {"REELFORGE_METRICS_PORT": str(port), "REELFORGE_METRICS_HOST": "127.0.0.1",
               **env}
        return self._spawn("sweeper", [str(BIN), "sweeper"], port, env, ready, "/readyz")

    def start_api(self, ready: bool = True, **env: str) -> Proc:
        port = free_port()
        cmd = [str(BIN), "api", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]
        return self._spawn("api", cmd, port, env, ready, "/readyz")

    def _spawn(self, name: str, cmd: list[str], port: int, env: dict[str, str], ready: bool,
               probe: str) -> Proc:
        if name in self.procs and self.procs[name].popen.poll() is None:
            raise RuntimeError(f"{name} is already running")
        self._starts += 1
        log = self.workdir / f"{name}.{self._starts}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(cmd, env=self.config.env(**env), stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        proc = Proc(name, popen, port, log)
        self.procs[name] = proc
        if ready:
            self.wait_ready(proc, probe)
        return proc

    def wait_ready(self, proc: Proc, probe: str = "/readyz", timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                pytest.fail(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}",
                            pytrace=False)
            try:
                if httpx.get(proc.url + probe, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail(f"{proc.name} was not ready within {timeout:.0f}s:\n{proc.tail()}",
                    pytrace=False)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signal one process and wait for it; returns its exit code."""
        proc = self.procs[name]
        if proc.popen.poll() is None:
            proc.popen.send_signal(sig)
            try:
                proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)
                pytest.fail(f"{name} did not stop within {timeout:.0f}s of {sig}:\n"
                            f"{proc.tail()}", pytrace=False)
        return int(proc.popen.returncode)

    def kill(self, name: str) -> None:
        """kill -9: no drain, no goodbye; the broker requeues what it had unacked."""
        self.stop(name, signal.SIGKILL, timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail(2000)}" for p in self.procs.values())
