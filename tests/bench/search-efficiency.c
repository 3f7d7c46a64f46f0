/*
 * search-efficiency.c - the C half of tests/bench/search-efficiency: anasd's
 * optimizers against Optuna's samplers on the same objective functions,
 * AnalogNAS's CIFAR-10 surrogates on the resnet space (input 3x32x32, 10
 * classes): acc@1d (xgboost_ranker_acc.bst), avm (xgboost_avm.bst),
 * acc_std@1d (xgboost_std.bst), params analytic.
 *
 *     search-efficiency space                 the hyperparameters, for Python
 *     search-efficiency serve                 configurations in, what Python needs out
 *     search-efficiency sample N SEED         N uniform configurations
 *     search-efficiency run OPT PART SEED EVALS FILE   one anasd search's trace
 *     search-efficiency tables DIR SEEDS PARTS EVALS    the tables from every trace
 *
 * Parts: (a) max acc@1d; (b) acc@1d max, params min; (c) acc@1d max,
 * params min, acc_std@1d min (the spread of the accuracy over analog
 * noise draws: a robust architecture is worth as much as a small one);
 * all subject to avm <= 5. A trace holds one line per evaluation, in
 * evaluation order: "feasible acc@1d params acc_std@1d avm"; Optuna's side
 * (search_efficiency.py) writes the same. Both sides compute the
 * objectives from the same features (serve gives Python the feature vector
 * anas_space_features makes and the analytic params; Python predicts with
 * its own xgboost, and checks each prediction against this evaluator's).
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

#define AVM_MAX 5.0
#define MAX_SEEDS 64
#define MAX_EVALS 100000

/* One evaluation as a trace line. */
struct point {
    int feasible;
    double acc, params, std, avm;
};

static double metric(const struct anas_metrics *m, const char *name)
{
    double v;
    return anas_metrics_get(m, name, &v) == 0 ? v : NAN;
}

/* The objectives of part `part` ('a', 'b', 'c'), avm <= 5. */
static int spec_for(const struct bench_eval *b, const struct anas_search_ops *ops, char part,
                    int evals, struct anas_search_spec *spec)
{
    static const char *const names[3] = {"acc@1d", "params", "acc_std@1d"};

    if (part < 'a' || part > 'c')
        return -1;
    anas_search_spec_init(spec, b->space, ops);
    spec->has_shape = 1;
    spec->shape = b->shape;
    spec->mapping = b->eval.mapping;
    spec->n_objectives = part - 'a' + 1;
    for (int i = 0; i < spec->n_objectives; i++) {
        snprintf(spec->objectives[i].metric, ANAS_METRIC_NAME_MAX, "%s", names[i]);
        spec->objectives[i].maximize = i == 0;
    }
    spec->n_constraints = 1;
    snprintf(spec->constraints[0].metric, ANAS_METRIC_NAME_MAX, "avm");
    spec->constraints[0].has_max = 1;
    spec->constraints[0].max = AVM_MAX;
    bench_set_length(spec, evals);
    return 0;
}

/* --- space, serve, sample: what Python needs --- */

/* Each hyperparameter: "hp NAME KIND LO HI NEEDS_M CHOICES...", KIND one
 * of choice, int, float; NEEDS_M the least M with which it is active (0:
 * always), found by asking the space, so Python's define-by-run search
 * asks exactly the active ones. */
static int cmd_space(const struct bench_eval *b)
{
    const struct anas_space *s = b->space;
    int m_idx = anas_space_hp_index(s, "M");
    const struct anas_hp *m_hp = anas_space_hp(s, m_idx);

    for (int i = 0; i < anas_space_n_hp(s); i++) {
        const struct anas_hp *hp = anas_space_hp(s, i);
        const char *kind = hp->kind == ANAS_HP_CHOICE ? "choice"
                           : hp->kind == ANAS_HP_INT  ? "int"
                                                      : "float";
        int needs = -1;
        struct anas_config c;

        anas_config_init(&c, s);
        for (int m = (int)m_hp->lo; m <= (int)m_hp->hi && needs < 0; m++) {
            c.v[m_idx] = m;
            if (anas_space_is_active(s, &c, i))
                needs = m;
        }
        if (needs == (int)m_hp->lo)
            needs = 0;
        printf("hp %s %s %.17g %.17g %d", hp->name, kind, hp->lo, hp->hi,
               needs < 0 ? 1000 : needs);
        for (int k = 0; k < hp->n_choices; k++)
            printf(" %.17g", hp->choices[k]);
        printf("\n");
    }
    return 0;
}

