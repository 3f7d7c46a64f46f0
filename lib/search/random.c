/*
 * random.c - random search: `evaluations` uniform samples, proposed in
 * batches of `batch`.
 *
 * Proposals do not depend on results, and each sample draws from the one
 * generator in order, so the sequence of configurations is the same however
 * the caller splits it into batches. At most `batch` are out (proposed and
 * not yet observed) at once: a driver that asks after every result keeps
 * that many evaluations running.
 */
#include "config.h"

#include "search/search_int.h"

#include "core/alloc.h"

enum { P_EVALUATIONS, P_BATCH };

static const struct anas_param_desc params[] = {
    [P_EVALUATIONS] = {"evaluations", 1, 1, 1000000, 100, "architectures to evaluate"},
    [P_BATCH] = {"batch", 1, 1, ANAS_SEARCH_MAX_BATCH, 8,
                 "architectures out at once (proposed, not yet observed): evaluated in parallel"},
};

struct random_state {
    long proposed, observed;
};

static long budget(const struct anas_search_spec *spec)
{
    return (long)spec->params[P_EVALUATIONS];
}

static int init(struct anas_search *s, struct anas_error *err)
{
    struct random_state *st = anas_calloc(1, sizeof(*st));

    if (!st)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory");
    anas_search_set_state(s, st);
    return 0;
}

static int propose(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct random_state *st = anas_search_state(s);
    long left = budget(spec) - st->proposed;
    long k = (long)spec->params[P_BATCH] - (st->proposed - st->observed);

    if (k > left)
        k = left;
    if (k > max)
        k = max;
    for (int i = 0; i < (int)k; i++) {
        int rc = anas_space_sample(spec->space, anas_search_rng(s), &out[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot sample the space");
    }
    st->proposed += k;
    *n_out = (int)k;
    return 0;
}

static int observe(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err)
{
    struct random_state *st = anas_search_state(s);

    (void)res;
    (void)err;
    st->observed += n;
    return 0;
}

static void fini(struct anas_search *s)
{
    anas_free(anas_search_state(s));
}

const struct anas_search_ops anas__search_random_ops = {
    .name = "random",
    .help = "uniform random sampling of the space",
    .n_params = (int)(sizeof(params) / sizeof(params[0])),
    .params = params,
    .check = NULL,
    .budget = budget,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
