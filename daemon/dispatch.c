/*
 * dispatch.c - evaluations, from a proposed configuration to a committed
 * result: candidates failing an analytic constraint are stored as invalid
 * without evaluating; an identical evaluation (same architecture, same
 * evaluator identity) is reused from the store or from the slot already
 * evaluating it; the rest go to the pool, where transient failures are
 * retried. Every result is committed (commit.c, many to a transaction)
 * before the optimizer can observe it (run_result_in).
 *
 * Loop thread, except eval_work_cb.
 */
#include "config.h"

#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/log.h"
#include "evalsetup.h"
#include "lease.h"
#include "metrics.h"
#include "store.h"

struct work {
    uv_work_t req;
    int counted; /* a lease.c local thread: free it when done */
    struct run *run;
    long long seq;
    int rep;
};

/* --- identity --- */

/* Everything that shapes a trained result: the normalized recipe, the
 * dataset (or the measured model) and the seed the repetition's
 * evaluations start from. Repetitions of a training search draw their own
 * seeds, so they are independent; an analytic or surrogate evaluation is
 * the same whatever the seed, and repetitions share it. */
static void trained_identity(struct run *r)
{
    json_t *spec = codec_run_spec_to_json(&r->spec);
    json_t *ds = json_object_get(spec, "dataset"), *model = json_object_get(spec, "model");
    json_t *id = json_pack("{s:O, s:O, s:O, s:I}", "evaluator",
                           json_object_get(spec, "evaluator"), "dataset",
                           ds ? ds : json_null(), "model", model ? model : json_null(),
                           "seed", (json_int_t)r->eval.train.seed);
    char *txt = id ? json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char digest[65] = "?";
    /* hashed, not copied: a hardware configuration makes it long */
    if (txt)
        anas_sha256_hex(txt, strlen(txt), digest);
    snprintf(r->eval_id, sizeof r->eval_id, "train;%s", digest);
    free(txt);
    json_decref(id);
    json_decref(spec);
}

void dispatch_identity(struct run *r)
{
    size_t len;
    int i;
    if (r->spec.eval_kind == ANAS_EVAL_TRAIN || r->spec.eval_kind == ANAS_EVAL_RPU) {
        trained_identity(r);
        return;
    }
    len = (size_t)snprintf(r->eval_id, sizeof r->eval_id, "%s;map=%dx%d",
                           anas_eval_kind_name(r->spec.eval_kind),
                           r->spec.mapping.max_input_size, r->spec.mapping.max_output_size);
    for (i = 0; i < r->spec.n_models && len < sizeof r->eval_id; i++) {
        struct stat sb;
        if (r->spec.models[i].surrogate > 0) { /* a stored model never changes */
            len += (size_t)snprintf(r->eval_id + len, sizeof r->eval_id - len,
                                    ";%s=surrogate:%lld", r->spec.models[i].metric,
                                    r->spec.models[i].surrogate);
            continue;
        }
        /* Size and mtime stand in for the content: a replaced model file
         * must not be answered from results of the old one. */
        if (stat(r->spec.models[i].path, &sb) != 0)
            memset(&sb, 0, sizeof sb);
        len += (size_t)snprintf(r->eval_id + len, sizeof r->eval_id - len, ";%s=%s@%lld.%lld",
                                r->spec.models[i].metric, r->spec.models[i].path,
                                (long long)sb.st_size, (long long)sb.st_mtime);
    }
}

/* --- learning curves and pruning --- */

int run_planned_epochs(const struct run *r, const struct anas_config *cfg)
{
    struct anas_train_spec ts = r->eval.train;
    struct anas_config own = *cfg;
    own.space = r->eval.space;
    if (anas_eval_apply_recipe(&own, &ts) < 0)
        ts = r->eval.train;
    return ts.epochs;
}

