/*
 * conf.h - the daemon's settings: one table of options, read from a JSON
 * config file and then from the command line (which wins).
 *
 *     struct conf c;
 *     char why[256];
 *     int rc = conf_load(&c, argc, argv, why, sizeof why);
 *     if (rc == CONF_EXIT_OK) ... --help or --version was printed
 *     ...
 *     conf_fini(&c);
 */
#ifndef ANASD_CONF_H
#define ANASD_CONF_H

#include <stddef.h>

#include "auth.h"

#define CONF_MAX_ROOTS 16
#define CONF_PATH_MAX 4096
#define CONF_ORIGINS_MAX 1024

enum {
    CONF_OK = 0,
    CONF_EXIT_OK = 1, /* --help/--version printed: exit 0 */
    CONF_ERROR = -1,  /* usage or config error: exit 2 */
};

struct conf {
    char listen_addr[64]; /* IPv4 or IPv6 literal */
    int port;
    char db[CONF_PATH_MAX];
    int workers;       /* local evaluation threads; 0: remote workers only */
    int lease_timeout; /* seconds a remote worker's lease lasts without a heartbeat */
    int max_runs;
    int max_queued;
    int max_streams; /* open event streams (api_events.c) */
    int sse_heartbeat; /* seconds of silence before a stream's heartbeat */
    int max_connections;
    int request_timeout; /* seconds to send a request; of silence */
    long max_body;
    char token_file[CONF_PATH_MAX];
    char metrics_token_file[CONF_PATH_MAX];
    char cors_origin[CONF_ORIGINS_MAX]; /* comma-separated origins, "*" or empty */
    char log_level[8];
    int n_data_roots;
    char *data_roots[CONF_MAX_ROOTS];   /* realpath'd */
    int n_model_roots;
    char *model_roots[CONF_MAX_ROOTS];  /* realpath'd */
    struct auth_tokens tokens;   /* both files' */
    int n_api_tokens;            /* of them, --token-file's: with any, the API needs one */
    char www_root[CONF_PATH_MAX];      /* the dashboard, served at / */
    char chartjs_root[CONF_PATH_MAX];  /* Chart.js, at /vendor/chart.js/ */
    char examples_root[CONF_PATH_MAX]; /* example specs, at /examples/ */
};

int conf_load(struct conf *c, int argc, char **argv, char *why, size_t why_len);
void conf_fini(struct conf *c);

/* Read --token-file and --metrics-token-file again (SIGHUP). On any error
 * (unreadable, no token) the reason is in why and the tokens held so far
 * stay in force. */
int conf_reload_tokens(struct conf *c, char *why, size_t why_len);

/* Is origin (a request's Origin header) one --cors-origin allows? */
int conf_cors_allows(const struct conf *c, const char *origin);

/* Is the listen address a loopback one (127.0.0.0/8, ::1, localhost)? */
int conf_is_loopback(const char *addr);

/* Does `path` resolve (realpath) inside one of `roots`? On success the
 * resolved path is written to out. ANAS_ENOTFOUND when it does not exist,
 * ANAS_EDENIED when outside every root. */
int conf_path_in_roots(char *const *roots, int n_roots, const char *path, char *out,
                       size_t out_len);

#endif
