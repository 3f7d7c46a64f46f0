/*
 * core-alloc.c - the allocation wrappers and their fault hook, and every
 * out-of-memory point of the layer list: fail the Nth allocation for
 * N = 0, 1, ... until the call succeeds, and check each failure is clean.
 * Leaks show under valgrind (make check with --enable-valgrind-tests).
 */
#include "config.h"

#include "core/alloc.h"

#include <string.h>

#include "core/err.h"
#include "space/space.h"
#include "tap.h"

static void wrappers(void)
{
    char *p, *q;

    anas_alloc_fail_after(0);
    p = anas_malloc(8);
    ok(p == NULL, "fail_after(0): the next allocation fails");
    ok(anas_calloc(1, 8) == NULL && anas_strdup("x") == NULL &&
           anas_realloc(NULL, 8) == NULL,
       "... and every one after it");
    anas_alloc_fail_after(2);
    p = anas_malloc(8);
    q = anas_malloc(8);
    ok(p && q && anas_malloc(8) == NULL, "fail_after(2): two succeed, the third fails");
    anas_free(p);
    anas_free(q);
    anas_alloc_fail_once(1);
    p = anas_malloc(8);
    ok(p && anas_malloc(8) == NULL, "fail_once(1): one succeeds, the second fails");
    q = anas_malloc(8);
    ok(q != NULL, "... and the third succeeds again");
    ok(anas_alloc_fault() == 0, "... as does the hook's own test");
    anas_free(p);
    anas_free(q);
    anas_alloc_fail_after(-1);

    p = anas_malloc(0);
    ok(p != NULL, "malloc(0) gives a pointer");
    anas_free(p);
    p = anas_calloc(4, 4);
    ok(p && p[0] == 0 && p[15] == 0, "calloc zeroes");
    q = anas_realloc(p, 64);
    ok(q != NULL && q[15] == 0, "realloc keeps the contents");
    anas_free(q);
    p = anas_strdup("analog");
    is_str(p, "analog", "strdup copies");
    anas_free(p);
    ok(anas_strdup(NULL) == NULL, "strdup(NULL) is NULL");
    anas_free(NULL);
    ok(1, "free(NULL) is a no-op");
}

/* Fail the Nth allocation of anas_space_layers for every N until it
 * succeeds; each failure must be ANAS_ENOMEM with *out untouched. */
static void layers_chaos(const struct anas_space *s, const double *v, const char *what)
{
    struct anas_shape shape = anas_space_default_shape(s);
    struct anas_config cfg;
    struct anas_layer *layers = NULL;
    int n = -1, rc = ANAS_ENOMEM, clean = 1;
    long fails;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, v, 22 * sizeof *v);
    for (fails = 0; rc == ANAS_ENOMEM && fails < 10000; fails++) {
        struct anas_error err;
        anas_alloc_fail_after(fails);
        rc = anas_space_layers(s, &shape, &cfg, NULL, &layers, &n, &err);
        anas_alloc_fail_after(-1);
        if (rc == ANAS_ENOMEM)
            clean &= layers == NULL && n == -1 && err.code == ANAS_ENOMEM;
    }
    ok(rc == 0 && n > 0, "%s: layers succeed after %ld failing runs", what, fails - 1);
    ok(clean, "%s: every failure was ANAS_ENOMEM and left the outputs alone", what);
    ok(fails > 1, "%s: the hook was reached", what);
    anas_free(layers);
}

static void analytic_chaos(const struct anas_space *s, const double *v)
{
    struct anas_shape shape = anas_space_default_shape(s);
    struct anas_config cfg;
    struct anas_metrics m;
    int rc = ANAS_ENOMEM, clean = 1;
    long fails;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, v, 22 * sizeof *v);
    for (fails = 0; rc == ANAS_ENOMEM && fails < 10000; fails++) {
        anas_metrics_init(&m);
        anas_alloc_fail_after(fails);
        rc = anas_space_analytic(s, &shape, &cfg, NULL, &m, NULL);
        anas_alloc_fail_after(-1);
        if (rc == ANAS_ENOMEM)
            clean &= m.n == 0;
    }
    ok(rc == 0 && m.n >= 4, "analytic succeeds after %ld failing runs", fails - 1);
    ok(clean, "a failed analytic run adds no metrics");
}

int main(void)
{
    static const double small[22] = {8, 1, 1, 0, 0, 0, 0, 1, 0.5, 1};
    static const double big[22] = {64, 4,   15, 15, 15,  15, 0, 2,   0.5, 4,
                                   2,  0.5, 4,  2,  0.5, 4,  2, 0.5, 4};
    const struct anas_space *s = anas_space_find("resnet");

    plan(20);
    wrappers();
    if (!s)
        return done();
    layers_chaos(s, small, "smallest network");
    layers_chaos(s, big, "largest network");
    analytic_chaos(s, big);
    return done();
}
