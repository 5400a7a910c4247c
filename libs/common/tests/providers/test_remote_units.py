"""Pure helpers of the remote layer: strict schemas, word mapping, text splitting, markup,
costs, prompts and settings."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from provider_fakes.llm_answers import strict_problems
from reelforge.models import (
    ActPlan,
    Narration,
    SceneList,
    ShotPlan,
    StoryPatterns,
    VisualBible,
)
from reelforge.providers import costs
from reelforge.providers.base import BudgetExceeded
from reelforge.providers.calls import Budget, charge, check_budget, track_calls
from reelforge.providers.prompts import load_prompt
from reelforge.providers.remote.http import ApiClient, HttpPolicy
from reelforge.providers.remote.policy import soften
from reelforge.providers.remote.schema import (
    ANSWER_TOKENS_CEILING,
    ANSWER_TOKENS_FLOOR,
    UNBOUNDED_ITEMS,
    StrictSchema,
    answer_chars,
    strict_schema,
)
from reelforge.providers.remote.speech import (
    Timed,
    for_elevenlabs,
    map_words,
    plain,
    split_text,
    transcript_words,
    words_from_characters,
)
from reelforge.settings import Settings

TASK_SCHEMAS = [StoryPatterns, SceneList, ActPlan, Narration, VisualBible, ShotPlan]


@pytest.mark.parametrize("model", TASK_SCHEMAS, ids=lambda m: m.__name__)
def test_task_schemas_are_strict_compatible(model: type) -> None:
    strict = strict_schema(model)
    assert strict_problems(strict.schema) == []
    assert "$ref" not in json.dumps(strict.schema) and "default" not in json.dumps(strict.schema)


def test_strict_decoding_restores_dicts_and_tuples() -> None:
    strict = strict_schema(VisualBible)
    wire = {"style": "noir", "characters": [{"key": "ada", "value": "tall"}],
            "locations": [{"key": "sq", "value": "wet"}]}
    bible = VisualBible.model_validate(strict.decode(wire))
    assert bible.characters == {"ada": "tall"} and bible.locations == {"sq": "wet"}
    shot = strict_schema(ShotPlan)
    focus = shot.schema["properties"]["focus"]
    assert focus["type"] == "array" and focus["minItems"] == focus["maxItems"] == 2


def test_the_answer_bound_counts_every_list_and_string_at_its_longest() -> None:
    line = {"type": "object", "properties": {"text": {"type": "string", "maxLength": 90},
                                             "act": {"enum": ["setup", "escalation"]}}}
    # {"text": <92>, "act": "escalation"} compact: 2 + (4 + 4 + 92) + (3 + 4 + 12)
    assert answer_chars(line) == 121
    lines = {"type": "array", "items": line, "maxItems": 10}
    assert answer_chars(lines) == 2 + 10 * 122
    assert answer_chars({"type": "array", "items": line}) == 2 + UNBOUNDED_ITEMS * 122
    assert answer_chars({"anyOf": [line, {"type": "null"}]}) == 121


def test_the_token_bound_has_a_floor_and_a_ceiling() -> None:
    def bound(items: int) -> int:
        schema = {"type": "object", "properties": {"lines": {
            "type": "array", "maxItems": items, "items": {"type": "string", "maxLength": 300}}}}
        return StrictSchema("A", schema, lambda value: value).max_tokens

    assert bound(1) == ANSWER_TOKENS_FLOOR
    assert ANSWER_TOKENS_FLOOR < bound(20) < bound(40) < ANSWER_TOKENS_CEILING
    assert bound(1000) == ANSWER_TOKENS_CEILING


def test_map_words_handles_numbers_gaps_and_extras() -> None:
    words = ["In", "1999,", "the", "sea", "rose."]
    heard = [Timed("in", 0.1, 0.2), Timed("nineteen", 0.3, 0.6), Timed("ninety", 0.6, 0.8),
             Timed("nine", 0.8, 1.0), Timed("uh", 1.05, 1.1), Timed("sea", 1.4, 1.6),
             Timed("rose", 1.7, 2.0)]
    timed = map_words(words, heard, duration=2.5)
    assert [w.text for w in timed] == words
    assert (timed[0].start, timed[3].start, timed[4].end) == (0.1, 1.4, 2.0)
    assert 0.3 <= timed[1].start < timed[1].end <= 1.1  # the spoken number's span
    assert timed[1].end <= timed[2].start <= timed[3].start  # "the" was not heard
    assert all(a.start <= b.start for a, b in itertools.pairwise(timed))


def test_map_words_without_any_match_spreads_over_the_audio() -> None:
    timed = map_words(["alpha", "beta"], [], duration=2.0)
    assert (timed[0].start, timed[1].end) == (0.0, 2.0)


def test_words_from_characters_skip_tags_and_punctuation_time() -> None:
    text = 'Go... <break time="0.5s" /> now [pause] sir.'
    starts = [i * 0.1 for i in range(len(text))]
    ends = [s + 0.1 for s in starts]
    words = words_from_characters(list(text), starts, ends)
    assert [w.text for w in words] == ["Go...", "now", "sir."]
    assert words[0].end == pytest.approx(0.2)  # ends with "o", not the dots


def test_markup_and_splitting() -> None:
    marked = "Nothing... is *safe*."
    assert plain(marked) == "Nothing... is safe."
    assert for_elevenlabs(marked, "eleven_v3") == "Nothing [pause] is SAFE."
    assert for_elevenlabs(marked, "eleven_flash_v2_5") == \
        'Nothing... <break time="0.5s" /> is safe.'
    assert transcript_words("— In a *world*... —") == ["In", "a", "world..."]
    text = "One two three. Four five six seven. Eight."
    chunks = split_text(text, 20)
    assert all(len(c) <= 20 for c in chunks) and " ".join(chunks) == text
    assert split_text("a" * 5 + " " + "b" * 5, 7) == ["aaaaa", "bbbbb"]


def test_soften() -> None:
    softer = soften("A bloody knife and a corpse in the gore")
    assert not any(w in softer.lower() for w in ("bloody", "knife", "corpse", "gore"))
    assert "implied" in softer


def test_costs_are_estimates_by_model() -> None:
    assert costs.llm_usd("gpt-4o-mini", 1_000_000, 0, self_hosted=False) == pytest.approx(0.15)
    assert costs.llm_usd("openai/gpt-4o-mini", 0, 1_000_000, self_hosted=False) == 0.60
    assert costs.llm_usd("llama3.1:8b", 10**6, 10**6, self_hosted=True) == 0.0
    assert costs.tts_usd("elevenlabs", "eleven_flash_v2_5", 1000) == pytest.approx(0.05)
    assert costs.openai_image_usd("medium", "1536x1024") == 0.063
    assert costs.image_usd("fal", "fal-ai/flux/dev", 1920, 1080) == pytest.approx(0.075)
    assert costs.image_usd("replicate", "acme/unknown:abc", 10, 10) == costs.IMAGE_DEFAULT
    five_720p = costs.seedance_usd("seedance-1-0-pro-250528", 1280 * 720, 24, 5)
    assert five_720p == pytest.approx(0.27, abs=0.01)
    assert costs.video_usd("fal", "fal-ai/kling-video/v2.1/standard/image-to-video", 5) == 0.25


def test_budget_check_and_charges() -> None:
    check_budget("x", 100.0, "anything")  # no scope: no budget
    with track_calls(Budget(limit_usd=1.0, spent_usd=0.5)) as calls:
        check_budget("x", 0.4, "a call")
        charge("x", "m", 0.4, "a call")
        with pytest.raises(BudgetExceeded, match="budget of"):
            check_budget("x", 0.2, "another call")
    assert calls.cost_usd == 0.4
    with track_calls(Budget(limit_usd=None)):
        check_budget("x", 1e9, "unbounded")


def test_prompts_have_both_parts_and_embed_the_context() -> None:
    for task in ("idea", "patterns", "scenes", "acts", "narration", "bible", "shot"):
        prompt = load_prompt(task)
        system, user = prompt.render({"k": "välue"}, {"type": "object"})
        assert system and '"k": "välue"' in user and '{"type":"object"}' in user
    with pytest.raises(LookupError):
        load_prompt("nope")


def test_settings_read_conventional_names_and_a_secrets_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("OPENAI_API_KEY=sk-from-file-123\nFAL_KEY=fal-file:1\n"
                       "REELFORGE_LLM_MODEL=llama3.1\n")
    monkeypatch.setenv("REELFORGE_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("FAL_KEY", "fal-env:2")
    monkeypatch.setenv("ARK_BASE_URL", "https://ark.cn-beijing.volces.com/api/v3")
    s = Settings()
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == \
        "sk-from-file-123"
    assert s.fal_key is not None and s.fal_key.get_secret_value() == "fal-env:2"  # env wins
    assert s.llm_model == "llama3.1" and s.ark_base_url.startswith("https://ark.cn-beijing")
    monkeypatch.setenv("REELFORGE_SECRETS_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(ValueError, match="is not a file"):
        Settings()


def test_a_servers_traceback_never_reaches_an_error_message() -> None:
    api = ApiClient("openai", "http://127.0.0.1:1/v1", policy=HttpPolicy())
    body = ("1 validation error: Input should be 'text' or 'json_object'\n\n"
            '  File "/srv/venv/llama_cpp/server/app.py", line 376, in create_chat_completion\n'
            "POST /v1/chat/completions")
    message = str(api.error(body, permanent=True))
    assert message == ("openai: 1 validation error: Input should be 'text' or 'json_object' "
                       "POST /v1/chat/completions")
