"""The distributed-mode commands of `reelforge`: worker, sweeper, api, keys create.

Kept apart from cli.py so `reelforge make` never imports aio-pika, asyncpg or boto, and
imported lazily inside each command for the same reason. The API lives in the ingest service
package, which libs/common must not import: it is reached through the `reelforge.apps`
entry point instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import structlog
import typer
from rich.console import Console

from reelforge.logs import stderr_logger
from reelforge.models import utcnow
from reelforge.pipeline import WORKER_STAGES
from reelforge.plugins import PluginMissing, load_plugin
from reelforge.settings import Settings

if TYPE_CHECKING:
    from reelforge.bus.rabbitmq import RabbitMQBus
    from reelforge.health import PortInUse
    from reelforge.jobstore import JobStore

T = TypeVar("T")
console = Console(stderr=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
dead_letters_app = typer.Typer(
    help="Deliveries the pipeline gave up on: list them, send them back to work.",
    no_args_is_help=True,
)

WORKER_NAMES = WORKER_STAGES


def configure_service_logging(level: str, secrets: Sequence[str] = ()) -> None:
    """JSON lines for log collectors when not on a terminal; readable lines when on one;
    `secrets` masked in every line (ours and the libraries')."""
    from reelforge.providers.remote.redact import install_log_redaction

    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if sys.stderr.isatty()
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            install_log_redaction(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=stderr_logger,
    )


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)`; the first SIGTERM/SIGINT sets `stop` (graceful drain), a second one
    exits at once (unacked deliveries are requeued by the broker)."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(signum: int) -> None:
            if stop.is_set():
                console.print("second signal: exiting without draining")
                os._exit(128 + signum)  # the broker requeues every unacked delivery
            console.print(f"{signal.Signals(signum).name}: draining, send again to exit now")
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal, signum)
        await main(stop)

    asyncio.run(runner())


def worker(
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(WORKER_NAMES)}")],
    sweeper: Annotated[bool | None, typer.Option(
        "--sweeper/--no-sweeper", help="run the sweeper here too (default: REELFORGE_SWEEPER)",
    )] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Run one service's consumers on RabbitMQ + Postgres + S3 (settings from REELFORGE_*)."""
    from reelforge.worker import UnknownService, run_worker

    if name not in WORKER_NAMES:
        raise _fail(f"unknown worker {name!r}; use one of {', '.join(WORKER_NAMES)}", 2)
    settings = _settings()
    configure_service_logging(log_level, settings.secret_values())
    try:
        _run_worker(lambda stop: run_worker([name], settings, stop, sweeper=sweeper))
    except UnknownService as exc:
        raise _fail(f"{exc}; is its package installed? (uv sync --all-packages)") from None


def sweeper(
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Run only the sweeper (plus /healthz, /readyz, /metrics); one instance acts at a time."""
    from reelforge.worker import run_worker

    settings = _settings()
    configure_service_logging(log_level, settings.secret_values())
    _run_worker(lambda stop: run_worker([], settings, stop, sweeper=True))


def _run_worker(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run a worker process until signalled; what stops it at start-up is one line."""
    from reelforge.bus.rabbitmq import QueueConflict
    from reelforge.health import PortInUse

    try:
        run_until_signalled(main)
    except PortInUse as exc:
        raise _fail(_port_in_use(exc)) from None
    except QueueConflict as exc:
        raise _fail(str(exc)) from None


def api(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Serve the public HTTP API (the ingest service's FastAPI app)."""
    settings = _settings()
    configure_service_logging(log_level, settings.secret_values())
    try:
        serve = load_plugin("reelforge.apps", "api")
    except PluginMissing as exc:
        raise _fail(f"{exc} (the API is in the reelforge-ingest package)") from None
    serve(settings, host=host, port=port, log_level=log_level)


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="the tenant the key acts for")],
    expires_in: Annotated[int | None, typer.Option(
        metavar="DAYS", min=1, max=3650, help="the key stops working after this many days")
    ] = None,
) -> None:
    """Create an API key for TENANT and print it. It is shown once; only its hash is kept."""
    from reelforge.apikeys import create_key
    from reelforge.jobstore import key_id
    from reelforge.jobstore.base import hash_api_key

    expires_at = utcnow() + timedelta(days=expires_in) if expires_in else None
    key = _with_job_store(lambda jobs: create_key(jobs, tenant, expires_at))
    print(key)
    until = f", valid until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    console.print(f"created key {key_id(hash_api_key(key))} for tenant {tenant!r}{until}; "
                  "store it now, it is not shown again")


@keys_app.command("list")
def keys_list(tenant: Annotated[str, typer.Option(help="whose keys")]) -> None:
    """List TENANT's keys by id (never the keys themselves): created, expiry, revocation."""
    keys = _with_job_store(lambda jobs: jobs.list_api_keys(tenant))
    now = utcnow()
    for k in keys:
        state = ("revoked" if k.revoked_at else
                 "expired" if k.expires_at and k.expires_at <= now else "active")
        expiry = f"{k.expires_at:%Y-%m-%d}" if k.expires_at else "never"
        print(f"{k.key_id}\t{state}\tcreated {k.created_at:%Y-%m-%d}\texpires {expiry}")
    console.print(f"{len(keys)} key(s) for tenant {tenant!r}")


@keys_app.command("revoke")
def keys_revoke(
    tenant: Annotated[str, typer.Option(help="whose key")],
    key: Annotated[str | None, typer.Argument(
        help="the key's id (from `keys list`) or the key itself")] = None,
    all_keys: Annotated[bool, typer.Option("--all", help="every key of the tenant")] = False,
) -> None:
    """Revoke one of TENANT's keys (or all of them): it authenticates nobody from now on."""
    from reelforge.jobstore import key_id
    from reelforge.jobstore.base import hash_api_key

    if (key is None) == (not all_keys):
        raise _fail("say which: a key id (see `reelforge keys list`), or --all", 2)
    wanted = None if key is None else key_id(hash_api_key(key)) if key.startswith("rf_") else key
    revoked = _with_job_store(lambda jobs: jobs.revoke_api_keys(tenant, wanted))
    if key is not None and revoked == 0:
        raise _fail(f"no active key {wanted} for tenant {tenant!r}; see `reelforge keys list "
                    f"--tenant {tenant}`", 2)
    console.print(f"revoked {revoked} key(s) of tenant {tenant!r}")


