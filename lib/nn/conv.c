/*
 * conv.c - 2D convolution and transposed convolution as matrix products:
 * im2col + sgemm for any shape, Winograd for 3x3 and 5x5 stride 1.
 *
 * im2col: a convolution of one sample is W (OC, C*K*K) times its column
 * matrix (C*K*K, P). On small planes (P = 8x8 late in a CNN) that product
 * is too thin for BLAS to run fast, so G samples share one sgemm: their
 * column matrices sit side by side (C*K*K, G*P) and the product (OC, G*P)
 * is permuted back to NCHW through a staging matrix. G is picked so that
 * G*P reaches GEMM_N; with large planes G is 1 and the product lands in
 * the output directly. A 1x1 convolution with stride 1 and no padding has
 * the sample itself as its column matrix and skips im2col. A training
 * forward keeps the batch's column matrices for the weight gradient when
 * they fit in MAX_KEEP floats (backward would otherwise build them again).
 *
 * The input gradient of a stride-1 convolution is itself a convolution:
 * of dout, padded by K-1-pad, with the weights flipped in space and with C
 * and OC swapped. Computing it that way (im2col of dout, then one sgemm
 * that adds straight into dinp) avoids the scatter-add of col2im, when it
 * costs no more multiplications (a "same" convolution) and dout's column
 * matrix is not the larger one; otherwise col2im.
 *
 * Winograd (tensor/winograd.h): 36 sgemms of (OC, C) by (C, T) between
 * transforms, T the tiles of a chunk of G samples: 4x fewer
 * multiplications for 3x3 kernels (F(4x4, 3x3)), 2.8x for 5x5 ones
 * (F(2x2, 5x5)). Backward transforms dout once (dM) and uses it twice:
 * for the weight gradient (dM V^T, position by position) and the input
 * gradient (U^T dM, transformed back). A weight-product override (the
 * analog tiles) needs the column matrices: forward then takes the im2col
 * path.
 *
 * Threads (a team, see tensor/team.h) take contiguous runs of samples,
 * each with its own part of the scratch; weight and bias gradients are
 * summed per thread and reduced at the end (thread 0 adds into the
 * gradient buffer directly on the im2col path). The transposed convolution
 * is the adjoint: its forward is a convolution's input gradient (W^T times
 * the input, then col2im), its backward a convolution's forward, with the
 * same batching, on one thread.
 */
#include "config.h"

#include "nn/nn_int.h"

#include <string.h>

#include "tensor/blas.h"
#include "tensor/tensor.h"
#include "tensor/vec.h"

/* Columns per sgemm worth reaching by batching samples (measured: larger
 * groups lose more to cache misses than they gain in sgemm speed), and a
 * cap on the column matrix so that scratch stays modest on large inputs.
 * Winograd chunks aim at WINO_T tiles, enough for sgemm to run at speed,
 * few enough for the transformed chunk to stay in the L2 cache. */
#define GEMM_N         256
#define MAX_COL_FLOATS ((size_t)1 << 23)
#define MAX_KEEP       ((size_t)8 << 20) /* floats: 32 MB per layer */
#define WINO_T         144
#define P36            ANAS_WINO_POS

/* How many samples of P pixels and R column rows share one sgemm. */
static int group_size(int B, int P, size_t R)
{
    int G = (GEMM_N + P - 1) / P;

    if (G > B)
        G = B;
    while (G > 1 && R * (size_t)G * P > MAX_COL_FLOATS)
        G--;
    return G < 1 ? 1 : G;
}

