/*
 * space.c - the registry of search spaces and everything about a space that
 * follows from its hyperparameter table: lookups, size, sampling, range
 * checks, canonical text and hash, the layer list and the analytic metrics
 * summed from it, and the checks around building a network.
 *
 * Space-specific behaviour lives behind the function pointers of
 * struct anas_space (space_int.h), one file per space.
 */
#include "config.h"

#include "space/space.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/fmt.h"
#include "core/hash.h"
#include "nn/net.h"
#include "space/space_int.h"

/* aihwkit's MappingParameter defaults. */
const struct anas_mapping anas_mapping_default = {512, 512};

/* The registry: one line per space, in listing order. */
static const struct anas_space *const spaces[] = {
    &anas__space_resnet,
    &anas__space_lenet,
    &anas__space_mlp,
    &anas__space_autoencoder,
    &anas__space_rpu,
    &anas__space_linear,
};

#define N_SPACES ((int)(sizeof spaces / sizeof spaces[0]))

int anas_space_count(void)
{
    return N_SPACES;
}

const struct anas_space *anas_space_at(int i)
{
    return i >= 0 && i < N_SPACES ? spaces[i] : NULL;
}

const struct anas_space *anas_space_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < N_SPACES; i++)
        if (strcmp(spaces[i]->name, name) == 0)
            return spaces[i];
    return anas__space_find_composite(name);
}

const char *anas_space_name(const struct anas_space *s)
{
    return s->name;
}

const char *anas_space_description(const struct anas_space *s)
{
    return s->description;
}

int anas_space_n_hp(const struct anas_space *s)
{
    return s->n_hp;
}

const struct anas_hp *anas_space_hp(const struct anas_space *s, int i)
{
    return i >= 0 && i < s->n_hp ? &s->hp[i] : NULL;
}

int anas_space_hp_index(const struct anas_space *s, const char *name)
{
    for (int i = 0; name && i < s->n_hp; i++)
        if (strcmp(s->hp[i].name, name) == 0)
            return i;
    return -1;
}

static uint64_t hp_size(const struct anas_hp *hp)
{
    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return (uint64_t)hp->n_choices;
    case ANAS_HP_INT:
        return (uint64_t)(hp->hi - hp->lo) + 1;
    case ANAS_HP_FLOAT:
        break;
    }
    return 1;
}

uint64_t anas_space_size(const struct anas_space *s)
{
    uint64_t size = 1;

    for (int i = 0; i < s->n_hp; i++) {
        uint64_t k = hp_size(&s->hp[i]);
        if (k && size > UINT64_MAX / k)
            return UINT64_MAX; /* saturate rather than wrap */
        size *= k;
    }
    return size;
}

struct anas_shape anas_space_default_shape(const struct anas_space *s)
{
    return s->default_shape;
}

int anas_space_check_shape(const struct anas_space *s, const struct anas_shape *shape,
                           struct anas_error *err)
{
    if (!shape)
        return anas_error_field(err, ANAS_EINVAL, "input", "no input shape");
    if (s->check_shape)
        return s->check_shape(shape, err);
    if (shape->c < 1 || shape->h < 1 || shape->w < 1)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input sizes must be positive");
    if (shape->classes < 1)
        return anas_error_field(err, ANAS_ERANGE, "classes", "classes must be positive");
    return 0;
}

void anas_config_init(struct anas_config *cfg, const struct anas_space *s)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->space = s;
}

int anas_config_equal(const struct anas_space *s, const struct anas_config *a,
                      const struct anas_config *b)
{
    for (int i = 0; i < s->n_hp; i++)
        if (a->v[i] != b->v[i])
            return 0;
    return 1;
}

int anas_space_is_active(const struct anas_space *s, const struct anas_config *cfg, int i)
{
    if (i < 0 || i >= s->n_hp)
        return 0;
    /* A composite's own dimensions, beyond what its base's function knows. */
    if (s->base && i >= s->base->n_hp)
        return 1;
    return s->is_active ? s->is_active(cfg, i) : 1;
}

