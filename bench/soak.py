"""Soak: many jobs from two tenants through the public API on the distributed runtime, with
provider faults, killed workers and restarted servers.

    .venv/bin/python bench/soak.py [--jobs 100] [--seed 1] [--no-chaos] [--deadline 1500]

Every server is private to the run, so restarting one disturbs nobody else: a RabbitMQ node
(its own name, ports and data folder), a PostgreSQL cluster (`initdb` into a temp folder,
its own port) and a SeaweedFS S3 server; everything listens on 127.0.0.1. On them: the
public API (`reelforge api`) and one `reelforge worker` process per stage, run as
`bench/orchestration.py` runs them (the real consumers on a small canvas, fake providers),
with every fake provider call made first as an HTTP request, through the product's own
client (`ApiClient` and its retry policy), to a fault server on 127.0.0.1 in the worker that
answers one request in ten (`--fault-rate`) with a 429 with a Retry-After, a 429 without, a
503, no answer until the client's read timeout (2 s here), or a body cut short of its
Content-Length; only an answered call reaches the fake, which then makes the result.

Chaos, triggered by progress (the share of jobs in a final state) so it lands during the
run: three `kill -9` of a random worker (restarted at once), one RabbitMQ restart
(`rabbitmqctl stop_app` / `start_app` on the private node), one PostgreSQL restart
(`pg_ctl restart -m fast`).

Printed: jobs completed, lost (not final by the deadline), failed with their reasons,
duplicate provider results (a unit of work, i.e. job, capability and a hash of the request,
made intact more than once; a result redone because the worker that had made it was killed
before storing it is counted apart; retries after a fault never produce a result, so they
are not duplicates), cross-tenant reads (each tenant's key on every job of the other: the
job and its event stream must be 404, and its job list must not name them) and the makespan
(first submission to the poll that saw the last job final; polls are 2 s apart). The last
line is machine-readable. `--keep` copies the servers' and processes' logs and both
journals to bench/.work/soak/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs" / "common" / "tests"))

import benchlib
import orchestration
from reelforge.pipeline import WORKER_STAGES

from conftest import _s3_ready, _weed_binary, free_ports, port_open  # type: ignore[attr-defined]

BIN = Path(sys.executable).parent / "reelforge"
FINAL = {"completed", "failed", "cancelled"}
TENANTS = ("soak-a", "soak-b")
SYNOPSIS = ("A lighthouse keeper on a storm-bound island finds that the light has started "
            "signalling back. Each night the pattern changes, and each night a ship she "
            "does not recognise comes closer. When the last message spells her name, she "
            "climbs the tower to answer it.")
JOB_SETTINGS = {"duration": 15, "quality": "draft"}
FAULTS = ("429 with Retry-After", "429", "503", "timeout", "truncated body")
WAIT_S, READ_TIMEOUT_S = 120.0, 2.0


# --------------------------------------------------------------------------- faults


class FaultServer:
    """A provider endpoint on 127.0.0.1 that answers one request in `1 / rate` with a fault:
    429 with a Retry-After, 429 without, 503, no answer (the client's read timeout), or a
    body cut short of its Content-Length; otherwise 200. Every answer is journaled."""

    def __init__(self, rate: float, rng: random.Random, journal: Path) -> None:
        self.rate, self.rng, self.journal = rate, rng, journal
        self.port = 0

    def start(self) -> None:
        """Serve from a thread of its own, beside the worker's event loop."""
        import threading

        bound = threading.Event()

        async def serve() -> None:
            server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            bound.set()
            await server.serve_forever()

        threading.Thread(target=asyncio.run, args=(serve(),), daemon=True).start()
        if not bound.wait(WAIT_S):
            raise TimeoutError("the fault server did not start")

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                      ) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = json.loads(await reader.readexactly(length))
                fault = self.rng.choice(FAULTS) if self.rng.random() < self.rate else None
                _journal(self.journal, request["job"], request["capability"],
                         request["item"], fault or "answered")
                if fault == "timeout":
                    await asyncio.sleep(READ_TIMEOUT_S + 1)
                    break
                status, headers, body = {
                    "429 with Retry-After": (429, "Retry-After: 1\r\n", b"{}"),
                    "429": (429, "", b"{}"), "503": (503, "", b"{}"),
                    "truncated body": (200, "", b'{"ok": true, "padding": "...'),
                }.get(fault or "", (200, "", b'{"ok": true}'))
                length_said = len(body) + (100 if fault == "truncated body" else 0)
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                             f"{headers}Content-Length: {length_said}\r\n\r\n".encode() + body)
                await writer.drain()
                if fault == "truncated body":
                    break
        writer.close()


