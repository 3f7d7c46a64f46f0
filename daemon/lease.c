/*
 * lease.c - evaluations waiting for a worker, their leases, and the remote
 * workers seen (lease.h explains the protocol).
 *
 * The queue is a list in the order evaluations were proposed; one whose
 * lease lapsed goes back to its head, so a lost worker delays a run by one
 * lease timeout, not by the whole queue. Issued leases are remembered in a
 * ring of the last LEASE_RING, long enough to answer a worker that reports
 * late (409) or after its run was canceled (410).
 */
#include "config.h"

#include "lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "metrics.h"
#include "run.h"

#define LEASE_RING 4096
#define MAX_WORKERS 1024

struct entry {
    struct entry *next;
    struct run *run;
    long long run_id, seq;
    int rep;
    long long lease; /* 0 while waiting */
    double deadline;
};

struct issued {
    long long id, run_id, seq;
    int rep;
    enum lease_state state;
    char worker[64];
};

struct worker {
    char id[64];
    char host[128];
    int threads;
    double since, seen;
    long long done;
    long long lease, run, seq; /* the lease it holds, 0 if none */
};

struct leases {
    struct anasd *d;
    struct entry *head;
    long long next_id;
    struct issued ring[LEASE_RING];
    struct worker *workers;
    int n_workers;
    int local_busy;
    int n_waiting, n_leased;
    uv_timer_t timer;
    int timer_on;
};

double lease_timeout(const struct leases *ls)
{
    return ls->d->conf.lease_timeout;
}

static void waiting_add(struct leases *ls, int n)
{
    ls->n_waiting += n;
    metrics_evals_waiting(ls->d->metrics, n);
}

static struct entry *find_entry(struct leases *ls, long long run_id, long long seq,
                                struct entry ***link)
{
    struct entry **p;
    for (p = &ls->head; *p; p = &(*p)->next)
        if ((*p)->run_id == run_id && (*p)->seq == seq) {
            if (link)
                *link = p;
            return *p;
        }
    return NULL;
}

static struct worker *find_worker(const struct leases *ls, const char *id)
{
    for (int i = 0; i < ls->n_workers; i++)
        if (strcmp(ls->workers[i].id, id) == 0)
            return &ls->workers[i];
    return NULL;
}

static int run_live(const struct run *r)
{
    return !r->finished && !r->canceled && !r->interrupted;
}

/* A lapsed evaluation goes to the head of the queue; a free local thread
 * takes it at once. */
