/*
 * jobs.c - the run state machine: starting and resuming runs, the
 * optimizer's steps, repetitions, budgets and finishing (run.h explains
 * how evaluations flow; dispatch.c evaluates, results.c judges).
 *
 * A step (pool) observes the results at the head of the ring one at a time,
 * in sequence order, asking the optimizer for proposals after each; a
 * proposal whose sequence number is already in the store (a resumed run)
 * is answered from there and observed in turn when it reaches the head.
 * Back on the loop thread the proposals that need work are planned
 * (dispatch_plan). Whenever the head of the ring holds a committed result
 * and no step is running, the next step is queued: the workers never wait
 * for a whole batch, only for the optimizer to have something to propose.
 */
#include "config.h"

#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "evalsetup.h"
#include "events.h"
#include "faults.h"
#include "lease.h"
#include "metrics.h"
#include "store.h"
#include "surrogates.h"

struct jobs {
    struct anasd *d;
    struct run *active;
    int n_active;
    int inflight;
    int shutting_down;
    struct commits *commits; /* results waiting to be committed */
};

struct step_work {
    uv_work_t req;
    struct run *run;
};

static void queue_step(struct run *r);
static void finish(struct run *r, const char *state, const struct anas_error *err);

double jobs_now(void)
{
    return anasd_now();
}

struct anasd *run_daemon(const struct run *r)
{
    return r->jobs->d;
}

struct commits *jobs_commits(struct jobs *j)
{
    return j->commits;
}

/* Every state change: the store first, then whoever listens. */
static void set_state(struct jobs *j, long long id, const char *state, double now)
{
    if (store_run_set_state(j->d->store, id, state, now) == 0)
        events_run_state(j->d->events, j->d->store, id);
}

void jobs_inflight_add(struct jobs *j, int n)
{
    j->inflight += n;
}

/* --- loading --- */

static int load_history(struct run *r)
{
    struct store_eval *e = NULL;
    int n = 0, i, rc;
    long long max_seq = 0;
    rc = store_eval_all(r->jobs->d->store, r->id, &e, &n);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++)
        if (e[i].seq > max_seq)
            max_seq = e[i].seq;
    if (max_seq > 0) {
        r->hist = calloc((size_t)max_seq, sizeof *r->hist);
        if (!r->hist) {
            store_evals_free(e, n);
            return ANAS_ENOMEM;
        }
    }
    r->n_hist = max_seq;
    for (i = 0; i < n; i++) {
        struct hist *h = &r->hist[e[i].seq - 1];
        json_t *ej;
        h->present = 1;
        h->rep = e[i].rep;
        h->t0 = e[i].started_at;
        h->t1 = e[i].finished_at;
        snprintf(h->hash, sizeof h->hash, "%s", e[i].hash);
        if (codec_config_from_text(r->spec.space, e[i].config_json, &h->res.config) < 0 ||
            codec_metrics_from_text(e[i].metrics_json, &h->res.metrics) < 0) {
            h->present = 0; /* unreadable: evaluate again */
            continue;
        }
        h->res.ok = strcmp(e[i].state, "complete") == 0;
        h->res.rejected = strcmp(e[i].state, "invalid") == 0;
        h->res.pruned = strcmp(e[i].state, "pruned") == 0;
        h->res.feasible = e[i].feasible;
        ej = e[i].error_json ? json_loads(e[i].error_json, 0, NULL) : NULL;
        results_record(r, e[i].seq, e[i].rep, e[i].state, e[i].cached, h->hash, &h->res,
                       json_string_value(json_object_get(ej, "code")),
                       json_string_value(json_object_get(ej, "detail")));
        dispatch_prune_feed(r, e[i].seq, e[i].rep, e[i].curve_json, &h->res.metrics, h->res.ok);
        json_decref(ej);
        atomic_fetch_add(&r->done, 1);
    }
    store_evals_free(e, n);
    return 0;
}

static int load_datasets(struct run *r, struct anas_error *err)
{
    int rc = run_load_datasets(&r->spec, &r->train_set, &r->test_set, err);
    if (rc < 0)
        return rc;
    r->eval.train_set = r->train_set;
    r->eval.test_set = r->test_set;
    return 0;
}

