/*
 * tensor-team.c - the thread team: every part runs once per run, on as
 * many threads as asked, the caller taking part 0; runs follow each other
 * (thousands of them, as the layers of training steps do), including after
 * the workers went to sleep; a NULL team runs inline; anas_team_split
 * cuts ranges into aligned, covering, disjoint parts.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "tensor/team.h"

#include "tap.h"

struct tally {
    atomic_int calls[ANAS_TEAM_MAX];
    atomic_int wrong_n;
    pthread_t caller;
    atomic_int caller_is_0;
    long sum[ANAS_TEAM_MAX];
};

static void count(void *ctx, int i, int n)
{
    struct tally *t = ctx;

    atomic_fetch_add(&t->calls[i], 1);
    if (n != ANAS_TEAM_MAX && n < 1)
        atomic_fetch_add(&t->wrong_n, 1);
    if (i == 0 && pthread_equal(pthread_self(), t->caller))
        atomic_store(&t->caller_is_0, 1);
}

/* Each part sums its slice of 0..N-1: the parts' sums add up to the total
 * only if the slices cover the range exactly once. */
#define N 100003
static void partial_sum(void *ctx, int i, int n)
{
    struct tally *t = ctx;
    size_t lo, hi;

    anas_team_split(N, i, n, 16, &lo, &hi);
    t->sum[i] = 0;
    for (size_t k = lo; k < hi; k++)
        t->sum[i] += (long)k;
}

static void runs(int n)
{
    struct anas_team *team = anas_team_new(n);
    struct tally t;
    int good = 1;
    long total;

    memset(&t, 0, sizeof(t));
    t.caller = pthread_self();
    ok(team && anas_team_size(team) == n, "a team of %d starts", n);
    for (int r = 0; r < 2000; r++)
        anas_team_run(team, count, &t);
    for (int i = 0; i < n; i++)
        good &= atomic_load(&t.calls[i]) == 2000;
    ok(good && atomic_load(&t.caller_is_0),
       "%d threads: each part ran once per run, 2000 runs; "
       "the caller ran part 0",
       n);
    /* let the workers fall asleep, then wake them */
    {
        struct timespec ts = {0, 5000000};

        nanosleep(&ts, NULL);
    }
    anas_team_run(team, partial_sum, &t);
    total = 0;
    for (int i = 0; i < n; i++)
        total += t.sum[i];
    ok(total == (long)N * (N - 1) / 2,
       "%d threads after a sleep: the slices cover 0..%d once", n, N - 1);
    anas_team_free(team);
}

int main(void)
{
    struct tally t;
    size_t lo, hi, prev = 0;
    int good = 1;

    plan(12);
    runs(1);
    runs(2);
    runs(3);

    memset(&t, 0, sizeof(t));
    t.caller = pthread_self();
    anas_team_run(NULL, count, &t);
    ok(atomic_load(&t.calls[0]) == 1 && atomic_load(&t.caller_is_0) &&
           anas_team_size(NULL) == 1,
       "a NULL team runs part 0 of 1 on the caller");
    ok(anas_team_new(0) == NULL && anas_team_new(ANAS_TEAM_MAX + 1) == NULL,
       "team sizes out of 1..%d are refused", ANAS_TEAM_MAX);
    for (int i = 0; i < 7; i++) {
        anas_team_split(1000, i, 7, 16, &lo, &hi);
        good &= lo == prev && lo <= hi && (lo % 16 == 0 || lo == 1000);
        prev = hi;
    }
    ok(good && prev == 1000,
       "split: 7 aligned parts of 1000 follow each other to the end");
    return done();
}
