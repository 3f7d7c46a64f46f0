/*
 * pgrid.c - a layer's weights (d, n) on a grid of pulsed tiles of at most
 * max_output_size x max_input_size, split as aihwkit's TileModuleArray
 * splits them (src/aihwkit/simulator/tiles/array.py): each tile its own
 * IO noise and management, its own pulsed update of its slice of the
 * vectors; the outputs of the input blocks are summed digitally, and so
 * are the input gradients of the output blocks.
 */
#include "config.h"

#include "analog/pulsed_int.h"

#include <string.h>

#include "core/alloc.h"

struct gtile {
    struct anas_ptile *t;
    int r0, c0, d, n;
};

struct anas__pgrid {
    int d, n, n_tiles;
    struct gtile *tile;
    float *tmp; /* scratch, grown on demand */
    size_t cap;
};

static float *scratch(struct anas__pgrid *g, size_t want)
{
    if (want > g->cap) {
        float *q = anas_realloc(g->tmp, want * sizeof *q);

        if (!q)
            return NULL;
        g->tmp = q;
        g->cap = want;
    }
    return g->tmp;
}

void anas__pgrid_free(struct anas__pgrid *g)
{
    if (!g)
        return;
    for (int k = 0; k < g->n_tiles; k++)
        anas_ptile_free(g->tile[k].t);
    anas_free(g->tile);
    anas_free(g->tmp);
    anas_free(g);
}

struct anas__pgrid *anas__pgrid_new(int d, int n, const struct anas_analog_training *tc,
                                    struct anas_rng *rng, struct anas_error *err)
{
    int rs[64], cs[64], nr, nc, k = 0;
    struct anas__pgrid *g;

