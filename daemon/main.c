/*
 * main.c - start-up and shutdown order: settings, logging, database,
 * scheduler (which resumes interrupted runs), HTTP, signals; then the loop.
 * SIGHUP reloads the token files.
 * A stop request closes HTTP first, leaves running runs interrupted, and
 * lets outstanding pool work drain before the database closes.
 */
#include "config.h"

#include "anasd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/log.h"
#include "tensor/blas.h"
#include "events.h"
#include "http.h"
#include "jobs.h"
#include "lease.h"
#include "metrics.h"
#include "route.h"
#include "store.h"
#include "surrogates.h"

double anasd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void log_to_stderr(enum anas_log_level level, const char *msg, void *ctx)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s anasd[%s] %s\n", stamp, anas_log_level_name(level), msg);
}

static enum anas_log_level parse_level(const char *s)
{
    if (strcmp(s, "debug") == 0)
        return ANAS_LOG_DEBUG;
    if (strcmp(s, "warn") == 0)
        return ANAS_LOG_WARN;
    if (strcmp(s, "error") == 0)
        return ANAS_LOG_ERROR;
    return ANAS_LOG_INFO;
}

static void drain_check(uv_idle_t *idle)
{
    struct anasd *d = idle->data;
    if (!jobs_idle(d->jobs) || !surrogates_idle(d->surrogates))
        return;
    uv_idle_stop(idle);
    uv_close((uv_handle_t *)idle, NULL);
    uv_stop(d->loop);
}

void anasd_stop(struct anasd *d)
{
    static uv_idle_t idle;
    if (d->stopping)
        return;
    d->stopping = 1;
    anas_log(ANAS_LOG_INFO, "stopping");
    http_stop(d->http);
    d->http = NULL;
    jobs_shutdown(d->jobs);
    surrogates_shutdown(d->surrogates);
    uv_signal_stop(&d->sig_term);
    uv_signal_stop(&d->sig_int);
    uv_signal_stop(&d->sig_hup);
    idle.data = d;
    uv_idle_init(d->loop, &idle);
    uv_idle_start(&idle, drain_check);
}

static void on_signal(uv_signal_t *h, int signum)
{
    anas_log(ANAS_LOG_INFO, "received signal %d", signum);
    anasd_stop(h->data);
}

int anasd_reload_tokens(struct anasd *d, const char *by, char *why, size_t why_len)
{
    if (!d->conf.token_file[0] && !d->conf.metrics_token_file[0]) {
        snprintf(why, why_len, "no token file to reload");
        return -1;
    }
    if (conf_reload_tokens(&d->conf, why, why_len) < 0)
        return -1;
    anas_log(ANAS_LOG_INFO, "%s: reloaded %d token(s): %d read, %d submit, %d admin, "
             "%d metrics, %d worker", by, d->conf.tokens.n, auth_count(&d->conf.tokens, AUTH_READ),
             auth_count(&d->conf.tokens, AUTH_SUBMIT), auth_count(&d->conf.tokens, AUTH_ADMIN),
             auth_count(&d->conf.tokens, AUTH_METRICS), auth_count(&d->conf.tokens, AUTH_WORKER));
    return 0;
}

/* SIGHUP: new token files take effect for the next request; connections
 * and streams already open are left alone. Logs go to stderr (the journal
 * under systemd), so there is no log file to reopen. */
