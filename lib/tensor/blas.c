/*
 * blas.c - the only file that includes <cblas.h> and calls LAPACK.
 *
 * A thin layer: it fixes the storage order to row-major and maps our 0/1
 * transposition flags to CBLAS's enums, so that callers read like the
 * formulas they implement.
 *
 * LAPACK comes from libopenblas itself (OpenBLAS builds LAPACK in; Debian
 * ships no LAPACKE header with it), called through its Fortran symbols
 * with the prototypes declared here. LAPACK is column-major: a row-major
 * symmetric matrix is its own transpose, so the row-major lower triangle is
 * LAPACK's upper one ('U'), and A = U^T U there is A = L L^T here.
 */
#include "config.h"

#include "tensor/blas.h"

#include <cblas.h>
#include <stddef.h>

#include "core/err.h"
#include "tensor/team.h"

/* LAPACK's Fortran interface; the trailing length is gfortran's hidden
 * argument for the CHARACTER*1 parameter. */
void dpotrf_(const char *uplo, const blasint *n, double *a, const blasint *lda, blasint *info,
             size_t uplo_len);
void dpotrs_(const char *uplo, const blasint *n, const blasint *nrhs, const double *a,
             const blasint *lda, double *b, const blasint *ldb, blasint *info,
             size_t uplo_len);

/* Products below this many multiply-adds are not worth a team's fork. */
#define SPLIT_MACS (1L << 20)

static void sgemm1(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta,
                C, ldc);
}

/* One product, split between a lent team (team.h) by rows of C: each
 * element is still one dot product over the whole inner dimension, equal
 * to one call's up to float rounding (OpenBLAS's kernels for a ragged
 * block of rows may add in another order). */
struct split {
    int ta, tb, M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
};

static void sgemm_part(void *ctx, int i, int n)
{
    const struct split *s = ctx;
    size_t lo, hi;

    anas_team_split((size_t)s->M, i, n, 16, &lo, &hi);
    if (hi > lo) /* rows lo..hi of op(A) and of C */
        sgemm1(s->ta, s->tb, (int)(hi - lo), s->N, s->K, s->alpha,
               s->A + (s->ta ? lo : lo * (size_t)s->lda), s->lda, s->B, s->ldb, s->beta,
               s->C + lo * (size_t)s->ldc, s->ldc);
}

void anas_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta,
                     float *C, int ldc)
{
    struct anas_team *team;

    if (M <= 0 || N <= 0)
        return;
    team = anas_team_lent();
    if (team && anas_team_size(team) > 1 && M >= 64 && (long)M * N * K >= SPLIT_MACS) {
        struct split s = {trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
        anas_team_run(team, sgemm_part, &s);
        return;
    }
    sgemm1(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int anas_lapack_dpotrf(int n, double *A, int lda)
{
    blasint bn = n, blda = lda, info = 0;

    if (n < 0 || lda < (n > 1 ? n : 1) || (n > 0 && !A))
        return ANAS_EINVAL;
    if (n == 0)
        return 0;
    dpotrf_("U", &bn, A, &blda, &info, 1);
    return info == 0 ? 0 : info > 0 ? ANAS_ERANGE : ANAS_EINVAL;
}

/* One right-hand side: a vector is the same in either layout. */
void anas_lapack_dpotrs(int n, const double *L, int lda, double *b)
{
    blasint bn = n, one = 1, blda = lda, info = 0;

    if (n <= 0)
        return;
    dpotrs_("U", &bn, &one, L, &blda, b, &bn, &info, 1);
}

void anas_blas_dtrsm(int trans, int n, int m, const double *L, int lda, double *B, int ldb)
{
    if (n <= 0 || m <= 0)
        return;
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, trans ? CblasTrans : CblasNoTrans,
                CblasNonUnit, n, m, 1.0, L, lda, B, ldb);
}

void anas_blas_set_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(n > 0 ? n : 1);
#else
    (void)n;
#endif
}
