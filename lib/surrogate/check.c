/*
 * check.c - is a model file safe to give to XGBoost?
 *
 * XGBoost (1.7) trusts the sizes a model declares: a UBJSON string or
 * typed array of 2^34 bytes is allocated before a byte of it is read (16
 * bytes of file made it allocate 25.7 GB), and so are a legacy binary
 * model's tree of 2^31 nodes and its vectors; its JSON and UBJSON readers
 * recurse once per level of nesting. So before loading, the model's
 * structure is walked with every declared size held against the bytes
 * that remain, nesting bounded, and the file's size capped. The walk
 * follows what XGBoost reads (src/c_api/c_api.cc, src/learner.cc,
 * src/common/json.cc's UBJReader, src/gbm/gbtree_model.cc,
 * src/tree/tree_model.cc): a ".json" file is JSON text, a ".ubj" file
 * UBJSON; otherwise "{\"" starts JSON, '{' and a letter UBJSON (after an
 * optional "binf"), anything else is the legacy binary. It says nothing
 * about whether XGBoost will like the model, only that reading it costs
 * memory in proportion to its size.
 */
#include "config.h"

#include "surrogate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64 /* XGBoost's models nest 5 deep */

struct rd {
    const unsigned char *p;
    size_t n, at;
    struct anas_error *err;
};

static int bad(struct rd *r, const char *what)
{
    return anas_error_set(r->err, ANAS_EFORMAT,
                          "not a model XGBoost can load safely: %s at byte %zu", what, r->at);
}

static size_t left(const struct rd *r)
{
    return r->n - r->at;
}

static int take(struct rd *r, size_t k, const char *what)
{
    if (k > left(r))
        return bad(r, what);
    r->at += k;
    return 0;
}

/* --- UBJSON (big-endian numbers) --- */

static int ub_int(struct rd *r, int64_t *v)
{
    unsigned char m;
    int size, i;
    uint64_t u = 0;
    if (left(r) < 1)
        return bad(r, "truncated length");
    m = r->p[r->at++];
    size = m == 'i' || m == 'U' ? 1 : m == 'I' ? 2 : m == 'l' ? 4 : m == 'L' ? 8 : 0;
    if (!size || left(r) < (size_t)size)
        return bad(r, "bad length");
    for (i = 0; i < size; i++)
        u = u << 8 | r->p[r->at + (size_t)i];
    r->at += (size_t)size;
    if (m == 'U')
        *v = (int64_t)u;
    else /* sign-extend */
        *v = (int64_t)(u << (64 - 8 * size)) >> (64 - 8 * size);
    return *v < 0 ? bad(r, "negative length") : 0;
}

/* Bytes of one scalar of type m; 0 for a container or a string, -1 unknown. */
static int ub_scalar(unsigned char m)
{
    switch (m) {
    case 'Z': case 'N': case 'T': case 'F': return 0;
    case 'i': case 'U': case 'C': return 1;
    case 'I': return 2;
    case 'l': case 'd': return 4;
    case 'L': case 'D': return 8;
    default: return -1;
    }
}

static int ub_value(struct rd *r, unsigned char m, int depth);

static int ub_string(struct rd *r)
{
    int64_t len;
    if (ub_int(r, &len) < 0)
        return ANAS_EFORMAT;
    return take(r, (size_t)len, "string longer than the file");
}

