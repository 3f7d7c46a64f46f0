/*
 * store.c - the daemon's SQLite database: one function per query.
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction survives
 * a crash of the process (kill -9), because its pages are in the WAL file
 * when COMMIT returns; only a power loss or OS crash can lose the last few
 * transactions (never corrupt the database). FULL would fsync the WAL on
 * every commit, one fsync per finished evaluation, for a guarantee that a
 * search service, whose runs resume anyway, does not need.
 *
 * Every query is a row of stmt_sql[], prepared once at open and reset after
 * each use so that it never holds a read transaction open between calls.
 * SQLite result codes become ANAS_E* codes in db_error() and nowhere else.
 */
#include "config.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/err.h"
#include "core/log.h"
#include "schema.h"

/* A second process (an operator's sqlite3 shell) may hold a lock briefly. */
#define BUSY_TIMEOUT_MS 5000
/* The automatic checkpoint's threshold when no checkpointer runs (1 MB):
 * set_pragmas says why not SQLite's 1000. */
#define AUTOCHECKPOINT_PAGES 256

#define RUN_COLS                                                                         \
    "id, kind, name, state, spec, created_at, started_at, finished_at, done, "           \
    "total, best, summary, error"
#define SURR_COLS                                                                        \
    "id, name, state, spec, space, n, quality, error, created_at, finished_at"
#define EVAL_COLS                                                                        \
    "run, seq, rep, hash, state, feasible, cached, eval_key, config, metrics, "          \
    "error, started_at, finished_at, curve"
/* What is read back: the stored columns and the commit-order cursor, which
 * the database assigns (schema/0004_cursor.sql). */
#define EVAL_READ_COLS EVAL_COLS ", cursor"

enum stmt {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_RUN_INSERT,
    S_RUN_GET,
    S_RUN_LIST,
    S_RUN_SET_STATE,
    S_RUN_SET_PROGRESS,
    S_RUN_SET_RESULT,
    S_RUN_SET_ERROR,
    S_RUN_DELETE_EVALS,
    S_RUN_DELETE,
    S_RUN_IDS_IN_STATE,
    S_RUN_COUNT_IN_STATE,
    S_RUN_MODEL_USERS,
    S_ARCH_PUT,
    S_ARCH_GET,
    S_EVAL_PUT,
    S_EVAL_LIST,
    S_EVAL_SINCE,
    S_EVAL_LIST_BY_METRIC,
    S_EVAL_COUNT,
    S_EVAL_LAST_CURSOR,
    S_EVAL_FIND_KEY,
    S_EVAL_OF_ARCH,
    S_MODEL_PUT,
    S_MODEL_GET,
    S_SURR_INSERT,
    S_SURR_GET,
    S_SURR_LIST,
    S_SURR_FINISH,
    S_SURR_FAIL_FITTING,
    S_SURR_MODEL,
    S_SURR_DELETE,
    S_SURR_USERS,
    N_STMT
};