/* Zero every inactive value. */
static void zero_inactive(const struct anas_space *s, struct anas_config *cfg)
{
    int active[ANAS_SPACE_MAX_HP];

    /* Decide first, then zero: zeroing one value must not change whether a
     * later one counts as active. */
    for (int i = 0; i < s->n_hp; i++)
        active[i] = anas_space_is_active(s, cfg, i);
    for (int i = 0; i < s->n_hp; i++)
        if (!active[i])
            cfg->v[i] = 0;
}

double anas__hp_sample(const struct anas_hp *hp, struct anas_rng *rng)
{
    double v;

    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return hp->choices[anas_rng_int(rng, 0, hp->n_choices)];
    case ANAS_HP_INT:
        return (double)anas_rng_int(rng, (long)hp->lo, (long)hp->hi + 1);
    case ANAS_HP_FLOAT:
        break;
    }
    v = hp->lo + (hp->hi - hp->lo) * anas_rng_uniform(rng);
    /* lo + (hi - lo) * u can round up to hi itself; the range is half-open. */
    return v < hp->hi ? v : nextafter(hp->hi, hp->lo);
}

int anas_space_sample(const struct anas_space *s, struct anas_rng *rng,
                      struct anas_config *out)
{
    struct anas_config cfg;

    if (!s || !rng || !out)
        return ANAS_EINVAL;
    anas_config_init(&cfg, s);
    for (int i = 0; i < s->n_hp; i++)
        cfg.v[i] = anas__hp_sample(&s->hp[i], rng);
    zero_inactive(s, &cfg);
    *out = cfg;
    return 0;
}

/* A value as a user wrote it: "5", "2.5", "nan". */
static void show(char buf[32], double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, 32, "%lld", (long long)v);
    else
        anas_fmt_double(buf, 32, v);
}

static int check_choice(const struct anas_hp *hp, double v, struct anas_error *err)
{
    char list[256] = "", got[32];
    size_t at = 0;

    for (int k = 0; k < hp->n_choices; k++)
        if (v == hp->choices[k])
            return 0;
    for (int k = 0; k < hp->n_choices && at < sizeof list; k++) {
        char one[32];
        show(one, hp->choices[k]);
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k ? ", " : "", one);
    }
    show(got, v);
    return anas_error_field(err, isnan(v) ? ANAS_EINVAL : ANAS_ERANGE, hp->name,
                            "%s must be one of %s (got %s)", hp->name, list, got);
}

static int check_int(const struct anas_hp *hp, double v, struct anas_error *err)
{
    char got[32];
    int code;

    if (v == floor(v) && v >= hp->lo && v <= hp->hi)
        return 0;
    code = isfinite(v) && v == floor(v) ? ANAS_ERANGE : ANAS_EINVAL;
    show(got, v);
    return anas_error_field(err, code, hp->name,
                            "%s must be an integer in %lld..%lld (got %s)", hp->name,
                            (long long)hp->lo, (long long)hp->hi, got);
}

static int check_float(const struct anas_hp *hp, double v, struct anas_error *err)
{
    char lo[32], hi[32], got[32];

    if (v >= hp->lo && v < hp->hi)
        return 0;
    anas_fmt_double(lo, sizeof lo, hp->lo);
    anas_fmt_double(hi, sizeof hi, hp->hi);
    show(got, v);
    return anas_error_field(err, isfinite(v) ? ANAS_ERANGE : ANAS_EINVAL, hp->name,
                            "%s must be a number in [%s, %s) (got %s)", hp->name, lo, hi,
                            got);
}

static int check_hp(const struct anas_hp *hp, double v, struct anas_error *err)
{
    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return check_choice(hp, v, err);
    case ANAS_HP_INT:
        return check_int(hp, v, err);
    case ANAS_HP_FLOAT:
        break;
    }
    return check_float(hp, v, err);
}

int anas_space_validate(const struct anas_space *s, struct anas_config *cfg,
                        struct anas_error *err)
{
    struct anas_config copy;
    int rc;

