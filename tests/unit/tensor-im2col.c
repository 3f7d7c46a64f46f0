/*
 * tensor-im2col.c - im2col against its definition, col2im as its adjoint,
 * over kernels, strides and paddings (square and not, padding wider than
 * the stride) and with columns placed inside a wider matrix.
 */
#include "config.h"

#include "tensor/tensor.h"

#include "core/rng.h"

#include "tap.h"

struct geom {
    int C, H, W, K, stride, pad;
};

static const struct geom cases[] = {
    {1, 4, 4, 3, 1, 1},
    {2, 5, 4, 3, 2, 1},
    {3, 7, 6, 5, 2, 2},
    {2, 6, 6, 1, 1, 0},
    {1, 5, 5, 2, 3, 0},
    {2, 3, 8, 3, 1, 0},
    {1, 4, 5, 4, 1, 2},
    {2, 9, 7, 3, 3, 1},
    /* "same" convolutions (stride 1, output as large as the input) */
    {3, 5, 7, 5, 1, 2},
    {2, 6, 5, 3, 1, 1},
    {1, 3, 3, 7, 1, 3},
    {2, 24, 24, 3, 1, 1},
    /* stride 1, smaller output: rows of 8 and of 4 (copied whole), LeNet's
     * 28x28 to 24x24, and padding on one side of a row only */
    {3, 12, 12, 5, 1, 0},
    {2, 8, 8, 5, 1, 0},
    {1, 28, 28, 5, 1, 0},
    {2, 10, 12, 5, 1, 1},
};

static int out_side(int n, int K, int s, int p)
{
    return (n + 2 * p - K) / s + 1;
}

/* The definition, one entry at a time. */
static float naive(const float *img, const struct geom *g, int row, int p)
{
    int OW = out_side(g->W, g->K, g->stride, g->pad);
    int c = row / (g->K * g->K), kh = row / g->K % g->K, kw = row % g->K;
    int ih = p / OW * g->stride - g->pad + kh, iw = p % OW * g->stride - g->pad + kw;

    if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
        return 0.0f;
    return img[(c * g->H + ih) * g->W + iw];
}

static void one(const struct geom *g, struct anas_rng *rng)
{
    int OH = out_side(g->H, g->K, g->stride, g->pad),
        OW = out_side(g->W, g->K, g->stride, g->pad);
    int R = g->C * g->K * g->K, P = OH * OW, ld = 2 * P + 3, off = P + 1;
    int n = g->C * g->H * g->W;
    float *img = calloc((size_t)n, sizeof(float)),
          *back = calloc((size_t)n, sizeof(float));
    float *col = calloc((size_t)R * ld, sizeof(float)),
          *y = calloc((size_t)R * ld, sizeof(float));
    int same = 1, untouched = 1;
    double lhs = 0.0, rhs = 0.0;

    for (int i = 0; i < n; i++)
        img[i] = (float)anas_rng_normal(rng);
    for (int i = 0; i < R * ld; i++)
        col[i] = 7.0f;
    anas_tensor_im2col(col + off, ld, img, g->C, g->H, g->W, g->K, g->stride, g->pad);
    for (int r = 0; r < R; r++)
        for (int p = 0; p < ld; p++) {
            float v = col[r * ld + p];

            if (p >= off && p < off + P)
                same &= v == naive(img, g, r, p - off);
            else
                untouched &= v == 7.0f;
        }
    ok(same, "im2col C%d %dx%d K%d s%d p%d matches the definition", g->C, g->H, g->W,
       g->K, g->stride, g->pad);
    ok(untouched, "im2col leaves the other columns of the matrix alone");

    /* <im2col(x), y> == <x, col2im(y)> for a random y */
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) {
            y[r * ld + off + p] = (float)anas_rng_normal(rng);
            lhs += (double)col[r * ld + off + p] * y[r * ld + off + p];
        }
    for (int i = 0; i < n; i++)
        back[i] = 1.0f; /* col2im adds: start from ones, subtract them below */
    anas_tensor_col2im(back, y + off, ld, g->C, g->H, g->W, g->K, g->stride, g->pad);
    for (int i = 0; i < n; i++)
        rhs += (double)img[i] * (back[i] - 1.0f);
    is_near(lhs, rhs, 1e-4 * (1.0 + fabs(lhs)),
            "col2im is the adjoint of im2col (and adds)");
    free(img), free(back), free(col), free(y);
}

int main(void)
{
    struct anas_rng rng;
    int n = (int)(sizeof(cases) / sizeof(cases[0]));

    plan(3 * n);
    anas_rng_seed(&rng, 11);
    for (int i = 0; i < n; i++)
        one(&cases[i], &rng);
    return done();
}
