/*
 * search-bo.c - Bayesian optimisation (lib/search/bo.c) on the resnet
 * space with the drivers' synthetic landscape (tests/search-drive.h):
 * better than random search with the same budget (mean best over seeds);
 * proposals identical however results come back (all at once, one at a
 * time, in random pieces); never more than `batch` out and never a
 * repeated proposal, for every liar; ParEGO with two objectives (acc@1d
 * max, params min) against random by hypervolume; a measured constraint
 * (acc@1d >= a threshold, with params minimised) respected more often than
 * by random; budget, parameters and info.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "search/search.h"
#include "search-drive.h"
#include "tap.h"

static struct drive runs[2];
static int small; /* under valgrind: fewer seeds */

static void bo_spec(struct anas_search_spec *spec, int evals)
{
    drive_spec(spec, "resnet", "bo");
    anas_search_spec_set(spec, "evaluations", evals, NULL);
    anas_search_spec_set(spec, "initial", 8, NULL);
    anas_search_spec_set(spec, "candidates", 400, NULL);
}

static void random_like(const struct anas_search_spec *bo, struct anas_search_spec *out)
{
    *out = *bo;
    out->ops = anas_search_find("random");
    for (int i = 0; i < ANAS_SEARCH_MAX_PARAMS; i++)
        out->params[i] = i < out->ops->n_params ? out->ops->params[i].def : 0;
    anas_search_spec_set(out, "evaluations", bo->params[0], NULL);
}

static void test_beats_random(void)
{
    struct anas_search_spec spec, rnd;
    int seeds = small ? 2 : 4;
    double bo = 0, rs = 0;

    bo_spec(&spec, 40);
    random_like(&spec, &rnd);
    for (int s = 1; s <= seeds; s++) {
        drive_run(&spec, (uint64_t)s, 2, DRIVE_ONE, &runs[0]);
        drive_run(&rnd, (uint64_t)s, 2, DRIVE_ONE, &runs[1]);
        is_int(runs[0].n, 40, "seed %d: 40 evaluations", s);
        bo += drive_best(&runs[0]) / seeds;
        rs += drive_best(&runs[1]) / seeds;
    }
    /* Random's best of 40 is about 0.75 on this landscape; bo climbs. */
    ok(bo > rs + 0.03, "bo's mean best %.4f beats random's %.4f by 0.03", bo, rs);
}

static void test_replay(void)
{
    struct anas_search_spec spec;
    static struct drive c;

    bo_spec(&spec, 24);
    anas_search_spec_set(&spec, "batch", 3, NULL);
    drive_run(&spec, 5, 3, DRIVE_ALL, &runs[0]);
    drive_run(&spec, 5, 3, DRIVE_ONE, &runs[1]);
    drive_run(&spec, 5, 8, DRIVE_RANDOM, &c);
    is_int(runs[0].n, 24, "replay: 24 proposals");
    ok(drive_same_runs(spec.space, &runs[0], &runs[1]), "all at once == one at a time");
    ok(drive_same_runs(spec.space, &runs[0], &c), "== random pieces with more workers");
    is_int(runs[0].errors + runs[1].errors + c.errors, 0, "no errors");
    drive_run(&spec, 6, 3, DRIVE_ALL, &c);
    ok(!drive_same_runs(spec.space, &runs[0], &c), "another seed, other proposals");
}

/* A driver that asks with room for 256 after every result. */
static void test_batch(void)
{
    for (int liar = 0; liar <= 3; liar++) {
        struct anas_search_spec spec;
        struct anas_search *s;
        struct anas_search_result r;
        int out = 0, max_out = 0, n, total = 0, waits = 0;
        static struct anas_config buf[ANAS_SEARCH_MAX_BATCH];

        bo_spec(&spec, 20);
        anas_search_spec_set(&spec, "batch", 3, NULL);
        anas_search_spec_set(&spec, "liar", liar, NULL);
        s = anas_search_new(&spec, 11, NULL);
        runs[0].n = 0;
        for (;;) {
            if (anas_search_propose(s, buf, ANAS_SEARCH_MAX_BATCH, &n, NULL) < 0)
                break;
            memcpy(runs[0].cfg + runs[0].n, buf, (size_t)n * sizeof(*buf));
            runs[0].n += n;
            out += n;
            max_out = out > max_out ? out : max_out;
            if (n == 0 && out == 0)
                break;
            waits += n == 0;
            drive_result(&spec, &runs[0], total, &r);
            if (anas_search_observe(s, &r, 1, NULL) < 0)
                break;
            total++, out--;
        }
        is_int(total, 20, "liar %d: 20 evaluated", liar);
        is_int(max_out, 3, "liar %d: at most batch = 3 out", liar);
        is_int(drive_duplicates(spec.space, &runs[0]), 0, "liar %d: no duplicates", liar);
        if (liar == 0) {
            struct anas_metrics m;
            double v = 0;
            int rc;
            anas_search_info(s, &m);
            rc = anas_metrics_get(&m, "gp_points", &v);
            ok(rc == 0 && v >= 10, "info: the GP used %g points", v);
        }
        anas_search_free(s);
    }
}

