/* xalloc: allocation that never returns NULL.
 * Out of memory is an internal fault: print "parity: fatal: out of memory"
 * and exit with status 3. Sizes read from outside input go through the
 * xtry_ functions instead, so that a bogus size is an error, not an exit.
 *
 * Layer: util. May include: nothing. */
#ifndef PARITY_XALLOC_H
#define PARITY_XALLOC_H
#include <stddef.h>

/* All return memory owned by the caller. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);          /* xstrdup(NULL) returns NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *items (of *cap elements of size sz) so that it holds at least n. */
void xgrow(void **items, size_t *cap, size_t n, size_t sz);
/* The check comes first, inline: most calls find room. */
#define XGROW(arr, cap, n)                                                     \
	do {                                                                   \
		if ((n) > (cap))                                               \
			xgrow((void **)&(arr), &(cap), (n), sizeof(*(arr)));   \
	} while (0)

/* malloc and calloc that may fail: NULL when memory is exhausted. For sizes
 * from outside input, and for libraries that check what malloc returns
 * (json_set_alloc_funcs). Owned by the caller. */
void *xtry_malloc(size_t size);
void *xtry_calloc(size_t n, size_t size);
/* size bytes, not zeroed, at a multiple of align (a power of two, a
 * multiple of sizeof(void *)); NULL when memory is exhausted. Release
 * with free. */
void *xtry_aligned_alloc(size_t align, size_t size);

/* Fault injection for the out-of-memory tests (tests/unit/test_oom.c), as
 * Lua's ltests and SQLite's OOM loop do it: after xalloc_fail_nth(n), the
 * nth allocation counted from then on fails as if memory were exhausted
 * (the x functions above exit with status 3, the xtry_ ones return NULL)
 * and every other one succeeds; n = 0 turns it off. Off, it costs one
 * well-predicted branch per allocation. Not thread-safe: arm it only while
 * one thread allocates. */
void xalloc_fail_nth(unsigned long n);
/* The allocations counted since the last xalloc_fail_nth (0 when off). */
unsigned long xalloc_count(void);

#endif
