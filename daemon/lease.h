/*
 * lease.h - remote evaluation: evaluations waiting for a worker, leased to
 * anas-worker processes over the API (api_leases.c), and the workers seen.
 *
 * An evaluation that needs work (dispatch.c) goes to a local pool thread
 * when one of the --workers is free, else it waits here. It then goes to
 * whichever asks first: a local thread that finished its evaluation, or a
 * remote worker's POST /api/v1/leases. A lease lasts --lease-timeout
 * seconds and is extended by every heartbeat; one that runs out, or that
 * its worker releases, puts the evaluation back at the head of the queue.
 * The first result posted for an evaluation settles it, whichever of its
 * leases it came from; the others are answered 409.
 *
 * Leases live in memory only. anasd is the one writer of the store and
 * commits a result before anything observes it; a restarted anasd resumes
 * its runs and queues their unfinished evaluations again, so a lease lost
 * in a crash costs the work done under it, never a result or a count.
 *
 * Loop thread only.
 */
#ifndef ANASD_LEASE_H
#define ANASD_LEASE_H

#include <jansson.h>

#include "anasd.h"

struct leases;
struct run;

int lease_new(struct anasd *d, struct leases **out);
void lease_free(struct leases *ls);

/* dispatch.c: may a new evaluation of run r start on a local pool thread?
 * 1 (the thread is then counted busy) or 0 (enqueue it). */
int lease_local_take(struct leases *ls, const struct run *r);
/* The thread lease_local_take counted did not start after all. */
void lease_local_cancel(struct leases *ls);
/* A local thread finished: the next waiting evaluation it may take, 1 with
 * *r and *seq set (the thread stays busy), 0 when none waits. */
int lease_local_done(struct leases *ls, struct run **r, long long *seq);
/* Queue an evaluation of run r for a worker. */
int lease_enqueue(struct leases *ls, struct run *r, long long seq, int rep);
/* A run is being freed: forget its evaluations (their leases are then
 * answered 410 Gone, their results dropped). */
void lease_drop_run(struct leases *ls, const struct run *r);
/* The remote worker holding seq of run, or NULL. */
const char *lease_worker_of(const struct leases *ls, long long run, long long seq);

/* What a worker offers (POST /api/v1/leases). */
struct lease_offer {
    char worker[64]; /* its id, chosen by the worker */
    char host[128];
    int threads;
    unsigned evaluators;  /* bit per enum anas_eval_kind; 0: any */
    int n_datasets;       /* 0: any */
    char datasets[8][32]; /* dataset names it can read */
};

/* The api's view of one lease. */
struct lease_ref {
    long long id;
    struct run *run; /* NULL once the evaluation is no longer out */
    long long run_id, seq;
    int rep;
};

/* The next evaluation for an offer: 1 with *out filled (a new lease), 0
 * when nothing waits that the worker can evaluate. */
int lease_grant(struct leases *ls, const struct lease_offer *o, struct lease_ref *out);

enum lease_state {
    LEASE_UNKNOWN,  /* never issued, or forgotten */
    LEASE_HELD,     /* the evaluation is out under this lease */
    LEASE_LAPSED,   /* expired or released; the evaluation is pending elsewhere */
    LEASE_SETTLED,  /* the evaluation has a result (from this lease or another) */
    LEASE_DROPPED,  /* its run ended before a result came */
};

/* Where a lease stands; fills ref (ref->run is set while the evaluation
 * still waits for a result, under this lease or another). */
enum lease_state lease_find(struct leases *ls, long long id, struct lease_ref *ref);
/* A heartbeat: extend the lease, or take the evaluation back when it
 * lapsed and nobody else holds it. 0, or ANAS_ESTATE when the lease is
 * not the evaluation's any more. */
int lease_heartbeat(struct leases *ls, long long id);
/* The worker gives the evaluation back (shutdown): it waits for another. */
int lease_release(struct leases *ls, long long id);
/* A result for the lease's evaluation was committed. */
void lease_settled(struct leases *ls, long long id);

double lease_timeout(const struct leases *ls);

/* The remote workers seen lately: [{id, host, threads, since, seen,
 * evaluations, lease: {id, run, seq} or null}]. */
json_t *lease_workers_json(const struct leases *ls);
/* The evaluation threads of the remote workers seen lately (an ETA's). */
int lease_remote_threads(const struct leases *ls);
/* Counts for health and /metrics. */
void lease_counts(const struct leases *ls, int *waiting, int *leased, int *workers);

#endif
