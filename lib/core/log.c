/*
 * log.c - levelled logging through one replaceable handler.
 *
 * The handler, its context and the threshold are process-wide settings
 * guarded by a mutex. The threshold filters every line, whichever handler
 * receives it. The handler is called outside the lock, so a handler may
 * itself log or change the settings without deadlocking.
 */
#include "config.h"

#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static anas_log_fn log_fn;
static void *log_ctx;
static enum anas_log_level log_min = ANAS_LOG_INFO;

void anas_log_set_handler(anas_log_fn fn, void *ctx)
{
    pthread_mutex_lock(&log_lock);
    log_fn = fn;
    log_ctx = ctx;
    pthread_mutex_unlock(&log_lock);
}

void anas_log_set_level(enum anas_log_level min)
{
    pthread_mutex_lock(&log_lock);
    log_min = min;
    pthread_mutex_unlock(&log_lock);
}

const char *anas_log_level_name(enum anas_log_level level)
{
    switch (level) {
    case ANAS_LOG_DEBUG:
        return "debug";
    case ANAS_LOG_INFO:
        return "info";
    case ANAS_LOG_WARN:
        return "warn";
    case ANAS_LOG_ERROR:
        return "error";
    }
    return "unknown";
}

void anas_log(enum anas_log_level level, const char *fmt, ...)
{
    char msg[1024];
    anas_log_fn fn;
    void *ctx;
    int wanted;
    va_list ap;

    pthread_mutex_lock(&log_lock);
    fn = log_fn;
    ctx = log_ctx;
    wanted = level >= log_min;
    pthread_mutex_unlock(&log_lock);
    if (!wanted)
        return;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    if (fn)
        fn(level, msg, ctx);
    else
        fprintf(stderr, "anas: %s: %s\n", anas_log_level_name(level), msg);
}
