/* Unit tests for util/fastfloat against the C library's strtod: whatever
 * the fast path accepts must be the very double strtod gives (the same
 * bits), over millions of random decimal strings and of random bit
 * patterns printed several ways; and it must take most short decimals.
 * fastfloat_format against snprintf: the same text as the shortest of
 * "%.15g", "%.16g", "%.17g" that strtod reads back, over 1.5 million
 * random bit patterns, short decimals and integers, and the edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fastfloat.h"

static uint64_t state_x = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	state_x ^= state_x << 13;
	state_x ^= state_x >> 7;
	state_x ^= state_x << 17;
	return state_x;
}

/* fastfloat on s either declines or agrees with strtod to the bit; counts
 * the accepted ones */
static void agree(const char *s, size_t *taken)
{
	double fast = 0, slow;
	char *end;

	if (fastfloat_parse(s, strlen(s), &fast) < 0)
		return;
	slow = strtod(s, &end);
	if (*end != '\0')
		fail_msg("fastfloat took '%s', which strtod does not take whole", s);
	if (memcmp(&fast, &slow, sizeof fast) != 0)
		fail_msg("'%s': fastfloat %.17g, strtod %.17g", s, fast, slow);
	(*taken)++;
}

/* A random decimal: sign, 1 to 20 digits with a point anywhere (or none),
 * an exponent or not. */
static void random_decimal(char *buf, size_t cap)
{
	size_t n = 0;
	int digits = 1 + (int)(next() % 20), point = (int)(next() % (uint64_t)(digits + 2)) - 1;

	if (next() % 3 == 0)
		buf[n++] = next() % 2 ? '-' : '+';
	for (int i = 0; i < digits; i++) {
		if (i == point)
			buf[n++] = '.';
		buf[n++] = (char)('0' + next() % 10);
	}
	if (next() % 2)
		n += (size_t)snprintf(buf + n, cap - n, "%c%d", next() % 2 ? 'e' : 'E',
				      (int)(next() % 61) - 30);
	buf[n] = '\0';
}

static void test_random_decimals(void **state)
{
	char buf[64];
	size_t taken = 0;

	(void)state;
	for (int i = 0; i < 1000000; i++) {
		random_decimal(buf, sizeof buf);
		agree(buf, &taken);
	}
	/* most short decimals take the fast path */
	assert_true(taken > 500000);
}

static void test_random_bits(void **state)
{
	static const int precision[] = {17, 15, 9, 6};
	char buf[512];
	size_t taken = 0;

	(void)state;
	for (int i = 0; i < 500000; i++) {
		uint64_t bits = next();
		double d;
		memcpy(&d, &bits, sizeof d);
		if (i % 2) /* half of them in the range data files hold */
			d = ldexp((double)(bits >> 11), -53) * 2000.0 - 1000.0;
		for (size_t f = 0; f < sizeof precision / sizeof precision[0]; f++) {
			snprintf(buf, sizeof buf, "%.*g", precision[f], d);
			agree(buf, &taken);
		}
		snprintf(buf, sizeof buf, "%.6f", d);
		agree(buf, &taken);
		snprintf(buf, sizeof buf, "%.3e", d);
		agree(buf, &taken);
	}
	assert_true(taken > 500000);
}

static void test_edges(void **state)
{
	static const char *const yes[] = {"0", "-0", "+0", "0.0", "-0.0", ".5", "5.", "1e22",
					  "9007199254740992", "12345678901234e-3", "0e999",
					  "00000000000000000000000001", "1.5E-21", "-3.25e+2"};
	static const char *const no[] = {"", "-", ".", "e5", "1e", "1e+", "0x10", "inf", "nan",
					 "1 ", " 1", "1,5", "9007199254740993", "1e23", "1e-23",
					 "12345678901234567890", "1e100000", "--1", "1.2.3"};
	double v;
	size_t taken = 0;

	(void)state;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (fastfloat_parse(yes[i], strlen(yes[i]), &v) < 0)
			fail_msg("declined '%s'", yes[i]);
		agree(yes[i], &taken);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (fastfloat_parse(no[i], strlen(no[i]), &v) == 0)
			fail_msg("took '%s' as %.17g", no[i], v);
	assert_int_equal(fastfloat_parse("-0", 2, &v), 0);
	assert_true(signbit(v));
	/* len bounds the text: "12" of "123" */
	assert_int_equal(fastfloat_parse("123", 2, &v), 0);
	assert_true(v == 12.0);
}

/* ---- fastfloat_format */

/* What fastfloat_format must write, the slow way. */
static void reference(double x, char *out, size_t cap)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, cap, "%.*g", prec, x);
		if (strtod(out, NULL) == x)
			return;
	}
}

static void same_text(double x)
{
	char want[64], got[FASTFLOAT_FORMAT_LEN + 8];

	reference(x, want, sizeof want);
	memset(got, 'X', sizeof got);
	size_t n = fastfloat_format(x, got);
	if (strcmp(got, want) != 0 || n != strlen(want))
		fail_msg("%a: fastfloat_format wrote '%s' (%zu), snprintf '%s'", x, got, n, want);
}

static void test_format_edges(void **state)
{
	static const double xs[] = {0.0, -0.0, 0.1, -0.1, 0.5, 1.0 / 3, 0.1 + 0.2, 1e-4, 1e-5,
				    0.0001, 0.00012345, 9.9999999999999e-5, 1e15, 1e15 - 0.5,
				    999999999999999.9, 99999999999999.99, 123456789012345.0,
				    1234567890123456.0, 1e-7, 1e300, 1e20, 5e-324, 1.7976931348623157e308,
				    2.2250738585072014e-308, 9007199254740992.0, 0.3, 2.675, 1.005,
				    -0.929302, 0.0949, 0.075465, 100.0, 1e14, 1e-3, 0.001, 12.5};
	char b[FASTFLOAT_FORMAT_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		same_text(xs[i]);
		same_text(nextafter(xs[i], INFINITY));
		same_text(nextafter(xs[i], -INFINITY));
	}
	/* powers of ten and their neighbours, where the notation changes */
	for (int e = -30; e <= 30; e++) {
		double p = pow(10, e);
		same_text(p);
		same_text(-p);
		same_text(nextafter(p, 0));
		same_text(nextafter(p, INFINITY));
	}
	assert_int_equal(fastfloat_format(0.25, b), 4);
	assert_string_equal(b, "0.25");
	assert_int_equal(fastfloat_format(-1e-4, b), 7);
	assert_string_equal(b, "-0.0001");
}

static void test_format_random(void **state)
{
	char buf[64];

	(void)state;
	for (int i = 0; i < 300000; i++) {
		uint64_t bits = next();
		double d;
		memcpy(&d, &bits, sizeof d);
		if (isfinite(d))
			same_text(d);
		/* in the range data holds, as the fewest digits of a few decimals */
		d = ldexp((double)(bits >> 11), -53) * 2000.0 - 1000.0;
		same_text(d);
		snprintf(buf, sizeof buf, "%.*f", (int)(next() % 12), d);
		same_text(strtod(buf, NULL));
		snprintf(buf, sizeof buf, "%.*g", 1 + (int)(next() % 17), d / 1e6);
		same_text(strtod(buf, NULL));
		same_text((double)(int64_t)(next() >> (next() % 64)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random_decimals),
		cmocka_unit_test(test_random_bits),
		cmocka_unit_test(test_format_edges),
		cmocka_unit_test(test_format_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
