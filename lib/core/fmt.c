/*
 * fmt.c - Python's repr(float) in C.
 *
 * Two steps, as CPython does them:
 *  1. the shortest decimal digit string that reads back as the same double
 *     (ties between equally short strings go to the one nearest the value);
 *  2. Python's layout: positional when the decimal exponent is in [-4, 16),
 *     with ".0" kept on integral values, otherwise "d.ddde+XX" with at least
 *     two exponent digits.
 *
 * Step 1 asks the C library for the correctly rounded p-digit value,
 * p = 1..17, and stops at the first that round-trips. Near a power of two
 * the round-trip interval is lopsided, so the correctly rounded candidate
 * may fall outside while its neighbour on the wider side is inside; that
 * neighbour is tried too.
 */
#include "config.h"

#include "core/fmt.h"

#include "core/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal a = mant * 10^e10. */
struct decimal {
    unsigned long long mant;
    int e10;
};

static int reads_back(const struct decimal *d, double a)
{
    char buf[48];

    snprintf(buf, sizeof buf, "%llue%d", d->mant, d->e10);
    return strtod(buf, NULL) == a;
}

/* The correctly rounded `prec`-digit decimal of a (a >= 0, finite). */
static struct decimal rounded(double a, int prec)
{
    char buf[48], *p = buf;
    struct decimal d = {0, 0};
    int n = 0;

    snprintf(buf, sizeof buf, "%.*e", prec - 1, a);
    for (; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9') {
            d.mant = d.mant * 10 + (unsigned)(*p - '0');
            n++;
        }
    }
    d.e10 = (int)strtol(p + 1, NULL, 10) - (n - 1);
    return d;
}

static struct decimal shortest(double a)
{
    struct decimal d = {0, 0};

    for (int prec = 1; prec <= 17; prec++) {
        struct decimal next;
        char buf[48];

        d = rounded(a, prec);
        if (reads_back(&d, a))
            return d;
        snprintf(buf, sizeof buf, "%llue%d", d.mant, d.e10);
        next = d;
        next.mant = strtod(buf, NULL) < a ? d.mant + 1 : d.mant - 1;
        if (next.mant && reads_back(&next, a))
            return next;
    }
    return d; /* 17 digits always round-trip */
}

/* Digits of d without trailing zeros, and the exponent of the first one. */
static int to_digits(struct decimal d, char digits[24], int *exp10)
{
    int n;

    while (d.mant && d.mant % 10 == 0) {
        d.mant /= 10;
        d.e10++;
    }
    n = snprintf(digits, 24, "%llu", d.mant);
    *exp10 = d.e10 + n - 1;
    return n;
}

static void add(char *out, size_t *at, const char *src, int len)
{
    memcpy(out + *at, src, (size_t)len);
    *at += (size_t)len;
}

static void add_zeros(char *out, size_t *at, int count)
{
    for (; count > 0; count--)
        out[(*at)++] = '0';
}

/* Python's layout of the sign, the digits dig[0..n) and the exponent e of
 * the first digit, into out (40 bytes; the longest form has 24). */
static int layout(char *out, int neg, const char *dig, int n, int e)
{
    size_t at = 0;

    if (neg)
        add(out, &at, "-", 1);
    if (e < -4 || e >= 16) {
        add(out, &at, dig, 1);
        if (n > 1) {
            add(out, &at, ".", 1);
            add(out, &at, dig + 1, n - 1);
        }
        return (int)at + snprintf(out + at, 8, "e%+03d", e);
    }
    if (e < 0) {
        add(out, &at, "0.", 2);
        add_zeros(out, &at, -e - 1);
        add(out, &at, dig, n);
    } else if (n <= e + 1) {
        add(out, &at, dig, n);
        add_zeros(out, &at, e + 1 - n);
        add(out, &at, ".0", 2);
    } else {
        add(out, &at, dig, e + 1);
        add(out, &at, ".", 1);
        add(out, &at, dig + e + 1, n - e - 1);
    }
    out[at] = '\0';
    return (int)at;
}

int anas_fmt_double(char *buf, size_t n, double v)
{
    char tmp[40], digits[24];
    int len, nd, e;

    if (isnan(v))
        len = snprintf(tmp, sizeof tmp, "nan");
    else if (isinf(v))
        len = snprintf(tmp, sizeof tmp, "%sinf", v < 0 ? "-" : "");
    else {
        nd = to_digits(shortest(fabs(v)), digits, &e);
        len = layout(tmp, signbit(v) != 0, digits, nd, e);
    }
    if (!buf || (size_t)len >= n)
        return ANAS_ELIMIT;
    memcpy(buf, tmp, (size_t)len + 1);
    return len;
}