/* The seed of a repetition (evalsetup.h). */
static uint64_t rep_seed(const struct run *r, int rep)
{
    return evalsetup_rep_seed(&r->spec, rep);
}

/* Pool side: models and datasets are files, so they load off the loop
 * thread. */
static int load_models(struct run *r, struct anas_error *err)
{
    int rc;
    evalsetup_spec(&r->spec, rep_seed(r, r->rep), &r->eval);
    r->eval.threads = r->jobs->d->eval_threads;
    /* With --workers 0 nothing trains here: the datasets are the workers'. */
    if (r->spec.eval_kind == ANAS_EVAL_TRAIN && r->jobs->d->conf.workers > 0 &&
        (rc = load_datasets(r, err)) < 0) {
        if (!err->field[0])
            snprintf(err->field, sizeof err->field, "/dataset");
        return rc;
    }
    if (r->spec.eval_kind == ANAS_EVAL_RPU && (rc = rpu_base_load(r->rpu, &r->eval, err)) < 0)
        return rc;
    rc = evalsetup_models(&r->spec, r->model_blob, r->model_len, r->models, &r->eval, err);
    if (rc < 0)
        return rc;
    if (r->spec.eval_kind == ANAS_EVAL_TRAIN && !r->train_set)
        return 0; /* checked by each worker, on its own datasets */
    return anas_eval_spec_check(&r->eval, err);
}

/* --- the step (pool) --- */

static int is_search(const struct run *r)
{
    return strcmp(r->spec.kind, "search") == 0;
}

/* The optimizer's proposals, or an evaluate/train run's one architecture. */
static int ask(struct run *r, struct anas_config *cfgs, int max, int *n)
{
    if (!is_search(r)) {
        *n = r->rep_count == 0;
        cfgs[0] = r->spec.arch;
        return 0;
    }
    return anas_search_propose(r->search, cfgs, max, n, &r->step_err);
}

/* Budgets end a repetition between proposals; the decision depends only
 * on stored values (the count, and the times of the results observed so
 * far), so a resumed run stops where the original did. */
/* Whole evaluations the budget still allows: what is out counts in full
 * until its result says otherwise (a candidate rejected on an analytic
 * constraint costs nothing, a pruned training its share of the planned
 * epochs), so the budget is never exceeded. */
static long long budget_left(const struct run *r)
{
    double used = r->rep_cost + (double)(r->rep_count - r->rep_obs);
    return (long long)floor((double)r->spec.max_evals - used + 1e-9);
}

static enum stop budget_stop(const struct run *r)
{
    if (r->spec.max_evals > 0 && budget_left(r) <= 0)
        return STOP_EVALUATIONS;
    if (r->spec.max_seconds > 0 && r->rep_t0 > 0 && r->last_t1 - r->rep_t0 >= r->spec.max_seconds)
        return STOP_SECONDS;
    return STOP_NONE;
}

static int add_proposal(struct run *r, const struct anas_config *cfg)
{
    struct proposal *p;
    /* A long replay observes what it proposes: drop those to make room
     * (what is not observed always fits, propose_some sees to that). */
    if (r->n_out == RING) {
        memmove(r->out, r->out + r->n_out_observed,
                (size_t)(r->n_out - r->n_out_observed) * sizeof *r->out);
        r->n_out -= r->n_out_observed;
        r->n_out_observed = 0;
    }
    p = &r->out[r->n_out];
    memset(p, 0, sizeof *p);
    p->seq = ++r->next_seq;
    p->res.config = *cfg;
    anas_space_hash(r->spec.space, &r->spec.shape, cfg, p->hash);
    r->rep_count++;
    r->n_out++;
    if (p->seq <= r->n_hist && r->hist[p->seq - 1].present) {
        const struct hist *h = &r->hist[p->seq - 1];
        if (h->rep != r->rep || strcmp(h->hash, p->hash) != 0)
            return anas_error_set(&r->step_err, ANAS_ESTATE,
                                  "replay diverged at evaluation %lld: stored %s, "
                                  "optimizer proposed %s",
                                  p->seq, h->hash, p->hash);
        p->stored = 1;
        p->res = h->res;
        p->t0 = h->t0;
        p->t1 = h->t1;
    }
    return 0;
}

