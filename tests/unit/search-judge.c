/*
 * search-judge.c - the helpers every run is judged by: feasibility under
 * constraints, the oriented score of the first objective, which metrics are
 * analytic, and the mean and standard error across repetitions.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "search/search.h"
#include "tap.h"

static void add_constraint(struct anas_search_spec *spec, const char *metric, int has_min,
                           double min, int has_max, double max)
{
    struct anas_constraint *c = &spec->constraints[spec->n_constraints++];
    snprintf(c->metric, sizeof(c->metric), "%s", metric);
    c->has_min = has_min;
    c->min = min;
    c->has_max = has_max;
    c->max = max;
}

static struct anas_metrics metrics2(const char *a, double va, const char *b, double vb)
{
    struct anas_metrics m;
    anas_metrics_init(&m);
    if (a)
        anas_metrics_set(&m, a, va);
    if (b)
        anas_metrics_set(&m, b, vb);
    return m;
}

static void test_feasible(void)
{
    struct anas_search_spec spec;
    struct anas_metrics m;

    memset(&spec, 0, sizeof(spec));
    m = metrics2("avm", 50, NULL, 0);
    ok(anas_search_feasible(&spec, &m), "no constraints: feasible");

    add_constraint(&spec, "avm", 0, 0, 1, 10);
    m = metrics2("avm", 5, NULL, 0);
    ok(anas_search_feasible(&spec, &m), "avm 5 <= 10: feasible");
    m = metrics2("avm", 10, NULL, 0);
    ok(anas_search_feasible(&spec, &m), "avm 10 <= 10: feasible (bounds inclusive)");
    m = metrics2("avm", 10.000001, NULL, 0);
    ok(!anas_search_feasible(&spec, &m), "avm 10.000001 > 10: infeasible");
    m = metrics2("params", 5, NULL, 0);
    ok(!anas_search_feasible(&spec, &m), "avm absent: infeasible");
    m = metrics2("avm", NAN, NULL, 0);
    ok(!anas_search_feasible(&spec, &m), "avm NAN: infeasible");

    add_constraint(&spec, "params", 1, 1000, 1, 2000);
    m = metrics2("avm", 5, "params", 1500);
    ok(anas_search_feasible(&spec, &m), "both constraints hold: feasible");
    m = metrics2("avm", 5, "params", 999);
    ok(!anas_search_feasible(&spec, &m), "params below its min: infeasible");
    m = metrics2("avm", 5, "params", 2001);
    ok(!anas_search_feasible(&spec, &m), "params above its max: infeasible");
    m = metrics2("avm", 11, "params", 1500);
    ok(!anas_search_feasible(&spec, &m), "one of two constraints fails: infeasible");
}

static void test_score(void)
{
    struct anas_search_spec spec;
    struct anas_metrics m = metrics2("acc@1d", 0.75, "params", 1234);

    memset(&spec, 0, sizeof(spec));
    spec.n_objectives = 1;
    snprintf(spec.objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec.objectives[0].maximize = 1;
    is_near(anas_search_score(&spec, &m), 0.75, 0, "max objective: the value itself");

    snprintf(spec.objectives[0].metric, ANAS_METRIC_NAME_MAX, "params");
    spec.objectives[0].maximize = 0;
    is_near(anas_search_score(&spec, &m), -1234, 0, "min objective: the value negated");
    struct anas_metrics small = metrics2("params", 100, NULL, 0);
    ok(anas_search_score(&spec, &small) > anas_search_score(&spec, &m),
       "min objective: fewer params score higher");

    snprintf(spec.objectives[0].metric, ANAS_METRIC_NAME_MAX, "avm");
    double s = anas_search_score(&spec, &m);
    ok(isinf(s) && s < 0, "absent metric: -INFINITY");

    /* Only the first objective counts. */
    spec.n_objectives = 2;
    snprintf(spec.objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec.objectives[0].maximize = 1;
    snprintf(spec.objectives[1].metric, ANAS_METRIC_NAME_MAX, "params");
    is_near(anas_search_score(&spec, &m), 0.75, 0, "the first objective is the score");
}

static void test_analytic(void)
{
    static const char *const yes[] = {"params", "macs", "tiles", "tile_util", "nb_convs"};
    static const char *const no[] = {"acc@1d", "avm", "acc_std@1d", "acc@fp", "param"};
    int n_yes = 0, n_no = 0;

    for (int i = 0; i < 5; i++) {
        n_yes += anas_search_metric_is_analytic(yes[i]) ? 1 : 0;
        n_no += anas_search_metric_is_analytic(no[i]) ? 0 : 1;
    }
    is_int(n_yes, 5, "params, macs, tiles, tile_util, nb_convs are analytic");
    is_int(n_no, 5, "accuracies, avm and near-misses are not");
}

static void test_mean_sem(void)
{
    /* AnalogNAS tutorial: five runs' best accuracies (float32) and the value
     * its Worker printed, computed in float32 (AnalogNAS_Tutorial.ipynb;
     * search_algorithms/worker.py). */
    static const double runs[] = {0.9474212, 0.9442333, 0.94102144, 0.9806803, 0.920694};
    static const double quarters[] = {1, 2, 3, 4};
    double mean, sem;

    anas_search_mean_sem(quarters, 4, &mean, &sem);
    is_near(mean, 2.5, 1e-15, "mean of 1..4");
    /* Deviations -1.5, -0.5, 0.5, 1.5: squares sum to 5, variance 5/3,
     * std 1.2909944487358056, over sqrt(4) = 2. */
    is_near(sem, 0.6454972243679028, 1e-15, "sem of 1..4 is sqrt(5/3)/2");

    anas_search_mean_sem(runs, 5, &mean, &sem);
    is_near(sem, 0.009668926102928877, 1e-8,
            "sem of the tutorial's runs matches AnalogNAS");
    is_near(mean, 0.946810048, 1e-8, "mean of the tutorial's runs");

    anas_search_mean_sem(runs, 1, &mean, &sem);
    ok(mean == runs[0] && isnan(sem), "n = 1: mean is the value, sem is NAN");
    anas_search_mean_sem(runs, 0, &mean, &sem);
    ok(isnan(mean) && isnan(sem), "n = 0: both NAN");

    static const double same[] = {0.5, 0.5, 0.5};
    anas_search_mean_sem(same, 3, &mean, &sem);
    ok(mean == 0.5 && sem == 0, "identical values: sem 0");
}

int main(void)
{
    plan(10 + 5 + 2 + 7);
    test_feasible();
    test_score();
    test_analytic();
    test_mean_sem();
    return done();
}