    if (!s || !cfg)
        return anas_error_set(err, ANAS_EINVAL, "no space or configuration");
    if (cfg->space && cfg->space != s)
        return anas_error_set(err, ANAS_EINVAL, "configuration of space %s, not %s",
                              cfg->space->name, s->name);
    /* Work on a copy so that a rejected configuration is left as it was. */
    copy = *cfg;
    copy.space = s;
    zero_inactive(s, &copy);
    for (int i = 0; i < s->n_hp; i++) {
        if (!anas_space_is_active(s, &copy, i))
            continue;
        rc = check_hp(&s->hp[i], copy.v[i], err);
        if (rc < 0)
            return rc;
    }
    if (s->validate_extra) {
        rc = s->validate_extra(&copy, err);
        if (rc < 0)
            return rc;
    }
    *cfg = copy;
    return 0;
}

/* One "name=value" item: integers in decimal, reals as Python's repr,
 * inactive values as "0" whatever cfg holds. */
static int canonical_value(char *buf, size_t n, const struct anas_hp *hp, double v,
                           int active)
{
    char num[32];

    if (!active)
        snprintf(num, sizeof num, "0");
    else if (hp->is_int && isfinite(v) && v == floor(v) && fabs(v) < 1e18)
        snprintf(num, sizeof num, "%lld", (long long)v);
    else
        anas_fmt_double(num, sizeof num, v);
    return snprintf(buf, n, ";%s=%s", hp->name, num);
}

int anas_space_canonical(const struct anas_space *s, const struct anas_shape *shape,
                         const struct anas_config *cfg, char *buf, size_t n)
{
    size_t at;
    int len;

    if (!s || !shape || !cfg || !buf)
        return ANAS_EINVAL;
    len = snprintf(buf, n, "%s;input=%dx%dx%d;classes=%d", s->name, shape->c, shape->h,
                   shape->w, shape->classes);
    for (int i = 0; len >= 0 && (size_t)len < n && i < s->n_hp; i++) {
        at = (size_t)len;
        len += canonical_value(buf + at, n - at, &s->hp[i], cfg->v[i],
                               anas_space_is_active(s, cfg, i));
    }
    if (len < 0 || (size_t)len >= n)
        return ANAS_ELIMIT;
    return len;
}

int anas_space_hash(const struct anas_space *s, const struct anas_shape *shape,
                    const struct anas_config *cfg, char out[ANAS_HASH_LEN + 1])
{
    char text[4096], hex[65];
    int len = anas_space_canonical(s, shape, cfg, text, sizeof text);

    if (len < 0)
        return len;
    anas_sha256_hex(text, (size_t)len, hex);
    memcpy(out, hex, ANAS_HASH_LEN);
    out[ANAS_HASH_LEN] = '\0';
    return 0;
}

/* --- layer list ---------------------------------------------------------- */

static long long ceil_div(long long a, long long b)
{
    return (a + b - 1) / b;
}

/* snprintf(dst, n, "%s", src) without a format to parse, which was most
 * of push()'s time (glibc's vfprintf; doc/performance.md). */
static void copy_text(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);

    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* A sums-only list: the last layer's counts join the sums, and its place
 * is the next layer's. */
static struct anas_layer *push_unnamed(struct anas__layers *l)
{
    if (l->n > 0) {
        l->before.params += l->last.params;
        l->before.macs += l->last.macs;
        l->before.tiles += l->last.tiles;
    }
    l->v = &l->last;
    l->n = 1;
    memset(&l->last, 0, sizeof l->last);
    return &l->last;
}

static struct anas_layer *push(struct anas__layers *l, const char *name, const char *kind)
{
    struct anas_layer *layer;

    if (l->unnamed) /* only the sums are read: no name, no kind */
        return push_unnamed(l);
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        struct anas_layer *v = anas_realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    layer = &l->v[l->n++];
    memset(layer, 0, sizeof *layer);
    copy_text(layer->name, sizeof layer->name, name);
    copy_text(layer->kind, sizeof layer->kind, kind);
    return layer;
}