static void on_hup(uv_signal_t *h, int signum)
{
    char why[512];
    (void)signum;
    if (anasd_reload_tokens(h->data, "SIGHUP", why, sizeof why) < 0)
        anas_log(ANAS_LOG_WARN, "SIGHUP: %s; keeping the tokens loaded before", why);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* The pool is global and sized once, before its first use. */
static void size_pool(int workers)
{
    char n[16];
    /* --workers 0 evaluates nothing here, but the optimizer's steps still
     * run on the pool. */
    snprintf(n, sizeof n, "%d", workers > 0 ? workers : 1);
    setenv("UV_THREADPOOL_SIZE", n, 1);
    /* Each evaluation is one job on one pool thread: BLAS must not spawn
     * threads of its own. OpenBLAS read its variable when it was loaded,
     * before main, so unless the user chose a count it is told here. */
    if (!getenv("OPENBLAS_NUM_THREADS"))
        anas_blas_set_threads(1);
    setenv("OMP_NUM_THREADS", "1", 0);
}

/* Each connection is a descriptor; the database, the loop and the pool
 * need a few dozen more. The soft limit (often 1024) is raised as far as
 * the hard one allows rather than have accept() fail under load. */
static void raise_nofile(int max_connections)
{
    rlim_t want = (rlim_t)max_connections + 64;
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur >= want)
        return;
    r.rlim_cur = r.rlim_max == RLIM_INFINITY || want <= r.rlim_max ? want : r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur < want)
        anas_log(ANAS_LOG_WARN, "--max-connections %d needs %llu open files; the limit is %llu",
                 max_connections, (unsigned long long)want, (unsigned long long)r.rlim_cur);
}

static int serve(struct anasd *d)
{
    struct http_opts o = {.addr = d->conf.listen_addr, .port = d->conf.port,
                          .max_body = (size_t)d->conf.max_body, .max_url = 8192,
                          .max_conns = d->conf.max_connections,
                          .request_timeout = d->conf.request_timeout, .handler = route_dispatch, .ctx = d};
    char why[256];
    raise_nofile(d->conf.max_connections);
    if (http_start(d->loop, &o, &d->http, why, sizeof why) < 0) {
        fprintf(stderr, "anasd: %s\n", why);
        return 1;
    }
    uv_signal_init(d->loop, &d->sig_term);
    uv_signal_init(d->loop, &d->sig_int);
    uv_signal_init(d->loop, &d->sig_hup);
    d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
    uv_signal_start(&d->sig_term, on_signal, SIGTERM);
    uv_signal_start(&d->sig_int, on_signal, SIGINT);
    uv_signal_start(&d->sig_hup, on_hup, SIGHUP);
    if (strchr(d->conf.listen_addr, ':'))
        printf("listening on http://[%s]:%d\n", d->conf.listen_addr, http_port(d->http));
    else
        printf("listening on http://%s:%d\n", d->conf.listen_addr, http_port(d->http));
    fflush(stdout);
    uv_run(d->loop, UV_RUN_DEFAULT);
    return 0;
}

int main(int argc, char **argv)
{
    static struct anasd d;
    char why[512];
    int rc = conf_load(&d.conf, argc, argv, why, sizeof why);
    if (rc == CONF_EXIT_OK)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "anasd: %s\n", why);
        conf_fini(&d.conf);
        return 2;
    }
    anas_log_set_handler(log_to_stderr, NULL);
    anas_log_set_level(parse_level(d.conf.log_level));
    size_pool(d.conf.workers);
    d.loop = uv_default_loop();
    d.started_at = anasd_now();
    if (store_open(d.conf.db, &d.store, why, sizeof why) < 0) {
        fprintf(stderr, "anasd: %s\n", why);
        conf_fini(&d.conf);
        return 1;
    }
    rc = events_new(d.loop, &d.events) < 0 || metrics_new(&d.metrics) < 0 ||
         surrogates_new(&d, &d.surrogates) < 0 || surrogates_start(d.surrogates) < 0 ||
         lease_new(&d, &d.leases) < 0 ||
         jobs_new(&d, &d.jobs) < 0 || jobs_start(d.jobs) < 0;
    if (!rc)
        rc = serve(&d);
    /* Close whatever handles remain so the loop can be closed cleanly. */
    uv_walk(d.loop, close_walk, NULL);
    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    jobs_free(d.jobs);
    lease_free(d.leases);
    surrogates_free(d.surrogates);
    events_free(d.events);
    store_close(d.store);
    metrics_free(d.metrics);
    conf_fini(&d.conf);
    anas_log(ANAS_LOG_INFO, "stopped");
    return rc ? 1 : 0;
}