static const char *const stmt_sql[N_STMT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",

    [S_RUN_INSERT] = "INSERT INTO runs (kind, name, state, spec, created_at, total) "
                     "VALUES (?1, ?2, 'queued', ?3, ?4, ?5)",
    [S_RUN_GET] = "SELECT " RUN_COLS " FROM runs WHERE id = ?1",
    /* ?1 NULL: any state; ?2 <= 0: from the newest. */
    [S_RUN_LIST] = "SELECT " RUN_COLS " FROM runs"
                   " WHERE (?1 IS NULL OR state = ?1) AND (?2 <= 0 OR id < ?2)"
                   " ORDER BY id DESC LIMIT ?3",
    [S_RUN_SET_STATE] =
        "UPDATE runs SET state = ?2,"
        " started_at = CASE WHEN ?2 = 'running' AND started_at IS NULL"
        "                   THEN ?3 ELSE started_at END,"
        " finished_at = CASE WHEN ?2 IN ('succeeded', 'failed', 'canceled')"
        "                    THEN ?3 ELSE finished_at END"
        " WHERE id = ?1",
    [S_RUN_SET_PROGRESS] = "UPDATE runs SET done = ?2, total = ?3 WHERE id = ?1",
    [S_RUN_SET_RESULT] = "UPDATE runs SET best = ?2, summary = ?3 WHERE id = ?1",
    [S_RUN_SET_ERROR] = "UPDATE runs SET error = ?2 WHERE id = ?1",
    [S_RUN_DELETE_EVALS] = "DELETE FROM evaluations WHERE run = ?1",
    [S_RUN_DELETE] = "DELETE FROM runs WHERE id = ?1",
    [S_RUN_IDS_IN_STATE] = "SELECT id FROM runs WHERE state = ?1 ORDER BY id",
    [S_RUN_COUNT_IN_STATE] = "SELECT count(*) FROM runs WHERE ?1 IS NULL OR state = ?1",
    /* Runs still to do whose spec names ?1 as its model (the rpu evaluator's
     * "model": {"run": ID}); finished ones keep their results without it. */
    [S_RUN_MODEL_USERS] = "SELECT id FROM runs"
                          " WHERE state IN ('queued', 'running', 'interrupted')"
                          " AND json_extract(spec, '$.model.run') = ?1 ORDER BY id",

    /* The size columns are copied out of the metrics here, once. */
    [S_ARCH_PUT] = "INSERT OR IGNORE INTO architectures"
                   " (hash, space, shape, config, metrics, params, macs, tiles,"
                   "  created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, json_extract(?5, '$.params'),"
                   "  json_extract(?5, '$.macs'), json_extract(?5, '$.tiles'), ?6)",
    [S_ARCH_GET] = "SELECT hash, space, shape, config, metrics, created_at"
                   " FROM architectures WHERE hash = ?1",

    [S_EVAL_PUT] = "INSERT OR REPLACE INTO evaluations (" EVAL_COLS ")"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                   "  coalesce(?10, '{}'), ?11, ?12, ?13, ?14)",
    /* ?3 < 0: every repetition; ?4 < 0: no limit (SQLite's LIMIT -1);
     * ?7 NULL: any state; ?8 < 0: feasible or not. */
    [S_EVAL_LIST] = "SELECT " EVAL_READ_COLS " FROM evaluations"
                    " WHERE run = ?1 AND seq > ?2 AND (?3 < 0 OR rep = ?3)"
                    " AND (?7 IS NULL OR state = ?7) AND (?8 < 0 OR feasible = ?8)"
                    " ORDER BY seq LIMIT ?4 OFFSET ?9",
    /*
     * The metric name ?5 is bound, never pasted into the SQL; it only builds
     * the JSON path $."name" (quoted, since names contain '@'). Rows without
     * the metric sort last either way, and before them the feasible complete
     * ones come first: a failed, invalid or infeasible architecture is no
     * candidate however small its params. The CASE puts the descending key
     * first only when ?6 asks for it, so one statement serves both orders.
     * The inner query sorts narrow rows (seq and key) and only the page is
     * joined to the whole rows: with a deep OFFSET the sorter would
     * otherwise hold every skipped row's config, metrics and curve.
     */
    [S_EVAL_LIST_BY_METRIC] =
        "SELECT " EVAL_READ_COLS " FROM (SELECT seq AS k_seq,"
        " json_extract(metrics, '$.\"' || ?5 || '\"') AS m,"
        " NOT (state = 'complete' AND feasible) AS worse"
        " FROM evaluations"
        " WHERE run = ?1 AND seq > ?2 AND (?3 < 0 OR rep = ?3)"
        " AND (?7 IS NULL OR state = ?7) AND (?8 < 0 OR feasible = ?8)"
        " ORDER BY m IS NULL, worse, CASE WHEN ?6 THEN m END DESC, m, k_seq"
        " LIMIT ?4 OFFSET ?9)"
        " JOIN evaluations ON run = ?1 AND seq = k_seq"
        " ORDER BY m IS NULL, worse, CASE WHEN ?6 THEN m END DESC, m, k_seq",
    /* Committed after cursor ?2, in commit order (the other ?s as above). */
    [S_EVAL_SINCE] = "SELECT " EVAL_READ_COLS " FROM evaluations"
                     " WHERE run = ?1 AND cursor > ?2 AND (?3 < 0 OR rep = ?3)"
                     " AND (?7 IS NULL OR state = ?7) AND (?8 < 0 OR feasible = ?8)"
                     " ORDER BY cursor LIMIT ?4",
    [S_EVAL_COUNT] = "SELECT count(*) FROM evaluations WHERE run = ?1",
    [S_EVAL_LAST_CURSOR] = "SELECT coalesce(max(cursor), 0) FROM evaluations WHERE run = ?1",
    /* state = 'complete' spelled out so that the partial index applies. */
    [S_EVAL_FIND_KEY] = "SELECT " EVAL_READ_COLS " FROM evaluations"
                        " WHERE eval_key = ?1 AND state = 'complete' LIMIT 1",
    [S_EVAL_OF_ARCH] = "SELECT " EVAL_READ_COLS " FROM evaluations WHERE hash = ?1"
                       " ORDER BY finished_at DESC, run DESC, seq DESC LIMIT ?2",

    [S_MODEL_PUT] = "INSERT INTO models (run, format, blob, created_at)"
                    " VALUES (?1, ?2, ?3, ?4)",
    [S_MODEL_GET] = "SELECT format, blob FROM models WHERE run = ?1"
                    " ORDER BY id DESC LIMIT 1",

    [S_SURR_INSERT] = "INSERT INTO surrogates (name, state, spec, space, n, created_at)"
                      " VALUES (?1, 'fitting', ?2, ?3, ?4, ?5)",
    [S_SURR_GET] = "SELECT " SURR_COLS " FROM surrogates WHERE id = ?1",
    [S_SURR_LIST] = "SELECT " SURR_COLS " FROM surrogates WHERE ?1 <= 0 OR id < ?1"
                    " ORDER BY id DESC LIMIT ?2",
    [S_SURR_FINISH] = "UPDATE surrogates SET state = ?2, quality = ?3, error = ?4,"
                      " model = ?5, finished_at = ?6 WHERE id = ?1 AND state = 'fitting'",
    [S_SURR_FAIL_FITTING] = "UPDATE surrogates SET state = 'failed', error = ?1,"
                            " finished_at = ?2 WHERE state = 'fitting'",
    [S_SURR_MODEL] = "SELECT model FROM surrogates WHERE id = ?1 AND model IS NOT NULL",
    [S_SURR_DELETE] = "DELETE FROM surrogates WHERE id = ?1",
    /* Runs still to do whose evaluator reads the surrogate: a
     * {"surrogate": ID} anywhere under evaluator.models (a path model is a
     * string there, and has no such key). */
    [S_SURR_USERS] = "SELECT id FROM runs"
                     " WHERE state IN ('queued', 'running', 'interrupted')"
                     " AND EXISTS (SELECT 1 FROM json_tree(spec, '$.evaluator.models')"
                     "             WHERE key = 'surrogate' AND atom = ?1)"
                     " ORDER BY id",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[N_STMT];
    int lock_fd; /* holds flock(LOCK_EX) on the database file; -1: none */
    char *path;  /* for the checkpointer's connection; NULL: none can open */
    void (*on_commit)(void *arg, int frames); /* store_on_commit() */
    void *on_commit_arg;
    int log_frames;             /* the log's length after the last commit */
    unsigned long long log_pages; /* store_log_pages() */
    unsigned long long runs_gen; /* store_runs_gen() */
    /* The last counts of runs by state, under runs_gen: health and every
     * submission ask for them. */
    struct count_memo {
        unsigned long long gen; /* 0: empty */
        char state[16];         /* "" for every state */
        long long n;
    } counts[4];
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Which failures pass. A full disk is SQLITE_FULL when a write comes up
 * short, but SQLITE_IOERR_WRITE when write(2) fails outright: with ENOSPC,
 * or with EFBIG or EDQUOT (a file size limit, a quota: the same fault for
 * us). SQLite keeps that errno only sometimes (sqlite3_system_errno is
 * often 0 by the time it is read), so a failed write counts as "full"
 * unless the errno says otherwise (EIO). A lock held too long by another
 * process, a database that became read-only and other I/O errors may pass
 * too: "unavailable". Whatever else (corruption, misuse) stays ANAS_EDB.
 */
static int fault_code(sqlite3 *db, int rc)
{
    int errno_ = sqlite3_system_errno(db);

    if (rc == SQLITE_IOERR_WRITE && (errno_ == 0 || errno_ == ENOSPC || errno_ == EFBIG ||
                                     errno_ == EDQUOT))
        return ANAS_ENOSPC;
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return ANAS_ENOMEM;
    case SQLITE_FULL:
        return ANAS_ENOSPC;
    case SQLITE_IOERR:
        return errno_ == ENOSPC || errno_ == EFBIG || errno_ == EDQUOT ? ANAS_ENOSPC
                                                                       : ANAS_EUNAVAIL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
        return ANAS_EUNAVAIL;
    default:
        return ANAS_EDB;
    }
}

/*
 * The one mapping from SQLite to ANAS_E*. A foreign key failure means the
 * run named by a write does not exist, which callers treat like a missing
 * row; everything else is the database's fault and logged as such.
 */
static int db_error(struct store *st, int rc, const char *what)
{
    int code;

    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        anas_log(ANAS_LOG_WARN, "store: %s: no such run", what);
        return ANAS_ENOTFOUND;
    }
    code = fault_code(st->db, rc);
    anas_log(ANAS_LOG_ERROR, "store: %s: %s (extended code %d)", what,
             sqlite3_errmsg(st->db), rc);
    return code;
}

/* ------------------------------------------------------------------------ */
/* Binding and reading columns                                              */
/* ------------------------------------------------------------------------ */

/* Binders keep the first failure in *rc so that a query binds all its
 * parameters and checks once. Strings are bound without copying: they stay
 * valid until the statement is reset, which happens before we return. */
