/*
 * ea_analognas.c - AnalogNAS's EAOptimizer (IBM/analog-nas at 71dae1f8,
 * analognas/analogainas/search_algorithms/ea_optimized.py) with its real
 * dynamics, quirks included:
 *
 *  - the population is int(population_size/10) slots;
 *  - the initial population is n copies of ONE uniform sample;
 *  - the AVM filter applies only at initialisation, and judges slots by the
 *    first round's results: the slots bad then are resampled every round,
 *    whether or not their last sample passed, until all slots pass at once;
 *  - each generation every slot's child is, with probability 0.76 under the
 *    default probabilities, a fresh uniform sample, else the parent itself;
 *    the children replace the parents without selection.
 *
 * Two departures, both at the edges: a filter that is never satisfied fails
 * after `init_rounds` rounds (AnalogNAS loops forever), and only the
 * resampled slots are proposed in a resampling round (the others are known
 * to pass, so AnalogNAS's re-query of them is not repeated). The best is
 * not tracked here: the caller judges every evaluation with the shared
 * helpers, which avoids AnalogNAS's "last child of the improving generation"
 * bug.
 *
 * A batch (the first population, a resampling round, a generation) is built
 * in full from the generator, then handed out by a cursor across as many
 * propose() calls as the caller's `max` needs; results may come back in
 * pieces. The next batch is built when the last result of this one arrives.
 */
#include "config.h"

#include "search/search_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

enum {
    P_POPULATION_SIZE,
    P_ITERATIONS,
    P_PROB_WIDTH,
    P_PROB_DEPTH,
    P_PROB_OTHER,
    P_INIT_ROUNDS,
    P_T_AVM,
};

static const struct anas_param_desc params[] = {
    [P_POPULATION_SIZE] = {"population_size", 1, 1, 100000, 50,
                           "AnalogNAS's population_size (> 10): the EA keeps "
                           "int(population_size/10) individuals"},
    [P_ITERATIONS] = {"iterations", 1, 1, 1000000, 200,
                      "generations (AnalogNAS's nb_iter)"},
    [P_PROB_WIDTH] =
        {"mutation_prob_width", 0, 0, 1, 0.8,
         "resample probability of the width operator (chosen 40% of the time)"},
    [P_PROB_DEPTH] =
        {"mutation_prob_depth", 0, 0, 1, 0.8,
         "resample probability of the depth operator (chosen 40% of the time)"},
    [P_PROB_OTHER] =
        {"mutation_prob_other", 0, 0, 1, 0.6,
         "resample probability of the other operator (chosen 20% of the time)"},
    [P_INIT_ROUNDS] = {"init_rounds", 1, 1, 1000000, 1000,
                       "resampling rounds of the AVM filter before the search fails"},
    [P_T_AVM] = {"t_avm", 0, -1e9, 1e9, NAN,
                 "AVM threshold of the initial population (default: the max of the avm "
                 "constraint; none: no filter)"},
};

enum phase {
    PH_FIRST,    /* the n identical copies of the first sample */
    PH_RESAMPLE, /* a round of the AVM filter */
    PH_GENERATE, /* a generation of children */
    PH_DONE,
};

struct ea {
    int n;
    int filter;
    double t_avm;
    enum phase phase;
    long rounds;               /* resampling rounds completed */
    long generations;          /* generations completed */
    struct anas_config *pop;   /* [n] the current parents */
    struct anas_config *batch; /* [n] the batch being handed out */
    int *slot;                 /* [n] batch position -> population slot */
    unsigned char *stale_bad;  /* [n] slots that failed the filter in round one */
    unsigned char *pass;       /* [n] slots whose current member passes the filter */
    int n_batch, n_proposed, n_observed;
};

static int effective_n(const struct anas_search_spec *spec)
{
    return (int)spec->params[P_POPULATION_SIZE] / 10;
}

static long budget(const struct anas_search_spec *spec)
{
    return (long)effective_n(spec) * (1 + (long)spec->params[P_ITERATIONS]);
}

