"""Ingest has no queue consumer: documents enter through the CLI (embedded) or the public
HTTP API (distributed), both of which publish `job.submitted`."""

from reelforge.runtime import Service

service = Service(name="ingest")
