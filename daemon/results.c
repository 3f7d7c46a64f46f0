/*
 * results.c - judging a run's results: the best so far (first objective,
 * feasible only), per-repetition bests, how many evaluations completed,
 * failed or were rejected, the non-dominated set and its hypervolume, and
 * the summary the API shows.
 *
 * Every result is recorded once, when it is committed (or read back at
 * start-up), on the loop thread.
 */
#include "config.h"

#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void best_consider(struct best *b, const struct run_spec *s, long long seq, int rep,
                          const char *hash, const struct anas_search_result *res)
{
    double score;
    if (!res->ok || !res->feasible)
        return;
    score = anas_search_score(&s->search, &res->metrics);
    /* Results are recorded as they finish, or in sequence order when read
     * back: of equal scores the earliest proposed wins, whatever the
     * order, so a resumed run names the same best. */
    if (!isfinite(score) || (b->have && (score < b->score || (score == b->score &&
                                                              seq > b->seq))))
        return;
    b->have = 1;
    b->score = score;
    b->seq = seq;
    b->rep = rep;
    snprintf(b->hash, sizeof b->hash, "%s", hash);
    b->cfg = res->config;
    b->m = res->metrics;
}

static void add_point(struct results *x, const struct run_spec *s, long long seq, int rep,
                      const struct anas_search_result *res)
{
    struct front_pt p;
    if (!res->ok || !res->feasible ||
        anas_search_objectives(&s->search, &res->metrics, p.f) < 0)
        return;
    if (x->n_pts == x->cap_pts) {
        long long cap = x->cap_pts ? 2 * x->cap_pts : 256;
        struct front_pt *v = realloc(x->pts, (size_t)cap * sizeof *v);
        if (!v)
            return; /* the front is a view: it misses a point, the store does not */
        x->pts = v;
        x->cap_pts = cap;
    }
    p.seq = seq;
    p.rep = rep;
    x->pts[x->n_pts++] = p;
}

void results_record(struct run *r, long long seq, int rep, const char *state, int cached,
                    const char *hash, const struct anas_search_result *res,
                    const char *code, const char *detail)
{
    struct results *x = &r->res;
    if (rep < 0 || rep >= RUN_MAX_RUNS)
        return;
    best_consider(&x->best, &r->spec, seq, rep, hash, res);
    best_consider(&x->rep_best[rep], &r->spec, seq, rep, hash, res);
    add_point(x, &r->spec, seq, rep, res);
    x->rep_evals[rep]++;
    x->cached += cached != 0;
    if (strcmp(state, "invalid") == 0) {
        x->invalid++;
    } else if (strcmp(state, "pruned") == 0) {
        double e;
        x->pruned++;
        if (anas_metrics_get(&res->metrics, "epochs", &e) == 0)
            x->epochs_saved += fmax(0.0, run_planned_epochs(r, &res->config) - e);
    } else if (strcmp(state, "failed") == 0) {
        if (!x->failed++) {
            snprintf(x->first_error_code, sizeof x->first_error_code, "%s",
                     code ? code : "ANAS_EINTERNAL");
            snprintf(x->first_error_detail, sizeof x->first_error_detail, "%s",
                     detail ? detail : "");
        }
    } else {
        x->complete++;
    }
}

void results_fini(struct results *x)
{
    free(x->pts);
    free(x->rep_info);
    memset(x, 0, sizeof *x);
}

static double user_score(const struct run_spec *s, double score)
{
    return s->search.objectives[0].maximize ? score : -score;
}

json_t *results_best_json(const struct run_spec *s, const struct best *b)
{
    if (!b->have)
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:i, s:I, s:f}", "hash", b->hash, "config",
                     codec_config_to_json(&b->cfg), "metrics", codec_metrics_to_json(&b->m),
                     "rep", b->rep, "seq", (json_int_t)b->seq, "score",
                     user_score(s, b->score));
}

/* --- the front --- */

/* The reference point, minimised: the spec's, else the worst value seen
 * of each objective among feasible results. 0 when there is none. */
static int reference(const struct run *r, double *ref)
{
    const struct anas_search_spec *ss = &r->spec.search;
    int d = ss->n_objectives;
    if (ss->has_reference_point) {
        for (int k = 0; k < d; k++)
            ref[k] = ss->objectives[k].maximize ? -ss->reference_point[k]
                                                : ss->reference_point[k];
        return 1;
    }
    if (r->res.n_pts == 0)
        return 0;
    for (int k = 0; k < d; k++) {
        ref[k] = -INFINITY;
        for (long long i = 0; i < r->res.n_pts; i++)
            ref[k] = fmax(ref[k], r->res.pts[i].f[k]);
    }
    return 1;
}

