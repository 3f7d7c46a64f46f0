/*
 * idx.c - fuzz target: the IDX reader (MNIST, Fashion-MNIST), on an image
 * file and a label file written to a folder of the process's own.
 *
 * Input: two bytes (big-endian) giving the image file's length, the image
 * file (train-images-idx3-ubyte), then the label file (the rest). zlib
 * reads either plain or gzip, so an input may be gzip too.
 *
 * Invariants: a refusal has a code and a message; an accepted set has
 * 1..ANAS_DATA_MAX_N samples, pixels in [0, 1], labels in 0..classes-1.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "fuzz.h"

static char images[600], labels[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", fuzz_dir());
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", fuzz_dir());
    return 0;
}

static void check(const struct anas_dataset *d)
{
    size_t i, n = (size_t)d->n * (size_t)(d->c * d->h * d->w);

    FUZZ_CHECK(d->n >= 1 && d->c == 1 && d->h >= 1 && d->w >= 1, "shape %d x %d x %d x %d",
               d->n, d->c, d->h, d->w);
    FUZZ_CHECK(d->classes >= 1, "%d classes", d->classes);
    for (i = 0; i < n; i++)
        FUZZ_CHECK(d->x[i] >= 0.0f && d->x[i] <= 1.0f, "pixel %zu is %g", i, d->x[i]);
    for (i = 0; i < (size_t)d->n; i++)
        FUZZ_CHECK(d->y[i] >= 0 && d->y[i] < d->classes, "label %zu is %d", i, d->y[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anas_error err;
    struct anas_dataset *d;
    size_t n_img;

    if (size < 2)
        return 0;
    n_img = (size_t)data[0] << 8 | data[1];
    if (n_img > size - 2)
        n_img = size - 2;
    fuzz_write(images, data + 2, n_img);
    fuzz_write(labels, data + 2 + n_img, size - 2 - n_img);
    anas_error_clear(&err);
    d = anas_data_load_idx(fuzz_dir(), "train", &err);
    if (d) {
        check(d);
        anas_data_free(d);
    } else {
        FUZZ_CHECK(err.code < 0 && err.msg[0], "refusal without a code or message");
    }
    return 0;
}
