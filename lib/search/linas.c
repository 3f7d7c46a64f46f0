/*
 * linas.c - LINAS, Lightweight Iterative Neural Architecture Search
 * (Cummings et al. 2022, "Accelerating neural architecture exploration
 * across modalities using genetic algorithms", arXiv:2205.10358; DyNAS-T's
 * dynast/search/search_tactic.py, class LINAS).
 *
 * The loop: `population` configurations are evaluated for real (the first
 * ones uniform random); one XGBoost predictor per objective and per
 * measured constraint metric is fitted on every complete result so far
 * (features: the space's numeric encoding, anas_space_encode); an inner
 * evolutionary search runs for `inner_evaluations` predictor evaluations;
 * its final population is the next batch to evaluate; until `evaluations`.
 *
 * What DyNAS-T does not do, done here:
 * - Analytic metrics (params, macs, tiles, ...) are computed exactly with
 *   anas_space_analytic instead of predicted, when the spec has a shape.
 * - Constraints act inside the inner search: each candidate's violation is
 *   anas_search_violation on its predicted and analytic metrics, and
 *   selection is Deb's constraint-domination (anas__evo_rank).
 * - The inner search starts from the previous inner search's final
 *   population (DyNAS-T's warm start never fires: its population is
 *   rebuilt at random each loop); the first one from the validated random
 *   batch.
 * - Nothing is evaluated twice: members of the final population already
 *   evaluated are skipped, and the gap is filled with the next best inner
 *   candidates (the rest of the last survival pool, then fresh children of
 *   the final population ranked on the predictors, then random draws).
 *   Proposals also pass the analytic constraints (when they can).
 * - Predictor quality: the predictions made for a batch when it was chosen
 *   are scored against its real results (Kendall tau-b, anas_surrogate_
 *   score) before the predictors are refitted on it; ops->info reports them.
 *
 * The inner search for two or more objectives is NSGA-II (Deb et al. 2002):
 * binary tournament on (front, crowding), (mu + lambda) survival by fronts
 * then crowding. For one objective the same loop is a GA with the standing
 * (violation, objective): tournament, crossover, mutation, and elitism by
 * (mu + lambda) truncation, as pymoo's GA with FitnessSurvival. The
 * operators are the space's own (anas_space_crossover, uniform, with
 * probability 0.9 as pymoo's default; then one neighbour move,
 * anas_space_mutate) rather than SBX and polynomial mutation on the
 * encoding: they always give a canonical, valid configuration (no rounding
 * repair, no decode failures wasting predictor calls), a neighbour move
 * changes about one gene as polynomial mutation at rate 1/n does, and
 * children equal to an inner candidate already scored are redrawn, so each
 * of the inner_evaluations predictor calls scores a new architecture.
 *
 * Replay: every decision (fits, inner search, next batch) is made inside
 * observe() when a loop's last result arrives, from the search's generator
 * only, and the predictors are fitted with a fixed seed on one thread, so
 * the same results give the same proposals however the calls are split.
 * propose() only hands the batch out, at most `batch` at once.
 *
 * ops->info: "loops" (batches handed out, the random one included) and
 * "tau<i>.<k>" for objective i, "tauc<j>.<k>" for constraint j (1-based,
 * in the spec's order), k the loop whose batch was scored (2, 3, ...; the
 * first is random); a metric that is both objective and constraint is
 * reported as the objective. NAN when fewer than two of the batch's
 * results could be scored, or when its predictions are all tied (a
 * one-objective batch often sits on one plateau of the trees). When all figures do not fit in an anas_metrics,
 * the latest loops are kept.
 */
#include "config.h"

#include "search/search_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "search/evo.h"
#include "search/linas_int.h"
#include "surrogate/surrogate.h"

enum { P_EVALUATIONS, P_POPULATION, P_INNER_EVALUATIONS, P_BATCH, P_N_ESTIMATORS };