    nr = anas__split_sizes(d, tc->max_output_size, rs, 64);
    nc = anas__split_sizes(n, tc->max_input_size, cs, 64);
    if (nr < 1 || nc < 1 || nr > 64 || nc > 64) {
        anas_error_set(err, ANAS_ELIMIT, "a %d x %d layer needs more than 64 x 64 tiles", d, n);
        return NULL;
    }
    g = anas_calloc(1, sizeof *g);
    if (!g || !(g->tile = anas_calloc((size_t)nr * nc, sizeof *g->tile))) {
        anas_free(g);
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    g->d = d;
    g->n = n;
    for (int i = 0, r0 = 0; i < nr; r0 += rs[i++])
        for (int j = 0, c0 = 0; j < nc; c0 += cs[j++], k++) {
            struct gtile *t = &g->tile[k];

            *t = (struct gtile){NULL, r0, c0, rs[i], cs[j]};
            t->t = anas_ptile_new(t->d, t->n, tc, anas_rng_u64(rng), err);
            g->n_tiles = k + 1;
            if (!t->t) {
                anas__pgrid_free(g);
                return NULL;
            }
        }
    return g;
}

int anas__pgrid_n_tiles(const struct anas__pgrid *g)
{
    return g ? g->n_tiles : 0;
}

/* Copy the (rows, cols) block at (r0, c0) of A (ld lda) to B (ld ldb). */
static void block(float *B, int ldb, const float *A, int lda, int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        memcpy(B + (size_t)r * ldb, A + (size_t)r * lda, (size_t)cols * sizeof *B);
}

static void add_block(float *B, int ldb, const float *A, int lda, int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            B[(size_t)r * ldb + c] += A[(size_t)r * lda + c];
}

int anas__pgrid_set_weights(struct anas__pgrid *g, const float *W)
{
    int rc = 0;

    if (g->n_tiles == 1)
        return anas_ptile_set_weights(g->tile[0].t, W);
    for (int k = 0; rc == 0 && k < g->n_tiles; k++) {
        const struct gtile *t = &g->tile[k];
        float *w = scratch(g, (size_t)t->d * t->n);

        if (!w)
            return ANAS_ENOMEM;
        block(w, t->n, W + (size_t)t->r0 * g->n + t->c0, g->n, t->d, t->n);
        rc = anas_ptile_set_weights(t->t, w);
    }
    return rc;
}

int anas__pgrid_get_weights(struct anas__pgrid *g, float *W)
{
    int rc = 0;

    if (g->n_tiles == 1)
        return anas_ptile_get_weights(g->tile[0].t, W);
    for (int k = 0; rc == 0 && k < g->n_tiles; k++) {
        const struct gtile *t = &g->tile[k];
        float *w = scratch(g, (size_t)t->d * t->n);

        if (!w)
            return ANAS_ENOMEM;
        rc = anas_ptile_get_weights(t->t, w);
        block(W + (size_t)t->r0 * g->n + t->c0, g->n, w, t->n, t->d, t->n);
    }
    return rc;
}

int anas__pgrid_forward(struct anas__pgrid *g, const float *X, int M, int cols, int ldx,
                        float *Y, int ldy)
{
    int rc = 0;

    if (g->n_tiles == 1)
        return anas_ptile_forward(g->tile[0].t, X, M, cols, ldx, Y, ldy);
    for (int r = 0; r < (cols ? g->d : M); r++)
        memset(Y + (size_t)r * ldy, 0, (size_t)(cols ? M : g->d) * sizeof *Y);
    for (int k = 0; rc == 0 && k < g->n_tiles; k++) {
        const struct gtile *t = &g->tile[k];
        float *y = scratch(g, (size_t)M * t->d);

        if (!y)
            return ANAS_ENOMEM;
        if (cols) {
            rc = anas_ptile_forward(t->t, X + (size_t)t->c0 * ldx, M, 1, ldx, y, M);
            add_block(Y + (size_t)t->r0 * ldy, ldy, y, M, t->d, M);
        } else {
            rc = anas_ptile_forward(t->t, X + t->c0, M, 0, ldx, y, t->d);
            add_block(Y + t->r0, ldy, y, t->d, M, t->d);
        }
    }
    return rc;
}

int anas__pgrid_backward(struct anas__pgrid *g, const float *D, int M, int cols, int ldd,
                         float *DX, int lddx, int acc)
{
    int rc = 0;

    if (g->n_tiles == 1 && !acc)
        return anas_ptile_backward(g->tile[0].t, D, M, cols, ldd, DX, lddx);
    if (!acc)
        for (int r = 0; r < (cols ? g->n : M); r++)
            memset(DX + (size_t)r * lddx, 0, (size_t)(cols ? M : g->n) * sizeof *DX);
    for (int k = 0; rc == 0 && k < g->n_tiles; k++) {
        const struct gtile *t = &g->tile[k];
        float *dx = scratch(g, (size_t)M * t->n);

        if (!dx)
            return ANAS_ENOMEM;
        if (cols) {
            rc = anas_ptile_backward(t->t, D + (size_t)t->r0 * ldd, M, 1, ldd, dx, M);
            add_block(DX + (size_t)t->c0 * lddx, lddx, dx, M, t->n, M);
        } else {
            rc = anas_ptile_backward(t->t, D + t->r0, M, 0, ldd, dx, t->n);
            add_block(DX + t->c0, lddx, dx, t->n, M, t->n);
        }
    }
    return rc;
}

/* X (M, n) and D (M, d) rows: each tile updates from its columns of X and
 * rows of W's output, D's columns. */
int anas__pgrid_update(struct anas__pgrid *g, const float *X, const float *D, int M, float lr)
{
    int rc = 0;

    if (g->n_tiles == 1)
        return anas_ptile_update(g->tile[0].t, X, D, M, lr);
    for (int k = 0; rc == 0 && k < g->n_tiles; k++) {
        const struct gtile *t = &g->tile[k];
        float *x = scratch(g, (size_t)M * (t->n + t->d));

        if (!x)
            return ANAS_ENOMEM;
        block(x, t->n, X + t->c0, g->n, M, t->n);
        block(x + (size_t)M * t->n, t->d, D + t->r0, g->d, M, t->d);
        rc = anas_ptile_update(t->t, x, x + (size_t)M * t->n, M, lr);
    }
    return rc;
}

int anas__pgrid_post_step(struct anas__pgrid *g)
{
    int rc = 0;

    for (int k = 0; rc == 0 && k < g->n_tiles; k++)
        rc = anas_ptile_post_step(g->tile[k].t);
    return rc;
}