double run_cost(const struct run *r, const struct anas_search_result *res)
{
    double e;
    int planned;
    if (res->rejected) /* never evaluated */
        return 0;
    if (!res->pruned || anas_metrics_get(&res->metrics, "epochs", &e) < 0)
        return 1;
    planned = run_planned_epochs(r, &res->config);
    return planned > 0 && e < planned ? e / planned : 1;
}

static int curve_push(struct slot *sl, int epochs, const struct anas_metrics *m)
{
    return evalsetup_curve_push(&sl->curve, &sl->curve_n, &sl->curve_cap, epochs, m);
}

/* The pruner's values for one epoch: the followed objectives, minimised;
 * an analytic one from the evaluation's analytic metrics. */
static void prune_values(const struct run *r, const struct anas_metrics *epoch,
                         const struct anas_metrics *analytic, double *f)
{
    const struct run_spec *s = &r->spec;
    for (int k = 0; k < s->prune.d; k++) {
        const struct anas_objective *o = &s->search.objectives[s->prune_obj[k]];
        const char *name = s->prune_metric[k][0] ? s->prune_metric[k] : o->metric;
        double v = NAN;
        anas_metrics_get(s->prune_metric[k][0] ? epoch : analytic, name, &v);
        f[k] = o->maximize ? -v : v;
    }
}

static int prune_report(struct run *r, int rep, long long seq, int epoch,
                        const struct anas_metrics *m, const struct anas_metrics *analytic)
{
    double f[ANAS_SEARCH_MAX_OBJECTIVES];
    prune_values(r, m, analytic, f);
    return anas_pruner_report(r->pruner, rep, seq, epoch, f);
}

/* On the worker, after every epoch: keep the curve; ask the pruner. */
static int on_epoch(void *ctx, int epoch, int epochs, const struct anas_metrics *m)
{
    struct work *w = ctx;
    struct run *r = w->run;
    struct slot *sl = ring_slot(r, w->seq);
    int stop = 0, rc;
    if (curve_push(sl, epochs, m) < 0)
        return ANAS_ENOMEM;
    if (!r->pruner)
        return 0;
    uv_mutex_lock(&r->prune_lock);
    /* A retried training reports its epochs again: the pruner keeps the
     * first attempt's curve and this one goes to the end. */
    /* sl->res.metrics holds the analytic metrics while training runs. */
    rc = prune_report(r, w->rep, sl->seq, epoch, m, &sl->res.metrics);
    if (rc == 0 && epoch < epochs)
        rc = anas_pruner_decide(r->pruner, sl->seq, epoch, &stop);
    uv_mutex_unlock(&r->prune_lock);
    return rc == 0 && stop;
}

static void prune_finish(struct run *r, long long seq, int completed)
{
    if (!r->pruner)
        return;
    uv_mutex_lock(&r->prune_lock);
    anas_pruner_finish(r->pruner, seq, completed);
    uv_mutex_unlock(&r->prune_lock);
}

/* A stored curve back into sl->curve. */
static int curve_parse(const char *txt, struct slot *sl)
{
    json_t *a = txt ? json_loads(txt, 0, NULL) : NULL, *o;
    size_t i;
    int rc = 0;
    sl->curve_n = 0;
    json_array_foreach(a, i, o)
    {
        struct anas_metrics m;
        char *t;
        json_object_del(o, "epoch");
        t = codec_dump(o);
        rc = t && codec_metrics_from_text(t, &m) == 0 ? curve_push(sl, (int)json_array_size(a), &m)
                                                     : ANAS_EFORMAT;
        free(t);
        if (rc < 0)
            break;
    }
    json_decref(a);
    return rc;
}

static void feed_slot(struct run *r, int rep, const struct slot *sl, int completed)
{
    uv_mutex_lock(&r->prune_lock);
    for (int e = 0; e < sl->curve_n; e++)
        if (prune_report(r, rep, sl->seq, e + 1, &sl->curve[e], &sl->res.metrics) < 0)
            break;
    anas_pruner_finish(r->pruner, sl->seq, completed);
    uv_mutex_unlock(&r->prune_lock);
}

