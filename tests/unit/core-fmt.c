/*
 * core-fmt.c - anas_fmt_double against Python's repr(float).
 *
 * The expected strings are what CPython prints; each case is also read back
 * with strtod to check that the output round-trips.
 */
#include "config.h"

#include "core/fmt.h"

#include <float.h>
#include <stdlib.h>

#include "core/err.h"
#include "tap.h"

struct fmt_case {
    double v;
    const char *repr;
};

static const struct fmt_case cases[] = {
    {0.5788056173988683, "0.5788056173988683"},
    {0.1, "0.1"},
    {1.0, "1.0"},
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1e-05, "1e-05"},
    {0.0001, "0.0001"},
    {0.00012345, "0.00012345"},
    {1e16, "1e+16"},
    {1e15, "1000000000000000.0"},
    {9007199254740993.0, "9007199254740992.0"},
    {123456789.0, "123456789.0"},
    {-2.5, "-2.5"},
    {100.0, "100.0"},
    {1.5e300, "1.5e+300"},
    {-1.25e-7, "-1.25e-07"},
    {0.3, "0.3"},
    {2.0 / 3.0, "0.6666666666666666"},
    {0.6678630624951394, "0.6678630624951394"},
    {5e-324, "5e-324"},
    {DBL_MAX, "1.7976931348623157e+308"},
    /* 2^-1017: the correctly rounded 16-digit value does not read back, its
     * neighbour on the wide side of the interval does. */
    {0x1p-1017, "7.120236347223045e-307"},
    {1234567890123456.7, "1234567890123456.8"},
};

#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

int main(void)
{
    char buf[64];
    int len;

    plan(2 * N_CASES + 6);
    for (int i = 0; i < N_CASES; i++) {
        len = anas_fmt_double(buf, sizeof buf, cases[i].v);
        is_str(buf, cases[i].repr, "repr(%s)", cases[i].repr);
        ok(len == (int)strlen(buf) && strtod(buf, NULL) == cases[i].v,
           "%s: length returned, reads back", cases[i].repr);
    }

    anas_fmt_double(buf, sizeof buf, NAN);
    is_str(buf, "nan", "nan");
    anas_fmt_double(buf, sizeof buf, INFINITY);
    is_str(buf, "inf", "inf");
    anas_fmt_double(buf, sizeof buf, -INFINITY);
    is_str(buf, "-inf", "-inf");

    is_int(anas_fmt_double(buf, 4, 0.25), ANAS_ELIMIT, "a short buffer is refused");
    is_int(anas_fmt_double(buf, 5, 0.25), 4, "an exact-fit buffer is enough");
    is_str(buf, "0.25", "... and holds the text");
    return done();
}
