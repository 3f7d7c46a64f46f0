-- 0002_surrogates.sql - XGBoost models fitted on stored evaluations.
--
-- A row is written in state 'fitting' when POST /api/v1/surrogates accepts
-- a request; the fit runs on the pool and finishes it as 'ready' (model and
-- quality) or 'failed' (error). A fit cut off by a stop or a crash is
-- finished as failed with the code "interrupted" at the next start.

CREATE TABLE surrogates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after a delete
    name        TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT 'fitting'
                CHECK (state IN ('fitting', 'ready', 'failed')),
    spec        TEXT NOT NULL,                      -- {"runs", "metric", "params", "folds"}
    space       TEXT NOT NULL,                      -- the space whose encoding it reads
    n           INTEGER NOT NULL,                   -- rows (distinct architectures)
    quality     TEXT,                               -- k-fold figures once ready
    error       TEXT,                               -- {"code", "detail"} when failed
    model       BLOB,                               -- XGBoost's JSON model once ready
    created_at  REAL NOT NULL,
    finished_at REAL
);

CREATE INDEX surrogates_state ON surrogates (state);
