/*
 * bo.c - Bayesian optimisation with a Gaussian process (gp.h): the GP
 * models the objective on the space's numeric encoding, and each proposal
 * maximises expected improvement (Jones, Schonlau and Welch 1998,
 * "Efficient global optimization of expensive black-box functions") over
 * candidates from an inner evolutionary search.
 *
 * - The first `initial` proposals are uniform samples (screened by the
 *   analytic constraints), as is any made while fewer than two results can
 *   be modelled.
 * - Several objectives: ParEGO (Knowles 2006, "ParEGO: a hybrid algorithm
 *   with on-line landscape approximation for expensive multiobjective
 *   optimization problems"): each proposal draws a weight vector uniformly
 *   from the simplex, scalarises the objectives (normalised to [0, 1] over
 *   the results so far) by the augmented Tchebycheff function
 *   max_j w_j f_j + 0.05 sum_j w_j f_j, and maximises the EI of that.
 * - Measured constraints (metrics known only after an evaluation): one GP
 *   each, and EI is multiplied by the probability that every constraint
 *   holds (Gardner et al. 2014, "Bayesian optimization with inequality
 *   constraints"; Gelbart, Snoek and Adams 2014). While no result is
 *   feasible, that probability alone is maximised. Analytic constraints
 *   are screened before a candidate is chosen, as by every optimizer.
 * - Batches: up to `batch` proposals are out at once. The next one is
 *   chosen with the pending ones in the GP at a lied value (Ginsbourger, Le
 *   Riche and Carraro 2010, "Kriging is well-suited to parallelize
 *   optimization"): the constant liar min (the best value so far: the
 *   default, which they found best; nearby candidates lose their EI), mean
 *   or max, or the Kriging believer (the GP's own mean there).
 * - The GP uses at most `max_points` results: the best half by the
 *   (scalarised) objective and the most recent of the others, so that a
 *   fit stays O(max_points^3). Hyperparameters (ARD length scales: the
 *   resnet space mixes decisive and nearly idle hyperparameters) are refitted
 *   by marginal likelihood when the data have grown by a tenth since the
 *   last fit (every time below ten results), warm-started from the last
 *   fit plus one random restart; in between the last ones are kept.
 *
 * Replay: proposal c is made at a fixed point, at init for the first
 * `batch`, else when the result of proposal c - batch arrives (observe()
 * makes it, propose() only hands it out), from the results observed then
 * and the one generator. The proposals thus depend only on (seed, results)
 * however the caller splits its calls.
 */
#include "config.h"

#include "search/search_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "search/evo.h"
#include "search/gp.h"

enum { P_EVALS, P_INITIAL, P_BATCH, P_LIAR, P_CANDIDATES, P_XI, P_MAX_POINTS };
enum { LIAR_MIN, LIAR_MEAN, LIAR_MAX, LIAR_BELIEVER };

static const struct anas_param_desc params[] = {
    [P_EVALS] = {"evaluations", 1, 1, 1000000, 100, "architectures to evaluate"},
    [P_INITIAL] = {"initial", 1, 1, 1000000, 10,
                   "uniform random proposals (analytic constraints screened) before the "
                   "model chooses"},
    [P_BATCH] = {"batch", 1, 1, ANAS_SEARCH_MAX_BATCH, 2,
                 "proposals out at once (evaluated in parallel); the pending ones enter the "
                 "model at the liar's value"},
    [P_LIAR] = {"liar", 1, 0, 3, 0,
                "value given to pending proposals: 0 the best so far (constant liar min), "
                "1 the mean, 2 the worst, 3 the model's prediction (Kriging believer)"},
    [P_CANDIDATES] = {"candidates", 1, 10, 1000000, 2000,
                      "configurations the inner evolutionary search scores per proposal"},
    [P_XI] = {"xi", 0, 0, 10, 0.01,
              "expected improvement's margin, in standard deviations of the objective"},
    [P_MAX_POINTS] = {"max_points", 1, 4, 100000, 300,
                      "results the model uses at most (the best half and the most recent "
                      "others): a fit costs O(max_points^3)"},
};

#define RHO 0.05       /* ParEGO's augmentation */
#define PARENTS 10     /* best results / candidates the inner search mutates */
#define CHUNK 256      /* candidates predicted at once */

