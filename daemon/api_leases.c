/*
 * api_leases.c - remote workers: POST /api/v1/leases (the next evaluation
 * for a worker), heartbeats, results, release, and GET /api/v1/workers.
 * The mechanism is lease.c's; a result is settled by dispatch.c exactly as
 * a local one.
 */
#include "config.h"

#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "codec.h"
#include "lease.h"
#include "reply.h"
#include "run.h"
#include "store.h"

/* --- the offer --- */

static int offer_strings(json_t *body, const char *key, struct resp *rs, const struct req *rq,
                         json_t **out)
{
    json_t *a = json_object_get(body, key), *v;
    size_t i;
    char ptr[64];
    *out = a;
    if (!a)
        return 0;
    snprintf(ptr, sizeof ptr, "/%s", key);
    if (!json_is_array(a) || json_array_size(a) > 8)
        return reply_problem(rs, rq, 422, ANAS_ETYPE, ptr, "%s must be an array of at most 8 "
                             "names", key), -1;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= 32) {
            snprintf(ptr, sizeof ptr, "/%s/%zu", key, i);
            return reply_problem(rs, rq, 422, ANAS_ETYPE, ptr, "a name of 1 to 31 characters"),
                   -1;
        }
    }
    return 0;
}

static int offer_decode(json_t *body, struct lease_offer *o, const struct req *rq,
                        struct resp *rs)
{
    static const char *const keys[] = {"worker", "host", "threads", "evaluators", "datasets",
                                       NULL};
    struct anas_error err;
    json_t *w = json_object_get(body, "worker"), *h = json_object_get(body, "host");
    json_t *t = json_object_get(body, "threads"), *ev, *ds, *v;
    size_t i;
    memset(o, 0, sizeof *o);
    anas_error_clear(&err);
    if (codec_check_keys(body, keys, "", &err) < 0)
        return reply_error(rs, rq, &err), -1;
    if (!json_is_string(w) || json_string_length(w) == 0 ||
        json_string_length(w) >= sizeof o->worker)
        return reply_problem(rs, rq, 422, ANAS_ETYPE, "/worker",
                             "worker: the worker's id, a string of 1 to 63 characters"), -1;
    if (h && (!json_is_string(h) || json_string_length(h) >= sizeof o->host))
        return reply_problem(rs, rq, 422, ANAS_ETYPE, "/host",
                             "host: a string of at most 127 characters"), -1;
    if (t && (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > 4096))
        return reply_problem(rs, rq, 422, ANAS_ERANGE, "/threads", "threads: 1 to 4096"), -1;
    if (offer_strings(body, "evaluators", rs, rq, &ev) < 0 ||
        offer_strings(body, "datasets", rs, rq, &ds) < 0)
        return -1;
    snprintf(o->worker, sizeof o->worker, "%s", json_string_value(w));
    snprintf(o->host, sizeof o->host, "%s", h ? json_string_value(h) : "");
    o->threads = t ? (int)json_integer_value(t) : 1;
    json_array_foreach(ev, i, v)
    {
        enum anas_eval_kind k;
        char ptr[48];
        if (anas_eval_kind_parse(json_string_value(v), &k) < 0) {
            snprintf(ptr, sizeof ptr, "/evaluators/%zu", i);
            return reply_problem(rs, rq, 422, ANAS_EINVAL, ptr, "unknown evaluator '%s'",
                                 json_string_value(v)), -1;
        }
        o->evaluators |= 1u << k;
    }
    json_array_foreach(ds, i, v)
        snprintf(o->datasets[o->n_datasets++], sizeof o->datasets[0], "%s",
                 json_string_value(v));
    return 0;
}

/* --- the lease --- */

/* Stored surrogates travel with the lease: the worker has no store. */
static json_t *surrogates_json(const struct run *r)
{
    json_t *o = json_object();
    for (int i = 0; i < r->spec.n_models; i++)
        if (r->spec.models[i].surrogate > 0 && r->model_blob[i])
            json_object_set_new(o, r->spec.models[i].metric,
                                json_stringn(r->model_blob[i], r->model_len[i]));
    return o;
}