static int is_direct(int K, int stride, int pad)
{
    return K == 1 && stride == 1 && pad == 0;
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Thread parts start on 64-byte boundaries. */
static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Winograd pays when the channels fill its sgemms and the plane its tiles. */
static int wino_fits(int C, int OC, int K, int stride, int OH, int OW)
{
    return (K == 3 || K == 5) && stride == 1 && C >= 4 && OC >= 4 && OH >= 4 && OW >= 4;
}

static void plan_gemm(struct anas__conv_plan *plan, int B, int C, int H, int W, int OC,
                      int K, int stride, int pad)
{
    int P = anas__nn_out_side(H, K, stride, pad) * anas__nn_out_side(W, K, stride, pad);
    size_t R = (size_t)C * K * K, G;

    plan->G = group_size(B, P, max_size(R, (size_t)OC * K * K));
    G = (size_t)plan->G;
    /* flip when it costs no more multiplications (H*W <= P: a "same"
     * convolution) and its column matrix (OC*K*K, H*W) is no larger than
     * col2im's (C*K*K, P): then the cheaper gather wins */
    plan->flip = stride == 1 && pad <= K - 1 && !is_direct(K, stride, pad) &&
                 (size_t)H * W <= (size_t)P && (size_t)OC * H * W <= (size_t)C * P;
    plan->col = G == 1 && is_direct(K, stride, pad) ? 0 : R * G * P;
    plan->tmp = G > 1 ? max_size((size_t)OC * G * P, (size_t)C * G * P) : 0;
    plan->shared = 0;
    if (plan->flip) {
        plan->col = max_size(plan->col, (size_t)OC * K * K * G * H * W);
        plan->tmp = G > 1 ? max_size(plan->tmp, (size_t)C * G * H * W) : 0;
        plan->shared = (size_t)C * OC * K * K;
    }
    plan->dw = (size_t)OC * R + OC;
    plan->part = round16(plan->col) + round16(plan->tmp) + round16(plan->dw);
    /* rebuilding the column matrices for the weight gradient costs as much
     * as building them: keep them if they are not too many */
    plan->keep = 0;
    if (!is_direct(K, stride, pad) && R * P * (size_t)B <= MAX_KEEP)
        plan->keep = R * P * (size_t)B;
}

/* Floats of one thread's Winograd part, for chunks of T tiles. */
static size_t wino_part(const struct anas__conv_plan *plan, int C, int OC, size_t T)
{
    return round16(P36 * T * C) + round16(P36 * T * OC) + round16(P36 * (size_t)OC * C) +
           round16((size_t)OC) + anas_wino_work(&plan->grid, T);
}

void anas__nn_conv2d_plan(struct anas__conv_plan *plan, enum anas__conv_algo algo, int B,
                          int C, int H, int W, int OC, int K, int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    size_t gemm_part, gemm_shared;
    int G;

    memset(plan, 0, sizeof(*plan));
    plan_gemm(plan, B, C, H, W, OC, K, stride, pad);
    if (algo == ANAS__CONV_AUTO)
        algo = wino_fits(C, OC, K, stride, OH, OW) ? ANAS__CONV_WINO : ANAS__CONV_GEMM;
    if (algo != ANAS__CONV_WINO || (K != 3 && K != 5) || stride != 1 || pad > K - 1) {
        plan->algo = ANAS__CONV_GEMM;
        return;
    }
    plan->algo = ANAS__CONV_WINO;
    plan->keep = 0; /* Winograd's backward transforms the input anew */
    anas_wino_grid_init(&plan->grid, H, W, pad, K);
    G = (WINO_T + plan->grid.nt - 1) / plan->grid.nt;
    plan->wino_G = G < B ? G : B;
    /* the im2col path stays available for a weight-product override */
    gemm_part = plan->part, gemm_shared = plan->shared;
    plan->part =
        max_size(gemm_part, wino_part(plan, C, OC, (size_t)plan->wino_G * plan->grid.nt));
    plan->shared = max_size(gemm_shared, P36 * (size_t)OC * C);
}

void anas__nn_convt2d_plan(struct anas__conv_plan *plan, int B, int C, int H, int W,
                           int OC, int K, int stride, int pad, int out_pad)
{
    int P = H * W; /* the column matrix of the adjoint convolution has H*W columns */
    size_t R = (size_t)OC * K * K;

    (void)out_pad;
    memset(plan, 0, sizeof(*plan));
    plan->algo = ANAS__CONV_GEMM;
    plan->G = group_size(B, P, R);
    plan->col = R * plan->G * P;
    plan->tmp = plan->G > 1 ? (size_t)C * plan->G * P : 0;
    plan->part = round16(plan->col) + round16(plan->tmp);
}

void anas__nn_conv2d_plan_bn(struct anas__conv_plan *plan, int OC, int P)
{
    size_t off = round16(plan->col) + round16(plan->tmp) + round16(plan->dw);

    plan->epi = (size_t)OC * plan->G * P;
    plan->part = max_size(plan->part, off + round16(plan->epi));
}

float *anas__nn_work_part(const struct anas__nn_work *wk, int i)
{
    return wk->part + (size_t)i * wk->stride;
}

/* (g, C, P) samples to a (C, g*P) matrix. */
static void gather(float *restrict dst, const float *restrict src, int g, int C, int P)
{
    for (int j = 0; j < g; j++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)c * g + j) * P, src + ((size_t)j * C + c) * P,
                   (size_t)P * sizeof(*dst));
}

