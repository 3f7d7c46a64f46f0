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
#include "reply.h"

struct route {
    const char *method;
    const char *pattern;
    api_fn fn;
    int open; /* no token needed */
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
    {"GET", "/metrics", api_metrics_get, 0},
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

static int token_ok(const struct anasd *d, const char *auth)
{
    int i, good = 0;
    size_t tl;
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    tl = strlen(auth);
    for (i = 0; i < d->conf.n_tokens; i++) {
        const char *t = d->conf.tokens[i];
        size_t k, n = strlen(t);
        unsigned char diff = (unsigned char)(n != tl);
        /* Constant-time in the token's content. */
        for (k = 0; k < n; k++)
            diff |= (unsigned char)(t[k] ^ (k < tl ? auth[k] : 0));
        good |= diff == 0;
    }
    return good;
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

void route_dispatch(void *ctx, const struct req *rq, struct resp *rs)
{
    struct anasd *d = ctx;
    struct route_args args;
    char allow[64] = "";
    int i, path_known = 0;

    if (rq->too_big == 413)
        return (void)reply_problem(rs, rq, 413, ANAS_ETOOBIG, NULL,
                                   "request body larger than %ld bytes", d->conf.max_body);
    if (rq->too_big == 414)
        return (void)reply_problem(rs, rq, 414, ANAS_ELIMIT, NULL, "URL too long");
    for (i = 0; i < N_ROUTES; i++) {
        memset(&args, 0, sizeof args);
        if (!match(routes[i].pattern, rq->path, &args))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, rq->method) != 0) {
            append_allow(allow, sizeof allow, routes[i].method);
            continue;
        }
        if (!routes[i].open && d->conf.n_tokens > 0 && !token_ok(d, rq->authorization))
            return (void)reply_problem(rs, rq, 401, ANAS_EAUTH, NULL,
                                       "missing or invalid bearer token");
        if (!media_ok(rq))
            return (void)reply_problem(rs, rq, 415, ANAS_EMEDIA, NULL,
                                       "request bodies must be application/json");
        if (routes[i].fn(d, rq, &args, rs) < 0 && rs->status == 0)
            reply_problem(rs, rq, 500, ANAS_EINTERNAL, NULL, "handler failed");
        return;
    }
    if (path_known) {
        if (d->conf.n_tokens > 0 && !token_ok(d, rq->authorization))
            return (void)reply_problem(rs, rq, 401, ANAS_EAUTH, NULL,
                                       "missing or invalid bearer token");
        snprintf(rs->allow, sizeof rs->allow, "%s", allow);
        return (void)reply_problem(rs, rq, 405, ANAS_EMETHOD, NULL,
                                   "%s is not allowed on %s (allowed: %s)", rq->method,
                                   rq->path, allow);
    }
    reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such resource: %s", rq->path);
}
