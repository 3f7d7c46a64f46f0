/*
 * anasctl.h - the command-line client of anasd: what its files share.
 *
 * anasctl speaks only HTTP to anasd (doc/api.md). http.c is the one file
 * that includes <curl/curl.h>; gate.c is pure (unit-tested); the others
 * turn the API's JSON into tables, progress lines and exit codes.
 */
#ifndef ANASCTL_H
#define ANASCTL_H

#include <jansson.h>
#include <stdio.h>

/* Exit codes (doc/anasctl.1, EXIT STATUS). */
enum {
    EX_PASS = 0,     /* command done; gates passed; the run succeeded */
    EX_GATE = 1,     /* a gate failed */
    EX_RUN = 2,      /* the run failed or was canceled */
    EX_NET = 3,      /* server unreachable, or --timeout passed */
    EX_API = 4,      /* the server refused the request (a problem+json) */
    EX_USAGE = 64,   /* bad command line, unreadable file (sysexits' EX_USAGE) */
};

struct ctl {
    const char *url;   /* without a trailing slash */
    const char *token; /* never printed; sent only as a header */
    int json, quiet;
    double deadline;   /* monotonic seconds; 0: none */
};

/* http.c */
struct http_resp {
    long status;    /* 0 when the server was not reached */
    char *body;     /* NUL-terminated; may hold binary data before it */
    size_t len;
    char err[256];  /* transport error, when status is 0 */
};

int http_init(void);
void http_cleanup(void);
/* Returns 0 when an HTTP answer arrived (any status), -1 otherwise. */
int http_request(const struct ctl *c, const char *method, const char *path,
                 const char *body, size_t body_len, struct http_resp *r);
void http_resp_free(struct http_resp *r);

/* A server-sent event; return nonzero from the callback to stop. */
struct sse_event {
    const char *event, *id, *data;
};
typedef int (*sse_fn)(const struct sse_event *ev, void *arg);
/* sse.c: text/event-stream parsing, bytes in, events out. */
struct sse_parser {
    sse_fn fn;
    void *arg;
    char *line; /* the line being read */
    size_t line_len, line_cap;
    char *event, *id, *data; /* the event being assembled */
    int stopped;
};
/* 0, 1 when the callback stopped the stream, -1 out of memory. */
int sse_feed(struct sse_parser *s, const char *p, size_t n);
void sse_parser_free(struct sse_parser *s);

/* Follows an event stream until it ends, the callback stops it or the
 * deadline passes; r gets the status (and the body when it is not 200). */
int http_sse(const struct ctl *c, const char *path, sse_fn fn, void *arg, struct http_resp *r);

double now_s(void);

/* out.c */
int out_api_error(const struct http_resp *r, const char *what);
int out_net_error(const struct http_resp *r, const struct ctl *c);
/* GET path as JSON: 0 with *out set, or an exit code (error printed). */
int out_get_json(const struct ctl *c, const char *path, json_t **out);
void out_json(const json_t *j);
void out_num(FILE *f, const json_t *v);
void out_metrics(FILE *f, const json_t *metrics, int max);
void out_run_line(FILE *f, const json_t *run);
void out_run_status(FILE *f, const json_t *run);
void out_best(FILE *f, const json_t *best, const json_t *summary);
void out_evaluation(FILE *f, const json_t *ev);

/* gate.c: --fail-under METRIC=VALUE and --fail-over METRIC=VALUE */
struct gate {
    char metric[64];
    int over;        /* 1: fails when the value is above the threshold */
    double threshold;
    /* filled by gate_check */
    int has_value, passed;
    double value;
    char source[16]; /* "best" or "summary" */
};
int gate_parse(const char *arg, int over, struct gate *g, char *err, size_t errlen);
/* Checks every gate against a run object; returns how many failed. */
int gate_check(struct gate *g, int n, const json_t *run);
void gate_describe(const struct gate *g, char *buf, size_t len);

/* wait.c */
struct wait_opts {
    struct gate *gates;
    int n_gates;
    const char *junit;
};
int wait_run(const struct ctl *c, long id, const struct wait_opts *w);
int follow_evaluations(const struct ctl *c, long id);

/* junit.c */
int junit_write(const char *path, long run, const struct gate *g, int n, const char *run_state);

#endif
