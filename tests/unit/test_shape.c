/* Unit tests for data/shape: one synthetic fault per shape, made the way
 * the fault happens (another scaler, swapped columns, fit_transform, 0
 * instead of the median, clipping, float16 and bfloat16 conversion done by
 * the compiler and by bit masking, "%.6g" printing), the shape named and
 * its parameters and one-line description checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/shape.h"
#include "util/xalloc.h"

#define ROWS 100

static void near_value(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (+-%g)", got, want, tol);
}

/* A deterministic spread of values around 50, float-representable. */
static double raw(size_t i)
{
	return (double)(float)(50 + 10 * sin((double)i * 1.7) + 0.37 * (double)(i % 7));
}

static void fill(double *v, double (*f)(size_t))
{
	for (size_t i = 0; i < ROWS; i++)
		v[i] = f(i);
}

static struct shape diagnose1(const double *b, const double *o)
{
	struct shape s;

	shape_diagnose(b, o, ROWS, 1, &s);
	return s;
}

static void expect_text(const struct shape *s, const char *const *names, size_t cols,
			const char *want)
{
	char *got = shape_describe(s, "staging", "production", names, cols);

	assert_string_equal(got, want);
	free(got);
}

static void test_identical(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	memcpy(o, b, sizeof b);
	b[3] = o[3] = NAN;
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_IDENTICAL);
	assert_int_equal(s.differ, 0);
	assert_int_equal(s.rows, ROWS);
	expect_text(&s, NULL, 1, "identical");
}

static void test_offset(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = b[i] - 0.25;
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_OFFSET);
	assert_int_equal(s.differ, ROWS);
	near_value(s.offset, -0.25, 1e-12);
	near_value(s.max_abs_diff, 0.25, 1e-12);
	expect_text(&s, NULL, 1, "production = staging - 0.25 (constant offset: another"
		    " centering or origin)");
}

static void test_affine(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;
	json_t *j;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = 1.23 * b[i] - 0.41;
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_AFFINE);
	near_value(s.slope, 1.23, 1e-12);
	near_value(s.offset, -0.41, 1e-10);
	assert_true(s.residual < 1e-10);
	expect_text(&s, NULL, 1, "production = 1.23 x staging - 0.41 (affine: another scaler's"
		    " mean and standard deviation)");
	j = shape_to_json(&s, (const char *const[]){"amount"});
	assert_string_equal(json_string_value(json_object_get(j, "shape")), "affine");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "amount");
	near_value(json_real_value(json_object_get(j, "slope")), 1.23, 1e-12);
	assert_int_equal(json_integer_value(json_object_get(j, "differ")), ROWS);
	json_decref(j);
}

static void test_unit_change(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = 1000 * b[i];
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_AFFINE);
	expect_text(&s, NULL, 1, "production = 1000 x staging (affine: another scaler's mean"
		    " and standard deviation)");
}

static void test_permutation(void **state)
{
	double b[ROWS * 3], o[ROWS * 3];
	struct shape s[3];
	const char *const names[] = {"age", "amount", "tenure"};

	(void)state;
	for (size_t i = 0; i < ROWS; i++) {
		b[i * 3] = raw(i);
		b[i * 3 + 1] = raw(i + 13) * 3;
		b[i * 3 + 2] = (double)i;
		o[i * 3] = b[i * 3 + 1];
		o[i * 3 + 1] = b[i * 3];
		o[i * 3 + 2] = b[i * 3 + 2];
	}
	shape_diagnose(b, o, ROWS, 3, s);
	assert_int_equal(s[0].kind, SHAPE_PERMUTATION);
	assert_int_equal(s[0].source, 1);
	assert_int_equal(s[1].kind, SHAPE_PERMUTATION);
	assert_int_equal(s[1].source, 0);
	assert_int_equal(s[2].kind, SHAPE_IDENTICAL);
	expect_text(&s[1], names, 3, "production's 'amount' equals staging's 'age'"
		    " (permutation: feature order changed)");
	expect_text(&s[0], NULL, 3, "production's column 0 equals staging's column 1"
		    " (permutation: feature order changed)");
}

/* The fit_transform bug: staging scales with the training statistics,
 * production refits the scaler on the batch. */
static void test_batch_standardized(void **state)
{
	double b[ROWS], o[ROWS], mean = 0, ss = 0;
	struct shape s;

	(void)state;
	for (size_t i = 0; i < ROWS; i++)
		mean += raw(i) / ROWS;
	for (size_t i = 0; i < ROWS; i++)
		ss += (raw(i) - mean) * (raw(i) - mean);
	for (size_t i = 0; i < ROWS; i++) {
		b[i] = (raw(i) - 47.0) / 9.5;
		o[i] = (raw(i) - mean) / sqrt(ss / ROWS);
	}
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_BATCH_STANDARDIZED);
	assert_int_equal(s.standardized_side, 1);
	/* and the other way round */
	s = diagnose1(o, b);
	assert_int_equal(s.kind, SHAPE_BATCH_STANDARDIZED);
	assert_int_equal(s.standardized_side, 0);
}

/* Each request standardized over its own features (the serving example's
 * preprocessing-drift fault): no column explains it, the rows do. */
