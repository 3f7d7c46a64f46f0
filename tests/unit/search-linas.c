/*
 * search-linas.c - LINAS (Cummings et al. 2022) on the resnet space with
 * synthetic results: the smooth "acc@1d" of tests/search-drive.h (one
 * optimum, every value at 0.7 of its range) and, for a measured
 * constraint, a synthetic "avm" growing with the configuration's size.
 * Checks: LINAS beats random search with the same budget (one objective:
 * mean best acc@1d; two, acc@1d and the analytic params: mean
 * hypervolume); no configuration proposed twice, down to exhausting a
 * 64-configuration space; each inner search starts from the previous one's
 * final population; a measured constraint's predictor steers the batches
 * into the feasible region; the same proposals however results are fed
 * back, and after a resume; budget() is what gets proposed; parameter
 * checks; the predictors' Kendall tau per loop in ops->info.
 *
 * ANAS_VALGRIND set: fewer seeds (the fits dominate the time).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "search/linas_int.h"
#include "search/search.h"
#include "search-drive.h"
#include "surrogate/surrogate.h"
#include "space/space_int.h"
#include "tap.h"

#define MAXP 512

/* 4 x 4 x 4 = 64 configurations, for exhausting a space. */
static const struct anas_hp tiny_hps[] = {
    {"a", ANAS_HP_INT, 0, 3, 0, NULL, 1, "a"},
    {"b", ANAS_HP_INT, 0, 3, 0, NULL, 1, "b"},
    {"c", ANAS_HP_INT, 0, 3, 0, NULL, 1, "c"},
};

static const struct anas_space tiny_space = {
    .name = "tiny",
    .description = "three integers in 0..3",
    .n_hp = 3,
    .hp = tiny_hps,
    .default_shape = {1, 1, 1, 1},
};

struct run {
    struct anas_config prop[MAXP];
    struct anas_search_result res[MAXP];
    int n, errors, max_out;
    struct anas_metrics info;
};

static struct run ra, rb, rc_;

/* The synthetic avm: 10 x the mean normalised value, so that large
 * configurations drift most. acc@1d's optimum (every value at 0.7) has
 * avm 7 or so. */
static double synth_avm(const struct anas_space *s, const struct anas_config *c)
{
    double sum = 0;
    int n = anas_space_n_hp(s);

    for (int i = 0; i < n; i++)
        sum += drive_norm(s, c, i);
    return 10 * sum / n;
}

static void evaluate(const struct anas_search_spec *spec, const struct anas_config *cfg,
                     struct anas_search_result *r)
{
    memset(r, 0, sizeof *r);
    r->config = *cfg;
    r->ok = 1;
    anas_metrics_init(&r->metrics);
    anas_metrics_set(&r->metrics, "acc@1d", drive_acc(spec->space, cfg));
    anas_metrics_set(&r->metrics, "avm", synth_avm(spec->space, cfg));
    if (spec->has_shape)
        anas_space_analytic(spec->space, &spec->shape, cfg, &spec->mapping, &r->metrics,
                            NULL);
    r->feasible = anas_search_feasible(spec, &r->metrics);
}

/* Run to the end with `workers` workers: propose for the free ones, then
 * observe the oldest result (one_at_a_time) or every result out. */
static void drive(const struct anas_search_spec *spec, uint64_t seed, int workers,
                  int one_at_a_time, struct run *r)
{
    struct anas_search *s = anas_search_new(spec, seed, NULL);
    int observed = 0;

    memset(r, 0, sizeof *r);
    anas_metrics_init(&r->info);
    if (!s) {
        r->errors++;
        return;
    }
    for (;;) {
        int n = 0, out = r->n - observed, free_ = workers - out;
        if (free_ > 0) {
            if (anas_search_propose(s, r->prop + r->n, free_, &n, NULL) < 0 ||
                r->n + n > MAXP) {
                r->errors++;
                break;
            }
            for (int i = 0; i < n; i++)
                evaluate(spec, &r->prop[r->n + i], &r->res[r->n + i]);
            r->n += n;
        }
        out = r->n - observed;
        if (out > r->max_out)
            r->max_out = out;
        if (out == 0)
            break;
        n = one_at_a_time ? 1 : out;
        if (anas_search_observe(s, r->res + observed, n, NULL) < 0) {
            r->errors++;
            break;
        }
        observed += n;
    }
    anas_search_info(s, &r->info);
    anas_search_free(s);
}

