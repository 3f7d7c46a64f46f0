/*
 * search-ea.c - the generational EA (lib/search/ea.c) on the resnet space
 * with synthetic results (tests/search-drive.h): generation sizes and the
 * budget, the parameter checks, "observe more first", determinism and
 * replay however results come back, no repeated proposal, elitism and
 * tournaments seen from outside, the analytic pre-screen, and a clear win
 * over random search with the same budget.
 */
#include "config.h"

#include "search-drive.h"
#include "tap.h"

static struct drive a, b, c;

static void test_spec(void)
{
    struct anas_search_spec spec;
    struct anas_error err = {0};

    drive_spec(&spec, "resnet", "ea");
    ok(spec.ops != NULL, "ea is registered");
    is_int(anas_search_budget(&spec), 200, "budget: 20 + 10 generations x (20 - 2 elites)");
    is_int(anas_search_spec_set(&spec, "tournament_size", 20, &err), 0, "tournament_size 20 set");
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE,
           "tournament_size = population_size: refused");
    is_str(err.field, "tournament_size", "the field names it");
    anas_search_spec_set(&spec, "tournament_size", 19, NULL);
    anas_search_spec_set(&spec, "elitism", 20, NULL);
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE, "elitism = population_size: refused");
    is_str(err.field, "elitism", "the field names it");
    is_int(anas_search_spec_set(&spec, "crossover_prob", 1.5, &err), ANAS_ERANGE,
           "crossover_prob 1.5: out of bounds");
    is_int(anas_search_spec_set(&spec, "population_size", 1, &err), ANAS_ERANGE,
           "population_size 1: out of bounds");
}

static void test_generations(void)
{
    struct anas_search_spec spec;
    int sizes = 1;

    drive_spec(&spec, "resnet", "ea");
    is_int(drive_run(&spec, 1, 256, DRIVE_ALL, &a), 200, "200 proposals");
    is_int(a.n_calls, 11, "in 11 generations");
    sizes = a.calls[0] == 20;
    for (int g = 1; g < a.n_calls; g++)
        sizes &= a.calls[g] == 18;
    ok(sizes && a.errors == 0, "20 random, then 18 children each (2 elites not re-proposed)");
    is_int(drive_duplicates(spec.space, &a), 0, "no configuration proposed twice");
    is_int(a.waits, 0, "all at once: never asked to wait");

    drive_run(&spec, 1, 7, DRIVE_ONE, &b);
    ok(drive_same_runs(spec.space, &a, &b), "7 workers, one result at a time: the same 200");
    ok(b.waits > 0, "and propose answered 'observe more first' at generation ends (%d)",
       b.waits);
    drive_run(&spec, 1, 256, DRIVE_RANDOM, &b);
    ok(drive_same_runs(spec.space, &a, &b), "results in random pieces: the same 200");
    drive_run(&spec, 1, 3, DRIVE_RANDOM, &b);
    ok(drive_same_runs(spec.space, &a, &b) && b.errors == 0,
       "3 workers, random pieces: the same 200");
    drive_run(&spec, 2, 256, DRIVE_ALL, &c);
    ok(!drive_same_runs(spec.space, &a, &c), "another seed: other proposals");

    /* Two objectives: ranked by non-dominated sorting and crowding. */
    spec.n_objectives = 2;
    snprintf(spec.objectives[1].metric, ANAS_METRIC_NAME_MAX, "params");
    drive_params_max(&spec, 1e12);
    drive_run(&spec, 1, 256, DRIVE_ALL, &c);
    ok(c.n == 200 && c.errors == 0 && drive_duplicates(spec.space, &c) == 0,
       "two objectives (acc@1d max, params min): 200 distinct proposals");
    drive_run(&spec, 1, 5, DRIVE_RANDOM, &b);
    ok(drive_same_runs(spec.space, &b, &c), "replayed in random pieces: the same");
}

/* Only the first proposal is good: proposal 0 scores 1, the rest 0. */
static double first_best(int i, const struct anas_config *cfg)
{
    (void)cfg;
    return i == 0 ? 1.0 : 0.0;
}