/* Ask for as many proposals as there is room for. */
static int propose_some(struct run *r)
{
    static __thread struct anas_config cfgs[RING];
    long long out_now = r->next_seq - r->obs_seq;
    long long max = RING - out_now;
    int n = 0, rc;
    if (r->stop == STOP_NONE)
        r->stop = budget_stop(r);
    if (r->stop != STOP_NONE)
        return 0;
    if (r->spec.max_evals > 0 && max > budget_left(r))
        max = budget_left(r);
    if (max <= 0)
        return 0;
    rc = ask(r, cfgs, (int)max, &n);
    if (rc < 0)
        return rc;
    if (n == 0 && out_now == 0)
        r->stop = STOP_DONE;
    for (int i = 0; i < n; i++)
        if ((rc = add_proposal(r, &cfgs[i])) < 0)
            return rc;
    return 0;
}

static int observe_one(struct run *r, const struct anas_search_result *res, double t0,
                       double t1)
{
    int rc = 0;
    if (r->search)
        rc = anas_search_observe(r->search, res, 1, &r->step_err);
    if (rc < 0)
        return rc;
    r->obs_seq++;
    r->rep_obs++;
    r->rep_cost += run_cost(r, res);
    if (r->rep_t0 <= 0)
        r->rep_t0 = t0;
    if (t1 > r->last_t1)
        r->last_t1 = t1;
    return propose_some(r);
}

static int step_body(struct run *r)
{
    int rc = 0;
    if (!r->search && is_search(r)) {
        r->search = anas_search_new(&r->spec.search, rep_seed(r, r->rep), &r->step_err);
        if (!r->search)
            return r->step_err.code ? r->step_err.code : ANAS_ENOMEM;
    }
    if (!r->rep_started) {
        r->rep_started = 1;
        rc = propose_some(r);
    }
    for (int i = 0; rc == 0 && i < r->n_in; i++) {
        if (atomic_load(&r->cancel))
            return 0;
        rc = observe_one(r, &r->in[i], r->in_t0[i], r->in_t1[i]);
    }
    /* With nothing else out, stored proposals are observed right away: a
     * resumed run replays without a round trip per evaluation. */
    while (rc == 0 && r->ring_after == 0 && r->n_out_observed < r->n_out &&
           r->out[r->n_out_observed].stored) {
        const struct proposal *p = &r->out[r->n_out_observed++];
        if (atomic_load(&r->cancel))
            return 0;
        rc = observe_one(r, &p->res, p->t0, p->t1);
    }
    return rc;
}

static void step_run(struct run *r)
{
    if (!r->loaded) {
        r->step_rc = load_models(r, &r->step_err);
        if (r->step_rc < 0)
            return;
        r->loaded = 1;
    }
    r->step_rc = step_body(r);
}

static void step_work_cb(uv_work_t *req)
{
    struct step_work *w = req->data;
    struct metrics *m = w->run->jobs->d->metrics;
    metrics_work_begin(m);
    step_run(w->run);
    metrics_work_end(m);
}

/* --- between steps (loop thread) --- */

static int head_done(struct run *r)
{
    return r->obs_seq < r->next_seq && ring_slot(r, r->obs_seq + 1)->state == SLOT_DONE;
}

static void maybe_step(struct run *r)
{
    if (!r->stepping && !r->finished && !r->canceled && !r->interrupted && head_done(r))
        queue_step(r);
}

void run_result_in(struct run *r, struct slot *sl)
{
    if (r->stepping) {
        sl->arrived = 1;
        return;
    }
    sl->state = SLOT_DONE;
    maybe_step(r);
}

