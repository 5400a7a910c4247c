"""ElevenLabs adapters against the fake: TTS with timestamps (markup per model, character
limits and stitching), quota errors, Scribe alignment, Music composition plans."""

from __future__ import annotations

import dataclasses

import pytest
from provider_fakes import QUOTA_EXCEEDED, FakeSuite, Fault
from provider_fakes.requests import score_plan
from reelforge.providers.base import ProviderError, ScoreSection
from reelforge.providers.remote import elevenlabs
from reelforge.providers.remote.downloads import DownloadPolicy
from reelforge.providers.remote.elevenlabs import (
    ElevenLabsAligner,
    ElevenLabsMusic,
    ElevenLabsTTS,
    composition_plan,
)
from reelforge.providers.remote.http import Unreachable
from reelforge.settings import Settings

LINE = "In a drowned city... one keeper holds the *last* light."
WORDS = ["In", "a", "drowned", "city...", "one", "keeper", "holds", "the", "last", "light."]


async def test_tts_request_and_word_timings(suite: FakeSuite, settings: Settings) -> None:
    speech = await ElevenLabsTTS(settings).synthesize(LINE)
    assert speech.audio.rate == 24000
    assert [w.text for w in speech.words] == WORDS
    assert all(0 <= w.start < w.end <= speech.audio.duration for w in speech.words)
    assert all(a.end <= b.start for a, b in zip(speech.words, speech.words[1:], strict=False))
    (call,) = suite.fakes["elevenlabs"].calls("tts")
    assert call.headers["xi-api-key"] == suite.fakes["elevenlabs"].key
    assert call.path == f"/v1/text-to-speech/{settings.elevenlabs_voice_id}/with-timestamps"
    assert call.body["model_id"] == "eleven_multilingual_v2"
    assert '<break time="0.5s" />' in call.body["text"] and "*" not in call.body["text"]


async def test_tts_timings_match_the_audio(suite: FakeSuite, settings: Settings) -> None:
    """The break after 'city...' is silence in the audio; the next word starts after it."""
    speech = await ElevenLabsTTS(settings).synthesize(LINE)
    city, one = speech.words[3], speech.words[4]
    assert one.start - city.end > 0.5
    samples = speech.audio.samples
    gap = samples[int(city.end * 24000) + 50: int(one.start * 24000) - 50]
    assert abs(gap).max() < 0.01
    word = samples[int(one.start * 24000): int(one.end * 24000)]
    assert abs(word).max() > 0.1


async def test_v3_uses_audio_tags_not_ssml(suite: FakeSuite, settings: Settings) -> None:
    tts = ElevenLabsTTS(settings.model_copy(update={"elevenlabs_tts_model": "eleven_v3"}))
    speech = await tts.synthesize(LINE)
    body = suite.fakes["elevenlabs"].calls("tts")[0].body
    assert "<break" not in body["text"] and "[pause]" in body["text"] and "LAST" in body["text"]
    assert "previous_text" not in body
    assert [w.text for w in speech.words] == WORDS  # tags are not words


