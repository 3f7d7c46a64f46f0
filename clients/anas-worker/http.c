/*
 * http.c - anas-worker's HTTP over libcurl: the only file that includes
 * <curl/curl.h>. One handle per thread keeps its connection to anasd.
 * The token goes into a header built here, never into a URL or a message.
 */
#include "config.h"

#include "worker.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct http {
    const struct worker *w;
    CURL *h;
};

int http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

struct http *http_new(const struct worker *w)
{
    struct http *h = calloc(1, sizeof *h);
    if (h && !(h->h = curl_easy_init())) {
        free(h);
        h = NULL;
    }
    if (h)
        h->w = w;
    return h;
}

void http_free(struct http *h)
{
    if (h) {
        curl_easy_cleanup(h->h);
        free(h);
    }
}

void http_resp_free(struct http_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct http_resp *r = arg;
    char *b = realloc(r->body, r->len + size * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, size * n);
    r->len += size * n;
    b[r->len] = '\0';
    r->body = b;
    return size * n;
}

int http_call(struct http *h, const char *method, const char *path, const char *body,
              struct http_resp *r)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    char url[2048], auth[600];
    CURLcode rc;
    memset(r, 0, sizeof *r);
    curl_easy_reset(h->h); /* keeps the connection */
    snprintf(url, sizeof url, "%s%s", h->w->url, path);
    curl_easy_setopt(h->h, CURLOPT_URL, url);
    curl_easy_setopt(h->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->h, CURLOPT_CONNECTTIMEOUT, 10L);
    /* a result may carry a model's weights; anything else is quick */
    curl_easy_setopt(h->h, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(h->h, CURLOPT_USERAGENT, "anas-worker/" PACKAGE_VERSION);
    curl_easy_setopt(h->h, CURLOPT_CUSTOMREQUEST, method);
    if (h->w->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", h->w->token);
        hdrs = curl_slist_append(hdrs, auth);
        memset(auth, 0, sizeof auth);
    }
    if (body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    curl_easy_setopt(h->h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->h, CURLOPT_WRITEDATA, r);
    rc = curl_easy_perform(h->h);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
        http_resp_free(r);
        return -1;
    }
    curl_easy_getinfo(h->h, CURLINFO_RESPONSE_CODE, &r->status);
    if (!r->body && !(r->body = calloc(1, 1))) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    return 0;
}
