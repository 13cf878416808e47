/* bigmem: madvise(MADV_HUGEPAGE) on large buffers. */
#include "util/bigmem.h"
#include "util/xalloc.h"

#include <stdint.h>
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
	p = xtry_calloc(n, size);
	if (p)
		bigmem_advise(p, n * size);
	return p;
}