static void test_row_standardized(void **state)
{
	double b[ROWS * 4], o[ROWS * 4];
	struct shape s[4];

	(void)state;
	for (size_t i = 0; i < ROWS; i++) {
		double m = 0, ss = 0;

		for (size_t c = 0; c < 4; c++) {
			b[i * 4 + c] = raw(i * 4 + c) / (double)(c + 1);
			m += b[i * 4 + c] / 4;
		}
		for (size_t c = 0; c < 4; c++)
			ss += (b[i * 4 + c] - m) * (b[i * 4 + c] - m);
		for (size_t c = 0; c < 4; c++)
			o[i * 4 + c] = (b[i * 4 + c] - m) / sqrt(ss / 4);
	}
	shape_diagnose(b, o, ROWS, 4, s);
	for (size_t c = 0; c < 4; c++) {
		assert_int_equal(s[c].kind, SHAPE_BATCH_STANDARDIZED);
		assert_true(s[c].per_row);
	}
	expect_text(&s[2], NULL, 4, "production has mean 0 and standard deviation 1 across each"
		    " row, staging does not (standardized with each request's own statistics)");
}

static void test_missing_default(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	memcpy(o, b, sizeof b);
	for (size_t i = 0; i < ROWS; i += 10) {
		b[i] = 50.5;      /* staging: the median */
		o[i] = 0;         /* production: 0 */
	}
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_MISSING_DEFAULT);
	assert_int_equal(s.differ, 10);
	near_value(s.sentinel, 0, 0);
	near_value(s.replaced, 50.5, 0);
	expect_text(&s, NULL, 1, "production has 0 where staging has 50.5, nowhere else"
		    " (another missing-value default)");
	for (size_t i = 0; i < ROWS; i += 10)
		o[i] = NAN;
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_MISSING_DEFAULT);
	assert_true(isnan(s.sentinel));
	expect_text(&s, NULL, 1, "production has NaN where staging has 50.5, nowhere else"
		    " (another missing-value default)");
}

static void test_clipping(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = fmin(b[i], 55);
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_CLIPPING);
	assert_true(s.differ > 1);
	near_value(s.bound, 55, 0);
	expect_text(&s, NULL, 1, "production sits at 55 where staging lies above it"
		    " (clipping)");
	for (size_t i = 0; i < ROWS; i++)
		o[i] = fmax(fmin(b[i], 55), 45);
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_CLIPPING);
	expect_text(&s, NULL, 1, "production sits at the bounds where staging lies outside"
		    " [45, 55] (clipping)");
}

/* bfloat16 by masking a float's bits, rounding to nearest even. */
static double to_bfloat16(double x)
{
	float f = (float)x;
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* float16 (normal range): 11 significant bits, rounding to nearest even
 * (rint in the default mode); written out because clang on x86-64 has no
 * _Float16. */
static double to_float16(double x)
{
	int e;
	double m = frexp(x, &e);

	return ldexp(rint(ldexp(m, 11)), e - 11);
}

static void test_precision_formats(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = to_float16(b[i]);
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_PRECISION);
	assert_string_equal(s.precision, "float16");
	assert_true(s.exact);
	assert_true(s.max_rel_diff <= 0x1p-11);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = to_bfloat16(b[i]);
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_PRECISION);
	assert_string_equal(s.precision, "bfloat16");
	for (size_t i = 0; i < ROWS; i++) {
		b[i] = raw(i) * 1e6 + 0.123;
		o[i] = (double)(float)b[i];
	}
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_PRECISION);
	assert_string_equal(s.precision, "float32");
}

/* float16 arithmetic, not one rounding: relative errors of a few 2^-11. */
static void test_precision_scale(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;
	char *text;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = b[i] * (1 + (i % 2 ? 3 : -2) * 0x1p-12 * (double)(i % 3));
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_PRECISION);
	assert_string_equal(s.precision, "float16");
	assert_false(s.exact);
	text = shape_describe(&s, "staging", "production", NULL, 1);
	assert_non_null(strstr(text, "at float16's scale"));
	free(text);
}

static void test_digits(void **state)
{
	double b[ROWS], o[ROWS];
	char text[64];
	struct shape s;

	(void)state;
	for (size_t i = 0; i < ROWS; i++) {
		b[i] = raw(i) / 7;
		snprintf(text, sizeof text, "%.6g", b[i]);
		o[i] = strtod(text, NULL);
	}
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_DIGITS);
	assert_int_equal(s.digits, 6);
	expect_text(&s, NULL, 1, "production = staging rounded to 6 significant digits"
		    " (transport rounding, as TensorFlow Serving's JSON does at 6)");
}

static void test_unexplained(void **state)
{
	double b[ROWS], o[ROWS];
	struct shape s;

	(void)state;
	fill(b, raw);
	for (size_t i = 0; i < ROWS; i++)
		o[i] = b[i] + (double)((i * 37) % 11);
	o[42] = b[42] + 20;
	s = diagnose1(b, o);
	assert_int_equal(s.kind, SHAPE_UNEXPLAINED);
	assert_int_equal(s.ntop, SHAPE_TOP);
	{
		char *text = shape_describe(&s, "staging", "production", NULL, 1);

		assert_non_null(strstr(text, "none of the known shapes; largest differences: row 42:"));
		free(text);
	}
	assert_int_equal(s.top_row[0], 42);
	near_value(s.max_abs_diff, 20, 1e-9);
	near_value(s.top_diff[1], 10, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_affine),
		cmocka_unit_test(test_unit_change),
		cmocka_unit_test(test_permutation),
		cmocka_unit_test(test_batch_standardized),
		cmocka_unit_test(test_row_standardized),
		cmocka_unit_test(test_missing_default),
		cmocka_unit_test(test_clipping),
		cmocka_unit_test(test_precision_formats),
		cmocka_unit_test(test_precision_scale),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_unexplained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
