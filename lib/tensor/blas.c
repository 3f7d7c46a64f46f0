/*
 * blas.c - the only file that includes <cblas.h>.
 *
 * A thin layer: it fixes the storage order to row-major and maps our 0/1
 * transposition flags to CBLAS's enums, so that callers read like the
 * formulas they implement.
 */
#include "config.h"

#include "tensor/blas.h"

#include <cblas.h>

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

void anas_blas_set_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(n > 0 ? n : 1);
#else
    (void)n;
#endif
}
