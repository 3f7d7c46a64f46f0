/*
 * api_pareto.c - GET /api/v1/runs/{id}/pareto: the run's feasible
 * non-dominated set (or its first `fronts` fronts), from the stored
 * evaluations, with each point's rank and crowding distance and the
 * front's hypervolume (Deb et al. 2002 for the ranking; the reference
 * point as in the run's summary).
 */
#include "config.h"

#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "reply.h"
#include "store.h"

struct cand {
    const struct store_eval *e;
    struct anas_search_point p;
    int rank;
    double crowding;
};

/* Feasible complete evaluations, one per architecture (the first). */
static int collect(const struct run_spec *s, const struct store_eval *e, int n, int rep,
                   struct cand *out)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        struct anas_metrics met;
        int dup = 0;
        if ((rep >= 0 && e[i].rep != rep) || strcmp(e[i].state, "complete") != 0 ||
            !e[i].feasible || codec_metrics_from_text(e[i].metrics_json, &met) < 0)
            continue;
        for (int k = 0; k < m && !dup; k++)
            dup = strcmp(out[k].e->hash, e[i].hash) == 0;
        memset(&out[m], 0, sizeof out[m]);
        if (dup || anas_search_objectives(&s->search, &met, out[m].p.f) < 0)
            continue;
        out[m++].e = &e[i];
    }
    return m;
}

static int by_rank(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->p.f[0] != y->p.f[0])
        return x->p.f[0] < y->p.f[0] ? -1 : 1;
    return x->e->seq < y->e->seq ? -1 : x->e->seq > y->e->seq;
}

/* Rank every candidate and give each front's members their crowding. */
static int rank_all(struct cand *c, int m, int d)
{
    struct anas_search_point *p = malloc(((size_t)m + 1) * sizeof *p);
    int *rank = malloc(((size_t)m + 1) * sizeof *rank), *idx = malloc(((size_t)m + 1) * sizeof *idx);
    double *cd = malloc(((size_t)m + 1) * sizeof *cd);
    int rc = p && rank && idx && cd ? 0 : ANAS_ENOMEM, fronts = 0;
    for (int i = 0; rc == 0 && i < m; i++)
        p[i] = c[i].p;
    if (rc == 0 && m > 0)
        rc = fronts = anas_pareto_sort(p, m, d, rank);
    for (int f = 0; rc >= 0 && f < fronts; f++) {
        int k = 0;
        for (int i = 0; i < m; i++)
            if (rank[i] == f)
                idx[k++] = i;
        rc = anas_pareto_crowding(p, d, idx, k, cd);
        for (int j = 0; rc >= 0 && j < k; j++) {
            c[idx[j]].rank = f;
            c[idx[j]].crowding = cd[j];
        }
    }
    free(p);
    free(rank);
    free(idx);
    free(cd);
    return rc < 0 ? rc : 0;
}

/* The spec's reference point, else the worst of every feasible result of
 * the run (all repetitions), minimised. */
static void reference(const struct run_spec *s, const struct cand *all, int n, double *ref)
{
    const struct anas_search_spec *ss = &s->search;
    for (int k = 0; k < ss->n_objectives; k++) {
        if (ss->has_reference_point) {
            ref[k] = ss->objectives[k].maximize ? -ss->reference_point[k]
                                                : ss->reference_point[k];
            continue;
        }
        ref[k] = -INFINITY;
        for (int i = 0; i < n; i++)
            ref[k] = fmax(ref[k], all[i].p.f[k]);
    }
}

static json_t *item_json(const struct cand *c)
{
    json_t *o = json_pack("{s:I, s:i, s:s, s:o, s:o, s:i}", "seq", (json_int_t)c->e->seq,
                          "rep", c->e->rep, "hash", c->e->hash, "config",
                          json_loads(c->e->config_json, 0, NULL), "metrics",
                          json_loads(c->e->metrics_json, 0, NULL), "rank", c->rank + 1);
    /* JSON has no infinity: a front's boundary points have null */
    json_object_set_new(o, "crowding", isfinite(c->crowding) ? json_real(c->crowding)
                                                             : json_null());
    return o;
}