const char *anas__layers_name(const struct anas__layers *l, char *buf, size_t n,
                              const char *fmt, ...)
{
    va_list ap;

    buf[0] = '\0';
    if (l->unnamed)
        return buf;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

/* A layer whose weights are a rows x out_c matrix on crossbars. */
static int set_tiles(struct anas__layers *l, struct anas_layer *layer, long long rows)
{
    long long tiles = ceil_div(rows, l->map.max_input_size) *
                      ceil_div(layer->out_c, l->map.max_output_size);

    if (tiles > INT_MAX)
        return ANAS_ELIMIT;
    layer->tiles = (int)tiles;
    l->weights += rows * layer->out_c;
    return 0;
}

/* Weight elements of a conv2d or convt2d layer (biases excluded). */
static long long conv_weights(const struct anas_layer *c)
{
    return (long long)c->kernel * c->kernel * c->in_c * c->out_c;
}

/* The shape and parameter fields shared by conv2d and convt2d. */
static struct anas_layer *push_conv(struct anas__layers *l, const char *name,
                                    const char *kind, int in_c, int h, int w, int out_c,
                                    int k, int stride, int pad, int bias)
{
    struct anas_layer *c = push(l, name, kind);

    if (!c)
        return NULL;
    c->in_c = in_c, c->in_h = h, c->in_w = w;
    c->out_c = out_c;
    c->kernel = k, c->stride = stride, c->pad = pad;
    c->params = conv_weights(c) + (bias ? out_c : 0);
    return c;
}

int anas__layers_conv2d(struct anas__layers *l, const char *name, int in_c, int h, int w,
                        int out_c, int k, int stride, int pad, int bias)
{
    struct anas_layer *c =
        push_conv(l, name, "conv2d", in_c, h, w, out_c, k, stride, pad, bias);

    if (!c)
        return ANAS_ENOMEM;
    c->out_h = (h + 2 * pad - k) / stride + 1;
    c->out_w = (w + 2 * pad - k) / stride + 1;
    c->macs = conv_weights(c) * c->out_h * c->out_w;
    return set_tiles(l, c, (long long)in_c * k * k);
}

int anas__layers_convt2d(struct anas__layers *l, const char *name, int in_c, int h, int w,
                         int out_c, int k, int stride, int pad, int out_pad, int bias)
{
    struct anas_layer *c =
        push_conv(l, name, "convt2d", in_c, h, w, out_c, k, stride, pad, bias);

    if (!c)
        return ANAS_ENOMEM;
    c->out_h = (h - 1) * stride - 2 * pad + k + out_pad;
    c->out_w = (w - 1) * stride - 2 * pad + k + out_pad;
    c->macs = conv_weights(c) * h * w;
    return set_tiles(l, c, (long long)in_c * k * k);
}

int anas__layers_batchnorm(struct anas__layers *l, const char *name, int c, int h, int w)
{
    int rc = anas__layers_same(l, name, "batchnorm", c, h, w);

    if (rc == 0)
        l->v[l->n - 1].params = 2LL * c;
    return rc;
}

int anas__layers_pool(struct anas__layers *l, const char *name, const char *kind, int c,
                      int h, int w, int k, int stride)
{
    struct anas_layer *p = push(l, name, kind);

    if (!p)
        return ANAS_ENOMEM;
    p->in_c = p->out_c = c;
    p->in_h = h, p->in_w = w;
    p->out_h = (h - k) / stride + 1;
    p->out_w = (w - k) / stride + 1;
    p->kernel = k, p->stride = stride;
    return 0;
}

int anas__layers_linear(struct anas__layers *l, const char *name, int in_c, int in_h,
                        int in_w, int out_features)
{
    struct anas_layer *f = push(l, name, "linear");
    long long in = (long long)in_c * in_h * in_w;

    if (!f)
        return ANAS_ENOMEM;
    f->in_c = in_c, f->in_h = in_h, f->in_w = in_w;
    f->out_c = out_features, f->out_h = 1, f->out_w = 1;
    f->params = in * out_features + out_features;
    f->macs = in * out_features;
    return set_tiles(l, f, in);
}

int anas__layers_same(struct anas__layers *l, const char *name, const char *kind, int c,
                      int h, int w)
{
    struct anas_layer *x = push(l, name, kind);

    if (!x)
        return ANAS_ENOMEM;
    x->in_c = x->out_c = c;
    x->in_h = x->out_h = h;
    x->in_w = x->out_w = w;
    return 0;
}

int anas__layers_reshape(struct anas__layers *l, const char *name, const char *kind,
                         int in_c, int in_h, int in_w, int out_c, int out_h, int out_w)
{
    struct anas_layer *x = push(l, name, kind);

    if (!x)
        return ANAS_ENOMEM;
    x->in_c = in_c, x->in_h = in_h, x->in_w = in_w;
    x->out_c = out_c, x->out_h = out_h, x->out_w = out_w;
    return 0;
}

static int check_mapping(const struct anas_mapping *map, struct anas_error *err)
{
    if (map->max_input_size < 1 || map->max_output_size < 1)
        return anas_error_field(err, ANAS_ERANGE, "mapping",
                                "tile sizes must be positive (got %d x %d)",
                                map->max_input_size, map->max_output_size);
    return 0;
}

/* Check the shape and put *cfg in canonical form, checking it. */
static int prepare(const struct anas_space *s, const struct anas_shape *shape,
                   struct anas_config *cfg, struct anas_error *err)
{
    int rc = anas_space_check_shape(s, shape, err);

    return rc < 0 ? rc : anas_space_validate(s, cfg, err);
}

static void layers_free(struct anas__layers *l)
{
    if (l->v != &l->last)
        anas_free(l->v);
}

/* Check everything, then build the layers of the canonical form of *cfg
 * (which it becomes) into l. On failure l holds nothing. */
static int build(const struct anas_space *s, const struct anas_shape *shape,
                 struct anas_config *cfg, struct anas__layers *l, struct anas_error *err)
{
    int rc;

    if (!s->layers)
        return anas_error_set(err, ANAS_EUNSUPPORTED, "space %s builds no network",
                              s->name);
    if ((rc = check_mapping(&l->map, err)) < 0 || (rc = prepare(s, shape, cfg, err)) < 0)
        return rc;
    rc = s->layers(cfg, shape, l, err);
    if (rc < 0) {
        layers_free(l);
        l->v = NULL;
        l->n = l->cap = 0;
    }
    if (rc == ANAS_ENOMEM)
        return anas_error_set(err, rc, "out of memory while listing layers");
    if (rc == ANAS_ELIMIT)
        return anas_error_field(err, rc, "input",
                                "network too large: a layer needs "
                                "more than %d crossbar tiles",
                                INT_MAX);
    return rc;
}

int anas_space_layers(const struct anas_space *s, const struct anas_shape *shape,
                      const struct anas_config *cfg, const struct anas_mapping *map,
                      struct anas_layer **out, int *n_out, struct anas_error *err)
{
    struct anas__layers l = {0};
    struct anas_config valid;
    int rc;

    if (!s || !cfg || !out || !n_out)
        return anas_error_set(err, ANAS_EINVAL, "missing argument");
    l.map = map ? *map : anas_mapping_default;
    valid = *cfg;
    rc = build(s, shape, &valid, &l, err);
    if (rc < 0)
        return rc;
    *out = l.v;
    *n_out = l.n;
    return 0;
}

static int set_metrics(struct anas_metrics *out, const struct anas__layers *l)
{
    long long params = l->before.params, macs = l->before.macs, tiles = l->before.tiles;
    double capacity;
    int rc;

    for (int i = 0; i < l->n; i++) {
        params += l->v[i].params;
        macs += l->v[i].macs;
        tiles += l->v[i].tiles;
    }
    capacity = (double)tiles * l->map.max_input_size * l->map.max_output_size;
    if ((rc = anas_metrics_set(out, "params", (double)params)) < 0 ||
        (rc = anas_metrics_set(out, "macs", (double)macs)) < 0 ||
        (rc = anas_metrics_set(out, "tiles", (double)tiles)) < 0 ||
        (rc = anas_metrics_set(out, "tile_util", tiles ? l->weights / capacity : 0.0)) < 0)
        return rc;
    return 0;
}

int anas_space_analytic(const struct anas_space *s, const struct anas_shape *shape,
                        const struct anas_config *cfg, const struct anas_mapping *map,
                        struct anas_metrics *out, struct anas_error *err)
{
    struct anas__layers l = {0};
    struct anas_config valid;
    int rc;

    if (!s || !cfg || !out)
        return anas_error_set(err, ANAS_EINVAL, "missing argument");
    l.unnamed = 1;
    l.map = map ? *map : anas_mapping_default;
    valid = *cfg;
    rc = build(s, shape, &valid, &l, err);
    if (rc < 0)
        return rc;
    rc = set_metrics(out, &l);
    layers_free(&l);
    if (rc == 0 && s->metrics)
        rc = s->metrics(&valid, out);
    if (rc < 0)
        return anas_error_set(err, rc, "no room for the analytic metrics");
    return 0;
}

/* The extras' names show by computing them once: a table beside each
 * space's metrics function would be a second list to keep in step. Any
 * valid configuration names the same extras; a fixed draw is one. */
int anas_space_metric_names(const struct anas_space *s, struct anas_metrics *out)
{
    static const char *const common[] = {"params", "macs", "tiles", "tile_util"};
    struct anas_config cfg;
    struct anas_rng rng;
    int rc;

    if (!s || !out)
        return ANAS_EINVAL;
    s = anas_space_base(s);
    anas_metrics_init(out);
    if (!s->layers)
        return 0;
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if ((rc = anas_metrics_set(out, common[i], 0.0)) < 0)
            return rc;
    if (s->metrics) {
        anas_rng_seed(&rng, 1);
        if ((rc = anas_space_sample(s, &rng, &cfg)) < 0 || (rc = s->metrics(&cfg, out)) < 0)
            return rc;
        for (int i = 0; i < out->n; i++)
            out->m[i].value = 0.0;
    }
    return out->n;
}

int anas_space_has_metric(const struct anas_space *s, const char *metric)
{
    struct anas_metrics m;
    double v;
    int rc;

    if (!metric)
        return 0;
    rc = anas_space_metric_names(s, &m);
    if (rc < 0) /* no memory to tell is no answer; a NULL space has nothing */
        return rc == ANAS_ENOMEM ? rc : 0;
    return anas_metrics_get(&m, metric, &v) == 0;
}

int anas_space_build(const struct anas_space *s, const struct anas_shape *shape,
                     const struct anas_config *cfg, struct anas_netdef **out,
                     struct anas_error *err)
{
    struct anas_config valid;
    struct anas_netdef *def;
    int rc, node;

    if (!s || !cfg || !out)
        return anas_error_set(err, ANAS_EINVAL, "missing argument");
    *out = NULL;
    if (!s->build)
        return anas_error_set(err, ANAS_EUNSUPPORTED, "space %s builds no network",
                              s->name);
    valid = *cfg;
    if ((rc = prepare(s, shape, &valid, err)) < 0)
        return rc;
    if (!(def = anas_netdef_new(shape->c, shape->h, shape->w)))
        return anas_error_set(err, ANAS_ENOMEM,
                              "out of memory while building the network");
    node = s->build(&valid, shape, def);
    if (node >= 0)
        node = anas_netdef_output(def, node);
    /* The netdef keeps the first error of any builder call, with its text. */
    rc = anas_netdef_error(def, err);
    if (rc == 0 && node < 0)
        rc = anas_error_set(err, node, "cannot build the network of space %s", s->name);
    if (rc < 0) {
        anas_netdef_free(def);
        return rc;
    }
    *out = def;
    return 0;
}

int anas_space_features(const struct anas_space *s, const struct anas_config *cfg,
                        float *out, int max)
{
    if (!s || !cfg || !out)
        return ANAS_EINVAL;
    if (!s->features)
        return ANAS_EUNSUPPORTED;
    return s->features(s, cfg, out, max);
}

int anas__features_values(const struct anas_space *s, const struct anas_config *cfg,
                          float *out, int max)
{
    if (max < s->n_hp)
        return ANAS_ELIMIT;
    for (int i = 0; i < s->n_hp; i++)
        out[i] = anas_space_is_active(s, cfg, i) ? (float)cfg->v[i] : 0.0f;
    return s->n_hp;
}

int anas__check_flat_shape(const struct anas_shape *shape, int max_input, const char *what,
                           struct anas_error *err)
{
    if (shape->c < 1 || shape->h < 1 || shape->w < 1 ||
        (long long)shape->c * shape->h * shape->w > max_input)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input sizes must be positive, %d values at most "
                                "(got %dx%dx%d)",
                                max_input, shape->c, shape->h, shape->w);
    if (shape->classes < 1 || shape->classes > 100000)
        return anas_error_field(err, ANAS_ERANGE, "classes", "%s must be 1..100000 (got %d)",
                                what, shape->classes);
    return 0;
}