static void bind_text(sqlite3_stmt *q, int i, const char *s, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static void bind_int(sqlite3_stmt *q, int i, long long v, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = sqlite3_bind_int64(q, i, v);
}

/* Timestamps of 0 mean "unset" in the structs and NULL in the table. */
static void bind_time(sqlite3_stmt *q, int i, double t, int *rc)
{
    if (*rc == SQLITE_OK)
        *rc = t > 0 ? sqlite3_bind_double(q, i, t) : sqlite3_bind_null(q, i);
}

/* Copies into a fixed buffer, cutting on a UTF-8 character boundary so that
 * a truncated name is still valid text for the JSON encoder. */
static void col_copy(sqlite3_stmt *q, int i, char *buf, size_t size)
{
    const char *s = (const char *)sqlite3_column_text(q, i);
    size_t n = s ? strlen(s) : 0;

    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (n > 0)
        memcpy(buf, s, n);
    buf[n] = '\0';
}

/* A malloc'd copy of a TEXT column, NULL for SQL NULL. *oom is set when the
 * copy fails, which a NULL return alone cannot tell. */
static char *col_dup(sqlite3_stmt *q, int i, int *oom)
{
    const unsigned char *s = sqlite3_column_text(q, i);
    size_t n;
    char *d;

    if (!s)
        return NULL;
    n = (size_t)sqlite3_column_bytes(q, i);
    d = malloc(n + 1);
    if (!d) {
        *oom = 1;
        return NULL;
    }
    memcpy(d, s, n + 1);
    return d;
}

/* ------------------------------------------------------------------------ */
/* Running statements                                                       */
/* ------------------------------------------------------------------------ */

/* Whether q may change a row of runs, or undo such a change: the writes to
 * runs, a rollback. */
static int touches_runs(const struct store *st, const sqlite3_stmt *q)
{
    static const enum stmt writes[] = {S_RUN_INSERT, S_RUN_SET_STATE, S_RUN_SET_PROGRESS,
                                       S_RUN_SET_RESULT, S_RUN_SET_ERROR, S_RUN_DELETE,
                                       S_ROLLBACK};
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        if (st->stmt[writes[i]] == q)
            return 1;
    return 0;
}

/*
 * Steps a write to completion and resets it. need_row: the write targets one
 * existing row, and touching none means ANAS_ENOTFOUND. A failed write may
 * have rolled back the whole transaction (SQLite does on some errors), run
 * rows included: it counts as a change of runs too.
 */
static int exec_write(struct store *st, sqlite3_stmt *q, int bind_rc, int need_row,
                      const char *what)
{
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(q) : bind_rc;
    int out = 0;

    if (rc != SQLITE_DONE || touches_runs(st, q))
        st->runs_gen++;
    if (rc != SQLITE_DONE)
        out = db_error(st, rc, what);
    else if (need_row && sqlite3_changes(st->db) == 0)
        out = ANAS_ENOTFOUND;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return out;
}

static int exec_count(struct store *st, sqlite3_stmt *q, int bind_rc, long long *out,
                      const char *what)
{
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(q) : bind_rc;
    int ret = 0;

    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    else
        ret = db_error(st, rc, what);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return ret;
}

/* How collect() reads one row into an element and releases one. */
struct row_type {
    size_t size;
    int (*read)(sqlite3_stmt *q, void *elem);
    void (*fini)(void *elem);
};

static void free_rows(const struct row_type *t, void *rows, int n)
{
    for (int i = 0; t->fini && i < n; i++)
        t->fini((char *)rows + (size_t)i * t->size);
    free(rows);
}

/*
 * Steps a query to the end, reading every row into a malloc'd array. An
 * empty result is *out = NULL, *n_out = 0. Out-parameters are written only
 * on success.
 */
static int collect(struct store *st, sqlite3_stmt *q, int bind_rc,
                   const struct row_type *t, void **out, int *n_out, const char *what)
{
    void *rows = NULL;
    int n = 0, cap = 0, ret = 0;
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(q) : bind_rc;

    for (; rc == SQLITE_ROW; rc = sqlite3_step(q)) {
        if (n == cap) {
            int ncap = cap ? 2 * cap : 16;
            void *grown = realloc(rows, (size_t)ncap * t->size);
            if (!grown) {
                ret = ANAS_ENOMEM;
                break;
            }
            rows = grown;
            cap = ncap;
        }
        ret = t->read(q, (char *)rows + (size_t)n * t->size);
        if (ret < 0)
            break;
        n++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_error(st, rc, what);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (ret < 0) {
        free_rows(t, rows, n);
        return ret;
    }
    *out = rows;
    *n_out = n;
    return 0;
}

/* The single-row form: ANAS_ENOTFOUND when the query returns nothing. */
static int fetch_one(struct store *st, sqlite3_stmt *q, int bind_rc,
                     const struct row_type *t, void *out, const char *what)
{
    void *rows;
    int n, rc = collect(st, q, bind_rc, t, &rows, &n, what);

    if (rc < 0)
        return rc;
    if (n == 0)
        return ANAS_ENOTFOUND;
    /* Queries used here return at most one row (key lookups, LIMIT 1). */
    memcpy(out, rows, t->size);
    for (int i = 1; t->fini && i < n; i++)
        t->fini((char *)rows + (size_t)i * t->size);
    free(rows);
    return 0;
}

/* Steps the cached BEGIN/COMMIT/ROLLBACK statements. */
static int tx(struct store *st, enum stmt s)
{
    return exec_write(st, st->stmt[s], SQLITE_OK, 0, stmt_sql[s]);
}

/* ------------------------------------------------------------------------ */
/* Opening: pragmas, migrations, statements                                 */
/* ------------------------------------------------------------------------ */

/*
 * What a database that cannot be used says, in words an operator can act
 * on; SQLite's own message follows. The file is left as it is.
 */
static void explain(sqlite3 *db, int rc, const char *stage, char *why, size_t why_len)
{
    const char *what = "";

    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        what = "not an SQLite database (or its header is damaged); left untouched: ";
        break;
    case SQLITE_CORRUPT:
        what = "the database is corrupt; left untouched (restore a backup, or see "
               "sqlite3's .recover): ";
        break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
        what = "cannot write the database or create its -wal and -shm files next to it "
               "(anasd needs both): ";
        break;
    case SQLITE_BUSY:
        what = "locked by another process for longer than 5 s: ";
        break;
    }
    snprintf(why, why_len, "%s%s: %s", what, stage, sqlite3_errmsg(db));
}

static int exec_sql(sqlite3 *db, const char *sql, char *why, size_t why_len)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    char stage[48];

    if (rc != SQLITE_OK) {
        snprintf(stage, sizeof stage, "%.40s%s", sql, strlen(sql) > 40 ? "..." : "");
        explain(db, rc, stage, why, why_len);
        return ANAS_EDB;
    }
    return 0;
}

static int pragma_int64(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);

    if (rc != SQLITE_OK)
        return ANAS_EDB;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : ANAS_EDB;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    long long v = 0;
    int rc = pragma_int64(db, sql, &v);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

/*
 * WAL lets readers (an operator's sqlite3 shell, a backup) proceed while the
 * daemon writes. A file system that cannot do WAL keeps the rollback journal:
 * still correct, so only worth a warning. An in-memory database reports
 * "memory".
 */
static int set_pragmas(sqlite3 *db, char *why, size_t why_len)
{
    sqlite3_stmt *q;
    char mode[16] = "";
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &q, NULL);

    if (rc == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(q, 0));
        rc = sqlite3_finalize(q);
    }
    if (rc != SQLITE_OK) {
        explain(db, rc, "journal_mode", why, why_len);
        return ANAS_EDB;
    }
    if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
        anas_log(ANAS_LOG_WARN, "store: WAL unavailable, journal mode is %s", mode);
    /* The log is checkpointed at 256 pages (1 MB) rather than SQLite's
     * 1000 and cut back to 1 MB after: on a small volume a 4 MB log can
     * fill the disk before its first checkpoint, and then no checkpoint
     * has the room to run. Once open, commit_hook() (and checkpoint.c's
     * thread when it runs) takes over from the automatic checkpoint. */
    return exec_sql(db,
                    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                    " PRAGMA wal_autocheckpoint = 256; PRAGMA journal_size_limit = 1048576;",
                    why, why_len);
}

/*
 * One migration step, in its own transaction. The version is read inside
 * the transaction (BEGIN IMMEDIATE takes the write lock), so two daemons
 * started on one file at once cannot both apply a step. *more is cleared
 * when the schema is current.
 */
