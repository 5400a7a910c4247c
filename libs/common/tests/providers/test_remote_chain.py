"""Fallback chains over real adapters and fakes: which provider produced each item, costs,
the budget stop, and how load_providers builds chains from settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from provider_fakes import FakeSuite, Fault, media
from provider_fakes.requests import clip_request, frame_request, frame_request_with_references
from reelforge.providers import Budget, BudgetExceeded, load_providers, track_calls
from reelforge.providers.base import ContentPolicyError, ProviderError
from reelforge.providers.chain import ChainFailed, ImageChain, VideoChain
from reelforge.providers.registry import check_providers, create
from reelforge.providers.remote.fal import FalImage
from reelforge.providers.remote.replicate import ReplicateImage, ReplicateVideo
from reelforge.providers.remote.seedance import SeedanceVideo
from reelforge.providers.remote.seedream import SeedreamImage
from reelforge.settings import Settings


async def test_permanent_failure_falls_back_and_records_the_provider(
        suite: FakeSuite, settings: Settings) -> None:
    ark = suite.fakes["ark"]
    ark.inject("images", Fault(404, {"error": {"code": "ModelNotOpen", "message":
                                               "activate the model in the console"}}))
    chain = ImageChain([SeedreamImage(settings), ReplicateImage(settings)])
    assert chain.name == "seedream,replicate"
    with track_calls() as calls:
        png = await chain.generate(frame_request())
    assert media.image_size(png) == (960, 540)
    assert calls.provider == "replicate"
    assert [(a.provider, a.ok) for a in calls.attempts] == [("seedream", False),
                                                           ("replicate", True)]
    assert "ModelNotOpen" in (calls.fallbacks[0].error or "")
    assert calls.cost_usd == pytest.approx(0.003)  # only the call that produced the frame
    assert len(ark.calls("images")) == 1  # permanent: no retries


async def test_exhausted_retries_fall_back(suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["ark"].inject("create_task", *[Fault(429)] * 3)
    chain = VideoChain([SeedanceVideo(settings), ReplicateVideo(settings)])
    with track_calls() as calls:
        video = await chain.generate(clip_request(), 5.0)
    assert video and calls.provider == "replicate"
    assert len(suite.fakes["ark"].calls("create_task")) == 3


async def test_content_policy_everywhere_is_reported_as_such(suite: FakeSuite,
                                                            settings: Settings) -> None:
    chain = ImageChain([SeedreamImage(settings), FalImage(settings)])
    with track_calls() as calls, pytest.raises(ContentPolicyError):
        await chain.generate(frame_request("FORBIDDEN scene"))
    assert calls.provider is None and len(calls.fallbacks) == 2


async def test_all_failing_raises_chain_failed(suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["ark"].inject("images", Fault(400, {"error": {"code": "InvalidParameter",
                                                              "message": "bad size"}}))
    suite.fakes["fal"].inject("submit", *[Fault(503)] * 3)
    chain = ImageChain([SeedreamImage(settings), FalImage(settings)])
    with pytest.raises(ChainFailed) as err:
        await chain.generate(frame_request())
    assert not err.value.permanent  # one member only ran out of retries: try again later
    assert "bad size" in str(err.value) and "gave up" in str(err.value)


async def test_budget_stops_before_the_call(suite: FakeSuite, settings: Settings) -> None:
    chain = VideoChain([SeedanceVideo(settings), ReplicateVideo(settings)])
    with track_calls(Budget(limit_usd=0.50, spent_usd=0.45)) as calls, \
            pytest.raises(BudgetExceeded, match=r"over its budget of \$0.50") as err:
        await chain.generate(clip_request(), 5.0)
    assert err.value.permanent
    assert suite.fakes["ark"].calls("create_task") == []  # nothing was spent
    assert suite.fakes["replicate"].calls("create") == []  # and no silent fallback
    assert calls.cost_usd == 0


async def test_budget_allows_calls_that_fit_and_sums_costs(suite: FakeSuite,
                                                           settings: Settings) -> None:
    image = ImageChain([ReplicateImage(settings)])
    with track_calls(Budget(limit_usd=0.01)) as calls:
        await image.generate(frame_request())
        await image.generate(frame_request())
        await image.generate(frame_request())
        with pytest.raises(BudgetExceeded):
            await image.generate(frame_request())
    assert calls.cost_usd == pytest.approx(0.009)
    assert len(suite.fakes["replicate"].calls("create")) == 3


async def test_guard_wraps_every_member_call(settings: Settings, suite: FakeSuite) -> None:
    entered: list[tuple[str, str]] = []

    @contextlib.asynccontextmanager
    async def guard(capability: str, provider: str) -> AsyncIterator[None]:
        entered.append((capability, provider))
        yield

    suite.fakes["ark"].inject("images", Fault(401))
    chain = ImageChain([SeedreamImage(settings), ReplicateImage(settings)], guard)
    await chain.generate(frame_request())
    assert entered == [("image", "seedream"), ("image", "replicate")]


async def test_load_providers_builds_chains_from_settings(suite: FakeSuite,
                                                          settings: Settings) -> None:
    configured = settings.model_copy(update={"image": "seedream,fal", "video": "seedance",
                                             "llm": "openai", "tts": "elevenlabs,openai",
                                             "aligner": "openai", "music": "elevenlabs"})
    providers = load_providers(configured)
    assert providers.image.name == "seedream,fal" and providers.video.name == "seedance"
    assert providers.tts.name == "elevenlabs,openai"
    suite.fakes["ark"].inject("images", Fault(403))
    with track_calls() as calls:
        await providers.image.generate(frame_request())
    assert calls.provider == "fal"


async def test_check_providers_reports_each_configured_provider(suite: FakeSuite,
                                                                settings: Settings) -> None:
    configured = settings.model_copy(update={
        "llm": "openai", "image": "seedream,replicate", "video": "fal", "tts": "elevenlabs",
        "aligner": "openai", "music": "elevenlabs",
        "replicate_api_token": None,
    })
    results = {(r.capability, r.name): r for r in await check_providers(configured)}
    assert results[("llm", "openai")].ok and results[("image", "seedream")].ok
    assert results[("video", "fal")].ok and results[("music", "elevenlabs")].ok
    bad = results[("image", "replicate")]
    assert not bad.ok and "REPLICATE_API_TOKEN is not set" in bad.detail


def test_unknown_provider_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(LookupError, match="no image provider named 'dalle'"):
        create("image", "dalle", settings)


def test_provider_error_types() -> None:
    assert ContentPolicyError("x", "y").permanent and BudgetExceeded("x", "y").permanent
    assert isinstance(ChainFailed("image", "a,b", [ProviderError("a", "m")]), ProviderError)


def test_a_chain_exposes_its_first_members_extras(settings: Settings) -> None:
    class Local:
        name = "local"

        def layout_for(self, request: object) -> str:
            return "layout"

    chain = ImageChain([Local()])
    assert chain.name == "local" and chain.layout_for(None) == "layout"
    fallback = ImageChain([ReplicateImage(settings), Local()])
    assert getattr(fallback, "layout_for", None) is None  # the first member has none


async def test_a_chain_takes_references_when_a_member_does_and_each_member_as_it_declares(
        suite: FakeSuite, settings: Settings) -> None:
    ark = suite.fakes["ark"]
    ark.inject("images", Fault(404, {"error": {"code": "ModelNotOpen", "message":
                                               "activate the model in the console"}}))
    chain = ImageChain([SeedreamImage(settings), ReplicateImage(settings)])
    assert chain.accepts_references
    assert not ImageChain([ReplicateImage(settings), FalImage(settings)]).accepts_references
    request = frame_request_with_references()
    await chain.generate(request)
    assert len(ark.calls("images")[0].body["image"]) == 2  # Seedream was sent them
    (create,) = suite.fakes["replicate"].calls("create")  # flux-schnell takes none
    assert create.body["input"]["prompt"] == request.prompt
