/*
 * surrogate.c - XGBoost regressors through libxgboost's C API.
 *
 * The only file of the project that includes <xgboost/c_api.h>. A model is
 * one booster plus a mutex: a prediction hands back a buffer owned by the
 * booster that the next prediction overwrites, so predictions on one model
 * are serialised, and each caller copies its rows out before unlocking.
 * Different models predict in parallel.
 *
 * The booster predicts single-threaded (nthread=1): the daemon already runs
 * one evaluation per pool thread, and OpenMP teams inside them only
 * contend. Fitting (anas_surrogate_fit) boosts here too, with the checks
 * and cross-validation in fit.c and the statistics in score.c.
 */
#include "config.h"

#include "surrogate/surrogate.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <xgboost/c_api.h>

#include "core/alloc.h"
#include "surrogate/surrogate_int.h"

struct anas_surrogate {
    BoosterHandle booster;
    /* The proxy matrix predictions pass their rows through, made on first
     * use and kept: a matrix made per prediction constructs an XGBoost
     * Context, which reads the cgroup CPU quota files each time
     * (common::GetCfsCPUCount() in xgboost's src/context.cc). Under lock. */
    DMatrixHandle proxy;
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

/* XGBoost reports a missing file as a parse error; tell them apart first.
 * Then the bytes are checked (check.c): XGBoost believes the sizes a file
 * declares. */
static int check_readable(const char *path, struct anas_error *err)
{
    struct stat st;
    FILE *f;
    char *buf;
    int rc;

    if (stat(path, &st) != 0)
        return anas_error_set(err, ANAS_ENOTFOUND, "cannot open model %.160s: %s", path,
                              strerror(errno));
    if (!S_ISREG(st.st_mode))
        return anas_error_set(err, ANAS_ENOTFOUND, "model %.160s is not a regular file",
                              path);
    if (st.st_size > ANAS_SURROGATE_MAX_BYTES)
        return anas_surrogate_check(NULL, (size_t)st.st_size, path, err);
    f = fopen(path, "rb");
    if (!f)
        return anas_error_set(err, ANAS_ENOTFOUND, "cannot open model %.160s: %s", path,
                              strerror(errno));
    buf = anas_malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        return anas_error_set(err, ANAS_ENOMEM, "out of memory reading model %.160s", path);
    }
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        rc = anas_error_set(err, ANAS_EFORMAT, "cannot read model %.160s", path);
    else
        rc = anas_surrogate_check(buf, (size_t)st.st_size, path, err);
    anas_free(buf);
    fclose(f);
    return rc;
}

/* A booster holding a model: predict on one thread, learn its width. */
static int configure_booster(struct anas_surrogate *m, struct anas_error *err)
{
    bst_ulong n_features = 0;

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

static int create_booster(struct anas_surrogate *m, DMatrixHandle *train, int n_train,
                          struct anas_error *err)
{
    if (XGBoosterCreate(train, (bst_ulong)n_train, &m->booster) != 0) {
        m->booster = NULL;
        return xgb_error(err, ANAS_ENOMEM, "cannot create booster");
    }
    return 0;
}

static int open_booster(struct anas_surrogate *m, const char *path,
                        struct anas_error *err)
{
    if (create_booster(m, NULL, 0, err) < 0)
        return ANAS_ENOMEM;
    if (XGBoosterLoadModel(m->booster, path) != 0)
        return xgb_error(err, ANAS_EFORMAT, "cannot load model");
    return configure_booster(m, err);
}

/* A model without a booster yet; NULL with err filled. */
static struct anas_surrogate *new_model(struct anas_error *err)
{
    struct anas_surrogate *m = anas_calloc(1, sizeof(*m));

    if (!m) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory for a model");
        return NULL;
    }
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        anas_free(m);
        anas_error_set(err, ANAS_ENOMEM, "cannot create model lock");
        return NULL;
    }
    return m;
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
    m = new_model(err);
    if (!m)
        return NULL;
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
    if (m->proxy)
        XGDMatrixFree(m->proxy);
    pthread_mutex_destroy(&m->lock);
    anas_free(m);
}

int anas_surrogate_n_features(const struct anas_surrogate *m)
{
    return m ? m->n_features : ANAS_EINVAL;
}

