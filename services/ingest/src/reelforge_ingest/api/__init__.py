"""The public HTTP API (FastAPI): submit, follow, cancel and retry jobs.

`create_app(deps)` takes every dependency explicitly (job store, blob store, bus, settings,
metrics), so tests and `serve` wire real or fake backends the same way.
"""

from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps

__all__ = ["ApiDeps", "create_app"]
