/*
 * cmd.c - anasctl's commands: one function each, an HTTP request and its
 * answer printed as a table (or as the API's JSON with --json).
 */
#include "config.h"

#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A run id: a positive integer, nothing else. */
static int run_id(struct args *a, long *id)
{
    char *end;
    errno = 0;
    long v = strtol(a->pos[1], &end, 10);
    if (a->pos[1][0] == '\0' || *end != '\0' || errno || v <= 0) {
        fprintf(stderr, "error: '%s' is not a run id (a positive integer)\n", a->pos[1]);
        return EX_USAGE;
    }
    *id = v;
    return 0;
}

/* Reads FILE, or stdin for "-", whole. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *nb = realloc(b, cap *= 2);
        if (!nb)
            free(b);
        b = nb;
    }
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!b || err) {
        free(b);
        return NULL;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

static int write_out(const char *path, const char *data, size_t len)
{
    FILE *f = path && strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f || fwrite(data, 1, len, f) != len || (f == stdout ? fflush(f) : fclose(f))) {
        fprintf(stderr, "error: cannot write %s: %s\n", path ? path : "stdout", strerror(errno));
        return EX_USAGE;
    }
    return 0;
}

/* METHOD PATH, expecting `want`; the JSON answer in *out (may be NULL). */
static int call(struct args *a, const char *method, const char *path, const char *body,
                size_t blen, long want, json_t **out)
{
    struct http_resp r;
    if (out)
        *out = NULL;
    if (http_request(&a->c, method, path, body, blen, &r) < 0)
        return out_net_error(&r, &a->c);
    int rc = 0;
    if (r.status != want) {
        char what[160];
        snprintf(what, sizeof what, "%s %s", method, path);
        rc = out_api_error(&r, what);
    } else if (out && r.len) {
        *out = json_loads(r.body, 0, NULL);
        if (!*out) {
            fprintf(stderr, "error: %s %s: the answer is not JSON\n", method, path);
            rc = EX_API;
        }
    }
    http_resp_free(&r);
    return rc;
}

static struct wait_opts wait_opts(struct args *a)
{
    struct wait_opts w = {a->gates, a->n_gates, a->junit};
    return w;
}

int cmd_submit(struct args *a)
{
    size_t len;
    char *spec = slurp(a->pos[1], &len);
    if (!spec) {
        fprintf(stderr, "error: cannot read %s: %s\n", a->pos[1], strerror(errno));
        return EX_USAGE;
    }
    json_t *run;
    int rc = call(a, "POST", "/api/v1/runs", spec, len, 201, &run);
    free(spec);
    if (rc)
        return rc;
    long id = (long)json_integer_value(json_object_get(run, "id"));
    if (a->c.quiet)
        printf("%ld\n", id);
    else if (a->c.json && !a->wait)
        out_json(run);
    else if (!a->c.json)
        printf("run %ld %s\n", id, json_string_value(json_object_get(run, "state")) ?: "?");
    json_decref(run);
    if (!a->wait)
        return 0;
    struct wait_opts w = wait_opts(a);
    return wait_run(&a->c, id, &w);
}

int cmd_list(struct args *a)
{
    char path[256];
    json_t *page;
    snprintf(path, sizeof path, "/api/v1/runs?limit=1000%s%s", a->state ? "&state=" : "",
             a->state ? a->state : "");
    if (a->state && strspn(a->state, "abcdefghijklmnopqrstuvwxyz") != strlen(a->state)) {
        fprintf(stderr, "error: --state takes a state name (queued, running, succeeded...)\n");
        return EX_USAGE;
    }
    int rc = out_get_json(&a->c, path, &page);
    if (rc)
        return rc;
    if (a->c.json) {
        out_json(page);
    } else {
        if (!a->c.quiet)
            printf("%-6s %-11s %-9s %-13s %-21s %s\n", "ID", "STATE", "KIND", "DONE/TOTAL",
                   "CREATED", "NAME");
        size_t i;
        json_t *run;
        json_array_foreach(json_object_get(page, "items"), i, run)
            out_run_line(stdout, run);
    }
    json_decref(page);
    return 0;
}

/* GET /api/v1/runs/{id}SUFFIX as JSON. */
static int get_run_path(struct args *a, const char *suffix, long *id, json_t **out)
{
    char path[128];
    int rc = run_id(a, id);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "/api/v1/runs/%ld%s", *id, suffix);
    return out_get_json(&a->c, path, out);
}

