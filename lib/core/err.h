/*
 * err.h - error codes and error detail for libanas.
 *
 * Every libanas function that can fail returns 0 (ANAS_OK) or a negative
 * ANAS_E* code from the one table below. Functions that can say more take an
 * optional `struct anas_error *err` (may be NULL) and fill it:
 *
 *     struct anas_error err;
 *     int rc = anas_space_validate(space, &cfg, &err);
 *     if (rc < 0)
 *         printf("%s: %s (field %s)\n", anas_err_name(rc), err.msg, err.field);
 *
 * Codes are never renumbered; new ones are appended.
 */
#ifndef ANAS_CORE_ERR_H
#define ANAS_CORE_ERR_H

#include <stddef.h>

#define ANAS_ERR_MAP(XX)                                                              \
    XX(EINVAL, 1, "invalid argument")                                                 \
    XX(ENOMEM, 2, "out of memory")                                                    \
    XX(ERANGE, 3, "value out of range")                                               \
    XX(ENOTFOUND, 4, "not found")                                                     \
    XX(EEXIST, 5, "already exists")                                                   \
    XX(EBUSY, 6, "resource busy")                                                     \
    XX(ECANCELED, 7, "canceled")                                                      \
    XX(EIO, 8, "input/output error")                                                  \
    XX(EDB, 9, "database error")                                                      \
    XX(ESHAPE, 10, "tensor shape mismatch")                                           \
    XX(ENUMERIC, 11, "non-finite value")                                              \
    XX(EUNSUPPORTED, 12, "not supported")                                             \
    XX(ELIMIT, 13, "limit exceeded")                                                  \
    XX(ESTATE, 14, "invalid state for this operation")                                \
    XX(EAUTH, 15, "unauthorized")                                                     \
    XX(EFORMAT, 16, "malformed input")                                                \
    XX(EUNKNOWN, 17, "unknown field")                                                 \
    XX(ETYPE, 18, "wrong type")                                                       \
    XX(EMETHOD, 19, "method not allowed")                                             \
    XX(ETOOBIG, 20, "payload too large")                                              \
    XX(EMEDIA, 21, "unsupported media type")                                          \
    XX(EDENIED, 22, "access denied")                                                  \
    XX(EINTERNAL, 23, "internal error")                                               \
    XX(ENOSPC, 24, "no space left for the database")                                  \
    XX(EUNAVAIL, 25, "temporarily unavailable")

enum anas_err {
    ANAS_OK = 0,
#define XX(name, num, str) ANAS_##name = -(num),
    ANAS_ERR_MAP(XX)
#undef XX
};

/* Detail for a failure. `field` names the offending input (a hyperparameter
 * or parameter name, empty when none); the daemon turns it into a JSON
 * pointer. */
struct anas_error {
    int code;
    char field[96];
    char msg[240];
};

/* Human-readable text for a code ("invalid argument"); never NULL. */
const char *anas_strerror(int code);

/* The code's stable name ("ANAS_EINVAL"); never NULL. */
const char *anas_err_name(int code);

/* Fill `err` (if not NULL) and return `code`, so that callers can write
 * `return anas_error_set(err, ANAS_EINVAL, "width %d > %d", w, max);`. */
int anas_error_set(struct anas_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, naming the offending field. */
int anas_error_field(struct anas_error *err, int code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reset to "no error". */
void anas_error_clear(struct anas_error *err);

#endif