class Faulty:
    """A fake provider behind the fault server: each call first goes through the product's
    HTTP client (`ApiClient`, with its retry policy) to the server, and only an answered
    call reaches the fake. Journals each intact result with its job and a hash of the
    request, so a repeated unit of work shows."""

    def __init__(self, capability: str, inner: Any, server: FaultServer) -> None:
        self.capability, self.inner, self.server = capability, inner, server
        self.name = inner.name

    def __getattr__(self, attr: str) -> Any:
        """The fake's declared capabilities (`accepts_references`, ...), as its own."""
        if attr.startswith("_") or attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    async def generate(self, request: Any, *args: Any) -> Any:
        return await self._call(self.inner.generate, request, *args)

    async def synthesize(self, text: str, voice: str | None = None) -> Any:
        return await self._call(self.inner.synthesize, text, voice)

    async def align(self, audio: Any, transcript: str) -> Any:
        return await self._call(self.inner.align, audio, transcript)

    async def compose(self, plan: Any) -> Any:
        return await self._call(self.inner.compose, plan)

    async def _call(self, method: Any, *args: Any) -> Any:
        from reelforge.limited import CALL_OWNER
        from reelforge.providers.remote.http import ApiClient, HttpPolicy
        from reelforge.settings import Settings

        owner = CALL_OWNER.get()
        job = owner.job_id if owner else None
        item = hashlib.sha1(pickle.dumps(args)).hexdigest()[:12]  # one unit of work
        api = ApiClient(self.name, f"http://127.0.0.1:{self.server.port}",
                        policy=HttpPolicy.from_settings(Settings()))
        async with api.session() as session:
            await session.json("POST", "/call", read_timeout=READ_TIMEOUT_S,
                               safe_to_repeat=True, json={
                                   "job": job, "capability": self.capability, "item": item})
        result = await method(*args)
        _journal(self.server.journal, job, self.capability, item, "ok")
        return result


def _journal(path: Path, job: str | None, capability: str, item: str, outcome: str) -> None:
    line = json.dumps({"job": job, "pid": os.getpid(), "capability": capability,
                       "item": item, "outcome": outcome})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:  # one O_APPEND write per line: lines from several processes never interleave
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def worker_main(stage: str, rate: float, seed: int, journal: Path) -> None:
    server = FaultServer(rate, random.Random(f"{seed}-{stage}-{os.getpid()}"), journal)
    server.start()
    fakes = orchestration.fake_providers(0.1, 0.5, journal.with_suffix(".video"))
    orchestration.worker_main(stage, None, {
        capability: Faulty(capability, fake, server) for capability, fake in fakes.items()})


# --------------------------------------------------------------------------- servers