int cmd_status(struct args *a)
{
    long id;
    json_t *run;
    int rc = get_run_path(a, "", &id, &run);
    if (rc)
        return rc;
    if (a->c.json)
        out_json(run);
    else if (a->c.quiet)
        printf("%s\n", json_string_value(json_object_get(run, "state")) ?: "?");
    else
        out_run_status(stdout, run);
    json_decref(run);
    return 0;
}

int cmd_wait(struct args *a)
{
    long id;
    int rc = run_id(a, &id);
    if (rc)
        return rc;
    struct wait_opts w = wait_opts(a);
    return wait_run(&a->c, id, &w);
}

int cmd_results(struct args *a)
{
    long id;
    json_t *b;
    int rc = get_run_path(a, "/best", &id, &b);
    if (rc)
        return rc;
    if (a->c.json)
        out_json(b);
    else
        out_best(stdout, json_object_get(b, "best"), json_object_get(b, "summary"));
    json_decref(b);
    return 0;
}

int cmd_pareto(struct args *a)
{
    long id;
    json_t *p;
    int rc = get_run_path(a, "/pareto", &id, &p);
    if (rc)
        return rc;
    if (a->c.json) {
        out_json(p);
        json_decref(p);
        return 0;
    }
    if (!a->c.quiet) {
        printf("front: %lld architectures, hypervolume ",
               (long long)json_integer_value(json_object_get(p, "pareto_size")));
        out_num(stdout, json_object_get(p, "hypervolume"));
        printf("\n%-6s %-3s %-16s %s\n", "SEQ", "REP", "HASH", "OBJECTIVES");
    }
    const json_t *objs = json_object_get(p, "objectives");
    size_t i, k;
    json_t *it, *o;
    json_array_foreach(json_object_get(p, "items"), i, it) {
        printf("%-6lld %-3lld %-16s", (long long)json_integer_value(json_object_get(it, "seq")),
               (long long)json_integer_value(json_object_get(it, "rep")),
               json_string_value(json_object_get(it, "hash")) ?: "?");
        json_array_foreach(objs, k, o) {
            const char *m = json_string_value(json_object_get(o, "metric"));
            printf(" %s=", m ? m : "?");
            out_num(stdout, json_object_get(json_object_get(it, "metrics"), m ? m : ""));
        }
        putchar('\n');
    }
    json_decref(p);
    return 0;
}

/* Every evaluation in proposal order (after= pages), one line each. */
static int list_evaluations(struct args *a, long id)
{
    long long after = 0;
    if (!a->c.json && !a->c.quiet)
        printf("%-6s %-3s %-9s %-5s %-16s %s\n", "SEQ", "REP", "STATE", "FEAS", "HASH",
               "METRICS");
    for (;;) {
        char path[128];
        json_t *page;
        snprintf(path, sizeof path, "/api/v1/runs/%ld/evaluations?limit=1000&after=%lld", id,
                 after);
        int rc = out_get_json(&a->c, path, &page);
        if (rc)
            return rc;
        size_t i;
        json_t *ev;
        json_array_foreach(json_object_get(page, "items"), i, ev) {
            if (a->c.json) {
                json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
                putchar('\n');
            } else {
                out_evaluation(stdout, ev);
            }
        }
        const json_t *next = json_object_get(page, "next_after");
        int more = json_is_integer(next) && json_integer_value(next) > after;
        if (more)
            after = json_integer_value(next);
        json_decref(page);
        if (!more)
            return 0;
    }
}

int cmd_evaluations(struct args *a)
{
    long id;
    int rc = run_id(a, &id);
    if (rc)
        return rc;
    if (!a->follow)
        return list_evaluations(a, id);
    return follow_evaluations(&a->c, id);
}

/* GET a file (export, model) to -o FILE or stdout. */
static int download(struct args *a, const char *path, const char *dflt_out)
{
    struct http_resp r;
    if (http_request(&a->c, "GET", path, NULL, 0, &r) < 0)
        return out_net_error(&r, &a->c);
    int rc;
    if (r.status != 200) {
        char what[160];
        snprintf(what, sizeof what, "GET %s", path);
        rc = out_api_error(&r, what);
    } else {
        const char *out = a->output ? a->output : dflt_out;
        rc = write_out(out, r.body, r.len);
        if (!rc && out && strcmp(out, "-") && !a->c.quiet && !a->c.json)
            fprintf(stderr, "wrote %s (%zu bytes)\n", out, r.len);
    }
    http_resp_free(&r);
    return rc;
}