static int migrate_step(sqlite3 *db, int *more, char *why, size_t why_len)
{
    char sql[64];
    int v = 0, rc = exec_sql(db, "BEGIN IMMEDIATE", why, why_len);

    if (rc < 0)
        return rc;
    if (pragma_int(db, "PRAGMA user_version", &v) < 0) {
        snprintf(why, why_len, "user_version: %s", sqlite3_errmsg(db));
        rc = ANAS_EDB;
    } else if (v > schema_n_migrations) {
        snprintf(why, why_len,
                 "database schema version %d is newer than this anasd knows (%d): "
                 "use a newer anasd or another database",
                 v, schema_n_migrations);
        rc = ANAS_EDB;
    } else if (v == schema_n_migrations) {
        *more = 0;
    } else {
        const struct schema_migration *m = &schema_migrations[v];
        char sub[200];
        rc = exec_sql(db, m->sql, sub, sizeof sub);
        if (rc < 0)
            snprintf(why, why_len, "migration %s: %s", m->name, sub);
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", m->version);
        if (rc == 0)
            rc = exec_sql(db, sql, why, why_len);
        if (rc == 0)
            anas_log(ANAS_LOG_INFO, "store: applied migration %s", m->name);
    }
    if (rc == 0)
        return exec_sql(db, "COMMIT", why, why_len);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int migrate(sqlite3 *db, char *why, size_t why_len)
{
    int more = 1, rc = 0;

    while (more && rc == 0)
        rc = migrate_step(db, &more, why, why_len);
    return rc;
}

static int prepare_all(struct store *st, char *why, size_t why_len)
{
    for (int i = 0; i < N_STMT; i++) {
        int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &st->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            snprintf(why, why_len, "preparing \"%.60s\": %s", stmt_sql[i],
                     sqlite3_errmsg(st->db));
            return ANAS_EDB;
        }
    }
    return 0;
}

/*
 * One daemon per database: two would both resume the same runs. An
 * exclusive flock(2) on the database file says so at once, and goes away
 * with the process however it ends. It is independent of SQLite's own
 * POSIX locks on local file systems, so readers (an operator's sqlite3
 * shell, a backup) still read; the descriptor stays open until after
 * sqlite3_close, since closing any descriptor of the file would drop
 * SQLite's locks. An in-memory database, or a path that cannot be opened
 * (SQLite says why next), takes no lock.
 */
static int lock_file(struct store *st, const char *path, char *why, size_t why_len)
{
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->lock_fd < 0)
        st->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (st->lock_fd < 0)
        return 0;
    if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno == EWOULDBLOCK)
        snprintf(why, why_len, "in use by another anasd (it holds the file's lock); "
                               "one anasd per database");
    else
        snprintf(why, why_len, "cannot lock: %s", strerror(errno));
    return ANAS_EBUSY;
}

/* The whole file once, at start: a damaged page is refused here rather
 * than found by a request (or a run) later. About a second per few
 * hundred megabytes. */
static int check_integrity(sqlite3 *db, char *why, size_t why_len)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &q, NULL), bad = 0;

    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(q, 0);
        bad = !res || strcmp(res, "ok") != 0;
        if (bad)
            snprintf(why, why_len,
                     "the database is corrupt; left untouched (restore a backup, or see "
                     "sqlite3's .recover): %s",
                     res ? res : "?");
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        explain(db, rc, "integrity check", why, why_len);
    sqlite3_finalize(q);
    return rc != SQLITE_OK || bad ? ANAS_EDB : 0;
}

static int commit_hook(void *arg, sqlite3 *db, const char *name, int frames);

int store_open(const char *path, struct store **out, char *why, size_t why_len)
{
    char sub[400] = "";
    struct store *st = calloc(1, sizeof *st);
    int rc;

    if (!st) {
        snprintf(why, why_len, "%s", anas_strerror(ANAS_ENOMEM));
        return ANAS_ENOMEM;
    }
    st->lock_fd = -1;
    st->runs_gen = 1; /* above the empty count memos' 0 */
    if (strcmp(path, ":memory:") != 0 && (rc = lock_file(st, path, sub, sizeof sub)) < 0)
        goto fail;
    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(sub, sizeof sub, "%s",
                 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        rc = ANAS_EDB;
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (strcmp(path, ":memory:") != 0 && !(st->path = strdup(path))) {
        snprintf(sub, sizeof sub, "%s", anas_strerror(ANAS_ENOMEM));
        rc = ANAS_ENOMEM;
        goto fail;
    }
    /* SQLite opens a file it may not write read-only, silently. */
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        snprintf(sub, sizeof sub, "read-only: anasd must write its database (check the "
                                  "permissions of the file and of its directory)");
        rc = ANAS_EDB;
        goto fail;
    }
    /* Checked before anything is written (journal_mode is, in its header). */
    rc = check_integrity(st->db, sub, sizeof sub);
    if (rc == 0)
        rc = set_pragmas(st->db, sub, sizeof sub);
    if (rc == 0)
        rc = migrate(st->db, sub, sizeof sub);
    if (rc == 0)
        rc = prepare_all(st, sub, sizeof sub);
    if (rc < 0)
        goto fail;
    sqlite3_wal_hook(st->db, commit_hook, st); /* instead of SQLite's own checkpoint */
    *out = st;
    return 0;

fail:
    for (char *c = sub; *c; c++) /* one line (quick_check's report has several) */
        if (*c == '\n')
            *c = ' ';
    snprintf(why, why_len, "%s: %s", path, sub);
    store_close(st);
    return rc;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < N_STMT; i++)
        sqlite3_finalize(st->stmt[i]);
    if (st->db) {
        /* Cheap at close, and keeps the planner's statistics fresh. */
        sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
        if (sqlite3_close(st->db) != SQLITE_OK)
            anas_log(ANAS_LOG_ERROR, "store: close: %s", sqlite3_errmsg(st->db));
    }
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* after SQLite's descriptors: see lock_file */
    free(st->path);
    free(st);
}

/*
 * A write that needs room: page 1 rewritten with the schema version it
 * has (a WAL commit appends the page, a rollback journal copies it first),
 * and nothing changes. The error is what a real write would get now.
 */
int store_probe(struct store *st)
{
    char sql[96];
    int rc;

    snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT",
             schema_n_migrations);
    rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    rc = fault_code(st->db, rc);
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/*
 * A full disk is often full of write-ahead log: the WAL grows by every
 * commit until a checkpoint at 1000 pages (4 MB), and on a small volume it
 * fills the disk first. A checkpoint copies the latest version of each
 * page into the database (much less than the log's many versions) and
 * truncates the log.
 */
int store_checkpoint(struct store *st)
{
    int rc = sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fault_code(st->db, rc);
}

/*
 * Checkpoints on a thread of their own (checkpoint.c): SQLite's
 * "application-initiated checkpoints" (https://www.sqlite.org/wal.html).
 * The writer connection runs none itself while a hook is set; the
 * checkpointer's connection copies the log into the database beside it.
 */
struct store_ckpt {
    sqlite3 *db;
};

/* After every commit in WAL mode. A log shorter than before was started
 * over by this commit: all of it is new. Without a checkpointer, what
 * SQLite's automatic checkpoint does (sqlite3_wal_autocheckpoint). */
static int commit_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct store *st = arg;
    st->log_pages += (unsigned)(frames >= st->log_frames ? frames - st->log_frames : frames);
    st->log_frames = frames;
    if (st->on_commit)
        st->on_commit(st->on_commit_arg, frames);
    else if (frames >= AUTOCHECKPOINT_PAGES)
        sqlite3_wal_checkpoint(db, name);
    return SQLITE_OK;
}

