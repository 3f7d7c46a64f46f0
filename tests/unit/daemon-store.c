/*
 * daemon-store.c - the SQLite store against a database in a temporary
 * directory: migrations, every query, not-found codes, and a database from
 * a newer anasd being refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/err.h"
#include "core/log.h"
#include "schema.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/anas-store-XXXXXX";
static char db_path[256];

/* The store's own view, through a second connection. */
static long long peek_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    long long v = -1;

    if (sqlite3_open(db_path, &db) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return v;
}

static void peek_text(const char *sql, char *buf, size_t size)
{
    sqlite3 *db;
    sqlite3_stmt *q;

    buf[0] = '\0';
    if (sqlite3_open(db_path, &db) != SQLITE_OK)
        return;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            snprintf(buf, size, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
}

static void tap_log(enum anas_log_level level, const char *msg, void *ctx)
{
    (void)level;
    (void)ctx;
    printf("# log: %s\n", msg);
}

static void test_open(void)
{
    struct store *st = NULL;
    char why[256] = "";
    char mode[16];

    ok(store_open(db_path, &st, why, sizeof why) == 0, "open creates the database (%s)",
       why);
    store_close(st);
    is_int(peek_int("PRAGMA user_version"), schema_n_migrations,
           "user_version is the last migration");
    peek_text("PRAGMA journal_mode", mode, sizeof mode);
    is_str(mode, "wal", "journal mode is WAL");

    st = NULL;
    ok(store_open(db_path, &st, why, sizeof why) == 0 && st, "reopen (%s)", why);
    store_close(st);
    is_int(peek_int("PRAGMA user_version"), schema_n_migrations,
           "migrations are not applied twice");
    is_int(peek_int("SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 1,
           "one runs table");
    st = NULL;
    ok(store_open(":memory:", &st, why, sizeof why) == 0 && st,
       "an in-memory database works too (%s)", why);
    store_close(st);
    store_close(NULL);
    ok(1, "store_close(NULL) is a no-op");
}

static void test_open_errors(void)
{
    struct store *st = NULL;
    char why[256] = "";
    char path[300];
    FILE *f;
    int rc;

    rc = store_open("/nonexistent-dir/x/y.db", &st, why, sizeof why);
    ok(rc == ANAS_EDB && st == NULL, "missing directory: ANAS_EDB");
    ok(strstr(why, "/nonexistent-dir/x/y.db") != NULL, "why names the file: %s", why);

    snprintf(path, sizeof path, "%s/garbage.db", dir);
    f = fopen(path, "w");
    if (f) {
        fputs("this is not an SQLite database, not even close, at all.....\n", f);
        fputs("padding padding padding padding padding padding padding....\n", f);
        fclose(f);
    }
    why[0] = '\0';
    rc = store_open(path, &st, why, sizeof why);
    ok(rc == ANAS_EDB, "a file that is not a database: ANAS_EDB (%s)", why);
    unlink(path);
}

/* A database written by a future anasd is refused, with a message saying so. */
static void test_newer_schema(void)
{
    struct store *st = NULL;
    char why[256] = "";
    char path[300], sql[64];
    sqlite3 *db;
    int rc;

    snprintf(path, sizeof path, "%s/future.db", dir);
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", schema_n_migrations + 1);
    ok(sqlite3_open(path, &db) == SQLITE_OK &&
           sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
       "made a database of version %d", schema_n_migrations + 1);
    sqlite3_close(db);
    rc = store_open(path, &st, why, sizeof why);
    ok(rc < 0 && st == NULL, "newer schema refused");
    ok(strstr(why, "newer") != NULL, "why says so: %s", why);
    unlink(path);
}

static void test_runs(struct store *st)
{
    struct store_run r, *list = NULL;
    long long id1 = 0, id2 = 0, id3 = 0, cnt = -1, *ids = NULL;
    int n = -1;

    ok(store_run_insert(st, "search", "first", "{\"seed\":1}", 100, 1000.5, &id1) == 0,
       "insert run 1");
    ok(store_run_insert(st, "evaluate", "second", "{\"seed\":2}", -1, 1001.0, &id2) == 0,
       "insert run 2");
    ok(store_run_insert(st, "train", "third", "{}", 5, 1002.0, &id3) == 0,
       "insert run 3");
    ok(id1 > 0 && id2 > id1 && id3 > id2, "ids increase");

    ok(store_run_get(st, id1, &r) == 0, "get run 1");
    is_int(r.id, id1, "id");
    is_str(r.kind, "search", "kind");
    is_str(r.name, "first", "name");
    is_str(r.state, "queued", "new runs are queued");
    is_str(r.spec_json, "{\"seed\":1}", "spec");
    is_near(r.created_at, 1000.5, 1e-9, "created_at");
    ok(r.started_at == 0 && r.finished_at == 0, "not started or finished");
    is_int(r.done, 0, "done 0");
    is_int(r.total, 100, "total");
    ok(!r.best_json && !r.summary_json && !r.error_json, "no best, summary, error");
    store_run_fini(&r);
    store_run_fini(&r);
    ok(r.spec_json == NULL, "fini twice is harmless");

    is_int(store_run_get(st, 999999, &r), ANAS_ENOTFOUND, "get missing run");

    ok(store_run_list(st, NULL, 0, 10, &list, &n) == 0, "list all");
    ok(n == 3 && list[0].id == id3 && list[2].id == id1, "newest first");
    store_runs_free(list, n);
    ok(store_run_list(st, NULL, id3, 1, &list, &n) == 0 && n == 1 && list[0].id == id2,
       "after= pages to older runs");
    store_runs_free(list, n);
    ok(store_run_list(st, NULL, id1, 10, &list, &n) == 0 && n == 0 && list == NULL,
       "after the oldest: empty");

    ok(store_run_set_state(st, id2, "running", 2000) == 0, "run 2 running");
    ok(store_run_list(st, "queued", 0, 10, &list, &n) == 0 && n == 2 &&
           list[0].id == id3 && list[1].id == id1,
       "state filter");
    store_runs_free(list, n);

    store_run_set_state(st, id2, "running", 2500);
    store_run_get(st, id2, &r);
    is_near(r.started_at, 2000, 1e-9, "started_at kept on re-entering running");
    ok(r.finished_at == 0, "not finished while running");
    store_run_fini(&r);
    ok(store_run_set_state(st, id2, "succeeded", 3000) == 0, "run 2 succeeded");
    store_run_get(st, id2, &r);
    is_str(r.state, "succeeded", "state stored");
    is_near(r.finished_at, 3000, 1e-9, "finished_at set");
    store_run_fini(&r);
    ok(store_run_set_state(st, id3, "bogus", 1) < 0, "unknown state refused");
    is_int(store_run_set_state(st, 424242, "running", 1), ANAS_ENOTFOUND,
           "set_state on a missing run");

    ok(store_run_set_progress(st, id1, 40, 105) == 0, "progress");
    ok(store_run_set_result(st, id1, "{\"hash\":\"ab\"}", "{\"runs\":5}") == 0, "result");
    ok(store_run_set_error(st, id1, "{\"code\":\"ANAS_EIO\"}") == 0, "error");
    store_run_get(st, id1, &r);
    ok(r.done == 40 && r.total == 105, "progress stored");
    is_str(r.best_json, "{\"hash\":\"ab\"}", "best stored");
    is_str(r.summary_json, "{\"runs\":5}", "summary stored");
    is_str(r.error_json, "{\"code\":\"ANAS_EIO\"}", "error stored");
    store_run_fini(&r);
    is_int(store_run_set_progress(st, 424242, 1, 2), ANAS_ENOTFOUND, "progress: missing");
    is_int(store_run_set_result(st, 424242, "{}", "{}"), ANAS_ENOTFOUND,
           "result: missing");
    is_int(store_run_set_error(st, 424242, "{}"), ANAS_ENOTFOUND, "error: missing");

    ok(store_run_ids_in_state(st, "queued", &ids, &n) == 0 && n == 2 && ids[0] == id1 &&
           ids[1] == id3,
       "ids in state, oldest first");
    free(ids);
    ok(store_run_ids_in_state(st, "failed", &ids, &n) == 0 && n == 0, "no failed runs");
    free(ids);
    ok(store_run_count_in_state(st, "queued", &cnt) == 0 && cnt == 2, "count queued");
    ok(store_run_count_in_state(st, NULL, &cnt) == 0 && cnt == 3, "count all");
}

static struct store_eval make_eval(long long run, long long seq, int rep,
                                   const char *hash, const char *state, const char *key,
                                   const char *metrics)
{
    struct store_eval e;

    memset(&e, 0, sizeof e);
    e.run = run;
    e.seq = seq;
    e.rep = rep;
    snprintf(e.hash, sizeof e.hash, "%s", hash);
    snprintf(e.state, sizeof e.state, "%s", state);
    e.feasible = 1;
    snprintf(e.eval_key, sizeof e.eval_key, "%s", key);
    e.config_json = (char *)"{\"w\":1}";
    e.metrics_json = (char *)metrics;
    e.started_at = 100.0 + (double)seq;
    e.finished_at = 200.0 + (double)seq;
    return e;
}

static void test_arch(struct store *st)
{
    struct store_arch a;
    const char *m = "{\"params\":741324,\"macs\":1000,\"tiles\":3,\"tile_util\":0.5}";

    ok(store_arch_put(st, "00112233aabbccdd", "resnet",
                      "{\"input\":[3,32,32],\"classes\":10}", "{\"w\":1}", m, 50) == 0,
       "arch put");
    ok(store_arch_put(st, "00112233aabbccdd", "resnet", "{}", "{\"w\":2}", "{}", 60) == 0,
       "arch put again: ignored, not an error");
    ok(store_arch_get(st, "00112233aabbccdd", &a) == 0, "arch get");
    is_str(a.hash, "00112233aabbccdd", "hash");
    is_str(a.space, "resnet", "space");
    is_str(a.shape_json, "{\"input\":[3,32,32],\"classes\":10}", "shape");
    is_str(a.config_json, "{\"w\":1}", "first write wins");
    is_str(a.metrics_json, m, "metrics");
    is_near(a.created_at, 50, 1e-9, "created_at");
    store_arch_fini(&a);
    is_int(peek_int("SELECT params + macs + tiles FROM architectures"), 741324 + 1000 + 3,
           "size columns extracted from the metrics");
    is_int(store_arch_get(st, "ffffffffffffffff", &a), ANAS_ENOTFOUND, "missing arch");
}

static int seqs_are(const struct store_eval *e, int n, const long long *want, int n_want)
{
    if (n != n_want)
        return 0;
    for (int i = 0; i < n; i++)
        if (e[i].seq != want[i])
            return 0;
    return 1;
}

static int query_is(struct store *st, long long run, const struct store_eval_filter *f,
                    const long long *want, int n_want)
{
    struct store_eval *list = NULL;
    int n = -1, same = store_eval_query(st, run, f, &list, &n) == 0 &&
                       seqs_are(list, n, want, n_want);
    store_evals_free(list, n);
    return same;
}

/* The run of test_evals: 1 complete 0.5, 2 complete 0.95, 3 failed and
 * infeasible, 4 complete 0.7 (rep 1), 5 invalid with avm only. Here 4
 * turns infeasible: sorting puts it after the feasible complete ones. */
static void test_eval_filters(struct store *st, long long run)
{
    static const char K1[] =
        "1111111111111111111111111111111111111111111111111111111111111111";
    struct store_eval e =
        make_eval(run, 4, 1, "aaaaaaaaaaaaaaaa", "complete", K1, "{\"acc@1d\":0.7}");
    struct store_eval_filter f = {0, 0, -1, NULL, -1, "acc@1d", 1, 0};

    e.feasible = 0;
    store_eval_put(st, &e);
    {
        static const long long want[] = {2, 1, 4, 3, 5};
        ok(query_is(st, run, &f, want, 5), "descending: feasible complete, then 4, then none");
    }
    f.desc = 0;
    {
        static const long long want[] = {1, 2, 4, 3, 5};
        ok(query_is(st, run, &f, want, 5), "ascending: the same groups");
    }
    f.sort_metric = "avm";
    {
        static const long long want[] = {5, 1, 2, 3, 4};
        ok(query_is(st, run, &f, want, 5), "by avm: only the invalid one has it");
    }
    f.sort_metric = NULL;
    f.state = "complete";
    {
        static const long long want[] = {1, 2, 4};
        ok(query_is(st, run, &f, want, 3), "state=complete");
    }
    f.feasible = 0;
    {
        static const long long want[] = {4};
        ok(query_is(st, run, &f, want, 1), "state=complete, feasible=0");
    }
    f.state = NULL;
    {
        static const long long want[] = {3, 4};
        ok(query_is(st, run, &f, want, 2), "feasible=0");
    }
    f.feasible = 1;
    f.after = 1;
    f.limit = 1;
    {
        static const long long want[] = {2};
        ok(query_is(st, run, &f, want, 1), "feasible=1 after 1, limit 1");
    }
    f = (struct store_eval_filter){0, 0, 1, "invalid", -1, "acc@1d", 0, 0};
    {
        static const long long want[] = {5};
        ok(query_is(st, run, &f, want, 1), "rep 1, invalid, sorted");
    }
    f.state = "pending";
    ok(query_is(st, run, &f, NULL, 0), "an unknown state matches nothing");
    e.feasible = 1;
    store_eval_put(st, &e);
}

/* Sorting by a metric takes an index when the name is plain ("m.x") and
 * the generic statement otherwise ("m x"): the same values under both
 * names, with ties, missing values, every state and both feasibilities,
 * must come out in the same order under every filter, both directions,
 * any limit and offset. */
static int same_order(struct store *st, long long run, struct store_eval_filter f)
{
    struct store_eval *a = NULL, *b = NULL;
    int na = -1, nb = -1, same;

    f.sort_metric = "m.x";
    same = store_eval_query(st, run, &f, &a, &na) == 0;
    f.sort_metric = "m x";
    same = same && store_eval_query(st, run, &f, &b, &nb) == 0 && na == nb;
    for (int i = 0; same && i < na; i++)
        same = a[i].seq == b[i].seq;
    store_evals_free(a, na);
    store_evals_free(b, nb);
    return same;
}

static void test_sort_paths(struct store *st)
{
    static const char *states[] = {"complete", "complete", "pruned", "failed", "invalid"};
    static const char *filter_states[] = {NULL, "complete", "pruned", "invalid"};
    const char *K = "3333333333333333333333333333333333333333333333333333333333333333";
    long long run = 0;
    unsigned int x = 12345;
    int bad = 0, cases = 0;

    store_run_insert(st, "search", "sorting", "{}", 1, 12, &run);
    for (int seq = 1; seq <= 300; seq++) {
        char metrics[96];
        struct store_eval e;
        x = x * 1103515245u + 12345u;
        if (x % 7 == 0)
            snprintf(metrics, sizeof metrics, "{\"other\": 1}");
        else
            snprintf(metrics, sizeof metrics, "{\"m.x\": %u, \"m x\": %u}", (x >> 8) % 40,
                     (x >> 8) % 40);
        e = make_eval(run, seq, (int)(x >> 20) % 2, "eeeeeeeeeeeeeeee", states[(x >> 12) % 5],
                      K, metrics);
        e.feasible = (x >> 16) % 3 != 0;
        store_eval_put(st, &e);
    }
    for (int fs = 0; fs < 4; fs++)
        for (int feas = -1; feas <= 1; feas++)
            for (int rep = -1; rep <= 1; rep++)
                for (int desc = 0; desc <= 1; desc++)
                    for (int page = 0; page < 3; page++) {
                        struct store_eval_filter f = {0, 0, rep, filter_states[fs], feas,
                                                      NULL, desc, 0};
                        if (page == 1)
                            f.limit = 7;
                        if (page == 2) {
                            f.limit = 10;
                            f.offset = 95;
                            f.after = 20;
                        }
                        cases++;
                        bad += !same_order(st, run, f);
                    }
    is_int(bad, 0, "%d sorted queries: the index and the generic statement agree", cases);
}

static void test_evals(struct store *st)
{
    struct store_eval e, *list = NULL;
    long long run = 0, other = 0, cnt = -1;
    int n = -1;
    const char *K1 = "1111111111111111111111111111111111111111111111111111111111111111";
    const char *K2 = "2222222222222222222222222222222222222222222222222222222222222222";

    store_run_insert(st, "search", "evals", "{}", 6, 10, &run);
    store_run_insert(st, "search", "other", "{}", 1, 11, &other);

    e = make_eval(run, 1, 0, "aaaaaaaaaaaaaaaa", "complete", K1, "{\"acc@1d\":0.5}");
    ok(store_eval_put(st, &e) == 0, "eval put");
    e = make_eval(run, 2, 0, "bbbbbbbbbbbbbbbb", "complete", K2, "{\"acc@1d\":0.9}");
    store_eval_put(st, &e);
    e = make_eval(run, 3, 1, "cccccccccccccccc", "failed", K1, NULL);
    e.error_json = (char *)"{\"code\":\"ANAS_EIO\"}";
    e.feasible = 0;
    store_eval_put(st, &e);
    e = make_eval(run, 4, 1, "aaaaaaaaaaaaaaaa", "complete", K1, "{\"acc@1d\":0.7}");
    e.cached = 1;
    store_eval_put(st, &e);
    e = make_eval(run, 5, 1, "dddddddddddddddd", "invalid", K2, "{\"avm\":12}");
    store_eval_put(st, &e);

    /* Replacing (run, seq) 2: the stored row changes, the count does not. */
    e = make_eval(run, 2, 0, "bbbbbbbbbbbbbbbb", "complete", K2, "{\"acc@1d\":0.95}");
    ok(store_eval_put(st, &e) == 0, "eval put replaces");
    ok(store_eval_count(st, run, &cnt) == 0 && cnt == 5, "count 5");

    e = make_eval(424242, 1, 0, "aaaaaaaaaaaaaaaa", "complete", K1, "{}");
    is_int(store_eval_put(st, &e), ANAS_ENOTFOUND, "put for a missing run");
    e = make_eval(run, 9, 0, "aaaaaaaaaaaaaaaa", "pending", K1, "{}");
    is_int(store_eval_put(st, &e), ANAS_EDB, "unknown evaluation state refused");

    ok(store_eval_list(st, run, 0, 0, -1, NULL, 0, &list, &n) == 0, "list all");
    {
        static const long long want[] = {1, 2, 3, 4, 5};
        ok(seqs_are(list, n, want, 5), "seq order");
    }
    is_str(list[1].metrics_json, "{\"acc@1d\":0.95}", "replaced row read back");
    is_str(list[2].metrics_json, "{}", "no metrics read back as {}");
    is_str(list[2].error_json, "{\"code\":\"ANAS_EIO\"}", "error read back");
    ok(list[2].feasible == 0 && list[3].cached == 1, "feasible and cached flags");
    is_str(list[0].eval_key, K1, "eval_key");
    is_str(list[0].hash, "aaaaaaaaaaaaaaaa", "hash");
    is_str(list[0].config_json, "{\"w\":1}", "config");
    is_near(list[0].finished_at, 201, 1e-9, "finished_at");
    store_evals_free(list, n);

    ok(store_eval_list(st, run, 2, 2, -1, NULL, 0, &list, &n) == 0, "after=2 limit=2");
    {
        static const long long want[] = {3, 4};
        ok(seqs_are(list, n, want, 2), "seqs 3, 4");
    }
    store_evals_free(list, n);
    ok(store_eval_list(st, run, 0, 0, 1, NULL, 0, &list, &n) == 0, "rep=1");
    {
        static const long long want[] = {3, 4, 5};
        ok(seqs_are(list, n, want, 3), "seqs 3, 4, 5");
    }
    store_evals_free(list, n);

    ok(store_eval_list(st, run, 0, 0, -1, "acc@1d", 1, &list, &n) == 0,
       "sort by acc@1d descending");
    {
        static const long long want[] = {2, 4, 1, 3, 5};
        ok(seqs_are(list, n, want, 5), "0.95, 0.7, 0.5, then missing by seq");
    }
    store_evals_free(list, n);
    ok(store_eval_list(st, run, 0, 0, -1, "acc@1d", 0, &list, &n) == 0,
       "sort by acc@1d ascending");
    {
        static const long long want[] = {1, 4, 2, 3, 5};
        ok(seqs_are(list, n, want, 5), "0.5, 0.7, 0.95, then missing by seq");
    }
    store_evals_free(list, n);
    ok(store_eval_list(st, run, 0, 2, -1, "avm", 0, &list, &n) == 0 && n == 2 &&
           list[0].seq == 5,
       "sort by another metric, with a limit");
    store_evals_free(list, n);
    ok(store_eval_list(st, run, 0, 0, -1, "x') OR 1=1 --", 0, &list, &n) == 0 && n == 5,
       "a hostile metric name is only a path");
    store_evals_free(list, n);
    is_int(store_eval_list(st, run, 0, 0, -1, "a\"b", 0, &list, &n), ANAS_EINVAL,
           "metric name with a quote refused");
    test_eval_filters(st, run);

    ok(store_eval_all(st, run, &list, &n) == 0 && n == 5 && list[4].seq == 5, "eval all");
    store_evals_free(list, n);
    ok(store_eval_all(st, other, &list, &n) == 0 && n == 0 && list == NULL,
       "no evaluations: empty list");

    ok(store_eval_find_key(st, K1, &e) == 0 && e.state[0] == 'c', "find key K1");
    ok(e.seq == 1 || e.seq == 4, "a complete evaluation with K1 (seq %lld)", e.seq);
    store_eval_fini(&e);
    ok(store_eval_find_key(st, K2, &e) == 0 && e.seq == 2,
       "find key K2: the complete one");
    store_eval_fini(&e);
    e = make_eval(other, 1, 0, "eeeeeeeeeeeeeeee", "failed", "3333", "{}");
    store_eval_put(st, &e);
    is_int(store_eval_find_key(st, "3333", &e), ANAS_ENOTFOUND,
           "failed evaluations are not reused");
    is_int(store_eval_find_key(st, "nope", &e), ANAS_ENOTFOUND, "unknown key");

    ok(store_eval_of_arch(st, "aaaaaaaaaaaaaaaa", 0, &list, &n) == 0 && n == 2 &&
           list[0].seq == 4 && list[1].seq == 1,
       "evaluations of an architecture, newest first");
    store_evals_free(list, n);
    ok(store_eval_of_arch(st, "aaaaaaaaaaaaaaaa", 1, &list, &n) == 0 && n == 1,
       "with a limit");
    store_evals_free(list, n);

    /* Delete: the run and its evaluations go, the architecture stays. */
    ok(store_run_delete(st, run) == 0, "delete run");
    is_int(store_run_get(st, run, &(struct store_run){0}), ANAS_ENOTFOUND, "run gone");
    ok(store_eval_count(st, run, &cnt) == 0 && cnt == 0, "its evaluations gone");
    ok(store_eval_count(st, other, &cnt) == 0 && cnt == 1,
       "other run's evaluations stay");
    is_int(store_run_delete(st, run), ANAS_ENOTFOUND, "delete again: not found");
    is_int(peek_int("SELECT count(*) FROM architectures"), 1, "architectures stay");
}

static void test_model_users(struct store *st)
{
    static const char *const states[] = {"queued", "running", "interrupted", "succeeded",
                                         "failed", "canceled"};
    long long model = 0, id[6], other = 0, *ids = NULL;
    char spec[64];
    int n = -1, i;

    store_run_insert(st, "train", "model", "{}", 1, 10, &model);
    snprintf(spec, sizeof spec, "{\"model\":{\"run\":%lld}}", model);
    for (i = 0; i < 6; i++) {
        store_run_insert(st, "search", "rpu", spec, 1, 10, &id[i]);
        store_run_set_state(st, id[i], states[i], 20);
    }
    store_run_insert(st, "search", "rpu", "{\"model\":{\"run\":424242}}", 1, 10, &other);
    ok(store_run_model_users(st, model, &ids, &n) == 0 && n == 3 && ids[0] == id[0] &&
           ids[1] == id[1] && ids[2] == id[2],
       "the queued, running and interrupted runs over the model use it");
    free(ids);
    ids = NULL;
    ok(store_run_model_users(st, other, &ids, &n) == 0 && n == 0 && ids == NULL,
       "a run no spec names as its model has no users");
    for (i = 0; i < 3; i++)
        store_run_set_state(st, id[i], "canceled", 30);
    ok(store_run_model_users(st, model, &ids, &n) == 0 && n == 0, "none once they ended");
    free(ids);
}

static void test_surrogates(struct store *st)
{
    static const char model[] = "{\"learner\":{}}";
    struct store_surrogate s, *list = NULL;
    long long a = 0, b = 0, c = 0, run = 0, *ids = NULL;
    void *blob = NULL;
    size_t len = 0;
    int n = -1;

    ok(store_surrogate_insert(st, "first", "{\"metric\":\"macs\"}", "resnet", 120, 50.5,
                              &a) == 0 && a > 0,
       "insert a surrogate");
    ok(store_surrogate_insert(st, "", "{}", "lenet", 10, 51, &b) == 0 && b == a + 1,
       "insert a second");
    ok(store_surrogate_insert(st, "third", "{}", "mlp", 11, 52, &c) == 0, "and a third");
    ok(store_surrogate_get(st, a, &s) == 0, "get it back");
    is_str(s.name, "first", "name");
    is_str(s.state, "fitting", "a new surrogate is fitting");
    is_str(s.spec_json, "{\"metric\":\"macs\"}", "spec");
    is_str(s.space, "resnet", "space");
    is_int(s.n, 120, "rows");
    ok(s.quality_json == NULL && s.error_json == NULL && s.finished_at == 0,
       "no quality, error or finish time yet");
    ok(s.created_at == 50.5, "created_at");
    store_surrogate_fini(&s);
    is_int(store_surrogate_get(st, 999999, &s), ANAS_ENOTFOUND, "get a missing surrogate");
    is_int(store_surrogate_model(st, a, &blob, &len), ANAS_ENOTFOUND,
           "no model while fitting");

    ok(store_surrogate_finish(st, a, "ready", "{\"kendall_tau\":0.9}", NULL, model,
                              sizeof model - 1, 60) == 0,
       "finish as ready");
    is_int(store_surrogate_finish(st, a, "failed", NULL, "{}", NULL, 0, 61), ANAS_ENOTFOUND,
           "a finished fit does not change again");
    ok(store_surrogate_get(st, a, &s) == 0 && strcmp(s.state, "ready") == 0 &&
           s.quality_json && strcmp(s.quality_json, "{\"kendall_tau\":0.9}") == 0 &&
           s.finished_at == 60 && s.error_json == NULL,
       "ready with its quality and finish time");
    store_surrogate_fini(&s);
    ok(store_surrogate_model(st, a, &blob, &len) == 0 && len == sizeof model - 1 &&
           memcmp(blob, model, len) == 0,
       "the model's bytes come back");
    free(blob);

    ok(store_surrogate_list(st, 0, 10, &list, &n) == 0 && n == 3 && list[0].id == c &&
           list[1].id == b && list[2].id == a,
       "list: newest first");
    store_surrogates_free(list, n);
    ok(store_surrogate_list(st, c, 1, &list, &n) == 0 && n == 1 && list[0].id == b,
       "list after an id, with a limit");
    store_surrogates_free(list, n);

    n = -1;
    ok(store_surrogate_fail_fitting(st, "{\"code\":\"interrupted\"}", 70, &n) == 0 && n == 2,
       "the two still fitting fail at once");
    ok(store_surrogate_get(st, b, &s) == 0 && strcmp(s.state, "failed") == 0 &&
           s.error_json && strstr(s.error_json, "interrupted") && s.finished_at == 70,
       "as interrupted");
    store_surrogate_fini(&s);
    ok(store_surrogate_get(st, a, &s) == 0 && strcmp(s.state, "ready") == 0,
       "a ready one stays ready");
    store_surrogate_fini(&s);
    is_int(store_surrogate_model(st, b, &blob, &len), ANAS_ENOTFOUND, "a failed fit has no model");

    store_run_insert(st, "search", "user",
                     "{\"evaluator\":{\"kind\":\"surrogate\",\"models\":"
                     "{\"acc@1d\":\"/m/a.bst\",\"pred\":{\"surrogate\":1}}}}",
                     1, 10, &run);
    {
        char spec[160];
        long long user = 0;
        snprintf(spec, sizeof spec,
                 "{\"evaluator\":{\"kind\":\"surrogate\",\"models\":"
                 "{\"acc@1d\":\"/m/a.bst\",\"pred\":{\"surrogate\":%lld}}}}",
                 a);
        store_run_insert(st, "search", "user", spec, 1, 10, &user);
        ok(store_surrogate_users(st, a, &ids, &n) == 0 && n >= 1 && ids[n - 1] == user,
           "a queued run naming the surrogate uses it");
        free(ids);
        ids = NULL;
        ok(store_surrogate_users(st, c, &ids, &n) == 0 && n == 0 && ids == NULL,
           "no run names the third");
        store_run_set_state(st, user, "succeeded", 80);
        ok(store_surrogate_users(st, a, &ids, &n) == 0 && (n == 0 || ids[n - 1] != user),
           "a finished run no longer uses it");
        free(ids);
    }
    ok(store_surrogate_delete(st, a) == 0, "delete");
    is_int(store_surrogate_get(st, a, &s), ANAS_ENOTFOUND, "gone");
    is_int(store_surrogate_delete(st, a), ANAS_ENOTFOUND, "deleting twice: not found");
}

/* The commit-order cursor (schema/0004_cursor.sql): one counter for the
 * database, in the order rows are stored whatever their seq, a new number
 * for a row stored again, none reused after a deletion. */
static void test_cursor(struct store *st)
{
    const char *K = "4444444444444444444444444444444444444444444444444444444444444444";
    struct store_eval e, *list = NULL;
    struct store_eval_filter f = {.rep = -1, .feasible = -1};
    long long a = 0, b = 0, last = -1, top, since = 0;
    int n = -1;

    store_run_insert(st, "search", "cursor-a", "{}", 3, 20, &a);
    store_run_insert(st, "search", "cursor-b", "{}", 1, 21, &b);
    ok(store_eval_last_cursor(st, a, &last) == 0 && last == 0, "no evaluations: cursor 0");
    e = make_eval(a, 2, 0, "aaaaaaaaaaaaaaaa", "complete", K, "{}");
    store_eval_put(st, &e);
    e = make_eval(b, 1, 0, "aaaaaaaaaaaaaaaa", "complete", K, "{}");
    store_eval_put(st, &e);
    e = make_eval(a, 1, 0, "aaaaaaaaaaaaaaaa", "complete", K, "{}");
    store_eval_put(st, &e);
    e = make_eval(a, 3, 0, "aaaaaaaaaaaaaaaa", "complete", K, "{}");
    store_eval_put(st, &e);
    ok(store_eval_since(st, a, since, &f, &list, &n) == 0 && n == 3, "since 0: all three");
    {
        static const long long want[] = {2, 1, 3};
        ok(seqs_are(list, n, want, 3), "in commit order, not seq order");
    }
    ok(n == 3 && list[1].cursor > list[0].cursor + 1 && list[2].cursor == list[1].cursor + 1,
       "cursors increase across runs (b's row between)");
    since = list[0].cursor;
    top = list[2].cursor;
    store_evals_free(list, n);
    ok(store_eval_since(st, a, since, &f, &list, &n) == 0 && n == 2 && list[0].seq == 1,
       "since the first: the two after it");
    store_evals_free(list, n);
    ok(store_eval_last_cursor(st, a, &last) == 0 && last == top, "last cursor of a run");

    /* Stored again: a new cursor, after everything. */
    e = make_eval(a, 1, 0, "aaaaaaaaaaaaaaaa", "complete", K, "{\"x\":1}");
    store_eval_put(st, &e);
    ok(store_eval_since(st, a, top, &f, &list, &n) == 0 && n == 1 && list[0].seq == 1 &&
           list[0].cursor == top + 1,
       "a row stored again is new to a poller");
    store_evals_free(list, n);

    /* Deleting the run holding the largest cursors does not free them. */
    ok(store_run_delete(st, a) == 0, "delete the run with the last cursors");
    e = make_eval(b, 2, 0, "aaaaaaaaaaaaaaaa", "complete", K, "{}");
    store_eval_put(st, &e);
    ok(store_eval_last_cursor(st, b, &last) == 0 && last == top + 2,
       "the next row gets the next number, not a deleted one's");
    f.sort_metric = "acc";
    is_int(store_eval_since(st, b, 0, &f, &list, &n), ANAS_EINVAL, "by cursor takes no sort");
    store_run_delete(st, b);
}

int main(void)
{
    struct store *st = NULL;
    char why[256] = "";

    plan_later();
    anas_log_set_handler(tap_log, NULL);
    if (!mkdtemp(dir))
        skip_all("cannot make a temporary directory");
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);

    test_open();
    test_open_errors();
    test_newer_schema();
    if (store_open(db_path, &st, why, sizeof why) < 0) {
        ok(0, "open: %s", why);
        return done();
    }
    test_runs(st);
    test_arch(st);
    test_evals(st);
    test_sort_paths(st);
    test_cursor(st);
    test_model_users(st);
    test_surrogates(st);
    store_close(st);

    {
        char p[300];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
            unlink(p);
        }
    }
    rmdir(dir);
    return done();
}