/* One proposal and, once observed, its result. */
struct rec {
    struct anas_config cfg;
    double x[ANAS_SPACE_MAX_HP];
    int ok; /* observed, objectives finite */
    struct anas_search_point pt;
    double c[ANAS_SEARCH_MAX_CONSTRAINTS]; /* measured constraints' metrics */
};

/* A model and when its hyperparameters were last fitted. */
struct model {
    struct anas_gp gp;
    struct anas_gp_hyper h;
    int fitted_n; /* data points at the last hyperparameter fit; 0: never */
    double mean, sd;
};

struct bo {
    int d, batch, budget;
    struct rec *rec;
    int cap, made, proposed, observed;
    int n_meas, meas[ANAS_SEARCH_MAX_CONSTRAINTS]; /* measured constraints' indices */
    struct model obj, con[ANAS_SEARCH_MAX_CONSTRAINTS];
    struct anas__seen seen;
    /* scratch, [budget] or [candidates] */
    int *idx;
    double *y, *yc, *xs, *acq, *mu, *var;
    struct anas_config *cand;
    long refits;
};

static long budget(const struct anas_search_spec *spec)
{
    return (long)spec->params[P_EVALS];
}

static void state_free(struct bo *b)
{
    if (!b)
        return;
    anas_free(b->rec);
    anas__gp_free(&b->obj.gp);
    for (int k = 0; k < ANAS_SEARCH_MAX_CONSTRAINTS; k++)
        anas__gp_free(&b->con[k].gp);
    anas__seen_free(&b->seen);
    anas_free(b->idx);
    anas_free(b->y);
    anas_free(b->yc);
    anas_free(b->xs);
    anas_free(b->acq);
    anas_free(b->mu);
    anas_free(b->var);
    anas_free(b->cand);
    anas_free(b);
}

static int grow(struct bo *b, int need)
{
    int cap = b->cap;
    struct rec *r;

    if (need <= cap)
        return 0;
    cap = cap ? 2 * cap : 64;
    cap = cap < need ? need : cap;
    cap = cap > b->budget ? b->budget : cap;
    r = anas_realloc(b->rec, (size_t)cap * sizeof(*r));
    if (!r)
        return ANAS_ENOMEM;
    b->rec = r;
    b->cap = cap;
    anas_free(b->idx);
    anas_free(b->y);
    anas_free(b->yc);
    b->idx = anas_malloc((size_t)cap * sizeof(*b->idx));
    b->y = anas_malloc((size_t)cap * sizeof(*b->y));
    b->yc = anas_malloc((size_t)cap * sizeof(*b->yc));
    return b->idx && b->y && b->yc ? 0 : ANAS_ENOMEM;
}

/* --- The data the models see --- */

/* The observed results with every objective, best-first order not
 * implied: idx[0..n). */
static int usable(const struct bo *b, int *idx)
{
    int n = 0;

    for (int i = 0; i < b->observed; i++)
        if (b->rec[i].ok)
            idx[n++] = i;
    return n;
}

/* y[k] for idx[k]: the objective to minimise, scalarised by ParEGO for
 * several. Normalisation and weights are per proposal. */
static void targets(struct anas_search *s, struct bo *b, const int *idx, int n, double *y)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int m = spec->n_objectives;
    double lo[ANAS_SEARCH_MAX_OBJECTIVES], hi[ANAS_SEARCH_MAX_OBJECTIVES];
    double w[ANAS_SEARCH_MAX_OBJECTIVES], sum = 0;

    if (m == 1) {
        for (int k = 0; k < n; k++)
            y[k] = b->rec[idx[k]].pt.f[0];
        return;
    }
    for (int j = 0; j < m; j++) {
        lo[j] = INFINITY, hi[j] = -INFINITY;
        for (int k = 0; k < n; k++) {
            lo[j] = fmin(lo[j], b->rec[idx[k]].pt.f[j]);
            hi[j] = fmax(hi[j], b->rec[idx[k]].pt.f[j]);
        }
        /* Uniform on the simplex: normalised exponential draws. */
        w[j] = -log(1 - anas_rng_uniform(anas_search_rng(s)));
        sum += w[j];
    }
    for (int j = 0; j < m; j++)
        w[j] = sum > 0 ? w[j] / sum : 1.0 / m;
    for (int k = 0; k < n; k++) {
        double mx = -INFINITY, tot = 0;
        for (int j = 0; j < m; j++) {
            double g = hi[j] > lo[j] ? (b->rec[idx[k]].pt.f[j] - lo[j]) / (hi[j] - lo[j]) : 0;
            mx = fmax(mx, w[j] * g);
            tot += w[j] * g;
        }
        y[k] = mx + RHO * tot;
    }
}

