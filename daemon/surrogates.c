/*
 * surrogates.c - the fitting job (see surrogates.h): cross-validation and
 * the final fit of one surrogate on a pool thread, its result stored on
 * the loop thread.
 */
#include "config.h"

#include "surrogates.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "metrics.h"
#include "store.h"

struct surrogates {
    struct anasd *d;
    int inflight;
    int stopping;
    atomic_int cancel; /* the stop: fits skip what is left of their work */
};

struct fit_job {
    uv_work_t req;
    struct surrogates *s;
    long long id;
    float *x, *y;
    int n, dim, folds;
    struct anas_surrogate_fit_params params;
    /* results, written by the pool thread */
    int rc;
    struct anas_error err;
    struct anas_surrogate_quality q;
    char *model;
    size_t model_len;
};

static const char interrupted_json[] =
    "{\"code\":\"interrupted\",\"detail\":\"anasd stopped while the surrogate was being "
    "fitted; submit it again\"}";

int surrogates_new(struct anasd *d, struct surrogates **out)
{
    struct surrogates *s = calloc(1, sizeof *s);
    if (!s)
        return ANAS_ENOMEM;
    s->d = d;
    *out = s;
    return 0;
}

void surrogates_free(struct surrogates *s)
{
    free(s);
}

int surrogates_start(struct surrogates *s)
{
    int n = 0, rc = store_surrogate_fail_fitting(s->d->store, interrupted_json, anasd_now(), &n);
    if (rc == 0 && n > 0)
        anas_log(ANAS_LOG_INFO, "%d surrogate fit%s cut off by the last stop: failed as "
                                "interrupted",
                 n, n > 1 ? "s" : "");
    return rc;
}

static void job_free(struct fit_job *j)
{
    free(j->x);
    free(j->y);
    free(j->model);
    free(j);
}

/* Pool thread: quality first (it fits `folds` models on parts of the rows),
 * then the model on every row. */
static void fit_run(struct fit_job *j)
{
    struct anas_surrogate *m;
    anas_error_clear(&j->err);
    j->params.stop = &j->s->cancel;
    j->rc = anas_surrogate_cv(j->x, j->y, j->n, j->dim, j->folds, &j->params, &j->q, &j->err);
    if (j->rc < 0)
        return;
    if (atomic_load(&j->s->cancel)) {
        j->rc = ANAS_ECANCELED;
        return;
    }
    m = anas_surrogate_fit(j->x, j->y, j->n, j->dim, &j->params, &j->err);
    if (!m) {
        j->rc = j->err.code ? j->err.code : ANAS_EINTERNAL;
        return;
    }
    j->rc = anas_surrogate_save_json(m, &j->model, &j->model_len, &j->err);
    anas_surrogate_free(m);
}

static void fit_work_cb(uv_work_t *req)
{
    struct fit_job *j = req->data;
    metrics_work_begin(j->s->d->metrics);
    fit_run(j);
    metrics_work_end(j->s->d->metrics);
}

static void store_result(struct fit_job *j)
{
    struct store *st = j->s->d->store;
    char *text = NULL;
    json_t *o;
    int rc;
    if (j->rc == 0) {
        o = codec_surrogate_quality_to_json(&j->q);
        text = codec_dump(o);
        rc = store_surrogate_finish(st, j->id, "ready", text, NULL, j->model, j->model_len,
                                    anasd_now());
    } else {
        o = json_pack("{s:s, s:s}", "code", anas_err_name(j->rc), "detail",
                      j->err.msg[0] ? j->err.msg : anas_strerror(j->rc));
        text = codec_dump(o);
        rc = store_surrogate_finish(st, j->id, "failed", NULL, text, NULL, 0, anasd_now());
    }
    json_decref(o);
    free(text);
    if (rc < 0)
        anas_log(ANAS_LOG_WARN, "surrogate %lld: cannot store the fit's result (%s)", j->id,
                 anas_strerror(rc));
    else
        anas_log(ANAS_LOG_INFO, "surrogate %lld: %s", j->id, j->rc == 0 ? "ready" : "failed");
}

static void fit_after_cb(uv_work_t *req, int status)
{
    struct fit_job *j = req->data;
    j->s->inflight--;
    /* after a stop the row already says interrupted */
    if (!j->s->stopping) {
        if (status == UV_ECANCELED)
            j->rc = ANAS_ECANCELED;
        store_result(j);
    }
    job_free(j);
}

int surrogates_fit(struct surrogates *s, long long id, float *x, float *y, int n, int dim,
                   const struct surrogate_request *req)
{
    struct fit_job *j = calloc(1, sizeof *j);
    int rc;
    if (!j || s->stopping) {
        free(x);
        free(y);
        free(j);
        return j ? ANAS_ESTATE : ANAS_ENOMEM;
    }
    j->req.data = j;
    j->s = s;
    j->id = id;
    j->x = x;
    j->y = y;
    j->n = n;
    j->dim = dim;
    j->folds = req->folds;
    j->params = req->params;
    j->params.n_threads = 1; /* one pool thread per fit, like every other job */
    rc = uv_queue_work(s->d->loop, &j->req, fit_work_cb, fit_after_cb);
    if (rc < 0) {
        job_free(j);
        return ANAS_EINTERNAL;
    }
    s->inflight++;
    return 0;
}

void surrogates_shutdown(struct surrogates *s)
{
    s->stopping = 1;
    atomic_store(&s->cancel, 1);
    if (s->inflight > 0)
        store_surrogate_fail_fitting(s->d->store, interrupted_json, anasd_now(), NULL);
}

int surrogates_idle(const struct surrogates *s)
{
    return s->inflight == 0;
}

int surrogates_for_run(struct store *st, const struct run_spec *spec, int i, void **blob,
                       size_t *len, struct anas_error *err)
{
    struct store_surrogate sg;
    long long id = spec->models[i].surrogate;
    char base[160], ptr[sizeof base + 16];
    int rc;
    if (id <= 0)
        return 0;
    codec_ptr(base, sizeof base, "/evaluator/models", spec->models[i].metric);
    snprintf(ptr, sizeof ptr, "%s/surrogate", base);
    rc = store_surrogate_get(st, id, &sg);
    if (rc == ANAS_ENOTFOUND)
        return anas_error_field(err, ANAS_EINVAL, ptr, "no surrogate %lld", id);
    if (rc < 0)
        return anas_error_field(err, rc, ptr, "cannot read surrogate %lld", id);
    if (strcmp(sg.state, "ready") != 0)
        rc = anas_error_field(err, ANAS_ESTATE, ptr,
                              "surrogate %lld is %s: a run can use it once it is ready", id,
                              sg.state);
    else if (strcmp(sg.space, anas_space_name(spec->space)) != 0)
        rc = anas_error_field(err, ANAS_EINVAL, ptr,
                              "surrogate %lld reads space %s's encoding, not %s's", id,
                              sg.space, anas_space_name(spec->space));
    store_surrogate_fini(&sg);
    if (rc == 0 && blob && (rc = store_surrogate_model(st, id, blob, len)) < 0)
        rc = anas_error_field(err, rc, ptr, "cannot read the model of surrogate %lld", id);
    return rc;
}
