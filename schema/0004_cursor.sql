-- 0004_cursor.sql - a commit-order cursor for evaluations.
--
-- Evaluations are committed out of sequence order (seq 12 may finish
-- before seq 11), so a client that polls for "seq > the largest seen"
-- misses the late ones. Every stored row gets a cursor from one counter of
-- the database, increasing with each commit, never reused: "cursor > the
-- largest seen" finds exactly what was committed since (and a result
-- stored again, as INSERT OR REPLACE does, counts as new).
--
-- A counter row rather than max(cursor) + 1 or the rowid: both would hand
-- out again the numbers of a deleted run's rows. A trigger rather than the
-- INSERT statement, so that no way of storing a row can forget it.

ALTER TABLE evaluations ADD COLUMN cursor INTEGER;

CREATE TABLE eval_cursor (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);

-- Rows already stored: their rowid follows the order they were committed
-- in since 0003 rebuilt the table (the rows it copied come first).
UPDATE evaluations SET cursor = rowid;
INSERT INTO eval_cursor (id, last) SELECT 1, coalesce(max(rowid), 0) FROM evaluations;

CREATE UNIQUE INDEX evaluations_run_cursor ON evaluations (run, cursor);

CREATE TRIGGER evaluations_commit_order AFTER INSERT ON evaluations
BEGIN
    UPDATE eval_cursor SET last = last + 1 WHERE id = 1;
    UPDATE evaluations SET cursor = (SELECT last FROM eval_cursor WHERE id = 1)
        WHERE rowid = NEW.rowid;
END;
