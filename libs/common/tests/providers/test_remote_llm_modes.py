"""Structured-output modes of the OpenAI-compatible LLM against servers that take less than
strict `json_schema`: the fallback order, the memory per endpoint, no retries of a rejected
mode, and the schema each mode carries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from provider_fakes import FakeSuite, Fault
from pydantic import Field
from reelforge.models import Model, StoryPatterns
from reelforge.providers.base import ProviderError
from reelforge.providers.remote.openai import OUTPUT_MODE_MEMORY, OpenAILLM
from reelforge.providers.remote.schema import strict_schema
from reelforge.settings import Settings

CONTEXT = {"document": {"text": "A keeper in a drowned city."}, "genre_labels": ["thriller"],
           "tone_labels": ["dark"]}


def formats(suite: FakeSuite) -> list[str]:
    """The response_format of every chat request, as 'json_schema', 'json_object+schema' or
    'json_object'."""
    kinds = []
    for call in suite.fakes["openai"].calls("chat"):
        fmt: dict[str, Any] = call.body["response_format"]
        kinds.append(fmt["type"] + ("+schema" if "schema" in fmt else ""))
    return kinds


async def test_a_llama_cpp_python_server_falls_back_to_json_object_with_schema_once(
        suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["openai"].structured = "json_object_schema"
    llm = OpenAILLM(settings)
    first = await llm.complete("patterns", CONTEXT, StoryPatterns)
    second = await OpenAILLM(settings).complete("patterns", CONTEXT, StoryPatterns)
    assert first.genres[0].label == second.genres[0].label == "thriller"
    # the rejected mode was asked once (a 500 is otherwise retried), then never again
    assert formats(suite) == ["json_schema", "json_object+schema", "json_object+schema"]


async def test_a_plain_json_server_falls_back_twice_and_reads_the_schema_in_the_prompt(
        suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["openai"].structured = "json_object"
    llm = OpenAILLM(settings)
    patterns = await llm.complete("patterns", CONTEXT, StoryPatterns)
    await llm.complete("patterns", CONTEXT, StoryPatterns)
    assert patterns.logline
    assert formats(suite) == ["json_schema", "json_object+schema", "json_object",
                              "json_object"]
    prompt = suite.fakes["openai"].calls("chat")[-1].body["messages"][-1]["content"]
    assert '"genres"' in prompt.split("matching this schema:", 1)[1]


async def test_concurrent_calls_ask_a_rejected_mode_once(suite: FakeSuite,
                                                         settings: Settings) -> None:
    suite.fakes["openai"].structured = "json_object_schema"
    llm = OpenAILLM(settings)
    await asyncio.gather(*(llm.complete("patterns", CONTEXT, StoryPatterns) for _ in range(5)))
    assert formats(suite).count("json_schema") == 1
    assert formats(suite).count("json_object+schema") == 5


async def test_the_mode_is_remembered_per_endpoint(suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["openai"].structured = "json_object_schema"
    await OpenAILLM(settings).complete("patterns", CONTEXT, StoryPatterns)
    other_model = settings.model_copy(update={"llm_model": "gpt-4o"})
    await OpenAILLM(other_model).complete("patterns", CONTEXT, StoryPatterns)
    assert formats(suite) == ["json_schema", "json_object+schema",
                              "json_schema", "json_object+schema"]


async def test_an_ordinary_server_error_is_retried_in_the_same_mode(
        suite: FakeSuite, settings: Settings) -> None:
    suite.fakes["openai"].inject("chat", Fault(500))
    await OpenAILLM(settings).complete("patterns", CONTEXT, StoryPatterns)
    assert formats(suite) == ["json_schema", "json_schema"]
    assert OUTPUT_MODE_MEMORY.mode((settings.openai_base_url.rstrip("/"),
                                    settings.llm_model)) == "json_schema"


async def test_a_server_that_takes_no_json_mode_fails_once_per_mode(
        suite: FakeSuite, settings: Settings) -> None:
    fake = suite.fakes["openai"]
    fake.structured = "json_object"
    fake.inject("chat", Fault(500, {"error": {"message": "json_schema unsupported"}}),
                Fault(500, {"error": {"message": "response_format.schema unsupported"}}),
                Fault(400, {"error": {"message": "response_format json_object unsupported"}}))
    with pytest.raises(ProviderError, match="takes no JSON output mode") as err:
        await OpenAILLM(settings).complete("patterns", CONTEXT, StoryPatterns)
    assert err.value.permanent
    assert len(fake.calls("chat")) == 3


class Line(Model):
    text: str = Field(json_schema_extra={"minLength": 1, "pattern": "^.*[^ ].*$"})


def test_each_mode_carries_the_schema_keywords_it_can_take() -> None:
    strict = strict_schema(Line)
    as_schema = strict.response_format("json_schema")
    text = as_schema["json_schema"]["schema"]["properties"]["text"]
    assert text == {"type": "string", "pattern": "^.*[^ ].*$"}  # strict mode: no minLength
    with_schema = strict.response_format("json_object_schema")
    assert with_schema["type"] == "json_object"
    assert with_schema["schema"]["properties"]["text"] == {"type": "string", "minLength": 1}
    assert strict.response_format("json_object") == {"type": "json_object"}
    assert strict.schema["properties"]["text"]["minLength"] == 1  # the prompt sees it all


async def test_a_self_hosted_server_gets_a_bound_from_the_schema_and_a_hosted_api_none(
        suite: FakeSuite, settings: Settings) -> None:
    llm = OpenAILLM(settings)
    assert llm.self_hosted  # the fake listens on loopback, as Ollama or llama.cpp would
    await llm.complete("patterns", CONTEXT, StoryPatterns)
    hosted = OpenAILLM(settings)
    hosted.self_hosted = False
    await hosted.complete("patterns", CONTEXT, StoryPatterns)
    bodies = [call.body for call in suite.fakes["openai"].calls("chat")]
    assert bodies[0]["max_tokens"] == strict_schema(StoryPatterns).max_tokens
    assert "max_tokens" not in bodies[1] and "max_completion_tokens" not in bodies[1]
