/*
 * surrogate-check.c - model files that would make XGBoost allocate what
 * they declare rather than what they hold are refused before XGBoost sees
 * them (lib/surrogate/check.c), and models XGBoost writes pass.
 *
 * The hostile inputs are a few bytes each: a UBJSON key of 25.7 GB in 16
 * bytes, typed arrays and legacy-binary trees and tree counts larger than
 * the file, nesting 100,000 deep. Each one is also loaded from a file, as
 * --model-root's files are.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "surrogate/surrogate.h"
#include "tap.h"

static char dir[] = "/tmp/anas-check-XXXXXX";

static int check(const void *buf, size_t len, const char *name)
{
    struct anas_error err;
    anas_error_clear(&err);
    return anas_surrogate_check(buf, len, name, &err);
}

/* Written to a file and loaded: NULL and ANAS_EFORMAT, quickly. */
static void refused_from_file(const char *name, const void *buf, size_t len)
{
    char path[256];
    struct anas_error err;
    struct anas_surrogate *m;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
    anas_error_clear(&err);
    m = anas_surrogate_load(path, &err);
    ok(!m && err.code == ANAS_EFORMAT && strstr(err.msg, "safely"), "%s: load refuses it (%s)",
       name, err.msg);
    anas_surrogate_free(m);
    unlink(path);
}

/* A legacy binary: learner parameters, objective, booster, then gbtree's
 * parameters with n_trees trees of `nodes` nodes each, and their info. */
static size_t legacy(unsigned char *b, int32_t n_trees, int32_t nodes, int real_trees)
{
    size_t at = 0;
    uint64_t k;
    memcpy(b, "binf", 4);
    at = 4;
    memset(b + at, 0, 136);
    at += 136;
    k = 16;
    memcpy(b + at, &k, 8);
    memcpy(b + at + 8, "reg:squarederror", 16);
    at += 24;
    k = 6;
    memcpy(b + at, &k, 8);
    memcpy(b + at + 8, "gbtree", 6);
    at += 14;
    memset(b + at, 0, 160);
    memcpy(b + at, &n_trees, 4);
    at += 160;
    for (int t = 0; t < real_trees; t++) {
        memset(b + at, 0, 148 + 36);
        memcpy(b + at + 4, &nodes, 4);
        at += 148 + 36; /* one node's worth follows */
    }
    memset(b + at, 0, 4 * (size_t)real_trees);
    return at + 4 * (size_t)real_trees;
}

static void test_hostile(void)
{
    static const unsigned char key[] = "{L\x00\x00\x00\x06\x00\x00\x00\x00" "abcdef";
    static const unsigned char typed[] =
        "{L\x00\x00\x00\x00\x00\x00\x00\x01" "a[$d#L\x00\x00\x00\x10\x00\x00\x00\x00}";
    static const unsigned char zero_typed[] =
        "{L\x00\x00\x00\x00\x00\x00\x00\x01" "a[$Z#L\x7f\x00\x00\x00\x00\x00\x00\x00}";
    static const unsigned char neg[] = "{L\xff\xff\xff\xff\xff\xff\xff\xff" "a}";
    unsigned char b[1024];
    size_t n, deep_n = 100000;
    char *deep = malloc(2 * deep_n + 2);

    ok(check(key, 16, "m.bst") == ANAS_EFORMAT, "a UBJSON key of 25.7 GB in 16 bytes");
    refused_from_file("key.bst", key, 16);
    ok(check(typed, sizeof typed - 1, "m.bst") == ANAS_EFORMAT,
       "a typed array of 2^36 floats in 30 bytes");
    refused_from_file("typed.bst", typed, sizeof typed - 1);
    ok(check(zero_typed, sizeof zero_typed - 1, "m.bst") == ANAS_EFORMAT,
       "a typed array of 2^63 nulls (no bytes each)");
    ok(check(neg, sizeof neg - 1, "m.bst") == ANAS_EFORMAT, "a negative length");
    ok(check(typed, 20, "m.ubj") == ANAS_EFORMAT, "truncated UBJSON (.ubj)");

    n = legacy(b, 1, 1, 1);
    ok(check(b, n, "m.bst") == 0, "a legacy binary of one one-node tree passes (%zu bytes)", n);
    n = legacy(b, INT32_MAX, 1, 1);
    ok(check(b, n, "m.bst") == ANAS_EFORMAT, "2^31 trees in %zu bytes", n);
    refused_from_file("trees.bst", b, n);
    n = legacy(b, 1, INT32_MAX, 1);
    ok(check(b, n, "m.bst") == ANAS_EFORMAT, "a tree of 2^31 nodes in %zu bytes", n);
    refused_from_file("nodes.bst", b, n);
    n = legacy(b, 1, 1, 1);
    memset(b + 4 + 136, 0xff, 8); /* the objective's length */
    ok(check(b, n, "m.bst") == ANAS_EFORMAT, "an objective name of 2^64 - 1 bytes");
    ok(check(b, 100, "m.bst") == ANAS_EFORMAT, "a legacy binary shorter than its header");

    if (deep) {
        memset(deep, '[', deep_n);
        memset(deep + deep_n, ']', deep_n);
        memcpy(deep, "{\"a\":", 5);
        deep[2 * deep_n] = '}';
        ok(check(deep, 2 * deep_n + 1, "m.json") == ANAS_EFORMAT, "JSON nested 100,000 deep");
        ok(check(deep, 2 * deep_n + 1, "m.bst") == ANAS_EFORMAT, "the same without .json");
        refused_from_file("deep.json", deep, 2 * deep_n + 1);
    }
    free(deep);
    ok(check(NULL, (size_t)ANAS_SURROGATE_MAX_BYTES + 1, "m.bst") == ANAS_EFORMAT,
       "a model over %d MiB, unread", ANAS_SURROGATE_MAX_BYTES >> 20);
}

/* A model fitted here, saved as XGBoost's JSON, passes and loads back. */
static void test_written(void)
{
    float x[40 * 2], y[40];
    struct anas_surrogate_fit_params p;
    struct anas_error err;
    struct anas_surrogate *m, *back = NULL;
    char *json = NULL;
    size_t len = 0;
    for (int i = 0; i < 40; i++) {
        x[2 * i] = (float)(i % 7);
        x[2 * i + 1] = (float)i / 40;
        y[i] = x[2 * i] - 2 * x[2 * i + 1];
    }
    anas_error_clear(&err);
    anas_surrogate_fit_params_init(&p);
    p.n_estimators = 5; /* a few trees say as much, and valgrind runs this too */
    m = anas_surrogate_fit(x, y, 40, 2, &p, &err);
    ok(m && anas_surrogate_save_json(m, &json, &len, &err) == 0, "a fitted model saves");
    ok(json && check(json, len, NULL) == 0, "its JSON passes the check (%zu bytes)", len);
    back = json ? anas_surrogate_load_buffer(json, len, &err) : NULL;
    ok(back != NULL, "and loads back");
    anas_surrogate_free(back);
    anas_free(json);
    anas_surrogate_free(m);
}

int main(void)
{
    plan_later();
    if (!mkdtemp(dir))
        return 1;
    test_hostile();
    test_written();
    rmdir(dir);
    return done();
}
