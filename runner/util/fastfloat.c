/* fastfloat: Clinger's fast path (W. D. Clinger, "How to read floating
 * point numbers accurately", PLDI 1990), the first stage of every modern
 * correct parser; and the same exactness turned around for writing. */
#include "util/fastfloat.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- writing */

/* m / 10^k in fixed notation, the point followed by k digits ("0.0125"),
 * into out; returns the length. The length comes first, from m's digits,
 * so that the digits are written in place, backwards. */
static size_t put_fixed(bool neg, uint64_t m, int k, char *out)
{
	static const uint64_t p10[16] = {
		1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
		1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
		100000000000000u, 1000000000000000u,
	};
	int n = 1;

	while (n < 16 && m >= p10[n])       /* m < 10^15 */
		n++;
	size_t len = (size_t)neg + (size_t)(n > k ? n - k : 1) + (k > 0 ? (size_t)k + 1 : 0);
	char *p = out + len;

	*p = '\0';
	for (int j = 0; j < k; j++) {
		*--p = (char)('0' + m % 10);
		m /= 10;
	}
	if (k > 0)
		*--p = '.';
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (neg)
		*--p = '-';
	return len;
}

/* The largest power of ten at most a, for 1e-4 <= a < 1e15: its exponent.
 * The doubles nearest 1e-1 ... 1e-4 lie above them, so comparing with them
 * gives the decimal exponent exactly. */
static int exponent10(double a)
{
	static const double neg[4] = {1e-4, 1e-3, 1e-2, 1e-1};
	int e = 14;

	if (a < 1.0) {
		for (e = -1; e > -4 && a < neg[e + 4]; e--)
			continue;
		return e;
	}
	while (e > 0 && a < pow10_exact[e])
		e--;
	return e;
}

/* The fast path. x rounded to 15 significant digits is m / 10^k with
 * k = 14 - (x's decimal exponent); m < 10^15 < 2^53 and k <= 18, so
 * m / 10^k is one correctly rounded division: what strtod makes of the
 * text. When it gives x back, "%.15g" reads back, and writes m / 10^k in
 * fixed notation (x is from 1e-4 to below 1e15) without trailing zeros.
 * a * 10^k is within 0.07 of a * 10^k exactly, which is within 0.12 of m
 * when m / 10^k reads back (x is within half an ulp of it), so rounding
 * the product finds m. -1 when x needs more digits or lies outside that
 * range (or an estimate is off: then the slow way decides). */
static int format_short(double x, char *out, size_t *len)
{
	double a = fabs(x);

	if (!(a >= 1e-4 && a < 1e15))
		return -1;
	int k = 14 - exponent10(a);
	/* signed conversions: one instruction each; m < 10^15 */
	int64_t mm = (int64_t)(a * pow10_exact[k] + 0.5);
	if (mm >= 1000000000000000 || (double)mm / pow10_exact[k] != a)
		return -1;
	uint64_t m = (uint64_t)mm;
	/* the fewest decimals: no trailing zeros */
	if (k >= 8 && m % 100000000 == 0) {
		m /= 100000000;
		k -= 8;
	}
	if (k >= 4 && m % 10000 == 0) {
		m /= 10000;
		k -= 4;
	}
	while (k > 0 && m % 10 == 0) {
		m /= 10;
		k--;
	}
	*len = put_fixed(x < 0, m, k, out);
	return 0;
}

size_t fastfloat_format(double x, char out[FASTFLOAT_FORMAT_LEN])
{
	size_t len = 0;
	int n = 0;

	if (format_short(x, out, &len) == 0)
		return len;
	for (int prec = 15; prec <= 17; prec++) {
		double back;
		n = snprintf(out, FASTFLOAT_FORMAT_LEN, "%.*g", prec, x);
		if (fastfloat_parse(out, (size_t)n, &back) < 0)
			back = strtod(out, NULL);
		if (back == x)
			break;
	}
	return (size_t)n;
}