static const struct anas_param_desc params[] = {
    [P_EVALUATIONS] = {"evaluations", 1, 2, 100000, 250,
                       "real evaluations in all (the search's budget)"},
    /* DyNAS-T's default is 50; 25 learns from its results twice as often,
     * and finds a constrained optimum much sooner (tests/bench/
     * search-efficiency: AnalogNAS's avm <= 5 feasible in 7 of 10 seeds
     * within 100 evaluations, 2 of 10 with 50). */
    [P_POPULATION] = {"population", 1, 2, 10000, 25,
                      "configurations evaluated per loop (the first loop's at random), and "
                      "the inner search's population; at most evaluations"},
    [P_INNER_EVALUATIONS] = {"inner_evaluations", 1, 4, 1000000, 5000,
                             "predictor evaluations per inner search (at least twice the "
                             "population)"},
    [P_BATCH] = {"batch", 1, 1, ANAS_SEARCH_MAX_BATCH, 8,
                 "real evaluations out at once (a loop's population is handed out in "
                 "such pieces; the next loop starts when it is all back)"},
    [P_N_ESTIMATORS] = {"n_estimators", 1, 1, 10000, 100,
                        "boosting rounds of each predictor"},
};

/* Every objective and constraint metric, once each. */
#define MAX_TARGETS (ANAS_SEARCH_MAX_OBJECTIVES + ANAS_SEARCH_MAX_CONSTRAINTS)
#define CROSSOVER_PROB 0.9
#define MUTATION_SIGMA 0.1
/* Rounds of fresh children bred to fill a batch, and random draws after. */
#define FILL_ROUNDS 20
#define RANDOM_TRIES 1000
/* Each inner search starts with the best measured results in the last
 * fifth of its population (see inner_start). */
#define INJECT_DIVISOR 5
/* A batch takes at most a tenth of its places (at least one) from
 * candidates the predictors cannot tell apart (see offer). */
#define SAME_DIVISOR 10

struct keyed {
    int rank;
    double crowd;
    int pos;
};

/* A metric the inner search needs: computed (analytic) or predicted. */
struct target {
    char metric[ANAS_METRIC_NAME_MAX];
    char tag[16]; /* "1", "c2": how ops->info names its tau */
    int analytic;
    struct anas_surrogate *model; /* predicted ones: the latest fit, or NULL */
};

/* An inner candidate, or a member of the batch being evaluated. */
struct cand {
    struct anas_config cfg;
    struct anas_search_point pt; /* on the predictors */
    double pred[MAX_TARGETS];    /* predicted values (NAN without a model) */
    double real[MAX_TARGETS];    /* batch members: measured values, or NAN */
};

struct linas {
    int n_pop, n_hp, batch, n_targets;
    long evaluations, inner_evals;
    struct target tg[MAX_TARGETS];
    struct anas_surrogate_fit_params fit;
    /* Every complete result: encoded rows and each predicted target. */
    float *x, *y; /* [evaluations][n_hp], [MAX_TARGETS][evaluations] */
    int n_rows;
    struct anas__seen validated; /* every proposal */
    /* Every observed result: its configuration and real standing. */
    struct anas_config *hist_cfg;
    struct anas_search_point *hist_pt;
    int n_hist;
    /* The loop being evaluated. */
    struct cand *loop; /* [n_pop] */
    int loop_n;
    long made, proposed, observed;
    int loops;
    double *tau; /* [loops][n_targets], loop k (1-based) at k - 1 */
    /* The inner search. */
    struct cand *pop, *pool; /* [n_pop], [2 n_pop]: children then parents */
    struct anas_config *start, *final; /* the latest inner search's populations */
    int has_final;
    struct anas__seen scored;          /* candidates scored in this inner search */
    int *rank, *order;                 /* [2 n_pop] */
    double *crowd;
    struct keyed *keys;
    double *sp, *sy;                   /* [n_pop]: a batch's predictions, results */
    struct anas_search_point *pts;
    float *xbuf, *ybuf; /* [2 n_pop][n_hp], [2 n_pop] */
};

static long budget(const struct anas_search_spec *spec)
{
    return (long)spec->params[P_EVALUATIONS];
}

static int check(const struct anas_search_spec *spec, struct anas_error *err)
{
    if (spec->params[P_POPULATION] > spec->params[P_EVALUATIONS])
        return anas_error_field(err, ANAS_ERANGE, "population",
                                "population (%g) exceeds evaluations (%g)",
                                spec->params[P_POPULATION], spec->params[P_EVALUATIONS]);
    if (spec->params[P_INNER_EVALUATIONS] < 2 * spec->params[P_POPULATION])
        return anas_error_field(err, ANAS_ERANGE, "inner_evaluations",
                                "inner_evaluations (%g) is less than twice the population "
                                "(%g): not one generation",
                                spec->params[P_INNER_EVALUATIONS],
                                spec->params[P_POPULATION]);
    return 0;
}

