/*
 * metrics.c - the registry behind GET /metrics, and its rendering in the
 * Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * One table names every family, read top to bottom like the exposition it
 * produces. Updates are a lookup in a short list and an addition on the
 * loop thread, where requests and committed evaluations already are, so no
 * lock is needed; what pool threads know (a task running, an evaluation
 * leaving the queue) goes through two atomics read at scrape time.
 *
 * Naming follows Prometheus' conventions
 * (https://prometheus.io/docs/practices/naming/): base units (seconds,
 * bytes), counters end in _total, process_* as the client libraries name
 * them.
 */
#include "config.h"

#include "metrics.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fmt.h"
#include "eval/eval.h"

#define MAX_LABELS 3

enum type { COUNTER, GAUGE, HISTOGRAM };

/* Evaluations take from a millisecond (a surrogate) to an hour (a
 * hardware-aware training); requests from microseconds to seconds. */
static const double eval_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,    1,     2.5,  5,     10,   30,
                                     60,    120,    300,   600,  1200,  1800, 3600};
static const double http_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                     0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                     5,      10};

#define BOUNDS(a) a, (int)(sizeof a / sizeof a[0])

struct family_def {
    const char *name;
    const char *help;
    enum type type;
    const char *labels[MAX_LABELS]; /* NULL-terminated when fewer */
    const double *bounds;
    int n_bounds;
};

