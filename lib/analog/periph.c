/*
 * periph.c - learned output scaling and learned input range around an
 * analog layer (periph.h; aihwkit's periphery.py, doc/analog-model.md).
 *
 * The training forwards of a mini-batch keep their input vectors x and
 * their outputs before alpha (u = r L(clip(x)/r)) as rows; the backward of
 * the batch turns them, with dY, into the gradients. A conv2d layer's
 * forward comes in groups of samples, in order on one thread (lib/nn), so
 * the kept rows are the batch's im2col vectors in the net's order.
 */
#include "config.h"

#include "analog/periph.h"
#include "analog/analog_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tensor/blas.h"
#include "tensor/tensor.h"

/* r stays above this: aihwkit only takes |r|, which could reach 0 and
 * divide by it. */
#define MIN_RANGE 1e-6f

struct anas__periph {
    int d, n;
    struct anas_analog_inrange ir;
    int learn_alpha, n_alpha; /* n_alpha: d (columnwise) or 1 */
    int has_range;
    float out_bound;          /* forward.out_bound, <= 0: none */
    float *alpha, r;
    int n_init, init_now;     /* batches r followed the data; this one did */
    double *g_alpha, g_r;
    float *x, *u;             /* kept rows (m, n), (m, d) */
    size_t cap;               /* their capacity in vectors */
    int m;
    long clipped_out;         /* outputs at the ADC bound, this batch */
    float *xc;                /* the forward's clipped input */
    size_t cap_xc;
    float *buf;               /* backward's scratch */
    size_t cap_buf;
};

int anas__periph_wanted(const struct anas_analog_config *cfg)
{
    return cfg && (cfg->mapping.learn_out_scaling || cfg->pre_post.input_range.enable);
}

void anas__periph_free(struct anas__periph *p)
{
    if (!p)
        return;
    anas_free(p->alpha);
    anas_free(p->g_alpha);
    anas_free(p->x);
    anas_free(p->u);
    anas_free(p->xc);
    anas_free(p->buf);
    anas_free(p);
}

struct anas__periph *anas__periph_new(int d, int n, const struct anas_analog_config *cfg)
{
    struct anas__periph *p = anas_calloc(1, sizeof *p);

    if (!p)
        return NULL;
    p->d = d;
    p->n = n;
    p->ir = cfg->pre_post.input_range;
    p->has_range = p->ir.enable;
    p->r = p->has_range ? p->ir.init_value : 1.0f;
    p->learn_alpha = cfg->mapping.learn_out_scaling;
    p->n_alpha = cfg->mapping.out_scaling_columnwise ? d : 1;
    p->out_bound = cfg->forward.is_perfect ? 0.0f : cfg->forward.out_bound;
    p->alpha = anas_malloc((size_t)p->n_alpha * sizeof *p->alpha);
    p->g_alpha = anas_calloc((size_t)p->n_alpha, sizeof *p->g_alpha);
    if (!p->alpha || !p->g_alpha) {
        anas__periph_free(p);
        return NULL;
    }
    for (int i = 0; i < p->n_alpha; i++)
        p->alpha[i] = 1.0f;
    return p;
}

static float alpha_of(const struct anas__periph *p, int i)
{
    return p->alpha[p->n_alpha > 1 ? i : 0];
}

/* *buf holds at least want floats (capacity *cap floats). */
static int reserve(float **buf, size_t *cap, size_t want)
{
    float *q;

    if (want <= *cap)
        return 0;
    want = want > 2 * *cap ? want : 2 * *cap;
    q = anas_realloc(*buf, want * sizeof *q);
    if (!q)
        return ANAS_ENOMEM;
    *buf = q;
    *cap = want;
    return 0;
}

/* --- forward --- */

/* The element at vector v, input j of X in the forward's layout. */
static float at(const float *X, int cols, int ldx, int v, int j)
{
    return cols ? X[(size_t)j * ldx + v] : X[(size_t)v * ldx + j];
}

/* aihwkit's init_from_data: r <- (r k + init_std_alpha std(x)) / (k + 1)
 * over the first batches, std over every input of the batch (its first
 * product, for a conv2d layer fed in groups), with n - 1. */
