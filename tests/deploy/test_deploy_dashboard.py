"""deploy/grafana: the committed dashboard is what build_dashboard.py generates, it has one row
per stage over that stage's consumer queues plus a providers row, and every metric and label
a panel queries is one `reelforge.metrics.Metrics` registers."""

from __future__ import annotations

import importlib.util
import json
import re
from types import ModuleType
from typing import Any

from deploy_support import GRAFANA_DIR, exported_metric_names, worker_queues
from reelforge.topology import PIPELINE_QUEUES

DASHBOARD = GRAFANA_DIR / "dashboards" / "reelforge.json"
METRIC = re.compile(r"\b(reelforge_[a-zA-Z0-9_]+)\b")
SELECTOR = re.compile(r"\b(reelforge_[a-zA-Z0-9_]+)\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
QUEUE_MATCHER = re.compile(r'queue=~"([^"]*)"')


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_dashboard",
                                                  GRAFANA_DIR / "build_dashboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())  # type: ignore[no-any-return]


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def exprs(panel: dict[str, Any]) -> list[str]:
    return [t["expr"] for t in panel.get("targets", [])]


def rows() -> dict[str, list[dict[str, Any]]]:
    """Row title -> the panels under it."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    current = ""
    for panel in dashboard()["panels"]:
        if panel["type"] == "row":
            current = panel["title"]
            grouped[current] = []
        else:
            grouped[current].append(panel)
    return grouped


def test_committed_json_is_generated() -> None:
    assert builder().render() == DASHBOARD.read_text(), (
        "deploy/grafana/dashboards/reelforge.json is stale: "
        "run python deploy/grafana/build_dashboard.py")


def test_every_queried_metric_is_exported() -> None:
    exported = exported_metric_names()
    queried: set[str] = set()
    for panel in panels():
        for expr in exprs(panel):
            queried |= set(METRIC.findall(expr))
    missing = queried - set(exported)
    assert not missing, f"panels query metrics no service exports: {sorted(missing)}"
    # Every metric the brief's dashboard must show is on it.
    for name in ("reelforge_stage_completed_total", "reelforge_stage_duration_seconds_bucket",
                 "reelforge_stage_failures_total", "reelforge_stage_in_flight",
                 "reelforge_queue_depth", "reelforge_provider_latency_seconds_bucket",
                 "reelforge_provider_rate_limited_total", "reelforge_provider_retries_total",
                 "reelforge_rate_limit_wait_seconds_bucket"):
        assert name in queried, f"no panel shows {name}"


def test_every_label_used_exists_on_its_metric() -> None:
    exported = exported_metric_names()
    for panel in panels():
        for expr in exprs(panel):
            used = set(METRIC.findall(expr))
            labels = set().union(*(exported[m] for m in used))
            for metric, matchers in SELECTOR.findall(expr):
                for label in MATCHER_LABEL.findall(matchers):
                    assert label in exported[metric], f"{metric} has no label {label}: {expr}"
            for grouping in GROUPING.findall(expr):
                for label in (g.strip() for g in grouping.split(",") if g.strip()):
                    assert label in labels, f"no queried metric has label {label}: {expr}"
            if "histogram_quantile" in expr:
                assert all(m.endswith("_bucket") for m in used), expr
                assert re.search(r"by \((?:[^)]*\b)?le\b", expr), f"quantile without le: {expr}"


def test_one_row_per_stage_over_its_consumer_queues() -> None:
    stage_rows = {title.split()[1]: content for title, content in rows().items()
                  if title.startswith("Stage: ")}
    assert list(stage_rows) == ["script", "audio", "storyboard", "video", "assembly"]
    assert set(stage_rows) == set(worker_queues())
    for stage, content in stage_rows.items():
        consumer_queues = set(worker_queues()[stage])
        shown: dict[str, set[str]] = {}
        for panel in content:
            for expr in exprs(panel):
                metric = METRIC.findall(expr)[0]
                for alternatives in QUEUE_MATCHER.findall(expr):
                    queues = {q.replace("\\\\.", ".") for q in alternatives.split("|")}
                    shown.setdefault(metric, set()).update(queues)
        for metric in ("reelforge_stage_completed_total", "reelforge_stage_duration_seconds_bucket",
                       "reelforge_stage_failures_total", "reelforge_stage_in_flight"):
            assert shown[metric] == consumer_queues, (stage, metric, shown.get(metric))
        # Queue depth also covers each queue's dead-letter queue.
        assert shown["reelforge_queue_depth"] == consumer_queues | {
            f"{q}.dlq" for q in consumer_queues}
    every = {q for queues in worker_queues().values() for q in queues}
    assert every == set(PIPELINE_QUEUES), "docs/pipeline.md queues and the workers disagree"


def test_providers_row() -> None:
    [providers] = [content for title, content in rows().items() if title == "Providers"]
    queried = {m for panel in providers for expr in exprs(panel) for m in METRIC.findall(expr)}
    assert {"reelforge_provider_latency_seconds_bucket", "reelforge_provider_rate_limited_total",
            "reelforge_provider_retries_total", "reelforge_rate_limit_wait_seconds_bucket"
            } <= queried


def test_panels_are_laid_out_without_overlap() -> None:
    cells: set[tuple[int, int]] = set()
    ids = [p["id"] for p in dashboard()["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard()["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"panel {panel['title']!r} overlaps another"
                cells.add((x, y))
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"