/* Indexed by enum metrics_family. */
static const struct family_def defs[METRICS_N_FAMILIES] = {
    [METRICS_BUILD_INFO] = {"anasd_build_info", "The running anasd's version; always 1.",
                            GAUGE, {"version"}, NULL, 0},
    [METRICS_RUNS] = {"anasd_runs", "Runs in the database by state.", GAUGE, {"state"},
                      NULL, 0},
    [METRICS_EVALUATIONS] = {"anasd_evaluations_total",
                             "Evaluations committed since the start, by evaluator kind and "
                             "state.",
                             COUNTER, {"evaluator", "state"}, NULL, 0},
    [METRICS_EVALUATIONS_REUSED] = {"anasd_evaluations_reused_total",
                                    "Evaluations answered from an identical stored or "
                                    "running one since the start, by evaluator kind.",
                                    COUNTER, {"evaluator"}, NULL, 0},
    [METRICS_EVALUATION_SECONDS] = {"anasd_evaluation_duration_seconds",
                                    "Time evaluations spent on a worker thread, by "
                                    "evaluator kind.",
                                    HISTOGRAM, {"evaluator"}, BOUNDS(eval_bounds)},
    [METRICS_POOL_THREADS] = {"anasd_pool_threads", "Worker threads (--workers).", GAUGE,
                              {NULL}, NULL, 0},
    [METRICS_POOL_BUSY] = {"anasd_pool_busy_threads",
                           "Worker threads running a task (an evaluation, an optimizer "
                           "step or a surrogate fit).",
                           GAUGE, {NULL}, NULL, 0},
    [METRICS_QUEUE_DEPTH] = {"anasd_queue_depth",
                             "Work waiting: runs queued or interrupted waiting for a slot "
                             "(queue=runs), evaluations waiting for a worker thread "
                             "(queue=evaluations).",
                             GAUGE, {"queue"}, NULL, 0},
    [METRICS_STREAMS_OPEN] = {"anasd_event_streams_open", "Server-sent event streams open.",
                              GAUGE, {NULL}, NULL, 0},
    [METRICS_HTTP_REQUESTS] = {"anasd_http_requests_total",
                               "HTTP requests answered since the start, by method, route "
                               "pattern and status.",
                               COUNTER, {"method", "route", "status"}, NULL, 0},
    [METRICS_HTTP_SECONDS] = {"anasd_http_request_duration_seconds",
                              "Time from a request's arrival to its response being ready, "
                              "by route pattern.",
                              HISTOGRAM, {"route"}, BOUNDS(http_bounds)},
    [METRICS_DATABASE_BYTES] = {"anasd_database_size_bytes",
                                "The database's size: page count times page size.", GAUGE,
                                {NULL}, NULL, 0},
    [METRICS_STORE_COMMITS] = {"anasd_store_commits_total",
                               "Transactions that stored finished evaluations since the "
                               "start (each holds one or more).",
                               COUNTER, {NULL}, NULL, 0},
    [METRICS_STORE_LOG_PAGES] = {"anasd_store_log_pages_total",
                                 "Pages the daemon's commits appended to the database's "
                                 "write-ahead log since the start.",
                                 COUNTER, {NULL}, NULL, 0},
    [METRICS_STORE_CHECKPOINTS] = {"anasd_store_checkpoints_total",
                                   "Checkpoints of the write-ahead log by the checkpointer "
                                   "thread since the start.",
                                   COUNTER, {NULL}, NULL, 0},
    [METRICS_STORE_HELD] = {"anasd_store_checkpoint_hold_seconds_total",
                            "Time the checkpointer held commits off to finish its "
                            "checkpoints, in seconds since the start.",
                            COUNTER, {NULL}, NULL, 0},
    [METRICS_PROCESS_CPU] = {"process_cpu_seconds_total",
                             "Total user and system CPU time spent in seconds.", COUNTER,
                             {NULL}, NULL, 0},
    [METRICS_PROCESS_RSS] = {"process_resident_memory_bytes", "Resident memory size in bytes.",
                             GAUGE, {NULL}, NULL, 0},
    [METRICS_PROCESS_VSZ] = {"process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             GAUGE, {NULL}, NULL, 0},
    [METRICS_PROCESS_FDS] = {"process_open_fds", "Number of open file descriptors.", GAUGE,
                             {NULL}, NULL, 0},
    [METRICS_PROCESS_MAX_FDS] = {"process_max_fds",
                                 "Maximum number of open file descriptors.", GAUGE, {NULL},
                                 NULL, 0},
    [METRICS_PROCESS_START] = {"process_start_time_seconds",
                               "Start time of the process since unix epoch in seconds.",
                               GAUGE, {NULL}, NULL, 0},
};

struct series {
    struct series *next;
    char *values[MAX_LABELS];
    double value;            /* counters and gauges */
    double sum;              /* histograms */
    unsigned long long count;
    unsigned long long *in;  /* observations per bucket (not cumulative) */
};

struct family {
    const struct family_def *def;
    int n_labels;
    struct series *head, **tail;
};

struct metrics {
    struct family fam[METRICS_N_FAMILIES];
    atomic_int busy, waiting;
};

/* --- series --- */

static void series_free(struct series *s, int n_labels)
{
    for (int i = 0; i < n_labels; i++)
        free(s->values[i]);
    free(s->in);
    free(s);
}

static struct series *series_new(const struct family *f, const char *const *values)
{
    struct series *s = calloc(1, sizeof *s);
    int ok = s != NULL;
    for (int i = 0; ok && i < f->n_labels; i++)
        ok = (s->values[i] = strdup(values[i])) != NULL;
    if (ok && f->def->type == HISTOGRAM)
        ok = (s->in = calloc((size_t)f->def->n_bounds, sizeof *s->in)) != NULL;
    if (!ok && s) {
        series_free(s, f->n_labels);
        s = NULL;
    }
    return s;
}

/* The series with these label values, created when new; NULL without
 * memory (the observation is then lost, not the request). */
static struct series *series_get(struct family *f, const char *const *values)
{
    struct series *s;
    for (s = f->head; s; s = s->next) {
        int i = 0;
        while (i < f->n_labels && strcmp(s->values[i], values[i]) == 0)
            i++;
        if (i == f->n_labels)
            return s;
    }
    s = series_new(f, values);
    if (s) {
        *f->tail = s;
        f->tail = &s->next;
    }
    return s;
}

static void series_observe(const struct family *f, struct series *s, double v)
{
    int i = 0;
    while (i < f->def->n_bounds && v > f->def->bounds[i])
        i++;
    if (i < f->def->n_bounds)
        s->in[i]++;
    s->count++;
    s->sum += v;
}

/* --- the registry --- */

/* Known label values start at zero, so that a rate is defined from the
 * first scrape on (https://prometheus.io/docs/practices/instrumentation/
 * "Avoid missing metrics"). */
static int preset_evaluations(struct metrics *m)
{
    static const char *const states[] = {"complete", "failed", "invalid", "pruned"};
    for (int k = ANAS_EVAL_ANALYTIC; k <= ANAS_EVAL_RPU; k++) {
        const char *kind = anas_eval_kind_name((enum anas_eval_kind)k);
        if (!series_get(&m->fam[METRICS_EVALUATIONS_REUSED], (const char *[]){kind}))
            return ANAS_ENOMEM;
        for (size_t s = 0; s < sizeof states / sizeof states[0]; s++)
            if (!series_get(&m->fam[METRICS_EVALUATIONS], (const char *[]){kind, states[s]}))
                return ANAS_ENOMEM;
    }
    return 0;
}

int metrics_new(struct metrics **out)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (!m)
        return ANAS_ENOMEM;
    for (int i = 0; i < METRICS_N_FAMILIES; i++) {
        struct family *f = &m->fam[i];
        f->def = &defs[i];
        while (f->n_labels < MAX_LABELS && f->def->labels[f->n_labels])
            f->n_labels++;
        f->tail = &f->head;
    }
    atomic_init(&m->busy, 0);
    atomic_init(&m->waiting, 0);
    if (preset_evaluations(m) < 0) {
        metrics_free(m);
        return ANAS_ENOMEM;
    }
    *out = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (int i = 0; i < METRICS_N_FAMILIES; i++) {
        struct series *s = m->fam[i].head, *next;
        for (; s; s = next) {
            next = s->next;
            series_free(s, m->fam[i].n_labels);
        }
    }
    free(m);
}

