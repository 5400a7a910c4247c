"""Fake servers for every remote provider, reproducing each documented API contract over a
real loopback socket (each fake's module docstring states the contract it follows: routes,
bodies, error envelopes, task states). Reusable by any test:

    import sys; sys.path.insert(0, "libs/common/tests/providers")
    from provider_fakes import start_suite

    suite = start_suite()              # or start_all() -> {"openai": base_url, ...}
    env = suite.env()                  # OPENAI_API_KEY/OPENAI_BASE_URL, ... for Settings
    suite.fakes["ark"].inject("create_task", Fault(429, headers={"retry-after": "0"}))
    ...
    suite.stop()

Every fake answers with real media (PNG, H.264 MP4, PCM/WAV/MP3 speech whose alignment
matches the audio), validates request shapes, records requests and contract violations,
and supports injected faults and scripted task states.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ark_fake import FakeArk
from .base import CONTENT_TRIGGERS, FakeProvider, Fault, Recorded
from .comfyui_fake import FakeComfyUI
from .elevenlabs_fake import QUOTA_EXCEEDED, FakeElevenLabs
from .fal_fake import FakeFal
from .openai_fake import FakeOpenAI
from .replicate_fake import FakeReplicate

__all__ = [
    "CONTENT_TRIGGERS",
    "QUOTA_EXCEEDED",
    "FakeArk",
    "FakeComfyUI",
    "FakeElevenLabs",
    "FakeFal",
    "FakeOpenAI",
    "FakeProvider",
    "FakeReplicate",
    "FakeSuite",
    "Fault",
    "Recorded",
    "start_all",
    "start_suite",
]


@dataclass
class FakeSuite:
    fakes: dict[str, FakeProvider]

    @property
    def urls(self) -> dict[str, str]:
        return {name: fake.base_url for name, fake in self.fakes.items()}

    def env(self) -> dict[str, str]:
        """The environment that points every remote provider at its fake."""
        f = self.fakes
        return {
            "OPENAI_API_KEY": f["openai"].key, "OPENAI_BASE_URL": f["openai"].base_url,
            "ELEVENLABS_API_KEY": f["elevenlabs"].key,
            "ELEVENLABS_BASE_URL": f["elevenlabs"].base_url,
            "ARK_API_KEY": f["ark"].key, "ARK_BASE_URL": f["ark"].base_url,
            "REPLICATE_API_TOKEN": f["replicate"].key,
            "REPLICATE_BASE_URL": f["replicate"].base_url,
            "FAL_KEY": f["fal"].key, "FAL_BASE_URL": f["fal"].base_url,
            "COMFYUI_BASE_URL": f["comfyui"].base_url,
        }

    def settings(self) -> dict[str, str]:
        """The same as Settings keyword arguments (field names)."""
        return {k.lower(): v for k, v in self.env().items()}

    def violations(self) -> dict[str, list[str]]:
        return {name: list(f.violations) for name, f in self.fakes.items() if f.violations}

    def reset(self) -> None:
        for fake in self.fakes.values():
            fake.reset()

    def stop(self) -> None:
        for fake in self.fakes.values():
            fake.stop()


def start_suite() -> FakeSuite:
    fakes: dict[str, FakeProvider] = {
        "openai": FakeOpenAI(), "elevenlabs": FakeElevenLabs(), "ark": FakeArk(),
        "replicate": FakeReplicate(), "fal": FakeFal(), "comfyui": FakeComfyUI(),
    }
    for fake in fakes.values():
        fake.start()
    return FakeSuite(fakes)


def start_all() -> dict[str, str]:
    """Start every fake and return {"openai": base_url, "elevenlabs": ..., "ark": ...,
    "replicate": ..., "fal": ..., "comfyui": ...}. The servers run until the process exits; use
    `start_suite()` to control, inspect or stop them."""
    return start_suite().urls
