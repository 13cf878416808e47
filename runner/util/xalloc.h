/* xalloc: allocation that never returns NULL.
 * Out of memory is an internal fault: print and exit with status 3.
 *
 * Layer: util. May include: nothing.
 */
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
#define XGROW(arr, cap, n) xgrow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

#endif