void dispatch_prune_feed(struct run *r, long long seq, int rep, const char *curve_json,
                         const struct anas_metrics *m, int completed)
{
    struct slot tmp;
    if (!r->pruner || !curve_json)
        return;
    memset(&tmp, 0, sizeof tmp);
    tmp.seq = seq;
    tmp.res.metrics = *m;
    if (curve_parse(curve_json, &tmp) == 0)
        feed_slot(r, rep, &tmp, completed);
    free(tmp.curve);
}

/* --- settling --- */

int dispatch_settle(struct run *r, struct slot *sl, const char *state, int cached)
{
    return commits_add(r, sl, state, cached);
}

/* --- the pool --- */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Before a retry: the curve starts again. */
static void on_retry(void *ctx, int attempt, const struct anas_error *err)
{
    struct work *w = ctx;
    struct run *r = w->run;
    anas_log(ANAS_LOG_WARN, "run %lld: evaluation %lld failed (%s), retry %d of %d", r->id,
             w->seq, err->msg, attempt, EVALSETUP_RETRIES);
    ring_slot(r, w->seq)->curve_n = 0;
}

static void eval_work_cb(uv_work_t *req)
{
    struct work *w = req->data;
    struct run *r = w->run;
    struct slot *sl = ring_slot(r, w->seq);
    struct metrics *m = run_daemon(r)->metrics;
    int keep = strcmp(r->spec.kind, "train") == 0;
    metrics_evals_waiting(m, -1);
    metrics_work_begin(m);
    anas_error_clear(&sl->err);
    double m0 = anasd_mono();
    sl->t0 = wall_now();
    sl->curve_n = 0;
    sl->rc = evalsetup_evaluate(&r->eval, &sl->res.config, &r->cancel, &sl->progress,
                                &sl->res.metrics, keep ? &sl->model : NULL, &sl->model_len,
                                on_retry, w, &sl->err);
    sl->t1 = wall_now();
    sl->work_s = anasd_mono() - m0;
    /* A pruned training has metrics, but not the final ones. */
    sl->res.ok = sl->rc == 0 && !sl->progress.stopped_at;
    sl->res.pruned = sl->rc == 0 && sl->progress.stopped_at;
    sl->res.feasible = sl->res.ok && anas_search_feasible(&r->spec.search, &sl->res.metrics);
    metrics_work_end(m);
}

static const char *slot_state_name(const struct slot *sl)
{
    return sl->res.ok ? "complete" : sl->res.pruned ? "pruned" : "failed";
}

/* The leader's result is the followers' too. */
static int settle_followers(struct run *r, const struct slot *lead)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < RING; i++) {
        struct slot *f = &r->ring[i];
        if (f->state != SLOT_RUNNING || f->leader != lead->seq)
            continue;
        f->res.ok = lead->res.ok;
        f->res.feasible = lead->res.feasible;
        f->res.pruned = lead->res.pruned;
        f->res.metrics = lead->res.metrics;
        f->rc = lead->rc;
        f->err = lead->err;
        f->t0 = lead->t0;
        f->t1 = lead->t1;
        f->work_s = lead->work_s;
        f->leader = 0;
        r->pending--; /* before: commit.c asks whether the run has more out */
        rc = dispatch_settle(r, f, slot_state_name(lead), 1);
    }
    return rc;
}

/* A result back on the loop thread, from a pool thread or a lease. Its
 * weights, if any, are committed with it. */
static void complete(struct run *r, struct slot *sl)
{
    int rc;
    r->res.worked++;
    r->res.work_s += sl->work_s;
    prune_finish(r, sl->seq, sl->res.ok);
    rc = dispatch_settle(r, sl, slot_state_name(sl), 0);
    if (rc == 0)
        rc = settle_followers(r, sl);
    if (rc < 0)
        run_fail(r, rc, "cannot store an evaluation");
}

