/*
 * eval-surrogate.c - an evaluation gives the analytic metrics plus one
 * prediction per surrogate, equal to the model's own prediction on the
 * space's feature vector; specs whose models do not fit the space are
 * refused; a raised cancel flag stops the evaluation.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xgboost/c_api.h>

#include "eval/eval.h"
#include "tap.h"

#define N_CONFIGS 25

static const struct anas_space *space;
static struct anas_shape shape;

static void test_kinds(void)
{
    enum anas_eval_kind k = ANAS_EVAL_ANALYTIC;

    is_str(anas_eval_kind_name(ANAS_EVAL_SURROGATE), "surrogate", "kind name: surrogate");
    ok(anas_eval_kind_parse("surrogate", &k) == 0 && k == ANAS_EVAL_SURROGATE,
       "parse surrogate");
    ok(anas_eval_kind_parse("analytic", &k) == 0 && k == ANAS_EVAL_ANALYTIC,
       "parse analytic");
    is_int(anas_eval_kind_parse("oracle", &k), ANAS_EINVAL, "unknown kind: ANAS_EINVAL");
}

static int same_metric(const struct anas_metrics *a, const struct anas_metrics *b,
                       const char *name)
{
    double x, y;
    return anas_metrics_get(a, name, &x) == 0 && anas_metrics_get(b, name, &y) == 0 &&
           x == y;
}

static void test_analytic(void)
{
    static const char *const names[] = {"params", "macs", "tiles", "tile_util"};
    struct anas_eval_spec spec;
    struct anas_metrics got, want;
    struct anas_config cfg;
    struct anas_rng rng;
    struct anas_error err = {0};
    atomic_int cancel = 0;
    int same = 1, rc = 0;
    double v;

    anas_eval_spec_init(&spec, ANAS_EVAL_ANALYTIC, space, &shape);
    ok(spec.mapping.max_input_size == anas_mapping_default.max_input_size &&
           spec.mapping.max_output_size == anas_mapping_default.max_output_size,
       "spec_init sets the default mapping");
    is_int(anas_eval_spec_check(&spec, &err), 0, "an analytic spec needs no model");

    anas_rng_seed(&rng, 11);
    for (int i = 0; i < N_CONFIGS && same; i++) {
        anas_space_sample(space, &rng, &cfg);
        anas_metrics_init(&want);
        anas_space_analytic(space, &shape, &cfg, &anas_mapping_default, &want, NULL);
        rc |= anas_eval_run(&spec, &cfg, &cancel, &got, &err);
        for (int j = 0; j < 4; j++)
            same = same && same_metric(&got, &want, names[j]);
        same = same && got.n == want.n;
    }
    is_int(rc, 0, "analytic runs succeed");
    ok(same, "analytic runs give exactly anas_space_analytic's metrics");
    ok(anas_metrics_get(&got, "acc@1d", &v) == ANAS_ENOTFOUND, "and no accuracy");

    atomic_store(&cancel, 1);
    memset(&err, 0, sizeof(err));
    rc = anas_eval_run(&spec, &cfg, &cancel, &got, &err);
    ok(rc == ANAS_ECANCELED && err.code == ANAS_ECANCELED, "cancel flag: ANAS_ECANCELED");
    is_int(got.n, 0, "a canceled evaluation leaves no metric");

    anas_eval_spec_init(&spec, ANAS_EVAL_SURROGATE, space, &shape);
    memset(&err, 0, sizeof(err));
    rc = anas_eval_spec_check(&spec, &err);
    ok(rc == ANAS_EINVAL, "a surrogate spec without models is refused");
}

/* A 3-feature regressor, trained here and saved under `path`. */
static int save_tiny_model(const char *path)
{
    float x[32 * 3], y[32];
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    int rc = -1;

    for (int i = 0; i < 32; i++) {
        x[i * 3] = (float)(i % 4);
        x[i * 3 + 1] = (float)(i % 5);
        x[i * 3 + 2] = (float)i;
        y[i] = (float)(i % 4) + 0.1f * (float)i;
    }
    if (XGDMatrixCreateFromMat(x, 32, 3, NAN, &d) != 0)
        return -1;
    XGDMatrixSetFloatInfo(d, "label", y, 32);
    if (XGBoosterCreate(&d, 1, &b) == 0) {
        XGBoosterSetParam(b, "nthread", "1");
        for (int it = 0; it < 2; it++)
            XGBoosterUpdateOneIter(b, it, d);
        rc = XGBoosterSaveModel(b, path);
        XGBoosterFree(b);
    }
    XGDMatrixFree(d);
    return rc;
}

