/*
 * data.h - datasets in memory: images as normalized float (N,C,H,W) and
 * integer labels, loaded from standard files or made up for tests.
 *
 *     struct anas_error err;
 *     struct anas_dataset *train = anas_data_load_idx(
 *         "/usr/share/datasets/fashion-mnist", "train", &err);
 *     anas_data_normalize(train, NULL, NULL);   // per-channel mean/std of itself
 *     struct anas_dataset *sub = anas_data_subset(train, 10000, 7, &err);
 *     struct anas_loader ld;
 *     anas_loader_init(&ld, sub, 128, 1, 42);    // batch 128, shuffled, seed 42
 *     float *x = ...; int *y = ...;             // caller buffers of one batch
 *     while ((n = anas_loader_next(&ld, x, y, &aug)) > 0) ...
 *     anas_loader_fini(&ld);
 *     anas_data_free(sub); anas_data_free(train);
 *
 * Nothing is downloaded: paths come from the caller (the daemon allows only
 * configured data roots). A dataset is immutable after normalization and
 * may be shared by threads; a loader belongs to one thread.
 */
#ifndef ANAS_DATA_H
#define ANAS_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rng.h"

struct anas_dataset {
    int n;           /* samples */
    int c, h, w;     /* image shape */
    int classes;
    float *x;        /* (n, c, h, w) */
    int *y;          /* (n) labels in 0..classes-1; with targets, y[i] = i */
    float *t;        /* (n, t_dim) regression targets, or NULL (classification) */
    int t_dim;
    float mean[4], std[4]; /* the normalization applied (per channel, c <= 4) */
};

void anas_data_free(struct anas_dataset *d);

/* IDX files (MNIST, Fashion-MNIST): in `dir`, split "train" reads
 * train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz), "test"
 * reads t10k-*. Gzip or plain (the .gz name wins when both exist). Pixels
 * scaled to [0,1]; classes = largest label + 1. ANAS_ENOTFOUND,
 * ANAS_EFORMAT (with the file and the reason). */
struct anas_dataset *anas_data_load_idx(const char *dir, const char *split,
                                        struct anas_error *err);

/* CIFAR-10 binary batches in `dir`: "train" = data_batch_1..5.bin,
 * "test" = test_batch.bin. Pixels scaled to [0,1]. */
struct anas_dataset *anas_data_load_cifar10(const char *dir, const char *split,
                                            struct anas_error *err);

/* A deterministic synthetic classification set: `classes` Gaussian blobs
 * in image space (learnable, so training tests can expect progress). The
 * blob centres depend only on the shape and `classes`; `seed` draws the
 * samples, so two seeds give a train and a test split of one task. Labels
 * cycle through the classes. */
struct anas_dataset *anas_data_synthetic(int n, int c, int h, int w, int classes,
                                         uint64_t seed, struct anas_error *err);

/* aihwkit's small examples' two samples as a regression set (targets t,
 * classes = t_dim): "aihwkit-tiny-1" (examples 1, 5, 7, 8: 4 inputs, 2
 * targets), "aihwkit-tiny-2" (example 2: 4 inputs, 1 target). NULL and
 * ANAS_ENOTFOUND for another name. */
struct anas_dataset *anas_data_tiny(const char *name, struct anas_error *err);
/* Its targets per sample, or ANAS_ENOTFOUND. */
int anas_data_tiny_outputs(const char *name);

/* Normalize in place per channel: (x - mean) / std. With mean/std NULL the
 * dataset's own statistics are used. Records what was applied, composed
 * with any earlier normalization (so mean/std always map the original
 * pixels to the current values: normalize a test split with the train
 * split's record). ANAS_EINVAL for a std that is not > 0. */
int anas_data_normalize(struct anas_dataset *d, const float *mean, const float *std);

/* A new dataset of `n` samples drawn without replacement by `seed`
 * (n >= d->n: a shuffled copy of all). */
struct anas_dataset *anas_data_subset(const struct anas_dataset *d, int n, uint64_t seed,
                                      struct anas_error *err);

/* Augmentation (AnalogNAS's CIFAR recipe): random crop with zero padding,
 * horizontal flip, cutout. Zero fields disable each. The padding is a
 * black original pixel (-mean/std after normalization, as torchvision pads
 * before Normalize); cutout writes 0 (it runs after Normalize). */
struct anas_augment {
    int crop_pad;     /* e.g. 4: pad then crop back to H x W */
    int flip;         /* horizontal flip with probability 1/2 */
    int cutout;       /* side of a zeroed square, 0 = off */
};

struct anas_loader {
    const struct anas_dataset *d;
    int batch;
    int shuffle;
    int *order;
    int pos;
    struct anas_rng rng;
};

int anas_loader_init(struct anas_loader *ld, const struct anas_dataset *d, int batch,
                     int shuffle, uint64_t seed);
void anas_loader_fini(struct anas_loader *ld);
/* Start a new epoch (reshuffles when shuffling). */
void anas_loader_reset(struct anas_loader *ld);
/* Copy the next batch into x (batch*c*h*w floats) and y; returns the number
 * of samples (0 at the end of the epoch). aug may be NULL. */
int anas_loader_next(struct anas_loader *ld, float *x, int *y, const struct anas_augment *aug);

#endif