/* --- Targets --- */

static int find_target(const struct linas *st, const char *metric)
{
    for (int t = 0; t < st->n_targets; t++)
        if (strcmp(st->tg[t].metric, metric) == 0)
            return t;
    return -1;
}

static void add_target(const struct anas_search_spec *spec, struct linas *st,
                       const char *metric, const char *prefix, int i)
{
    struct target *t;

    if (find_target(st, metric) >= 0)
        return;
    t = &st->tg[st->n_targets++];
    snprintf(t->metric, sizeof t->metric, "%s", metric);
    snprintf(t->tag, sizeof t->tag, "%s%d", prefix, i + 1);
    /* Exact when it can be computed here; otherwise learnt like any other. */
    t->analytic = spec->has_shape && anas_search_metric_is_analytic(metric) &&
                  anas_space_has_metric(spec->space, metric) > 0;
}

static void init_targets(const struct anas_search_spec *spec, struct linas *st)
{
    for (int i = 0; i < spec->n_objectives; i++)
        add_target(spec, st, spec->objectives[i].metric, "", i);
    for (int i = 0; i < spec->n_constraints; i++)
        add_target(spec, st, spec->constraints[i].metric, "c", i);
}

static int any_analytic(const struct linas *st)
{
    for (int t = 0; t < st->n_targets; t++)
        if (st->tg[t].analytic)
            return 1;
    return 0;
}

/* --- Scoring candidates on the predictors --- */

/* Predict every predicted target of c[0..n) (n <= 2 n_pop), add the
 * analytic metrics, and judge the result as the spec judges real ones. */
