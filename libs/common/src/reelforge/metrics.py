"""Prometheus metrics. One `Metrics` object per process, passed in (no global registry), so
tests can run several services side by side."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.stage_duration = Histogram(
            "reelforge_stage_duration_seconds", "Time to handle one delivery",
            ["queue"], buckets=DURATION_BUCKETS, registry=r)
        self.in_flight = Gauge(
            "reelforge_stage_in_flight", "Deliveries being handled now", ["queue"], registry=r)
        self.completed = Counter(
            "reelforge_stage_completed_total", "Deliveries handled successfully", ["queue"],
            registry=r)
        self.failures = Counter(
            "reelforge_stage_failures_total", "Failed deliveries by reason", ["queue", "reason"],
            registry=r)
        self.dead_letters = Counter(
            "reelforge_dead_letters_total", "Deliveries moved to a dead-letter queue", ["queue"],
            registry=r)
        self.provider_latency = Histogram(
            "reelforge_provider_latency_seconds", "Provider call latency",
            ["capability", "provider"], buckets=DURATION_BUCKETS, registry=r)
        self.provider_retries = Counter(
            "reelforge_provider_retries_total", "Provider call retries", ["provider"], registry=r)
        self.provider_rate_limited = Counter(
            "reelforge_provider_rate_limited_total", "HTTP 429 answers", ["provider"], registry=r)
        self.rate_limit_wait = Histogram(
            "reelforge_rate_limit_wait_seconds", "Time waiting for a global provider slot",
            ["provider"], buckets=DURATION_BUCKETS, registry=r)
        self.queue_depth = Gauge(
            "reelforge_queue_depth", "Messages ready in a queue", ["queue"], registry=r)
        self.jobs_submitted = Counter(
            "reelforge_jobs_submitted_total", "Jobs accepted by the API", registry=r)
        self.jobs_finished = Counter(
            "reelforge_jobs_finished_total", "Jobs that reached a final state", ["status"],
            registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def failure_reason(exc: BaseException) -> str:
    """A low-cardinality label for a failure."""
    return type(exc).__name__