unsigned long long store_log_pages(const struct store *st)
{
    return st->log_pages;
}

/* From the commit hook too, as SQLite's automatic checkpoint does. */
int store_checkpoint_here(struct store *st)
{
    int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    return (rc & 0xff) == SQLITE_BUSY ? ANAS_EBUSY : fault_code(st->db, rc);
}

int store_wal_file(struct store *st)
{
    sqlite3_stmt *q;
    int wal = 0;

    if (!st->path ||
        sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &q, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        wal = strcmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
    sqlite3_finalize(q);
    return wal;
}

void store_on_commit(struct store *st, void (*fn)(void *arg, int frames), void *arg)
{
    st->on_commit = fn;
    st->on_commit_arg = arg;
}

int store_ckpt_open(const struct store *st, struct store_ckpt **out)
{
    struct store_ckpt *ck = calloc(1, sizeof *ck);
    int rc;

    if (!ck)
        return ANAS_ENOMEM;
    rc = st->path ? sqlite3_open_v2(st->path, &ck->db, SQLITE_OPEN_READWRITE, NULL)
                  : SQLITE_MISUSE;
    /* NORMAL as the writer's: the checkpoint syncs the log before copying
     * it and the database before the log may be restarted. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(ck->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        anas_log(ANAS_LOG_WARN, "store: checkpointer connection: %s",
                 ck->db ? sqlite3_errmsg(ck->db) : sqlite3_errstr(rc));
        store_ckpt_close(ck);
        return ANAS_EDB;
    }
    *out = ck;
    return 0;
}

/*
 * A PASSIVE checkpoint: copies what the log holds into the database
 * without taking the writer's lock, so commits go on meanwhile. Another
 * checkpoint under way (store_checkpoint on a full disk) is no failure.
 */
int store_ckpt_run(struct store_ckpt *ck)
{
    int rc = sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

    if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY)
        return 0;
    return fault_code(ck->db, rc);
}

void store_ckpt_close(struct store_ckpt *ck)
{
    if (!ck)
        return;
    sqlite3_close(ck->db);
    free(ck);
}

unsigned long long store_runs_gen(const struct store *st)
{
    return st->runs_gen;
}

int store_begin(struct store *st)
{
    return tx(st, S_BEGIN);
}

int store_commit(struct store *st)
{
    return tx(st, S_COMMIT);
}

/* Cannot fail for want of memory: a transaction that stayed open would
 * make every later BEGIN fail. */
void store_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        tx(st, S_ROLLBACK);
}

void store_set_patient(struct store *st, int patient)
{
    sqlite3_busy_timeout(st->db, patient ? BUSY_TIMEOUT_MS : 0);
}

