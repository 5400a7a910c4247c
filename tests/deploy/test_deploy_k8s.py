"""deploy/k8s: every manifest validates offline with `kubernetes-validate --strict`; the KEDA
objects, which it has no schema for (it only warns "Couldn't find schema" and exits 0), are
validated against tests/deploy/schemas/keda.sh-v1alpha1.json, written from KEDA's documented
spec. Then the cross-references: Deployments <-> workers, images and Dockerfiles, probes,
drain times, Services, autoscalers, disruption budgets and the documented Secrets."""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
from deploy_support import (
    IMAGES,
    K8S_DIR,
    ROOT,
    SCHEMA_DIR,
    consumer_prefetch,
    image,
    k8s_by_kind,
    k8s_files,
    k8s_objects,
    kubernetes_validate_binary,
    settings_from_env,
    worker_queues,
)

KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}
NAMESPACE = "reelforge"
# Oldest Kubernetes the manifests are checked against, besides kubernetes-validate's newest.
OLDEST_K8S = "1.27"


@pytest.mark.parametrize("version", [None, OLDEST_K8S])
def test_manifests_validate_strict(version: str | None) -> None:
    files = [str(p) for p in k8s_files()]
    assert files, "no manifests under deploy/k8s"
    args = [kubernetes_validate_binary(), "--strict", "--quiet"]
    if version:
        args += ["-k", version]
    result = subprocess.run([*args, *files], capture_output=True, text=True, timeout=120,
                            check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERROR" not in output, output
    # Unknown kinds only warn; the only ones allowed are KEDA's, validated below.
    for line in output.splitlines():
        if line.startswith("WARN"):
            assert "keda.sh/v1alpha1" in line, line


@cache
def keda_validator() -> jsonschema.protocols.Validator:
    import kubernetes_validate.utils as kv

    schema = json.loads((SCHEMA_DIR / "keda.sh-v1alpha1.json").read_text())
    version = kv.latest_version()
    definitions = kv.schema_contents(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version)
    registry: referencing.Registry = referencing.Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json",
        referencing.jsonschema.DRAFT202012.create_resource(definitions),
    )
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema, registry=registry)  # type: ignore[no-any-return]


def keda_objects() -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_objects() if doc["apiVersion"].startswith("keda.sh/")]


def test_keda_objects_match_the_documented_spec() -> None:
    objects = keda_objects()
    assert {doc["kind"] for doc in objects} == KEDA_KINDS
    for doc in objects:
        errors = sorted(keda_validator().iter_errors(doc), key=str)
        assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize("mutation", [
    "unknown spec field", "trigger without queueName", "host in trigger metadata",
    "numeric value", "bad HPA behavior", "MessageRate over amqp",
])
def test_keda_schema_is_not_vacuous(mutation: str) -> None:
    [scaled] = [d for d in keda_objects() if d["metadata"]["name"] == "video"]
    doc = copy.deepcopy(scaled)
    trigger = doc["spec"]["triggers"][0]
    match mutation:
        case "unknown spec field":
            doc["spec"]["minReplicas"] = 1
        case "trigger without queueName":
            del trigger["metadata"]["queueName"]
        case "host in trigger metadata":
            trigger["metadata"]["host"] = "amqp://guest:guest@rabbitmq:5672/"
        case "numeric value":
            trigger["metadata"]["value"] = 4
        case "bad HPA behavior":
            doc["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"][
                "stabilizationWindow"] = 60
        case "MessageRate over amqp":
            trigger["metadata"].update(mode="MessageRate", protocol="amqp")
    assert not keda_validator().is_valid(doc)


def test_scaled_objects_target_the_fan_out_queues(monkeypatch: pytest.MonkeyPatch) -> None:
    deployments = k8s_by_kind("Deployment")
    auths = k8s_by_kind("TriggerAuthentication")
    config = k8s_by_kind("ConfigMap")["reelforge-config"]["data"]
    settings = settings_from_env(config, monkeypatch)
    scaled = k8s_by_kind("ScaledObject")
    assert set(scaled) == {"storyboard", "video"}
    for name, obj in scaled.items():
        spec = obj["spec"]
        target = spec["scaleTargetRef"]["name"]
        assert target == name and target in deployments
        assert "replicas" not in deployments[target]["spec"], (
            f"{target}: KEDA owns the replica count; `replicas` would fight it on apply")
        # Each worker also consumes its stage's own queue (which registers the fan-out):
        # never scale to zero.
        assert spec.get("minReplicaCount", 0) >= 1
        [trigger] = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["authenticationRef"]["name"] in auths
        queue = trigger["metadata"]["queueName"]
        assert queue == f"{name}.{'scenes' if name == 'storyboard' else 'shots'}"
        assert queue in worker_queues()[name], f"{name} does not consume {queue}"
        # Target messages per replica = what a replica holds in flight (its prefetch, times
        # the deliveries its consumer holds per unit of it).
        prefetch = getattr(settings, f"{name}_prefetch")
        default, scale = consumer_prefetch()[queue]
        assert int(trigger["metadata"]["value"]) == prefetch * scale
        assert default == prefetch, "ConfigMap prefetch differs from code"
        assert trigger["metadata"]["protocol"] == "http", (
            "amqp counts only ready messages, which fall as replicas take them")


