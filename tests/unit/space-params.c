/*
 * space-params.c - resnet parameter counts against AnalogNAS.
 *
 * Two sources: the reference vectors of resnet-refs.h, computed with
 * AnalogNAS's Network (always run: channels, fc_len and params, plus the
 * closed-form count worked out here from the expected channels), and the 30
 * rows of AnalogNAS's analog_bench.csv under $ANAS_SHARED (input 3x100x100, 2
 * classes; nb_params and nb_convs), skipped when the file is absent.
 */
#include "config.h"

#include "space/space.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "resnet-refs.h"
#include "space-check.h"
#include "tap.h"



/* The closed-form parameter count of AnalogNAS's Network (its sum of
 * p.numel(), batch-norm running statistics excluded), from the channel
 * widths. */
static long long closed_form(const double *v, const struct anas_shape *shape,
                             const int *channels)
{
    long long c0 = (long long)v[0], p = 49LL * shape->c * c0 + 2 * c0, cin = c0, cout;
    int m_groups = (int)v[1];

    for (int m = 1; m <= m_groups; m++) {
        long long b = (long long)v[6 + 3 * m], r = (long long)v[1 + m];
        cout = channels[m - 1];
        p += b * (9 * cin * cout + 9 * cout * cout + 4 * cout);
        if (cin != cout)
            p += cin * cout + 2 * cout;
        p += ((r > 1 ? r : 1) - 1) * b * (18 * cout * cout + 4 * cout);
        cin = cout;
    }
    return p + cin * (shape->h - 11) * (shape->w - 11) * shape->classes + shape->classes;
}

static double metric(const struct anas_metrics *m, const char *name)
{
    double v = NAN;

    anas_metrics_get(m, name, &v);
    return v;
}

/* The group widths as the layer list shows them (0 where missing). */
static void widths(const struct anas_layer *l, int n, int groups, int *out)
{
    char name[32];

    for (int g = 1; g <= groups; g++) {
        const struct anas_layer *add;
        snprintf(name, sizeof name, "g%d.b1.add", g);
        add = find_layer(l, n, name);
        out[g - 1] = add ? add->out_c : 0;
    }
}

static void check_vector(const struct anas_space *s, const struct resnet_ref *vec)
{
    struct anas_config cfg;
    struct anas_metrics m;
    struct anas_layer *layers = NULL;
    const struct anas_layer *fc;
    int n = 0, groups = (int)vec->v[1], got[4] = {0}, same = 1;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, vec->v, sizeof vec->v);
    anas_metrics_init(&m);
    ok(anas_space_analytic(s, &vec->shape, &cfg, NULL, &m, NULL) == 0 &&
           metric(&m, "params") == (double)vec->params,
       "%s: %lld params", vec->what, vec->params);
    if (metric(&m, "params") != (double)vec->params)
        printf("#   got %.0f\n", metric(&m, "params"));
    is_int(closed_form(vec->v, &vec->shape, vec->channels), vec->params,
           "%s: the closed form agrees", vec->what);

    if (anas_space_layers(s, &vec->shape, &cfg, NULL, &layers, &n, NULL) < 0)
        n = 0;
    widths(layers, n, groups, got);
    for (int g = 0; g < groups; g++)
        same &= got[g] == vec->channels[g];
    ok(same, "%s: channels %d %d %d %d", vec->what, got[0], got[1], got[2], got[3]);
    fc = find_layer(layers, n, "head.fc");
    is_int(fc ? (long long)fc->in_c * fc->in_h * fc->in_w : -1, vec->fc_len, "%s: fc_len",
           vec->what);
    anas_free(layers);
}

/* --- analog_bench.csv --------------------------------------------------- */

/* One row: the config from the hyperparameter columns, then the counts. */
static void check_row(const struct anas_space *s, char **header, char **cols, int n)
{
    struct anas_shape vww = {3, 100, 100, 2};
    struct anas_config cfg;
    struct anas_metrics m;
    int id = csv_column(header, n, "id"), rc;
    double want_params = atof(cols[csv_column(header, n, "nb_params")]);
    double want_convs = atof(cols[csv_column(header, n, "nb_convs")]);

    anas_config_init(&cfg, s);
    for (int i = 0; i < anas_space_n_hp(s); i++) {
        int c = csv_column(header, n, anas_space_hp(s, i)->name);
        cfg.v[i] = c >= 0 ? strtod(cols[c], NULL) : NAN;
    }
    anas_metrics_init(&m);
    rc = anas_space_analytic(s, &vww, &cfg, NULL, &m, NULL);
    ok(rc == 0 && metric(&m, "params") == want_params, "row %s: nb_params %.0f", cols[id],
       want_params);
    if (rc == 0 && metric(&m, "params") != want_params)
        printf("#   got %.0f\n", metric(&m, "params"));
    ok(rc == 0 && metric(&m, "nb_convs") == want_convs,
       "row %s: nb_convs %.0f (got %.0f)", cols[id], want_convs, metric(&m, "nb_convs"));
}

static void bench_csv(const struct anas_space *s)
{
    const char *shared = getenv("ANAS_SHARED");
    char path[4096], header_line[1024], line[1024], *header[CSV_MAX_COLS], *cols[CSV_MAX_COLS];
    char *h = header_line;
    int n_header, rows = 0;
    FILE *f;

    if (!shared) {
        diag("ANAS_SHARED unset: analog_bench_params.csv rows skipped");
        return;
    }
    snprintf(path, sizeof path, "%s/reference/analognas/analog_bench_params.csv", shared);
    f = fopen(path, "r");
    if (!f) {
        diag("analog_bench_params.csv absent: its rows are skipped");
        return;
    }
    if (!fgets(header_line, sizeof header_line, f)) {
        fclose(f);
        ok(0, "analog_bench_params.csv has a header");
        return;
    }
    if (memcmp(h, "\xef\xbb\xbf", 3) == 0)
        h += 3; /* the file starts with a UTF-8 byte order mark */
    n_header = csv_split(h, header);
    ok(csv_column(header, n_header, "nb_params") >= 0 && csv_column(header, n_header, "id") == 0,
       "the CSV header names id and nb_params");
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\r' || line[0] == '\n')
            continue;
        if (csv_split(line, cols) != n_header) {
            ok(0, "row %d has %d columns", rows, n_header);
            continue;
        }
        if (cols[csv_column(header, n_header, "nb_params")][0] == '\0')
            continue; /* the file ends with rows holding only an id */
        check_row(s, header, cols, n_header);
        rows++;
    }
    fclose(f);
    is_int(rows, 30, "the CSV has 30 rows with counts");
}

int main(void)
{
    const struct anas_space *s = anas_space_find("resnet");

    plan_later();
    ok(s != NULL, "the resnet space exists");
    if (!s)
        return done();
    for (size_t i = 0; i < RESNET_N_REFS; i++)
        check_vector(s, &resnet_refs[i]);
    bench_csv(s);
    return done();
}
