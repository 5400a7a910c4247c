"""fal queue adapters against the fake: submit, status, result, NSFW flags and failures."""

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
from reelforge.providers.remote.fal import FalImage, FalVideo, app_root
from reelforge.providers.remote.media import probe_video
from reelforge.settings import Settings


def test_app_root_drops_the_subpath() -> None:
    assert app_root("fal-ai/flux/dev") == "fal-ai/flux"
    assert app_root("fal-ai/kling-video/v2.1/standard/image-to-video") == "fal-ai/kling-video"


async def test_image_queue_flow(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    png = await FalImage(settings).generate(frame_request(width=1920, height=1080))
    assert media.image_size(png) == (1920, 1080)
    submit = fake.calls("submit")[0]
    assert submit.path == "/fal-ai/flux/schnell"
    assert submit.headers["authorization"] == f"Key {fake.key}"
    assert submit.body["image_size"] == {"width": 1920, "height": 1072}
    assert submit.body["num_images"] == 1 and submit.body["seed"] == 7
    assert [c.path.split("/requests/")[0] for c in fake.calls("status")] == ["/fal-ai/flux"] * 3
    assert len(fake.calls("result")) == 1


async def test_video_queue_flow(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    video = await FalVideo(settings).generate(clip_request(), 4.0)
    assert probe_video(video)[0] == pytest.approx(5.0, abs=0.1)
    body = fake.calls("submit")[0].body
    assert body["duration"] == "5" and body["image_url"].startswith("data:image/png;base64,")


async def test_nsfw_flag_is_a_content_policy_error(suite: FakeSuite, settings: Settings) -> None:
    with pytest.raises(ContentPolicyError, match="NSFW"):
        await FalImage(settings).generate(frame_request("FORBIDDEN"))
    assert len(suite.fakes["fal"].calls("submit")) == 2  # original, then softened


async def test_failed_run_with_policy_error_type(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    fake.script_next_task("IN_QUEUE", ("COMPLETED", "content_policy_violation"))
    video = await FalVideo(settings).generate(clip_request("gore"), 5.0)  # softened retry
    assert video
    with pytest.raises(ContentPolicyError):
        await FalVideo(settings).generate(clip_request("FORBIDDEN"), 5.0)


async def test_failed_run_other_error(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    fake.script_next_task("IN_QUEUE", ("COMPLETED", "runner_error"))
    with pytest.raises(ProviderError, match="failed") as err:
        await FalImage(settings).generate(frame_request())
    assert not err.value.permanent


async def test_status_5xx_and_submit_429(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    fake.inject("submit", Fault(429, {"detail": "Too many requests"}))
    fake.inject("status", Fault(502), Fault(500))
    await FalImage(settings).generate(frame_request())
    assert len(fake.calls("submit")) == 2


async def test_poll_timeout_cancels(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    fake.script_next_task("IN_QUEUE")
    with pytest.raises(ProviderError, match="did not finish"):
        await FalImage(settings.model_copy(update={"poll_timeout": 0.1})).generate(
            frame_request())
    assert len(fake.calls("cancel")) == 1


async def test_check(suite: FakeSuite, settings: Settings) -> None:
    assert "key accepted" in await FalImage(settings).check()
    wrong = Settings(**{**suite.settings(), "fal_key": "fal-wrong:0123456789abcdef"})
    with pytest.raises(ProviderError, match="authentication failed"):
        await FalVideo(wrong).check()


async def test_malformed_answers(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["fal"]
    fake.inject("result", Fault(200, raw=b"not json"))
    await FalImage(settings).generate(frame_request())  # result GET is retried
    assert len(fake.calls("result")) == 2
    fake.inject("result", *[Fault(200, {"images": []})])
    with pytest.raises(ProviderError, match="without an image URL"):
        await FalImage(settings).generate(frame_request())


async def test_a_multi_image_app_gets_the_references_in_its_image_urls(
    suite: FakeSuite, settings: Settings
) -> None:
    request = frame_request_with_references()
    image = FalImage(settings.model_copy(
        update={"fal_image_model": "fal-ai/bytedance/seedream/v4/edit"}))
    assert image.accepts_references
    await image.generate(request)
    submit = suite.fakes["fal"].calls("submit")[0]
    assert submit.path == "/fal-ai/bytedance/seedream/v4/edit"
    assert [media.data_uri_image(u) for u in submit.body["image_urls"]] == \
        [r.png for r in request.references]
    assert submit.body["prompt"] == request.prompt + REFERENCE_NOTE


async def test_the_reference_input_is_named_by_settings_or_turned_off(
    suite: FakeSuite, settings: Settings
) -> None:
    request = frame_request_with_references()
    named = FalImage(settings.model_copy(update={"fal_image_references": "image_urls"}))
    await named.generate(request)
    assert len(suite.fakes["fal"].calls("submit")[0].body["image_urls"]) == 2
    for text_only in (FalImage(settings), FalImage(settings.model_copy(update={
            "fal_image_model": "fal-ai/bytedance/seedream/v4/edit",
            "fal_image_references": ""}))):
        assert not text_only.accepts_references
        suite.fakes["fal"].reset()
        await text_only.generate(request)
        body = suite.fakes["fal"].calls("submit")[0].body
        assert "image_urls" not in body and body["prompt"] == request.prompt
