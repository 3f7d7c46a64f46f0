/*
 * store.h - the daemon's SQLite database (the only user of <sqlite3.h>).
 *
 *     struct store *st;
 *     char why[256];
 *     if (store_open("anasd.db", &st, why, sizeof why) < 0) die(why);
 *     long long id;
 *     store_run_insert(st, "search", "demo", spec_json, 100, &id);
 *     ...
 *     store_close(st);
 *
 * WAL mode, foreign keys on, migrations from schema/ applied at open and
 * tracked by PRAGMA user_version. One function per query; statements are
 * prepared once. Every write is its own transaction unless the caller
 * wraps several in store_begin()/store_commit() (commit.c stores many
 * finished evaluations so); either way a finished evaluation is durable
 * before anyone acts on it.
 *
 * JSON columns are plain text here: the store never parses JSON (codec.c
 * does). Strings returned in structs are owned by the struct; release them
 * with the matching _fini. Only the loop thread uses a store.
 * Functions return 0 or a negative ANAS_E* code (ANAS_ENOTFOUND, ANAS_EDB;
 * ANAS_ENOSPC when the disk is full, ANAS_EUNAVAIL when the database is
 * locked, read-only or failing I/O for now: faults that pass).
 */
#ifndef ANASD_STORE_H
#define ANASD_STORE_H

#include <stddef.h>

struct store;

int store_open(const char *path, struct store **out, char *why, size_t why_len);
void store_close(struct store *st);

/* Can the database be written now? 0, or what a write gets: ANAS_ENOSPC
 * (disk full, a file size limit or a quota), ANAS_EUNAVAIL (locked by
 * another process for longer than the busy timeout, read-only, I/O
 * error), ANAS_EDB. Writes nothing that anyone reads. */
int store_probe(struct store *st);

/* A transaction around several calls, for a request whose answer must
 * exist before its write counts (none of the calls may be one that opens
 * its own: store_run_delete, store_eval_put's callers' batches). */
int store_begin(struct store *st);

int store_commit(struct store *st);
void store_rollback(struct store *st);
/* A number that changes whenever a row of runs may have changed (a write,
 * a rollback, a failed write), through this connection: what was read of
 * runs under one value still holds while it stays. */
unsigned long long store_runs_gen(const struct store *st);

/* Copy the write-ahead log into the database and truncate it: room on a
 * full disk. 0 or an ANAS_E* code. */
int store_checkpoint(struct store *st);

/*
 * Checkpoints by another thread (checkpoint.c). store_wal_file: whether
 * the database is a file in WAL mode, so that there is a log to copy.
 * store_on_commit: fn(arg, frames) after every commit through st (on the
 * thread that commits), with the log's length in pages; st runs no
 * checkpoint of its own while fn is set (fn NULL: SQLite's automatic one
 * again, every 256 pages).
 */
int store_wal_file(struct store *st);
void store_on_commit(struct store *st, void (*fn)(void *arg, int frames), void *arg);

/* Pages appended to the write-ahead log by st's commits so far. */
unsigned long long store_log_pages(const struct store *st);

/* A PASSIVE checkpoint through st itself (its commit hook may call it):
 * 0, ANAS_EBUSY while another connection checkpoints, or ANAS_E*. */
int store_checkpoint_here(struct store *st);

/* The checkpointer's own connection to st's file, used by one thread at a
 * time (not st's). store_ckpt_run: one PASSIVE checkpoint, which never
 * waits for st's writes nor holds them up. 0 or ANAS_E*. */
struct store_ckpt;
int store_ckpt_open(const struct store *st, struct store_ckpt **out);
int store_ckpt_run(struct store_ckpt *ck);
void store_ckpt_close(struct store_ckpt *ck);

/* Whether a write waits up to 5 s for a lock another process holds (the
 * default) or fails at once with ANAS_EUNAVAIL: while the database is
 * known to be unavailable, the loop thread must not wait on every try. */
void store_set_patient(struct store *st, int patient);

/* The database's size in bytes: page count times page size (the pages in
 * the write-ahead log included, as this connection sees them). */
int store_size(struct store *st, long long *bytes);

/* --- runs --- */

