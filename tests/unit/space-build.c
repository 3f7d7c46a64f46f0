/*
 * space-build.c - the resnet network builder against the analytic count: the
 * reference configurations of resnet-refs.h (computed with AnalogNAS's
 * Network), random ones at several shapes (params, output shape, node count),
 * AnalogNAS's module names, the 30 rows of analog_bench_params.csv under
 * $ANAS_SHARED, and the errors.
 */
#include "config.h"

#include "space/space.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "nn/net.h"
#include "resnet-refs.h"
#include "space-check.h"
#include "tap.h"


/* Indices into a resnet configuration, group j = 1..5. */
#define R_IDX(j)     (1 + (j))
#define WIDEN_IDX(j) (5 + 3 * (j))
#define B_IDX(j)     (6 + 3 * (j))


static double metric(const struct anas_metrics *m, const char *name)
{
    double v = NAN;

    anas_metrics_get(m, name, &v);
    return v;
}

static double analytic_params(const struct anas_space *s, const struct anas_shape *shape,
                              const struct anas_config *cfg)
{
    struct anas_metrics m;

    anas_metrics_init(&m);
    if (anas_space_analytic(s, shape, cfg, NULL, &m, NULL) < 0)
        return -1;
    return metric(&m, "params");
}

/* The width of group g as the layer list gives it (g<g>.b1.add's output),
 * -1 when missing. */
static int group_width(const struct anas_space *s, const struct anas_shape *shape,
                       const struct anas_config *cfg, int g)
{
    struct anas_layer *l = NULL;
    char name[32];
    int n = 0, c = -1;

    snprintf(name, sizeof name, "g%d.b1.add", g);
    if (anas_space_layers(s, shape, cfg, NULL, &l, &n, NULL) == 0)
        for (int i = 0; i < n; i++)
            if (strcmp(l[i].name, name) == 0)
                c = l[i].out_c;
    anas_free(l);
    return c;
}

/* Nodes AnalogNAS's Network makes, counted by hand: the input, the stem's
 * 2, per block B branches of 6, B-1 partial sums, a skip of 6 when the
 * channels change and the final sum, then ReLU, pool and fc. */
static int expected_nodes(const struct anas_space *s, const struct anas_shape *shape,
                          const struct anas_config *cfg)
{
    int n = 1 + 2 + 3, cin = (int)cfg->v[0];

    for (int g = 1; g <= (int)cfg->v[1]; g++) {
        int cout = group_width(s, shape, cfg, g), b = (int)cfg->v[B_IDX(g)];
        int blocks = cfg->v[R_IDX(g)] > 1 ? (int)cfg->v[R_IDX(g)] : 1;
        for (int k = 1; k <= blocks; k++)
            n += 6 * b + (b - 1) + (k == 1 && cin != cout ? 6 : 0) + 1;
        cin = cout;
    }
    return n;
}

/* Build cfg; 1 when it matches the analytic params, has a (classes,1,1)
 * output and the expected node count, else 0 with a diagnostic. */
static int check_one(const struct anas_space *s, const struct anas_shape *shape,
                     const struct anas_config *cfg, const char *what)
{
    struct anas_netdef *def = NULL;
    struct anas_error err = {0};
    int rc = anas_space_build(s, shape, cfg, &def, &err), c = 0, h = 0, w = 0, good;
    double want = analytic_params(s, shape, cfg);

    if (rc < 0) {
        printf("# %s: build failed: %s (%s)\n", what, err.msg, err.field);
        return 0;
    }
    anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w);
    good = (double)anas_netdef_n_params(def) == want && c == shape->classes && h == 1 &&
           w == 1 && anas_netdef_n_nodes(def) == expected_nodes(s, shape, cfg);
    if (!good)
        printf("# %s: params %zu (analytic %.0f), output %dx%dx%d, %d nodes (want %d)\n",
               what, anas_netdef_n_params(def), want, c, h, w, anas_netdef_n_nodes(def),
               expected_nodes(s, shape, cfg));
    anas_netdef_free(def);
    return good;
}

static void reference_vectors(const struct anas_space *s)
{
    for (size_t i = 0; i < RESNET_N_REFS; i++) {
        const struct resnet_ref *vec = &resnet_refs[i];
        struct anas_netdef *def = NULL;
        struct anas_config cfg;

        anas_config_init(&cfg, s);
        memcpy(cfg.v, vec->v, sizeof vec->v);
        ok(anas_space_build(s, &vec->shape, &cfg, &def, NULL) == 0, "%s: builds",
           vec->what);
        is_int(def ? (long long)anas_netdef_n_params(def) : -1, vec->params,
               "%s: the network has %lld params", vec->what, vec->params);
        ok(check_one(s, &vec->shape, &cfg, vec->what),
           "%s: analytic params, output shape and node count agree", vec->what);
        anas_netdef_free(def);
    }
}

