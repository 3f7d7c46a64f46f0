/*
 * api_runs.c - runs: submit, list, inspect, cancel, delete, and their
 * results (evaluations, best, exports).
 */
#include "config.h"

#include "api.h"
#include "rpubase.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "core/alloc.h"
#include "core/fmt.h"
#include "core/rng.h"
#include "evaltext.h"
#include "events.h"
#include "faults.h"
#include "jobs.h"
#include "reply.h"
#include "runtext.h"
#include "store.h"
#include "surrogates.h"

json_t *api_progress_json(const struct jobs_progress *p, int live, json_t *evaluating)
{
    json_t *progress = json_pack("{s:I, s:I}", "done", (json_int_t)p->done, "total",
                                 (json_int_t)p->total);
    if (live && isfinite(p->eta))
        json_object_set_new(progress, "eta_s", json_real(p->eta));
    else
        json_object_set_new(progress, "eta_s", json_null());
    if (p->total < 0)
        json_object_set_new(progress, "total", json_null());
    if (evaluating)
        json_object_set_new(progress, "evaluating", evaluating);
    return progress;
}

/* The run object of doc/api.md; live values for active runs. Its head and
 * tail are runtext.c's, which GET /api/v1/runs/{id} joins as text. */
static json_t *run_json(struct anasd *d, const struct store_run *r)
{
    struct jobs_progress p = {r->done, r->total, 0, NAN};
    json_t *best = NULL, *summary = NULL, *evaluating = NULL, *progress, *o;
    int live = jobs_live(d->jobs, r->id, &p, &best, NULL, &evaluating) == 0;
    /* Stopped by a store fault and its row not yet written: say so now. */
    const char *fault = faults_run_error(d->faults, r->id);
    if (fault)
        faults_run_progress(d->faults, r->id, &p.done, &p.total);
    if (!live) {
        best = api_text_json(r->best_json);
        summary = api_text_json(r->summary_json);
    } else if (strcmp(r->state, "running") != 0) {
        live = 0;
        jobs_live(d->jobs, r->id, &p, NULL, &summary, NULL);
    }
    progress = api_progress_json(&p, live, evaluating);
    o = runtext_head_json(r, fault ? "interrupted" : r->state);
    json_object_set_new(o, "progress", progress);
    json_object_set_new(o, "best", best);
    json_object_set_new(o, "summary", live ? json_null() : summary);
    json_object_update_new(o, runtext_tail_json(r, fault));
    return o;
}

static int get_run(struct anasd *d, const struct req *rq, struct resp *rs, long long id,
                   struct store_run *out)
{
    int rc = store_run_get(d->store, id, out);
    if (rc == ANAS_ENOTFOUND)
        reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no run %lld", id);
    else if (rc < 0)
        reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot read run %lld", id);
    return rc;
}

static int reply_run(struct anasd *d, const struct req *rq, struct resp *rs, long long id,
                     int status)
{
    struct store_run r;
    json_t *o;
    if (get_run(d, rq, rs, id, &r) < 0)
        return 0;
    o = run_json(d, &r);
    store_run_fini(&r);
    return reply_json(rs, status, o);
}

