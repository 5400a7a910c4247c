"""The pure mapping pieces: phonemes -> written words, IPA -> ARPAbet, engine words ->
script words, the aligner/TTS cross-check and `marked` pauses."""

from __future__ import annotations

from reelforge.models import NarrationLine, Word
from reelforge_audio.arpabet import ipa_to_arpabet
from reelforge_audio.phoneme_timing import reference_phones, timed_phones, word_spans
from reelforge_audio.timing import cross_check, fill_missing, match_to_tokens, summarize
from reelforge_audio.voiceover import pause_segments
from reelforge_audio.words import normalize_word, spoken_tokens

LEXICON = {"on": ["ɔ", "n"], "the": ["ð", "ə"], "edge": ["ˈ", "ɛ", "d", "ʒ"],
           "1999": [*list("naɪntiːn"), " ", *list("naɪnti"), " ", *list("naɪn")],
           "now": ["n", "ˈ", "a", "ʊ"]}


def phonemize(word: str) -> list[str]:
    return LEXICON[word]


def test_joined_words_are_split_back_at_the_right_phoneme() -> None:
    # eSpeak joins "on the" into one phoneme word, reducing "ə" to "ɪ"; 10 samples each
    symbols = ["^", "ɔ", "n", "ð", "ɪ", "ʲ", " ", "ˈ", "ɛ", "d", "ʒ", ".", "$"]
    phones = timed_phones(symbols, [10] * len(symbols))
    spans = word_spans(phones, reference_phones(["on", "the", "edge"], phonemize), 3)
    assert [(s.start, s.end) for s in spans] == [(10, 30), (30, 60), (70, 110)]


def test_a_number_spoken_as_several_words_stays_one_word() -> None:
    symbols = ["^", *"naɪntiːn", " ", *"naɪnti", " ", *"naɪn", " ", "n", "ˈ", "a", "ʊ", "$"]
    phones = timed_phones(symbols, [5] * len(symbols))
    spans = word_spans(phones, reference_phones(["1999", "now"], phonemize), 2)
    assert spans[0].start == 5 and spans[1].start > spans[0].end
    assert spans[1].end == 5 * (len(symbols) - 1)


def test_ipa_maps_to_the_acoustic_models_phones() -> None:
    assert ipa_to_arpabet(["ɹ", "ˈiː", "l", "f", "ɔːɹ", "dʒ"]) == ["R", "IY", "L", "F", "AO",
                                                                      "R", "JH"]
    assert ipa_to_arpabet(["b", "ˈʌ", "ʔ", "n̩"]) == ["B", "AH", "T", "AH", "N"]
    assert ipa_to_arpabet(["tʃ", "ˈaɪɚ"]) == ["CH", "AY", "ER"]


def test_tokens_keep_punctuation_and_skip_pure_punctuation() -> None:
    tokens = spoken_tokens("Run — now!  It's “over”...")
    assert [t.text for t in tokens] == ["Run", "now!", "It's", "“over”..."]
    assert [t.key for t in tokens] == ["run", "now", "it's", "over"]
    assert normalize_word("Quill’s,") == "quill's"


def test_engine_words_match_script_words_by_text_not_position() -> None:
    tokens = spoken_tokens("Dr. Quill waits, alone.")
    engine = [Word(text="doctor", start=0.0, end=0.4, line=0),
              Word(text="quill", start=0.5, end=0.8, line=0),
              Word(text="alone", start=1.5, end=2.0, line=0)]
    matched = match_to_tokens(tokens, engine)
    assert matched[1] is engine[1] and matched[2] is None and matched[3] is engine[2]
    spans = fill_missing(tokens, matched, 0.0, 2.0)
    assert spans[2] == (0.8, 1.5)  # the lost word fills the gap it left


def test_cross_check_prefers_the_aligner_and_reports_what_it_lost() -> None:
    tokens = spoken_tokens("one two three")
    tts = [Word(text=t.text, start=1.0 + i, end=1.5 + i, line=7, tts_start=None)
           for i, t in enumerate(tokens)]
    aligned = [Word(text="one", start=1.05, end=1.5, line=0),
               Word(text="three", start=3.2, end=3.6, line=0)]
    checked = cross_check(7, tokens, tts, aligned, (0.8, 3.8))
    assert [w.start for w in checked.words] == [1.05, 2.0, 3.2]
    assert [w.tts_start for w in checked.words] == [1.0, 2.0, 3.0]
    assert checked.lost == ["two"]
    mean, worst = summarize(checked.disagreements)
    assert mean is not None and worst is not None
    assert round(mean, 3) == 0.125 and round(worst, 3) == 0.2


def test_aligner_words_outside_the_line_window_are_not_trusted() -> None:
    tokens = spoken_tokens("far away")
    tts = [Word(text="far", start=5.0, end=5.3, line=0),
           Word(text="away", start=5.3, end=5.8, line=0)]
    aligned = [Word(text="far", start=0.1, end=0.3, line=0),
               Word(text="away", start=5.35, end=5.8, line=0)]
    checked = cross_check(0, tokens, tts, aligned, (4.8, 6.0))
    assert checked.lost == ["far"] and checked.words[0].start == 5.0


def test_marked_dots_become_pauses_only_when_the_words_agree() -> None:
    line = NarrationLine(index=0, act="setup", text="Some doors should stay closed.",
                         marked="Some doors... should stay *closed*.")
    assert pause_segments(line) == ["Some doors", "should stay closed."]
    drifted = line.model_copy(update={"marked": "Some doors... must stay closed."})
    assert pause_segments(drifted) == ["Some doors should stay closed."]
