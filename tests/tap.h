/*
 * tap.h - a tiny TAP producer for unit tests (header-only).
 *
 *     plan(3);
 *     ok(x == 1, "x is one");
 *     is_int(f(), 4, "f gives 4");
 *     is_near(g(), 0.5, 1e-9, "g gives a half");
 *     return done();
 *
 * skip_all("reason") prints "1..0 # SKIP reason" and exits 0: the test
 * harness counts it as skipped.
 */
#ifndef ANAS_TESTS_TAP_H
#define ANAS_TESTS_TAP_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_fail, tap_planned;

static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

static inline void plan_later(void)
{
    tap_planned = -1;
}

static inline int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    if (!cond)
        tap_fail++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

#define is_int(got, want, ...)                                                        \
    do {                                                                              \
        long long g_ = (long long)(got), w_ = (long long)(want);                      \
        if (!ok(g_ == w_, __VA_ARGS__))                                               \
            printf("#   got %lld, want %lld\n", g_, w_);                              \
    } while (0)

#define is_near(got, want, tol, ...)                                                  \
    do {                                                                              \
        double g_ = (double)(got), w_ = (double)(want);                               \
        if (!ok(fabs(g_ - w_) <= (tol), __VA_ARGS__))                                 \
            printf("#   got %.17g, want %.17g (tol %g)\n", g_, w_, (double)(tol));    \
    } while (0)

#define is_str(got, want, ...)                                                        \
    do {                                                                              \
        const char *g_ = (got), *w_ = (want);                                         \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                        \
            printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_);          \
    } while (0)

static inline void diag(const char *msg)
{
    printf("# %s\n", msg);
}

static inline void skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
    exit(0);
}

static inline int done(void)
{
    if (tap_planned < 0)
        printf("1..%d\n", tap_n);
    else if (tap_planned != tap_n) {
        printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
        return 1;
    }
    return tap_fail ? 1 : 0;
}

#endif