def _with_job_store(use: Callable[[JobStore], Awaitable[T]]) -> T:
    """Run `use` against the distributed job store; bad input and an unreachable database
    are one line each."""
    from reelforge.jobstore import StoreUnavailable
    from reelforge.jobstore.postgres import PostgresJobStore

    settings = _settings()
    configure_service_logging("warning", settings.secret_values())

    async def run() -> T:
        jobs = PostgresJobStore(settings.database_url)
        await jobs.start()
        try:
            return await use(jobs)
        finally:
            await jobs.close()

    try:
        return asyncio.run(run())
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    except OSError as exc:
        raise _fail(f"cannot reach the database at REELFORGE_DATABASE_URL: {exc}") from None
    except StoreUnavailable as exc:  # it went away after the start
        raise _fail(str(exc)) from None


@dead_letters_app.command("list")
def dead_letters_list(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="at most this many a queue")] = 100,
) -> None:
    """Show every dead letter of the pipeline's queues with the reason it was given up on."""
    from rich.table import Table

    from reelforge.dead_letters import list_dead_letters

    settings = _settings()
    configure_service_logging("warning", settings.secret_values())

    async def run() -> list[Any]:
        async with _rabbit(settings) as rabbit:
            return await list_dead_letters(rabbit, settings.namespace, limit)

    letters = asyncio.run(run())
    columns = ("queue", "job", "event", "item", "attempt", "reason")
    rows = [(letter.queue, letter.event.job_id, letter.event.type, letter.event.item or "",
             str(letter.event.attempt), letter.reason) for letter in letters]
    if sys.stdout.isatty():
        table = Table(*columns, show_edge=False)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
    else:  # piped: one tab-separated line each, never wrapped
        for row in [columns, *rows]:
            print("\t".join(row))
    console.print(f"{len(letters)} dead letter(s)")


@dead_letters_app.command("replay")
def dead_letters_replay(
    job: Annotated[str | None, typer.Option(help="only this job's dead letters")] = None,
    all_jobs: Annotated[bool, typer.Option("--all", help="every job's dead letters")] = False,
) -> None:
    """Send dead letters back to their queues as first attempts; their jobs run again."""
    from reelforge.dead_letters import replay_dead_letters
    from reelforge.jobstore.postgres import PostgresJobStore

    if (job is None) == (not all_jobs):
        raise _fail("say which: --job ID, or --all", 2)
    settings = _settings()
    configure_service_logging("warning", settings.secret_values())

    async def run() -> Any:
        jobs = PostgresJobStore(settings.database_url)
        await jobs.start()
        try:
            async with _rabbit(settings) as rabbit:
                return await replay_dead_letters(rabbit, jobs, settings.namespace, job)
        finally:
            await jobs.close()

    replay = asyncio.run(run())
    for letter in replay.sent_back:
        console.print(f"sent back: {letter.event.type} of job {letter.event.job_id} "
                      f"to {letter.queue}")
    for letter, why in replay.kept:
        console.print(f"kept: {letter.event.type} of job {letter.event.job_id} ({why})")
    console.print(f"{len(replay.sent_back)} sent back, {len(replay.kept)} kept")


@contextlib.asynccontextmanager
async def _rabbit(settings: Settings) -> AsyncIterator[RabbitMQBus]:
    from reelforge.bus.rabbitmq import RabbitMQBus
    from reelforge.namespaced import exchange_name

    rabbit = RabbitMQBus(settings.amqp_url, exchange=exchange_name(settings.namespace))
    try:
        await rabbit.start()
    except OSError as exc:
        raise _fail(f"cannot reach RabbitMQ at REELFORGE_AMQP_URL: {exc}") from None
    try:
        yield rabbit
    finally:
        await rabbit.close()


def register(app: typer.Typer) -> None:
    """Add the distributed commands to the `reelforge` app."""
    app.command()(worker)
    app.command(name="sweeper")(sweeper)
    app.command()(api)
    app.add_typer(keys_app, name="keys")
    app.add_typer(dead_letters_app, name="dead-letters")


def _settings() -> Settings:
    try:
        settings = Settings()
        settings.provider_limit_map()  # fail on a malformed REELFORGE_PROVIDER_LIMITS now
        settings.handler_timeout_map()  # and REELFORGE_HANDLER_TIMEOUTS
    except ValueError as exc:
        raise _fail(f"bad settings: {exc}", 2) from None
    return settings


def _port_in_use(exc: PortInUse) -> str:
    return (f"the health and metrics port {exc.port} on {exc.host} is already in use (another "
            f"worker on this host?); give this one its own with REELFORGE_METRICS_PORT=<port>, "
            f"or 0 for any free port")


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