int store_size(struct store *st, long long *bytes)
{
    long long pages = 0, page_size = 0;

    if (pragma_int64(st->db, "PRAGMA page_count", &pages) < 0 ||
        pragma_int64(st->db, "PRAGMA page_size", &page_size) < 0)
        return ANAS_EDB;
    *bytes = pages * page_size;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                     */
/* ------------------------------------------------------------------------ */

void store_run_fini(struct store_run *r)
{
    if (!r)
        return;
    free(r->spec_json);
    free(r->best_json);
    free(r->summary_json);
    free(r->error_json);
    r->spec_json = r->best_json = r->summary_json = r->error_json = NULL;
}

static void run_fini_elem(void *elem)
{
    store_run_fini(elem);
}

void store_runs_free(struct store_run *runs, int n)
{
    for (int i = 0; runs && i < n; i++)
        store_run_fini(&runs[i]);
    free(runs);
}

/* Columns in RUN_COLS order. */
static int run_read(sqlite3_stmt *q, void *elem)
{
    struct store_run *r = elem;
    int oom = 0;

    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    col_copy(q, 1, r->kind, sizeof r->kind);
    col_copy(q, 2, r->name, sizeof r->name);
    col_copy(q, 3, r->state, sizeof r->state);
    r->spec_json = col_dup(q, 4, &oom);
    r->created_at = sqlite3_column_double(q, 5);
    r->started_at = sqlite3_column_double(q, 6);
    r->finished_at = sqlite3_column_double(q, 7);
    r->done = sqlite3_column_int64(q, 8);
    r->total = sqlite3_column_int64(q, 9);
    r->best_json = col_dup(q, 10, &oom);
    r->summary_json = col_dup(q, 11, &oom);
    r->error_json = col_dup(q, 12, &oom);
    if (oom) {
        store_run_fini(r);
        return ANAS_ENOMEM;
    }
    return 0;
}

static const struct row_type run_rows = {sizeof(struct store_run), run_read,
                                         run_fini_elem};

int store_run_insert(struct store *st, const char *kind, const char *name,
                     const char *spec_json, long long total, double now,
                     long long *out_id)
{
    sqlite3_stmt *q = st->stmt[S_RUN_INSERT];
    int b = SQLITE_OK, rc;

    bind_text(q, 1, kind, &b);
    bind_text(q, 2, name ? name : "", &b);
    bind_text(q, 3, spec_json, &b);
    bind_time(q, 4, now, &b);
    bind_int(q, 5, total, &b);
    rc = exec_write(st, q, b, 0, "run insert");
    if (rc == 0)
        *out_id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_run_get(struct store *st, long long id, struct store_run *out)
{
    sqlite3_stmt *q = st->stmt[S_RUN_GET];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    return fetch_one(st, q, b, &run_rows, out, "run get");
}

int store_run_list(struct store *st, const char *state, long long after, int limit,
                   struct store_run **out, int *n_out)
{
    sqlite3_stmt *q = st->stmt[S_RUN_LIST];
    void *rows;
    int b = SQLITE_OK, rc;

    bind_text(q, 1, state, &b);
    bind_int(q, 2, after, &b);
    bind_int(q, 3, limit > 0 ? limit : -1, &b);
    rc = collect(st, q, b, &run_rows, &rows, n_out, "run list");
    if (rc == 0)
        *out = rows;
    return rc;
}

int store_run_set_state(struct store *st, long long id, const char *state, double now)
{
    sqlite3_stmt *q = st->stmt[S_RUN_SET_STATE];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    bind_text(q, 2, state, &b);
    bind_time(q, 3, now, &b);
    return exec_write(st, q, b, 1, "run set state");
}

int store_run_set_progress(struct store *st, long long id, long long done,
                           long long total)
{
    sqlite3_stmt *q = st->stmt[S_RUN_SET_PROGRESS];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    bind_int(q, 2, done, &b);
    bind_int(q, 3, total, &b);
    return exec_write(st, q, b, 1, "run set progress");
}

int store_run_set_result(struct store *st, long long id, const char *best_json,
                         const char *summary_json)
{
    sqlite3_stmt *q = st->stmt[S_RUN_SET_RESULT];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    bind_text(q, 2, best_json, &b);
    bind_text(q, 3, summary_json, &b);
    return exec_write(st, q, b, 1, "run set result");
}

int store_run_set_error(struct store *st, long long id, const char *error_json)
{
    sqlite3_stmt *q = st->stmt[S_RUN_SET_ERROR];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    bind_text(q, 2, error_json, &b);
    return exec_write(st, q, b, 1, "run set error");
}

/* Evaluations go explicitly rather than by ON DELETE CASCADE alone, so that
 * the run disappears whole even from a connection without foreign keys. */
int store_run_delete(struct store *st, long long id)
{
    sqlite3_stmt *evals = st->stmt[S_RUN_DELETE_EVALS];
    sqlite3_stmt *run = st->stmt[S_RUN_DELETE];
    int b = SQLITE_OK, rc = tx(st, S_BEGIN);

    if (rc < 0)
        return rc;
    bind_int(evals, 1, id, &b);
    rc = exec_write(st, evals, b, 0, "run delete evaluations");
    if (rc == 0) {
        bind_int(run, 1, id, &b);
        rc = exec_write(st, run, b, 1, "run delete");
    }
    if (rc == 0)
        rc = tx(st, S_COMMIT);
    /* Some errors (disk full, I/O) have already rolled back. */
    if (rc < 0 && !sqlite3_get_autocommit(st->db))
        tx(st, S_ROLLBACK);
    return rc;
}

static int id_read(sqlite3_stmt *q, void *elem)
{
    *(long long *)elem = sqlite3_column_int64(q, 0);
    return 0;
}

static const struct row_type id_rows = {sizeof(long long), id_read, NULL};

int store_run_ids_in_state(struct store *st, const char *state, long long **ids, int *n)
{
    sqlite3_stmt *q = st->stmt[S_RUN_IDS_IN_STATE];
    void *rows;
    int b = SQLITE_OK, rc;

    bind_text(q, 1, state, &b);
    rc = collect(st, q, b, &id_rows, &rows, n, "run ids in state");
    if (rc == 0)
        *ids = rows;
    return rc;
}

int store_run_model_users(struct store *st, long long model_run, long long **ids, int *n)
{
    sqlite3_stmt *q = st->stmt[S_RUN_MODEL_USERS];
    void *rows;
    int b = SQLITE_OK, rc;

    bind_int(q, 1, model_run, &b);
    rc = collect(st, q, b, &id_rows, &rows, n, "run model users");
    if (rc == 0)
        *ids = rows;
    return rc;
}

int store_run_count_in_state(struct store *st, const char *state, long long *out)
{
    sqlite3_stmt *q = st->stmt[S_RUN_COUNT_IN_STATE];
    const char *key = state ? state : "";
    struct count_memo *m = NULL;
    int b = SQLITE_OK, rc;

    for (size_t i = 0; i < sizeof st->counts / sizeof st->counts[0]; i++) {
        struct count_memo *c = &st->counts[i];
        if (c->gen == st->runs_gen && strcmp(c->state, key) == 0) {
            *out = c->n;
            return 0;
        }
        if (!m || c->gen < m->gen) /* the stalest goes */
            m = c;
    }
    bind_text(q, 1, state, &b);
    rc = exec_count(st, q, b, out, "run count in state");
    if (rc == 0 && strlen(key) < sizeof m->state) {
        m->gen = st->runs_gen;
        snprintf(m->state, sizeof m->state, "%s", key);
        m->n = *out;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Architectures                                                            */
/* ------------------------------------------------------------------------ */

void store_arch_fini(struct store_arch *a)
{
    if (!a)
        return;
    free(a->shape_json);
    free(a->config_json);
    free(a->metrics_json);
    a->shape_json = a->config_json = a->metrics_json = NULL;
}

static void arch_fini_elem(void *elem)
{
    store_arch_fini(elem);
}

static int arch_read(sqlite3_stmt *q, void *elem)
{
    struct store_arch *a = elem;
    int oom = 0;

    memset(a, 0, sizeof *a);
    col_copy(q, 0, a->hash, sizeof a->hash);
    col_copy(q, 1, a->space, sizeof a->space);
    a->shape_json = col_dup(q, 2, &oom);
    a->config_json = col_dup(q, 3, &oom);
    a->metrics_json = col_dup(q, 4, &oom);
    a->created_at = sqlite3_column_double(q, 5);
    if (oom) {
        store_arch_fini(a);
        return ANAS_ENOMEM;
    }
    return 0;
}

static const struct row_type arch_rows = {sizeof(struct store_arch), arch_read,
                                          arch_fini_elem};

int store_arch_put(struct store *st, const char *hash, const char *space,
                   const char *shape_json, const char *config_json,
                   const char *metrics_json, double now)
{
    sqlite3_stmt *q = st->stmt[S_ARCH_PUT];
    int b = SQLITE_OK;

    bind_text(q, 1, hash, &b);
    bind_text(q, 2, space, &b);
    bind_text(q, 3, shape_json, &b);
    bind_text(q, 4, config_json, &b);
    bind_text(q, 5, metrics_json, &b);
    bind_time(q, 6, now, &b);
    return exec_write(st, q, b, 0, "architecture put");
}

int store_arch_get(struct store *st, const char *hash, struct store_arch *out)
{
    sqlite3_stmt *q = st->stmt[S_ARCH_GET];
    int b = SQLITE_OK;

    bind_text(q, 1, hash, &b);
    return fetch_one(st, q, b, &arch_rows, out, "architecture get");
}

/* ------------------------------------------------------------------------ */
/* Evaluations                                                              */
/* ------------------------------------------------------------------------ */

void store_eval_fini(struct store_eval *e)
{
    if (!e)
        return;
    free(e->config_json);
    free(e->metrics_json);
    free(e->error_json);
    free(e->curve_json);
    e->config_json = e->metrics_json = e->error_json = e->curve_json = NULL;
}

static void eval_fini_elem(void *elem)
{
    store_eval_fini(elem);
}

void store_evals_free(struct store_eval *e, int n)
{
    for (int i = 0; e && i < n; i++)
        store_eval_fini(&e[i]);
    free(e);
}

/* Columns in EVAL_READ_COLS order. */
static int eval_read(sqlite3_stmt *q, void *elem)
{
    struct store_eval *e = elem;
    int oom = 0;

    memset(e, 0, sizeof *e);
    e->run = sqlite3_column_int64(q, 0);
    e->seq = sqlite3_column_int64(q, 1);
    e->rep = sqlite3_column_int(q, 2);
    col_copy(q, 3, e->hash, sizeof e->hash);
    col_copy(q, 4, e->state, sizeof e->state);
    e->feasible = sqlite3_column_int(q, 5);
    e->cached = sqlite3_column_int(q, 6);
    col_copy(q, 7, e->eval_key, sizeof e->eval_key);
    e->config_json = col_dup(q, 8, &oom);
    e->metrics_json = col_dup(q, 9, &oom);
    e->error_json = col_dup(q, 10, &oom);
    e->started_at = sqlite3_column_double(q, 11);
    e->finished_at = sqlite3_column_double(q, 12);
    e->curve_json = col_dup(q, 13, &oom);
    e->cursor = sqlite3_column_int64(q, 14);
    if (oom) {
        store_eval_fini(e);
        return ANAS_ENOMEM;
    }
    return 0;
}

static const struct row_type eval_rows = {sizeof(struct store_eval), eval_read,
                                          eval_fini_elem};

int store_eval_put(struct store *st, const struct store_eval *e)
{
    sqlite3_stmt *q = st->stmt[S_EVAL_PUT];
    int b = SQLITE_OK;

    bind_int(q, 1, e->run, &b);
    bind_int(q, 2, e->seq, &b);
    bind_int(q, 3, e->rep, &b);
    bind_text(q, 4, e->hash, &b);
    bind_text(q, 5, e->state, &b);
    bind_int(q, 6, e->feasible != 0, &b);
    bind_int(q, 7, e->cached != 0, &b);
    bind_text(q, 8, e->eval_key, &b);
    bind_text(q, 9, e->config_json, &b);
    bind_text(q, 10, e->metrics_json, &b);
    bind_text(q, 11, e->error_json, &b);
    bind_time(q, 12, e->started_at, &b);
    bind_time(q, 13, e->finished_at, &b);
    bind_text(q, 14, e->curve_json, &b);
    return exec_write(st, q, b, 0, "evaluation put");
}

/* A name that would end the quoted JSON path label early is refused rather
 * than escaped: no metric name contains a double quote. */
static int metric_name_ok(const char *name)
{
    return name[0] != '\0' && strchr(name, '"') == NULL;
}

/*
 * Sorting by a metric at scale. The generic statement above sorts every
 * row of the run (0.3 s at 100,000 evaluations, on the loop thread); an
 * index on the same sort key makes a page cost its own rows (plus the
 * OFFSET's index entries). SQLite uses an index on an expression only for
 * a query that spells the same expression, so the metric's name is part
 * of the SQL text here, not a bound parameter: only names of plain
 * characters qualify (every metric's name does; the others take the
 * generic statement). The index, one per metric and direction, is made
 * the first time a run is sorted that way (as long as one generic sort
 * takes), and kept: the API accepts only metrics a run's evaluator
 * produces, so there are few.
 */
static int metric_name_plain(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 48)
        return 0;
    for (; *name; name++)
        if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
              (*name >= '0' && *name <= '9') || strchr("@_.:+-", *name)))
            return 0;
    return 1;
}

static int sort_index(struct store *st, const char *metric, const char *m, int desc)
{
    char sql[512], hex[2 * 48 + 1];
    int rc;

    for (size_t i = 0; metric[i]; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)metric[i]);
    snprintf(sql, sizeof sql,
             "CREATE INDEX IF NOT EXISTS evaluations_by_%s_%s ON evaluations (run, "
             "(%s IS NULL), (NOT (state = 'complete' AND feasible)), %s%s, seq, "
             "state, feasible, rep)",
             hex, desc ? "desc" : "asc", m, m, desc ? " DESC" : "");
    rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_error(st, rc, "evaluation sort index");
}

