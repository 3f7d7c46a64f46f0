/*
 * winograd.c - F(4x4, 3x3) and F(2x2, 5x5) transforms (see winograd.h).
 *
 * Every 2D transform is two passes of a 1D one, first along the tile's
 * columns, then along its rows, each pass a handful of vector operations
 * over all T tiles of a chunk at once (one array per tile element). Only
 * the moves between images and those arrays are strided: the input goes
 * through a zero-padded copy of its plane, so that gathering the patches
 * needs no bounds tests, and the overlapping patches of the input gradient
 * are added up in such a plane before it is written back.
 *
 * The 1D transforms, with shared subexpressions (Lavin and Gray, 2016):
 *   B^T d: 4d0 - 5d2 + d4, -4(d1 + d2) + d3 + d4, 4(d1 - d2) - d3 + d4,
 *          -2(d1 - d3) - d2 + d4, 2(d1 - d3) - d2 + d4, 4d1 - 5d3 + d5
 *   A^T m: m0 + m1 + m2 + m3 + m4, (m1 - m2) + 2(m3 - m4),
 *          (m1 + m2) + 4(m3 + m4), (m1 - m2) + 8(m3 - m4) + m5
 *   G g:   g0/4, -(g0 + g1 + g2)/6, -(g0 - g1 + g2)/6,
 *          g0/24 + g1/12 + g2/6, g0/24 - g1/12 + g2/6, g2
 * and their transposes for backward. F(2x2, 5x5) has the same six points,
 * hence the same B^T; its A^T is the first two rows of the above with the
 * last row's infinity term (m5) moved to the second, and its G evaluates
 * the 5-tap filter at the points with the same scale factors.
 */
#include "config.h"

#include "tensor/winograd.h"

#include <string.h>

#include "tensor/vec.h"

void anas_wino_grid_init(struct anas_wino_grid *gr, int H, int W, int pad, int K)
{
    gr->K = K;
    gr->m = K == 5 ? 2 : 4;
    gr->H = H;
    gr->W = W;
    gr->pad = pad;
    gr->OH = H + 2 * pad - K + 1;
    gr->OW = W + 2 * pad - K + 1;
    gr->th_n = (gr->OH + gr->m - 1) / gr->m;
    gr->tw_n = (gr->OW + gr->m - 1) / gr->m;
    gr->nt = gr->th_n * gr->tw_n;
}

/* The padded plane: (m*th_n + K - 1, m*tw_n + K - 1), which holds every
 * patch. */
static size_t plane_rows(const struct anas_wino_grid *gr)
{
    return (size_t)gr->m * gr->th_n + gr->K - 1;
}

static size_t plane_cols(const struct anas_wino_grid *gr)
{
    return (size_t)gr->m * gr->tw_n + gr->K - 1;
}

size_t anas_wino_work(const struct anas_wino_grid *gr, size_t T)
{
    return plane_rows(gr) * plane_cols(gr) + 2 * ANAS_WINO_POS * T;
}

/* --- 1D transforms over n lanes: o_k[i] from d_j[i]. The arrays of a
 * call are distinct (restrict). --- */

ANAS__INLINE void bt6(float *restrict o0, float *restrict o1, float *restrict o2,
                      float *restrict o3, float *restrict o4, float *restrict o5,
                      const float *restrict d0, const float *restrict d1,
                      const float *restrict d2, const float *restrict d3,
                      const float *restrict d4, const float *restrict d5, size_t n)
{
    ANAS__VFOR(i, n, float a = d0[i]; float b = d1[i]; float c = d2[i]; float d = d3[i];
               float e = d4[i]; float t1 = e - 4.0f * c; float t2 = d - 4.0f * b;
               float t3 = e - c; float t4 = 2.0f * (d - b);
               o0[i] = 4.0f * a - 5.0f * c + e; o1[i] = t1 + t2; o2[i] = t1 - t2;
               o3[i] = t3 + t4; o4[i] = t3 - t4; o5[i] = 4.0f * b - 5.0f * d + d5[i]);
}

ANAS__INLINE void at6(float *restrict o0, float *restrict o1, float *restrict o2,
                      float *restrict o3, const float *restrict d0,
                      const float *restrict d1, const float *restrict d2,
                      const float *restrict d3, const float *restrict d4,
                      const float *restrict d5, size_t n)
{
    ANAS__VFOR(i, n, float b = d1[i]; float c = d2[i]; float d = d3[i]; float e = d4[i];
               float s1 = b + c; float s2 = d + e; float m1 = b - c; float m2 = d - e;
               o0[i] = d0[i] + s1 + s2; o1[i] = m1 + 2.0f * m2; o2[i] = s1 + 4.0f * s2;
               o3[i] = m1 + 8.0f * m2 + d5[i]);
}

/* A: the transpose of A^T, 4 values to 6. */
ANAS__INLINE void a6(float *restrict o0, float *restrict o1, float *restrict o2,
                     float *restrict o3, float *restrict o4, float *restrict o5,
                     const float *restrict d0, const float *restrict d1,
                     const float *restrict d2, const float *restrict d3, size_t n)
{
    ANAS__VFOR(i, n, float a = d0[i]; float b = d1[i]; float c = d2[i]; float d = d3[i];
               float s = a + c; float t = b + d; float u = a + 4.0f * c;
               float v = 2.0f * b + 8.0f * d; o0[i] = a; o1[i] = s + t; o2[i] = s - t;
               o3[i] = u + v; o4[i] = u - v; o5[i] = d);
}

/* B: the transpose of B^T, 6 values to 6. */
ANAS__INLINE void b6(float *restrict o0, float *restrict o1, float *restrict o2,
                     float *restrict o3, float *restrict o4, float *restrict o5,
                     const float *restrict d0, const float *restrict d1,
                     const float *restrict d2, const float *restrict d3,
                     const float *restrict d4, const float *restrict d5, size_t n)
{
    ANAS__VFOR(i, n, float a = d0[i]; float f = d5[i]; float p = d1[i] + d2[i];
               float q = d1[i] - d2[i]; float r = d3[i] + d4[i]; float s = d3[i] - d4[i];
               o0[i] = 4.0f * a; o1[i] = -4.0f * q - 2.0f * s + 4.0f * f;
               o2[i] = -5.0f * a - 4.0f * p - r; o3[i] = q + 2.0f * s - 5.0f * f;
               o4[i] = a + p + r; o5[i] = f);
}

