/*
 * hash.h - SHA-256, used for stable identities of architectures and
 * evaluations (the hash of a canonical form).
 *
 *     char hex[65];
 *     anas_sha256_hex(text, strlen(text), hex);
 */
#ifndef ANAS_CORE_HASH_H
#define ANAS_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

void anas_sha256(const void *data, size_t len, uint8_t out[32]);

/* Lower-case hex of the digest, NUL-terminated (65 bytes). */
void anas_sha256_hex(const void *data, size_t len, char out[65]);

#endif
