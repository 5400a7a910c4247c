"""Generate deploy/grafana/dashboards/reelforge.json, the reelforge Grafana dashboard.

One row per pipeline stage (throughput, p50/p95 duration, failures and dead letters, in
flight, queue depth) over the stage's consumer queues (as libs/common/src/reelforge/pipeline.py
declares them), an overview row and a providers row (latency, 429s, retries, waits for a
global provider slot). Every query uses only the metrics `reelforge.metrics.Metrics`
registers; tests/deploy checks that, and that the committed JSON is what this script
generates.

    python deploy/grafana/build_dashboard.py            # rewrite the JSON
    python deploy/grafana/build_dashboard.py --check    # exit 1 if the JSON is stale

Standard library only (the pipeline declaration too), so it runs with any Python 3.11+.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "reelforge.json"
UID = "reelforge"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"

PIPELINE_MODULE = Path(__file__).resolve().parents[2] / "libs/common/src/reelforge/pipeline.py"


def load_pipeline() -> Any:
    """The pipeline declaration, loaded from its file (it imports only the standard library,
    so this script needs no installed package)."""
    spec = importlib.util.spec_from_file_location("reelforge_pipeline", PIPELINE_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


# The consumer queues of each stage. The `queue` label of the stage metrics is the consumer
# queue; reelforge_queue_depth also reports each queue's `.dlq`.
STAGE_QUEUES: dict[str, tuple[str, ...]] = {
    stage.name: stage.queues for stage in load_pipeline().PIPELINE if stage.steps
}

ROW_HEIGHT = 8


def queue_matcher(queues: tuple[str, ...] | list[str]) -> str:
    """A PromQL `queue` matcher for exactly these queue names (dots escaped)."""
    alternatives = "|".join(q.replace(".", "\\\\.") for q in queues)
    return f'queue=~"{alternatives}"'


class Layout:
    """Hands out panel ids and grid positions, row by row."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.next_id = 1
        self.y = 0
        self.x = 0

    def row(self, title: str) -> None:
        if self.x:
            self.y += ROW_HEIGHT
            self.x = 0
        self.panels.append({
            "type": "row", "id": self._id(), "title": title, "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": [],
        })
        self.y += 1

    def add(self, panel: dict[str, Any], width: int) -> None:
        if self.x + width > 24:
            self.y += ROW_HEIGHT
            self.x = 0
        panel["id"] = self._id()
        panel["gridPos"] = {"h": ROW_HEIGHT, "w": width, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += width

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def target(expr: str, legend: str, ref: str) -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref,
            "range": True}


def timeseries(title: str, description: str, unit: str,
               targets: list[tuple[str, str]], *, stacked: bool = False) -> dict[str, Any]:
    custom: dict[str, Any] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                              "showPoints": "never", "spanNulls": False}
    if stacked:
        custom["stacking"] = {"mode": "normal", "group": "A"}
        custom["fillOpacity"] = 40
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit, "min": 0, "custom": custom},
                        "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [target(expr, legend, chr(ord("A") + i))
                    for i, (expr, legend) in enumerate(targets)],
    }


def stat(title: str, description: str, unit: str, expr: str) -> dict[str, Any]:
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit, "min": 0}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "area", "textMode": "auto"},
        "targets": [target(expr, "", "A")],
    }


def overview(layout: Layout) -> None:
    every = [q for queues in STAGE_QUEUES.values() for q in queues]
    work = queue_matcher(every)
    layout.row("Overview")
    layout.add(stat("Jobs submitted (1h)", "Jobs accepted by the API in the last hour.",
                    "short", "sum(increase(reelforge_jobs_submitted_total[1h]))"), 4)
    layout.add(stat("In flight", "Deliveries being handled now, all stages.", "short",
                    f"sum(reelforge_stage_in_flight{{{work}}})"), 4)
    layout.add(stat("Dead letters (1h)", "Deliveries moved to a dead-letter queue in the "
                    "last hour; their jobs failed.", "short",
                    "sum(increase(reelforge_dead_letters_total[1h]))"), 4)
    layout.add(timeseries(
        "Deliveries handled per stage", "Successful deliveries per second, by queue.", "ops",
        [(f"sum by (queue) (rate(reelforge_stage_completed_total{{{work}}}[{RATE}]))",
          "{{queue}}")], stacked=True), 12)


