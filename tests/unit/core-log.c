/*
 * core-log.c - log handler hook and level threshold.
 */
#include "config.h"

#include "core/log.h"

#include <string.h>

#include "tap.h"

struct capture {
    int n;
    enum anas_log_level level;
    char msg[64];
};

static void capture_fn(enum anas_log_level level, const char *msg, void *ctx)
{
    struct capture *c = ctx;

    c->n++;
    c->level = level;
    snprintf(c->msg, sizeof c->msg, "%s", msg);
}

int main(void)
{
    struct capture c = {0, ANAS_LOG_DEBUG, ""};
    char big[3000];

    plan(10);
    anas_log_set_handler(capture_fn, &c);
    anas_log(ANAS_LOG_INFO, "run %d: %s", 7, "done");
    is_int(c.n, 1, "the handler gets a line");
    is_str(c.msg, "run 7: done", "... formatted");
    is_int(c.level, ANAS_LOG_INFO, "... with its level");

    anas_log(ANAS_LOG_DEBUG, "hidden");
    is_int(c.n, 1, "debug is below the default threshold");
    anas_log_set_level(ANAS_LOG_DEBUG);
    anas_log(ANAS_LOG_DEBUG, "shown");
    is_int(c.n, 2, "lowering the threshold lets debug through");
    anas_log_set_level(ANAS_LOG_ERROR);
    anas_log(ANAS_LOG_WARN, "hidden");
    anas_log(ANAS_LOG_ERROR, "fatal");
    ok(c.n == 3 && strcmp(c.msg, "fatal") == 0, "the threshold filters by level");

    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    anas_log(ANAS_LOG_ERROR, "%s", big);
    ok(c.n == 4 && c.msg[0] == 'y', "a long line is truncated, not dropped");

    is_str(anas_log_level_name(ANAS_LOG_WARN), "warn", "level name");
    is_str(anas_log_level_name((enum anas_log_level)42), "unknown", "unknown level name");

    anas_log_set_handler(NULL, NULL);
    anas_log(ANAS_LOG_ERROR, "core-log: this line goes to stderr");
    is_int(c.n, 4, "without a handler lines go to stderr");
    return done();
}