static void random_configs(const struct anas_space *s, struct anas_shape shape, int n,
                           uint64_t seed)
{
    struct anas_rng rng;
    int good = 0;

    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        struct anas_config cfg;
        char what[64];
        anas_space_sample(s, &rng, &cfg);
        snprintf(what, sizeof what, "sample %d at %dx%dx%d", i, shape.c, shape.h,
                 shape.w);
        good += check_one(s, &shape, &cfg, what);
    }
    is_int(good, n,
           "%d random configurations at %dx%dx%d/%d: built params == analytic, "
           "output (classes,1,1), node count",
           n, shape.c, shape.h, shape.w, shape.classes);
}

/* --- names --------------------------------------------------------------- */

static int has_tensor(const struct anas_net *net, const char *name, int trainable)
{
    for (int i = 0; i < anas_net_n_tensors(net); i++) {
        const struct anas_net_tensor *t = anas_net_tensor(net, i);
        if (strcmp(t->name, name) == 0)
            return t->trainable == trainable;
    }
    return 0;
}

/* oc0 8, M 2: group 1 widens 8 -> 10 (a skip in Block_1) with 2 blocks of
 * 2 branches; group 2 widens 10 -> 13 with 15 blocks of 3 branches, for
 * the longest names. */
static void names(const struct anas_space *s)
{
    static const char *const trained[] = {
        "blocks.Conv_0.weight",
        "blocks.BN_0.weight",
        "blocks.BN_0.bias",
        "blocks.Group_1.group.Block_1.branches.0.residual_branch.Branch_1:Conv_1.weight",
        "blocks.Group_1.group.Block_1.branches.0.residual_branch.Branch_1:BN_1.weight",
        "blocks.Group_1.group.Block_1.branches.1.residual_branch.Branch_2:Conv_2.weight",
        "blocks.Group_1.group.Block_1.branches.1.residual_branch.Branch_2:BN_2.bias",
        "blocks.Group_1.group.Block_1.skip.Skip_connection.s1.Skip_1_Conv.weight",
        "blocks.Group_1.group.Block_1.skip.Skip_connection.s2.Skip_2_Conv.weight",
        "blocks.Group_1.group.Block_1.skip.Skip_connection.batch_norm.weight",
        "blocks.Group_1.group.Block_2.branches.1.residual_branch.Branch_2:Conv_1.weight",
        "blocks.Group_2.group.Block_15.branches.2.residual_branch.Branch_3:BN_2.weight",
        "fc.weight",
        "fc.bias",
    };
    static const char *const state[] = {
        "blocks.BN_0.running_mean",
        "blocks.BN_0.num_batches_tracked",
        "blocks.Group_1.group.Block_1.skip.Skip_connection.batch_norm.running_var",
        "blocks.Group_2.group.Block_15.branches.2.residual_branch.Branch_3:BN_2."
        "num_batches_tracked",
    };
    double v[RESNET_N_HP] = {8, 2, 2, 15, 0, 0, 0, 1, 0.75, 2, 1, 0.75, 3};
    struct anas_shape shape = {3, 12, 12, 2};
    struct anas_config cfg;
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    struct anas_error err = {0};
    int all = 1, n_trained = 0, bns = 0, convs = 0, rc;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, v, sizeof v);
    rc = anas_space_build(s, &shape, &cfg, &def, &err);
    ok(rc == 0, "a two-group network builds (%s)", rc ? err.msg : "ok");
    if (rc == 0)
        net = anas_net_new(def, 1, &err);
    ok(net != NULL, "and instantiates (%s)", net ? "ok" : err.msg);
    if (!net) {
        anas_netdef_free(def);
        return;
    }
    for (size_t i = 0; i < sizeof trained / sizeof trained[0]; i++)
        if (!has_tensor(net, trained[i], 1) && (all = 0) == 0)
            printf("#   missing trainable %s\n", trained[i]);
    ok(all, "trainable tensors carry AnalogNAS's state_dict names");
    all = 1;
    for (size_t i = 0; i < sizeof state / sizeof state[0]; i++)
        if (!has_tensor(net, state[i], 0) && (all = 0) == 0)
            printf("#   missing state %s\n", state[i]);
    ok(all, "batch norm statistics too");
    ok(!has_tensor(
           net, "blocks.Group_1.group.Block_2.skip.Skip_connection.batch_norm.weight", 1),
       "blocks that keep the width have an identity skip");
    /* Group 1: stem conv and BN; block 1: 2 branches (2 convs, 2 BNs each)
     * and a skip (2 convs, 1 BN); block 2: 2 branches. Group 2: 15 blocks of
     * 3 branches, block 1 with a skip (widths 10 -> 13). Then fc. */
    convs = 1 + (2 * 2 + 2) + 2 * 2 + (15 * 3 * 2 + 2);
    bns = 1 + (2 * 2 + 1) + 2 * 2 + (15 * 3 * 2 + 1);
    for (int i = 0; i < anas_net_n_tensors(net); i++)
        n_trained += anas_net_tensor(net, i)->trainable;
    is_int(n_trained, convs + 2 * bns + 2,
           "trainable tensors: %d convs, %d batch norms, fc", convs, bns);
    is_int(anas_net_n_tensors(net) - n_trained, 3 * bns,
           "state tensors: 3 per batch norm");
    anas_net_free(net);
    anas_netdef_free(def);
}