/* A container after its '[' or '{': optional "$type", optional "#count". */
static int ub_container(struct rd *r, int object, int depth)
{
    int type = -1;
    int64_t count = -1;
    if (depth > MAX_DEPTH)
        return bad(r, "nesting too deep");
    if (left(r) >= 1 && r->p[r->at] == '$') {
        r->at++;
        if (left(r) < 1)
            return bad(r, "truncated type");
        type = r->p[r->at++];
        if (left(r) < 1 || r->p[r->at] != '#')
            return bad(r, "typed container without a count");
    }
    if (left(r) >= 1 && r->p[r->at] == '#') {
        r->at++;
        if (ub_int(r, &count) < 0)
            return ANAS_EFORMAT;
    }
    if (type >= 0) { /* XGBoost's typed arrays are of numbers: allocated, then read */
        int size = ub_scalar((unsigned char)type);
        if (object || size <= 0)
            return bad(r, "a typed container XGBoost does not write");
        if ((uint64_t)count > left(r) / (size_t)size)
            return bad(r, "count larger than the file");
        r->at += (size_t)count * (size_t)size;
        return 0;
    }
    /* Untyped: every item takes a byte or more, so the walk ends. */
    if (count >= 0 && (uint64_t)count > left(r))
        return bad(r, "count larger than the file");
    for (int64_t i = 0; count < 0 || i < count; i++) {
        if (count < 0) {
            if (left(r) < 1)
                return bad(r, "unterminated container");
            if (r->p[r->at] == (object ? '}' : ']')) {
                r->at++;
                return 0;
            }
        }
        if (object && ub_string(r) < 0) /* the key, its marker omitted */
            return ANAS_EFORMAT;
        if (left(r) < 1)
            return bad(r, "truncated value");
        r->at++;
        if (ub_value(r, r->p[r->at - 1], depth + 1) < 0)
            return ANAS_EFORMAT;
    }
    return 0;
}

static int ub_value(struct rd *r, unsigned char m, int depth)
{
    int size = ub_scalar(m);
    if (m == '{' || m == '[')
        return ub_container(r, m == '{', depth);
    if (m == 'S' || m == 'H')
        return ub_string(r);
    if (size < 0)
        return bad(r, "unknown UBJSON type");
    return take(r, (size_t)size, "truncated number");
}

static int check_ubjson(struct rd *r)
{
    if (left(r) < 1 || r->p[r->at] != '{')
        return bad(r, "UBJSON that is not an object");
    r->at++;
    return ub_container(r, 1, 1);
}

/* --- JSON text: only its nesting (sizes are the text's own) --- */

