/*
 * http.c - fuzz target: one HTTP request through routing and the handlers,
 * without a socket, against a real daemon state (SQLite database in a
 * temporary folder, token files, model and data roots, the dashboard).
 *
 * The input is a request in HTTP/1.1's shape:
 *
 *     POST /api/v1/runs?x=1 HTTP/1.1      (the version is optional)
 *     Authorization: Bearer fuzz-token
 *     Content-Type: application/json
 *                                          (an empty line, then the body)
 *     {"kind": "search", ...}
 *
 * "@ROOT@" stands for the target's folder, which holds the model root
 * (@ROOT@/models: files that are not models) and the data root (@ROOT@/data).
 * Only the headers anasd reads are kept (Authorization, Content-Type,
 * Accept); the query is split and decoded as libmicrohttpd does; a body
 * over --max-body or a URL over 8192 bytes arrives as http.c delivers it
 * (too_big 413 or 414, no body).
 *
 * Before the first input, one small analytic search (two objectives, a
 * dozen evaluations: milliseconds) runs to the end, so that the routes that
 * read a finished run's results, front, export and events have one to
 * read (run 1; an input that would delete it is skipped). Then the
 * scheduler and the surrogate fitter are shut down: a run or a fit the
 * fuzzer submits is validated and stored as it would be, but never starts,
 * so no input costs more than its request.
 * Each run or surrogate an input creates is canceled and deleted through
 * the API right after, which keeps the database small and exercises
 * those routes too.
 *
 * Invariants checked on every answer: a status in 100..599; a stream only
 * with 200; 414 for more query parameters than a request holds; every 4xx/5xx is application/problem+json whose body is an
 * object with the same status, a string `code` ANAS_E... and, when there
 * is one, a string `field`; and a refused request (4xx) changed no row
 * of the database.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "anasd.h"
#include "fuzz.h"
#include "http.h"
#include "jobs.h"
#include "route.h"
#include "store.h"
#include "surrogates.h"

#define MAX_URL 8192 /* daemon/main.c's */
#define TOKEN "fuzz-token"
#define METRICS_TOKEN "fuzz-metrics"

static struct anasd d;
static uv_loop_t loop;
static long long fixture; /* the finished run */

static int dispatch(struct req *rq, struct resp *rs);

/* Submit the fixture run and let it finish. */
static void run_fixture(void)
{
    static const char spec[] =
        "{\"kind\": \"search\", \"space\": \"lenet\", \"evaluator\": {\"kind\": \"analytic\"},"
        " \"objectives\": [{\"metric\": \"params\", \"goal\": \"min\"},"
        " {\"metric\": \"macs\", \"goal\": \"max\"}],"
        " \"optimizer\": {\"kind\": \"random\", \"evaluations\": 12}, \"seed\": 1}";
    struct req rq = {.method = "POST", .path = "/api/v1/runs", .body = spec,
                     .body_len = sizeof spec - 1, .authorization = "Bearer " TOKEN};
    struct resp rs;
    struct store_run sr;
    int final = 0;

    if (dispatch(&rq, &rs) != 201)
        abort();
    free(rs.body);
    fixture = atoll(rs.location + strlen("/api/v1/runs/"));
    while (!final) {
        uv_run(&loop, UV_RUN_ONCE);
        if (store_run_get(d.store, fixture, &sr) < 0)
            abort();
        final = strcmp(sr.state, "succeeded") == 0;
        if (!final && strcmp(sr.state, "running") && strcmp(sr.state, "queued"))
            abort();
        store_run_fini(&sr);
    }
}

static void shut(void)
{
    if (d.store)
        anasd_close(&d);
}

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", fuzz_dir(), name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *src = getenv("ANAS_SRCDIR");
    char db[600], tokens[600], mtokens[600], models[600], data[600], www[4200], ex[4200];
    char why[512];
    const char *args[32];
    int n = 0;

    (void)argc;
    (void)argv;
    fuzz_quiet();
    if (!src)
        src = FUZZ_SRCDIR;
    path_in(db, sizeof db, "anasd.db");
    path_in(tokens, sizeof tokens, "tokens");
    path_in(mtokens, sizeof mtokens, "metrics-tokens");
    path_in(models, sizeof models, "models");
    path_in(data, sizeof data, "data");
    snprintf(www, sizeof www, "%s/www", src);
    snprintf(ex, sizeof ex, "%s/clients/examples", src);
    fuzz_write(tokens, TOKEN "\n", strlen(TOKEN) + 1);
    fuzz_write(mtokens, METRICS_TOKEN "\n", strlen(METRICS_TOKEN) + 1);
    if (mkdir(models, 0700) < 0 || mkdir(data, 0700) < 0)
        abort();
    fuzz_models();
    args[n++] = "anasd";
    args[n++] = "--db", args[n++] = db;
    args[n++] = "--workers", args[n++] = "1";
    args[n++] = "--max-body", args[n++] = "2048"; /* small: 413 is within reach */
    args[n++] = "--max-streams", args[n++] = "4";
    args[n++] = "--token-file", args[n++] = tokens;
    args[n++] = "--metrics-token-file", args[n++] = mtokens;
    args[n++] = "--model-root", args[n++] = models;
    args[n++] = "--data-root", args[n++] = data;
    args[n++] = "--www-root", args[n++] = www;
    args[n++] = "--examples-root", args[n++] = ex;
    args[n] = NULL;
    if (conf_load(&d.conf, n, (char **)args, why, sizeof why) != CONF_OK ||
        uv_loop_init(&loop) < 0 || anasd_open(&d, &loop, why, sizeof why) < 0) {
        fprintf(stderr, "fuzz-http: %s\n", why);
        abort();
    }
    atexit(shut);
    run_fixture();
    jobs_shutdown(d.jobs);
    surrogates_shutdown(d.surrogates);
    return 0;
}

