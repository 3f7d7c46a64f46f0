/*
 * core-metrics.c - the metric set and the metric-name rule.
 */
#include "config.h"

#include "core/metrics.h"

#include "core/err.h"
#include "tap.h"

static const char *const valid[] = {
    "params",
    "macs",
    "tiles",
    "tile_util",
    "nb_convs",
    "acc@fp",
    "avm",
    "acc@1s",
    "acc@60s",
    "acc@1h",
    "acc@1d",
    "acc@30d",
    "acc_std@1d",
    "neg_mse@30d",
    "neg_mse@fp",
    "acc@3600s",
    "latency",
    "energy@x2",
    "a",
    "abcdefghijklmnopqrstuvw",
};

static const char *const invalid[] = {
    "",
    "Params",
    "1acc",
    "_x",
    "acc@",
    "acc@0s",
    "acc@01s",
    "acc@1y",
    "acc@1",
    "acc@s",
    "acc_std@fp",
    "neg_mse_std@fp",
    "acc@1d@2",
    "acc@1D",
    "acc-std@1d",
    "acc @1d",
    "energy@",
    "energy@X",
    "abcdefghijklmnopqrstuvwx",
    "acc@1d ",
};

static void names(void)
{
    int all = 1;

    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        if (!anas_metric_name_valid(valid[i])) {
            all = 0;
            printf("# rejected: %s\n", valid[i]);
        }
    ok(all, "well-formed names are accepted");
    all = 1;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (anas_metric_name_valid(invalid[i])) {
            all = 0;
            printf("# accepted: \"%s\"\n", invalid[i]);
        }
    ok(all, "malformed names are rejected");
    ok(!anas_metric_name_valid(NULL), "NULL is not a name");
}

static void set_get(void)
{
    struct anas_metrics m;
    double v = -1;
    char name[16];
    int rc = 0;

    anas_metrics_init(&m);
    is_int(m.n, 0, "init: empty");
    is_int(anas_metrics_get(&m, "params", &v), ANAS_ENOTFOUND, "absent: ENOTFOUND");
    is_int(anas_metrics_set(&m, "params", 741324), 0, "set");
    ok(anas_metrics_get(&m, "params", &v) == 0 && v == 741324, "get what was set");
    anas_metrics_set(&m, "params", 5);
    anas_metrics_get(&m, "params", &v);
    ok(m.n == 1 && v == 5, "set again overwrites");
    is_int(anas_metrics_set(&m, "", 1), ANAS_EINVAL, "empty name: EINVAL");
    is_int(anas_metrics_set(&m, "abcdefghijklmnopqrstuvwx", 1), ANAS_EINVAL,
           "24-character name: EINVAL");
    is_int(anas_metrics_set(&m, "abcdefghijklmnopqrstuvw", 1), 0, "23 characters fit");

    for (int i = m.n; i < ANAS_METRICS_MAX && rc == 0; i++) {
        snprintf(name, sizeof name, "m%d", i);
        rc = anas_metrics_set(&m, name, i);
    }
    ok(rc == 0 && m.n == ANAS_METRICS_MAX, "fills to ANAS_METRICS_MAX");
    is_int(anas_metrics_set(&m, "one_more", 1), ANAS_ELIMIT, "full: ELIMIT");
    is_int(anas_metrics_set(&m, "params", 6), 0, "full: overwriting still works");
    ok(anas_metrics_get(&m, "m47", &v) == 0 && v == 47, "the last one is there");
}

int main(void)
{
    plan(15);
    names();
    set_get();
    return done();
}
