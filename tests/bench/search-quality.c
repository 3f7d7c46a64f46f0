/*
 * search-quality.c - the C half of tests/bench/search-quality: how good are
 * the optimizers at a fixed number of evaluations, on AnalogNAS's CIFAR-10
 * surrogates (xgboost_ranker_acc.bst as acc@1d, xgboost_avm.bst as avm,
 * xgboost_std.bst as acc_std@1d; the resnet space, input 3x32x32, 10
 * classes)?
 *
 *     search-quality [seeds=10] [evals=1000] [part=ab]
 *
 * (a) max acc@1d subject to avm <= 5: the best feasible acc@1d within the
 *     first 100, 300, 1000 evaluations, mean and standard error over the
 *     seeds, and how many evaluations each optimizer needs to reach random
 *     search's mean at 1000;
 * (b) acc@1d max and params min under the same constraint: the
 *     hypervolume of the feasible results at 100, 300, 1000 evaluations.
 *
 * Optimizers are driven through the library API alone, as the daemon
 * drives them: every proposal is evaluated in order, results are observed
 * one at a time, and propose is called again after each observation.
 * Optimizers not in the registry are skipped with a note. Needs
 * ANAS_SHARED (the project's shared/ folder): without it, or without the
 * models, prints a skip line and exits 0.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench-search.h"
#include "core/rng.h"
#include "eval/eval.h"
#include "search/search.h"

#define N_BUDGETS 3
static const int budgets[N_BUDGETS] = {100, 300, 1000};

#define MAX_SEEDS 64
#define AVM_MAX 5.0

struct bench {
    struct bench_eval e;
    const struct anas_space *space;
    struct anas_eval_spec eval;
    int seeds, evals;
};

/* What each evaluation gave, in evaluation order. */
struct trace {
    int n;
    double *acc, *params;
    unsigned char *feasible;
    struct bench_run run;
};

/* acc@1d max (and params min when two), avm <= 5. */
static void spec_for(const struct bench *b, const struct anas_search_ops *ops, int two,
                     struct anas_search_spec *spec)
{
    anas_search_spec_init(spec, b->space, ops);
    spec->has_shape = 1;
    spec->shape = b->e.shape;
    spec->mapping = b->eval.mapping;
    spec->n_objectives = two ? 2 : 1;
    snprintf(spec->objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec->objectives[0].maximize = 1;
    snprintf(spec->objectives[1].metric, ANAS_METRIC_NAME_MAX, "params");
    spec->objectives[1].maximize = 0;
    spec->n_constraints = 1;
    snprintf(spec->constraints[0].metric, ANAS_METRIC_NAME_MAX, "avm");
    spec->constraints[0].has_max = 1;
    spec->constraints[0].max = AVM_MAX;
    bench_set_length(spec, b->evals);
}

static void record(void *ctx, const struct anas_search_result *r)
{
    struct trace *t = ctx;
    double v;

    t->acc[t->n] = anas_metrics_get(&r->metrics, "acc@1d", &v) == 0 ? v : NAN;
    t->params[t->n] = anas_metrics_get(&r->metrics, "params", &v) == 0 ? v : NAN;
    t->feasible[t->n] = (unsigned char)r->feasible;
    t->n++;
}

static void drive(const struct bench *b, const struct anas_search_spec *spec, uint64_t seed,
                  struct trace *t)
{
    t->n = 0;
    bench_drive(&b->e, spec, seed, b->evals, record, t, &t->run);
}

/* --- Judging traces --- */

/* The best feasible acc@1d among the first `upto` evaluations; NAN when
 * none is feasible. */
static double best_within(const struct trace *t, int upto)
{
    double best = NAN;

    for (int i = 0; i < upto && i < t->n; i++)
        if (t->feasible[i] && !isnan(t->acc[i]) && (isnan(best) || t->acc[i] > best))
            best = t->acc[i];
    return best;
}

/* 1-based evaluation at which the best feasible acc@1d first reaches
 * `target`; 0 when it never does. */
static int evals_to_reach(const struct trace *t, double target)
{
    for (int i = 0; i < t->n; i++)
        if (t->feasible[i] && t->acc[i] >= target)
            return i + 1;
    return 0;
}

/* Hypervolume of the feasible (acc@1d, params) among the first `upto`,
 * minimised as (-acc, params), over ref (0, params_max). */
static double hv_within(const struct trace *t, int upto, double params_max)
{
    const double ref[2] = {0.0, params_max};
    double *f = malloc(2 * (size_t)(t->n + 1) * sizeof(*f)), v = NAN;
    int m = 0;

    for (int i = 0; f && i < upto && i < t->n; i++)
        if (t->feasible[i]) {
            f[2 * m] = -t->acc[i];
            f[2 * m + 1] = t->params[i];
            m++;
        }
    if (f && anas_pareto_hypervolume(f, m, 2, ref, &v) < 0)
        v = NAN;
    free(f);
    return v;
}

static int trace_alloc(struct trace *t, int evals)
{
    t->acc = malloc((size_t)evals * sizeof(double));
    t->params = malloc((size_t)evals * sizeof(double));
    t->feasible = malloc((size_t)evals);
    return t->acc && t->params && t->feasible ? 0 : -1;
}

static void trace_free(struct trace *t)
{
    free(t->acc);
    free(t->params);
    free(t->feasible);
}

/* All seeds of one optimizer (seeds 1..n). NULL when not registered. */
static struct trace *run_all(const struct bench *b, const char *name, int two)
{
    const struct anas_search_ops *ops = anas_search_find(name);
    struct anas_search_spec spec;
    struct trace *t;
    int early = 0, old = 0;
    long feasible = 0, total = 0;
    double t0 = bench_now();

