/*
 * search-ea-analognas.c - AnalogNAS's EAOptimizer, quirks included:
 * int(population_size/10) slots, an initial population of identical copies,
 * the AVM filter on stale first-round results, 76% resampling mutations,
 * no selection; plus what we add: a bounded filter and exact replay.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/eval.h"
#include "search/search.h"
#include "tap.h"

#define MAX_BATCHES 4096

static const struct anas_space *space;
static int hp_m; /* index of M, the number of groups */

typedef void (*eval_fn)(const struct anas_config *cfg, long seq,
                        struct anas_search_result *r, void *ctx);

/* Everything a search proposed, call by call. */
struct trace {
    struct anas_config *cfg; /* every proposal in order */
    long total, cap;
    int n_calls;
    int size[MAX_BATCHES];
    long start[MAX_BATCHES];
    int rc, finished;
    struct anas_error err;
};

static void trace_init(struct trace *t, long cap)
{
    memset(t, 0, sizeof(*t));
    t->cfg = calloc((size_t)cap, sizeof(*t->cfg));
    t->cap = t->cfg ? cap : 0;
}

static void trace_fini(struct trace *t)
{
    free(t->cfg);
}

static int same(const struct anas_config *a, const struct anas_config *b)
{
    for (int j = 0; j < anas_space_n_hp(space); j++)
        if (a->v[j] != b->v[j])
            return 0;
    return 1;
}

static int group_count(const struct anas_config *c)
{
    return (int)c->v[hp_m];
}

/* avm = 5 for four groups, 15 otherwise: the CIFAR surrogate's shape
 * (AnalogNAS's xgboost_avm.bst predicts AVM <= 10 only for M=4). */
static void eval_m4(const struct anas_config *cfg, long seq, struct anas_search_result *r,
                    void *ctx)
{
    (void)seq;
    (void)ctx;
    anas_metrics_set(&r->metrics, "avm", group_count(cfg) == 4 ? 5 : 15);
    anas_metrics_set(&r->metrics, "acc@1d", 0.5 + 0.1 * group_count(cfg));
}

/* Every evaluation passes the filter, except that the first one fails. */
static void eval_first_fails(const struct anas_config *cfg, long seq,
                             struct anas_search_result *r, void *ctx)
{
    (void)cfg;
    (void)ctx;
    r->ok = seq != 0;
    if (r->ok)
        anas_metrics_set(&r->metrics, "avm", 5);
}

static void eval_none(const struct anas_config *cfg, long seq,
                      struct anas_search_result *r, void *ctx)
{
    (void)cfg;
    (void)seq;
    (void)r;
    (void)ctx;
}

static void eval_surrogate(const struct anas_config *cfg, long seq,
                           struct anas_search_result *r, void *ctx)
{
    (void)seq;
    r->ok = anas_eval_run(ctx, cfg, NULL, &r->metrics, NULL) == 0;
}

/* Run the search to its end (or its first error), `max` per propose. */
static void drive(const struct anas_search_spec *spec, uint64_t seed, int max, eval_fn f,
                  void *ctx, struct trace *t)
{
    static struct anas_search_result res[ANAS_SEARCH_MAX_BATCH];
    struct anas_search *s = anas_search_new(spec, seed, &t->err);

    t->rc = s ? 0 : t->err.code;
    while (s && t->rc == 0 && t->n_calls < MAX_BATCHES) {
        int n = 0;
        if (t->total + max > t->cap) {
            t->rc = -1000;
            break;
        }
        t->rc = anas_search_propose(s, t->cfg + t->total, max, &n, &t->err);
        if (t->rc < 0)
            break;
        if (n == 0) {
            t->finished = 1;
            break;
        }
        for (int i = 0; i < n; i++) {
            memset(&res[i], 0, sizeof(res[i]));
            res[i].config = t->cfg[t->total + i];
            res[i].ok = 1;
            anas_metrics_init(&res[i].metrics);
            f(&t->cfg[t->total + i], t->total + i, &res[i], ctx);
        }
        t->size[t->n_calls] = n;
        t->start[t->n_calls++] = t->total;
        t->total += n;
        t->rc = anas_search_observe(s, res, n, &t->err);
    }
    anas_search_free(s);
}

