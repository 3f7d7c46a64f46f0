/*
 * daemon-http.c - http.c over real sockets.
 *
 * The main thread runs a libuv loop with the server on 127.0.0.1, port 0;
 * a client thread sends hand-written HTTP/1.1 requests (so that chunked
 * uploads, oversized URLs and aborted uploads are exactly what we say) and
 * checks what the echo handler saw. When it is done it stops the loop with
 * uv_async_send(), the only uv call allowed off the loop thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <uv.h>

#include "core/err.h"
#include "http.h"
#include "tap.h"

#define MAX_BODY 1024
#define MAX_URL  256

static struct http *server;
static int server_port;
static uv_async_t stop_async;
static int handler_calls; /* loop thread only; reported in every response */

/* ------------------------------------------------------------------------ */
/* The server side: a handler that echoes what it got                       */
/* ------------------------------------------------------------------------ */

static void append(char **buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char **buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *grown;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    grown = realloc(*buf, *len + (size_t)n + 1);
    if (!grown)
        abort();
    *buf = grown;
    va_start(ap, fmt);
    vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

static void echo(void *ctx, const struct req *rq, struct resp *rs)
{
    char *b = NULL;
    size_t n = 0;

    (void)ctx;
    handler_calls++;
    append(&b, &n, "calls=%d\nmethod=%s\npath=%s\ntoo_big=%d\n", handler_calls,
           rq->method, rq->path, rq->too_big);
    append(&b, &n, "n_query=%d\noverflow=%d\n", rq->n_query, rq->query_overflow);
    for (int i = 0; i < rq->n_query; i++)
        append(&b, &n, "q:%s=%s\n", rq->query[i].name, rq->query[i].value);
    append(&b, &n, "auth=%s\nctype=%s\naccept=%s\n", or_none(rq->authorization),
           or_none(rq->content_type), or_none(rq->accept));
    append(&b, &n, "body_len=%zu\nbody=%s\nrid=%s\n", rq->body_len, or_none(rq->body),
           rq->request_id);

    rs->status = rq->too_big ? rq->too_big : 200;
    snprintf(rs->content_type, sizeof rs->content_type, "text/plain");
    if (strcmp(rq->path, "/headers") == 0) {
        rs->status = 201;
        snprintf(rs->location, sizeof rs->location, "/api/v1/runs/7");
        snprintf(rs->allow, sizeof rs->allow, "GET, DELETE");
        snprintf(rs->disposition, sizeof rs->disposition,
                 "attachment; filename=\"best_results_0.csv\"");
    } else if (strcmp(rq->path, "/nostatus") == 0) {
        rs->status = 0;
    } else if (strcmp(rq->path, "/empty") == 0) {
        free(b);
        b = NULL;
        n = 0;
        rs->status = 204;
        rs->content_type[0] = '\0';
    } else if (strcmp(rq->path, "/json") == 0) {
        rs->content_type[0] = '\0';
    }
    rs->body = b;
    rs->body_len = n;
}

static void on_stop(uv_async_t *a)
{
    http_stop(server);
    uv_close((uv_handle_t *)a, NULL);
}

/* ------------------------------------------------------------------------ */
/* The client side                                                          */
/* ------------------------------------------------------------------------ */

struct reply {
    int status;
    char head[4096];
    char *body;
    size_t body_len;
};

static int connect_server(void)
{
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)server_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A header's value in rp->head, or NULL. */
static const char *header(const struct reply *rp, const char *name, char *buf,
                          size_t size)
{
    size_t nlen = strlen(name);
    const char *line = strstr(rp->head, "\r\n");

    while (line && line[2] != '\0') {
        line += 2;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            size_t len;
            while (*v == ' ')
                v++;
            len = strcspn(v, "\r");
            if (len >= size)
                len = size - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return buf;
        }
        line = strstr(line, "\r\n");
    }
    return NULL;
}

/*
 * Reads one response: the head, then Content-Length bytes of body, or (no
 * Content-Length) everything until the server closes. 0 on success.
 */