static void requeue(struct leases *ls, struct entry *e)
{
    struct entry **link;
    struct worker *w;
    struct issued *is = &ls->ring[e->lease % LEASE_RING];
    if (is->id == e->lease && is->state == LEASE_HELD) {
        is->state = LEASE_LAPSED;
        if ((w = find_worker(ls, is->worker)) && w->lease == e->lease)
            w->lease = 0;
    }
    e->lease = 0;
    ls->n_leased--;
    waiting_add(ls, 1);
    if (find_entry(ls, e->run_id, e->seq, &link)) {
        *link = e->next;
        e->next = ls->head;
        ls->head = e;
    }
    if (ls->local_busy < ls->d->conf.workers && run_live(e->run)) {
        struct run *r = e->run;
        long long seq = e->seq;
        ls->head = e->next;
        free(e);
        waiting_add(ls, -1);
        ls->local_busy++;
        if (dispatch_local(r, seq) < 0)
            ls->local_busy--;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct leases *ls = t->data;
    double now = anasd_now();
    struct entry *e, *next;
    for (e = ls->head; e; e = next) {
        next = e->next;
        if (e->lease && e->deadline < now) {
            anas_log(ANAS_LOG_WARN, "run %lld: lease %lld of evaluation %lld expired; "
                                    "it is handed out again",
                     e->run_id, e->lease, e->seq);
            requeue(ls, e);
        }
    }
}

int lease_new(struct anasd *d, struct leases **out)
{
    struct leases *ls = calloc(1, sizeof *ls);
    double tick;
    if (!ls || !(ls->workers = calloc(MAX_WORKERS, sizeof *ls->workers))) {
        free(ls);
        return ANAS_ENOMEM;
    }
    ls->d = d;
    /* Ids of a later process start above this one's: a worker reporting
     * to a restarted anasd is told its lease is unknown, never mistaken. */
    ls->next_id = (long long)d->started_at * 1000;
    uv_timer_init(d->loop, &ls->timer);
    ls->timer.data = ls;
    tick = d->conf.lease_timeout / 4.0;
    if (tick > 1.0)
        tick = 1.0;
    uv_timer_start(&ls->timer, on_tick, (uint64_t)(tick * 1000), (uint64_t)(tick * 1000));
    uv_unref((uv_handle_t *)&ls->timer);
    ls->timer_on = 1;
    *out = ls;
    return 0;
}

void lease_free(struct leases *ls)
{
    if (!ls)
        return;
    while (ls->head) {
        struct entry *e = ls->head;
        ls->head = e->next;
        free(e);
    }
    free(ls->workers);
    free(ls);
}

/* An evaluation that takes a millisecond or less (analytic, surrogate)
 * may wait in the pool's queue behind the one a thread is doing: the thread
 * goes on to it at once instead of waiting for the loop thread, which may
 * be busy answering requests, to hand it the next one. Up to QUICK_AHEAD of
 * them wait so, as many as the optimizer keeps out: their results come
 * back together and are committed together (commit.c). Longer ones are not
 * queued ahead: a remote worker may take them meanwhile. */
#define QUICK_AHEAD 64

int lease_local_take(struct leases *ls, const struct run *r)
{
    int workers = ls->d->conf.workers;
    if (ls->local_busy >= (run_quick(r) && workers > 0 ? workers + QUICK_AHEAD : workers))
        return 0;
    ls->local_busy++;
    return 1;
}

void lease_local_cancel(struct leases *ls)
{
    ls->local_busy--;
}

int lease_local_done(struct leases *ls, struct run **r, long long *seq)
{
    struct entry **p;
    /* over --workers: that many stay busy, the extra ones take only quick work */
    int extra = ls->local_busy > ls->d->conf.workers;
    for (p = &ls->head; *p; p = &(*p)->next) {
        struct entry *e = *p;
        if (e->lease || !run_live(e->run) || (extra && !run_quick(e->run)))
            continue;
        *p = e->next;
        *r = e->run;
        *seq = e->seq;
        free(e);
        waiting_add(ls, -1);
        return 1;
    }
    ls->local_busy--;
    return 0;
}

int lease_enqueue(struct leases *ls, struct run *r, long long seq, int rep)
{
    struct entry *e = calloc(1, sizeof *e), **p;
    if (!e)
        return ANAS_ENOMEM;
    e->run = r;
    e->run_id = r->id;
    e->seq = seq;
    e->rep = rep;
    for (p = &ls->head; *p; p = &(*p)->next)
        ;
    *p = e;
    waiting_add(ls, 1);
    return 0;
}

void lease_drop_run(struct leases *ls, const struct run *r)
{
    struct entry **p = &ls->head;
    while (*p) {
        struct entry *e = *p;
        if (e->run != r) {
            p = &e->next;
            continue;
        }
        *p = e->next;
        if (e->lease)
            ls->n_leased--;
        else
            waiting_add(ls, -1);
        free(e);
    }
    for (int i = 0; i < LEASE_RING; i++) {
        struct issued *is = &ls->ring[i];
        if (is->id && is->run_id == r->id &&
            (is->state == LEASE_HELD || is->state == LEASE_LAPSED))
            is->state = LEASE_DROPPED;
    }
    for (int i = 0; i < ls->n_workers; i++)
        if (ls->workers[i].lease && ls->workers[i].run == r->id)
            ls->workers[i].lease = 0;
}

const char *lease_worker_of(const struct leases *ls, long long run, long long seq)
{
    for (const struct entry *e = ls->head; e; e = e->next)
        if (e->run_id == run && e->seq == seq && e->lease) {
            const struct issued *is = &ls->ring[e->lease % LEASE_RING];
            return is->id == e->lease ? is->worker : NULL;
        }
    return NULL;
}

/* The worker's entry, created or refreshed; the least recently seen one
 * makes room when the table is full. */
static struct worker *see_worker(struct leases *ls, const struct lease_offer *o)
{
    struct worker *w = find_worker(ls, o->worker);
    double now = anasd_now();
    if (!w) {
        if (ls->n_workers < MAX_WORKERS) {
            w = &ls->workers[ls->n_workers++];
        } else {
            w = &ls->workers[0];
            for (int i = 1; i < ls->n_workers; i++)
                if (ls->workers[i].seen < w->seen)
                    w = &ls->workers[i];
        }
        memset(w, 0, sizeof *w);
        snprintf(w->id, sizeof w->id, "%s", o->worker);
        w->since = now;
    }
    snprintf(w->host, sizeof w->host, "%s", o->host);
    w->threads = o->threads;
    w->seen = now;
    return w;
}

static int can_evaluate(const struct lease_offer *o, const struct run *r)
{
    int i;
    if (o->evaluators && !(o->evaluators & (1u << r->spec.eval_kind)))
        return 0;
    if (!r->spec.has_dataset || o->n_datasets == 0)
        return 1;
    for (i = 0; i < o->n_datasets; i++)
        if (strcmp(o->datasets[i], r->spec.dataset.name) == 0)
            return 1;
    return 0;
}

static void take_lease(struct leases *ls, struct entry *e, long long id, const char *worker_id)
{
    struct issued *is = &ls->ring[id % LEASE_RING];
    char worker[sizeof is->worker];
    struct worker *w = find_worker(ls, worker_id);
    /* worker_id may be is->worker itself (a heartbeat taking a lease back) */
    snprintf(worker, sizeof worker, "%s", worker_id);
    e->lease = id;
    e->deadline = anasd_now() + lease_timeout(ls);
    ls->n_leased++;
    waiting_add(ls, -1);
    memset(is, 0, sizeof *is);
    is->id = id;
    is->run_id = e->run_id;
    is->seq = e->seq;
    is->rep = e->rep;
    is->state = LEASE_HELD;
    snprintf(is->worker, sizeof is->worker, "%s", worker);
    if (w) {
        w->lease = id;
        w->run = e->run_id;
        w->seq = e->seq;
    }
}

static void fill_ref(const struct entry *e, long long id, struct lease_ref *out)
{
    out->id = id;
    out->run = e ? e->run : NULL;
    out->run_id = e ? e->run_id : 0;
    out->seq = e ? e->seq : 0;
    out->rep = e ? e->rep : 0;
}

int lease_grant(struct leases *ls, const struct lease_offer *o, struct lease_ref *out)
{
    struct entry *e;
    see_worker(ls, o);
    for (e = ls->head; e; e = e->next) {
        if (e->lease || !run_live(e->run) || !can_evaluate(o, e->run))
            continue;
        take_lease(ls, e, ++ls->next_id, o->worker);
        fill_ref(e, e->lease, out);
        return 1;
    }
    return 0;
}

enum lease_state lease_find(struct leases *ls, long long id, struct lease_ref *ref)
{
    struct issued *is = &ls->ring[id % LEASE_RING];
    struct entry *e;
    memset(ref, 0, sizeof *ref);
    if (is->id != id)
        return LEASE_UNKNOWN;
    ref->id = id;
    ref->run_id = is->run_id;
    ref->seq = is->seq;
    ref->rep = is->rep;
    if (is->state != LEASE_HELD && is->state != LEASE_LAPSED)
        return is->state;
    e = find_entry(ls, is->run_id, is->seq, NULL);
    if (!e)
        return LEASE_SETTLED; /* by another of its leases */
    if (!run_live(e->run))
        return LEASE_DROPPED;
    ref->run = e->run;
    return is->state;
}

int lease_heartbeat(struct leases *ls, long long id)
{
    struct issued *is = &ls->ring[id % LEASE_RING];
    struct entry *e;
    struct worker *w;
    if (is->id != id || (is->state != LEASE_HELD && is->state != LEASE_LAPSED))
        return ANAS_ESTATE;
    e = find_entry(ls, is->run_id, is->seq, NULL);
    if (!e || !run_live(e->run))
        return ANAS_ESTATE;
    if (e->lease != id) {
        if (e->lease) /* another worker has it now */
            return ANAS_ESTATE;
        take_lease(ls, e, id, is->worker); /* lapsed, but nobody took it: back */
    }
    e->deadline = anasd_now() + lease_timeout(ls);
    if ((w = find_worker(ls, is->worker)))
        w->seen = anasd_now();
    return 0;
}

int lease_release(struct leases *ls, long long id)
{
    struct issued *is = &ls->ring[id % LEASE_RING];
    struct entry *e;
    if (is->id != id || is->state != LEASE_HELD)
        return ANAS_ESTATE;
    e = find_entry(ls, is->run_id, is->seq, NULL);
    if (!e || e->lease != id)
        return ANAS_ESTATE;
    anas_log(ANAS_LOG_INFO, "run %lld: lease %lld of evaluation %lld released by %s",
             e->run_id, id, e->seq, is->worker);
    requeue(ls, e);
    return 0;
}

void lease_settled(struct leases *ls, long long id)
{
    struct issued *is = &ls->ring[id % LEASE_RING];
    struct entry **link, *e;
    struct worker *w;
    if (is->id != id)
        return;
    if ((e = find_entry(ls, is->run_id, is->seq, &link))) {
        *link = e->next;
        if (e->lease)
            ls->n_leased--;
        else
            waiting_add(ls, -1);
        if (e->lease && e->lease != id) {
            /* another worker still computes it: its report will get 409 */
            struct issued *other = &ls->ring[e->lease % LEASE_RING];
            struct worker *ow = other->id == e->lease ? find_worker(ls, other->worker) : NULL;
            if (ow && ow->lease == e->lease)
                ow->lease = 0;
        }
        free(e);
    }
    is->state = LEASE_SETTLED;
    if ((w = find_worker(ls, is->worker))) {
        w->done++;
        w->seen = anasd_now();
        if (w->lease == id)
            w->lease = 0;
    }
}

json_t *lease_workers_json(const struct leases *ls)
{
    json_t *a = json_array();
    double now = anasd_now();
    for (int i = 0; i < ls->n_workers; i++) {
        const struct worker *w = &ls->workers[i];
        json_t *o;
        /* a worker silent for ten lease timeouts is gone */
        if (now - w->seen > 10 * lease_timeout(ls))
            continue;
        o = json_pack("{s:s, s:s, s:i, s:f, s:f, s:I}", "id", w->id, "host", w->host,
                      "threads", w->threads, "since", w->since, "seen", w->seen,
                      "evaluations", (json_int_t)w->done);
        json_object_set_new(o, "lease",
                            w->lease ? json_pack("{s:I, s:I, s:I}", "id", (json_int_t)w->lease,
                                                 "run", (json_int_t)w->run, "seq",
                                                 (json_int_t)w->seq)
                                     : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

int lease_remote_threads(const struct leases *ls)
{
    double now = anasd_now();
    int n = 0;
    for (int i = 0; i < ls->n_workers; i++)
        if (now - ls->workers[i].seen <= 10 * lease_timeout(ls))
            n += ls->workers[i].threads;
    return n;
}

void lease_counts(const struct leases *ls, int *waiting, int *leased, int *workers)
{
    double now = anasd_now();
    int n = 0;
    for (int i = 0; i < ls->n_workers; i++)
        n += now - ls->workers[i].seen <= 10 * lease_timeout(ls);
    *waiting = ls->n_waiting;
    *leased = ls->n_leased;
    *workers = n;
}