/* Children of generations 5..10 that are one move from proposal 0. */
static int near_first(const struct anas_space *s, const struct drive *d, int from)
{
    int n = 0;

    for (int i = from; i < d->n; i++)
        n += drive_neighbours(s, &d->cfg[0], &d->cfg[i]);
    return n;
}

static void test_selection(void)
{
    struct anas_search_spec spec;
    int late = 20 + 4 * 19, n_late, near;

    /* Tournaments of 19 of 20 without crossover: a child is a mutation of
     * the best unless the best was left out (1 in 20). */
    drive_spec(&spec, "resnet", "ea");
    anas_search_spec_set(&spec, "tournament_size", 19, NULL);
    anas_search_spec_set(&spec, "elitism", 1, NULL);
    anas_search_spec_set(&spec, "crossover_prob", 0, NULL);
    a.score = first_best;
    drive_run(&spec, 3, 256, DRIVE_ALL, &a);
    n_late = a.n - late;
    near = near_first(spec.space, &a, late);
    ok(n_late == 6 * 19 && near >= n_late * 3 / 4,
       "elitism 1: the best of generation 0 still breeds in generations 5-10 (%d of %d "
       "children are its neighbours)",
       near, n_late);
    is_int(drive_duplicates(spec.space, &a), 0, "and is never proposed again");
    anas_search_spec_set(&spec, "elitism", 0, NULL);
    drive_run(&spec, 3, 256, DRIVE_ALL, &a);
    near = near_first(spec.space, &a, 20 + 4 * 20);
    ok(near < 20, "elitism 0: it is gone after generation 1 (%d of %d late children near it)",
       near, a.n - 100);
    near = near_first(spec.space, &a, 20) - near_first(spec.space, &a, 40);
    ok(near >= 15, "tournaments of 19: generation 1 breeds from the best (%d of 20)", near);
    anas_search_spec_set(&spec, "tournament_size", 1, NULL);
    drive_run(&spec, 3, 256, DRIVE_ALL, &a);
    near = near_first(spec.space, &a, 20) - near_first(spec.space, &a, 40);
    ok(near <= 6, "tournaments of 1: parents at random (%d of 20 near the best)", near);
    a.score = NULL;
}

static void test_screen(void)
{
    struct anas_search_spec spec, rnd;
    double max;
    int good;

    drive_spec(&spec, "resnet", "ea");
    drive_params_max(&spec, 0);
    max = drive_median_params(&spec, 101);
    drive_params_max(&spec, max);
    drive_run(&spec, 4, 256, DRIVE_ALL, &a);
    good = drive_count_params_ok(&spec, &a, max);
    is_int(good, a.n, "with has_shape and params <= %.0f, every proposal satisfies it", max);
    drive_spec(&rnd, "resnet", "random");
    anas_search_spec_set(&rnd, "evaluations", 200, NULL);
    drive_params_max(&rnd, max);
    drive_run(&rnd, 4, 256, DRIVE_ALL, &b);
    good = drive_count_params_ok(&rnd, &b, max);
    ok(good < 150 && good > 50, "while random search violates it often (%d of 200 satisfy)",
       good);
}

static void test_beats_random(void)
{
    struct anas_search_spec ea, rnd;
    double sum_ea = 0, sum_rnd = 0;

    drive_spec(&ea, "resnet", "ea");
    drive_spec(&rnd, "resnet", "random");
    anas_search_spec_set(&rnd, "evaluations", 200, NULL);
    for (uint64_t seed = 10; seed < 18; seed++) {
        drive_run(&ea, seed, 256, DRIVE_ALL, &a);
        drive_run(&rnd, seed, 256, DRIVE_ALL, &b);
        sum_ea += drive_best(&a);
        sum_rnd += drive_best(&b);
    }
    printf("# best acc, mean of 8 seeds: ea %.4f, random %.4f\n", sum_ea / 8, sum_rnd / 8);
    ok(sum_ea / 8 > sum_rnd / 8 + 0.03, "ea beats random clearly with 200 evaluations");
}

int main(void)
{
    plan_later();
    test_spec();
    test_generations();
    test_selection();
    test_screen();
    test_beats_random();
    return done();
}