/* F(2x2, 5x5)'s A^T: 6 values to 2 (at6's first rows, the infinity term
 * in the second). */
ANAS__INLINE void at2(float *restrict o0, float *restrict o1, const float *restrict d0,
                      const float *restrict d1, const float *restrict d2,
                      const float *restrict d3, const float *restrict d4,
                      const float *restrict d5, size_t n)
{
    ANAS__VFOR(i, n, float b = d1[i]; float c = d2[i]; float d = d3[i]; float e = d4[i];
               float s1 = b + c; float s2 = d + e; float m1 = b - c; float m2 = d - e;
               o0[i] = d0[i] + s1 + s2; o1[i] = m1 + 2.0f * m2 + d5[i]);
}

/* ... and its transpose: 2 values to 6. */
ANAS__INLINE void a2(float *restrict o0, float *restrict o1, float *restrict o2,
                     float *restrict o3, float *restrict o4, float *restrict o5,
                     const float *restrict d0, const float *restrict d1, size_t n)
{
    ANAS__VFOR(i, n, float a = d0[i]; float b = d1[i]; float t = 2.0f * b; o0[i] = a;
               o1[i] = a + b; o2[i] = a - b; o3[i] = a + t; o4[i] = a - t; o5[i] = b);
}

/* --- weights --- */

/* G: the filter's values at the six points, scaled to match B^T. */
static const float G3[6][3] = {
    {1.0f / 4, 0.0f, 0.0f},
    {-1.0f / 6, -1.0f / 6, -1.0f / 6},
    {-1.0f / 6, 1.0f / 6, -1.0f / 6},
    {1.0f / 24, 1.0f / 12, 1.0f / 6},
    {1.0f / 24, -1.0f / 12, 1.0f / 6},
    {0.0f, 0.0f, 1.0f},
};

static const float G5[6][5] = {
    {1.0f / 4, 0.0f, 0.0f, 0.0f, 0.0f},
    {-1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6},
    {-1.0f / 6, 1.0f / 6, -1.0f / 6, 1.0f / 6, -1.0f / 6},
    {1.0f / 24, 2.0f / 24, 4.0f / 24, 8.0f / 24, 16.0f / 24},
    {1.0f / 24, -2.0f / 24, 4.0f / 24, -8.0f / 24, 16.0f / 24},
    {0.0f, 0.0f, 0.0f, 0.0f, 1.0f},
};

/* G's entry (a, j) for K-tap filters. */
static float gval(int K, int a, int j)
{
    return K == 5 ? G5[a][j] : G3[a][j];
}

void anas_wino_weights(float *U, const float *w, size_t n, size_t lo, size_t hi, int K)
{
    for (size_t i = lo; i < hi; i++) {
        const float *g = w + i * K * K;
        float t[6][5];

        for (int a = 0; a < 6; a++)
            for (int j = 0; j < K; j++) {
                float v = 0.0f;

                for (int k = 0; k < K; k++)
                    v += gval(K, a, k) * g[k * K + j];
                t[a][j] = v;
            }
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) {
                float v = 0.0f;

                for (int j = 0; j < K; j++)
                    v += t[a][j] * gval(K, b, j);
                U[(size_t)(a * 6 + b) * n + i] = v;
            }
    }
}

void anas_wino_dweights(float *dw, const float *dU, size_t n, size_t lo, size_t hi, int K)
{
    for (size_t i = lo; i < hi; i++) {
        float t[5][6];
        float *g = dw + i * K * K;

        /* t = G^T dU, then g += t G */
        for (int r = 0; r < K; r++)
            for (int b = 0; b < 6; b++) {
                float s = 0.0f;

                for (int a = 0; a < 6; a++)
                    s += gval(K, a, r) * dU[(size_t)(a * 6 + b) * n + i];
                t[r][b] = s;
            }
        for (int r = 0; r < K; r++)
            for (int s = 0; s < K; s++) {
                float v = 0.0f;

                for (int b = 0; b < 6; b++)
                    v += t[r][b] * gval(K, b, s);
                g[r * K + s] += v;
            }
    }
}

/* --- data --- */

/* Copy plane x (H, W) into the zeroed padded plane P at (pad, pad). */
ANAS__INLINE void pad_plane(float *restrict P, const float *restrict x,
                            const struct anas_wino_grid *gr)
{
    size_t PW = plane_cols(gr);

    memset(P, 0, plane_rows(gr) * PW * sizeof(*P));
    for (int h = 0; h < gr->H; h++)
        memcpy(P + (size_t)(h + gr->pad) * PW + gr->pad, x + (size_t)h * gr->W,
               (size_t)gr->W * sizeof(*P));
}

/* D[(i*6 + m)*T + t0 + t] = patch element (i, m) of the plane's tiles. */
ANAS__INLINE void gather_patches(float *restrict D, size_t T, size_t t0,
                                 const float *restrict P, const struct anas_wino_grid *gr)
{
    size_t PW = plane_cols(gr);

    for (int i = 0; i < 6; i++)
        for (int m = 0; m < 6; m++) {
            float *restrict d = D + (size_t)(i * 6 + m) * T + t0;

            for (int th = 0; th < gr->th_n; th++) {
                const float *restrict s = P + (size_t)(gr->m * th + i) * PW + m;

                for (int tw = 0; tw < gr->tw_n; tw++)
                    d[tw] = s[gr->m * tw];
                d += gr->tw_n;
            }
        }
}

ANAS__SIMD
void anas__wino_input_portable(float *V, size_t ld, size_t pstride, const float *x, int g,
                               int C, const struct anas_wino_grid *gr, float *work)
{
    size_t T = (size_t)g * gr->nt, HW = (size_t)gr->H * gr->W;
    float *P = work, *D = P + plane_rows(gr) * plane_cols(gr), *E = D + 36 * T;

    for (int c = 0; c < C; c++) {
        for (int j = 0; j < g; j++) {
            pad_plane(P, x + ((size_t)j * C + c) * HW, gr);
            gather_patches(D, T, (size_t)j * gr->nt, P, gr);
        }
        /* along each patch row i, then down each column l */
        for (int i = 0; i < 6; i++) {
            const float *d = D + (size_t)i * 6 * T;
            float *e = E + (size_t)i * 6 * T;

            bt6(e, e + T, e + 2 * T, e + 3 * T, e + 4 * T, e + 5 * T, d, d + T, d + 2 * T,
                d + 3 * T, d + 4 * T, d + 5 * T, T);
        }
        for (int l = 0; l < 6; l++) {
            float *v = V + (size_t)l * pstride + (size_t)c * ld;
            const float *e = E + (size_t)l * T;

            bt6(v, v + 6 * pstride, v + 12 * pstride, v + 18 * pstride, v + 24 * pstride,
                v + 30 * pstride, e, e + 6 * T, e + 12 * T, e + 18 * T, e + 24 * T,
                e + 30 * T, T);
        }
    }
}