struct store_run {
    long long id;
    char kind[16];
    char name[128];
    char state[16];         /* queued running succeeded failed canceled interrupted */
    char *spec_json;        /* normalized spec, seed included */
    double created_at;      /* unix seconds, 0 when unset */
    double started_at;
    double finished_at;
    long long done, total;  /* progress, total -1 when unknown */
    char *best_json;        /* NULL until known */
    char *summary_json;     /* NULL until known */
    char *error_json;       /* NULL unless failed */
};

void store_run_fini(struct store_run *r);
void store_runs_free(struct store_run *runs, int n);

int store_run_insert(struct store *st, const char *kind, const char *name,
                     const char *spec_json, long long total, double now,
                     long long *out_id);
int store_run_get(struct store *st, long long id, struct store_run *out);

/* Newest first. state may be NULL (any); after > 0 lists ids < after.
 * *out is malloc'd (store_runs_free). */
int store_run_list(struct store *st, const char *state, long long after, int limit,
                   struct store_run **out, int *n_out);

/* Sets started_at when entering "running" (if unset) and finished_at when
 * entering succeeded/failed/canceled. */
int store_run_set_state(struct store *st, long long id, const char *state, double now);
int store_run_set_progress(struct store *st, long long id, long long done,
                           long long total);
int store_run_set_result(struct store *st, long long id, const char *best_json,
                         const char *summary_json);
int store_run_set_error(struct store *st, long long id, const char *error_json);

/* Deletes the run and its evaluations (architectures stay). */
int store_run_delete(struct store *st, long long id);

/* Ids of runs in `state`, oldest first; *ids is malloc'd (free). */
int store_run_ids_in_state(struct store *st, const char *state, long long **ids,
                           int *n);
int store_run_count_in_state(struct store *st, const char *state, long long *out);

/* Ids of the queued, running or interrupted runs whose spec names
 * `model_run` as their model ({"model": {"run": ID}}), oldest first; *ids
 * is malloc'd (free), NULL when none. */
int store_run_model_users(struct store *st, long long model_run, long long **ids, int *n);

/* --- architectures --- */

struct store_arch {
    char hash[17];
    char space[32];
    char *shape_json;   /* {"input":[c,h,w],"classes":k} */
    char *config_json;  /* canonical config */
    char *metrics_json; /* analytic metrics */
    double created_at;
};

void store_arch_fini(struct store_arch *a);

/* Insert if absent (same hash = same architecture). */
int store_arch_put(struct store *st, const char *hash, const char *space,
                   const char *shape_json, const char *config_json,
                   const char *metrics_json, double now);
int store_arch_get(struct store *st, const char *hash, struct store_arch *out);

/* --- evaluations (only finished ones are stored) --- */

struct store_eval {
    long long run;
    long long seq;          /* 1-based order in the run, as the optimizer proposed */
    int rep;                /* repetition (runs: R) */
    char hash[17];          /* architecture */
    char state[12];         /* complete failed invalid pruned */
    int feasible;
    int cached;             /* result reused from an identical evaluation */
    char eval_key[65];      /* sha256 of (architecture, evaluator settings) */
    char *config_json;
    char *metrics_json;     /* {} when none */
    char *error_json;       /* NULL unless failed */
    double started_at, finished_at;
    char *curve_json;       /* per-epoch metrics of a training, or NULL */
    long long cursor;       /* commit order, across runs; set by the store */
};

void store_eval_fini(struct store_eval *e);
void store_evals_free(struct store_eval *e, int n);

/* Store one finished evaluation (replaces an existing (run, seq)): its
 * own transaction, or part of the caller's. */
int store_eval_put(struct store *st, const struct store_eval *e);

/* Which of a run's evaluations store_eval_query lists, and in what order. */
struct store_eval_filter {
    long long after;         /* seq > after */
    int limit;               /* <= 0: all */
    int rep;                 /* < 0: every repetition */
    const char *state;       /* complete, failed, invalid; NULL: any */
    int feasible;            /* 0 or 1; < 0: either */
    const char *sort_metric; /* NULL: by seq ascending */
    int desc;                /* sort_metric descending */
    long long offset;        /* rows skipped first: pages of a sorted list */
};

/* A run's evaluations. Sorted by a metric (json_extract on metrics_json):
 * the feasible complete ones first, by the metric (descending when desc),
 * then the other ones that have the metric, by it too, then the ones
 * without it; ties by seq. *out malloc'd (store_evals_free). */
