/*
 * search-prune.c - early stopping (lib/search/prune.c) on hand-made
 * learning curves: the median rule with its startup and warm-up, the
 * percentile, successive halving's rungs and promotion counts (Optuna's
 * floor(n / eta), at least one), two objectives by domination, groups
 * kept apart, NAN values, and the spec's checks with their fields.
 */
#include "config.h"

#include <math.h>

#include "search/search.h"
#include "tap.h"

/* Minimised values: a curve of -accuracy. */
static void feed(struct anas_pruner *p, int group, long long id, const double *acc, int n)
{
    for (int e = 1; e <= n; e++) {
        double f = -acc[e - 1];
        if (anas_pruner_report(p, group, id, e, &f) < 0)
            ok(0, "report %lld epoch %d", id, e);
    }
}

static int decide(const struct anas_pruner *p, long long id, int epoch)
{
    int stop = -1;
    if (anas_pruner_decide(p, id, epoch, &stop) < 0)
        return -1;
    return stop;
}

static void test_median(void)
{
    struct anas_prune_spec ps;
    struct anas_error err = {0};
    struct anas_pruner *p;
    /* Five completed curves; at epoch 2 their values are .50 .60 .70 .80 .90:
     * the median is .70. */
    static const double done[5][3] = {
        {.40, .50, .55}, {.45, .60, .65}, {.50, .70, .75}, {.55, .80, .85}, {.60, .90, .95}};
    static const double low[2] = {.30, .65}, high[2] = {.30, .71}, flat[2] = {.75, .60};

    anas_prune_spec_init(&ps, ANAS_PRUNE_MEDIAN, 1);
    p = anas_pruner_new(&ps, &err);
    ok(p != NULL, "median pruner");
    for (int i = 0; i < 4; i++) {
        feed(p, 0, i + 1, done[i], 3);
        anas_pruner_finish(p, i + 1, 1);
    }
    feed(p, 0, 10, low, 2);
    is_int(decide(p, 10, 2), 0, "4 completed < startup 5: no stop");
    feed(p, 0, 5, done[4], 3);
    anas_pruner_finish(p, 5, 1);
    is_int(decide(p, 10, 2), 1, "best .65 below the median .70 at epoch 2: stop");
    feed(p, 0, 11, high, 2);
    is_int(decide(p, 11, 2), 0, ".71 above the median: go on");
    feed(p, 0, 12, flat, 2);
    is_int(decide(p, 12, 2), 0, "its best so far (.75 at epoch 1) is what counts: go on");
    is_int(decide(p, 10, 1), 1, "epoch 1: .30 below the median .50: stop");
    is_int(decide(p, 99, 1), -1, "an unknown id: ENOTFOUND");
    is_int(decide(p, 10, 3), -1, "an epoch not reported: ENOTFOUND");
    anas_pruner_free(p);

    ps.min_epochs = 2;
    p = anas_pruner_new(&ps, &err);
    for (int i = 0; i < 5; i++) {
        feed(p, 0, i + 1, done[i], 3);
        anas_pruner_finish(p, i + 1, 1);
    }
    feed(p, 0, 10, low, 2);
    is_int(decide(p, 10, 1), 0, "min_epochs 2: epoch 1 is never decided");
    is_int(decide(p, 10, 2), 1, "epoch 2 is");
    anas_pruner_free(p);

    /* Percentile 20 keeps only the top 20%: more than 1 of 5 better stops. */
    anas_prune_spec_init(&ps, ANAS_PRUNE_MEDIAN, 1);
    ps.percentile = 20;
    p = anas_pruner_new(&ps, &err);
    for (int i = 0; i < 5; i++) {
        feed(p, 0, i + 1, done[i], 3);
        anas_pruner_finish(p, i + 1, 1);
    }
    feed(p, 0, 11, high, 2);
    is_int(decide(p, 11, 2), 1, "percentile 20: .71 (2 of 5 better) stops");
    {
        static const double top[2] = {.3, .85};
        feed(p, 0, 12, top, 2);
        is_int(decide(p, 12, 2), 0, "percentile 20: .85 (1 of 5 better) goes on");
    }
    anas_pruner_free(p);
}