static void two_objectives(struct anas_search_spec *spec)
{
    spec->has_shape = 1;
    spec->shape = anas_space_default_shape(spec->space);
    spec->mapping = anas_mapping_default;
    spec->n_objectives = 2;
    snprintf(spec->objectives[1].metric, ANAS_METRIC_NAME_MAX, "params");
    spec->objectives[1].maximize = 0;
}

static double params_of(const struct anas_search_spec *spec, const struct anas_config *c)
{
    struct anas_metrics m;
    double p = NAN;

    anas_metrics_init(&m);
    anas_space_analytic(spec->space, &spec->shape, c, &spec->mapping, &m, NULL);
    anas_metrics_get(&m, "params", &p);
    return p;
}

/* Hypervolume of (-acc, params / pmax) over ref (0, 1). */
static double hv(const struct anas_search_spec *spec, const struct drive *d, double pmax)
{
    double *f = anas_malloc(2 * (size_t)d->n * sizeof(*f)), ref[2] = {0, 1}, v = NAN;

    for (int i = 0; f && i < d->n; i++) {
        f[2 * i] = -d->acc[i];
        f[2 * i + 1] = params_of(spec, &d->cfg[i]) / pmax;
    }
    if (f && anas_pareto_hypervolume(f, d->n, 2, ref, &v) < 0)
        v = NAN;
    anas_free(f);
    return v;
}

static void test_parego(void)
{
    struct anas_search_spec spec, rnd;
    int seeds = small ? 1 : 3;
    double pmax = 0, hb = 0, hr = 0;

    bo_spec(&spec, 40);
    two_objectives(&spec);
    random_like(&spec, &rnd);
    /* params of 200 uniform samples: the largest sets the reference. */
    {
        struct anas_rng rng;
        anas_rng_seed(&rng, 3);
        for (int i = 0; i < 200; i++) {
            struct anas_config c;
            anas_space_sample(spec.space, &rng, &c);
            pmax = fmax(pmax, params_of(&spec, &c));
        }
    }
    for (int s = 1; s <= seeds; s++) {
        drive_run(&spec, (uint64_t)s, 2, DRIVE_ONE, &runs[0]);
        drive_run(&rnd, (uint64_t)s, 2, DRIVE_ONE, &runs[1]);
        is_int(runs[0].n + runs[0].errors, 40, "ParEGO seed %d: 40 evaluations", s);
        hb += hv(&spec, &runs[0], pmax) / seeds;
        hr += hv(&rnd, &runs[1], pmax) / seeds;
    }
    ok(hb > hr * 1.02, "ParEGO's mean hypervolume %.4f beats random's %.4f by 2%%", hb, hr);
}

/* params minimised subject to the measured acc@1d >= T. */
static void test_constraint(void)
{
    const double T = 0.58;
    struct anas_search_spec spec, rnd;
    int seeds = small ? 1 : 3, fb = 0, fr = 0;

    bo_spec(&spec, 40);
    two_objectives(&spec);
    spec.n_objectives = 1;
    spec.objectives[0] = spec.objectives[1];
    spec.n_constraints = 1;
    snprintf(spec.constraints[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec.constraints[0].has_min = 1;
    spec.constraints[0].min = T;
    random_like(&spec, &rnd);
    for (int s = 1; s <= seeds; s++) {
        drive_run(&spec, (uint64_t)s, 2, DRIVE_ONE, &runs[0]);
        drive_run(&rnd, (uint64_t)s, 2, DRIVE_ONE, &runs[1]);
        for (int i = 8; i < 40; i++) { /* after the random initial design */
            fb += runs[0].acc[i] >= T;
            fr += runs[1].acc[i] >= T;
        }
    }
    ok(fb > 2 * fr && fb > 0, "acc@1d >= %.2f held by %d of bo's proposals, %d of random's",
       T, fb, fr);
}

static void test_params(void)
{
    struct anas_search_spec spec;
    struct anas_error err;

    drive_spec(&spec, "resnet", "bo");
    is_int(anas_search_budget(&spec), 100, "budget() = evaluations, default 100");
    is_near(anas_search_spec_get(&spec, "batch"), 2, 0, "batch default 2");
    is_near(anas_search_spec_get(&spec, "initial"), 10, 0, "initial default 10");
    is_near(anas_search_spec_get(&spec, "candidates"), 2000, 0, "candidates default 2000");
    is_near(anas_search_spec_get(&spec, "xi"), 0.01, 0, "xi default 0.01");
    is_int(anas_search_spec_set(&spec, "liar", 4, &err), ANAS_ERANGE, "liar 4 out of range");
    is_int(anas_search_spec_check(&spec, &err), 0, "default spec checks");
}

int main(void)
{
    small = getenv("ANAS_VALGRIND") != NULL;
    plan_later();
    test_params();
    test_beats_random();
    test_replay();
    test_batch();
    test_parego();
    test_constraint();
    return done();
}