static json_t *front_json(const struct run_spec *s, struct cand *c, int m, struct cand *all,
                          int n_all, long long fronts)
{
    const struct anas_search_spec *ss = &s->search;
    int d = ss->n_objectives, size = 0;
    double ref[ANAS_SEARCH_MAX_OBJECTIVES], hv = 0;
    double *f = malloc(((size_t)m + 1) * (size_t)d * sizeof *f);
    json_t *items = json_array(), *refj = json_array(), *goals = json_array(), *o;
    reference(s, all, n_all, ref);
    for (int i = 0; i < m; i++) {
        if (c[i].rank == 0 && f)
            memcpy(f + (size_t)size++ * (size_t)d, c[i].p.f, (size_t)d * sizeof *f);
        if (c[i].rank < fronts)
            json_array_append_new(items, item_json(&c[i]));
    }
    if (!f || anas_pareto_hypervolume(f, size, d, ref, &hv) < 0)
        hv = NAN;
    free(f);
    for (int k = 0; k < d; k++) {
        json_array_append_new(goals, json_pack("{s:s, s:s}", "metric", ss->objectives[k].metric,
                                               "goal", ss->objectives[k].maximize ? "max" : "min"));
        json_array_append_new(refj, n_all > 0 || ss->has_reference_point
                                        ? json_real(ss->objectives[k].maximize ? -ref[k] : ref[k])
                                        : json_null());
    }
    o = json_pack("{s:o, s:o, s:s, s:i, s:o}", "objectives", goals, "reference_point", refj,
                  "reference_point_from", ss->has_reference_point ? "spec" : "worst observed",
                  "pareto_size", size, "items", items);
    json_object_set_new(o, "hypervolume", isfinite(hv) ? json_real(hv) : json_null());
    return o;
}

int api_runs_pareto(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    struct store_run r;
    struct store_eval *e = NULL;
    struct run_spec *spec = malloc(sizeof *spec);
    struct cand *all = NULL, *c = NULL;
    struct anas_error err;
    long long rep, fronts;
    json_t *sj = NULL, *o = NULL;
    int n = 0, n_all = 0, m = 0, rc;
    if (!spec)
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    rc = store_run_get(d->store, a->id, &r);
    if (rc < 0) {
        free(spec);
        return rc == ANAS_ENOTFOUND ? reply_problem(rs, rq, 404, rc, NULL, "no run %lld", a->id)
                                    : reply_problem(rs, rq, 500, ANAS_EDB, NULL,
                                                    "cannot read run %lld", a->id);
    }
    sj = json_loads(r.spec_json, 0, NULL);
    rc = sj && codec_run_spec(&d->conf, sj, spec, &err) == 0 ? 0 : ANAS_EINTERNAL;
    json_decref(sj);
    store_run_fini(&r);
    if (rc == 0 && (api_query_int(rq, rs, "rep", 0, spec->runs - 1, -1, &rep) < 0 ||
                    api_query_int(rq, rs, "fronts", 1, 1000, 1, &fronts) < 0)) {
        free(spec);
        return 0;
    }
    if (rc == 0)
        rc = store_eval_all(d->store, a->id, &e, &n);
    if (rc == 0) {
        all = malloc(((size_t)n + 1) * sizeof *all);
        c = malloc(((size_t)n + 1) * sizeof *c);
        rc = all && c ? 0 : ANAS_ENOMEM;
    }
    if (rc == 0) {
        n_all = collect(spec, e, n, -1, all);
        m = collect(spec, e, n, (int)rep, c);
        rc = rank_all(c, m, spec->search.n_objectives);
    }
    if (rc == 0) {
        qsort(c, (size_t)m, sizeof *c, by_rank);
        o = front_json(spec, c, m, all, n_all, fronts);
    }
    free(all);
    free(c);
    store_evals_free(e, n);
    free(spec);
    if (!o)
        return reply_problem(rs, rq, 500, rc < 0 ? rc : ANAS_EINTERNAL, NULL,
                             "cannot compute the front of run %lld", a->id);
    return reply_json(rs, 200, o);
}
