"""What the API needs, passed in explicitly (no module globals, no app-state lookups)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from reelforge.blobs import BlobStore
from reelforge.bus import Bus
from reelforge.jobstore import JobStore
from reelforge.lifecycle import JobBackends
from reelforge.metrics import Metrics
from reelforge.settings import Settings

from reelforge_ingest.api.media import MediaLinks
from reelforge_ingest.errors import DocumentLimits


async def _always_ready() -> dict[str, bool]:
    return {}


@dataclass
class ApiDeps:
    jobs: JobStore
    blobs: BlobStore
    bus: Bus
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    ready: Callable[[], Awaitable[dict[str, bool]]] = _always_ready
    poll_interval: float = 0.5
    """s between job-store polls of the event stream"""
    keepalive: float = 15.0
    """s of silence after which the event stream sends a comment (proxies drop idle ones)"""
    document_limits: DocumentLimits = field(default_factory=DocumentLimits)
    """the parser's limits; max_bytes is replaced by the configured upload size"""

    media: MediaLinks = field(init=False)
    """links a browser opens without the API key (presigned, or signed by this API)"""

    def __post_init__(self) -> None:
        self.media = MediaLinks(self.blobs, self.settings.api_url_expiry)

    @property
    def backends(self) -> JobBackends:
        return JobBackends(self.jobs, self.blobs, self.bus)

    @property
    def limits(self) -> DocumentLimits:
        """The parser's limits, with the upload size the operator configured."""
        return self.document_limits.model_copy(
            update={"max_bytes": self.settings.api_max_upload_bytes})