def test_a_deployment_per_service() -> None:
    deployments = k8s_by_kind("Deployment")
    assert set(deployments) == set(IMAGES.values())
    for directory, name in IMAGES.items():
        container = _container(deployments[name])
        assert container["image"].startswith(f"reelforge/{directory}:")
        cmd = [c for c in image(directory).runtime if c.cmd == "CMD"][-1]
        assert container["command"] == list(cmd.value), (
            f"{name}: the Deployment's command differs from the image's CMD")
        if name != "api":
            assert container["command"] == ["reelforge", "worker", name]
            assert name in worker_queues()


def test_probes_resources_and_security(monkeypatch: pytest.MonkeyPatch) -> None:
    config = k8s_by_kind("ConfigMap")["reelforge-config"]["data"]
    for name, deployment in k8s_by_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        container = _container(deployment)
        env = {**config, **{e["name"]: e["value"] for e in container.get("env", [])
                            if "value" in e}}
        settings = settings_from_env(env, monkeypatch)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        expected_port = 8000 if name == "api" else settings.metrics_port
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"),
                            ("startupProbe", "/healthz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path, (name, probe)
            assert ports[get["port"]] == expected_port, (name, probe)
        # The startup probe outlasts the backends' start-up retries.
        startup = container["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] > settings.startup_timeout
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp must be an emptyDir"
        # SIGTERM drains for drain_timeout seconds: the kill must come later.
        if name != "api":
            assert pod["terminationGracePeriodSeconds"] > settings.drain_timeout, name


def test_services_hpa_and_disruption_budgets() -> None:
    deployments = k8s_by_kind("Deployment")
    services = k8s_by_kind("Service")
    budgets = k8s_by_kind("PodDisruptionBudget")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()
        service = services[name]
        assert service["spec"]["selector"].items() <= labels.items()
        container_ports = {p["name"] for p in _container(deployment)["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports
        assert budgets[name]["spec"]["selector"]["matchLabels"] == selector
        annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true"
    [hpa] = k8s_by_kind("HorizontalPodAutoscaler").values()
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "api"}
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert "replicas" not in deployments["api"]["spec"]


def test_namespaced_objects_live_in_the_namespace() -> None:
    namespaces = k8s_by_kind("Namespace")
    assert set(namespaces) == {NAMESPACE}
    for path, doc in k8s_objects():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, f"{path}: {doc['kind']}"


def test_no_secret_is_committed_and_every_reference_is_documented() -> None:
    assert not k8s_by_kind("Secret"), "create Secrets with kubectl (deploy/k8s/README.md)"
    readme = (K8S_DIR / "README.md").read_text()
    documented: dict[str, set[str]] = {}
    for command in re.findall(r"create secret generic (\S+)((?:.|\n)*?)(?:\n\n|```)", readme):
        name, body = command
        documented.setdefault(name, set()).update(re.findall(r"--from-literal=(\w+)=", body))
    referenced: dict[str, set[str]] = {}
    for deployment in k8s_by_kind("Deployment").values():
        for env in _container(deployment).get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                referenced.setdefault(ref["name"], set()).add(ref["key"])
                assert ref["key"] == env["name"], "secret keys are named after their variable"
    for auth in k8s_by_kind("TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            referenced.setdefault(ref["name"], set()).add(ref["key"])
    for name, keys in referenced.items():
        assert name in documented, f"README.md does not show how to create Secret {name}"
        assert keys <= documented[name], f"{name}: undocumented keys {keys - documented[name]}"


def test_kubectl_apply_order_by_file_name() -> None:
    """`kubectl apply -f deploy/k8s/` applies files in name order: namespace, then config,
    then workloads. KEDA objects sit apart (they need KEDA's CRDs)."""
    top = sorted(p for p in K8S_DIR.glob("*.yaml"))
    kinds = [{doc["kind"] for doc in _docs(p)} for p in top]
    assert kinds[0] == {"Namespace"} and kinds[1] == {"ConfigMap"}
    assert all(not (k & KEDA_KINDS) for k in kinds)
    assert not [p for p in K8S_DIR.rglob("*.json")], "kubectl apply -f would load a .json"
    assert (ROOT / "deploy" / "README.md").is_file()


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for p, doc in k8s_objects() if p == path]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def test_egress_reaches_public_https_and_the_backends_never_internal_hosts() -> None:
    """Defence in depth for provider URLs: whatever the code lets through, the network
    refuses the metadata endpoint and internal services on every port but the backends'."""
    [policy] = [obj for _, obj in k8s_objects() if obj["kind"] == "NetworkPolicy"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/part-of": "reelforge"}
    assert policy["spec"]["policyTypes"] == ["Egress"]
    metadata = ipaddress.ip_address("169.254.169.254")
    for rule in policy["spec"]["egress"]:
        ports = {p["port"] for p in rule.get("ports", [])}
        for peer in rule["to"]:
            block = peer.get("ipBlock")
            if block is None:
                assert ports == {53}, "only DNS may go to any namespace"
                continue
            net = ipaddress.ip_network(block["cidr"])
            excepted = [ipaddress.ip_network(c) for c in block.get("except", [])]
            if metadata in net:
                assert any(metadata in e for e in excepted), "the metadata endpoint is reachable"
            if net.prefixlen == 0:
                assert ports == {443}
                for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8"):
                    assert ipaddress.ip_network(private) in excepted
            else:
                assert net.is_private and ports <= {5432, 5672, 8333, 9000}
