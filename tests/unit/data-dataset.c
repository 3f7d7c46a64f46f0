/*
 * data-dataset.c - normalization (own statistics, given ones, composition
 * of two) and subsets (seeded, without replacement, a shuffled copy when
 * asking for everything).
 */
#include "config.h"

#include "data/data.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

#define N  400
#define C  3
#define HW 36

/* Sample i's pixels start with the value i: a fingerprint for subsets. */
static struct anas_dataset *numbered(void)
{
    struct anas_dataset *d = anas_data_synthetic(N, C, 6, 6, 4, 3, NULL);
    for (int i = 0; d && i < N; i++)
        d->x[(size_t)i * C * HW] = (float)i;
    return d;
}

static void channel_moments(const struct anas_dataset *d, int ch, double *mean,
                            double *sd)
{
    double s = 0, ss = 0, n = (double)d->n * HW;

    for (int i = 0; i < d->n; i++)
        for (int k = 0; k < HW; k++) {
            double v = d->x[((size_t)i * C + ch) * HW + k];
            s += v;
            ss += v * v;
        }
    *mean = s / n;
    *sd = sqrt(ss / n - *mean * *mean);
}

static void normalize(void)
{
    struct anas_dataset *d = anas_data_synthetic(N, C, 6, 6, 4, 3, NULL);
    struct anas_dataset *e = anas_data_synthetic(N, C, 6, 6, 4, 3, NULL);
    double m, sd, m1, sd1, worst = 0;
    float mean[C] = {1, -2, 0.5f}, std[C] = {2, 4, 0.5f}, orig0;

    /* Give each channel its own scale and offset. */
    for (int i = 0; i < N; i++)
        for (int ch = 0; ch < C; ch++) {
            float *p = d->x + ((size_t)i * C + ch) * HW;
            for (int k = 0; k < HW; k++)
                p[k] = p[k] * std[ch] + mean[ch];
        }
    orig0 = d->x[0];
    channel_moments(d, 1, &m1, &sd1);
    is_int(anas_data_normalize(d, NULL, NULL), 0, "normalize with own statistics");
    for (int ch = 0; ch < C; ch++) {
        channel_moments(d, ch, &m, &sd);
        worst = fmax(worst, fmax(fabs(m), fabs(sd - 1)));
    }
    ok(worst < 1e-4, "every channel has mean 0 and std 1 (worst deviation %.2g)", worst);
    ok(fabs(d->mean[1] - m1) < 1e-4 && fabs(d->std[1] - sd1) < 1e-4,
       "recorded channel 1: mean %.3f std %.3f", d->mean[1], d->std[1]);
    is_near(d->x[0] * d->std[0] + d->mean[0], orig0, 1e-4, "the record inverts the map");

    /* Normalizing again with given values composes the records. */
    {
        float m2[C] = {0.5f, 0.5f, 0.5f}, s2[C] = {2, 2, 2};
        float rm = d->mean[2], rs = d->std[2];
        is_int(anas_data_normalize(d, m2, s2), 0, "normalize with given statistics");
        is_near(d->mean[2], rm + rs * 0.5f, 1e-5, "composed mean");
        is_near(d->std[2], rs * 2, 1e-5, "composed std");
        is_near(d->x[0] * d->std[0] + d->mean[0], orig0, 1e-4,
                "composition still inverts");
    }
    {
        float s0[C] = {1, 0, 1};
        is_int(anas_data_normalize(e, mean, s0), ANAS_EINVAL,
               "a zero std is ANAS_EINVAL");
    }
    anas_data_free(d);
    anas_data_free(e);
}

static int fingerprint(const struct anas_dataset *s, int i)
{
    return (int)s->x[(size_t)i * C * HW];
}

