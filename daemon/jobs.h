/*
 * jobs.h - the scheduler: runs from queued to a final state.
 *
 * A run is a row first. The scheduler starts at most max_runs at once
 * (oldest first, interrupted ones before queued ones), and drives each:
 * optimizer steps and evaluations go to the libuv pool; every finished
 * evaluation is committed to the store, on the loop thread, before the
 * optimizer observes it. A run restarted after a crash replays its stored
 * evaluations into a fresh optimizer with the same seed (optimizers are
 * functions of spec, seed and history), so nothing finished is repeated
 * and the result equals an uninterrupted run's.
 *
 * Everything here runs on the loop thread except the work callbacks.
 */
#ifndef ANASD_JOBS_H
#define ANASD_JOBS_H

#include <jansson.h>

#include "anasd.h"

struct jobs;
struct run_spec;

int jobs_new(struct anasd *d, struct jobs **out);
void jobs_free(struct jobs *j);

/* Resume runs left running or interrupted, then start queued ones. */
int jobs_start(struct jobs *j);

/* How many evaluations a run of this spec makes, -1 when unknown. */
long long jobs_estimate_total(const struct run_spec *s);

/* A queued run was inserted: start it when a slot is free. */
void jobs_pump(struct jobs *j);

/* Cancel: 0, ANAS_ENOTFOUND, or ANAS_ESTATE when already final. */
int jobs_cancel(struct jobs *j, long long id);

struct jobs_progress {
    long long done, total; /* total -1 while unknown */
    double elapsed;        /* seconds since the run (re)started */
    double eta;            /* seconds left, NAN while unknown */
};

/* Live view of an active run, for the API. Returns 0 when the run is
 * active (and fills the out values; JSON results are new references;
 * evaluating lists the evaluations being trained with their batch
 * progress), ANAS_ENOTFOUND otherwise. JSON pointers may be NULL. The ETA
 * counts only the work remaining evaluations are expected to need:
 * candidates rejected on their analytic metrics or reused from the store
 * cost nothing, so they do not make the run look faster than it is. */
int jobs_live(struct jobs *j, long long id, struct jobs_progress *p, json_t **best,
              json_t **summary, json_t **evaluating);

/* The seq of the evaluation an active run's best so far is, 0 while it
 * has none or the run is not active: the best changes when it does. */
long long jobs_live_best_seq(struct jobs *j, long long id);

/* The Pareto front of an active run of two or more objectives, over all
 * its repetitions: its size and hypervolume (as the summary gives them).
 * ANAS_ENOTFOUND when the run is not active or has one objective. */
int jobs_front(struct jobs *j, long long id, long long *size, double *hv);

/* Graceful stop: active runs become interrupted (and resume at the next
 * start); outstanding work is told to stop. */
void jobs_shutdown(struct jobs *j);

/* No work outstanding on the pool. */
int jobs_idle(const struct jobs *j);

int jobs_n_active(const struct jobs *j);

#endif