static int score(const struct anas_search_spec *spec, struct linas *st, struct cand *c,
                 int n, struct anas_error *err)
{
    int analytic = any_analytic(st);

    for (int i = 0; i < n; i++) {
        double e[ANAS_SPACE_MAX_HP];
        anas_space_encode(spec->space, &c[i].cfg, e);
        for (int k = 0; k < st->n_hp; k++)
            st->xbuf[(size_t)i * st->n_hp + k] = (float)e[k];
    }
    for (int t = 0; t < st->n_targets; t++) {
        int rc = 0;
        if (st->tg[t].analytic)
            continue;
        if (st->tg[t].model)
            rc = anas_surrogate_predict(st->tg[t].model, st->xbuf, n, st->n_hp, st->ybuf,
                                        err);
        if (rc < 0)
            return rc;
        for (int i = 0; i < n; i++)
            c[i].pred[t] = st->tg[t].model ? (double)st->ybuf[i] : NAN;
    }
    for (int i = 0; i < n; i++) {
        struct anas_search_result r = {.config = c[i].cfg, .ok = 1};
        anas_metrics_init(&r.metrics);
        if (analytic)
            anas_space_analytic(spec->space, &spec->shape, &c[i].cfg, &spec->mapping,
                                &r.metrics, NULL);
        for (int t = 0; t < st->n_targets; t++) {
            if (!st->tg[t].analytic && !isnan(c[i].pred[t]))
                anas_metrics_set(&r.metrics, st->tg[t].metric, c[i].pred[t]);
            else if (st->tg[t].analytic &&
                     anas_metrics_get(&r.metrics, st->tg[t].metric, &c[i].pred[t]) < 0)
                c[i].pred[t] = NAN;
        }
        anas_search_point_of(spec, &r, &c[i].pt);
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

/* Standing of c[0..n) into st->rank/crowd, and st->order[0..n) the
 * indices best first (ties to the earlier). */
static int rank_order(const struct anas_search_spec *spec, struct linas *st,
                      const struct cand *c, int n)
{
    int rc;

    for (int i = 0; i < n; i++)
        st->pts[i] = c[i].pt;
    rc = anas__evo_rank(spec, st->pts, n, st->rank, st->crowd);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        st->keys[i] = (struct keyed){st->rank[i], isnan(st->crowd[i]) ? 0 : st->crowd[i], i};
    qsort(st->keys, (size_t)n, sizeof(*st->keys), by_standing);
    for (int i = 0; i < n; i++)
        st->order[i] = st->keys[i].pos;
    return 0;
}

/* --- The inner search --- */

/* Binary tournament among the population (ranked in st->rank/crowd). */
static const struct cand *tournament(struct linas *st, struct anas_rng *rng)
{
    int i = (int)anas_rng_int(rng, 0, st->n_pop);
    int j = (int)anas_rng_int(rng, 0, st->n_pop - 1);

    j += j >= i;
    if (anas__evo_better(st->rank, st->crowd, i, j))
        return &st->pop[i];
    if (anas__evo_better(st->rank, st->crowd, j, i))
        return &st->pop[j];
    return anas_rng_uniform(rng) < 0.5 ? &st->pop[i] : &st->pop[j];
}

/* n children of the population into out[0..n), each new to this inner
 * search (anas__evo_mutate redraws repeats and analytic failures). */
static int breed(struct anas_search *s, struct linas *st, struct cand *out, int n)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct anas_rng *rng = anas_search_rng(s);

    for (int i = 0; i < n; i++) {
        const struct cand *a = tournament(st, rng);
        struct anas_config child = a->cfg;
        int rc = 0;
        if (anas_rng_uniform(rng) < CROSSOVER_PROB)
            rc = anas_space_crossover(spec->space, rng, &a->cfg, &tournament(st, rng)->cfg,
                                      &child);
        if (rc < 0 ||
            (rc = anas__evo_mutate(s, &st->scored, &child, MUTATION_SIGMA, &out[i].cfg)) < 0)
            return rc;
    }
    return 0;
}

/* Rank the population afresh (for tournaments). */
static int rank_pop(const struct anas_search_spec *spec, struct linas *st)
{
    return rank_order(spec, st, st->pop, st->n_pop);
}

/* One generation: children into pool[0..n_pop), the population after
 * them (children win ties), the best n_pop of the pool survive. */
static int generation(struct anas_search *s, struct linas *st, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int n = st->n_pop, rc;

    if ((rc = breed(s, st, st->pool, n)) < 0 || (rc = score(spec, st, st->pool, n, err)) < 0)
        return rc;
    memcpy(st->pool + n, st->pop, (size_t)n * sizeof(*st->pop));
    if ((rc = rank_order(spec, st, st->pool, 2 * n)) < 0)
        return rc;
    for (int i = 0; i < n; i++)
        st->pop[i] = st->pool[st->order[i]];
    return rank_pop(spec, st);
}

/* The last generation's pool (its children and their parents), best
 * first: the inner search's candidates in the order a batch takes them. */
static int order_rest(const struct anas_search_spec *spec, struct linas *st)
{
    int n = st->n_pop, rc;
    struct cand *tmp = anas_malloc(2 * (size_t)n * sizeof *tmp);

    if (!tmp)
        return ANAS_ENOMEM;
    memcpy(tmp, st->pool, 2 * (size_t)n * sizeof *tmp);
    rc = rank_order(spec, st, tmp, 2 * n);
    for (int i = 0; rc == 0 && i < 2 * n; i++)
        st->pool[i] = tmp[st->order[i]];
    anas_free(tmp);
    return rc;
}

/* The measured results best first by their real standing (Deb's
 * constraint-domination; fronts then crowding for several objectives):
 * their indices into order[0..n_hist). */
static int hist_order(const struct anas_search_spec *spec, const struct linas *st, int *order)
{
    int n = st->n_hist, *rank = anas_malloc((size_t)n * sizeof(*rank)), rc;
    double *crowd = anas_malloc((size_t)n * sizeof(*crowd));
    struct keyed *keys = anas_malloc((size_t)n * sizeof(*keys));

    rc = rank && crowd && keys ? anas__evo_rank(spec, st->hist_pt, n, rank, crowd)
                               : ANAS_ENOMEM;
    for (int i = 0; rc == 0 && i < n; i++)
        keys[i] = (struct keyed){rank[i], isnan(crowd[i]) ? 0 : crowd[i], i};
    if (rc == 0)
        qsort(keys, (size_t)n, sizeof(*keys), by_standing);
    for (int i = 0; rc == 0 && i < n; i++)
        order[i] = keys[i].pos;
    anas_free(rank);
    anas_free(crowd);
    anas_free(keys);
    return rc;
}

/* The initial population: the last inner search's final one (its best
 * four fifths by the predictors), then the best measured results not
 * already in it (a fifth: the predictors may have drifted away from what
 * really worked, and children of these search around it; when nothing is
 * feasible yet, the results nearest feasibility), else the batch just
 * evaluated; topped up at random. Every member is recorded as scored so
 * that no child repeats it. */
static int inner_start(struct anas_search *s, struct linas *st)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int have = st->has_final ? st->n_pop - st->n_pop / INJECT_DIVISOR : st->loop_n, n, rc;
    int *order;

    anas__seen_free(&st->scored);
    memset(&st->scored, 0, sizeof st->scored);
    for (n = 0; n < have; n++) {
        st->pop[n].cfg = st->has_final ? st->final[n] : st->loop[n].cfg;
        if ((rc = anas__seen_add(&st->scored, spec->space, &st->pop[n].cfg)) < 0)
            return rc;
    }
    if (!(order = anas_malloc((size_t)(st->n_hist + 1) * sizeof(*order))))
        return ANAS_ENOMEM;
    rc = hist_order(spec, st, order);
    for (int i = 0; rc == 0 && i < st->n_hist && n < st->n_pop; i++) {
        const struct anas_config *c = &st->hist_cfg[order[i]];
        if (anas__seen_has(&st->scored, spec->space, c))
            continue;
        st->pop[n].cfg = *c;
        rc = anas__seen_add(&st->scored, spec->space, &st->pop[n++].cfg);
    }
    anas_free(order);
    if (rc < 0)
        return rc;
    for (; n < st->n_pop; n++)
        if ((rc = anas__evo_sample(s, &st->scored, &st->pop[n].cfg)) < 0)
            return rc;
    for (int i = 0; i < st->n_pop; i++)
        st->start[i] = st->pop[i].cfg;
    return 0;
}