/* The proposals the step made that were not observed enter the ring. */
static int take_proposals(struct run *r)
{
    int rc = 0;
    for (int k = r->n_out_observed; k < r->n_out; k++) {
        const struct proposal *p = &r->out[k];
        struct slot *sl = ring_slot(r, p->seq);
        if (sl->state != SLOT_EMPTY)
            return anas_error_set(&r->step_err, ANAS_EINTERNAL, "ring slot of %lld is busy",
                                  p->seq);
        free(sl->model);
        free(sl->curve);
        memset(sl, 0, sizeof *sl);
        sl->seq = p->seq;
        snprintf(sl->hash, sizeof sl->hash, "%s", p->hash);
        sl->res = p->res;
        sl->t0 = p->t0;
        sl->t1 = p->t1;
        sl->state = p->stored ? SLOT_DONE : SLOT_PLANNED;
    }
    for (int k = r->n_out_observed; rc == 0 && k < r->n_out; k++) {
        struct slot *sl = ring_slot(r, r->out[k].seq);
        if (sl->state == SLOT_PLANNED)
            rc = dispatch_plan(r, sl);
    }
    return rc;
}

static void end_rep(struct run *r)
{
    r->res.rep_stop[r->rep] = r->stop;
    if (!r->res.rep_info)
        r->res.rep_info = calloc(RUN_MAX_RUNS, sizeof *r->res.rep_info);
    if (r->res.rep_info && r->search)
        anas_search_info(r->search, &r->res.rep_info[r->rep]);
    anas_search_free(r->search);
    r->search = NULL;
    r->stop = STOP_NONE;
    r->rep_started = 0;
    r->rep_count = r->rep_obs = 0;
    r->rep_cost = 0;
    r->rep_t0 = r->last_t1 = 0;
    r->rep++;
    if (r->rep < r->spec.runs) {
        /* Each repetition trains and draws noise from its own seed. */
        r->eval.train.seed = rep_seed(r, r->rep);
        dispatch_identity(r);
        queue_step(r);
        return;
    }
    /* Every evaluation failed: the run failed, and says why. */
    if (r->res.complete == 0 && r->res.failed > 0) {
        struct anas_error e;
        anas_error_set(&e, ANAS_EINVAL, "all %lld evaluations failed; the first: %s: %s",
                       r->res.failed, r->res.first_error_code, r->res.first_error_detail);
        finish(r, "failed", &e);
    } else {
        finish(r, "succeeded", NULL);
    }
    jobs_release(r);
}

static void step_after_cb(uv_work_t *req, int status)
{
    struct step_work *w = req->data;
    struct run *r = w->run;
    int rc;
    free(w);
    r->inflight--;
    r->jobs->inflight--;
    if (status == UV_ECANCELED || r->canceled || r->interrupted || r->finished) {
        r->stepping = 0;
        jobs_release(r);
        return;
    }
    if (r->step_rc < 0) {
        r->stepping = 0;
        finish(r, "failed", &r->step_err);
        jobs_release(r);
        return;
    }
    for (int i = 0; i < r->n_in; i++)
        ring_slot(r, r->in_seq + i)->state = SLOT_EMPTY;
    /* Still "stepping" while planning: results that come back at once
     * (rejected, reused) wait until every proposal is planned. */
    rc = take_proposals(r);
    r->stepping = 0;
    if (rc < 0) {
        struct anas_error e = r->step_err;
        if (!e.code)
            anas_error_set(&e, rc, "cannot schedule evaluations");
        finish(r, "failed", &e);
        jobs_release(r);
        return;
    }
    for (int i = 0; i < RING; i++) {
        if (r->ring[i].arrived) {
            r->ring[i].arrived = 0;
            r->ring[i].state = SLOT_DONE;
        }
    }
    if (r->stop != STOP_NONE && r->next_seq == r->obs_seq) {
        end_rep(r);
        return;
    }
    maybe_step(r);
}

