/*
 * blas.h - the BLAS routines libanas uses, behind one small wrapper so that
 * <cblas.h> is included by blas.c alone.
 *
 * Matrices are row-major (C order), as everywhere in libanas:
 *
 *     // C (M,N) = A (M,K) * B^T (N,K): a linear layer's forward
 *     anas_blas_sgemm(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
 *
 * Whether OpenBLAS uses threads is set by OPENBLAS_NUM_THREADS when the
 * process starts, or by anas_blas_set_threads(); the calls are
 * thread-safe.
 */
#ifndef ANAS_TENSOR_BLAS_H
#define ANAS_TENSOR_BLAS_H

/* C (M,N) = alpha * op(A) op(B) + beta * C, op(X) = X or X^T as trans_x is
 * 0 or 1; op(A) is (M,K), op(B) is (K,N); lda, ldb, ldc are the row strides
 * of A, B, C as stored. beta == 0 overwrites C (NaNs in it do not leak). */
void anas_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta,
                     float *C, int ldc);

/* Cholesky factor of the symmetric positive definite A (n x n, row stride
 * lda): on return the lower triangle of A holds L with A = L L^T (the strict
 * upper triangle is left as it was). LAPACK's dpotrf as OpenBLAS ships it.
 * 0; ANAS_ERANGE (-3) when A is not positive definite (a leading minor is
 * not); ANAS_EINVAL (-1) for a bad argument. */
int anas_lapack_dpotrf(int n, double *A, int lda);

/* Solve A x = b in place of b (n values) with the factor L from
 * anas_lapack_dpotrf (LAPACK's dpotrs). */
void anas_lapack_dpotrs(int n, const double *L, int lda, double *b);

/* B (n x m, row stride ldb) = op(L)^-1 B, L lower triangular (n x n, non-unit
 * diagonal), op(L) = L or L^T as trans is 0 or 1: several triangular solves
 * at once (BLAS's dtrsm, left side). */
void anas_blas_dtrsm(int trans, int n, int m, const double *L, int lda, double *B, int ldb);

/* Threads OpenBLAS may use per call (a process-wide setting). A program
 * that runs one evaluation per thread of its own wants 1: OpenBLAS's
 * default, every core, makes concurrent callers spin against each other.
 * No-op when the BLAS is not OpenBLAS. */
void anas_blas_set_threads(int n);

#endif
