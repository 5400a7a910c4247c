"""The JobStore contract, part by part (the protocols in `jobstore.base`), run against
SQLiteJobStore and PostgresJobStore.

`StoreKit.make()` opens another store on the same database — another connection, as another
replica (or process, for SQLite) would — so the concurrency tests cross connections.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from reelforge.jobstore import (
    JobExists,
    JobNotFound,
    JobStore,
    SQLiteJobStore,
    hash_api_key,
    key_id,
)
from reelforge.jobstore.postgres import PostgresJobStore
from reelforge.models import ArtifactRecord, Job, JobSettings, ProgressEvent, Status, utcnow


@dataclass
class StoreKit:
    name: str
    open: Callable[[], JobStore]
    opened: list[JobStore] = field(default_factory=list)

    async def make(self) -> JobStore:
        store = self.open()
        await store.start()
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", "postgres"])
async def kit(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreKit]:
    if request.param == "sqlite":
        path = tmp_path / "jobs.db"
        k = StoreKit("sqlite", lambda: SQLiteJobStore(path))
    else:
        dsn = request.getfixturevalue("pg_dsn")
        k = StoreKit("postgres", lambda: PostgresJobStore(dsn, max_size=4))
    yield k
    for store in k.opened:
        await store.close()


@pytest.fixture
async def jobs(kit: StoreKit) -> JobStore:
    return await kit.make()


def new_job(tenant: str, **kw: object) -> Job:
    return Job(id=uuid.uuid4().hex, tenant=tenant, source_key="jobs/x/source.txt", **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- JobRecords


async def test_create_get_round_trip(jobs: JobStore, unique: str) -> None:
    job = new_job(unique, title="The Last Light", force=["video"], budget_usd=2.5,
                  settings=JobSettings(duration=45, aspect="9:16", grade="color", seed=7))
    await jobs.create_job(job)
    got = await jobs.get_job(job.id)
    assert got.model_dump(exclude={"created_at", "updated_at"}) == job.model_dump(
        exclude={"created_at", "updated_at"})
    assert abs((got.created_at - job.created_at).total_seconds()) < 0.001
    with pytest.raises(JobNotFound):
        await jobs.get_job("no-such-job")
    with pytest.raises(JobExists):  # an id names one job: an idempotent retry relies on it
        await jobs.create_job(job.model_copy(update={"title": "Another"}))
    assert (await jobs.get_job(job.id)).title == "The Last Light"


async def test_list_jobs_isolates_tenants_and_paginates(jobs: JobStore, unique: str) -> None:
    base = utcnow()
    mine = [new_job(f"{unique}-a", created_at=base + timedelta(seconds=i)) for i in range(7)]
    theirs = [new_job(f"{unique}-b", created_at=base + timedelta(seconds=i)) for i in range(2)]
    for j in random.sample(mine + theirs, len(mine) + len(theirs)):
        await jobs.create_job(j)
    pages = [await jobs.list_jobs(f"{unique}-a", limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    listed = [j.id for page in pages for j in page]
    assert listed == [j.id for j in reversed(mine)]  # newest first, no overlap
    assert {j.id for j in await jobs.list_jobs(f"{unique}-b")} == {j.id for j in theirs}
    assert await jobs.list_jobs(f"{unique}-nobody") == []


async def test_stage_transitions_are_timestamped(jobs: JobStore, unique: str) -> None:
    job = new_job(unique)
    await jobs.create_job(job)
    await jobs.set_stage(job.id, "script", Status.running)
    running = (await jobs.get_job(job.id)).stages["script"]
    assert running.status == Status.running and running.started_at is not None
    assert running.finished_at is None
    await asyncio.sleep(0.05)
    await jobs.set_stage(job.id, "script", Status.running)  # again: keeps its start
    await jobs.set_stage(job.id, "script", Status.completed)
    done = (await jobs.get_job(job.id)).stages["script"]
    assert done.status == Status.completed and done.started_at == running.started_at
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert done.seconds is not None and 0.04 <= done.seconds < 5
    await jobs.set_stage(job.id, "audio", Status.failed, "TTS: no voice")
    failed = (await jobs.get_job(job.id)).stages["audio"]
    assert (failed.status, failed.error) == (Status.failed, "TTS: no voice")
    await jobs.set_stage(job.id, "extra", Status.running)  # a stage not made at creation
    assert (await jobs.get_job(job.id)).stages["extra"].status == Status.running
    await jobs.set_job_status(job.id, Status.failed, "audio: TTS: no voice")
    got = await jobs.get_job(job.id)
    assert (got.status, got.error) == (Status.failed, "audio: TTS: no voice")
    assert got.updated_at > job.updated_at
    for call in (jobs.set_stage("nope", "script", Status.running),
                 jobs.set_job_status("nope", Status.failed)):
        with pytest.raises(JobNotFound):
            await call


async def test_update_job_cost_and_bump_run(jobs: JobStore, unique: str) -> None:
    job = new_job(unique)
    await jobs.create_job(job)
    changed = job.model_copy(update={"title": "Retitled", "force": ["assembly"],
                                     "settings": JobSettings(duration=30)})
    await jobs.update_job(changed)
    got = await jobs.get_job(job.id)
    assert (got.title, got.force, got.settings.duration) == ("Retitled", ["assembly"], 30)
    assert await jobs.add_cost(job.id, 0.25) == pytest.approx(0.25)
    assert await jobs.add_cost(job.id, 0.5) == pytest.approx(0.75)
    await jobs.set_job_status(job.id, Status.failed, "boom")
    assert await jobs.bump_run(job.id) == 2
    got = await jobs.get_job(job.id)
    assert (got.run, got.status, got.error, got.group("video")) == (2, Status.queued, None,
                                                                   "video#2")
    assert await jobs.bump_run(job.id) == 3
    with pytest.raises(JobNotFound):
        await jobs.bump_run("nope")


async def test_update_job_sets_and_clears_a_supplied_script(jobs: JobStore, unique: str) -> None:
    job = new_job(unique)
    await jobs.create_job(job)
    await jobs.update_job(job.model_copy(update={"script_key": "jobs/x/script/edited.json"}))
    assert (await jobs.get_job(job.id)).script_key == "jobs/x/script/edited.json"
    await jobs.update_job(job.model_copy(update={"script_key": None}))
    assert (await jobs.get_job(job.id)).script_key is None


async def test_revise_job_refuses_a_stale_revision_across_stores(
    kit: StoreKit, unique: str
) -> None:
    first, second = await kit.make(), await kit.make()
    job = new_job(unique)
    await first.create_job(job)

    async def edit(store: JobStore, title: str) -> bool:
        mine = await store.get_job(job.id)
        mine.title, mine.awaiting, mine.approved = title, "storyboard", ["script"]
        return await store.revise_job(mine, 0)

    outcomes = await asyncio.gather(edit(first, "one"), edit(second, "two"))
    assert sorted(outcomes) == [False, True]
    stored = await second.get_job(job.id)
    assert stored.revision == 1
    assert stored.title == ("one" if outcomes[0] else "two")
    assert (stored.awaiting, stored.approved) == ("storyboard", ["script"])
    assert not await first.revise_job(stored.model_copy(update={"title": "late"}), 0)
    assert (await first.get_job(job.id)).title == stored.title


async def test_delete_job_removes_it_and_its_records(jobs: JobStore, unique: str) -> None:
    job, other = new_job(unique), new_job(unique)
    for j in (job, other):
        await jobs.create_job(j)
        await jobs.add_items(j.id, "video#1", ["01"])
        await jobs.record_artifact(j.id, ArtifactRecord(name="script", key="k", stage="script"))
        await jobs.add_event(ProgressEvent(job_id=j.id, stage="script", kind="started"))
    await jobs.delete_job(job.id)
    await jobs.delete_job(job.id)  # gone already: no error
    with pytest.raises(JobNotFound):
        await jobs.get_job(job.id)
    assert await jobs.get_artifact(job.id, "script") is None
    assert await jobs.list_events(job.id) == []
    assert [j.id for j in await jobs.list_jobs(unique)] == [other.id]
    assert await jobs.get_artifact(other.id, "script") is not None
    assert await jobs.item_counts(other.id, "video#1") == (0, 1)


# ------------------------------------------------------------- WorkItems: fan-out and joins


async def test_fan_in_under_concurrency_exactly_one_sees_zero(
    kit: StoreKit, jobs: JobStore, unique: str
) -> None:
    job = new_job(unique)
    await jobs.create_job(job)
    group = job.group("video")
    items = [f"{i:02d}" for i in range(1, 51)]
    await jobs.add_items(job.id, group, items)
    await jobs.add_items(job.id, group, items[:10])  # registering again changes nothing
    assert await jobs.item_counts(job.id, group) == (0, 50)
    stores = [jobs] + [await kit.make() for _ in range(3)]
    results = await asyncio.gather(*(
        stores[i % len(stores)].complete_item(job.id, group, item)
        for i, item in enumerate(random.sample(items, len(items)))
    ))
    assert sorted(results) == list(range(50))  # each remaining count seen once: one 0
    assert await jobs.item_counts(job.id, group) == (50, 50)
    # a redelivered completion does not count again, and still sees 0 (so it re-publishes)
    again = await asyncio.gather(*(
        stores[i % len(stores)].complete_item(job.id, group, item)
        for i, item in enumerate(items[:20])
    ))
    assert again == [0] * 20
    assert await jobs.item_counts(job.id, group) == (50, 50)
    stage = (await jobs.get_job(job.id)).stages["video"]
    assert (stage.items_done, stage.items_total) == (50, 50)


async def test_concurrent_duplicates_do_not_double_count(
    kit: StoreKit, jobs: JobStore, unique: str
) -> None:
    job = new_job(unique)
    await jobs.create_job(job)
    group = job.group("storyboard")
    await jobs.add_items(job.id, group, [str(i) for i in range(10)])
    other = await kit.make()
    calls = [s.complete_item(job.id, group, str(i)) for i in range(5) for s in (jobs, other)]
    results = await asyncio.gather(*calls)
    assert min(results) == 5
    assert await jobs.item_counts(job.id, group) == (5, 10)
    assert await jobs.item_counts(job.id, "storyboard#99") == (0, 0)
    # a new run's group starts from scratch
    assert await jobs.bump_run(job.id) == 2
    assert (await jobs.get_job(job.id)).stages["storyboard"].items_total == 0


# --------------------------------------------------------------------------- Artifacts


async def test_artifacts_upsert_and_prefix_listing(jobs: JobStore, unique: str) -> None:
    job = new_job(unique)
    await jobs.create_job(job)

    def art(name: str, key: str) -> ArtifactRecord:
        return ArtifactRecord(name=name, key=key, stage=name.split("/")[0], size=10)

    for name in ["clip/02", "clip/01", "clips_x", "Clip/03", "trailer", "trailer_9x16",
                 "trailerX"]:
        await jobs.record_artifact(job.id, art(name, f"k/{name}"))
    await jobs.record_artifact(job.id, art("clip/01", "k/clip/01-v2"))
    got = await jobs.get_artifact(job.id, "clip/01")
    assert got is not None and got.key == "k/clip/01-v2" and got.size == 10
    assert await jobs.get_artifact(job.id, "nope") is None
    assert [a.name for a in await jobs.list_artifacts(job.id, "clip/")] == ["clip/01", "clip/02"]
    assert [a.name for a in await jobs.list_artifacts(job.id, "trailer_")] == ["trailer_9x16"]
    assert len(await jobs.list_artifacts(job.id)) == 7
    assert [a.name for a in await jobs.list_artifacts(job.id)][:3] == ["Clip/03", "clip/01",
                                                                     "clip/02"]


# --------------------------------------------------------------------------- Progress


async def test_events_are_ordered_and_paged_with_after(
    kit: StoreKit, jobs: JobStore, unique: str
) -> None:
    job, other_job = new_job(unique), new_job(unique)
    await jobs.create_job(job)
    await jobs.create_job(other_job)
    seqs = []
    for i in range(5):
        seqs.append(await jobs.add_event(
            ProgressEvent(job_id=job.id, stage="video", kind="item", message=f"clip {i}")))
        await jobs.add_event(ProgressEvent(job_id=other_job.id, stage="script", kind="info"))
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    events = await jobs.list_events(job.id)
    assert [e.message for e in events] == [f"clip {i}" for i in range(5)]
    assert [e.seq for e in events] == seqs
    tail = await jobs.list_events(job.id, after=seqs[1])
    assert [e.message for e in tail] == ["clip 2", "clip 3", "clip 4"]
    assert await jobs.list_events(job.id, after=seqs[-1]) == []
    # concurrent writers from several connections: unique, gap-free ordering for readers
    stores = [jobs, await kit.make(), await kit.make()]
    more = await asyncio.gather(*(
        stores[i % 3].add_event(ProgressEvent(job_id=job.id, stage="video", kind="item"))
        for i in range(30)))
    assert len(set(more)) == 30 and min(more) > seqs[-1]
    assert [e.seq for e in await jobs.list_events(job.id, after=seqs[-1])] == sorted(more)
    with pytest.raises(JobNotFound):
        await jobs.add_event(ProgressEvent(job_id="nope", stage="x", kind="info"))


# --------------------------------------------------------------------------- ApiKeys


async def test_api_keys_are_stored_hashed_per_tenant(jobs: JobStore, unique: str) -> None:
    key = f"rf_{uuid.uuid4().hex}"
    digest = hash_api_key(key)
    assert digest != key and len(digest) == 64
    await jobs.create_api_key(f"{unique}-a", digest)
    await jobs.create_api_key(f"{unique}-a", digest)  # idempotent
    assert await jobs.tenant_for_key(digest) == f"{unique}-a"
    assert await jobs.tenant_for_key(hash_api_key("rf_wrong")) is None
    with pytest.raises(ValueError):
        await jobs.create_api_key(f"{unique}-b", digest)
    assert await jobs.tenant_for_key(digest) == f"{unique}-a"


async def test_revoked_and_expired_keys_authenticate_nobody(jobs: JobStore, unique: str) -> None:
    tenant, other = f"{unique}-rev", f"{unique}-other"
    keep, revoke, later = (hash_api_key(f"rf_{uuid.uuid4().hex}") for _ in range(3))
    expired, theirs = hash_api_key(f"rf_{uuid.uuid4().hex}"), hash_api_key(f"rf_{unique}")
    await jobs.create_api_key(tenant, keep)
    await jobs.create_api_key(tenant, revoke)
    await jobs.create_api_key(tenant, later, expires_at=utcnow() + timedelta(days=30))
    await jobs.create_api_key(tenant, expired, expires_at=utcnow() - timedelta(seconds=1))
    await jobs.create_api_key(other, theirs)
    assert await jobs.tenant_for_key(expired) is None
    assert await jobs.tenant_for_key(later) == tenant

    assert await jobs.revoke_api_keys(other, key_id(revoke)) == 0  # not theirs to revoke
    assert await jobs.revoke_api_keys(tenant, key_id(revoke)) == 1
    assert await jobs.revoke_api_keys(tenant, key_id(revoke)) == 0  # already revoked
    assert await jobs.tenant_for_key(revoke) is None
    assert await jobs.tenant_for_key(keep) == tenant

    listed = {k.key_id: k for k in await jobs.list_api_keys(tenant)}
    assert set(listed) == {key_id(h) for h in (keep, revoke, later, expired)}
    assert listed[key_id(revoke)].revoked_at is not None
    assert listed[key_id(keep)].revoked_at is None and listed[key_id(keep)].expires_at is None
    assert listed[key_id(later)].expires_at is not None
    assert all(k.tenant == tenant and k.created_at.tzinfo is not None for k in listed.values())

    assert await jobs.revoke_api_keys(tenant) == 3  # the rest: keep, later and the expired one
    assert await jobs.tenant_for_key(keep) is None and await jobs.tenant_for_key(later) is None
    assert await jobs.tenant_for_key(theirs) == other


# ------------------------------------------------------------- ProviderSlots (the limiter)


async def test_limiter_slots_never_exceed_the_limit_across_stores(
    kit: StoreKit, jobs: JobStore, unique: str
) -> None:
    provider, limit = f"seedance-{unique}", 3
    stores = [jobs, await kit.make()]
    active, peak, calls = 0, 0, 0

    async def worker(n: int) -> None:
        nonlocal active, peak, calls
        store, holder = stores[n % 2], f"replica{n % 2}:{n}"
        for _ in range(3):
            while not await store.acquire_slot(provider, holder, limit, ttl=30):
                await asyncio.sleep(random.uniform(0.005, 0.02))
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(random.uniform(0.005, 0.03))
            active -= 1
            calls += 1
            await store.release_slot(provider, holder)

    await asyncio.gather(*(worker(n) for n in range(12)))
    assert calls == 36
    assert 1 <= peak <= limit  # how close the race came to the limit depends on the load
    # the limit itself is reachable, from both stores, and not one slot more
    held = [await stores[n % 2].acquire_slot(provider, f"holder{n}", limit, ttl=30)
            for n in range(limit + 1)]
    assert held == [True] * limit + [False]


async def test_limiter_slots_expire_and_renew(jobs: JobStore, unique: str) -> None:
    provider = f"elevenlabs-{unique}"
    assert await jobs.acquire_slot(provider, "crashed", 1, ttl=0.3)
    assert not await jobs.acquire_slot(provider, "alive", 1, ttl=10)
    assert await jobs.acquire_slot(provider, "crashed", 1, ttl=0.3)  # renewal by the holder
    await asyncio.sleep(0.45)
    assert await jobs.acquire_slot(provider, "alive", 1, ttl=10)  # the dead holder is evicted
    assert not await jobs.acquire_slot(provider, "crashed", 1, ttl=10)
    await jobs.release_slot(provider, "alive")
    await jobs.release_slot(provider, "alive")  # twice is harmless
    assert await jobs.acquire_slot(provider, "next", 1, ttl=10)
    assert await jobs.acquire_slot(f"{provider}-other", "next", 1, ttl=10)  # per provider


# ------------------------------------------------------- Leases; JobRecords.stuck_jobs (sweeper)


async def test_lock_lease_is_exclusive_and_expires(
    kit: StoreKit, jobs: JobStore, unique: str
) -> None:
    name = f"sweeper-{unique}"
    other = await kit.make()
    wins = await asyncio.gather(*(
        (jobs if i % 2 else other).try_lock(name, f"replica-{i}", ttl=0.4) for i in range(10)))
    assert wins.count(True) == 1
    owner = f"replica-{wins.index(True)}"
    intruder = "replica-x"
    assert await jobs.try_lock(name, owner, ttl=0.4)  # the holder renews
    assert not await other.try_lock(name, intruder, ttl=0.4)
    await jobs.release_lock(name, intruder)  # not the holder: nothing happens
    assert not await other.try_lock(name, intruder, ttl=0.4)
    await asyncio.sleep(0.55)
    assert await other.try_lock(name, intruder, ttl=10)  # expired: taken over
    assert not await jobs.try_lock(name, owner, ttl=10)
    await other.release_lock(name, intruder)
    assert await jobs.try_lock(name, owner, ttl=10)


async def test_stuck_jobs_lists_idle_running_jobs(jobs: JobStore, unique: str) -> None:
    idle, busy, queued, done = (new_job(unique) for _ in range(4))
    for j in (idle, busy, queued, done):
        await jobs.create_job(j)
    for j in (idle, busy):
        await jobs.set_job_status(j.id, Status.running)
    await jobs.set_job_status(done.id, Status.completed)
    await jobs.add_items(busy.id, busy.group("video"), ["01", "02"])
    mine = {idle.id, busy.id, queued.id, done.id}

    async def stuck(older: float, **kw: object) -> list[str]:
        return [j.id for j in await jobs.stuck_jobs(older, **kw) if j.id in mine]  # type: ignore[arg-type]

    assert await stuck(3600) == []
    await asyncio.sleep(0.4)
    await jobs.complete_item(busy.id, busy.group("video"), "01")  # progress counts
    assert await stuck(0.3) == [idle.id]
    assert set(await stuck(0.3, statuses=[Status.running, Status.queued])) == {idle.id,
                                                                              queued.id}
    await jobs.add_event(ProgressEvent(job_id=idle.id, stage="video", kind="item"))
    assert await stuck(0.3) == []
    await asyncio.sleep(0.4)
    assert set(await stuck(0.3)) == {idle.id, busy.id}


# --------------------------------------------------------------------------- migrations


async def test_concurrent_start_migrates_once(
    request: pytest.FixtureRequest, kit: StoreKit, tmp_path: Path
) -> None:
    """Several services starting at once against a brand-new database."""
    if kit.name == "postgres":
        dsn = request.getfixturevalue("pg_database")()  # not created yet: start() creates it
        stores: list[JobStore] = [PostgresJobStore(dsn, max_size=2) for _ in range(4)]
    else:
        stores = [SQLiteJobStore(tmp_path / "fresh.db") for _ in range(4)]
    try:
        await asyncio.gather(*(s.start() for s in stores))
        job = new_job("t")
        await stores[0].create_job(job)
        assert (await stores[3].get_job(job.id)).id == job.id
        restarted = stores[0].__class__(dsn if kit.name == "postgres" else tmp_path / "fresh.db")  # type: ignore[call-arg]
        await restarted.start()
        stores.append(restarted)
        assert await _migration_count(restarted) == await _expected_migrations(restarted)
    finally:
        for s in stores:
            await s.close()


async def _migration_count(store: JobStore) -> int:
    if isinstance(store, PostgresJobStore):
        return int(await store.pool.fetchval("SELECT count(*) FROM schema_migrations"))
    assert isinstance(store, SQLiteJobStore)
    async with store.db.execute("SELECT COUNT(*) FROM schema_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _expected_migrations(store: JobStore) -> int:
    from reelforge.jobstore import sqlite
    from reelforge.jobstore.pg_migrate import load_migrations

    return len(load_migrations()) if isinstance(store, PostgresJobStore) else len(
        sqlite.MIGRATIONS)