/* F (m, m, T) to the output tiles of g planes (rows of y OW apart, planes
 * OC*OH*OW apart), plus bv, cropped at the plane's edges. */
ANAS__INLINE void scatter_tiles(float *restrict y, const float *restrict F, size_t T,
                                int g, size_t plane, float bv,
                                const struct anas_wino_grid *gr)
{
    int m = gr->m;

    for (int j = 0; j < g; j++)
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++) {
                const float *restrict f =
                    F + (size_t)(a * m + b) * T + (size_t)j * gr->nt;
                int n = (gr->OW - b + m - 1) / m; /* tiles with column b inside */

                for (int th = 0; th < gr->th_n && m * th + a < gr->OH; th++) {
                    float *restrict row =
                        y + j * plane + (size_t)(m * th + a) * gr->OW + b;

                    for (int tw = 0; tw < n; tw++)
                        row[m * tw] = f[th * gr->tw_n + tw] + bv;
                }
            }
}

ANAS__SIMD
void anas__wino_output_portable(float *y, const float *M, size_t ld, size_t pstride,
                                int g, int OC, const struct anas_wino_grid *gr,
                                const float *bias, float *work)
{
    size_t T = (size_t)g * gr->nt, OHW = (size_t)gr->OH * gr->OW;
    size_t m = (size_t)gr->m;
    float *E = work, *F = E + 24 * T; /* E (m, 6, T), F (m, m, T) */

    for (int oc = 0; oc < OC; oc++) {
        float bv = bias ? bias[oc] : 0.0f;

        /* A^T down each column l, then along each row a */
        for (int l = 0; l < 6; l++) {
            const float *v = M + (size_t)l * pstride + (size_t)oc * ld;
            float *e = E + (size_t)l * T;

            if (m == 4)
                at6(e, e + 6 * T, e + 12 * T, e + 18 * T, v, v + 6 * pstride,
                    v + 12 * pstride, v + 18 * pstride, v + 24 * pstride,
                    v + 30 * pstride, T);
            else
                at2(e, e + 6 * T, v, v + 6 * pstride, v + 12 * pstride, v + 18 * pstride,
                    v + 24 * pstride, v + 30 * pstride, T);
        }
        for (size_t a = 0; a < m; a++) {
            const float *e = E + a * 6 * T;
            float *f = F + a * m * T;

            if (m == 4)
                at6(f, f + T, f + 2 * T, f + 3 * T, e, e + T, e + 2 * T, e + 3 * T,
                    e + 4 * T, e + 5 * T, T);
            else
                at2(f, f + T, e, e + T, e + 2 * T, e + 3 * T, e + 4 * T, e + 5 * T, T);
        }
        scatter_tiles(y + (size_t)oc * OHW, F, T, g, (size_t)OC * OHW, bv, gr);
    }
}

/* The output tiles of g planes of dy into D (m, m, T), zeros past the
 * plane's edges. */
ANAS__INLINE void gather_tiles(float *restrict D, const float *restrict dy, size_t T,
                               int g, size_t plane, const struct anas_wino_grid *gr)
{
    int m = gr->m;

    if (gr->OH % m || gr->OW % m) /* tiles hanging over the edge read zeros */
        memset(D, 0, (size_t)m * m * T * sizeof(*D));
    for (int j = 0; j < g; j++)
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++) {
                float *restrict d = D + (size_t)(a * m + b) * T + (size_t)j * gr->nt;
                int n = (gr->OW - b + m - 1) / m;

                for (int th = 0; th < gr->th_n && m * th + a < gr->OH; th++) {
                    const float *restrict row =
                        dy + j * plane + (size_t)(m * th + a) * gr->OW + b;

                    for (int tw = 0; tw < n; tw++)
                        d[th * gr->tw_n + tw] = row[m * tw];
                }
            }
}

ANAS__SIMD
void anas__wino_dout_portable(float *dM, size_t ld, size_t pstride, const float *dy,
                              int g, int OC, const struct anas_wino_grid *gr, float *work)
{
    size_t T = (size_t)g * gr->nt, OHW = (size_t)gr->OH * gr->OW;
    size_t m = (size_t)gr->m;
    float *D = work, *E = D + 16 * T; /* D (m, m, T), E (6, m, T) */

    for (int oc = 0; oc < OC; oc++) {
        gather_tiles(D, dy + (size_t)oc * OHW, T, g, (size_t)OC * OHW, gr);
        /* A dY: down each column b, then A^T along each row */
        for (size_t b = 0; b < m; b++) {
            const float *d = D + b * T;
            float *e = E + b * T;

            if (m == 4)
                a6(e, e + 4 * T, e + 8 * T, e + 12 * T, e + 16 * T, e + 20 * T, d,
                   d + 4 * T, d + 8 * T, d + 12 * T, T);
            else
                a2(e, e + 2 * T, e + 4 * T, e + 6 * T, e + 8 * T, e + 10 * T, d,
                   d + 2 * T, T);
        }
        for (int k = 0; k < 6; k++) {
            const float *e = E + (size_t)k * m * T;
            float *v = dM + (size_t)k * 6 * pstride + (size_t)oc * ld;

            if (m == 4)
                a6(v, v + pstride, v + 2 * pstride, v + 3 * pstride, v + 4 * pstride,
                   v + 5 * pstride, e, e + T, e + 2 * T, e + 3 * T, T);
            else
                a2(v, v + pstride, v + 2 * pstride, v + 3 * pstride, v + 4 * pstride,
                   v + 5 * pstride, e, e + T, T);
        }
    }
}

/* Add the plane's patches F[(i*6 + m)*T + t0 + t] into the padded plane P,
 * tile row by tile row (the order anas__wino512's vectors add in). */
