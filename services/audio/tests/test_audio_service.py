"""The audio service end to end on the in-memory runtime: script.completed in, stored
voiceover / words / score and audio.completed out; a redelivery reuses everything."""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile
from audio_samples import NARRATION, build_script
from reelforge.blobs import LocalBlobStore, job_key
from reelforge.bus import InMemoryBus
from reelforge.events import AUDIO_COMPLETED, SCRIPT_COMPLETED, Event
from reelforge.jobstore import SQLiteJobStore
from reelforge.models import (
    END_CARD_SECONDS,
    ArtifactRecord,
    Job,
    JobSettings,
    Script,
    Status,
    Word,
    WordTimings,
)
from reelforge.providers import TTS, Aligner, Audio, HoldsModels, Providers, Speech
from reelforge.providers.calls import charge
from reelforge.providers.chain import build_chain
from reelforge.runtime import StageContext, start_service
from reelforge.settings import Settings
from reelforge_audio.aligner import PocketsphinxAligner
from reelforge_audio.line_speech import LineTimings, decode
from reelforge_audio.music import LocalComposer
from reelforge_audio.service import service
from reelforge_audio.tts import PiperTTS
from reelforge_audio.voiceover import (
    ACT_GAP_SECONDS,
    KEPT_GAP_SECONDS,
    LEAD_IN_SECONDS,
    VoiceoverLayout,
)
from reelforge_audio.words import spoken_tokens

JOB_ID = "job-audio-1"


class CountingTTS:
    """The real engine, counting calls (and the texts spoken), to prove a redelivery speaks
    nothing again; with a price, each call is charged as a paid adapter charges."""

    def __init__(self, inner: TTS) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.texts: list[str] = []
        self.price_usd = 0.0
        self.after_call: Callable[[], Awaitable[None]] | None = None
        self.releases = 0

    def release_models(self) -> None:
        self.releases += 1
        if isinstance(self.inner, HoldsModels):
            self.inner.release_models()

    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        self.calls += 1
        self.texts.append(text)
        speech = await self.inner.synthesize(text, voice)
        charge(self.name, "counting", self.price_usd, "speech")
        if self.after_call is not None:
            await self.after_call()
        return speech


class CountingAligner:
    """The real aligner, keeping the transcripts it was asked to align."""

    def __init__(self, inner: Aligner) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []
        self.releases = 0

    def release_models(self) -> None:
        self.releases += 1
        if isinstance(self.inner, HoldsModels):
            self.inner.release_models()

    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        self.texts.append(transcript)
        return await self.inner.align(audio, transcript)


@dataclass
class Harness:
    ctx: StageContext
    bus: InMemoryBus
    blobs: LocalBlobStore
    tts: CountingTTS
    aligner: CountingAligner
    completed: list[Event]

    async def deliver_script(self, script_key: str) -> Event:
        """script.completed for the script stored as `script_key`, the job's current one
        (the stage reads it from the job store)."""
        assert (await self.artifact("script")).key == script_key
        before = len(self.completed)
        await self.bus.publish(Event(type=SCRIPT_COMPLETED, job_id=JOB_ID))
        await self.bus.wait_idle()
        assert not self.bus.dead_letters, self.bus.dead_letters
        assert len(self.completed) == before + 1
        return self.completed[-1]

    async def artifact(self, name: str) -> ArtifactRecord:
        record = await self.ctx.jobs.get_artifact(JOB_ID, name)
        assert record is not None, name
        return record

    async def layout(self) -> VoiceoverLayout:
        """The layout stored beside the recorded voiceover (same key, .json)."""
        key = (await self.artifact("voiceover")).key
        return await self.ctx.load(key.removesuffix(".wav") + ".json", VoiceoverLayout)

    async def wav(self, name: str) -> tuple[np.ndarray, int]:
        data = await self.blobs.get((await self.artifact(name)).key)
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32")
        return samples, rate


@pytest.fixture
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, aligner: PocketsphinxAligner,
    composer: LocalComposer,
) -> AsyncIterator[Harness]:
    engine = getattr(request, "param", "espeak_tts")  # the fast engine unless a test asks
    tts = CountingTTS(request.getfixturevalue(engine))
    counting_aligner = CountingAligner(aligner)
    jobs = SQLiteJobStore(tmp_path / "jobs.sqlite")
    await jobs.start()
    bus = InMemoryBus(max_attempts=1)
    blobs = LocalBlobStore(tmp_path / "store")
    # wrapped in one-member chains as load_providers does; the audio stage uses only these
    # three capabilities, the others stay unset on purpose
    providers = Providers(
        llm=None, image=None, video=None,  # type: ignore[arg-type]
        tts=build_chain("tts", [tts]), aligner=build_chain("aligner", [counting_aligner]),
        music=build_chain("music", [composer]),
    )
    ctx = StageContext(bus, blobs, jobs, providers, Settings())
    await jobs.create_job(Job(id=JOB_ID, source_key=job_key(JOB_ID, "ingest", "doc.json"),
                              settings=JobSettings(duration=30.0, seed=7)))
    completed: list[Event] = []

    async def collect(event: Event) -> None:
        completed.append(event)

    await start_service(service, ctx)
    await bus.subscribe("probe", [AUDIO_COMPLETED], collect)
    try:
        yield Harness(ctx, bus, blobs, tts, counting_aligner, completed)
    finally:
        await bus.close()
        await jobs.close()