/* The local thread is free again: it takes the next waiting evaluation. */
static void local_next(struct anasd *d)
{
    struct run *next;
    long long seq;
    while (lease_local_done(d->leases, &next, &seq))
        if (dispatch_local(next, seq) == 0)
            break;
}

static void eval_after_cb(uv_work_t *req, int status)
{
    struct work *w = req->data;
    struct run *r = w->run;
    struct slot *sl = ring_slot(r, w->seq);
    struct anasd *d = run_daemon(r);
    int counted = w->counted;
    free(w);
    r->inflight--;
    jobs_inflight_add(r->jobs, -1);
    r->pending--;
    sl->dispatched = 0;
    if (status == UV_ECANCELED) /* never ran: still counted as waiting */
        metrics_evals_waiting(d->metrics, -1);
    if (status == UV_ECANCELED || sl->rc == ANAS_ECANCELED || r->finished || r->canceled ||
        r->interrupted)
        jobs_release(r);
    else
        complete(r, sl);
    /* r may be freed now */
    if (counted)
        local_next(d);
}

void dispatch_remote_done(struct run *r, struct slot *sl)
{
    struct commits *c = jobs_commits(r->jobs);
    r->pending--;
    sl->dispatched = 0;
    sl->res.ok = sl->rc == 0 && !sl->progress.stopped_at;
    sl->res.pruned = sl->rc == 0 && sl->progress.stopped_at;
    sl->res.feasible = sl->res.ok && anas_search_feasible(&r->spec.search, &sl->res.metrics);
    complete(r, sl);
    /* The worker is answered once its result is committed (doc/api.md). */
    commits_flush(c);
}

int dispatch_epoch(struct run *r, struct slot *sl, int rep, int epoch, int epochs,
                   const struct anas_metrics *m, int *stop)
{
    int rc;
    *stop = 0;
    if (!r->pruner)
        return 0;
    uv_mutex_lock(&r->prune_lock);
    rc = prune_report(r, rep, sl->seq, epoch, m, &sl->res.metrics);
    if (rc == 0 && epoch < epochs)
        rc = anas_pruner_decide(r->pruner, sl->seq, epoch, stop);
    uv_mutex_unlock(&r->prune_lock);
    return rc;
}

int dispatch_curve_parse(const char *txt, struct slot *sl)
{
    return curve_parse(txt, sl);
}

/* counted: the thread is one of lease.c's --workers (rpu's is not). */
static int queue_local(struct run *r, long long seq, int counted)
{
    struct slot *sl = ring_slot(r, seq);
    struct work *w = calloc(1, sizeof *w);
    int rc;
    if (!w)
        return ANAS_ENOMEM;
    w->counted = counted;
    w->run = r;
    w->seq = sl->seq;
    w->rep = r->rep;
    w->req.data = w;
    if (r->spec.eval_kind == ANAS_EVAL_TRAIN) {
        sl->progress.epoch_end = on_epoch;
        sl->progress.epoch_ctx = w;
    }
    rc = uv_queue_work(run_daemon(r)->loop, &w->req, eval_work_cb, eval_after_cb);
    if (rc < 0) {
        free(w);
        return ANAS_EINTERNAL;
    }
    metrics_evals_waiting(run_daemon(r)->metrics, 1);
    r->inflight++;
    jobs_inflight_add(r->jobs, 1);
    return 0;
}

int dispatch_local(struct run *r, long long seq)
{
    return queue_local(r, seq, 1);
}

/* To a free local thread, else to the queue local threads and remote
 * workers take from (lease.c). The rpu evaluator measures a model stored
 * here, so it stays local (--workers 0 still has the pool's one thread). */