def _run(argv: list[str], timeout: float = WAIT_S, user: str | None = None) -> str:
    if user:
        argv = ["runuser", "-u", user, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {(done.stderr or done.stdout)[-2000:]}")
    return done.stdout


def _wait(check: Any, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready within {timeout:.0f} s")
        time.sleep(0.3)


def _postgres_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql")
    return versions[-1].parent


@dataclass
class Postgres:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        bin_ = _postgres_bin()
        self.folder.mkdir(parents=True)
        os.chown(self.folder, *_ids("postgres"))
        _run([str(bin_ / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
              "--auth=trust", "--no-sync"], user="postgres")
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._ctl("stop", "-m", "immediate")

    def _ctl(self, *action: str) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=200")
        _run([str(_postgres_bin() / "pg_ctl"), "-D", str(self.folder / "data"), "-w",
              "-t", str(int(WAIT_S)), "-l", str(self.folder / "log"), "-o", options, *action],
             user="postgres")


@dataclass
class RabbitMQ:
    folder: Path
    port: int
    dist_port: int
    node: str = field(default_factory=lambda: f"reelforge-soak-{uuid.uuid4().hex[:6]}@localhost")
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self) -> None:
        for sub in ("mnesia", "log"):
            (self.folder / sub).mkdir(parents=True)
        (self.folder / "plugins").write_text("[].")
        (self.folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        for path in (self.folder, *self.folder.iterdir()):
            os.chown(path, *_ids("rabbitmq"))
        env = {**os.environ, "RABBITMQ_NODENAME": self.node,
               "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
               "RABBITMQ_DIST_PORT": str(self.dist_port),
               "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
               "RABBITMQ_LOG_BASE": str(self.folder / "log"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "plugins"),
               "RABBITMQ_PID_FILE": str(self.folder / "pid")}
        with (self.folder / "server.out").open("wb") as out:
            self.process = subprocess.Popen(["rabbitmq-server"], env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: port_open("127.0.0.1", self.port), "RabbitMQ")
        self.ctl("await_startup")

    def ctl(self, *args: str) -> None:
        _run(["rabbitmqctl", "-n", self.node, *args])

    def restart(self) -> None:
        self.ctl("stop_app")
        self.ctl("start_app")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.ctl("stop")
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class SeaweedFS:
    folder: Path
    access_key: str = "reelforge-soak"
    secret_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        (self.folder / "data").mkdir(parents=True)
        (self.folder / "s3.json").write_text(json.dumps({"identities": [{
            "name": "reelforge",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        ports = free_ports(8)
        self.port = ports[6]
        names = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                 "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc")
        argv = [_weed_binary(), "server", f"-dir={self.folder / 'data'}", "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1", "-s3", "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-s3.config={self.folder / 's3.json'}", "-master.volumeSizeLimitMB=64",
                "-volume.max=0", *(f"-{n}={p}" for n, p in zip(names, ports, strict=True))]
        with (self.folder / "weed.log").open("wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        server = argparse.Namespace(endpoint_url=self.url, region="us-east-1",
                                    access_key=self.access_key, secret_key=self.secret_key)
        _wait(lambda: _s3_ready(server), "SeaweedFS")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


# --------------------------------------------------------------------------- the system


@dataclass
class Soak:
    work: Path
    env: dict[str, str]
    fault_rate: float
    seed: int
    journal: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: Counter[str] = field(default_factory=Counter)
    killed: set[int] = field(default_factory=set)
    api_url: str = ""

    def start_worker(self, stage: str) -> None:
        self.starts[stage] += 1
        log = self.work / f"{stage}.{self.starts[stage]}.log"
        argv = [sys.executable, __file__, "--worker", stage, "--fault-rate",
                str(self.fault_rate), "--seed", str(self.seed), "--journal", str(self.journal)]
        with log.open("wb") as out:
            self.procs[stage] = subprocess.Popen(argv, env=self.env, stdout=out,
                                                 stderr=subprocess.STDOUT,
                                                 start_new_session=True)
        process = self.procs[stage]
        _wait(lambda: process.poll() is not None or b"ready" in log.read_bytes(),
              f"the {stage} worker")
        if process.poll() is not None:
            raise RuntimeError(f"the {stage} worker exited: {log.read_text()[-2000:]}")

    def start_api(self) -> None:
        port = free_ports(1)[0]
        self.api_url = f"http://127.0.0.1:{port}"
        argv = [str(BIN), "api", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning"]
        with (self.work / "api.log").open("wb") as out:
            self.procs["api"] = subprocess.Popen(argv, env=self.env, stdout=out,
                                                 stderr=subprocess.STDOUT,
                                                 start_new_session=True)
        _wait(lambda: _answers(self.api_url + "/readyz"), "the API")

    def kill(self, stage: str) -> None:
        process = self.procs[stage]
        self.killed.add(process.pid)
        process.kill()
        process.wait(timeout=10)
        self.start_worker(stage)

    def stop_all(self) -> None:
        for process in self.procs.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.procs.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running(work: Path, fault_rate: float, seed: int) -> Iterator[tuple[Soak, Postgres,
                                                                        RabbitMQ]]:
    postgres = Postgres(work / "postgres", free_ports(1)[0])
    rabbit = RabbitMQ(work / "rabbitmq", *free_ports(2))
    s3 = SeaweedFS(work / "s3")
    soak: Soak | None = None
    try:
        postgres.start()
        rabbit.start()
        s3.start()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REELFORGE_", "AWS_"))}
        env = {**base, "PYTHONUNBUFFERED": "1", "REELFORGE_NAMESPACE": "soak",
               "REELFORGE_AMQP_URL": rabbit.url,
               "REELFORGE_DATABASE_URL": f"{postgres.url}/reelforge",
               "REELFORGE_S3_ENDPOINT_URL": s3.url, "REELFORGE_S3_BUCKET": "reelforge-soak",
               "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key,
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
               "REELFORGE_METRICS_HOST": "127.0.0.1", "REELFORGE_METRICS_PORT": "0",
               "REELFORGE_API_RATE_LIMIT": "100000",
               "REELFORGE_PROVIDER_JOURNAL": str(work / "provider-journal.jsonl")}
        soak = Soak(work, env, fault_rate, seed, work / "fake-calls.jsonl")
        soak.start_api()
        for stage in WORKER_STAGES:
            soak.start_worker(stage)
        yield soak, postgres, rabbit
    finally:
        if soak is not None:
            soak.stop_all()
        s3.stop()
        rabbit.stop()
        postgres.stop()


# --------------------------------------------------------------------------- the run


@dataclass
class Outcome:
    ids: dict[str, list[str]]
    """tenant -> its job ids"""
    final: dict[str, dict[str, Any]]
    makespan: float
    chaos: list[str]
    cross_tenant: tuple[int, int]
    """(refused, attempted)"""
    killed: set[int]


def create_key(soak: Soak, tenant: str) -> str:
    """Through the real CLI, as an operator would."""
    done = subprocess.run([str(BIN), "keys", "create", "--tenant", tenant], env=soak.env,
                          capture_output=True, text=True, timeout=WAIT_S, check=True)
    return done.stdout.strip()


def submit(client: httpx.Client, seed: int, deadline: float, retried: Counter[str]) -> str:
    """A job through the API, tried again until the deadline, as a client would, after a
    429, a 5xx or no answer (a server restarting), or a refusal because the isolated parse
    ran out of its wall-clock limit (a starved machine); each retry is counted. Every try
    carries the same Idempotency-Key, so a try the API stored before failing is not made a
    second time."""
    key = f"soak-{uuid.uuid4().hex}"
    while True:
        try:
            resp = client.post("/v1/jobs", headers={"Idempotency-Key": key}, json={
                "synopsis": SYNOPSIS, "settings": {**JOB_SETTINGS, "seed": seed}})
        except httpx.HTTPError as exc:
            why, wait = type(exc).__name__, 1.0
        else:
            if resp.status_code in (200, 202):  # 200: an earlier try had made it
                return str(resp.json()["id"])
            slow = resp.status_code == 422 and "too_complex" in resp.text
            if not (resp.status_code in (429, 500, 502, 503) or slow):
                raise RuntimeError(f"submission refused: {resp.status_code} {resp.text[:300]}")
            why = "422 too complex" if slow else str(resp.status_code)
            wait = float(resp.headers.get("Retry-After", "1"))
        if time.monotonic() > deadline:
            raise RuntimeError(f"submission not accepted by the deadline (last: {why})")
        retried[why] += 1
        time.sleep(wait)


def soak_run(soak: Soak, postgres: Postgres, rabbit: RabbitMQ, jobs: int, seed: int,
             chaos: bool, deadline_s: float) -> Outcome:
    rng = random.Random(seed)
    clients = {tenant: httpx.Client(base_url=soak.api_url, timeout=WAIT_S, headers={
        "Authorization": f"Bearer {create_key(soak, tenant)}"}) for tenant in TENANTS}
    started = time.monotonic()
    deadline = started + deadline_s
    ids: dict[str, list[str]] = {tenant: [] for tenant in TENANTS}
    tenants = [TENANTS[n % 2] for n in range(jobs)]
    retried: Counter[str] = Counter()
    seeds = [rng.randrange(2**31) for _ in range(jobs)]
    # submitted in the background, so the chaos below also hits jobs arriving; two at a
    # time, since the API parses each one in a child process: no use queueing more
    pool = ThreadPoolExecutor(2)
    pending = [(t, pool.submit(submit, clients[t], s, deadline, retried))
               for t, s in zip(tenants, seeds, strict=True)]
    submitted = False
    # chaos at these shares of jobs final: kills, then RabbitMQ, then PostgreSQL
    plan = ([(0.05, "kill"), (0.15, "rabbitmq"), (0.25, "kill"), (0.35, "postgres"),
             (0.45, "kill")] if chaos else [])
    done_chaos: list[str] = []
    views: dict[str, dict[str, Any]] = {}
    last_final = started
    while time.monotonic() < deadline:
        views = poll(clients, jobs, views)
        if not submitted and all(future.done() for _, future in pending):
            submitted = True
            print(f"submitted {jobs} jobs in {time.monotonic() - started:.1f} s "
                  f"(submissions tried again: {dict(retried)})", flush=True)
        final = sum(1 for v in views.values() if v["status"] in FINAL)
        if final > sum(1 for v in views.values() if v.get("_counted")):
            last_final = time.monotonic()
            for v in views.values():
                v["_counted"] = v["status"] in FINAL
        while plan and final >= plan[0][0] * jobs and final < jobs:
            _, what = plan.pop(0)
            done_chaos.append(inflict(soak, postgres, rabbit, what, rng, started))
        if final == jobs:
            break
        time.sleep(2.0)
    pool.shutdown(cancel_futures=True)  # bounded: a submission gives up at the deadline
    for tenant, future in pending:
        ids[tenant].append(future.result())
    makespan = last_final - started
    cross = cross_tenant_reads(clients, ids)
    for client in clients.values():
        client.close()
    return Outcome(ids, views, makespan, done_chaos, cross, soak.killed)


def poll(clients: dict[str, httpx.Client], most: int,
         views: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each job's latest summary, page by page through each tenant's list; a failed poll
    (the database restarting) keeps the previous view."""
    fresh = dict(views)
    for tenant, client in clients.items():
        offset = 0
        while offset < most:
            try:
                resp = client.get("/v1/jobs", params={"limit": 100, "offset": offset})
            except httpx.HTTPError:
                break
            if resp.status_code != 200:
                break
            page = resp.json()["jobs"]
            for job in page:
                fresh[job["id"]] = {**fresh.get(job["id"], {}), **job, "tenant": tenant}
            if len(page) < 100:
                break
            offset += 100
    return fresh


def inflict(soak: Soak, postgres: Postgres, rabbit: RabbitMQ, what: str, rng: random.Random,
            started: float) -> str:
    at = time.monotonic() - started
    if what == "kill":
        stage = rng.choice(WORKER_STAGES)
        soak.kill(stage)
        line = f"kill -9 {stage} worker at {at:.0f} s (restarted)"
    elif what == "rabbitmq":
        rabbit.restart()
        line = f"RabbitMQ stop_app/start_app at {at:.0f} s"
    else:
        postgres.restart()
        line = f"PostgreSQL restart at {at:.0f} s"
    print(f"chaos: {line}", flush=True)
    return line


def cross_tenant_reads(clients: dict[str, httpx.Client],
                       ids: dict[str, list[str]]) -> tuple[int, int]:
    """Each tenant's key on every job of the other: the job and its event stream must be
    404, and its job list must not name them."""
    refused = attempted = 0
    for tenant, client in clients.items():
        other = [j for t, js in ids.items() if t != tenant for j in js]
        for job_id in other:
            for path in (f"/v1/jobs/{job_id}", f"/v1/jobs/{job_id}/events"):
                attempted += 1
                with client.stream("GET", path, timeout=10) as resp:
                    refused += resp.status_code == 404
        attempted += 1
        listed = {j for v in poll({tenant: client}, len(ids[tenant]) + 1, {}).values()
                  for j in [v["id"]]}
        refused += not (listed & set(other))
    return refused, attempted


def duplicates(journal: Path, killed: set[int]) -> tuple[int, int, Counter[str]]:
    """Intact results of a unit of work (job, capability, request) beyond the first:
    (redone after the process that had it was killed, others, outcomes of every call)."""
    calls = [json.loads(line) for line in journal.read_text().splitlines()] \
        if journal.exists() else []
    seen: dict[tuple[str, str, str], list[int]] = {}
    after_kill = others = 0
    for call in calls:
        if call["outcome"] != "ok":
            continue
        earlier = seen.setdefault((call["job"], call["capability"], call["item"]), [])
        if earlier and earlier[-1] in killed:
            after_kill += 1
        elif earlier:
            others += 1
            print(f"  duplicate: {call}", flush=True)
        earlier.append(call["pid"])
    return after_kill, others, Counter(c["outcome"] for c in calls)


def report(outcome: Outcome, journal: Path, work: Path) -> str:
    views = outcome.final
    every = [j for js in outcome.ids.values() for j in js]
    status = {j: views.get(j, {}).get("status", "unknown") for j in every}
    completed = [j for j in every if status[j] == "completed"]
    failed = [j for j in every if status[j] in ("failed", "cancelled")]
    lost = [j for j in every if status[j] not in FINAL]
    after_kill, extra, outcomes = duplicates(journal, outcome.killed)
    refused, attempted = outcome.cross_tenant
    for line in outcome.chaos:
        print(f"  {line}")
    print(f"provider answers and results: {dict(outcomes)}")
    print(f"jobs completed: {len(completed)} / {len(every)}")
    print(f"jobs lost (not final by the deadline): {len(lost)}")
    for j in lost:
        print(f"  {j}: {status[j]}")
    print(f"jobs failed: {len(failed)}")
    for j in failed:
        print(f"  {j}: {views[j].get('error')}")
    print(f"duplicate provider calls: {extra} (and {after_kill} redone after a kill -9 of "
          "the worker that had made them)")
    print(f"cross-tenant reads refused: {refused} / {attempted}")
    print(f"makespan: {outcome.makespan:.1f} s; logs in {work}")
    return (f"soak_completed={len(completed)} lost={len(lost)} failed={len(failed)} "
            f"duplicates={extra} cross_tenant_refused={refused}/{attempted} "
            f"makespan_s={outcome.makespan:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-chaos", action="store_true", help="no kills, no restarts")
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--deadline", type=float, default=1500.0,
                        help="s from the first submission until unfinished jobs count as lost")
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # run as one stage's worker
    parser.add_argument("--journal", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.fault_rate, args.seed, args.journal)
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl-C
    print(f"machine: {benchlib.machine()}")
    print(f"{args.jobs} jobs, seed {args.seed}, fault rate {args.fault_rate}, "
          f"chaos {'off' if args.no_chaos else 'on'}", flush=True)
    with tempfile.TemporaryDirectory(prefix="reelforge-soak-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the servers run as their own users
        with running(work, args.fault_rate, args.seed) as (soak, postgres, rabbit):
            outcome = soak_run(soak, postgres, rabbit, args.jobs, args.seed,
                               not args.no_chaos, args.deadline)
        last = report(outcome, work / "fake-calls.jsonl", work)
        if args.keep:
            kept = benchlib.WORK / "soak"
            subprocess.run(["rm", "-rf", str(kept)], check=False)
            kept.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-r", str(work), str(kept)], check=False)
            print(f"logs kept in {kept}")
        print(last)


if __name__ == "__main__":
    main()
