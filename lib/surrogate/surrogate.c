/*
 * surrogate.c - XGBoost regressors through libxgboost's C API.
 *
 * The only file of the project that includes <xgboost/c_api.h>. A model is
 * one booster plus a mutex: XGBoosterPredict hands back a buffer owned by the
 * booster that the next prediction overwrites, so predictions on one model
 * are serialised, and each caller copies its rows out before unlocking.
 * Different models predict in parallel.
 *
 * The booster runs single-threaded (nthread=1): the daemon already runs one
 * evaluation per pool thread, and OpenMP teams inside them only contend.
 */
#include "config.h"

#include "surrogate/surrogate.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <xgboost/c_api.h>

#include "core/alloc.h"

struct anas_surrogate {
    BoosterHandle booster;
    int n_features;
    pthread_mutex_t lock;
};

/* XGBoost's global configuration is per thread: set it on every thread
 * that talks to the library, or its warnings reach the daemon's stderr. */
static void quiet(void)
{
    XGBSetGlobalConfig("{\"verbosity\":0}");
}

/* XGBoost's messages read "[12:00:00] src/learner.cc:1017: Check failed: ...",
 * then a stack trace: keep the reason only, on one line. */
static int xgb_error(struct anas_error *err, int code, const char *what)
{
    const char *why = XGBGetLastError();
    const char *p;
    int len;

    if (!why || !*why)
        why = "unknown error";
    if (why[0] == '[' && (p = strstr(why, "] ")) != NULL)
        why = p + 2;
    p = strstr(why, ": ");
    if (p && memchr(why, ' ', (size_t)(p - why)) == NULL &&
        memchr(why, ':', (size_t)(p - why)))
        why = p + 2;
    len = (int)strcspn(why, "\n");
    if (len > 180)
        len = 180;
    return anas_error_set(err, code, "%s: %.*s", what, len, why);
}

/* XGBoost reports a missing file as a parse error; tell them apart first. */
static int check_readable(const char *path, struct anas_error *err)
{
    struct stat st;
    FILE *f;

    if (stat(path, &st) != 0)
        return anas_error_set(err, ANAS_ENOTFOUND, "cannot open model %.160s: %s", path,
                              strerror(errno));
    if (!S_ISREG(st.st_mode))
        return anas_error_set(err, ANAS_ENOTFOUND, "model %.160s is not a regular file",
                              path);
    f = fopen(path, "rb");
    if (!f)
        return anas_error_set(err, ANAS_ENOTFOUND, "cannot open model %.160s: %s", path,
                              strerror(errno));
    fclose(f);
    return 0;
}

static int open_booster(struct anas_surrogate *m, const char *path,
                        struct anas_error *err)
{
    bst_ulong n_features = 0;

    if (XGBoosterCreate(NULL, 0, &m->booster) != 0) {
        m->booster = NULL;
        return xgb_error(err, ANAS_ENOMEM, "cannot create booster");
    }
    if (XGBoosterLoadModel(m->booster, path) != 0)
        return xgb_error(err, ANAS_EFORMAT, "cannot load model");
    if (XGBoosterSetParam(m->booster, "nthread", "1") != 0)
        return xgb_error(err, ANAS_EFORMAT, "cannot configure model");
    if (XGBoosterGetNumFeature(m->booster, &n_features) != 0)
        return xgb_error(err, ANAS_EFORMAT, "cannot read feature count");
    if (n_features < 1 || n_features > 1000000)
        return anas_error_set(err, ANAS_EFORMAT, "model declares %llu features",
                              (unsigned long long)n_features);
    m->n_features = (int)n_features;
    return 0;
}

struct anas_surrogate *anas_surrogate_load(const char *path, struct anas_error *err)
{
    struct anas_surrogate *m;

    if (!path || !*path) {
        anas_error_set(err, ANAS_EINVAL, "no model path");
        return NULL;
    }
    if (check_readable(path, err) < 0)
        return NULL;
    m = anas_calloc(1, sizeof(*m));
    if (!m) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory loading %.160s", path);
        return NULL;
    }
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        anas_free(m);
        anas_error_set(err, ANAS_ENOMEM, "cannot create model lock");
        return NULL;
    }
    quiet();
    if (open_booster(m, path, err) < 0) {
        anas_surrogate_free(m);
        return NULL;
    }
    return m;
}

void anas_surrogate_free(struct anas_surrogate *m)
{
    if (!m)
        return;
    if (m->booster)
        XGBoosterFree(m->booster);
    pthread_mutex_destroy(&m->lock);
    anas_free(m);
}

int anas_surrogate_n_features(const struct anas_surrogate *m)
{
    return m ? m->n_features : ANAS_EINVAL;
}

/* Under the model's lock: the booster's result buffer is shared. */
static int predict_locked(struct anas_surrogate *m, DMatrixHandle dm, int n_rows,
                          float *out, struct anas_error *err)
{
    bst_ulong len = 0;
    const float *res = NULL;

    quiet();
    if (XGBoosterPredict(m->booster, dm, 0, 0, 0, &len, &res) != 0)
        return xgb_error(err, ANAS_EINTERNAL, "prediction failed");
    if (len != (bst_ulong)n_rows)
        return anas_error_set(err, ANAS_EUNSUPPORTED,
                              "model gives %llu outputs for %d rows (not a regressor)",
                              (unsigned long long)len, n_rows);
    memcpy(out, res, (size_t)n_rows * sizeof(*out));
    return 0;
}

int anas_surrogate_predict(struct anas_surrogate *m, const float *x, int n_rows,
                           int n_features, float *out, struct anas_error *err)
{
    DMatrixHandle dm = NULL;
    int rc;

    if (!m || !x || !out || n_rows < 0)
        return anas_error_set(err, ANAS_EINVAL, "invalid prediction arguments");
    if (n_features != m->n_features)
        return anas_error_set(err, ANAS_ESHAPE, "model expects %d features, got %d",
                              m->n_features, n_features);
    if (n_rows == 0)
        return 0;
    quiet();
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n_rows, (bst_ulong)n_features, NAN, &dm) !=
        0)
        return xgb_error(err, ANAS_ENOMEM, "cannot build input matrix");
    pthread_mutex_lock(&m->lock);
    rc = predict_locked(m, dm, n_rows, out, err);
    pthread_mutex_unlock(&m->lock);
    XGDMatrixFree(dm);
    return rc;
}
