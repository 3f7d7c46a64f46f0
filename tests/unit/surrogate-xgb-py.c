/*
 * surrogate-xgb-py.c - anas_surrogate_fit against Python's xgboost on the
 * same data, parameters and seed: tests/golden/xgb_ref.py fits there
 * (XGBRegressor, or xgboost.train with the parameters XGBRegressor
 * passes), and the test checks that
 *
 *   - Python's model predicts as ours on held-out rows (bit-identical is
 *     what we reach; the check allows 1e-6 relative, and says which),
 *   - Python's Booster().load_model() of our saved JSON predicts exactly
 *     as our model,
 *   - our loader reads the JSON Python saved and predicts exactly as
 *     Python,
 *
 * once with XGBoost's deterministic defaults and once with row and column
 * sampling, where the seed must reach the same random stream.
 *
 * Skips (TAP "1..0 # SKIP") when /usr/bin/python3 (or $ANAS_XGB_PYTHON)
 * cannot import xgboost (Debian's python3-xgboost).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "surrogate/surrogate.h"
#include "tap.h"

#define D 8
#define N 500
#define N_TEST 200
#define PATH_MAX_ 1024

static const char *python(void)
{
    const char *p = getenv("ANAS_XGB_PYTHON");

    return p && *p ? p : "/usr/bin/python3";
}

static const char *srcdir(void)
{
    const char *p = getenv("ANAS_SRCDIR");

    return p && *p ? p : ANAS_TOP_SRCDIR;
}

/* Paths go inside single quotes on a shell command line. */
static int shell_safe(const char *s)
{
    return strchr(s, '\'') == NULL;
}

static char dir[PATH_MAX_ / 2]; /* room for a file name after it */

static void path_in(char *buf, const char *name)
{
    snprintf(buf, PATH_MAX_, "%s/%s", dir, name);
}