static int read_reply(int fd, struct reply *rp)
{
    char *buf = NULL, *end, cl[32];
    size_t len = 0, cap = 0, head_len = 0, want = (size_t)-1;

    memset(rp, 0, sizeof *rp);
    for (;;) {
        ssize_t r;
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            if (!buf)
                return -1;
        }
        if (head_len && len - head_len >= want)
            break;
        r = recv(fd, buf + len, cap - len - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        if (!head_len && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            head_len = (size_t)(end - buf) + 4;
            snprintf(rp->head, sizeof rp->head, "%.*s", (int)head_len, buf);
            if (header(rp, "Content-Length", cl, sizeof cl))
                want = strtoull(cl, NULL, 10);
        }
    }
    if (!head_len || sscanf(rp->head, "HTTP/1.%*d %d", &rp->status) != 1) {
        free(buf);
        return -1;
    }
    rp->body_len = len - head_len;
    rp->body = malloc(rp->body_len + 1);
    if (rp->body) {
        memcpy(rp->body, buf + head_len, rp->body_len);
        rp->body[rp->body_len] = '\0';
    }
    free(buf);
    return rp->body ? 0 : -1;
}

/* One request on a fresh connection. */
static int roundtrip(const char *req, size_t n, struct reply *rp)
{
    int fd = connect_server(), rc;

    if (fd < 0)
        return -1;
    rc = send_all(fd, req, n);
    if (rc == 0)
        rc = read_reply(fd, rp);
    close(fd);
    return rc;
}

static int request(const char *req, struct reply *rp)
{
    return roundtrip(req, strlen(req), rp);
}

static int has(const struct reply *rp, const char *line)
{
    char want[1024];

    snprintf(want, sizeof want, "\n%s\n", line);
    /* The echo starts with "calls=": prefix a newline to match line starts. */
    return rp->body &&
           (strstr(rp->body, want) || strncmp(rp->body, want + 1, strlen(want + 1)) == 0);
}

static int calls_of(const struct reply *rp)
{
    int c = -1;

    if (rp->body)
        sscanf(rp->body, "calls=%d", &c);
    return c;
}

static void reply_fini(struct reply *rp)
{
    free(rp->body);
    rp->body = NULL;
}

/* ------------------------------------------------------------------------ */
/* The tests                                                                */
/* ------------------------------------------------------------------------ */

static void test_get(char rid_out[17])
{
    struct reply rp;
    char v[128];

    ok(request("GET /api/v1/x?a=1&b=hello%20world&c=%2F%3F%26&d&e= HTTP/1.1\r\n"
               "Host: t\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
               &rp) == 0,
       "GET answered");
    is_int(rp.status, 200, "status 200");
    ok(has(&rp, "method=GET"), "method");
    ok(has(&rp, "path=/api/v1/x"), "path without the query");
    ok(has(&rp, "n_query=5"), "five query parameters");
    ok(has(&rp, "q:a=1"), "a=1");
    ok(has(&rp, "q:b=hello world"), "percent-decoded value");
    ok(has(&rp, "q:c=/?&"), "encoded reserved characters decoded");
    ok(has(&rp, "q:d="), "a name without '=' has an empty value");
    ok(has(&rp, "q:e="), "an empty value");
    ok(has(&rp, "accept=application/json"), "Accept header");
    ok(has(&rp, "auth=(none)") && has(&rp, "ctype=(none)"), "absent headers are NULL");
    ok(has(&rp, "body=(none)") && has(&rp, "body_len=0"), "no body: NULL");
    ok(has(&rp, "too_big=0"), "not too big");
    is_str(header(&rp, "Content-Type", v, sizeof v), "text/plain", "Content-Type");
    is_str(header(&rp, "Cache-Control", v, sizeof v), "no-store", "Cache-Control");
    ok(header(&rp, "X-Request-Id", v, sizeof v) && strlen(v) == 16 &&
           strspn(v, "0123456789abcdef") == 16,
       "X-Request-Id is 16 hex digits (%s)", v);
    snprintf(rid_out, 17, "%.16s", v);
    {
        char line[64];
        snprintf(line, sizeof line, "rid=%.16s", v);
        ok(has(&rp, line), "the handler saw the same request id");
    }
    ok(header(&rp, "Location", v, sizeof v) == NULL, "no Location unless set");
    reply_fini(&rp);

    ok(request("GET /runs/a%2Fb/x%20y HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
               &rp) == 0 &&
           has(&rp, "path=/runs/a%2Fb/x%20y"),
       "the path is passed undecoded");
    ok(has(&rp, "n_query=0"), "no query");
    reply_fini(&rp);
}

