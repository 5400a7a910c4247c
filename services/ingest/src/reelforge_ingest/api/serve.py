"""`reelforge api`: the app on uvicorn, over the distributed backends (entry point
`reelforge.apps:api`, so libs/common starts it without importing this package)."""

from __future__ import annotations

import asyncio

import uvicorn
from reelforge.distributed import open_backends
from reelforge.metrics import Metrics
from reelforge.settings import Settings

from reelforge_ingest.api.app import create_app
from reelforge_ingest.api.deps import ApiDeps


async def serve_async(settings: Settings, host: str, port: int, log_level: str = "info") -> None:
    """Connect (creating the database, bucket and exchange if missing), then serve until
    SIGTERM/SIGINT (uvicorn finishes in-flight requests first)."""
    async with open_backends(settings) as backends:
        deps = ApiDeps(jobs=backends.jobs, blobs=backends.blobs, bus=backends.bus,
                       settings=settings, metrics=Metrics(), ready=backends.ready)
        config = uvicorn.Config(create_app(deps), host=host, port=port, log_level=log_level,
                                lifespan="off", proxy_headers=True)
        await uvicorn.Server(config).serve()


def serve(settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    asyncio.run(serve_async(settings, host, port, log_level))