static uint64_t fresh_seed(void)
{
    struct timespec ts;
    struct anas_rng rng;
    clock_gettime(CLOCK_REALTIME, &ts);
    anas_rng_seed(&rng, (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec);
    return anas_rng_u64(&rng) >> 11; /* < 2^53: exact in JSON */
}

/* While the database cannot be written a run could not even be queued:
 * 507 when the disk is full, 503 otherwise; both say when to retry. */
static int refuse_fault(struct anasd *d, const struct req *rq, struct resp *rs)
{
    int code = faults_code(d->faults);
    snprintf(rs->retry_after, sizeof rs->retry_after, "%d", 5);
    return reply_problem(rs, rq, reply_status_for(code), code, NULL,
                         "the database cannot be written now (%s); runs are accepted "
                         "again, and interrupted ones resume, once it can",
                         anas_strerror(code));
}

int api_runs_create(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    json_t *body = api_body(rq, rs, 0), *norm;
    struct run_spec *spec;
    struct anas_error err;
    long long queued = 0, waiting = 0, id;
    char *text;
    int rc, replied = 0;
    if (!body)
        return 0;
    spec = malloc(sizeof *spec);
    if (!spec) {
        json_decref(body);
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    }
    anas_error_clear(&err);
    rc = codec_run_spec(&d->conf, body, spec, &err);
    json_decref(body);
    if (rc < 0) {
        free(spec);
        return reply_error(rs, rq, &err);
    }
    if (spec->eval_kind == ANAS_EVAL_RPU) {
        /* the model must exist now, not only when the run starts */
        struct rpu_base *base = NULL;
        rc = rpu_base_fetch(d->store, &d->conf, spec->model_run, &base, &err);
        rpu_base_free(base);
        if (rc < 0) {
            free(spec);
            return reply_error(rs, rq, &err);
        }
    }
    for (int i = 0; i < spec->n_models; i++) /* stored surrogates: exist, ready, same space */
        if (surrogates_for_run(d->store, spec, i, NULL, NULL, &err) < 0) {
            free(spec);
            return reply_error(rs, rq, &err);
        }
    if (faults_code(d->faults)) { /* a valid spec, and nowhere to put it */
        free(spec);
        return refuse_fault(d, rq, rs);
    }
    store_run_count_in_state(d->store, "queued", &queued);
    store_run_count_in_state(d->store, "interrupted", &waiting);
    if (queued + waiting >= d->conf.max_queued) {
        free(spec);
        /* RFC 9110 §10.2.3: when to try again. A run takes minutes or more,
         * so a client polling faster than this only adds load. */
        snprintf(rs->retry_after, sizeof rs->retry_after, "%d", 30);
        return reply_problem(rs, rq, 429, ANAS_ELIMIT, NULL,
                             "%lld runs are waiting (limit %d); try again later",
                             queued + waiting, d->conf.max_queued);
    }
    if (!spec->has_seed) {
        spec->seed = fresh_seed();
        spec->has_seed = 1;
    }
    norm = codec_run_spec_to_json(spec);
    text = norm ? codec_dump(norm) : NULL;
    rc = text ? store_begin(d->store) : ANAS_ENOMEM;
    if (rc == 0)
        rc = store_run_insert(d->store, spec->kind, spec->name, text, jobs_estimate_total(spec),
                              anasd_now(), &id);
    free(text);
    json_decref(norm);
    free(spec);
    /* The run counts only once its answer exists: a client told 5xx must
     * not find it queued anyway (and submit it twice). */
    if (rc == 0) {
        reply_run(d, rq, rs, id, 201);
        replied = rs->status != 201; /* a problem saying what failed */
        rc = replied ? ANAS_ENOMEM : store_commit(d->store);
    }
    if (rc < 0) {
        store_rollback(d->store);
        faults_note(d->faults, rc);
        if (faults_is_store(rc))
            return refuse_fault(d, rq, rs);
        return replied ? 0
                       : reply_problem(rs, rq, reply_status_for(rc) == 503 ? 503 : 500, rc,
                                       NULL, "cannot store run");
    }
    events_run_state(d->events, d->store, id);
    jobs_pump(d->jobs);
    snprintf(rs->location, sizeof rs->location, "/api/v1/runs/%lld", id);
    return 0;
}

static const char *const run_states[] = {"queued",   "running",  "succeeded", "failed",
                                         "canceled", "interrupted", NULL};

int api_runs_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                  struct resp *rs)
{
    const char *state = req_query(rq, "state");
    struct store_run *runs = NULL;
    long long limit, after;
    int n = 0, i;
    json_t *items;
    if (state) {
        const char *const *s;
        for (s = run_states; *s && strcmp(*s, state); s++)
            ;
        if (!*s)
            return reply_problem(rs, rq, 422, ANAS_EINVAL, "?state",
                                 "state must be queued, running, succeeded, failed, "
                                 "canceled or interrupted");
    }
    if (api_query_int(rq, rs, "limit", 1, 1000, 50, &limit) < 0 ||
        api_query_int(rq, rs, "after", 0, (1LL << 53), 0, &after) < 0)
        return 0;
    if (store_run_list(d->store, state, after, (int)limit + 1, &runs, &n) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot list runs");
    items = json_array();
    for (i = 0; i < n && i < limit; i++)
        json_array_append_new(items, run_json(d, &runs[i]));
    {
        json_t *o = json_pack("{s:o}", "items", items);
        json_object_set_new(o, "next_after", n > limit ? json_integer(runs[limit - 1].id)
                                                       : json_null());
        store_runs_free(runs, n);
        return reply_json(rs, 200, o);
    }
}

/* The common poll: from runtext.c's copy, the long way when it says so. */
int api_runs_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                 struct resp *rs)
{
    char *text = NULL;
    size_t len = 0;
    int rc = runtext_get(d, a->id, &text, &len);
    if (rc == 0)
        return reply_text(rs, 200, "application/json", text, len);
    if (rc == ANAS_ENOTFOUND)
        return reply_problem(rs, rq, 404, rc, NULL, "no run %lld", a->id);
    if (rc == ANAS_ENOMEM)
        return reply_problem(rs, rq, 503, rc, NULL, "out of memory");
    return reply_run(d, rq, rs, a->id, 200);
}

