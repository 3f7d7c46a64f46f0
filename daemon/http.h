/*
 * http.h - libmicrohttpd inside the libuv loop (the only user of
 * <microhttpd.h>).
 *
 * MHD runs in external-select mode with its epoll fd watched by a uv_poll_t
 * and its timeout by a uv_timer_t, so every request handler runs on the loop
 * thread: handlers may use the store and the scheduler without locks, and
 * must never block on compute.
 *
 *     struct http *h;
 *     struct http_opts o = {.addr = "127.0.0.1", .port = 0, .max_body = 1 << 20,
 *                           .max_url = 4096, .handler = dispatch, .ctx = d};
 *     if (http_start(loop, &o, &h, why, sizeof why) < 0) ...
 *     printf("listening on http://127.0.0.1:%d\n", http_port(h));
 *     ...
 *     http_stop(h);
 *
 * The handler gets the whole request (body accumulated up to max_body) and
 * fills a response; http.c sends it. A body over max_body or a URL over
 * max_url reaches the handler with rq->too_big = 413 or 414 (and no body),
 * so the handler answers with a problem+json.
 *
 * A response may instead be a stream of unknown length (Server-Sent
 * Events): the handler sets rs->stream and http.c pulls the bytes when the
 * client can take them. A stream with nothing to say costs no polling: its
 * connection is suspended until the producer calls http_stream_wake().
 */
#ifndef ANASD_HTTP_H
#define ANASD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#define REQ_MAX_QUERY 16

struct req_param {
    char *name;
    char *value; /* URL-decoded */
};

struct req {
    const char *method;
    const char *path;           /* without the query string, not decoded */
    int n_query;
    struct req_param query[REQ_MAX_QUERY];
    int query_overflow;         /* more than REQ_MAX_QUERY parameters */
    const char *authorization;  /* header value or NULL */
    const char *content_type;   /* header value or NULL */
    const char *accept;         /* header value or NULL */
    const char *body;           /* NUL-terminated; NULL when empty */
    size_t body_len;
    int too_big;                /* 0, 413 or 414 */
    char request_id[17];        /* random hex, for logs and problem bodies */
    void *conn;                 /* http.c's, for req_header() */
    uint64_t received;          /* uv_hrtime() when the request line arrived */
};

struct http_stream;

/* A streamed response's producer, called on the loop thread. pull() copies
 * at most max bytes to buf and returns how many (> 0); 0 when it has
 * nothing now (the connection sleeps until http_stream_wake(s)); < 0 to
 * end the stream (the connection closes once the bytes given are sent).
 * done() is called exactly once, when the connection ends for whatever
 * reason (the end, the client gone, the daemon stopping, no memory to
 * start the stream); s must not be used after it. */
struct http_stream_ops {
    ssize_t (*pull)(void *cls, struct http_stream *s, char *buf, size_t max);
    void (*done)(void *cls);
};

/* The response a handler fills. body is malloc'd and taken by http.c.
 * With stream set, there is no body: status 200 and stream_cls go to the
 * producer (whose done() http.c calls, even if the response fails). */
struct resp {
    int status;
    char *body;
    size_t body_len;
    char content_type[64];
    char location[160];
    char allow[64];
    char disposition[160];
    char retry_after[16];
    char cors_origin[256];  /* Access-Control-Allow-Origin (route.c decides) */
    char cors_methods[64];  /* a CORS preflight's Access-Control-Allow-Methods */
    const struct http_stream_ops *stream;
    void *stream_cls;
};

typedef void (*http_handler)(void *ctx, const struct req *rq, struct resp *rs);

struct http_opts {
    const char *addr; /* IPv4 or IPv6 literal */
    int port;         /* 0: a free port */
    size_t max_body;
    size_t max_url;
    int max_conns;       /* open at once; MHD closes the others on accept (0: 256) */
    int request_timeout; /* seconds to send a request, and of silence (0: 30) */
    http_handler handler;
    void *ctx;
};

struct http;

int http_start(uv_loop_t *loop, const struct http_opts *o, struct http **out, char *why,
               size_t why_len);

/* The port actually bound. */
int http_port(const struct http *h);

/* Stop accepting, close connections, free. Safe with NULL. Closing the
 * uv handles completes on the next loop iteration. */
void http_stop(struct http *h);

/* A stream has something to say again: resume its connection if it
 * sleeps. Any time, on the loop thread, until its done() was called. */
void http_stream_wake(struct http_stream *s);

/* A request header's value (case-insensitive name) or NULL; only while
 * the handler runs. */
const char *req_header(const struct req *rq, const char *name);

/* Lookup a query parameter (first match) or NULL. */
const char *req_query(const struct req *rq, const char *name);

#endif
