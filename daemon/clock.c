/*
 * clock.c - the daemon's two clocks (anasd.h): the wall clock for what is
 * stored and shown (created_at, finished_at), the monotonic clock for
 * every duration (uptime, elapsed, ETA, time budgets), so that a jump of
 * the wall clock (NTP stepping it, an operator setting it) changes no
 * duration and ends no budget early.
 */
#include "config.h"

#include "anasd.h"

#include <time.h>

double anasd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double anasd_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
