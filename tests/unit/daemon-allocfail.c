/*
 * daemon-allocfail.c - every allocation of a request fails in turn.
 *
 * A real struct anasd (configuration, store on a temporary database,
 * events, metrics, scheduler) takes requests through route_dispatch, as
 * http.c hands them over, without a socket. For each request of a set
 * (submit, read and list runs, list evaluations, export, an architecture,
 * a cancel, a surrogate and bad input) the allocation hook of
 * lib/core/alloc.h fails every allocation from the n-th on, for n = 0, 1,
 * 2, ... until the request succeeds, as SQLite's own tests sweep theirs.
 * Each time: no crash, an answer that is the success or a 500/503 problem
 * (503 may come without a body when nothing at all can be allocated), and
 * the database unchanged when the request failed, and intact at the end.
 * Leaks show in the ASan and valgrind configurations.
 *
 * Two modes, as SQLite's tests: the n-th allocation and every one after it
 * fail (memory is gone), or only the n-th fails (memory comes back: error
 * paths must not take the failure for bad input).
 *
 * What the hook covers here: the daemon's and libanas's malloc, calloc,
 * realloc and strdup (this program is linked with -Wl,--wrap for them),
 * jansson's allocations (json_set_alloc_funcs; first mode only, see
 * json_alloc) and SQLite's (SQLITE_CONFIG_MALLOC). Not covered:
 * allocations inside libc (stdio's open_memstream buffers of the exports
 * and /metrics, qsort) and libuv.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "anasd.h"
#include "core/alloc.h"
#include "core/log.h"
#include "events.h"
#include "faults.h"
#include "jobs.h"
#include "lease.h"
#include "metrics.h"
#include "route.h"
#include "store.h"
#include "surrogates.h"
#include "tap.h"

/* --- every allocator through the hook --- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

void *__wrap_malloc(size_t n)
{
    return anas_alloc_fault() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return anas_alloc_fault() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return anas_alloc_fault() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return anas_alloc_fault() ? NULL : __real_strdup(s);
}

/*
 * jansson 2.14 aborts (an assert in lex_scan_string) when one allocation
 * of its lexer's buffer fails and the ones after it succeed: lex_save
 * drops the byte it could not save, and the decoder later finds the text
 * inconsistent. So jansson's allocations fail only in the mode where every
 * one after the first fails too.
 */
static int once_mode;

static void *json_alloc(size_t n)
{
    return once_mode ? __real_malloc(n) : __wrap_malloc(n);
}

/* SQLite needs each block's size: it is kept in front of the block. */
#define HDR 16