async def store_script(harness: Harness, script: Script | None = None,
                       name: str = "script.json") -> str:
    key = job_key(JOB_ID, "script", name)
    await harness.ctx.store(key, script or build_script())
    await harness.ctx.record(JOB_ID, "script", key, "script", path="script.json")
    return key


@pytest.mark.parametrize("harness", ["piper_tts", "espeak_tts"], indirect=True)
async def test_service_writes_voiceover_words_and_score(harness: Harness) -> None:
    await harness.deliver_script(await store_script(harness))

    records = {n: await harness.artifact(n) for n in ("voiceover", "words", "score")}
    assert records["voiceover"].path == "voiceover.wav"
    assert records["voiceover"].provider == harness.tts.name
    assert records["words"].provider == "pocketsphinx:en-us"
    assert records["score"].provider == "fluidsynth:FluidR3_GM"
    assert all(r.cost_usd is None for r in records.values())  # local generators are free

    timings = WordTimings.model_validate_json(await harness.blobs.get(records["words"].key))
    voiceover, rate = await harness.wav("voiceover")
    assert rate == 48_000 and voiceover.ndim == 1
    assert len(voiceover) / rate == pytest.approx(timings.duration, abs=1 / rate)
    assert records["voiceover"].duration == pytest.approx(timings.duration)

    expected = [(t.text, line.index) for line in NARRATION for t in spoken_tokens(line.text)]
    assert [(w.text, w.line) for w in timings.words] == expected
    for previous, word in itertools.pairwise(timings.words):
        assert word.start >= previous.end - 1e-6
    assert timings.words[0].start >= LEAD_IN_SECONDS - 0.1
    assert timings.words[-1].end <= timings.duration
    assert all(w.tts_start is not None and w.tts_end is not None for w in timings.words)
    assert timings.mean_disagreement is not None and timings.mean_disagreement < 0.1
    assert timings.max_disagreement is not None and timings.max_disagreement < 0.35

    score, score_rate = await harness.wav("score")
    assert score_rate == 48_000 and score.shape[1] == 2
    assert len(score) / score_rate == pytest.approx(timings.duration + END_CARD_SECONDS,
                                                    abs=0.002)
    assert np.abs(score).max() < 1.0 and np.sqrt(np.mean(score ** 2)) > 0.005


@pytest.mark.parametrize("harness", ["piper_tts"], indirect=True)
async def test_the_voice_model_is_released_once_the_voiceover_is_spoken(
    harness: Harness, piper_tts: PiperTTS,
) -> None:
    """The embedded pipeline renders frames and clips while the score is made; a Piper
    voice kept loaded through them (about 250 MB) set the process's peak memory."""
    await harness.deliver_script(await store_script(harness))
    assert harness.tts.calls > 0 and harness.tts.releases == 1
    assert piper_tts.loaded_voices() == []


async def test_the_aligner_models_are_released_once_the_words_are_aligned(
    harness: Harness, aligner: PocketsphinxAligner,
) -> None:
    """Its decoders (about 25 MB each) were held to the end of the run, through the
    trailer render that sets the embedded pipeline's peak memory."""
    await harness.deliver_script(await store_script(harness))
    assert harness.aligner.texts and harness.aligner.releases == 1
    assert aligner.loaded_decoders() == []


@pytest.mark.parametrize("harness", ["piper_tts"], indirect=True)
async def test_voiceover_layout_follows_the_script(harness: Harness) -> None:
    await harness.deliver_script(await store_script(harness))
    timings = WordTimings.model_validate_json(
        await harness.blobs.get((await harness.artifact("words")).key))
    voiceover, rate = await harness.wav("voiceover")

    def word(text: str) -> tuple[float, float]:
        found = next(w for w in timings.words if w.text == text)
        assert found.tts_start is not None and found.tts_end is not None
        return found.tts_start, found.tts_end

    # "harbour town... nobody": the marked pause
    assert word("nobody")[0] - word("town,")[1] >= 0.3
    # setup -> escalation is an act change: a longer gap than pause_after
    assert word("Until")[0] - word("doors.")[1] >= ACT_GAP_SECONDS - 0.05
    # the gap really is silent in the file
    gap = voiceover[int((word("doors.")[1] + 0.15) * rate):int((word("Until")[0] - 0.15) * rate)]
    assert np.abs(gap).max() < 1e-3
    # and the words are where the sound is
    first = timings.words[0]
    speech = voiceover[int(first.start * rate):int(first.end * rate)]
    assert np.sqrt(np.mean(speech ** 2)) > 0.02


