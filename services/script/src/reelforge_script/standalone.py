"""The script stage on its own: a Document becomes a Script without a job, a bus or a blob
store. `reelforge script` and bench/script_quality.py call it; the service calls
`write_script` with the providers of its stage context instead."""

from __future__ import annotations

from reelforge.models import Document, JobSettings, Script
from reelforge.providers.base import LLM
from reelforge.providers.chain import build_chain
from reelforge.providers.registry import create
from reelforge.settings import Settings

from reelforge_script.stage import write_script


def configured_llm(settings: Settings) -> LLM:
    """The LLM chain the settings choose (the offline analyst unless configured otherwise)."""
    members = [create("llm", name, settings) for name in settings.chain("llm")]
    return build_chain("llm", members)  # type: ignore[no-any-return]


async def script_only(document: Document, job_settings: JobSettings, settings: Settings) -> Script:
    return await write_script(document, job_settings, configured_llm(settings))
