/*
 * data-idx.c - IDX files: tiny ones written here, plain and gzipped, read
 * back exactly; broken ones (bad magic, truncated, padded, mismatched
 * counts, lying headers) are ANAS_EFORMAT naming the file; missing ones
 * ANAS_ENOTFOUND; every allocation failure is clean. When Debian's
 * Fashion-MNIST is installed, both splits load with the known shape,
 * label histogram and pixel statistics.
 */
#include "config.h"

#include "data/data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/alloc.h"
#include "tap.h"

#define FASHION "/usr/share/datasets/fashion-mnist"
#define N       3
#define H       4
#define W       5

static char tmp[256];

static size_t put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* Write `len` bytes to dir/name, through zlib when the name ends in .gz. */
static void put_file(const char *dir, const char *name, const unsigned char *b,
                     size_t len)
{
    char path[512];
    size_t nl = strlen(name);

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (nl > 3 && strcmp(name + nl - 3, ".gz") == 0) {
        gzFile gz = gzopen(path, "wb");
        if (!gz || gzwrite(gz, b, (unsigned)len) != (int)len || gzclose(gz) != Z_OK)
            fprintf(stderr, "cannot write %s\n", path);
    } else {
        FILE *fp = fopen(path, "wb");
        if (!fp || fwrite(b, 1, len, fp) != len || fclose(fp) != 0)
            fprintf(stderr, "cannot write %s\n", path);
    }
}

/* An image file of n images h x w whose pixel k is (seed + k) mod 256. */
static size_t image_bytes(unsigned char *b, uint32_t magic, int n, int h, int w, int seed)
{
    size_t len = put_be32(b, magic);
    len += put_be32(b + len, (uint32_t)n);
    len += put_be32(b + len, (uint32_t)h);
    len += put_be32(b + len, (uint32_t)w);
    for (int k = 0; k < n * h * w; k++)
        b[len++] = (unsigned char)((seed + k) % 256);
    return len;
}

static size_t label_bytes(unsigned char *b, int n, const unsigned char *labels)
{
    size_t len = put_be32(b, 0x00000801u);
    len += put_be32(b + len, (uint32_t)n);
    memcpy(b + len, labels, (size_t)n);
    return len + (size_t)n;
}

static const unsigned char labels[N] = {0, 2, 1};

/* A complete train split in dir; ext "" or ".gz". */
static void write_split(const char *dir, const char *prefix, const char *ext, int seed)
{
    unsigned char b[1024];
    char name[128];
    size_t len = image_bytes(b, 0x00000803u, N, H, W, seed);

    snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", prefix, ext);
    put_file(dir, name, b, len);
    len = label_bytes(b, N, labels);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", prefix, ext);
    put_file(dir, name, b, len);
}

static char *subdir(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];

    snprintf(p, sizeof path[0], "%s/%s", tmp, name);
    mkdir(p, 0700);
    return p;
}

static int same_pixels(const struct anas_dataset *d, int seed)
{
    for (int k = 0; k < N * H * W; k++)
        if (d->x[k] != (float)((seed + k) % 256) / 255.0f)
            return 0;
    return 1;
}

static void read_back(const char *ext, int seed)
{
    struct anas_error err = {0};
    char *dir = subdir(*ext ? "gz" : "plain");
    struct anas_dataset *d;

    write_split(dir, "train", ext, seed);
    d = anas_data_load_idx(dir, "train", &err);
    ok(d != NULL, "%s: loads (%s)", *ext ? "gzip" : "plain", d ? "" : err.msg);
    if (!d)
        return;
    ok(d->n == N && d->c == 1 && d->h == H && d->w == W, "%s: shape 3 x (1,4,5)", dir);
    ok(d->y[0] == 0 && d->y[1] == 2 && d->y[2] == 1 && d->classes == 3,
       "%s: labels and 3 classes", dir);
    ok(same_pixels(d, seed), "%s: pixels are bytes / 255", dir);
    ok(d->mean[0] == 0.0f && d->std[0] == 1.0f, "%s: no normalization recorded", dir);
    anas_data_free(d);
    is_int((long)(anas_data_load_idx(dir, "test", &err) == NULL), 1, "%s: no test split",
           dir);
    is_int(err.code, ANAS_ENOTFOUND, "... is ANAS_ENOTFOUND");
}