async def test_redelivery_reuses_every_output(harness: Harness) -> None:
    script_key = await store_script(harness)
    await harness.deliver_script(script_key)
    outputs = ("voiceover", "words", "score")
    first = {n: (await harness.artifact(n)).key for n in outputs}
    calls = harness.tts.calls
    stored = {key: await harness.blobs.get(key) for key in first.values()}
    # the stored voiceover is reused whole: its lines' speech is not even read
    line_blobs = await harness.blobs.list(f"jobs/{JOB_ID}/audio/line-")
    assert len(line_blobs) == 2 * len(NARRATION)
    for key in line_blobs:
        await harness.blobs.delete(key)

    await harness.deliver_script(script_key)
    second = {n: (await harness.artifact(n)).key for n in outputs}

    assert harness.tts.calls == calls
    assert second == first
    assert {key: await harness.blobs.get(key) for key in second.values()} == stored


def edited(line: int, **changes: object) -> Script:
    """The sample script with one narration line changed."""
    narration = list(NARRATION)
    narration[line] = narration[line].model_copy(update=changes)
    return build_script(narration)


def line_samples(voiceover: np.ndarray, rate: int, layout: VoiceoverLayout,
                 index: int) -> np.ndarray:
    placed = next(p for p in layout.lines if p.index == index)
    first = round(placed.start * rate)
    return voiceover[first:first + round((placed.end - placed.start) * rate)]


async def test_editing_one_line_speaks_and_aligns_that_line_alone(harness: Harness) -> None:
    await harness.deliver_script(await store_script(harness))
    before, rate = await harness.wav("voiceover")
    layout_before = await harness.layout()
    assert len(harness.aligner.texts) == len(NARRATION)
    harness.tts.texts.clear()
    harness.aligner.texts.clear()
    # the loudest line: were the track normalised as a whole, every other line would change
    edited_line = max(range(len(NARRATION)), key=lambda index: np.abs(
        line_samples(before, rate, layout_before, index)).max())
    new_text = "Nobody knows why the lights went out."

    await harness.deliver_script(await store_script(
        harness, edited(edited_line, text=new_text, marked=new_text), "script-2.json"))

    assert harness.tts.texts == [new_text]
    assert harness.aligner.texts == [new_text]
    after, after_rate = await harness.wav("voiceover")
    layout = await harness.layout()
    assert after_rate == rate and len(after) / rate == pytest.approx(layout.duration)
    timings = WordTimings.model_validate_json(
        await harness.blobs.get((await harness.artifact("words")).key))
    new_words = [w for w in timings.words if w.line == edited_line]
    assert [w.text for w in new_words] == [t.text for t in spoken_tokens(new_text)]
    # the aligner hears the new words where the TTS put them: they are in the track
    assert all(w.disagreement is not None and w.disagreement < 0.35 for w in new_words)
    spoken = line_samples(after, rate, layout, edited_line)
    assert np.sqrt(np.mean(spoken ** 2)) > 0.02
    for line in NARRATION:
        if line.index != edited_line:
            unchanged = line_samples(after, rate, layout, line.index)
            assert len(unchanged) > rate // 2
            assert np.array_equal(unchanged,
                                  line_samples(before, rate, layout_before, line.index))


def kept(layout: VoiceoverLayout, line: int, **changes: object) -> Script:
    """The sample script with its lines keeping their slots in `layout`, one line changed."""
    script = edited(line, **changes)
    for narration, slot in zip(script.narration, layout.slots(), strict=True):
        narration.slot_seconds = slot
    return script


