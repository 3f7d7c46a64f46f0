-- 0001_init.sql - the first schema of anasd's database.
--
-- Applied once, in a transaction, by store_open(); PRAGMA user_version then
-- records 1. Never edit a migration that has shipped: add 0002_....sql.
--
-- JSON columns hold text that daemon/codec.c produced; SQLite only looks
-- inside it with json_extract() (sorting by a metric, filling the indexed
-- params/macs/tiles columns). Timestamps are REAL unix seconds, NULL when
-- not reached yet.

-- One row per submitted run (kinds: search, evaluate, train).
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after a delete
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
                                 'canceled', 'interrupted')),
    spec        TEXT NOT NULL,                      -- normalized spec, seed included
    created_at  REAL NOT NULL,
    started_at  REAL,
    finished_at REAL,
    done        INTEGER NOT NULL DEFAULT 0,         -- evaluations finished
    total       INTEGER NOT NULL DEFAULT -1,        -- -1 while unknown
    best        TEXT,                               -- best feasible evaluation so far
    summary     TEXT,                               -- statistics over the repetitions
    error       TEXT                                -- {"code", "detail"} when failed
);

-- Listing by state (the scheduler's "what is queued?", the API's ?state=)
-- newest or oldest first.
CREATE INDEX runs_state ON runs (state, id);

-- One row per distinct architecture; the hash covers the space, the input
-- shape and the canonical config, so rows never change once written.
CREATE TABLE architectures (
    hash        TEXT PRIMARY KEY,                   -- 16 hex digits
    space       TEXT NOT NULL,
    shape       TEXT NOT NULL,                      -- {"input":[c,h,w],"classes":k}
    config      TEXT NOT NULL,
    metrics     TEXT NOT NULL,                      -- analytic metrics
    -- Copied out of metrics at insert time so that size queries can use an
    -- index instead of parsing JSON row by row.
    params      INTEGER,
    macs        INTEGER,
    tiles       INTEGER,
    created_at  REAL NOT NULL
);

CREATE INDEX architectures_params ON architectures (params);
CREATE INDEX architectures_macs ON architectures (macs);
CREATE INDEX architectures_tiles ON architectures (tiles);

-- Finished evaluations only: a row is written once the result is known, in
-- its own transaction, before the optimizer sees it. Pending work lives in
-- memory and is recomputed from the run's spec after a restart.
CREATE TABLE evaluations (
    run         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,                   -- 1-based proposal order in the run
    rep         INTEGER NOT NULL DEFAULT 0,         -- repetition of the search
    -- Not a foreign key: an evaluation rejected before its network was
    -- built may name an architecture that was never stored.
    hash        TEXT NOT NULL,
    state       TEXT NOT NULL
                CHECK (state IN ('complete', 'failed', 'invalid')),
    feasible    INTEGER NOT NULL DEFAULT 0,
    cached      INTEGER NOT NULL DEFAULT 0,         -- copied from an earlier evaluation
    eval_key    TEXT NOT NULL,                      -- sha256(architecture, evaluator)
    config      TEXT,
    metrics     TEXT NOT NULL DEFAULT '{}',
    error       TEXT,
    started_at  REAL,
    finished_at REAL,
    PRIMARY KEY (run, seq)
);

-- Deduplication looks up completed results by key; failed ones are retried,
-- so they stay out of this (partial) index.
CREATE INDEX evaluations_key ON evaluations (eval_key) WHERE state = 'complete';
-- "Every evaluation of this architecture".
CREATE INDEX evaluations_hash ON evaluations (hash);

-- What a run's event stream (SSE) replays to a client that reconnects with
-- Last-Event-ID: seq is the event id.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    run         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                      -- progress, evaluation, state
    payload     TEXT NOT NULL,                      -- JSON
    created_at  REAL NOT NULL
);

CREATE INDEX events_run ON events (run, seq);

-- Trained weights of final networks (runs of kind "train").
CREATE TABLE models (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    format      TEXT NOT NULL,
    blob        BLOB NOT NULL,
    created_at  REAL NOT NULL
);

CREATE INDEX models_run ON models (run);