static void test_mismatch(void)
{
    char dir[] = "/tmp/anas-eval-XXXXXX", path[64];
    struct anas_surrogate *tiny = NULL;
    struct anas_eval_spec spec;
    struct anas_error err = {0};
    int rc;

    XGBSetGlobalConfig("{\"verbosity\":0}");
    if (mkdtemp(dir)) {
        snprintf(path, sizeof(path), "%s/tiny.json", dir);
        if (save_tiny_model(path) == 0)
            tiny = anas_surrogate_load(path, NULL);
        unlink(path);
        rmdir(dir);
    }
    if (!ok(tiny != NULL, "a 3-feature model to mismatch")) {
        ok(0, "feature mismatch (no model)");
        ok(0, "field (no model)");
        return;
    }
    anas_eval_spec_init(&spec, ANAS_EVAL_SURROGATE, space, &shape);
    is_int(anas_eval_spec_add_model(&spec, "avm", tiny), 0, "add the model as avm");
    rc = anas_eval_spec_check(&spec, &err);
    ok(rc == ANAS_ESHAPE && err.code == ANAS_ESHAPE, "3 features for a 22-feature space: "
                                                     "ANAS_ESHAPE");
    is_str(err.field, "avm", "the field names the metric");
    is_int(anas_eval_spec_add_model(&spec, "avm", tiny), ANAS_EINVAL,
           "a second model for avm: ANAS_EINVAL");
    is_int(anas_eval_spec_add_model(&spec, "no such metric", tiny), ANAS_EINVAL,
           "a bad metric name: ANAS_EINVAL");
    is_int(anas_eval_spec_add_model(&spec, "acc@1d", NULL), ANAS_EINVAL,
           "a NULL model: ANAS_EINVAL");
    anas_surrogate_free(tiny);
}

static struct anas_surrogate *load(const char *shared, const char *file)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference/analognas/weights/%s", shared, file);
    return anas_surrogate_load(path, NULL);
}

#define N_SURROGATE_TESTS 8

static void test_surrogate(const char *shared)
{
    struct anas_surrogate *acc = shared ? load(shared, "xgboost_ranker_acc.bst") : NULL;
    struct anas_surrogate *avm = shared ? load(shared, "xgboost_avm.bst") : NULL;
    struct anas_eval_spec spec;
    struct anas_metrics got, want;
    struct anas_config cfg;
    struct anas_rng rng;
    struct anas_error err = {0};
    atomic_int cancel = 0;
    int same = 1, analytic = 1, rc = 0, full = 0;

    if (!acc || !avm) {
        for (int i = 0; i < N_SURROGATE_TESTS; i++)
            ok(1, "# SKIP AnalogNAS weights are absent");
        anas_surrogate_free(acc);
        anas_surrogate_free(avm);
        return;
    }
    anas_eval_spec_init(&spec, ANAS_EVAL_SURROGATE, space, &shape);
    is_int(anas_eval_spec_add_model(&spec, "acc@1d", acc), 0, "add acc@1d");
    is_int(anas_eval_spec_add_model(&spec, "avm", avm), 0, "add avm");
    is_int(anas_eval_spec_check(&spec, &err), 0,
           "22-feature models fit the resnet space");

    anas_rng_seed(&rng, 5);
    for (int i = 0; i < N_CONFIGS; i++) {
        float x[64], y_acc = 0, y_avm = 0;
        int n;
        double v;

        anas_space_sample(space, &rng, &cfg);
        rc |= anas_eval_run(&spec, &cfg, &cancel, &got, &err);
        anas_metrics_init(&want);
        anas_space_analytic(space, &shape, &cfg, &anas_mapping_default, &want, NULL);
        for (int j = 0; j < want.n; j++)
            analytic = analytic && same_metric(&got, &want, want.m[j].name);
        n = anas_space_features(space, &cfg, x, 64);
        anas_surrogate_predict(acc, x, 1, n, &y_acc, NULL);
        anas_surrogate_predict(avm, x, 1, n, &y_avm, NULL);
        same = same && anas_metrics_get(&got, "acc@1d", &v) == 0 && v == (double)y_acc;
        same = same && anas_metrics_get(&got, "avm", &v) == 0 && v == (double)y_avm;
        full += got.n == want.n + 2;
    }
    is_int(rc, 0, "surrogate runs succeed");
    ok(analytic, "the analytic metrics are all there");
    ok(same, "acc@1d and avm equal the models' own predictions");
    is_int(full, N_CONFIGS, "and nothing else is added");

    atomic_store(&cancel, 1);
    rc = anas_eval_run(&spec, &cfg, &cancel, &got, &err);
    is_int(rc, ANAS_ECANCELED, "cancel flag on a surrogate spec: ANAS_ECANCELED");
    anas_surrogate_free(acc);
    anas_surrogate_free(avm);
}

int main(void)
{
    const char *shared = getenv("ANAS_SHARED");

    space = anas_space_find("resnet");
    if (!space) {
        printf("Bail out! no resnet space\n");
        return 1;
    }
    shape = anas_space_default_shape(space);
    plan(4 + 8 + 7 + N_SURROGATE_TESTS);
    test_kinds();
    test_analytic();
    test_mismatch();
    test_surrogate(shared && *shared ? shared : NULL);
    return done();
}
