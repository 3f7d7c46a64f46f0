/*
 * cifar.c - CIFAR-10 binary batches: records of one label byte and 3072
 * pixel bytes (1024 red, then green, then blue, rows top to bottom), which
 * is already the (C,H,W) layout the dataset keeps.
 *
 * The official files hold 10000 records each; any whole number of records
 * is accepted so that tests can use tiny files. Every file is sized before
 * anything is allocated, so a wrong or truncated file fails fast.
 */
#include "config.h"

#include "data/data_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

#define CIFAR_SIDE    32
#define CIFAR_PIXELS  (3 * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD  (1 + CIFAR_PIXELS)
#define CIFAR_CLASSES 10
#define MAX_FILES     5

struct cifar_files {
    int n_files;
    int records[MAX_FILES];
    char path[MAX_FILES][1024];
};

static int list_files(struct cifar_files *fs, const char *dir, const char *split,
                      struct anas_error *err)
{
    int train = strcmp(split, "train") == 0;

    if (!train && strcmp(split, "test") != 0)
        return anas_error_field(err, ANAS_EINVAL, "split", "split must be train or test");
    fs->n_files = train ? MAX_FILES : 1;
    for (int i = 0; i < fs->n_files; i++) {
        struct stat st;
        int len =
            train ? snprintf(fs->path[i], sizeof fs->path[i], "%s/data_batch_%d.bin", dir,
                             i + 1)
                  : snprintf(fs->path[i], sizeof fs->path[i], "%s/test_batch.bin", dir);
        if (len < 0 || (size_t)len >= sizeof fs->path[i])
            return anas_error_field(err, ANAS_EINVAL, "path", "data path too long");
        if (stat(fs->path[i], &st) != 0)
            return anas_error_set(err, ANAS_ENOTFOUND, "no %s", fs->path[i]);
        if (st.st_size <= 0 || st.st_size % CIFAR_RECORD != 0 ||
            st.st_size / CIFAR_RECORD > ANAS_DATA_MAX_N)
            return anas_error_set(
                err, ANAS_EFORMAT,
                "%s: %lld bytes is not a whole number of %d-byte records", fs->path[i],
                (long long)st.st_size, CIFAR_RECORD);
        fs->records[i] = (int)(st.st_size / CIFAR_RECORD);
    }
    return 0;
}

/* Read one file's records into samples first..first+records-1. */
static int read_file(struct anas_dataset *d, int first, const char *path, int records,
                     unsigned char *rec, struct anas_error *err)
{
    FILE *fp = fopen(path, "rb");
    int rc = 0;

    if (!fp)
        return anas_error_set(err, ANAS_EIO, "%s: cannot open", path);
    for (int r = 0; r < records && rc == 0; r++) {
        float *x = d->x + (size_t)(first + r) * CIFAR_PIXELS;
        if (fread(rec, CIFAR_RECORD, 1, fp) != 1) {
            rc = anas_error_set(err, ANAS_EFORMAT, "%s: truncated at record %d", path, r);
            break;
        }
        if (rec[0] >= CIFAR_CLASSES) {
            rc = anas_error_set(err, ANAS_EFORMAT, "%s: record %d has label %d (0..9)",
                                path, r, rec[0]);
            break;
        }
        d->y[first + r] = rec[0];
        for (int i = 0; i < CIFAR_PIXELS; i++)
            x[i] = rec[1 + i] / 255.0f;
    }
    fclose(fp);
    return rc;
}

struct anas_dataset *anas_data_load_cifar10(const char *dir, const char *split,
                                            struct anas_error *err)
{
    struct cifar_files fs;
    struct anas_dataset *d;
    unsigned char *rec;
    long long n = 0;
    int rc, first = 0;

    if (!dir || !split) {
        anas_error_set(err, ANAS_EINVAL, "no dataset path");
        return NULL;
    }
    rc = list_files(&fs, dir, split, err);
    if (rc < 0)
        return NULL;
    for (int i = 0; i < fs.n_files; i++)
        n += fs.records[i];
    if (n > ANAS_DATA_MAX_N) {
        anas_error_set(err, ANAS_ERANGE, "%lld CIFAR records is too many", n);
        return NULL;
    }
    d = anas__data_alloc((int)n, 3, CIFAR_SIDE, CIFAR_SIDE, err);
    rec = d ? anas_malloc(CIFAR_RECORD) : NULL;
    if (!rec) {
        if (d)
            anas_error_set(err, ANAS_ENOMEM, "out of memory");
        anas_data_free(d);
        return NULL;
    }
    for (int i = 0; i < fs.n_files && rc == 0; i++) {
        rc = read_file(d, first, fs.path[i], fs.records[i], rec, err);
        first += fs.records[i];
    }
    anas_free(rec);
    if (rc < 0) {
        anas_data_free(d);
        return NULL;
    }
    d->classes = CIFAR_CLASSES;
    return d;
}