static void test_median_references(void)
{
    struct anas_prune_spec ps;
    struct anas_error err = {0};
    struct anas_pruner *p;
    static const double good[2] = {.9, .95}, bad[2] = {.1, .2};

    anas_prune_spec_init(&ps, ANAS_PRUNE_MEDIAN, 1);
    ps.startup = 1;
    p = anas_pruner_new(&ps, &err);
    /* Pruned and running curves are not the median's reference. */
    feed(p, 0, 1, good, 2);
    anas_pruner_finish(p, 1, 0);
    feed(p, 0, 2, good, 2);
    feed(p, 0, 3, bad, 2);
    is_int(decide(p, 3, 2), 0, "no completed evaluation yet: no stop");
    anas_pruner_finish(p, 2, 1);
    is_int(decide(p, 3, 2), 1, "one completed, better: stop");
    /* Another group (repetition) sees none of these. */
    feed(p, 1, 4, bad, 2);
    is_int(decide(p, 4, 2), 0, "group 1 has no completed evaluation: no stop");
    is_int(anas_pruner_report(p, 0, 4, 3, good), ANAS_EINVAL, "same id in another group: EINVAL");
    is_int(anas_pruner_report(p, 1, 4, 4, good), ANAS_EINVAL, "skipping an epoch: EINVAL");
    is_int(anas_pruner_report(p, 0, 2, 3, good), ANAS_EINVAL, "after finishing: EINVAL");
    is_int(anas_pruner_report(p, 0, 5, 2, good), ANAS_EINVAL, "starting at epoch 2: EINVAL");
    anas_pruner_free(p);
}

static void test_halving(void)
{
    struct anas_prune_spec ps;
    struct anas_error err = {0};
    struct anas_pruner *p;
    /* eta 2, rungs at epochs 1, 2, 4, 8. */
    static const double c[6][4] = {{.50, .60, .70, .80}, {.40, .55, .60, .65},
                                   {.60, .50, .75, .85}, {.30, .45, .50, .55},
                                   {.55, .65, .66, .90}, {.70, .62, .71, .72}};

    anas_prune_spec_init(&ps, ANAS_PRUNE_HALVING, 1);
    ps.eta = 2;
    p = anas_pruner_new(&ps, &err);
    feed(p, 0, 1, c[0], 1);
    is_int(decide(p, 1, 1), 0, "alone at rung 1: the best of one goes on");
    feed(p, 0, 2, c[1], 1);
    is_int(decide(p, 2, 1), 1, "2 at rung 1, keep 1: .40 under .50 stops");
    feed(p, 0, 3, c[2], 1);
    is_int(decide(p, 3, 1), 0, "3 at rung 1, keep 1: .60 is the best");
    feed(p, 0, 4, c[3], 1);
    is_int(decide(p, 4, 1), 1, "4 at rung 1, keep 2: .30 has 3 above it");
    feed(p, 0, 5, c[4], 1);
    is_int(decide(p, 5, 1), 0, "5 at rung 1, keep 2: .55 has 1 above it (.60)");
    {
        double f = -c[0][1];
        is_int(anas_pruner_report(p, 0, 1, 2, &f), 0, "id 1 reports epoch 2");
    }
    is_int(decide(p, 1, 2), 0, "first at rung 2 goes on");
    {
        double f = -c[2][1];
        anas_pruner_report(p, 0, 3, 2, &f);
    }
    is_int(decide(p, 3, 2), 1, "2 at rung 2: .50 under .60 stops (its earlier .60 does not count)");
    {
        double f3 = -c[0][2];
        anas_pruner_report(p, 0, 1, 3, &f3);
    }
    is_int(decide(p, 1, 3), 0, "epoch 3 is not a rung: never stopped there");
    feed(p, 0, 6, c[5], 2);
    is_int(decide(p, 6, 1), 0, "6 at rung 1, keep 3: .70 is the best");
    is_int(decide(p, 6, 2), 0, "3 at rung 2, keep 1: .62 beats .60 and .50");
    anas_pruner_free(p);

    /* min_epochs 2, eta 3: rungs 2, 6, 18. */
    anas_prune_spec_init(&ps, ANAS_PRUNE_HALVING, 1);
    ps.min_epochs = 2;
    p = anas_pruner_new(&ps, &err);
    feed(p, 0, 1, c[0], 4);
    feed(p, 0, 2, c[1], 4);
    is_int(decide(p, 2, 1), 0, "min_epochs 2: epoch 1 is not a rung");
    is_int(decide(p, 2, 2), 1, "2 at rung 2, keep max(1, 2 / 3) = 1: .55 under .60 stops");
    anas_pruner_free(p);
}

