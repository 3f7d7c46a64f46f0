/*
 * idx.c - IDX files (MNIST, Fashion-MNIST), gzipped or plain.
 *
 * An IDX file is a big-endian header, magic 0x000008DD (0x08: unsigned
 * bytes, DD: the number of dimensions), one 32-bit size per dimension, then
 * the bytes. zlib's gz* functions read plain files transparently, so one
 * reader serves both; the .gz name is preferred when both exist. Every size
 * is checked against what the header promised: a short or padded file is
 * ANAS_EFORMAT naming the file, never a partly filled dataset.
 */
#include "config.h"

#include "data/data_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "core/alloc.h"

#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u
#define CHUNK      65536

/* deflate cannot compress better than about 1032:1, so a gzipped header
 * that promises more bytes than this times the file's size is a lie: it is
 * refused before anything is allocated for it. */
#define MAX_RATIO 1100

struct idx_file {
    gzFile gz;
    off_t size; /* of the file on disk */
    char path[1024];
};

static int exists(const char *path, off_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    *size = st.st_size;
    return 1;
}

/* Open dir/base.gz, else dir/base. */
static int idx_open(struct idx_file *f, const char *dir, const char *base,
                    struct anas_error *err)
{
    int len = snprintf(f->path, sizeof f->path, "%s/%s.gz", dir, base);

    if (len < 0 || (size_t)len >= sizeof f->path)
        return anas_error_field(err, ANAS_EINVAL, "path", "data path too long");
    if (!exists(f->path, &f->size)) {
        snprintf(f->path, sizeof f->path, "%s/%s", dir, base);
        if (!exists(f->path, &f->size))
            return anas_error_set(err, ANAS_ENOTFOUND, "no %s(.gz) in %s", base, dir);
    }
    f->gz = gzopen(f->path, "rb");
    if (!f->gz) {
        if (errno == EACCES)
            return anas_error_set(err, ANAS_EDENIED, "%s: permission denied", f->path);
        return anas_error_set(err, ANAS_EIO, "%s: cannot open", f->path);
    }
    return 0;
}

static void idx_close(struct idx_file *f)
{
    if (f->gz)
        gzclose(f->gz);
    f->gz = NULL;
}

/* Read exactly n bytes: a short read is a truncated file, a zlib error a
 * corrupt one; both are format errors of that file. */
static int idx_read(struct idx_file *f, unsigned char *buf, size_t n, const char *what,
                    struct anas_error *err)
{
    int got = gzread(f->gz, buf, (unsigned)n), zerr = Z_OK;
    const char *msg;

    if (got >= 0 && (size_t)got == n)
        return 0;
    msg = gzerror(f->gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        return anas_error_set(err, ANAS_EFORMAT, "%s: corrupt (%s) in %s", f->path, msg,
                              what);
    return anas_error_set(err, ANAS_EFORMAT, "%s: truncated in %s", f->path, what);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Check the magic and read `ndim` sizes, each 1..max. */
static int idx_header(struct idx_file *f, uint32_t magic, int ndim, const int *max,
                      int *dims, struct anas_error *err)
{
    unsigned char b[16];
    int rc = idx_read(f, b, 4 + 4 * (size_t)ndim, "the header", err);

    if (rc < 0)
        return rc;
    if (be32(b) != magic)
        return anas_error_set(err, ANAS_EFORMAT, "%s: magic 0x%08x, want 0x%08x", f->path,
                              (unsigned)be32(b), (unsigned)magic);
    for (int i = 0; i < ndim; i++) {
        uint32_t v = be32(b + 4 + 4 * i);
        if (v < 1 || v > (uint32_t)max[i])
            return anas_error_set(err, ANAS_EFORMAT, "%s: dimension %d is %u (1..%d)",
                                  f->path, i, (unsigned)v, max[i]);
        dims[i] = (int)v;
    }
    return 0;
}

/* Can the file hold the `payload` bytes its header promised? Exact for a
 * plain file; an upper bound for a gzipped one. */
static int idx_plausible(struct idx_file *f, int ndim, double payload,
                         struct anas_error *err)
{
    double have = (double)f->size, want = payload + 4.0 + 4.0 * ndim;

    if (gzdirect(f->gz) ? have < want : have * MAX_RATIO < payload)
        return anas_error_set(err, ANAS_EFORMAT, "%s: truncated (%.0f bytes promised)",
                              f->path, want);
    if (gzdirect(f->gz) && have > want)
        return anas_error_set(err, ANAS_EFORMAT, "%s: bytes after the data", f->path);
    return 0;
}

/* The file must end where the header said. */
static int idx_end(struct idx_file *f, struct anas_error *err)
{
    unsigned char b;
    int got = gzread(f->gz, &b, 1), zerr = Z_OK;
    const char *msg;

    if (got == 0)
        return 0;
    if (got > 0)
        return anas_error_set(err, ANAS_EFORMAT, "%s: bytes after the data", f->path);
    /* gzip checks its CRC only at the end of the stream. */
    msg = gzerror(f->gz, &zerr);
    return anas_error_set(err, ANAS_EFORMAT, "%s: corrupt (%s)", f->path, msg);
}

static int read_pixels(struct idx_file *f, float *x, size_t n, unsigned char *buf,
                       struct anas_error *err)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        int rc = idx_read(f, buf, k, "the pixels", err);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < k; i++)
            x[done + i] = buf[i] / 255.0f;
        done += k;
    }
    return idx_end(f, err);
}