    if (!ops) {
        printf("  %-22s not in the registry: skipped\n", name);
        return NULL;
    }
    spec_for(b, ops, two, &spec);
    bench_print_params(&spec);
    t = calloc((size_t)b->seeds, sizeof(*t));
    for (int s = 0; t && s < b->seeds; s++) {
        if (trace_alloc(&t[s], b->evals) < 0) {
            printf("search-quality: out of memory\n");
            exit(1);
        }
        drive(b, &spec, (uint64_t)s + 1, &t[s]);
        early += t[s].run.finished_early;
        old |= t[s].run.old_contract;
        total += t[s].n;
        for (int i = 0; i < t[s].n; i++)
            feasible += t[s].feasible[i];
    }
    printf("  %-22s %d runs, %ld evaluations (%.1f%% feasible) in %.1f s", "", b->seeds,
           total, total ? 100.0 * (double)feasible / (double)total : 0.0, bench_now() - t0);
    if (early)
        printf("; %d finished before %d evaluations", early, b->evals);
    printf("\n");
    if (old)
        printf("  %-22s note: propose answered ANAS_ESTATE while proposals were out "
               "(taken as \"observe first\")\n", "");
    return t;
}

static void free_all(struct trace *t, int seeds)
{
    for (int s = 0; t && s < seeds; s++)
        trace_free(&t[s]);
    free(t);
}

/* --- Part (a): single objective --- */

#define N_SINGLE 6
static const char *const single[N_SINGLE] = {"bo", "ea", "regularized-evolution",
                                             "ea-analognas", "linas", "random"};

/* "mean +- sem (found/seeds)" of the best feasible acc@1d at `upto`. */
static void cell_best(const struct trace *t, int seeds, int upto, double *mean_out)
{
    double x[MAX_SEEDS], mean, sem;
    int found = 0;
    char buf[64];

    for (int s = 0; s < seeds; s++) {
        double v = best_within(&t[s], upto);
        if (!isnan(v))
            x[found++] = v;
    }
    anas_search_mean_sem(x, found, &mean, &sem);
    if (found == 0)
        snprintf(buf, sizeof buf, "none (0/%d)", seeds);
    else
        snprintf(buf, sizeof buf, "%.4f +- %.4f (%d/%d)", mean, isnan(sem) ? 0.0 : sem, found,
                 seeds);
    printf(" %-26s", buf);
    if (mean_out)
        *mean_out = found ? mean : NAN;
}

static void cell_reach(const struct trace *t, int seeds, double target)
{
    double x[MAX_SEEDS], mean, sem;
    int reached = 0;
    char buf[64];

    for (int s = 0; s < seeds && !isnan(target); s++) {
        int k = evals_to_reach(&t[s], target);
        if (k > 0)
            x[reached++] = k;
    }
    anas_search_mean_sem(x, reached, &mean, &sem);
    if (reached == 0)
        snprintf(buf, sizeof buf, "never (0/%d)", seeds);
    else
        snprintf(buf, sizeof buf, "%.0f +- %.0f (%d/%d)", mean, isnan(sem) ? 0.0 : sem,
                 reached, seeds);
    printf(" %-22s", buf);
}

static void part_a(const struct bench *b)
{
    struct trace *t[N_SINGLE];
    double target = NAN;
    char head[32];

    printf("\n(a) max acc@1d subject to avm <= %g: best feasible acc@1d within the first B "
           "evaluations,\n    mean +- standard error over %d seeds (seeds that found a "
           "feasible one)\n\n",
           AVM_MAX, b->seeds);
    for (int i = 0; i < N_SINGLE; i++)
        t[i] = run_all(b, single[i], 0);
    /* The target: random search's mean best at its largest budget. */
    if (t[N_SINGLE - 1]) {
        double x[MAX_SEEDS], sem;
        int found = 0;
        for (int s = 0; s < b->seeds; s++) {
            double v = best_within(&t[N_SINGLE - 1][s], b->evals);
            if (!isnan(v))
                x[found++] = v;
        }
        anas_search_mean_sem(x, found, &target, &sem);
    }
    printf("\n%-22s", "optimizer");
    for (int k = 0; k < N_BUDGETS; k++) {
        snprintf(head, sizeof head, "B=%d", budgets[k]);
        printf(" %-26s", head);
    }
    snprintf(head, sizeof head, "evals to %.4f", target);
    printf(" %-22s\n", head);
    for (int i = 0; i < N_SINGLE; i++) {
        if (!t[i])
            continue;
        printf("%-22s", single[i]);
        for (int k = 0; k < N_BUDGETS; k++)
            cell_best(t[i], b->seeds, budgets[k] < b->evals ? budgets[k] : b->evals, NULL);
        cell_reach(t[i], b->seeds, target);
        printf("\n");
    }
    printf("(evals to X: the mean evaluation at which the best feasible acc@1d first "
           "reached random's mean at %d, over the seeds that reached it)\n",
           b->evals);
    for (int i = 0; i < N_SINGLE; i++)
        free_all(t[i], b->seeds);
}

/* --- Part (b): two objectives --- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 10,000 uniform samples, evaluated: what the landscape looks like (how
 * rare avm <= 5 is), and the largest params, part (b)'s reference point,
 * the same for every method and run. */
static double survey(const struct bench *b)
{
    enum { N = 10000 };
    static double avm[N], acc[N];
    struct anas_rng rng;
    struct anas_config cfg;
    double pmax = 0.0, v;
    int n = 0, feasible = 0;

    anas_rng_seed(&rng, 20240601);
    for (int i = 0; i < N; i++) {
        struct anas_metrics m;

        if (anas_space_sample(b->space, &rng, &cfg) < 0 ||
            anas_eval_run(&b->eval, &cfg, NULL, &m, NULL) < 0)
            continue;
        if (anas_metrics_get(&m, "params", &v) == 0 && v > pmax)
            pmax = v;
        if (anas_metrics_get(&m, "avm", &avm[n]) < 0 ||
            anas_metrics_get(&m, "acc@1d", &acc[n]) < 0)
            continue;
        feasible += avm[n] <= AVM_MAX;
        n++;
    }
    if (n == 0)
        return pmax;
    qsort(avm, (size_t)n, sizeof(double), cmp_double);
    qsort(acc, (size_t)n, sizeof(double), cmp_double);
    printf("uniform samples (%d): avm min %.3g, 1%% %.3g, median %.3g, max %.3g; avm <= %g "
           "in %.2f%%;\n  acc@1d min %.4f, median %.4f, max %.4f; params max %.0f\n",
           n, avm[0], avm[n / 100], avm[n / 2], avm[n - 1], AVM_MAX,
           100.0 * feasible / n, acc[0], acc[n / 2], acc[n - 1], pmax);
    return pmax;
}

static void cell_hv(const struct trace *t, int seeds, int upto, double pmax)
{
    double x[MAX_SEEDS], mean, sem;
    char buf[64];

    for (int s = 0; s < seeds; s++)
        x[s] = hv_within(&t[s], upto, pmax) / pmax;
    anas_search_mean_sem(x, seeds, &mean, &sem);
    snprintf(buf, sizeof buf, "%.5f +- %.5f", mean, isnan(sem) ? 0.0 : sem);
    printf(" %-22s", buf);
}

static void part_b(const struct bench *b, double pmax)
{
#define N_MULTI 4
    static const char *const names[N_MULTI] = {"bo", "nsga2", "linas", "random"};
    struct trace *t[N_MULTI];
    char head[32];

    printf("\n(b) acc@1d max, params min, subject to avm <= %g: hypervolume of the feasible "
           "results\n    within the first B evaluations, reference point acc@1d 0, params "
           "%.0f\n    (the largest of the 10,000 uniform samples); printed divided by that "
           "params, mean +- standard error\n    over %d seeds\n\n",
           AVM_MAX, pmax, b->seeds);
    for (int i = 0; i < N_MULTI; i++)
        t[i] = run_all(b, names[i], 1);
    printf("\n%-22s", "optimizer");
    for (int k = 0; k < N_BUDGETS; k++) {
        snprintf(head, sizeof head, "B=%d", budgets[k]);
        printf(" %-22s", head);
    }
    printf("\n");
    for (int i = 0; i < N_MULTI; i++) {
        if (!t[i])
            continue;
        printf("%-22s", names[i]);
        for (int k = 0; k < N_BUDGETS; k++)
            cell_hv(t[i], b->seeds, budgets[k] < b->evals ? budgets[k] : b->evals, pmax);
        printf("\n");
    }
    for (int i = 0; i < N_MULTI; i++)
        free_all(t[i], b->seeds);
}

/* --- main --- */

static int parse_args(int argc, char **argv, struct bench *b, const char **part)
{
    b->seeds = 10;
    b->evals = 1000;
    *part = "ab";
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "seeds=", 6) == 0)
            b->seeds = atoi(argv[i] + 6);
        else if (strncmp(argv[i], "evals=", 6) == 0)
            b->evals = atoi(argv[i] + 6);
        else if (strncmp(argv[i], "part=", 5) == 0)
            *part = argv[i] + 5;
        else
            return -1;
    }
    return b->seeds >= 1 && b->seeds <= MAX_SEEDS && b->evals >= 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *shared = getenv("ANAS_SHARED"), *part;
    struct bench b;
    double t0 = bench_now();
    int rc;

    memset(&b, 0, sizeof b);
    if (parse_args(argc, argv, &b, &part) < 0) {
        fprintf(stderr, "usage: search-quality [seeds=1..%d] [evals=N] [part=ab]\n",
                MAX_SEEDS);
        return 2;
    }
    if (!shared || !*shared) {
        printf("search-quality: skip: ANAS_SHARED is not set\n");
        return 0;
    }
    rc = bench_eval_load(&b.e, shared, "search-quality");
    b.space = b.e.space;
    b.eval = b.e.eval;
    if (rc == 0) {
        printf("search-quality: resnet, input 3x32x32, 10 classes; AnalogNAS's CIFAR-10 "
               "surrogates; %d seeds, up to %d evaluations each\n",
               b.seeds, b.evals);
        double pmax = survey(&b);

        if (strchr(part, 'a'))
            part_a(&b);
        if (strchr(part, 'b'))
            part_b(&b, pmax);
        printf("\ntotal %.1f s\n", bench_now() - t0);
    }
    bench_eval_free(&b.e);
    return rc == -2 ? 1 : 0;
}