/* Hand the results at the head of the ring to a step. */
static void queue_step(struct run *r)
{
    struct step_work *w = calloc(1, sizeof *w);
    long long seq = r->obs_seq + 1;
    int rc = ANAS_ENOMEM;
    r->n_in = 0;
    r->in_seq = seq;
    for (; seq <= r->next_seq && ring_slot(r, seq)->state == SLOT_DONE; seq++) {
        const struct slot *sl = ring_slot(r, seq);
        r->in[r->n_in] = sl->res;
        r->in_t0[r->n_in] = sl->t0;
        r->in_t1[r->n_in] = sl->t1;
        r->n_in++;
    }
    r->ring_after = (int)(r->next_seq - r->obs_seq - r->n_in);
    r->n_out = r->n_out_observed = 0;
    if (w) {
        w->run = r;
        w->req.data = w;
        rc = uv_queue_work(r->jobs->d->loop, &w->req, step_work_cb, step_after_cb);
    }
    if (rc < 0) {
        struct anas_error e;
        free(w);
        anas_error_set(&e, ANAS_ENOMEM, "cannot queue work");
        finish(r, "failed", &e);
        jobs_release(r);
        return;
    }
    r->stepping = 1;
    r->inflight++;
    r->jobs->inflight++;
}

/* --- finishing --- */

static void unlink_run(struct run *r)
{
    struct run **p;
    for (p = &r->jobs->active; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            r->jobs->n_active--;
            return;
        }
    }
}

/*
 * A store fault stops the run as "interrupted" (faults.h): it did nothing
 * wrong, and resumes from its stored evaluations once the database can be
 * written. Its results so far are in the store already; the row is
 * written when it can be.
 */
static void suspend(struct run *r, const struct anas_error *err)
{
    struct faults *f = r->jobs->d->faults;
    char detail[512], bare[64], *txt;
    json_t *e;
    snprintf(detail, sizeof detail,
             "%s: %s; the run resumes once the database can be written again",
             err->msg[0] ? err->msg : "cannot write the database", anas_strerror(err->code));
    snprintf(bare, sizeof bare, "{\"code\":\"%s\"}", anas_err_name(err->code));
    e = json_pack("{s:s, s:s}", "code", anas_err_name(err->code), "detail", detail);
    txt = e ? codec_dump(e) : NULL;
    json_decref(e);
    r->finished = 1; /* nothing more is written for it */
    r->interrupted = 1;
    atomic_store(&r->cancel, 1);
    unlink_run(r);
    anas_log(ANAS_LOG_WARN, "run %lld interrupted: %s", r->id, detail);
    faults_note(f, err->code);
    faults_run_stopped(f, r->id, atomic_load(&r->done), r->total, txt ? txt : bare);
    free(txt);
}

static void finish(struct run *r, const char *state, const struct anas_error *err)
{
    struct store *st = r->jobs->d->store;
    long long done;
    if (r->finished)
        return;
    /* What the run settled is committed and counted first (commit.c); if
     * that fails, the run has ended already. The flush releases the run
     * once for each of its results: held here, a canceled run whose last
     * things out were results waiting in the batch outlives it. */
    r->inflight++;
    commits_flush(r->jobs->commits);
    r->inflight--;
    if (r->finished)
        return;
    done = atomic_load(&r->done);
    if (err && faults_is_store(err->code)) {
        suspend(r, err);
        return;
    }
    r->finished = 1;
    atomic_store(&r->cancel, 1);
    if (err) {
        json_t *e = json_pack("{s:s, s:s}", "code", anas_err_name(err->code), "detail",
                              err->msg[0] ? err->msg : anas_strerror(err->code));
        char *txt;
        if (err->field[0])
            json_object_set_new(e, "field", json_string(err->field));
        txt = codec_dump(e);
        store_run_set_error(st, r->id, txt);
        free(txt);
        json_decref(e);
        anas_log(ANAS_LOG_WARN, "run %lld failed: %s", r->id, err->msg);
    }
    {
        json_t *b = results_best_json(&r->spec, &r->res.best), *s = results_summary_json(r);
        char *bt = json_is_null(b) ? NULL : codec_dump(b), *stxt = codec_dump(s);
        store_run_set_result(st, r->id, bt, stxt);
        free(bt);
        free(stxt);
        json_decref(b);
        json_decref(s);
    }
    /* A finished run did all it will: done is the total. Others keep the
     * estimate, never below what was done. */
    store_run_set_progress(st, r->id, done,
                           strcmp(state, "succeeded") == 0 || r->total < done ? done : r->total);
    set_state(r->jobs, r->id, state, jobs_now());
    anas_log(ANAS_LOG_INFO, "run %lld %s after %lld evaluations", r->id, state, done);
    unlink_run(r);
}

