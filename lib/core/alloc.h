/*
 * alloc.h - the one allocation path of libanas.
 *
 * Every allocation in lib/ goes through these wrappers so that tests can fail
 * the Nth allocation and check that every constructor cleans up:
 *
 *     anas_alloc_fail_after(3);   // the 4th allocation from now returns NULL
 *     p = anas_space_layers(...); // must return ANAS_ENOMEM, leak nothing
 *     anas_alloc_fail_after(-1);  // back to normal
 *
 * anas_free(NULL) is a no-op. Thread-safe.
 */
#ifndef ANAS_CORE_ALLOC_H
#define ANAS_CORE_ALLOC_H

#include <stddef.h>

void *anas_malloc(size_t n);
void *anas_calloc(size_t count, size_t size);
void *anas_realloc(void *p, size_t n);
char *anas_strdup(const char *s);
void anas_free(void *p);

/* Test hook: after `n` more successful allocations, fail every one; n < 0
 * disables the fault. */
void anas_alloc_fail_after(long n);

/* The same, but only that one allocation fails: the ones after it succeed
 * again, as when memory comes back (error paths must then not take the
 * failure for something else). */
void anas_alloc_fail_once(long n);

/* How many allocations the hook has failed since the program started. */
long anas_alloc_failed(void);

/* The hook's decision for one allocation made elsewhere: 1 when it must
 * fail, else 0 (consuming one success). Tests route the allocators of the
 * daemon, SQLite and jansson through it to sweep a whole request. */
int anas_alloc_fault(void);

#endif
