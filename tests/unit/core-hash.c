/*
 * core-hash.c - SHA-256 against the FIPS 180-4 example vectors.
 */
#include "config.h"

#include "core/hash.h"

#include <string.h>

#include "core/alloc.h"
#include "tap.h"

static void vector(const char *msg, const char *want, const char *what)
{
    char hex[65];

    anas_sha256_hex(msg, strlen(msg), hex);
    is_str(hex, want, "%s", what);
}

int main(void)
{
    size_t n = 1000000;
    char *million = anas_malloc(n), hex[65];
    uint8_t raw[32];

    plan(9);
    vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "empty");
    vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "abc");
    vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "448 bits (two padding blocks)");
    vector(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", "896 bits");

    ok(million != NULL, "allocated a million bytes");
    if (!million)
        return done();
    memset(million, 'a', n);
    anas_sha256_hex(million, n, hex);
    is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "a million 'a'");

    /* Lengths around the block boundary take different padding paths. */
    anas_sha256_hex(million, 55, hex);
    is_str(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
           "55 'a' (one padding block)");
    anas_sha256_hex(million, 56, hex);
    is_str(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
           "56 'a' (two padding blocks)");

    anas_sha256("abc", 3, raw);
    ok(raw[0] == 0xba && raw[31] == 0xad, "raw digest agrees with hex");
    anas_free(million);
    return done();
}
