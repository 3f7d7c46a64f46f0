/*
 * surrogate-errors.c - loading failures map to the right codes, a model of
 * another width is refused, and models saved as JSON or UBJSON load and
 * predict exactly as the booster that wrote them.
 *
 * The tiny models are trained here with libxgboost's C API so that the test
 * needs no data files.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xgboost/c_api.h>

#include "core/alloc.h"
#include "surrogate/surrogate.h"
#include "tap.h"

#define N_ROWS 64
#define N_COLS 3

static char dir[] = "/tmp/anas-surrogate-XXXXXX";

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    path_in(path, sizeof(path), name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void remove_file(const char *name)
{
    char path[256];
    path_in(path, sizeof(path), name);
    unlink(path);
}

/* A smooth target with a little structure, so the trees really split. */
static void make_data(float *x, float *y)
{
    for (int i = 0; i < N_ROWS; i++) {
        float a = (float)(i % 8), b = (float)((i * 7) % 13), c = (float)i / N_ROWS;
        x[i * N_COLS + 0] = a;
        x[i * N_COLS + 1] = b;
        x[i * N_COLS + 2] = c;
        y[i] = 0.5f * a - 0.25f * b + 3.0f * c * c;
    }
}

static BoosterHandle train_tiny(const float *x, const float *y)
{
    DMatrixHandle dtrain = NULL;
    BoosterHandle b = NULL;

    if (XGDMatrixCreateFromMat(x, N_ROWS, N_COLS, NAN, &dtrain) != 0)
        return NULL;
    XGDMatrixSetFloatInfo(dtrain, "label", y, N_ROWS);
    if (XGBoosterCreate(&dtrain, 1, &b) == 0) {
        XGBoosterSetParam(b, "nthread", "1");
        XGBoosterSetParam(b, "max_depth", "3");
        XGBoosterSetParam(b, "objective", "reg:squarederror");
        for (int it = 0; it < 6; it++)
            XGBoosterUpdateOneIter(b, it, dtrain);
    }
    XGDMatrixFree(dtrain);
    return b;
}

static int booster_predict(BoosterHandle b, const float *x, int n, float *out)
{
    DMatrixHandle dm = NULL;
    bst_ulong len = 0;
    const float *res = NULL;
    int rc = -1;

    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, N_COLS, NAN, &dm) != 0)
        return -1;
    if (XGBoosterPredict(b, dm, 0, 0, 0, &len, &res) == 0 && len == (bst_ulong)n) {
        memcpy(out, res, (size_t)n * sizeof(*out));
        rc = 0;
    }
    XGDMatrixFree(dm);
    return rc;
}

static void test_missing_and_garbage(void)
{
    struct anas_error err = {0};
    char path[256];
    struct anas_surrogate *m;

    path_in(path, sizeof(path), "no-such-model.bst");
    m = anas_surrogate_load(path, &err);
    ok(m == NULL && err.code == ANAS_ENOTFOUND, "missing file: ANAS_ENOTFOUND");
    anas_surrogate_free(m);

    m = anas_surrogate_load(dir, &err);
    ok(m == NULL && err.code == ANAS_ENOTFOUND, "a directory: ANAS_ENOTFOUND");
    anas_surrogate_free(m);

    write_file("garbage.bst", "this is not an XGBoost model, just some words\n");
    path_in(path, sizeof(path), "garbage.bst");
    memset(&err, 0, sizeof(err));
    m = anas_surrogate_load(path, &err);
    ok(m == NULL && err.code == ANAS_EFORMAT, "garbage file: ANAS_EFORMAT");
    ok(strlen(err.msg) > strlen("cannot load model: "),
       "the message carries XGBoost's text");
    printf("# %s\n", err.msg);
    anas_surrogate_free(m);
    remove_file("garbage.bst");

    write_file("broken.json", "{\"learner\": [1, 2");
    path_in(path, sizeof(path), "broken.json");
    memset(&err, 0, sizeof(err));
    m = anas_surrogate_load(path, &err);
    ok(m == NULL && err.code == ANAS_EFORMAT, "truncated JSON: ANAS_EFORMAT");
    anas_surrogate_free(m);
    remove_file("broken.json");

    write_file("empty.bst", "");
    path_in(path, sizeof(path), "empty.bst");
    memset(&err, 0, sizeof(err));
    m = anas_surrogate_load(path, &err);
    ok(m == NULL && err.code == ANAS_EFORMAT, "empty file: ANAS_EFORMAT");
    anas_surrogate_free(m);
    remove_file("empty.bst");

    m = anas_surrogate_load(NULL, &err);
    ok(m == NULL && err.code == ANAS_EINVAL, "NULL path: ANAS_EINVAL");
}

/* Save `b` as `name`, load it back and compare every row. */
static void test_round_trip(BoosterHandle b, const char *name, const float *x)
{
    struct anas_error err = {0};
    float want[N_ROWS], got[N_ROWS], wide[22] = {0}, y1;
    char path[256];
    struct anas_surrogate *m;
    int same = 1;

    path_in(path, sizeof(path), name);
    ok(XGBoosterSaveModel(b, path) == 0, "save %s", name);
    anas_alloc_fail_after(0);
    m = anas_surrogate_load(path, &err);
    anas_alloc_fail_after(-1);
    ok(m == NULL && err.code == ANAS_ENOMEM, "out of memory: NULL and ANAS_ENOMEM");
    m = anas_surrogate_load(path, &err);
    if (!ok(m != NULL, "load %s", name))
        printf("#   %s: %s\n", anas_err_name(err.code), err.msg);
    is_int(m ? anas_surrogate_n_features(m) : -1, N_COLS, "%s has 3 features", name);
    if (booster_predict(b, x, N_ROWS, want) != 0 || !m ||
        anas_surrogate_predict(m, x, N_ROWS, N_COLS, got, &err) != 0)
        same = 0;
    for (int i = 0; same && i < N_ROWS; i++)
        same = want[i] == got[i];
    ok(same, "%s predicts exactly as the booster that saved it", name);
    ok(!m || want[0] != want[N_ROWS - 1], "the model is not constant");

    memset(&err, 0, sizeof(err));
    int rc = m ? anas_surrogate_predict(m, wide, 1, 22, &y1, &err) : 0;
    ok(rc == ANAS_ESHAPE && err.code == ANAS_ESHAPE,
       "22 features into a 3-feature model: "
       "ANAS_ESHAPE");
    anas_surrogate_free(m);
    remove_file(name);
}

int main(void)
{
    float x[N_ROWS * N_COLS], y[N_ROWS];
    BoosterHandle b;

    if (!mkdtemp(dir)) {
        printf("Bail out! cannot create a temporary folder\n");
        return 1;
    }
    XGBSetGlobalConfig("{\"verbosity\":0}");
    plan(7 + 2 * 7);
    test_missing_and_garbage();
    make_data(x, y);
    b = train_tiny(x, y);
    if (!b) {
        printf("Bail out! cannot train a model\n");
        rmdir(dir);
        return 1;
    }
    test_round_trip(b, "tiny.json", x);
    test_round_trip(b, "tiny.ubj", x);
    XGBoosterFree(b);
    rmdir(dir);
    return done();
}
