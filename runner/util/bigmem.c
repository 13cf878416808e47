/* bigmem: madvise(MADV_HUGEPAGE) on large buffers. */
#include "util/bigmem.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

void bigmem_advise(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t hi = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);

	if (n < BIGMEM_MIN || hi <= lo)
		return;
	(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *bigmem_xmalloc(size_t size)
{
	void *p = xmalloc(size);

	bigmem_advise(p, size);
	return p;
}

void *bigmem_try_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (n * size < BIGMEM_MIN)
		return xtry_calloc(n, size);
	/* on a huge-page boundary, so that every page of it can be huge (calloc's
	 * header puts a buffer 16 bytes past a 4 KiB page: its first and last
	 * partial 2 MiB, up to 4 MiB, took 4 KiB pages one fault at a time) */
	size_t whole = (n * size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (whole < n * size)
		return NULL;
	p = xtry_aligned_alloc(HUGE_PAGE, whole);
	if (p) {
		bigmem_advise(p, whole);
		memset(p, 0, n * size);
	}
	return p;
}
