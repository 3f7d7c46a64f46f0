/*
 * err.c - the error table: names and texts for the ANAS_E* codes, and the
 * helpers that fill a struct anas_error.
 *
 * Both lookups are generated from ANAS_ERR_MAP so that a new code is one new
 * row in err.h and nothing here.
 */
#include "config.h"

#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *anas_strerror(int code)
{
    switch (code) {
    case ANAS_OK:
        return "success";
#define XX(name, num, str)                                                               \
    case ANAS_##name:                                                                    \
        return str;
        ANAS_ERR_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *anas_err_name(int code)
{
    switch (code) {
    case ANAS_OK:
        return "ANAS_OK";
#define XX(name, num, str)                                                               \
    case ANAS_##name:                                                                    \
        return "ANAS_" #name;
        ANAS_ERR_MAP(XX)
#undef XX
    }
    /* Not "ANAS_EUNKNOWN": that is a real code (an unknown field). */
    return "ANAS_EUNKNOWN_CODE";
}

static void set_msg(struct anas_error *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void set_msg(struct anas_error *err, const char *fmt, va_list ap)
{
    if (fmt)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    else
        snprintf(err->msg, sizeof err->msg, "%s", anas_strerror(err->code));
}

int anas_error_set(struct anas_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    err->field[0] = '\0';
    va_start(ap, fmt);
    set_msg(err, fmt, ap);
    va_end(ap);
    return code;
}

int anas_error_field(struct anas_error *err, int code, const char *field, const char *fmt,
                     ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_start(ap, fmt);
    set_msg(err, fmt, ap);
    va_end(ap);
    return code;
}

void anas_error_clear(struct anas_error *err)
{
    if (!err)
        return;
    err->code = ANAS_OK;
    err->field[0] = '\0';
    err->msg[0] = '\0';
}
