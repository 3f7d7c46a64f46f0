/*
 * data_int.h - what the files of lib/data share and nobody else needs.
 */
#ifndef ANAS_DATA_INT_H
#define ANAS_DATA_INT_H

#include "data/data.h"

/* Largest image side and sample count any loader accepts: far above real
 * datasets, low enough that n*c*h*w cannot overflow a size_t. */
#define ANAS_DATA_MAX_SIDE 4096
#define ANAS_DATA_MAX_N    100000000

/* A dataset with x and y allocated (contents undefined), classes 0 and the
 * identity normalization recorded; NULL with ANAS_ENOMEM or ANAS_ERANGE. */
struct anas_dataset *anas__data_alloc(int n, int c, int h, int w, struct anas_error *err);

/* Floats in one sample. */
size_t anas__data_sample_size(const struct anas_dataset *d);

#endif
