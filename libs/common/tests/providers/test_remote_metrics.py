"""Retries and 429s inside an adapter reach the worker's metrics through the call guard."""

from __future__ import annotations

from provider_fakes import FakeSuite, Fault
from provider_fakes.requests import frame_request
from reelforge.limited import CallGuard
from reelforge.metrics import Metrics
from reelforge.providers.remote.openai import OpenAIImage
from reelforge.settings import Settings


def sample(metrics: Metrics, name: str, provider: str) -> float:
    value = metrics.registry.get_sample_value(name, {"provider": provider})
    return value or 0.0


async def test_retries_and_rate_limits_are_counted(suite: FakeSuite, settings: Settings) -> None:
    openai = suite.fakes["openai"]
    openai.inject("images", Fault(429, {"error": {"message": "slow down"}},
                                  {"retry-after-ms": "5"}))
    openai.inject("images", Fault(503, {"error": {"message": "busy"}}))
    metrics = Metrics()
    guard = CallGuard(None, {}, metrics)
    async with guard("image", "openai"):
        png = await OpenAIImage(settings).generate(frame_request(width=640, height=360))
    assert png.startswith(b"\x89PNG")
    assert sample(metrics, "reelforge_provider_retries_total", "openai") == 2
    assert sample(metrics, "reelforge_provider_rate_limited_total", "openai") == 1
