/*
 * anasd.h - the daemon's one context, passed explicitly to every part.
 *
 * The loop thread owns everything here. Compute leaves it only through the
 * scheduler (jobs.c), which hands copies to pool threads.
 */
#ifndef ANASD_ANASD_H
#define ANASD_ANASD_H

#include <stddef.h>

#include <uv.h>

#include "conf.h"

struct store;
struct http;
struct jobs;
struct surrogates;
struct events;
struct event_pages;
struct metrics;
struct faults;
struct leases;
struct run_texts;
struct checkpointer;

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
    struct faults *faults;         /* faults.c: when the database cannot be written */
    struct leases *leases;         /* evaluations for remote workers (lease.c) */
    int eval_threads;  /* each evaluation's team (evalsetup_threads) */
    struct run_texts *run_texts;   /* runtext.c: run objects as text, made on demand */
    struct checkpointer *checkpoint; /* checkpoint.c: the log copied off this thread */
    double started_at; /* unix seconds */
    double started_mono; /* anasd_mono(), for the uptime */
    int stopping;
    int signals; /* main.c installed the handlers below */
    uv_signal_t sig_term, sig_int, sig_hup;
};

/* With d->conf filled in: open the database and start the scheduler
 * (resuming interrupted runs) and the surrogate fitter on `loop`; no
 * socket (main.c adds it). On failure the reason is in why and
 * anasd_close() still frees what was made. */
int anasd_open(struct anasd *d, uv_loop_t *loop, char *why, size_t why_len);

/* Close the loop's remaining handles, run it until they are closed, and
 * free everything anasd_open() made, and the settings. */
void anasd_close(struct anasd *d);

/* Unix time in seconds with sub-second precision: for timestamps. */
double anasd_now(void);

/* Seconds on a clock that only moves forward (CLOCK_MONOTONIC): for
 * durations, which a jump of the wall clock must not change. */
double anasd_mono(void);

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