static int inner_search(struct anas_search *s, struct linas *st, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    long gens = st->inner_evals / st->n_pop - 1; /* >= 1: check() */
    int rc;

    if ((rc = inner_start(s, st)) < 0 || (rc = score(spec, st, st->pop, st->n_pop, err)) < 0 ||
        (rc = rank_pop(spec, st)) < 0)
        return rc;
    for (long g = 0; g < gens; g++)
        if ((rc = generation(s, st, err)) < 0)
            return rc;
    for (int i = 0; i < st->n_pop; i++)
        st->final[i] = st->pop[i].cfg;
    st->has_final = 1;
    return order_rest(spec, st);
}

/* --- The next batch --- */

static int fresh(const struct anas_search_spec *spec, const struct linas *st,
                 const struct anas_config *cfg, int screen)
{
    return !anas__seen_has(&st->validated, spec->space, cfg) &&
           (!screen || anas_search_analytic_ok(spec, cfg));
}

/* How many batch members have every prediction equal to c's (0 when c
 * has none: a random draw). */
static int same_predictions(const struct linas *st, const struct cand *c)
{
    int same = 0;

    for (int t = 0; t < st->n_targets; t++)
        if (!st->tg[t].analytic && isnan(c->pred[t]))
            return 0;
    for (int i = 0; i < st->loop_n; i++) {
        int eq = 1;
        for (int t = 0; t < st->n_targets && eq; t++)
            eq = st->loop[i].pred[t] == c->pred[t];
        same += eq;
    }
    return same;
}

/* Put c into the batch (recorded as validated) when it is fresh, and
 * when the batch does not already hold its share of candidates the
 * predictors cannot tell from c. XGBoost's predictions are piecewise
 * constant, and so are AnalogNAS's own surrogates: a GA's final
 * population often sits on one plateau of them, and evaluating fifty
 * neighbours there teaches the predictors little (and, under a
 * constraint, tends to land fifty times on the same side of it). */
