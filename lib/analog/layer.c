/*
 * layer.c - a weight matrix on a grid of analog tiles (aihwkit's
 * TileModuleArray in src/aihwkit/simulator/tiles/array.py, MappingParameter,
 * the post_update_step and the program/drift flow of tiles/inference.py): the
 * split, the mapping scales, the forward over the tiles, the hardware-aware
 * post-step (clip, remap, modifier), and programming, drift and global drift
 * compensation, tile by tile.
 *
 * Each tile keeps its weights in tile units: digital weights W = a * w,
 * with a the mapping scale of the tile's output row. A tile has up to four
 * versions of them: the clean ones (set_weights, post_step), the
 * modifier's (post_step; the clean ones before the first), the programmed
 * and the drifted ones. The last three are allocated when first needed.
 *
 * Outputs of the input blocks are summed digitally in float; the bias is
 * added once, digitally, unless the configuration asks for an analog bias
 * and the layer is one tile: then it is the tile's last column, fed by a
 * constant input 1, as in aihwkit.
 */
#include "config.h"

#include "analog/analog_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tensor/vec.h"

struct tile {
    int r0, c0;        /* first output row and input column in the layer */
    int d, n;          /* outputs, inputs (without the bias column) */
    float *w;          /* (d, n + 1) clean weights, tile units */
    float *wmod;       /* (d, n + 1) the modifier's, or NULL */
    float *wprog;      /* (d, n + 1) programmed */
    float *wdrift;     /* (d, n + 1) drifted */
    float *nu;         /* (2, d, n + 1) drift parameters of the g+ and g- devices */
    float *scale;      /* (d) mapping scale per output */
    float alpha;       /* drift compensation */
    float baseline;    /* readout when programmed */
    struct anas__io_state io;
};

struct anas_alayer {
    int d, n;
    struct anas_analog_config cfg;
    int n_in, n_out;   /* input and output blocks */
    int can_bias;      /* an analog bias is possible: asked for, and one tile */
    int analog_bias;   /* the bias is on the tile */
    int has_bias;
    int has_mod;       /* post_step drew modified weights */
    int programmed, drifted;
    int scaled;        /* mapping scales may differ from 1 */
    struct tile *t;    /* (n_out, n_in) */
    float *bias;       /* (d) digital units */
    float *gtab;       /* normal quantiles for the forward noise, built when needed */
    struct anas__ws ws;
};

/* --- splits (TileModuleArray) --- */

static int n_pieces(int size, int max)
{
    return max > 0 && size > max ? (size + max - 1) / max : 1;
}

static int piece_start(int size, int k, int i)
{
    int extra = size % k;

    return i * (size / k) + (i < extra ? i : extra);
}

static int piece_size(int size, int k, int i)
{
    return size / k + (i < size % k);
}

int anas__split_sizes(int size, int max, int *sizes, int cap)
{
    int k = n_pieces(size, max);

    for (int i = 0; i < k && i < cap; i++)
        sizes[i] = piece_size(size, k, i);
    return k;
}

/* --- construction --- */

static size_t tile_len(const struct tile *t)
{
    return (size_t)t->d * (size_t)(t->n + 1);
}

static void free_tile(struct tile *t)
{
    anas_free(t->w);
    anas_free(t->wmod);
    anas_free(t->wprog);
    anas_free(t->wdrift);
    anas_free(t->nu);
    anas_free(t->scale);
}

void anas_alayer_free(struct anas_alayer *L)
{
    if (!L)
        return;
    for (int i = 0; L->t && i < L->n_in * L->n_out; i++)
        free_tile(&L->t[i]);
    anas_free(L->t);
    anas_free(L->bias);
    anas_free(L->gtab);
    anas__ws_fini(&L->ws);
    anas_free(L);
}

