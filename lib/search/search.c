/*
 * search.c - the optimizer registry, search specs, the driver entry points
 * and the shared judging helpers.
 *
 * An optimizer is an ops table in its own file (random.c, ea_analognas.c,
 * ...) plus one line in `registry` below. Everything an optimizer does
 * depends only on the copied spec, the generator seeded here, and the
 * results the caller hands to observe(): that is what makes a run
 * replayable after a crash.
 */
#include "config.h"

#include "search/search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "search/search_int.h"

/* `out` keeps what was proposed and not yet observed, oldest first (a ring
 * of out_cap), so that every optimizer's results are checked the same
 * way: as many as are out, each for the configuration proposed. */
struct anas_search {
    struct anas_search_spec spec;
    struct anas_rng rng;
    void *state;
    struct anas_config *out;
    long out_head, out_n, out_cap;
    /* An optimizer's error ends the search: every later call returns it. */
    int fail_rc;
    struct anas_error fail_err;
};

static int failed(const struct anas_search *s, struct anas_error *err)
{
    if (err)
        *err = s->fail_err;
    return s->fail_rc;
}

static int latch(struct anas_search *s, int rc, const struct anas_error *why,
                 struct anas_error *err)
{
    s->fail_rc = rc;
    s->fail_err = *why;
    s->fail_err.code = rc;
    return failed(s, err);
}

static const struct anas_search_ops *const registry[] = {
    &anas__search_random_ops,
    &anas__search_ea_analognas_ops,
    &anas__search_ea_ops,
    &anas__search_regevo_ops,
    &anas__search_grid_ops,
    &anas__search_nsga2_ops,
    &anas__search_bo_ops,
    &anas__search_linas_ops,
};
#define N_OPS (int)(sizeof(registry) / sizeof(registry[0]))

int anas_search_count(void)
{
    return N_OPS;
}

const struct anas_search_ops *anas_search_at(int i)
{
    return i >= 0 && i < N_OPS ? registry[i] : NULL;
}