/* Per input line of n_hp values (inactive ones 0): "ok", the features
 * (float32, 9 digits: exact), params, and this evaluator's acc@1d, avm,
 * acc_std@1d; or "bad <reason>" when the space would change or refuse it. */
static int cmd_serve(const struct bench_eval *b)
{
    char line[8192];
    int n_hp = anas_space_n_hp(b->space);

    while (fgets(line, sizeof line, stdin)) {
        struct anas_config cfg, canon;
        struct anas_error err = {0};
        struct anas_metrics m;
        float f[ANAS_SPACE_MAX_HP];
        char *p = line, *end;
        int k, nf;

        anas_config_init(&cfg, b->space);
        for (k = 0; k < n_hp; k++, p = end) {
            cfg.v[k] = strtod(p, &end);
            if (end == p)
                break;
        }
        canon = cfg;
        if (k < n_hp)
            printf("bad %d values, not %d\n", k, n_hp);
        else if (anas_space_validate(b->space, &canon, &err) < 0)
            printf("bad %s: %s\n", err.field, err.msg);
        else if (!anas_config_equal(b->space, &cfg, &canon))
            printf("bad not canonical\n");
        else if ((nf = anas_space_features(b->space, &cfg, f, ANAS_SPACE_MAX_HP)) < 0 ||
                 anas_eval_run(&b->eval, &cfg, NULL, &m, &err) < 0)
            printf("bad evaluation: %s\n", err.msg);
        else {
            printf("ok");
            for (k = 0; k < nf; k++)
                printf(" %.9g", (double)f[k]);
            printf(" %.17g %.17g %.17g %.17g\n", metric(&m, "params"), metric(&m, "acc@1d"),
                   metric(&m, "avm"), metric(&m, "acc_std@1d"));
        }
        fflush(stdout);
    }
    return 0;
}

static int cmd_sample(const struct bench_eval *b, int n, uint64_t seed)
{
    struct anas_rng rng;

    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        struct anas_config c;
        if (anas_space_sample(b->space, &rng, &c) < 0)
            return 1;
        for (int k = 0; k < anas_space_n_hp(b->space); k++)
            printf("%s%.17g", k ? " " : "", c.v[k]);
        printf("\n");
    }
    return 0;
}

/* --- run: one anasd search --- */

static void record(void *ctx, const struct anas_search_result *r)
{
    fprintf(ctx, "%d %.9g %.17g %.9g %.9g\n", r->feasible, metric(&r->metrics, "acc@1d"),
            metric(&r->metrics, "params"), metric(&r->metrics, "acc_std@1d"),
            metric(&r->metrics, "avm"));
}

static int cmd_run(const struct bench_eval *b, const char *opt, char part, uint64_t seed,
                   int evals, const char *path)
{
    const struct anas_search_ops *ops = anas_search_find(opt);
    struct anas_search_spec spec;
    struct bench_run run;
    FILE *f;

    if (!ops) {
        printf("  %s: not in the registry: skipped\n", opt);
        return 0;
    }
    if (spec_for(b, ops, part, evals, &spec) < 0 || !(f = fopen(path, "w"))) {
        fprintf(stderr, "search-efficiency: bad part or cannot write %s\n", path);
        return 1;
    }
    bench_drive(b, &spec, seed, evals, record, f, &run);
    if (run.finished_early)
        printf("  # %s part %c seed %llu finished after %d evaluations\n", opt, part,
               (unsigned long long)seed, run.n);
    return fclose(f) == 0 && run.rc == 0 ? 0 : 1;
}