void run_fail(struct run *r, int rc, const char *what)
{
    struct anas_error e;
    anas_error_set(&e, rc, "%s", what);
    finish(r, "failed", &e);
    jobs_release(r);
}

static void run_free(struct run *r)
{
    int i;
    if (r->jobs)
        lease_drop_run(r->jobs->d->leases, r);
    for (i = 0; i < RING; i++) {
        free(r->ring[i].model);
        free(r->ring[i].curve);
    }
    if (r->pruner) {
        anas_pruner_free(r->pruner);
        uv_mutex_destroy(&r->prune_lock);
    }
    anas_data_free(r->train_set);
    anas_data_free(r->test_set);
    rpu_base_free(r->rpu);
    anas_search_free(r->search);
    for (i = 0; i < ANAS_EVAL_MAX_MODELS; i++) {
        anas_surrogate_free(r->models[i]);
        free(r->model_blob[i]);
    }
    results_fini(&r->res);
    free(r->hist);
    free(r->in);
    free(r->in_t0);
    free(r->in_t1);
    free(r->out);
    free(r);
}

void jobs_release(struct run *r)
{
    struct jobs *j = r->jobs;
    if (r->inflight > 0 || !(r->finished || r->canceled || r->interrupted))
        return;
    if (!r->finished)
        unlink_run(r);
    run_free(r);
    if (!j->shutting_down)
        jobs_pump(j);
}

/* --- public --- */

long long jobs_estimate_total(const struct run_spec *s)
{
    long long per;
    if (strcmp(s->kind, "search") != 0)
        return s->runs;
    per = anas_search_budget(&s->search);
    if (s->max_evals > 0 && (per < 0 || per > s->max_evals))
        per = s->max_evals;
    return per < 0 ? -1 : per * s->runs;
}

/* A run that cannot start ends as failed, with why. */
static void fail_start(struct jobs *j, struct run *r, long long id,
                       const struct anas_error *err)
{
    r->jobs = j;
    r->id = id;
    r->next = j->active;
    j->active = r;
    j->n_active++;
    finish(r, "failed", err);
    run_free(r);
}

static struct run *run_alloc(void)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->in = calloc(RING, sizeof *r->in);
    r->in_t0 = calloc(RING, sizeof *r->in_t0);
    r->in_t1 = calloc(RING, sizeof *r->in_t1);
    r->out = calloc(RING, sizeof *r->out);
    if (!r->in || !r->in_t0 || !r->in_t1 || !r->out) {
        run_free(r);
        return NULL;
    }
    return r;
}

