/*
 * http.c - libmicrohttpd driven by the libuv loop.
 *
 * MHD runs without a thread of its own (MHD_USE_EPOLL, external mode). Its
 * epoll fd becomes readable whenever any of its sockets has work, so one
 * uv_poll_t on that fd wakes us, and MHD_run() does the work without
 * blocking. MHD also has deadlines (idle connections to close, data already
 * buffered): after every MHD_run() a uv_timer_t is re-armed from
 * MHD_get_timeout(), where 0 means "run again on the next loop iteration".
 * Handlers therefore run on the loop thread, like everything else.
 *
 * A request's life: the URI callback allocates its state and keeps the raw
 * URI (MHD hands the access handler a decoded path without the query); the
 * first access-handler call checks the URL and the announced body size;
 * later calls accumulate the body into a buffer bounded by max_body; the
 * last call, once the upload is complete, builds a struct req and calls the
 * handler exactly once. A body that is too big is still read (and dropped)
 * so that the client gets a clean 413 instead of a reset connection. The
 * completion callback frees the state, whether or not the handler ran.
 *
 * Streams are MHD responses of unknown size whose content reader asks the
 * producer for bytes. MHD calls a reader that returned 0 again on every
 * MHD_run(), which in our mode would spin the loop, so a producer with
 * nothing to say has its connection suspended (MHD_ALLOW_SUSPEND_RESUME)
 * until http_stream_wake() resumes it; resuming signals MHD's inter-thread
 * channel, which is in its epoll set, so our poll handle wakes and drives
 * MHD. A suspended connection neither times out nor notices a client that
 * left: producers wake their streams periodically (heartbeats) to find
 * out. MHD must not be stopped with connections suspended, so stopping
 * resumes them all and lets MHD take them back first.
 */
#include "config.h"

#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <uv.h>

#include "core/err.h"
#include "core/log.h"

/* MHD's per-connection pool holds the request line, the headers and the
 * answer's headers; MHD zeroes all of it after every request
 * (MHD_pool_reset() in its memorypool.c), so a bigger pool costs every
 * request, not just big ones. 32 KB is MHD's default. */
#define CONN_MEMORY_MIN (32 * 1024)
#define CONN_HEADERS (8 * 1024) /* room for a request's headers besides the URL */

struct http {
    uv_loop_t *loop;
    struct MHD_Daemon *mhd;
    uv_poll_t poll;   /* MHD's epoll fd */
    uv_timer_t timer; /* MHD's next deadline */
    int n_open;       /* uv handles still to close before freeing */
    int in_run;       /* inside MHD_run(): stopping must wait */
    int stopping;
    int kick; /* a stream was woken: resume it, run MHD again */
    int woken; /* streams were woken inside MHD_run(): resume them after */
    size_t max_body, max_url;
    http_handler handler;
    void *ctx;
    int port;
    uint64_t id_key, id_count; /* request ids: splitmix64(key + count) */
    char last_error[160];      /* MHD's last log line, for http_start's why */
    struct http_stream *streams; /* open ones, for stopping */
    unsigned max_conns;
    uint64_t request_ns;         /* time to send one request */
    uv_timer_t sweep;            /* closes connections past it, each second */
    struct conn_track *conns;    /* every open connection */
    int n_conns;
};

/* A connection, from MHD's "started" notice to its "closed" one. */
struct conn_track {
    struct MHD_Connection *c;
    uint64_t since; /* uv_hrtime() its current request began to arrive; 0: answering */
    struct conn_track *next, *prev;
};

/* A streamed response, from the handler's MHD response to its free. */
struct http_stream {
    struct http *h;
    struct MHD_Connection *conn;
    const struct http_stream_ops *ops;
    void *cls;
    int suspended;
    int wake; /* woken inside MHD_run(): resume when it returns */
    struct http_stream *next, *prev;
};

/* One request, from the URI callback to the completion callback. */
struct exchange {
    char *uri; /* raw, as received: path and query */
    uint64_t received; /* uv_hrtime() */
    int started;
    int too_big;
    char *body; /* NUL-terminated once non-empty */
    size_t len, cap;
};