/* A (C, g*P) matrix to (g, C, P) samples, plus bias[c] when not NULL. */
ANAS__SIMD
static void scatter(float *restrict dst, const float *restrict src, const float *bias,
                    int g, int C, int P)
{
    for (int j = 0; j < g; j++) {
        for (int c = 0; c < C; c++) {
            float *restrict d = dst + ((size_t)j * C + c) * P;
            const float *restrict s = src + ((size_t)c * g + j) * P;
            float b = bias ? bias[c] : 0.0f;

            ANAS__VFOR(p, (size_t)P, d[p] = s[p] + b);
        }
    }
}

/* The same, adding into dst (acc) or overwriting it. */
static void scatter_to(float *restrict dst, int acc, const float *restrict src, int g,
                       int C, int P)
{
    if (!acc) {
        scatter(dst, src, NULL, g, C, P);
        return;
    }
    for (int j = 0; j < g; j++) {
        for (int c = 0; c < C; c++) {
            float *restrict d = dst + ((size_t)j * C + c) * P;
            const float *restrict s = src + ((size_t)c * g + j) * P;

            ANAS__VFOR(p, (size_t)P, d[p] += s[p]);
        }
    }
}

/* Add bias[c] to each of the C planes of P pixels (bias may be NULL). */
ANAS__SIMD
static void add_bias(float *restrict x, const float *restrict bias, int C, int P)
{
    if (!bias)
        return;
    for (int c = 0; c < C; c++) {
        float *restrict row = x + (size_t)c * P;
        float b = bias[c];

        ANAS__VFOR(p, (size_t)P, row[p] += b);
    }
}

/* dbias[c] += the sum of row c of a (C, N) matrix. */
ANAS__SIMD
static void bias_grad(float *restrict dbias, const float *restrict d, int C, int N)
{
    if (!dbias)
        return;
    for (int c = 0; c < C; c++)
        dbias[c] += anas__vsum(d + (size_t)c * N, (size_t)N);
}

/* The column matrix (C*K*K, g*P) of samples inp[0..g). */
static void im2col_group(float *col, const float *inp, int g, int C, int H, int W, int K,
                         int stride, int pad, int P)
{
    for (int j = 0; j < g; j++)
        anas_tensor_im2col(col + (size_t)j * P, g * P, inp + (size_t)j * C * H * W, C, H,
                           W, K, stride, pad);
}

/* Add the column matrix (C*K*K, g*P) back onto samples img[0..g). */
static void col2im_group(float *img, const float *col, int g, int C, int H, int W, int K,
                         int stride, int pad, int P)
{
    for (int j = 0; j < g; j++)
        anas_tensor_col2im(img + (size_t)j * C * H * W, col + (size_t)j * P, g * P, C, H,
                           W, K, stride, pad);
}

/* Everything a convolution's parts share. */
struct conv_job {
    const struct anas__conv_plan *plan;
    const struct anas__nn_work *wk;
    int B, C, H, W, OC, K, stride, pad, OH, OW, P, R;
    float *out;
    const float *inp, *weight, *bias;
    float *dinp, *dweight, *dbias;
    const float *dout;
    float *cols;      /* kept column matrices, or NULL */
    int acc;          /* dinp: add into it (or overwrite) */
    enum anas_op act; /* forward: the fused activation */
    const struct anas__nn_mvm_call *mc;
    int rc[ANAS_TEAM_MAX];
};

static void job_init(struct conv_job *j, const struct anas__conv_plan *plan,
                     const struct anas__nn_work *wk, int B, int C, int H, int W, int OC,
                     int K, int stride, int pad)
{
    memset(j, 0, sizeof(*j));
    j->plan = plan, j->wk = wk;
    j->B = B, j->C = C, j->H = H, j->W = W, j->OC = OC, j->K = K;
    j->stride = stride, j->pad = pad;
    j->OH = anas__nn_out_side(H, K, stride, pad);
    j->OW = anas__nn_out_side(W, K, stride, pad);
    j->P = j->OH * j->OW;
    j->R = C * K * K;
}

