/*
 * dataset.c - the dataset object: allocation, normalization and subsets.
 *
 * Normalization composes: a dataset normalized twice records the single
 * (mean, std) that maps the original pixels to the current values, so the
 * test split can always be normalized with the train split's record.
 */
#include "config.h"

#include "data/data_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

size_t anas__data_sample_size(const struct anas_dataset *d)
{
    return (size_t)d->c * (size_t)d->h * (size_t)d->w;
}

struct anas_dataset *anas__data_alloc(int n, int c, int h, int w, struct anas_error *err)
{
    struct anas_dataset *d;

    if (n < 1 || n > ANAS_DATA_MAX_N || c < 1 || c > 4 || h < 1 ||
        h > ANAS_DATA_MAX_SIDE || w < 1 || w > ANAS_DATA_MAX_SIDE) {
        anas_error_set(err, ANAS_ERANGE, "dataset shape %d x (%d,%d,%d) out of range", n,
                       c, h, w);
        return NULL;
    }
    d = anas_calloc(1, sizeof *d);
    if (!d) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    d->n = n;
    d->c = c;
    d->h = h;
    d->w = w;
    for (int i = 0; i < 4; i++)
        d->std[i] = 1.0f;
    d->x = anas_malloc((size_t)n * anas__data_sample_size(d) * sizeof *d->x);
    d->y = anas_malloc((size_t)n * sizeof *d->y);
    if (!d->x || !d->y) {
        anas_data_free(d);
        anas_error_set(err, ANAS_ENOMEM, "out of memory for %d samples", n);
        return NULL;
    }
    return d;
}

void anas_data_free(struct anas_dataset *d)
{
    if (!d)
        return;
    anas_free(d->x);
    anas_free(d->y);
    anas_free(d->t);
    anas_free(d);
}

/* Mean and population standard deviation of channel `ch`, in double so that
 * 60000 images do not lose the small terms. */
static void channel_stats(const struct anas_dataset *d, int ch, float *mean, float *std)
{
    size_t hw = (size_t)d->h * (size_t)d->w, per = anas__data_sample_size(d);
    double s = 0, ss = 0, m, cnt = (double)d->n * (double)hw;

    for (int i = 0; i < d->n; i++) {
        const float *p = d->x + (size_t)i * per + (size_t)ch * hw;
        for (size_t k = 0; k < hw; k++)
            s += p[k];
    }
    m = s / cnt;
    for (int i = 0; i < d->n; i++) {
        const float *p = d->x + (size_t)i * per + (size_t)ch * hw;
        for (size_t k = 0; k < hw; k++)
            ss += (p[k] - m) * (p[k] - m);
    }
    *mean = (float)m;
    *std = (float)sqrt(ss / cnt);
}

int anas_data_normalize(struct anas_dataset *d, const float *mean, const float *std)
{
    float m[4], s[4];
    size_t hw, per;

    if (!d || d->c < 1 || d->c > 4)
        return ANAS_EINVAL;
    for (int ch = 0; ch < d->c; ch++) {
        if (mean && std) {
            m[ch] = mean[ch];
            s[ch] = std[ch];
        } else {
            channel_stats(d, ch, &m[ch], &s[ch]);
            if (s[ch] == 0.0f) /* a constant channel: only centre it */
                s[ch] = 1.0f;
        }
        if (!isfinite(m[ch]) || !isfinite(s[ch]) || s[ch] <= 0.0f)
            return ANAS_EINVAL;
    }
    hw = (size_t)d->h * (size_t)d->w;
    per = anas__data_sample_size(d);
    for (int i = 0; i < d->n; i++) {
        for (int ch = 0; ch < d->c; ch++) {
            float *p = d->x + (size_t)i * per + (size_t)ch * hw;
            for (size_t k = 0; k < hw; k++)
                p[k] = (p[k] - m[ch]) / s[ch];
        }
    }
    for (int ch = 0; ch < d->c; ch++) {
        d->mean[ch] += d->std[ch] * m[ch];
        d->std[ch] *= s[ch];
    }
    return 0;
}

struct anas_dataset *anas_data_subset(const struct anas_dataset *d, int n, uint64_t seed,
                                      struct anas_error *err)
{
    struct anas_dataset *s;
    struct anas_rng rng;
    size_t per;
    int *idx;

    if (!d || n < 1) {
        anas_error_field(err, ANAS_EINVAL, "subset",
                         "a subset needs at least one sample");
        return NULL;
    }
    if (d->t) {
        anas_error_field(err, ANAS_EINVAL, "subset", "a regression set is not subsampled");
        return NULL;
    }
    if (n > d->n)
        n = d->n;
    idx = anas_malloc((size_t)d->n * sizeof *idx);
    s = idx ? anas__data_alloc(n, d->c, d->h, d->w, err) : NULL;
    if (!s) {
        if (!idx)
            anas_error_set(err, ANAS_ENOMEM, "out of memory");
        anas_free(idx);
        return NULL;
    }
    /* A partial Fisher-Yates shuffle: the first n slots are a uniform
     * sample without replacement, in random order. */
    for (int i = 0; i < d->n; i++)
        idx[i] = i;
    anas_rng_seed(&rng, seed);
    per = anas__data_sample_size(d);
    for (int i = 0; i < n; i++) {
        int j = (int)anas_rng_int(&rng, i, d->n), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        memcpy(s->x + (size_t)i * per, d->x + (size_t)idx[i] * per, per * sizeof *s->x);
        s->y[i] = d->y[idx[i]];
    }
    s->classes = d->classes;
    memcpy(s->mean, d->mean, sizeof s->mean);
    memcpy(s->std, d->std, sizeof s->std);
    anas_free(idx);
    return s;
}