static void prefers_gz(void)
{
    struct anas_error err = {0};
    char *dir = subdir("both");
    struct anas_dataset *d;

    write_split(dir, "t10k", "", 1);
    write_split(dir, "t10k", ".gz", 100);
    d = anas_data_load_idx(dir, "test", &err);
    ok(d && same_pixels(d, 100), "with both present the .gz file is read");
    anas_data_free(d);
}

/* Load `dir` and expect ANAS_EFORMAT whose message names `file`. */
static void expect_format(const char *dir, const char *file, const char *what)
{
    struct anas_error err = {0};
    struct anas_dataset *d = anas_data_load_idx(dir, "train", &err);

    ok(d == NULL && err.code == ANAS_EFORMAT && strstr(err.msg, file),
       "%s: ANAS_EFORMAT naming %s", what, file);
    if (d || err.code != ANAS_EFORMAT || !strstr(err.msg, file))
        printf("#   got %s: %s\n", anas_err_name(err.code), err.msg);
    anas_data_free(d);
}

static void broken(const char *ext)
{
    unsigned char b[1024];
    char name[128];
    char *dir = subdir(*ext ? "broken-gz" : "broken");
    size_t len;

    snprintf(name, sizeof name, "train-images-idx3-ubyte%s", ext);
    write_split(dir, "train", ext, 5);
    len = image_bytes(b, 0x00000802u, N, H, W, 5);
    put_file(dir, name, b, len);
    expect_format(dir, name, *ext ? "gzip, bad magic" : "plain, bad magic");

    len = image_bytes(b, 0x00000803u, N, H, W, 5);
    put_file(dir, name, b, len - 7);
    expect_format(dir, name, *ext ? "gzip, truncated pixels" : "plain, truncated pixels");
    put_file(dir, name, b, 10);
    expect_format(dir, name, *ext ? "gzip, truncated header" : "plain, truncated header");
    b[len] = 9;
    put_file(dir, name, b, len + 1);
    expect_format(dir, name, *ext ? "gzip, a byte too many" : "plain, a byte too many");

    len = image_bytes(b, 0x00000803u, 0, H, W, 5);
    put_file(dir, name, b, len);
    expect_format(dir, name, *ext ? "gzip, zero images" : "plain, zero images");

    /* The header promises 100 million 28 x 28 images. */
    len = image_bytes(b, 0x00000803u, 1, 28, 28, 5);
    put_be32(b + 4, 100000000u);
    put_file(dir, name, b, len);
    expect_format(dir, name, *ext ? "gzip, lying header" : "plain, lying header");

    len = image_bytes(b, 0x00000803u, N + 1, H, W, 5);
    put_file(dir, name, b, len);
    expect_format(dir, "labels",
                  *ext ? "gzip, more images than labels"
                       : "plain, more images than labels");
}

/* A gzip stream cut in the middle: zlib's error becomes ANAS_EFORMAT. */
static void cut_gzip(void)
{
    unsigned char b[4096], raw[2048];
    char *dir = subdir("cut-gz"), path[512];
    size_t len;
    FILE *fp;

    write_split(dir, "train", ".gz", 3);
    len = image_bytes(raw, 0x00000803u, 20, 8, 8, 3);
    put_file(dir, "train-images-idx3-ubyte.gz", raw, len);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    fp = fopen(path, "rb");
    len = fp ? fread(b, 1, sizeof b, fp) : 0;
    if (fp)
        fclose(fp);
    unlink(path);
    /* Under the plain name: zlib recognises the gzip magic regardless. */
    put_file(dir, "train-images-idx3-ubyte", b, len / 2);
    expect_format(dir, "train-images-idx3-ubyte", "half a gzip stream");

    b[20] ^= 0xff; /* corrupt the deflate data of a complete stream */
    b[21] ^= 0xff;
    put_file(dir, "train-images-idx3-ubyte", b, len);
    expect_format(dir, "train-images-idx3-ubyte", "a corrupt gzip stream");
}