/* Thread i's samples [*lo, *hi), in whole groups of G. */
static void samples(const struct conv_job *j, int G, int i, int n, int *lo, int *hi)
{
    size_t a, b;

    anas_team_split((size_t)j->B, i, n, (size_t)G, &a, &b);
    *lo = (int)a, *hi = (int)b;
}

/* --- im2col path --- */

/* The product of one group: y (OC, g*P) = weight (OC, R) cm (R, g*P), by
 * sgemm or by the override (which also adds the bias). */
static int conv_product(float *y, const float *weight, const float *cm, int OC, int R,
                        int N, const struct anas__nn_mvm_call *mc)
{
    if (mc)
        return mc->mvm->forward(mc->mvm->ctx, mc->node, cm, N, 1, N, y, N, mc->training);
    anas_blas_sgemm(0, 0, OC, N, R, 1.0f, weight, R, cm, N, 0.0f, y, N);
    return 0;
}

static void gemm_forward_part(void *ctx, int i, int n)
{
    struct conv_job *j = ctx;
    const struct anas__conv_plan *plan = j->plan;
    int G = plan->G, C = j->C, P = j->P, lo, hi;
    float *col = anas__nn_work_part(j->wk, i); /* (R, G*P) */
    float *tmp = col + round16(plan->col);     /* (OC, G*P) */
    const struct anas__nn_bn_epi *bn = j->mc ? j->mc->bn : NULL;
    /* (G, OC, P): the products before the batch norm, see plan_bn */
    float *stage = bn && plan->epi ? tmp + round16(plan->tmp) + round16(plan->dw) : NULL;

    samples(j, G, i, n, &lo, &hi);
    for (int b0 = lo; b0 < hi; b0 += G) {
        int g = hi - b0 < G ? hi - b0 : G, rc;
        const float *x = j->inp + (size_t)b0 * C * j->H * j->W;
        float *y = j->out + (size_t)b0 * j->OC * P;
        const float *cm = col;

        if (g == 1 && is_direct(j->K, j->stride, j->pad)) {
            cm = x;
        } else {
            float *dst = j->cols ? j->cols + (size_t)b0 * j->R * P : col;

            im2col_group(dst, x, g, C, j->H, j->W, j->K, j->stride, j->pad, P);
            cm = dst;
        }
        if (stage)
            y = stage;
        rc = conv_product(G == 1 ? y : tmp, j->weight, cm, j->OC, j->R, g * P, j->mc);
        if (rc) {
            j->rc[i] = rc;
            return;
        }
        if (G == 1) {
            if (!j->mc)
                add_bias(y, j->bias, j->OC, P);
        } else {
            scatter(y, tmp, j->mc ? NULL : j->bias, g, j->OC, P);
        }
        anas__nn_act_inplace(j->act, y, (size_t)g * j->OC * P);
        if (bn) {
            size_t off = (size_t)b0 * j->OC * P;

            anas__nn_batchnorm_forward_eval(bn->out + off, y, bn->gamma, bn->beta, bn->mean,
                                            bn->var, g, j->OC, P, 0, j->OC, bn->act,
                                            bn->addend ? bn->addend + off : NULL);
        }
    }
}

/* wflip (C, OC, K, K) = weight (OC, C, K, K) with C and OC swapped and
 * the kernel turned by 180 degrees. */
static void flip_weights(float *restrict wflip, const float *restrict weight, int C,
                         int OC, int K)
{
    int KK = K * K;

    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KK; k++)
                wflip[((size_t)c * OC + oc) * KK + (KK - 1 - k)] =
                    weight[((size_t)oc * C + c) * KK + k];
}

/* dx (g, C, H, W) (+)= the input gradient of g samples, as a convolution
 * of dy (g, OC, OH, OW) with the flipped weights (stride 1 only). */