int store_eval_query(struct store *st, long long run, const struct store_eval_filter *f,
                     struct store_eval **out, int *n_out);

/* The evaluations committed after cursor `since`, oldest commit first,
 * with f's limit, rep, state and feasible (its after and sort must be 0
 * and NULL: ANAS_EINVAL otherwise). */
int store_eval_since(struct store *st, long long run, long long since,
                     const struct store_eval_filter *f, struct store_eval **out, int *n_out);

/* store_eval_query without the state and feasible filters. */
int store_eval_list(struct store *st, long long run, long long after, int limit, int rep,
                    const char *sort_metric, int desc, struct store_eval **out,
                    int *n_out);

/* All of a run's evaluations in seq order (for replay after a restart). */
int store_eval_all(struct store *st, long long run, struct store_eval **out, int *n_out);

int store_eval_count(struct store *st, long long run, long long *out);

/* The cursor of a run's last committed evaluation, 0 when none. */
int store_eval_last_cursor(struct store *st, long long run, long long *out);

/* A completed evaluation with this key, from any run (dedup); ANAS_ENOTFOUND
 * when none. */
int store_eval_find_key(struct store *st, const char *eval_key, struct store_eval *out);

/* Every evaluation of one architecture, newest first. */
int store_eval_of_arch(struct store *st, const char *hash, int limit,
                       struct store_eval **out, int *n_out);

/* --- trained models (runs of kind "train") --- */

/* Store a model file's bytes (format e.g. "safetensors"). */
int store_model_put(struct store *st, long long run, const char *format, const void *blob,
                    size_t len, double now);

/* The newest model of a run: *blob malloc'd (free), ANAS_ENOTFOUND if none. */
int store_model_get(struct store *st, long long run, char *format, size_t format_len,
                    void **blob, size_t *len);

/* --- surrogates (XGBoost models fitted on stored evaluations) --- */

struct store_surrogate {
    long long id;
    char name[128];
    char state[16];      /* fitting ready failed */
    char *spec_json;     /* {"runs", "metric", "params", "folds"} */
    char space[64];      /* the space whose encoding the model reads */
    long long n;         /* rows it was fitted on */
    char *quality_json;  /* NULL until ready */
    char *error_json;    /* NULL unless failed */
    double created_at;
    double finished_at;  /* 0 while fitting */
};

void store_surrogate_fini(struct store_surrogate *s);
void store_surrogates_free(struct store_surrogate *s, int n);

/* A new row in state "fitting". */
int store_surrogate_insert(struct store *st, const char *name, const char *spec_json,
                           const char *space, long long n, double now, long long *out_id);
int store_surrogate_get(struct store *st, long long id, struct store_surrogate *out);

/* Newest first; after > 0 lists ids < after. *out malloc'd
 * (store_surrogates_free). */
int store_surrogate_list(struct store *st, long long after, int limit,
                         struct store_surrogate **out, int *n_out);

/* End a fit: state "ready" (quality and the model's bytes) or "failed"
 * (error). Only a row still fitting changes: ANAS_ENOTFOUND otherwise (a
 * fit ended meanwhile as interrupted, or deleted). */
int store_surrogate_finish(struct store *st, long long id, const char *state,
                           const char *quality_json, const char *error_json,
                           const void *model, size_t len, double now);

/* Every row still fitting becomes failed with error_json (a fit that a
 * stop or a crash cut off); *n_changed may be NULL. */
int store_surrogate_fail_fitting(struct store *st, const char *error_json, double now,
                                 int *n_changed);

/* The model's bytes, malloc'd (free); ANAS_ENOTFOUND when the row does not
 * exist or has no model (not ready). */
int store_surrogate_model(struct store *st, long long id, void **blob, size_t *len);

int store_surrogate_delete(struct store *st, long long id);

/* Ids of the queued, running or interrupted runs whose evaluator names the
 * surrogate ({"surrogate": ID} in evaluator.models), oldest first; *ids
 * malloc'd (free), NULL when none. */
int store_surrogate_users(struct store *st, long long id, long long **ids, int *n);

/* Rows this connection has inserted, updated or deleted since it opened
 * (sqlite3_total_changes): the HTTP fuzz target checks that a refused
 * request changed nothing. */
long long store_changes(struct store *st);

#endif