/* Feed r's results into a fresh search: the first `stop` as a resumed
 * daemon replays them (in chunks of 1..7, proposing with max 1..5), then
 * on to the end with fresh evaluations. 1 when it proposes r's sequence. */
static int replay(const struct anas_search_spec *spec, uint64_t seed, const struct run *r,
                  int stop)
{
    struct anas_search *s = anas_search_new(spec, seed, NULL);
    static struct anas_config got[MAXP];
    static struct anas_search_result res[MAXP];
    int n_got = 0, observed = 0, step = 0, same = s != NULL;

    while (same) {
        int n = 0, chunk;
        if (anas_search_propose(s, got + n_got, 1 + step % 5, &n, NULL) < 0 ||
            n_got + n > r->n)
            same = 0;
        for (int i = 0; same && i < n; i++) {
            if (n_got + i < stop)
                res[n_got + i] = r->res[n_got + i];
            else
                evaluate(spec, &got[n_got + i], &res[n_got + i]);
        }
        n_got += n;
        chunk = 1 + (step * 3) % 7;
        if (chunk > n_got - observed)
            chunk = n_got - observed;
        if (n == 0 && chunk == 0)
            break;
        if (chunk > 0 && anas_search_observe(s, res + observed, chunk, NULL) < 0)
            same = 0;
        observed += chunk;
        step++;
    }
    same = same && n_got == r->n;
    for (int i = 0; same && i < r->n; i++)
        same = memcmp(got[i].v, r->prop[i].v, sizeof got[i].v) == 0;
    anas_search_free(s);
    return same;
}

static int same_proposals(const struct run *a, const struct run *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (memcmp(a->prop[i].v, b->prop[i].v, sizeof a->prop[i].v) != 0)
            return 0;
    return 1;
}

static int duplicates(const struct anas_space *space, const struct run *r)
{
    int dup = 0;

    for (int i = 0; i < r->n; i++)
        for (int j = 0; j < i; j++)
            dup += anas_config_equal(space, &r->prop[i], &r->prop[j]);
    return dup;
}

