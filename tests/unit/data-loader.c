/*
 * data-loader.c - the loader: an epoch visits every sample once (the last
 * batch short), the order follows the seed and changes between epochs,
 * batches are copied without touching memory past them; augmentation keeps
 * the shape, follows the seed, and each transform is what it claims: a
 * flip mirrors, a crop shifts in padding, cutout zeroes one square.
 */
#include "config.h"

#include "data/data.h"

#include <string.h>

#include "tap.h"

#define N   103
#define B   10
#define C   2
#define H   6
#define W   5
#define PER (C * H * W)

/* Pixel values name (sample, channel, pixel) and are never 0, so zeros in
 * an augmented sample can only come from padding or cutout. */
static struct anas_dataset *numbered(void)
{
    struct anas_dataset *d = anas_data_synthetic(N, C, H, W, 4, 1, NULL);
    for (int i = 0; d && i < N; i++)
        for (int k = 0; k < PER; k++)
            d->x[i * PER + k] = (float)(i * 1000 + k + 1);
    return d;
}

static int sample_of(const float *x)
{
    return (int)(x[0] - 1) / 1000;
}

/* Samples of one epoch in order; returns the number of batches. */
static int epoch(struct anas_loader *ld, int *order, int *sizes, int *labels_ok,
                 const struct anas_augment *aug, float *x, int *y)
{
    int nb = 0, pos = 0, k;

    *labels_ok = 1;
    while ((k = anas_loader_next(ld, x, y, aug)) > 0) {
        for (int b = 0; b < k; b++) {
            order[pos + b] = sample_of(x + b * PER);
            *labels_ok &= y[b] == ld->d->y[order[pos + b]];
        }
        sizes[nb++] = k;
        pos += k;
    }
    return nb;
}

static void epochs(const struct anas_dataset *d)
{
    struct anas_loader ld, same, other, plain;
    float x[B * PER + 1];
    int y[B + 1], o1[N], o2[N], o3[N], o4[N], sizes[N], seen[N] = {0};
    int nb, labels_ok, once = 1, identity = 1;

    anas_loader_init(&ld, d, B, 1, 42);
    anas_loader_init(&same, d, B, 1, 42);
    anas_loader_init(&other, d, B, 1, 43);
    anas_loader_init(&plain, d, B, 0, 42);
    x[B * PER] = -1.0f;
    y[B] = -1;
    nb = epoch(&ld, o1, sizes, &labels_ok, NULL, x, y);
    for (int i = 0; i < N; i++)
        seen[o1[i]]++;
    for (int i = 0; i < N; i++)
        once &= seen[i] == 1;
    ok(nb == 11 && sizes[0] == B && sizes[10] == 3, "11 batches, the last of 3");
    ok(once, "every sample exactly once per epoch");
    ok(labels_ok, "labels travel with their samples");
    ok(x[B * PER] == -1.0f && y[B] == -1, "nothing written past the batch");
    is_int(anas_loader_next(&ld, x, y, NULL), 0, "after the epoch: 0");
    epoch(&same, o2, sizes, &labels_ok, NULL, x, y);
    epoch(&other, o3, sizes, &labels_ok, NULL, x, y);
    ok(memcmp(o1, o2, sizeof o1) == 0, "the same seed gives the same order");
    ok(memcmp(o1, o3, sizeof o1) != 0, "another seed, another order");
    anas_loader_reset(&ld);
    epoch(&ld, o4, sizes, &labels_ok, NULL, x, y);
    memset(seen, 0, sizeof seen);
    once = 1;
    for (int i = 0; i < N; i++)
        once &= ++seen[o4[i]] == 1;
    ok(once && memcmp(o1, o4, sizeof o1) != 0,
       "the next epoch: all once, in a new order");
    epoch(&plain, o4, sizes, &labels_ok, NULL, x, y);
    for (int i = 0; i < N; i++)
        identity &= o4[i] == i;
    ok(identity, "without shuffling: dataset order");
    anas_loader_fini(&ld);
    anas_loader_fini(&same);
    anas_loader_fini(&other);
    anas_loader_fini(&plain);
    is_int(anas_loader_init(&ld, d, 0, 1, 1), ANAS_EINVAL, "batch 0 is ANAS_EINVAL");
}

/* An augmented epoch, all batches concatenated in `out` (N * PER). */
static void aug_epoch(const struct anas_dataset *d, const struct anas_augment *aug,
                      uint64_t seed, float *out)
{
    struct anas_loader ld;
    int y[B], k, pos = 0;

    anas_loader_init(&ld, d, B, 1, seed);
    while ((k = anas_loader_next(&ld, out + (size_t)pos * PER, y, aug)) > 0)
        pos += k;
    anas_loader_fini(&ld);
}

