/*
 * team.h - a fixed team of threads for data-parallel kernels.
 *
 * A team of n threads is the caller plus n - 1 workers it starts once.
 * anas_team_run() hands the same function to all n, each with its own
 * index, and returns when all have finished: a fork and a join, cheap
 * enough (a few microseconds) to run once per layer of a training step.
 * Between runs the workers spin for a short while, so that the next layer
 * finds them awake, then sleep on a condition variable.
 *
 *     static void part(void *ctx, int i, int n)
 *     {
 *         size_t lo, hi;
 *
 *         anas_team_split(len, i, n, 16, &lo, &hi);
 *         relu(y + lo, x + lo, hi - lo);
 *     }
 *     struct anas_team *t = anas_team_new(2);
 *     anas_team_run(t, part, NULL);
 *     anas_team_free(t);
 *
 * A NULL team is a team of one: anas_team_run() then calls fn(ctx, 0, 1)
 * on the caller's thread. A team is driven by one thread at a time (it is
 * not re-entrant: fn must not run the team again). Functions run by a team
 * that call OpenBLAS want it single-threaded (anas_blas_set_threads(1)),
 * or its threads and the team's compete for the same cores.
 */
#ifndef ANAS_TENSOR_TEAM_H
#define ANAS_TENSOR_TEAM_H

#include <stddef.h>

#define ANAS_TEAM_MAX 64

struct anas_team;

/* A team of n threads (1..ANAS_TEAM_MAX), starting n - 1 of them. NULL
 * when n is out of range or a thread cannot be started. */
struct anas_team *anas_team_new(int n);

/* Stop and join the workers. NULL is a no-op. */
void anas_team_free(struct anas_team *team);

/* n of the team; 1 for NULL. */
int anas_team_size(const struct anas_team *team);

/* fn(ctx, i, n) for every i in 0..n-1, i = 0 on the caller's thread. */
void anas_team_run(struct anas_team *team, void (*fn)(void *ctx, int i, int n),
                   void *ctx);

/* Lend `team` to the sgemm calls the calling thread makes outside runs of
 * it: anas_blas_sgemm then splits a large product's rows between the
 * team's threads, each part a single-threaded OpenBLAS call,
 * so that work outside the team's own kernels (an analog tile's products,
 * say) has the same cores; the products equal one call's up to float
 * rounding. Thread-local;
 * NULL ends the loan, which must end before the team is freed. */
void anas_team_lend(struct anas_team *team);

/* The team lent to the calling thread; NULL when none, and while the
 * thread runs a part of a team run (teams do not nest). */
struct anas_team *anas_team_lent(void);

/* Part i of n of [0, total): [*lo, *hi), near-equal parts whose bounds are
 * multiples of align (but for the last), so that parts do not share cache
 * lines when align covers one. */
static inline void anas_team_split(size_t total, int i, int n, size_t align, size_t *lo,
                                   size_t *hi)
{
    size_t blocks = (total + align - 1) / align;
    size_t a = blocks * (size_t)i / (size_t)n, b = blocks * (size_t)(i + 1) / (size_t)n;

    *lo = a * align < total ? a * align : total;
    *hi = b * align < total ? b * align : total;
}

#endif