static void linas_spec(struct anas_search_spec *spec, const struct anas_space *space,
                       int evaluations, int population, int inner)
{
    anas_search_spec_init(spec, space, anas_search_find("linas"));
    spec->n_objectives = 1;
    snprintf(spec->objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec->objectives[0].maximize = 1;
    anas_search_spec_set(spec, "evaluations", evaluations, NULL);
    anas_search_spec_set(spec, "population", population, NULL);
    anas_search_spec_set(spec, "inner_evaluations", inner, NULL);
    anas_search_spec_set(spec, "n_estimators", 40, NULL);
}

/* The same objectives and constraints for random search. */
static void random_like(const struct anas_search_spec *linas, struct anas_search_spec *spec)
{
    struct anas_search_spec defaults;

    anas_search_spec_init(&defaults, linas->space, anas_search_find("random"));
    *spec = *linas;
    spec->ops = defaults.ops;
    memcpy(spec->params, defaults.params, sizeof spec->params);
    anas_search_spec_set(spec, "evaluations", anas_search_budget(linas), NULL);
}

static double best_acc(const struct run *r, int feasible_only)
{
    double best = -INFINITY, v;

    for (int i = 0; i < r->n; i++)
        if ((!feasible_only || r->res[i].feasible) &&
            anas_metrics_get(&r->res[i].metrics, "acc@1d", &v) == 0)
            best = fmax(best, v);
    return best;
}

/* Hypervolume of (acc@1d max, params min, in millions) against ref
 * (0.5, ref_params). */
static double hv_acc_params(const struct run *r, double ref_params)
{
    static double f[2 * MAXP];
    double ref[2] = {-0.5, ref_params / 1e6}, hv = 0, acc, params;
    int n = 0;

    for (int i = 0; i < r->n; i++)
        if (anas_metrics_get(&r->res[i].metrics, "acc@1d", &acc) == 0 &&
            anas_metrics_get(&r->res[i].metrics, "params", &params) == 0) {
            f[2 * n] = -acc;
            f[2 * n + 1] = params / 1e6;
            n++;
        }
    if (anas_pareto_hypervolume(f, n, 2, ref, &hv) < 0)
        return NAN;
    return hv;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static int seeds(void)
{
    return getenv("ANAS_VALGRIND") ? 2 : 5;
}

/* --- The tests --- */

static void test_params(void)
{
    const struct anas_search_ops *ops = anas_search_find("linas");
    struct anas_search_spec spec;
    struct anas_error err;

    ok(ops != NULL && ops->info != NULL, "linas is registered and reports figures");
    if (!ops)
        return;
    linas_spec(&spec, anas_space_find("resnet"), 250, 50, 5000);
    anas_search_spec_init(&spec, spec.space, ops);
    is_near(anas_search_spec_get(&spec, "evaluations"), 250, 0, "evaluations default 250");
    is_near(anas_search_spec_get(&spec, "population"), 25, 0, "population default 25");
    is_near(anas_search_spec_get(&spec, "inner_evaluations"), 5000, 0,
            "inner_evaluations default 5000");
    is_near(anas_search_spec_get(&spec, "batch"), 8, 0, "batch default 8");
    is_near(anas_search_spec_get(&spec, "n_estimators"), 100, 0, "n_estimators default 100");
    is_int(anas_search_budget(&spec), 250, "budget() is evaluations");

    linas_spec(&spec, anas_space_find("resnet"), 30, 40, 200);
    anas_error_clear(&err);
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE,
           "population above evaluations: ERANGE");
    ok(strcmp(err.field, "population") == 0, "... naming population (%s)", err.field);
    linas_spec(&spec, anas_space_find("resnet"), 100, 20, 39);
    anas_error_clear(&err);
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE,
           "inner_evaluations under two populations: ERANGE");
    ok(strcmp(err.field, "inner_evaluations") == 0, "... naming inner_evaluations (%s)",
       err.field);
    linas_spec(&spec, anas_space_find("resnet"), 100, 20, 40);
    is_int(anas_search_spec_check(&spec, NULL), 0, "inner_evaluations of two populations: ok");
    is_int(anas_search_spec_set(&spec, "batch", 0, NULL), ANAS_ERANGE, "batch 0: ERANGE");
    is_int(anas_search_spec_set(&spec, "population", 1, NULL), ANAS_ERANGE,
           "population 1: ERANGE");
    is_int(anas_search_spec_set(&spec, "n_estimators", 0, NULL), ANAS_ERANGE,
           "n_estimators 0: ERANGE");
}

/* One objective: 100 evaluations, mean best acc@1d over the seeds. */
static void test_beats_random_single(void)
{
    struct anas_search_spec spec, rspec;
    double lin = 0, rnd = 0;
    int n = seeds(), errors = 0;

    linas_spec(&spec, anas_space_find("resnet"), 100, 20, 400);
    random_like(&spec, &rspec);
    for (int k = 0; k < n; k++) {
        drive(&spec, 100 + k, 8, 0, &ra);
        drive(&rspec, 100 + k, 8, 0, &rb);
        errors += ra.errors + rb.errors + (ra.n != 100) + (rb.n != 100);
        lin += best_acc(&ra, 0) / n;
        rnd += best_acc(&rb, 0) / n;
    }
    is_int(errors, 0, "one objective: runs of 100 evaluations each");
    note("mean best acc@1d over %d seeds: linas %.4f, random %.4f", n, lin, rnd);
    ok(lin > rnd + 0.04, "linas beats random search clearly (%.4f vs %.4f)", lin, rnd);
}

/* Two objectives: acc@1d max, params min (analytic, computed exactly). */
static void test_beats_random_two(void)
{
    struct anas_search_spec spec, rspec;
    double lin = 0, rnd = 0, ref;
    int n = seeds(), errors = 0;

    linas_spec(&spec, anas_space_find("resnet"), 100, 20, 400);
    spec.n_objectives = 2;
    snprintf(spec.objectives[1].metric, ANAS_METRIC_NAME_MAX, "params");
    spec.objectives[1].maximize = 0;
    spec.has_shape = 1;
    spec.shape = anas_space_default_shape(spec.space);
    spec.mapping = anas_mapping_default;
    ref = drive_median_params(&spec, 101);
    random_like(&spec, &rspec);
    for (int k = 0; k < n; k++) {
        drive(&spec, 200 + k, 8, 0, &ra);
        drive(&rspec, 200 + k, 8, 0, &rb);
        errors += ra.errors + rb.errors + (ra.n != 100) + (rb.n != 100);
        lin += hv_acc_params(&ra, ref) / n;
        rnd += hv_acc_params(&rb, ref) / n;
    }
    is_int(errors, 0, "two objectives: runs of 100 evaluations each");
    note("mean hypervolume over %d seeds (ref acc 0.5, params %.0f): linas %.5f, random %.5f",
         n, ref, lin, rnd);
    ok(lin > 1.15 * rnd, "linas's hypervolume beats random's clearly (%.5f vs %.5f)", lin, rnd);
}