/* Size and hypervolume of the non-dominated set of the points of
 * repetition `rep` (-1: all). */
/* a dominates b (minimised). */
static int dominates(const double *a, const double *b, int d)
{
    int better = 0;
    for (int k = 0; k < d; k++) {
        if (a[k] > b[k])
            return 0;
        better |= a[k] < b[k];
    }
    return better;
}

/* The first front only, kept as the points arrive: each point is compared
 * with the front so far, not with every point (O(n m) for a front of m,
 * where a full non-dominated sort peels every front). Equal points stay,
 * as in the sort's first front. */
static int first_front(const struct results *x, int rep, int d, double *f, long long *m_out)
{
    long long m = 0;
    for (long long i = 0; i < x->n_pts; i++) {
        const double *p = x->pts[i].f;
        long long k, w = 0;
        int beaten = 0;
        if (rep >= 0 && x->pts[i].rep != rep)
            continue;
        for (k = 0; k < m && !beaten; k++)
            beaten = dominates(f + k * d, p, d);
        if (beaten)
            continue;
        for (k = 0; k < m; k++) /* drop what the newcomer dominates */
            if (!dominates(p, f + k * d, d))
                memmove(f + w++ * d, f + k * d, (size_t)d * sizeof *f);
        memcpy(f + w * d, p, (size_t)d * sizeof *f);
        m = w + 1;
    }
    *m_out = m;
    return 0;
}

static int front_of(const struct run *r, int rep, const double *ref, long long *size,
                    double *hv)
{
    const struct results *x = &r->res;
    int d = r->spec.search.n_objectives, rc;
    double *f = malloc(((size_t)x->n_pts + 1) * (size_t)d * sizeof *f);
    *size = 0;
    *hv = 0;
    rc = f ? first_front(x, rep, d, f, size) : ANAS_ENOMEM;
    if (rc == 0 && *size > 0)
        rc = anas_pareto_hypervolume(f, (int)*size, d, ref, hv);
    free(f);
    return rc < 0 ? rc : 0;
}

/* front_of, remembered (struct results.front). */
static int front_memo(struct run *r, int rep, const double *ref, long long *size, double *hv)
{
    struct front_memo *m = &r->res.front[rep + 1];
    int rc;
    if (m->valid && m->n == r->res.n_pts) {
        *size = m->size;
        *hv = m->hv;
        return 0;
    }
    rc = front_of(r, rep, ref, size, hv);
    m->valid = rc == 0;
    m->n = r->res.n_pts;
    m->size = *size;
    m->hv = *hv;
    return rc;
}

int results_front(struct run *r, long long *size, double *hv)
{
    double ref[ANAS_SEARCH_MAX_OBJECTIVES];
    *size = 0;
    *hv = 0;
    if (!reference(r, ref))
        return 0;
    return front_memo(r, -1, ref, size, hv);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* pareto_size, hypervolume and the reference point, for several objectives. */
static void front_summary(struct run *r, json_t *o, json_t *per)
{
    const struct anas_search_spec *ss = &r->spec.search;
    double ref[ANAS_SEARCH_MAX_OBJECTIVES], hvs[RUN_MAX_RUNS], hv, mean, sem;
    long long size;
    json_t *refj = json_array();
    int have = reference(r, ref), n = 0;
    for (int k = 0; k < ss->n_objectives; k++)
        json_array_append_new(refj, have ? json_real(ss->objectives[k].maximize ? -ref[k]
                                                                                : ref[k])
                                         : json_null());
    json_object_set_new(o, "reference_point", refj);
    json_object_set_new(o, "reference_point_from",
                        json_string(ss->has_reference_point ? "spec" : "worst observed"));
    if (!have || front_memo(r, -1, ref, &size, &hv) < 0) {
        size = 0;
        hv = have ? NAN : 0;
    }
    json_object_set_new(o, "pareto_size", json_integer(size));
    json_object_set_new(o, "hypervolume", num_or_null(hv));
    for (int i = 0; i < r->spec.runs; i++) {
        json_t *e = json_array_get(per, (size_t)i);
        if (!have || front_memo(r, i, ref, &size, &hv) < 0) {
            size = 0;
            hv = have ? NAN : 0;
        }
        json_object_set_new(e, "pareto_size", json_integer(size));
        json_object_set_new(e, "hypervolume", num_or_null(hv));
        if (isfinite(hv))
            hvs[n++] = hv;
    }
    if (r->spec.runs > 1) {
        anas_search_mean_sem(hvs, n, &mean, &sem);
        json_object_set_new(o, "hypervolume_mean", num_or_null(mean));
        json_object_set_new(o, "hypervolume_std_err", num_or_null(sem));
    }
}

static const char *stop_name(enum stop s)
{
    switch (s) {
    case STOP_DONE:
        return "completed";
    case STOP_EVALUATIONS:
        return "budget.evaluations";
    case STOP_SECONDS:
        return "budget.seconds";
    case STOP_NONE:
        break;
    }
    return NULL;
}

static json_t *objectives_json(const struct anas_search_spec *ss)
{
    json_t *a = json_array();
    for (int i = 0; i < ss->n_objectives; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "metric", ss->objectives[i].metric,
                                           "goal", ss->objectives[i].maximize ? "max" : "min"));
    return a;
}

