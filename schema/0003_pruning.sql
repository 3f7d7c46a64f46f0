-- 0003_pruning.sql - early stopping: an evaluation can end 'pruned' (its
-- training stopped early by the run's pruner, stored with the metrics of
-- its last epoch), and every trained evaluation keeps its learning curve.
--
-- SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt (https://sqlite.org/lang_altertable.html#otheralter): nothing
-- references evaluations, and the rows are copied unchanged.

CREATE TABLE evaluations_new (
    run         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    rep         INTEGER NOT NULL DEFAULT 0,
    hash        TEXT NOT NULL,
    state       TEXT NOT NULL
                CHECK (state IN ('complete', 'failed', 'invalid', 'pruned')),
    feasible    INTEGER NOT NULL DEFAULT 0,
    cached      INTEGER NOT NULL DEFAULT 0,
    eval_key    TEXT NOT NULL,
    config      TEXT,
    metrics     TEXT NOT NULL DEFAULT '{}',
    error       TEXT,
    started_at  REAL,
    finished_at REAL,
    -- [{"epoch": 1, "train_loss": ..., "acc@fp": ..., ...}, ...] for trained
    -- evaluations, one object per epoch trained; NULL for the others.
    curve       TEXT,
    PRIMARY KEY (run, seq)
);

INSERT INTO evaluations_new (run, seq, rep, hash, state, feasible, cached, eval_key, config,
                             metrics, error, started_at, finished_at)
    SELECT run, seq, rep, hash, state, feasible, cached, eval_key, config, metrics, error,
           started_at, finished_at
    FROM evaluations;

DROP TABLE evaluations;
ALTER TABLE evaluations_new RENAME TO evaluations;

CREATE INDEX evaluations_key ON evaluations (eval_key) WHERE state = 'complete';
CREATE INDEX evaluations_hash ON evaluations (hash);
