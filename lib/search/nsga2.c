/*
 * nsga2.c - NSGA-II (Deb et al. 2002, "A fast and elitist multiobjective
 * genetic algorithm: NSGA-II") and its steady-state form ssNSGA-II
 * (Durillo et al. 2009, "On the effect of the steady-state selection
 * scheme in multi-objective genetic algorithms"), on the numeric encoding
 * of the space (anas_space_encode/decode).
 *
 * An individual is a genotype in [0, 1]^n, one gene per hyperparameter,
 * inactive ones included: when a group becomes active again its genes
 * carry on from where they were instead of restarting at the lowest value.
 * The operators are pymoo's: SimulatedBinaryCrossover (each gene crossed
 * with probability 1/2, children swapped with probability 1/2) and
 * PolynomialMutation (Deb's bounded form). Discrete genes are then rounded
 * to the nearest choice or integer, as DyNAS-T's RoundingRepair does, so
 * the genotype says what the configuration is. Selection is a binary
 * tournament on (rank, crowding distance), survival fills the population
 * by non-dominated fronts and then by crowding, both under Deb's
 * constraint-domination (anas_pareto_*): a feasible result beats an
 * infeasible one, and infeasible ones are ranked by their violation, a
 * failed evaluation (violation INFINITY) last.
 *
 * Generational mode hands out a whole generation and breeds the next when
 * its last result arrives. Steady-state mode, once the initial population
 * is back, keeps `batch` children out: each result joins the population,
 * the worst member (last front, least crowded) leaves, and a new child is
 * bred at once, so a free worker never waits for a generation to finish.
 *
 * Children are bred inside observe(), one result at a time, never in
 * propose(): which population a child comes from then depends only on the
 * results, not on how the caller splits its calls, so replaying the
 * results into a fresh search with the same seed proposes the same
 * configurations. A child that repeats an earlier proposal, or fails an
 * analytic constraint when the spec has a shape, is bred again (bounded,
 * then drawn at random, then proposed anyway).
 */
#include "config.h"

#include "search/search_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "search/nsga2_int.h"

enum {
    P_POPULATION_SIZE,
    P_GENERATIONS,
    P_CROSSOVER_PROB,
    P_CROSSOVER_ETA,
    P_MUTATION_PROB,
    P_MUTATION_ETA,
    P_STEADY_STATE,
    P_BATCH,
};

static const struct anas_param_desc params[] = {
    [P_POPULATION_SIZE] = {"population_size", 1, 4, 10000, 20,
                           "individuals in the population"},
    [P_GENERATIONS] = {"generations", 1, 0, 100000, 10,
                       "generations bred after the initial population (steady state: "
                       "population_size children each)"},
    [P_CROSSOVER_PROB] = {"crossover_prob", 0, 0, 1, 0.9,
                          "probability that a mating applies SBX crossover"},
    [P_CROSSOVER_ETA] = {"crossover_eta", 0, 0, 1000, 15,
                         "SBX distribution index: larger keeps children nearer their "
                         "parents"},
    [P_MUTATION_PROB] = {"mutation_prob", 0, 0, 1, NAN,
                         "probability that polynomial mutation moves a gene (default: 1 "
                         "/ the number of hyperparameters)"},
    [P_MUTATION_ETA] = {"mutation_eta", 0, 0, 1000, 20,
                        "polynomial mutation's distribution index"},
    [P_STEADY_STATE] = {"steady_state", 1, 0, 1, 0,
                        "1: ssNSGA-II, each result replaces the worst member and a "
                        "new child goes out at once"},
    [P_BATCH] = {"batch", 1, 1, ANAS_SEARCH_MAX_BATCH, 8,
                 "steady state: children out at once (evaluated in parallel)"},
};

/* Attempts at a fresh, screened child: bred, then drawn at random. */
enum { TRIES_BRED = 100, TRIES_RANDOM = 100 };

/* Two parents closer than this are not crossed (pymoo's eps). */
#define SBX_EPS 1.0e-14