/* ------------------------------------------------------------------------ */
/* Request ids                                                              */
/* ------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The key only needs to make ids unguessable and distinct across restarts;
 * if the kernel has no randomness to give, time and pid still do the latter. */
static void request_ids_seed(struct http *h)
{
    if (uv_random(NULL, NULL, &h->id_key, sizeof h->id_key, 0, NULL) != 0)
        h->id_key = splitmix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
}

/* 16 lowercase hex digits; by hand, as snprintf's "%016llx" was a tenth
 * of what a request cost in our own code. */
static void request_id_next(struct http *h, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t v = splitmix64(h->id_key + h->id_count++);

    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15];
    out[16] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Driving MHD from the loop                                                */
/* ------------------------------------------------------------------------ */

static void stop_now(struct http *h);
static void on_timer(uv_timer_t *t);
static void streams_resume(struct http *h);

static void drive(struct http *h)
{
    MHD_UNSIGNED_LONG_LONG ms;

    h->in_run = 1;
    h->kick = 0;
    MHD_run(h->mhd);
    h->in_run = 0;
    streams_resume(h);
    if (h->stopping) {
        stop_now(h);
        return;
    }
    if (h->kick) {
        h->kick = 0;
        uv_timer_start(&h->timer, on_timer, 0, 0);
    } else if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
        uv_timer_start(&h->timer, on_timer, (uint64_t)ms, 0);
    else
        uv_timer_stop(&h->timer);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct http *h = p->data;

    (void)events;
    if (status < 0)
        anas_log(ANAS_LOG_WARN, "http: poll: %s", uv_strerror(status));
    drive(h);
}

static void on_timer(uv_timer_t *t)
{
    drive(t->data);
}

/* MHD's diagnostics go to our log at info: nearly all are about clients
 * (a connection closed mid-request, a malformed header). The last one is
 * kept because it also explains a failed start (address in use). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http *h = cls;
    size_t n;

    vsnprintf(h->last_error, sizeof h->last_error, fmt, ap);
    n = strlen(h->last_error);
    while (n > 0 && (h->last_error[n - 1] == '\n' || h->last_error[n - 1] == '\r'))
        h->last_error[--n] = '\0';
    anas_log(ANAS_LOG_INFO, "http: %s", h->last_error);
}

/* ------------------------------------------------------------------------ */
/* Request deadlines                                                        */
/* ------------------------------------------------------------------------ */

/* MHD's timeout is an idle timeout: a client that sends one byte a second
 * (slowloris) is never idle and would hold its connection, and with enough
 * of them every connection, for ever. So each connection is also given
 * request_ns to deliver a whole request, counted from its first byte (or
 * the end of the previous answer), and the sweep shuts down the socket of
 * one that takes longer: MHD sees the end of the stream and closes it as
 * it would a client that left. Answers, streams included, are never cut. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http *h = cls;
    struct conn_track *t = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if (!(t = calloc(1, sizeof *t)))
            return; /* untracked: MHD's idle timeout still applies */
        t->c = c;
        t->since = uv_hrtime();
        h->n_conns++;
        t->next = h->conns;
        if (t->next)
            t->next->prev = t;
        h->conns = t;
        *socket_context = t;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && t) {
        /* At its limit MHD takes the listening socket out of its epoll set
         * and puts it back in a later MHD_run(), but nothing would wake us
         * for that run: run again now. */
        if (h->n_conns-- >= (int)h->max_conns)
            h->kick = 1;
        if (t->prev)
            t->prev->next = t->next;
        else
            h->conns = t->next;
        if (t->next)
            t->next->prev = t->prev;
        free(t);
        *socket_context = NULL;
    }
}

static struct conn_track *track_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

