/*
 * bench-search.h - what the search benchmarks share (header-only):
 * AnalogNAS's CIFAR-10 surrogates loaded into a `surrogate` evaluator on the
 * resnet space, an optimizer's length set to a number of evaluations, and
 * a driver that runs a search as the daemon does (every proposal evaluated
 * in order, results observed one at a time, propose called after each).
 * Used by tests/bench/search-quality.c and tests/bench/search-efficiency.c.
 */
#ifndef ANAS_TESTS_BENCH_SEARCH_H
#define ANAS_TESTS_BENCH_SEARCH_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/eval.h"
#include "search/search.h"

/* The models, as AnalogNAS names them, and the metrics they give. */
#define BENCH_N_MODELS 3
static const char *const bench_model_files[BENCH_N_MODELS] = {
    "xgboost_ranker_acc.bst", "xgboost_avm.bst", "xgboost_std.bst"};
static const char *const bench_model_metrics[BENCH_N_MODELS] = {"acc@1d", "avm",
                                                                "acc_std@1d"};

struct bench_eval {
    const struct anas_space *space;
    struct anas_shape shape;
    struct anas_eval_spec eval;
    struct anas_surrogate *models[BENCH_N_MODELS];
};

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The resnet space, input 3x32x32, 10 classes, the three models from
 * <shared>/reference/analognas/weights. -1 (a skip line printed, prefixed
 * by `prog`) when a model cannot be loaded, -2 when they do not fit the
 * space. */
static inline int bench_eval_load(struct bench_eval *b, const char *shared, const char *prog)
{
    char path[4096];
    struct anas_error err = {0};

    memset(b, 0, sizeof *b);
    b->space = anas_space_find("resnet");
    b->shape = (struct anas_shape){.c = 3, .h = 32, .w = 32, .classes = 10};
    anas_eval_spec_init(&b->eval, ANAS_EVAL_SURROGATE, b->space, &b->shape);
    for (int i = 0; i < BENCH_N_MODELS; i++) {
        snprintf(path, sizeof path, "%s/reference/analognas/weights/%s", shared,
                 bench_model_files[i]);
        b->models[i] = anas_surrogate_load(path, NULL);
        if (!b->models[i]) {
            printf("%s: skip: cannot load %s\n", prog, path);
            return -1;
        }
        anas_eval_spec_add_model(&b->eval, bench_model_metrics[i], b->models[i]);
    }
    if (anas_eval_spec_check(&b->eval, &err) < 0) {
        printf("%s: the surrogates do not fit the space: %s\n", prog, err.msg);
        return -2;
    }
    return 0;
}

static inline void bench_eval_free(struct bench_eval *b)
{
    for (int i = 0; i < BENCH_N_MODELS; i++)
        anas_surrogate_free(b->models[i]);
}

/* --- Optimizer parameters --- */

