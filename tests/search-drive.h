/*
 * search-drive.h - a driver for the optimizer tests (header-only): runs a
 * search to its end with synthetic results and records what it proposed.
 *
 * The synthetic "acc@1d" of a configuration is 1 minus the mean distance
 * of its normalised values (choice index, or position in the range;
 * inactive ones as 0) from 0.7: a smooth landscape with one optimum that
 * neighbour moves can climb. "params" comes from the analytic metrics when
 * the spec has a shape.
 */
#ifndef ANAS_TESTS_SEARCH_DRIVE_H
#define ANAS_TESTS_SEARCH_DRIVE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "search/search.h"

#define DRIVE_CAP 4096

/* How results come back: all outstanding at once, one at a time, or in
 * random pieces. */
enum drive_mode { DRIVE_ALL, DRIVE_ONE, DRIVE_RANDOM };

struct drive {
    struct anas_config cfg[DRIVE_CAP]; /* every proposal, in order */
    double acc[DRIVE_CAP];             /* its synthetic result */
    int n;
    int calls[DRIVE_CAP]; /* sizes of non-empty propose answers */
    int n_calls;
    int waits;  /* propose answered 0 with proposals out */
    int errors; /* a call failed */
    /* Optional: the result to give proposal i instead of the synthetic one. */
    double (*score)(int i, const struct anas_config *cfg);
};

static inline void drive_spec(struct anas_search_spec *spec, const char *space,
                              const char *opt)
{
    anas_search_spec_init(spec, anas_space_find(space), anas_search_find(opt));
    spec->n_objectives = 1;
    snprintf(spec->objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec->objectives[0].maximize = 1;
}

static inline double drive_norm(const struct anas_space *s, const struct anas_config *c,
                                int i)
{
    const struct anas_hp *hp = anas_space_hp(s, i);

    if (!anas_space_is_active(s, c, i))
        return 0;
    if (hp->kind == ANAS_HP_CHOICE) {
        for (int k = 0; k < hp->n_choices; k++)
            if (hp->choices[k] == c->v[i])
                return hp->n_choices > 1 ? (double)k / (hp->n_choices - 1) : 0;
        return 0;
    }
    return hp->hi > hp->lo ? (c->v[i] - hp->lo) / (hp->hi - hp->lo) : 0;
}

static inline double drive_acc(const struct anas_space *s, const struct anas_config *c)
{
    double d = 0;
    int n = anas_space_n_hp(s);

    for (int i = 0; i < n; i++)
        d += fabs(drive_norm(s, c, i) - 0.7);
    return 1 - d / n;
}

static inline void drive_result(const struct anas_search_spec *spec, struct drive *d, int i,
                                struct anas_search_result *r)
{
    memset(r, 0, sizeof *r);
    r->config = d->cfg[i];
    r->ok = 1;
    anas_metrics_init(&r->metrics);
    d->acc[i] = d->score ? d->score(i, &d->cfg[i]) : drive_acc(spec->space, &d->cfg[i]);
    anas_metrics_set(&r->metrics, "acc@1d", d->acc[i]);
    if (spec->has_shape)
        anas_space_analytic(spec->space, &spec->shape, &d->cfg[i], &spec->mapping,
                            &r->metrics, NULL);
    r->feasible = anas_search_feasible(spec, &r->metrics);
}

/* Run to the end with `workers` evaluations at most out at once. */
static inline int drive_run(const struct anas_search_spec *spec, uint64_t seed, int workers,
                            enum drive_mode mode, struct drive *d)
{
    struct anas_search *s = anas_search_new(spec, seed, NULL);
    struct anas_search_result *res = anas_calloc(DRIVE_CAP, sizeof(*res));
    struct anas_rng pieces;
    int observed = 0;

    d->n = d->n_calls = d->waits = d->errors = 0;
    anas_rng_seed(&pieces, seed + 1000);
    while (s && res) {
        int n = 0, room = workers - (d->n - observed), k;
        if (room > 0) {
            if (anas_search_propose(s, d->cfg + d->n, room, &n, NULL) < 0 ||
                d->n + n > DRIVE_CAP) {
                d->errors++;
                break;
            }
            if (n > 0)
                d->calls[d->n_calls++] = n;
            else if (d->n > observed)
                d->waits++;
            d->n += n;
        }
        if (d->n == observed)
            break; /* finished */
        k = d->n - observed;
        if (mode == DRIVE_ONE)
            k = 1;
        else if (mode == DRIVE_RANDOM)
            k = (int)anas_rng_int(&pieces, 1, k + 1);
        for (int i = 0; i < k; i++)
            drive_result(spec, d, observed + i, &res[i]);
        if (anas_search_observe(s, res, k, NULL) < 0) {
            d->errors++;
            break;
        }
        observed += k;
    }
    if (!s || !res)
        d->errors++;
    anas_free(res);
    anas_search_free(s);
    return d->n;
}

static inline int drive_same(const struct anas_space *s, const struct anas_config *a,
                             const struct anas_config *b)
{
    for (int i = 0; i < anas_space_n_hp(s); i++)
        if (a->v[i] != b->v[i])
            return 0;
    return 1;
}

static inline int drive_same_runs(const struct anas_space *s, const struct drive *a,
                                  const struct drive *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!drive_same(s, &a->cfg[i], &b->cfg[i]))
            return 0;
    return 1;
}

