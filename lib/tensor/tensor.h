/*
 * tensor.h - data movement kernels on dense float arrays: im2col and its
 * adjoint col2im, which turn a convolution into one matrix product.
 *
 * For an image (C,H,W), a square kernel K, a stride and a zero padding,
 * the column matrix has C*K*K rows, one per (c, kh, kw), and OH*OW
 * columns, one per output pixel (OH = (H + 2*pad - K) / stride + 1):
 *
 *     col[(c*K + kh)*K + kw][oh*OW + ow] = img[c][oh*stride - pad + kh]
 *                                               [ow*stride - pad + kw]
 *
 * (0 outside the image). Rows are `ld` floats apart, so that the columns of
 * several images can sit side by side in one matrix (ld = G*OH*OW, each
 * image starting at its own column offset) and share one sgemm.
 */
#ifndef ANAS_TENSOR_H
#define ANAS_TENSOR_H

/* Fill the OH*OW columns of col (C*K*K rows, row stride ld) from img. */
void anas_tensor_im2col(float *col, int ld, const float *img, int C, int H, int W, int K,
                        int stride, int pad);

/* The adjoint: ADD every column entry back onto the image pixel it was
 * read from (entries that fell in the padding are dropped). */
void anas_tensor_col2im(float *img, const float *col, int ld, int C, int H, int W, int K,
                        int stride, int pad);

#endif