int api_runs_cancel(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    int rc = jobs_cancel(d->jobs, a->id);
    if (rc == ANAS_ENOTFOUND)
        return reply_problem(rs, rq, 404, rc, NULL, "no run %lld", a->id);
    if (rc == ANAS_ESTATE)
        return reply_problem(rs, rq, 409, rc, NULL, "run %lld has already finished", a->id);
    if (rc < 0)
        return reply_problem(rs, rq, 500, rc, NULL, "cannot cancel run %lld", a->id);
    return reply_run(d, rq, rs, a->id, 200);
}

/* A train run's model is read when an rpu run over it starts (and again
 * after a restart): deleting it would fail those runs. 409 naming them, 1
 * when answered. */
static int model_in_use(struct anasd *d, const struct req *rq, struct resp *rs, long long id)
{
    long long *users = NULL;
    char list[160];
    size_t len = 0;
    int n = 0, i;
    if (store_run_model_users(d->store, id, &users, &n) < 0) {
        reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot read the runs using run %lld", id);
        return 1;
    }
    list[0] = '\0';
    for (i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%lld", i ? ", " : "",
                                users[i]);
    free(users);
    if (n == 0)
        return 0;
    reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                  "the model of run %lld is used by run%s %s (queued, running or "
                  "interrupted); cancel %s first",
                  id, n > 1 ? "s" : "", list, n > 1 ? "them" : "it");
    return 1;
}

int api_runs_delete(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    struct store_run r;
    int busy;
    if (get_run(d, rq, rs, a->id, &r) < 0)
        return 0;
    busy = strcmp(r.state, "queued") == 0 || strcmp(r.state, "running") == 0 ||
           strcmp(r.state, "interrupted") == 0;
    store_run_fini(&r);
    if (busy)
        return reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                             "run %lld is not finished; cancel it first", a->id);
    if (model_in_use(d, rq, rs, a->id))
        return 0;
    if (store_run_delete(d->store, a->id) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot delete run %lld", a->id);
    return reply_empty(rs, 204);
}

/* A trained evaluation carries its learning curve, the others none. */
json_t *api_eval_json(const struct store_eval *e)
{
    json_t *o = json_pack("{s:I, s:I, s:i, s:s, s:o, s:s, s:b, s:b, s:o, s:o}", "seq",
                          (json_int_t)e->seq, "cursor", (json_int_t)e->cursor, "rep", e->rep,
                          "hash", e->hash, "config", api_text_json(e->config_json), "state",
                          e->state, "feasible", e->feasible, "cached", e->cached, "metrics",
                          api_text_json(e->metrics_json), "error",
                          api_text_json(e->error_json));
    if (o && e->curve_json)
        json_object_set_new(o, "curve", api_text_json(e->curve_json));
    return o;
}

/* Is `metric` one the run's evaluator produces (analytic or a model's)?
 * 1 or 0; ANAS_ENOMEM when that cannot be told (no reason to refuse it). */
static int run_has_metric(struct anasd *d, const struct store_run *r, const char *metric)
{
    json_t *spec = api_text_json(r->spec_json);
    struct run_spec *s = malloc(sizeof *s);
    struct anas_error err;
    int rc = spec && s ? codec_run_spec(&d->conf, spec, s, &err) : ANAS_ENOMEM;
    int has = rc == 0 ? codec_metric_known(s, metric) : rc == ANAS_ENOMEM ? rc : 0;
    free(s);
    json_decref(spec);
    return has;
}

/* ?state= and ?feasible=, into f; 0, or -1 when answered with a 422. */
static int eval_filters(const struct req *rq, struct resp *rs, struct store_eval_filter *f)
{
    static const char *const states[] = {"complete", "failed", "invalid", "pruned", NULL};
    const char *state = req_query(rq, "state"), *feasible = req_query(rq, "feasible");
    const char *const *s;
    f->state = NULL;
    f->feasible = -1;
    if (state) {
        for (s = states; *s && strcmp(*s, state); s++)
            ;
        if (!*s) {
            reply_problem(rs, rq, 422, ANAS_EINVAL, "?state",
                          "state must be complete, failed, invalid or pruned");
            return -1;
        }
        f->state = *s;
    }
    if (feasible) {
        if (strcmp(feasible, "true") && strcmp(feasible, "false")) {
            reply_problem(rs, rq, 422, ANAS_EINVAL, "?feasible", "feasible must be true or false");
            return -1;
        }
        f->feasible = strcmp(feasible, "true") == 0;
    }
    return 0;
}