static void on_sweep(uv_timer_t *timer)
{
    struct http *h = timer->data;
    uint64_t now = uv_hrtime();
    struct conn_track *t;
    int cut = 0;

    for (t = h->conns; t; t = t->next) {
        const union MHD_ConnectionInfo *i;
        if (!t->since || now - t->since <= h->request_ns)
            continue;
        i = MHD_get_connection_info(t->c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (i && shutdown(i->connect_fd, SHUT_RDWR) == 0)
            cut++;
        t->since = 0;
    }
    if (cut > 0) {
        anas_log(ANAS_LOG_INFO, "http: closed %d connection(s) that took over %llu s to send "
                 "a request", cut, (unsigned long long)(h->request_ns / 1000000000u));
        drive(h);
    }
}

/* ------------------------------------------------------------------------ */
/* Request state                                                            */
/* ------------------------------------------------------------------------ */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct exchange *x = calloc(1, sizeof *x);

    (void)cls;
    (void)c;
    if (x)
        x->received = uv_hrtime();
    if (x && !(x->uri = strdup(uri))) {
        free(x);
        x = NULL;
    }
    return x;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct exchange *x = *con_cls;
    struct conn_track *t = track_of(c);

    (void)cls;
    if (t)
        t->since = uv_hrtime(); /* the next request's time starts */
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && x)
        anas_log(ANAS_LOG_DEBUG, "http: request for %.80s ended early (%d)", x->uri,
                 (int)toe);
    if (x) {
        free(x->uri);
        free(x->body);
        free(x);
    }
    *con_cls = NULL;
}

/* The first call: refuse what is over the limits before any body arrives.
 * A Content-Length above max_body saves buffering a body we will drop. */
static void check_limits(struct http *h, struct exchange *x, struct MHD_Connection *c)
{
    const char *cl;

    if (strlen(x->uri) > h->max_url) {
        x->too_big = 414;
        return;
    }
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > h->max_body)
        x->too_big = 413;
}

/* Appends a piece of the body, or drops it once the body is over the
 * limit (the upload is still consumed to its end). */
static void absorb(struct http *h, struct exchange *x, const char *data, size_t n)
{
    if (x->too_big)
        return;
    if (n > h->max_body - x->len) {
        x->too_big = 413;
        free(x->body);
        x->body = NULL;
        x->len = x->cap = 0;
        return;
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 1024;
        char *grown;
        while (cap < x->len + n + 1)
            cap *= 2;
        if (cap > h->max_body + 1)
            cap = h->max_body + 1;
        grown = realloc(x->body, cap);
        if (!grown) {
            /* Out of memory for a body within limits: say 413 rather than
             * pass the handler a truncated body. */
            anas_log(ANAS_LOG_ERROR, "http: no memory for a %zu-byte body", x->len + n);
            x->too_big = 413;
            free(x->body);
            x->body = NULL;
            x->len = x->cap = 0;
            return;
        }
        x->body = grown;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, n);
    x->len += n;
    x->body[x->len] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Building the request, sending the response                               */
/* ------------------------------------------------------------------------ */

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct req *rq = cls;
    struct req_param *p;

    (void)kind;
    if (rq->n_query == REQ_MAX_QUERY) {
        rq->query_overflow = 1;
        return MHD_NO;
    }
    p = &rq->query[rq->n_query];
    p->name = strdup(key ? key : "");
    p->value = strdup(value ? value : "");
    if (!p->name || !p->value) {
        free(p->name);
        free(p->value);
        return MHD_NO;
    }
    rq->n_query++;
    return MHD_YES;
}

static void req_fini(struct req *rq)
{
    for (int i = 0; i < rq->n_query; i++) {
        free(rq->query[i].name);
        free(rq->query[i].value);
    }
}

static void req_build(struct http *h, struct exchange *x, struct MHD_Connection *c,
                      const char *method, struct req *rq)
{
    char *qmark = strchr(x->uri, '?');

    memset(rq, 0, sizeof *rq);
    if (qmark)
        *qmark = '\0';
    rq->method = method;
    rq->path = x->uri;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_query_arg, rq);
    rq->authorization =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    rq->content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    rq->accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    rq->too_big = x->too_big;
    rq->received = x->received;
    if (!x->too_big && x->len > 0) {
        rq->body = x->body;
        rq->body_len = x->len;
    }
    request_id_next(h, rq->request_id);
    rq->conn = c;
}