static void *sq_malloc(int n)
{
    char *p = __wrap_malloc((size_t)n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}

static void sq_free(void *p)
{
    if (p)
        free((char *)p - HDR);
}

static int sq_size(void *p)
{
    int n = 0;
    if (p)
        memcpy(&n, (char *)p - HDR, sizeof n);
    return n;
}

static void *sq_realloc(void *p, int n)
{
    char *q = __wrap_realloc((char *)p - HDR, (size_t)n + HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    return q + HDR;
}

static int sq_roundup(int n)
{
    return (n + 7) & ~7;
}

static int sq_init(void *x)
{
    (void)x;
    return 0;
}

static void sq_shutdown(void *x)
{
    (void)x;
}

static const sqlite3_mem_methods sq_mem = {sq_malloc, sq_free,    sq_realloc, sq_size,
                                           sq_roundup, sq_init, sq_shutdown, NULL};

/* --- the daemon --- */

static struct anasd d;
static char dir[] = "/tmp/anas-allocfail-XXXXXX";
static char db_path[300];
static int quiet;
/* Every allocation, or under valgrind (thirty times slower) every 13th. */
static long stride = 1;

static void tap_log(enum anas_log_level level, const char *msg, void *ctx)
{
    (void)level;
    (void)ctx;
    if (!quiet)
        printf("# log: %s\n", msg);
}

static int start(void)
{
    char a0[] = "anasd", a1[] = "--db", a3[] = "--listen", a4[] = "127.0.0.1:0",
         a5[] = "--workers", a6[] = "1";
    char *argv[] = {a0, a1, db_path, a3, a4, a5, a6, NULL};
    char why[512];

    if (conf_load(&d.conf, 7, argv, why, sizeof why) < 0) {
        printf("# conf: %s\n", why);
        return -1;
    }
    d.loop = uv_default_loop();
    d.started_at = anasd_now();
    d.started_mono = anasd_mono();
    if (store_open(d.conf.db, &d.store, why, sizeof why) < 0) {
        printf("# store: %s\n", why);
        return -1;
    }
    /* Runs stay queued: nothing goes to the pool while requests are swept. */
    d.conf.max_runs = 0;
    d.conf.max_queued = 1 << 30;
    return events_new(d.loop, &d.events) < 0 || metrics_new(&d.metrics) < 0 ||
                   faults_new(&d, &d.faults) < 0 || surrogates_new(&d, &d.surrogates) < 0 ||
                   lease_new(&d, &d.leases) < 0 || jobs_new(&d, &d.jobs) < 0
               ? -1
               : 0;
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void stop(void)
{
    uv_walk(d.loop, walk_close, NULL);
    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    jobs_free(d.jobs);
    lease_free(d.leases);
    surrogates_free(d.surrogates);
    events_free(d.events);
    faults_free(d.faults);
    store_close(d.store);
    metrics_free(d.metrics);
    conf_fini(&d.conf);
}

/* --- the database, seen from a second connection --- */

static sqlite3 *peek;

static long long count(const char *sql)
{
    sqlite3_stmt *q;
    long long v = -1;

    if (!peek && sqlite3_open_v2(db_path, &peek, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(peek, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    return v;
}

/* Everything a request could change, as one number per table. */
struct snap {
    long long runs, queued, canceled, evals, archs, surrogates;
};

static void snap(struct snap *s)
{
    s->runs = count("SELECT count(*) FROM runs");
    s->queued = count("SELECT count(*) FROM runs WHERE state = 'queued'");
    s->canceled = count("SELECT count(*) FROM runs WHERE state = 'canceled'");
    s->evals = count("SELECT count(*) FROM evaluations");
    s->archs = count("SELECT count(*) FROM architectures");
    s->surrogates = count("SELECT count(*) FROM surrogates");
}

/* --- the requests --- */

struct request {
    const char *name;
    const char *method, *path, *query_name, *query_value, *body;
    int success;     /* the status when nothing fails */
    int new_run;     /* a fresh queued run first, canceled by the request */
    /* Requests that act before they answer, where the act is consistent
     * on its own: POST /architectures stores what it computes (insert or
     * ignore, keyed by the architecture's hash: the row a retry stores);
     * a cancel may leave the run canceled (a retry is told 409 so). */
    int may_act;
};

#define SPEC                                                                             \
    "{\"kind\": \"search\", \"space\": {\"name\": \"resnet\", \"input\": [1, 28, 28],"   \
    " \"classes\": 10}, \"evaluator\": {\"kind\": \"analytic\"},"                        \
    " \"optimizer\": {\"kind\": \"random\", \"evaluations\": 20},"                       \
    " \"objectives\": [{\"metric\": \"params\", \"goal\": \"min\"}], \"seed\": 7}"

static const struct request requests[] = {
    {"submit a run", "POST", "/api/v1/runs", NULL, NULL, SPEC, 201, 0, 0},
    {"get a run", "GET", "/api/v1/runs/1", NULL, NULL, NULL, 200, 0, 0},
    {"list runs", "GET", "/api/v1/runs", "limit", "5", NULL, 200, 0, 0},
    {"list evaluations", "GET", "/api/v1/runs/1/evaluations", "limit", "5", NULL, 200, 0, 0},
    {"evaluations by a metric", "GET", "/api/v1/runs/1/evaluations", "sort", "params", NULL,
     200, 0, 0},
    {"export a run", "GET", "/api/v1/runs/1/export", "format", "csv", NULL, 200, 0, 0},
    {"an architecture", "POST", "/api/v1/architectures", NULL, NULL,
     "{\"space\": \"resnet\", \"input\": [1, 28, 28], \"classes\": 10, \"config\": {"
     "\"out_channel0\": 12, \"M\": 1, \"R1\": 1, \"convblock1\": 1, \"widenfact1\": 0.5,"
     " \"B1\": 1}}",
     200, 0, 1},
    {"cancel a run", "POST", "/api/v1/runs/ID/cancel", NULL, NULL, NULL, 200, 1, 1},
    {"create a surrogate", "POST", "/api/v1/surrogates", NULL, NULL,
     "{\"runs\": [1], \"metric\": \"params\"}", 422, 0, 0},
    {"bad input", "POST", "/api/v1/runs", NULL, NULL,
     "{\"kind\": \"search\", \"space\": {\"name\": \"resnet\"}, \"evaluator\": "
     "{\"kind\": \"analytic\"}, \"optimizer\": {\"kind\": \"random\", \"evaluations\": 10},"
     " \"runs\": \"five\"}",
     422, 0, 0},
    {"health", "GET", "/api/v1/health", NULL, NULL, NULL, 200, 0, 0},
};

/* A response is acceptable: the success, or a problem of 500, 503 or 507
 * (a 503 with no body when even the problem could not be allocated). */
static int judge(const struct request *q, const struct resp *rs, char *why, size_t len)
{
    json_t *b;
    int problem;

    if (rs->status == q->success)
        return 0;
    if (rs->status != 500 && rs->status != 503 && rs->status != 507) {
        snprintf(why, len, "status %d: %.*s", rs->status, (int)(rs->body_len > 300 ? 300 : rs->body_len),
                 rs->body ? rs->body : "");
        return -1;
    }
    if (!rs->body)
        return rs->status == 503 ? 0 : (snprintf(why, len, "%d without a body", rs->status), -1);
    b = json_loadb(rs->body, rs->body_len, 0, NULL);
    problem = b && json_is_string(json_object_get(b, "code")) &&
              json_integer_value(json_object_get(b, "status")) == rs->status &&
              strstr(rs->content_type, "problem+json") != NULL;
    json_decref(b);
    if (!problem)
        snprintf(why, len, "%d is not a problem: %.200s", rs->status, rs->body);
    return problem ? 0 : -1;
}

static int same(const struct snap *a, const struct snap *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* Sweep one request: returns how many allocations it needed (n at its
 * first run without a failure), or -1 after reporting a wrong answer.
 * once: only the n-th allocation fails, the ones after it succeed. */
static long sweep(const struct request *q, int once)
{
    for (long n = 0; n < 200000; n += stride) {
        char path[128], why[512] = "";
        struct req rq;
        struct resp rs;
        struct snap before, after;
        long long id = 0;
        long failed;

        if (q->new_run &&
            store_run_insert(d.store, "search", "to cancel", "{}", -1, anasd_now(), &id) < 0)
            return -1;
        if (q->new_run)
            snprintf(path, sizeof path, "/api/v1/runs/%lld/cancel", id);
        else
            snprintf(path, sizeof path, "%s", q->path);
        memset(&rq, 0, sizeof rq);
        memset(&rs, 0, sizeof rs);
        rq.method = q->method;
        rq.path = path;
        if (q->query_name) {
            rq.query[0].name = (char *)q->query_name;
            rq.query[0].value = (char *)q->query_value;
            rq.n_query = 1;
        }
        rq.body = q->body;
        rq.body_len = q->body ? strlen(q->body) : 0;
        rq.content_type = q->body ? "application/json" : NULL;
        snprintf(rq.request_id, sizeof rq.request_id, "%016lx", (unsigned long)n);
        rq.received = uv_hrtime();
        snap(&before);

        failed = anas_alloc_failed();
        once_mode = once;
        if (once)
            anas_alloc_fail_once(n);
        else
            anas_alloc_fail_after(n);
        route_dispatch(&d, &rq, &rs);
        anas_alloc_fail_after(-1);
        failed = anas_alloc_failed() - failed;

        snap(&after);
        if (judge(q, &rs, why, sizeof why) < 0) {
            ok(0, "%s: allocation %ld failing: %s", q->name, n, why);
            free(rs.body);
            return -1;
        }
        free(rs.body);
        if (!failed) /* every allocation done: the request is through */
            return rs.status == q->success ? n : (ok(0, "%s: %d", q->name, rs.status), -1);
        if (rs.status == q->success)
            continue;
        if (q->may_act) {
            after.archs = before.archs;
            if (after.canceled == before.canceled + 1 && after.queued == before.queued - 1)
                after.canceled--, after.queued++;
        }
        if (!same(&before, &after)) {
            ok(0, "%s: allocation %ld failing changed the database (runs %lld->%lld, "
                  "queued %lld->%lld, evaluations %lld->%lld, architectures %lld->%lld)",
               q->name, n, before.runs, after.runs, before.queued, after.queued, before.evals,
               after.evals, before.archs, after.archs);
            return -1;
        }
    }
    ok(0, "%s: never succeeded", q->name);
    return -1;
}

/* Run 1: a finished search with stored evaluations to read. */
static int seed_run(void)
{
    long long id;
    int rc = store_run_insert(d.store, "search", "seeded", SPEC, 3, anasd_now(), &id);
    for (int i = 1; rc == 0 && i <= 3; i++) {
        char hash[17], cfg[64], met[64];
        struct store_eval e;
        memset(&e, 0, sizeof e);
        snprintf(hash, sizeof hash, "%016x", i);
        snprintf(cfg, sizeof cfg, "{\"out_channel0\": %d}", 8 * i);
        snprintf(met, sizeof met, "{\"params\": %d, \"macs\": %d}", 1000 * i, 5000 * i);
        e.run = id;
        e.seq = i;
        snprintf(e.hash, sizeof e.hash, "%s", hash);
        snprintf(e.state, sizeof e.state, "complete");
        e.feasible = 1;
        snprintf(e.eval_key, sizeof e.eval_key, "%064d", i);
        e.config_json = cfg;
        e.metrics_json = met;
        e.started_at = e.finished_at = anasd_now();
        rc = store_eval_put(d.store, &e);
    }
    if (rc == 0)
        rc = store_run_set_state(d.store, id, "succeeded", anasd_now());
    return rc;
}

int main(void)
{
    size_t i;

    anas_log_set_handler(tap_log, NULL);
    if (getenv("ANAS_VALGRIND"))
        stride = 13;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_mem) != SQLITE_OK)
        skip_all("SQLite's allocator cannot be replaced");
    json_set_alloc_funcs(json_alloc, free);
    if (!mkdtemp(dir))
        skip_all("no temporary directory");
    snprintf(db_path, sizeof db_path, "%s/anasd.db", dir);
    plan(2 * (int)(sizeof requests / sizeof requests[0]) + 2);
    ok(start() == 0 && seed_run() == 0, "a daemon on a temporary database, with a run");
    quiet = 1; /* every failing allocation logs */
    for (int once = 0; once < 2; once++)
        for (i = 0; i < sizeof requests / sizeof requests[0]; i++) {
            long n = sweep(&requests[i], once);
            if (n >= 0)
                ok(1, "%s: %ld allocations; with %s failing%s, answered well",
                   requests[i].name, n, once ? "only the n-th" : "the n-th and all after",
                   stride > 1 ? " (n in steps of 13)" : "");
        }
    quiet = 0;
    is_int(count("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"),
           1, "the database is intact");
    sqlite3_close(peek);
    stop();
    {
        char p[400];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    return done();
}