static void follow_data(struct anas__periph *p, const float *X, int M, int cols, int ldx)
{
    double s = 0.0, s2 = 0.0, cnt = (double)M * p->n, sd;

    for (int v = 0; v < M; v++)
        for (int j = 0; j < p->n; j++) {
            double x = at(X, cols, ldx, v, j);

            s += x;
            s2 += x * x;
        }
    if (cnt < 2)
        return;
    sd = sqrt(fmax(0.0, (s2 - s * s / cnt) / (cnt - 1)));
    if (!(sd > 0.0))
        return;
    p->r = fabsf((float)((p->r * p->n_init + p->ir.init_std_alpha * sd) / (p->n_init + 1)));
    if (p->r < MIN_RANGE)
        p->r = MIN_RANGE;
    p->init_now = 1;
}

static float clip(float x, float r)
{
    return x > r ? r : x < -r ? -r : x;
}

/* clip(X, r) / r in X's layout (rows of n, or n rows of M). */
static int clipped(struct anas__periph *p, const float *X, int M, int cols, int ldx,
                   const float **out, int *ld)
{
    int rows = cols ? p->n : M, len = cols ? M : p->n;
    float inv = 1.0f / p->r;

    if (reserve(&p->xc, &p->cap_xc, (size_t)rows * len) < 0)
        return ANAS_ENOMEM;
    for (int a = 0; a < rows; a++)
        for (int b = 0; b < len; b++)
            p->xc[(size_t)a * len + b] = clip(X[(size_t)a * ldx + b], p->r) * inv;
    *out = p->xc;
    *ld = len;
    return 0;
}

/* Keep a training forward's inputs and outputs (before alpha) as rows. */
static int keep(struct anas__periph *p, const float *X, int M, int cols, int ldx,
                const float *Y, int ldy)
{
    size_t want = (size_t)p->m + M;

    if (want > p->cap) {
        size_t c = want > 2 * p->cap ? want : 2 * p->cap;
        float *x = anas_realloc(p->x, c * p->n * sizeof *x), *u;

        if (!x)
            return ANAS_ENOMEM;
        p->x = x;
        if (!(u = anas_realloc(p->u, c * p->d * sizeof *u)))
            return ANAS_ENOMEM;
        p->u = u;
        p->cap = c;
    }
    for (int v = 0; v < M; v++) {
        float *xr = p->x + ((size_t)p->m + v) * p->n, *ur = p->u + ((size_t)p->m + v) * p->d;

        for (int j = 0; j < p->n; j++)
            xr[j] = at(X, cols, ldx, v, j);
        for (int i = 0; i < p->d; i++)
            ur[i] = at(Y, cols, ldy, v, i);
    }
    p->m += M;
    return 0;
}

/* Per output row, the mapping scale of the tile that holds its first
 * inputs: the output bound in digital units is out_bound times it (and
 * r). */
static void row_scales(const struct anas_alayer *L, float *s, int d)
{
    struct anas__tile_view t;

    for (int i = 0; i < d; i++)
        s[i] = 1.0f;
    for (int k = 0; anas__alayer_tile(L, k, &t) == 0; k++)
        if (t.c0 == 0)
            for (int i = 0; i < t.d; i++)
                s[t.r0 + i] = t.scale[i];
}

/* manage_output_clipping: count the outputs at the ADC bound. */
static int count_clipped(struct anas__periph *p, const struct anas_alayer *L, const float *Y,
                         int M, int cols, int ldy)
{
    float *s;

    if (!(p->out_bound > 0.0f))
        return 0;
    if (reserve(&p->buf, &p->cap_buf, (size_t)p->d) < 0)
        return ANAS_ENOMEM;
    s = p->buf;
    row_scales(L, s, p->d);
    for (int v = 0; v < M; v++)
        for (int i = 0; i < p->d; i++)
            if (fabsf(at(Y, cols, ldy, v, i)) >= 0.999f * p->out_bound * s[i] * p->r)
                p->clipped_out++;
    return 0;
}