static int write_bytes(const char *name, const void *p, size_t n)
{
    char path[PATH_MAX_];
    FILE *f;
    int rc;

    path_in(path, name);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    rc = fwrite(p, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

static int read_floats(const char *name, float *p, size_t n)
{
    char path[PATH_MAX_];
    FILE *f;
    int rc;

    path_in(path, name);
    f = fopen(path, "rb");
    if (!f)
        return -1;
    rc = fread(p, sizeof(float), n, f) == n && fgetc(f) == EOF ? 0 : -1;
    fclose(f);
    return rc;
}

static void remove_all(void)
{
    static const char *const names[] = {"spec.json",  "train_x.f32",   "train_y.f32",
                                        "test_x.f32", "ours.json",     "py_pred.f32",
                                        "py_loaded.f32", "py_model.json", "py.log"};
    char path[PATH_MAX_];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        path_in(path, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static float x[N * D], y[N], xt[N_TEST * D];

/* A target with interactions and noise, so that sampling changes trees. */
static void make_data(void)
{
    struct anas_rng rng;

    anas_rng_seed(&rng, 99);
    for (int i = 0; i < N + N_TEST; i++) {
        float *row = i < N ? x + i * D : xt + (i - N) * D;
        for (int j = 0; j < D; j++)
            row[j] = (float)anas_rng_uniform(&rng);
        if (i < N)
            y[i] = (float)(3 * row[0] + sin(4 * row[1]) + row[2] * row[3] - row[4] * row[5] +
                           0.1 * anas_rng_normal(&rng));
    }
}

static int write_spec(const struct anas_surrogate_fit_params *p)
{
    char text[1024];
    int len = snprintf(text, sizeof text,
                       "{\"n\": %d, \"d\": %d, \"n_test\": %d, \"params\": {"
                       "\"n_estimators\": %d, \"max_depth\": %d, \"eta\": %.17g, "
                       "\"subsample\": %.17g, \"colsample_bytree\": %.17g, "
                       "\"min_child_weight\": %.17g, \"lambda\": %.17g, \"seed\": %llu, "
                       "\"n_threads\": %d}}\n",
                       N, D, N_TEST, p->n_estimators, p->max_depth, p->eta, p->subsample,
                       p->colsample_bytree, p->min_child_weight, p->lambda, p->seed,
                       p->n_threads);
    return write_bytes("spec.json", text, (size_t)len);
}

static void show_log(void)
{
    char path[PATH_MAX_], line[512];
    FILE *f;

    path_in(path, "py.log");
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        printf("# %s", line);
    if (f)
        fclose(f);
}

/* Largest |a - b| / max(|b|, 1e-3) and whether all are bit-identical. */
static double rel_diff(const float *a, const float *b, int n, int *same)
{
    double worst = 0;

    *same = memcmp(a, b, (size_t)n * sizeof(float)) == 0;
    for (int i = 0; i < n; i++) {
        double r = fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), 1e-3);
        worst = r > worst ? r : worst;
    }
    return worst;
}

static void run_case(const char *label, const struct anas_surrogate_fit_params *p)
{
    static float ours[N_TEST], theirs[N_TEST], loaded[N_TEST], back[N_TEST];
    struct anas_error err = {0};
    struct anas_surrogate *m, *pm;
    char cmd[3 * PATH_MAX_], path[PATH_MAX_];
    char *json = NULL;
    size_t len = 0;
    int same;
    double r;

    m = anas_surrogate_fit(x, y, N, D, p, &err);
    if (!ok(m && anas_surrogate_predict(m, xt, N_TEST, D, ours, &err) == 0 &&
                anas_surrogate_save_json(m, &json, &len, &err) == 0,
            "%s: fit, predict and save", label)) {
        printf("# %s\n", err.msg);
        anas_surrogate_free(m);
        return;
    }
    ok(write_spec(p) == 0 && write_bytes("train_x.f32", x, sizeof x) == 0 &&
           write_bytes("train_y.f32", y, sizeof y) == 0 &&
           write_bytes("test_x.f32", xt, sizeof xt) == 0 &&
           write_bytes("ours.json", json, len) == 0,
       "%s: data and model written", label);
    anas_free(json);
    anas_surrogate_free(m);

    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/golden/xgb_ref.py' '%s' >'%s/py.log' 2>&1",
             python(), srcdir(), dir, dir);
    if (!ok(system(cmd) == 0, "%s: xgb_ref.py runs", label)) {
        show_log();
        return;
    }
    show_log();
    ok(read_floats("py_pred.f32", theirs, N_TEST) == 0 &&
           read_floats("py_loaded.f32", loaded, N_TEST) == 0,
       "%s: Python's predictions read", label);
    r = rel_diff(ours, theirs, N_TEST, &same);
    ok(r <= 1e-6, "%s: Python's fit predicts as ours: %s (max relative difference %.3g)",
       label, same ? "bit-identical" : "within 1e-6", r);
    ok(memcmp(ours, loaded, sizeof ours) == 0,
       "%s: Python's load_model of our JSON predicts bit-identically", label);

    path_in(path, "py_model.json");
    pm = anas_surrogate_load(path, &err);
    ok(pm && anas_surrogate_predict(pm, xt, N_TEST, D, back, &err) == 0 &&
           memcmp(back, theirs, sizeof back) == 0,
       "%s: our loader reads Python's JSON and predicts bit-identically", label);
    anas_surrogate_free(pm);
}

int main(void)
{
    struct anas_surrogate_fit_params p;
    char cmd[2 * PATH_MAX_];
    const char *tmp = getenv("TMPDIR");

    if (!shell_safe(python()) || !shell_safe(srcdir()))
        skip_all("a quote in the python or source path");
    snprintf(cmd, sizeof cmd, "'%s' -c 'import xgboost, numpy' >/dev/null 2>&1", python());
    if (system(cmd) != 0)
        skip_all("Python's xgboost is not installed (python3-xgboost)");
    snprintf(dir, sizeof dir, "%s/anas-xgb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!shell_safe(dir) || !mkdtemp(dir))
        skip_all("no temporary directory");
    make_data();
    plan(2 * 7);

    anas_surrogate_fit_params_init(&p);
    run_case("defaults", &p);

    p.max_depth = 4;
    p.eta = 0.3;
    p.n_estimators = 100;
    p.subsample = 0.8;
    p.colsample_bytree = 0.7;
    p.min_child_weight = 2;
    p.lambda = 0.5;
    p.seed = 42;
    run_case("sampled, seed 42", &p);

    if (!getenv("ANAS_KEEP_TMP"))
        remove_all();
    else
        printf("# kept %s\n", dir);
    return done();
}
