/* fastfloat: Clinger's fast path (W. D. Clinger, "How to read floating
 * point numbers accurately", PLDI 1990), the first stage of every modern
 * correct parser. */
#include "util/fastfloat.h"

#include <stdbool.h>
#include <stdint.h>

#define MAX_EXACT ((uint64_t)1 << 53)

static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

int fastfloat_parse(const char *s, size_t len, double *out)
{
	const char *p = s, *end = s + len;
	bool neg = false;
	uint64_t w = 0;
	int digits = 0, scale = 0;
	bool any = false;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	for (; p < end && digit(*p); p++) {
		any = true;
		if (w == 0 && *p == '0')
			continue;               /* leading zeros count for nothing */
		if (++digits > 19)
			return -1;
		w = w * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p == '.') {
		for (p++; p < end && digit(*p); p++) {
			any = true;
			scale--;
			if (w == 0 && *p == '0')
				continue;
			if (++digits > 19)
				return -1;
			w = w * 10 + (uint64_t)(*p - '0');
		}
	}
	if (!any)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		bool eneg = false;
		int e = 0, edigits = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < end && digit(*p); p++) {
			if (++edigits > 4)
				return -1;
			e = e * 10 + (*p - '0');
		}
		if (!edigits)
			return -1;
		scale += eneg ? -e : e;
	}
	if (p != end || w > MAX_EXACT)
		return -1;
	double v = (double)w;
	if (w == 0)
		v = 0;
	else if (scale < 0 && scale >= -22)
		v /= pow10_exact[-scale];
	else if (scale > 0 && scale <= 22)
		v *= pow10_exact[scale];
	else if (scale != 0)
		return -1;
	*out = neg ? -v : v;
	return 0;
}
