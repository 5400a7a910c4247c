"""Secrets never reach error messages or logs, even when a provider echoes them back."""

from __future__ import annotations

import logging

import pytest
import structlog
from provider_fakes import FakeSuite, Fault
from provider_fakes.requests import frame_request
from reelforge.providers import track_calls
from reelforge.providers.base import ProviderError
from reelforge.providers.chain import ImageChain
from reelforge.providers.remote.openai import OpenAILLM
from reelforge.providers.remote.redact import MASK, Redactor
from reelforge.providers.remote.replicate import ReplicateImage
from reelforge.providers.remote.seedream import SeedreamImage
from reelforge.settings import Settings


def test_redactor_masks_known_secrets_and_key_shapes() -> None:
    redact = Redactor(["my-very-secret-value"])
    text = ("echo my-very-secret-value; Authorization: Bearer abcdef0123456789xyz; "
            "xi-api-key=abc123def456ghi789; sk-proj-AbCdEf0123456789; r8_AbCdEf0123456789")
    out = redact(text)
    for secret in ("my-very-secret-value", "abcdef0123456789xyz", "abc123def456ghi789",
                   "sk-proj-AbCdEf0123456789", "r8_AbCdEf0123456789"):
        assert secret not in out
    assert out.count(MASK) == 5
    assert redact("Incorrect API key provided: check it") == "Incorrect API key provided: check it"


async def test_echoed_keys_stay_out_of_errors_and_logs(
        suite: FakeSuite, settings: Settings, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    key = suite.fakes["ark"].key
    echo = {"error": {"code": "ServerOverloaded", "message": f"overloaded for key {key}"}}
    suite.fakes["ark"].inject("images", Fault(429, echo), Fault(503, echo), Fault(400, {
        "error": {"code": "InvalidParameter", "message": f"Authorization: Bearer {key} bad"}}))
    caplog.set_level(logging.DEBUG)
    chain = ImageChain([SeedreamImage(settings), ReplicateImage(settings)])
    with structlog.testing.capture_logs() as events, track_calls() as calls:
        await chain.generate(frame_request())
    assert calls.provider == "replicate"
    logged = repr(events) + caplog.text + "".join(capsys.readouterr())
    assert key not in logged and key not in repr(calls.attempts)
    assert MASK in repr(events)  # the echoed key was there, and masked
    assert any(e["event"] == "provider_retry" for e in events)


async def test_wrong_key_is_masked_in_the_error(suite: FakeSuite) -> None:
    wrong = "sk-this-is-the-wrong-key-0123456789"
    settings = Settings(**{**suite.settings(), "openai_api_key": wrong})
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(settings).check()
    assert wrong not in str(err.value) and MASK in str(err.value)


def test_secrets_are_secret_in_settings(suite: FakeSuite) -> None:
    settings = Settings(**suite.settings())
    assert suite.fakes["openai"].key not in repr(settings)
    assert suite.fakes["fal"].key not in settings.model_dump_json()