static void dinp_by_flip(const struct conv_job *j, float *dx, const float *dy, float *col,
                         float *tmp, int g)
{
    int HW = j->H * j->W, R = j->OC * j->K * j->K;
    const float *wflip = j->wk->shared;

    /* pad K-1-pad brings the (OH, OW) planes back to (H, W) */
    im2col_group(col, dy, g, j->OC, j->OH, j->OW, j->K, 1, j->K - 1 - j->pad, HW);
    if (j->plan->G == 1) {
        anas_blas_sgemm(0, 0, j->C, HW, R, 1.0f, wflip, R, col, HW, j->acc ? 1.0f : 0.0f,
                        dx, HW);
    } else {
        anas_blas_sgemm(0, 0, j->C, g * HW, R, 1.0f, wflip, R, col, g * HW, 0.0f, tmp,
                        g * HW);
        scatter_to(dx, j->acc, tmp, g, j->C, HW);
    }
}

/* dx (g, C, H, W) (+)= W^T dy of g samples, dy (OC, g*P) gathered. */
static void dinp_by_gemm(const struct conv_job *j, float *dx, const float *dy, float *col,
                         int g)
{
    int P = j->P, HW = j->H * j->W;

    if (g == 1 && is_direct(j->K, j->stride, j->pad)) {
        /* dx (C, P) = W^T (C, OC) dy (OC, P) */
        anas_blas_sgemm(1, 0, j->R, P, j->OC, 1.0f, j->weight, j->R, dy, P,
                        j->acc ? 1.0f : 0.0f, dx, P);
        return;
    }
    /* dcol (R, gP) = W^T (R, OC) dy (OC, gP), then back onto the image */
    anas_blas_sgemm(1, 0, j->R, g * P, j->OC, 1.0f, j->weight, j->R, dy, g * P, 0.0f, col,
                    g * P);
    if (is_direct(j->K, j->stride, j->pad)) {
        scatter_to(dx, j->acc, col, g, j->C, P);
        return;
    }
    if (!j->acc)
        memset(dx, 0, (size_t)g * j->C * HW * sizeof(*dx));
    col2im_group(dx, col, g, j->C, j->H, j->W, j->K, j->stride, j->pad, P);
}

static void gemm_backward_part(void *ctx, int i, int n)
{
    struct conv_job *j = ctx;
    const struct anas__conv_plan *plan = j->plan;
    int G = plan->G, C = j->C, P = j->P, HW = j->H * j->W, lo, hi;
    float *col = anas__nn_work_part(j->wk, i); /* (R, G*P) */
    float *tmp = col + round16(plan->col);     /* (OC, G*P) */
    float *dw = j->dweight, *db = j->dbias;

    if (i > 0) { /* partial sums, reduced by the caller */
        dw = tmp + round16(plan->tmp);
        db = j->dbias ? dw + (size_t)j->OC * j->R : NULL;
        memset(dw, 0, plan->dw * sizeof(*dw));
    }
    samples(j, G, i, n, &lo, &hi);
    for (int b0 = lo; b0 < hi; b0 += G) {
        int g = hi - b0 < G ? hi - b0 : G;
        const float *x = j->inp + (size_t)b0 * C * HW;
        const float *dy = j->dout + (size_t)b0 * j->OC * P; /* (OC, g*P) once gathered */
        int direct = g == 1 && is_direct(j->K, j->stride, j->pad);
        const float *cm = col;

        if (G > 1) {
            gather(tmp, dy, g, j->OC, P);
            dy = tmp;
        }
        bias_grad(db, dy, j->OC, g * P);
        /* dW (OC, R) += dy (OC, gP) col^T (gP, R) */
        if (direct)
            cm = x;
        else if (j->cols)
            cm = j->cols + (size_t)b0 * j->R * P;
        else
            im2col_group(col, x, g, C, j->H, j->W, j->K, j->stride, j->pad, P);
        anas_blas_sgemm(0, 1, j->OC, j->R, g * P, 1.0f, dy, g * P, cm, g * P, 1.0f, dw,
                        j->R);
        if (!j->dinp)
            continue;
        if (plan->flip && !direct)
            dinp_by_flip(j, j->dinp + (size_t)b0 * C * HW,
                         j->dout + (size_t)b0 * j->OC * P, col, tmp, g);
        else
            dinp_by_gemm(j, j->dinp + (size_t)b0 * C * HW, dy, col, g);
    }
}