static int check(const struct anas_search_spec *spec, struct anas_error *err)
{
    double size = spec->params[P_POPULATION_SIZE];

    if (!(size > 10))
        return anas_error_field(
            err, ANAS_ERANGE, "population_size",
            "population_size must be greater than 10 (AnalogNAS asserts "
            "it): the effective population is int(population_size/10) "
            "= %d",
            (int)size / 10);
    return 0;
}

/* The filter threshold: t_avm when set, else the tightest max of an
 * "avm" constraint, else no filter at all. */
static int avm_threshold(const struct anas_search_spec *spec, double *out)
{
    int found = 0;

    if (!isnan(spec->params[P_T_AVM])) {
        *out = spec->params[P_T_AVM];
        return 1;
    }
    for (int i = 0; i < spec->n_constraints; i++) {
        const struct anas_constraint *c = &spec->constraints[i];
        if (c->has_max && strcmp(c->metric, "avm") == 0 && (!found || c->max < *out)) {
            *out = c->max;
            found = 1;
        }
    }
    return found;
}

static void state_free(struct ea *ea)
{
    if (!ea)
        return;
    anas_free(ea->pop);
    anas_free(ea->batch);
    anas_free(ea->slot);
    anas_free(ea->stale_bad);
    anas_free(ea->pass);
    anas_free(ea);
}

static struct ea *state_new(int n)
{
    struct ea *ea = anas_calloc(1, sizeof(*ea));

    if (!ea)
        return NULL;
    ea->n = n;
    ea->pop = anas_calloc((size_t)n, sizeof(*ea->pop));
    ea->batch = anas_calloc((size_t)n, sizeof(*ea->batch));
    ea->slot = anas_calloc((size_t)n, sizeof(*ea->slot));
    ea->stale_bad = anas_calloc((size_t)n, 1);
    ea->pass = anas_calloc((size_t)n, 1);
    if (!ea->pop || !ea->batch || !ea->slot || !ea->stale_bad || !ea->pass) {
        state_free(ea);
        return NULL;
    }
    return ea;
}

static void start_batch(struct ea *ea, enum phase phase, int n_batch)
{
    ea->phase = phase;
    ea->n_batch = n_batch;
    ea->n_proposed = 0;
    ea->n_observed = 0;
}

/* AnalogNAS's `[cs.sample_arch_uniformly(1)] * n`. */
static int start_first(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int rc = anas_space_sample(spec->space, anas_search_rng(s), &ea->pop[0]);

    if (rc < 0)
        return anas_error_set(err, rc, "cannot sample the space");
    for (int i = 0; i < ea->n; i++) {
        ea->pop[i] = ea->pop[0];
        ea->batch[i] = ea->pop[0];
        ea->slot[i] = i;
    }
    start_batch(ea, PH_FIRST, ea->n);
    return 0;
}

/* One round of the filter: every slot that failed in round one gets a fresh
 * sample, in slot order, as AnalogNAS's loop over the stale slopes does. */