async def test_a_line_edit_in_a_kept_layout_moves_no_other_line(harness: Harness) -> None:
    await harness.deliver_script(await store_script(harness))
    before, rate = await harness.wav("voiceover")
    layout_before = await harness.layout()
    score_before = (await harness.artifact("score")).key
    starts_before = [p.start for p in layout_before.lines]
    shorter = "Until dark."

    await harness.deliver_script(await store_script(
        harness, kept(layout_before, 1, text=shorter, marked=shorter), "script-2.json"))

    layout = await harness.layout()
    assert layout.lines[1].end < layout_before.lines[1].end  # spoken anew, shorter
    assert [p.start for p in layout.lines] == starts_before  # to the sample: nothing moved
    assert layout.duration == layout_before.duration
    assert (await harness.artifact("score")).key == score_before  # the acts start as before
    after, _ = await harness.wav("voiceover")
    for index in (0, 2, 3):
        assert np.array_equal(line_samples(after, rate, layout, index),
                              line_samples(before, rate, layout_before, index))

    longer = ("Until the lighthouse goes dark, the fog rolls in from the open sea, every "
              "boat in the harbour is lost, and the whole town stops believing in morning.")
    await harness.deliver_script(await store_script(
        harness, kept(layout_before, 1, text=longer, marked=longer), "script-3.json"))

    layout = await harness.layout()
    starts = [p.start for p in layout.lines]
    overrun = layout.lines[1].end + KEPT_GAP_SECONDS - starts_before[2]
    assert overrun > 1.0
    assert starts[:2] == starts_before[:2]
    # the later lines keep their own slots, all moved back by the same overrun
    assert starts[2] - starts_before[2] == pytest.approx(overrun, abs=1 / rate)
    assert starts[3] - starts[2] == pytest.approx(starts_before[3] - starts_before[2],
                                                  abs=1 / rate)


async def test_a_reused_line_costs_nothing_and_keeps_its_provider(harness: Harness) -> None:
    harness.tts.price_usd = 0.01
    await harness.deliver_script(await store_script(harness))
    first = await harness.artifact("voiceover")
    assert first.cost_usd == pytest.approx(0.01 * harness.tts.calls)
    calls = harness.tts.calls

    # a longer pause changes the layout, not a word: nothing is spoken, nothing is paid
    await harness.deliver_script(await store_script(
        harness, edited(0, pause_after=1.2), "script-2.json"))
    relaid = await harness.artifact("voiceover")
    assert harness.tts.calls == calls
    assert len(harness.aligner.texts) == len(NARRATION)  # the lines only moved
    assert (await harness.artifact("words")).provider == "pocketsphinx:en-us"
    assert relaid.key != first.key
    assert relaid.cost_usd is None and relaid.provider == harness.tts.name

    await harness.deliver_script(await store_script(
        harness, edited(3, text="Dark Water.", marked="*Dark Water.*"), "script-3.json"))
    assert harness.tts.calls == calls + 1
    respoken = await harness.artifact("voiceover")
    assert respoken.cost_usd == pytest.approx(0.01)
    assert respoken.provider == harness.tts.name
    job = await harness.ctx.job(JOB_ID)
    assert job.cost_usd == pytest.approx(0.01 * (calls + 1))


async def test_a_damaged_stored_line_is_spoken_again(harness: Harness) -> None:
    await harness.deliver_script(await store_script(harness))
    title = NARRATION[3]
    spoken_line = {}
    for key in await harness.blobs.list(f"jobs/{JOB_ID}/audio/line-"):
        if key.endswith(".json"):
            timings = LineTimings.model_validate_json(await harness.blobs.get(key))
            spoken_line[timings.words[0].line] = key.removesuffix(".json") + ".wav"
    assert sorted(spoken_line) == [line.index for line in NARRATION]
    wav_key = spoken_line[title.index]
    wav = await harness.blobs.get(wav_key)
    await harness.blobs.put(wav_key, wav[: len(wav) // 2], "audio/wav")  # a torn write
    harness.tts.texts.clear()

    await harness.deliver_script(await store_script(
        harness, edited(0, pause_after=1.2), "script-2.json"))

    assert harness.tts.texts == [title.text]
    repaired = LineTimings.model_validate_json(
        await harness.blobs.get(wav_key.removesuffix(".wav") + ".json"))
    assert decode(await harness.blobs.get(wav_key), repaired) is not None
    voiceover, rate = await harness.wav("voiceover")
    assert np.sqrt(np.mean(line_samples(voiceover, rate, await harness.layout(), 3) ** 2)) > 0.02


async def test_cancellation_stops_before_the_next_provider_call(harness: Harness) -> None:
    await store_script(harness)

    async def cancel_job() -> None:
        await harness.ctx.jobs.set_job_status(JOB_ID, Status.cancelled)

    harness.tts.after_call = cancel_job
    await harness.bus.publish(Event(type=SCRIPT_COMPLETED, job_id=JOB_ID))
    await harness.bus.wait_idle()

    assert harness.tts.calls == 1
    assert not harness.completed and not harness.bus.dead_letters
    assert await harness.ctx.jobs.get_artifact(JOB_ID, "voiceover") is None
    assert not await harness.blobs.list(f"jobs/{JOB_ID}/audio")
