/*
 * b64.h - base64 (RFC 4648 §4, with padding): a trained network's weights
 * travel from anas-worker to anasd inside a JSON result.
 */
#ifndef ANASD_B64_H
#define ANASD_B64_H

#include <stddef.h>

/* NUL-terminated text, malloc'd; NULL without memory. */
char *b64_encode(const void *data, size_t len);
/* Decode text of length n; malloc'd bytes in *out, their count in *len.
 * ANAS_EFORMAT for anything but canonical padded base64, ANAS_ENOMEM. */
int b64_decode(const char *text, size_t n, void **out, size_t *len);

#endif