struct ind {
    double x[ANAS_SPACE_MAX_HP]; /* the genotype, inactive genes included */
    struct anas_config cfg;      /* its decoding */
    struct anas_search_point pt; /* its result, once observed */
    int rank;
    double crowd;
};

/* Every configuration proposed so far, for refusing repeats: their values
 * in proposal order and an open-addressing index over them. */
struct seen {
    int n_hp;
    double *v;    /* n x n_hp */
    long n, cap;
    long *slot;   /* n_slots entries, -1 when empty */
    long n_slots; /* a power of two, at least twice n */
};

struct keyed {
    int rank;
    double crowd;
    int pos;
};

struct nsga2 {
    int n_pop, n_genes, d, steady, batch;
    long budget;
    double pc, eta_c, pm, eta_m;
    int have_pop;               /* the initial population is back */
    struct ind *pop;            /* [n_pop] */
    struct ind *pool;           /* [2 n_pop + 1] parents and children */
    struct ind *pend;           /* ring [cap]: made, not yet observed */
    int cap;
    long made, proposed, observed;
    struct ind spare;           /* a mating's second child */
    int has_spare;
    struct anas_search_point *pts; /* scratch, [2 n_pop + 1] each */
    int *rank, *idx;
    double *crowd;
    struct keyed *order;
    struct seen seen;
};

static long budget(const struct anas_search_spec *spec)
{
    return (long)spec->params[P_POPULATION_SIZE] * (1 + (long)spec->params[P_GENERATIONS]);
}

/* --- The record of proposals --- */

static uint64_t hash_values(const double *v, int n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (int i = 0; i < n; i++) {
        double x = v[i] + 0.0; /* -0 and 0 are one value */
        unsigned char b[sizeof x];
        memcpy(b, &x, sizeof x);
        for (size_t k = 0; k < sizeof x; k++)
            h = (h ^ b[k]) * 1099511628211ULL;
    }
    return h;
}

