"""Stages 2-3 as a service: script.completed -> voiceover.wav, words.json, score.wav ->
audio.completed.

The voiceover comes first (its line placement drives both other outputs); then the word
alignment and the score run at the same time. Each output's key is a fingerprint of what
it depends on, so a redelivery or a rerun reuses whatever is already stored. Each narration
line's speech is such an output too: after an edit to a script, only the lines whose words,
marks, voice or TTS changed are spoken again, and the voiceover is laid out anew. Provider calls
run inside `track_calls` scopes, so each artifact records the provider that actually
answered (a fallback chain may have moved on) and what it cost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from reelforge.events import AUDIO_COMPLETED, Event
from reelforge.media.system import release_memory
from reelforge.models import (
    END_CARD_SECONDS,
    Job,
    NarrationLine,
    Script,
    Word,
    WordTimings,
    voiceover_layout_key,
)
from reelforge.pipeline import SCRIPT
from reelforge.providers import (
    TTS,
    Aligner,
    Audio,
    Budget,
    CallLog,
    HoldsModels,
    Music,
    ScorePlan,
    Speech,
    identity_of,
    track_calls,
)
from reelforge.runtime import StageContext, fingerprint, output_key, stage_service

from reelforge_audio import line_speech, pcm
from reelforge_audio.scoreplan import build_score_plan
from reelforge_audio.timing import CheckedLine, cross_check, summarize
from reelforge_audio.voiceover import PlacedLine, VoiceoverLayout, build_voiceover, speak_line
from reelforge_audio.words import spoken_tokens

log = structlog.get_logger(__name__)

STAGE = "audio"
AUDIO_VERSION = 3
"""Bump when the voiceover, alignment or composition logic changes what it produces."""
SCORE_RATE = 48_000
ALIGN_MARGIN_SECONDS = 0.15
"""Audio kept either side of a line when aligning it (its neighbours are further away)."""


@dataclass(frozen=True)
class Output:
    """One stored artifact of the stage and where it came from."""

    name: str
    key: str
    path: str
    duration: float
    provider: str
    cost_usd: float | None = None


async def on_script_completed(event: Event, ctx: StageContext) -> None:
    job = await ctx.job(event.job_id)
    await ctx.stage_started(job, STAGE)
    script = await ctx.load_artifact(job.id, SCRIPT, Script)
    providers = ctx.providers

    voiceover_fp = fingerprint(AUDIO_VERSION, "voiceover", script.narration, script.target_duration,
                               job.settings.voice, identity_of(providers.tts))
    audio, layout, voiceover = await _voiceover(ctx, job, script, voiceover_fp)
    _release(providers.tts)
    plan = build_score_plan(script, layout, job.settings.seed)
    async with asyncio.TaskGroup() as group:
        words_task = group.create_task(
            _words(ctx, job, script, layout, audio, voiceover.key, voiceover_fp))
        score_task = group.create_task(_score(ctx, job, plan))
    outputs = (voiceover, words_task.result(), score_task.result())

    for output in outputs:
        await ctx.record_made(job.id, output.name, output.key, STAGE, provider=output.provider,
                              cost_usd=output.cost_usd, duration=output.duration,
                              path=output.path)
    await ctx.stage_completed(job.id, STAGE)
    await ctx.publish(event.follow(AUDIO_COMPLETED))


service = stage_service(STAGE, {"audio": on_script_completed})


def _release(provider: TTS | Aligner) -> None:
    """Local models are dropped once their part is done (the voice once the voiceover is
    spoken, the decoders once the words are aligned): they would otherwise stay loaded while
    this process renders frames and clips, and loading one again costs about a second."""
    if isinstance(provider, HoldsModels):
        provider.release_models()
    release_memory()


def _spent(calls: CallLog) -> float | None:
    return calls.cost_usd or None


# --------------------------------------------------------------------------- voiceover


async def _voiceover(
    ctx: StageContext, job: Job, script: Script, voiceover_fp: str
) -> tuple[Audio | None, VoiceoverLayout, Output]:
    """The stored voiceover's layout (its audio is loaded later, only if needed), or a newly
    spoken voiceover and its layout."""
    key = output_key(job.id, STAGE, "voiceover.wav", voiceover_fp)
    layout_key = voiceover_layout_key(key)
    if await ctx.reuse(job, STAGE, key) and await ctx.reuse(job, STAGE, layout_key):
        layout = await ctx.load(layout_key, VoiceoverLayout)
        return None, layout, Output("voiceover", key, "voiceover.wav", layout.duration,
                                    layout.tts)

    lines: list[SpokenLine] = []
    for line in script.narration:
        spent = sum(spoken.cost_usd for spoken in lines)
        lines.append(await _spoken_line(ctx, job, line, spent))
    target = script.target_duration - END_CARD_SECONDS
    audio, layout = build_voiceover(script.narration, [line.speech for line in lines],
                                    _speaker(lines), job.settings.voice, target)
    await ctx.blobs.put(key, await asyncio.to_thread(pcm.wav_bytes, audio), "audio/wav")
    await ctx.store(layout_key, layout)  # written last: its presence marks the pair complete
    fresh = [line for line in lines if line.fresh]
    log.info("voiceover_written", job=job.id, lines=len(layout.lines), spoken=len(fresh),
             seconds=round(layout.duration, 2), tts=layout.tts)
    cost = round(sum(line.cost_usd for line in fresh), 6) or None
    return audio, layout, Output("voiceover", key, "voiceover.wav", layout.duration,
                                 layout.tts, cost)


@dataclass(frozen=True)
class SpokenLine:
    """A narration line's speech, the provider that spoke it and what speaking it cost now
    (nothing when it was read back from an earlier run)."""

    speech: Speech
    tts: str
    fresh: bool
    cost_usd: float = 0.0


async def _spoken_line(
    ctx: StageContext, job: Job, line: NarrationLine, spent_usd: float
) -> SpokenLine:
    """The line's stored speech when its words, marks, voice and TTS are unchanged; else
    the line spoken now (`spent_usd` on earlier lines counting against the budget) and
    stored at once, so that a later failure does not lose it."""
    tts, voice = ctx.providers.tts, job.settings.voice
    line_fp = fingerprint(AUDIO_VERSION, "line", line.text, line.marked, voice, identity_of(tts))
    wav_key = output_key(job.id, STAGE, "line.wav", line_fp)
    timings_key = output_key(job.id, STAGE, "line.json", line_fp)
    if await ctx.reuse(job, STAGE, timings_key) and await ctx.blobs.exists(wav_key):
        reused = await _stored_line(ctx, wav_key, timings_key)
        if reused is not None:
            return reused
        log.warning("line_speech_unreadable", job=job.id, line=line.index, key=wav_key,
                    action="speaking it again")

    async def before_call() -> None:
        await ctx.check_cancelled(job.id)

    with track_calls(Budget.of_job(job, spent_usd)) as calls:
        spoken = await speak_line(tts, line, voice, before_call)
    stored = await asyncio.to_thread(line_speech.encode, spoken, calls.provider or tts.name)
    await ctx.blobs.put(wav_key, stored.wav, "audio/wav")
    await ctx.store(timings_key, stored.timings)  # written last: it marks the pair complete
    return SpokenLine(stored.speech, stored.timings.tts, fresh=True, cost_usd=calls.cost_usd)


async def _stored_line(ctx: StageContext, wav_key: str, timings_key: str) -> SpokenLine | None:
    timings = line_speech.decode_json(await ctx.blobs.get(timings_key), line_speech.LineTimings)
    if timings is None:
        return None
    speech = await asyncio.to_thread(line_speech.decode, await ctx.blobs.get(wav_key), timings)
    return None if speech is None else SpokenLine(speech, timings.tts, fresh=False)


def _speaker(lines: list[SpokenLine]) -> str:
    """The voiceover's provider: the one that answered last now, else (nothing spoken now)
    the one that spoke the last line before."""
    fresh = [line for line in lines if line.fresh]
    return (fresh or lines)[-1].tts


# --------------------------------------------------------------------------- words


async def _words(
    ctx: StageContext, job: Job, script: Script, layout: VoiceoverLayout,
    audio: Audio | None, voiceover_key: str, voiceover_fp: str,
) -> Output:
    aligner = ctx.providers.aligner
    key = output_key(job.id, STAGE, "words.json",
                     fingerprint(AUDIO_VERSION, "words", voiceover_fp, identity_of(aligner)))
    if await ctx.reuse(job, STAGE, key):
        stored = await ctx.load(key, WordTimings)
        return Output("words", key, "words.json", stored.duration, stored.aligner)
    if audio is None:
        audio = pcm.read_wav(await ctx.blobs.get(voiceover_key))
    text_of = {line.index: line.text for line in script.narration}
    checked: list[CheckedLine] = []
    aligned_lines: list[AlignedLine] = []
    with track_calls(Budget.of_job(job)) as calls:
        for placed in layout.lines:
            first, last = _window(placed, audio)
            clip = Audio(samples=audio.samples[first:last], rate=audio.rate)
            aligned = await _aligned_line(ctx, job, clip, text_of[placed.index], calls)
            window = (first / audio.rate, last / audio.rate)
            in_voiceover = [w.model_copy(update={"start": w.start + window[0],
                                                 "end": w.end + window[0]})
                            for w in aligned.words]
            line = cross_check(placed.index, spoken_tokens(text_of[placed.index]),
                               placed.tts_words, in_voiceover, window)
            if line.lost:
                log.warning("aligner_lost_words", job=job.id, line=placed.index,
                            words=line.lost, fallback="tts timing")
            checked.append(line)
            aligned_lines.append(aligned)
    _release(aligner)
    fresh = any(line.fresh for line in aligned_lines)
    provider = (calls.provider or aligner.name) if fresh else aligned_lines[-1].aligner
    timings = _word_timings(layout, checked, provider)
    await _report_alignment(ctx, job, timings, checked)
    await ctx.store(key, timings)
    return Output("words", key, "words.json", timings.duration, timings.aligner, _spent(calls))


def _window(placed: PlacedLine, audio: Audio) -> tuple[int, int]:
    """The line's samples with ALIGN_MARGIN_SECONDS of the voiceover either side, counted
    from the sample `build_voiceover` put its start at: a line that only moved gives the
    same samples, so its stored alignment is found again."""
    start = round(placed.start * audio.rate)
    length = round((placed.end - placed.start) * audio.rate)
    margin = round(ALIGN_MARGIN_SECONDS * audio.rate)
    return max(0, start - margin), min(len(audio.samples), start + length + margin)


@dataclass(frozen=True)
class AlignedLine:
    """The aligner's words for a line's clip (in the clip's time), which aligner answered,
    and whether it was asked now."""

    words: list[Word]
    aligner: str
    fresh: bool


async def _aligned_line(
    ctx: StageContext, job: Job, clip: Audio, text: str, calls: CallLog
) -> AlignedLine:
    """The stored alignment when this clip and text were aligned before by the same
    aligner, else the clip aligned now (its call recorded in `calls`) and stored."""
    aligner = ctx.providers.aligner
    key = output_key(job.id, STAGE, "aligned.json",
                     fingerprint(AUDIO_VERSION, "aligned", clip.samples.tobytes(), clip.rate,
                                 text, identity_of(aligner)))
    if await ctx.reuse(job, STAGE, key):
        stored = line_speech.decode_json(await ctx.blobs.get(key), line_speech.LineAlignment)
        if stored is not None:
            return AlignedLine(stored.words, stored.aligner, fresh=False)
        log.warning("line_alignment_unreadable", job=job.id, key=key, action="aligning again")
    await ctx.check_cancelled(job.id)
    words = await aligner.align(clip, text)
    answered = calls.provider or aligner.name
    await ctx.store(key, line_speech.LineAlignment(aligner=answered, words=words))
    return AlignedLine(words, answered, fresh=True)


def _word_timings(layout: VoiceoverLayout, lines: list[CheckedLine], aligner: str) -> WordTimings:
    mean, worst = summarize([d for line in lines for d in line.disagreements])
    return WordTimings(
        duration=layout.duration,
        aligner=aligner,
        words=[w for line in lines for w in line.words],
        mean_disagreement=None if mean is None else round(mean, 4),
        max_disagreement=None if worst is None else round(worst, 4),
    )


async def _report_alignment(
    ctx: StageContext, job: Job, timings: WordTimings, lines: list[CheckedLine]
) -> None:
    lost = sum(len(line.lost) for line in lines)
    message = (
        f"aligned {len(timings.words) - lost}/{len(timings.words)} words with "
        f"{timings.aligner}; mean/max disagreement with the TTS "
        f"{timings.mean_disagreement}/{timings.max_disagreement} s"
    )
    if lost:
        message += f"; {lost} word(s) use the TTS timing"
    log.info("words_aligned", job=job.id, words=len(timings.words), lost=lost,
             mean_disagreement=timings.mean_disagreement,
             max_disagreement=timings.max_disagreement)
    await ctx.progress(job.id, STAGE, "info", message)


# --------------------------------------------------------------------------- score


async def _score(ctx: StageContext, job: Job, plan: ScorePlan) -> Output:
    music = ctx.providers.music
    key = output_key(job.id, STAGE, "score.wav",
                     fingerprint(AUDIO_VERSION, "score", plan, identity_of(music)))
    if await ctx.reuse(job, STAGE, key):
        return Output("score", key, "score.wav", plan.duration, music.name)
    await ctx.check_cancelled(job.id)
    with track_calls(Budget.of_job(job)) as calls:
        wav = await _score_wav(music, plan)
    await ctx.blobs.put(key, wav, "audio/wav")
    del wav
    release_memory()  # the synthesiser's soundfont and the cue's buffers, freed by now
    log.info("score_written", job=job.id, genre=plan.genre, mood=plan.mood,
             tempo=plan.tempo_bpm, seconds=plan.duration, music=calls.provider or music.name)
    return Output("score", key, "score.wav", plan.duration, calls.provider or music.name,
                  _spent(calls))


async def _score_wav(music: Music, plan: ScorePlan) -> bytes:
    composed = await music.compose(plan)
    # a remote model may answer in another format or length: the cue must fit the trailer
    score = await asyncio.to_thread(pcm.conform, composed, SCORE_RATE, 2, plan.duration)
    return await asyncio.to_thread(pcm.wav_bytes, score)
