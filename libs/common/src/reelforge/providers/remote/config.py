"""Keys from Settings, checked when an adapter is built so a misconfigured chain fails at
start-up with the variable to set, not per item halfway through a job."""

from __future__ import annotations

from pydantic import SecretStr

from reelforge.providers.base import ProviderError


def secret(value: SecretStr | None) -> str | None:
    raw = value.get_secret_value().strip() if value is not None else ""
    return raw or None


def require_key(provider: str, value: SecretStr | None, env: str) -> str:
    key = secret(value)
    if key is None:
        raise ProviderError(
            provider,
            f"{env} is not set: export it or put it in the file named by REELFORGE_SECRETS_FILE",
            permanent=True,
        )
    return key
