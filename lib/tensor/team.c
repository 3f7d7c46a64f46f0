/*
 * team.c - the thread team: a generation counter to start a run, a count
 * of workers still busy to end it.
 *
 * The caller publishes (fn, ctx) and bumps `gen` with release order; a
 * worker that sees the new generation (acquire) runs its part and
 * decrements `pending`; the caller runs part 0 and spins until `pending`
 * is 0. Waiting workers spin on `gen` for SPIN_NS, then sleep on the
 * condition variable: the caller takes the mutex to wake sleepers only
 * when there are any, so that back-to-back runs (the layers of a step)
 * cost two atomic operations per worker and no system call.
 */
#include "config.h"

#include "tensor/team.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "core/alloc.h"

/* How long an idle worker spins before it sleeps, and how many pauses a
 * waiting thread spins through before it yields its core at each turn (a
 * thread of the team may be waiting for that core: the machine can be
 * busier than the team is large). */
#define SPIN_NS    200000L
#define SPIN_PAUSE 2000

struct worker {
    struct anas_team *team;
    int index;
    pthread_t thread;
};

struct anas_team {
    int n;
    void (*fn)(void *ctx, int i, int n);
    void *ctx;
    atomic_uint gen;    /* bumped once per run, and to stop */
    atomic_int pending; /* workers yet to finish the current run */
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sleepers;           /* under mu */
    struct worker *workers; /* (n - 1) */
};

/* The calling thread's loan (anas_team_lend), and whether it is running a
 * part of a team run now. */
static _Thread_local struct anas_team *lent;
static _Thread_local int in_run;

void anas_team_lend(struct anas_team *team)
{
    lent = team;
}

struct anas_team *anas_team_lent(void)
{
    return in_run ? NULL : lent;
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* Wait until gen differs from seen; returns the new value. */
static unsigned wait_gen(struct anas_team *team, unsigned seen)
{
    struct timespec t0;
    unsigned g;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1;; i++) {
        g = atomic_load_explicit(&team->gen, memory_order_acquire);
        if (g != seen)
            return g;
        if (i < SPIN_PAUSE)
            relax();
        else
            sched_yield();
        if (i % 64 == 0 && elapsed_ns(&t0) > SPIN_NS)
            break;
    }
    pthread_mutex_lock(&team->mu);
    team->sleepers++;
    while ((g = atomic_load_explicit(&team->gen, memory_order_acquire)) == seen)
        pthread_cond_wait(&team->cv, &team->mu);
    team->sleepers--;
    pthread_mutex_unlock(&team->mu);
    return g;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct anas_team *team = w->team;
    unsigned seen = 0;

    in_run = 1; /* a worker only ever runs parts */
    for (;;) {
        seen = wait_gen(team, seen);
        if (atomic_load_explicit(&team->stop, memory_order_acquire))
            return NULL;
        team->fn(team->ctx, w->index, team->n);
        atomic_fetch_sub_explicit(&team->pending, 1, memory_order_release);
    }
}

/* Publish a new generation and wake the workers that went to sleep. */
static void bump(struct anas_team *team)
{
    atomic_fetch_add_explicit(&team->gen, 1, memory_order_release);
    pthread_mutex_lock(&team->mu);
    if (team->sleepers)
        pthread_cond_broadcast(&team->cv);
    pthread_mutex_unlock(&team->mu);
}

struct anas_team *anas_team_new(int n)
{
    struct anas_team *team;
    int started = 0;

    if (n < 1 || n > ANAS_TEAM_MAX)
        return NULL;
    team = anas_calloc(1, sizeof(*team));
    if (!team)
        return NULL;
    team->n = n;
    atomic_init(&team->gen, 0);
    atomic_init(&team->pending, 0);
    atomic_init(&team->stop, 0);
    if (pthread_mutex_init(&team->mu, NULL)) {
        anas_free(team);
        return NULL;
    }
    if (pthread_cond_init(&team->cv, NULL)) {
        pthread_mutex_destroy(&team->mu);
        anas_free(team);
        return NULL;
    }
    team->workers = anas_calloc((size_t)n, sizeof(*team->workers));
    if (!team->workers)
        goto fail;
    for (int i = 1; i < n; i++, started++) {
        struct worker *w = &team->workers[i - 1];

        w->team = team;
        w->index = i;
        if (pthread_create(&w->thread, NULL, worker_main, w))
            goto fail;
    }
    return team;
fail:
    team->n = started + 1; /* anas_team_free joins those that run */
    anas_team_free(team);
    return NULL;
}

void anas_team_free(struct anas_team *team)
{
    if (!team)
        return;
    atomic_store_explicit(&team->stop, 1, memory_order_release);
    bump(team);
    for (int i = 1; i < team->n && team->workers; i++)
        pthread_join(team->workers[i - 1].thread, NULL);
    pthread_cond_destroy(&team->cv);
    pthread_mutex_destroy(&team->mu);
    anas_free(team->workers);
    anas_free(team);
}

int anas_team_size(const struct anas_team *team)
{
    return team ? team->n : 1;
}

void anas_team_run(struct anas_team *team, void (*fn)(void *ctx, int i, int n), void *ctx)
{
    int outer = in_run;

    in_run = 1;
    if (!team || team->n == 1) {
        fn(ctx, 0, 1);
        in_run = outer;
        return;
    }
    team->fn = fn;
    team->ctx = ctx;
    atomic_store_explicit(&team->pending, team->n - 1, memory_order_relaxed);
    bump(team);
    fn(ctx, 0, team->n);
    in_run = outer;
    for (int i = 0; atomic_load_explicit(&team->pending, memory_order_acquire) > 0; i++) {
        if (i < SPIN_PAUSE)
            relax();
        else
            sched_yield();
    }
}
