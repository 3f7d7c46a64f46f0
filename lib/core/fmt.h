/*
 * fmt.h - number formatting that round-trips.
 *
 * anas_fmt_double() writes the shortest decimal that reads back as the same
 * double, the way Python's repr() does ("0.5788056173988683", "1.0",
 * "1e-05"), so that exported files match AnalogNAS's byte for byte.
 */
#ifndef ANAS_CORE_FMT_H
#define ANAS_CORE_FMT_H

#include <stddef.h>

/* Returns the length written (excluding NUL), or a negative code when `n` is
 * too small. */
int anas_fmt_double(char *buf, size_t n, double v);

#endif