/* Bounded: anything else a client sends counts as "other". */
static const char *method_label(const char *method)
{
    static const char *const known[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD",
                                        "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(method, known[i]) == 0)
            return known[i];
    return "other";
}

void metrics_request(struct metrics *m, const char *method, const char *route, int status,
                     double seconds)
{
    char code[8];
    struct series *s;
    /* route_dispatch() gives 100 to 599; by hand: this runs for every request */
    if (status >= 100 && status <= 999) {
        code[0] = (char)('0' + status / 100);
        code[1] = (char)('0' + status / 10 % 10);
        code[2] = (char)('0' + status % 10);
        code[3] = '\0';
    } else {
        snprintf(code, sizeof code, "%d", status);
    }
    s = series_get(&m->fam[METRICS_HTTP_REQUESTS],
                   (const char *[]){method_label(method), route, code});
    if (s)
        s->value++;
    s = series_get(&m->fam[METRICS_HTTP_SECONDS], (const char *[]){route});
    if (s)
        series_observe(&m->fam[METRICS_HTTP_SECONDS], s, seconds);
}

void metrics_evaluation(struct metrics *m, const char *evaluator, const char *state,
                        int reused, double seconds)
{
    struct series *s = series_get(&m->fam[METRICS_EVALUATIONS], (const char *[]){evaluator, state});
    if (s)
        s->value++;
    if (reused) {
        s = series_get(&m->fam[METRICS_EVALUATIONS_REUSED], (const char *[]){evaluator});
        if (s)
            s->value++;
        return;
    }
    if (seconds < 0 || !isfinite(seconds))
        return;
    s = series_get(&m->fam[METRICS_EVALUATION_SECONDS], (const char *[]){evaluator});
    if (s)
        series_observe(&m->fam[METRICS_EVALUATION_SECONDS], s, seconds);
}

int metrics_set(struct metrics *m, enum metrics_family f, const char *const *values, double v)
{
    struct series *s = series_get(&m->fam[f], values);
    if (!s)
        return ANAS_ENOMEM;
    s->value = v;
    return 0;
}

void metrics_work_begin(struct metrics *m)
{
    atomic_fetch_add(&m->busy, 1);
}

void metrics_work_end(struct metrics *m)
{
    atomic_fetch_sub(&m->busy, 1);
}

void metrics_evals_waiting(struct metrics *m, int delta)
{
    atomic_fetch_add(&m->waiting, delta);
}

int metrics_pool_busy(const struct metrics *m)
{
    return atomic_load(&m->busy);
}

int metrics_evals_waiting_now(const struct metrics *m)
{
    return atomic_load(&m->waiting);
}

/* --- the exposition --- */

/* A sample value or bucket bound: Go's ParseFloat syntax, which Prometheus
 * reads; integers without a fraction, others as the shortest decimal that
 * reads back the same. */
static void value_text(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "NaN");
    else if (isinf(v))
        snprintf(buf, n, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, n, "%.0f", v);
    else if (anas_fmt_double(buf, n, v) <= 0)
        snprintf(buf, n, "%.17g", v);
}