static void spec_ea(struct anas_search_spec *spec, double pop, double iterations)
{
    anas_search_spec_init(spec, space, anas_search_find("ea-analognas"));
    spec->n_objectives = 1;
    snprintf(spec->objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec->objectives[0].maximize = 1;
    anas_search_spec_set(spec, "population_size", pop, NULL);
    anas_search_spec_set(spec, "iterations", iterations, NULL);
}

static void add_avm_max(struct anas_search_spec *spec, double max)
{
    struct anas_constraint *c = &spec->constraints[spec->n_constraints++];
    snprintf(c->metric, ANAS_METRIC_NAME_MAX, "avm");
    c->has_max = 1;
    c->max = max;
}

static void test_params(void)
{
    struct anas_search_spec spec;
    struct anas_error err = {0};

    spec_ea(&spec, 50, 200);
    ok(anas_search_spec_get(&spec, "mutation_prob_width") == 0.8 &&
           anas_search_spec_get(&spec, "mutation_prob_depth") == 0.8 &&
           anas_search_spec_get(&spec, "mutation_prob_other") == 0.6 &&
           anas_search_spec_get(&spec, "init_rounds") == 1000,
       "AnalogNAS's defaults");
    ok(isnan(anas_search_spec_get(&spec, "t_avm")), "t_avm is unset by default");
    is_int(anas_search_spec_check(&spec, &err), 0, "the default spec checks");
    is_int(anas_search_budget(&spec), 5 * 201, "budget: 5 slots x (1 + 200)");

    is_int(anas_search_spec_set(&spec, "t_avm", 12.5, NULL), 0, "t_avm can be set");
    is_int(anas_search_spec_set(&spec, "t_avm", NAN, NULL), 0, "and unset again");
    is_int(anas_search_spec_set(&spec, "mutation_prob_other", 1.5, &err), ANAS_ERANGE,
           "a probability of 1.5: ANAS_ERANGE");

    spec_ea(&spec, 10, 5);
    memset(&err, 0, sizeof(err));
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE,
           "population_size 10: ANAS_ERANGE (AnalogNAS asserts > 10)");
    is_str(err.field, "population_size", "the field is population_size");
    ok(strstr(err.msg, "int(population_size/10)") != NULL, "the message explains: %s",
       err.msg);
    ok(anas_search_new(&spec, 1, NULL) == NULL, "anas_search_new refuses it too");
    spec_ea(&spec, 11, 5);
    is_int(anas_search_spec_check(&spec, &err), 0,
           "population_size 11 (one slot) checks");
}

static void test_no_filter(void)
{
    struct anas_search_spec spec;
    struct trace t;
    int sizes = 1, identical = 1;

    spec_ea(&spec, 35, 7);
    trace_init(&t, 1000);
    drive(&spec, 3, ANAS_SEARCH_MAX_BATCH, eval_none, NULL, &t);
    ok(t.rc == 0 && t.finished, "the search finishes");
    is_int(t.n_calls, 8, "1 initial batch + 7 generations");
    for (int i = 0; i < t.n_calls; i++)
        sizes = sizes && t.size[i] == 3;
    ok(sizes, "every batch has int(35/10) = 3 configurations");
    for (int i = 1; i < 3; i++)
        identical = identical && same(&t.cfg[0], &t.cfg[i]);
    ok(identical, "the initial population is 3 copies of one sample");
    is_int(t.total, 3 * (1 + 7), "total evaluations = n x (1 + iterations)");
    is_int(t.total, anas_search_budget(&spec), "= the budget");
    trace_fini(&t);
}

/* Children that differ from their parent (the same slot one batch
 * earlier), over generations of `n` slots. */
static long count_resampled(const struct trace *t, int n, long *mutations)
{
    long changed = 0;

    *mutations = 0;
    for (long i = n; i < t->total; i++) {
        changed += !same(&t->cfg[i], &t->cfg[i - n]);
        (*mutations)++;
    }
    return changed;
}

