/*
 * boot.c - a struct anasd brought up and torn down without HTTP: the
 * database, the event bus, the metrics, the surrogate fitter and the
 * scheduler (which resumes interrupted runs). main.c adds the listening
 * socket and the signals; the HTTP fuzz target (tests/fuzz/http.c) feeds
 * requests to route_dispatch() directly.
 */
#include "config.h"

#include "anasd.h"

#include <stdio.h>

#include "checkpoint.h"
#include "core/err.h"
#include "core/log.h"
#include "events.h"
#include "faults.h"
#include "http.h"
#include "jobs.h"
#include "lease.h"
#include "metrics.h"
#include "runtext.h"
#include "store.h"
#include "surrogates.h"

int anasd_open(struct anasd *d, uv_loop_t *loop, char *why, size_t why_len)
{
    d->loop = loop;
    d->started_at = anasd_now();
    d->started_mono = anasd_mono();
    if (store_open(d->conf.db, &d->store, why, why_len) < 0)
        return -1;
    if (checkpoint_start(d->store, &d->checkpoint) < 0) {
        snprintf(why, why_len, "cannot start the checkpointer: %s", anas_strerror(ANAS_ENOMEM));
        return -1;
    }
    if (events_new(d->loop, &d->events) < 0 || metrics_new(&d->metrics) < 0 ||
        faults_new(d, &d->faults) < 0 || surrogates_new(d, &d->surrogates) < 0 || surrogates_start(d->surrogates) < 0 ||
        lease_new(d, &d->leases) < 0 || jobs_new(d, &d->jobs) < 0 || jobs_start(d->jobs) < 0) {
        snprintf(why, why_len, "cannot start the scheduler");
        return -1;
    }
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void anasd_close(struct anasd *d)
{
    /* Close whatever handles remain so the loop can be closed cleanly. */
    uv_walk(d->loop, close_walk, NULL);
    uv_run(d->loop, UV_RUN_DEFAULT);
    uv_loop_close(d->loop);
    jobs_free(d->jobs);
    lease_free(d->leases);
    surrogates_free(d->surrogates);
    events_free(d->events);
    faults_free(d->faults);
    runtext_free(d->run_texts);
    checkpoint_stop(d->checkpoint);
    store_close(d->store);
    metrics_free(d->metrics);
    conf_fini(&d->conf);
}

static void drain_check(uv_idle_t *idle)
{
    struct anasd *d = idle->data;
    if (!jobs_idle(d->jobs) || !surrogates_idle(d->surrogates))
        return;
    uv_idle_stop(idle);
    uv_close((uv_handle_t *)idle, NULL);
    uv_stop(d->loop);
}

void anasd_stop(struct anasd *d)
{
    static uv_idle_t idle;
    if (d->stopping)
        return;
    d->stopping = 1;
    anas_log(ANAS_LOG_INFO, "stopping");
    http_stop(d->http);
    d->http = NULL;
    jobs_shutdown(d->jobs);
    faults_shutdown(d->faults);
    surrogates_shutdown(d->surrogates);
    if (d->signals) {
        uv_signal_stop(&d->sig_term);
        uv_signal_stop(&d->sig_int);
        uv_signal_stop(&d->sig_hup);
    }
    idle.data = d;
    uv_idle_init(d->loop, &idle);
    uv_idle_start(&idle, drain_check);
}
