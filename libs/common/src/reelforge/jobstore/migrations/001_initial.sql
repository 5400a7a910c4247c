-- The job projection. Columns for what is queried or changed concurrently; `doc` (JSONB)
-- holds the rest of the Job model (settings, title, source key, force, budget) so new model
-- fields round-trip without a migration.

CREATE TABLE jobs (
    id          text PRIMARY KEY,
    tenant      text NOT NULL,
    status      text NOT NULL,
    error       text,
    run         integer NOT NULL DEFAULT 1 CHECK (run >= 1),
    cost_usd    double precision NOT NULL DEFAULT 0,
    event_seq   bigint NOT NULL DEFAULT 0,          -- last progress event number of this job
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    doc         jsonb NOT NULL
);
CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at DESC, id);
CREATE INDEX jobs_status_updated ON jobs (status, updated_at);

-- per-stage status: one row per (job, stage)
CREATE TABLE job_stages (
    job_id      text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    stage       text NOT NULL,
    status      text NOT NULL,
    error       text,
    started_at  timestamptz,
    finished_at timestamptz,
    seconds     double precision,
    PRIMARY KEY (job_id, stage)
);

-- fan-out / fan-in: the group row is the counter (one row lock serialises completions),
-- the item rows make a duplicate completion a no-op
CREATE TABLE work_groups (
    job_id      text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    grp         text NOT NULL,
    total       integer NOT NULL DEFAULT 0,
    remaining   integer NOT NULL DEFAULT 0 CHECK (remaining >= 0),
    PRIMARY KEY (job_id, grp)
);
CREATE TABLE work_items (
    job_id      text NOT NULL,
    grp         text NOT NULL,
    item        text NOT NULL,
    done        boolean NOT NULL DEFAULT false,
    done_at     timestamptz,
    PRIMARY KEY (job_id, grp, item),
    FOREIGN KEY (job_id, grp) REFERENCES work_groups (job_id, grp) ON DELETE CASCADE
);

CREATE TABLE artifacts (
    job_id      text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name        text NOT NULL,
    key         text NOT NULL,
    stage       text NOT NULL,
    doc         jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, name)
);

-- seq is numbered per job under the job's row lock, so a reader polling with `after` never
-- skips an event that commits late
CREATE TABLE progress_events (
    job_id      text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    stage       text NOT NULL,
    kind        text NOT NULL,
    message     text NOT NULL DEFAULT '',
    time        timestamptz NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE api_keys (
    key_hash    text PRIMARY KEY,
    tenant      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);

-- global provider limiter: one row per held slot
CREATE TABLE limiter_slots (
    provider    text NOT NULL,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (provider, holder)
);

-- leases (the sweeper)
CREATE TABLE locks (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL
);
