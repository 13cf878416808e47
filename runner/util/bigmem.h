/* bigmem: large buffers on huge pages. This VM pays about 12 us for each
 * fresh 4 KiB page it touches; a matrix of a million rows touches tens of
 * thousands. Asking the kernel for transparent huge pages on a buffer
 * before its first write cuts that by 512. A hint only: where the kernel
 * says no (THP "never", or no madvise), nothing changes.
 *
 * Layer: util. May include: nothing. */
#ifndef PARITY_BIGMEM_H
#define PARITY_BIGMEM_H
#include <stddef.h>

/* Buffers from this size on get the hint (smaller ones would not fill a
 * huge page). */
#define BIGMEM_MIN ((size_t)4 << 20)

/* Asks for huge pages on the whole 2 MiB pages inside [p, p + n) when n is
 * at least BIGMEM_MIN. Call it before the buffer is first written (for
 * memory from calloc, before any store). */
void bigmem_advise(void *p, size_t n);

/* xmalloc(size) with the hint (exits with status 3 when memory is
 * exhausted): the allocator Jansson gets, whose strings of packed matrices
 * are megabytes each. */
void *bigmem_xmalloc(size_t size);

/* xtry_calloc(n, size) with the hint: NULL when memory is exhausted or
 * n * size overflows. From BIGMEM_MIN on, the buffer starts on a 2 MiB
 * boundary and is rounded up to whole huge pages (so none of it falls back
 * to 4 KiB pages), then zeroed. Release with free. */
void *bigmem_try_calloc(size_t n, size_t size);

#endif
