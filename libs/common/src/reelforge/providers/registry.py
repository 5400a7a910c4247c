"""Build the provider set from settings through the `reelforge.providers` entry points."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from reelforge.providers.base import LLM, TTS, Aligner, ImageGen, Music, ProviderError, VideoGen
from reelforge.providers.chain import Guard, build_chain
from reelforge.settings import Settings

GROUP = "reelforge.providers"
CAPABILITIES = ("llm", "tts", "aligner", "music", "image", "video")


class UnknownProvider(LookupError):
    pass


def available() -> dict[str, list[str]]:
    """capability -> installed provider names."""
    found: dict[str, list[str]] = {c: [] for c in CAPABILITIES}
    for ep in entry_points(group=GROUP):
        cap, _, name = ep.name.partition(".")
        found.setdefault(cap, []).append(name)
    return found


def create(capability: str, name: str, settings: Settings) -> Any:
    for ep in entry_points(group=GROUP):
        if ep.name == f"{capability}.{name}":
            return ep.load()(settings)
    names = ", ".join(sorted(available().get(capability, []))) or "none"
    raise UnknownProvider(
        f"no {capability} provider named {name!r} is installed (installed: {names}); "
        f"set REELFORGE_{capability.upper()} to one of them"
    )


@dataclass
class Providers:
    llm: LLM
    tts: TTS
    aligner: Aligner
    music: Music
    image: ImageGen
    video: VideoGen


def load_providers(settings: Settings, *, guard: Guard | None = None) -> Providers:
    """Each capability's fallback chain (REELFORGE_VIDEO=seedance,replicate,local), built
    from the entry points. A one-provider chain keeps that provider's `name`. `guard`, if
    given, wraps every member call (global rate limits, metrics); see chain.py."""
    chosen = {
        cap: build_chain(cap, [create(cap, n, settings) for n in settings.chain(cap)], guard)
        for cap in CAPABILITIES
    }
    return Providers(**chosen)


@dataclass(frozen=True)
class ProviderCheck:
    """The outcome of `providers check` for one configured provider."""

    capability: str
    name: str
    ok: bool
    detail: str


async def check_providers(settings: Settings) -> list[ProviderCheck]:
    """Validate every configured remote provider with its cheapest authenticated call
    (GET /v1/models, /v1/user, /v1/account, ...). Local providers have nothing to check."""
    results: list[ProviderCheck] = []
    for cap in CAPABILITIES:
        for name in settings.chain(cap):
            results.append(await _check_one(cap, name, settings))
    return results


async def _check_one(capability: str, name: str, settings: Settings) -> ProviderCheck:
    if name == "local":  # offline by definition; building it (voices, fonts) is not needed
        return ProviderCheck(capability, name, True, "offline: nothing to check")
    try:
        provider = create(capability, name, settings)
        check = getattr(provider, "check", None)
        if check is None:
            return ProviderCheck(capability, name, True, "offline: nothing to check")
        return ProviderCheck(capability, name, True, str(await check()))
    except (ProviderError, UnknownProvider) as exc:
        return ProviderCheck(capability, name, False, str(exc))
