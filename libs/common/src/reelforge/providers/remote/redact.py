"""Keep API keys out of error messages and logs.

Providers echo keys back ("Incorrect API key provided: sk-abc..."), and exception texts can
carry headers or URLs, so every message that leaves an adapter goes through a `Redactor`
that knows the configured secrets and the usual key shapes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

MASK = "[REDACTED]"

# Shapes of common credentials, masked even when the exact value is not known to us. A value
# must look like a credential (long, with a digit) so ordinary words are left alone.
_PATTERNS = [
    re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-]{8,}"),  # OpenAI / OpenRouter style
    re.compile(r"\br8_[A-Za-z0-9]{8,}"),  # Replicate
    re.compile(r"\b(Bearer|Key|Token)\s+(?=[^\s]*\d)[A-Za-z0-9._:\-]{12,}"),
    re.compile(r"(xi-api-key|api[_-]?key|authorization)(\"?\s*[:=]\s*\"?)(?=[^\s]*\d)"
               r"[^\s\"',}]{12,}", re.IGNORECASE),
]


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(_mask_match, text)
        return text


def _mask_match(match: re.Match[str]) -> str:
    groups = match.groups()
    if len(groups) == 2 and groups[1] is not None and groups[0].lower() in {
        "xi-api-key", "apikey", "api_key", "api-key", "authorization",
    }:
        return f"{groups[0]}{groups[1]}{MASK}"
    if groups and groups[0] and groups[0].lower() in {"bearer", "key", "token"}:
        return f"{groups[0]} {MASK}"
    return MASK


def install_log_redaction(secrets: Iterable[str | None]) -> Any:
    """Mask `secrets` (and the usual key shapes) in every log line this process writes:
    every stdlib record as it is made, whichever handler later writes it (httpx, aio-pika,
    botocore and uvicorn log through `logging`), and, through the structlog processor this
    returns, reelforge's own lines. Installing again replaces the previous redactor."""
    redactor = Redactor(secrets)
    global _plain_record_factory
    if _plain_record_factory is None:
        _plain_record_factory = logging.getLogRecordFactory()
    make_record = _plain_record_factory

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: the handler reports it
            return record
        record.msg, record.args = redactor(message), None
        return record

    logging.setLogRecordFactory(redacted_record)

    def redact_event(_logger: Any, _method: str,
                     event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for name, value in event.items():
            if isinstance(value, str):
                event[name] = redactor(value)
            elif isinstance(value, BaseException):
                event[name] = redactor(repr(value))
        return event

    return redact_event


_plain_record_factory: Callable[..., logging.LogRecord] | None = None
