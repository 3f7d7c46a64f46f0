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
#include "auth.h"
#include "core/log.h"
#include "metrics.h"
#include "reply.h"
#include "static.h"

/* Who may call a route: anyone, or a token with this scope (auth.h).
 * Without --token-file every route but /metrics is open, as on a laptop. */
#define OPEN 0u
#define READ AUTH_READ
#define SUBMIT AUTH_SUBMIT
#define ADMIN AUTH_ADMIN
#define METRICS AUTH_METRICS
#define WORKER AUTH_WORKER

struct route {
    const char *method;
    const char *pattern;
    api_fn fn;
    unsigned scope;
};

static const struct route routes[] = {
    {"GET", "/api/v1/health", api_health_get, OPEN},
    {"GET", "/api/v1/openapi.json", api_openapi_get, READ},
    {"GET", "/api/v1/spaces", api_spaces_list, READ},
    {"GET", "/api/v1/spaces/{name}", api_spaces_get, READ},
    {"POST", "/api/v1/spaces/{name}/sample", api_spaces_sample, READ},
    {"GET", "/api/v1/optimizers", api_optimizers_list, READ},
    {"GET", "/api/v1/presets", api_presets_list, READ},
    {"POST", "/api/v1/architectures", api_architectures_create, SUBMIT},
    {"GET", "/api/v1/architectures/{hash}", api_architectures_get, READ},
    {"POST", "/api/v1/runs", api_runs_create, SUBMIT},
    {"GET", "/api/v1/runs", api_runs_list, READ},
    {"GET", "/api/v1/runs/{id}", api_runs_get, READ},
    {"DELETE", "/api/v1/runs/{id}", api_runs_delete, SUBMIT},
    {"POST", "/api/v1/runs/{id}/cancel", api_runs_cancel, SUBMIT},
    {"GET", "/api/v1/runs/{id}/evaluations", api_runs_evaluations, READ},
    {"GET", "/api/v1/runs/{id}/best", api_runs_best, READ},
    {"GET", "/api/v1/runs/{id}/pareto", api_runs_pareto, READ},
    {"GET", "/api/v1/runs/{id}/export", api_runs_export, READ},
    {"GET", "/api/v1/runs/{id}/model", api_runs_model, READ},
    {"GET", "/api/v1/runs/{id}/events", api_events_run, READ},
    {"GET", "/api/v1/events", api_events_all, READ},
    {"POST", "/api/v1/surrogates", api_surrogates_create, SUBMIT},
    {"GET", "/api/v1/surrogates", api_surrogates_list, READ},
    {"GET", "/api/v1/surrogates/{id}", api_surrogates_get, READ},
    {"DELETE", "/api/v1/surrogates/{id}", api_surrogates_delete, SUBMIT},
    {"GET", "/api/v1/surrogates/{id}/model", api_surrogates_model, READ},
    {"POST", "/api/v1/admin/reload", api_admin_reload, ADMIN},
    {"POST", "/api/v1/leases", api_leases_create, WORKER},
    {"DELETE", "/api/v1/leases/{id}", api_leases_release, WORKER},
    {"POST", "/api/v1/leases/{id}/heartbeat", api_leases_heartbeat, WORKER},
    {"POST", "/api/v1/leases/{id}/result", api_leases_result, WORKER},
    {"GET", "/api/v1/workers", api_workers_list, READ},
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

/* Segment-by-segment match of a path against a pattern. A path that does
 * not start with the pattern's text before its first parameter cannot
 * match: one comparison turns most routes away (this runs for every route
 * on every request). */
static int match(const char *pattern, const char *path, struct route_args *a)
{
    const char *p = pattern, *s = path, *param = strchr(pattern, '{');
    size_t lit = param ? (size_t)(param - pattern) : strlen(pattern);
    if (strncmp(pattern, path, lit) != 0)
        return 0;
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

/* 0 when the request may call a route needing `scope`; otherwise the
 * refusal is in rs: 401 for no or an unknown token, 403 for a known one
 * without the scope (RFC 6750 §3.1). /metrics needs a token as soon as
 * either file holds one; the API, as soon as --token-file does. */
static int authorize(const struct anasd *d, const struct req *rq, unsigned scope,
                     struct resp *rs)
{
    const struct conf *c = &d->conf;
    unsigned have;
    if (scope == OPEN || (scope == METRICS ? c->tokens.n == 0 : c->n_api_tokens == 0))
        return 0;
    if (auth_find(&c->tokens, rq->authorization, &have) < 0) {
        reply_problem(rs, rq, 401, ANAS_EAUTH, NULL, "missing or invalid bearer token");
        return -1;
    }
    if ((have & scope) == scope)
        return 0;
    reply_problem(rs, rq, 403, ANAS_EDENIED, NULL, "this token lacks the '%s' scope",
                  auth_scope_name(scope));
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
    /* Parameters past the limit were never read: answering without them
     * would silently ignore, say, a limit= at the end. */
    if (rq->query_overflow) {
        reply_problem(rs, rq, 414, ANAS_ELIMIT, NULL, "more than %d query parameters",
                      REQ_MAX_QUERY);
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
        if (authorize(d, rq, routes[i].scope, rs) < 0)
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
        unsigned any;
        if (d->conf.n_api_tokens > 0 &&
            auth_find(&d->conf.tokens, rq->authorization, &any) < 0) {
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

/* A CORS preflight (OPTIONS with Access-Control-Request-Method) from an
 * allowed origin: the path's methods, no token (browsers send none on a
 * preflight). Returns the path's pattern, or NULL to route as usual. */
static const char *preflight(struct anasd *d, const struct req *rq, struct resp *rs)
{
    struct route_args args;
    const char *matched = NULL;
    int i;
    if (strcmp(rq->method, "OPTIONS") != 0 ||
        !req_header(rq, "Access-Control-Request-Method"))
        return NULL;
    for (i = 0; i < N_ROUTES; i++) {
        memset(&args, 0, sizeof args);
        if (!match(routes[i].pattern, rq->path, &args))
            continue;
        matched = matched ? matched : routes[i].pattern;
        append_allow(rs->cors_methods, sizeof rs->cors_methods, routes[i].method);
    }
    if (matched)
        rs->status = 204;
    return matched;
}

/* Every answer is counted by its route's pattern, never the raw path: the
 * metrics' label values stay a bounded set. CORS headers go on every
 * answer to an allowed origin, refusals included, so that a page can read
 * why it was refused. */
void route_dispatch(void *ctx, const struct req *rq, struct resp *rs)
{
    struct anasd *d = ctx;
    const char *origin = req_header(rq, "Origin");
    int cors = origin && conf_cors_allows(&d->conf, origin);
    const char *route = cors ? preflight(d, rq, rs) : NULL;

    if (!route)
        route = route_run(d, rq, rs);
    if (cors)
        snprintf(rs->cors_origin, sizeof rs->cors_origin, "%s",
                 strcmp(d->conf.cors_origin, "*") == 0 ? "*" : origin);
    int status = rs->status >= 100 && rs->status <= 599 ? rs->status : 500;
    metrics_request(d->metrics, rq->method, route, status,
                    (double)(uv_hrtime() - rq->received) * 1e-9);
}
