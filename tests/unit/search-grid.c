/*
 * search-grid.c - grid search (lib/search/grid.c): every configuration of
 * rpu once, in anas_space_grid_next's order, `batch` at a time, the same
 * for every seed and however results come back; the size check and its
 * field; the analytic pre-screen on mlp.
 */
#include "config.h"

#include "search-drive.h"
#include "tap.h"

static struct drive a, b;

static void test_spec(void)
{
    struct anas_search_spec spec;
    struct anas_error err = {0};

    drive_spec(&spec, "rpu", "grid");
    ok(spec.ops != NULL, "grid is registered");
    is_int(anas_search_budget(&spec), 2940, "budget on rpu: its 2,940 configurations");
    is_int(anas_search_spec_check(&spec, &err), 0, "rpu checks");
    drive_spec(&spec, "resnet", "grid");
    is_int(anas_search_spec_check(&spec, &err), ANAS_ELIMIT, "resnet: too large");
    is_str(err.field, "float_steps", "the field is float_steps (resnet has real values)");
    is_int(anas_search_budget(&spec), -1, "and no budget");
    drive_spec(&spec, "autoencoder", "grid");
    is_int(anas_search_spec_check(&spec, &err), ANAS_ELIMIT, "autoencoder: too large");
    is_str(err.field, "space", "the field is space (no real values to step)");
    drive_spec(&spec, "mlp", "grid");
    is_int(anas_search_budget(&spec), 2340, "budget on mlp: 2,340");
    is_int(anas_search_spec_set(&spec, "float_steps", 0, &err), ANAS_ERANGE,
           "float_steps 0: refused");
}

static void test_order(void)
{
    struct anas_search_spec spec;
    struct anas_config cfg;
    long long pos = 0;
    int same = 1, sizes = 1;

    drive_spec(&spec, "rpu", "grid");
    is_int(drive_run(&spec, 1, 256, DRIVE_ALL, &a), 2940, "2,940 proposals on rpu");
    for (int i = 0; i < a.n_calls; i++)
        sizes &= a.calls[i] == (i < 367 ? 8 : 4);
    ok(a.n_calls == 368 && sizes, "8 at a time (367 x 8 + 4)");
    for (int i = 0; i < a.n && anas_space_grid_next(spec.space, 5, &pos, &cfg) == 1; i++)
        same &= drive_same(spec.space, &cfg, &a.cfg[i]);
    ok(same, "in anas_space_grid_next's order");
    is_int(drive_duplicates(spec.space, &a), 0, "each once");
    drive_run(&spec, 2, 3, DRIVE_RANDOM, &b);
    ok(drive_same_runs(spec.space, &a, &b) && b.errors == 0,
       "another seed, 3 workers, results in random pieces: the same sequence");
    {
        struct anas_search *s = anas_search_new(&spec, 1, NULL);
        int n1 = 0, n2 = -1, rc;
        anas_search_propose(s, a.cfg, 256, &n1, NULL);
        rc = anas_search_propose(s, a.cfg + 8, 256, &n2, NULL);
        ok(n1 == 8 && rc == 0 && n2 == 0, "8 out: the next propose says 'observe more first'");
        anas_search_free(s);
    }
    anas_search_spec_set(&spec, "batch", 2, NULL);
    drive_run(&spec, 1, 256, DRIVE_ALL, &b);
    ok(b.n == 2940 && b.n_calls == 1470, "batch 2: 1,470 answers of 2");
}

static void test_screen(void)
{
    struct anas_search_spec spec;
    struct anas_config cfg;
    long long pos = 0;
    int want = 0;
    double max = 100000;

    drive_spec(&spec, "mlp", "grid");
    drive_params_max(&spec, max);
    while (anas_space_grid_next(spec.space, 5, &pos, &cfg) == 1)
        want += anas_search_analytic_ok(&spec, &cfg);
    drive_run(&spec, 1, 256, DRIVE_ALL, &a);
    ok(want > 100 && want < 2000, "mlp with params <= 100000: %d of 2,340 qualify", want);
    is_int(a.n, want, "the grid proposes exactly those");
    is_int(drive_count_params_ok(&spec, &a, max), a.n, "every proposal satisfies it");
}

int main(void)
{
    plan_later();
    test_spec();
    test_order();
    test_screen();
    return done();
}
