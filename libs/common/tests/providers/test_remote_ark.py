"""BytePlus ModelArk adapters against the fake: Seedream images and Seedance video tasks in
every state."""

from __future__ import annotations

import base64

import pytest
from provider_fakes import FakeSuite, Fault, media
from provider_fakes.requests import (
    REFERENCE_NOTE,
    clip_request,
    frame_request,
    frame_request_with_references,
)
from reelforge.providers.base import ContentPolicyError, ProviderError
from reelforge.providers.remote.media import probe_video
from reelforge.providers.remote.seedance import SeedanceVideo
from reelforge.providers.remote.seedream import SeedreamImage, seedream_size
from reelforge.settings import Settings

SENSITIVE = {"code": "OutputVideoSensitiveContentDetected",
             "message": "The output video may contain sensitive information."}


def test_seedream_sizes() -> None:
    assert seedream_size("seedream-4-0-250828", 1920, 1080) == "1920x1088"
    assert seedream_size("seedream-4-0-250828", 640, 360) == "1280x720"
    assert seedream_size("seedream-3-0-t2i-250415", 4000, 2000) == "2048x1024"


async def test_seedream_generates_a_fitted_png(suite: FakeSuite, settings: Settings) -> None:
    png = await SeedreamImage(settings).generate(frame_request(width=1080, height=1920))
    assert media.image_size(png) == (1080, 1920)
    call = suite.fakes["ark"].calls("images")[0]
    assert call.headers["authorization"] == f"Bearer {suite.fakes['ark'].key}"
    assert call.body["response_format"] == "b64_json" and call.body["watermark"] is False
    assert call.body["model"] == "seedream-4-0-250828"


