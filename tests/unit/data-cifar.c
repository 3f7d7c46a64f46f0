/*
 * data-cifar.c - CIFAR-10 binary batches: tiny files written here read back
 * in the (C,H,W) layout with their labels; the train split concatenates
 * the five batches in order; a missing batch, a size that is not a whole
 * number of records and an out-of-range label are refused.
 */
#include "config.h"

#include "data/data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define RECORD 3073

static char tmp[256];

/* Record r: label, then pixel k = (r * 7 + k) mod 256. */
static void put_batch(const char *name, const int *labels, int n, int extra)
{
    char path[512];
    unsigned char rec[RECORD];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", tmp, name);
    fp = fopen(path, "wb");
    for (int r = 0; fp && r < n; r++) {
        rec[0] = (unsigned char)labels[r];
        for (int k = 0; k < 3072; k++)
            rec[1 + k] = (unsigned char)((r * 7 + k) % 256);
        fwrite(rec, 1, RECORD, fp);
    }
    for (int i = 0; fp && i < extra; i++)
        fputc(0, fp);
    if (!fp || fclose(fp) != 0)
        fprintf(stderr, "cannot write %s\n", path);
}

static void test_batch(void)
{
    static const int labels[2] = {3, 7};
    struct anas_error err = {0};
    struct anas_dataset *d;
    int exact = 1;

    put_batch("test_batch.bin", labels, 2, 0);
    d = anas_data_load_cifar10(tmp, "test", &err);
    ok(d != NULL, "a 2-record test batch loads (%s)", d ? "" : err.msg);
    if (!d)
        return;
    ok(d->n == 2 && d->c == 3 && d->h == 32 && d->w == 32 && d->classes == 10,
       "2 x (3,32,32), 10 classes");
    ok(d->y[0] == 3 && d->y[1] == 7, "labels 3 and 7");
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < 3072; k++)
            exact &= d->x[r * 3072 + k] == (float)((r * 7 + k) % 256) / 255.0f;
    ok(exact, "pixels are bytes / 255 in file order (R, G, B planes)");
    /* Green plane, row 2, column 5 of record 1. */
    is_near(d->x[3072 + 1024 + 2 * 32 + 5], ((7 + 1024 + 69) % 256) / 255.0, 1e-7,
            "channel 1, (2,5) of record 1");
    anas_data_free(d);
}

static void train_batches(void)
{
    struct anas_error err = {0};
    struct anas_dataset *d;
    char name[64];

    ok(anas_data_load_cifar10(tmp, "train", &err) == NULL && err.code == ANAS_ENOTFOUND &&
           strstr(err.msg, "data_batch_1.bin"),
       "no train batches: ANAS_ENOTFOUND naming data_batch_1.bin");
    for (int i = 1; i <= 5; i++) {
        int labels[2] = {i, 9 - i};
        snprintf(name, sizeof name, "data_batch_%d.bin", i);
        put_batch(name, labels, i == 3 ? 1 : 2, 0);
    }
    d = anas_data_load_cifar10(tmp, "train", &err);
    ok(d && d->n == 9, "five batches of 2, 2, 1, 2, 2 records give 9 samples");
    ok(d && d->y[0] == 1 && d->y[1] == 8 && d->y[4] == 3 && d->y[5] == 4 && d->y[8] == 4,
       "records keep the order of the batches");
    anas_data_free(d);
}

static void broken(void)
{
    static const int bad[2] = {1, 10};
    static const int good[1] = {0};
    struct anas_error err = {0};

    put_batch("test_batch.bin", good, 1, 5);
    ok(anas_data_load_cifar10(tmp, "test", &err) == NULL && err.code == ANAS_EFORMAT &&
           strstr(err.msg, "test_batch.bin"),
       "5 stray bytes: ANAS_EFORMAT naming the file");
    put_batch("test_batch.bin", good, 0, 0);
    ok(anas_data_load_cifar10(tmp, "test", &err) == NULL && err.code == ANAS_EFORMAT,
       "an empty file: ANAS_EFORMAT");
    put_batch("test_batch.bin", bad, 2, 0);
    ok(anas_data_load_cifar10(tmp, "test", &err) == NULL && err.code == ANAS_EFORMAT &&
           strstr(err.msg, "label 10"),
       "label 10: ANAS_EFORMAT");
    ok(anas_data_load_cifar10(tmp, "val", &err) == NULL && err.code == ANAS_EINVAL,
       "an unknown split: ANAS_EINVAL");
}

static void cleanup(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        diag("could not remove the temporary directory");
}

int main(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmp, sizeof tmp, "%s/anas-cifar-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp))
        skip_all("cannot make a temporary directory");
    plan(12);
    test_batch();
    train_batches();
    broken();
    cleanup();
    return done();
}