/* since= lists in commit order: it does not combine with after= (seq) or a
 * sort. 0, or -1 when answered with a 422. */
static int since_alone(const struct req *rq, struct resp *rs, long long since)
{
    const char *sort = req_query(rq, "sort");
    if (since < 0)
        return 0;
    if (req_query(rq, "after") || req_query(rq, "offset")) {
        reply_problem(rs, rq, 422, ANAS_EINVAL, "?since",
                      "since (a commit cursor) goes with neither after (a seq) nor offset");
        return -1;
    }
    if (sort && strcmp(sort, "seq") != 0) {
        reply_problem(rs, rq, 422, ANAS_EINVAL, "?sort",
                      "since lists in commit order: it takes no sort");
        return -1;
    }
    return 0;
}

/* The page: {"items": the first `limit` of e, "next_after": the last
 * one's seq when more follow and the listing is by seq (else null), and
 * with since >= 0 "next_since": the commit cursor to ask from next}, made
 * as text (evaltext.c). */
static int page_text(const struct req *rq, struct resp *rs, const struct store_eval *e, int n,
                     long long limit, int by_seq, long long since)
{
    int shown = n > limit ? (int)limit : n;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = evaltext_open(&buf, &len);
    int rc;
    if (!f)
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    fputs("{\"items\":", f);
    rc = evaltext_items(f, e, shown);
    if (by_seq && n > limit)
        fprintf(f, ",\"next_after\":%lld", e[limit - 1].seq);
    else
        fputs(",\"next_after\":null", f);
    /* Polling never ends: with nothing new, the same cursor asks again. */
    if (since >= 0)
        fprintf(f, ",\"next_since\":%lld", shown > 0 ? e[shown - 1].cursor : since);
    fputc('}', f);
    if (fclose(f) != 0 || rc < 0) {
        free(buf);
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    }
    return reply_text(rs, 200, "application/json", buf, len);
}

int api_runs_evaluations(struct anasd *d, const struct req *rq, const struct route_args *a,
                         struct resp *rs)
{
    const char *sort = req_query(rq, "sort");
    struct store_eval *e = NULL;
    struct store_eval_filter f;
    struct store_run r;
    long long after, limit, rep, offset, since;
    int n = 0, desc = 0, has, rc;
    if (get_run(d, rq, rs, a->id, &r) < 0)
        return 0;
    if (api_query_int(rq, rs, "after", 0, (1LL << 53), 0, &after) < 0 ||
        api_query_int(rq, rs, "since", 0, (1LL << 53), -1, &since) < 0 ||
        since_alone(rq, rs, since) < 0 ||
        api_query_int(rq, rs, "limit", 1, 10000, 100, &limit) < 0 ||
        api_query_int(rq, rs, "rep", 0, RUN_MAX_RUNS - 1, -1, &rep) < 0 ||
        api_query_int(rq, rs, "offset", 0, 100000000, 0, &offset) < 0 ||
        eval_filters(rq, rs, &f) < 0) {
        store_run_fini(&r);
        return 0;
    }
    if (sort && sort[0] == '-') {
        desc = 1;
        sort++;
    }
    if (sort && strcmp(sort, "seq") == 0)
        sort = NULL;
    if (sort && (has = run_has_metric(d, &r, sort)) <= 0) {
        store_run_fini(&r);
        if (has < 0)
            return reply_problem(rs, rq, 503, has, NULL, "out of memory");
        return reply_problem(rs, rq, 422, ANAS_EINVAL, "?sort",
                             "sort must be seq or a metric this run's evaluator produces, "
                             "optionally prefixed by -");
    }
    store_run_fini(&r);
    f.after = after;
    f.limit = (int)limit + 1;
    f.rep = (int)rep;
    f.sort_metric = sort;
    f.desc = desc;
    f.offset = offset;
    if ((since >= 0 ? store_eval_since(d->store, a->id, since, &f, &e, &n)
                    : store_eval_query(d->store, a->id, &f, &e, &n)) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot list evaluations");
    rc = page_text(rq, rs, e, n, limit, !sort && since < 0, since);
    store_evals_free(e, n);
    return rc;
}

int api_runs_best(struct anasd *d, const struct req *rq, const struct route_args *a,
                  struct resp *rs)
{
    struct store_run r;
    json_t *run, *o;
    if (get_run(d, rq, rs, a->id, &r) < 0)
        return 0;
    run = run_json(d, &r);
    store_run_fini(&r);
    o = json_pack("{s:O, s:O}", "best", json_object_get(run, "best"), "summary",
                  json_object_get(run, "summary"));
    json_decref(run);
    return reply_json(rs, 200, o);
}

/* --- exports --- */

/* The run's evaluations, or only repetition `rep`'s when rep >= 0. */
static int all_evals(struct anasd *d, long long id, long long rep, struct store_eval **e,
                     int *n)
{
    int rc = store_eval_all(d->store, id, e, n), kept = 0;
    if (rc < 0 || rep < 0)
        return rc;
    for (int i = 0; i < *n; i++) {
        if ((*e)[i].rep == rep)
            (*e)[kept++] = (*e)[i];
        else
            store_eval_fini(&(*e)[i]);
    }
    *n = kept;
    return 0;
}

/* ?rep=i: a repetition of the run, 0..runs-1; -1 when absent. On a bad
 * value the 422 is in rs and -1 is returned. */
static int export_rep(const struct req *rq, struct resp *rs, const struct store_run *r,
                      long long def, long long *rep)
{
    json_t *spec = api_text_json(r->spec_json);
    long long runs = json_integer_value(json_object_get(spec, "runs"));
    json_decref(spec);
    return api_query_int(rq, rs, "rep", 0, runs > 0 ? runs - 1 : 0, def, rep);
}

static void csv_value(FILE *f, json_t *v)
{
    char num[40];
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v) && anas_fmt_double(num, sizeof num, json_real_value(v)) > 0)
        fputs(num, f);
}

