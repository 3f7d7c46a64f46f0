/*
 * synth.c - a synthetic classification task for tests: one Gaussian blob
 * per class in image space.
 *
 * Each class has a centre image with N(0,1) pixels; a sample is its class
 * centre plus N(0,1) noise on every pixel. Centres lie about sqrt(2*c*h*w)
 * apart, so even small images are almost perfectly separable and a small
 * network learns the task in a few epochs. The centres depend only on the
 * shape and the number of classes, while `seed` draws the samples: two
 * seeds give a train and a test split of one task. Labels cycle through the
 * classes, so every class has n/classes samples (give or take one).
 */
#include "config.h"

#include "data/data_int.h"

#include "core/alloc.h"

/* Any fixed value: it only has to differ from the stream of the samples. */
#define CENTRE_SEED UINT64_C(0x8a5cd789635d2dff)

static void make_centres(float *centres, int classes, int c, int h, int w)
{
    struct anas_rng rng;
    size_t n = (size_t)classes * (size_t)c * (size_t)h * (size_t)w;
    uint64_t shape =
        (uint64_t)classes << 48 ^ (uint64_t)c << 32 ^ (uint64_t)h << 16 ^ (uint64_t)w;

    anas_rng_seed2(&rng, CENTRE_SEED, shape);
    for (size_t i = 0; i < n; i++)
        centres[i] = (float)anas_rng_normal(&rng);
}

struct anas_dataset *anas_data_synthetic(int n, int c, int h, int w, int classes,
                                         uint64_t seed, struct anas_error *err)
{
    struct anas_dataset *d;
    struct anas_rng rng;
    float *centres;
    size_t per;

    if (classes < 2 || classes > 1000) {
        anas_error_field(err, ANAS_ERANGE, "classes", "classes must be 2..1000");
        return NULL;
    }
    d = anas__data_alloc(n, c, h, w, err);
    if (!d)
        return NULL;
    per = anas__data_sample_size(d);
    centres = anas_malloc((size_t)classes * per * sizeof *centres);
    if (!centres) {
        anas_data_free(d);
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    make_centres(centres, classes, c, h, w);
    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        const float *m = centres + (size_t)(i % classes) * per;
        float *x = d->x + (size_t)i * per;
        for (size_t k = 0; k < per; k++)
            x[k] = m[k] + (float)anas_rng_normal(&rng);
        d->y[i] = i % classes;
    }
    d->classes = classes;
    anas_free(centres);
    return d;
}