ANAS__INLINE void scatter_patches(float *restrict P, const float *restrict F, size_t T,
                                  size_t t0, const struct anas_wino_grid *gr)
{
    size_t PW = plane_cols(gr);

    for (int th = 0; th < gr->th_n; th++)
        for (int i = 0; i < 6; i++)
            for (int m = 0; m < 6; m++) {
                const float *restrict f =
                    F + (size_t)(i * 6 + m) * T + t0 + th * gr->tw_n;
                float *restrict d = P + (size_t)(gr->m * th + i) * PW + m;

                for (int tw = 0; tw < gr->tw_n; tw++)
                    d[gr->m * tw] += f[tw];
            }
}

/* dx (H, W) (+)= the inside of the padded plane P. */
ANAS__INLINE void unpad_plane(float *restrict dx, int acc, const float *restrict P,
                              const struct anas_wino_grid *gr)
{
    size_t PW = plane_cols(gr), W = (size_t)gr->W;

    for (int h = 0; h < gr->H; h++) {
        const float *restrict s = P + (size_t)(h + gr->pad) * PW + gr->pad;
        float *restrict d = dx + (size_t)h * W;

        if (acc)
            ANAS__VFOR(w, W, d[w] += s[w]);
        else
            memcpy(d, s, W * sizeof(*d));
    }
}

ANAS__SIMD
void anas__wino_dinput_portable(float *dx, int acc, const float *dV, size_t ld,
                                size_t pstride, int g, int C,
                                const struct anas_wino_grid *gr, float *work)
{
    size_t T = (size_t)g * gr->nt, HW = (size_t)gr->H * gr->W;
    float *P = work, *E = P + plane_rows(gr) * plane_cols(gr), *F = E + 36 * T;

    for (int c = 0; c < C; c++) {
        /* B dV: down each column l, then B^T's transpose along each row */
        for (int l = 0; l < 6; l++) {
            const float *v = dV + (size_t)l * pstride + (size_t)c * ld;
            float *e = E + (size_t)l * T;

            b6(e, e + 6 * T, e + 12 * T, e + 18 * T, e + 24 * T, e + 30 * T, v,
               v + 6 * pstride, v + 12 * pstride, v + 18 * pstride, v + 24 * pstride,
               v + 30 * pstride, T);
        }
        for (int i = 0; i < 6; i++) {
            const float *e = E + (size_t)i * 6 * T;
            float *f = F + (size_t)i * 6 * T;

            b6(f, f + T, f + 2 * T, f + 3 * T, f + 4 * T, f + 5 * T, e, e + T, e + 2 * T,
               e + 3 * T, e + 4 * T, e + 5 * T, T);
        }
        for (int j = 0; j < g; j++) {
            memset(P, 0, plane_rows(gr) * plane_cols(gr) * sizeof(*P));
            scatter_patches(P, F, T, (size_t)j * gr->nt, gr);
            unpad_plane(dx + ((size_t)j * C + c) * HW, acc, P, gr);
        }
    }
}

/* --- AVX-512: the same transforms with tiles along a row in the lanes --- *
 *
 * The portable transforms spend most of their time moving single floats
 * between planes and tile arrays (stride m both ways). Here a plane row
 * (up to 32 floats, two registers) goes through permutes instead: one
 * vector per patch column c holds element m*tw + c of every tile tw of
 * the row (tiles along the lanes), and the way back interleaves vectors
 * into a row. The arithmetic is the portable code's, in the same order,
 * so both give the same bits. */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                   \
    !defined(ANAS_NO_CLONES)
#define WINO512 1
#endif

#ifdef WINO512
#include <immintrin.h>

#define Z  static inline __attribute__((target("avx512f"), always_inline))
#define ZF static __attribute__((target("avx512f")))

Z __m512 vset(float v)
{
    return _mm512_set1_ps(v);
}

Z void bt6v(const __m512 *d, __m512 *o)
{
    __m512 t1 = _mm512_sub_ps(d[4], _mm512_mul_ps(vset(4.0f), d[2]));
    __m512 t2 = _mm512_sub_ps(d[3], _mm512_mul_ps(vset(4.0f), d[1]));
    __m512 t3 = _mm512_sub_ps(d[4], d[2]);
    __m512 t4 = _mm512_mul_ps(vset(2.0f), _mm512_sub_ps(d[3], d[1]));

    o[0] = _mm512_add_ps(
        _mm512_sub_ps(_mm512_mul_ps(vset(4.0f), d[0]), _mm512_mul_ps(vset(5.0f), d[2])),
        d[4]);
    o[1] = _mm512_add_ps(t1, t2);
    o[2] = _mm512_sub_ps(t1, t2);
    o[3] = _mm512_add_ps(t3, t4);
    o[4] = _mm512_sub_ps(t3, t4);
    o[5] = _mm512_add_ps(
        _mm512_sub_ps(_mm512_mul_ps(vset(4.0f), d[1]), _mm512_mul_ps(vset(5.0f), d[3])),
        d[5]);
}

Z void at6v(const __m512 *d, __m512 *o)
{
    __m512 s1 = _mm512_add_ps(d[1], d[2]), s2 = _mm512_add_ps(d[3], d[4]);
    __m512 m1 = _mm512_sub_ps(d[1], d[2]), m2 = _mm512_sub_ps(d[3], d[4]);

    o[0] = _mm512_add_ps(_mm512_add_ps(d[0], s1), s2);
    o[1] = _mm512_add_ps(m1, _mm512_mul_ps(vset(2.0f), m2));
    o[2] = _mm512_add_ps(s1, _mm512_mul_ps(vset(4.0f), s2));
    o[3] = _mm512_add_ps(_mm512_add_ps(m1, _mm512_mul_ps(vset(8.0f), m2)), d[5]);
}

Z void a6v(const __m512 *d, __m512 *o)
{
    __m512 s = _mm512_add_ps(d[0], d[2]), t = _mm512_add_ps(d[1], d[3]);
    __m512 u = _mm512_add_ps(d[0], _mm512_mul_ps(vset(4.0f), d[2]));
    __m512 v =
        _mm512_add_ps(_mm512_mul_ps(vset(2.0f), d[1]), _mm512_mul_ps(vset(8.0f), d[3]));

    o[0] = d[0];
    o[1] = _mm512_add_ps(s, t);
    o[2] = _mm512_sub_ps(s, t);
    o[3] = _mm512_add_ps(u, v);
    o[4] = _mm512_sub_ps(u, v);
    o[5] = d[3];
}