/* Add the partial weight and bias gradients of threads 1..n-1. */
static void reduce_gemm_grads(const struct conv_job *j, int n)
{
    size_t nw = (size_t)j->OC * j->R;

    for (int i = 1; i < n; i++) {
        const float *p =
            anas__nn_work_part(j->wk, i) + round16(j->plan->col) + round16(j->plan->tmp);
        float *restrict dw = j->dweight;
        const float *restrict s = p;

        ANAS__VFOR(k, nw, dw[k] += s[k]);
        if (j->dbias)
            for (int c = 0; c < j->OC; c++)
                j->dbias[c] += p[nw + c];
    }
}

/* --- Winograd path --- */

/* The three matrices of a thread's part for chunks of T tiles. */
static void wino_buffers(const struct conv_job *j, int i, size_t T, float **V, float **M,
                         float **dU, float **db, float **work)
{
    float *p = anas__nn_work_part(j->wk, i);

    *V = p;                                          /* (36, C, T) */
    *M = *V + round16(P36 * T * j->C);               /* (36, OC, T) */
    *dU = *M + round16(P36 * T * j->OC);             /* (36, OC, C) */
    *db = *dU + round16(P36 * (size_t)j->OC * j->C); /* (OC) */
    *work = *db + round16((size_t)j->OC);
}

/* U (36, OC, C) for filters [lo, hi) of thread i. */
static void wino_weights_part(void *ctx, int i, int n)
{
    struct conv_job *j = ctx;
    size_t nf = (size_t)j->OC * j->C, lo, hi;

    anas_team_split(nf, i, n, 16, &lo, &hi);
    anas_wino_weights(j->wk->shared, j->weight, nf, lo, hi, j->K);
}

static void wino_forward_part(void *ctx, int i, int n)
{
    struct conv_job *j = ctx;
    const struct anas_wino_grid *gr = &j->plan->grid;
    int G = j->plan->wino_G, lo, hi;
    size_t HW = (size_t)j->H * j->W, OHW = (size_t)j->OH * j->OW;
    size_t nf = (size_t)j->OC * j->C;
    float *V, *M, *dU, *db, *work;

    wino_buffers(j, i, (size_t)G * gr->nt, &V, &M, &dU, &db, &work);
    samples(j, G, i, n, &lo, &hi);
    for (int b0 = lo; b0 < hi; b0 += G) {
        int g = hi - b0 < G ? hi - b0 : G;
        size_t T = (size_t)g * gr->nt;

        anas_wino_input(V, T, j->C * T, j->inp + (size_t)b0 * j->C * HW, g, j->C, gr,
                        work);
        for (int p = 0; p < P36; p++)
            anas_blas_sgemm(0, 0, j->OC, (int)T, j->C, 1.0f, j->wk->shared + p * nf, j->C,
                            V + p * j->C * T, (int)T, 0.0f, M + p * j->OC * T, (int)T);
        anas_wino_output(j->out + (size_t)b0 * j->OC * OHW, M, T, j->OC * T, g, j->OC, gr,
                         j->bias, work);
        anas__nn_act_inplace(j->act, j->out + (size_t)b0 * j->OC * OHW, g * j->OC * OHW);
    }
}

static void wino_backward_part(void *ctx, int i, int n)
{
    struct conv_job *j = ctx;
    const struct anas_wino_grid *gr = &j->plan->grid;
    int G = j->plan->wino_G, C = j->C, OC = j->OC, lo, hi;
    size_t HW = (size_t)j->H * j->W, OHW = (size_t)j->OH * j->OW, nf = (size_t)OC * C;
    float *V, *dM, *dU, *db, *work;

    wino_buffers(j, i, (size_t)G * gr->nt, &V, &dM, &dU, &db, &work);
    memset(dU, 0, P36 * nf * sizeof(*dU));
    memset(db, 0, (size_t)OC * sizeof(*db));
    samples(j, G, i, n, &lo, &hi);
    for (int b0 = lo; b0 < hi; b0 += G) {
        int g = hi - b0 < G ? hi - b0 : G;
        size_t T = (size_t)g * gr->nt;
        const float *dy = j->dout + (size_t)b0 * OC * OHW;

        if (j->dbias)
            for (int s = 0; s < g; s++)
                bias_grad(db, dy + (size_t)s * OC * OHW, OC, (int)OHW);
        anas_wino_input(V, T, C * T, j->inp + (size_t)b0 * C * HW, g, C, gr, work);
        anas_wino_dout(dM, T, OC * T, dy, g, OC, gr, work);
        /* dU[p] (OC, C) += dM[p] (OC, T) V[p]^T (T, C) */
        for (int p = 0; p < P36; p++)
            anas_blas_sgemm(0, 1, OC, C, (int)T, 1.0f, dM + p * OC * T, (int)T,
                            V + p * C * T, (int)T, 1.0f, dU + p * nf, C);
        if (!j->dinp)
            continue;
        /* dV[p] (C, T) = U[p]^T (C, OC) dM[p] (OC, T), into V */
        for (int p = 0; p < P36; p++)
            anas_blas_sgemm(1, 0, C, (int)T, OC, 1.0f, j->wk->shared + p * nf, C,
                            dM + p * OC * T, (int)T, 0.0f, V + p * C * T, (int)T);
        anas_wino_dinput(j->dinp + (size_t)b0 * C * HW, j->acc, V, T, C * T, g, C, gr,
                         work);
    }
}

