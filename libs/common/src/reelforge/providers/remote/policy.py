"""Content-policy rejections: one retry with a softened prompt, then a distinct error.

Trailers for thrillers and horror say "blood" and "corpse" a lot; image and video moderation
rejects some of those prompts. A softened prompt (graphic words replaced by implication, a
tasteful-framing suffix) usually passes and keeps the shot's intent. If it is rejected again
the adapter raises `ContentPolicyError`, and the chain falls back to the next provider.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from reelforge.providers.base import ContentPolicyError

log = structlog.get_logger(__name__)
T = TypeVar("T")

SOFTER: dict[str, str] = {
    "blood": "shadow", "bloody": "dark", "bloodied": "weathered", "bleeding": "hurt",
    "gore": "", "gory": "dark", "corpse": "still figure", "corpses": "still figures",
    "dead body": "fallen figure", "dead bodies": "fallen figures", "decapitated": "fallen",
    "kill": "confront", "kills": "confronts", "killing": "confrontation", "killed": "lost",
    "murder": "mystery", "murdered": "lost", "murderer": "stranger",
    "massacre": "aftermath", "slaughter": "chaos", "torture": "ordeal",
    "gun": "silhouette", "guns": "silhouettes", "rifle": "silhouette", "pistol": "silhouette",
    "weapon": "object", "weapons": "objects", "knife": "glint", "blade": "glint",
    "wound": "mark", "wounds": "marks", "wounded": "hurt", "stab": "strike", "stabbed": "struck",
    "shoot": "face", "shooting": "standoff", "shot dead": "fallen",
    "naked": "", "nude": "", "sexy": "", "sexual": "", "erotic": "",
    "suicide": "despair", "drugs": "vials", "violent": "intense", "violence": "tension",
    "brutal": "stark", "graphic": "stark", "severed": "broken", "explosion": "flash of light",
}
SUFFIX = "Cinematic and tasteful, nothing graphic: danger is implied, not shown."
_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(SOFTER, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def soften(prompt: str) -> str:
    """The prompt with graphic words replaced by implication, plus a tasteful-framing line."""
    text = _PATTERN.sub(lambda m: SOFTER[m.group(1).lower()], prompt)
    text = re.sub(r"\s{2,}", " ", text).replace(" ,", ",").replace(" .", ".").strip()
    return f"{text} {SUFFIX}" if SUFFIX not in text else text


async def with_softening(provider: str, prompt: str, call: Callable[[str], Awaitable[T]]) -> T:
    """`call(prompt)`; on a content-policy rejection, once more with `soften(prompt)`."""
    try:
        return await call(prompt)
    except ContentPolicyError as first:
        softer = soften(prompt)
        log.info("content_policy_retry", provider=provider, error=str(first))
        try:
            return await call(softer)
        except ContentPolicyError as second:
            detail = str(second).removeprefix(f"{provider}: ")
            raise ContentPolicyError(
                provider, f"{detail} (also with a softened prompt)"
            ) from second