static int start_resample(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int k = 0;

    for (int i = 0; i < ea->n; i++) {
        if (!ea->stale_bad[i])
            continue;
        int rc = anas_space_sample(spec->space, anas_search_rng(s), &ea->pop[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot sample the space");
        ea->batch[k] = ea->pop[i];
        ea->slot[k++] = i;
    }
    start_batch(ea, PH_RESAMPLE, k);
    return 0;
}

/* AnalogNAS's mutate(): pick an operator, then resample with its
 * probability; otherwise the child is the parent. */
static int mutate(struct anas_search *s, const struct anas_config *parent,
                  struct anas_config *child)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct anas_rng *rng = anas_search_rng(s);
    double r = anas_rng_uniform(rng), p;

    if (r < 0.4)
        p = spec->params[P_PROB_WIDTH];
    else if (r < 0.8)
        p = spec->params[P_PROB_DEPTH];
    else
        p = spec->params[P_PROB_OTHER];
    if (anas_rng_uniform(rng) < p)
        return anas_space_sample(spec->space, rng, child);
    *child = *parent;
    return 0;
}

static int start_generation(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    for (int i = 0; i < ea->n; i++) {
        int rc = mutate(s, &ea->pop[i], &ea->batch[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot sample the space");
        ea->slot[i] = i;
    }
    start_batch(ea, PH_GENERATE, ea->n);
    return 0;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct ea *ea = state_new(effective_n(spec));

    if (!ea)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for a population of %d",
                              effective_n(spec));
    ea->filter = avm_threshold(spec, &ea->t_avm);
    anas_search_set_state(s, ea);
    return start_first(s, ea, err);
}

static void fini(struct anas_search *s)
{
    state_free(anas_search_state(s));
}

static int all_pass(const struct ea *ea)
{
    for (int i = 0; i < ea->n; i++)
        if (!ea->pass[i])
            return 0;
    return 1;
}

static int after_first(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    int any_bad = 0;

    if (!ea->filter)
        return start_generation(s, ea, err);
    for (int i = 0; i < ea->n; i++) {
        ea->stale_bad[i] = !ea->pass[i];
        any_bad |= ea->stale_bad[i];
    }
    return any_bad ? start_resample(s, ea, err) : start_generation(s, ea, err);
}

static int after_resample(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);

    ea->rounds++;
    if (all_pass(ea))
        return start_generation(s, ea, err);
    if (ea->rounds >= (long)spec->params[P_INIT_ROUNDS])
        return anas_error_field(
            err, ANAS_ERANGE, "t_avm",
            "the AVM filter (avm <= %.15g) was not satisfied after %ld "
            "rounds (AnalogNAS would loop forever): use a smaller "
            "population_size or a looser avm constraint",
            ea->t_avm, ea->rounds);
    return start_resample(s, ea, err);
}

static int after_generation(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);

    /* No selection: the children are the next parents. */
    memcpy(ea->pop, ea->batch, (size_t)ea->n * sizeof(*ea->pop));
    ea->generations++;
    if (ea->generations >= (long)spec->params[P_ITERATIONS]) {
        start_batch(ea, PH_DONE, 0);
        return 0;
    }
    return start_generation(s, ea, err);
}

/* The whole batch is back: build the next one. */
static int advance(struct anas_search *s, struct ea *ea, struct anas_error *err)
{
    switch (ea->phase) {
    case PH_FIRST:
        return after_first(s, ea, err);
    case PH_RESAMPLE:
        return after_resample(s, ea, err);
    case PH_GENERATE:
        return after_generation(s, ea, err);
    default:
        return 0;
    }
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    struct ea *ea = anas_search_state(s);
    int k;

    if (ea->phase == PH_DONE)
        return 0;
    /* The next batch depends on this one's results: observe more first. */
    k = ea->n_batch - ea->n_proposed;
    if (k > max)
        k = max;
    memcpy(out, ea->batch + ea->n_proposed, (size_t)k * sizeof(*out));
    ea->n_proposed += k;
    *n_out = k;
    return 0;
}

/* Does the result pass the filter? A failed evaluation, or one without an
 * avm metric, does not: it would be resampled. */
static int passes(const struct ea *ea, const struct anas_search_result *r)
{
    double avm;

    if (!ea->filter)
        return 1;
    if (!r->ok || anas_metrics_get(&r->metrics, "avm", &avm) < 0)
        return 0;
    return avm <= ea->t_avm;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct ea *ea = anas_search_state(s);

    for (int k = 0; k < n; k++) {
        int pos = ea->n_observed + k;
        if (ea->phase != PH_GENERATE)
            ea->pass[ea->slot[pos]] = (unsigned char)passes(ea, &res[k]);
    }
    ea->n_observed += n;
    if (ea->n_observed < ea->n_batch)
        return 0;
    /* An error here (the filter giving up) ends the search: search.c
     * returns it to every later call. */
    return advance(s, ea, err);
}

const struct anas_search_ops anas__search_ea_analognas_ops = {
    .name = "ea-analognas",
    .help = "AnalogNAS's EAOptimizer, reproduced faithfully: int(population_size/10) "
            "random walks that resample 76% of the time, an AVM filter at initialisation",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = check,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