static void test_mutation_rate(void)
{
    struct anas_search_spec spec;
    struct trace t;
    long mutations, changed;
    double frac, sigma = sqrt(0.76 * 0.24 / 20000.0);

    spec_ea(&spec, 1000, 200);
    trace_init(&t, 100 * 201 + ANAS_SEARCH_MAX_BATCH);
    drive(&spec, 2024, ANAS_SEARCH_MAX_BATCH, eval_none, NULL, &t);
    changed = count_resampled(&t, 100, &mutations);
    frac = (double)changed / (double)mutations;
    is_int(mutations, 20000, "100 slots x 200 generations");
    if (!ok(fabs(frac - 0.76) <= 4 * sigma,
            "resample fraction %.4f is 0.76 within 4 sigma", frac))
        printf("#   sigma %.5f\n", sigma);
    trace_fini(&t);

    spec_ea(&spec, 200, 50);
    anas_search_spec_set(&spec, "mutation_prob_width", 0, NULL);
    anas_search_spec_set(&spec, "mutation_prob_depth", 0, NULL);
    anas_search_spec_set(&spec, "mutation_prob_other", 0, NULL);
    trace_init(&t, 20 * 51 + ANAS_SEARCH_MAX_BATCH);
    drive(&spec, 5, ANAS_SEARCH_MAX_BATCH, eval_none, NULL, &t);
    is_int(count_resampled(&t, 20, &mutations), 0, "probabilities 0: children = parents");
    trace_fini(&t);

    /* Only the "other" operator (20% of draws) resamples. */
    spec_ea(&spec, 1000, 100);
    anas_search_spec_set(&spec, "mutation_prob_width", 0, NULL);
    anas_search_spec_set(&spec, "mutation_prob_depth", 0, NULL);
    anas_search_spec_set(&spec, "mutation_prob_other", 1, NULL);
    trace_init(&t, 100 * 101 + ANAS_SEARCH_MAX_BATCH);
    drive(&spec, 6, ANAS_SEARCH_MAX_BATCH, eval_none, NULL, &t);
    changed = count_resampled(&t, 100, &mutations);
    frac = (double)changed / (double)mutations;
    sigma = sqrt(0.2 * 0.8 / (double)mutations);
    ok(fabs(frac - 0.2) <= 4 * sigma, "width 0, depth 0, other 1: %.4f resample (0.2)",
       frac);
    trace_fini(&t);
}

/* The first seed whose first sample has (or lacks) four groups. */
static uint64_t seed_where_first(int want_m4, const struct anas_search_spec *spec)
{
    for (uint64_t seed = 1; seed < 200; seed++) {
        struct trace t;
        int m4;
        trace_init(&t, 1000);
        drive(spec, seed, ANAS_SEARCH_MAX_BATCH, eval_none, NULL, &t);
        m4 = t.total > 0 && group_count(&t.cfg[0]) == 4;
        trace_fini(&t);
        if (m4 == want_m4)
            return seed;
    }
    return 0;
}

static int batch_all_m4(const struct trace *t, int b)
{
    for (int i = 0; i < t->size[b]; i++)
        if (group_count(&t->cfg[t->start[b] + i]) != 4)
            return 0;
    return 1;
}