def stage_row(layout: Layout, stage: str, queues: tuple[str, ...]) -> None:
    work = queue_matcher(queues)
    depth = queue_matcher([*queues, *(f"{q}.dlq" for q in queues)])
    layout.row(f"Stage: {stage}  ({', '.join(queues)})")
    layout.add(timeseries(
        "Throughput", f"Deliveries of {stage} handled successfully per second.", "ops",
        [(f"sum by (queue) (rate(reelforge_stage_completed_total{{{work}}}[{RATE}]))",
          "{{queue}}")]), 5)
    layout.add(timeseries(
        "Duration p50 / p95", f"Time to handle one {stage} delivery.", "s",
        [(f"histogram_quantile(0.5, sum by (le, queue) "
          f"(rate(reelforge_stage_duration_seconds_bucket{{{work}}}[{RATE}])))",
          "p50 {{queue}}"),
         (f"histogram_quantile(0.95, sum by (le, queue) "
          f"(rate(reelforge_stage_duration_seconds_bucket{{{work}}}[{RATE}])))",
          "p95 {{queue}}")]), 5)
    layout.add(timeseries(
        "Failures", "Failed deliveries by reason (each is retried up to "
        "REELFORGE_MAX_ATTEMPTS), and deliveries dead-lettered.", "short",
        [(f"sum by (queue, reason) (increase(reelforge_stage_failures_total{{{work}}}[{RATE}]))",
          "{{queue}}: {{reason}}"),
         (f"sum by (queue) (increase(reelforge_dead_letters_total{{{work}}}[{RATE}]))",
          "{{queue}}: dead-lettered")]), 5)
    layout.add(timeseries(
        "In flight", "Deliveries being handled now, all replicas.", "short",
        [(f"sum by (queue) (reelforge_stage_in_flight{{{work}}})", "{{queue}}")]), 4)
    layout.add(timeseries(
        "Queue depth", "Messages ready in the stage's queues and their dead-letter queues "
        "(every replica reports the same queue: max, not sum).", "short",
        [(f"max by (queue) (reelforge_queue_depth{{{depth}}})", "{{queue}}")]), 5)


def providers_row(layout: Layout) -> None:
    layout.row("Providers")
    layout.add(timeseries(
        "Provider latency p50 / p95", "Time per provider call, by capability and provider.",
        "s",
        [(f"histogram_quantile(0.5, sum by (le, capability, provider) "
          f"(rate(reelforge_provider_latency_seconds_bucket[{RATE}])))",
          "p50 {{capability}}.{{provider}}"),
         (f"histogram_quantile(0.95, sum by (le, capability, provider) "
          f"(rate(reelforge_provider_latency_seconds_bucket[{RATE}])))",
          "p95 {{capability}}.{{provider}}")]), 6)
    layout.add(timeseries(
        "Provider calls", "Provider calls per second.", "ops",
        [(f"sum by (capability, provider) "
          f"(rate(reelforge_provider_latency_seconds_count[{RATE}]))",
          "{{capability}}.{{provider}}")]), 5)
    layout.add(timeseries(
        "Rate limited (HTTP 429)", "429 answers from each provider.", "short",
        [(f"sum by (provider) (increase(reelforge_provider_rate_limited_total[{RATE}]))",
          "{{provider}}")]), 4)
    layout.add(timeseries(
        "Retries", "Provider call retries.", "short",
        [(f"sum by (provider) (increase(reelforge_provider_retries_total[{RATE}]))",
          "{{provider}}")]), 4)
    layout.add(timeseries(
        "Waiting for a provider slot", "Time a call waited for a global slot "
        "(REELFORGE_PROVIDER_LIMITS): p95 and mean.", "s",
        [(f"histogram_quantile(0.95, sum by (le, provider) "
          f"(rate(reelforge_rate_limit_wait_seconds_bucket[{RATE}])))", "p95 {{provider}}"),
         (f"sum by (provider) (rate(reelforge_rate_limit_wait_seconds_sum[{RATE}])) / "
          f"sum by (provider) (rate(reelforge_rate_limit_wait_seconds_count[{RATE}]))",
          "mean {{provider}}")]), 5)


def build() -> dict[str, Any]:
    layout = Layout()
    overview(layout)
    for stage, queues in STAGE_QUEUES.items():
        stage_row(layout, stage, queues)
    providers_row(layout)
    return {
        "uid": UID,
        "title": "reelforge",
        "description": "The reelforge pipeline: one row per stage, then the providers. "
                       "Generated by deploy/grafana/build_dashboard.py; edit that, not this.",
        "tags": ["reelforge"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0, "refresh": 1,
            "regex": "", "options": [],
        }]},
        "panels": layout.panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed JSON differs from the generated one")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.is_file() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
