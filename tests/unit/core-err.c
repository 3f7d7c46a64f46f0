/*
 * core-err.c - the error table and struct anas_error helpers.
 */
#include "config.h"

#include "core/err.h"

#include <string.h>

#include "tap.h"

struct row {
    int code;
    const char *name;
    const char *text;
};

static const struct row rows[] = {
#define XX(name, num, str) {ANAS_##name, "ANAS_" #name, str},
    ANAS_ERR_MAP(XX)
#undef XX
};

#define N_ROWS ((int)(sizeof rows / sizeof rows[0]))

static void table(void)
{
    int names_ok = 1, texts_ok = 1, distinct = 1;

    for (int i = 0; i < N_ROWS; i++) {
        names_ok &= strcmp(anas_err_name(rows[i].code), rows[i].name) == 0;
        texts_ok &= strcmp(anas_strerror(rows[i].code), rows[i].text) == 0;
        for (int j = 0; j < i; j++)
            distinct &= rows[i].code != rows[j].code;
    }
    ok(names_ok, "every code has its ANAS_ name");
    ok(texts_ok, "every code has its text");
    ok(distinct, "codes are distinct");
    is_str(anas_err_name(ANAS_EINVAL), "ANAS_EINVAL", "EINVAL's name");
    is_str(anas_strerror(ANAS_ENOMEM), "out of memory", "ENOMEM's text");
    is_int(ANAS_EINTERNAL, -23, "codes are never renumbered");
    is_str(anas_err_name(ANAS_OK), "ANAS_OK", "0 is ANAS_OK");
    is_str(anas_strerror(-999), "unknown error", "unknown code: text");
    is_str(anas_err_name(-999), "ANAS_EUNKNOWN_CODE", "unknown code: name");
    ok(strcmp(anas_err_name(7), anas_err_name(ANAS_EUNKNOWN)) != 0,
       "an unknown code is not named like ANAS_EUNKNOWN");
}

static int set_twice(struct anas_error *err)
{
    return anas_error_set(err, ANAS_ERANGE, "width %d > %d", 9, 4);
}

static void helpers(void)
{
    struct anas_error err;
    char longname[300];

    anas_error_clear(&err);
    is_int(err.code, 0, "clear: code 0");
    ok(err.msg[0] == '\0' && err.field[0] == '\0', "clear: empty texts");

    anas_error_field(&err, ANAS_EINVAL, "M", "bad M");
    is_int(set_twice(&err), ANAS_ERANGE, "anas_error_set returns the code");
    is_int(err.code, ANAS_ERANGE, "... and stores it");
    is_str(err.msg, "width 9 > 4", "... formats the message");
    is_str(err.field, "", "... and clears a previous field");

    is_int(anas_error_field(&err, ANAS_EINVAL, "R1", "R1 is %s", "odd"), ANAS_EINVAL,
           "anas_error_field returns the code");
    is_str(err.field, "R1", "... names the field");
    is_str(err.msg, "R1 is odd", "... formats the message");

    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    anas_error_field(&err, ANAS_EINVAL, longname, "%s", longname);
    is_int((long long)strlen(err.field), (long long)sizeof err.field - 1,
           "a long field is truncated");
    is_int((long long)strlen(err.msg), (long long)sizeof err.msg - 1,
           "a long message is truncated");

    is_int(anas_error_set(NULL, ANAS_EIO, "x"), ANAS_EIO, "NULL err: set still returns");
    is_int(anas_error_field(NULL, ANAS_EIO, "f", "x"), ANAS_EIO,
           "NULL err: field still returns");
    anas_error_clear(NULL);
    ok(1, "clear(NULL) is a no-op");
}

int main(void)
{
    plan(24);
    table();
    helpers();
    return done();
}