int anas__periph_forward(struct anas__periph *p, struct anas_alayer *L,
                         enum anas_alayer_weights which, const float *X, int M, int cols,
                         int ldx, float *Y, int ldy, int training, struct anas_rng *rng)
{
    const float *in = X;
    int ld = ldx, rc;

    if (!p || !L || !X || !Y || M < 0)
        return ANAS_EINVAL;
    if (p->has_range) {
        if (training && p->m == 0 && p->n_init < p->ir.init_from_data)
            follow_data(p, X, M, cols, ldx);
        if ((rc = clipped(p, X, M, cols, ldx, &in, &ld)) < 0)
            return rc;
    }
    if ((rc = anas_alayer_forward(L, which, in, M, cols, ld, Y, ldy, rng)) < 0)
        return rc;
    for (int a = 0; a < (cols ? p->d : M); a++) {
        float *y = Y + (size_t)a * ldy;

        for (int b = 0; b < (cols ? M : p->d); b++)
            y[b] *= p->r;
    }
    if (training) {
        if ((rc = keep(p, X, M, cols, ldx, Y, ldy)) < 0)
            return rc;
        if (p->has_range && p->ir.manage_output_clipping &&
            (rc = count_clipped(p, L, Y, M, cols, ldy)) < 0)
            return rc;
    }
    for (int a = 0; a < (cols ? p->d : M); a++) {
        float *y = Y + (size_t)a * ldy;

        for (int b = 0; b < (cols ? M : p->d); b++)
            y[b] *= alpha_of(p, cols ? a : b);
    }
    return 0;
}

/* --- backward --- */

/* The range's gradient (aihwkit's post_backward): only where it asks r
 * to grow, for the inputs at or beyond it, where dxc is the gradient
 * of the clipped input. */
static void range_grad(struct anas__periph *p, const float *dxc, int M)
{
    const struct anas_analog_inrange *ir = &p->ir;
    double g = 0.0, inside = 0.0, all = (double)M * p->n;

    for (size_t k = 0; k < (size_t)M * p->n; k++) {
        float x = p->x[k], dx = dxc[k];

        if (x >= p->r)
            g += dx < 0.0f ? dx : 0.0f;
        else if (x <= -p->r)
            g -= dx > 0.0f ? dx : 0.0f;
        else
            inside += 1.0;
    }
    if (ir->gradient_relative)
        g *= (double)p->r * ir->gradient_scale;
    if (ir->manage_output_clipping) {
        double p_out = 1.0 - (double)p->clipped_out / ((double)M * p->d);

        if (p_out < ir->output_min_percentage)
            g -= (1.0 - p_out) * p->r;
    }
    if (ir->decay > 0.0f && all > 0 && inside / all > ir->input_min_percentage)
        g += (double)ir->decay * p->r;
    p->g_r += g;
}

static void alpha_grad(struct anas__periph *p, const float *dy, int M)
{
    for (int v = 0; v < M; v++)
        for (int i = 0; i < p->d; i++)
            p->g_alpha[p->n_alpha > 1 ? i : 0] +=
                (double)dy[(size_t)v * p->d + i] * p->u[(size_t)v * p->d + i];
}

/* The input gradient's rows (M, n) into dX: linear (B, n); conv2d per
 * sample through col2im. */
static void to_dx(const struct anas__periph *p, const struct anas_net_layer *info,
                  const float *dxc, float *col, float *dX, int acc, int B, int P)
{
    size_t img = (size_t)info->c * info->h * info->w;

    if (info->op == ANAS_OP_LINEAR) {
        for (size_t k = 0; k < (size_t)B * p->n; k++)
            dX[k] = acc ? dX[k] + dxc[k] : dxc[k];
        return;
    }
    for (int b = 0; b < B; b++) {
        for (int q = 0; q < P; q++)
            for (int j = 0; j < p->n; j++)
                col[(size_t)j * P + q] = dxc[((size_t)b * P + q) * p->n + j];
        if (!acc)
            memset(dX + b * img, 0, img * sizeof *dX);
        anas_tensor_col2im(dX + b * img, col, P, info->c, info->h, info->w, info->k,
                           info->stride, info->pad);
    }
}

