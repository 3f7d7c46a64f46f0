/*
 * metrics.h - the daemon's Prometheus metrics: one registry of counters,
 * gauges and histograms, rendered in the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 *     struct metrics *m;
 *     metrics_new(&m);
 *     metrics_request(m, "GET", "/api/v1/runs/{id}", 200, 0.0012);   // loop thread
 *     metrics_set(m, METRICS_RUNS, (const char *[]){"queued"}, 3);   // at a scrape
 *     char *text; size_t len;
 *     metrics_write(m, &text, &len);
 *
 * The families are fixed (enum metrics_family, described in doc/api.md);
 * a series is created the first time its label values are seen, so label
 * values must come from bounded sets (a route's pattern, never a path).
 * The registry belongs to the loop thread. Pool threads touch only the two
 * atomic gauges (metrics_work_begin/end, metrics_evals_waiting).
 */
#ifndef ANASD_METRICS_H
#define ANASD_METRICS_H

#include <stddef.h>

enum metrics_family {
    METRICS_BUILD_INFO,
    METRICS_RUNS,
    METRICS_EVALUATIONS,
    METRICS_EVALUATIONS_REUSED,
    METRICS_EVALUATION_SECONDS,
    METRICS_POOL_THREADS,
    METRICS_POOL_BUSY,
    METRICS_QUEUE_DEPTH,
    METRICS_STREAMS_OPEN,
    METRICS_HTTP_REQUESTS,
    METRICS_HTTP_SECONDS,
    METRICS_DATABASE_BYTES,
    METRICS_STORE_COMMITS,
    METRICS_STORE_LOG_PAGES,
    METRICS_STORE_CHECKPOINTS,
    METRICS_STORE_HELD,
    METRICS_PROCESS_CPU,
    METRICS_PROCESS_RSS,
    METRICS_PROCESS_VSZ,
    METRICS_PROCESS_FDS,
    METRICS_PROCESS_MAX_FDS,
    METRICS_PROCESS_START,
    METRICS_N_FAMILIES
};

struct metrics;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

/* Loop thread. A request answered: method, the route's pattern ("none"
 * when no route matched), status, seconds since the request arrived. */
void metrics_request(struct metrics *m, const char *method, const char *route, int status,
                     double seconds);

/* Loop thread. An evaluation committed: its evaluator kind and state
 * (complete, failed, invalid, pruned); reused when answered from the store
 * or from an identical evaluation in flight; seconds on a worker thread,
 * observed only for evaluations that ran on one. */
void metrics_evaluation(struct metrics *m, const char *evaluator, const char *state,
                        int reused, double seconds);

/* Loop thread. A gauge's (or an externally counted counter's) value; the
 * label values in the family's order. 0, or ANAS_ENOMEM. */
int metrics_set(struct metrics *m, enum metrics_family f, const char *const *values,
                double v);

/* Any thread: a pool task starts or ends; an evaluation is queued for the
 * pool (+1) or leaves the queue (-1). */
void metrics_work_begin(struct metrics *m);
void metrics_work_end(struct metrics *m);
void metrics_evals_waiting(struct metrics *m, int delta);
int metrics_pool_busy(const struct metrics *m);
int metrics_evals_waiting_now(const struct metrics *m);

/* The exposition, malloc'd. 0, or ANAS_ENOMEM. */
int metrics_write(const struct metrics *m, char **out, size_t *len);

#endif