static int make_tiles(struct anas_alayer *L)
{
    for (int ob = 0; ob < L->n_out; ob++)
        for (int ib = 0; ib < L->n_in; ib++) {
            struct tile *t = &L->t[ob * L->n_in + ib];

            t->r0 = piece_start(L->d, L->n_out, ob);
            t->d = piece_size(L->d, L->n_out, ob);
            t->c0 = piece_start(L->n, L->n_in, ib);
            t->n = piece_size(L->n, L->n_in, ib);
            t->alpha = 1.0f;
            t->io.nm_avg = -1.0f;
            t->w = anas_calloc(tile_len(t), sizeof *t->w);
            t->scale = anas_malloc((size_t)t->d * sizeof *t->scale);
            if (!t->w || !t->scale)
                return ANAS_ENOMEM;
            for (int i = 0; i < t->d; i++)
                t->scale[i] = 1.0f;
        }
    return 0;
}

struct anas_alayer *anas_alayer_new(int d, int n, const struct anas_analog_config *cfg,
                                    struct anas_error *err)
{
    struct anas_alayer *L;

    if (d <= 0 || n <= 0) {
        anas_error_set(err, ANAS_EINVAL, "layer of %d x %d weights", d, n);
        return NULL;
    }
    if (anas_analog_config_check(cfg, err) < 0)
        return NULL;
    L = anas_calloc(1, sizeof *L);
    if (!L) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    L->d = d;
    L->n = n;
    L->cfg = *cfg;
    L->n_in = n_pieces(n, cfg->mapping.max_input_size);
    L->n_out = n_pieces(d, cfg->mapping.max_output_size);
    L->can_bias = !cfg->mapping.digital_bias && L->n_in == 1 && L->n_out == 1;
    L->t = anas_calloc((size_t)L->n_in * L->n_out, sizeof *L->t);
    L->bias = anas_calloc((size_t)d, sizeof *L->bias);
    if (!L->t || !L->bias || make_tiles(L) < 0) {
        anas_alayer_free(L);
        anas_error_set(err, ANAS_ENOMEM, "out of memory for a %d x %d analog layer", d, n);
        return NULL;
    }
    return L;
}

int anas_alayer_n_tiles(const struct anas_alayer *L)
{
    return L ? L->n_in * L->n_out : 0;
}

/* Columns of a tile's weight rows. */
static int tcols(const struct anas_alayer *L, const struct tile *t)
{
    return t->n + L->analog_bias;
}

/* --- weights --- */

static float absmax(const float *x, size_t n)
{
    float m = 0.0f;

    for (size_t i = 0; i < n; i++)
        m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    return m;
}

/* The mapping scale (weight_scaling_omega): per tile or per row. */
static void map_tile(const struct anas_alayer *L, struct tile *t)
{
    float omega = L->cfg.mapping.weight_scaling_omega;
    int nw = tcols(L, t);
    float a = absmax(t->w, (size_t)t->d * nw) / omega;

    for (int i = 0; i < t->d; i++) {
        float *row = t->w + (size_t)i * nw;
        float s = L->cfg.mapping.weight_scaling_columnwise ? absmax(row, nw) / omega : a;

        if (!(s > 0.0f) || !isfinite(s))
            s = 1.0f;
        t->scale[i] = s;
        for (int j = 0; j < nw; j++)
            row[j] /= s;
    }
}

/* The tile's clean weights from digital ones (and the bias column). */
static void load_tile(const struct anas_alayer *L, struct tile *t, const float *W)
{
    int nw = tcols(L, t);

    for (int i = 0; i < t->d; i++) {
        const float *src = W + (size_t)(t->r0 + i) * L->n + t->c0;
        float *dst = t->w + (size_t)i * nw, s = t->scale[i];

        for (int j = 0; j < t->n; j++)
            dst[j] = src[j] / s;
        if (L->analog_bias)
            dst[t->n] = L->bias[t->r0 + i] / s;
    }
}