static void test_dedup(void)
{
    struct anas_search_spec spec;

    linas_spec(&spec, anas_space_find("resnet"), 100, 20, 400);
    drive(&spec, 7, 8, 0, &ra);
    is_int(ra.n, 100, "resnet: 100 proposals");
    is_int(duplicates(spec.space, &ra), 0, "resnet: none proposed twice");

    /* 64 evaluations of a 64-configuration space: the inner search's
     * final population is soon all validated, and filling the batch must
     * still find the configurations left. */
    linas_spec(&spec, &tiny_space, 64, 8, 32);
    drive(&spec, 3, 8, 0, &ra);
    is_int(ra.n, 64, "tiny space: 64 proposals");
    is_int(duplicates(spec.space, &ra), 0, "tiny space: the whole space, none twice");
    drive(&spec, 3, 8, 0, &rb);
    ok(same_proposals(&ra, &rb), "tiny space: the same again with the same seed");
}

/* The best measured results (acc@1d, then observation order) that are not
 * among keep[0..n_keep): the k that the next inner search must inject. */
static int expected_injected(const struct anas_space *space, const struct anas_config *cfg,
                             const double *acc, int n, const struct anas_config *keep,
                             int n_keep, struct anas_config *out, int k)
{
    int used[64] = {0}, got = 0;

    while (got < k) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            int skip = used[i];
            for (int j = 0; j < n_keep && !skip; j++)
                skip = anas_config_equal(space, &cfg[i], &keep[j]);
            for (int j = 0; j < got && !skip; j++)
                skip = anas_config_equal(space, &cfg[i], &out[j]);
            if (!skip && (best < 0 || acc[i] > acc[best]))
                best = i;
        }
        if (best < 0)
            break;
        used[best] = 1;
        out[got++] = cfg[best];
    }
    return got;
}

/* Each inner search starts from the final population of the one before
 * (its best four fifths) and the best measured results not among them
 * (the last fifth); the first from the validated random batch. */
static void test_warm_start(void)
{
    struct anas_search_spec spec;
    struct anas_search *s;
    static struct anas_config batch[20], final1[20], start2[20], start1[20], all[40], inj[4];
    static struct anas_search_result res[20];
    double acc[40];
    int n = 0, got = 0, n_final = 0, n_start = 0, same = 1, first_same = 1, n_all = 0;

    linas_spec(&spec, anas_space_find("resnet"), 60, 20, 200);
    anas_search_spec_set(&spec, "batch", 20, NULL);
    s = anas_search_new(&spec, 11, NULL);
    is_int(anas__linas_inner(s, 1, final1, 20), 0, "no inner search before the first loop");
    is_int(anas__linas_inner(NULL, 0, final1, 20), ANAS_EINVAL, "the window: EINVAL for NULL");
    for (int loop = 0; loop < 2 && s; loop++) {
        for (got = 0; got < 20; got += n)
            if (anas_search_propose(s, batch + got, 20 - got, &n, NULL) < 0 || n == 0)
                break;
        for (int i = 0; i < got; i++) {
            evaluate(&spec, &batch[i], &res[i]);
            all[n_all] = batch[i];
            if (anas_metrics_get(&res[i].metrics, "acc@1d", &acc[n_all]) < 0)
                acc[n_all] = NAN;
            n_all++;
        }
        anas_search_observe(s, res, got, NULL);
        if (loop == 0) {
            n_start = anas__linas_inner(s, 0, start1, 20);
            n_final = anas__linas_inner(s, 1, final1, 20);
            for (int i = 0; i < n_start && i < got; i++)
                first_same &= anas_config_equal(spec.space, &start1[i], &batch[i]);
        }
    }
    is_int(n_final, 20, "the first inner search's final population: 20");
    ok(n_start == 20 && first_same, "the first inner search starts from the validated batch");
    is_int(anas__linas_inner(s, 0, start2, 20), 20, "the second inner search's start: 20");
    for (int i = 0; i < 16; i++)
        same &= anas_config_equal(spec.space, &start2[i], &final1[i]);
    ok(same, "the second inner search starts from the first's final population's best 16");
    is_int(expected_injected(spec.space, all, acc, n_all, final1, 16, inj, 4), 4,
           "four measured results are not among those 16");
    same = 1;
    for (int i = 0; i < 4; i++)
        same &= anas_config_equal(spec.space, &start2[16 + i], &inj[i]);
    ok(same, "... and the best four of them by their measured acc@1d complete it");
    anas_search_free(s);
}

