/*
 * space-analytic.c - a proposal's analytic metrics (anas_space_analytic,
 * which leaves layers unnamed) are the sums of the named layer list
 * (anas_space_layers), and neither changed by one bit when naming became
 * lazy: for many random configurations of every registered space and a
 * composite, at two input shapes and three tile mappings, a digest of every
 * metric's bits and one of every layer (name, kind, sizes, counts) are
 * compared with the digests the earlier code gave (GOLDEN below). The
 * named list's layers must each have a name, distinct within the network.
 */
#include "config.h"

#include "space/space.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "tap.h"

#define CONFIGS 200

/* FNV-1a, 64 bits: enough to tell two runs of the same code apart from a
 * change in any byte folded in. */
static void fold(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211ULL;
}

/* Integers and doubles go in little-endian order, so that the digests
 * are the same on every machine. */
static void fold_u64(uint64_t *h, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> 8 * i);
    fold(h, b, sizeof b);
}

static void fold_int(uint64_t *h, long long v)
{
    fold_u64(h, (uint64_t)v);
}

static void fold_double(uint64_t *h, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    fold_u64(h, bits);
}

static void fold_str(uint64_t *h, const char *s)
{
    fold(h, s, strlen(s) + 1);
}

static void fold_metrics(uint64_t *h, const struct anas_metrics *m)
{
    for (int i = 0; i < m->n; i++) {
        fold_str(h, m->m[i].name);
        fold_double(h, m->m[i].value);
    }
}

static void fold_layer(uint64_t *h, const struct anas_layer *x)
{
    const int v[] = {x->in_c,   x->in_h,   x->in_w,  x->out_c, x->out_h,
                     x->out_w,  x->kernel, x->stride, x->pad,  x->tiles};

    fold_str(h, x->name);
    fold_str(h, x->kind);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        fold_int(h, v[i]);
    fold_int(h, x->params);
    fold_int(h, x->macs);
}

/* Crossbar cells a layer's weights take (space.h's counting rules). */
static long long weights_of(const struct anas_layer *x)
{
    if (strcmp(x->kind, "conv2d") == 0 || strcmp(x->kind, "convt2d") == 0)
        return (long long)x->kernel * x->kernel * x->in_c * x->out_c;
    if (strcmp(x->kind, "linear") == 0)
        return (long long)x->in_c * x->in_h * x->in_w * x->out_c;
    return 0;
}

/* 1 when every layer has a name that no other layer of the list has. */
static int names_distinct(const struct anas_layer *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (!v[i].name[0])
            return 0;
        for (int j = 0; j < i; j++)
            if (strcmp(v[i].name, v[j].name) == 0)
                return 0;
    }
    return 1;
}

/* The four common metrics of m equal the named list's sums, bit for bit. */
static int sums_agree(const struct anas_metrics *m, const struct anas_layer *v, int n,
                      const struct anas_mapping *map)
{
    long long params = 0, macs = 0, tiles = 0, weights = 0;
    double got[4], capacity;
    static const char *const names[] = {"params", "macs", "tiles", "tile_util"};

    for (int i = 0; i < n; i++) {
        params += v[i].params;
        macs += v[i].macs;
        tiles += v[i].tiles;
        weights += weights_of(&v[i]);
    }
    for (int k = 0; k < 4; k++)
        if (anas_metrics_get(m, names[k], &got[k]) < 0)
            return 0;
    capacity = (double)tiles * map->max_input_size * map->max_output_size;
    return got[0] == (double)params && got[1] == (double)macs && got[2] == (double)tiles &&
           got[3] == (tiles ? weights / capacity : 0.0);
}

struct tally {
    uint64_t metrics, layers; /* digests */
    int done, refused, agree, named;
};

/* One configuration at one shape and mapping. */
static void check_one(const struct anas_space *s, const struct anas_shape *sh,
                      const struct anas_mapping *map, const struct anas_config *cfg,
                      struct tally *t)
{
    struct anas_metrics m;
    struct anas_layer *v = NULL;
    struct anas_error err = {0};
    int n = 0, rc, rc2;