static void put_value(FILE *f, double v)
{
    char num[40];
    value_text(num, sizeof num, v);
    fputs(num, f);
}

/* HELP text escapes \ and line feeds; label values " as well. */
static void put_escaped(FILE *f, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (quote && *s == '"')
            fputs("\\\"", f);
        else
            fputc(*s, f);
    }
}

/* name{a="x",b="y",le="0.5"} with `le` appended for buckets. */
static void put_series(FILE *f, const struct family *fam, const struct series *s,
                       const char *suffix, const char *le)
{
    int n = 0;
    fprintf(f, "%s%s", fam->def->name, suffix);
    for (int i = 0; i < fam->n_labels; i++, n++) {
        fprintf(f, "%s%s=\"", n ? "," : "{", fam->def->labels[i]);
        put_escaped(f, s->values[i], 1);
        fputc('"', f);
    }
    if (le) {
        fprintf(f, "%sle=\"%s\"", n ? "," : "{", le);
        n++;
    }
    fputs(n ? "} " : " ", f);
}

static void put_histogram(FILE *f, const struct family *fam, const struct series *s)
{
    unsigned long long cum = 0;
    char le[40];
    for (int b = 0; b < fam->def->n_bounds; b++) {
        cum += s->in[b];
        value_text(le, sizeof le, fam->def->bounds[b]);
        put_series(f, fam, s, "_bucket", le);
        fprintf(f, "%llu\n", cum);
    }
    put_series(f, fam, s, "_bucket", "+Inf");
    fprintf(f, "%llu\n", s->count);
    put_series(f, fam, s, "_sum", NULL);
    put_value(f, s->sum);
    fputc('\n', f);
    put_series(f, fam, s, "_count", NULL);
    fprintf(f, "%llu\n", s->count);
}

static void put_family(FILE *f, const struct family *fam)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    fprintf(f, "# HELP %s ", fam->def->name);
    put_escaped(f, fam->def->help, 0);
    fprintf(f, "\n# TYPE %s %s\n", fam->def->name, type_names[fam->def->type]);
    for (const struct series *s = fam->head; s; s = s->next) {
        if (fam->def->type == HISTOGRAM) {
            put_histogram(f, fam, s);
            continue;
        }
        put_series(f, fam, s, "", NULL);
        put_value(f, s->value);
        fputc('\n', f);
    }
}

int metrics_write(const struct metrics *m, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (!f)
        return ANAS_ENOMEM;
    for (int i = 0; i < METRICS_N_FAMILIES; i++)
        put_family(f, &m->fam[i]);
    if (fclose(f) != 0) {
        free(*out);
        *out = NULL;
        return ANAS_ENOMEM;
    }
    return 0;
}
