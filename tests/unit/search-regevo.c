/*
 * search-regevo.c - regularized (aging) evolution (lib/search/regevo.c) on
 * the resnet space with synthetic results (tests/search-drive.h): the
 * initial population at once, children only after it, `batch` children
 * out and one more per result, the budget and checks, determinism and
 * replay however results come back, no repeated proposal, aging and
 * sampling without replacement seen from outside, the analytic pre-screen,
 * and a clear win over random search with the same budget.
 */
#include "config.h"

#include "search-drive.h"
#include "tap.h"

static struct drive a, b;

static void test_spec(void)
{
    struct anas_search_spec spec;
    struct anas_error err = {0};

    drive_spec(&spec, "resnet", "regularized-evolution");
    ok(spec.ops != NULL, "regularized-evolution is registered");
    is_int(anas_search_budget(&spec), 250, "budget: 50 + 200 cycles");
    anas_search_spec_set(&spec, "sample_size", 51, NULL);
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE,
           "sample_size > population_size: refused");
    is_str(err.field, "sample_size", "the field names it");
    is_int(anas_search_spec_set(&spec, "batch", 257, &err), ANAS_ERANGE, "batch 257: refused");
}

/* Step by step: the contract's answers. */
static void test_steps(void)
{
    struct anas_search_spec spec;
    struct anas_search *s;
    static struct anas_config out[64];
    static struct anas_search_result res[64];
    int n = -1, rc, waits = 0;

    drive_spec(&spec, "resnet", "regularized-evolution");
    anas_search_spec_set(&spec, "population_size", 10, NULL);
    anas_search_spec_set(&spec, "sample_size", 3, NULL);
    anas_search_spec_set(&spec, "cycles", 5, NULL);
    anas_search_spec_set(&spec, "batch", 3, NULL);
    s = anas_search_new(&spec, 1, NULL);
    anas_search_propose(s, out, 64, &n, NULL);
    is_int(n, 10, "the initial population at once");
    for (int i = 0; i < 9; i++) {
        a.cfg[0] = out[i];
        drive_result(&spec, &a, 0, &res[0]);
        anas_search_observe(s, res, 1, NULL);
        rc = anas_search_propose(s, out + 10, 64, &n, NULL);
        waits += rc == 0 && n == 0;
    }
    is_int(waits, 9, "no child before the whole population is observed: 'observe more first'");
    a.cfg[0] = out[9];
    drive_result(&spec, &a, 0, &res[0]);
    anas_search_observe(s, res, 1, NULL);
    anas_search_propose(s, out + 10, 64, &n, NULL);
    is_int(n, 3, "then `batch` children");
    anas_search_propose(s, out + 13, 64, &n, NULL);
    is_int(n, 0, "and no more while they are out");
    a.cfg[0] = out[10];
    drive_result(&spec, &a, 0, &res[0]);
    is_int(anas_search_observe(s, res, 4, NULL), ANAS_ESTATE, "4 results for 3 pending");
    res[0].config.v[0] = res[0].config.v[0] == 8 ? 12 : 8;
    is_int(anas_search_observe(s, res, 1, NULL), ANAS_EINVAL, "a result for another config");
    drive_result(&spec, &a, 0, &res[0]);
    anas_search_observe(s, res, 1, NULL);
    anas_search_propose(s, out + 13, 64, &n, NULL);
    is_int(n, 1, "one result back: one more child");
    for (int i = 11; i < 14; i++) {
        a.cfg[0] = out[i];
        drive_result(&spec, &a, 0, &res[0]);
        anas_search_observe(s, res, 1, NULL);
    }
    anas_search_propose(s, out + 14, 64, &n, NULL);
    is_int(n, 1, "the fifth and last child");
    a.cfg[0] = out[14];
    drive_result(&spec, &a, 0, &res[0]);
    anas_search_observe(s, res, 1, NULL);
    rc = anas_search_propose(s, out + 15, 64, &n, NULL);
    ok(rc == 0 && n == 0, "then finished: 15 = 10 + 5 proposals");
    anas_search_free(s);
}