struct key {
    double y;
    int k;
};

static int by_y(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;

    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return a->k - b->k;
}

/* Keep at most `cap` of the n points (idx, y in step): the best cap/2 by
 * y and the most recent of the rest, in their original order. Returns the
 * number kept or ANAS_ENOMEM. */
static int cap_points(int *idx, double *y, int n, int cap)
{
    struct key *key;
    char *take;
    int keep = 0;

    if (n <= cap)
        return n;
    key = anas_malloc((size_t)n * sizeof(*key));
    take = anas_calloc((size_t)n, 1);
    if (!key || !take) {
        anas_free(key);
        anas_free(take);
        return ANAS_ENOMEM;
    }
    for (int k = 0; k < n; k++)
        key[k] = (struct key){y[k], k};
    qsort(key, (size_t)n, sizeof(*key), by_y);
    for (int k = 0; k < cap / 2; k++)
        take[key[k].k] = 1;
    for (int k = n - 1, extra = cap - cap / 2; k >= 0 && extra > 0; k--)
        if (!take[k])
            take[k] = 1, extra--;
    for (int k = 0; k < n; k++)
        if (take[k]) {
            idx[keep] = idx[k];
            y[keep++] = y[k];
        }
    anas_free(key);
    anas_free(take);
    return keep;
}

static void standardise(double *y, int n, double *mean, double *sd)
{
    double m = 0, v = 0;

    for (int k = 0; k < n; k++)
        m += y[k];
    m /= n;
    for (int k = 0; k < n; k++)
        v += (y[k] - m) * (y[k] - m);
    v = n > 1 ? sqrt(v / (n - 1)) : 0;
    v = v > 1e-12 ? v : 1;
    for (int k = 0; k < n; k++)
        y[k] = (y[k] - m) / v;
    *mean = m, *sd = v;
}

/* Fit m on n points, refitting its hyperparameters when the results
 * (n_all, before capping) have grown by a tenth since the last time. */
static int fit_model(struct anas_search *s, struct bo *b, struct model *m, const double *x,
                     const double *y, int n, int n_all)
{
    if (m->fitted_n == 0 || n_all < 10 || n_all >= m->fitted_n + m->fitted_n / 10) {
        if (m->fitted_n == 0)
            anas__gp_hyper_default(&m->h, b->d);
        m->fitted_n = n_all;
        b->refits++;
        return anas__gp_optimize(&m->gp, x, y, n, b->d, anas_search_rng(s), 1, &m->h);
    }
    return anas__gp_fit(&m->gp, x, y, n, b->d, &m->h);
}

/* What a proposal's acquisition needs. */
struct acq {
    double best; /* best standardised objective among feasible results */
    int any_feasible;
    double xi;
    int n_con;                                    /* constraint models fitted */
    int con[ANAS_SEARCH_MAX_CONSTRAINTS];         /* their models' indices in b->con */
    double lo[ANAS_SEARCH_MAX_CONSTRAINTS], hi[ANAS_SEARCH_MAX_CONSTRAINTS]; /* standardised */
};

/* One GP per measured constraint, on the selected results that report it. */
static int fit_constraints(struct anas_search *s, struct bo *b, const int *idx, int n,
                           int n_all, double *x, struct acq *a)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);

    a->n_con = 0;
    for (int k = 0; k < b->n_meas; k++) {
        const struct anas_constraint *c = &spec->constraints[b->meas[k]];
        struct model *m = &b->con[k];
        int nk = 0, rc;
        for (int i = 0; i < n; i++) {
            const struct rec *r = &b->rec[idx[i]];
            if (!isfinite(r->c[k]))
                continue;
            memcpy(x + (size_t)nk * b->d, r->x, (size_t)b->d * sizeof(double));
            b->yc[nk++] = r->c[k];
        }
        if (nk < 2)
            continue; /* nothing to learn from yet: no factor */
        standardise(b->yc, nk, &m->mean, &m->sd);
        if ((rc = fit_model(s, b, m, x, b->yc, nk, n_all)) < 0)
            return rc;
        a->con[a->n_con] = k;
        a->lo[a->n_con] = c->has_min ? (c->min - m->mean) / m->sd : -INFINITY;
        a->hi[a->n_con] = c->has_max ? (c->max - m->mean) / m->sd : INFINITY;
        a->n_con++;
    }
    return 0;
}