int anas_alayer_set_weights(struct anas_alayer *L, const float *W, const float *bias)
{
    if (!L || !W)
        return ANAS_EINVAL;
    L->has_bias = bias != NULL;
    L->analog_bias = L->can_bias && bias;
    if (bias)
        memcpy(L->bias, bias, (size_t)L->d * sizeof *L->bias);
    L->scaled = L->cfg.mapping.weight_scaling_omega > 0.0f;
    for (int k = 0; k < L->n_in * L->n_out; k++) {
        struct tile *t = &L->t[k];

        for (int i = 0; i < t->d; i++)
            t->scale[i] = 1.0f;
        load_tile(L, t, W);
        if (L->scaled)
            map_tile(L, t);
        t->alpha = 1.0f;
    }
    L->has_mod = L->programmed = L->drifted = 0;
    return 0;
}

/* The weights forward would use: src is one of w, wmod, wprog, wdrift. */
static const float *pick(const struct anas_alayer *L, const struct tile *t,
                         enum anas_alayer_weights which)
{
    switch (which) {
    case ANAS_ALAYER_MODIFIED:
        return L->has_mod ? t->wmod : t->w;
    case ANAS_ALAYER_DRIFTED:
        return L->drifted ? t->wdrift : t->wprog;
    default:
        return t->w;
    }
}

int anas_alayer_get_weights(const struct anas_alayer *L, enum anas_alayer_weights which,
                            float *W)
{
    if (!L || !W || (unsigned)which > ANAS_ALAYER_DRIFTED)
        return ANAS_EINVAL;
    if (which == ANAS_ALAYER_DRIFTED && !L->programmed)
        return ANAS_ESTATE;
    for (int k = 0; k < L->n_in * L->n_out; k++) {
        const struct tile *t = &L->t[k];
        const float *src = pick(L, t, which);
        float g = which == ANAS_ALAYER_DRIFTED ? t->alpha : 1.0f;
        int nw = tcols(L, t);

        for (int i = 0; i < t->d; i++) {
            float *dst = W + (size_t)(t->r0 + i) * L->n + t->c0, s = t->scale[i] * g;

            for (int j = 0; j < t->n; j++)
                dst[j] = src[(size_t)i * nw + j] * s;
        }
    }
    return 0;
}

int anas__alayer_tile(const struct anas_alayer *L, int i, struct anas__tile_view *out)
{
    const struct tile *t;

    if (!L || !out || i < 0 || i >= L->n_in * L->n_out)
        return ANAS_EINVAL;
    t = &L->t[i];
    *out = (struct anas__tile_view){t->r0, t->c0, t->d, t->n, tcols(L, t), t->w, t->scale};
    return 0;
}

float anas_alayer_alpha(const struct anas_alayer *L, int i)
{
    return L && i >= 0 && i < L->n_in * L->n_out ? L->t[i].alpha : 1.0f;
}

/* --- the forward --- */

/* A generator for the forward noise, seeded from rng: NULL when the
 * forward draws nothing. */
static int gauss_for(struct anas_alayer *L, struct anas_rng *rng, struct anas__gauss *g,
                     struct anas__gauss **out)
{
    *out = NULL;
    if (!anas__io_is_random(&L->cfg.forward))
        return 0;
    if (!rng)
        return ANAS_EINVAL;
    if (!L->gtab && !(L->gtab = anas__gauss_table_new()))
        return ANAS_ENOMEM;
    anas__gauss_seed(g, L->gtab, rng);
    *out = g;
    return 0;
}

/* y[k] += b (b[k] with bv), in a loop the compiler vectorises (restrict
 * parameters). */
static void bias_run(float *restrict y, size_t n, float b, const float *restrict bv)
{
    if (bv)
        ANAS__VFOR(k, n, y[k] += bv[k]);
    else
        ANAS__VFOR(k, n, y[k] += b);
}

void anas__analog_add_bias(float *Y, int ldy, const float *bias, int d, int M, int cols)
{
    for (int r = 0; r < (cols ? d : M); r++) {
        float *y = Y + (size_t)r * ldy;

        if (cols)
            bias_run(y, (size_t)M, bias[r], NULL);
        else
            bias_run(y, (size_t)d, 0.0f, bias);
    }
}

