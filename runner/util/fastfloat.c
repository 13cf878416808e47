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

/* Digits from p on into *w (leading zeros skipped while *w is 0, as they
 * count for nothing), *digits counting the others; past them. *digits
 * above 19 means *w overflowed: the caller declines. */
static const char *read_digits(const char *p, const char *end, uint64_t *w, int *digits)
{
	uint64_t v = *w;
	int nd = *digits;

	if (v == 0)
		while (p < end && *p == '0')
			p++;
	for (; p < end; p++) {
		unsigned d = (unsigned)(unsigned char)*p - '0';
		if (d > 9)
			break;
		v = v * 10 + d;
		nd++;
	}
	*w = v;
	*digits = nd;
	return p;
}

int fastfloat_parse(const char *s, size_t len, double *out)
{
	const char *p = s, *end = s + len, *q;
	bool neg = false;
	uint64_t w = 0;
	int digits = 0, scale = 0;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	q = p;
	p = read_digits(p, end, &w, &digits);
	bool any = p > q;
	if (p < end && *p == '.') {
		q = ++p;
		p = read_digits(p, end, &w, &digits);
		scale = -(int)(p - q);  /* zeros skipped count too */
		any |= p > q;
	}
	if (!any || digits > 19)
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

/* "00" to "99": two digits a step. */
static const char digit_pairs[201] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* m's decimal digits, written backwards so that they end at end; returns
 * how many. */
static int put_digits(uint64_t m, char *end)
{
	char *p = end;

	while (m >= 100) {
		size_t d = (size_t)(m % 100);
		m /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * d, 2);
	}
	if (m >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * m, 2);
	} else {
		*--p = (char)('0' + m);
	}
	return (int)(end - p);
}

/* m / 10^k in fixed notation, the point followed by k digits ("0.0125"),
 * into out (FASTFLOAT_FORMAT_LEN bytes); returns the length. m < 10^15, so
 * the digits are at most 15 and, as the value is at least 1e-4, the zeros
 * after the point at most 3: every copy is of a fixed size (no call), and
 * the text, the bytes copied past it included, stays inside out. */
static size_t put_fixed(bool neg, uint64_t m, int k, char *out)
{
	char tmp[48] = {0};             /* digits end at 32; 16 readable past them */
	int n = put_digits(m, tmp + 32);
	const char *d = tmp + 32 - n;
	char *o = out;

	*o = '-';
	o += neg;
	if (n > k) {                    /* n - k <= 15 integer digits */
		memcpy(o, d, 16);
		o += n - k;
		if (k > 0) {            /* then k <= 14: o + 16 <= out + 32 */
			*o++ = '.';
			memcpy(o, d + n - k, 16);
			o += k;
		}
	} else {                        /* "0." and k - n <= 3 zeros */
		memcpy(o, "0.000", 6);
		o += 2 + k - n;
		memcpy(o, d, 16);
		o += n;
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* The largest power of ten at most a, for 1e-4 <= a < 1e15: its exponent.
 * The doubles nearest 1e-1 ... 1e-4 lie above them, so comparing with them
 * gives the decimal exponent exactly. From 1 on, the binary exponent times
 * log10(2) (1233 / 4096, a hair below it, floored) is the decimal one or
 * one below it: one comparison decides. */
static int exponent10(double a)
{
	static const double neg[4] = {1e-4, 1e-3, 1e-2, 1e-1};
	int e;

	if (a < 1.0) {
		for (e = -1; e > -4 && a < neg[e + 4]; e--)
			continue;
		return e;
	}
	uint64_t bits;
	memcpy(&bits, &a, sizeof bits);
	e = (int)(((bits >> 52) & 0x7ff) - 1023) * 1233 >> 12;
	if (e < 14 && a >= pow10_exact[e + 1])
		e++;
	return e;
}

/* The fast path. x rounded to 15 significant digits is m / 10^k with
 * k = 14 - (x's decimal exponent); m < 10^15 < 2^53 and k <= 18, so
 * m / 10^k is one correctly rounded division: what strtod makes of the
 * text. When it gives x back, "%.15g" reads back, and writes m / 10^k in
 * fixed notation (x is from 1e-4 to below 1e15) without trailing zeros.
 * a * 10^k is within 0.07 of a * 10^k exactly, which is within 0.12 of m
 * when m / 10^k reads back (x is within half an ulp of it), so rounding
 * the product finds m. Zero is "0" ("-0" signed), as "%.15g" writes it.
 * -1 when x needs more digits or lies outside that range (or an estimate
 * is off: then the slow way decides). */
static int format_short(double x, char *out, size_t *len)
{
	double a = fabs(x);

	if (a == 0) {
		memcpy(out, "-0", 3);
		*len = 1 + (size_t)!!signbit(x);
		if (!signbit(x))
			memcpy(out, "0", 2);
		return 0;
	}
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