/* Adds a header the handler asked for; MHD refuses values with line breaks,
 * which would otherwise let a stored string split the response. */
static void add_header(struct MHD_Response *r, const char *name, const char *value,
                       const char *rid)
{
    if (value[0] && MHD_add_response_header(r, name, value) != MHD_YES)
        anas_log(ANAS_LOG_ERROR, "request %s: header %s refused", rid, name);
}

/* CORS (the Fetch standard): which origin may read the answer, and for a
 * preflight what it may send. Vary keeps caches from serving one origin's
 * answer to another. */
static void add_cors(struct MHD_Response *r, const struct resp *rs, const char *rid)
{
    if (!rs->cors_origin[0])
        return;
    add_header(r, "Access-Control-Allow-Origin", rs->cors_origin, rid);
    add_header(r, MHD_HTTP_HEADER_VARY, "Origin", rid);
    add_header(r, "Access-Control-Expose-Headers",
               "Location, Retry-After, Content-Disposition, X-Request-Id", rid);
    if (!rs->cors_methods[0])
        return;
    add_header(r, "Access-Control-Allow-Methods", rs->cors_methods, rid);
    add_header(r, "Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID",
               rid);
    add_header(r, "Access-Control-Max-Age", "600", rid);
}

/* ------------------------------------------------------------------------ */
/* Streams                                                                  */
/* ------------------------------------------------------------------------ */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *s = cls;
    ssize_t n;

    (void)pos;
    if (s->h->stopping)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = s->ops->pull(s->cls, s, buf, max);
    if (n > 0)
        return n;
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    MHD_suspend_connection(s->conn);
    s->suspended = 1;
    return 0;
}

static void stream_free(void *cls)
{
    struct http_stream *s = cls;

    if (s->prev)
        s->prev->next = s->next;
    else
        s->h->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->ops->done(s->cls);
    free(s);
}

/* Resumed only outside MHD_run(): a connection whose reader suspended it
 * earlier in the same run may not be suspended for MHD yet, and resuming
 * it then can be lost. MHD takes resumed connections back in its next
 * MHD_run(), which the kick asks for. */
static void stream_resume(struct http_stream *s)
{
    s->wake = 0;
    if (!s->suspended)
        return;
    s->suspended = 0;
    MHD_resume_connection(s->conn);
    s->h->kick = 1;
}

/* After every MHD_run(), which is after every request: the walk over the
 * open streams happens only when one was woken meanwhile. */
static void streams_resume(struct http *h)
{
    if (!h->woken)
        return;
    h->woken = 0;
    for (struct http_stream *s = h->streams; s; s = s->next)
        if (s->wake)
            stream_resume(s);
}

void http_stream_wake(struct http_stream *s)
{
    struct http *h = s->h;

    if (h->in_run) {
        s->wake = 1;
        h->woken = 1;
        h->kick = 1;
        return;
    }
    stream_resume(s);
    if (h->kick && !h->stopping)
        uv_timer_start(&h->timer, on_timer, 0, 0);
}

/* A stream's response; NULL (and the producer told done) without memory. */
static struct MHD_Response *stream_response(struct http *h, struct MHD_Connection *c,
                                            struct resp *rs)
{
    struct http_stream *s = calloc(1, sizeof *s);
    struct MHD_Response *r;

    if (!s) {
        rs->stream->done(rs->stream_cls);
        return NULL;
    }
    s->h = h;
    s->conn = c;
    s->ops = rs->stream;
    s->cls = rs->stream_cls;
    /* The block size bounds one pull, not the stream. */
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s,
                                          stream_free);
    if (!r) {
        s->ops->done(s->cls);
        free(s);
        return NULL;
    }
    s->next = h->streams;
    if (s->next)
        s->next->prev = s;
    h->streams = s;
    /* Proxies (nginx) must pass events on as they come. */
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return r;
}