static void subset(void)
{
    struct anas_error err = {0};
    struct anas_dataset *d = numbered();
    struct anas_dataset *a = anas_data_subset(d, 100, 5, &err);
    struct anas_dataset *b = anas_data_subset(d, 100, 5, &err);
    struct anas_dataset *c = anas_data_subset(d, 100, 6, &err);
    struct anas_dataset *all = anas_data_subset(d, 1000, 5, &err);
    char seen[N] = {0};
    int distinct = 1, labels = 1, identity = 1;

    ok(a && b && c && all, "subsets made");
    if (!a || !b || !c || !all)
        goto out;
    ok(a->n == 100 && a->c == C && a->h == 6 && a->classes == 4,
       "100 samples, same shape");
    for (int i = 0; i < a->n; i++) {
        int f = fingerprint(a, i);
        distinct &= f >= 0 && f < N && !seen[f];
        if (f >= 0 && f < N)
            seen[f] = 1;
        labels &= f >= 0 && f < N && a->y[i] == d->y[f] &&
                  memcmp(a->x + (size_t)i * C * HW, d->x + (size_t)f * C * HW,
                         sizeof(float) * C * HW) == 0;
    }
    ok(distinct, "drawn without replacement");
    ok(labels, "each sample is copied whole with its label");
    ok(memcmp(a->x, b->x, sizeof(float) * 100 * C * HW) == 0,
       "the same seed, the same subset");
    ok(memcmp(a->x, c->x, sizeof(float) * 100 * C * HW) != 0,
       "another seed, another subset");
    memset(seen, 0, sizeof seen);
    distinct = 1;
    for (int i = 0; i < all->n; i++) {
        int f = fingerprint(all, i);
        distinct &= !seen[f];
        seen[f] = 1;
        identity &= f == i;
    }
    ok(all->n == N && distinct && !identity, "asking for more gives all %d, shuffled", N);
    ok(anas_data_subset(d, 0, 1, &err) == NULL && err.code == ANAS_EINVAL,
       "an empty subset is ANAS_EINVAL");
out:
    anas_data_free(a);
    anas_data_free(b);
    anas_data_free(c);
    anas_data_free(all);
    anas_data_free(d);
}

static void chaos(void)
{
    struct anas_dataset *d = numbered(), *s = NULL;
    int fails, clean = 1;

    for (fails = 0; fails < 50 && !s; fails++) {
        struct anas_error err = {0};
        anas_alloc_fail_after(fails);
        s = anas_data_subset(d, 10, 1, &err);
        anas_alloc_fail_after(-1);
        clean &= s != NULL || err.code == ANAS_ENOMEM;
    }
    ok(s && clean && fails > 1, "subset: every allocation failure is ANAS_ENOMEM (%d)",
       fails - 1);
    anas_data_free(s);
    anas_data_free(d);
}

/* aihwkit's small examples' tensors, as a regression set. */
static void tiny(void)
{
    struct anas_error err;
    struct anas_dataset *d = anas_data_tiny("aihwkit-tiny-1", &err), *e;

    ok(d && d->n == 2 && d->c == 1 && d->h == 1 && d->w == 4 && d->t_dim == 2 &&
           d->classes == 2 && d->x[2] == 0.4f && d->t[2] == 0.7f && d->y[1] == 1,
       "aihwkit-tiny-1: example 1's x and y, 2 targets, y holds sample indices");
    anas_error_clear(&err);
    e = anas_data_subset(d, 1, 1, &err);
    ok(!e && err.code == ANAS_EINVAL, "a regression set is not subsampled");
    anas_data_free(d);
    d = anas_data_tiny("aihwkit-tiny-2", &err);
    ok(d && d->t_dim == 1 && d->t[1] == 0.6f && anas_data_tiny_outputs("aihwkit-tiny-2") == 1,
       "aihwkit-tiny-2: example 2's, one target");
    anas_data_free(d);
    ok(!anas_data_tiny("aihwkit-tiny-3", &err) && err.code == ANAS_ENOTFOUND &&
           anas_data_tiny_outputs("mnist") == ANAS_ENOTFOUND,
       "another name: ANAS_ENOTFOUND");
}

int main(void)
{
    plan(22);
    normalize();
    subset();
    chaos();
    tiny();
    return done();
}