/* --- analog_bench_params.csv ------------------------------------------- */

/* Each row's network at 3x100x100 with 2 classes has its nb_params. */
static void bench_csv(const struct anas_space *s)
{
    const char *shared = getenv("ANAS_SHARED");
    char path[4096], head[1024], line[1024], *header[CSV_MAX_COLS], *cols[CSV_MAX_COLS];
    struct anas_shape vww = {3, 100, 100, 2};
    int n_header, rows = 0, good = 0, at;
    FILE *f;

    snprintf(path, sizeof path, "%s/reference/analognas/analog_bench_params.csv",
             shared ? shared : ".");
    if (!shared || !(f = fopen(path, "r"))) {
        diag("analog_bench_params.csv not found under $ANAS_SHARED: rows skipped");
        return;
    }
    if (!fgets(head, sizeof head, f)) {
        fclose(f);
        return;
    }
    at = memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0; /* byte order mark */
    n_header = csv_split(head + at, header);
    while (fgets(line, sizeof line, f)) {
        struct anas_config cfg;
        struct anas_netdef *def = NULL;
        int p = csv_column(header, n_header, "nb_params");
        if (csv_split(line, cols) != n_header || p < 0 || cols[p][0] == '\0')
            continue;
        anas_config_init(&cfg, s);
        for (int i = 0; i < anas_space_n_hp(s); i++) {
            int c = csv_column(header, n_header, anas_space_hp(s, i)->name);
            cfg.v[i] = c >= 0 ? strtod(cols[c], NULL) : NAN;
        }
        if (anas_space_build(s, &vww, &cfg, &def, NULL) == 0 &&
            (double)anas_netdef_n_params(def) == atof(cols[p]))
            good++;
        else
            printf("# row %s: built params differ from %s\n", cols[0], cols[p]);
        anas_netdef_free(def);
        rows++;
    }
    fclose(f);
    ok(rows == 30 && good == rows,
       "analog_bench_params.csv: %d of %d built networks have "
       "nb_params",
       good, rows);
}

/* --- errors ------------------------------------------------------------- */

static void errors(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_netdef *def = (struct anas_netdef *)&cfg; /* must become NULL */
    struct anas_error err = {0};
    struct anas_shape tiny = {3, 11, 32, 10}, cifar = {3, 32, 32, 10};

    anas_config_init(&cfg, s);
    memcpy(cfg.v, resnet_refs[0].v, sizeof resnet_refs[0].v);
    cfg.v[B_IDX(2)] = 9;
    is_int(anas_space_build(s, &cifar, &cfg, &def, &err), ANAS_ERANGE, "B2 = 9: ERANGE");
    is_str(err.field, "B2", "the error names B2");
    ok(def == NULL, "and *out is NULL");
    cfg.v[B_IDX(2)] = 1;
    is_int(anas_space_build(s, &tiny, &cfg, &def, &err), ANAS_ERANGE,
           "an 11-row input: ERANGE");
    is_str(err.field, "input", "the error names input");
    is_int(anas_space_build(s, &cifar, &cfg, NULL, &err), ANAS_EINVAL, "no out: EINVAL");
    is_int(anas_space_build(s, NULL, &cfg, &def, &err), ANAS_EINVAL, "no shape: EINVAL");
    /* Every allocation failing: ENOMEM, nothing leaked (valgrind watches). */
    for (long k = 0; k < 4; k++) {
        int rc;
        anas_alloc_fail_after(k);
        rc = anas_space_build(s, &cifar, &cfg, &def, &err);
        anas_alloc_fail_after(-1);
        ok(rc == ANAS_ENOMEM && def == NULL, "allocation %ld failing: ENOMEM", k);
    }
}

int main(void)
{
    const struct anas_space *s = anas_space_find("resnet");

    plan_later();
    ok(s != NULL, "the resnet space exists");
    if (!s)
        return done();
    reference_vectors(s);
    random_configs(s, (struct anas_shape){3, 32, 32, 10}, 200, 1);
    random_configs(s, (struct anas_shape){1, 28, 28, 10}, 40, 2);
    random_configs(s, (struct anas_shape){3, 100, 100, 2}, 20, 3);
    random_configs(s, (struct anas_shape){2, 12, 17, 1}, 40, 4);
    names(s);
    bench_csv(s);
    errors(s);
    return done();
}