Z void b6v(const __m512 *d, __m512 *o)
{
    __m512 p = _mm512_add_ps(d[1], d[2]), q = _mm512_sub_ps(d[1], d[2]);
    __m512 r = _mm512_add_ps(d[3], d[4]), s = _mm512_sub_ps(d[3], d[4]);

    o[0] = _mm512_mul_ps(vset(4.0f), d[0]);
    o[1] = _mm512_add_ps(
        _mm512_sub_ps(_mm512_mul_ps(vset(-4.0f), q), _mm512_mul_ps(vset(2.0f), s)),
        _mm512_mul_ps(vset(4.0f), d[5]));
    o[2] = _mm512_sub_ps(
        _mm512_sub_ps(_mm512_mul_ps(vset(-5.0f), d[0]), _mm512_mul_ps(vset(4.0f), p)), r);
    o[3] = _mm512_sub_ps(_mm512_add_ps(q, _mm512_mul_ps(vset(2.0f), s)),
                         _mm512_mul_ps(vset(5.0f), d[5]));
    o[4] = _mm512_add_ps(_mm512_add_ps(d[0], p), r);
    o[5] = d[5];
}

/* F(2x2, 5x5)'s A^T and A on vectors, as at2 and a2. */
Z void at2v(const __m512 *d, __m512 *o)
{
    __m512 s1 = _mm512_add_ps(d[1], d[2]), s2 = _mm512_add_ps(d[3], d[4]);
    __m512 m1 = _mm512_sub_ps(d[1], d[2]), m2 = _mm512_sub_ps(d[3], d[4]);

    o[0] = _mm512_add_ps(_mm512_add_ps(d[0], s1), s2);
    o[1] = _mm512_add_ps(_mm512_add_ps(m1, _mm512_mul_ps(vset(2.0f), m2)), d[5]);
}

Z void a2v(const __m512 *d, __m512 *o)
{
    __m512 t = _mm512_mul_ps(vset(2.0f), d[1]);

    o[0] = d[0];
    o[1] = _mm512_add_ps(d[0], d[1]);
    o[2] = _mm512_sub_ps(d[0], d[1]);
    o[3] = _mm512_add_ps(d[0], t);
    o[4] = _mm512_sub_ps(d[0], t);
    o[5] = d[1];
}

/* A^T (6 to m values) and A (m to 6) for the grid's tile side. */
Z void atv(int m, const __m512 *d, __m512 *o)
{
    if (m == 4)
        at6v(d, o);
    else
        at2v(d, o);
}

Z void av(int m, const __m512 *d, __m512 *o)
{
    if (m == 4)
        a6v(d, o);
    else
        a2v(d, o);
}

/* Lanes [0, n) of a 16-lane mask (n may be out of 0..16). */
Z __mmask16 lanes(int n)
{
    return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1);
}

/* Indices and masks that pick element m*tw + c - shift of a 32-float row
 * (two registers) into lane tw, for tiles tw < tw_n inside [0, n). */
Z void phase_index(__m512i *idx, __mmask16 *mask, int m, int c, int shift, int tw_n,
                   int n)
{
    int id[16];
    unsigned mk = 0;

    for (int tw = 0; tw < 16; tw++) {
        int x = m * tw + c - shift;

        id[tw] = x & 31;
        if (tw < tw_n && x >= 0 && x < n)
            mk |= 1u << tw;
    }
    *idx = _mm512_loadu_si512(id);
    *mask = (__mmask16)mk;
}

/* Permutation indices for turning vectors of tiles back into rows. */
struct rowidx {
    __m512i zip, zip_hi; /* pairs: x = 2*tw + b, tiles 0..7 then 8..15 */
    __m512i i_lo, i_hi;  /* m = 4: x = 4*tw + b, b < 4 */
    __m512i s_lo, s_hi;  /* m = 4: x = 4*tw + 4 + b, b < 2 */
    __mmask16 m_lo, m_hi;
    __m512i p_lo[3], p_hi[3]; /* m = 2: x = 2*(tw + s) + b, s < 3 */
    __mmask16 pm_lo[3];
};

Z void rowidx_init(struct rowidx *ix)
{
    int zip[16], zip_hi[16], i_lo[16], i_hi[16], s_lo[16], s_hi[16], p_lo[16], p_hi[16];
    unsigned m_lo = 0, m_hi = 0;

    for (int x = 0; x < 16; x++) {
        int tw = x / 4, b = x % 4;

        zip[x] = (x % 2 ? 16 : 0) + x / 2;
        zip_hi[x] = (x % 2 ? 16 : 0) + 8 + x / 2;
        i_lo[x] = b < 2 ? 2 * tw + b : 16 + 2 * tw + b - 2;
        i_hi[x] = b < 2 ? 2 * (tw + 4) + b : 16 + 2 * (tw + 4) + b - 2;
        /* x in the low register: tw = x/4 - 1; in the high one: tw = x/4 + 3 */
        s_lo[x] = x >= 4 ? 2 * (x / 4 - 1) + b : 0;
        s_hi[x] = 2 * (x / 4 + 3) + b;
        if (b < 2 && x >= 4)
            m_lo |= 1u << x;
        if (b < 2)
            m_hi |= 1u << x;
    }
    ix->zip = _mm512_loadu_si512(zip);
    ix->zip_hi = _mm512_loadu_si512(zip_hi);
    ix->i_lo = _mm512_loadu_si512(i_lo);
    ix->i_hi = _mm512_loadu_si512(i_hi);
    ix->s_lo = _mm512_loadu_si512(s_lo);
    ix->s_hi = _mm512_loadu_si512(s_hi);
    ix->m_lo = (__mmask16)m_lo;
    ix->m_hi = (__mmask16)m_hi;
    for (int sh = 0; sh < 3; sh++) {
        unsigned mk = 0;

        for (int x = 0; x < 16; x++) {
            int tw = x / 2 - sh;

            p_lo[x] = (x % 2 ? 16 : 0) + (tw < 0 ? 0 : tw);
            p_hi[x] = (x % 2 ? 16 : 0) + 8 + x / 2 - sh;
            if (tw >= 0)
                mk |= 1u << x;
        }
        ix->p_lo[sh] = _mm512_loadu_si512(p_lo);
        ix->p_hi[sh] = _mm512_loadu_si512(p_hi);
        ix->pm_lo[sh] = (__mmask16)mk;
    }
}

