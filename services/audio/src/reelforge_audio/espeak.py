"""eSpeak NG through ctypes, from the library and data that espeakng-loader ships.

libespeak-ng keeps global state (one voice, one synth callback), so one process-wide
instance serialises every call behind a lock. It gives two things this package needs:
synthesis with word events (the fallback TTS) and IPA phonemes (the aligner's
letter-to-sound for words its dictionary lacks).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from functools import cache

import espeakng_loader
import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PHONEMES_IPA = 0x02
_PHONEME_SEPARATOR = "_"


class EspeakError(RuntimeError):
    pass


class _Event(ctypes.Structure):
    """espeak_EVENT from speak_lib.h."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class WordEvent:
    """eSpeak says a word starts at `sample`; `position` is its 0-based character offset."""

    position: int
    length: int
    sample: int


@dataclass
class Utterance:
    samples: np.ndarray  # float32 mono
    rate: int
    words: list[WordEvent]


class Espeak:
    """The process's libespeak-ng. Use `espeak()` to get it."""

    def __init__(self) -> None:
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._declare_signatures()
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._events: list[WordEvent] = []
        self._callback = _SynthCallback(self._on_synth)  # kept alive with the instance
        self.rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if self.rate <= 0:
            raise EspeakError("espeak_Initialize failed")
        self._lib.espeak_SetSynthCallback(self._callback)

    def synthesize(self, text: str, voice: str, words_per_minute: int, pitch: int) -> Utterance:
        """Speak `text` with `voice`; samples and the engine's word events."""
        encoded = text.encode("utf-8")
        with self._lock:
            self._select_voice(voice)
            self._lib.espeak_SetParameter(_PARAM_RATE, words_per_minute, 0)
            self._lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
            self._chunks, self._events = [], []
            status = self._lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if status != 0:
                raise EspeakError(f"espeak_Synth failed with status {status}")
            chunks, events = self._chunks, self._events
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return Utterance(samples.astype(np.float32) / 32768.0, self.rate, events)

    def phonemes(self, text: str, voice: str) -> list[str]:
        """IPA phonemes of `text` (stress marks kept on the phoneme they precede)."""
        mode = _PHONEMES_IPA | (ord(_PHONEME_SEPARATOR) << 8)
        pointer = ctypes.c_char_p(text.encode("utf-8"))
        phonemes: list[str] = []
        with self._lock:
            self._select_voice(voice)
            while pointer.value:
                clause = self._lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, mode)
                if not clause:
                    break
                for word in clause.decode("utf-8").split():
                    phonemes += [p for p in word.split(_PHONEME_SEPARATOR) if p]
        return phonemes

    def has_voice(self, voice: str) -> bool:
        with self._lock:
            return self._lib.espeak_SetVoiceByName(voice.encode()) == 0

    # ---------------------------------------------------------------- internals

    def _select_voice(self, voice: str) -> None:
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EspeakError(f"eSpeak NG has no voice named {voice!r}")

    def _on_synth(self, wav: ctypes._Pointer, count: int, events: ctypes._Pointer) -> int:
        """Called by espeak_Synth, on the synthesising thread, for each block of audio."""
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_WORD:
                self._events.append(
                    WordEvent(event.text_position - 1, event.length, event.sample)
                )
            index += 1
        return 0

    def _declare_signatures(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p


_create_lock = threading.Lock()


@cache
def _create() -> Espeak:
    return Espeak()


def espeak() -> Espeak:
    """The process-wide eSpeak NG (initialised once, on first use, by one thread)."""
    with _create_lock:
        return _create()
