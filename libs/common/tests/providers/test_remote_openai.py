"""OpenAI adapters against the fake OpenAI server: chat structured outputs (strict schema,
repair, vision), TTS, whisper-1 alignment, gpt-image-1."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json

import pytest
from provider_fakes import FakeSuite, Fault, media
from provider_fakes.requests import (
    FAST,
    REFERENCE_NOTE,
    frame_request,
    frame_request_with_references,
)
from reelforge.models import Narration, SceneList, ShotPlan, StoryPatterns, VisualBible
from reelforge.providers.base import ContentPolicyError, ProviderError
from reelforge.providers.remote.downloads import DownloadPolicy
from reelforge.providers.remote.http import Unreachable
from reelforge.providers.remote.openai import (
    OpenAIAligner,
    OpenAIImage,
    OpenAILLM,
    OpenAITTS,
    gpt_image_size,
)
from reelforge.settings import Settings

LINE = "In a drowned city... one keeper holds the *last* light."
WORDS = ["In", "a", "drowned", "city...", "one", "keeper", "holds", "the", "last", "light."]


async def test_llm_structured_output_request_and_answer(suite: FakeSuite,
                                                        settings: Settings) -> None:
    fake = suite.fakes["openai"]
    context = {"document": {"text": "A keeper in a drowned city."},
               "genre_labels": ["thriller", "drama"], "tone_labels": ["dark"]}
    patterns = await OpenAILLM(settings).complete("patterns", context, StoryPatterns)
    assert patterns.genres[0].label == "thriller"
    (call,) = fake.calls("chat")
    assert call.headers["authorization"] == f"Bearer {fake.key}"
    body = call.body
    assert body["model"] == "gpt-4o-mini"
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "StoryPatterns"
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])  # all required, even defaults
    system, user = body["messages"][0], body["messages"][1]
    assert system["role"] == "system" and "story analyst" in system["content"]
    assert '"genre_labels"' in user["content"] and "StoryPatterns" not in system["content"]
    embedded = user["content"].split("as JSON:", 1)[1].split("Answer with JSON", 1)[0]
    assert json.loads(embedded) == context  # the whole context, as JSON


async def test_llm_maps_dicts_and_tuples_through_strict_schema(suite: FakeSuite,
                                                               settings: Settings) -> None:
    llm = OpenAILLM(settings)
    context = {"characters": [{"id": "keeper", "name": "Ada"}],
               "locations": [{"id": "square", "name": "The Square"}]}
    bible = await llm.complete("bible", context, VisualBible)
    assert set(bible.characters) == {"keeper"} and set(bible.locations) == {"square"}
    sent = suite.fakes["openai"].calls("chat")[0].body["response_format"]["json_schema"]
    characters = sent["schema"]["properties"]["characters"]
    assert characters["type"] == "array"  # dict[str, str] travels as key/value pairs
    shot = await llm.complete("shot", {"scene": {"summary": "fog"}}, ShotPlan)
    assert shot.focus == (0.5, 0.45)


async def test_llm_pipeline_tasks_give_coherent_answers(settings: Settings) -> None:
    llm = OpenAILLM(settings)
    scenes = await llm.complete("scenes", {"target_scenes": 9, "document": {"text": "x"}},
                                SceneList)
    assert len(scenes.scenes) == 9
    ids = {c.id for c in scenes.characters}
    assert all(set(s.characters) <= ids for s in scenes.scenes)
    narration = await llm.complete("narration", {
        "scenes": [s.model_dump(mode="json") for s in scenes.scenes], "target_words": 60,
        "requested_title": "Deep Water"}, Narration)
    assert narration.title == "Deep Water" and narration.lines[-1].card == "title"


async def test_llm_repair_attempt_sends_the_validation_error_back(suite: FakeSuite,
                                                                  settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.queue_answer('{"genres": [], "tones": "dark"}')  # wrong twice over
    patterns = await OpenAILLM(settings).complete("patterns", {"document": {}}, StoryPatterns)
    assert patterns.logline
    first, second = fake.calls("chat")
    repair = second.body["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"genres": [], "tones": "dark"}'}
    assert "did not validate" in repair[-1]["content"]
    assert "genres" in repair[-1]["content"] and "tones" in repair[-1]["content"]
    assert len(first.body["messages"]) == 2


async def test_llm_gives_up_after_one_repair(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.queue_answer("not json at all", "```json\n{\"still\": \"wrong\"}\n```")
    with pytest.raises(ProviderError) as err:
        await OpenAILLM(settings).complete("patterns", {"document": {}}, StoryPatterns)
    assert err.value.permanent
    assert "even after one repair attempt" in str(err.value)
    assert len(fake.calls("chat")) == 2


async def test_llm_refusal_is_a_content_policy_error(suite: FakeSuite,
                                                     settings: Settings) -> None:
    suite.fakes["openai"].queue_answer({"content": None, "refusal": "I can't help with that."})
    with pytest.raises(ContentPolicyError, match="refused"):
        await OpenAILLM(settings).complete("patterns", {"document": {}}, StoryPatterns)


@pytest.mark.parametrize("vision", [True, False])
async def test_shot_task_sends_the_frame_to_vision_models(suite: FakeSuite, settings: Settings,
                                                          vision: bool) -> None:
    frame = base64.b64encode(media.png(1920, 1080)).decode()
    llm = OpenAILLM(settings.model_copy(update={"llm_vision": vision}))
    await llm.complete("shot", {"scene": {"summary": "fog"}, "frame_png_b64": frame}, ShotPlan)
    user = suite.fakes["openai"].calls("chat")[0].body["messages"][1]["content"]
    text = user if isinstance(user, str) else user[0]["text"]
    assert frame[:200] not in text  # the frame never travels as prompt text
    if vision:
        image = user[1]["image_url"]["url"]
        assert image.startswith("data:image/png;base64,")
        assert max(media.image_size(base64.b64decode(image.split(",", 1)[1]))) <= 768
    else:
        assert isinstance(user, str)


def test_vision_is_guessed_from_the_model_name(settings: Settings) -> None:
    guess = {m: OpenAILLM(settings.model_copy(update={"llm_model": m})).vision
             for m in ("gpt-4o-mini", "llava:13b", "qwen2.5-vl-7b", "llama3.1:8b", "o3-mini")}
    assert guess == {"gpt-4o-mini": True, "llava:13b": True, "qwen2.5-vl-7b": True,
                     "llama3.1:8b": False, "o3-mini": True}


async def test_tts_returns_audio_without_words(suite: FakeSuite, settings: Settings) -> None:
    speech = await OpenAITTS(settings).synthesize(LINE, voice="a deep gravelly narrator")
    assert speech.words == []
    assert speech.audio.rate == 24000 and speech.audio.duration > 2.0
    body = suite.fakes["openai"].calls("speech")[0].body
    assert body["voice"] == "onyx" and body["instructions"] == "a deep gravelly narrator"
    assert body["response_format"] == "wav" and "*" not in body["input"]


async def test_speech_over_the_download_cap_is_refused(settings: Settings) -> None:
    tts = OpenAITTS(settings)
    tts.api.policy = dataclasses.replace(tts.api.policy,
                                         downloads=DownloadPolicy(max_bytes=10_000))
    with pytest.raises(ProviderError, match="speech is over the 10,000 bytes allowed") as err:
        await tts.synthesize(LINE)
    assert err.value.permanent


async def test_tts_tts1_takes_no_instructions(suite: FakeSuite, settings: Settings) -> None:
    tts = OpenAITTS(settings.model_copy(update={"openai_tts_model": "tts-1"}))
    await tts.synthesize("Hello there.", voice="Nova")
    body = suite.fakes["openai"].calls("speech")[0].body
    assert body["voice"] == "nova" and "instructions" not in body


async def test_whisper_alignment_times_every_transcript_word(suite: FakeSuite,
                                                             settings: Settings) -> None:
    speech = await OpenAITTS(settings).synthesize(LINE)
    words = await OpenAIAligner(settings).align(speech.audio, LINE.replace("*", ""))
    assert [w.text for w in words] == WORDS
    assert all(0 <= w.start <= w.end <= speech.audio.duration for w in words)
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    call = suite.fakes["openai"].calls("transcriptions")[0]
    assert call.body["model"] == "whisper-1" and call.body["response_format"] == "verbose_json"
    assert call.body["timestamp_granularities[]"] == "word"
    assert call.headers["content-type"].startswith("multipart/form-data")


async def test_whisper_missing_words_are_interpolated(suite: FakeSuite,
                                                      settings: Settings) -> None:
    speech = await OpenAITTS(settings).synthesize("one two three four")
    transcript = "one two three four five six"  # the recogniser hears four words
    words = await OpenAIAligner(settings).align(speech.audio, transcript)
    assert [w.text for w in words] == transcript.split()
    assert words[-1].end <= speech.audio.duration and words[4].start >= words[3].end


def test_gpt_image_sizes() -> None:
    assert gpt_image_size(1920, 1080) == "1536x1024"
    assert gpt_image_size(1080, 1920) == "1024x1536"
    assert gpt_image_size(1920, 1920) == "1024x1024"


async def test_image_is_base64_and_fitted_to_the_frame(suite: FakeSuite,
                                                       settings: Settings) -> None:
    png = await OpenAIImage(settings).generate(frame_request(width=1920, height=1080))
    assert png.startswith(b"\x89PNG") and media.image_size(png) == (1920, 1080)
    body = suite.fakes["openai"].calls("images")[0].body
    assert "response_format" not in body
    assert body["size"] == "1536x1024" and body["model"] == "gpt-image-1"


async def test_image_moderation_retries_once_softened(suite: FakeSuite,
                                                      settings: Settings) -> None:
    png = await OpenAIImage(settings).generate(frame_request("a gore-soaked corridor, blood"))
    assert media.image_size(png) == (960, 540)
    first, second = suite.fakes["openai"].calls("images")
    assert "gore" in first.body["prompt"]
    assert "gore" not in second.body["prompt"] and "blood" not in second.body["prompt"]


async def test_image_moderation_twice_is_a_content_policy_error(suite: FakeSuite,
                                                               settings: Settings) -> None:
    with pytest.raises(ContentPolicyError, match="softened"):
        await OpenAIImage(settings).generate(frame_request("FORBIDDEN imagery"))
    assert len(suite.fakes["openai"].calls("images")) == 2


async def test_image_malformed_response(suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["openai"].inject("images", Fault(200, {"created": 1, "data": []}))
    with pytest.raises(ProviderError, match="no usable image") as err:
        await OpenAIImage(settings).generate(frame_request())
    assert not err.value.permanent


async def test_self_hosted_endpoint_needs_no_key(suite: FakeSuite) -> None:
    local = Settings(openai_base_url="http://127.0.0.1:9/v1", **FAST)
    llm = OpenAILLM(local)  # Ollama / vLLM / llama.cpp: no key, no error at build time
    assert llm.self_hosted and llm.api.key is None
    with pytest.raises(Unreachable, match="cannot connect"):  # nothing listens there
        await llm.check()
    with pytest.raises(ProviderError, match="OPENAI_API_KEY"):
        OpenAILLM(Settings(openai_base_url="https://api.openai.com/v1", openai_api_key=None))


async def test_a_frame_with_references_goes_to_image_edits_with_them_as_image_parts(
    suite: FakeSuite, settings: Settings
) -> None:
    request = frame_request_with_references()
    image = OpenAIImage(settings)
    assert image.accepts_references
    png = await image.generate(request)
    assert media.image_size(png) == (960, 540)
    fake = suite.fakes["openai"]
    assert fake.calls("images") == []
    (edit,) = fake.calls("edits")
    assert edit.headers["content-type"].startswith("multipart/form-data")
    assert edit.body["images"] == [r.png for r in request.references]
    assert edit.body["prompt"] == request.prompt + REFERENCE_NOTE
    assert edit.body["model"] == "gpt-image-1" and edit.body["size"] == "1536x1024"
    assert edit.body["n"] == "1" and edit.body["output_format"] == "png"