/* Interleave vectors of tiles (lane tw) into a row, as two registers
 * (x < 16, x >= 16): x = 4*tw + b from f[b] for m = 4, 2*tw + b for
 * m = 2. */
Z void interleave(const struct rowidx *ix, int m, const __m512 *f, __m512 *lo, __m512 *hi)
{
    __m512 p01, p23;

    if (m == 2) {
        *lo = _mm512_permutex2var_ps(f[0], ix->zip, f[1]);
        *hi = _mm512_permutex2var_ps(f[0], ix->zip_hi, f[1]);
        return;
    }
    p01 = _mm512_permutex2var_ps(f[0], ix->zip, f[1]);
    p23 = _mm512_permutex2var_ps(f[2], ix->zip, f[3]);
    *lo = _mm512_permutex2var_ps(p01, ix->i_lo, p23);
    *hi = _mm512_permutex2var_ps(p01, ix->i_hi, p23);
}

/* Two vectors of tiles into a row's elements x = 4*tw + 4 + b, b < 2, of
 * f[4 + b] (zero elsewhere): the last two columns of each patch (m = 4). */
Z void interleave2_shift4(const struct rowidx *ix, const __m512 *f, __m512 *lo,
                          __m512 *hi)
{
    __m512 p45 = _mm512_permutex2var_ps(f[4], ix->zip, f[5]);

    *lo = _mm512_maskz_permutexvar_ps(ix->m_lo, ix->s_lo, p45);
    *hi = _mm512_maskz_permutexvar_ps(ix->m_hi, ix->s_hi, p45);
}

/* Columns 2s and 2s + 1 of each patch (m = 2): x = 2*(tw + s) + b from
 * f[2s + b], zero elsewhere. */
Z void interleave_pair(const struct rowidx *ix, int sh, const __m512 *f, __m512 *lo,
                       __m512 *hi)
{
    *lo = _mm512_maskz_permutex2var_ps(ix->pm_lo[sh], f[2 * sh], ix->p_lo[sh],
                                       f[2 * sh + 1]);
    *hi = _mm512_permutex2var_ps(f[2 * sh], ix->p_hi[sh], f[2 * sh + 1]);
}

/* Rows of one stage-1 result (tiles along lanes) are kept by padded row
 * phase: row r = m*s + rho at (rho * (th_n + 2) + s) * tw_n, so that rows
 * m*th + i of all tile rows th follow each other, and stage 2 runs over
 * all the tiles of a plane at once, 16 at a time. */
#define EROWS  640
#define MAX_NT 64 /* tiles of a plane the vector transforms buffer */

Z void input512_m(float *V, size_t ld, size_t pstride, const float *x, int g, int C,
                  const struct anas_wino_grid *gr, const int mm)
{
    int m = mm, TW = gr->tw_n, TH = gr->th_n, W = gr->W, H = gr->H, pad = gr->pad;
    int NT = gr->nt, PH = m * TH + gr->K - 1, S = TH + 2;
    float E[6][EROWS + 16]; /* per column l, then slack to read past */
    __m512i idx[6];
    __mmask16 vm[6], tm = lanes(TW), la = lanes(W), lb = lanes(W - 16);

#pragma GCC unroll 6
    for (int c = 0; c < 6; c++)
        phase_index(&idx[c], &vm[c], m, c, pad, TW, W);
    memset(E, 0, sizeof(E));
    for (int c = 0; c < C; c++)
        for (int j = 0; j < g; j++) {
            const float *X = x + ((size_t)j * C + c) * H * W;
            float *vb = V + (size_t)c * ld + (size_t)j * NT;

            /* along each padded row: its six patch columns, for all tiles */
            for (int r = 0; r < PH; r++) {
                int h = r - pad, at = ((r % m) * S + r / m) * TW;
                __m512 a, b, d[6], o[6];

                if (h < 0 || h >= H) {
#pragma GCC unroll 6
                    for (int l = 0; l < 6; l++)
                        _mm512_mask_storeu_ps(&E[l][at], tm, _mm512_setzero_ps());
                    continue;
                }
                a = _mm512_maskz_loadu_ps(la, X + (size_t)h * W);
                b = _mm512_maskz_loadu_ps(lb, X + (size_t)h * W + 16);
#pragma GCC unroll 6
                for (int k = 0; k < 6; k++)
                    d[k] = _mm512_maskz_permutex2var_ps(vm[k], a, idx[k], b);
                bt6v(d, o);
#pragma GCC unroll 6
                for (int l = 0; l < 6; l++)
                    _mm512_mask_storeu_ps(&E[l][at], tm, o[l]);
            }
            /* down each column l: row m*th + i of every tile at once */
#pragma GCC unroll 6
            for (int l = 0; l < 6; l++)
                for (int t = 0; t < NT; t += 16) {
                    __mmask16 mk = lanes(NT - t);
                    __m512 d[6], o[6];

#pragma GCC unroll 6
                    for (int i = 0; i < 6; i++)
                        d[i] = _mm512_loadu_ps(&E[l][((i % m) * S + i / m) * TW + t]);
                    bt6v(d, o);
#pragma GCC unroll 6
                    for (int k = 0; k < 6; k++)
                        _mm512_mask_storeu_ps(vb + (size_t)(k * 6 + l) * pstride + t, mk,
                                              o[k]);
                }
        }
}

ZF void input512(float *V, size_t ld, size_t pstride, const float *x, int g, int C,
                 const struct anas_wino_grid *gr)
{
    if (gr->m == 4)
        input512_m(V, ld, pstride, x, g, C, gr, 4);
    else
        input512_m(V, ld, pstride, x, g, C, gr, 2);
}

