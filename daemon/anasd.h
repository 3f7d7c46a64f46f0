/*
 * anasd.h - the daemon's one context, passed explicitly to every part.
 *
 * The loop thread owns everything here. Compute leaves it only through the
 * scheduler (jobs.c), which hands copies to pool threads.
 */
#ifndef ANASD_ANASD_H
#define ANASD_ANASD_H

#include <uv.h>

#include "conf.h"

struct store;
struct http;
struct jobs;
struct surrogates;
struct events;
struct event_pages;
struct metrics;
struct leases;

struct anasd {
    uv_loop_t *loop;
    struct conf conf;
    struct store *store;
    struct http *http;
    struct jobs *jobs;
    struct surrogates *surrogates; /* fits on the pool */
    struct events *events;         /* run state changes and results, for streams */
    struct event_pages *event_pages; /* api_events.c: evaluations as streams send them */
    struct metrics *metrics;       /* GET /metrics */
    struct leases *leases;         /* evaluations for remote workers (lease.c) */
    double started_at; /* unix seconds */
    int stopping;
    uv_signal_t sig_term, sig_int, sig_hup;
};

/* Unix time in seconds with sub-second precision. */
double anasd_now(void);

/* Begin a graceful stop (signals, fatal errors): stop HTTP, leave running
 * runs interrupted, let the loop drain. */
void anasd_stop(struct anasd *d);

/* Read the token files again (SIGHUP, POST /api/v1/admin/reload; `by` says
 * which in the log): 0, or -1 with the reason in why and the tokens in
 * force unchanged. */
int anasd_reload_tokens(struct anasd *d, const char *by, char *why, size_t why_len);

/* Server-sent event streams open now, for GET /metrics. The event streams
 * define it; until they do, a weak default in api_metrics.c answers 0. */
int anasd_streams_open(const struct anasd *d);

#endif
