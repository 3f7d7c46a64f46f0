/*
 * loop.c - one thread's loop: ask anasd for a lease, evaluate it with
 * anasd's own code (evalsetup_evaluate, the repetition's seed), post the
 * result; and the heartbeat thread that keeps every thread's lease alive
 * and stops an evaluation whose lease anasd no longer honours.
 */
#include "config.h"

#include "worker.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "evalsetup.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Sleep up to s seconds, waking early on a stop. */
static void nap(const struct worker *w, double s)
{
    double end = now_s() + s;
    while (!atomic_load(&w->stop) && now_s() < end) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("anas-worker: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The problem's detail, or the body. */
static const char *detail_of(const struct http_resp *r, char *buf, size_t n)
{
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    const char *d = json_string_value(json_object_get(j, "detail"));
    snprintf(buf, n, "%s", d ? d : r->body ? r->body : "");
    json_decref(j);
    return buf;
}

/* --- heartbeats --- */

struct beat {
    int active;
    long long lease;
    double every, next;
    struct anas_train_progress *progress;
    atomic_int cancel; /* the evaluation's: set when the lease is lost or on a stop */
};

struct beats {
    struct worker *w;
    pthread_mutex_t lock;
    int n;
    struct beat *slot;
    atomic_int done;
};

struct beats *beats_new(struct worker *w, int slots)
{
    struct beats *b = calloc(1, sizeof *b);
    if (!b || !(b->slot = calloc((size_t)slots, sizeof *b->slot))) {
        free(b);
        return NULL;
    }
    b->w = w;
    b->n = slots;
    pthread_mutex_init(&b->lock, NULL);
    return b;
}

void beats_free(struct beats *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    free(b->slot);
    free(b);
}

void beats_cancel_all(struct beats *b)
{
    for (int i = 0; i < b->n; i++)
        atomic_store(&b->slot[i].cancel, 1);
}

void beats_stop(struct beats *b)
{
    atomic_store(&b->done, 1);
}

static json_t *progress_json(const struct anas_train_progress *p)
{
    return json_pack("{s:i, s:I, s:I}", "epoch", atomic_load(&p->epoch), "batches_done",
                     (json_int_t)atomic_load(&p->batches_done), "batches_total",
                     (json_int_t)atomic_load(&p->batches_total));
}

/* One heartbeat; 1 when the lease is lost (the evaluation must stop). */
static int beat_once(struct http *h, long long lease, json_t *body, int *stop)
{
    struct http_resp r;
    char path[96], *txt = json_dumps(body, JSON_COMPACT);
    int lost = 0;
    snprintf(path, sizeof path, "/api/v1/leases/%lld/heartbeat", lease);
    if (txt && http_call(h, "POST", path, txt, &r) == 0) {
        json_t *j = json_loads(r.body, 0, NULL);
        lost = r.status == 404 || r.status == 409 || r.status == 410;
        if (stop)
            *stop = r.status == 200 && json_is_true(json_object_get(j, "stop"));
        if (lost) {
            char d[256];
            say("lease %lld: %s; dropping its evaluation", lease, detail_of(&r, d, sizeof d));
        }
        json_decref(j);
        http_resp_free(&r);
    }
    /* no answer: anasd may be restarting; the lease lapses on its own */
    free(txt);
    return lost;
}

void *beats_thread(void *arg)
{
    struct beats *b = arg;
    struct http *h = http_new(b->w);
    while (h && !atomic_load(&b->done)) {
        for (int i = 0; i < b->n; i++) {
            long long lease = 0;
            json_t *body = NULL;
            pthread_mutex_lock(&b->lock);
            if (b->slot[i].active && now_s() >= b->slot[i].next) {
                lease = b->slot[i].lease;
                b->slot[i].next = now_s() + b->slot[i].every;
                body = json_pack("{s:o}", "progress", progress_json(b->slot[i].progress));
            }
            pthread_mutex_unlock(&b->lock);
            if (lease && beat_once(h, lease, body, NULL))
                atomic_store(&b->slot[i].cancel, 1);
            json_decref(body);
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    http_free(h);
    return NULL;
}

/* --- one evaluation --- */

struct job {
    struct thread_arg *t;
    struct http *h;
    const struct run_setup *setup;
    long long lease;
    struct anas_metrics *curve;
    int curve_n, curve_cap;
};

/* After every epoch: keep the curve; with a pruner, anasd decides. */
static int on_epoch(void *ctx, int epoch, int epochs, const struct anas_metrics *m)
{
    struct job *j = ctx;
    struct beat *b = &j->t->beats->slot[j->t->slot];
    json_t *body;
    int stop = 0;
    if (evalsetup_curve_push(&j->curve, &j->curve_n, &j->curve_cap, epochs, m) < 0)
        return ANAS_ENOMEM;
    if (j->setup->spec.prune.kind == ANAS_PRUNE_NONE)
        return 0;
    body = json_pack("{s:o, s:{s:i, s:i, s:o}}", "progress", progress_json(b->progress),
                     "epoch_end", "epoch", epoch, "epochs", epochs, "metrics",
                     codec_metrics_to_json(m));
    if (beat_once(j->h, j->lease, body, &stop))
        atomic_store(&b->cancel, 1);
    json_decref(body);
    return stop;
}

static void on_retry(void *ctx, int attempt, const struct anas_error *err)
{
    struct job *j = ctx;
    say("lease %lld: evaluation failed (%s), retry %d of %d", j->lease, err->msg, attempt,
        EVALSETUP_RETRIES);
    j->curve_n = 0;
}

static json_t *result_json(const struct job *j, const char *hash, int rc,
                           const struct anas_train_progress *p, const struct anas_metrics *m,
                           const struct anas_error *err, double secs, void *model,
                           size_t model_len)
{
    const char *state = rc < 0 ? "failed" : p->stopped_at ? "pruned" : "complete";
    json_t *o = json_pack("{s:s, s:s, s:o, s:f}", "hash", hash, "state", state, "metrics",
                          codec_metrics_to_json(m), "seconds", secs);
    if (j->curve_n)
        json_object_set_new(o, "curve", evalsetup_curve_json(j->curve, j->curve_n));
    if (rc == 0 && p->stopped_at)
        json_object_set_new(o, "stopped_at", json_integer(p->stopped_at));
    if (rc < 0)
        json_object_set_new(o, "error",
                            json_pack("{s:s, s:s}", "code", anas_err_name(rc), "detail",
                                      err->msg[0] ? err->msg : anas_strerror(rc)));
    if (model) {
        char *b = b64_encode(model, model_len);
        json_object_set_new(o, "model", b ? json_string(b) : json_null());
        free(b);
    }
    return o;
}

static void release(struct http *h, long long lease)
{
    struct http_resp r;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/leases/%lld", lease);
    if (http_call(h, "DELETE", path, NULL, &r) == 0)
        http_resp_free(&r);
}

/* Post a result; anasd unreachable: try again for a while, the lease may
 * still hold when it is back. */
static void report(struct job *j, json_t *res)
{
    struct worker *w = j->t->w;
    struct http_resp r;
    char path[96], d[256], *txt = json_dumps(res, JSON_COMPACT);
    double wait = 0.5;
    snprintf(path, sizeof path, "/api/v1/leases/%lld/result", j->lease);
    for (int tries = 0; txt && tries < 8; tries++, wait *= 2) {
        if (http_call(j->h, "POST", path, txt, &r) < 0) {
            say("lease %lld: cannot post the result (%s); retrying", j->lease, r.err);
            nap(w, wait);
            continue;
        }
        if (r.status == 200)
            atomic_fetch_add(&w->done, 1);
        else if (r.status == 409 || r.status == 410)
            say("lease %lld: result not needed: %s", j->lease, detail_of(&r, d, sizeof d));
        else
            say("lease %lld: anasd refused the result (%ld): %s", j->lease, r.status,
                detail_of(&r, d, sizeof d));
        http_resp_free(&r);
        break;
    }
    free(txt);
}

/* Fill the heartbeat slot (the heartbeat thread reads it). */
static void beat_on(struct thread_arg *t, long long lease, double every,
                    struct anas_train_progress *p)
{
    struct beat *b = &t->beats->slot[t->slot];
    pthread_mutex_lock(&t->beats->lock);
    b->lease = lease;
    b->every = every > 0.2 ? every : 0.2;
    b->next = now_s() + (b->every < 0.5 ? b->every : 0.5); /* the first progress soon */
    b->progress = p;
    b->active = 1;
    atomic_store(&b->cancel, atomic_load(&t->w->stop));
    pthread_mutex_unlock(&t->beats->lock);
}

static void beat_off(struct thread_arg *t)
{
    pthread_mutex_lock(&t->beats->lock);
    t->beats->slot[t->slot].active = 0;
    pthread_mutex_unlock(&t->beats->lock);
}

/* A lease this worker cannot evaluate: give it back and say why. */
static void refuse(struct job *j, const char *why, const struct anas_error *err)
{
    release(j->h, j->lease);
    say("lease %lld: %s: %s%s%s", j->lease, why, err->msg, err->field[0] ? " at " : "",
        err->field);
    atomic_store(&j->t->w->failed, 1);
}

static void evaluate(struct job *j, json_t *lease, const struct anas_config *cfg,
                     const char *hash)
{
    struct thread_arg *t = j->t;
    struct beat *b = &t->beats->slot[t->slot];
    struct anas_eval_spec ev = j->setup->ev;
    struct anas_train_progress p;
    struct anas_metrics m;
    struct anas_error err;
    void *model = NULL;
    size_t model_len = 0;
    double t0;
    int rc;
    json_t *res;
    memset(&p, 0, sizeof p);
    anas_error_clear(&err);
    anas_metrics_init(&m);
    ev.threads = j->t->w->eval_threads;
    ev.train.seed = evalsetup_rep_seed(&j->setup->spec,
                                       (int)json_integer_value(json_object_get(lease, "rep")));
    if (ev.kind == ANAS_EVAL_TRAIN) {
        p.epoch_end = on_epoch;
        p.epoch_ctx = j;
    }
    beat_on(t, j->lease, json_number_value(json_object_get(lease, "heartbeat_s")), &p);
    t0 = now_s();
    /* the analytic metrics first, as anasd's dispatch has them */
    rc = anas_eval_analytic(&ev, cfg, &m, &err);
    if (rc == 0)
        rc = evalsetup_evaluate(&ev, cfg, &b->cancel, &p, &m,
                                json_is_true(json_object_get(lease, "keep_model")) ? &model
                                                                                    : NULL,
                                &model_len, on_retry, j, &err);
    beat_off(t);
    if (rc == ANAS_ECANCELED || (rc < 0 && atomic_load(&b->cancel))) {
        /* SIGTERM: the lease goes back, not lost; a lost lease: nobody
         * wants this result */
        if (atomic_load(&t->w->stop)) {
            release(j->h, j->lease);
            say("lease %lld released on the way out", j->lease);
        }
    } else {
        res = result_json(j, hash, rc, &p, &m, &err, now_s() - t0, model, model_len);
        report(j, res);
        json_decref(res);
    }
    free(model);
}

static void take_lease(struct thread_arg *t, struct http *h, json_t *lease)
{
    struct job j = {.t = t, .h = h};
    struct anas_error err;
    struct anas_config cfg;
    const char *hash = json_string_value(json_object_get(lease, "hash"));
    char mine[ANAS_HASH_LEN + 1];
    j.lease = json_integer_value(json_object_get(lease, "id"));
    anas_error_clear(&err);
    if (!(j.setup = runs_get(t->w, lease, &err))) {
        refuse(&j, "cannot evaluate this run here", &err);
        return;
    }
    if (codec_config_from_json(j.setup->spec.space, json_object_get(lease, "config"), "/config",
                               &cfg, &err) < 0) {
        refuse(&j, "bad configuration", &err);
    } else if (anas_space_hash(j.setup->spec.space, &j.setup->spec.shape, &cfg, mine) < 0 ||
               !hash || strcmp(hash, mine) != 0) {
        anas_error_set(&err, ANAS_EINVAL, "anasd says %s, this worker computes %s",
                       hash ? hash : "nothing", mine);
        refuse(&j, "the architecture's hash differs (another version of anasd?)", &err);
    } else {
        evaluate(&j, lease, &cfg, mine);
    }
    free(j.curve);
    runs_put((struct run_setup *)j.setup);
}

/* --- the loop --- */

static char *offer_text(const struct worker *w)
{
    json_t *ev = json_array();
    char *txt;
    for (int k = 0; k < 32; k++)
        if (w->evaluators & (1u << k))
            json_array_append_new(ev, json_string(anas_eval_kind_name((enum anas_eval_kind)k)));
    json_t *o = json_pack("{s:s, s:s, s:i, s:o}", "worker", w->id, "host", w->host, "threads",
                          w->threads, "evaluators", ev);
    txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return txt;
}

void *loop_thread(void *arg)
{
    struct thread_arg *t = arg;
    struct worker *w = t->w;
    struct http *h = http_new(w);
    char *offer = offer_text(w), d[256];
    double idle_since = now_s(), wait = 0.05;
    while (h && offer && !atomic_load(&w->stop) && !atomic_load(&w->failed)) {
        struct http_resp r;
        if (http_call(h, "POST", "/api/v1/leases", offer, &r) < 0) {
            say("cannot reach %s: %s", w->url, r.err);
            r.status = 0;
        } else if (r.status == 201) {
            json_t *lease = json_loads(r.body, 0, NULL);
            http_resp_free(&r);
            if (lease)
                take_lease(t, h, lease);
            json_decref(lease);
            idle_since = now_s();
            wait = 0.05;
            continue;
        } else if (r.status != 204) {
            say("anasd refused the lease request (%ld): %s", r.status,
                detail_of(&r, d, sizeof d));
            atomic_store(&w->failed, 1);
        }
        http_resp_free(&r);
        if (w->idle_exit > 0 && now_s() - idle_since >= w->idle_exit)
            break;
        /* nothing to do: ask again soon, less often the longer it lasts */
        nap(w, wait);
        wait = wait * 2 > 0.5 ? 0.5 : wait * 2;
    }
    free(offer);
    http_free(h);
    return NULL;
}
