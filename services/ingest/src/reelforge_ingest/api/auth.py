"""`Authorization: Bearer <key>` -> the tenant the key belongs to (keys are stored hashed)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from reelforge.jobstore import ApiKeys, hash_api_key

from reelforge_ingest.api.errors import ApiError

CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    tenant: str
    key_hash: str


async def authenticate(request: Request, jobs: ApiKeys) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise ApiError(401, "unauthorized", "missing API key; send 'Authorization: Bearer "
                       "<key>' (create one with `reelforge keys create --tenant NAME`)", CHALLENGE)
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthorized", "malformed Authorization header; use "
                       "'Authorization: Bearer <key>'", CHALLENGE)
    key_hash = hash_api_key(key.strip())
    tenant = await jobs.tenant_for_key(key_hash)
    if tenant is None:
        raise ApiError(401, "unauthorized", "invalid API key; check it was copied whole, or "
                       "create a new one with `reelforge keys create --tenant NAME`", CHALLENGE)
    return Caller(tenant, key_hash)