/* --- tables: every trace judged the same way --- */

#define N_BUDGETS 3
static const int budgets[N_BUDGETS] = {100, 300, 1000};
#define GOAL_EVALS 250 /* linas must reach random's 1000-evaluation quality by then */

#define N_METHODS 7
static const char *const methods[N_METHODS] = {"random", "ea",    "nsga2",       "linas",
                                               "bo",     "optuna-tpe", "optuna-nsga2"};
enum { M_RANDOM, M_EA, M_NSGA2, M_LINAS, M_BO, M_TPE, M_OPT_NSGA2 };

struct traces {
    int present; /* every seed's trace was read */
    int n[MAX_SEEDS];
    struct point *p[MAX_SEEDS];
};

struct tables {
    const char *dir;
    int seeds;
    int n_budgets; /* the budgets within the searches' length */
    double ref[3]; /* hypervolume reference: acc@1d 0, params max, acc_std@1d max */
    struct traces t[N_METHODS];
};

static int read_trace(const char *path, struct point **out, int *n)
{
    FILE *f = fopen(path, "r");
    int cap = 1024;
    struct point *p = malloc((size_t)cap * sizeof(*p));

    *n = 0;
    if (!f || !p) {
        if (f)
            fclose(f);
        free(p);
        return -1;
    }
    while (*n < MAX_EVALS) {
        struct point q;
        if (fscanf(f, "%d %lf %lf %lf %lf", &q.feasible, &q.acc, &q.params, &q.std, &q.avm) !=
            5)
            break;
        if (*n == cap) {
            struct point *r = realloc(p, 2 * (size_t)cap * sizeof(*p));
            if (!r)
                break;
            p = r, cap *= 2;
        }
        p[(*n)++] = q;
    }
    fclose(f);
    *out = p;
    return 0;
}

static void read_part(struct tables *tb, char part)
{
    char path[4096];

    for (int m = 0; m < N_METHODS; m++) {
        struct traces *t = &tb->t[m];
        t->present = 1;
        for (int s = 0; s < tb->seeds; s++) {
            snprintf(path, sizeof path, "%s/%c/%s.%d", tb->dir, part, methods[m], s + 1);
            t->p[s] = NULL;
            if (read_trace(path, &t->p[s], &t->n[s]) < 0)
                t->present = 0;
        }
    }
}

static void free_part(struct tables *tb)
{
    for (int m = 0; m < N_METHODS; m++)
        for (int s = 0; s < tb->seeds; s++)
            free(tb->t[m].p[s]);
}

/* The best feasible acc@1d among the first `upto`; NAN when none. */
static double best_within(const struct point *p, int n, int upto)
{
    double best = NAN;

    for (int i = 0; i < upto && i < n; i++)
        if (p[i].feasible && !isnan(p[i].acc) && (isnan(best) || p[i].acc > best))
            best = p[i].acc;
    return best;
}

/* 1-based evaluation at which the best feasible acc@1d first reaches
 * target; 0 when never. */
static int evals_to_reach(const struct point *p, int n, double target)
{
    for (int i = 0; i < n; i++)
        if (p[i].feasible && p[i].acc >= target)
            return i + 1;
    return 0;
}

/* Hypervolume of the feasible results among the first `upto` in d = 2
 * or 3 objectives, minimised as (-acc@1d, params, acc_std@1d) over the
 * reference point, divided by the reference box's params (and acc_std)
 * extent: a fraction of [0, 1] x [0, ref]. */
static double hv_within(const struct tables *tb, const struct point *p, int n, int upto,
                        int d)
{
    double *f = malloc(3 * (size_t)(n + 1) * sizeof(*f)), v = NAN;
    int m = 0;

    for (int i = 0; f && i < upto && i < n; i++)
        if (p[i].feasible) {
            f[d * m] = -p[i].acc;
            f[d * m + 1] = p[i].params;
            if (d == 3)
                f[d * m + 2] = p[i].std;
            m++;
        }
    if (f && anas_pareto_hypervolume(f, m, d, tb->ref, &v) < 0)
        v = NAN;
    free(f);
    return v / tb->ref[1] / (d == 3 ? tb->ref[2] : 1.0);
}