static void test_two_objectives(void)
{
    struct anas_prune_spec ps;
    struct anas_error err = {0};
    struct anas_pruner *p;
    /* (-accuracy, params): minimised. */
    static const double ref[4][2] = {{-.9, 300}, {-.8, 200}, {-.7, 100}, {-.95, 400}};
    static const double dominated[2] = {-.75, 250}; /* by (-.8, 200) only... */
    static const double poor[2] = {-.5, 350};       /* by three of four */
    static const double cheap[2] = {-.5, 50};       /* by none: the fewest params */

    anas_prune_spec_init(&ps, ANAS_PRUNE_MEDIAN, 2);
    ps.startup = 4;
    p = anas_pruner_new(&ps, &err);
    for (int i = 0; i < 4; i++) {
        anas_pruner_report(p, 0, i + 1, 1, ref[i]);
        anas_pruner_finish(p, i + 1, 1);
    }
    anas_pruner_report(p, 0, 10, 1, dominated);
    is_int(decide(p, 10, 1), 0, "dominated by 1 of 4: goes on");
    anas_pruner_report(p, 0, 11, 1, poor);
    is_int(decide(p, 11, 1), 1, "dominated by 3 of 4: stops");
    anas_pruner_report(p, 0, 12, 1, cheap);
    is_int(decide(p, 12, 1), 0, "low accuracy but the smallest: nothing dominates it, goes on");
    {
        static const double unknown[2] = {NAN, 500};
        anas_pruner_report(p, 0, 13, 1, unknown);
        is_int(decide(p, 13, 1), 0, "a NAN value is never dominated: goes on");
    }
    anas_pruner_free(p);

    anas_prune_spec_init(&ps, ANAS_PRUNE_HALVING, 2);
    p = anas_pruner_new(&ps, &err);
    for (int i = 0; i < 4; i++)
        anas_pruner_report(p, 0, i + 1, 1, ref[i]);
    anas_pruner_report(p, 0, 11, 1, poor);
    is_int(decide(p, 11, 1), 1, "halving, 5 at the rung, keep 1: dominated by 3 stops");
    anas_pruner_report(p, 0, 12, 1, cheap);
    is_int(decide(p, 12, 1), 0, "halving: the non-dominated one goes on");
    is_int(decide(p, 1, 1), 0, "(-.9, 300) is not dominated: goes on");
    anas_pruner_free(p);
}

static void test_spec(void)
{
    struct anas_prune_spec ps;
    struct anas_error err = {0};
    enum anas_prune_kind k;

    is_int(anas_prune_kind_parse("successive-halving", &k), 0, "parse successive-halving");
    is_int(k, ANAS_PRUNE_HALVING, "  is ANAS_PRUNE_HALVING");
    is_int(anas_prune_kind_parse("hyperband", &k), ANAS_EINVAL, "hyperband: unknown");
    is_str(anas_prune_kind_name(ANAS_PRUNE_MEDIAN), "median", "name of median");
    anas_prune_spec_init(&ps, ANAS_PRUNE_MEDIAN, 1);
    is_int(ps.startup, 5, "default startup 5 (Optuna's n_startup_trials)");
    is_int(ps.eta, 3, "default eta 3 (Optuna's reduction_factor)");
    is_int(anas_prune_spec_check(&ps, &err), 0, "defaults check");
    ps.eta = 1;
    is_int(anas_prune_spec_check(&ps, &err), ANAS_ERANGE, "eta 1 refused");
    is_str(err.field, "eta", "  field eta");
    ps.eta = 3;
    ps.percentile = 101;
    is_int(anas_prune_spec_check(&ps, &err), ANAS_ERANGE, "percentile 101 refused");
    is_str(err.field, "percentile", "  field percentile");
    ps.percentile = 50;
    ps.min_epochs = 0;
    is_int(anas_prune_spec_check(&ps, &err), ANAS_ERANGE, "min_epochs 0 refused");
    is_str(err.field, "min_epochs", "  field min_epochs");
    ps.min_epochs = 1;
    ps.d = 5;
    is_int(anas_prune_spec_check(&ps, &err), ANAS_ERANGE, "5 objectives refused");
    ok(anas_pruner_new(&ps, &err) == NULL, "and no pruner made");
}

int main(void)
{
    plan_later();
    test_median();
    test_median_references();
    test_halving();
    test_two_objectives();
    test_spec();
    return done();
}
