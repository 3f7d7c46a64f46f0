/*
 * search-random.c - the registry, search specs and their checks, and random
 * search: the right number of proposals in the right batches, the same
 * configurations for the same seed however they are batched, different
 * ones for another seed.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "search/search.h"
#include "tap.h"

#define CAP 512

static const struct anas_space *space;

static void spec_new(struct anas_search_spec *spec, const char *opt)
{
    anas_search_spec_init(spec, space, anas_search_find(opt));
    spec->n_objectives = 1;
    snprintf(spec->objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");
    spec->objectives[0].maximize = 1;
}

/* Drive a search to its end, `max` configurations per propose; record
 * every configuration and the batch sizes. */
static int run(const struct anas_search_spec *spec, uint64_t seed, int max,
               struct anas_config *out, int *batches, int *n_batches)
{
    struct anas_search *s = anas_search_new(spec, seed, NULL);
    struct anas_search_result *res = anas_calloc(ANAS_SEARCH_MAX_BATCH, sizeof(*res));
    int total = 0, nb = 0;

    while (s && res) {
        int n = 0;
        if (anas_search_propose(s, out + total, max, &n, NULL) < 0 || n == 0)
            break;
        for (int i = 0; i < n; i++) {
            res[i].config = out[total + i];
            res[i].ok = 1;
            anas_metrics_init(&res[i].metrics);
        }
        if (anas_search_observe(s, res, n, NULL) < 0)
            break;
        if (batches && nb < CAP)
            batches[nb] = n;
        nb++;
        total += n;
        if (total + ANAS_SEARCH_MAX_BATCH > CAP)
            break;
    }
    if (n_batches)
        *n_batches = nb;
    anas_free(res);
    anas_search_free(s);
    return total;
}

static int same_configs(const struct anas_config *a, const struct anas_config *b, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < anas_space_n_hp(space); j++)
            if (a[i].v[j] != b[i].v[j])
                return 0;
    return 1;
}

static void test_registry(void)
{
    const struct anas_search_ops *r = anas_search_find("random");

    ok(r != NULL && strcmp(r->name, "random") == 0, "random is registered");
    ok(anas_search_find("ea-analognas") != NULL, "ea-analognas is registered");
    ok(anas_search_find("simulated-annealing") == NULL, "an unknown optimizer is NULL");
    ok(anas_search_count() >= 2 && anas_search_at(0) != NULL &&
           anas_search_at(anas_search_count()) == NULL,
       "anas_search_at covers the registry");
    is_int(anas_search_param_index(r, "batch"), 1, "batch is random's second parameter");
    is_int(anas_search_param_index(r, "population_size"), -1, "no population_size");
}

static void test_spec(void)
{
    struct anas_search_spec spec;
    struct anas_error err = {0};

    spec_new(&spec, "random");
    ok(anas_search_spec_get(&spec, "evaluations") == 100 &&
           anas_search_spec_get(&spec, "batch") == 8,
       "defaults: 100 evaluations, batches of 8");
    is_int(anas_search_budget(&spec), 100, "budget is the evaluations");
    ok(isnan(anas_search_spec_get(&spec, "nope")), "an unknown parameter reads NAN");
    is_int(anas_search_spec_check(&spec, &err), 0, "the default spec checks");

    is_int(anas_search_spec_set(&spec, "evaluations", 0, &err), ANAS_ERANGE,
           "evaluations 0: ANAS_ERANGE");
    is_str(err.field, "evaluations", "field names the parameter");
    is_int(anas_search_spec_set(&spec, "batch", 2.5, &err), ANAS_ERANGE,
           "batch 2.5: not an integer");
    is_int(anas_search_spec_set(&spec, "batch", NAN, &err), ANAS_ERANGE,
           "batch NAN: a parameter with a default cannot be unset");
    is_int(anas_search_spec_set(&spec, "temperature", 1, &err), ANAS_EUNKNOWN,
           "unknown parameter: ANAS_EUNKNOWN");
    is_int(anas_search_spec_set(&spec, "evaluations", 21, &err), 0, "evaluations 21");
    is_int(anas_search_budget(&spec), 21, "budget follows");

    spec.n_objectives = 0;
    is_int(anas_search_spec_check(&spec, &err), ANAS_EINVAL, "no objective: ANAS_EINVAL");
    spec.n_objectives = 5;
    is_int(anas_search_spec_check(&spec, &err), ANAS_EINVAL, "5 objectives: ANAS_EINVAL");
    spec.n_objectives = 1;
    snprintf(spec.objectives[0].metric, ANAS_METRIC_NAME_MAX, "Accuracy!");
    is_int(anas_search_spec_check(&spec, &err), ANAS_EINVAL, "bad objective metric");
    snprintf(spec.objectives[0].metric, ANAS_METRIC_NAME_MAX, "acc@1d");

    spec.n_constraints = 1;
    snprintf(spec.constraints[0].metric, ANAS_METRIC_NAME_MAX, "avm");
    is_int(anas_search_spec_check(&spec, &err), ANAS_EINVAL, "constraint without bounds");
    spec.constraints[0].has_min = 1;
    spec.constraints[0].min = 5;
    spec.constraints[0].has_max = 1;
    spec.constraints[0].max = 4;
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE, "constraint min > max");
    spec.constraints[0].max = 10;
    is_int(anas_search_spec_check(&spec, &err), 0, "constraint 5 <= avm <= 10 checks");

    spec.params[anas_search_param_index(spec.ops, "batch")] = 300;
    is_int(anas_search_spec_check(&spec, &err), ANAS_ERANGE,
           "batch 300 written directly");
    is_str(err.field, "batch", "is caught by the check");
    ok(anas_search_new(&spec, 1, NULL) == NULL, "and anas_search_new refuses the spec");
}

