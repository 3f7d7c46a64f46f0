/*
 * grid.c - grid search: every configuration of a small space once, in the
 * stable order of anas_space_grid_next (mixed radix over the table, the
 * last hyperparameter fastest), a real hyperparameter taking float_steps
 * evenly spaced values. Configurations that fail the analytic constraints
 * are skipped when the input shape is known, so the budget (the grid
 * size) is then an upper bound.
 *
 * Nothing is random: the proposals are the same for every seed, and
 * `batch` bounds how many are out at once.
 */
#include "config.h"

#include "search/search_int.h"

#include <string.h>

#include "core/alloc.h"

enum { P_FLOAT_STEPS, P_BATCH };

/* Larger grids are refused: a search over them would not end in time. */
#define MAX_GRID 1000000

static const struct anas_param_desc params[] = {
    [P_FLOAT_STEPS] = {"float_steps", 1, 1, 1000, 5,
                       "values of each real hyperparameter: lo + (hi - lo) * k / float_steps "
                       "for k = 0..float_steps-1"},
    [P_BATCH] = {"batch", 1, 1, ANAS_SEARCH_MAX_BATCH, 8,
                 "configurations out at once (evaluated in parallel)"},
};

struct grid {
    long long pos; /* anas_space_grid_next's cursor */
    int batch, done;
    struct anas_config *ring; /* [batch] proposals awaiting their results */
    long proposed, observed;
};

static int has_floats(const struct anas_space *space)
{
    for (int i = 0; i < anas_space_n_hp(space); i++)
        if (anas_space_hp(space, i)->kind == ANAS_HP_FLOAT)
            return 1;
    return 0;
}

static long long size(const struct anas_search_spec *spec)
{
    return anas_space_grid_size(spec->space, (int)spec->params[P_FLOAT_STEPS], MAX_GRID);
}

static long budget(const struct anas_search_spec *spec)
{
    long long n = size(spec);

    return n < 0 ? -1 : (long)n;
}

/* The field to blame: float_steps when fewer steps could help, else the
 * space itself. */
static int check(const struct anas_search_spec *spec, struct anas_error *err)
{
    long long n = size(spec);
    int floats = has_floats(spec->space);

    if (n == ANAS_ELIMIT)
        return anas_error_field(err, ANAS_ELIMIT, floats ? "float_steps" : "space",
                                "the grid of space %s has more than %d configurations "
                                "(the product of every hyperparameter's value count%s)",
                                anas_space_name(spec->space), MAX_GRID,
                                floats ? ", float_steps for a real one" : "");
    if (n < 0)
        return anas_error_set(err, (int)n, "cannot enumerate the grid of space %s",
                              anas_space_name(spec->space));
    return 0;
}

static int init(struct anas_search *s, struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct grid *g = anas_calloc(1, sizeof(*g));

    if (g)
        g->ring = anas_calloc((size_t)spec->params[P_BATCH], sizeof(*g->ring));
    if (!g || !g->ring) {
        anas_free(g);
        return anas_error_set(err, ANAS_ENOMEM, "out of memory");
    }
    g->batch = (int)spec->params[P_BATCH];
    anas_search_set_state(s, g);
    return 0;
}

static void fini(struct anas_search *s)
{
    struct grid *g = anas_search_state(s);

    if (g)
        anas_free(g->ring);
    anas_free(g);
}

/* The next configuration that passes the analytic constraints: 1, or 0
 * at the end of the grid. */
static int next(const struct anas_search_spec *spec, struct grid *g, struct anas_config *out)
{
    int rc;

    while ((rc = anas_space_grid_next(spec->space, (int)spec->params[P_FLOAT_STEPS], &g->pos,
                                      out)) == 1)
        if (anas_search_analytic_ok(spec, out))
            return 1;
    return rc;
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct grid *g = anas_search_state(s);
    int k = 0;

    while (!g->done && k < max && g->proposed - g->observed < g->batch) {
        int rc = next(spec, g, &out[k]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot enumerate the grid");
        if (rc == 0) {
            g->done = 1;
            break;
        }
        g->ring[g->proposed++ % g->batch] = out[k++];
    }
    *n_out = k;
    return 0;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct grid *g = anas_search_state(s);

    (void)res;
    (void)err;
    g->observed += n;
    return 0;
}

const struct anas_search_ops anas__search_grid_ops = {
    .name = "grid",
    .help = "every configuration of a small space (at most 1,000,000 before inactive values "
            "are merged) once, in a fixed order; real hyperparameters on float_steps values",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = check,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