/* The objective's GP on the selected results, with the pending proposals
 * at the liar's value. Sets a->best. */
static int fit_objective(struct anas_search *s, struct bo *b, int c, const int *idx, int n,
                         int n_all, double *x, struct acq *a)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int pend = c - b->observed, rc;
    double lie = 0, lo = INFINITY, hi = -INFINITY;

    for (int i = 0; i < n; i++)
        memcpy(x + (size_t)i * b->d, b->rec[idx[i]].x, (size_t)b->d * sizeof(double));
    for (int p = 0; p < pend; p++)
        memcpy(x + (size_t)(n + p) * b->d, b->rec[b->observed + p].x,
               (size_t)b->d * sizeof(double));
    standardise(b->y, n, &b->obj.mean, &b->obj.sd);
    a->best = INFINITY;
    a->any_feasible = 0;
    for (int i = 0; i < n; i++) {
        lo = fmin(lo, b->y[i]), hi = fmax(hi, b->y[i]);
        if (b->rec[idx[i]].pt.viol == 0) {
            a->best = fmin(a->best, b->y[i]);
            a->any_feasible = 1;
        }
    }
    if ((rc = fit_model(s, b, &b->obj, x, b->y, n, n_all)) < 0 || pend == 0)
        return rc;
    switch ((int)spec->params[P_LIAR]) {
    case LIAR_MIN: lie = lo; break;
    case LIAR_MEAN: lie = 0; break; /* standardised */
    case LIAR_MAX: lie = hi; break;
    default:
        if ((rc = anas__gp_predict(&b->obj.gp, x + (size_t)n * b->d, pend, b->mu, NULL)) < 0)
            return rc;
    }
    for (int p = 0; p < pend; p++)
        b->y[n + p] = (int)spec->params[P_LIAR] == LIAR_BELIEVER ? b->mu[p] : lie;
    return anas__gp_fit(&b->obj.gp, x, b->y, n + pend, b->d, &b->obj.h);
}

/* Probability that lo <= c <= hi for c ~ N(mu, var). */
static double prob_within(double mu, double var, double lo, double hi)
{
    double sd = sqrt(var);

    if (!(sd > 1e-12))
        return mu >= lo && mu <= hi;
    return anas__gp_cdf((hi - mu) / sd) - anas__gp_cdf((lo - mu) / sd);
}

/* acq[from..to) for cand[from..to). */
static int score(struct bo *b, const struct acq *a, int from, int to)
{
    const struct anas_space *space = b->cand[0].space;
    int d = b->d, rc;

    for (int j0 = from; j0 < to; j0 += CHUNK) {
        int m = to - j0 < CHUNK ? to - j0 : CHUNK;
        for (int j = 0; j < m; j++)
            if ((rc = anas_space_encode(space, &b->cand[j0 + j], b->xs + (size_t)j * d)) < 0)
                return rc;
        if ((rc = anas__gp_predict(&b->obj.gp, b->xs, m, b->mu, b->var)) < 0)
            return rc;
        for (int j = 0; j < m; j++)
            b->acq[j0 + j] = a->any_feasible
                                 ? anas__gp_ei(b->mu[j], sqrt(b->var[j]), a->best, a->xi)
                                 : 1;
        for (int k = 0; k < a->n_con; k++) {
            if ((rc = anas__gp_predict(&b->con[a->con[k]].gp, b->xs, m, b->mu, b->var)) < 0)
                return rc;
            for (int j = 0; j < m; j++)
                b->acq[j0 + j] *= prob_within(b->mu[j], b->var[j], a->lo[k], a->hi[k]);
        }
    }
    return 0;
}