Z void output512_m(float *y, const float *M, size_t ld, size_t pstride, int g, int OC,
                   const struct anas_wino_grid *gr, const float *bias, const int mm)
{
    int m = mm, TW = gr->tw_n, TH = gr->th_n, OW = gr->OW, OH = gr->OH, NT = gr->nt;
    __mmask16 tm = lanes(TW), sl = lanes(OW), sh = lanes(OW - 16);
    float F[16][MAX_NT + 16]; /* (a, b) of every tile, and slack */
    struct rowidx ix;

    rowidx_init(&ix);
    for (int oc = 0; oc < OC; oc++) {
        __m512 bv = vset(bias ? bias[oc] : 0.0f);

        for (int j = 0; j < g; j++) {
            const float *mb = M + (size_t)oc * ld + (size_t)j * NT;
            float *yc = y + ((size_t)j * OC + oc) * OH * OW;

            /* A^T down each column l, then along each row a: 16 tiles at once */
            for (int t = 0; t < NT; t += 16) {
                __mmask16 mk = lanes(NT - t);
                __m512 E[4][6];

#pragma GCC unroll 6
                for (int l = 0; l < 6; l++) {
                    __m512 d[6], o[4];

#pragma GCC unroll 6
                    for (int k = 0; k < 6; k++)
                        d[k] = _mm512_maskz_loadu_ps(
                            mk, mb + (size_t)(k * 6 + l) * pstride + t);
                    atv(m, d, o);
#pragma GCC unroll 4
                    for (int a = 0; a < m; a++)
                        E[a][l] = o[a];
                }
#pragma GCC unroll 4
                for (int a = 0; a < m; a++) {
                    __m512 f[4];

                    atv(m, E[a], f);
#pragma GCC unroll 4
                    for (int b = 0; b < m; b++)
                        _mm512_storeu_ps(&F[a * m + b][t], _mm512_add_ps(f[b], bv));
                }
            }
            /* each output row: its tile row's vectors interleaved */
            for (int th = 0; th < TH; th++)
                for (int a = 0; a < m && m * th + a < OH; a++) {
                    __m512 f[4], lo, hi;
                    float *row = yc + (size_t)(m * th + a) * OW;

#pragma GCC unroll 4
                    for (int b = 0; b < m; b++)
                        f[b] = _mm512_maskz_loadu_ps(tm, &F[a * m + b][th * TW]);
                    interleave(&ix, m, f, &lo, &hi);
                    _mm512_mask_storeu_ps(row, sl, lo);
                    _mm512_mask_storeu_ps(row + 16, sh, hi);
                }
        }
    }
}

ZF void output512(float *y, const float *M, size_t ld, size_t pstride, int g, int OC,
                  const struct anas_wino_grid *gr, const float *bias)
{
    if (gr->m == 4)
        output512_m(y, M, ld, pstride, g, OC, gr, bias, 4);
    else
        output512_m(y, M, ld, pstride, g, OC, gr, bias, 2);
}

Z void dout512_m(float *dM, size_t ld, size_t pstride, const float *dy, int g, int OC,
                 const struct anas_wino_grid *gr, const int mm)
{
    int m = mm, TW = gr->tw_n, TH = gr->th_n, OW = gr->OW, OH = gr->OH, NT = gr->nt;
    float D[16][MAX_NT + 16]; /* (a, b) of every tile, and slack */
    __m512i idx[4];
    __mmask16 vm[4], tm = lanes(TW), la = lanes(OW), lb = lanes(OW - 16);

#pragma GCC unroll 4
    for (int b = 0; b < m; b++)
        phase_index(&idx[b], &vm[b], m, b, 0, TW, OW);
    for (int oc = 0; oc < OC; oc++)
        for (int j = 0; j < g; j++) {
            const float *Y = dy + ((size_t)j * OC + oc) * OH * OW;
            float *mb = dM + (size_t)oc * ld + (size_t)j * NT;

            /* each output row into its tiles' (a, b) vectors */
            for (int th = 0; th < TH; th++)
#pragma GCC unroll 4
                for (int a = 0; a < m; a++) {
                    int h = m * th + a;
                    __m512 lo = _mm512_setzero_ps(), hi = lo;

                    if (h < OH) {
                        lo = _mm512_maskz_loadu_ps(la, Y + (size_t)h * OW);
                        hi = _mm512_maskz_loadu_ps(lb, Y + (size_t)h * OW + 16);
                    }
#pragma GCC unroll 4
                    for (int b = 0; b < m; b++)
                        _mm512_mask_storeu_ps(
                            &D[a * m + b][th * TW], tm,
                            _mm512_maskz_permutex2var_ps(vm[b], lo, idx[b], hi));
                }
            /* A dY down each column b, then along each row k: 16 tiles at once */
            for (int t = 0; t < NT; t += 16) {
                __mmask16 mk = lanes(NT - t);
                __m512 E[6][4];

#pragma GCC unroll 4
                for (int b = 0; b < m; b++) {
                    __m512 d[4], o[6];

#pragma GCC unroll 4
                    for (int a = 0; a < m; a++)
                        d[a] = _mm512_loadu_ps(&D[a * m + b][t]);
                    av(m, d, o);
#pragma GCC unroll 6
                    for (int k = 0; k < 6; k++)
                        E[k][b] = o[k];
                }
#pragma GCC unroll 6
                for (int k = 0; k < 6; k++) {
                    __m512 o[6];

                    av(m, E[k], o);
#pragma GCC unroll 6
                    for (int l = 0; l < 6; l++)
                        _mm512_mask_storeu_ps(mb + (size_t)(k * 6 + l) * pstride + t, mk,
                                              o[l]);
                }
            }
        }
}

ZF void dout512(float *dM, size_t ld, size_t pstride, const float *dy, int g, int OC,
                const struct anas_wino_grid *gr)
{
    if (gr->m == 4)
        dout512_m(dM, ld, pstride, dy, g, OC, gr, 4);
    else
        dout512_m(dM, ld, pstride, dy, g, OC, gr, 2);
}

/* row (two registers) = (row + lo[0]) + lo[1] ..., the portable order. */
Z void add_row(float *row, const __m512 *lo, const __m512 *hi, int n)
{
    __m512 a = _mm512_loadu_ps(row), b = _mm512_loadu_ps(row + 16);

    for (int k = 0; k < n; k++) {
        a = _mm512_add_ps(a, lo[k]);
        b = _mm512_add_ps(b, hi[k]);
    }
    _mm512_storeu_ps(row, a);
    _mm512_storeu_ps(row + 16, b);
}