static inline int bench_is_length_param(const char *name)
{
    static const char *const names[] = {"evaluations", "cycles", "max_evaluations",
                                        "iterations", "generations", "n_generations",
                                        "n_iter", "budget"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* Make the search last at least `evals` evaluations (the driver stops it
 * there): a length counted in evaluations is set to `evals`; one counted
 * in generations grows from its default until the declared budget covers
 * `evals` (or, with no declared budget, is set to `evals`: generations
 * are at least one evaluation each). Other parameters keep their
 * defaults, which are what a user gets. */
static inline void bench_set_length(struct anas_search_spec *spec, int evals)
{
    const struct anas_search_ops *ops = spec->ops;

    for (int i = 0; i < ops->n_params; i++) {
        const struct anas_param_desc *d = &ops->params[i];
        int per_eval = strcmp(d->name, "evaluations") == 0 || strcmp(d->name, "cycles") == 0 ||
                       strcmp(d->name, "max_evaluations") == 0 ||
                       strcmp(d->name, "budget") == 0;

        if (!bench_is_length_param(d->name))
            continue;
        if (per_eval || anas_search_budget(spec) < 0) {
            spec->params[i] = fmin(d->hi, (double)evals);
            continue;
        }
        while (anas_search_budget(spec) < evals && spec->params[i] < d->hi)
            spec->params[i] = fmin(d->hi, spec->params[i] + 1);
    }
}

static inline void bench_print_params(const struct anas_search_spec *spec)
{
    const struct anas_search_ops *ops = spec->ops;

    printf("  %-22s", ops->name);
    for (int i = 0; i < ops->n_params; i++)
        if (!isnan(spec->params[i]))
            printf(" %s=%.6g", ops->params[i].name, spec->params[i]);
    printf(" (budget %ld)\n", anas_search_budget(spec));
}

/* --- Driving one search --- */

/* Evaluate one configuration as the daemon does: rejected on an analytic
 * constraint before evaluation (ok 0, its analytic metrics kept), else
 * the surrogates. Either way it counts as an evaluation. */
static inline void bench_evaluate(const struct bench_eval *b,
                                  const struct anas_search_spec *spec,
                                  const struct anas_config *cfg, struct anas_search_result *r)
{
    memset(r, 0, sizeof *r);
    r->config = *cfg;
    anas_metrics_init(&r->metrics);
    if (!anas_search_analytic_ok(spec, cfg)) {
        anas_eval_analytic(&b->eval, cfg, &r->metrics, NULL);
        return;
    }
    r->ok = anas_eval_run(&b->eval, cfg, NULL, &r->metrics, NULL) == 0;
    r->feasible = r->ok && anas_search_feasible(spec, &r->metrics);
}

/* Proposals waiting for evaluation, in proposal order. */
struct bench_queue {
    struct anas_config *c;
    int head, tail, cap;
};

static inline int bench_queue_push(struct bench_queue *q, const struct anas_config *c, int n)
{
    if (q->head > 0 && q->tail + n > q->cap) {
        memmove(q->c, q->c + q->head, (size_t)(q->tail - q->head) * sizeof(*q->c));
        q->tail -= q->head;
        q->head = 0;
    }
    if (q->tail + n > q->cap) {
        int cap = 2 * (q->tail + n);
        struct anas_config *p = realloc(q->c, (size_t)cap * sizeof(*p));
        if (!p)
            return -1;
        q->c = p;
        q->cap = cap;
    }
    memcpy(q->c + q->tail, c, (size_t)n * sizeof(*c));
    q->tail += n;
    return 0;
}

/* How a driven search ended. */
struct bench_run {
    int n;              /* evaluations made */
    int rc;             /* an error that ended the search early, else 0 */
    int finished_early; /* the optimizer finished before `evals` */
    int old_contract;   /* propose said ANAS_ESTATE for "observe first" */
};

/* Until `evals` evaluations, the search finishes, or an error ends it;
 * each evaluated result goes to record(ctx, result) before it is
 * observed. An error is printed as a "#" line. */
static inline void bench_drive(const struct bench_eval *b, const struct anas_search_spec *spec,
                               uint64_t seed, int evals,
                               void (*record)(void *ctx, const struct anas_search_result *r),
                               void *ctx, struct bench_run *out)
{
    static struct anas_config batch[ANAS_SEARCH_MAX_BATCH];
    struct anas_error err = {0};
    struct anas_search *s = anas_search_new(spec, seed, &err);
    struct bench_queue q = {0};

    memset(out, 0, sizeof *out);
    out->rc = s ? 0 : err.code;
    while (s && out->n < evals) {
        struct anas_search_result r;
        int n = 0;

        out->rc = anas_search_propose(s, batch, ANAS_SEARCH_MAX_BATCH, &n, &err);
        /* An optimizer written before propose could answer "observe more
         * first" refuses with ANAS_ESTATE while proposals are out: the
         * same answer in the old words. */
        if (out->rc == ANAS_ESTATE && q.head < q.tail) {
            out->old_contract = 1;
            out->rc = 0;
            n = 0;
        }
        if (out->rc < 0 || bench_queue_push(&q, batch, n) < 0)
            break;
        if (q.head == q.tail) {
            out->finished_early = 1;
            break;
        }
        bench_evaluate(b, spec, &q.c[q.head++], &r);
        record(ctx, &r);
        out->n++;
        out->rc = anas_search_observe(s, &r, 1, &err);
        if (out->rc < 0)
            break;
    }
    if (out->rc < 0)
        printf("  # %s seed %llu: %s after %d evaluations: %s\n", spec->ops->name,
               (unsigned long long)seed, anas_err_name(out->rc), out->n, err.msg);
    free(q.c);
    anas_search_free(s);
}

#endif
