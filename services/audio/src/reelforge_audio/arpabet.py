"""eSpeak NG's en-us IPA to CMU ARPAbet: letter-to-sound for words the CMU dictionary lacks.

PocketSphinx's acoustic model knows the 39 ARPAbet phones of the CMU dictionary; eSpeak
knows how to pronounce almost anything (names, numbers, coinages). Mapping one onto the
other gives the aligner a pronunciation for every word.
"""

from __future__ import annotations

from collections.abc import Sequence

IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # vowels and diphthongs (longest forms first in lookups, see `_longest_prefix`)
    "ɑː": ("AA",), "ɑ": ("AA",), "ɒ": ("AA",), "a": ("AA",), "æ": ("AE",),
    "ʌ": ("AH",), "ə": ("AH",), "ɐ": ("AH",), "ɔː": ("AO",), "ɔ": ("AO",),
    "aʊ": ("AW",), "aɪ": ("AY",), "ɛ": ("EH",), "e": ("EH",), "ɜː": ("ER",), "ɜ": ("ER",),
    "ɚ": ("ER",), "eɪ": ("EY",), "ɪ": ("IH",), "ᵻ": ("IH",), "iː": ("IY",), "i": ("IY",),
    "oʊ": ("OW",), "o": ("OW",), "ɔɪ": ("OY",), "ʊ": ("UH",), "uː": ("UW",), "u": ("UW",),
    "ɑːɹ": ("AA", "R"), "ɔːɹ": ("AO", "R"), "ɔɹ": ("AO", "R"), "ɛɹ": ("EH", "R"),
    "ɪɹ": ("IH", "R"), "ʊɹ": ("UH", "R"), "aɪɚ": ("AY", "ER"), "aɪə": ("AY", "AH"),
    "aʊɚ": ("AW", "ER"), "iə": ("IY", "AH"), "əl": ("AH", "L"), "oːɹ": ("AO", "R"),
    # consonants
    "b": ("B",), "tʃ": ("CH",), "d": ("D",), "ð": ("DH",), "f": ("F",), "ɡ": ("G",),
    "g": ("G",), "h": ("HH",), "dʒ": ("JH",), "k": ("K",), "l": ("L",), "ɫ": ("L",),
    "m": ("M",), "n": ("N",), "ŋ": ("NG",), "p": ("P",), "ɹ": ("R",), "r": ("R",),
    "s": ("S",), "ʃ": ("SH",), "t": ("T",), "θ": ("TH",), "v": ("V",), "w": ("W",),
    "ʍ": ("W",), "j": ("Y",), "z": ("Z",), "ʒ": ("ZH",), "ɾ": ("T",), "ʔ": ("T",),
    "x": ("K",), "n̩": ("AH", "N"), "l̩": ("AH", "L"), "m̩": ("AH", "M"),
}
_IGNORED = frozenset("ˈˌˑʲʰ-")
_LONGEST_KEY = max(len(k) for k in IPA_TO_ARPABET)


def ipa_to_arpabet(phonemes: Sequence[str]) -> list[str]:
    """ARPAbet phones for eSpeak IPA phonemes; symbols with no counterpart are dropped."""
    phones: list[str] = []
    for phoneme in phonemes:
        phones += _convert(phoneme.strip("".join(_IGNORED)))
    return phones


def _convert(phoneme: str) -> list[str]:
    """Greedy longest-match, so "aɪɚ" maps as one unit but unknown clusters still split."""
    phones: list[str] = []
    position = 0
    while position < len(phoneme):
        if phoneme[position] in _IGNORED:
            position += 1
            continue
        for size in range(min(_LONGEST_KEY, len(phoneme) - position), 0, -1):
            piece = phoneme[position:position + size]
            if piece in IPA_TO_ARPABET:
                phones += IPA_TO_ARPABET[piece]
                position += size
                break
        else:
            position += 1  # a symbol the acoustic model has no phone for
    return phones