static int queue_eval(struct run *r, struct slot *sl)
{
    struct leases *ls = run_daemon(r)->leases;
    int rc;
    if (r->spec.eval_kind == ANAS_EVAL_RPU) {
        rc = queue_local(r, sl->seq, 0);
    } else if (lease_local_take(ls, r)) {
        rc = queue_local(r, sl->seq, 1);
        if (rc < 0)
            lease_local_cancel(ls);
    } else {
        rc = lease_enqueue(ls, r, sl->seq, r->rep);
    }
    if (rc < 0)
        return rc;
    sl->dispatched = 1;
    r->pending++;
    return 0;
}

/* --- planning --- */

static int analytic_feasible(const struct run_spec *s, const struct anas_metrics *m)
{
    for (int i = 0; i < s->search.n_constraints; i++) {
        const struct anas_constraint *c = &s->search.constraints[i];
        double v;
        if (!anas_search_metric_is_analytic(c->metric) || anas_metrics_get(m, c->metric, &v) < 0)
            continue;
        if ((c->has_min && v < c->min) || (c->has_max && v > c->max))
            return 0;
    }
    return 1;
}

/* Reuse an identical evaluation stored earlier (any run), or about to be
 * (commit.c's batch, which the store will answer from once committed):
 * 1 when done. */
static int try_cached(struct run *r, struct slot *sl)
{
    struct store_eval e;
    struct anas_metrics m;
    int rc;
    if (commits_find_key(jobs_commits(r->jobs), sl->key, &e) < 0 &&
        store_eval_find_key(run_daemon(r)->store, sl->key, &e) < 0)
        return 0;
    if (codec_metrics_from_text(e.metrics_json, &m) < 0 || curve_parse(e.curve_json, sl) < 0) {
        store_eval_fini(&e);
        return 0;
    }
    store_eval_fini(&e);
    sl->res.metrics = m;
    if (r->pruner)
        feed_slot(r, r->rep, sl, 1);
    sl->res.ok = 1;
    sl->res.feasible = anas_search_feasible(&r->spec.search, &m);
    sl->t0 = sl->t1 = jobs_now();
    rc = dispatch_settle(r, sl, "complete", 1);
    return rc < 0 ? rc : 1;
}

/* The slot evaluating the same key right now, if any. */
static struct slot *leader_of(struct run *r, const struct slot *sl)
{
    for (int i = 0; i < RING; i++) {
        struct slot *o = &r->ring[i];
        if (o != sl && o->state == SLOT_RUNNING && o->dispatched &&
            strcmp(o->key, sl->key) == 0)
            return o;
    }
    return NULL;
}

/* A PLANNED slot becomes DONE (rejected, reused) or RUNNING. */
int dispatch_plan(struct run *r, struct slot *sl)
{
    char key_src[sizeof r->eval_id + ANAS_HASH_LEN + 2];
    struct anas_error err;
    struct slot *lead;
    int rc;
    anas_metrics_init(&sl->res.metrics);
    rc = anas_eval_analytic(&r->eval, &sl->res.config, &sl->res.metrics, &err);
    if (rc == 0 && !analytic_feasible(&r->spec, &sl->res.metrics)) {
        sl->res.ok = 0;
        sl->res.feasible = 0;
        sl->res.rejected = 1;
        sl->t0 = sl->t1 = jobs_now();
        return dispatch_settle(r, sl, "invalid", 0);
    }
    snprintf(key_src, sizeof key_src, "%s|%s", sl->hash, r->eval_id);
    anas_sha256_hex(key_src, strlen(key_src), sl->key);
    sl->state = SLOT_RUNNING;
    if ((lead = leader_of(r, sl))) {
        sl->leader = lead->seq;
        r->pending++;
        return 0;
    }
    /* A train run exists to produce weights: never answer it from a
     * stored result, which has none. */
    rc = strcmp(r->spec.kind, "train") == 0 ? 0 : try_cached(r, sl);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return queue_eval(r, sl);
}