async def test_long_text_is_split_and_stitched(suite: FakeSuite, settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(elevenlabs.CHARACTER_LIMITS, "eleven_multilingual_v2", 80)
    text = ("The tide came in at night. Nobody in the town slept. The keeper climbed the "
            "tower stairs. She lit the lamp. Far out, something answered.")
    speech = await ElevenLabsTTS(settings).synthesize(text)
    calls = suite.fakes["elevenlabs"].calls("tts")
    assert len(calls) >= 2
    assert all(len(c.body["text"]) <= 80 for c in calls)
    assert "previous_text" not in calls[0].body and calls[0].body["next_text"]
    assert calls[1].body["previous_text"] == calls[0].body["text"]
    assert [w.text for w in speech.words] == text.split()
    assert all(a.start <= b.start for a, b in zip(speech.words, speech.words[1:], strict=False))
    assert speech.words[-1].end <= speech.audio.duration


async def test_quota_exceeded_is_permanent_and_says_so(suite: FakeSuite,
                                                       settings: Settings) -> None:
    fake = suite.fakes["elevenlabs"]
    fake.inject("tts", Fault(401, QUOTA_EXCEEDED))
    with pytest.raises(ProviderError) as err:
        await ElevenLabsTTS(settings).synthesize(LINE)
    assert err.value.permanent
    assert "quota_exceeded" in str(err.value) and "exceeds your quota" in str(err.value)
    assert len(fake.calls("tts")) == 1


async def test_busy_is_retried(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["elevenlabs"]
    fake.inject("tts", Fault(429, {"detail": {"status": "too_many_concurrent_requests",
                                              "message": "Too many concurrent requests"}}))
    await ElevenLabsTTS(settings).synthesize("Hello there.")
    assert len(fake.calls("tts")) == 2


async def test_bad_key(suite: FakeSuite, settings: Settings) -> None:
    bad = settings.model_copy(update={"elevenlabs_api_key": None})
    with pytest.raises(ProviderError, match="ELEVENLABS_API_KEY is not set"):
        ElevenLabsTTS(bad)
    wrong = Settings(**{**suite.settings(), "elevenlabs_api_key": "xi-wrong-1234567890abcd"})
    with pytest.raises(ProviderError, match="invalid_api_key") as err:
        await ElevenLabsTTS(wrong).synthesize("Hello.")
    assert err.value.permanent and "xi-wrong-1234567890abcd" not in str(err.value)


async def test_malformed_tts_body_is_a_transient_error(suite: FakeSuite,
                                                       settings: Settings) -> None:
    fake = suite.fakes["elevenlabs"]
    fake.inject("tts", *[Fault(200, {"audio_base64": "@@not-base64@@"})] * 1)
    with pytest.raises(ProviderError, match="audio_base64") as err:
        await ElevenLabsTTS(settings).synthesize("Hello.")
    assert not err.value.permanent


async def test_scribe_alignment(suite: FakeSuite, settings: Settings) -> None:
    speech = await ElevenLabsTTS(settings).synthesize(LINE)
    words = await ElevenLabsAligner(settings).align(speech.audio, LINE.replace("*", ""))
    assert [w.text for w in words] == WORDS
    for heard, tts in zip(words, speech.words, strict=True):
        assert abs(heard.start - tts.start) < 0.06  # Scribe hears what the TTS said
    call = suite.fakes["elevenlabs"].calls("stt")[0]
    assert call.body["model_id"] == "scribe_v1"
    assert call.body["timestamps_granularity"] == "word"


async def test_scribe_garbage_then_success(suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["elevenlabs"]
    speech = await ElevenLabsTTS(settings).synthesize("Hold the light.")
    fake.inject("stt", Fault(200, raw=b"<html>gateway</html>"), Fault(502))
    words = await ElevenLabsAligner(settings).align(speech.audio, "Hold the light.")
    assert len(words) == 3 and len(fake.calls("stt")) == 3


def test_composition_plan_one_section_per_act() -> None:
    plan = composition_plan(score_plan(45.0))
    assert [s["section_name"] for s in plan["sections"]] == ["setup", "escalation", "climax"]
    assert [s["duration_ms"] for s in plan["sections"]] == [15000, 15000, 15000]
    assert all(s["lines"] == [] for s in plan["sections"])
    assert "instrumental" in plan["positive_global_styles"]
    assert "vocals" in plan["negative_global_styles"]


def test_composition_plan_fits_section_limits() -> None:
    plan = score_plan(30.0)
    plan.sections.append(ScoreSection(act="title", start=30, duration=1.5, intensity=1.0))
    plan.sections.append(ScoreSection(act="tag", start=31.5, duration=250, intensity=0.1))
    sections = composition_plan(plan)["sections"]
    assert all(3000 <= s["duration_ms"] <= 120000 for s in sections)
    assert sum(s["duration_ms"] for s in sections) == pytest.approx(281500, abs=5)


async def test_music_compose(suite: FakeSuite, settings: Settings) -> None:
    audio = await ElevenLabsMusic(settings).compose(score_plan(15.0))
    assert audio.rate == 44100 and audio.duration == pytest.approx(15.0, abs=0.01)
    assert abs(audio.samples).max() > 0.05
    call = suite.fakes["elevenlabs"].calls("music")[0]
    assert "prompt" not in call.body and call.body["composition_plan"]["sections"]
    assert call.body["model_id"] == "music_v1"


async def test_music_pcm_output(suite: FakeSuite, settings: Settings) -> None:
    music = ElevenLabsMusic(settings.model_copy(update={"elevenlabs_music_format": "pcm_44100"}))
    audio = await music.compose(score_plan(12.0))
    assert audio.duration == pytest.approx(12.0, abs=0.01)


async def test_music_outside_limits_is_permanent(settings: Settings) -> None:
    with pytest.raises(ProviderError, match="outside") as err:
        await ElevenLabsMusic(settings).compose(score_plan(600.0))
    assert err.value.permanent


async def test_check(settings: Settings) -> None:
    assert "98800 of 100000 characters left" in await ElevenLabsTTS(settings).check()


async def test_the_policys_read_timeout_applies_through_the_sdk(suite: FakeSuite,
                                                                settings: Settings) -> None:
    """The SDK sends its own timeout with every request; the policy's read timeout still
    cuts a stalled answer, and the request is retried."""
    fake = suite.fakes["elevenlabs"]
    fake.inject("user", Fault(200, delay=0.6))
    quick = settings.model_copy(update={"http_read_timeout": 0.2})
    assert "key accepted" in await ElevenLabsTTS(quick).check()
    assert len(fake.calls("user")) == 2


async def test_sdk_retries_are_off_and_ours_give_up_after_the_policys_attempts(
        suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["elevenlabs"]
    fake.inject("music", *[Fault(503)] * 3)
    with pytest.raises(ProviderError, match="gave up after 3 attempts") as err:
        await ElevenLabsMusic(settings).compose(score_plan(15.0))
    assert not err.value.permanent
    assert len(fake.calls("music")) == 3


async def test_an_unreachable_server_says_so(settings: Settings) -> None:
    down = settings.model_copy(update={"elevenlabs_base_url": "http://127.0.0.1:9"})
    with pytest.raises(Unreachable, match="cannot connect"):
        await ElevenLabsTTS(down).synthesize("Hello.")


async def test_a_score_over_the_byte_cap_is_refused(suite: FakeSuite,
                                                    settings: Settings) -> None:
    music = ElevenLabsMusic(settings)
    music.api.policy = dataclasses.replace(
        music.api.policy, downloads=DownloadPolicy(max_bytes=10_000))
    with pytest.raises(ProviderError, match="over the 10,000 bytes allowed") as err:
        await music.compose(score_plan(15.0))
    assert err.value.permanent