/* Mutants of random parents, 1 to 3 moves each, into cand[from..to). */
static int mutants(struct anas_search *s, struct bo *b, const struct anas_config *par, int np,
                   int from, int to)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct anas_rng *rng = anas_search_rng(s);

    for (int j = from; j < to; j++) {
        int moves = (int)anas_rng_int(rng, 1, 4), rc;
        b->cand[j] = par[anas_rng_int(rng, 0, np)];
        for (int t = 0; t < moves; t++)
            if ((rc = anas_space_mutate(spec->space, rng, &b->cand[j], 0.1, &b->cand[j])) < 0)
                return rc;
    }
    return 0;
}

static int by_standing(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;

    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return a->k - b->k;
}

/* The inner evolutionary search: 2/5 uniform samples, 2/5 mutants of the
 * best results (feasible first, then the smallest violation, then the
 * objective), scored; then 1/5 mutants of the best-scoring candidates.
 * The best-scoring candidate that is fresh (not proposed before, analytic
 * constraints hold) is the proposal. */
static int inner_search(struct anas_search *s, struct bo *b, const int *idx, int n,
                        const struct acq *a, struct anas_config *out)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int nc = (int)spec->params[P_CANDIDATES], n_rand = 2 * nc / 5, n_mut = 2 * nc / 5, np,
        rc = 0;
    struct anas_config par[PARENTS];
    struct key *key = anas_malloc((size_t)(nc > n ? nc : n) * sizeof(*key));

    if (!key)
        return ANAS_ENOMEM;
    for (int i = 0; i < n; i++) {
        const struct rec *r = &b->rec[idx[i]];
        /* Feasible ones by objective, below every infeasible one. */
        key[i] = (struct key){r->pt.viol > 0 ? 1e6 + r->pt.viol : b->y[i], i};
    }
    qsort(key, (size_t)n, sizeof(*key), by_standing);
    np = n < PARENTS ? n : PARENTS;
    for (int i = 0; i < np; i++)
        par[i] = b->rec[idx[key[i].k]].cfg;
    for (int j = 0; j < n_rand && rc >= 0; j++)
        rc = anas_space_sample(spec->space, anas_search_rng(s), &b->cand[j]);
    if (rc >= 0)
        rc = mutants(s, b, par, np, n_rand, n_rand + n_mut);
    if (rc >= 0)
        rc = score(b, a, 0, n_rand + n_mut);
    for (int j = 0; rc >= 0 && j < n_rand + n_mut; j++)
        key[j] = (struct key){-b->acq[j], j};
    if (rc >= 0) {
        qsort(key, (size_t)(n_rand + n_mut), sizeof(*key), by_standing);
        np = n_rand + n_mut < PARENTS ? n_rand + n_mut : PARENTS;
        for (int i = 0; i < np; i++)
            par[i] = b->cand[key[i].k];
        rc = mutants(s, b, par, np, n_rand + n_mut, nc);
    }
    if (rc >= 0)
        rc = score(b, a, n_rand + n_mut, nc);
    if (rc < 0) {
        anas_free(key);
        return rc;
    }
    for (int j = 0; j < nc; j++)
        key[j] = (struct key){-b->acq[j], j};
    qsort(key, (size_t)nc, sizeof(*key), by_standing);
    rc = 1;
    for (int j = 0; j < nc && rc == 1; j++)
        if (anas__evo_fresh(spec, &b->seen, &b->cand[key[j].k])) {
            *out = b->cand[key[j].k];
            rc = anas__seen_add(&b->seen, spec->space, out);
        }
    anas_free(key);
    /* Every candidate was used up: a fresh uniform one. */
    return rc == 1 ? anas__evo_sample(s, &b->seen, out) : rc;
}

/* A proposal from the models: needs two usable results. 1 when there are
 * fewer (the caller samples instead). */
static int model_propose(struct anas_search *s, struct bo *b, int c, struct anas_config *out)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int n_all = usable(b, b->idx), n, rc;
    struct acq a = {.xi = spec->params[P_XI]};
    double *x;

    if (n_all < 2)
        return 1;
    targets(s, b, b->idx, n_all, b->y);
    n = cap_points(b->idx, b->y, n_all, (int)spec->params[P_MAX_POINTS]);
    if (n < 0)
        return n;
    x = anas_malloc((size_t)(n + c - b->observed) * (size_t)b->d * sizeof(*x));
    if (!x)
        return ANAS_ENOMEM;
    rc = fit_objective(s, b, c, b->idx, n, n_all, x, &a);
    if (rc >= 0)
        rc = fit_constraints(s, b, b->idx, n, n_all, x, &a);
    anas_free(x);
    /* inner_search ranks parents by the objective's standardised targets,
     * still in b->y[0..n). */
    return rc < 0 ? rc : inner_search(s, b, b->idx, n, &a, out);
}

