/*
 * route.c - one table, read top to bottom like an index of the API.
 * Path parameters are matched and type-checked here, so handlers receive
 * only well-formed ids, names and hashes.
 */
#include "config.h"

#include "route.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "core/log.h"
#include "metrics.h"
#include "reply.h"
#include "static.h"

/* Who may call a route (struct route's `open`). */
enum {
    NEEDS_TOKEN = 0, /* with --token-file: one of its tokens */
    OPEN = 1,        /* anyone */
    METRICS = 2,     /* with any tokens: one of --token-file or --metrics-token-file */
};

struct route {
    const char *method;
    const char *pattern;
    api_fn fn;
    int open; /* 0, OPEN or METRICS, above */
};

static const struct route routes[] = {
    {"GET", "/api/v1/health", api_health_get, 1},
    {"GET", "/api/v1/openapi.json", api_openapi_get, 0},
    {"GET", "/api/v1/spaces", api_spaces_list, 0},
    {"GET", "/api/v1/spaces/{name}", api_spaces_get, 0},
    {"POST", "/api/v1/spaces/{name}/sample", api_spaces_sample, 0},
    {"GET", "/api/v1/optimizers", api_optimizers_list, 0},
    {"GET", "/api/v1/presets", api_presets_list, 0},
    {"POST", "/api/v1/architectures", api_architectures_create, 0},
    {"GET", "/api/v1/architectures/{hash}", api_architectures_get, 0},
    {"POST", "/api/v1/runs", api_runs_create, 0},
    {"GET", "/api/v1/runs", api_runs_list, 0},
    {"GET", "/api/v1/runs/{id}", api_runs_get, 0},
    {"DELETE", "/api/v1/runs/{id}", api_runs_delete, 0},
    {"POST", "/api/v1/runs/{id}/cancel", api_runs_cancel, 0},
    {"GET", "/api/v1/runs/{id}/evaluations", api_runs_evaluations, 0},
    {"GET", "/api/v1/runs/{id}/best", api_runs_best, 0},
    {"GET", "/api/v1/runs/{id}/pareto", api_runs_pareto, 0},
    {"GET", "/api/v1/runs/{id}/export", api_runs_export, 0},
    {"GET", "/api/v1/runs/{id}/model", api_runs_model, 0},
    {"GET", "/api/v1/runs/{id}/events", api_events_run, 0},
    {"GET", "/api/v1/events", api_events_all, 0},
    {"POST", "/api/v1/surrogates", api_surrogates_create, 0},
    {"GET", "/api/v1/surrogates", api_surrogates_list, 0},
    {"GET", "/api/v1/surrogates/{id}", api_surrogates_get, 0},
    {"DELETE", "/api/v1/surrogates/{id}", api_surrogates_delete, 0},
    {"GET", "/api/v1/surrogates/{id}/model", api_surrogates_model, 0},
    {"POST", "/api/v1/leases", api_leases_create, 0},
    {"DELETE", "/api/v1/leases/{id}", api_leases_release, 0},
    {"POST", "/api/v1/leases/{id}/heartbeat", api_leases_heartbeat, 0},
    {"POST", "/api/v1/leases/{id}/result", api_leases_result, 0},
    {"GET", "/api/v1/workers", api_workers_list, 0},
    {"GET", "/metrics", api_metrics_get, METRICS},
};

#define N_ROUTES ((int)(sizeof routes / sizeof routes[0]))

static int match_param(const char *kind, const char *seg, size_t len, struct route_args *a)
{
    size_t i;
    if (strcmp(kind, "{id}") == 0) {
        long long v = 0;
        if (len == 0 || len > 15)
            return 0;
        for (i = 0; i < len; i++) {
            if (!isdigit((unsigned char)seg[i]))
                return 0;
            v = v * 10 + (seg[i] - '0');
        }
        a->id = v;
        return v > 0;
    }
    if (strcmp(kind, "{hash}") == 0) {
        if (len != 16)
            return 0;
        for (i = 0; i < len; i++)
            if (!isxdigit((unsigned char)seg[i]) || isupper((unsigned char)seg[i]))
                return 0;
        memcpy(a->hash, seg, 16);
        a->hash[16] = '\0';
        return 1;
    }
    if (len == 0 || len >= sizeof a->name)
        return 0;
    for (i = 0; i < len; i++)
        if (!islower((unsigned char)seg[i]) && !isdigit((unsigned char)seg[i]) &&
            seg[i] != '-' && seg[i] != '_')
            return 0;
    memcpy(a->name, seg, len);
    a->name[len] = '\0';
    return 1;
}