/* Sum the threads' dU over filters [lo, hi) into thread 0's, and add its
 * transform to the weight gradient. */
static void wino_reduce_part(void *ctx, int i, int n)
{
    struct conv_job *j = ctx;
    size_t nf = (size_t)j->OC * j->C, T = (size_t)j->plan->wino_G * j->plan->grid.nt;
    int nt = anas_team_size(j->wk->team);
    float *V, *M, *dU0, *db, *work, *dUk;
    size_t lo, hi;

    anas_team_split(nf, i, n, 16, &lo, &hi);
    wino_buffers(j, 0, T, &V, &M, &dU0, &db, &work);
    for (int k = 1; k < nt; k++) {
        wino_buffers(j, k, T, &V, &M, &dUk, &db, &work);
        for (int p = 0; p < P36; p++) {
            float *restrict d = dU0 + p * nf + lo;
            const float *restrict s = dUk + p * nf + lo;

            ANAS__VFOR(f, hi - lo, d[f] += s[f]);
        }
    }
    anas_wino_dweights(j->dweight, dU0, nf, lo, hi, j->K);
}

static void wino_reduce_bias(const struct conv_job *j, int n)
{
    size_t T = (size_t)j->plan->wino_G * j->plan->grid.nt;
    float *V, *M, *dU, *db, *work;

    if (!j->dbias)
        return;
    for (int i = 0; i < n; i++) {
        wino_buffers(j, i, T, &V, &M, &dU, &db, &work);
        for (int c = 0; c < j->OC; c++)
            j->dbias[c] += db[c];
    }
}

/* --- entry points --- */

int anas__nn_conv2d_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *cols,
                            const struct anas__nn_work *wk,
                            const struct anas__conv_plan *plan, int B, int C, int H,
                            int W, int OC, int K, int stride, int pad, enum anas_op act,
                            const struct anas__nn_mvm_call *mc)
{
    struct conv_job j;

    job_init(&j, plan, wk, B, C, H, W, OC, K, stride, pad);
    j.out = out, j.inp = inp, j.weight = weight, j.bias = bias, j.mc = mc;
    j.cols = plan->keep ? cols : NULL;
    j.act = act;
    if (mc) {
        /* the override runs its products in order, on this thread */
        gemm_forward_part(&j, 0, 1);
        return j.rc[0];
    }
    if (plan->algo == ANAS__CONV_WINO) {
        anas_team_run(wk->team, wino_weights_part, &j);
        anas_team_run(wk->team, wino_forward_part, &j);
    } else {
        anas_team_run(wk->team, gemm_forward_part, &j);
    }
    return 0;
}

void anas__nn_conv2d_backward(float *dinp, int acc, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *cols, const struct anas__nn_work *wk,
                              const struct anas__conv_plan *plan, int B, int C, int H,
                              int W, int OC, int K, int stride, int pad)
{
    struct conv_job j;
    int n = anas_team_size(wk->team);

    job_init(&j, plan, wk, B, C, H, W, OC, K, stride, pad);
    j.dinp = dinp, j.acc = acc, j.dweight = dweight, j.dbias = dbias;
    j.dout = dout, j.inp = inp, j.weight = weight;
    j.cols = plan->keep ? (float *)cols : NULL; /* only read */
    if (plan->algo == ANAS__CONV_WINO) {
        if (dinp)
            anas_team_run(wk->team, wino_weights_part, &j);
        anas_team_run(wk->team, wino_backward_part, &j);
        anas_team_run(wk->team, wino_reduce_part, &j);
        wino_reduce_bias(&j, n);
        return;
    }
    if (dinp && plan->flip)
        flip_weights(wk->shared, weight, C, OC, K);
    anas_team_run(wk->team, gemm_backward_part, &j);
    reduce_gemm_grads(&j, n);
}

