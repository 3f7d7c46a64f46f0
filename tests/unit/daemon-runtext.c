/*
 * daemon-runtext.c - the pieces of a live run's status that runtext.c
 * writes without jansson are the bytes jansson writes: reals (random bit
 * patterns and the edges of %.17g's forms) and whole progress objects.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "codec.h"
#include "core/rng.h"
#include "jobs.h"
#include "runtext.h"
#include "tap.h"

/* 0 when runtext_real(v) is jansson's dump of v; prints both otherwise. */
static int real_differs(double v)
{
    char mine[RUNTEXT_REAL_MAX];
    json_t *r = json_real(v);
    char *theirs = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    size_t n = runtext_real(mine, v);
    int bad = !theirs || n != strlen(theirs) || strcmp(mine, theirs) != 0;
    if (bad)
        printf("#   %a: runtext %s (%zu), jansson %s\n", v, mine, n, theirs ? theirs : "-");
    free(theirs);
    json_decref(r);
    return bad;
}

static void test_reals(void)
{
    static const double edges[] = {0.0, 1.0, -1.0, 0.5, 0.1, 1e21, 1e22, 1e-5, 1e-4, 1e16,
                                   1e17, 123456789012345678.0, 4.1840362604897923, 1e100,
                                   1e-100, 1e300, 1e-300, 5e-324, 2.2250738585072014e-308,
                                   DBL_MAX, -DBL_MAX, 3600.0, 86400.5, 9007199254740993.0};
    struct anas_rng rng;
    int bad = 0, n = 0;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++, n++)
        bad += real_differs(edges[i]);
    bad += real_differs(-0.0);
    n++;
    anas_rng_seed(&rng, 15);
    while (n < 4000) {
        uint64_t bits = anas_rng_u64(&rng);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        bad += real_differs(v);
        /* what an ETA looks like: seconds, from a fraction to days */
        bad += real_differs(ldexp((double)(bits >> 11), -53) * pow(10, (int)(bits % 12) - 3));
        n += 2;
    }
    ok(bad == 0, "%d reals as jansson writes them (%d differ)", n, bad);
}

static int progress_differs(long long done, long long total, double eta, json_t *evaluating)
{
    struct jobs_progress p = {done, total, 1.0, eta};
    size_t n = 0;
    char *mine = runtext_progress(&p, evaluating, &n);
    json_t *tree = api_progress_json(&p, 1, evaluating ? json_incref(evaluating) : NULL);
    char *theirs = codec_dump(tree);
    int bad = !mine || !theirs || n != strlen(theirs) || strcmp(mine, theirs) != 0;
    if (bad)
        printf("#   runtext %s\n#   jansson %s\n", mine ? mine : "-", theirs ? theirs : "-");
    json_decref(tree);
    free(mine);
    free(theirs);
    return bad;
}

static void test_progress(void)
{
    static const long long counts[] = {0, 1, 9, 10, 99999, 100000, 9223372036854775807LL};
    json_t *empty = json_array();
    json_t *one = json_pack("[{s:I, s:s, s:i, s:I, s:I}]", "seq", (json_int_t)7, "hash",
                            "0123456789abcdef", "epoch", 1, "batches_done", (json_int_t)3,
                            "batches_total", (json_int_t)40);
    json_t *evs[] = {NULL, empty, one};
    int bad = 0, n = 0;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        for (size_t k = 0; k < 3; k++) {
            bad += progress_differs(counts[i], -1, NAN, evs[k]);
            bad += progress_differs(counts[i], counts[i], 0.0, evs[k]);
            bad += progress_differs(counts[i] / 2, counts[i], 4.1840362604897923, evs[k]);
            bad += progress_differs(counts[i] / 2, counts[i] / 2 + 1, 1e-7, evs[k]);
            n += 4;
        }
    ok(bad == 0, "%d progress objects as api_progress_json() dumps them (%d differ)", n, bad);
    ok(json_array_size(one) == 1 && one->refcount == 1 && empty->refcount == 1,
       "evaluating is not taken");
    json_decref(empty);
    json_decref(one);
}

int main(void)
{
    plan(3);
    test_reals();
    test_progress();
    return done();
}
