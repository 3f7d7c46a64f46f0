/*
 * gate.c - CI gates on a finished run: --fail-under METRIC=VALUE fails
 * when the value is below VALUE, --fail-over METRIC=VALUE when above.
 *
 * A gate reads the run's `best.metrics` (the best feasible evaluation by
 * the first objective, doc/api.md "The run object") first, then a number
 * of its `summary` (`hypervolume`, `pareto_size`, `best_score`, `mean`,
 * `failed`...). With several objectives `best` is still the first
 * objective's best, so the run as a whole is gated on `hypervolume` or
 * `pareto_size` (give the spec a reference_point to make the hypervolume
 * comparable between runs). A gate with no value to read fails.
 */
#include "config.h"

#include "anasctl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int gate_parse(const char *arg, int over, struct gate *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, errlen, "'%s' is not METRIC=VALUE", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof g->metric) {
        snprintf(err, errlen, "metric name '%.*s' is too long", (int)n, arg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = arg[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '@' ||
              (ch >= 'A' && ch <= 'Z') || ch == '.')) {
            snprintf(err, errlen, "'%.*s' is not a metric name", (int)n, arg);
            return -1;
        }
    }
    memcpy(g->metric, arg, n);
    g->metric[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(eq + 1, &end);
    if (eq[1] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        snprintf(err, errlen, "'%s' in '%s' is not a finite number", eq + 1, arg);
        return -1;
    }
    g->threshold = v;
    g->over = over;
    return 0;
}

static const json_t *lookup(const json_t *run, const char *metric, const char **source)
{
    const json_t *v = json_object_get(json_object_get(json_object_get(run, "best"), "metrics"),
                                      metric);
    if (json_is_number(v)) {
        *source = "best";
        return v;
    }
    v = json_object_get(json_object_get(run, "summary"), metric);
    if (json_is_number(v)) {
        *source = "summary";
        return v;
    }
    return NULL;
}

int gate_check(struct gate *g, int n, const json_t *run)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        const char *src = "";
        const json_t *v = lookup(run, g[i].metric, &src);
        g[i].has_value = v != NULL;
        g[i].value = v ? json_number_value(v) : NAN;
        snprintf(g[i].source, sizeof g[i].source, "%s", src);
        if (!v)
            g[i].passed = 0;
        else
            g[i].passed = g[i].over ? g[i].value <= g[i].threshold
                                    : g[i].value >= g[i].threshold;
        failed += !g[i].passed;
    }
    return failed;
}

/* "params = 81234 (best), must be <= 100000" */
void gate_describe(const struct gate *g, char *buf, size_t len)
{
    const char *rel = g->over ? "<=" : ">=";
    if (!g->has_value)
        snprintf(buf, len, "%s has no value (no feasible best, nor a summary number of that "
                 "name), must be %s %.10g", g->metric, rel, g->threshold);
    else
        snprintf(buf, len, "%s = %.10g (%s), must be %s %.10g", g->metric, g->value, g->source,
                 rel, g->threshold);
}