const struct anas_search_ops *anas_search_find(const char *name)
{
    for (int i = 0; name && i < N_OPS; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

int anas_search_param_index(const struct anas_search_ops *ops, const char *name)
{
    for (int i = 0; ops && name && i < ops->n_params; i++)
        if (strcmp(ops->params[i].name, name) == 0)
            return i;
    return -1;
}

/* --- Specs --- */

void anas_search_spec_init(struct anas_search_spec *spec, const struct anas_space *space,
                           const struct anas_search_ops *ops)
{
    memset(spec, 0, sizeof(*spec));
    spec->space = space;
    spec->ops = ops;
    for (int i = 0; ops && i < ops->n_params && i < ANAS_SEARCH_MAX_PARAMS; i++)
        spec->params[i] = ops->params[i].def;
}

/* NAN means "unset", which only a parameter whose default is NAN may be. */
static int check_param(const struct anas_param_desc *d, double v, struct anas_error *err)
{
    if (isnan(v)) {
        if (isnan(d->def))
            return 0;
        return anas_error_field(err, ANAS_ERANGE, d->name, "%s must be set", d->name);
    }
    if (!(v >= d->lo && v <= d->hi))
        return anas_error_field(err, ANAS_ERANGE, d->name,
                                "%s must be in [%.15g, %.15g], got %.15g", d->name, d->lo,
                                d->hi, v);
    if (d->is_int && v != floor(v))
        return anas_error_field(err, ANAS_ERANGE, d->name,
                                "%s must be an integer, got %.15g", d->name, v);
    return 0;
}

int anas_search_spec_set(struct anas_search_spec *spec, const char *name, double value,
                         struct anas_error *err)
{
    int i = anas_search_param_index(spec->ops, name);
    int rc;

    if (i < 0 || i >= ANAS_SEARCH_MAX_PARAMS)
        return anas_error_field(err, ANAS_EUNKNOWN, name ? name : "",
                                "optimizer %s has no parameter %s",
                                spec->ops ? spec->ops->name : "(none)", name ? name : "");
    rc = check_param(&spec->ops->params[i], value, err);
    if (rc < 0)
        return rc;
    spec->params[i] = value;
    return 0;
}

double anas_search_spec_get(const struct anas_search_spec *spec, const char *name)
{
    int i = anas_search_param_index(spec->ops, name);

    return i >= 0 && i < ANAS_SEARCH_MAX_PARAMS ? spec->params[i] : NAN;
}

static int check_objectives(const struct anas_search_spec *spec, struct anas_error *err)
{
    char field[48];

    if (spec->n_objectives < 1 || spec->n_objectives > ANAS_SEARCH_MAX_OBJECTIVES)
        return anas_error_field(err, ANAS_EINVAL, "objectives",
                                "a search needs 1 to %d objectives, got %d",
                                ANAS_SEARCH_MAX_OBJECTIVES, spec->n_objectives);
    for (int i = 0; i < spec->n_objectives; i++) {
        const struct anas_objective *o = &spec->objectives[i];

        snprintf(field, sizeof(field), "objectives/%d/metric", i);
        if (!anas_metric_name_valid(o->metric))
            return anas_error_field(err, ANAS_EINVAL, field,
                                    "invalid metric name \"%.*s\"", ANAS_METRIC_NAME_MAX,
                                    o->metric);
    }
    return 0;
}

static int check_constraint(const struct anas_constraint *c, int i,
                            struct anas_error *err)
{
    char field[48];

    snprintf(field, sizeof(field), "constraints/%d/metric", i);
    if (!anas_metric_name_valid(c->metric))
        return anas_error_field(err, ANAS_EINVAL, field, "invalid metric name \"%.*s\"",
                                ANAS_METRIC_NAME_MAX, c->metric);
    snprintf(field, sizeof(field), "constraints/%d", i);
    if (!c->has_min && !c->has_max)
        return anas_error_field(err, ANAS_EINVAL, field,
                                "constraint on %s needs a min or a max", c->metric);
    if ((c->has_min && !isfinite(c->min)) || (c->has_max && !isfinite(c->max)))
        return anas_error_field(err, ANAS_ERANGE, field,
                                "constraint on %s has a non-finite bound", c->metric);
    if (c->has_min && c->has_max && c->min > c->max)
        return anas_error_field(err, ANAS_ERANGE, field,
                                "constraint on %s has min %.15g > max %.15g", c->metric,
                                c->min, c->max);
    return 0;
}

static int check_params(const struct anas_search_spec *spec, struct anas_error *err)
{
    const struct anas_search_ops *ops = spec->ops;

    if (ops->n_params > ANAS_SEARCH_MAX_PARAMS)
        return anas_error_set(err, ANAS_EINTERNAL,
                              "optimizer %s declares too many parameters", ops->name);
    for (int i = 0; i < ops->n_params; i++) {
        int rc = check_param(&ops->params[i], spec->params[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int anas_search_spec_check(const struct anas_search_spec *spec, struct anas_error *err)
{
    int rc;

    if (!spec || !spec->space)
        return anas_error_field(err, ANAS_EINVAL, "space", "no search space");
    if (!spec->ops)
        return anas_error_field(err, ANAS_EINVAL, "optimizer", "no optimizer");
    rc = check_objectives(spec, err);
    if (rc < 0)
        return rc;
    if (spec->n_constraints < 0 || spec->n_constraints > ANAS_SEARCH_MAX_CONSTRAINTS)
        return anas_error_field(err, ANAS_ELIMIT, "constraints", "at most %d constraints",
                                ANAS_SEARCH_MAX_CONSTRAINTS);
    for (int i = 0; i < spec->n_constraints; i++) {
        rc = check_constraint(&spec->constraints[i], i, err);
        if (rc < 0)
            return rc;
    }
    rc = check_params(spec, err);
    if (rc < 0)
        return rc;
    return spec->ops->check ? spec->ops->check(spec, err) : 0;
}

long anas_search_budget(const struct anas_search_spec *spec)
{
    if (!spec || !spec->ops || !spec->ops->budget)
        return -1;
    return spec->ops->budget(spec);
}

/* --- Driving a search --- */

struct anas_search *anas_search_new(const struct anas_search_spec *spec, uint64_t seed,
                                    struct anas_error *err)
{
    struct anas_search *s;

    if (anas_search_spec_check(spec, err) < 0)
        return NULL;
    s = anas_calloc(1, sizeof(*s));
    if (!s) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory creating a search");
        return NULL;
    }
    s->spec = *spec;
    anas_rng_seed(&s->rng, seed);
    if (s->spec.ops->init && s->spec.ops->init(s, err) < 0) {
        anas_search_free(s);
        return NULL;
    }
    return s;
}

void anas_search_free(struct anas_search *s)
{
    if (!s)
        return;
    if (s->spec.ops->fini)
        s->spec.ops->fini(s);
    anas_free(s->out);
    anas_free(s);
}

/* Room for n more outstanding configurations. */
static int out_reserve(struct anas_search *s, long n)
{
    struct anas_config *v;
    long cap = s->out_cap ? s->out_cap : 64;

    if (s->out_n + n <= s->out_cap)
        return 0;
    while (cap < s->out_n + n)
        cap *= 2;
    v = anas_malloc((size_t)cap * sizeof(*v));
    if (!v)
        return ANAS_ENOMEM;
    for (long k = 0; k < s->out_n; k++)
        v[k] = s->out[(s->out_head + k) % s->out_cap];
    anas_free(s->out);
    s->out = v;
    s->out_head = 0;
    s->out_cap = cap;
    return 0;
}

int anas_search_propose(struct anas_search *s, struct anas_config *out, int max,
                        int *n_out, struct anas_error *err)
{
    struct anas_error why;
    int rc;

    if (!s || !n_out || (max > 0 && !out))
        return anas_error_set(err, ANAS_EINVAL, "invalid arguments to propose");
    *n_out = 0;
    if (max < 1)
        return anas_error_set(err, ANAS_EINVAL, "propose needs room for 1 configuration");
    if (s->fail_rc < 0)
        return failed(s, err);
    /* Reserved first: once the optimizer has proposed, it must be kept. */
    if (out_reserve(s, max) < 0)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for %d proposals", max);
    anas_error_clear(&why);
    rc = s->spec.ops->propose(s, out, max, n_out, &why);
    if (rc < 0) {
        *n_out = 0;
        return latch(s, rc, &why, err);
    }
    for (int k = 0; k < *n_out; k++)
        s->out[(s->out_head + s->out_n++) % s->out_cap] = out[k];
    return 0;
}

int anas_search_observe(struct anas_search *s, const struct anas_search_result *res,
                        int n, struct anas_error *err)
{
    struct anas_error why;
    int rc;

    if (!s || n < 0 || (n > 0 && !res))
        return anas_error_set(err, ANAS_EINVAL, "invalid arguments to observe");
    if (s->fail_rc < 0)
        return failed(s, err);
    if (n == 0)
        return 0;
    if (n > s->out_n)
        return anas_error_set(err, ANAS_ESTATE, "%d results observed for %ld pending proposals",
                              n, s->out_n);
    for (int k = 0; k < n; k++)
        if (!anas_config_equal(s->spec.space, &res[k].config,
                               &s->out[(s->out_head + k) % s->out_cap]))
            return anas_error_set(err, ANAS_EINVAL,
                                  "result %d is not for the configuration proposed", k);
    anas_error_clear(&why);
    rc = s->spec.ops->observe(s, res, n, &why);
    if (rc < 0)
        return latch(s, rc, &why, err);
    s->out_head = (s->out_head + n) % s->out_cap;
    s->out_n -= n;
    return 0;
}

int anas_search_info(const struct anas_search *s, struct anas_metrics *out)
{
    anas_metrics_init(out);
    return s && s->spec.ops->info ? s->spec.ops->info(s, out) : 0;
}

const struct anas_search_spec *anas_search_spec_of(const struct anas_search *s)
{
    return &s->spec;
}

struct anas_rng *anas_search_rng(struct anas_search *s)
{
    return &s->rng;
}

void *anas_search_state(const struct anas_search *s)
{
    return s->state;
}

void anas_search_set_state(struct anas_search *s, void *state)
{
    s->state = state;
}

/* --- Judging results --- */

int anas_search_feasible(const struct anas_search_spec *spec,
                         const struct anas_metrics *m)
{
    for (int i = 0; i < spec->n_constraints; i++) {
        const struct anas_constraint *c = &spec->constraints[i];
        double v;

        /* A NAN metric fails both comparisons, so it is infeasible too. */
        if (anas_metrics_get(m, c->metric, &v) < 0 || isnan(v))
            return 0;
        if ((c->has_min && !(v >= c->min)) || (c->has_max && !(v <= c->max)))
            return 0;
    }
    return 1;
}

int anas_search_metric_is_analytic(const char *metric)
{
    static const char *const analytic[] = {"params", "macs", "tiles", "tile_util",
                                           "nb_convs"};

    for (size_t i = 0; metric && i < sizeof(analytic) / sizeof(analytic[0]); i++)
        if (strcmp(metric, analytic[i]) == 0)
            return 1;
    return 0;
}

double anas_search_score(const struct anas_search_spec *spec,
                         const struct anas_metrics *m)
{
    const struct anas_objective *o = &spec->objectives[0];
    double v;

    if (spec->n_objectives < 1 || anas_metrics_get(m, o->metric, &v) < 0 || isnan(v))
        return -INFINITY;
    return o->maximize ? v : -v;
}

void anas_search_mean_sem(const double *x, int n, double *mean, double *sem)
{
    double sum = 0.0, ss = 0.0, mu;

    if (n < 1) {
        *mean = NAN;
        *sem = NAN;
        return;
    }
    for (int i = 0; i < n; i++)
        sum += x[i];
    mu = sum / n;
    *mean = mu;
    if (n < 2) {
        *sem = NAN;
        return;
    }
    /* Two passes: the spread of accuracies is tiny next to their mean. */
    for (int i = 0; i < n; i++)
        ss += (x[i] - mu) * (x[i] - mu);
    *sem = sqrt(ss / (n - 1)) / sqrt((double)n);
}

double anas_search_violation(const struct anas_search_spec *spec,
                             const struct anas_metrics *m)
{
    double total = 0.0;

    for (int i = 0; i < spec->n_constraints; i++) {
        const struct anas_constraint *c = &spec->constraints[i];
        double v;

        if (anas_metrics_get(m, c->metric, &v) < 0 || isnan(v))
            return INFINITY;
        if (c->has_min && v < c->min)
            total += (c->min - v) / fmax(fabs(c->min), 1.0);
        if (c->has_max && v > c->max)
            total += (v - c->max) / fmax(fabs(c->max), 1.0);
    }
    return total;
}

int anas_search_analytic_ok(const struct anas_search_spec *spec,
                            const struct anas_config *cfg)
{
    struct anas_metrics m;
    int any = 0;

    for (int i = 0; i < spec->n_constraints; i++)
        any |= anas_search_metric_is_analytic(spec->constraints[i].metric);
    if (!any || !spec->has_shape)
        return 1;
    anas_metrics_init(&m);
    if (anas_space_analytic(spec->space, &spec->shape, cfg, &spec->mapping, &m, NULL) < 0)
        return 1;
    for (int i = 0; i < spec->n_constraints; i++) {
        const struct anas_constraint *c = &spec->constraints[i];
        double v;

        if (!anas_search_metric_is_analytic(c->metric) ||
            anas_metrics_get(&m, c->metric, &v) < 0)
            continue;
        if ((c->has_min && v < c->min) || (c->has_max && v > c->max))
            return 0;
    }
    return 1;
}

int anas_search_objectives(const struct anas_search_spec *spec,
                           const struct anas_metrics *m, double *out)
{
    for (int i = 0; i < spec->n_objectives; i++) {
        const struct anas_objective *o = &spec->objectives[i];
        double v;

        if (anas_metrics_get(m, o->metric, &v) < 0 || isnan(v))
            return ANAS_ENOTFOUND;
        out[i] = o->maximize ? -v : v;
    }
    return 0;
}

void anas_search_point_of(const struct anas_search_spec *spec,
                          const struct anas_search_result *r, struct anas_search_point *out)
{
    memset(out, 0, sizeof *out);
    /* A candidate rejected on its analytic metrics keeps how far off it
     * was, so that selection can climb towards feasibility. */
    out->viol = anas_search_violation(spec, &r->metrics);
    if (!r->ok || anas_search_objectives(spec, &r->metrics, out->f) < 0) {
        for (int i = 0; i < spec->n_objectives; i++)
            out->f[i] = INFINITY;
        if (out->viol == 0.0)
            out->viol = INFINITY;
    }
}
