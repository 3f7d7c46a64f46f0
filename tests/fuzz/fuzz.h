/*
 * fuzz.h - what the fuzz targets share: libFuzzer's entry points, a
 * private temporary folder, and invariant checks that abort (libFuzzer
 * reports an abort as a crash, the replay driver as a failed test).
 *
 * Each target is one file defining LLVMFuzzerTestOneInput (and, when it
 * needs state, LLVMFuzzerInitialize). Built with --enable-fuzzing it links
 * libFuzzer; otherwise replay.c feeds it its seed corpus
 * (tests/fuzz/corpus/TARGET/) in `make check`.
 */
#ifndef ANAS_TESTS_FUZZ_H
#define ANAS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A folder of this process's own, made on first use and removed (with
 * everything in it) at exit. */
const char *fuzz_dir(void);

/* Write the bytes as the whole file at path: 0, or -1 (aborts: a fuzz
 * run cannot go on without its files). */
int fuzz_write(const char *path, const void *data, size_t n);

/* A malloc'd NUL-terminated copy of the input (NULL without memory). */
char *fuzz_cstr(const uint8_t *data, size_t n);

/* The input with every "@ROOT@" replaced by fuzz_dir(), malloc'd,
 * NUL-terminated, its length in *n_out: inputs can name files in the
 * target's folder (model and data roots) without knowing its name. */
char *fuzz_expand(const uint8_t *data, size_t n, size_t *n_out);

/* Files that are not models, in fuzz_dir()/models (which must exist):
 * empty.bst, garbage.bst, notxgb.json, and a folder, dir.bst. */
void fuzz_models(void);

/* Silence libanas's log (the daemon's code logs every refusal). */
void fuzz_quiet(void);

#define FUZZ_CHECK(cond, ...)                                                      \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "fuzz invariant failed at %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
            abort();                                                              \
        }                                                                         \
    } while (0)

#endif