/* A measured constraint (avm <= 2, about a third of random samples) that
 * cuts off acc@1d's optimum (avm about 7): the avm predictor steers the
 * batches from the optimum to the feasible side of the boundary, where
 * the best feasible ones are (so that its errors leave about half of them
 * just outside). */
static void test_constraint(void)
{
    struct anas_search_spec spec, rspec, free_spec;
    int n = seeds(), n_later = 0, feas_later = 0, feas_rnd = 0, n_rnd = 0, fitted = 0,
        feas_free = 0;
    double best_lin = 0, best_rnd = 0;

    linas_spec(&spec, anas_space_find("resnet"), 100, 20, 400);
    spec.n_constraints = 1;
    snprintf(spec.constraints[0].metric, ANAS_METRIC_NAME_MAX, "avm");
    spec.constraints[0].has_max = 1;
    spec.constraints[0].max = 2.0;
    random_like(&spec, &rspec);
    /* The same search told nothing of avm: how often it lands feasible
     * by chance. */
    free_spec = spec;
    free_spec.n_constraints = 0;
    for (int k = 0; k < n; k++) {
        double tau = NAN;
        drive(&free_spec, 300 + k, 8, 0, &ra);
        for (int i = 20; i < ra.n; i++)
            feas_free += anas_search_feasible(&spec, &ra.res[i].metrics);
        drive(&spec, 300 + k, 8, 0, &ra);
        drive(&rspec, 300 + k, 8, 0, &rb);
        note("seed %d: best feasible acc@1d linas %.4f, random %.4f", 300 + k,
             best_acc(&ra, 1), best_acc(&rb, 1));
        for (int i = 20; i < ra.n; i++) {
            n_later++;
            feas_later += ra.res[i].feasible;
        }
        for (int i = 0; i < rb.n; i++)
            feas_rnd += rb.res[i].feasible;
        n_rnd += rb.n;
        best_lin += best_acc(&ra, 1) / n;
        best_rnd += best_acc(&rb, 1) / n;
        fitted += anas_metrics_get(&ra.info, "tauc1.2", &tau) == 0 && isfinite(tau);
    }
    note("feasible after the first loop: linas %d of %d, without the constraint %d; random "
         "%d of %d; mean best feasible acc@1d %.4f vs %.4f", feas_later, n_later, feas_free,
         feas_rnd, n_rnd, best_lin, best_rnd);
    is_int(fitted, n, "the avm predictor was fitted and scored (tauc1.2 finite)");
    ok(n_later == 80 * n && feas_free <= n_later / 20,
       "told nothing of avm, linas's batches are (almost) never feasible (%d)", feas_free);
    /* Not most of them: the best lie on the boundary, and a batch takes
     * at most a tenth of its places from one plateau of the predictors, so
     * it spreads to both sides of it (16% with 2 seeds, 40% with 5). */
    ok(feas_later >= 0.15 * n_later,
       "with the avm predictor, at least 15%% are (%d of %d)", feas_later, n_later);
}

static void test_replay(void)
{
    struct anas_search_spec spec;

    linas_spec(&spec, anas_space_find("resnet"), 50, 12, 120);
    anas_search_spec_set(&spec, "batch", 5, NULL);
    drive(&spec, 21, 256, 0, &ra);
    drive(&spec, 21, 1, 1, &rb);
    drive(&spec, 21, 3, 1, &rc_);
    is_int(ra.errors + rb.errors + rc_.errors, 0, "three drives without errors");
    is_int(ra.n, 50, "budget() is what gets proposed: 50");
    ok(ra.max_out <= 5, "never more than batch (5) out at once (%d)", ra.max_out);
    ok(same_proposals(&ra, &rb), "all at once and one at a time: the same proposals");
    ok(same_proposals(&ra, &rc_), "three workers one at a time: the same proposals");
    ok(replay(&spec, 21, &ra, ra.n), "replayed in random pieces: the same proposals");
    ok(replay(&spec, 21, &ra, 17), "resumed after 17 results: the same proposals");
    drive(&spec, 22, 256, 0, &rb);
    ok(!same_proposals(&ra, &rb), "another seed: other proposals");
}

