"""Replicate adapters against the fake: Prefer: wait, polling, failure states, uploads."""

from __future__ import annotations

import pytest
from provider_fakes import FakeSuite, Fault, media
from provider_fakes.requests import (
    REFERENCE_NOTE,
    clip_request,
    frame_request,
    frame_request_with_references,
)
from reelforge.providers.base import ContentPolicyError, ProviderError
from reelforge.providers.remote.inputs import build_inputs, nearest_aspect, pick_duration
from reelforge.providers.remote.media import probe_video
from reelforge.providers.remote.replicate import VIDEO_MODELS, ReplicateImage, ReplicateVideo
from reelforge.settings import Settings


def test_input_mapping() -> None:
    assert nearest_aspect(1920, 1080, ("1:1", "16:9", "9:16")) == "16:9"
    assert nearest_aspect(1000, 1000, ("16:9", "4:3", "1:1")) == "1:1"
    assert pick_duration(4.2, (5, 10)) == 5 and pick_duration(12, (5, 10)) == 10
    assert pick_duration(4.2, ()) == 5
    kling = build_inputs(VIDEO_MODELS["kwaivgi/kling-v2.1"], prompt="p", width=10, height=10,
                         seed=1, image_url="data:x", duration=7.5)
    assert kling == {"prompt": "p", "start_image": "data:x", "duration": 10}


async def test_image_with_prefer_wait(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    png = await ReplicateImage(settings).generate(frame_request())
    assert media.image_size(png) == (960, 540)
    (create,) = fake.calls("create")
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.headers["prefer"] == "wait=60"
    assert create.headers["authorization"] == f"Bearer {fake.key}"
    assert create.body["input"] == {"prompt": frame_request().prompt, "aspect_ratio": "16:9",
                                    "seed": 7, "output_format": "png", "num_outputs": 1}
    assert fake.calls("get") == []  # answered final within the wait


async def test_video_polls_until_succeeded(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    fake.script_next_task("starting", "processing", "processing", "succeeded")
    video = await ReplicateVideo(settings.model_copy(update={"replicate_wait": 0})).generate(
        clip_request(), 5.0)
    assert probe_video(video)[0] == pytest.approx(5.0, abs=0.1)
    create = fake.calls("create")[0]
    assert "prefer" not in create.headers
    assert create.body["input"]["image"].startswith("data:image/png;base64,")
    assert len(fake.calls("get")) == 4


async def test_large_frames_are_uploaded(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    request = clip_request(side=1024)
    noisy = media.png(1024, 1024)
    request = request.model_copy(update={"frame_png": noisy + b"\0" * 300_000})
    await ReplicateVideo(settings).generate(request, 5.0)
    assert len(fake.calls("files")) == 1
    assert fake.calls("create")[0].body["input"]["image"].startswith(fake.origin + "/files/")


async def test_version_route(suite: FakeSuite, settings: Settings) -> None:
    image = ReplicateImage(settings.model_copy(update={
        "replicate_image_model": "acme/painter:0123456789abcdef"}))
    await image.generate(frame_request())
    create = suite.fakes["replicate"].calls("create")[0]
    assert create.path == "/v1/predictions" and create.body["version"] == "0123456789abcdef"


async def test_nsfw_failure_is_a_content_policy_error(suite: FakeSuite,
                                                      settings: Settings) -> None:
    with pytest.raises(ContentPolicyError, match="NSFW"):
        await ReplicateImage(settings).generate(frame_request("FORBIDDEN"))
    await ReplicateImage(settings).generate(frame_request("gore everywhere"))  # softened


@pytest.mark.parametrize(("final", "permanent"), [
    (("failed", "CUDA out of memory"), False), ("canceled", False)])
async def test_unsuccessful_predictions(suite: FakeSuite, settings: Settings, final: object,
                                        permanent: bool) -> None:
    suite.fakes["replicate"].script_next_task("starting", final)
    with pytest.raises(ProviderError) as err:
        await ReplicateImage(settings).generate(frame_request())
    assert err.value.permanent is permanent


async def test_create_throttled_then_ok(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    fake.inject("create", Fault(429, {"detail": "Request was throttled. Your rate limit resets "
                                      "in ~30s.", "status": 429},
                                headers={"retry-after": "0"}))
    await ReplicateImage(settings).generate(frame_request())
    assert len(fake.calls("create")) == 2


async def test_create_500_is_not_repeated_but_polls_are(suite: FakeSuite,
                                                        settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    fake.inject("create", Fault(500))
    with pytest.raises(ProviderError):
        await ReplicateImage(settings).generate(frame_request())
    assert len(fake.calls("create")) == 1
    fake.inject("get", Fault(503), Fault(500))
    await ReplicateImage(settings.model_copy(update={"replicate_wait": 0})).generate(
        frame_request())


async def test_validation_error_is_permanent(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    with pytest.raises(ProviderError, match="Input validation failed") as err:
        await ReplicateImage(settings).generate(frame_request(prompt=""))
    assert err.value.permanent
    fake.violations.clear()


async def test_check(suite: FakeSuite, settings: Settings) -> None:
    assert "reelforge-test" in await ReplicateImage(settings).check()
    wrong = Settings(**{**suite.settings(), "replicate_api_token": "r8_wrong0123456789"})
    with pytest.raises(ProviderError, match="authentication failed") as err:
        await ReplicateVideo(wrong).check()
    assert "r8_wrong0123456789" not in str(err.value)


async def test_malformed_answers(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["replicate"]
    fake.inject("create", Fault(201, raw=b"{\"id\": "))
    with pytest.raises(ProviderError, match="malformed") as err:
        await ReplicateImage(settings).generate(frame_request())
    assert not err.value.permanent and len(fake.calls("create")) == 1  # never re-created
    fake.inject("get", Fault(200, raw=b"garbage"))
    await ReplicateVideo(settings.model_copy(update={"replicate_wait": 0})).generate(
        clip_request(), 5.0)


async def test_a_reference_taking_model_gets_them_in_its_image_input(
    suite: FakeSuite, settings: Settings
) -> None:
    request = frame_request_with_references()
    image = ReplicateImage(settings.model_copy(
        update={"replicate_image_model": "bytedance/seedream-4"}))
    assert image.accepts_references
    await image.generate(request)
    (create,) = suite.fakes["replicate"].calls("create")
    assert create.path == "/v1/models/bytedance/seedream-4/predictions"
    inputs = create.body["input"]
    assert [media.data_uri_image(u) for u in inputs["image_input"]] == \
        [r.png for r in request.references]
    assert inputs["prompt"] == request.prompt + REFERENCE_NOTE


async def test_a_text_only_model_gets_the_prompt_alone(suite: FakeSuite,
                                                       settings: Settings) -> None:
    request = frame_request_with_references()
    image = ReplicateImage(settings)
    assert not image.accepts_references
    await image.generate(request)
    (create,) = suite.fakes["replicate"].calls("create")
    assert create.body["input"]["prompt"] == request.prompt
    assert "image_input" not in create.body["input"]