static int export_csv(struct anasd *d, const struct req *rq, struct resp *rs,
                      const struct store_run *r, long long rep)
{
    json_t *spec = api_text_json(r->spec_json);
    const struct anas_space *s = api_spec_space(d, r->spec_json); /* recipe columns too */
    struct store_eval *e = NULL;
    json_t *metric_names = json_object();
    char *buf = NULL;
    size_t len = 0;
    int n = 0, i, k;
    FILE *f;
    const char *key;
    json_t *v;
    if (!s || all_evals(d, r->id, rep, &e, &n) < 0 || !(f = evaltext_open(&buf, &len))) {
        json_decref(spec);
        json_decref(metric_names);
        store_evals_free(e, n);
        return reply_problem(rs, rq, 500, ANAS_EINTERNAL, NULL, "cannot export run");
    }
    for (i = 0; i < n; i++) { /* the union of metric names, in first-seen order */
        json_t *m = api_text_json(e[i].metrics_json);
        json_object_foreach(m, key, v) json_object_set_new(metric_names, key, json_true());
        json_decref(m);
    }
    fputs("seq,rep,hash,state,feasible", f);
    for (k = 0; k < anas_space_n_hp(s); k++)
        fprintf(f, ",%s", anas_space_hp(s, k)->name);
    json_object_foreach(metric_names, key, v) fprintf(f, ",%s", key);
    fputc('\n', f);
    for (i = 0; i < n; i++) {
        json_t *cfg = api_text_json(e[i].config_json), *m = api_text_json(e[i].metrics_json);
        fprintf(f, "%lld,%d,%s,%s,%d", e[i].seq, e[i].rep, e[i].hash, e[i].state, e[i].feasible);
        for (k = 0; k < anas_space_n_hp(s); k++) {
            fputc(',', f);
            csv_value(f, json_object_get(cfg, anas_space_hp(s, k)->name));
        }
        json_object_foreach(metric_names, key, v)
        {
            fputc(',', f);
            csv_value(f, json_object_get(m, key));
        }
        fputc('\n', f);
        json_decref(cfg);
        json_decref(m);
    }
    fclose(f);
    json_decref(spec);
    json_decref(metric_names);
    store_evals_free(e, n);
    if (rep >= 0)
        snprintf(rs->disposition, sizeof rs->disposition,
                 "attachment; filename=\"run-%lld-rep%lld.csv\"", r->id, rep);
    else
        snprintf(rs->disposition, sizeof rs->disposition,
                 "attachment; filename=\"run-%lld.csv\"", r->id);
    return reply_text(rs, 200, "text/csv", buf, len);
}

