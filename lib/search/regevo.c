/*
 * regevo.c - regularized (aging) evolution, Real et al. 2019, "Regularized
 * evolution for image classifier architecture search": a population of
 * population_size; each child is one mutation of the best of sample_size
 * members drawn uniformly without replacement; when a child's result
 * arrives it joins the population and the oldest member dies, whatever
 * its standing. "Best" follows the shared ranking (evo.h).
 *
 * Steady state: up to `batch` children are out at once, and a new one can
 * be proposed as soon as one result comes back. To keep the search a
 * function of (seed, results) however the caller splits its calls, child
 * c is made at a fixed point: when the initial population is complete for
 * the first `batch` children, then each one the moment the result of
 * child c - batch is observed, from the population as it stands then.
 * observe() makes them and propose() only hands them out.
 */
#include "config.h"

#include "search/search_int.h"

#include <string.h>

#include "core/alloc.h"
#include "search/evo.h"

enum { P_POP, P_SAMPLE, P_CYCLES, P_BATCH, P_SIGMA };

static const struct anas_param_desc params[] = {
    [P_POP] = {"population_size", 1, 2, 10000, 50,
               "members of the population; the initial ones are uniform random"},
    [P_SAMPLE] = {"sample_size", 1, 1, 10000, 10,
                  "members drawn (without replacement) for each child, the best of them "
                  "its parent; at most population_size"},
    [P_CYCLES] = {"cycles", 1, 1, 1000000, 200, "children evaluated after the initial population"},
    [P_BATCH] = {"batch", 1, 1, ANAS_SEARCH_MAX_BATCH, 8,
                 "children out at once (evaluated in parallel); a new one is proposed as "
                 "soon as a result arrives"},
    [P_SIGMA] = {"mutation_sigma", 0, 0, 1, 0.1,
                 "standard deviation of a real hyperparameter's mutation step, as a "
                 "fraction of its range (0: real values never mutate)"},
};

struct regevo {
    int pop_size, batch;
    long cycles;
    struct anas_config *init;       /* [pop_size] the initial population, in order */
    int init_proposed, init_observed;
    struct anas_config *pop;        /* [pop_size] ring, oldest at `oldest` */
    struct anas_search_point *pts;
    int oldest;
    struct anas_config *kids;       /* [batch] ring: child c at c % batch */
    long made, proposed, observed;  /* children */
    int *draw, *rank;               /* [pop_size] scratch for sampling */
    double *crowd;
    struct anas_search_point *sample;
    struct anas__seen seen;
};

static long budget(const struct anas_search_spec *spec)
{
    return (long)spec->params[P_POP] + (long)spec->params[P_CYCLES];
}

static int check(const struct anas_search_spec *spec, struct anas_error *err)
{
    if (!(spec->params[P_SAMPLE] <= spec->params[P_POP]))
        return anas_error_field(err, ANAS_ERANGE, "sample_size",
                                "sample_size (%g) must be at most population_size (%g)",
                                spec->params[P_SAMPLE], spec->params[P_POP]);
    return 0;
}

static void state_free(struct regevo *r)
{
    if (!r)
        return;
    anas_free(r->init);
    anas_free(r->pop);
    anas_free(r->pts);
    anas_free(r->kids);
    anas_free(r->draw);
    anas_free(r->rank);
    anas_free(r->crowd);
    anas_free(r->sample);
    anas__seen_free(&r->seen);
    anas_free(r);
}

