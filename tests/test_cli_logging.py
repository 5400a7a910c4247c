"""A command run in-process (CliRunner, an application embedding reelforge) configures
logging while stderr is a captured stream that is closed when the command returns. Logging
afterwards must still work: in CI a closed stream made every later log line raise inside the
in-memory bus, whose consumer died and left the next embedded runs waiting forever."""

from __future__ import annotations

import asyncio
import logging

import pytest
import structlog
from reelforge.bus import InMemoryBus
from reelforge.cli import app
from reelforge.events import Event
from typer.testing import CliRunner


def test_logging_survives_the_stream_of_an_in_process_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = CliRunner().invoke(app, ["make", "--idea", "x", "--duration", "1", "-o", "/dev/null"])
    assert result.exit_code == 2  # bad input, but logging was configured on the way
    structlog.get_logger("after").warning("still_logging", value=1)
    assert "still_logging" in capsys.readouterr().err

    async def deliveries_after_the_command() -> list[tuple[Event, str]]:
        bus = InMemoryBus(max_attempts=2, retry_base=0.01)

        async def failing(event: Event) -> None:
            raise RuntimeError("this delivery fails")

        await bus.subscribe("q", ["job.submitted"], failing)
        await bus.publish(Event(type="job.submitted", job_id="j"))
        await asyncio.wait_for(bus.wait_idle(), timeout=10)
        await bus.close()
        return bus.dead_letters

    letters = asyncio.run(deliveries_after_the_command())
    assert [e.job_id for e, _ in letters] == ["j"]


def test_keys_never_reach_a_log_line(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The redactor masks the configured keys in our lines and in the libraries' stdlib
    records (httpx, aio-pika and botocore log through `logging`)."""
    key = "custom-gateway-credential-0042"  # no known key shape: only the settings know it
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("REELFORGE_DATABASE_URL", "postgresql://app:db-pass-7731@db/reelforge")
    result = CliRunner().invoke(app, ["make", "--idea", "x", "-o", "/dev/null"])
    assert result.exit_code == 2  # bad input, but logging was configured on the way
    structlog.get_logger("ours").warning("provider_failed", error=f"401 for key {key}")
    logging.getLogger("httpx").warning("retrying with Authorization: Bearer %s", key)
    logging.getLogger("asyncpg").warning("cannot connect as app:db-pass-7731@db")
    ours = capsys.readouterr().err
    libraries = [record.getMessage() for record in caplog.records]
    assert "provider_failed" in ours and "[REDACTED]" in ours and key not in ours
    assert libraries == ["retrying with Authorization: Bearer [REDACTED]",
                         "cannot connect as app:[REDACTED]@db"]