int anas_alayer_forward(struct anas_alayer *L, enum anas_alayer_weights which,
                        const float *X, int M, int cols, int ldx, float *Y, int ldy,
                        struct anas_rng *rng)
{
    struct anas__gauss gs, *g;
    int rc, fuse_bias;

    if (!L || !X || !Y || M < 0 || (unsigned)which > ANAS_ALAYER_DRIFTED ||
        ldx < (cols ? M : L->n) || ldy < (cols ? M : L->d))
        return ANAS_EINVAL;
    if (which == ANAS_ALAYER_DRIFTED && !L->programmed)
        return ANAS_ESTATE;
    if (M == 0)
        return 0;
    if ((rc = gauss_for(L, rng, &gs, &g)) < 0)
        return rc;
    /* A digital bias joins the outputs as the tiles write them, while
     * they are in cache, rather than in a pass over Y afterwards: when
     * each output is written once (one input block, the columns layout,
     * see anas__io_bias_ok). */
    fuse_bias = L->has_bias && !L->analog_bias && L->n_in == 1 && cols &&
                !L->cfg.forward.is_perfect;
    for (int k = 0; k < L->n_in * L->n_out; k++) {
        struct tile *t = &L->t[k];
        struct anas__mvm w = {pick(L, t, which), t->d, tcols(L, t), L->analog_bias};
        struct anas__mvm_io b = {
            .X = X + (cols ? (size_t)t->c0 * ldx : (size_t)t->c0),
            .M = M,
            .cols = cols,
            .ldx = ldx,
            .Y = Y + (cols ? (size_t)t->r0 * ldy : (size_t)t->r0),
            .ldy = ldy,
            .gain = which == ANAS_ALAYER_DRIFTED ? t->alpha : 1.0f,
            .row_scale = L->scaled ? t->scale : NULL,
            .accumulate = t->c0 > 0,
        };

        rc = anas__io_forward_bias(&L->cfg.forward, &t->io, &w, &b,
                                   fuse_bias ? L->bias + t->r0 : NULL, &L->ws, g);
        if (rc < 0)
            return rc;
    }
    if (L->has_bias && !L->analog_bias && !fuse_bias)
        anas__analog_add_bias(Y, ldy, L->bias, L->d, M, cols);
    return 0;
}

/* --- the hardware-aware post-step (clip, remap, modifier) --- */

static void clip_tile(const struct anas_alayer *L, struct tile *t)
{
    anas_analog_clip_apply(&L->cfg.clip, t->w, (size_t)t->d, (size_t)tcols(L, t));
}

/* What the clip changed goes back to the digital weights (and bias);
 * the rest stays bit for bit. */
static void store_clipped(struct anas_alayer *L, const struct tile *t, float *W)
{
    int nw = tcols(L, t);

    for (int i = 0; i < t->d; i++) {
        float *dst = W + (size_t)(t->r0 + i) * L->n + t->c0, s = t->scale[i];
        const float *w = t->w + (size_t)i * nw;

        for (int j = 0; j < t->n; j++)
            if (w[j] != dst[j] / s)
                dst[j] = w[j] * s;
        if (L->analog_bias && w[t->n] != L->bias[t->r0 + i] / s)
            L->bias[t->r0 + i] = w[t->n] * s;
    }
}

/* Remap (weight_remapper.cpp): the tile's weights back to remapped_wmax, the
 * factor into the mapping scales; the digital weights do not change. */
static void remap_tile(struct anas_alayer *L, struct tile *t)
{
    const struct anas_analog_remap *r = &L->cfg.remap;
    int nw = tcols(L, t);
    float all = absmax(t->w, (size_t)t->d * nw);

    if (r->type == ANAS_REMAP_NONE)
        return;
    for (int i = 0; i < t->d; i++) {
        float *row = t->w + (size_t)i * nw;
        float m = r->type == ANAS_REMAP_CHANNELWISE ? absmax(row, nw) : all;
        float s = m / r->remapped_wmax;

        if (!(s > 0.0f) || !isfinite(s))
            continue;
        for (int j = 0; j < nw; j++)
            row[j] /= s;
        t->scale[i] *= s;
    }
    L->scaled = 1;
}

