"""Every registered provider entry point against its capability's protocol: it builds from
settings (the remote ones pointed at their fake servers), has a name, declares the
capability flags the protocol names (`accepts_references`, `accepts_last_frame`,
`streams_frames`) as booleans, and has the protocol's methods as coroutines taking the
protocol's parameters (and `StreamsFrames.frames` where it says it streams). A provider
added to the registry without, say, `accepts_last_frame` fails here rather than in a stage.
What each adapter sends and answers is checked against its fake in its own test file."""

from __future__ import annotations

import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pytest
from reelforge.providers import LLM, TTS, Aligner, ImageGen, Music, StreamsFrames, VideoGen
from reelforge.providers.registry import GROUP, create
from reelforge.settings import Settings

PROTOCOLS: dict[str, type[Any]] = {"llm": LLM, "tts": TTS, "aligner": Aligner, "music": Music,
                                   "image": ImageGen, "video": VideoGen}
ENTRY_POINTS = sorted(entry_points(group=GROUP), key=lambda ep: ep.name)


def declared(protocol: type[Any]) -> tuple[dict[str, str], dict[str, inspect.Signature]]:
    """The protocol's attributes (name → annotation) and its methods (name → signature)."""
    attributes = dict(protocol.__annotations__)
    methods = {name: inspect.signature(member) for name, member in vars(protocol).items()
               if inspect.iscoroutinefunction(member)}
    return attributes, methods


def test_every_capability_has_providers_registered() -> None:
    registered = {ep.name.partition(".")[0] for ep in ENTRY_POINTS}
    assert registered == set(PROTOCOLS)


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=[ep.name for ep in ENTRY_POINTS])
def test_a_registered_provider_keeps_its_capabilitys_contract(
    entry: EntryPoint, settings: Settings,
) -> None:
    capability, _, name = entry.name.partition(".")
    provider = create(capability, name, settings)
    attributes, methods = declared(PROTOCOLS[capability])
    assert methods, capability
    for attribute, annotation in attributes.items():
        value = getattr(provider, attribute)
        if annotation == "bool":
            assert isinstance(value, bool), (entry.name, attribute, value)
        elif annotation == "str":
            assert isinstance(value, str) and value, (entry.name, attribute, value)
    for method, signature in methods.items():
        implementation = getattr(provider, method)
        assert inspect.iscoroutinefunction(implementation), (entry.name, method)
        wanted = [p for p in signature.parameters if p != "self"]
        taken = inspect.signature(implementation).parameters
        assert all(p in taken for p in wanted), (entry.name, method, wanted, list(taken))
    if capability == "video" and provider.streams_frames:
        taken = inspect.signature(provider.frames).parameters
        wanted = [p for p in inspect.signature(StreamsFrames.frames).parameters if p != "self"]
        assert all(p in taken for p in wanted), (entry.name, "frames", wanted, list(taken))
        assert not inspect.iscoroutinefunction(provider.frames), entry.name