json_t *results_summary_json(struct run *r)
{
    const struct run_spec *s = &r->spec;
    const struct results *x = &r->res;
    double scores[RUN_MAX_RUNS], mean = NAN, sem = NAN;
    long long total = 0;
    int i, n = 0;
    const char *stopped = NULL;
    json_t *per = json_array(), *o;
    for (i = 0; i < s->runs; i++) {
        const struct best *b = &x->rep_best[i];
        json_t *e;
        total += x->rep_evals[i];
        if (b->have)
            scores[n++] = user_score(s, b->score);
        e = json_pack("{s:i, s:o, s:I}", "rep", i, "best", results_best_json(s, b),
                      "evaluations", (json_int_t)x->rep_evals[i]);
        if (x->rep_info && x->rep_info[i].n > 0)
            json_object_set_new(e, "optimizer", codec_metrics_to_json(&x->rep_info[i]));
        json_object_set_new(e, "stopped_by", stop_name(x->rep_stop[i])
                                                 ? json_string(stop_name(x->rep_stop[i]))
                                                 : json_null());
        if (stop_name(x->rep_stop[i]) && (!stopped || x->rep_stop[i] != STOP_DONE))
            stopped = stop_name(x->rep_stop[i]);
        json_array_append_new(per, e);
    }
    anas_search_mean_sem(scores, n, &mean, &sem);
    o = json_pack("{s:s, s:s, s:o, s:i, s:I, s:I, s:I, s:I, s:I}", "objective",
                  s->search.objectives[0].metric, "goal",
                  s->search.objectives[0].maximize ? "max" : "min", "objectives",
                  objectives_json(&s->search), "runs", s->runs, "evaluations",
                  (json_int_t)total, "complete", (json_int_t)x->complete, "failed",
                  (json_int_t)x->failed, "invalid", (json_int_t)x->invalid, "cached",
                  (json_int_t)x->cached);
    json_object_set_new(o, "stopped_by", stopped ? json_string(stopped) : json_null());
    if (s->prune.kind != ANAS_PRUNE_NONE) {
        json_object_set_new(o, "pruned", json_integer((json_int_t)x->pruned));
        json_object_set_new(o, "epochs_saved", json_real(x->epochs_saved));
    }
    json_object_set_new(o, "best_score",
                        x->best.have ? json_real(user_score(s, x->best.score)) : json_null());
    json_object_set_new(o, "mean", num_or_null(mean));
    json_object_set_new(o, "std_err", num_or_null(sem));
    if (s->search.n_objectives > 1)
        front_summary(r, o, per);
    json_object_set_new(o, "per_run", per);
    return o;
}

double results_eta(const struct run *r, long long remaining, int workers)
{
    const struct results *x = &r->res;
    long long seen = x->live, real = x->worked;
    if (remaining <= 0)
        return 0;
    if (real <= 0 || seen <= 0 || workers < 1)
        return NAN;
    /* Rejected and reused candidates cost nothing: only the share that
     * needed an evaluation so far is expected to take time. */
    return (double)remaining * ((double)real / (double)seen) * (x->work_s / (double)real) /
           (double)workers;
}
