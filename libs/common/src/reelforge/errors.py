"""Which failures a job's owner reads as they are.

A stage that fails leaves its reason on the job, where the tenant reads it (API, studio,
command line). Errors raised on purpose with a message written for that person derive from
`Explained`; anything else (a KeyError, a driver's exception text) may carry internals, so
the runtime reports it as an internal error with a reference and keeps its text for the logs.
"""

from __future__ import annotations


class Explained(Exception):
    """An error whose message is written for the person who made the job."""
