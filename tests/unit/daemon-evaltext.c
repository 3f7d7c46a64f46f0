/*
 * daemon-evaltext.c - the config and metrics texts an evaluation's row
 * stores, written without jansson (evaltext_config, evaltext_metrics), are
 * the bytes jansson's dump of codec_config_to_json() and
 * codec_metrics_to_json() gives: random configurations of every space and
 * a composite, metrics with random and edge values, and names that need
 * escaping.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "evaltext.h"
#include "space/space.h"
#include "tap.h"

/* 0 when mine is theirs (both taken); prints both otherwise. */
static int differs(char *mine, json_t *j)
{
    char *theirs = j ? codec_dump(j) : NULL;
    int bad = !mine || !theirs || strcmp(mine, theirs) != 0;
    if (bad)
        printf("#   evaltext %s\n#   jansson  %s\n", mine ? mine : "-", theirs ? theirs : "-");
    free(mine);
    free(theirs);
    json_decref(j);
    return bad;
}

static int config_differs(const struct anas_config *cfg)
{
    return differs(evaltext_config(cfg), codec_config_to_json(cfg));
}

static int metrics_differs(const struct anas_metrics *m)
{
    return differs(evaltext_metrics(m), codec_metrics_to_json(m));
}

static void test_configs(void)
{
    static const double lrs[] = {0.01, 0.1}, batches[] = {32, 64};
    static const char *const dims[] = {"train.lr", "train.batch_size"};
    static const int n[] = {2, 2};
    static const double *const v[] = {lrs, batches};
    const struct anas_space *spaces[16];
    int n_spaces = 0, bad = 0, total = 0;
    struct anas_rng rng;
    struct anas_config cfg;

    for (int i = 0; i < anas_space_count(); i++)
        spaces[n_spaces++] = anas_space_at(i);
    spaces[n_spaces++] =
        anas_space_compose(anas_space_find("resnet"), 2, dims, n, v, NULL);
    anas_rng_seed(&rng, 7);
    for (int k = 0; k < n_spaces; k++) {
        for (int i = 0; spaces[k] && i < 300; i++) {
            if (anas_space_sample(spaces[k], &rng, &cfg) < 0)
                continue;
            total++;
            bad += config_differs(&cfg);
        }
    }
    ok(bad == 0 && total == 300 * n_spaces,
       "%d configurations of %d spaces: jansson's bytes (%d differ)", total, n_spaces, bad);
}

/* A double of any kind: one of the edges, a random bit pattern, a small
 * integer, a value near 2^53. */
static double draw(struct anas_rng *rng)
{
    static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e21, 1e-5, 1e17,
                                   9007199254740991.0, 9007199254740992.0,
                                   -9007199254740992.0, 1e300, DBL_MIN, DBL_MAX,
                                   4.1840362604897923, 0.1};
    uint64_t bits;
    double v;

    switch (anas_rng_u64(rng) % 5) {
    case 0:
        return edges[anas_rng_u64(rng) % (sizeof edges / sizeof edges[0])];
    case 1:
        bits = anas_rng_u64(rng);
        memcpy(&v, &bits, sizeof v);
        return v; /* NaNs and infinities included */
    case 2:
        return (double)(int)(anas_rng_u64(rng) % 100000) - 50000;
    case 3:
        return ldexp((double)(anas_rng_u64(rng) % 1000), 44 + (int)(anas_rng_u64(rng) % 12));
    default:
        return (double)(anas_rng_u64(rng) % 1000000) / 1000.0;
    }
}

static void test_metrics(void)
{
    static const char *const names[] = {"acc@1d", "params", "tile_util", "macs", "tiles",
                                        "nb_convs", "avm", "acc_std@1d", "loss", "acc@30d"};
    static const char *const odd[] = {"a\"b", "back\\slash", "tab\there", "caf\xc3\xa9",
                                      "new\nline", "\x01"};
    struct anas_rng rng;
    struct anas_metrics m;
    int bad = 0, odd_bad = 0;

    anas_rng_seed(&rng, 11);
    for (int i = 0; i < 3000; i++) {
        int n = (int)(anas_rng_u64(&rng) % 11);
        anas_metrics_init(&m);
        for (int k = 0; k < n; k++)
            anas_metrics_set(&m, names[anas_rng_u64(&rng) % 10], draw(&rng));
        bad += metrics_differs(&m);
    }
    ok(bad == 0, "3000 metric sets (random values, NaN, infinities, -0, 2^53): jansson's "
                 "bytes (%d differ)", bad);
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        anas_metrics_init(&m);
        anas_metrics_set(&m, "params", 12.0);
        anas_metrics_set(&m, odd[i], 0.25);
        odd_bad += metrics_differs(&m);
    }
    ok(odd_bad == 0, "names that need escaping: jansson's bytes (%d differ)", odd_bad);
    anas_metrics_init(&m);
    ok(!metrics_differs(&m), "no metrics: {}");
}

int main(void)
{
    plan(4);
    test_configs();
    test_metrics();
    return done();
}