static void test_filter(void)
{
    struct anas_search_spec spec, probe;
    struct trace t;
    int k = -1, sizes = 1, parents_ok = 1;
    uint64_t seed;

    /* 3 slots: a round passes with probability 1/64. */
    spec_ea(&spec, 30, 3);
    add_avm_max(&spec, 10);
    spec_ea(&probe, 30, 1);
    seed = seed_where_first(0, &probe);
    ok(seed != 0, "a seed whose first sample fails the filter (%llu)",
       (unsigned long long)seed);

    trace_init(&t, 200000);
    drive(&spec, seed, ANAS_SEARCH_MAX_BATCH, eval_m4, NULL, &t);
    ok(t.rc == 0 && t.finished, "the search finishes");
    for (int b = 0; b < t.n_calls; b++) {
        sizes = sizes && t.size[b] == 3;
        if (k < 0 && batch_all_m4(&t, b))
            k = b;
    }
    ok(k > 0, "the filter resampled for %d rounds", k);
    ok(sizes, "every round resamples all 3 slots (stale first-round results)");
    is_int(t.n_calls, k + 1 + 3,
           "init stops at the first round where all pass, then 3 "
           "generations");
    for (int i = 0; k > 0 && i < 3; i++) {
        const struct anas_config *parent = &t.cfg[t.start[k] + i];
        const struct anas_config *child = &t.cfg[t.start[k + 1] + i];
        parents_ok = parents_ok && (!same(parent, child) || group_count(child) == 4);
    }
    ok(parents_ok, "children kept from their parent have four groups");
    trace_fini(&t);

    seed = seed_where_first(1, &probe);
    trace_init(&t, 1000);
    drive(&spec, seed, ANAS_SEARCH_MAX_BATCH, eval_m4, NULL, &t);
    if (!ok(seed != 0 && t.rc == 0 && t.n_calls == 1 + 3,
            "a first sample that passes: no resampling"))
        printf("#   seed %llu, rc %d, %d calls\n", (unsigned long long)seed, t.rc,
               t.n_calls);
    trace_fini(&t);

    /* Only the slot that failed in round one is resampled, alone. */
    spec_ea(&spec, 40, 2);
    add_avm_max(&spec, 10);
    trace_init(&t, 1000);
    drive(&spec, 9, ANAS_SEARCH_MAX_BATCH, eval_first_fails, NULL, &t);
    ok(t.rc == 0 && t.n_calls == 4 && t.size[0] == 4 && t.size[1] == 1 && t.size[2] == 4,
       "a failed evaluation in slot 0: a round of 1, then generations of 4");
    ok(t.n_calls == 4 && !same(&t.cfg[4], &t.cfg[0]) && same(&t.cfg[1], &t.cfg[0]),
       "slot 0 got a fresh sample, the others kept theirs");
    trace_fini(&t);
}

static void test_impossible(void)
{
    struct anas_search_spec spec;
    struct trace t;

    spec_ea(&spec, 30, 5);
    add_avm_max(&spec, 100);
    anas_search_spec_set(&spec, "t_avm", 1, NULL);
    anas_search_spec_set(&spec, "init_rounds", 5, NULL);
    trace_init(&t, 1000);
    drive(&spec, 1, ANAS_SEARCH_MAX_BATCH, eval_m4, NULL, &t);
    is_int(t.rc, ANAS_ERANGE, "an impossible threshold: ANAS_ERANGE");
    is_str(t.err.field, "t_avm", "the field is t_avm");
    ok(strstr(t.err.msg, "after 5 rounds") != NULL, "the message says so: %s", t.err.msg);
    is_int(t.n_calls, 1 + 5,
           "after the first batch and 5 rounds (t_avm beats the "
           "constraint)");
    trace_fini(&t);
}

static void test_replay(void)
{
    struct anas_search_spec spec;
    struct trace a, b, c;
    int equal;

    spec_ea(&spec, 60, 6);
    add_avm_max(&spec, 10);
    trace_init(&a, 200000);
    trace_init(&b, 200000);
    trace_init(&c, 200000);
    drive(&spec, 77, ANAS_SEARCH_MAX_BATCH, eval_m4, NULL, &a);
    drive(&spec, 77, 4, eval_m4, NULL, &b); /* generations of 6 in pieces of 4 and 2 */
    drive(&spec, 78, ANAS_SEARCH_MAX_BATCH, eval_m4, NULL, &c);
    equal = a.total == b.total && a.total > 0;
    for (long i = 0; equal && i < a.total; i++)
        equal = same(&a.cfg[i], &b.cfg[i]);
    ok(a.rc == 0 && b.rc == 0 && a.finished && b.finished, "both runs finish");
    ok(equal, "the same seed and results give the same %ld proposals, in pieces or not",
       a.total);
    ok(b.n_calls > a.n_calls, "(the second run proposed in %d calls, not %d)", b.n_calls,
       a.n_calls);
    ok(c.total != a.total || !same(&c.cfg[0], &a.cfg[0]) ||
           !same(&c.cfg[a.total - 1], &a.cfg[a.total - 1]),
       "another seed proposes otherwise");
    trace_fini(&a);
    trace_fini(&b);
    trace_fini(&c);
}

