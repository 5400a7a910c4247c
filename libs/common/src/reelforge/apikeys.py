"""API keys: high-entropy random strings shown once, stored only as their sha256.

A fast hash is enough here (unlike passwords) because the key has ~256 bits of entropy, so
a stolen table of hashes cannot be brute-forced back into keys.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from reelforge.jobstore import ApiKeys, hash_api_key

PREFIX = "rf_"
TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def generate_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)

hash_key = hash_api_key


def valid_tenant(tenant: str) -> bool:
    return bool(TENANT_RE.match(tenant))


async def create_key(jobs: ApiKeys, tenant: str, expires_at: datetime | None = None) -> str:
    """Store a new key for `tenant` (hashed) and return the only copy of the plain key."""
    if not valid_tenant(tenant):
        raise ValueError(
            f"tenant {tenant!r}: use 1-63 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    key = generate_key()
    await jobs.create_api_key(tenant, hash_key(key), expires_at)
    return key

