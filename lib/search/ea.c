/*
 * ea.c - a generational evolutionary algorithm, the evolution AnalogNAS
 * describes (tournament selection, crossover, mutation, elitism) rather
 * than what its EAOptimizer does (ea_analognas.c reproduces that).
 *
 * The first generation is population_size uniform samples. Each later one
 * keeps the `elitism` best unchanged (never evaluated again) and breeds the
 * rest: a tournament winner, crossed (uniform crossover) with a second one
 * with probability crossover_prob, then moved to one neighbour with
 * probability mutation_prob, always when it equals a parent. "Best"
 * follows the shared ranking (evo.h): constraint-domination then the
 * objective, or non-dominated sorting and crowding for several objectives
 * (Deb et al. 2002, "A fast and elitist multiobjective genetic algorithm:
 * NSGA-II"). Candidates are screened by the analytic constraints and never
 * repeat a proposal.
 *
 * A generation is built in full from the generator when the previous one
 * is fully observed, then handed out by a cursor across as many propose()
 * calls as the caller's `max` needs; the state thus depends only on the
 * seed and the results, however the calls are split.
 */
#include "config.h"

#include "search/search_int.h"

#include <string.h>

#include "core/alloc.h"
#include "search/evo.h"

enum { P_POP, P_GENERATIONS, P_TOURNAMENT, P_ELITISM, P_CROSSOVER, P_MUTATION, P_SIGMA };

static const struct anas_param_desc params[] = {
    [P_POP] = {"population_size", 1, 2, 1000, 20,
               "individuals per generation (the first generation is uniform random)"},
    [P_GENERATIONS] = {"generations", 1, 1, 100000, 10,
                       "generations bred after the random first one"},
    [P_TOURNAMENT] = {"tournament_size", 1, 1, 1000, 3,
                      "individuals drawn (without replacement) per tournament, the best "
                      "of them a parent; less than population_size"},
    [P_ELITISM] = {"elitism", 1, 0, 1000, 2,
                   "best individuals carried unchanged into the next generation, never "
                   "evaluated again; less than population_size"},
    [P_CROSSOVER] = {"crossover_prob", 0, 0, 1, 0.5,
                     "probability that a child is the uniform crossover of two tournament "
                     "winners rather than a copy of one"},
    [P_MUTATION] = {"mutation_prob", 0, 0, 1, 1.0,
                    "probability that a child then moves to one neighbouring configuration "
                    "(a child equal to a parent always does)"},
    [P_SIGMA] = {"mutation_sigma", 0, 0, 1, 0.1,
                 "standard deviation of a real hyperparameter's mutation step, as a "
                 "fraction of its range (0: real values never mutate)"},
};

struct ea {
    int pop_size, elites;
    long bred;                       /* generations bred and fully observed */
    struct anas_config *pop, *next;  /* [pop_size] current, and the one being made */
    struct anas_search_point *pts, *next_pts;
    int off;                         /* where next's batch starts: after the elites */
    int n_batch, n_proposed, n_observed;
    int first, done;                 /* the random first generation is out */
    int *rank, *draw;                /* [pop_size] scratch for selection */
    double *crowd;
    struct anas__seen seen;
};

static long budget(const struct anas_search_spec *spec)
{
    long pop = (long)spec->params[P_POP];

    return pop + (long)spec->params[P_GENERATIONS] * (pop - (long)spec->params[P_ELITISM]);
}

static int check(const struct anas_search_spec *spec, struct anas_error *err)
{
    double pop = spec->params[P_POP];

    if (!(spec->params[P_TOURNAMENT] < pop))
        return anas_error_field(err, ANAS_ERANGE, "tournament_size",
                                "tournament_size (%g) must be less than population_size (%g)",
                                spec->params[P_TOURNAMENT], pop);
    if (!(spec->params[P_ELITISM] < pop))
        return anas_error_field(err, ANAS_ERANGE, "elitism",
                                "elitism (%g) must be less than population_size (%g)",
                                spec->params[P_ELITISM], pop);
    return 0;
}

static void state_free(struct ea *ea)
{
    if (!ea)
        return;
    anas_free(ea->pop);
    anas_free(ea->next);
    anas_free(ea->pts);
    anas_free(ea->next_pts);
    anas_free(ea->rank);
    anas_free(ea->draw);
    anas_free(ea->crowd);
    anas__seen_free(&ea->seen);
    anas_free(ea);
}

static struct ea *state_new(int n)
{
    struct ea *ea = anas_calloc(1, sizeof(*ea));

