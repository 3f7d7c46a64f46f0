/*
 * loader.c - mini-batches in a shuffled order, optionally augmented.
 *
 * The loader owns the only random stream of the input pipeline: the epoch's
 * permutation and every augmentation draw come from it in a fixed order, so
 * a seed fixes the batches bit for bit. Batches are copied into the
 * caller's buffers; the dataset is never written.
 *
 * Augmentation follows AnalogNAS's CIFAR recipe (RandomCrop(pad), then
 * RandomHorizontalFlip, then Normalize, then Cutout). Here the data is
 * already normalized, so: the crop pads with the value an original black
 * pixel has now (-mean/std of the recorded normalization; 0 for raw data),
 * which is torchvision's zero padding; cutout zeroes in the normalized
 * space, as the recipe's Cutout runs after Normalize.
 */
#include "config.h"

#include "data/data_int.h"

#include <string.h>

#include "core/alloc.h"

static void permute(struct anas_loader *ld)
{
    for (int i = ld->d->n - 1; i > 0; i--) {
        int j = (int)anas_rng_int(&ld->rng, 0, (long)i + 1), t = ld->order[i];
        ld->order[i] = ld->order[j];
        ld->order[j] = t;
    }
}

int anas_loader_init(struct anas_loader *ld, const struct anas_dataset *d, int batch,
                     int shuffle, uint64_t seed)
{
    if (!ld || !d || d->n < 1 || batch < 1)
        return ANAS_EINVAL;
    memset(ld, 0, sizeof *ld);
    ld->order = anas_malloc((size_t)d->n * sizeof *ld->order);
    if (!ld->order)
        return ANAS_ENOMEM;
    ld->d = d;
    ld->batch = batch;
    ld->shuffle = shuffle;
    anas_rng_seed(&ld->rng, seed);
    for (int i = 0; i < d->n; i++)
        ld->order[i] = i;
    anas_loader_reset(ld);
    return 0;
}

void anas_loader_fini(struct anas_loader *ld)
{
    if (!ld)
        return;
    anas_free(ld->order);
    ld->order = NULL;
}

void anas_loader_reset(struct anas_loader *ld)
{
    ld->pos = 0;
    if (ld->shuffle)
        permute(ld);
}

/* The draws for one sample, taken in this order whatever is enabled. */
struct draws {
    int dy, dx; /* crop offset in the padded image, 0..2*pad */
    int flip;
    int cy, cx; /* cutout centre */
};

static void draw(struct anas_rng *rng, const struct anas_augment *aug, int h, int w,
                 struct draws *dr)
{
    memset(dr, 0, sizeof *dr);
    if (aug->crop_pad > 0) {
        dr->dy = (int)anas_rng_int(rng, 0, 2L * aug->crop_pad + 1);
        dr->dx = (int)anas_rng_int(rng, 0, 2L * aug->crop_pad + 1);
    }
    if (aug->flip)
        dr->flip = anas_rng_uniform(rng) < 0.5;
    if (aug->cutout > 0) {
        dr->cy = (int)anas_rng_int(rng, 0, h);
        dr->cx = (int)anas_rng_int(rng, 0, w);
    }
}

/* Crop (with padding) and flip one channel: out[i][j] is the padded image at
 * (i + dy, j' + dx) where j' = w-1-j when flipped (crop first, then flip). */
static void crop_flip(float *out, const float *in, int h, int w, int pad, float fill,
                      const struct draws *dr)
{
    for (int i = 0; i < h; i++) {
        int si = i + dr->dy - pad;
        for (int j = 0; j < w; j++) {
            int sj = (dr->flip ? w - 1 - j : j) + dr->dx - pad;
            int inside = si >= 0 && si < h && sj >= 0 && sj < w;
            out[i * w + j] = inside ? in[si * w + sj] : fill;
        }
    }
}

/* Zero the square of side `len` around (cy, cx), clipped to the image. */
static void cutout(float *x, int h, int w, int len, int cy, int cx)
{
    int y0 = cy - len / 2, x0 = cx - len / 2;
    int y1 = y0 + len, x1 = x0 + len;

    y0 = y0 < 0 ? 0 : y0;
    x0 = x0 < 0 ? 0 : x0;
    y1 = y1 > h ? h : y1;
    x1 = x1 > w ? w : x1;
    for (int i = y0; i < y1; i++)
        for (int j = x0; j < x1; j++)
            x[i * w + j] = 0.0f;
}

static void augment(struct anas_loader *ld, float *out, const float *in,
                    const struct anas_augment *aug)
{
    const struct anas_dataset *d = ld->d;
    size_t hw = (size_t)d->h * (size_t)d->w;
    int pad = aug->crop_pad > 0 ? aug->crop_pad : 0;
    struct draws dr;

    draw(&ld->rng, aug, d->h, d->w, &dr);
    for (int ch = 0; ch < d->c; ch++) {
        float fill = -d->mean[ch] / d->std[ch];
        float *o = out + (size_t)ch * hw;
        crop_flip(o, in + (size_t)ch * hw, d->h, d->w, pad, fill, &dr);
        if (aug->cutout > 0)
            cutout(o, d->h, d->w, aug->cutout, dr.cy, dr.cx);
    }
}

int anas_loader_next(struct anas_loader *ld, float *x, int *y,
                     const struct anas_augment *aug)
{
    const struct anas_dataset *d = ld->d;
    size_t per = anas__data_sample_size(d);
    int k = d->n - ld->pos < ld->batch ? d->n - ld->pos : ld->batch;
    int plain = !aug || (aug->crop_pad <= 0 && !aug->flip && aug->cutout <= 0);

    for (int b = 0; b < k; b++) {
        int s = ld->order[ld->pos + b];
        const float *in = d->x + (size_t)s * per;
        if (plain)
            memcpy(x + (size_t)b * per, in, per * sizeof *x);
        else
            augment(ld, x + (size_t)b * per, in, aug);
        y[b] = d->y[s];
    }
    ld->pos += k;
    return k;
}
