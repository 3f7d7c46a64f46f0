/*
 * metrics.h - a small set of named numbers: what an evaluation returns.
 *
 *     struct anas_metrics m;
 *     anas_metrics_init(&m);
 *     anas_metrics_set(&m, "params", 741324);
 *     double acc;
 *     if (anas_metrics_get(&m, "acc@1d", &acc) == 0) ...
 *
 * Names follow the API's contract: params, macs, tiles, tile_util, acc@fp,
 * acc@<t>, acc_std@<t>, neg_mse@<t>, avm. Plain value type: copy freely.
 */
#ifndef ANAS_CORE_METRICS_H
#define ANAS_CORE_METRICS_H

#define ANAS_METRICS_MAX 48
#define ANAS_METRIC_NAME_MAX 24

struct anas_metric {
    char name[ANAS_METRIC_NAME_MAX];
    double value;
};

struct anas_metrics {
    int n;
    struct anas_metric m[ANAS_METRICS_MAX];
};

void anas_metrics_init(struct anas_metrics *m);

/* Set (or overwrite) a metric. ANAS_ELIMIT when full, ANAS_EINVAL when the
 * name is empty or too long. */
int anas_metrics_set(struct anas_metrics *m, const char *name, double value);

/* 0 and *out on success, ANAS_ENOTFOUND when absent. */
int anas_metrics_get(const struct anas_metrics *m, const char *name, double *out);

/* Is `name` a well-formed metric name (see above)? */
int anas_metric_name_valid(const char *name);

#endif