static int eval_select_indexed(struct store *st, long long run,
                               const struct store_eval_filter *f, struct store_eval **out,
                               int *n_out)
{
    char m[96], sql[1280];
    const char *dir = f->desc ? " DESC" : "";
    sqlite3_stmt *q;
    void *rows;
    int b = SQLITE_OK, rc;

    snprintf(m, sizeof m, "json_extract(metrics, '$.\"%s\"')", f->sort_metric);
    rc = sort_index(st, f->sort_metric, m, f->desc);
    if (rc < 0)
        return rc;
    snprintf(sql, sizeof sql,
             "SELECT " EVAL_READ_COLS " FROM (SELECT seq AS k_seq"
             " FROM evaluations WHERE run = ?1 AND seq > ?2 AND (?3 < 0 OR rep = ?3)"
             " AND (?7 IS NULL OR state = ?7) AND (?8 < 0 OR feasible = ?8)"
             " ORDER BY (%s IS NULL), (NOT (state = 'complete' AND feasible)), %s%s, seq"
             " LIMIT ?4 OFFSET ?9)"
             " JOIN evaluations ON run = ?1 AND seq = k_seq"
             " ORDER BY (%s IS NULL), (NOT (state = 'complete' AND feasible)), %s%s, seq",
             m, m, dir, m, m, dir);
    rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_error(st, rc, "evaluation list by metric");
    bind_int(q, 1, run, &b);
    bind_int(q, 2, f->after, &b);
    bind_int(q, 3, f->rep < 0 ? -1 : f->rep, &b);
    bind_int(q, 4, f->limit > 0 ? f->limit : -1, &b);
    bind_text(q, 7, f->state, &b);
    bind_int(q, 8, f->feasible < 0 ? -1 : f->feasible != 0, &b);
    bind_int(q, 9, f->offset, &b);
    rc = collect(st, q, b, &eval_rows, &rows, n_out, "evaluation list by metric");
    sqlite3_finalize(q);
    if (rc == 0)
        *out = rows;
    return rc;
}

/* Both listings: by seq (or a metric) after f->after, or by cursor after
 * since (since >= 0). */
static int eval_select(struct store *st, long long run, long long since,
                       const struct store_eval_filter *f, struct store_eval **out, int *n_out)
{
    enum stmt s = since >= 0        ? S_EVAL_SINCE
                  : f->sort_metric ? S_EVAL_LIST_BY_METRIC
                                   : S_EVAL_LIST;
    sqlite3_stmt *q = st->stmt[s];
    void *rows;
    int b = SQLITE_OK, rc;

    if (f->sort_metric && (since >= 0 || !metric_name_ok(f->sort_metric)))
        return ANAS_EINVAL;
    if (since >= 0 && f->after != 0)
        return ANAS_EINVAL;
    if (f->sort_metric && metric_name_plain(f->sort_metric))
        return eval_select_indexed(st, run, f, out, n_out);
    bind_int(q, 1, run, &b);
    bind_int(q, 2, since >= 0 ? since : f->after, &b);
    bind_int(q, 3, f->rep < 0 ? -1 : f->rep, &b);
    bind_int(q, 4, f->limit > 0 ? f->limit : -1, &b);
    if (f->sort_metric) {
        bind_text(q, 5, f->sort_metric, &b);
        bind_int(q, 6, f->desc != 0, &b);
    }
    bind_text(q, 7, f->state, &b);
    bind_int(q, 8, f->feasible < 0 ? -1 : f->feasible != 0, &b);
    if (s != S_EVAL_SINCE)
        bind_int(q, 9, f->offset, &b);
    rc = collect(st, q, b, &eval_rows, &rows, n_out, "evaluation list");
    if (rc == 0)
        *out = rows;
    return rc;
}

int store_eval_query(struct store *st, long long run, const struct store_eval_filter *f,
                     struct store_eval **out, int *n_out)
{
    return eval_select(st, run, -1, f, out, n_out);
}

int store_eval_since(struct store *st, long long run, long long since,
                     const struct store_eval_filter *f, struct store_eval **out, int *n_out)
{
    return eval_select(st, run, since < 0 ? 0 : since, f, out, n_out);
}

int store_eval_list(struct store *st, long long run, long long after, int limit, int rep,
                    const char *sort_metric, int desc, struct store_eval **out,
                    int *n_out)
{
    struct store_eval_filter f = {after, limit, rep, NULL, -1, sort_metric, desc, 0};
    return store_eval_query(st, run, &f, out, n_out);
}

int store_eval_all(struct store *st, long long run, struct store_eval **out, int *n_out)
{
    return store_eval_list(st, run, 0, -1, -1, NULL, 0, out, n_out);
}

int store_eval_count(struct store *st, long long run, long long *out)
{
    sqlite3_stmt *q = st->stmt[S_EVAL_COUNT];
    int b = SQLITE_OK;

    bind_int(q, 1, run, &b);
    return exec_count(st, q, b, out, "evaluation count");
}

int store_eval_last_cursor(struct store *st, long long run, long long *out)
{
    sqlite3_stmt *q = st->stmt[S_EVAL_LAST_CURSOR];
    int b = SQLITE_OK;

    bind_int(q, 1, run, &b);
    return exec_count(st, q, b, out, "evaluation last cursor");
}

int store_eval_find_key(struct store *st, const char *eval_key, struct store_eval *out)
{
    sqlite3_stmt *q = st->stmt[S_EVAL_FIND_KEY];
    int b = SQLITE_OK;

    bind_text(q, 1, eval_key, &b);
    return fetch_one(st, q, b, &eval_rows, out, "evaluation find key");
}

