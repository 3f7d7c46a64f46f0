/*
 * tensor-blas-team.c - anas_blas_sgemm on a lent team (team.h): split by
 * rows between the team's threads, every product equals the one computed
 * in one call up to float rounding (each element is one call's dot
 * product, but OpenBLAS's kernels for ragged row blocks may add in another
 * order), for every transposition; a team
 * running a part lends nothing (teams do not nest).
 */
#include "config.h"

#include "tensor/blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "tap.h"
#include "tensor/team.h"

static float *filled(struct anas_rng *rng, size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = (float)anas_rng_normal(rng);
    return v;
}

/* C = op(A) op(B) + 0.5 C, alone and on the team: the same up to float
 * rounding? */
static int same(struct anas_team *team, int ta, int tb, int M, int N, int K)
{
    struct anas_rng rng;
    float *A, *B, *C1, *C2;
    int lda = ta ? M : K, ldb = tb ? K : N, eq;

    anas_rng_seed(&rng, (uint64_t)(M * 7 + N * 3 + K + ta * 2 + tb));
    A = filled(&rng, (size_t)M * K);
    B = filled(&rng, (size_t)K * N);
    C1 = filled(&rng, (size_t)M * N);
    C2 = malloc((size_t)M * N * sizeof *C2);
    if (!A || !B || !C1 || !C2)
        return 0;
    memcpy(C2, C1, (size_t)M * N * sizeof *C2);
    anas_blas_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, C1, N);
    anas_team_lend(team);
    anas_blas_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.5f, C2, N);
    anas_team_lend(NULL);
    eq = 1;
    for (size_t i = 0; i < (size_t)M * N; i++)
        eq &= fabsf(C1[i] - C2[i]) <= 1e-5f * (1.0f + fabsf(C1[i]));
    free(A), free(B), free(C1), free(C2);
    return eq;
}

static struct anas_team *seen_team;
static void peek(void *ctx, int i, int n)
{
    (void)ctx, (void)n;
    if (i == 0)
        seen_team = anas_team_lent();
}

int main(void)
{
    struct anas_team *team = anas_team_new(3);

    plan(7);
    anas_blas_set_threads(1);
    ok(team != NULL, "a team of three");
    ok(anas_team_lent() == NULL, "nothing is lent at first");
    ok(same(team, 0, 0, 256, 64, 64) && same(team, 1, 0, 256, 64, 64) &&
           same(team, 0, 1, 256, 64, 64) && same(team, 1, 1, 256, 64, 64),
       "split by rows: the same product, every transposition");
    ok(same(team, 0, 0, 200, 80, 70) && same(team, 1, 1, 24, 700, 70),
       "ragged row blocks, and few rows (not split): the same product");
    ok(same(team, 0, 1, 5, 7, 3), "a small product (not split): the same");
    anas_team_lend(team);
    anas_team_run(team, peek, NULL);
    ok(anas_team_lent() == team && seen_team == NULL,
       "inside a run of the team nothing is lent; after it, the loan is back");
    anas_team_lend(NULL);
    ok(anas_team_lent() == NULL, "the loan ends");
    anas_team_free(team);
    return done();
}
