/*
 * space-check.h - checks the tests of lib/space share (header-only):
 * values within their hyperparameter's range, the analytic metrics, and a
 * built network against them.
 */
#ifndef ANAS_TESTS_SPACE_CHECK_H
#define ANAS_TESTS_SPACE_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/metrics.h"
#include "nn/net.h"
#include "space/space.h"

/* Is v a legal value of hp? */
static inline int in_range(const struct anas_hp *hp, double v)
{
    if (hp->kind == ANAS_HP_CHOICE) {
        for (int k = 0; k < hp->n_choices; k++)
            if (v == hp->choices[k])
                return 1;
        return 0;
    }
    if (hp->kind == ANAS_HP_INT)
        return v == floor(v) && v >= hp->lo && v <= hp->hi;
    return v >= hp->lo && v < hp->hi;
}

/* Every active value legal, every inactive one 0. */
static inline int config_legal(const struct anas_space *s, const struct anas_config *cfg)
{
    for (int i = 0; i < anas_space_n_hp(s); i++) {
        int active = anas_space_is_active(s, cfg, i);
        if (active ? !in_range(anas_space_hp(s, i), cfg->v[i]) : cfg->v[i] != 0)
            return 0;
    }
    return 1;
}

/* One analytic metric, NaN when the configuration is refused. */
static inline double analytic(const struct anas_space *s, const struct anas_shape *shape,
                              const struct anas_config *cfg, const char *name)
{
    struct anas_metrics m;
    double v = NAN;

    anas_metrics_init(&m);
    if (anas_space_analytic(s, shape, cfg, NULL, &m, NULL) == 0)
        anas_metrics_get(&m, name, &v);
    return v;
}

/* Build cfg: 1 when its trainable parameters equal the analytic params and
 * its output is (c, h, w); else 0, with a diagnostic naming `what`. */
static inline int build_agrees(const struct anas_space *s, const struct anas_shape *shape,
                               const struct anas_config *cfg, int c, int h, int w,
                               const char *what)
{
    struct anas_netdef *def = NULL;
    struct anas_error err = {0};
    double want = analytic(s, shape, cfg, "params");
    int oc = 0, oh = 0, ow = 0, good;

    if (anas_space_build(s, shape, cfg, &def, &err) < 0) {
        printf("# %s: build failed: %s (%s)\n", what, err.msg, err.field);
        return 0;
    }
    anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &oc, &oh, &ow);
    good = (double)anas_netdef_n_params(def) == want && oc == c && oh == h && ow == w;
    if (!good)
        printf("# %s: params %zu (analytic %.0f), output %dx%dx%d (want %dx%dx%d)\n",
               what, anas_netdef_n_params(def), want, oc, oh, ow, c, h, w);
    anas_netdef_free(def);
    return good;
}

/* The tensor of a net named `name`, NULL if none. */
static inline const struct anas_net_tensor *find_tensor(const struct anas_net *net,
                                                        const char *name)
{
    for (int i = 0; i < anas_net_n_tensors(net); i++)
        if (strcmp(anas_net_tensor(net, i)->name, name) == 0)
            return anas_net_tensor(net, i);
    return NULL;
}

/* The layer of a list named `name`, NULL if none. */
static inline const struct anas_layer *find_layer(const struct anas_layer *l, int n,
                                                  const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(l[i].name, name) == 0)
            return &l[i];
    return NULL;
}

/* --- the reference CSVs (analog_bench_params.csv) ---------------------- */

#define CSV_MAX_COLS 32

/* Split one line at commas, in place; returns the number of columns. */
static inline int csv_split(char *line, char **cols)
{
    int n = 0;
    char *p = line;

    line[strcspn(line, "\r\n")] = '\0';
    while (n < CSV_MAX_COLS) {
        cols[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

/* The index of a header's column, or -1. */
static inline int csv_column(char **header, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    return -1;
}

#endif