static int offer(const struct anas_search_spec *spec, struct linas *st,
                 const struct cand *c, int screen, int want)
{
    int rc, share = want / SAME_DIVISOR > 1 ? want / SAME_DIVISOR : 1;

    if (st->loop_n >= want || !fresh(spec, st, &c->cfg, screen) ||
        same_predictions(st, c) >= share)
        return 0;
    if ((rc = anas__seen_add(&st->validated, spec->space, &c->cfg)) < 0)
        return rc;
    st->loop[st->loop_n] = *c;
    for (int t = 0; t < MAX_TARGETS; t++)
        st->loop[st->loop_n].real[t] = NAN;
    st->loop_n++;
    return 0;
}

/* Fill up with random draws: analytic-screened first, then any fresh one. */
static int fill_random(struct anas_search *s, struct linas *st, int want)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);

    for (int t = 0; t < 2 * RANDOM_TRIES && st->loop_n < want; t++) {
        struct cand c;
        int rc = anas_space_sample(spec->space, anas_search_rng(s), &c.cfg);
        for (int k = 0; k < MAX_TARGETS; k++)
            c.pred[k] = NAN;
        memset(&c.pt, 0, sizeof c.pt);
        if (rc < 0 || (rc = offer(spec, st, &c, t < RANDOM_TRIES, want)) < 0)
            return rc;
    }
    return 0;
}

/* The inner search's candidates best first, then fresh children of its
 * final population ranked on the predictors, then random ones. */
static int fill_batch(struct anas_search *s, struct linas *st, int want,
                      struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int rc;

    for (int i = 0; i < 2 * st->n_pop; i++)
        if ((rc = offer(spec, st, &st->pool[i], 1, want)) < 0)
            return rc;
    for (int round = 0; round < FILL_ROUNDS && st->loop_n < want; round++) {
        struct cand *kids = st->pool + st->n_pop;
        if ((rc = rank_pop(spec, st)) < 0 || (rc = breed(s, st, kids, st->n_pop)) < 0 ||
            (rc = score(spec, st, kids, st->n_pop, err)) < 0 ||
            (rc = rank_order(spec, st, kids, st->n_pop)) < 0)
            return rc;
        for (int i = 0; i < st->n_pop; i++)
            if ((rc = offer(spec, st, &kids[st->order[i]], 1, want)) < 0)
                return rc;
    }
    return fill_random(s, st, want);
}

/* --- Learning from a finished loop --- */

/* Kendall tau of the predictions made for the batch on its results. */
static void score_loop(struct linas *st)
{
    double *tau = st->tau + (size_t)(st->loops - 1) * st->n_targets;

    for (int t = 0; t < st->n_targets; t++) {
        struct anas_surrogate_quality q;
        int n = 0;
        tau[t] = NAN;
        if (st->tg[t].analytic)
            continue;
        for (int i = 0; i < st->loop_n; i++)
            if (!isnan(st->loop[i].pred[t]) && !isnan(st->loop[i].real[t])) {
                st->sp[n] = st->loop[i].pred[t];
                st->sy[n++] = st->loop[i].real[t];
            }
        if (n < 2)
            continue;
        anas_surrogate_score(st->sp, st->sy, n, &q);
        tau[t] = q.kendall_tau;
    }
}

static int refit(struct linas *st, struct anas_error *err)
{
    for (int t = 0; t < st->n_targets; t++) {
        struct target *tg = &st->tg[t];
        if (tg->analytic || st->n_rows < 2)
            continue;
        anas_surrogate_free(tg->model);
        tg->model = anas_surrogate_fit(st->x, st->y + (size_t)t * st->evaluations, st->n_rows,
                                       st->n_hp, &st->fit, err);
        if (!tg->model)
            return err ? err->code : ANAS_EINVAL;
    }
    return 0;
}

/* A loop's last result is in: score its predictions, refit, search the
 * predictors, choose the next batch. */
static int end_loop(struct anas_search *s, struct linas *st, struct anas_error *err)
{
    long left = st->evaluations - st->made;
    int want = left < st->n_pop ? (int)left : st->n_pop, rc;

    if (st->loops > 1)
        score_loop(st);
    if (want == 0)
        return 0;
    if ((rc = refit(st, err)) < 0 || (rc = inner_search(s, st, err)) < 0)
        return rc;
    st->loop_n = 0;
    if ((rc = fill_batch(s, st, want, err)) < 0)
        return rc;
    st->made += st->loop_n;
    st->loops += st->loop_n > 0;
    return 0;
}

