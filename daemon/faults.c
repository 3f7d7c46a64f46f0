/*
 * faults.c - runs stopped by a database that cannot be written, and the
 * timer that notices when it can again (faults.h says what the API sees).
 */
#include "config.h"

#include "faults.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "events.h"
#include "jobs.h"
#include "store.h"

/* Often enough that a run resumes soon after space is freed, seldom
 * enough that a database still full costs nothing. */
#define RETRY_MS 1000

struct stopped {
    long long id, done, total;
    char *error_json;
};

struct faults {
    struct anasd *d;
    int code;
    struct stopped *runs; /* rows not yet written */
    int n, cap;
    uv_timer_t timer;
};

int faults_is_store(int code)
{
    return code == ANAS_ENOSPC || code == ANAS_EUNAVAIL;
}

int faults_code(const struct faults *f)
{
    return f ? f->code : 0;
}

static void drop(struct faults *f, int i)
{
    free(f->runs[i].error_json);
    f->runs[i] = f->runs[--f->n];
}

/* Each stopped run's row: error and progress first, the state last, so
 * that a row that says "interrupted" has its error. */
static int write_rows(struct faults *f)
{
    struct store *st = f->d->store;
    int rc = 0;

    while (f->n > 0 && rc == 0) {
        struct stopped *s = &f->runs[f->n - 1];
        rc = store_run_set_error(st, s->id, s->error_json);
        if (rc == 0)
            rc = store_run_set_progress(st, s->id, s->done, s->total);
        if (rc == 0)
            rc = store_run_set_state(st, s->id, "interrupted", anasd_now());
        if (rc == 0 || rc == ANAS_ENOTFOUND) {
            events_run_state(f->d->events, st, s->id);
            drop(f, f->n - 1);
            rc = 0;
        }
    }
    return rc;
}

static void on_timer(uv_timer_t *t)
{
    struct faults *f = t->data;
    int rc;

    if (f->code == ANAS_ENOSPC)
        store_checkpoint(f->d->store); /* may be what frees the room */
    rc = write_rows(f);
    if (rc == 0)
        rc = store_probe(f->d->store);
    if (rc < 0) {
        f->code = faults_is_store(rc) ? rc : f->code;
        return;
    }
    anas_log(ANAS_LOG_INFO, "store: the database can be written again; resuming runs");
    f->code = 0;
    store_set_patient(f->d->store, 1);
    uv_timer_stop(&f->timer);
    jobs_pump(f->d->jobs);
}

void faults_note(struct faults *f, int code)
{
    if (!f || !faults_is_store(code))
        return;
    if (!f->code)
        anas_log(ANAS_LOG_WARN,
                 "store: the database cannot be written (%s); new runs are refused and "
                 "retried every %d ms",
                 anas_strerror(code), RETRY_MS);
    f->code = code;
    store_set_patient(f->d->store, 0);
    if (!uv_is_active((uv_handle_t *)&f->timer))
        uv_timer_start(&f->timer, on_timer, RETRY_MS, RETRY_MS);
}

void faults_run_stopped(struct faults *f, long long id, long long done, long long total,
                        const char *error_json)
{
    char *copy = strdup(error_json);

    if (copy && f->n == f->cap) {
        int ncap = f->cap ? 2 * f->cap : 4;
        struct stopped *grown = realloc(f->runs, (size_t)ncap * sizeof *grown);
        if (grown) {
            f->runs = grown;
            f->cap = ncap;
        }
    }
    /* Without memory the row is tried once, now; it says "running" at
     * worst, and a restart resumes that too. */
    if (copy && f->n < f->cap) {
        f->runs[f->n++] = (struct stopped){id, done, total, copy};
        write_rows(f);
    } else {
        free(copy);
        store_run_set_state(f->d->store, id, "interrupted", anasd_now());
    }
}

const char *faults_run_error(const struct faults *f, long long id)
{
    for (int i = 0; f && i < f->n; i++)
        if (f->runs[i].id == id)
            return f->runs[i].error_json;
    return NULL;
}

int faults_run_progress(const struct faults *f, long long id, long long *done, long long *total)
{
    for (int i = 0; f && i < f->n; i++)
        if (f->runs[i].id == id) {
            *done = f->runs[i].done;
            *total = f->runs[i].total;
            return 1;
        }
    return 0;
}

int faults_new(struct anasd *d, struct faults **out)
{
    struct faults *f = calloc(1, sizeof *f);

    if (!f)
        return ANAS_ENOMEM;
    f->d = d;
    uv_timer_init(d->loop, &f->timer);
    f->timer.data = f;
    *out = f;
    return 0;
}

void faults_shutdown(struct faults *f)
{
    if (!f)
        return;
    uv_timer_stop(&f->timer);
    write_rows(f);
}

/* After the loop closed its handles (the timer among them). */
void faults_free(struct faults *f)
{
    while (f && f->n > 0)
        drop(f, f->n - 1);
    if (f)
        free(f->runs);
    free(f);
}