int cmd_export(struct args *a)
{
    long id;
    int rc = run_id(a, &id);
    if (rc)
        return rc;
    const char *fmt = a->format ? a->format : "json";
    if (strcmp(fmt, "json") && strcmp(fmt, "csv") && strcmp(fmt, "analognas")) {
        fprintf(stderr, "error: --format takes csv, json or analognas, not '%s'\n", fmt);
        return EX_USAGE;
    }
    if (a->rep && strspn(a->rep, "0123456789") != strlen(a->rep)) {
        fprintf(stderr, "error: --rep takes a repetition number, not '%s'\n", a->rep);
        return EX_USAGE;
    }
    char path[160];
    snprintf(path, sizeof path, "/api/v1/runs/%ld/export?format=%s%s%s", id, fmt,
             a->rep ? "&rep=" : "", a->rep ? a->rep : "");
    return download(a, path, NULL);
}

int cmd_model(struct args *a)
{
    long id;
    int rc = run_id(a, &id);
    if (rc)
        return rc;
    char path[96], name[64];
    snprintf(path, sizeof path, "/api/v1/runs/%ld/model", id);
    snprintf(name, sizeof name, "run-%ld.safetensors", id);
    return download(a, path, name);
}

static int run_action(struct args *a, const char *method, const char *suffix, long want,
                      const char *done)
{
    long id;
    int rc = run_id(a, &id);
    if (rc)
        return rc;
    char path[96];
    json_t *run;
    snprintf(path, sizeof path, "/api/v1/runs/%ld%s", id, suffix);
    rc = call(a, method, path, method[0] == 'P' ? "" : NULL, 0, want, &run);
    if (rc)
        return rc;
    if (a->c.json && run)
        out_json(run);
    else if (!a->c.quiet && !a->c.json)
        printf("run %ld %s\n", id, done);
    json_decref(run);
    return 0;
}

int cmd_cancel(struct args *a)
{
    return run_action(a, "POST", "/cancel", 200, "canceled");
}

int cmd_delete(struct args *a)
{
    return run_action(a, "DELETE", "", 204, "deleted");
}

static void print_space(const json_t *s)
{
    printf("%-12s %20lld %4lld  %.60s\n", json_string_value(json_object_get(s, "name")) ?: "?",
           (long long)json_integer_value(json_object_get(s, "size")),
           (long long)json_integer_value(json_object_get(s, "n_hyperparameters")),
           json_string_value(json_object_get(s, "description")) ?: "");
}

static void print_preset(const json_t *p)
{
    printf("%-18s %.70s\n", json_string_value(json_object_get(p, "name")) ?: "?",
           json_string_value(json_object_get(p, "doc")) ?: "");
}

/* A list endpoint's items: the API's JSON, or a table of one line each. */
static int list_items(struct args *a, const char *path, const char *header,
                      void (*print)(const json_t *))
{
    json_t *l, *item;
    size_t i;
    int rc = out_get_json(&a->c, path, &l);
    if (rc)
        return rc;
    if (a->c.json) {
        out_json(l);
    } else {
        if (!a->c.quiet)
            fputs(header, stdout);
        json_array_foreach(json_object_get(l, "items"), i, item)
            print(item);
    }
    json_decref(l);
    return 0;
}

int cmd_spaces(struct args *a)
{
    char header[96];
    snprintf(header, sizeof header, "%-12s %20s %4s  %s\n", "NAME", "SIZE", "HPS",
             "DESCRIPTION");
    return list_items(a, "/api/v1/spaces", header, print_space);
}

int cmd_presets(struct args *a)
{
    char header[64];
    snprintf(header, sizeof header, "%-18s %s\n", "NAME", "DOC");
    return list_items(a, "/api/v1/presets", header, print_preset);
}

int cmd_health(struct args *a)
{
    json_t *h;
    int rc = out_get_json(&a->c, "/api/v1/health", &h);
    if (rc)
        return rc;
    if (a->c.json) {
        out_json(h);
    } else if (!a->c.quiet) {
        const json_t *runs = json_object_get(h, "runs");
        printf("%s: anasd %s at %s, up %.0f s, %lld workers, %lld queued, %lld running\n",
               json_string_value(json_object_get(h, "status")) ?: "?",
               json_string_value(json_object_get(h, "version")) ?: "?", a->c.url,
               json_number_value(json_object_get(h, "uptime_s")),
               (long long)json_integer_value(json_object_get(h, "workers")),
               (long long)json_integer_value(json_object_get(runs, "queued")),
               (long long)json_integer_value(json_object_get(runs, "running")));
    }
    json_decref(h);
    return 0;
}