static struct MHD_Response *response_build(struct http *h, struct MHD_Connection *c,
                                           const struct req *rq, struct resp *rs)
{
    struct MHD_Response *r;

    if (rs->stream) {
        free(rs->body);
        rs->body_len = 0;
        r = stream_response(h, c, rs);
    } else if (rs->body && rs->body_len > 0) {
        /* MHD takes the body and free()s it, as the handler's malloc'd it. */
        r = MHD_create_response_from_buffer(rs->body_len, rs->body,
                                            MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(rs->body);
    } else {
        free(rs->body);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    rs->body = NULL;
    if (!r)
        return NULL;
    if (rs->body_len > 0 || rs->content_type[0])
        add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                   rs->content_type[0] ? rs->content_type : "application/json",
                   rq->request_id);
    add_header(r, MHD_HTTP_HEADER_LOCATION, rs->location, rq->request_id);
    add_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow, rq->request_id);
    add_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, rs->disposition, rq->request_id);
    add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, rs->retry_after, rq->request_id);
    add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store", rq->request_id);
    add_cors(r, rs, rq->request_id);
    add_header(r, "X-Request-Id", rq->request_id, rq->request_id);
    return r;
}

static enum MHD_Result respond(struct http *h, struct exchange *x,
                               struct MHD_Connection *c, const char *method)
{
    struct req rq;
    struct resp rs;
    struct MHD_Response *r;
    enum MHD_Result ok;

    struct conn_track *t = track_of(c);

    if (t)
        t->since = 0; /* received whole: the answer has all the time it needs */
    req_build(h, x, c, method, &rq);
    memset(&rs, 0, sizeof rs);
    h->handler(h->ctx, &rq, &rs);
    if (rs.status < 100 || rs.status > 599) {
        anas_log(ANAS_LOG_ERROR, "request %s: handler set status %d", rq.request_id,
                 rs.status);
        rs.status = 500;
    }
    anas_log(ANAS_LOG_DEBUG, "request %s: %s %.200s -> %d (%zu bytes)", rq.request_id,
             method, rq.path, rs.status, rs.body_len);
    if (rs.stream && rs.status != 200) {
        anas_log(ANAS_LOG_ERROR, "request %s: a stream with status %d", rq.request_id,
                 rs.status);
        rs.status = 500;
    }
    r = response_build(h, c, &rq, &rs);
    req_fini(&rq);
    if (!r)
        return MHD_NO; /* out of memory: drop the connection */
    ok = MHD_queue_response(c, (unsigned int)rs.status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct http *h = cls;
    struct exchange *x = *con_cls;

    (void)url;
    (void)version;
    if (!x)
        return MHD_NO; /* on_uri() ran out of memory */
    if (!x->started) {
        x->started = 1;
        check_limits(h, x, c);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        absorb(h, x, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return respond(h, x, c, method);
}

/* ------------------------------------------------------------------------ */
/* Start and stop                                                           */
/* ------------------------------------------------------------------------ */

/* Accepts "127.0.0.1", "::1" and "[::1]". */
static int parse_addr(const char *addr, int port, struct sockaddr_storage *ss)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (n >= 2 && n < sizeof buf && addr[0] == '[' && addr[n - 1] == ']') {
        memcpy(buf, addr + 1, n - 2);
        buf[n - 2] = '\0';
        addr = buf;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    return -1;
}

/* MHD reads a request into half of the pool at first (and grows that when
 * it must): a URL of max_url bytes with CONN_HEADERS of headers fits in
 * it, so that a URL over max_url reaches check_limits() and gets our 414. */
static size_t conn_memory(size_t max_url)
{
    size_t want = 2 * (max_url + CONN_HEADERS);
    return want < CONN_MEMORY_MIN ? CONN_MEMORY_MIN : want;
}

/* The logger comes first so that MHD reports problems with the options
 * after it through us. The port argument only shows in MHD's messages: the
 * address in ss decides. */
static struct MHD_Daemon *mhd_start(struct http *h, struct sockaddr_storage *ss, int port)
{
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* One option and its arguments per line. */
    /* clang-format off */
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_access, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                            MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned int)(h->request_ns / 1000000000u),
                            MHD_OPTION_CONNECTION_LIMIT, h->max_conns,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, conn_memory(h->max_url),
                            MHD_OPTION_END);
    /* clang-format on */
}

int http_start(uv_loop_t *loop, const struct http_opts *o, struct http **out, char *why,
               size_t why_len)
{
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *info;
    struct http *h;
    int rc;

    if (!o->handler || o->port < 0 || o->port > 65535 ||
        parse_addr(o->addr, o->port, &ss) < 0) {
        snprintf(why, why_len, "cannot listen on %s port %d: not an IP address and port",
                 o->addr, o->port);
        return ANAS_EINVAL;
    }
    h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(why, why_len, "out of memory");
        return ANAS_ENOMEM;
    }
    h->loop = loop;
    h->max_body = o->max_body;
    h->max_url = o->max_url;
    h->handler = o->handler;
    h->ctx = o->ctx;
    h->max_conns = o->max_conns > 0 ? (unsigned)o->max_conns : 256;
    h->request_ns = (uint64_t)(o->request_timeout > 0 ? o->request_timeout : 30) * 1000000000u;
    request_ids_seed(h);

