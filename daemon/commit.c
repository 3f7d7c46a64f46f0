/*
 * commit.c - settled results, committed to the store together.
 *
 * A finished evaluation costs the loop thread more to store than anything
 * else it does for it: a transaction and its WAL pages (the checkpoints
 * are another thread's, checkpoint.c). Results of quick evaluations (analytic, surrogate: a
 * millisecond or less each) therefore wait here up to FLUSH_MS and are
 * committed many to a transaction; a commit writes each changed page once,
 * however many rows it holds. Nothing is observed before it is committed:
 * only after COMMIT are the results counted, announced (events, metrics)
 * and handed to the optimizer (run_result_in), in the order they were
 * settled. A crash loses at most the waiting results, which the optimizer
 * never saw: a resumed run evaluates them again and ends identical.
 *
 * A batch is committed at once (on the next loop turn) when it is full,
 * when a result is not quick (a training's weights are worth storing now),
 * and when its run has nothing else out: waiting would only hold the
 * optimizer back. A remote worker's result is committed before the worker
 * is answered (dispatch_remote_done), and anything that ends a run commits
 * first (jobs.c).
 *
 * Loop thread.
 */
#include "config.h"

#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "evalsetup.h"
#include "evaltext.h"
#include "events.h"
#include "metrics.h"
#include "store.h"

#define FLUSH_MS 2
/* How soon a batch held off by the checkpointer (checkpoint.h) tries
 * again: its last copy takes about that long. */
#define HELD_MS 1
#define BATCH_MAX RING

/* One settled result: what the store gets, and whom to tell after. */
struct waiting {
    struct run *run;
    struct slot *slot;
    struct store_eval e; /* its texts are ours */
    char *shape;         /* the architecture's input shape */
    void *model;         /* a training's weights, or NULL */
    size_t model_len;
};

struct commits {
    struct anasd *d;
    uv_timer_t timer;
    int timer_on, timer_now;
    struct waiting *w;
    int n, cap;
    unsigned long long batches; /* committed (or failed) so far */
};

static void flush(struct commits *c, int may_wait);

static void on_timer(uv_timer_t *t)
{
    struct commits *c = t->data;
    c->timer_on = 0;
    flush(c, 1);
}

int commits_new(struct anasd *d, struct commits **out)
{
    struct commits *c = calloc(1, sizeof *c);
    if (!c)
        return ANAS_ENOMEM;
    c->d = d;
    uv_timer_init(d->loop, &c->timer);
    c->timer.data = c;
    *out = c;
    return 0;
}

static void waiting_fini(struct waiting *w)
{
    free(w->e.config_json);
    free(w->e.metrics_json);
    free(w->e.error_json);
    free(w->e.curve_json);
    free(w->shape);
    free(w->model);
}

/* After anasd_close() closed the timer: nothing is left waiting then
 * (jobs_shutdown commits), unless the daemon failed to start. */
void commits_free(struct commits *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        waiting_fini(&c->w[i]);
    free(c->w);
    free(c);
}

/* The flush is due in FLUSH_MS, or on the next loop turn (now). */
static void schedule(struct commits *c, int now)
{
    if (c->timer_on && (c->timer_now || !now))
        return;
    uv_timer_start(&c->timer, on_timer, now ? 0 : FLUSH_MS, 0);
    c->timer_on = 1;
    c->timer_now = now;
}

/* [{"epoch": 1, "train_loss": ...}, ...], or NULL for no curve. */
static char *curve_text(const struct slot *sl)
{
    json_t *a = evalsetup_curve_json(sl->curve, sl->curve_n);
    char *txt = a ? codec_dump(a) : NULL;
    json_decref(a);
    return txt;
}

static char *shape_text(const struct run *r)
{
    json_t *shape = json_pack("{s:o, s:i}", "input", codec_input_to_json(&r->spec.shape),
                              "classes", r->spec.shape.classes);
    char *txt = shape ? codec_dump(shape) : NULL;
    json_decref(shape);
    return txt;
}

static char *error_text(const struct slot *sl)
{
    json_t *ej = json_pack("{s:s, s:s}", "code", anas_err_name(sl->rc), "detail",
                           sl->err.msg[0] ? sl->err.msg : anas_strerror(sl->rc));
    char *txt = ej ? codec_dump(ej) : NULL;
    json_decref(ej);
    return txt;
}

/* The row as store_result() used to write it, texts and all. */
static int make_row(struct run *r, const struct slot *sl, const char *state, int cached,
                    struct waiting *w)
{
    struct store_eval *e = &w->e;
    int failed = strcmp(state, "failed") == 0;
    memset(w, 0, sizeof *w);
    w->run = r;
    w->slot = (struct slot *)sl;
    e->run = r->id;
    e->seq = sl->seq;
    e->rep = r->rep;
    snprintf(e->hash, sizeof e->hash, "%s", sl->hash);
    snprintf(e->state, sizeof e->state, "%s", state);
    e->feasible = sl->res.feasible;
    e->cached = cached;
    snprintf(e->eval_key, sizeof e->eval_key, "%s", sl->key);
    e->config_json = evaltext_config(&sl->res.config);
    e->metrics_json = evaltext_metrics(&sl->res.metrics);
    e->error_json = failed ? error_text(sl) : NULL;
    e->started_at = sl->t0;
    e->finished_at = sl->t1;
    e->curve_json = curve_text(sl);
    w->shape = shape_text(r);
    if (!e->config_json || !e->metrics_json || !w->shape || (failed && !e->error_json) ||
        (sl->curve_n > 0 && !e->curve_json)) {
        waiting_fini(w);
        return ANAS_ENOMEM;
    }
    return 0;
}

