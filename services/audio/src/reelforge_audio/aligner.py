"""Local forced alignment: PocketSphinx 5 aligns a transcript to speech, word by word.

The audio is resampled to 16 kHz mono and padded with a little silence (the acoustic model
wants silence to start and end in); `Decoder.set_align_text` turns the transcript into a
strict grammar and the decoder's segmentation gives each word's frames (10 ms).

Words missing from the CMU dictionary get a pronunciation by letter-to-sound: eSpeak NG's
IPA for the word, mapped to ARPAbet and added to the decoder's dictionary. A word that
still has no pronunciation (nothing eSpeak says maps to a phone) is left out of the
grammar and out of the result, as is every word when the decoder finds no path at all even
with wide beams: the caller (the audio service) then uses the TTS's timing for it. Long
audio is best aligned line by line, which the audio service does.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass

import numpy as np
import structlog
from pocketsphinx import Decoder
from reelforge.models import Word
from reelforge.providers import Aligner, Audio
from reelforge.settings import Settings

from reelforge_audio import pcm
from reelforge_audio.arpabet import ipa_to_arpabet
from reelforge_audio.espeak import espeak
from reelforge_audio.words import Token, spoken_tokens

log = structlog.get_logger(__name__)

SAMPLE_RATE = 16_000
FRAMES_PER_SECOND = 100
PADDING_SECONDS = 0.2
WIDE_BEAMS = {"beam": 1e-80, "wbeam": 1e-60, "pbeam": 1e-80}
"""Retried with these when the default beams prune every path through the grammar."""
LETTER_TO_SOUND_VOICE = "en-us"
DITHER_LEVEL = 3e-4
DITHER_SEED = 16_000
_ALTERNATE_PRONUNCIATION = re.compile(r"\(\d+\)$")


def create_local_aligner(settings: Settings) -> Aligner:
    """Entry point `aligner.local`."""
    return PocketsphinxAligner()


@dataclass(frozen=True)
class _Segment:
    word: str
    start: float
    end: float


class PocketsphinxAligner:
    """Forced alignment with PocketSphinx's bundled en-us acoustic model and CMU dictionary."""

    name = "pocketsphinx:en-us"

    def __init__(self) -> None:
        self._decoders: dict[str, Decoder] = {}
        self._lock = threading.Lock()
        self._pronunciations: dict[str, str | None] = {}

    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        return await asyncio.to_thread(self._align, audio, transcript)

    def loaded_decoders(self) -> list[str]:
        """The beam settings whose decoders are held in memory."""
        with self._lock:
            return list(self._decoders)

    def release_models(self) -> None:
        """Drop the decoders (each holds the acoustic model and the CMU dictionary, about
        25 MB); the next alignment loads them again (about 0.2 s). The audio stage calls this
        once the words are aligned, so they are not held while the trailer renders."""
        with self._lock:
            self._decoders.clear()

    def _align(self, audio: Audio, transcript: str) -> list[Word]:
        tokens = spoken_tokens(transcript)
        if not tokens or audio.duration == 0:
            return []
        speech = _prepare_pcm(audio)
        with self._lock:
            for beams in ("default", "wide"):
                decoder = self._decoder(beams)
                entries = [(t, self._dictionary_word(decoder, t)) for t in tokens]
                known = [(t, word) for t, word in entries if word is not None]
                segments = _decode(decoder, speech, " ".join(word for _, word in known))
                if segments is not None:
                    break
            else:
                log.warning("alignment_failed", transcript=transcript[:80])
                return []
        skipped = [t.text for t, word in entries if word is None]
        if skipped:
            log.warning("alignment_words_skipped", words=skipped)
        return _words_from_segments(known, segments, audio.duration)

    def _decoder(self, beams: str) -> Decoder:
        if beams not in self._decoders:
            options = WIDE_BEAMS if beams == "wide" else {}
            self._decoders[beams] = Decoder(
                samprate=SAMPLE_RATE, lm=None, loglevel="FATAL", **options
            )
        return self._decoders[beams]

    def _dictionary_word(self, decoder: Decoder, token: Token) -> str | None:
        """The dictionary entry for a token, adding a letter-to-sound one when missing."""
        key = token.key
        if not key:
            return None
        if decoder.lookup_word(key) is not None:
            return key
        if key not in self._pronunciations:
            phones = ipa_to_arpabet(espeak().phonemes(key, LETTER_TO_SOUND_VOICE))
            self._pronunciations[key] = " ".join(phones) or None
            log.info("letter_to_sound", word=key, phones=self._pronunciations[key])
        pronunciation = self._pronunciations[key]
        if pronunciation is None:
            return None
        decoder.add_word(key, pronunciation, True)
        return key


def _prepare_pcm(audio: Audio) -> bytes:
    """16 kHz 16-bit mono, padded with silence and dithered.

    Digital silence (exact zeros, as eSpeak and the padding produce) gives the feature
    extractor log-energies of minus infinity, after which no path survives the search; a
    seeded noise floor at about -70 dBFS keeps the result deterministic and the search sane.
    """
    mono = pcm.resample(pcm.to_mono(audio.samples), audio.rate, SAMPLE_RATE)
    pad = np.zeros(int(PADDING_SECONDS * SAMPLE_RATE), dtype=np.float32)
    padded = pcm.peak_normalize(np.concatenate([pad, mono, pad]), -3.0)
    noise = np.random.default_rng(DITHER_SEED).normal(0.0, DITHER_LEVEL, len(padded))
    return pcm.int16_bytes(padded + noise.astype(np.float32))


def _decode(decoder: Decoder, speech: bytes, text: str) -> list[_Segment] | None:
    """Word segments (fillers and silences removed), or None when no path survived."""
    if not text:
        return []
    decoder.set_align_text(text)
    decoder.start_utt()
    decoder.process_raw(speech, full_utt=True)
    decoder.end_utt()
    segments = decoder.seg()
    if segments is None:
        return None
    return [
        _Segment(
            _ALTERNATE_PRONUNCIATION.sub("", s.word),
            s.start_frame / FRAMES_PER_SECOND - PADDING_SECONDS,
            (s.end_frame + 1) / FRAMES_PER_SECOND - PADDING_SECONDS,
        )
        for s in segments
        if not s.word.startswith(("<", "["))
    ]


def _words_from_segments(
    known: list[tuple[Token, str]], segments: list[_Segment], duration: float
) -> list[Word]:
    """Pair segments with the transcript words they were aligned for, in order."""
    words: list[Word] = []
    remaining = iter(segments)
    for token, entry in known:
        segment = next((s for s in remaining if s.word == entry), None)
        if segment is None:
            break
        start = min(max(segment.start, 0.0), duration)
        end = min(max(segment.end, start), duration)
        words.append(Word(text=token.text, start=start, end=end, line=0))
    return words