async def test_seedream_url_output_is_downloaded(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["ark"]
    url = fake.serve_file(media.png(800, 600), "image/png", ".png")
    fake.inject("images", Fault(200, {"model": "m", "created": 1,
                                      "data": [{"url": url, "size": "800x600"}]}))
    png = await SeedreamImage(settings).generate(frame_request())
    assert media.image_size(png) == (960, 540)


async def test_seedream_sensitive_prompt_is_softened_once(suite: FakeSuite,
                                                          settings: Settings) -> None:
    await SeedreamImage(settings).generate(frame_request("a gore-spattered hallway"))
    first, second = suite.fakes["ark"].calls("images")
    assert "gore" in first.body["prompt"] and "gore" not in second.body["prompt"]
    with pytest.raises(ContentPolicyError, match="SensitiveContentDetected"):
        await SeedreamImage(settings).generate(frame_request("FORBIDDEN"))


async def test_seedream_item_error_in_data(suite: FakeSuite, settings: Settings) -> None:
    item = {"error": {"code": "OutputImageSensitiveContentDetected", "message": "flagged"}}
    suite.fakes["ark"].inject("images", Fault(200, {"data": [item]}), Fault(200, {"data": [item]}))
    with pytest.raises(ContentPolicyError):
        await SeedreamImage(settings).generate(frame_request())


async def test_seedance_task_succeeds(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["ark"]
    request = clip_request(side=640, last_frame=True)
    video = await SeedanceVideo(settings).generate(request, 4.3)
    duration, width, height = probe_video(video)
    assert duration == pytest.approx(5.0, abs=0.1) and width == height
    create = fake.calls("create_task")[0].body
    text, first, last = create["content"]
    assert text == {"type": "text", "text": request.shot.prompt}
    assert first["role"] == "first_frame" and last["role"] == "last_frame"
    url = first["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == request.frame_png
    assert (create["duration"], create["ratio"], create["resolution"]) == (5, "1:1", "720p")
    assert "--" not in text["text"] and "generate_audio" not in create  # 1.0: body fields only
    assert len(fake.calls("get_task")) == 3  # queued -> running -> succeeded


async def test_seedance_1_5_turns_generated_audio_off(suite: FakeSuite,
                                                      settings: Settings) -> None:
    video = SeedanceVideo(settings.model_copy(update={"seedance_model":
                                                      "seedance-1-5-pro-251215"}))
    await video.generate(clip_request(), 2.0)
    body = suite.fakes["ark"].calls("create_task")[0].body
    assert body["generate_audio"] is False and body["duration"] == 4  # 1.5 minimum


@pytest.mark.parametrize(("final", "permanent"), [
    (("failed", {"code": "InternalError", "message": "generation failed"}), True),
    ("expired", False),
    ("cancelled", False),
])
async def test_seedance_unsuccessful_states(suite: FakeSuite, settings: Settings, final: object,
                                            permanent: bool) -> None:
    suite.fakes["ark"].script_next_task("queued", "running", final)
    with pytest.raises(ProviderError) as err:
        await SeedanceVideo(settings).generate(clip_request(), 5.0)
    assert err.value.permanent is permanent
    state = final if isinstance(final, str) else final[0]  # type: ignore[index]
    assert state in str(err.value)


async def test_seedance_sensitive_output_softened_then_policy_error(suite: FakeSuite,
                                                                    settings: Settings) -> None:
    fake = suite.fakes["ark"]
    fake.script_next_task("queued", ("failed", SENSITIVE))
    await SeedanceVideo(settings).generate(clip_request("a bloody duel"), 5.0)
    assert "bloody" not in fake.calls("create_task")[1].body["content"][0]["text"]
    fake.script_next_task("queued", ("failed", SENSITIVE))
    fake.script_next_task("queued", ("failed", SENSITIVE))
    with pytest.raises(ContentPolicyError):
        await SeedanceVideo(settings).generate(clip_request("a duel"), 5.0)


async def test_seedance_poll_timeout_cancels_the_task(suite: FakeSuite,
                                                      settings: Settings) -> None:
    fake = suite.fakes["ark"]
    fake.script_next_task("queued")
    slow = settings.model_copy(update={"poll_timeout": 0.1})
    with pytest.raises(ProviderError, match="did not finish") as err:
        await SeedanceVideo(slow).generate(clip_request(), 5.0)
    assert not err.value.permanent
    assert len(fake.calls("delete_task")) == 1


async def test_seedance_create_429_is_retried(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["ark"]
    fake.inject("create_task", Fault(429, {"error": {
        "code": "RateLimitExceeded.EndpointRPMExceeded", "message": "slow down"}},
        headers={"retry-after": "0"}))
    await SeedanceVideo(settings).generate(clip_request(), 5.0)
    assert len(fake.calls("create_task")) == 2


async def test_seedance_create_500_is_not_repeated(suite: FakeSuite, settings: Settings) -> None:
    """A 500 on task creation may have created the task: never create it twice."""
    fake = suite.fakes["ark"]
    fake.inject("create_task", Fault(500))
    with pytest.raises(ProviderError) as err:
        await SeedanceVideo(settings).generate(clip_request(), 5.0)
    assert not err.value.permanent
    assert len(fake.calls("create_task")) == 1


async def test_seedance_create_503_and_poll_5xx_are_retried(suite: FakeSuite,
                                                            settings: Settings) -> None:
    fake = suite.fakes["ark"]
    fake.inject("create_task", Fault(503))
    fake.inject("get_task", Fault(500), Fault(502))
    await SeedanceVideo(settings).generate(clip_request(), 5.0)
    assert len(fake.calls("create_task")) == 2


async def test_seedance_rejects_bad_input_permanently(suite: FakeSuite,
                                                      settings: Settings) -> None:
    fake = suite.fakes["ark"]
    request = clip_request(side=200)  # under the 300 px minimum
    with pytest.raises(ProviderError, match="InvalidParameter") as err:
        await SeedanceVideo(settings).generate(request, 5.0)
    assert err.value.permanent
    fake.violations.clear()


async def test_ark_check(suite: FakeSuite, settings: Settings) -> None:
    assert "key accepted" in await SeedanceVideo(settings).check()
    wrong = Settings(**{**suite.settings(), "ark_api_key": "ark-wrong-0123456789abc"})
    with pytest.raises(ProviderError, match="AuthenticationError"):
        await SeedreamImage(wrong).check()


async def test_seedance_malformed_answers(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["ark"]
    fake.inject("get_task", Fault(200, raw=b"<html>502 Bad Gateway</html>"))
    await SeedanceVideo(settings).generate(clip_request(), 5.0)  # a poll is safe to repeat
    fake.inject("create_task", Fault(200, {"task": "?"}))
    with pytest.raises(ProviderError, match="without an id") as err:
        await SeedanceVideo(settings).generate(clip_request(), 5.0)
    assert not err.value.permanent and len(fake.calls("create_task")) == 2


async def test_seedream_sends_a_frames_references_as_its_image_list(
    suite: FakeSuite, settings: Settings
) -> None:
    request = frame_request_with_references()
    image = SeedreamImage(settings)
    assert image.accepts_references
    await image.generate(request)
    body = suite.fakes["ark"].calls("images")[0].body
    assert [base64.b64decode(url.removeprefix("data:image/png;base64,"))
            for url in body["image"]] == [r.png for r in request.references]
    assert body["prompt"] == request.prompt + REFERENCE_NOTE


async def test_seedream_3_takes_no_references_and_gets_the_text(
    suite: FakeSuite, settings: Settings
) -> None:
    image = SeedreamImage(settings.model_copy(update={"seedream_model": "seedream-3-0-t2i-250415"}))
    assert not image.accepts_references
    request = frame_request_with_references()
    await image.generate(request)
    body = suite.fakes["ark"].calls("images")[0].body
    assert "image" not in body and body["prompt"] == request.prompt