static int start_run(struct jobs *j, long long id)
{
    struct store *st = j->d->store;
    struct store_run sr;
    struct anas_error err;
    json_t *spec;
    struct run *r;
    int had_error, rc = store_run_get(st, id, &sr);
    if (rc < 0)
        return rc;
    r = run_alloc();
    spec = json_loads(sr.spec_json, 0, NULL);
    anas_error_clear(&err);
    if (!r || !spec || codec_run_spec(&j->d->conf, spec, &r->spec, &err) < 0) {
        if (!err.code)
            anas_error_set(&err, ANAS_ENOMEM, "cannot load run");
        json_decref(spec);
        store_run_fini(&sr);
        if (r)
            fail_start(j, r, id, &err);
        return 0;
    }
    json_decref(spec);
    if (r->spec.eval_kind == ANAS_EVAL_RPU &&
        rpu_base_fetch(st, &j->d->conf, r->spec.model_run, &r->rpu, &err) < 0) {
        store_run_fini(&sr);
        fail_start(j, r, id, &err);
        return 0;
    }
    for (int i = 0; i < r->spec.n_models; i++)
        if (surrogates_for_run(st, &r->spec, i, &r->model_blob[i], &r->model_len[i], &err) < 0) {
            store_run_fini(&sr);
            fail_start(j, r, id, &err);
            return 0;
        }
    r->jobs = j;
    r->id = id;
    r->t0 = anasd_mono();
    r->total = jobs_estimate_total(&r->spec);
    r->eval.train.seed = rep_seed(r, 0);
    dispatch_identity(r);
    if (r->spec.prune.kind != ANAS_PRUNE_NONE) {
        r->pruner = anas_pruner_new(&r->spec.prune, &err);
        if (!r->pruner || uv_mutex_init(&r->prune_lock) < 0) {
            anas_pruner_free(r->pruner);
            r->pruner = NULL;
            if (!err.code)
                anas_error_set(&err, ANAS_ENOMEM, "cannot make the pruner");
            store_run_fini(&sr);
            fail_start(j, r, id, &err);
            return 0;
        }
    }
    rc = load_history(r);
    if (rc == 0 && r->n_hist > 0)
        anas_log(ANAS_LOG_INFO, "run %lld: resuming with %lld stored evaluations", id,
                 (long long)atomic_load(&r->done));
    r->next = j->active;
    j->active = r;
    j->n_active++;
    had_error = sr.error_json != NULL;
    store_run_fini(&sr);
    if (rc < 0) {
        anas_error_set(&err, rc, "cannot read stored evaluations");
        finish(r, "failed", &err);
        run_free(r);
        return 0;
    }
    if (had_error) /* the fault that interrupted it has passed */
        store_run_set_error(st, id, NULL);
    set_state(j, id, "running", jobs_now());
    store_run_set_progress(st, id, atomic_load(&r->done), r->total);
    queue_step(r);
    return 0;
}

static int next_waiting(struct jobs *j, long long *id)
{
    static const char *const states[] = {"interrupted", "queued"};
    int s;
    for (s = 0; s < 2; s++) {
        long long *ids = NULL;
        int n = 0;
        if (store_run_ids_in_state(j->d->store, states[s], &ids, &n) == 0 && n > 0) {
            *id = ids[0];
            free(ids);
            return 1;
        }
        free(ids);
    }
    return 0;
}

void jobs_pump(struct jobs *j)
{
    long long id;
    /* While the database cannot be written, runs wait (faults.c pumps). */
    while (!j->shutting_down && !faults_code(j->d->faults) &&
           j->n_active < j->d->conf.max_runs && next_waiting(j, &id)) {
        int rc = start_run(j, id);
        if (faults_is_store(rc)) {
            faults_note(j->d->faults, rc);
            break;
        }
        if (rc < 0) {
            set_state(j, id, "failed", jobs_now());
            break;
        }
    }
}

int jobs_new(struct anasd *d, struct jobs **out)
{
    struct jobs *j = calloc(1, sizeof *j);
    if (!j)
        return ANAS_ENOMEM;
    j->d = d;
    if (commits_new(d, &j->commits) < 0) {
        free(j);
        return ANAS_ENOMEM;
    }
    *out = j;
    return 0;
}

void jobs_free(struct jobs *j)
{
    while (j && j->active) {
        struct run *r = j->active;
        j->active = r->next;
        run_free(r);
    }
    if (j)
        commits_free(j->commits);
    free(j);
}

int jobs_start(struct jobs *j)
{
    long long *ids = NULL;
    int n = 0, i, rc;
    /* A run still "running" in the store was cut off by a crash. */
    rc = store_run_ids_in_state(j->d->store, "running", &ids, &n);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        anas_log(ANAS_LOG_INFO, "run %lld was interrupted; resuming", ids[i]);
        set_state(j, ids[i], "interrupted", jobs_now());
    }
    free(ids);
    jobs_pump(j);
    return 0;
}