/* The rows as a numpy __array_interface__ (C order, little-endian float32),
 * the form XGBoost's in-place prediction reads. */
static void array_interface(char *buf, size_t len, const float *x, int n_rows,
                            int n_features)
{
    snprintf(buf, len,
             "{\"data\": [%llu, true], \"shape\": [%d, %d], \"typestr\": \"<f4\", "
             "\"version\": 3}",
             (unsigned long long)(uintptr_t)x, n_rows, n_features);
}

/* Value predictions of every tree; NaN marks a missing feature, as in the
 * matrices the model was fitted on. */
static const char PREDICT_CONFIG[] = "{\"type\": 0, \"training\": false, "
                                     "\"iteration_begin\": 0, \"iteration_end\": 0, "
                                     "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}";

/* Under the model's lock: the proxy and the booster's result buffer are
 * shared. */
static int predict_locked(struct anas_surrogate *m, const float *x, int n_rows,
                          float *out, struct anas_error *err)
{
    char values[160];
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0, len = 1;
    const float *res = NULL;

    quiet();
    if (!m->proxy && XGProxyDMatrixCreate(&m->proxy) != 0) {
        m->proxy = NULL;
        return xgb_error(err, ANAS_ENOMEM, "cannot build input matrix");
    }
    array_interface(values, sizeof values, x, n_rows, m->n_features);
    if (XGBoosterPredictFromDense(m->booster, values, PREDICT_CONFIG, m->proxy, &shape,
                                  &dim, &res) != 0)
        return xgb_error(err, ANAS_EINTERNAL, "prediction failed");
    for (bst_ulong i = 0; i < dim; i++)
        len *= shape[i];
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
    int rc;

    if (!m || !x || !out || n_rows < 0)
        return anas_error_set(err, ANAS_EINVAL, "invalid prediction arguments");
    if (n_features != m->n_features)
        return anas_error_set(err, ANAS_ESHAPE, "model expects %d features, got %d",
                              m->n_features, n_features);
    if (n_rows == 0)
        return 0;
    pthread_mutex_lock(&m->lock);
    rc = predict_locked(m, x, n_rows, out, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* --- Fitting, saving and loading from memory ---
 *
 * The parameters are set as Python's xgboost.XGBRegressor (1.7) passes
 * them, so that the same data and seed give the same trees there. Its
 * tree_method "auto" picks the exact greedy algorithm for data on one
 * machine under 4M rows (xgboost's src/gbm/gbtree.cc,
 * PerformTreeMethodHeuristic): "exact" is named here so that it stays so
 * for larger pools too. */

static int set_param(BoosterHandle b, const char *name, const char *value,
                     struct anas_error *err)
{
    if (XGBoosterSetParam(b, name, value) != 0)
        return xgb_error(err, ANAS_EINVAL, name);
    return 0;
}

/* "%.17g": the double itself, as Python's str() would give it back. */
static int set_number(BoosterHandle b, const char *name, double v, struct anas_error *err)
{
    char text[32];

    snprintf(text, sizeof(text), "%.17g", v);
    return set_param(b, name, text, err);
}

static int set_params(BoosterHandle b, const struct anas_surrogate_fit_params *p,
                      struct anas_error *err)
{
    char seed[24];

    /* XGBoost's seed is a signed 64-bit integer: wrap, don't refuse */
    snprintf(seed, sizeof(seed), "%lld", (long long)p->seed);
    if (set_param(b, "objective", "reg:squarederror", err) < 0 ||
        set_param(b, "tree_method", "exact", err) < 0 ||
        set_number(b, "max_depth", p->max_depth, err) < 0 ||
        set_number(b, "eta", p->eta, err) < 0 ||
        set_number(b, "subsample", p->subsample, err) < 0 ||
        set_number(b, "colsample_bytree", p->colsample_bytree, err) < 0 ||
        set_number(b, "min_child_weight", p->min_child_weight, err) < 0 ||
        set_number(b, "lambda", p->lambda, err) < 0 || set_param(b, "seed", seed, err) < 0 ||
        set_number(b, "nthread", p->n_threads, err) < 0)
        return ANAS_EINVAL;
    return 0;
}

static int boost(struct anas_surrogate *m, DMatrixHandle dm,
                 const struct anas_surrogate_fit_params *p, struct anas_error *err)
{
    int rc = create_booster(m, &dm, 1, err);

    if (rc < 0)
        return rc;
    rc = set_params(m->booster, p, err);
    if (rc < 0)
        return rc;
    for (int it = 0; it < p->n_estimators; it++) {
        if (p->stop && atomic_load(p->stop))
            return anas_error_set(err, ANAS_ECANCELED, "the fit was stopped");
        if (XGBoosterUpdateOneIter(m->booster, it, dm) != 0)
            return xgb_error(err, ANAS_EINTERNAL, "boosting failed");
    }
    return configure_booster(m, err);
}

struct anas_surrogate *anas_surrogate_fit(const float *x, const float *y, int n, int d,
                                          const struct anas_surrogate_fit_params *p,
                                          struct anas_error *err)
{
    struct anas_surrogate_fit_params defaults;
    struct anas_surrogate *m;
    DMatrixHandle dm = NULL;
    int rc;

    if (!p) {
        anas_surrogate_fit_params_init(&defaults);
        p = &defaults;
    }
    if (anas__surrogate_fit_check(x, y, n, d, p, err) < 0)
        return NULL;
    m = new_model(err);
    if (!m)
        return NULL;
    quiet();
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)d, NAN, &dm) != 0) {
        xgb_error(err, ANAS_ENOMEM, "cannot build training matrix");
        anas_surrogate_free(m);
        return NULL;
    }
    rc = XGDMatrixSetFloatInfo(dm, "label", y, (bst_ulong)n) != 0
             ? xgb_error(err, ANAS_ENOMEM, "cannot set training targets")
             : boost(m, dm, p, err);
    XGDMatrixFree(dm);
    if (rc < 0) {
        anas_surrogate_free(m);
        return NULL;
    }
    return m;
}