/* AnalogNAS's results/best_results_{i}.csv: "key,value" per hyperparameter,
 * values as Python's str() prints them. */
static int export_analognas(struct anasd *d, const struct req *rq, struct resp *rs,
                            const struct store_run *r)
{
    json_t *summary = api_text_json(r->summary_json), *best, *cfg, *v;
    long long rep;
    char *buf = NULL;
    size_t len = 0;
    const char *key;
    FILE *f;
    if (export_rep(rq, rs, r, 0, &rep) < 0) {
        json_decref(summary);
        return 0;
    }
    best = json_object_get(json_array_get(json_object_get(summary, "per_run"), (size_t)rep),
                           "best");
    cfg = json_object_get(best, "config");
    if (!json_is_object(cfg)) {
        json_decref(summary);
        return reply_problem(rs, rq, 404, ANAS_ENOTFOUND, "?rep",
                             "run %lld has no finished result for repetition %lld", r->id, rep);
    }
    f = evaltext_open(&buf, &len);
    if (!f) {
        json_decref(summary);
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    }
    json_object_foreach(cfg, key, v)
    {
        fprintf(f, "%s,", key);
        csv_value(f, v);
        fputc('\n', f);
    }
    fclose(f);
    json_decref(summary);
    snprintf(rs->disposition, sizeof rs->disposition,
             "attachment; filename=\"best_results_%lld.csv\"", rep);
    return reply_text(rs, 200, "text/csv", buf, len);
}

/* {"run": ..., "evaluations": [...]}, the evaluations as text (evaltext.c). */
static int export_json(struct anasd *d, const struct req *rq, struct resp *rs,
                       const struct store_run *r, long long rep)
{
    struct store_eval *e = NULL;
    json_t *rj;
    char *run = NULL, *buf = NULL;
    size_t len = 0;
    FILE *f;
    int n = 0, rc;
    if (all_evals(d, r->id, rep, &e, &n) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot export run");
    rj = run_json(d, r);
    run = rj ? codec_dump(rj) : NULL;
    json_decref(rj);
    f = run ? evaltext_open(&buf, &len) : NULL;
    if (!f) {
        free(run);
        store_evals_free(e, n);
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    }
    fprintf(f, "{\"run\":%s,\"evaluations\":", run);
    rc = evaltext_items(f, e, n);
    fputc('}', f);
    free(run);
    store_evals_free(e, n);
    if (fclose(f) != 0 || rc < 0) {
        free(buf);
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    }
    return reply_text(rs, 200, "application/json", buf, len);
}

int api_runs_export(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    const char *format = req_query(rq, "format");
    struct store_run r;
    long long rep = -1;
    int rc;
    if (get_run(d, rq, rs, a->id, &r) < 0)
        return 0;
    /* json and csv: every repetition unless ?rep names one */
    if ((!format || strcmp(format, "json") == 0 || strcmp(format, "csv") == 0) &&
        export_rep(rq, rs, &r, -1, &rep) < 0)
        rc = 0;
    else if (!format || strcmp(format, "json") == 0)
        rc = export_json(d, rq, rs, &r, rep);
    else if (strcmp(format, "csv") == 0)
        rc = export_csv(d, rq, rs, &r, rep);
    else if (strcmp(format, "analognas") == 0)
        rc = export_analognas(d, rq, rs, &r);
    else
        rc = reply_problem(rs, rq, 422, ANAS_EINVAL, "?format",
                           "format must be json, csv or analognas");
    store_run_fini(&r);
    return rc;
}

int api_runs_model(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs)
{
    struct store_run r;
    char format[32];
    void *blob = NULL;
    size_t len = 0;
    int rc;
    if (get_run(d, rq, rs, a->id, &r) < 0)
        return 0;
    store_run_fini(&r);
    rc = store_model_get(d->store, a->id, format, sizeof format, &blob, &len);
    if (rc == ANAS_ENOTFOUND)
        return reply_problem(rs, rq, 404, rc, NULL,
                             "run %lld has no trained model (only finished runs of kind "
                             "train have one)",
                             a->id);
    if (rc < 0)
        return reply_problem(rs, rq, 500, rc, NULL, "cannot read the model of run %lld", a->id);
    snprintf(rs->disposition, sizeof rs->disposition,
             "attachment; filename=\"run-%lld.safetensors\"", a->id);
    return reply_text(rs, 200, "application/octet-stream", blob, len);
}
