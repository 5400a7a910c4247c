"""With an OpenAI-compatible model configured, the model expands a one-line idea (the
`idea` task, prompt idea.v1)."""

from __future__ import annotations

import json

from provider_fakes import FakeSuite
from reelforge.models import IdeaStory
from reelforge.providers.remote.openai import OpenAILLM
from reelforge.settings import Settings

IDEA = "a stranded astronaut on the moon walks around and discovers nature"


async def test_the_model_expands_an_idea_with_the_idea_prompt(suite: FakeSuite,
                                                              settings: Settings) -> None:
    fake = suite.fakes["openai"]
    answer = {"title": "Moon Garden", "protagonist": "Ilse Varga", "setting": "the moon",
              "paragraphs": ["Ilse Varga is stranded on the moon.", "Then moss grows."]}
    fake.queue_answer(json.dumps(answer))
    context = {"idea": IDEA, "sentences": [6, 12], "seed": 0}
    story = await OpenAILLM(settings).complete("idea", context, IdeaStory)
    assert story == IdeaStory.model_validate(answer)
    (call,) = fake.calls("chat")
    fmt = call.body["response_format"]["json_schema"]
    assert fmt["name"] == "IdeaStory"
    system, user = call.body["messages"][0]["content"], call.body["messages"][1]["content"]
    assert "one-line film idea" in system and "Stop before the ending" in system
    assert IDEA in user