static struct regevo *state_new(int n, int batch)
{
    struct regevo *r = anas_calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->pop_size = n;
    r->batch = batch;
    r->init = anas_calloc((size_t)n, sizeof(*r->init));
    r->pop = anas_calloc((size_t)n, sizeof(*r->pop));
    r->pts = anas_calloc((size_t)n, sizeof(*r->pts));
    r->kids = anas_calloc((size_t)batch, sizeof(*r->kids));
    r->draw = anas_calloc((size_t)n, sizeof(*r->draw));
    r->rank = anas_calloc((size_t)n, sizeof(*r->rank));
    r->crowd = anas_calloc((size_t)n, sizeof(*r->crowd));
    r->sample = anas_calloc((size_t)n, sizeof(*r->sample));
    if (!r->init || !r->pop || !r->pts || !r->kids || !r->draw || !r->rank || !r->crowd ||
        !r->sample) {
        state_free(r);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        r->draw[i] = i;
    return r;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct regevo *r = state_new((int)spec->params[P_POP], (int)spec->params[P_BATCH]);

    if (!r)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for a population of %d",
                              (int)spec->params[P_POP]);
    r->cycles = (long)spec->params[P_CYCLES];
    anas_search_set_state(s, r);
    for (int i = 0; i < r->pop_size; i++) {
        int rc = anas__evo_sample(s, &r->seen, &r->init[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot sample the initial population");
    }
    return 0;
}

static void fini(struct anas_search *s)
{
    state_free(anas_search_state(s));
}

/* The parent: the best of sample_size members drawn without replacement
 * (a partial Fisher-Yates shuffle of `draw`, uniform from any permutation),
 * ranked among themselves. Ties go to the first drawn. */
static int select_parent(struct anas_search *s, struct regevo *r, int *parent)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int k = (int)spec->params[P_SAMPLE], best = 0, rc;

    for (int t = 0; t < k; t++) {
        int j = (int)anas_rng_int(anas_search_rng(s), t, r->pop_size), pick = r->draw[j];
        r->draw[j] = r->draw[t];
        r->draw[t] = pick;
        r->sample[t] = r->pts[pick];
    }
    if ((rc = anas__evo_rank(spec, r->sample, k, r->rank, r->crowd)) < 0)
        return rc;
    for (int t = 1; t < k; t++)
        if (anas__evo_better(r->rank, r->crowd, t, best))
            best = t;
    *parent = r->draw[best];
    return 0;
}

/* Make every child due now (see the head comment). */
static int make_children(struct anas_search *s, struct regevo *r)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    long due = r->observed + r->batch;

    if (due > r->cycles)
        due = r->cycles;
    for (; r->made < due; r->made++) {
        int parent, rc = select_parent(s, r, &parent);
        if (rc < 0)
            return rc;
        rc = anas__evo_mutate(s, &r->seen, &r->pop[parent], spec->params[P_SIGMA],
                              &r->kids[r->made % r->batch]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    struct regevo *r = anas_search_state(s);
    int k = 0;

    if (r->init_proposed < r->pop_size) {
        k = r->pop_size - r->init_proposed;
        k = k < max ? k : max;
        memcpy(out, r->init + r->init_proposed, (size_t)k * sizeof(*out));
        r->init_proposed += k;
    }
    /* Children once made: none while the initial population is out. */
    for (; k < max && r->proposed < r->made; k++)
        out[k] = r->kids[r->proposed++ % r->batch];
    *n_out = k;
    return 0;
}

/* One result, in proposal order: an initial member fills its slot; a
 * child replaces the oldest member. Either may make children due. */
static int observe_one(struct anas_search *s, struct regevo *r,
                       const struct anas_search_result *res)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    int slot;

    if (r->init_observed < r->pop_size) {
        slot = r->init_observed++;
        r->pop[slot] = res->config;
    } else {
        slot = r->oldest;
        r->oldest = (r->oldest + 1) % r->pop_size;
        r->pop[slot] = r->kids[r->observed++ % r->batch];
    }
    anas_search_point_of(spec, res, &r->pts[slot]);
    return r->init_observed == r->pop_size ? make_children(s, r) : 0;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct regevo *r = anas_search_state(s);

    for (int k = 0; k < n; k++) {
        int rc = observe_one(s, r, &res[k]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot make the next child");
    }
    return 0;
}

const struct anas_search_ops anas__search_regevo_ops = {
    .name = "regularized-evolution",
    .help = "regularized (aging) evolution (Real et al. 2019): each child mutates the best "
            "of a random sample of the population, and the oldest member dies",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = check,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
