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

/* Is `name` a well-formed metric name? 1 or 0. The rule: at most
 * ANAS_METRIC_NAME_MAX - 1 (23) characters matching [a-z][a-z0-9_]*(@[a-z0-9]+)?,
 * so that later evaluators can add metrics; but for the drift-time bases
 * acc, acc_std, neg_mse and neg_mse_std the part after '@' must be a duration <t> (a
 * positive integer without leading zeros followed by s, m, h or d: 1s, 60s,
 * 1h, 1d, 30d), or "fp" for acc and neg_mse (the digital figures). So
 * acc@1d, acc@fp and neg_mse@fp are valid, acc@0s, acc@1y and acc_std@fp
 * are not. Thread-safe. */
int anas_metric_name_valid(const char *name);

#endif
