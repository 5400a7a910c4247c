"""Where structlog writes: the process's stderr as it is when a line is logged.

`PrintLoggerFactory(sys.stderr)` would bind the stream that was current at configure time.
Run in-process (CliRunner, an embedding application, a test), that stream can be swapped
and closed after the command returns, and every later log line would raise `ValueError`
inside whatever was logging (a bus consumer, a retry hook) instead of being written.
"""

from __future__ import annotations

import sys
from typing import Any

import structlog


def stderr_logger(*_args: Any) -> structlog.PrintLogger:
    """structlog `logger_factory`: a PrintLogger on the current `sys.stderr`."""
    return structlog.PrintLogger(sys.stderr)
