/*
 * metrics.c - a small named-number set and the rule for metric names.
 *
 * The set is a flat array searched linearly: it holds a few dozen entries
 * and is copied by value, so anything cleverer would cost more than it saves.
 */
#include "config.h"

#include "core/metrics.h"

#include "core/err.h"

#include <string.h>

void anas_metrics_init(struct anas_metrics *m)
{
    memset(m, 0, sizeof *m);
}

static int find(const struct anas_metrics *m, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->m[i].name, name) == 0)
            return i;
    return -1;
}

int anas_metrics_set(struct anas_metrics *m, const char *name, double value)
{
    size_t len = name ? strlen(name) : 0;
    int i;

    if (len == 0 || len >= ANAS_METRIC_NAME_MAX)
        return ANAS_EINVAL;
    i = find(m, name);
    if (i < 0) {
        if (m->n >= ANAS_METRICS_MAX)
            return ANAS_ELIMIT;
        i = m->n++;
        memcpy(m->m[i].name, name, len + 1);
    }
    m->m[i].value = value;
    return 0;
}

int anas_metrics_get(const struct anas_metrics *m, const char *name, double *out)
{
    int i = name ? find(m, name) : -1;

    if (i < 0)
        return ANAS_ENOTFOUND;
    *out = m->m[i].value;
    return 0;
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A duration: a positive integer without leading zeros, then s, m, h or d. */
static int is_duration(const char *t)
{
    if (*t < '1' || *t > '9')
        return 0;
    while (is_digit(*t))
        t++;
    return (t[0] == 's' || t[0] == 'm' || t[0] == 'h' || t[0] == 'd') && t[1] == '\0';
}

/* Bases whose suffix is a drift time, so that "acc@0s" or "acc@1y" are
 * typos rather than new metrics. */
static int is_timed_base(const char *base, size_t len)
{
    static const char *const timed[] = {"acc", "acc_std", "neg_mse", "neg_mse_std"};

    for (size_t i = 0; i < sizeof timed / sizeof timed[0]; i++)
        if (strlen(timed[i]) == len && memcmp(timed[i], base, len) == 0)
            return 1;
    return 0;
}

int anas_metric_name_valid(const char *name)
{
    const char *p = name, *at;

    if (!name || strlen(name) >= ANAS_METRIC_NAME_MAX || !is_lower(*p))
        return 0;
    while (is_lower(*p) || is_digit(*p) || *p == '_')
        p++;
    if (*p == '\0')
        return 1;
    if (*p != '@')
        return 0;
    at = p;
    if (is_timed_base(name, (size_t)(at - name)))
        return is_duration(at + 1) || strcmp(name, "acc@fp") == 0 ||
               strcmp(name, "neg_mse@fp") == 0;
    for (p = at + 1; is_lower(*p) || is_digit(*p); p++)
        ;
    return *p == '\0' && p > at + 1;
}
