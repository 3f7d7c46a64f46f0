/*
 * main.c - start-up and shutdown order: settings, logging, database,
 * scheduler (which resumes interrupted runs), HTTP, signals; then the loop.
 * SIGHUP reloads the token files.
 * A stop request closes HTTP first, leaves running runs interrupted, and
 * lets outstanding pool work drain before the database closes.
 */
#include "config.h"

#include "anasd.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/log.h"
#include "evalsetup.h"
#include "http.h"
#include "route.h"

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

static void on_signal(uv_signal_t *h, int signum)
{
    anas_log(ANAS_LOG_INFO, "received signal %d", signum);
    anasd_stop(h->data);
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

/* The pool is global and sized once, before its first use. */
static void size_pool(struct anasd *d, int workers)
{
    char n[16];
    /* --workers 0 evaluates nothing here, but the optimizer's steps still
     * run on the pool. */
    snprintf(n, sizeof n, "%d", workers > 0 ? workers : 1);
    setenv("UV_THREADPOOL_SIZE", n, 1);
    /* Each evaluation is one job on one pool thread, with a team of
     * OPENBLAS_NUM_THREADS threads as far as the CPUs go round; BLAS adds
     * none of its own. */
    d->eval_threads = evalsetup_threads(workers);
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
    d->signals = 1;
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
    /* A file size limit (ulimit -f) must fail the write, which the store
     * handles like a full disk, rather than kill the daemon. */
    signal(SIGXFSZ, SIG_IGN);
    size_pool(&d, d.conf.workers);
    if (anasd_open(&d, uv_default_loop(), why, sizeof why) < 0) {
        fprintf(stderr, "anasd: %s\n", why);
        rc = 1;
    } else {
        rc = serve(&d);
    }
    anasd_close(&d);
    anas_log(ANAS_LOG_INFO, "stopped");
    return rc;
}