static int read_labels(struct idx_file *f, int *y, size_t n, unsigned char *buf,
                       struct anas_error *err)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        int rc = idx_read(f, buf, k, "the labels", err);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < k; i++)
            y[done + i] = buf[i];
        done += k;
    }
    return idx_end(f, err);
}

static int max_label(const int *y, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m = y[i] > m ? y[i] : m;
    return m;
}

/* Both files are open and their headers agree: allocate and fill. */
static struct anas_dataset *load_body(struct idx_file *img, struct idx_file *lab,
                                      const int *dims, struct anas_error *err)
{
    struct anas_dataset *d = anas__data_alloc(dims[0], 1, dims[1], dims[2], err);
    unsigned char *buf = d ? anas_malloc(CHUNK) : NULL;
    int rc;

    if (d && !buf)
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
    rc = buf ? read_pixels(img, d->x, (size_t)d->n * anas__data_sample_size(d), buf, err)
             : ANAS_ENOMEM;
    if (rc == 0)
        rc = read_labels(lab, d->y, (size_t)d->n, buf, err);
    anas_free(buf);
    if (rc < 0) {
        anas_data_free(d);
        return NULL;
    }
    d->classes = max_label(d->y, d->n) + 1;
    return d;
}

struct anas_dataset *anas_data_load_idx(const char *dir, const char *split,
                                        struct anas_error *err)
{
    static const int img_max[3] = {ANAS_DATA_MAX_N, ANAS_DATA_MAX_SIDE,
                                   ANAS_DATA_MAX_SIDE};
    static const int lab_max[1] = {ANAS_DATA_MAX_N};
    struct idx_file img = {0}, lab = {0};
    struct anas_dataset *d = NULL;
    char name[64];
    const char *prefix;
    int dims[3], n_labels, rc;

    if (!dir || !split || (strcmp(split, "train") != 0 && strcmp(split, "test") != 0)) {
        anas_error_field(err, ANAS_EINVAL, "split", "split must be train or test");
        return NULL;
    }
    prefix = strcmp(split, "train") == 0 ? "train" : "t10k";
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    rc = idx_open(&img, dir, name, err);
    if (rc == 0)
        rc = idx_header(&img, IDX_IMAGES, 3, img_max, dims, err);
    if (rc == 0)
        rc = idx_plausible(&img, 3, (double)dims[0] * dims[1] * dims[2], err);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if (rc == 0)
        rc = idx_open(&lab, dir, name, err);
    if (rc == 0)
        rc = idx_header(&lab, IDX_LABELS, 1, lab_max, &n_labels, err);
    if (rc == 0)
        rc = idx_plausible(&lab, 1, (double)n_labels, err);
    if (rc == 0 && n_labels != dims[0])
        rc = anas_error_set(err, ANAS_EFORMAT, "%s has %d images but %s has %d labels",
                            img.path, dims[0], lab.path, n_labels);
    if (rc == 0)
        d = load_body(&img, &lab, dims, err);
    idx_close(&img);
    idx_close(&lab);
    return d;
}
