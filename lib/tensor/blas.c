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

/* LAPACK's Fortran interface; the trailing length is gfortran's hidden
 * argument for the CHARACTER*1 parameter. */
void dpotrf_(const char *uplo, const blasint *n, double *a, const blasint *lda, blasint *info,
             size_t uplo_len);
void dpotrs_(const char *uplo, const blasint *n, const blasint *nrhs, const double *a,
             const blasint *lda, double *b, const blasint *ldb, blasint *info,
             size_t uplo_len);

void anas_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta,
                     float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta,
                C, ldc);
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