/* The text lives in the booster until its next call: copied under the lock
 * (a const model's lock is still taken: the model itself is not const). */
int anas_surrogate_save_json(const struct anas_surrogate *m, char **out, size_t *len,
                             struct anas_error *err)
{
    struct anas_surrogate *w = (struct anas_surrogate *)m;
    const char *raw = NULL;
    bst_ulong n = 0;
    int rc = 0;

    if (!m || !out || !len)
        return anas_error_set(err, ANAS_EINVAL, "invalid save arguments");
    *out = NULL;
    *len = 0;
    quiet();
    pthread_mutex_lock(&w->lock);
    if (XGBoosterSaveModelToBuffer(w->booster, "{\"format\": \"json\"}", &n, &raw) != 0) {
        rc = xgb_error(err, ANAS_EINTERNAL, "cannot save model");
    } else if ((*out = anas_malloc((size_t)n + 1)) == NULL) {
        rc = anas_error_set(err, ANAS_ENOMEM, "out of memory saving a model");
    } else {
        memcpy(*out, raw, (size_t)n);
        (*out)[n] = '\0';
        *len = (size_t)n;
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

/* XGBoost tells JSON ('{'), UBJSON and its legacy binary apart itself. */
static int open_buffer(struct anas_surrogate *m, const void *buf, size_t len,
                       struct anas_error *err)
{
    if (create_booster(m, NULL, 0, err) < 0)
        return ANAS_ENOMEM;
    if (XGBoosterLoadModelFromBuffer(m->booster, buf, (bst_ulong)len) != 0)
        return xgb_error(err, ANAS_EFORMAT, "cannot load model");
    return configure_booster(m, err);
}

struct anas_surrogate *anas_surrogate_load_buffer(const void *buf, size_t len,
                                                  struct anas_error *err)
{
    struct anas_surrogate *m;

    if (!buf || len == 0) {
        anas_error_set(err, ANAS_EINVAL, "no model to load");
        return NULL;
    }
    if (anas_surrogate_check(buf, len, NULL, err) < 0)
        return NULL;
    m = new_model(err);
    if (!m)
        return NULL;
    quiet();
    if (open_buffer(m, buf, len, err) < 0) {
        anas_surrogate_free(m);
        return NULL;
    }
    return m;
}
