/*
 * api_surrogates.c - surrogates: XGBoost regressors fitted on the stored
 * evaluations of finished or running runs, one metric each; fit (on the
 * pool, see surrogates.c), list, inspect, download XGBoost's JSON model,
 * delete. A run's surrogate evaluator names one with {"surrogate": ID}.
 *
 * The rows are the runs' complete evaluations that measured the metric (a
 * finite value), one per architecture: the mean of its values when it was
 * measured several times (repetitions, several runs). The features are the
 * space's numeric encoding (anas_space_encode), so every space has them,
 * training-recipe dimensions of a composite space included.
 */
#include "config.h"

#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "reply.h"
#include "store.h"
#include "surrogates.h"

/* Fewer rows than this make neither a model nor a quality figure. */
#define MIN_ROWS 10

struct row {
    char hash[ANAS_HASH_LEN + 1];
    long long run, seq;
    double y;
    double x[ANAS_SPACE_MAX_HP];
};

/* A run of the request: its space, and whether it measured the metric. */
static int check_run(struct anasd *d, const struct req *rq, struct resp *rs, int i,
                     long long id, const char *metric, const struct anas_space **space,
                     int *known)
{
    struct run_spec *spec = malloc(sizeof *spec);
    struct store_run r;
    struct anas_error err;
    char ptr[32];
    json_t *j = NULL;
    int rc = spec ? store_run_get(d->store, id, &r) : ANAS_ENOMEM;
    snprintf(ptr, sizeof ptr, "/runs/%d", i);
    if (rc < 0) {
        free(spec);
        if (rc == ANAS_ENOTFOUND)
            return reply_problem(rs, rq, 422, ANAS_EINVAL, ptr, "no run %lld", id), -1;
        return reply_problem(rs, rq, 500, rc, NULL, "cannot read run %lld", id), -1;
    }
    j = json_loads(r.spec_json, 0, NULL);
    store_run_fini(&r);
    rc = j && codec_run_spec(&d->conf, j, spec, &err) == 0 ? 0 : ANAS_EINTERNAL;
    json_decref(j);
    if (rc == 0 && *space && strcmp(anas_space_name(*space), anas_space_name(spec->space)))
        rc = ANAS_EINVAL;
    if (rc == ANAS_EINVAL)
        reply_problem(rs, rq, 422, rc, ptr,
                      "run %lld searched space %s, the runs before it %s: a surrogate reads "
                      "one space's encoding",
                      id, anas_space_name(spec->space), anas_space_name(*space));
    else if (rc < 0)
        reply_problem(rs, rq, 500, rc, NULL, "cannot read the spec of run %lld", id);
    else if ((rc = codec_metric_known(spec, metric)) < 0)
        reply_problem(rs, rq, 503, rc, NULL, "out of memory");
    else {
        *space = spec->space;
        *known |= rc;
        rc = 0;
    }
    free(spec);
    return rc < 0 ? -1 : 0;
}

/* The usable evaluations of one run, appended to *rows. */
static int gather(struct anasd *d, long long run, const struct anas_space *s,
                  const char *metric, struct row **rows, int *n, int *cap)
{
    struct store_eval *e = NULL;
    int ne = 0, rc = store_eval_all(d->store, run, &e, &ne);
    for (int i = 0; rc == 0 && i < ne; i++) {
        struct anas_metrics m;
        struct anas_config cfg;
        double y;
        struct row *r;
        if (strcmp(e[i].state, "complete") != 0 ||
            codec_metrics_from_text(e[i].metrics_json, &m) < 0 ||
            anas_metrics_get(&m, metric, &y) < 0 || !isfinite(y) ||
            codec_config_from_text(s, e[i].config_json, &cfg) < 0)
            continue;
        if (*n == *cap) {
            int ncap = *cap ? 2 * *cap : 256;
            struct row *grown = realloc(*rows, (size_t)ncap * sizeof *grown);
            if (!grown) {
                rc = ANAS_ENOMEM;
                break;
            }
            *rows = grown;
            *cap = ncap;
        }
        r = &(*rows)[*n];
        if (anas_space_encode(s, &cfg, r->x) < 0)
            continue;
        snprintf(r->hash, sizeof r->hash, "%s", e[i].hash);
        r->run = run;
        r->seq = e[i].seq;
        r->y = y;
        (*n)++;
    }
    store_evals_free(e, ne);
    return rc;
}

static int by_hash(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->hash, y->hash);
    if (c)
        return c;
    if (x->run != y->run)
        return x->run < y->run ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One row per architecture, in hash order, its target the mean of its
 * measurements (summed in (run, seq) order: the same rows give the same
 * floats). Returns the number of rows. */