/* Record one result: its measured targets, and a training row when all
 * the predicted ones are there. */
static int take(struct anas_search *s, struct linas *st, const struct anas_search_result *r,
                struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct cand *c = &st->loop[st->loop_n - (st->made - st->observed)];
    int complete = r->ok;

    st->hist_cfg[st->n_hist] = c->cfg;
    anas_search_point_of(spec, r, &st->hist_pt[st->n_hist++]);
    for (int t = 0; t < st->n_targets; t++) {
        double v;
        c->real[t] = NAN;
        if (r->ok && anas_metrics_get(&r->metrics, st->tg[t].metric, &v) == 0 && isfinite(v))
            c->real[t] = v;
        complete &= st->tg[t].analytic || !isnan(c->real[t]);
    }
    if (complete) {
        double e[ANAS_SPACE_MAX_HP];
        anas_space_encode(spec->space, &c->cfg, e);
        for (int k = 0; k < st->n_hp; k++)
            st->x[(size_t)st->n_rows * st->n_hp + k] = (float)e[k];
        for (int t = 0; t < st->n_targets; t++)
            st->y[(size_t)t * st->evaluations + st->n_rows] = (float)c->real[t];
        st->n_rows++;
    }
    st->observed++;
    return st->observed == st->made ? end_loop(s, st, err) : 0;
}

/* --- The ops --- */

static void state_free(struct linas *st)
{
    if (!st)
        return;
    for (int t = 0; t < st->n_targets; t++)
        anas_surrogate_free(st->tg[t].model);
    anas_free(st->x);
    anas_free(st->y);
    anas__seen_free(&st->validated);
    anas__seen_free(&st->scored);
    anas_free(st->hist_cfg);
    anas_free(st->hist_pt);
    anas_free(st->loop);
    anas_free(st->tau);
    anas_free(st->pop);
    anas_free(st->pool);
    anas_free(st->start);
    anas_free(st->final);
    anas_free(st->rank);
    anas_free(st->order);
    anas_free(st->crowd);
    anas_free(st->pts);
    anas_free(st->keys);
    anas_free(st->sp);
    anas_free(st->sy);
    anas_free(st->xbuf);
    anas_free(st->ybuf);
    anas_free(st);
}

static struct linas *state_new(const struct anas_search_spec *spec)
{
    struct linas *st = anas_calloc(1, sizeof(*st));
    size_t n2, loops;

    if (!st)
        return NULL;
    st->n_pop = (int)spec->params[P_POPULATION];
    st->n_hp = anas_space_n_hp(spec->space);
    st->batch = (int)spec->params[P_BATCH];
    st->evaluations = (long)spec->params[P_EVALUATIONS];
    st->inner_evals = (long)spec->params[P_INNER_EVALUATIONS];
    anas_surrogate_fit_params_init(&st->fit);
    st->fit.n_estimators = (int)spec->params[P_N_ESTIMATORS];
    st->fit.seed = 0;
    st->fit.n_threads = 1;
    init_targets(spec, st);
    n2 = 2 * (size_t)st->n_pop;
    loops = (size_t)(st->evaluations / st->n_pop) + 2;
    st->x = anas_calloc((size_t)st->evaluations * (size_t)st->n_hp, sizeof(*st->x));
    st->y = anas_calloc((size_t)st->evaluations * MAX_TARGETS, sizeof(*st->y));
    st->loop = anas_calloc((size_t)st->n_pop, sizeof(*st->loop));
    st->hist_cfg = anas_calloc((size_t)st->evaluations, sizeof(*st->hist_cfg));
    st->hist_pt = anas_calloc((size_t)st->evaluations, sizeof(*st->hist_pt));
    st->tau = anas_calloc(loops * MAX_TARGETS, sizeof(*st->tau));
    st->pop = anas_calloc((size_t)st->n_pop, sizeof(*st->pop));
    st->pool = anas_calloc(n2, sizeof(*st->pool));
    st->start = anas_calloc((size_t)st->n_pop, sizeof(*st->start));
    st->final = anas_calloc((size_t)st->n_pop, sizeof(*st->final));
    st->rank = anas_calloc(n2, sizeof(*st->rank));
    st->order = anas_calloc(n2, sizeof(*st->order));
    st->crowd = anas_calloc(n2, sizeof(*st->crowd));
    st->pts = anas_calloc(n2, sizeof(*st->pts));
    st->keys = anas_calloc(n2, sizeof(*st->keys));
    st->sp = anas_calloc((size_t)st->n_pop, sizeof(*st->sp));
    st->sy = anas_calloc((size_t)st->n_pop, sizeof(*st->sy));
    st->xbuf = anas_calloc(n2 * (size_t)st->n_hp, sizeof(*st->xbuf));
    st->ybuf = anas_calloc(n2, sizeof(*st->ybuf));
    if (!st->x || !st->y || !st->loop || !st->hist_cfg || !st->hist_pt || !st->tau || !st->pop || !st->pool || !st->start ||
        !st->final || !st->rank || !st->order || !st->crowd || !st->pts || !st->keys || !st->sp ||
        !st->sy || !st->xbuf || !st->ybuf) {
        state_free(st);
        return NULL;
    }
    return st;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    struct linas *st = state_new(anas_search_spec_of(s));
    int rc;