static int same_values(const double *a, const double *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* The slot holding v, or the empty slot where it would go. */
static long seen_slot(const struct seen *s, const double *v)
{
    long mask = s->n_slots - 1, at = (long)(hash_values(v, s->n_hp) & (uint64_t)mask);

    while (s->slot[at] >= 0 && !same_values(s->v + s->slot[at] * s->n_hp, v, s->n_hp))
        at = (at + 1) & mask;
    return at;
}

static int seen_has(const struct seen *s, const double *v)
{
    return s->n_slots > 0 && s->slot[seen_slot(s, v)] >= 0;
}

static int seen_rehash(struct seen *s, long n_slots)
{
    long *old = s->slot, n_old = s->n_slots;

    s->slot = anas_malloc((size_t)n_slots * sizeof(*s->slot));
    if (!s->slot) {
        s->slot = old;
        return ANAS_ENOMEM;
    }
    s->n_slots = n_slots;
    for (long i = 0; i < n_slots; i++)
        s->slot[i] = -1;
    for (long i = 0; i < n_old; i++)
        if (old[i] >= 0)
            s->slot[seen_slot(s, s->v + old[i] * s->n_hp)] = old[i];
    anas_free(old);
    return 0;
}

static int seen_add(struct seen *s, const double *v)
{
    if (s->n == s->cap) {
        long cap = s->cap ? 2 * s->cap : 64;
        double *nv = anas_realloc(s->v, (size_t)cap * (size_t)s->n_hp * sizeof(*nv));
        if (!nv)
            return ANAS_ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    if (2 * (s->n + 1) > s->n_slots &&
        seen_rehash(s, s->n_slots ? 2 * s->n_slots : 128) < 0)
        return ANAS_ENOMEM;
    memcpy(s->v + s->n * s->n_hp, v, (size_t)s->n_hp * sizeof(*v));
    s->slot[seen_slot(s, v)] = s->n++;
    return 0;
}

/* --- Genotypes --- */

/* Positions of a discrete gene minus one; 0 for a float. */
static double gene_span(const struct anas_hp *hp)
{
    if (hp->kind == ANAS_HP_CHOICE)
        return hp->n_choices - 1;
    if (hp->kind == ANAS_HP_INT)
        return hp->hi - hp->lo;
    return 0;
}

/* Clamp into [0, 1] and round discrete genes to their nearest position,
 * where anas_space_decode would round them. */
static void repair(const struct anas_space *space, double *x)
{
    for (int i = 0; i < anas_space_n_hp(space); i++) {
        const struct anas_hp *hp = anas_space_hp(space, i);
        double span = gene_span(hp);
        double v = x[i] < 0 ? 0 : x[i] > 1 ? 1 : x[i];
        if (hp->kind != ANAS_HP_FLOAT)
            v = span > 0 ? floor(v * span + 0.5) / span : 0;
        x[i] = v;
    }
}

/* Every gene uniform over its values, inactive ones too. */
static void random_genotype(const struct anas_space *space, struct anas_rng *rng, double *x)
{
    for (int i = 0; i < anas_space_n_hp(space); i++) {
        const struct anas_hp *hp = anas_space_hp(space, i);
        double span = gene_span(hp);
        if (hp->kind == ANAS_HP_FLOAT)
            x[i] = anas_rng_uniform(rng);
        else
            x[i] = span > 0 ? anas_rng_int(rng, 0, (long)span + 1) / span : 0;
    }
}

/* pymoo's calc_betaq in cross_sbx. */
static double sbx_betaq(double beta, double u, double eta)
{
    double alpha = 2.0 - pow(beta, -(eta + 1.0));

    if (u <= 1.0 / alpha)
        return pow(u * alpha, 1.0 / (eta + 1.0));
    return pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
}

/* pymoo's cross_sbx on bounds [0, 1], prob_var 0.5, prob_bin 0.5. */
static void sbx(struct anas_rng *rng, double eta, double *a, double *b, int n)
{
    for (int i = 0; i < n; i++) {
        double y1 = fmin(a[i], b[i]), y2 = fmax(a[i], b[i]), delta = y2 - y1, u, c1, c2;

        if (anas_rng_uniform(rng) >= 0.5 || delta <= SBX_EPS)
            continue;
        u = anas_rng_uniform(rng);
        c1 = 0.5 * ((y1 + y2) - sbx_betaq(1.0 + 2.0 * y1 / delta, u, eta) * delta);
        c2 = 0.5 * ((y1 + y2) + sbx_betaq(1.0 + 2.0 * (1.0 - y2) / delta, u, eta) * delta);
        if (anas_rng_uniform(rng) < 0.5) {
            double t = c1;
            c1 = c2;
            c2 = t;
        }
        a[i] = fmin(fmax(c1, 0.0), 1.0);
        b[i] = fmin(fmax(c2, 0.0), 1.0);
    }
}

/* pymoo's mut_pm on bounds [0, 1]: Deb's bounded polynomial mutation. */
static void polynomial_mutation(struct anas_rng *rng, double prob, double eta, double *x,
                                int n)
{
    double pw = 1.0 / (eta + 1.0);

    for (int i = 0; i < n; i++) {
        double u, dq, y;

        if (anas_rng_uniform(rng) >= prob)
            continue;
        u = anas_rng_uniform(rng);
        if (u <= 0.5)
            dq = pow(2.0 * u + (1.0 - 2.0 * u) * pow(1.0 - x[i], eta + 1.0), pw) - 1.0;
        else
            dq = 1.0 - pow(2.0 * (1.0 - u) + 2.0 * (u - 0.5) * pow(x[i], eta + 1.0), pw);
        y = x[i] + dq;
        x[i] = fmin(fmax(y, 0.0), 1.0);
    }
}

/* --- Ranking --- */

static int better(const struct ind *a, const struct ind *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return a->crowd > b->crowd;
}

/* Binary tournament between two distinct members; a tie is a coin toss. */
static const struct ind *tournament(struct nsga2 *st, struct anas_rng *rng)
{
    int i = (int)anas_rng_int(rng, 0, st->n_pop);
    int j = (int)anas_rng_int(rng, 0, st->n_pop - 1);
    const struct ind *a, *b;

    j += j >= i;
    a = &st->pop[i];
    b = &st->pop[j];
    if (better(a, b))
        return a;
    if (better(b, a))
        return b;
    return anas_rng_uniform(rng) < 0.5 ? a : b;
}

/* Rank v[0..n) into fronts and give each member its crowding distance
 * within its front; an infeasible front has none (its members differ by
 * violation, not by objectives). */
static int rank_and_crowd(struct nsga2 *st, struct ind *v, int n)
{
    int n_fronts;

    for (int i = 0; i < n; i++)
        st->pts[i] = v[i].pt;
    n_fronts = anas_pareto_sort(st->pts, n, st->d, st->rank);
    if (n_fronts < 0)
        return n_fronts;
    for (int r = 0; r < n_fronts; r++) {
        int m = 0, rc;
        for (int i = 0; i < n; i++)
            if (st->rank[i] == r)
                st->idx[m++] = i;
        if (m == 0)
            continue;
        if (st->pts[st->idx[0]].viol > 0) {
            for (int k = 0; k < m; k++)
                st->crowd[k] = 0;
        } else if ((rc = anas_pareto_crowding(st->pts, st->d, st->idx, m, st->crowd)) < 0) {
            return rc;
        }
        for (int k = 0; k < m; k++) {
            v[st->idx[k]].rank = r;
            v[st->idx[k]].crowd = isnan(st->crowd[k]) ? 0 : st->crowd[k];
        }
    }
    return 0;
}

static int by_standing(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->crowd != b->crowd)
        return a->crowd > b->crowd ? -1 : 1;
    return a->pos - b->pos;
}

/* Survival: the best n_pop of pool[0..n) by front, then crowding (ties to
 * the earlier), become the population, ranked afresh. */
static int survive(struct nsga2 *st, int n)
{
    int rc = rank_and_crowd(st, st->pool, n);

    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        st->order[i] = (struct keyed){st->pool[i].rank, st->pool[i].crowd, i};
    qsort(st->order, (size_t)n, sizeof(*st->order), by_standing);
    for (int i = 0; i < st->n_pop; i++)
        st->pop[i] = st->pool[st->order[i].pos];
    st->has_spare = 0; /* bred from the old population */
    return rank_and_crowd(st, st->pop, st->n_pop);
}

/* --- Breeding --- */

/* The next bred genotype: the spare from the last mating, or a new
 * mating's first child (keeping its second). */
static void breed(struct nsga2 *st, const struct anas_space *space, struct anas_rng *rng,
                  double *x)
{
    const struct ind *a, *b;
    int n = st->n_genes;

    if (st->has_spare) {
        memcpy(x, st->spare.x, (size_t)n * sizeof(*x));
        st->has_spare = 0;
        return;
    }
    a = tournament(st, rng);
    b = tournament(st, rng);
    memcpy(x, a->x, (size_t)n * sizeof(*x));
    memcpy(st->spare.x, b->x, (size_t)n * sizeof(*x));
    if (anas_rng_uniform(rng) < st->pc)
        sbx(rng, st->eta_c, x, st->spare.x, n);
    polynomial_mutation(rng, st->pm, st->eta_m, x, n);
    polynomial_mutation(rng, st->pm, st->eta_m, st->spare.x, n);
    repair(space, x);
    repair(space, st->spare.x);
    st->has_spare = 1;
}

/* How good a candidate is: 2 fresh and passing the analytic constraints,
 * 1 fresh only, 0 a repeat. */
static int merit(struct anas_search *s, struct nsga2 *st, const struct anas_config *cfg)
{
    if (seen_has(&st->seen, cfg->v))
        return 0;
    return 1 + anas_search_analytic_ok(anas_search_spec_of(s), cfg);
}

/* Make the next individual into the ring: bred (or random when `bred` is
 * 0, as for the initial population), screened, recorded. */
static int make_one(struct anas_search *s, struct nsga2 *st, int bred,
                    struct anas_error *err)
{
    const struct anas_space *space = anas_search_spec_of(s)->space;
    struct anas_rng *rng = anas_search_rng(s);
    struct ind *out = &st->pend[st->made % st->cap], cand;
    int best = -1, rc;

    for (int t = 0; t < TRIES_BRED + TRIES_RANDOM && best < 2; t++) {
        int m;
        if (bred && t < TRIES_BRED)
            breed(st, space, rng, cand.x);
        else
            random_genotype(space, rng, cand.x);
        if (anas_space_decode(space, cand.x, &cand.cfg, NULL) < 0)
            continue;
        m = merit(s, st, &cand.cfg);
        if (m > best) {
            *out = cand;
            best = m;
        }
    }
    if (best < 0)
        return anas_error_set(err, ANAS_EINVAL,
                              "no valid configuration of %s in %d attempts",
                              anas_space_name(space), TRIES_BRED + TRIES_RANDOM);
    rc = seen_add(&st->seen, out->cfg.v);
    if (rc < 0)
        return anas_error_set(err, rc, "out of memory recording proposals");
    memset(&out->pt, 0, sizeof out->pt);
    out->rank = 0;
    out->crowd = 0;
    st->made++;
    return 0;
}

static int make_many(struct anas_search *s, struct nsga2 *st, long n, int bred,
                     struct anas_error *err)
{
    if (n > st->budget - st->made)
        n = st->budget - st->made;
    for (long i = 0; i < n; i++) {
        int rc = make_one(s, st, bred, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- Results --- */

/* The last result of the initial population is in. */
static int start(struct anas_search *s, struct nsga2 *st, struct anas_error *err)
{
    int rc;

    for (int i = 0; i < st->n_pop; i++)
        st->pop[i] = st->pend[i];
    rc = rank_and_crowd(st, st->pop, st->n_pop);
    if (rc < 0)
        return anas_error_set(err, rc, "out of memory ranking the population");
    st->have_pop = 1;
    return make_many(s, st, st->steady ? st->batch : st->n_pop, 1, err);
}

/* Steady state: the child joins, the worst leaves, the next child is
 * bred. The child goes first in the pool so that it wins ties. */
static int replace_worst(struct anas_search *s, struct nsga2 *st, const struct ind *child,
                         struct anas_error *err)
{
    int rc;

    st->pool[0] = *child;
    memcpy(st->pool + 1, st->pop, (size_t)st->n_pop * sizeof(*st->pop));
    rc = survive(st, st->n_pop + 1);
    if (rc < 0)
        return anas_error_set(err, rc, "out of memory ranking the population");
    return make_many(s, st, 1, 1, err);
}

/* Generational: the last child of the generation is in. */
static int next_generation(struct anas_search *s, struct nsga2 *st, struct anas_error *err)
{
    int rc;

    for (int i = 0; i < st->n_pop; i++)
        st->pool[i] = st->pend[(st->observed - st->n_pop + i) % st->cap];
    memcpy(st->pool + st->n_pop, st->pop, (size_t)st->n_pop * sizeof(*st->pop));
    rc = survive(st, 2 * st->n_pop);
    if (rc < 0)
        return anas_error_set(err, rc, "out of memory ranking the population");
    return make_many(s, st, st->n_pop, 1, err);
}

/* Take one result, the oldest one out. */
static int take(struct anas_search *s, struct nsga2 *st, const struct anas_search_result *r,
                struct anas_error *err)
{
    struct ind *item = &st->pend[st->observed % st->cap];

    anas_search_point_of(anas_search_spec_of(s), r, &item->pt);
    st->observed++;
    if (!st->have_pop)
        return st->observed == st->n_pop ? start(s, st, err) : 0;
    if (st->steady)
        return replace_worst(s, st, item, err);
    return st->observed == st->made ? next_generation(s, st, err) : 0;
}

/* --- The ops --- */

static void state_free(struct nsga2 *st)
{
    if (!st)
        return;
    anas_free(st->pop);
    anas_free(st->pool);
    anas_free(st->pend);
    anas_free(st->pts);
    anas_free(st->rank);
    anas_free(st->idx);
    anas_free(st->crowd);
    anas_free(st->order);
    anas_free(st->seen.v);
    anas_free(st->seen.slot);
    anas_free(st);
}

static struct nsga2 *state_new(const struct anas_search_spec *spec)
{
    struct nsga2 *st = anas_calloc(1, sizeof(*st));
    size_t n;

    if (!st)
        return NULL;
    st->n_pop = (int)spec->params[P_POPULATION_SIZE];
    st->n_genes = anas_space_n_hp(spec->space);
    st->d = spec->n_objectives;
    st->steady = spec->params[P_STEADY_STATE] != 0;
    st->batch = (int)spec->params[P_BATCH];
    st->budget = budget(spec);
    st->pc = spec->params[P_CROSSOVER_PROB];
    st->eta_c = spec->params[P_CROSSOVER_ETA];
    st->pm = spec->params[P_MUTATION_PROB];
    if (isnan(st->pm))
        st->pm = 1.0 / st->n_genes;
    st->eta_m = spec->params[P_MUTATION_ETA];
    st->cap = st->steady && st->batch > st->n_pop ? st->batch : st->n_pop;
    st->seen.n_hp = st->n_genes;
    n = 2 * (size_t)st->n_pop + 1;
    st->pop = anas_calloc((size_t)st->n_pop, sizeof(*st->pop));
    st->pool = anas_calloc(n, sizeof(*st->pool));
    st->pend = anas_calloc((size_t)st->cap, sizeof(*st->pend));
    st->pts = anas_calloc(n, sizeof(*st->pts));
    st->rank = anas_calloc(n, sizeof(*st->rank));
    st->idx = anas_calloc(n, sizeof(*st->idx));
    st->crowd = anas_calloc(n, sizeof(*st->crowd));
    st->order = anas_calloc(n, sizeof(*st->order));
    if (!st->pop || !st->pool || !st->pend || !st->pts || !st->rank || !st->idx ||
        !st->crowd || !st->order) {
        state_free(st);
        return NULL;
    }
    return st;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    struct nsga2 *st = state_new(anas_search_spec_of(s));

    if (!st)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for NSGA-II's population");
    anas_search_set_state(s, st);
    return make_many(s, st, st->n_pop, 0, err);
}

static void fini(struct anas_search *s)
{
    state_free(anas_search_state(s));
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    struct nsga2 *st = anas_search_state(s);
    long k = st->made - st->proposed;

    if (k > max)
        k = max;
    for (long i = 0; i < k; i++)
        out[i] = st->pend[(st->proposed + i) % st->cap].cfg;
    st->proposed += k;
    *n_out = (int)k;
    return 0;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct nsga2 *st = anas_search_state(s);

    for (int k = 0; k < n; k++) {
        int rc = take(s, st, &res[k], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int anas__nsga2_population(const struct anas_search *s, struct anas_config *cfg,
                           struct anas_search_point *pt, int *rank, int max)
{
    const struct nsga2 *st;
    int n;

    if (!s || anas_search_spec_of(s)->ops != &anas__search_nsga2_ops)
        return ANAS_EINVAL;
    st = anas_search_state(s);
    if (!st->have_pop)
        return 0;
    n = st->n_pop < max ? st->n_pop : max;
    for (int i = 0; i < n; i++) {
        if (cfg)
            cfg[i] = st->pop[i].cfg;
        if (pt)
            pt[i] = st->pop[i].pt;
        if (rank)
            rank[i] = st->pop[i].rank;
    }
    return n;
}

const struct anas_search_ops anas__search_nsga2_ops = {
    .name = "nsga2",
    .help = "NSGA-II (Deb et al. 2002): non-dominated sorting and crowding under "
            "constraint-domination, SBX crossover and polynomial mutation on the numeric "
            "encoding; steady_state 1 for ssNSGA-II",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = NULL,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