/* --- the request --- */

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* %XX decoding in place, as libmicrohttpd's MHD_http_unescape. */
static void unescape(char *s)
{
    char *w = s;

    for (; *s; s++) {
        if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
            *w++ = (char)(hexval((unsigned char)s[1]) * 16 + hexval((unsigned char)s[2]));
            s += 2;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

static void add_query(struct req *rq, char *arg)
{
    char *eq = strchr(arg, '=');
    struct req_param *p;

    if (rq->n_query == REQ_MAX_QUERY) {
        rq->query_overflow = 1;
        return;
    }
    if (eq)
        *eq = '\0';
    p = &rq->query[rq->n_query];
    p->name = strdup(arg);
    p->value = strdup(eq ? eq + 1 : "");
    if (!p->name || !p->value)
        abort();
    unescape(p->name);
    unescape(p->value);
    rq->n_query++;
}

static void parse_query(struct req *rq, char *q)
{
    char *save = NULL, *arg;

    for (arg = strtok_r(q, "&", &save); arg; arg = strtok_r(NULL, "&", &save))
        add_query(rq, arg);
}

static void header(struct req *rq, char *line)
{
    char *colon = strchr(line, ':'), *v;

    if (!colon)
        return;
    *colon = '\0';
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    if (strcasecmp(line, "authorization") == 0)
        rq->authorization = v;
    else if (strcasecmp(line, "content-type") == 0)
        rq->content_type = v;
    else if (strcasecmp(line, "accept") == 0)
        rq->accept = v;
}

/* Splits text (the input, NUL-terminated, n bytes) into rq; the strings
 * point into text. 0, or -1 when there is no request line. */
static int parse(char *text, size_t n, struct req *rq)
{
    char *line_end = memchr(text, '\n', n), *sp, *target, *q, *p, *body;

    if (!line_end || strlen(text) < (size_t)(line_end - text))
        return -1; /* no request line, or a NUL inside it */
    *line_end = '\0';
    if (line_end > text && line_end[-1] == '\r')
        line_end[-1] = '\0';
    sp = strchr(text, ' ');
    if (!sp || sp == text)
        return -1;
    *sp = '\0';
    rq->method = text;
    target = sp + 1;
    if ((sp = strchr(target, ' ')))
        *sp = '\0'; /* HTTP/1.1 */
    if (strlen(target) > MAX_URL)
        rq->too_big = 414;
    if ((q = strchr(target, '?'))) {
        *q = '\0';
        parse_query(rq, q + 1);
    }
    rq->path = target;
    /* Headers up to an empty line; the rest is the body. */
    for (p = line_end + 1; p < text + n;) {
        char *e = memchr(p, '\n', (size_t)(text + n - p));
        if (!e)
            e = text + n;
        *e = '\0';
        if (e > p && e[-1] == '\r')
            e[-1] = '\0';
        if (!*p) {
            p = e + 1;
            break;
        }
        header(rq, p);
        p = e + 1;
    }
    body = p;
    if (body < text + n) {
        rq->body = body;
        rq->body_len = (size_t)(text + n - body);
        if (rq->body_len > (size_t)d.conf.max_body && !rq->too_big) {
            rq->too_big = 413;
            rq->body = NULL;
            rq->body_len = 0;
        }
    }
    if (rq->too_big == 414) { /* http.c drops what a refused URL sent */
        rq->body = NULL;
        rq->body_len = 0;
    }
    return 0;
}

static void req_free(struct req *rq)
{
    for (int i = 0; i < rq->n_query; i++) {
        free(rq->query[i].name);
        free(rq->query[i].value);
    }
}

/* --- the answer --- */

static void check_problem(const struct req *rq, const struct resp *rs)
{
    json_t *j, *code, *field, *status;

    FUZZ_CHECK(strcmp(rs->content_type, "application/problem+json") == 0,
               "%s %s: %d with content type '%s'", rq->method, rq->path, rs->status,
               rs->content_type);
    j = rs->body ? json_loadb(rs->body, rs->body_len, 0, NULL) : NULL;
    FUZZ_CHECK(json_is_object(j), "%s %s: %d without a JSON object body", rq->method,
               rq->path, rs->status);
    code = json_object_get(j, "code");
    field = json_object_get(j, "field");
    status = json_object_get(j, "status");
    FUZZ_CHECK(json_is_string(code) && strncmp(json_string_value(code), "ANAS_E", 6) == 0,
               "%s %s: %d without a code", rq->method, rq->path, rs->status);
    FUZZ_CHECK(!field || json_is_string(field) || json_is_null(field),
               "%s %s: field is not a string", rq->method, rq->path);
    FUZZ_CHECK(json_integer_value(status) == rs->status, "%s %s: status %d, body says %lld",
               rq->method, rq->path, rs->status, (long long)json_integer_value(status));
    json_decref(j);
}

/* A stream is pulled a little, then ended as a client that goes away. */
static void drain_stream(struct resp *rs)
{
    char buf[4096];

    for (int i = 0; i < 3; i++)
        if (rs->stream->pull(rs->stream_cls, NULL, buf, sizeof buf) <= 0)
            break;
    rs->stream->done(rs->stream_cls);
}

static int dispatch(struct req *rq, struct resp *rs)
{
    static const char id[] = "fuzz000000000000";

    memcpy(rq->request_id, id, sizeof id);
    rq->received = uv_hrtime();
    memset(rs, 0, sizeof *rs);
    route_dispatch(&d, rq, rs);
    FUZZ_CHECK(rs->status >= 100 && rs->status <= 599, "%s %s: status %d", rq->method,
               rq->path, rs->status);
    if (rs->stream) {
        FUZZ_CHECK(rs->status == 200, "%s %s: a stream with status %d", rq->method, rq->path,
                   rs->status);
        drain_stream(rs);
    }
    if (rs->status >= 400)
        check_problem(rq, rs);
    return rs->status;
}

/* An internal request, to clean up what an input made. */
static int call(const char *method, const char *path)
{
    struct req rq = {.method = method, .path = path, .authorization = "Bearer " TOKEN};
    struct resp rs;
    int status = dispatch(&rq, &rs);

    free(rs.body);
    return status;
}

static void clean_up(const char *location)
{
    char path[200];

    if (strncmp(location, "/api/v1/runs/", 13) == 0) {
        snprintf(path, sizeof path, "%s/cancel", location);
        call("POST", path);
        FUZZ_CHECK(call("DELETE", location) == 204, "cannot delete %s", location);
    } else if (strncmp(location, "/api/v1/surrogates/", 19) == 0) {
        call("DELETE", location);
    }
}

/* DELETE /api/v1/runs/1, however spelled (01, a trailing slash). */
static int deletes_fixture(const struct req *rq)
{
    const char *p = rq->path + strlen("/api/v1/runs/");

    if (strcmp(rq->method, "DELETE") || strncmp(rq->path, "/api/v1/runs/", 13))
        return 0;
    while (*p == '0')
        p++;
    return atoll(p) == fixture;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    char *text = fuzz_expand(data, size, &n);
    struct req rq;
    struct resp rs;
    long long before;

    if (!text)
        return 0;
    memset(&rq, 0, sizeof rq);
    if (parse(text, n, &rq) == 0 && !deletes_fixture(&rq)) {
        before = store_changes(d.store);
        dispatch(&rq, &rs);
        if (getenv("FUZZ_VERBOSE")) /* what a replayed input got */
            fprintf(stderr, "%s %s -> %d %.*s\n", rq.method, rq.path, rs.status,
                    rs.status >= 300 ? (int)rs.body_len : 0, rs.body ? rs.body : "");
        /* A body over the limit is answered first (413), as the server would. */
        FUZZ_CHECK(!rq.query_overflow || rs.status == 414 || rq.too_big == 413,
                   "more than %d query parameters answered %d", REQ_MAX_QUERY, rs.status);
        if (rs.status >= 400 && rs.status < 500)
            FUZZ_CHECK(store_changes(d.store) == before, "%s %s: refused with %d but wrote",
                       rq.method, rq.path, rs.status);
        if (rs.status == 201 && rs.location[0])
            clean_up(rs.location);
        free(rs.body);
    }
    req_free(&rq);
    free(text);
    /* Handles closed by a request (a stream's timer) finish closing. */
    uv_run(&loop, UV_RUN_NOWAIT);
    return 0;
}