static void test_protocol(void)
{
    struct anas_search_spec spec;
    struct anas_config out[8];
    struct anas_search_result res[8];
    struct anas_error err = {0};
    struct anas_search *s;
    int n = 0;

    spec_ea(&spec, 40, 1);
    s = anas_search_new(&spec, 1, NULL);
    anas_search_propose(s, out, 8, &n, NULL);
    is_int(n, 4, "a batch of 4");
    n = -1;
    is_int(anas_search_propose(s, out, 8, &n, &err), 0,
           "proposing again before observing is no error");
    is_int(n, 0, "... and proposes nothing: observe first");
    memset(res, 0, sizeof(res));
    for (int i = 0; i < 4; i++)
        res[i].config = out[i];
    res[2].config.v[0] += 1;
    is_int(anas_search_observe(s, res, 4, &err), ANAS_EINVAL,
           "a result for another configuration: ANAS_EINVAL");
    res[2].config = out[2];
    is_int(anas_search_observe(s, res, 4, &err), 0, "the right results are taken");
    anas_search_free(s);
}

/* Every allocation anas_search_new makes may fail: ANAS_ENOMEM, no leak. */
static void test_alloc_failures(void)
{
    struct anas_search_spec spec;
    struct anas_error err;
    struct anas_search *s = NULL;
    int failures = 0, all_enomem = 1;

    spec_ea(&spec, 50, 2);
    for (long k = 0; k < 20 && !s; k++) {
        memset(&err, 0, sizeof(err));
        anas_alloc_fail_after(k);
        s = anas_search_new(&spec, 1, &err);
        anas_alloc_fail_after(-1);
        if (!s) {
            failures++;
            all_enomem = all_enomem && err.code == ANAS_ENOMEM;
        }
    }
    ok(s != NULL && failures > 1, "anas_search_new survives %d failed allocations",
       failures);
    ok(all_enomem, "each one reported as ANAS_ENOMEM");
    anas_search_free(s);
}

static struct anas_surrogate *load(const char *shared, const char *file)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference/analognas/weights/%s", shared, file);
    return anas_surrogate_load(path, NULL);
}

/* The tutorial's search: population_size 20, 10 iterations, AVM <= 10 on
 * AnalogNAS's CIFAR surrogates. */
static void test_cifar(const char *shared)
{
    struct anas_surrogate *acc = shared ? load(shared, "xgboost_ranker_acc.bst") : NULL;
    struct anas_surrogate *avm = shared ? load(shared, "xgboost_avm.bst") : NULL;
    struct anas_search_spec spec;
    struct anas_eval_spec ev;
    struct trace t;
    int init_m4;

    if (!acc || !avm) {
        for (int i = 0; i < 4; i++)
            ok(1, "# SKIP AnalogNAS weights are absent");
        anas_surrogate_free(acc);
        anas_surrogate_free(avm);
        return;
    }
    anas_eval_spec_init(&ev, ANAS_EVAL_SURROGATE, space, NULL);
    anas_eval_spec_add_model(&ev, "acc@1d", acc);
    anas_eval_spec_add_model(&ev, "avm", avm);
    spec_ea(&spec, 20, 10);
    add_avm_max(&spec, 10);
    trace_init(&t, 100000);
    drive(&spec, 1, ANAS_SEARCH_MAX_BATCH, eval_surrogate, &ev, &t);
    ok(t.rc == 0 && t.finished, "the tutorial's search finishes");
    is_int(t.size[t.n_calls - 1], 2, "with 2 slots");
    ok(t.n_calls >= 11, "after %d batches (1 + %d rounds + 10 generations)", t.n_calls,
       t.n_calls - 11);
    init_m4 = t.n_calls >= 11 && batch_all_m4(&t, t.n_calls - 11);
    ok(init_m4, "the initial population has four groups (the CIFAR AVM model's verdict)");
    trace_fini(&t);
    anas_surrogate_free(acc);
    anas_surrogate_free(avm);
}

int main(void)
{
    const char *shared = getenv("ANAS_SHARED");

    space = anas_space_find("resnet");
    hp_m = space ? anas_space_hp_index(space, "M") : -1;
    if (hp_m < 0) {
        printf("Bail out! no resnet space with M\n");
        return 1;
    }
    plan(12 + 6 + 4 + 9 + 4 + 4 + 5 + 2 + 4);
    test_params();
    test_no_filter();
    test_mutation_rate();
    test_filter();
    test_impossible();
    test_replay();
    test_protocol();
    test_alloc_failures();
    test_cifar(shared && *shared ? shared : NULL);
    return done();
}