    anas_metrics_init(&m);
    rc = anas_space_analytic(s, sh, cfg, map, &m, &err);
    rc2 = anas_space_layers(s, sh, cfg, map, &v, &n, NULL);
    fold_int(&t->metrics, rc);
    fold_int(&t->layers, rc2);
    if (rc < 0 || rc2 < 0) {
        /* A configuration is refused by both or by neither. */
        t->refused++;
        t->agree += rc == rc2;
        anas_free(v);
        return;
    }
    t->done++;
    fold_metrics(&t->metrics, &m);
    for (int i = 0; i < n; i++)
        fold_layer(&t->layers, &v[i]);
    t->agree += sums_agree(&m, v, n, map);
    t->named += names_distinct(v, n);
    anas_free(v);
}

static const struct anas_mapping maps[] = {{512, 512}, {256, 128}, {64, 32}};

static void run_space(const struct anas_space *s, const struct anas_shape shapes[2],
                      struct tally *t)
{
    struct anas_rng rng;
    struct anas_config cfg;

    anas_rng_seed(&rng, 20261208);
    for (int i = 0; i < CONFIGS; i++) {
        if (anas_space_sample(s, &rng, &cfg) < 0)
            continue;
        for (int k = 0; k < 2; k++)
            check_one(s, &shapes[k], &maps[i % 3], &cfg, t);
    }
}

/* What the code gave before layers were named lazily (commit d1faded).
 * Registered spaces in registry order, then the composite. */
struct golden {
    const char *space;
    struct anas_shape shapes[2];
    uint64_t metrics, layers;
};

static const struct golden GOLDEN[] = {
    {"resnet", {{3, 32, 32, 10}, {1, 28, 28, 100}},
     0x2aec1d9b2b6f17da, 0xa1b63b664e1ef9b1},
    {"lenet", {{1, 28, 28, 10}, {3, 32, 32, 10}},
     0x5f9fe78bb922f8b9, 0x8e784a5fda90f374},
    {"mlp", {{1, 28, 28, 10}, {3, 8, 8, 2}},
     0xf5f5b85bb2b2cf83, 0x1ba10c93048dab31},
    {"autoencoder", {{3, 32, 32, 10}, {1, 28, 28, 10}},
     0x9e54698c350b1def, 0xe14d3db9f57965f3},
    {"rpu", {{1, 28, 28, 10}, {3, 32, 32, 10}},
     0xe03ae3da2decf625, 0xe03ae3da2decf625},
    {"linear", {{1, 1, 4, 2}, {1, 28, 28, 10}},
     0x8f40fb2ba43cbd0d, 0x08f6f67084c5dfc9},
    {"resnet+recipe", {{3, 32, 32, 10}, {3, 16, 16, 5}},
     0xefb418854d810792, 0x60696035961bef13},
};

static const struct anas_space *space_of(const char *name)
{
    static const double lrs[] = {0.01, 0.1}, batches[] = {32, 64, 128};
    static const char *const dims[] = {"train.lr", "train.batch_size"};
    static const int n[] = {2, 3};
    static const double *const v[] = {lrs, batches};

    if (strcmp(name, "resnet+recipe") == 0)
        return anas_space_compose(anas_space_find("resnet"), 2, dims, n, v, NULL);
    return anas_space_find(name);
}

int main(void)
{
    int n_golden = (int)(sizeof GOLDEN / sizeof GOLDEN[0]);

    plan(4 * n_golden + 1);
    is_int(anas_space_count(), n_golden - 1, "every registered space is listed here");
    for (int i = 0; i < n_golden; i++) {
        const struct golden *g = &GOLDEN[i];
        const struct anas_space *s = space_of(g->space);
        struct tally t = {14695981039346656037ULL, 14695981039346656037ULL, 0, 0, 0, 0};

        if (!ok(s != NULL, "%s exists", g->space)) {
            ok(0, "%s: metrics digest", g->space);
            ok(0, "%s: layers digest", g->space);
            ok(0, "%s: sums and names", g->space);
            continue;
        }
        run_space(s, g->shapes, &t);
        printf("# %s: %d networks, %d refused; digests 0x%016" PRIx64 " 0x%016" PRIx64 "\n",
               g->space, t.done, t.refused, t.metrics, t.layers);
        ok(t.metrics == g->metrics, "%s: the analytic metrics of %d configurations x 2 "
                                    "shapes are the earlier code's, bit for bit",
           g->space, CONFIGS);
        ok(t.layers == g->layers, "%s: the named layer lists are the earlier code's",
           g->space);
        ok(t.agree == t.done + t.refused && t.named == t.done,
           "%s: analytic metrics == the named list's sums (%d of %d), names present and "
           "distinct (%d of %d), refusals agree",
           g->space, t.agree, t.done + t.refused, t.named, t.done);
    }
    return done();
}