Z void dinput512_m(float *dx, int acc, const float *dV, size_t ld, size_t pstride, int g,
                   int C, const struct anas_wino_grid *gr, const int mm)
{
    int m = mm, TW = gr->tw_n, TH = gr->th_n, W = gr->W, H = gr->H, pad = gr->pad;
    int PH = m * TH + gr->K - 1, NT = gr->nt;
    float P[40 * 48];         /* padded rows of 32 columns, and room to read past them */
    float F[36][MAX_NT + 16]; /* patch element (i, c) of every tile, and slack */
    __mmask16 tm = lanes(TW), la = lanes(W), lb = lanes(W - 16);
    struct rowidx ix;

    rowidx_init(&ix);
    for (int c = 0; c < C; c++)
        for (int j = 0; j < g; j++) {
            const float *vb = dV + (size_t)c * ld + (size_t)j * NT;
            float *X = dx + ((size_t)j * C + c) * H * W;

            /* B dV down each column l, then along each patch row i: 16 tiles
             * at once */
            for (int t = 0; t < NT; t += 16) {
                __mmask16 mk = lanes(NT - t);
                __m512 E[6][6];

#pragma GCC unroll 6
                for (int l = 0; l < 6; l++) {
                    __m512 d[6], o[6];

#pragma GCC unroll 6
                    for (int k = 0; k < 6; k++)
                        d[k] = _mm512_maskz_loadu_ps(
                            mk, vb + (size_t)(k * 6 + l) * pstride + t);
                    b6v(d, o);
#pragma GCC unroll 6
                    for (int i = 0; i < 6; i++)
                        E[i][l] = o[i];
                }
#pragma GCC unroll 6
                for (int i = 0; i < 6; i++) {
                    __m512 f[6];

                    b6v(E[i], f);
#pragma GCC unroll 6
                    for (int k = 0; k < 6; k++)
                        _mm512_storeu_ps(&F[i * 6 + k][t], f[k]);
                }
            }
            for (int r = 0; r < PH; r++) {
                _mm512_storeu_ps(P + r * 48, _mm512_setzero_ps());
                _mm512_storeu_ps(P + r * 48 + 16, _mm512_setzero_ps());
                _mm512_storeu_ps(P + r * 48 + 32, _mm512_setzero_ps());
            }
            /* each patch row of each tile row, added into its padded row */
            for (int th = 0; th < TH; th++)
#pragma GCC unroll 6
                for (int i = 0; i < 6; i++) {
                    __m512 f[6], lo[3], hi[3];
                    float *row = P + (m * th + i) * 48;

#pragma GCC unroll 6
                    for (int k = 0; k < 6; k++)
                        f[k] = _mm512_maskz_loadu_ps(tm, &F[i * 6 + k][th * TW]);
                    if (m == 4) {
                        interleave(&ix, 4, f, &lo[0], &hi[0]);
                        interleave2_shift4(&ix, f, &lo[1], &hi[1]);
                        add_row(row, lo, hi, 2);
                    } else {
                        for (int sh = 0; sh < 3; sh++)
                            interleave_pair(&ix, sh, f, &lo[sh], &hi[sh]);
                        add_row(row, lo, hi, 3);
                    }
                }
            for (int h = 0; h < H; h++) {
                const float *src = P + (h + pad) * 48 + pad;
                float *dst = X + (size_t)h * W;
                __m512 a = _mm512_maskz_loadu_ps(la, src),
                       b = _mm512_maskz_loadu_ps(lb, src + 16);

                if (acc) {
                    a = _mm512_add_ps(_mm512_maskz_loadu_ps(la, dst), a);
                    b = _mm512_add_ps(_mm512_maskz_loadu_ps(lb, dst + 16), b);
                }
                _mm512_mask_storeu_ps(dst, la, a);
                _mm512_mask_storeu_ps(dst + 16, lb, b);
            }
        }
}

ZF void dinput512(float *dx, int acc, const float *dV, size_t ld, size_t pstride, int g,
                  int C, const struct anas_wino_grid *gr)
{
    if (gr->m == 4)
        dinput512_m(dx, acc, dV, ld, pstride, g, C, gr, 4);
    else
        dinput512_m(dx, acc, dV, ld, pstride, g, C, gr, 2);
}
#endif

int anas__wino_fast(const struct anas_wino_grid *gr)
{
#ifdef WINO512
    /* rows (input, output, padded) within two registers, tiles of a row in
     * lanes, and the stage-1 rows of a plane in input512's buffer */
    int m = gr->m, S = gr->th_n + 2, PH = m * gr->th_n + gr->K - 1;
    int last = ((m - 1) * S + (PH - 1) / m + 1) * gr->tw_n;
    int fits = gr->W <= 32 && gr->OW <= 32 && m * gr->tw_n + gr->K - 1 <= 32 &&
               PH <= 40 && last <= EROWS &&
               ((m - 1) * S + 5 / m) * gr->tw_n + gr->nt <= EROWS;

    return fits && __builtin_cpu_supports("avx512f");
#else
    (void)gr;
    return 0;
#endif
}

void anas_wino_input(float *V, size_t ld, size_t pstride, const float *x, int g, int C,
                     const struct anas_wino_grid *gr, float *work)
{
#ifdef WINO512
    if (anas__wino_fast(gr)) {
        input512(V, ld, pstride, x, g, C, gr);
        return;
    }
#endif
    anas__wino_input_portable(V, ld, pstride, x, g, C, gr, work);
}

void anas_wino_output(float *y, const float *M, size_t ld, size_t pstride, int g, int OC,
                      const struct anas_wino_grid *gr, const float *bias, float *work)
{
#ifdef WINO512
    if (anas__wino_fast(gr)) {
        output512(y, M, ld, pstride, g, OC, gr, bias);
        return;
    }
#endif
    anas__wino_output_portable(y, M, ld, pstride, g, OC, gr, bias, work);
}

void anas_wino_dout(float *dM, size_t ld, size_t pstride, const float *dy, int g, int OC,
                    const struct anas_wino_grid *gr, float *work)
{
#ifdef WINO512
    if (anas__wino_fast(gr)) {
        dout512(dM, ld, pstride, dy, g, OC, gr);
        return;
    }
#endif
    anas__wino_dout_portable(dM, ld, pstride, dy, g, OC, gr, work);
}

void anas_wino_dinput(float *dx, int acc, const float *dV, size_t ld, size_t pstride,
                      int g, int C, const struct anas_wino_grid *gr, float *work)
{
#ifdef WINO512
    if (anas__wino_fast(gr)) {
        dinput512(dx, acc, dV, ld, pstride, g, C, gr);
        return;
    }
#endif
    anas__wino_dinput_portable(dx, acc, dV, ld, pstride, g, C, gr, work);
}
