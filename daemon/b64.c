/*
 * b64.c - base64 of RFC 4648 §4.
 */
#include "config.h"

#include "b64.h"

#include <stdlib.h>

#include "core/err.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    size_t i;
    if (!out)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = alphabet[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int b64_decode(const char *text, size_t n, void **out, size_t *len)
{
    unsigned char *buf, *o;
    size_t i;
    if (n % 4 != 0)
        return ANAS_EFORMAT;
    buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return ANAS_ENOMEM;
    o = buf;
    for (i = 0; i < n; i += 4) {
        int a = value_of(text[i]), b = value_of(text[i + 1]);
        int c = text[i + 2] == '=' ? -2 : value_of(text[i + 2]);
        int d = text[i + 3] == '=' ? -2 : value_of(text[i + 3]);
        int last = i + 4 == n;
        /* padding only at the very end, and "x=y" is not base64 */
        if (a < 0 || b < 0 || c == -1 || d == -1 || (!last && (c < 0 || d < 0)) ||
            (c == -2 && d != -2)) {
            free(buf);
            return ANAS_EFORMAT;
        }
        *o++ = (unsigned char)(a << 2 | b >> 4);
        if (c >= 0)
            *o++ = (unsigned char)((b & 15) << 4 | c >> 2);
        if (d >= 0)
            *o++ = (unsigned char)((c & 3) << 6 | d);
    }
    *out = buf;
    *len = (size_t)(o - buf);
    return 0;
}