/* Kendall tau of a predictor fitted as LINAS fits it (rows [0, fit_n) of
 * r, n_estimators 40, seed 0, one thread) on rows [fit_n, fit_n + m). */
static double refit_tau(const struct anas_space *space, const struct run *r, int fit_n, int m)
{
    static float x[MAXP * ANAS_SPACE_MAX_HP], y[MAXP], p[MAXP];
    static double pd[MAXP], yd[MAXP];
    int d = anas_space_n_hp(space);
    struct anas_surrogate_fit_params fp;
    struct anas_surrogate_quality q;
    struct anas_surrogate *model;

    for (int i = 0; i < fit_n + m; i++) {
        double e[ANAS_SPACE_MAX_HP], v = NAN;
        anas_space_encode(space, &r->prop[i], e);
        for (int k = 0; k < d; k++)
            x[i * d + k] = (float)e[k];
        anas_metrics_get(&r->res[i].metrics, "acc@1d", &v);
        y[i] = (float)v;
        yd[i] = v;
    }
    anas_surrogate_fit_params_init(&fp);
    fp.n_estimators = 40;
    fp.seed = 0;
    fp.n_threads = 1;
    model = anas_surrogate_fit(x, y, fit_n, d, &fp, NULL);
    if (!model || anas_surrogate_predict(model, x + fit_n * d, m, d, p, NULL) < 0) {
        anas_surrogate_free(model);
        return INFINITY;
    }
    for (int i = 0; i < m; i++)
        pd[i] = p[i];
    anas_surrogate_score(pd, yd + fit_n, m, &q);
    anas_surrogate_free(model);
    return q.kendall_tau;
}

/* Two objectives, acc@1d and params: the batches spread along the
 * predicted front, so their predictions differ (one objective's batch
 * often sits on one plateau of the trees, all tied: tau NAN). params is
 * computed, not predicted: no tau2. */
static void test_info(void)
{
    struct anas_search_spec spec;
    double loops = 0;
    int found = 0, agree = 0, finite = 0;

    linas_spec(&spec, anas_space_find("resnet"), 70, 20, 200);
    spec.n_objectives = 2;
    snprintf(spec.objectives[1].metric, ANAS_METRIC_NAME_MAX, "params");
    spec.has_shape = 1;
    spec.shape = anas_space_default_shape(spec.space);
    spec.mapping = anas_mapping_default;
    drive(&spec, 31, 8, 0, &ra);
    is_int(ra.n, 70, "70 evaluations in loops of 20, 20, 20, 10");
    anas_metrics_get(&ra.info, "loops", &loops);
    is_near(loops, 4, 0, "info: loops 4");
    for (int k = 2; k <= 4; k++) {
        char name[ANAS_METRIC_NAME_MAX];
        double tau = INFINITY, want = refit_tau(spec.space, &ra, 20 * (k - 1), k < 4 ? 20 : 10);
        snprintf(name, sizeof name, "tau1.%d", k);
        found += anas_metrics_get(&ra.info, name, &tau) == 0;
        agree += (isnan(tau) && isnan(want)) || fabs(tau - want) < 1e-12;
        finite += isfinite(tau);
        note("%s = %.4f, refitted %.4f", name, tau, want);
    }
    is_int(found, 3, "info: tau1.2, tau1.3, tau1.4");
    is_int(agree, 3, "each the tau of the previous loop's predictor on the new batch");
    ok(finite == 3, "finite (%d of 3)", finite);
    ok(anas_metrics_get(&ra.info, "tau1.1", &loops) < 0 &&
           anas_metrics_get(&ra.info, "tau1.5", &loops) < 0,
       "info: no tau for the random loop or a loop never run");
    ok(anas_metrics_get(&ra.info, "tau2.2", &loops) < 0,
       "info: no tau for the computed params");
}

int main(void)
{
    plan_later();
    test_params();
    test_beats_random_single();
    test_beats_random_two();
    test_dedup();
    test_warm_start();
    test_constraint();
    test_replay();
    test_info();
    return done();
}