static int modifier_on(const struct anas_alayer *L)
{
    return L->cfg.modifier.type != ANAS_MOD_NONE;
}

int anas_alayer_post_step(struct anas_alayer *L, float *W, float *fb, struct anas_rng *rng)
{
    if (!L || !W || (modifier_on(L) && !rng))
        return ANAS_EINVAL;
    for (int k = 0; k < L->n_in * L->n_out; k++) {
        struct tile *t = &L->t[k];
        size_t len = (size_t)t->d * tcols(L, t);

        load_tile(L, t, W);
        clip_tile(L, t);
        store_clipped(L, t, W);
        remap_tile(L, t);
        if (modifier_on(L)) {
            if (!t->wmod && !(t->wmod = anas_malloc(tile_len(t) * sizeof *t->wmod)))
                return ANAS_ENOMEM;
            anas_analog_modify(&L->cfg.modifier, t->wmod, t->w, len, rng);
        }
    }
    L->has_mod = modifier_on(L);
    if (fb)
        return anas_alayer_get_weights(L, ANAS_ALAYER_MODIFIED, fb);
    return 0;
}

/* --- programming, drift and drift compensation (tiles/inference.py) --- */

/* Global drift compensation's readout: the tile's non-ideal forward on
 * the one-hot inputs eye(nw), max(mean |Y|, 1e-4), in tile units. */
static int readout(struct anas_alayer *L, struct tile *t, const float *w, struct anas_rng *rng,
                   float *out)
{
    int nw = tcols(L, t), rc;
    float *eye = anas_calloc((size_t)nw * nw + (size_t)nw * t->d, sizeof *eye);
    float *Y = eye + (size_t)nw * nw;
    struct anas__gauss gs, *g;
    double sum = 0.0;

    if (!eye)
        return ANAS_ENOMEM;
    for (int j = 0; j < nw; j++)
        eye[(size_t)j * nw + j] = 1.0f;
    rc = gauss_for(L, rng, &gs, &g);
    if (rc == 0) {
        struct anas__mvm m = {w, t->d, nw, 0};
        struct anas__mvm_io b = {eye, nw, 0, nw, Y, t->d, 1.0f, NULL, 0};

        rc = anas__io_forward(&L->cfg.forward, &t->io, &m, &b, &L->ws, g);
    }
    for (size_t i = 0; rc == 0 && i < (size_t)nw * t->d; i++)
        sum += fabsf(Y[i]);
    if (rc == 0) {
        sum /= (double)nw * t->d;
        *out = sum > 1e-4 ? (float)sum : 1e-4f;
    }
    anas_free(eye);
    return rc;
}

/* Scratch for four conductance arrays of the largest tile. */
static float *cond_scratch(const struct anas_alayer *L)
{
    return anas_malloc(4 * tile_len(&L->t[0]) * sizeof(float));
}

static int alloc_programmed(struct tile *t)
{
    size_t len = tile_len(t);

    if (!t->wprog)
        t->wprog = anas_malloc(len * sizeof *t->wprog);
    if (!t->wdrift)
        t->wdrift = anas_malloc(len * sizeof *t->wdrift);
    if (!t->nu)
        t->nu = anas_malloc(2 * len * sizeof *t->nu);
    return t->wprog && t->wdrift && t->nu ? 0 : ANAS_ENOMEM;
}

/* Conductances of the programmed weights (g+, g- from the clean ones). */
static void program_tile(const struct anas_alayer *L, struct tile *t, float *buf,
                         struct anas_rng *rng)
{
    const struct anas_analog_noise *m = &L->cfg.noise_model;
    size_t len = (size_t)t->d * tcols(L, t);
    float *gp = buf, *gm = gp + len, *pp = gm + len, *pm = pp + len;
    float s = anas_analog_to_conductance(m, t->w, len, gp, gm);