static int merge(struct row *rows, int n)
{
    int m = 0;
    if (n > 1) /* rows is NULL when none were usable */
        qsort(rows, (size_t)n, sizeof *rows, by_hash);
    for (int i = 0; i < n;) {
        int k = i;
        double sum = 0;
        for (; k < n && strcmp(rows[k].hash, rows[i].hash) == 0; k++)
            sum += rows[k].y;
        rows[m] = rows[i];
        rows[m].y = sum / (k - i);
        m++;
        i = k;
    }
    return m;
}

/* The rows as the fit reads them: float features and targets. */
static int to_floats(const struct row *rows, int n, int dim, float **x, float **y)
{
    *x = malloc((size_t)n * (size_t)dim * sizeof **x);
    *y = malloc((size_t)n * sizeof **y);
    if (!*x || !*y) {
        free(*x);
        free(*y);
        *x = *y = NULL;
        return ANAS_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < dim; k++)
            (*x)[(size_t)i * (size_t)dim + (size_t)k] = (float)rows[i].x[k];
        (*y)[i] = (float)rows[i].y;
    }
    return 0;
}

/* The surrogate object of doc/api.md. */
static json_t *surrogate_json(const struct store_surrogate *s)
{
    json_t *spec = api_text_json(s->spec_json);
    json_t *o = json_pack("{s:I, s:s, s:s, s:O, s:s, s:O, s:I, s:O, s:O, s:o, s:o, s:o, s:o}",
                          "id", (json_int_t)s->id, "name", s->name, "state", s->state,
                          "metric", json_object_get(spec, "metric"), "space", s->space,
                          "runs", json_object_get(spec, "runs"), "n", (json_int_t)s->n,
                          "folds", json_object_get(spec, "folds"), "params",
                          json_object_get(spec, "params"), "quality",
                          api_text_json(s->quality_json), "created_at",
                          api_time_json(s->created_at), "finished_at",
                          api_time_json(s->finished_at), "error", api_text_json(s->error_json));
    json_decref(spec);
    return o;
}

static int get_surrogate(struct anasd *d, const struct req *rq, struct resp *rs, long long id,
                         struct store_surrogate *out)
{
    int rc = store_surrogate_get(d->store, id, out);
    if (rc == ANAS_ENOTFOUND)
        reply_problem(rs, rq, 404, rc, NULL, "no surrogate %lld", id);
    else if (rc < 0)
        reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot read surrogate %lld", id);
    return rc;
}

static int reply_surrogate(struct anasd *d, const struct req *rq, struct resp *rs,
                           long long id, int status)
{
    struct store_surrogate s;
    json_t *o;
    if (get_surrogate(d, rq, rs, id, &s) < 0)
        return 0;
    o = surrogate_json(&s);
    store_surrogate_fini(&s);
    return reply_json(rs, status, o);
}

/* Store the request as fitting and hand its rows to the pool. */
static int start_fit(struct anasd *d, const struct surrogate_request *req,
                     const struct anas_space *s, const struct row *rows, int n,
                     long long *id)
{
    json_t *spec = codec_surrogate_request_to_json(req);
    char *text = spec ? codec_dump(spec) : NULL;
    int dim = anas_space_n_hp(s), rc;
    float *x = NULL, *y = NULL;
    json_decref(spec);
    rc = text ? to_floats(rows, n, dim, &x, &y) : ANAS_ENOMEM;
    if (rc == 0)
        rc = store_surrogate_insert(d->store, req->name, text, anas_space_name(s), n,
                                    anasd_now(), id);
    free(text);
    if (rc == 0)
        return surrogates_fit(d->surrogates, *id, x, y, n, dim, req);
    free(x);
    free(y);
    return rc;
}

