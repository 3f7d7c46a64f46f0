/*
 * data-synth.c - the synthetic task: deterministic by seed, balanced
 * labels, one task per shape (two seeds share the class centres), and
 * learnable (a nearest-centroid rule fitted on one seed classifies
 * another almost perfectly).
 */
#include "config.h"

#include "data/data.h"

#include <string.h>

#include "core/alloc.h"
#include "tap.h"

#define C   2
#define H   4
#define W   4
#define K   5
#define PER (C * H * W)

/* Class means of d, (K, PER). */
static void centroids(const struct anas_dataset *d, double *m)
{
    int count[K] = {0};

    memset(m, 0, sizeof(double) * K * PER);
    for (int i = 0; i < d->n; i++) {
        count[d->y[i]]++;
        for (int k = 0; k < PER; k++)
            m[d->y[i] * PER + k] += d->x[i * PER + k];
    }
    for (int c = 0; c < K; c++)
        for (int k = 0; k < PER; k++)
            m[c * PER + k] /= count[c] ? count[c] : 1;
}

static int nearest(const double *m, const float *x)
{
    int best = 0;
    double best_d = 1e300;

    for (int c = 0; c < K; c++) {
        double dist = 0;
        for (int k = 0; k < PER; k++)
            dist += (x[k] - m[c * PER + k]) * (x[k] - m[c * PER + k]);
        if (dist < best_d) {
            best_d = dist;
            best = c;
        }
    }
    return best;
}

int main(void)
{
    struct anas_error err = {0};
    struct anas_dataset *a, *b, *t;
    double m[K * PER];
    int hist[K] = {0}, right = 0, in_range = 1;

    plan(10);
    a = anas_data_synthetic(1000, C, H, W, K, 7, &err);
    b = anas_data_synthetic(1000, C, H, W, K, 7, &err);
    t = anas_data_synthetic(500, C, H, W, K, 8, &err);
    if (!a || !b || !t)
        skip_all("cannot make the synthetic sets");
    ok(a->n == 1000 && a->c == C && a->h == H && a->w == W && a->classes == K,
       "shape and classes as asked");
    ok(memcmp(a->x, b->x, sizeof(float) * 1000 * PER) == 0 &&
           memcmp(a->y, b->y, sizeof(int) * 1000) == 0,
       "the same seed gives the same bytes");
    ok(memcmp(a->x, t->x, sizeof(float) * PER) != 0, "another seed gives other samples");
    for (int i = 0; i < a->n; i++) {
        in_range &= a->y[i] >= 0 && a->y[i] < K;
        hist[a->y[i] % K]++;
    }
    ok(in_range && hist[0] == 200 && hist[4] == 200,
       "labels are balanced, 200 per class");
    centroids(a, m);
    for (int i = 0; i < t->n; i++)
        right += nearest(m, t->x + i * PER) == t->y[i];
    ok(right >= 490, "nearest centroid of seed 7 classifies seed 8: %d/500", right);
    ok(a->mean[0] == 0.0f && a->std[0] == 1.0f, "no normalization recorded");
    anas_data_free(a);
    anas_data_free(b);
    anas_data_free(t);

    ok(anas_data_synthetic(10, 1, 2, 2, 1, 1, &err) == NULL && err.code == ANAS_ERANGE &&
           strcmp(err.field, "classes") == 0,
       "one class: ANAS_ERANGE on field classes");
    ok(anas_data_synthetic(0, 1, 2, 2, 3, 1, &err) == NULL && err.code == ANAS_ERANGE,
       "no samples: ANAS_ERANGE");
    ok(anas_data_synthetic(10, 5, 2, 2, 3, 1, &err) == NULL && err.code == ANAS_ERANGE,
       "five channels: ANAS_ERANGE");
    anas_alloc_fail_after(3); /* the dataset, x and y succeed */
    a = anas_data_synthetic(10, 1, 2, 2, 3, 1, &err);
    anas_alloc_fail_after(-1);
    ok(a == NULL && err.code == ANAS_ENOMEM,
       "out of memory for the centres: ANAS_ENOMEM");
    return done();
}