static void test_batches(void)
{
    static struct anas_config a[CAP], b[CAP], c[CAP];
    struct anas_search_spec spec;
    int batches[CAP], nb = 0, valid = 1;

    spec_new(&spec, "random");
    anas_search_spec_set(&spec, "evaluations", 21, NULL);
    is_int(run(&spec, 42, ANAS_SEARCH_MAX_BATCH, a, batches, &nb), 21,
           "21 proposals in all");
    ok(nb == 3 && batches[0] == 8 && batches[1] == 8 && batches[2] == 5,
       "in batches of 8, 8 and 5");
    is_int(run(&spec, 42, 3, b, batches, &nb), 21, "with max 3: still 21");
    ok(nb == 7 && batches[0] == 3 && batches[6] == 3, "in 7 batches of 3");
    ok(same_configs(a, b, 21), "batching does not change the configurations");

    run(&spec, 42, ANAS_SEARCH_MAX_BATCH, c, NULL, NULL);
    ok(same_configs(a, c, 21), "the same seed proposes the same configurations");
    run(&spec, 43, ANAS_SEARCH_MAX_BATCH, c, NULL, NULL);
    int differ = 0;
    for (int i = 0; i < 21; i++)
        differ += !same_configs(&a[i], &c[i], 1);
    ok(differ >= 20, "another seed proposes other configurations (%d of 21 differ)",
       differ);

    for (int i = 0; i < 21; i++) {
        struct anas_config cfg = a[i];
        valid = valid && anas_space_validate(space, &cfg, NULL) == 0 &&
                same_configs(&cfg, &a[i], 1);
    }
    ok(valid, "every proposal is valid and canonical");
    int distinct = 1;
    for (int i = 0; i < 21; i++)
        for (int j = 0; j < i; j++)
            distinct = distinct && !same_configs(&a[i], &a[j], 1);
    ok(distinct, "the proposals are fresh samples");
}

static void test_protocol(void)
{
    struct anas_search_spec spec;
    struct anas_config out[8];
    struct anas_search_result res[9];
    struct anas_error err = {0};
    struct anas_search *s;
    int n = -1;

    spec_new(&spec, "random");
    anas_search_spec_set(&spec, "evaluations", 5, NULL);
    s = anas_search_new(&spec, 7, &err);
    ok(s != NULL, "new");
    memset(res, 0, sizeof(res));
    is_int(anas_search_observe(s, res, 1, &err), ANAS_ESTATE,
           "observing before any proposal: ANAS_ESTATE");
    is_int(anas_search_propose(s, out, 0, &n, &err), ANAS_EINVAL, "max 0: ANAS_EINVAL");
    anas_search_propose(s, out, 8, &n, NULL);
    is_int(n, 5, "one batch of 5");
    for (int i = 0; i < 5; i++)
        res[i].config = out[i];
    is_int(anas_search_observe(s, res, 6, &err), ANAS_ESTATE,
           "6 results for 5: ANAS_ESTATE");
    is_int(anas_search_observe(s, res, 5, &err), 0, "5 results for 5");
    anas_search_propose(s, out, 8, &n, NULL);
    is_int(n, 0, "then the search is finished");
    anas_search_free(s);
    anas_search_free(NULL);

    /* At most `batch` out at once; each result observed frees one place. */
    anas_search_spec_set(&spec, "evaluations", 20, NULL);
    s = anas_search_new(&spec, 7, &err);
    anas_search_propose(s, out, 8, &n, NULL);
    is_int(n, 8, "8 out");
    for (int i = 0; i < 8; i++)
        res[i].config = out[i];
    anas_search_propose(s, out, 8, &n, NULL);
    is_int(n, 0, "no more while 8 are out");
    res[0].config.v[0] += 1;
    is_int(anas_search_observe(s, res, 3, &err), ANAS_EINVAL,
           "a result for another configuration: ANAS_EINVAL");
    res[0].config.v[0] -= 1;
    is_int(anas_search_observe(s, res, 3, &err), 0, "3 results come back");
    anas_search_propose(s, out, 8, &n, NULL);
    is_int(n, 3, "3 more can go out");
    anas_search_free(s);
}

int main(void)
{
    space = anas_space_find("resnet");
    if (!space) {
        printf("Bail out! no resnet space\n");
        return 1;
    }
    plan(6 + 20 + 9 + 12);
    test_registry();
    test_spec();
    test_batches();
    test_protocol();
    return done();
}