int commits_add(struct run *r, struct slot *sl, const char *state, int cached)
{
    struct commits *c = jobs_commits(r->jobs);
    int rc;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 32;
        struct waiting *w = realloc(c->w, (size_t)cap * sizeof *w);
        if (!w)
            return ANAS_ENOMEM;
        c->w = w;
        c->cap = cap;
    }
    rc = make_row(r, sl, state, cached, &c->w[c->n]);
    if (rc < 0)
        return rc;
    c->w[c->n].model = sl->model; /* stored with the row */
    c->w[c->n].model_len = sl->model_len;
    sl->model = NULL;
    c->n++;
    r->inflight++; /* the run stays until its results are told */
    schedule(c, !run_quick(r) || c->n >= BATCH_MAX || r->pending == 0);
    return 0;
}

static char *dup_or_null(const char *s, int *oom)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *oom = 1;
    return d;
}

int commits_find_key(struct commits *c, const char *eval_key, struct store_eval *out)
{
    for (int i = 0; i < c->n; i++) {
        const struct store_eval *e = &c->w[i].e;
        int oom = 0;
        if (strcmp(e->state, "complete") != 0 || strcmp(e->eval_key, eval_key) != 0)
            continue;
        *out = *e;
        out->config_json = dup_or_null(e->config_json, &oom);
        out->metrics_json = dup_or_null(e->metrics_json, &oom);
        out->error_json = dup_or_null(e->error_json, &oom);
        out->curve_json = dup_or_null(e->curve_json, &oom);
        if (oom) {
            store_eval_fini(out);
            return ANAS_ENOMEM;
        }
        return 0;
    }
    return ANAS_ENOTFOUND;
}

static int put_one(struct store *st, const struct waiting *w)
{
    const struct run *r = w->run;
    int rc = store_arch_put(st, w->e.hash, anas_space_name(r->spec.space), w->shape,
                            w->e.config_json, w->e.metrics_json, jobs_now());
    if (rc == 0)
        rc = store_eval_put(st, &w->e);
    if (rc == 0 && w->model)
        rc = store_model_put(st, r->id, "safetensors", w->model, w->model_len, jobs_now());
    return rc;
}

static int put_all(struct store *st, const struct waiting *w, int n)
{
    int rc = store_begin(st);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = put_one(st, &w[i]);
    if (rc == 0)
        rc = store_commit(st);
    if (rc < 0)
        store_rollback(st);
    return rc;
}

/* Committed: count it, announce it, let the optimizer see it. */
static void told(struct waiting *w)
{
    struct run *r = w->run;
    struct slot *sl = w->slot;
    struct anasd *d = run_daemon(r);
    int invalid = strcmp(w->e.state, "invalid") == 0;
    results_record(r, sl->seq, w->e.rep, w->e.state, w->e.cached, sl->hash, &sl->res,
                   anas_err_name(sl->rc), sl->err.msg[0] ? sl->err.msg : anas_strerror(sl->rc));
    r->res.live++;
    atomic_fetch_add(&r->done, 1);
    events_evaluation(d->events, r->id);
    /* An invalid candidate was rejected on its analytic metrics: no
     * worker time to observe. */
    metrics_evaluation(d->metrics, anas_eval_kind_name(r->spec.eval_kind), w->e.state,
                       w->e.cached, invalid ? -1 : sl->work_s);
    run_result_in(r, sl);
}

/*
 * may_wait: the batch may wait for the checkpointer, which holds batches
 * off for a moment at the end of each round (checkpoint.h); it tries again
 * in HELD_MS. Anything that ends a run, or answers a remote worker, commits
 * now, gate or not: the loop thread never waits for the checkpointer (such
 * a commit costs at most that round's restart of the log). The gate is
 * released before the results are told: that may end a run, which flushes
 * again.
 */
static void flush(struct commits *c, int may_wait)
{
    struct checkpointer *ck = may_wait ? c->d->checkpoint : NULL;
    struct waiting *w = c->w;
    int n = c->n, rc;
    if (c->timer_on) {
        uv_timer_stop(&c->timer);
        c->timer_on = 0;
    }
    if (n == 0)
        return;
    if (checkpoint_try_hold(ck) < 0) {
        uv_timer_start(&c->timer, on_timer, HELD_MS, 0);
        c->timer_on = c->timer_now = 1;
        return;
    }
    /* What follows may end runs, which flush again: that one finds the
     * batch empty. */
    c->w = NULL;
    c->n = c->cap = 0;
    rc = put_all(c->d->store, w, n);
    checkpoint_release(ck);
    c->batches++;
    for (int i = 0; i < n; i++) {
        struct run *r = w[i].run;
        /* A run being canceled counts what it committed; one that ended
         * (a failed commit a moment ago) writes nothing more. */
        if (rc == 0 && !r->finished)
            told(&w[i]);
        else if (rc < 0 && !r->finished)
            run_fail(r, rc, "cannot store an evaluation");
        waiting_fini(&w[i]);
        r->inflight--;
        jobs_release(r);
    }
    free(w);
}

void commits_flush(struct commits *c)
{
    flush(c, 0);
}

unsigned long long commits_batches(const struct commits *c)
{
    return c ? c->batches : 0;
}