/* Fill each of the C planes of P pixels of g samples with bias[c] (or 0). */
static void fill_bias(float *restrict y, const float *restrict bias, int g, int C, int P)
{
    for (int j = 0; j < g; j++)
        for (int c = 0; c < C; c++) {
            float *restrict d = y + ((size_t)j * C + c) * P;
            float b = bias ? bias[c] : 0.0f;

            ANAS__VFOR(p, (size_t)P, d[p] = b);
        }
}

void anas__nn_convt2d_forward(float *out, const float *inp, const float *weight,
                              const float *bias, const struct anas__nn_work *wk,
                              const struct anas__conv_plan *plan, int B, int C, int H,
                              int W, int OC, int K, int stride, int pad, int out_pad)
{
    int OH = (H - 1) * stride - 2 * pad + K + out_pad;
    int OW = (W - 1) * stride - 2 * pad + K + out_pad;
    int P = H * W, R = OC * K * K;
    float *col = anas__nn_work_part(wk, 0); /* (R, G*P) */
    float *tmp = col + round16(plan->col);  /* (C, G*P) */

    for (int b0 = 0; b0 < B; b0 += plan->G) {
        int g = B - b0 < plan->G ? B - b0 : plan->G;
        const float *x = inp + (size_t)b0 * C * P; /* (C, g*P) once gathered */
        float *y = out + (size_t)b0 * OC * OH * OW;

        if (plan->G > 1) {
            gather(tmp, x, g, C, P);
            x = tmp;
        }
        /* col (R, gP) = W^T (R, C) x (C, gP) */
        anas_blas_sgemm(1, 0, R, g * P, C, 1.0f, weight, R, x, g * P, 0.0f, col, g * P);
        fill_bias(y, bias, g, OC, OH * OW);
        col2im_group(y, col, g, OC, OH, OW, K, stride, pad, P);
    }
}

void anas__nn_convt2d_backward(float *dinp, int acc, float *dweight, float *dbias,
                               const float *dout, const float *inp, const float *weight,
                               const struct anas__nn_work *wk,
                               const struct anas__conv_plan *plan, int B, int C, int H,
                               int W, int OC, int K, int stride, int pad, int out_pad)
{
    int OH = (H - 1) * stride - 2 * pad + K + out_pad;
    int OW = (W - 1) * stride - 2 * pad + K + out_pad;
    int P = H * W, R = OC * K * K;
    float *col = anas__nn_work_part(wk, 0); /* (R, G*P) */
    float *tmp = col + round16(plan->col);  /* (C, G*P) */

    for (int b0 = 0; b0 < B; b0 += plan->G) {
        int g = B - b0 < plan->G ? B - b0 : plan->G;
        const float *x = inp + (size_t)b0 * C * P;
        const float *dy = dout + (size_t)b0 * OC * OH * OW;

        for (int j = 0; j < g; j++)
            bias_grad(dbias, dy + (size_t)j * OC * OH * OW, OC, OH * OW);
        im2col_group(col, dy, g, OC, OH, OW, K, stride, pad, P);
        if (plan->G > 1) {
            gather(tmp, x, g, C, P);
            x = tmp;
        }
        /* dW (C, R) += x (C, gP) col^T (gP, R) */
        anas_blas_sgemm(0, 1, C, R, g * P, 1.0f, x, g * P, col, g * P, 1.0f, dweight, R);
        if (!dinp)
            continue;
        /* dx (C, gP) = W (C, R) col (R, gP) */
        if (plan->G == 1) {
            anas_blas_sgemm(0, 0, C, P, R, 1.0f, weight, R, col, P, acc ? 1.0f : 0.0f,
                            dinp + (size_t)b0 * C * P, P);
        } else {
            anas_blas_sgemm(0, 0, C, g * P, R, 1.0f, weight, R, col, g * P, 0.0f, tmp,
                            g * P);
            scatter_to(dinp + (size_t)b0 * C * P, acc, tmp, g, C, P);
        }
    }
}