int api_surrogates_create(struct anasd *d, const struct req *rq, const struct route_args *a,
                          struct resp *rs)
{
    json_t *body = api_body(rq, rs, 0);
    struct surrogate_request *req = malloc(sizeof *req);
    const struct anas_space *space = NULL;
    struct anas_error err;
    struct row *rows = NULL;
    int n = 0, cap = 0, known = 0, rc = 0;
    long long id = 0;
    if (!body || !req) {
        json_decref(body);
        free(req);
        return body ? reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory") : 0;
    }
    anas_error_clear(&err);
    rc = codec_surrogate_request(body, req, &err);
    json_decref(body);
    if (rc < 0) {
        free(req);
        return reply_error(rs, rq, &err);
    }
    for (int i = 0; i < req->n_runs; i++)
        if (check_run(d, rq, rs, i, req->runs[i], req->metric, &space, &known) < 0) {
            free(req);
            return 0;
        }
    if (!known) {
        rc = reply_problem(rs, rq, 422, ANAS_EINVAL, "/metric",
                           "none of the runs' evaluators produces %s", req->metric);
        free(req);
        return rc;
    }
    for (int i = 0; rc == 0 && i < req->n_runs; i++)
        rc = gather(d, req->runs[i], space, req->metric, &rows, &n, &cap);
    if (rc == 0)
        n = merge(rows, n);
    if (rc == 0 && (n < MIN_ROWS || n < req->folds)) {
        free(rows);
        rc = reply_problem(rs, rq, 422, ANAS_EINVAL, "/runs",
                           "the runs have %d architectures with a finite %s: a surrogate "
                           "needs at least %d (and one per fold)",
                           n, req->metric, req->folds > MIN_ROWS ? req->folds : MIN_ROWS);
        free(req);
        return rc;
    }
    if (rc == 0)
        rc = start_fit(d, req, space, rows, n, &id);
    free(rows);
    free(req);
    if (rc < 0 && id <= 0)
        return reply_problem(rs, rq, 500, rc, NULL, "cannot start the fit");
    if (rc < 0) /* stored but never fitted: say so in the row */
        store_surrogate_finish(d->store, id, "failed", NULL,
                               "{\"code\":\"ANAS_EINTERNAL\",\"detail\":\"the fit could not "
                               "be started\"}",
                               NULL, 0, anasd_now());
    snprintf(rs->location, sizeof rs->location, "/api/v1/surrogates/%lld", id);
    return reply_surrogate(d, rq, rs, id, 201);
}

int api_surrogates_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                        struct resp *rs)
{
    struct store_surrogate *list = NULL;
    long long limit, after;
    int n = 0;
    json_t *items, *o;
    if (api_query_int(rq, rs, "limit", 1, 1000, 50, &limit) < 0 ||
        api_query_int(rq, rs, "after", 0, (1LL << 53), 0, &after) < 0)
        return 0;
    if (store_surrogate_list(d->store, after, (int)limit + 1, &list, &n) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot list surrogates");
    items = json_array();
    for (int i = 0; i < n && i < limit; i++)
        json_array_append_new(items, surrogate_json(&list[i]));
    o = json_pack("{s:o}", "items", items);
    json_object_set_new(o, "next_after",
                        n > limit ? json_integer(list[limit - 1].id) : json_null());
    store_surrogates_free(list, n);
    return reply_json(rs, 200, o);
}

int api_surrogates_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                       struct resp *rs)
{
    return reply_surrogate(d, rq, rs, a->id, 200);
}

int api_surrogates_model(struct anasd *d, const struct req *rq, const struct route_args *a,
                         struct resp *rs)
{
    struct store_surrogate s;
    void *blob = NULL;
    size_t len = 0;
    int ready, rc;
    if (get_surrogate(d, rq, rs, a->id, &s) < 0)
        return 0;
    ready = strcmp(s.state, "ready") == 0;
    if (!ready) {
        rc = reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                           "surrogate %lld is %s: it has a model once it is ready", a->id,
                           s.state);
        store_surrogate_fini(&s);
        return rc;
    }
    store_surrogate_fini(&s);
    rc = store_surrogate_model(d->store, a->id, &blob, &len);
    if (rc < 0)
        return reply_problem(rs, rq, 500, rc, NULL, "cannot read the model of surrogate %lld",
                             a->id);
    snprintf(rs->disposition, sizeof rs->disposition,
             "attachment; filename=\"surrogate-%lld.json\"", a->id);
    return reply_text(rs, 200, "application/json", blob, len);
}

/* The runs still to do that read the surrogate: 409 naming them, 1 when
 * answered. */
static int in_use(struct anasd *d, const struct req *rq, struct resp *rs, long long id)
{
    long long *users = NULL;
    char list[160];
    size_t len = 0;
    int n = 0;
    if (store_surrogate_users(d->store, id, &users, &n) < 0) {
        reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot read the runs using surrogate %lld",
                      id);
        return 1;
    }
    list[0] = '\0';
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%lld", i ? ", " : "",
                                users[i]);
    free(users);
    if (n == 0)
        return 0;
    reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                  "surrogate %lld is used by run%s %s (queued, running or interrupted); "
                  "cancel %s first",
                  id, n > 1 ? "s" : "", list, n > 1 ? "them" : "it");
    return 1;
}

int api_surrogates_delete(struct anasd *d, const struct req *rq, const struct route_args *a,
                          struct resp *rs)
{
    struct store_surrogate s;
    int fitting;
    if (get_surrogate(d, rq, rs, a->id, &s) < 0)
        return 0;
    fitting = strcmp(s.state, "fitting") == 0;
    store_surrogate_fini(&s);
    if (fitting)
        return reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                             "surrogate %lld is still being fitted", a->id);
    if (in_use(d, rq, rs, a->id))
        return 0;
    if (store_surrogate_delete(d->store, a->id) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot delete surrogate %lld",
                             a->id);
    return reply_empty(rs, 204);
}