    if (!ea)
        return NULL;
    ea->pop_size = n;
    ea->pop = anas_calloc((size_t)n, sizeof(*ea->pop));
    ea->next = anas_calloc((size_t)n, sizeof(*ea->next));
    ea->pts = anas_calloc((size_t)n, sizeof(*ea->pts));
    ea->next_pts = anas_calloc((size_t)n, sizeof(*ea->next_pts));
    ea->rank = anas_calloc((size_t)n, sizeof(*ea->rank));
    ea->draw = anas_calloc((size_t)n, sizeof(*ea->draw));
    ea->crowd = anas_calloc((size_t)n, sizeof(*ea->crowd));
    if (!ea->pop || !ea->next || !ea->pts || !ea->next_pts || !ea->rank || !ea->draw ||
        !ea->crowd) {
        state_free(ea);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        ea->draw[i] = i;
    return ea;
}

/* The best of tournament_size distinct members. A partial Fisher-Yates
 * shuffle of `draw` picks them: on any permutation it gives a uniform
 * subset, so the array need not be reset. Ties go to the first drawn. */
static int tournament(struct anas_search *s, struct ea *ea)
{
    struct anas_rng *rng = anas_search_rng(s);
    int k = (int)anas_search_spec_of(s)->params[P_TOURNAMENT], best = -1;

    for (int t = 0; t < k; t++) {
        int j = (int)anas_rng_int(rng, t, ea->pop_size), pick = ea->draw[j];
        ea->draw[j] = ea->draw[t];
        ea->draw[t] = pick;
        if (best < 0 || anas__evo_better(ea->rank, ea->crowd, pick, best))
            best = pick;
    }
    return best;
}

static int breed_one(struct anas_search *s, struct ea *ea, struct anas_config *out)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct anas_rng *rng = anas_search_rng(s);
    int a = tournament(s, ea), b = a, rc = 0, move;
    struct anas_config child = ea->pop[a];

    if (anas_rng_uniform(rng) < spec->params[P_CROSSOVER]) {
        b = tournament(s, ea);
        rc = anas_space_crossover(spec->space, rng, &ea->pop[a], &ea->pop[b], &child);
    }
    if (rc < 0)
        return rc;
    move = anas_rng_uniform(rng) < spec->params[P_MUTATION] ||
           anas_config_equal(spec->space, &child, &ea->pop[a]) ||
           anas_config_equal(spec->space, &child, &ea->pop[b]);
    if (move || !anas__evo_fresh(spec, &ea->seen, &child))
        return anas__evo_mutate(s, &ea->seen, &child, spec->params[P_SIGMA], out);
    *out = child;
    return anas__seen_add(&ea->seen, spec->space, &child);
}

static void start_batch(struct ea *ea, int off, int n)
{
    ea->off = off;
    ea->n_batch = n;
    ea->n_proposed = ea->n_observed = 0;
}

/* The elites (best first) into next[0..elites), then the children. The
 * elites are found by a partial selection sort of `draw`, which leaves it
 * a permutation for the tournaments. */
static int breed(struct anas_search *s, struct ea *ea)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int rc = anas__evo_rank(spec, ea->pts, ea->pop_size, ea->rank, ea->crowd);

    if (rc < 0)
        return rc;
    for (int e = 0; e < ea->elites; e++) {
        int best = e, keep;
        for (int i = e + 1; i < ea->pop_size; i++)
            if (anas__evo_better(ea->rank, ea->crowd, ea->draw[i], ea->draw[best]))
                best = i;
        keep = ea->draw[best];
        ea->draw[best] = ea->draw[e];
        ea->draw[e] = keep;
        ea->next[e] = ea->pop[keep];
        ea->next_pts[e] = ea->pts[keep];
    }
    for (int c = ea->elites; c < ea->pop_size; c++)
        if ((rc = breed_one(s, ea, &ea->next[c])) < 0)
            return rc;
    start_batch(ea, ea->elites, ea->pop_size - ea->elites);
    return 0;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct ea *ea = state_new((int)spec->params[P_POP]);

    if (!ea)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for a population of %d",
                              (int)spec->params[P_POP]);
    ea->elites = (int)spec->params[P_ELITISM];
    ea->first = 1;
    anas_search_set_state(s, ea);
    for (int i = 0; i < ea->pop_size; i++) {
        int rc = anas__evo_sample(s, &ea->seen, &ea->next[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot sample the first generation");
    }
    start_batch(ea, 0, ea->pop_size);
    return 0;
}

static void fini(struct anas_search *s)
{
    state_free(anas_search_state(s));
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    struct ea *ea = anas_search_state(s);
    int k = ea->n_batch - ea->n_proposed;

    if (ea->done)
        return 0;
    /* k = 0: the generation is out; the next one needs its results. */
    if (k > max)
        k = max;
    memcpy(out, ea->next + ea->off + ea->n_proposed, (size_t)k * sizeof(*out));
    ea->n_proposed += k;
    *n_out = k;
    return 0;
}

/* The whole generation is back: it becomes the population. */
static int advance(struct anas_search *s, struct ea *ea)
{
    struct anas_config *c = ea->pop;
    struct anas_search_point *p = ea->pts;

    ea->pop = ea->next, ea->next = c;
    ea->pts = ea->next_pts, ea->next_pts = p;
    if (!ea->first)
        ea->bred++;
    ea->first = 0;
    if (ea->bred >= (long)anas_search_spec_of(s)->params[P_GENERATIONS]) {
        ea->done = 1;
        start_batch(ea, 0, 0);
        return 0;
    }
    return breed(s, ea);
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct ea *ea = anas_search_state(s);
    int rc;

    for (int k = 0; k < n; k++)
        anas_search_point_of(spec, &res[k], &ea->next_pts[ea->off + ea->n_observed + k]);
    ea->n_observed += n;
    if (ea->n_observed < ea->n_batch)
        return 0;
    rc = advance(s, ea);
    if (rc < 0)
        return anas_error_set(err, rc, "cannot breed the next generation");
    return 0;
}

const struct anas_search_ops anas__search_ea_ops = {
    .name = "ea",
    .help = "generational evolution: tournament selection, uniform crossover, one-step "
            "mutation and elitism; the best of each generation survive unevaluated",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = check,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