static void test_post(const char *first_rid)
{
    struct reply rp;
    char v[64];

    ok(request("POST /api/v1/runs HTTP/1.1\r\nHost: t\r\n"
               "Content-Type: application/json\r\nAuthorization: Bearer s3cret\r\n"
               "Content-Length: 13\r\nConnection: close\r\n\r\n{\"kind\":\"x\"}\n",
               &rp) == 0,
       "POST answered");
    is_int(rp.status, 200, "status 200");
    ok(has(&rp, "method=POST"), "method POST");
    ok(has(&rp, "ctype=application/json"), "Content-Type header");
    ok(has(&rp, "auth=Bearer s3cret"), "Authorization header");
    ok(has(&rp, "body_len=13"), "body length");
    ok(rp.body && strstr(rp.body, "body={\"kind\":\"x\"}\n\n"), "body intact");
    ok(header(&rp, "X-Request-Id", v, sizeof v) && strcmp(v, first_rid) != 0,
       "request ids differ");
    reply_fini(&rp);

    /* Chunked, in three pieces: assembled before the handler runs. */
    ok(request("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
               "Connection: close\r\n\r\n"
               "4\r\nabcd\r\n3\r\nefg\r\n5\r\nhijkl\r\n0\r\n\r\n",
               &rp) == 0 &&
           has(&rp, "body=abcdefghijkl") && has(&rp, "body_len=12"),
       "chunked body assembled");
    reply_fini(&rp);
}

