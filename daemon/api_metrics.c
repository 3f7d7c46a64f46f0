/*
 * api_metrics.c - GET /metrics: the registry (metrics.c) brought up to date
 * with what is read at scrape time - runs in the database, the pool, the
 * queues, open event streams, the database's size, the process - then
 * rendered in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * The process_* families are those Prometheus' client libraries export
 * (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics),
 * read from getrusage(2), getrlimit(2) and Linux's /proc/self (proc(5));
 * where /proc is missing they are left without samples.
 */
#include "config.h"

#include "api.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "checkpoint.h"
#include "jobs.h"
#include "metrics.h"
#include "reply.h"
#include "run.h"
#include "store.h"

#define EXPOSITION_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char *const no_labels[] = {NULL};

static long long count_state(struct anasd *d, const char *state)
{
    long long n = 0;
    store_run_count_in_state(d->store, state, &n);
    return n;
}

static int collect_runs(struct anasd *d, struct metrics *m)
{
    static const char *const states[] = {"queued",    "running",  "succeeded",
                                         "failed",    "canceled", "interrupted"};
    long long queued = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof states / sizeof states[0]; i++) {
        long long n = count_state(d, states[i]);
        if (strcmp(states[i], "queued") == 0 || strcmp(states[i], "interrupted") == 0)
            queued += n;
        rc = metrics_set(m, METRICS_RUNS, (const char *[]){states[i]}, (double)n);
    }
    /* Interrupted runs wait for a slot as queued ones do (jobs.h). */
    if (rc == 0)
        rc = metrics_set(m, METRICS_QUEUE_DEPTH, (const char *[]){"runs"}, (double)queued);
    if (rc == 0)
        rc = metrics_set(m, METRICS_QUEUE_DEPTH, (const char *[]){"evaluations"},
                         metrics_evals_waiting_now(m));
    return rc;
}

/* How the store's writes went: commits.c's batches, the write-ahead log,
 * the checkpointer (checkpoint.c). */
static int collect_store(struct anasd *d, struct metrics *m)
{
    unsigned long long rounds;
    double held;
    int rc = metrics_set(m, METRICS_STORE_COMMITS, no_labels,
                         (double)commits_batches(jobs_commits(d->jobs)));
    checkpoint_stats(d->checkpoint, &rounds, &held);
    if (rc == 0)
        rc = metrics_set(m, METRICS_STORE_LOG_PAGES, no_labels,
                         (double)store_log_pages(d->store));
    if (rc == 0)
        rc = metrics_set(m, METRICS_STORE_CHECKPOINTS, no_labels, (double)rounds);
    if (rc == 0)
        rc = metrics_set(m, METRICS_STORE_HELD, no_labels, held);
    return rc;
}

static int collect_daemon(struct anasd *d, struct metrics *m)
{
    long long bytes = 0;
    int rc = metrics_set(m, METRICS_BUILD_INFO, (const char *[]){PACKAGE_VERSION}, 1);
    if (rc == 0)
        rc = metrics_set(m, METRICS_POOL_THREADS, no_labels, d->conf.workers);
    if (rc == 0)
        rc = metrics_set(m, METRICS_POOL_BUSY, no_labels, metrics_pool_busy(m));
    if (rc == 0)
        rc = metrics_set(m, METRICS_STREAMS_OPEN, no_labels, anasd_streams_open(d));
    if (rc == 0 && store_size(d->store, &bytes) == 0)
        rc = metrics_set(m, METRICS_DATABASE_BYTES, no_labels, (double)bytes);
    return rc == 0 ? collect_store(d, m) : rc;
}

/* Entries of /proc/self/fd, less the one reading it. */
static long open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;
    if (!dir)
        return -1;
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n - 1;
}

/* /proc/self/statm: sizes in pages, virtual first, then resident. */
static int memory_bytes(double *vsz, double *rss)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages_v = 0, pages_r = 0;
    long page = sysconf(_SC_PAGESIZE);
    int n = f ? fscanf(f, "%llu %llu", &pages_v, &pages_r) : 0;
    if (f)
        fclose(f);
    if (n != 2 || page <= 0)
        return -1;
    *vsz = (double)pages_v * (double)page;
    *rss = (double)pages_r * (double)page;
    return 0;
}

static int collect_process(struct anasd *d, struct metrics *m)
{
    struct rusage ru;
    struct rlimit rl;
    double vsz, rss;
    long fds = open_fds();
    int rc = metrics_set(m, METRICS_PROCESS_START, no_labels, d->started_at);
    if (rc == 0 && getrusage(RUSAGE_SELF, &ru) == 0)
        rc = metrics_set(m, METRICS_PROCESS_CPU, no_labels,
                         (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                             ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6);
    if (rc == 0 && memory_bytes(&vsz, &rss) == 0) {
        rc = metrics_set(m, METRICS_PROCESS_RSS, no_labels, rss);
        if (rc == 0)
            rc = metrics_set(m, METRICS_PROCESS_VSZ, no_labels, vsz);
    }
    if (rc == 0 && fds >= 0)
        rc = metrics_set(m, METRICS_PROCESS_FDS, no_labels, (double)fds);
    if (rc == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        rc = metrics_set(m, METRICS_PROCESS_MAX_FDS, no_labels, (double)rl.rlim_cur);
    return rc;
}

int api_metrics_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    char *text = NULL;
    size_t len = 0;
    (void)a;
    if (collect_runs(d, d->metrics) < 0 || collect_daemon(d, d->metrics) < 0 ||
        collect_process(d, d->metrics) < 0 || metrics_write(d->metrics, &text, &len) < 0)
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    return reply_text(rs, 200, EXPOSITION_TYPE, text, len);
}