static void missing(void)
{
    struct anas_error err = {0};
    char *dir = subdir("nolabels"), path[512];

    ok(anas_data_load_idx("/nonexistent/fashion", "train", &err) == NULL &&
           err.code == ANAS_ENOTFOUND,
       "a missing directory is ANAS_ENOTFOUND");
    write_split(dir, "train", "", 1);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    unlink(path);
    ok(anas_data_load_idx(dir, "train", &err) == NULL && err.code == ANAS_ENOTFOUND &&
           strstr(err.msg, "train-labels-idx1-ubyte"),
       "a missing label file is ANAS_ENOTFOUND naming it");
    ok(anas_data_load_idx(dir, "validation", &err) == NULL && err.code == ANAS_EINVAL &&
           strcmp(err.field, "split") == 0,
       "an unknown split is ANAS_EINVAL on field split");
}

static void chaos(void)
{
    char *dir = subdir("chaos");
    struct anas_dataset *d = NULL;
    int fails, clean = 1;

    write_split(dir, "train", ".gz", 9);
    for (fails = 0; fails < 100 && !d; fails++) {
        struct anas_error err = {0};
        anas_alloc_fail_after(fails);
        d = anas_data_load_idx(dir, "train", &err);
        anas_alloc_fail_after(-1);
        clean &= d != NULL || err.code == ANAS_ENOMEM;
    }
    ok(d && same_pixels(d, 9), "loads after %d failing allocations", fails - 1);
    ok(clean && fails > 1, "every failure before that was ANAS_ENOMEM");
    anas_data_free(d);
}

static void histogram(const struct anas_dataset *d, int per_class, const char *split)
{
    int hist[10] = {0}, bad = 0, even = 1;
    float lo = 1, hi = 0;

    for (int i = 0; i < d->n; i++) {
        if (d->y[i] < 0 || d->y[i] > 9)
            bad++;
        else
            hist[d->y[i]]++;
    }
    for (int k = 0; k < 10; k++)
        even &= hist[k] == per_class;
    ok(!bad && even, "%s: %d images of each class", split, per_class);
    for (size_t k = 0; k < (size_t)d->n * 784; k++) {
        lo = d->x[k] < lo ? d->x[k] : lo;
        hi = d->x[k] > hi ? d->x[k] : hi;
    }
    ok(lo == 0.0f && hi == 1.0f, "%s: pixels span [0, 1]", split);
}

static void fashion(void)
{
    struct anas_error err = {0};
    struct anas_dataset *tr, *te;

    if (access(FASHION "/train-images-idx3-ubyte.gz", R_OK) != 0) {
        for (int i = 0; i < 9; i++)
            ok(1, "# SKIP " FASHION " is not installed");
        return;
    }
    tr = anas_data_load_idx(FASHION, "train", &err);
    te = tr ? anas_data_load_idx(FASHION, "test", &err) : NULL;
    ok(tr && te, "Fashion-MNIST loads (%s)", tr && te ? "both splits" : err.msg);
    if (!tr || !te) {
        anas_data_free(tr);
        return;
    }
    ok(tr->n == 60000 && te->n == 10000, "60000 train and 10000 test images");
    ok(tr->c == 1 && tr->h == 28 && tr->w == 28 && te->h == 28, "28 x 28, one channel");
    ok(tr->classes == 10 && te->classes == 10, "10 classes");
    histogram(tr, 6000, "train");
    histogram(te, 1000, "test");
    anas_data_normalize(tr, NULL, NULL);
    /* The usual constants for Fashion-MNIST: mean 0.2860, std 0.3530. */
    ok(fabsf(tr->mean[0] - 0.2860f) < 5e-4f && fabsf(tr->std[0] - 0.3530f) < 5e-4f,
       "train pixel mean %.4f std %.4f", tr->mean[0], tr->std[0]);
    anas_data_free(tr);
    anas_data_free(te);
}

static void cleanup(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove the temporary directory");
}

int main(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmp, sizeof tmp, "%s/anas-idx-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp))
        skip_all("cannot make a temporary directory");
    plan(45);
    read_back("", 7);
    read_back(".gz", 11);
    prefers_gz();
    broken("");
    broken(".gz");
    cut_gzip();
    missing();
    chaos();
    fashion();
    cleanup(tmp);
    return done();
}
