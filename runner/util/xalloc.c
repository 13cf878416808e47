/* xalloc: allocation wrappers; exhaustion is fatal (exit 3), except in the
 * xtry_ functions. The fault-injection hook sits in front of every one. */
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long fail_nth;          /* 0: the hook is off */
static unsigned long counted;

/* Counts an allocation; true for the one the hook fails. */
static bool injected(void)
{
	return ++counted == fail_nth;
}

/* The hook's one branch: fail_nth is 0 outside the tests. */
#define FAILS() (__builtin_expect(fail_nth != 0, 0) && injected())

void xalloc_fail_nth(unsigned long n)
{
	fail_nth = n;
	counted = 0;
}

unsigned long xalloc_count(void)
{
	return counted;
}

static void oom(void)
{
	fputs("parity: fatal: out of memory\n", stderr);
	exit(3);
}

void *xtry_malloc(size_t size)
{
	return FAILS() ? NULL : malloc(size ? size : 1);
}

void *xtry_calloc(size_t n, size_t size)
{
	return FAILS() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *xtry_aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (FAILS() || posix_memalign(&p, align, size ? size : 1) != 0)
		return NULL;
	return p;
}

void *xmalloc(size_t size)
{
	void *p = xtry_malloc(size);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = xtry_calloc(n, size);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = FAILS() ? NULL : realloc(p, size ? size : 1);
	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void xgrow(void **items, size_t *cap, size_t n, size_t sz)
{
	if (n <= *cap)
		return;
	size_t c = *cap ? *cap : 4;
	while (c < n) {
		if (c > SIZE_MAX / 2)
			oom();
		c *= 2;
	}
	if (sz && c > SIZE_MAX / sz)
		oom();
	*items = xrealloc(*items, c * sz);
	*cap = c;
}
