"""Environment variables in docker-compose.yml, deploy/k8s and the Dockerfiles: every
REELFORGE_* name is a field of reelforge.settings.Settings, every other name one of its
documented unprefixed aliases (AWS_*, provider keys and base URLs), and the literal values
parse as Settings would read them."""

from __future__ import annotations

import pytest
from deploy_support import (
    IMAGES,
    INFRA_SERVICES,
    compose_model,
    env_problems,
    image,
    k8s_by_kind,
    settings_from_env,
)


def test_compose_env_is_read_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose_model()["services"]
    problems: list[str] = []
    for name in IMAGES.values():
        env = services[name].get("environment") or {}
        problems += env_problems(f"docker-compose.yml: {name}", set(env))
        settings_from_env({k: v for k, v in env.items() if v is not None}, monkeypatch)
    assert not problems, "\n".join(problems)
    # The infrastructure containers have their own variables; nothing else is configured.
    assert set(services) == set(IMAGES.values()) | set(INFRA_SERVICES) | {"prometheus",
                                                                           "grafana"}


def test_k8s_env_is_read_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    configmaps = k8s_by_kind("ConfigMap")
    problems: list[str] = []
    for name, configmap in configmaps.items():
        problems += env_problems(f"ConfigMap {name}", set(configmap["data"]))
    for name, deployment in k8s_by_kind("Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            literal: dict[str, str] = {}
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef")
                assert ref and ref["name"] in configmaps, f"{name}: envFrom must be a ConfigMap"
                assert "prefix" not in source
                literal |= configmaps[ref["name"]]["data"]
            env = container.get("env", [])
            problems += env_problems(f"Deployment {name}", {e["name"] for e in env})
            literal |= {e["name"]: e["value"] for e in env if "value" in e}
            settings_from_env(literal, monkeypatch)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_dockerfile_env_is_read_by_settings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env: dict[str, str] = {}
    for command in image(name).runtime:
        if command.cmd == "ENV":
            pairs = command.value
            env |= dict(zip(pairs[::2], pairs[1::2], strict=True))
    settings_env = {k: v for k, v in env.items() if k.startswith("REELFORGE_")}
    assert not env_problems(f"Dockerfile (SERVICE={name})", set(settings_env))
    settings_from_env(settings_env, monkeypatch)


def test_env_checks_catch_mistakes() -> None:
    assert env_problems("x", {"REELFORGE_METRICS_PORT", "AWS_ACCESS_KEY_ID", "FAL_KEY"}) == []
    assert len(env_problems("x", {"REELFORGE_METRIC_PORT"})) == 1
    assert len(env_problems("x", {"REELFORGE_AWS_ACCESS_KEY_ID"})) == 1  # alias, no prefix
    assert len(env_problems("x", {"OPENAI_KEY"})) == 1