/* What a method scored at a budget: for part (a) the mean best feasible
 * acc@1d over the seeds that found one (found of them), for (b) and (c)
 * the mean hypervolume over all seeds. */
struct score {
    int found;
    double mean, sem;
};

static struct score score_at(const struct tables *tb, int m, int d, int upto)
{
    const struct traces *t = &tb->t[m];
    double x[MAX_SEEDS] = {0};
    struct score sc = {0, NAN, NAN};

    for (int s = 0; s < tb->seeds; s++) {
        double v = d == 1 ? best_within(t->p[s], t->n[s], upto)
                          : hv_within(tb, t->p[s], t->n[s], upto, d);
        if (!isnan(v))
            x[sc.found++] = v;
    }
    anas_search_mean_sem(x, sc.found, &sc.mean, &sc.sem);
    return sc;
}

/* "At or above": more seeds with something feasible, or as many and a
 * mean at least as high. */
static int at_or_above(struct score a, struct score b)
{
    if (a.found != b.found)
        return a.found > b.found;
    return b.found == 0 || a.mean >= b.mean;
}

static void cell_score(struct score sc, int seeds, int d)
{
    char buf[64];

    if (sc.found == 0)
        snprintf(buf, sizeof buf, "none (0/%d)", seeds);
    else if (d == 1)
        snprintf(buf, sizeof buf, "%.4f +- %.4f (%d/%d)", sc.mean,
                 isnan(sc.sem) ? 0.0 : sc.sem, sc.found, seeds);
    else
        snprintf(buf, sizeof buf, "%.5f +- %.5f", sc.mean, isnan(sc.sem) ? 0.0 : sc.sem);
    printf(" %-24s", buf);
}

static void cell_reach(const struct tables *tb, int m, double target)
{
    const struct traces *t = &tb->t[m];
    double x[MAX_SEEDS] = {0}, mean, sem;
    int reached = 0;
    char buf[64];

    for (int s = 0; s < tb->seeds && !isnan(target); s++) {
        int k = evals_to_reach(t->p[s], t->n[s], target);
        if (k > 0)
            x[reached++] = k;
    }
    anas_search_mean_sem(x, reached, &mean, &sem);
    if (reached == 0)
        snprintf(buf, sizeof buf, "never (0/%d)", tb->seeds);
    else
        snprintf(buf, sizeof buf, "%.0f +- %.0f (%d/%d)", mean, isnan(sem) ? 0.0 : sem,
                 reached, tb->seeds);
    printf(" %-20s", buf);
}

static const char *const part_title[3] = {
    "max acc@1d subject to avm <= 5: best feasible acc@1d within the first B evaluations, "
    "mean +- standard error over the seeds that found a feasible one (found/seeds)",
    "acc@1d max, params min, subject to avm <= 5: hypervolume of the feasible results "
    "within the first B evaluations, mean +- standard error",
    "acc@1d max, params min, acc_std@1d min, subject to avm <= 5: hypervolume as in (b)"};

/* Goals per part and method: [method][0] at or above both Optuna samplers
 * at every budget, [method][1] linas at GOAL_EVALS at or above random at
 * 1000. -1: not judged (a method or part missing). */
static int goal[N_METHODS][2][3];

