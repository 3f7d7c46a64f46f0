/*
 * winograd.h - the transforms of Winograd's minimal filtering algorithms
 * F(4x4, 3x3) and F(2x2, 5x5), which turn a 3x3 (5x5) stride-1 convolution
 * into 36 independent matrix products with 4x (2.8x) fewer multiplications
 * than im2col's one.
 *
 * The output is cut in m x m tiles (m = 4, 2); tile t reads the 6x6 input
 * patch d that starts at (m*th - pad, m*tw - pad) (zeros outside the
 * image). With the matrices B^T (6x6), G (6xK) and A^T (mx6) of Lavin and
 * Gray (interpolation points 0, +-1, +-2 and infinity, shared by both):
 *
 *     U = G g G^T             weights, per (oc, c)       (6x6)
 *     V = B^T d B             input, per (c, tile)       (6x6)
 *     M[p] = U[p] V[p]        per position p of the 36:  (OC, C) (C, T)
 *     Y = A^T M A             output tile, per (oc, tile) (m x m)
 *
 * so that a convolution is 36 sgemms between transforms. Backward follows
 * by transposition: with dM = A dY A^T, the weight gradient is
 * G^T (sum over tiles of dM[p] V[p]) G and the input gradient the sum over
 * the overlapping patches of B dV B^T, dV[p] = U[p]^T dM[p].
 *
 * Transformed data is stored position-major: for P positions, R rows (the
 * channels) and T tiles, element (p, r, t) is at p*pstride + r*ld + t,
 * so that each position is a row-major (R, T) matrix for sgemm. A chunk of
 * g samples has T = g * nt tiles, sample j's tiles at j*nt + th*tw_n + tw.
 * The transforms run along tiles, which makes their loops vectorise.
 */
#ifndef ANAS_TENSOR_WINOGRAD_H
#define ANAS_TENSOR_WINOGRAD_H

#include <stddef.h>

#define ANAS_WINO_POS 36 /* positions of a 6x6 transformed tile */

/* The tile grid of one plane: input (H, W), output (OH, OW) of a KxK
 * stride-1 convolution with padding pad, th_n x tw_n tiles of m x m:
 * F(4x4, 3x3) for K = 3, F(2x2, 5x5) for K = 5. */
struct anas_wino_grid {
    int K, m;
    int H, W, pad, OH, OW;
    int th_n, tw_n, nt; /* tiles down, across, per plane */
};

/* K: 3 or 5. */
void anas_wino_grid_init(struct anas_wino_grid *gr, int H, int W, int pad, int K);

/* Floats of work area the data transforms need for chunks of T tiles. */
size_t anas_wino_work(const struct anas_wino_grid *gr, size_t T);

/* U (36, nf) = G w G^T for the KxK filters [lo, hi) of w (nf, K, K), nf
 * = OC * C: U's position p is the (OC, C) matrix at U + p * nf. */
void anas_wino_weights(float *U, const float *w, size_t nf, size_t lo, size_t hi, int K);

/* dw (nf, K, K) += G^T dU G for the filters [lo, hi) of dU (36, nf). */
void anas_wino_dweights(float *dw, const float *dU, size_t nf, size_t lo, size_t hi,
                        int K);

/* V (36, C, T) rows ld, from g samples x (g, C, H, W). */
void anas_wino_input(float *V, size_t ld, size_t pstride, const float *x, int g, int C,
                     const struct anas_wino_grid *gr, float *work);

/* y (g, OC, OH, OW) = A^T M A (+ bias[oc] when bias is not NULL), from M
 * (36, OC, T). */
void anas_wino_output(float *y, const float *M, size_t ld, size_t pstride, int g, int OC,
                      const struct anas_wino_grid *gr, const float *bias, float *work);

/* dM (36, OC, T) = A dY A^T from dy (g, OC, OH, OW). */
void anas_wino_dout(float *dM, size_t ld, size_t pstride, const float *dy, int g, int OC,
                    const struct anas_wino_grid *gr, float *work);

/* dx (g, C, H, W) += (acc) or = (!acc) the sum over patches of B dV B^T,
 * from dV (36, C, T). */
void anas_wino_dinput(float *dx, int acc, const float *dV, size_t ld, size_t pstride,
                      int g, int C, const struct anas_wino_grid *gr, float *work);

/* The transforms behind the four above, for tests: the portable C ones,
 * and whether the AVX-512 ones (same results, bit for bit) serve a grid on
 * this CPU: F(4x4, 3x3) on planes up to 32 wide with tw_n <= 7, th_n <= 8. */
int anas__wino_fast(const struct anas_wino_grid *gr);
void anas__wino_input_portable(float *V, size_t ld, size_t pstride, const float *x, int g,
                               int C, const struct anas_wino_grid *gr, float *work);
void anas__wino_output_portable(float *y, const float *M, size_t ld, size_t pstride,
                                int g, int OC, const struct anas_wino_grid *gr,
                                const float *bias, float *work);
void anas__wino_dout_portable(float *dM, size_t ld, size_t pstride, const float *dy,
                              int g, int OC, const struct anas_wino_grid *gr,
                              float *work);
void anas__wino_dinput_portable(float *dx, int acc, const float *dV, size_t ld,
                                size_t pstride, int g, int C,
                                const struct anas_wino_grid *gr, float *work);

#endif