static void test_limits(void)
{
    struct reply rp;
    char *big, *url;
    size_t n;
    int calls;

    /* Content-Length over max_body. */
    n = 2000;
    big = malloc(n + 200);
    snprintf(big, 200,
             "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             n);
    {
        size_t h = strlen(big);
        memset(big + h, 'x', n);
        ok(roundtrip(big, h + n, &rp) == 0, "oversized POST answered");
    }
    is_int(rp.status, 413, "413");
    ok(has(&rp, "too_big=413") && has(&rp, "body=(none)") && has(&rp, "body_len=0"),
       "handler saw too_big 413 and no body");
    calls = calls_of(&rp);
    reply_fini(&rp);

    /* Chunked over max_body: the limit is found while accumulating. */
    {
        char chunk[700];
        size_t h;
        snprintf(big, 200,
                 "POST /bigchunks HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                 "Connection: close\r\n\r\n");
        memset(chunk, 'y', sizeof chunk);
        h = strlen(big);
        big = realloc(big, h + 3 * (sizeof chunk + 16) + 16);
        for (int i = 0; i < 3; i++) {
            h += (size_t)snprintf(big + h, 16, "%zx\r\n", sizeof chunk);
            memcpy(big + h, chunk, sizeof chunk);
            h += sizeof chunk;
            memcpy(big + h, "\r\n", 2);
            h += 2;
        }
        memcpy(big + h, "0\r\n\r\n", 5);
        h += 5;
        ok(roundtrip(big, h, &rp) == 0 && rp.status == 413 && has(&rp, "too_big=413") &&
               has(&rp, "body_len=0"),
           "chunked upload over max_body: 413");
        is_int(calls_of(&rp), calls + 1, "handler called once for it");
        reply_fini(&rp);
    }
    free(big);

    /* Exactly max_body is fine. */
    big = malloc(MAX_BODY + 200);
    {
        size_t h;
        snprintf(big, 200,
                 "PUT /exact HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n"
                 "Connection: close\r\n\r\n",
                 MAX_BODY);
        h = strlen(big);
        memset(big + h, 'z', MAX_BODY);
        ok(roundtrip(big, h + MAX_BODY, &rp) == 0 && rp.status == 200 &&
               has(&rp, "body_len=1024"),
           "a body of exactly max_body is accepted");
        reply_fini(&rp);
    }
    free(big);

    /* URL over max_url. */
    url = malloc(MAX_URL + 300);
    n = (size_t)snprintf(url, 300, "GET /long?x=");
    memset(url + n, 'a', MAX_URL);
    snprintf(url + n + MAX_URL, 300 - n,
             " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    ok(request(url, &rp) == 0, "long URL answered");
    is_int(rp.status, 414, "414");
    ok(has(&rp, "too_big=414"), "handler saw too_big 414");
    reply_fini(&rp);
    free(url);

    /* More query parameters than REQ_MAX_QUERY. */
    {
        char q[512];
        size_t k = (size_t)snprintf(q, sizeof q, "GET /many?");
        for (int i = 0; i < REQ_MAX_QUERY + 2; i++)
            k += (size_t)snprintf(q + k, sizeof q - k, "p%d=%d&", i, i);
        /* Overwrites the last '&'. */
        snprintf(q + k - 1, sizeof q - k + 1,
                 " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        ok(request(q, &rp) == 0 && has(&rp, "overflow=1") && has(&rp, "n_query=16"),
           "query overflow flagged, %d kept", REQ_MAX_QUERY);
        reply_fini(&rp);
    }
}

static void test_headers_and_status(void)
{
    struct reply rp;
    char v[128];

    ok(request("GET /headers HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &rp) == 0,
       "GET /headers");
    is_int(rp.status, 201, "status set by the handler");
    is_str(header(&rp, "Location", v, sizeof v), "/api/v1/runs/7", "Location");
    is_str(header(&rp, "Allow", v, sizeof v), "GET, DELETE", "Allow");
    is_str(header(&rp, "Content-Disposition", v, sizeof v),
           "attachment; filename=\"best_results_0.csv\"", "Content-Disposition");
    reply_fini(&rp);

    ok(request("GET /json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &rp) == 0,
       "GET /json");
    is_str(header(&rp, "Content-Type", v, sizeof v), "application/json",
           "Content-Type defaults to application/json");
    reply_fini(&rp);

    ok(request("GET /nostatus HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &rp) ==
           0,
       "GET /nostatus");
    is_int(rp.status, 500, "a handler that sets no status gives 500");
    reply_fini(&rp);

    ok(request("DELETE /empty HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &rp) ==
           0,
       "DELETE /empty");
    is_int(rp.status, 204, "204");
    is_int(rp.body_len, 0, "no body");
    ok(header(&rp, "Content-Type", v, sizeof v) == NULL,
       "no Content-Type without a body");
    reply_fini(&rp);
}

/* Two requests on one connection, then an upload the client abandons: the
 * handler must not see it. */
static void test_connection(void)
{
    struct reply rp;
    int fd = connect_server(), calls;
    const char *r1 = "GET /one HTTP/1.1\r\nHost: t\r\n\r\n";
    const char *r2 = "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
    const char *part = "POST /partial HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
                       "only ten..";

    ok(fd >= 0 && send_all(fd, r1, strlen(r1)) == 0 && read_reply(fd, &rp) == 0 &&
           rp.status == 200 && has(&rp, "path=/one"),
       "keep-alive: first request");
    calls = calls_of(&rp);
    reply_fini(&rp);
    ok(send_all(fd, r2, strlen(r2)) == 0 && read_reply(fd, &rp) == 0 &&
           has(&rp, "path=/two") && has(&rp, "body=abc"),
       "keep-alive: second request on the same connection");
    reply_fini(&rp);
    if (fd >= 0)
        close(fd);

    fd = connect_server();
    ok(fd >= 0 && send_all(fd, part, strlen(part)) == 0, "sent a partial upload");
    if (fd >= 0)
        close(fd);
    usleep(100 * 1000);
    ok(request("GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &rp) == 0,
       "next request");
    is_int(calls_of(&rp), calls + 2, "the abandoned upload never reached the handler");
    reply_fini(&rp);
}

static void *client(void *arg)
{
    char rid[17] = "";
    int idle;

    (void)arg;
    test_get(rid);
    test_post(rid);
    test_limits();
    test_headers_and_status();
    test_connection();

    /* An idle keep-alive connection must not keep http_stop from finishing. */
    idle = connect_server();
    ok(idle >= 0, "idle connection open at stop");
    uv_async_send(&stop_async);
    if (idle >= 0) {
        char c;
        ok(recv(idle, &c, 1, 0) == 0, "the server closed it");
        close(idle);
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Loop-thread tests without a client                                       */
/* ------------------------------------------------------------------------ */

static void test_req_query(void)
{
    struct req rq;
    char n1[] = "limit", v1[] = "5", n2[] = "sort", v2[] = "-acc@1d", v3[] = "7";

    memset(&rq, 0, sizeof rq);
    ok(req_query(&rq, "limit") == NULL, "req_query on no parameters");
    rq.query[0] = (struct req_param){n1, v1};
    rq.query[1] = (struct req_param){n2, v2};
    rq.query[2] = (struct req_param){n1, v3};
    rq.n_query = 3;
    is_str(req_query(&rq, "limit"), "5", "first match wins");
    is_str(req_query(&rq, "sort"), "-acc@1d", "sort");
    ok(req_query(&rq, "after") == NULL, "absent parameter");
    ok(req_query(&rq, "Limit") == NULL, "names are case-sensitive");
}

static void test_start_errors(uv_loop_t *loop)
{
    struct http_opts o = {.addr = "not-an-address",
                          .port = 0,
                          .max_body = 10,
                          .max_url = 10,
                          .handler = echo};
    struct http *h = NULL;
    char why[256] = "";

    is_int(http_start(loop, &o, &h, why, sizeof why), ANAS_EINVAL, "bad address refused");
    ok(h == NULL && why[0], "why: %s", why);

    o.addr = "127.0.0.1";
    o.port = server_port;
    why[0] = '\0';
    ok(http_start(loop, &o, &h, why, sizeof why) < 0 && h == NULL, "port in use refused");
    ok(strstr(why, "127.0.0.1") != NULL, "why: %s", why);

    /* IPv6, when the machine has it: start, report a port, stop. */
    o.addr = "[::1]";
    o.port = 0;
    if (http_start(loop, &o, &h, why, sizeof why) == 0) {
        ok(http_port(h) > 0, "listening on [::1] port %d", http_port(h));
        http_stop(h);
    } else {
        ok(1, "# SKIP no IPv6 loopback (%s)", why);
    }
    http_stop(NULL);
    ok(1, "http_stop(NULL) is a no-op");
}

int main(void)
{
    uv_loop_t loop;
    pthread_t th;
    struct http_opts o = {.addr = "127.0.0.1",
                          .port = 0,
                          .max_body = MAX_BODY,
                          .max_url = MAX_URL,
                          .handler = echo};
    char why[256] = "";

    plan_later();
    uv_loop_init(&loop);
    test_req_query();
    if (http_start(&loop, &o, &server, why, sizeof why) < 0) {
        ok(0, "http_start: %s", why);
        return done();
    }
    server_port = http_port(server);
    ok(server_port > 0, "listening on port %d", server_port);
    test_start_errors(&loop);

    uv_async_init(&loop, &stop_async, on_stop);
    if (pthread_create(&th, NULL, client, NULL) != 0) {
        ok(0, "client thread");
        return done();
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    is_int(uv_loop_close(&loop), 0, "every handle closed");
    return done();
}