/* Does a (H,W) plane equal src shifted by (sy, sx), filled with `fill`? */
static int shifted(const float *a, const float *src, int sy, int sx, int mirror,
                   float fill)
{
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            int si = i + sy, sj = (mirror ? W - 1 - j : j) + sx;
            float want = si >= 0 && si < H && sj >= 0 && sj < W ? src[si * W + sj] : fill;
            if (a[i * W + j] != want)
                return 0;
        }
    return 1;
}

/* Sample identity survives augmentation somewhere in the plane: find it
 * from any non-fill pixel. */
static int identify(const float *x)
{
    for (int k = 0; k < PER; k++)
        if (x[k] != 0.0f)
            return (int)(x[k] - 1) / 1000;
    return -1;
}

static void augmentation(const struct anas_dataset *d)
{
    static float a[N * PER], b[N * PER];
    struct anas_augment flip = {.flip = 1}, crop = {.crop_pad = 2}, cut = {.cutout = 3};
    struct anas_augment all = {.crop_pad = 2, .flip = 1, .cutout = 3};
    int mirrored = 0, kept = 0, flips_ok = 1, crops_ok = 1, cuts_ok = 1;

    aug_epoch(d, &all, 9, a);
    aug_epoch(d, &all, 9, b);
    ok(memcmp(a, b, sizeof a) == 0, "augmented batches are the same for the same seed");
    aug_epoch(d, &all, 10, b);
    ok(memcmp(a, b, sizeof a) != 0, "... and differ for another seed");

    aug_epoch(d, &flip, 3, a);
    for (int i = 0; i < N; i++) {
        const float *src = d->x + identify(a + i * PER) * PER;
        int m = 1, s = 1;
        for (int ch = 0; ch < C; ch++) {
            m &= shifted(a + i * PER + ch * H * W, src + ch * H * W, 0, 0, 1, 0);
            s &= memcmp(a + i * PER + ch * H * W, src + ch * H * W,
                        sizeof(float) * H * W) == 0;
        }
        mirrored += m;
        kept += s;
        flips_ok &= m || s;
    }
    ok(flips_ok, "flip: each sample is itself or its mirror image, in every channel");
    ok(mirrored > 30 && kept > 30, "flip: about half mirrored (%d of %d)", mirrored, N);

    aug_epoch(d, &crop, 4, a);
    for (int i = 0; i < N; i++) {
        const float *src = d->x + identify(a + i * PER) * PER;
        int found = 0;
        for (int sy = -2; sy <= 2; sy++)
            for (int sx = -2; sx <= 2; sx++) {
                int all_ch = 1;
                for (int ch = 0; ch < C; ch++)
                    all_ch &=
                        shifted(a + i * PER + ch * H * W, src + ch * H * W, sy, sx, 0, 0);
                found |= all_ch;
            }
        crops_ok &= found;
    }
    ok(crops_ok, "crop: each sample is shifted by at most 2 with zero padding");

    aug_epoch(d, &cut, 5, a);
    for (int i = 0; i < N; i++) {
        const float *src = d->x + identify(a + i * PER) * PER;
        int zeros = 0, other = 0;
        for (int k = 0; k < PER; k++) {
            zeros += a[i * PER + k] == 0.0f;
            other += a[i * PER + k] != 0.0f && a[i * PER + k] != src[k];
        }
        /* 3x3 in each channel, clipped at the border to at least 2x2. */
        cuts_ok &= other == 0 && zeros >= C * 4 && zeros <= C * 9 && zeros % C == 0;
    }
    ok(cuts_ok, "cutout: only zeros added, a clipped 3x3 square in every channel");
}

/* On normalized data the crop pads with the value black has now. */
static void padding_value(void)
{
    struct anas_dataset *d = anas_data_synthetic(20, 1, 4, 4, 2, 1, NULL);
    struct anas_augment crop = {.crop_pad = 4};
    struct anas_loader ld;
    float x[20 * 16], fill;
    int y[20], n_fill = 0;

    for (int k = 0; k < 20 * 16; k++)
        d->x[k] = 0.25f + 0.5f * (float)(k % 2);
    anas_data_normalize(d, NULL, NULL);
    fill = -d->mean[0] / d->std[0];
    anas_loader_init(&ld, d, 20, 1, 1);
    anas_loader_next(&ld, x, y, &crop);
    for (int k = 0; k < 20 * 16; k++)
        n_fill += x[k] == fill;
    ok(n_fill > 0 && fill != 0.0f, "padding is -mean/std (%g), seen %d times", fill,
       n_fill);
    anas_loader_fini(&ld);
    anas_data_free(d);
}

int main(void)
{
    struct anas_dataset *d = numbered();

    if (!d)
        skip_all("cannot make a dataset");
    plan(17);
    epochs(d);
    augmentation(d);
    padding_value();
    anas_data_free(d);
    return done();
}