    if (!st)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for LINAS's state");
    anas_search_set_state(s, st);
    if ((rc = fill_random(s, st, st->n_pop)) < 0)
        return anas_error_set(err, rc, "out of memory recording proposals");
    st->made = st->loop_n;
    st->loops = st->loop_n > 0;
    return 0;
}

static void fini(struct anas_search *s)
{
    state_free(anas_search_state(s));
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    struct linas *st = anas_search_state(s);
    long k = st->made - st->proposed, room = st->batch - (st->proposed - st->observed);

    if (k > room)
        k = room;
    if (k > max)
        k = max;
    for (long i = 0; i < k; i++)
        out[i] = st->loop[st->loop_n - (st->made - st->proposed) + i].cfg;
    st->proposed += k;
    *n_out = (int)k;
    return 0;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct linas *st = anas_search_state(s);

    for (int k = 0; k < n; k++) {
        int rc = take(s, st, &res[k], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* "loops", then the tau of every predicted target for the latest loops
 * that fit. */
static int info(const struct anas_search *s, struct anas_metrics *out)
{
    const struct linas *st = anas_search_state(s);
    int n_pred = 0, first = 2, scored = st->observed == st->made ? st->loops : st->loops - 1;

    for (int t = 0; t < st->n_targets; t++)
        n_pred += !st->tg[t].analytic;
    anas_metrics_set(out, "loops", st->loops);
    if (n_pred == 0)
        return 0;
    if ((scored - 1) * n_pred > ANAS_METRICS_MAX - out->n)
        first = scored + 1 - (ANAS_METRICS_MAX - out->n) / n_pred;
    for (int k = first; k <= scored; k++)
        for (int t = 0; t < st->n_targets; t++) {
            char name[ANAS_METRIC_NAME_MAX];
            if (st->tg[t].analytic)
                continue;
            snprintf(name, sizeof name, "tau%s.%d", st->tg[t].tag, k);
            anas_metrics_set(out, name, st->tau[(size_t)(k - 1) * st->n_targets + t]);
        }
    return 0;
}

int anas__linas_inner(const struct anas_search *s, int which, struct anas_config *cfg,
                      int max)
{
    const struct linas *st;
    int n;

    if (!s || anas_search_spec_of(s)->ops != &anas__search_linas_ops || which < 0 || which > 1)
        return ANAS_EINVAL;
    st = anas_search_state(s);
    if (!st->has_final)
        return 0;
    n = st->n_pop < max ? st->n_pop : max;
    for (int i = 0; i < n; i++)
        cfg[i] = which == 0 ? st->start[i] : st->final[i];
    return n;
}

const struct anas_search_ops anas__search_linas_ops = {
    .name = "linas",
    .help = "LINAS (Cummings et al. 2022, DyNAS-T): evaluate a population, fit an XGBoost "
            "predictor per objective and measured constraint on every result, run a "
            "warm-started NSGA-II (a GA for one objective) on the predictors, evaluate its "
            "final population (never a configuration twice), repeat",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = check,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
    .info = info,
};
