"""Per-key rate limit on job creation, shared by every API replica.

Each accepted creation takes a slot in the job store's limiter table that nobody releases;
it expires after the window. So "N slots per key with a `window` ttl" is a sliding window of
N creations, counted in the database and therefore across replicas.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field

from reelforge.jobstore import ProviderSlots

from reelforge_ingest.api.errors import ApiError


@dataclass
class CreationLimiter:
    jobs: ProviderSlots
    limit: int
    window: float
    _granted: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    async def take(self, key_hash: str) -> None:
        """Count one creation for the key, or raise 429 with a Retry-After."""
        pool = f"api-create:{key_hash[:32]}"
        if await self.jobs.acquire_slot(pool, uuid.uuid4().hex, self.limit, self.window):
            self._remember(key_hash)
            return
        retry = self.retry_after(key_hash)
        raise ApiError(
            429, "rate_limited",
            f"too many jobs: at most {self.limit} per {self.window:g}s per API key; "
            f"try again in {retry}s",
            {"Retry-After": str(retry)},
        )

    def _remember(self, key_hash: str) -> None:
        now = time.monotonic()
        granted = self._granted[key_hash]
        granted.append(now)
        while granted and granted[0] < now - self.window:
            granted.popleft()
        while len(granted) > self.limit:
            granted.popleft()

    def retry_after(self, key_hash: str) -> int:
        """When the oldest creation this replica saw leaves the window; the whole window if
        the slots were taken through other replicas."""
        now = time.monotonic()
        granted = [t for t in self._granted.get(key_hash, ()) if t > now - self.window]
        if len(granted) < self.limit:
            return max(1, math.ceil(self.window))
        return max(1, math.ceil(granted[0] + self.window - now))