static void test_replay(void)
{
    struct anas_search_spec spec;

    drive_spec(&spec, "resnet", "regularized-evolution");
    is_int(drive_run(&spec, 1, 256, DRIVE_ALL, &a), 250, "250 proposals");
    ok(a.calls[0] == 50 && a.calls[1] == 8 && a.errors == 0,
       "50 at once, then 8 children at once");
    is_int(drive_duplicates(spec.space, &a), 0, "no configuration proposed twice");
    drive_run(&spec, 1, 256, DRIVE_ONE, &b);
    ok(drive_same_runs(spec.space, &a, &b), "one result at a time: the same 250");
    drive_run(&spec, 1, 256, DRIVE_RANDOM, &b);
    ok(drive_same_runs(spec.space, &a, &b), "results in random pieces: the same 250");
    drive_run(&spec, 1, 5, DRIVE_RANDOM, &b);
    ok(drive_same_runs(spec.space, &a, &b) && b.errors == 0,
       "5 workers, random pieces: the same 250");
    drive_run(&spec, 2, 256, DRIVE_ALL, &b);
    ok(!drive_same_runs(spec.space, &a, &b), "another seed: other proposals");
}

/* Initial member 0 is the best of all; children improve one after another
 * but never reach it. */
static double aging_score(int i, const struct anas_config *cfg)
{
    (void)cfg;
    return i == 0 ? 1.0 : i < 5 ? 0.0 : 0.5 + 0.001 * i;
}

static void test_aging(void)
{
    struct anas_search_spec spec;
    int chain = 1, near0 = 0;

    /* sample_size = population_size: the parent is always the best alive
     * (with replacement it would often be missed). batch 1: child c is made
     * after child c - 1's result, which killed the oldest. */
    drive_spec(&spec, "resnet", "regularized-evolution");
    anas_search_spec_set(&spec, "population_size", 5, NULL);
    anas_search_spec_set(&spec, "sample_size", 5, NULL);
    anas_search_spec_set(&spec, "cycles", 30, NULL);
    anas_search_spec_set(&spec, "batch", 1, NULL);
    a.score = aging_score;
    is_int(drive_run(&spec, 5, 1, DRIVE_ONE, &a), 35, "35 proposals");
    ok(drive_neighbours(spec.space, &a.cfg[0], &a.cfg[5]),
       "the first child mutates the best member");
    for (int c = 6; c < 35; c++) {
        chain &= drive_neighbours(spec.space, &a.cfg[c - 1], &a.cfg[c]);
        near0 += drive_neighbours(spec.space, &a.cfg[0], &a.cfg[c]);
    }
    ok(chain, "once it died of age, each child mutates the previous (best alive)");
    ok(near0 < 10, "not the dead best (%d of 29 children are its neighbours)", near0);
    a.score = NULL;
}

static void test_screen(void)
{
    struct anas_search_spec spec;
    double max;

    drive_spec(&spec, "resnet", "regularized-evolution");
    drive_params_max(&spec, 0);
    max = drive_median_params(&spec, 101);
    drive_params_max(&spec, max);
    drive_run(&spec, 4, 256, DRIVE_ALL, &a);
    is_int(drive_count_params_ok(&spec, &a, max), a.n,
           "with has_shape and params <= %.0f (half of random violate it), every proposal "
           "satisfies it",
           max);
}

static void test_beats_random(void)
{
    struct anas_search_spec re, rnd;
    double sum_re = 0, sum_rnd = 0;

    drive_spec(&re, "resnet", "regularized-evolution");
    drive_spec(&rnd, "resnet", "random");
    anas_search_spec_set(&rnd, "evaluations", 250, NULL);
    for (uint64_t seed = 10; seed < 18; seed++) {
        drive_run(&re, seed, 8, DRIVE_ONE, &a);
        drive_run(&rnd, seed, 256, DRIVE_ALL, &b);
        sum_re += drive_best(&a);
        sum_rnd += drive_best(&b);
    }
    printf("# best acc, mean of 8 seeds: regularized-evolution %.4f, random %.4f\n",
           sum_re / 8, sum_rnd / 8);
    ok(sum_re / 8 > sum_rnd / 8 + 0.03,
       "regularized evolution beats random clearly with 250 evaluations");
}

int main(void)
{
    plan_later();
    test_spec();
    test_steps();
    test_replay();
    test_aging();
    test_screen();
    test_beats_random();
    return done();
}
