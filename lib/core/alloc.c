/*
 * alloc.c - the allocation wrappers of libanas and their fault hook.
 *
 * The hook is one atomic countdown: -1 means "never fail", n >= 0 means "let
 * n more allocations succeed, then fail every one". Tests use it to walk a
 * constructor through every possible out-of-memory point.
 *
 * A request for 0 bytes is served as 1 byte so that NULL always means
 * failure, whatever the C library does with zero sizes.
 */
#include "config.h"

#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long fail_countdown = -1;
static _Atomic int fail_once; /* the failure at 0 ends the fault */
static _Atomic long n_failed;

/* Should this allocation fail? Consumes one success from the countdown. */
static int inject_failure(void)
{
    long n = atomic_load(&fail_countdown);

    for (;;) {
        if (n < 0)
            return 0;
        /* once: only the thread that ends the fault fails (a failed
         * exchange reloads n, and the loop looks again) */
        if (n == 0 && (!atomic_load(&fail_once) ||
                       atomic_compare_exchange_strong(&fail_countdown, &n, -1))) {
            atomic_fetch_add(&n_failed, 1);
            return 1;
        }
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
            return 0;
    }
}

int anas_alloc_fault(void)
{
    return inject_failure();
}

void anas_alloc_fail_after(long n)
{
    atomic_store(&fail_once, 0);
    atomic_store(&fail_countdown, n < 0 ? -1 : n);
}

long anas_alloc_failed(void)
{
    return atomic_load(&n_failed);
}

void anas_alloc_fail_once(long n)
{
    atomic_store(&fail_once, 1);
    atomic_store(&fail_countdown, n < 0 ? -1 : n);
}

void *anas_malloc(size_t n)
{
    if (inject_failure())
        return NULL;
    return malloc(n ? n : 1);
}

void *anas_calloc(size_t count, size_t size)
{
    if (inject_failure())
        return NULL;
    if (count == 0 || size == 0)
        count = size = 1;
    return calloc(count, size);
}

void *anas_realloc(void *p, size_t n)
{
    if (inject_failure())
        return NULL;
    return realloc(p, n ? n : 1);
}

char *anas_strdup(const char *s)
{
    size_t n;
    char *copy;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    copy = anas_malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

void anas_free(void *p)
{
    free(p);
}
