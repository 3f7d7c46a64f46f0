/*
 * space-metric-names.c - which analytic metrics each space produces
 * (anas_space_metric_names, anas_space_has_metric): what the daemon lets
 * objectives, constraints and sorting name. Every space that builds layers
 * gives params, macs, tiles and tile_util; resnet adds nb_convs; the rpu
 * space builds no network; a composite answers as its base.
 */
#include "config.h"

#include "space/space.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "tap.h"

/* The names, comma-separated, into buf. */
static const char *names(const struct anas_space *s, char *buf, size_t n)
{
    struct anas_metrics m;
    size_t len = 0;
    int k = s ? anas_space_metric_names(s, &m) : -1;
    buf[0] = '\0';
    if (k < 0)
        snprintf(buf, n, "error %d", k);
    for (int i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "," : "", m.m[i].name);
    return buf;
}

int main(void)
{
    static const double lrs[] = {0.01, 0.1};
    static const char *const dim[] = {"train.lr"};
    static const int n_dim[] = {2};
    static const double *const v_dim[] = {lrs};
    const struct anas_space *resnet = anas_space_find("resnet");
    const struct anas_space *mlp = anas_space_find("mlp");
    const struct anas_space *composite;
    struct anas_error err = {0};
    struct anas_metrics m;
    char buf[160];

    plan(17);
    is_str(names(resnet, buf, sizeof buf), "params,macs,tiles,tile_util,nb_convs",
           "resnet: the four, then nb_convs");
    is_str(names(mlp, buf, sizeof buf), "params,macs,tiles,tile_util", "mlp: the four");
    is_str(names(anas_space_find("lenet"), buf, sizeof buf), "params,macs,tiles,tile_util",
           "lenet: the four");
    is_str(names(anas_space_find("autoencoder"), buf, sizeof buf),
           "params,macs,tiles,tile_util", "autoencoder: the four");
    is_str(names(anas_space_find("rpu"), buf, sizeof buf), "", "rpu: none (no network)");
    is_int(anas_space_metric_names(resnet, &m), 5, "resnet: 5 names");
    ok(m.m[4].value == 0.0, "values are 0: names only");

    ok(anas_space_has_metric(resnet, "nb_convs"), "resnet has nb_convs");
    ok(!anas_space_has_metric(mlp, "nb_convs"), "mlp has no nb_convs");
    ok(anas_space_has_metric(mlp, "tile_util"), "mlp has tile_util");
    ok(!anas_space_has_metric(resnet, "acc@1d"), "acc@1d is no analytic metric");
    ok(!anas_space_has_metric(anas_space_find("rpu"), "params"), "rpu has no params");
    ok(!anas_space_has_metric(resnet, NULL), "NULL metric: no");

    composite = anas_space_compose(resnet, 1, dim, n_dim, v_dim, &err);
    is_str(names(composite, buf, sizeof buf), "params,macs,tiles,tile_util,nb_convs",
           "resnet+train: as resnet");
    ok(composite && anas_space_has_metric(composite, "nb_convs"), "... nb_convs included");

    is_int(anas_space_metric_names(NULL, &m), ANAS_EINVAL, "NULL space: ANAS_EINVAL");
    ok(!anas_space_has_metric(NULL, "params"), "NULL space has nothing");
    return done();
}
