"""The stage through the real OpenAI-compatible adapter, on the fake OpenAI server playing a
small local model: adversarial answers, in every structured-output mode a server may take."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from reelforge.models import Document, JobSettings, SceneList
from reelforge.providers.remote.openai import OUTPUT_MODE_MEMORY, OpenAILLM
from reelforge.settings import Settings
from reelforge_script.stage import write_script
from reelforge_script.validation import check_bible, check_narration, check_scene_list

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "libs/common/tests/providers"))

from provider_fakes import FakeOpenAI
from provider_fakes.requests import FAST

STORY = Document(format="text", title="Salt and Signal",
                 text="Mara keeps the lighthouse. A storm comes. She fights to keep the light.")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def llm(fake: FakeOpenAI) -> Iterator[OpenAILLM]:
    fake.reset()
    OUTPUT_MODE_MEMORY.forget()
    yield OpenAILLM(Settings(openai_api_key=fake.key, openai_base_url=fake.base_url, **FAST))
    assert fake.violations == []


@pytest.mark.parametrize("structured", ["json_schema", "json_object_schema", "json_object"])
async def test_adversarial_answers_still_make_a_consistent_script(
        fake: FakeOpenAI, llm: OpenAILLM, structured: str) -> None:
    fake.structured = structured  # type: ignore[assignment]
    fake.adversarial = True
    script = await write_script(STORY, JobSettings(duration=40.0), llm)
    scene_list = SceneList(characters=script.characters, locations=script.locations,
                           scenes=script.scenes)
    check_scene_list(scene_list)
    check_narration(script.narration, script.scenes)
    check_bible(script.bible, scene_list)
    assert len(script.scenes) == 12  # 17 answered, merged to the most 40 s allows
    assert {c.id for c in script.characters} == {"keeper", "stranger"}
    assert all(line.text.strip() for line in script.narration)
    assert set(script.bible.characters) == {"keeper", "stranger"}
    assert script.patterns.genres[0].label == "sci-fi"  # its best score of the two given
    chat = fake.calls("chat")
    assert len(chat) == 5 + ["json_schema", "json_object_schema", "json_object"].index(
        structured)  # five passes, plus one request per rejected mode, no repairs