    anas_analog_noise_program(m, pp, t->nu, gp, len, rng);
    anas_analog_noise_program(m, pm, t->nu + len, gm, len, rng);
    anas_analog_from_conductance(s, pp, pm, len, t->wprog);
}

int anas_alayer_program(struct anas_alayer *L, struct anas_rng *rng)
{
    int noisy, comp, rc = 0;
    float *buf = NULL;

    if (!L)
        return ANAS_EINVAL;
    noisy = L->cfg.noise_model.type != ANAS_NOISE_NONE;
    comp = noisy && L->cfg.drift_compensation == ANAS_DRIFT_COMP_GLOBAL;
    if (noisy && !rng)
        return ANAS_EINVAL;
    if (noisy && !(buf = cond_scratch(L)))
        return ANAS_ENOMEM;
    for (int k = 0; rc == 0 && k < L->n_in * L->n_out; k++) {
        struct tile *t = &L->t[k];

        if ((rc = alloc_programmed(t)) < 0)
            break;
        if (noisy)
            program_tile(L, t, buf, rng);
        else
            memcpy(t->wprog, t->w, (size_t)t->d * tcols(L, t) * sizeof *t->w);
        t->alpha = 1.0f;
        if (comp)
            rc = readout(L, t, t->wprog, rng, &t->baseline);
    }
    anas_free(buf);
    L->programmed = rc == 0;
    L->drifted = 0;
    return rc;
}

/* Drift (aihwkit's drift_weights): re-convert the programmed weights (a new
 * scale), drift each device with its stored parameter, fresh read noise,
 * convert back. */
static int drift_tile(const struct anas_alayer *L, struct tile *t, float *buf, double time,
                      struct anas_rng *rng)
{
    const struct anas_analog_noise *m = &L->cfg.noise_model;
    size_t len = (size_t)t->d * tcols(L, t);
    float *gp = buf, *gm = gp + len, *dp = gm + len, *dm = dp + len;
    float s = anas_analog_to_conductance(m, t->wprog, len, gp, gm);
    int rc = anas_analog_noise_drift(m, dp, gp, t->nu, len, time, rng);

    if (rc == 0)
        rc = anas_analog_noise_drift(m, dm, gm, t->nu + len, len, time, rng);
    if (rc == 0)
        anas_analog_from_conductance(s, dp, dm, len, t->wdrift);
    return rc;
}

int anas_alayer_drift(struct anas_alayer *L, double t, struct anas_rng *rng)
{
    int noisy, comp, rc = 0;
    float *buf = NULL;

    if (!L || !(t >= 0.0) || !isfinite(t))
        return ANAS_EINVAL;
    if (!L->programmed && (rc = anas_alayer_program(L, rng)) < 0)
        return rc;
    noisy = L->cfg.noise_model.type != ANAS_NOISE_NONE;
    comp = noisy && L->cfg.drift_compensation == ANAS_DRIFT_COMP_GLOBAL;
    if (noisy && !rng)
        return ANAS_EINVAL;
    if (noisy && !(buf = cond_scratch(L)))
        return ANAS_ENOMEM;
    for (int k = 0; rc == 0 && k < L->n_in * L->n_out; k++) {
        struct tile *tl = &L->t[k];
        float now;

        if (!noisy) {
            memcpy(tl->wdrift, tl->wprog, (size_t)tl->d * tcols(L, tl) * sizeof *tl->w);
            continue;
        }
        rc = drift_tile(L, tl, buf, t, rng);
        if (rc == 0 && comp && (rc = readout(L, tl, tl->wdrift, rng, &now)) == 0)
            tl->alpha = tl->baseline / now;
    }
    anas_free(buf);
    L->drifted = rc == 0;
    return rc;
}
