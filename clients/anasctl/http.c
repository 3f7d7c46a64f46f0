/*
 * http.c - anasctl's HTTP over libcurl: the only file that includes
 * <curl/curl.h>.
 *
 * The token goes into an Authorization header built here, never into a
 * URL, an argv or a message, so it cannot leak into logs or `ps`.
 */
#include "config.h"

#include "anasctl.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int http_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_cleanup(void)
{
    curl_global_cleanup();
}

void http_resp_free(struct http_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static int buf_append(struct http_resp *r, const char *p, size_t n)
{
    char *b = realloc(r->body, r->len + n + 1);
    if (!b)
        return -1;
    memcpy(b + r->len, p, n);
    r->len += n;
    b[r->len] = '\0';
    r->body = b;
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* The handle every request starts from: URL, Accept, token header, timeouts. */
static CURL *handle(const struct ctl *c, const char *path, const char *accept,
                    struct curl_slist **hdrs)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    size_t n = strlen(c->url) + strlen(path) + 1;
    char *url = malloc(n);
    if (!url) {
        curl_easy_cleanup(h);
        return NULL;
    }
    snprintf(url, n, "%s%s", c->url, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    free(url); /* curl keeps its own copy */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "anasctl/" PACKAGE_VERSION);
    *hdrs = curl_slist_append(NULL, accept);
    if (c->token && *c->token) {
        size_t tn = strlen(c->token) + 32;
        char *auth = malloc(tn);
        if (auth) {
            snprintf(auth, tn, "Authorization: Bearer %s", c->token);
            *hdrs = curl_slist_append(*hdrs, auth);
            memset(auth, 0, tn);
            free(auth);
        }
    }
    return h;
}

static int finish(CURL *h, CURLcode rc, struct http_resp *r)
{
    if (rc != CURLE_OK && r->status == 0) {
        snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
        return -1;
    }
    if (r->status == 0)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    return 0;
}

int http_request(const struct ctl *c, const char *method, const char *path,
                 const char *body, size_t body_len, struct http_resp *r)
{
    struct curl_slist *hdrs = NULL;
    memset(r, 0, sizeof *r);
    CURL *h = handle(c, path, "Accept: application/json, */*", &hdrs);
    if (!h) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    /* A request is bounded too, so that --timeout holds against a server
     * that accepts and never answers; model files can take a while. */
    long ms = 600000;
    if (c->deadline > 0) {
        double left = (c->deadline - now_s()) * 1000;
        ms = left < 1 ? 1 : left < ms ? (long)left : ms;
    }
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    CURLcode rc = curl_easy_perform(h);
    int ret = finish(h, rc, r);
    if (ret == 0 && !r->body)
        buf_append(r, "", 0);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return ret;
}

/* --- server-sent events (https://html.spec.whatwg.org/#server-sent-events) */

struct sse {
    const struct ctl *c;
    struct http_resp *r;
    struct sse_parser p;
};

static size_t on_sse(char *p, size_t size, size_t n, void *arg)
{
    struct sse *s = arg;
    return sse_feed(&s->p, p, size * n) == 0 ? size * n : 0;
}

/* A non-200 answer is kept whole for the error message (on_header has
 * read the status before any body arrives). */
static size_t on_sse_or_body(char *p, size_t size, size_t n, void *arg)
{
    struct sse *s = arg;
    if (s->r->status != 200)
        return on_body(p, size, n, s->r);
    return on_sse(p, size, n, s);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct sse *s = arg;
    /* The status line of the final answer: "HTTP/1.1 200 OK". */
    if (size * n > 9 && !memcmp(p, "HTTP/", 5)) {
        const char *sp = memchr(p, ' ', size * n);
        if (sp)
            s->r->status = strtol(sp + 1, NULL, 10);
    }
    return size * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const struct sse *s = arg;
    return s->c->deadline > 0 && now_s() > s->c->deadline;
}

int http_sse(const struct ctl *c, const char *path, sse_fn fn, void *arg, struct http_resp *r)
{
    struct curl_slist *hdrs = NULL;
    struct sse s = {.c = c, .r = r, .p = {.fn = fn, .arg = arg}};
    memset(r, 0, sizeof *r);
    CURL *h = handle(c, path, "Accept: text/event-stream", &hdrs);
    if (!h) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sse_or_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
    /* anasd sends a keep-alive every 15 s: a minute of silence is a dead peer. */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    CURLcode rc = curl_easy_perform(h);
    int ret = 0;
    if (s.p.stopped || rc == CURLE_OK) {
        ret = 0;
    } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(r->err, sizeof r->err, "timed out");
        r->status = 0;
        ret = -1;
    } else if (rc == CURLE_WRITE_ERROR && r->status != 200) {
        ret = 0;
    } else {
        ret = finish(h, rc, r);
        if (ret == 0 && r->status == 200) /* cut off mid-stream: the caller resumes */
            ret = 1;
    }
    if (ret == 0 && !r->body)
        buf_append(r, "", 0);
    sse_parser_free(&s.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return ret;
}
