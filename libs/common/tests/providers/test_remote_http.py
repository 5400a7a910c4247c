"""The shared HTTP layer (retries, Retry-After, error classes), exercised over real sockets
against the fake OpenAI server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from provider_fakes import FakeSuite, Fault
from reelforge.providers.base import ProviderError
from reelforge.providers.remote.http import retry_after_seconds
from reelforge.providers.remote.openai import OpenAILLM
from reelforge.settings import Settings


def test_retry_after_forms() -> None:
    now = datetime(2025, 8, 1, 12, 0, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after_seconds(httpx.Headers({"retry-after": "3"})) == 3.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "1.5"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after": date}), now) == 7.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "Sun, 01 Jan 2000 00:00:00 GMT"}),
                               now) == 0.0
    both = httpx.Headers({"retry-after-ms": "250", "retry-after": "9"})
    assert retry_after_seconds(both) == 0.25  # the precise header wins
    assert retry_after_seconds(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({})) is None


@pytest.mark.parametrize("headers", [
    {"retry-after": "0.2"},
    {"retry-after-ms": "200"},
    {"retry-after": "http-date"},
], ids=["seconds", "milliseconds", "http-date"])
async def test_429_waits_as_told(suite: FakeSuite, settings: Settings,
                                 headers: dict[str, str]) -> None:
    if headers.get("retry-after") == "http-date":
        # HTTP-dates have whole seconds: two ahead leaves at least one after truncation
        soon = datetime.now(UTC) + timedelta(seconds=2)
        headers = {"retry-after": format_datetime(soon, usegmt=True)}
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(429, headers=headers))
    started = time.monotonic()
    assert "key accepted" in await OpenAILLM(settings).check()
    assert len(fake.calls("models")) == 2
    assert time.monotonic() - started >= 0.15


async def test_429_without_retry_after_backs_off(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(429), Fault(429))
    await OpenAILLM(settings).check()
    assert len(fake.calls("models")) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 409])
async def test_transient_status_then_success(suite: FakeSuite, settings: Settings,
                                             status: int) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(status))
    await OpenAILLM(settings).check()
    assert len(fake.calls("models")) == 2


async def test_exhausted_retries_are_transient(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", *[Fault(503)] * 3)
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(settings).check()
    assert not err.value.permanent
    assert "gave up after 3 attempts" in str(err.value)
    assert len(fake.calls("models")) == 3


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_other_4xx_is_permanent_and_not_retried(suite: FakeSuite, settings: Settings,
                                                      status: int) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(status, {"error": {"message": "no such thing", "code": "x"}}))
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(settings).check()
    assert err.value.permanent
    assert "no such thing" in str(err.value)
    assert len(fake.calls("models")) == 1


async def test_retry_after_beyond_the_cap_hands_over_at_once(suite: FakeSuite,
                                                             settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(429, headers={"retry-after": "3600"}))
    started = time.monotonic()
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(settings).check()
    assert time.monotonic() - started < 1.0
    assert not err.value.permanent
    assert "REELFORGE_HTTP_RETRY_AFTER_MAX" in str(err.value)
    assert len(fake.calls("models")) == 1


async def test_x_should_retry_false_is_honoured(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(503, headers={"x-should-retry": "false"}))
    with pytest.raises(ProviderError):
        await OpenAILLM(settings).check()
    assert len(fake.calls("models")) == 1


async def test_malformed_body_on_a_safe_request_is_retried(suite: FakeSuite,
                                                           settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(200, raw=b"{truncated"))
    await OpenAILLM(settings).check()
    assert len(fake.calls("models")) == 2


async def test_read_timeout_on_a_safe_request_is_retried(suite: FakeSuite,
                                                         settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(200, delay=0.6))
    quick = settings.model_copy(update={"http_read_timeout": 0.2})
    await OpenAILLM(quick).check()
    assert len(fake.calls("models")) == 2


async def test_bad_key_is_permanent_with_the_providers_message(suite: FakeSuite,
                                                               settings: Settings) -> None:
    fake = suite.fakes["openai"]
    bad = Settings(**{**suite.settings(), "openai_api_key": "sk-wrong-key-0000000000"})
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(bad).check()
    assert err.value.permanent
    assert "Incorrect API key provided" in str(err.value)
    assert "sk-wrong-key-0000000000" not in str(err.value)
    assert len(fake.calls("models")) == 1


async def test_exhausted_quota_429_is_permanent(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.inject("models", Fault(429, {"error": {
        "message": "You exceeded your current quota, please check your plan and billing "
        "details.", "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}))
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(settings).check()
    assert err.value.permanent
    assert "exceeded your current quota" in str(err.value)
    assert len(fake.calls("models")) == 1