/* Segment-by-segment match of a path against a pattern. */
static int match(const char *pattern, const char *path, struct route_args *a)
{
    const char *p = pattern, *s = path;
    while (*p && *s) {
        const char *pe = strchr(p + 1, '/'), *se = strchr(s + 1, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t sl = se ? (size_t)(se - s) : strlen(s);
        if (p[1] == '{') {
            char kind[16];
            if (pl - 1 >= sizeof kind)
                return 0;
            memcpy(kind, p + 1, pl - 1);
            kind[pl - 1] = '\0';
            if (!match_param(kind, s + 1, sl - 1, a))
                return 0;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    return *p == '\0' && (*s == '\0' || strcmp(s, "/") == 0);
}

static int token_in(char *const *tokens, int n_tokens, const char *auth)
{
    int i, good = 0;
    size_t tl;
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    tl = strlen(auth);
    for (i = 0; i < n_tokens; i++) {
        const char *t = tokens[i];
        size_t k, n = strlen(t);
        unsigned char diff = (unsigned char)(n != tl);
        /* Constant-time in the token's content. */
        for (k = 0; k < n; k++)
            diff |= (unsigned char)(t[k] ^ (k < tl ? auth[k] : 0));
        good |= diff == 0;
    }
    return good;
}

static int token_ok(const struct anasd *d, const char *auth)
{
    return token_in(d->conf.tokens, d->conf.n_tokens, auth);
}

static int metrics_token_ok(const struct anasd *d, const char *auth)
{
    return token_in(d->conf.metrics_tokens, d->conf.n_metrics_tokens, auth);
}

/* 0 when the request may call the route; otherwise the refusal is in rs. A
 * metrics token elsewhere is known but not enough: 403, as RFC 6750 §3.1
 * answers a token without the scope a resource needs. */
static int authorize(const struct anasd *d, const struct req *rq, int open, struct resp *rs)
{
    const char *auth = rq->authorization;
    if (open == OPEN)
        return 0;
    if (open == METRICS) {
        if (d->conf.n_tokens + d->conf.n_metrics_tokens == 0 || token_ok(d, auth) ||
            metrics_token_ok(d, auth))
            return 0;
    } else if (d->conf.n_tokens == 0 || token_ok(d, auth)) {
        return 0;
    } else if (metrics_token_ok(d, auth)) {
        reply_problem(rs, rq, 403, ANAS_EDENIED, NULL, "this token may only read /metrics");
        return -1;
    }
    reply_problem(rs, rq, 401, ANAS_EAUTH, NULL, "missing or invalid bearer token");
    return -1;
}

static int media_ok(const struct req *rq)
{
    const char *ct = rq->content_type;
    if (!rq->body_len || !ct)
        return 1;
    /* curl -d sends form-urlencoded unless told otherwise; its bodies are
     * still JSON, so accept them rather than trip every first-time user. */
    return strncmp(ct, "application/json", 16) == 0 || strstr(ct, "+json") != NULL ||
           strncmp(ct, "application/x-www-form-urlencoded", 33) == 0 ||
           strncmp(ct, "text/plain", 10) == 0;
}

static void append_allow(char *allow, size_t n, const char *method)
{
    size_t len = strlen(allow);
    if (strstr(allow, method))
        return;
    snprintf(allow + len, n - len, "%s%s", len ? ", " : "", method);
}

/* Routes the request and answers it; returns the pattern of the route the
 * path matched, or "none". */
static const char *route_run(struct anasd *d, const struct req *rq, struct resp *rs)
{
    struct route_args args;
    const char *matched = "none";
    char allow[64] = "";
    int i;

    if (rq->too_big == 413) {
        reply_problem(rs, rq, 413, ANAS_ETOOBIG, NULL, "request body larger than %ld bytes",
                      d->conf.max_body);
        return matched;
    }
    if (rq->too_big == 414) {
        reply_problem(rs, rq, 414, ANAS_ELIMIT, NULL, "URL too long");
        return matched;
    }
    for (i = 0; i < N_ROUTES; i++) {
        memset(&args, 0, sizeof args);
        if (!match(routes[i].pattern, rq->path, &args))
            continue;
        if (strcmp(matched, "none") == 0)
            matched = routes[i].pattern;
        if (strcmp(routes[i].method, rq->method) != 0) {
            append_allow(allow, sizeof allow, routes[i].method);
            continue;
        }
        if (authorize(d, rq, routes[i].open, rs) < 0)
            return routes[i].pattern;
        if (!media_ok(rq)) {
            reply_problem(rs, rq, 415, ANAS_EMEDIA, NULL,
                          "request bodies must be application/json");
            return routes[i].pattern;
        }
        if (routes[i].fn(d, rq, &args, rs) < 0 && rs->status == 0)
            reply_problem(rs, rq, 500, ANAS_EINTERNAL, NULL, "handler failed");
        return routes[i].pattern;
    }
    if (strcmp(matched, "none") != 0) {
        if (d->conf.n_tokens > 0 && !token_ok(d, rq->authorization)) {
            reply_problem(rs, rq, 401, ANAS_EAUTH, NULL, "missing or invalid bearer token");
            return matched;
        }
        snprintf(rs->allow, sizeof rs->allow, "%s", allow);
        reply_problem(rs, rq, 405, ANAS_EMETHOD, NULL, "%s is not allowed on %s (allowed: %s)",
                      rq->method, rq->path, allow);
        return matched;
    }
    if (static_serve(d, rq, rs))
        return "static";
    reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such resource: %s", rq->path);
    return matched;
}

/* Every answer is counted by its route's pattern, never the raw path: the
 * metrics' label values stay a bounded set. */
void route_dispatch(void *ctx, const struct req *rq, struct resp *rs)
{
    struct anasd *d = ctx;
    const char *route = route_run(d, rq, rs);
    int status = rs->status >= 100 && rs->status <= 599 ? rs->status : 500;
    metrics_request(d->metrics, rq->method, route, status,
                    (double)(uv_hrtime() - rq->received) * 1e-9);
}