static json_t *lease_json(const struct leases *ls, const struct lease_ref *ref)
{
    const struct run *r = ref->run;
    const struct slot *sl = ring_slot((struct run *)r, ref->seq);
    double t = lease_timeout(ls);
    /* often enough to survive two lost heartbeats, and for the run page to
     * follow a training's batches */
    double beat = t / 4 < 2 ? t / 4 : 2;
    return json_pack("{s:I, s:f, s:f, s:I, s:I, s:i, s:s, s:o, s:o, s:o, s:b}", "id",
                     (json_int_t)ref->id, "expires_in", t, "heartbeat_s", beat, "run",
                     (json_int_t)ref->run_id, "seq", (json_int_t)ref->seq, "rep", ref->rep,
                     "hash", sl->hash, "config", codec_config_to_json(&sl->res.config), "spec",
                     codec_run_spec_to_json(&r->spec), "surrogates", surrogates_json(r),
                     "keep_model", strcmp(r->spec.kind, "train") == 0);
}

int api_leases_create(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs)
{
    struct lease_offer o;
    struct lease_ref ref;
    char loc[64];
    json_t *body = api_body(rq, rs, 0);
    if (!body)
        return 0;
    if (offer_decode(body, &o, rq, rs) < 0) {
        json_decref(body);
        return 0;
    }
    json_decref(body);
    if (!lease_grant(d->leases, &o, &ref))
        return reply_empty(rs, 204);
    snprintf(loc, sizeof loc, "/api/v1/leases/%lld", ref.id);
    snprintf(rs->location, sizeof rs->location, "%s", loc);
    return reply_json(rs, 201, lease_json(d->leases, &ref));
}

/* The lease's evaluation, still waiting for a result, or the answer why
 * not (404 unknown, 409 settled, 410 its run ended) in rs. */
static struct slot *lease_slot(struct anasd *d, const struct req *rq, long long id,
                               struct resp *rs, struct lease_ref *ref)
{
    enum lease_state st = lease_find(d->leases, id, ref);
    struct slot *sl;
    if (st == LEASE_UNKNOWN)
        return reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no lease %lld", id), NULL;
    if (st == LEASE_SETTLED)
        return reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                             "evaluation %lld of run %lld already has a result", ref->seq,
                             ref->run_id),
               NULL;
    if (st == LEASE_DROPPED || !ref->run)
        return reply_problem(rs, rq, 410, ANAS_ESTATE, NULL,
                             "run %lld ended (canceled, failed or stopped): the evaluation is "
                             "dropped",
                             ref->run_id),
               NULL;
    sl = ring_slot(ref->run, ref->seq);
    if (sl->seq != ref->seq || sl->state != SLOT_RUNNING)
        return reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                             "evaluation %lld of run %lld already has a result", ref->seq,
                             ref->run_id),
               NULL;
    return sl;
}

/* --- heartbeats --- */