static void print_part(struct tables *tb, char part)
{
    int d = part - 'a' + 1, last = budgets[tb->n_budgets - 1];
    double tpe_target = NAN, rnd_target = NAN;
    char head[48];

    printf("\n(%c) %s\n\n%-14s", part, part_title[d - 1], "method");
    for (int k = 0; k < tb->n_budgets; k++) {
        snprintf(head, sizeof head, "B=%d", budgets[k]);
        printf(" %-24s", head);
    }
    if (d == 1) {
        if (tb->t[M_TPE].present)
            tpe_target = score_at(tb, M_TPE, 1, last).mean;
        if (tb->t[M_RANDOM].present)
            rnd_target = score_at(tb, M_RANDOM, 1, last).mean;
        snprintf(head, sizeof head, "evals to %.4f (tpe)", tpe_target);
        printf(" %-20s", head);
        snprintf(head, sizeof head, "evals to %.4f (rnd)", rnd_target);
        printf(" %-20s", head);
    }
    printf("\n");
    for (int m = 0; m < N_METHODS; m++) {
        if (!tb->t[m].present)
            continue;
        printf("%-14s", methods[m]);
        for (int k = 0; k < tb->n_budgets; k++)
            cell_score(score_at(tb, m, d, budgets[k]), tb->seeds, d);
        if (d == 1) {
            cell_reach(tb, m, tpe_target);
            cell_reach(tb, m, rnd_target);
        }
        printf("\n");
    }
    if (d == 1)
        printf("(evals to X: the mean evaluation at which the best feasible acc@1d first "
               "reached X, Optuna-TPE's or random's\n mean at %d, over the seeds that "
               "reached it)\n",
               last);
    for (int m = 0; m < N_METHODS; m++) {
        goal[m][0][d - 1] = goal[m][1][d - 1] = -1;
        if (tb->t[m].present && tb->t[M_RANDOM].present && last == budgets[N_BUDGETS - 1])
            goal[m][1][d - 1] = at_or_above(score_at(tb, m, d, GOAL_EVALS),
                                            score_at(tb, M_RANDOM, d, last));
        if (!tb->t[m].present || !tb->t[M_TPE].present || !tb->t[M_OPT_NSGA2].present)
            continue;
        goal[m][0][d - 1] = 1;
        for (int k = 0; k < tb->n_budgets; k++) {
            struct score me = score_at(tb, m, d, budgets[k]);
            goal[m][0][d - 1] &= at_or_above(me, score_at(tb, M_TPE, d, budgets[k])) &&
                                 at_or_above(me, score_at(tb, M_OPT_NSGA2, d, budgets[k]));
        }
    }
    printf("%d evaluations: ", GOAL_EVALS);
    for (int m = 0; m < N_METHODS; m++)
        if (tb->t[m].present) {
            struct score sc = score_at(tb, m, d, GOAL_EVALS);
            printf("%s %.*f%s", methods[m], d == 1 ? 4 : 5, sc.mean,
                   m + 1 < N_METHODS ? ", " : "\n");
        }
}

static const char *yes_no(int v)
{
    return v < 0 ? "-" : v ? "yes" : "NO";
}