int store_eval_of_arch(struct store *st, const char *hash, int limit,
                       struct store_eval **out, int *n_out)
{
    sqlite3_stmt *q = st->stmt[S_EVAL_OF_ARCH];
    void *rows;
    int b = SQLITE_OK, rc;

    bind_text(q, 1, hash, &b);
    bind_int(q, 2, limit > 0 ? limit : -1, &b);
    rc = collect(st, q, b, &eval_rows, &rows, n_out, "evaluations of architecture");
    if (rc == 0)
        *out = rows;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

int store_model_put(struct store *st, long long run, const char *format, const void *blob,
                    size_t len, double now)
{
    sqlite3_stmt *q = st->stmt[S_MODEL_PUT];
    int b = SQLITE_OK;

    bind_int(q, 1, run, &b);
    bind_text(q, 2, format, &b);
    if (b == SQLITE_OK)
        b = sqlite3_bind_blob64(q, 3, blob, (sqlite3_uint64)len, SQLITE_STATIC);
    bind_time(q, 4, now, &b);
    return exec_write(st, q, b, 0, "model put");
}

int store_model_get(struct store *st, long long run, char *format, size_t format_len,
                    void **blob, size_t *len)
{
    sqlite3_stmt *q = st->stmt[S_MODEL_GET];
    int b = SQLITE_OK, rc, out = 0;

    bind_int(q, 1, run, &b);
    rc = b == SQLITE_OK ? sqlite3_step(q) : b;
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(q, 1);
        const void *p = sqlite3_column_blob(q, 1);
        col_copy(q, 0, format, format_len);
        *blob = malloc(n ? n : 1);
        if (!*blob)
            out = ANAS_ENOMEM;
        else {
            if (n)
                memcpy(*blob, p, n);
            *len = n;
        }
    } else {
        out = rc == SQLITE_DONE ? ANAS_ENOTFOUND : db_error(st, rc, "model get");
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Surrogates                                                               */
/* ------------------------------------------------------------------------ */

void store_surrogate_fini(struct store_surrogate *s)
{
    if (!s)
        return;
    free(s->spec_json);
    free(s->quality_json);
    free(s->error_json);
    s->spec_json = s->quality_json = s->error_json = NULL;
}

static void surr_fini_elem(void *elem)
{
    store_surrogate_fini(elem);
}

void store_surrogates_free(struct store_surrogate *s, int n)
{
    for (int i = 0; s && i < n; i++)
        store_surrogate_fini(&s[i]);
    free(s);
}

/* Columns in SURR_COLS order. */
static int surr_read(sqlite3_stmt *q, void *elem)
{
    struct store_surrogate *s = elem;
    int oom = 0;

    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(q, 0);
    col_copy(q, 1, s->name, sizeof s->name);
    col_copy(q, 2, s->state, sizeof s->state);
    s->spec_json = col_dup(q, 3, &oom);
    col_copy(q, 4, s->space, sizeof s->space);
    s->n = sqlite3_column_int64(q, 5);
    s->quality_json = col_dup(q, 6, &oom);
    s->error_json = col_dup(q, 7, &oom);
    s->created_at = sqlite3_column_double(q, 8);
    s->finished_at = sqlite3_column_double(q, 9);
    if (oom) {
        store_surrogate_fini(s);
        return ANAS_ENOMEM;
    }
    return 0;
}

static const struct row_type surr_rows = {sizeof(struct store_surrogate), surr_read,
                                          surr_fini_elem};

int store_surrogate_insert(struct store *st, const char *name, const char *spec_json,
                           const char *space, long long n, double now, long long *out_id)
{
    sqlite3_stmt *q = st->stmt[S_SURR_INSERT];
    int b = SQLITE_OK, rc;

    bind_text(q, 1, name ? name : "", &b);
    bind_text(q, 2, spec_json, &b);
    bind_text(q, 3, space, &b);
    bind_int(q, 4, n, &b);
    bind_time(q, 5, now, &b);
    rc = exec_write(st, q, b, 0, "surrogate insert");
    if (rc == 0)
        *out_id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_surrogate_get(struct store *st, long long id, struct store_surrogate *out)
{
    sqlite3_stmt *q = st->stmt[S_SURR_GET];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    return fetch_one(st, q, b, &surr_rows, out, "surrogate get");
}

int store_surrogate_list(struct store *st, long long after, int limit,
                         struct store_surrogate **out, int *n_out)
{
    sqlite3_stmt *q = st->stmt[S_SURR_LIST];
    void *rows;
    int b = SQLITE_OK, rc;

    bind_int(q, 1, after, &b);
    bind_int(q, 2, limit > 0 ? limit : -1, &b);
    rc = collect(st, q, b, &surr_rows, &rows, n_out, "surrogate list");
    if (rc == 0)
        *out = rows;
    return rc;
}

int store_surrogate_finish(struct store *st, long long id, const char *state,
                           const char *quality_json, const char *error_json,
                           const void *model, size_t len, double now)
{
    sqlite3_stmt *q = st->stmt[S_SURR_FINISH];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    bind_text(q, 2, state, &b);
    bind_text(q, 3, quality_json, &b);
    bind_text(q, 4, error_json, &b);
    if (b == SQLITE_OK)
        b = model ? sqlite3_bind_blob64(q, 5, model, (sqlite3_uint64)len, SQLITE_STATIC)
                  : sqlite3_bind_null(q, 5);
    bind_time(q, 6, now, &b);
    return exec_write(st, q, b, 1, "surrogate finish");
}

int store_surrogate_fail_fitting(struct store *st, const char *error_json, double now,
                                 int *n_changed)
{
    sqlite3_stmt *q = st->stmt[S_SURR_FAIL_FITTING];
    int b = SQLITE_OK, rc;

    bind_text(q, 1, error_json, &b);
    bind_time(q, 2, now, &b);
    rc = exec_write(st, q, b, 0, "surrogate fail fitting");
    if (rc == 0 && n_changed)
        *n_changed = sqlite3_changes(st->db);
    return rc;
}

int store_surrogate_model(struct store *st, long long id, void **blob, size_t *len)
{
    sqlite3_stmt *q = st->stmt[S_SURR_MODEL];
    int b = SQLITE_OK, rc, out = 0;

    bind_int(q, 1, id, &b);
    rc = b == SQLITE_OK ? sqlite3_step(q) : b;
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        const void *p = sqlite3_column_blob(q, 0);
        *blob = malloc(n ? n : 1);
        if (!*blob)
            out = ANAS_ENOMEM;
        else {
            if (n)
                memcpy(*blob, p, n);
            *len = n;
        }
    } else {
        out = rc == SQLITE_DONE ? ANAS_ENOTFOUND : db_error(st, rc, "surrogate model");
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return out;
}

int store_surrogate_delete(struct store *st, long long id)
{
    sqlite3_stmt *q = st->stmt[S_SURR_DELETE];
    int b = SQLITE_OK;

    bind_int(q, 1, id, &b);
    return exec_write(st, q, b, 1, "surrogate delete");
}

int store_surrogate_users(struct store *st, long long id, long long **ids, int *n)
{
    sqlite3_stmt *q = st->stmt[S_SURR_USERS];
    void *rows;
    int b = SQLITE_OK, rc;

    bind_int(q, 1, id, &b);
    rc = collect(st, q, b, &id_rows, &rows, n, "surrogate users");
    if (rc == 0)
        *ids = rows;
    return rc;
}

long long store_changes(struct store *st)
{
    return (long long)sqlite3_total_changes(st->db);
}