static int check_json(struct rd *r)
{
    int depth = 0, in_string = 0;
    for (; r->at < r->n; r->at++) {
        unsigned char c = r->p[r->at];
        if (in_string) {
            if (c == '\\')
                r->at++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH)
                return bad(r, "nesting too deep");
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

/* --- the legacy binary (little-endian, as written on x86) --- */

static int32_t le32(const struct rd *r, size_t at)
{
    uint32_t u;
    memcpy(&u, r->p + at, 4);
    return (int32_t)u;
}

static int bin_u64(struct rd *r, uint64_t *v, const char *what)
{
    if (left(r) < 8)
        return bad(r, what);
    memcpy(v, r->p + r->at, 8);
    r->at += 8;
    return 0;
}

/* dmlc's std::string and std::vector<T>: a 64-bit count, then the items. */
static int bin_vector(struct rd *r, size_t item, const char *what)
{
    uint64_t n = 0;
    if (bin_u64(r, &n, what) < 0)
        return ANAS_EFORMAT;
    if (n > left(r) / item)
        return bad(r, what);
    r->at += (size_t)n * item;
    return 0;
}

static int bin_string(struct rd *r, char *out, size_t cap, const char *what)
{
    size_t start = r->at + 8;
    if (bin_vector(r, 1, what) < 0)
        return ANAS_EFORMAT;
    snprintf(out, cap, "%.*s", (int)(r->at - start), (const char *)r->p + start);
    return 0;
}

enum {
    LEARNER_PARAM = 136, /* LearnerModelParamLegacy */
    GBTREE_PARAM = 160,  /* GBTreeModelParam */
    TREE_PARAM = 148,    /* TreeParam */
    NODE = 20,           /* RegTree::Node */
    NODE_STAT = 16,      /* RTreeNodeStat */
    GBLINEAR_PARAM = 136 /* GBLinearModelParam */
};

static int bin_trees(struct rd *r, int dart)
{
    int32_t n_trees;
    if (left(r) < GBTREE_PARAM)
        return bad(r, "truncated booster parameters");
    n_trees = le32(r, r->at);
    r->at += GBTREE_PARAM;
    if (n_trees < 0 || (size_t)n_trees > left(r) / TREE_PARAM)
        return bad(r, "more trees than the file holds");
    for (int32_t t = 0; t < n_trees; t++) {
        int32_t nodes;
        if (left(r) < TREE_PARAM)
            return bad(r, "truncated tree");
        nodes = le32(r, r->at + 4);
        r->at += TREE_PARAM;
        if (nodes <= 0 || (size_t)nodes > left(r) / (NODE + NODE_STAT))
            return bad(r, "a tree with more nodes than the file holds");
        r->at += (size_t)nodes * (NODE + NODE_STAT); /* no leaf vectors since 1.0 */
    }
    if (take(r, (size_t)n_trees * 4, "truncated tree info") < 0)
        return ANAS_EFORMAT;
    if (dart && n_trees > 0 && bin_vector(r, 4, "dart weights larger than the file") < 0)
        return ANAS_EFORMAT;
    return 0;
}

static int check_binary(struct rd *r)
{
    char objective[64], booster[64];
    int32_t extra_attrs, eval_metrics;
    uint64_t n = 0;
    int rc;
    if (left(r) < LEARNER_PARAM)
        return bad(r, "too short for a model");
    extra_attrs = le32(r, r->at + 12);
    eval_metrics = le32(r, r->at + 16);
    r->at += LEARNER_PARAM;
    if (bin_string(r, objective, sizeof objective, "objective name larger than the file") < 0 ||
        bin_string(r, booster, sizeof booster, "booster name larger than the file") < 0)
        return ANAS_EFORMAT;
    if (strcmp(booster, "gbtree") == 0 || strcmp(booster, "dart") == 0)
        rc = bin_trees(r, strcmp(booster, "dart") == 0);
    else if (strcmp(booster, "gblinear") == 0)
        rc = take(r, GBLINEAR_PARAM, "truncated linear booster") < 0
                 ? ANAS_EFORMAT
                 : bin_vector(r, 4, "weights larger than the file");
    else
        rc = bad(r, "unknown booster");
    if (rc < 0)
        return rc;
    /* What follows is read only when present (a read of a count that is
     * not there fails without allocating): older files lack some of it. */
    if (extra_attrs && left(r) >= 8) { /* pairs of strings: each at least two counts long */
        uint64_t i;
        if (bin_u64(r, &n, "truncated attributes") < 0 || n > left(r) / 16)
            return bad(r, "more attributes than the file holds");
        for (i = 0; i < n; i++)
            if (bin_vector(r, 1, "attribute larger than the file") < 0 ||
                bin_vector(r, 1, "attribute larger than the file") < 0)
                return ANAS_EFORMAT;
    }
    if (strcmp(objective, "count:poisson") == 0 && left(r) >= 8 &&
        bin_vector(r, 1, "parameter larger than the file") < 0)
        return ANAS_EFORMAT;
    if (eval_metrics && left(r) >= 8) {
        uint64_t i;
        if (bin_u64(r, &n, "truncated metrics") < 0 || n > left(r) / 8)
            return bad(r, "more metrics than the file holds");
        for (i = 0; i < n; i++)
            if (bin_vector(r, 1, "metric name larger than the file") < 0)
                return ANAS_EFORMAT;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int anas_surrogate_check(const void *buf, size_t len, const char *name,
                         struct anas_error *err)
{
    struct rd r = {buf, len, 0, err};
    if (len > ANAS_SURROGATE_MAX_BYTES)
        return anas_error_set(err, ANAS_EFORMAT,
                              "model of %zu bytes, more than the %d MiB allowed", len,
                              ANAS_SURROGATE_MAX_BYTES >> 20);
    if (ends_with(name, ".json"))
        return check_json(&r);
    if (ends_with(name, ".ubj"))
        return check_ubjson(&r);
    if (len >= 4 && memcmp(buf, "binf", 4) == 0)
        r.at = 4;
    if (left(&r) >= 2 && r.p[r.at] == '{')
        return r.p[r.at + 1] == '"' ? check_json(&r) : check_ubjson(&r);
    return check_binary(&r);
}