/* Make proposal c (c == b->made). */
static int make(struct anas_search *s, struct bo *b)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int c = b->made, rc;
    struct rec *r;

    if ((rc = grow(b, c + 1)) < 0)
        return rc;
    r = &b->rec[c];
    memset(r, 0, sizeof *r);
    rc = c < (int)spec->params[P_INITIAL] ? 1 : model_propose(s, b, c, &r->cfg);
    if (rc == 1)
        rc = anas__evo_sample(s, &b->seen, &r->cfg);
    if (rc < 0)
        return rc;
    if ((rc = anas_space_encode(spec->space, &r->cfg, r->x)) < 0)
        return rc;
    b->made++;
    return 0;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct bo *b = anas_calloc(1, sizeof(*b));
    int nc = (int)spec->params[P_CANDIDATES], rc = 0;

    if (!b)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory");
    anas_search_set_state(s, b);
    b->d = anas_space_n_hp(spec->space);
    b->batch = (int)spec->params[P_BATCH];
    b->budget = (int)spec->params[P_EVALS];
    for (int k = 0; k < spec->n_constraints; k++)
        if (!anas_search_metric_is_analytic(spec->constraints[k].metric))
            b->meas[b->n_meas++] = k;
    b->cand = anas_malloc((size_t)nc * sizeof(*b->cand));
    b->acq = anas_malloc((size_t)nc * sizeof(*b->acq));
    b->xs = anas_malloc((size_t)CHUNK * (size_t)b->d * sizeof(*b->xs));
    b->mu = anas_malloc(CHUNK * sizeof(*b->mu));
    b->var = anas_malloc(CHUNK * sizeof(*b->var));
    if (!b->cand || !b->acq || !b->xs || !b->mu || !b->var)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for %d candidates", nc);
    while (rc >= 0 && b->made < b->batch && b->made < b->budget)
        rc = make(s, b);
    return rc < 0 ? anas_error_set(err, rc, "cannot make the first proposals") : 0;
}

static void fini(struct anas_search *s)
{
    state_free(anas_search_state(s));
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    struct bo *b = anas_search_state(s);
    int k = 0;

    for (; k < max && b->proposed < b->made; k++)
        out[k] = b->rec[b->proposed++].cfg;
    *n_out = k;
    return 0;
}

/* One result, in proposal order; then the proposal it makes due. */
static int observe_one(struct anas_search *s, struct bo *b, const struct anas_search_result *res)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct rec *r = &b->rec[b->observed];

    anas_search_point_of(spec, res, &r->pt);
    r->ok = res->ok;
    for (int j = 0; j < spec->n_objectives; j++)
        r->ok = r->ok && isfinite(r->pt.f[j]);
    for (int k = 0; k < b->n_meas; k++) {
        double v = NAN;
        if (!res->ok ||
            anas_metrics_get(&res->metrics, spec->constraints[b->meas[k]].metric, &v) < 0)
            v = NAN;
        r->c[k] = v;
    }
    b->observed++;
    return b->made < b->budget ? make(s, b) : 0;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct bo *b = anas_search_state(s);

    for (int k = 0; k < n; k++) {
        int rc = observe_one(s, b, &res[k]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot make proposal %d", b->made);
    }
    return 0;
}

static int info(const struct anas_search *s, struct anas_metrics *out)
{
    const struct bo *b = anas_search_state(s);

    anas_metrics_set(out, "gp_points", b->obj.gp.n);
    anas_metrics_set(out, "gp_refits", (double)b->refits);
    if (b->obj.gp.n)
        anas_metrics_set(out, "gp_noise", b->obj.h.sn2);
    return 0;
}

const struct anas_search_ops anas__search_bo_ops = {
    .name = "bo",
    .help = "Bayesian optimisation: a Gaussian process (Matern 5/2, ARD) on the encoded "
            "configuration, expected improvement maximised by an inner evolutionary search, "
            "constant-liar batches, ParEGO for several objectives, feasibility probability "
            "for measured constraints",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
    .info = info,
};