    h->mhd = mhd_start(h, &ss, o->port);
    if (!h->mhd) {
        snprintf(why, why_len, "cannot listen on %s port %d: %s", o->addr, o->port,
                 h->last_error[0] ? h->last_error : "libmicrohttpd failed to start");
        free(h);
        return ANAS_EIO;
    }
    info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    rc = info ? uv_poll_init(loop, &h->poll, info->epoll_fd) : UV_EINVAL;
    if (rc < 0) {
        snprintf(why, why_len, "watching libmicrohttpd's epoll fd: %s", uv_strerror(rc));
        MHD_stop_daemon(h->mhd);
        free(h);
        return ANAS_EIO;
    }
    uv_timer_init(loop, &h->timer);
    uv_timer_init(loop, &h->sweep);
    h->poll.data = h;
    h->timer.data = h;
    h->sweep.data = h;
    h->n_open = 3;
    uv_timer_start(&h->sweep, on_sweep, 1000, 1000);
    info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? (int)info->port : o->port;
    uv_poll_start(&h->poll, UV_READABLE, on_poll);
    drive(h);
    *out = h;
    return 0;
}

int http_port(const struct http *h)
{
    return h->port;
}

static void on_closed(uv_handle_t *handle)
{
    struct http *h = handle->data;

    if (--h->n_open == 0)
        free(h);
}

/* The poll handle stops before MHD closes the fd it watches. Suspended
 * streams are resumed and one more MHD_run() takes them back (their
 * readers end them, h->stopping being set), as MHD may not stop with
 * connections suspended. */
static void stop_now(struct http *h)
{
    struct http_stream *s;

    for (s = h->streams; s; s = s->next)
        stream_resume(s);
    MHD_run(h->mhd);
    uv_poll_stop(&h->poll);
    uv_timer_stop(&h->timer);
    uv_timer_stop(&h->sweep);
    MHD_stop_daemon(h->mhd);
    h->mhd = NULL;
    uv_close((uv_handle_t *)&h->poll, on_closed);
    uv_close((uv_handle_t *)&h->timer, on_closed);
    uv_close((uv_handle_t *)&h->sweep, on_closed);
}

/* A handler may trigger a stop (say, a fatal store error) while MHD_run()
 * is on the stack; MHD cannot be stopped from inside itself, so drive()
 * finishes the job when MHD_run() returns. */
void http_stop(struct http *h)
{
    if (!h || h->stopping)
        return;
    h->stopping = 1;
    if (!h->in_run)
        stop_now(h);
}

const char *req_header(const struct req *rq, const char *name)
{
    return rq->conn ? MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name) : NULL;
}

const char *req_query(const struct req *rq, const char *name)
{
    for (int i = 0; i < rq->n_query; i++)
        if (strcmp(rq->query[i].name, name) == 0)
            return rq->query[i].value;
    return NULL;
}
