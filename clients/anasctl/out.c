/*
 * out.c - what anasctl prints: the API's JSON as is (--json), or short
 * human tables; API errors as "error: STATUS CODE at FIELD: detail".
 */
#include "config.h"

#include "anasctl.h"

#include <string.h>

/* A problem+json answer (RFC 9457): status, code, the field pointer, detail. */
int out_api_error(const struct http_resp *r, const char *what)
{
    json_t *p = json_loads(r->body ? r->body : "", 0, NULL);
    const char *code = json_string_value(json_object_get(p, "code"));
    const char *field = json_string_value(json_object_get(p, "field"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    fprintf(stderr, "error: %s: %ld", what, r->status);
    if (code)
        fprintf(stderr, " %s", code);
    if (field)
        fprintf(stderr, " at %s", field);
    if (detail)
        fprintf(stderr, ": %s", detail);
    else if (!p)
        fprintf(stderr, " (not a JSON answer)");
    fputc('\n', stderr);
    json_decref(p);
    return EX_API;
}

int out_net_error(const struct http_resp *r, const struct ctl *c)
{
    if (c->deadline > 0 && now_s() > c->deadline)
        fprintf(stderr, "error: timed out (--timeout passed)\n");
    else
        fprintf(stderr, "error: cannot reach anasd at %s: %s\n", c->url, r->err);
    return EX_NET;
}

int out_get_json(const struct ctl *c, const char *path, json_t **out)
{
    struct http_resp r;
    *out = NULL;
    if (http_request(c, "GET", path, NULL, 0, &r) < 0)
        return out_net_error(&r, c);
    int rc = 0;
    if (r.status != 200) {
        rc = out_api_error(&r, path);
    } else {
        json_error_t e;
        *out = json_loads(r.body, 0, &e);
        if (!*out) {
            fprintf(stderr, "error: %s: the answer is not JSON: %s\n", path, e.text);
            rc = EX_API;
        }
    }
    http_resp_free(&r);
    return rc;
}

void out_json(const json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
}

void out_num(FILE *f, const json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, "%.6g", json_real_value(v));
    else if (json_is_string(v))
        fprintf(f, "%s", json_string_value(v));
    else if (json_is_boolean(v))
        fprintf(f, "%s", json_is_true(v) ? "true" : "false");
    else
        fprintf(f, "-");
}

/* "k=v k=v ..." for the first max metrics (0: all). */
void out_metrics(FILE *f, const json_t *metrics, int max)
{
    const char *k;
    json_t *v;
    int i = 0;
    json_object_foreach((json_t *)metrics, k, v) {
        if (max && i == max) {
            fprintf(f, " ...");
            break;
        }
        fprintf(f, "%s%s=", i++ ? " " : "", k);
        out_num(f, v);
    }
}

static const char *str_or(const json_t *v, const char *dflt)
{
    const char *s = json_string_value(v);
    return s && *s ? s : dflt;
}

/* One row of `list`: ID STATE KIND DONE/TOTAL CREATED NAME */
void out_run_line(FILE *f, const json_t *run)
{
    const json_t *pr = json_object_get(run, "progress");
    char prog[48];
    snprintf(prog, sizeof prog, "%lld/%lld",
             (long long)json_integer_value(json_object_get(pr, "done")),
             (long long)json_integer_value(json_object_get(pr, "total")));
    fprintf(f, "%-6lld %-11s %-9s %-13s %-21s %s\n",
            (long long)json_integer_value(json_object_get(run, "id")),
            str_or(json_object_get(run, "state"), "?"), str_or(json_object_get(run, "kind"), "?"),
            prog, str_or(json_object_get(run, "created_at"), "-"),
            str_or(json_object_get(run, "name"), "-"));
}

void out_best(FILE *f, const json_t *best, const json_t *summary)
{
    if (json_is_object(best)) {
        fprintf(f, "best:      %s (rep %lld, seq %lld, score ",
                str_or(json_object_get(best, "hash"), "?"),
                (long long)json_integer_value(json_object_get(best, "rep")),
                (long long)json_integer_value(json_object_get(best, "seq")));
        out_num(f, json_object_get(best, "score"));
        fprintf(f, ")\nmetrics:   ");
        out_metrics(f, json_object_get(best, "metrics"), 0);
        fprintf(f, "\nconfig:    ");
        out_metrics(f, json_object_get(best, "config"), 0);
        fputc('\n', f);
    } else {
        fprintf(f, "best:      none (no feasible evaluation yet)\n");
    }
    if (json_is_object(summary)) {
        static const char *const keys[] = {"objective", "goal", "evaluations", "complete",
                                           "failed", "invalid", "cached", "pruned", "best_score",
                                           "mean", "std_err", "pareto_size", "hypervolume",
                                           "stopped_by"};
        fprintf(f, "summary:  ");
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            const json_t *v = json_object_get(summary, keys[i]);
            if (!v || json_is_null(v))
                continue;
            fprintf(f, " %s=", keys[i]);
            out_num(f, v);
        }
        fputc('\n', f);
    }
}

void out_run_status(FILE *f, const json_t *run)
{
    const json_t *pr = json_object_get(run, "progress");
    fprintf(f, "run:       %lld (%s) %s\n",
            (long long)json_integer_value(json_object_get(run, "id")),
            str_or(json_object_get(run, "kind"), "?"), str_or(json_object_get(run, "name"), ""));
    fprintf(f, "state:     %s\n", str_or(json_object_get(run, "state"), "?"));
    fprintf(f, "progress:  %lld/%lld",
            (long long)json_integer_value(json_object_get(pr, "done")),
            (long long)json_integer_value(json_object_get(pr, "total")));
    const json_t *eta = json_object_get(pr, "eta_s");
    if (json_is_number(eta))
        fprintf(f, ", eta %.0f s", json_number_value(eta));
    fputc('\n', f);
    fprintf(f, "created:   %s\nstarted:   %s\nfinished:  %s\n",
            str_or(json_object_get(run, "created_at"), "-"),
            str_or(json_object_get(run, "started_at"), "-"),
            str_or(json_object_get(run, "finished_at"), "-"));
    const json_t *err = json_object_get(run, "error");
    if (json_is_object(err))
        fprintf(f, "error:     %s: %s\n", str_or(json_object_get(err, "code"), "?"),
                str_or(json_object_get(err, "detail"), ""));
    out_best(f, json_object_get(run, "best"), json_object_get(run, "summary"));
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(run, "warnings"), i, w)
        fprintf(f, "warning:   %s\n", str_or(w, ""));
}

/* One row of `evaluations`: SEQ REP STATE FEASIBLE HASH METRICS */
void out_evaluation(FILE *f, const json_t *ev)
{
    const json_t *feas = json_object_get(ev, "feasible");
    fprintf(f, "%-6lld %-3lld %-9s %-5s %-16s ",
            (long long)json_integer_value(json_object_get(ev, "seq")),
            (long long)json_integer_value(json_object_get(ev, "rep")),
            str_or(json_object_get(ev, "state"), "?"),
            json_is_boolean(feas) ? (json_is_true(feas) ? "yes" : "no") : "-",
            str_or(json_object_get(ev, "hash"), "?"));
    out_metrics(f, json_object_get(ev, "metrics"), 8);
    const json_t *err = json_object_get(ev, "error");
    if (json_is_object(err))
        fprintf(f, " error=%s", str_or(json_object_get(err, "code"), "?"));
    fputc('\n', f);
}
