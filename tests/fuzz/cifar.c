/*
 * cifar.c - fuzz target: the CIFAR-10 binary reader, on the input written
 * as a folder's test_batch.bin.
 *
 * Invariants: a refusal has a code and a message; an accepted set has
 * 3 x 32 x 32 images with pixels in [0, 1] and labels in 0..9.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "fuzz.h"

static char path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(path, sizeof path, "%s/test_batch.bin", fuzz_dir());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anas_error err;
    struct anas_dataset *d;

    fuzz_write(path, data, size);
    anas_error_clear(&err);
    d = anas_data_load_cifar10(fuzz_dir(), "test", &err);
    if (!d) {
        FUZZ_CHECK(err.code < 0 && err.msg[0], "refusal without a code or message");
        return 0;
    }
    FUZZ_CHECK(d->n >= 1 && d->c == 3 && d->h == 32 && d->w == 32 && d->classes == 10,
               "shape %d x %d x %d x %d, %d classes", d->n, d->c, d->h, d->w, d->classes);
    for (size_t i = 0; i < (size_t)d->n * 3 * 32 * 32; i++)
        FUZZ_CHECK(d->x[i] >= 0.0f && d->x[i] <= 1.0f, "pixel %zu is %g", i, d->x[i]);
    for (int i = 0; i < d->n; i++)
        FUZZ_CHECK(d->y[i] >= 0 && d->y[i] < 10, "label %d is %d", i, d->y[i]);
    anas_data_free(d);
    return 0;
}