static inline int drive_duplicates(const struct anas_space *s, const struct drive *d)
{
    int dup = 0;

    for (int i = 0; i < d->n; i++)
        for (int j = 0; j < i; j++)
            dup += drive_same(s, &d->cfg[i], &d->cfg[j]);
    return dup;
}

static inline double drive_best(const struct drive *d)
{
    double best = -INFINITY;

    for (int i = 0; i < d->n; i++)
        best = fmax(best, d->acc[i]);
    return best;
}

/* b one neighbour move from a: exactly one hyperparameter active in both
 * differs, by one step (a real one by any amount). */
static inline int drive_neighbours(const struct anas_space *s, const struct anas_config *a,
                                   const struct anas_config *b)
{
    int n = 0;

    for (int i = 0; i < anas_space_n_hp(s); i++) {
        const struct anas_hp *hp = anas_space_hp(s, i);
        if (!anas_space_is_active(s, a, i) || !anas_space_is_active(s, b, i) ||
            a->v[i] == b->v[i])
            continue;
        n++;
        if (hp->kind == ANAS_HP_INT && fabs(a->v[i] - b->v[i]) != 1)
            return 0;
        if (hp->kind == ANAS_HP_CHOICE &&
            fabs(drive_norm(s, a, i) - drive_norm(s, b, i)) * (hp->n_choices - 1) > 1.5)
            return 0;
    }
    return n == 1;
}

/* The median params of `n` uniform samples: a constraint random search
 * violates half the time. */
static inline double drive_median_params(const struct anas_search_spec *spec, int n)
{
    double v[256], t;
    struct anas_rng rng;

    anas_rng_seed(&rng, 99);
    for (int i = 0; i < n && i < 256; i++) {
        struct anas_config c;
        struct anas_metrics m;
        anas_space_sample(spec->space, &rng, &c);
        anas_metrics_init(&m);
        anas_space_analytic(spec->space, &spec->shape, &c, &spec->mapping, &m, NULL);
        anas_metrics_get(&m, "params", &v[i]);
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--)
            t = v[j], v[j] = v[j - 1], v[j - 1] = t;
    return v[n / 2];
}

static inline void drive_params_max(struct anas_search_spec *spec, double max)
{
    spec->has_shape = 1;
    spec->shape = anas_space_default_shape(spec->space);
    spec->mapping = anas_mapping_default;
    spec->n_constraints = 1;
    snprintf(spec->constraints[0].metric, ANAS_METRIC_NAME_MAX, "params");
    spec->constraints[0].has_max = 1;
    spec->constraints[0].max = max;
}

/* How many proposals satisfy params <= max. */
static inline int drive_count_params_ok(const struct anas_search_spec *spec,
                                        const struct drive *d, double max)
{
    int n = 0;

    for (int i = 0; i < d->n; i++) {
        struct anas_metrics m;
        double p = INFINITY;
        anas_metrics_init(&m);
        anas_space_analytic(spec->space, &spec->shape, &d->cfg[i], &spec->mapping, &m, NULL);
        anas_metrics_get(&m, "params", &p);
        n += p <= max;
    }
    return n;
}

#endif