static struct run *find_active(struct jobs *j, long long id)
{
    struct run *r;
    for (r = j->active; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

int jobs_cancel(struct jobs *j, long long id)
{
    struct store_run sr;
    struct run *r = find_active(j, id);
    int rc;
    if (r) {
        r->canceled = 1;
        atomic_store(&r->cancel, 1);
        finish(r, "canceled", NULL);
        jobs_release(r);
        return 0;
    }
    rc = store_run_get(j->d->store, id, &sr);
    if (rc < 0)
        return rc;
    if (strcmp(sr.state, "queued") && strcmp(sr.state, "interrupted")) {
        store_run_fini(&sr);
        return ANAS_ESTATE;
    }
    store_run_fini(&sr);
    rc = store_run_set_state(j->d->store, id, "canceled", jobs_now());
    if (rc == 0)
        events_run_state(j->d->events, j->d->store, id);
    return rc;
}

/* Evaluations being trained right now, with their batches. */
static json_t *evaluating_json(struct run *r)
{
    json_t *a = json_array();
    int i;
    for (i = 0; (r->spec.eval_kind == ANAS_EVAL_TRAIN || r->spec.eval_kind == ANAS_EVAL_RPU) &&
                i < RING;
         i++) {
        struct slot *sl = &r->ring[i];
        long total = atomic_load(&sl->progress.batches_total);
        /* Only atomics and loop-owned fields: the pool is still writing the
         * rest of the slot. */
        if (sl->state != SLOT_RUNNING || !sl->dispatched || total <= 0 ||
            atomic_load(&sl->progress.batches_done) >= total)
            continue;
        const char *worker = lease_worker_of(r->jobs->d->leases, r->id, sl->seq);
        json_t *o = json_pack("{s:I, s:s, s:i, s:I, s:I}", "seq", (json_int_t)sl->seq, "hash",
                              sl->hash, "epoch", atomic_load(&sl->progress.epoch),
                              "batches_done",
                              (json_int_t)atomic_load(&sl->progress.batches_done),
                              "batches_total", (json_int_t)total);
        /* a remote worker's training: which one (its heartbeats bring the batches) */
        if (worker)
            json_object_set_new(o, "worker", json_string(worker));
        json_array_append_new(a, o);
    }
    return a;
}

int jobs_live(struct jobs *j, long long id, struct jobs_progress *p, json_t **best,
              json_t **summary, json_t **evaluating)
{
    struct run *r = find_active(j, id);
    if (!r)
        return ANAS_ENOTFOUND;
    if (evaluating)
        *evaluating = evaluating_json(r);
    p->done = atomic_load(&r->done);
    p->total = r->total;
    if (p->total >= 0 && p->done > p->total)
        p->total = p->done;
    p->elapsed = anasd_mono() - r->t0;
    /* remote workers' threads evaluate too */
    p->eta = p->total >= 0 ? results_eta(r, p->total - p->done,
                                         j->d->conf.workers + lease_remote_threads(j->d->leases))
                           : NAN;
    if (best)
        *best = results_best_json(&r->spec, &r->res.best);
    if (summary)
        *summary = results_summary_json(r);
    return 0;
}

long long jobs_live_best_seq(struct jobs *j, long long id)
{
    struct run *r = find_active(j, id);
    return r && r->res.best.have ? r->res.best.seq : 0;
}

int jobs_front(struct jobs *j, long long id, long long *size, double *hv)
{
    struct run *r = find_active(j, id);
    if (!r || r->spec.search.n_objectives < 2)
        return ANAS_ENOTFOUND;
    return results_front(r, size, hv);
}

void jobs_shutdown(struct jobs *j)
{
    struct run *r, *next;
    commits_flush(j->commits); /* what is settled counts in the progress stored */
    j->shutting_down = 1;
    for (r = j->active; r; r = next) {
        next = r->next;
        r->interrupted = 1;
        atomic_store(&r->cancel, 1);
        store_run_set_progress(j->d->store, r->id, atomic_load(&r->done), r->total);
        set_state(j, r->id, "interrupted", jobs_now());
        unlink_run(r);
        r->finished = 1; /* nothing more is written for it */
        if (r->inflight == 0)
            run_free(r);
    }
}

int jobs_idle(const struct jobs *j)
{
    return j->inflight == 0;
}

int jobs_n_active(const struct jobs *j)
{
    return j->n_active;
}