static int int_in(json_t *o, const char *key, long long lo, long long hi, long long *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static void take_progress(struct slot *sl, json_t *p)
{
    long long e, done, total;
    if (!json_is_object(p) || int_in(p, "epoch", 0, 1 << 20, &e) < 0 ||
        int_in(p, "batches_done", 0, 1LL << 40, &done) < 0 ||
        int_in(p, "batches_total", 0, 1LL << 40, &total) < 0)
        return; /* progress is for display: a bad one is not shown */
    atomic_store(&sl->progress.epoch, (int)e);
    atomic_store(&sl->progress.batches_done, (long)done);
    atomic_store(&sl->progress.batches_total, (long)total);
}

/* A training's epoch for the pruner: {"epoch", "epochs", "metrics"}. */
static int take_epoch(struct run *r, struct slot *sl, int rep, json_t *ep, int *stop,
                      const struct req *rq, struct resp *rs)
{
    long long e, n;
    struct anas_metrics m;
    char *txt;
    int rc;
    *stop = 0;
    if (!ep)
        return 0;
    txt = json_is_object(json_object_get(ep, "metrics"))
              ? codec_dump(json_object_get(ep, "metrics"))
              : NULL;
    if (int_in(ep, "epochs", 1, ANAS_TRAIN_MAX_EPOCHS, &n) < 0 ||
        int_in(ep, "epoch", 1, n, &e) < 0 || !txt || codec_metrics_from_text(txt, &m) < 0) {
        free(txt);
        return reply_problem(rs, rq, 422, ANAS_EINVAL, "/epoch_end",
                             "epoch_end: {\"epoch\", \"epochs\", \"metrics\"}"),
               -1;
    }
    free(txt);
    rc = dispatch_epoch(r, sl, rep, (int)e, (int)n, &m, stop);
    if (rc < 0)
        return reply_problem(rs, rq, 500, rc, NULL, "pruner failed"), -1;
    return 0;
}

int api_leases_heartbeat(struct anasd *d, const struct req *rq, const struct route_args *a,
                         struct resp *rs)
{
    struct lease_ref ref;
    struct slot *sl;
    json_t *body = api_body(rq, rs, 1);
    int stop = 0;
    if (!body)
        return 0;
    sl = lease_slot(d, rq, a->id, rs, &ref);
    if (sl && lease_heartbeat(d->leases, a->id) < 0) {
        reply_problem(rs, rq, 410, ANAS_ESTATE, NULL,
                      "lease %lld expired and evaluation %lld went to another worker", a->id,
                      ref.seq);
        sl = NULL;
    }
    if (sl) {
        take_progress(sl, json_object_get(body, "progress"));
        if (take_epoch(ref.run, sl, ref.rep, json_object_get(body, "epoch_end"), &stop, rq,
                       rs) < 0)
            sl = NULL;
    }
    json_decref(body);
    if (!sl)
        return 0;
    return reply_json(rs, 200, json_pack("{s:f, s:b}", "expires_in",
                                         lease_timeout(d->leases), "stop", stop));
}

int api_leases_release(struct anasd *d, const struct req *rq, const struct route_args *a,
                       struct resp *rs)
{
    struct lease_ref ref;
    if (!lease_slot(d, rq, a->id, rs, &ref))
        return 0;
    if (lease_release(d->leases, a->id) < 0)
        return reply_problem(rs, rq, 410, ANAS_ESTATE, NULL,
                             "lease %lld expired and evaluation %lld went to another worker",
                             a->id, ref.seq);
    return reply_empty(rs, 204);
}

/* --- results --- */

/* The state, error and pruning of a result into the slot. */
static int result_state(json_t *body, struct slot *sl, const struct req *rq, struct resp *rs)
{
    const char *state = json_string_value(json_object_get(body, "state"));
    json_t *err = json_object_get(body, "error");
    long long at = 0;
    sl->rc = 0;
    sl->progress.stopped_at = 0;
    anas_error_clear(&sl->err);
    if (!state || (strcmp(state, "complete") && strcmp(state, "pruned") && strcmp(state, "failed")))
        return reply_problem(rs, rq, 422, ANAS_EINVAL, "/state",
                             "state: complete, pruned or failed"), -1;
    if (strcmp(state, "pruned") == 0) {
        if (int_in(body, "stopped_at", 1, ANAS_TRAIN_MAX_EPOCHS, &at) < 0)
            return reply_problem(rs, rq, 422, ANAS_EINVAL, "/stopped_at",
                                 "a pruned result names the epoch it stopped at"), -1;
        sl->progress.stopped_at = (int)at;
    }
    if (strcmp(state, "failed") == 0) {
        const char *detail = json_string_value(json_object_get(err, "detail"));
        const char *code = json_string_value(json_object_get(err, "code"));
        if (!detail || !code)
            return reply_problem(rs, rq, 422, ANAS_EINVAL, "/error",
                                 "a failed result has an error {\"code\", \"detail\"}"), -1;
        /* the worker's own code is kept in the text: the stored code says
         * only that the evaluation failed on its inputs */
        sl->rc = strcmp(code, anas_err_name(ANAS_ENOMEM)) == 0 ? ANAS_ENOMEM
               : strcmp(code, anas_err_name(ANAS_EIO)) == 0    ? ANAS_EIO
               : strcmp(code, anas_err_name(ANAS_ENUMERIC)) == 0 ? ANAS_ENUMERIC
                                                                 : ANAS_EINVAL;
        snprintf(sl->err.msg, sizeof sl->err.msg, "%s", detail);
        sl->err.code = sl->rc;
    }
    return 0;
}

/* Metrics, curve, timing and weights of a result into the slot. */
static int result_data(json_t *body, const struct run *r, struct slot *sl, const struct req *rq,
                       struct resp *rs)
{
    json_t *met = json_object_get(body, "metrics"), *curve = json_object_get(body, "curve");
    json_t *model = json_object_get(body, "model"), *secs = json_object_get(body, "seconds");
    char *txt = json_is_object(met) ? codec_dump(met) : NULL;
    struct anas_metrics m = sl->res.metrics; /* the analytic ones */
    int rc = txt ? codec_metrics_from_text(txt, &m) : sl->rc < 0 ? 0 : ANAS_EINVAL;
    free(txt);
    if (rc < 0)
        return reply_problem(rs, rq, 422, ANAS_EINVAL, "/metrics",
                             "metrics: an object of metric names and numbers"), -1;
    sl->res.metrics = m;
    txt = json_is_array(curve) ? codec_dump(curve) : NULL;
    if ((curve && !txt) || (txt && dispatch_curve_parse(txt, sl) < 0)) {
        free(txt);
        return reply_problem(rs, rq, 422, ANAS_EINVAL, "/curve",
                             "curve: an array of each epoch's metrics"), -1;
    }
    free(txt);
    if (!json_is_number(secs) || json_number_value(secs) < 0)
        return reply_problem(rs, rq, 422, ANAS_EINVAL, "/seconds",
                             "seconds: how long the evaluation took"), -1;
    sl->t1 = anasd_now();
    sl->t0 = sl->t1 - json_number_value(secs);
    if (strcmp(r->spec.kind, "train") == 0 && sl->rc == 0) {
        if (!json_is_string(model) ||
            b64_decode(json_string_value(model), json_string_length(model), &sl->model,
                       &sl->model_len) < 0)
            return reply_problem(rs, rq, 422, ANAS_EINVAL, "/model",
                                 "a train run's result carries the weights (.safetensors, "
                                 "base64)"), -1;
    }
    return 0;
}

int api_leases_result(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs)
{
    static const char *const keys[] = {"hash", "state", "metrics", "curve", "error",
                                       "stopped_at", "seconds", "model", NULL};
    struct anas_error err;
    struct lease_ref ref;
    struct slot *sl;
    const char *hash;
    json_t *body = api_body(rq, rs, 0);
    if (!body)
        return 0;
    anas_error_clear(&err);
    if (codec_check_keys(body, keys, "", &err) < 0) {
        json_decref(body);
        return reply_error(rs, rq, &err);
    }
    if (!(sl = lease_slot(d, rq, a->id, rs, &ref))) {
        json_decref(body);
        return 0;
    }
    /* The hash names what was evaluated: a worker that evaluated another
     * architecture (or a bug that changed the configuration on the way)
     * must not put its metrics under this one. */
    hash = json_string_value(json_object_get(body, "hash"));
    if (!hash || strcmp(hash, sl->hash) != 0) {
        reply_problem(rs, rq, 422, ANAS_EINVAL, "/hash",
                      "hash: the evaluated architecture's hash is %s, not %.16s", sl->hash,
                      hash ? hash : "missing");
        json_decref(body);
        return 0;
    }
    free(sl->model);
    sl->model = NULL;
    sl->curve_n = 0;
    if (result_state(body, sl, rq, rs) < 0 || result_data(body, ref.run, sl, rq, rs) < 0) {
        free(sl->model);
        sl->model = NULL;
        json_decref(body);
        return 0;
    }
    json_decref(body);
    lease_settled(d->leases, a->id);
    dispatch_remote_done(ref.run, sl);
    return reply_json(rs, 200, json_pack("{s:b, s:I, s:I}", "accepted", 1, "run",
                                         (json_int_t)ref.run_id, "seq", (json_int_t)ref.seq));
}

/* --- workers --- */

int api_workers_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                     struct resp *rs)
{
    int waiting, leased, workers;
    lease_counts(d->leases, &waiting, &leased, &workers);
    return reply_json(rs, 200, json_pack("{s:o, s:i, s:i, s:i}", "items",
                                         lease_workers_json(d->leases), "waiting", waiting,
                                         "leased", leased, "local", d->conf.workers));
}
