/*
 * log.h - levelled logging with a hook, so the daemon decides where lines go.
 *
 *     anas_log_set_handler(my_handler, my_ctx);   // once, at start-up
 *     anas_log(ANAS_LOG_INFO, "run %ld: %d evaluations", id, n);
 *
 * Without a handler, lines at or above the threshold go to stderr.
 * anas_log() is thread-safe; the handler must be too.
 */
#ifndef ANAS_CORE_LOG_H
#define ANAS_CORE_LOG_H

enum anas_log_level {
    ANAS_LOG_DEBUG,
    ANAS_LOG_INFO,
    ANAS_LOG_WARN,
    ANAS_LOG_ERROR,
};

typedef void (*anas_log_fn)(enum anas_log_level level, const char *msg, void *ctx);

void anas_log_set_handler(anas_log_fn fn, void *ctx);
void anas_log_set_level(enum anas_log_level min);
const char *anas_log_level_name(enum anas_log_level level);
void anas_log(enum anas_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