int anas__periph_backward(struct anas__periph *p, const struct anas_net_layer *info,
                          const float *Wfb, float *G, const float *dY, float *dX, int acc,
                          int B)
{
    int M, P, d, n;
    float *dy, *g, *dxc, *xs, *col;

    if (!p || !info || !Wfb || !G || !dY || B < 1)
        return ANAS_EINVAL;
    M = p->m, d = p->d, n = p->n;
    P = M / B;
    if (P < 1 || M % B || (info->op == ANAS_OP_LINEAR && P != 1))
        return ANAS_ESTATE;
    if (reserve(&p->buf, &p->cap_buf, (size_t)M * (2 * d + 2 * n) + (size_t)n * P) < 0)
        return ANAS_ENOMEM;
    dy = p->buf, g = dy + (size_t)M * d, dxc = g + (size_t)M * d, xs = dxc + (size_t)M * n;
    col = xs + (size_t)M * n;
    for (int b = 0; b < B; b++) /* (B, d, P) to rows (b P + q, d) */
        for (int i = 0; i < d; i++)
            for (int q = 0; q < P; q++)
                dy[((size_t)b * P + q) * d + i] = dY[((size_t)b * d + i) * P + q];
    for (size_t k = 0; k < (size_t)M * d; k++)
        g[k] = dy[k] * alpha_of(p, (int)(k % d));
    if (p->learn_alpha)
        alpha_grad(p, dy, M);
    anas_blas_sgemm(0, 0, M, n, d, 1.0f, g, d, Wfb, n, 0.0f, dxc, n);
    if (p->has_range)
        range_grad(p, dxc, M);
    /* the net added dy^T x; the tile's update is (alpha dy)^T clip(x)/r */
    for (size_t k = 0; k < (size_t)M * n; k++)
        xs[k] = clip(p->x[k], p->r) / p->r;
    anas_blas_sgemm(1, 0, d, n, M, 1.0f, g, d, xs, n, 1.0f, G, n);
    anas_blas_sgemm(1, 0, d, n, M, -1.0f, dy, d, p->x, n, 1.0f, G, n);
    if (dX)
        to_dx(p, info, dxc, col, dX, acc, B, P);
    p->m = 0;
    p->clipped_out = 0;
    return 0;
}

/* --- the step --- */

void anas__periph_step(struct anas__periph *p, float lr)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_alpha; i++) {
        if (p->learn_alpha)
            p->alpha[i] -= lr * (float)p->g_alpha[i];
        p->g_alpha[i] = 0.0;
    }
    if (p->has_range && p->ir.learn_input_range) {
        p->r = fabsf(p->r - lr * (float)p->g_r);
        if (p->r < MIN_RANGE)
            p->r = MIN_RANGE;
    }
    p->g_r = 0.0;
    p->n_init += p->init_now;
    p->init_now = 0;
    p->m = 0;
    p->clipped_out = 0;
}

void anas__periph_fold(struct anas__periph *p, float *W)
{
    if (!p || !W)
        return;
    for (int i = 0; i < p->d; i++) {
        float a = alpha_of(p, i);

        for (int j = 0; j < p->n; j++)
            W[(size_t)i * p->n + j] *= a;
    }
    for (int i = 0; i < p->n_alpha; i++)
        p->alpha[i] = 1.0f;
}

float anas__periph_range(const struct anas__periph *p)
{
    return p ? p->r : 0.0f;
}

float anas__periph_alpha(const struct anas__periph *p, int i)
{
    return p && i >= 0 && i < p->d ? alpha_of(p, i) : 0.0f;
}

float anas__periph_grad_range(const struct anas__periph *p)
{
    return p ? (float)p->g_r : 0.0f;
}

float anas__periph_grad_alpha(const struct anas__periph *p, int i)
{
    return p && i >= 0 && i < p->n_alpha ? (float)p->g_alpha[i] : 0.0f;
}