static void print_goals(const char *parts, int last)
{
    printf("\ngoals (issue 9): at or above both Optuna samplers at every budget up to %d (a: "
           "more seeds with a\nfeasible result, or as many and a mean at least as high; b, c: "
           "mean hypervolume); linas at %d\nevaluations at or above random at 1000 (- when "
           "not run)\n",
           last, GOAL_EVALS);
    for (int m = 0; m < M_TPE; m++) {
        int all = 1, judged = 0;
        printf("  %-8s >= Optuna:", methods[m]);
        for (int p = 0; p < 3; p++)
            if (strchr(parts, 'a' + p)) {
                printf(" (%c) %s", 'a' + p, yes_no(goal[m][0][p]));
                judged |= goal[m][0][p] >= 0;
                all &= goal[m][0][p] == 1;
            }
        if (m == M_LINAS) {
            printf(";  random@1000 by %d:", GOAL_EVALS);
            for (int p = 0; p < 3; p++)
                if (strchr(parts, 'a' + p)) {
                    printf(" (%c) %s", 'a' + p, yes_no(goal[m][1][p]));
                    all &= goal[m][1][p] == 1;
                }
        }
        if (m == M_LINAS || m == M_BO)
            printf("  => goals %s", judged && all ? "hold" : "DO NOT hold");
        printf("\n");
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 10,000 uniform samples: how rare avm <= 5 is, and the hypervolume's
 * reference point (the largest params and acc_std@1d seen), the same for
 * every method and run. */
static void survey(const struct bench_eval *b, struct tables *tb)
{
    enum { N = 10000 };
    static double avm[N], acc[N];
    struct anas_rng rng;
    int n = 0, feasible = 0;

    tb->ref[0] = 0, tb->ref[1] = 0, tb->ref[2] = 0;
    anas_rng_seed(&rng, 20240601);
    for (int i = 0; i < N; i++) {
        struct anas_config cfg;
        struct anas_metrics m;

        if (anas_space_sample(b->space, &rng, &cfg) < 0 ||
            anas_eval_run(&b->eval, &cfg, NULL, &m, NULL) < 0)
            continue;
        tb->ref[1] = fmax(tb->ref[1], metric(&m, "params"));
        tb->ref[2] = fmax(tb->ref[2], metric(&m, "acc_std@1d"));
        avm[n] = metric(&m, "avm");
        acc[n] = metric(&m, "acc@1d");
        feasible += avm[n] <= AVM_MAX;
        n++;
    }
    qsort(avm, (size_t)n, sizeof(double), cmp_double);
    qsort(acc, (size_t)n, sizeof(double), cmp_double);
    printf("uniform samples (%d): avm <= %g in %.2f%% (avm min %.3g, median %.3g); acc@1d "
           "median %.4f, max %.4f\nhypervolume reference: acc@1d 0, params %.0f, acc_std@1d "
           "%.4g (the largest of these samples)\n",
           n, AVM_MAX, 100.0 * feasible / n, avm[0], avm[n / 2], acc[n / 2], acc[n - 1],
           tb->ref[1], tb->ref[2]);
}

static int cmd_tables(const struct bench_eval *b, const char *dir, int seeds,
                      const char *parts, int evals)
{
    struct tables tb = {.dir = dir, .seeds = seeds};

    while (tb.n_budgets < N_BUDGETS && budgets[tb.n_budgets] <= evals)
        tb.n_budgets++;
    if (tb.n_budgets == 0) {
        fprintf(stderr, "search-efficiency: tables need %d evaluations at least\n",
                budgets[0]);
        return 2;
    }

    survey(b, &tb);
    for (int p = 0; p < 3; p++)
        if (strchr(parts, 'a' + p)) {
            read_part(&tb, (char)('a' + p));
            print_part(&tb, (char)('a' + p));
            free_part(&tb);
        }
    print_goals(parts, budgets[tb.n_budgets - 1]);
    return 0;
}

/* --- main --- */

int main(int argc, char **argv)
{
    const char *shared = getenv("ANAS_SHARED"), *cmd = argc > 1 ? argv[1] : "";
    struct bench_eval b;
    int rc;

    if (!shared || !*shared) {
        printf("search-efficiency: skip: ANAS_SHARED is not set\n");
        return 0;
    }
    if ((rc = bench_eval_load(&b, shared, "search-efficiency")) < 0) {
        bench_eval_free(&b);
        return rc == -1 ? 0 : 1;
    }
    if (strcmp(cmd, "space") == 0 && argc == 2)
        rc = cmd_space(&b);
    else if (strcmp(cmd, "serve") == 0 && argc == 2)
        rc = cmd_serve(&b);
    else if (strcmp(cmd, "sample") == 0 && argc == 4)
        rc = cmd_sample(&b, atoi(argv[2]), strtoull(argv[3], NULL, 10));
    else if (strcmp(cmd, "run") == 0 && argc == 7)
        rc = cmd_run(&b, argv[2], argv[3][0], strtoull(argv[4], NULL, 10), atoi(argv[5]),
                     argv[6]);
    else if (strcmp(cmd, "tables") == 0 && argc == 6 && atoi(argv[3]) >= 1 &&
             atoi(argv[3]) <= MAX_SEEDS)
        rc = cmd_tables(&b, argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
    else {
        fprintf(stderr, "usage: search-efficiency space | serve | sample N SEED | run OPT "
                        "PART SEED EVALS FILE | tables DIR SEEDS PARTS EVALS\n");
        rc = 2;
    }
    bench_eval_free(&b);
    return rc;
}
