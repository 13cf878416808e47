/* Unit tests for data/metrics: numpy.isclose's docstring examples as the
 * oracle for allclose, numpy.argmax's tie and NaN rules, metrics against
 * values computed by hand, the tolerance messages, and the post-processing
 * helpers (softmax, sigmoid, flips, rows near the threshold). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/matrix.h"
#include "data/metrics.h"

#define RTOL METRICS_RTOL_DEFAULT
#define ATOL METRICS_ATOL_DEFAULT

static void near_value(double got, double want, double tol)
{
	if (got == want || (isnan(got) && isnan(want)))
		return;
	if (isnan(want) || !(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (+-%g)", got, want, tol);
}

static struct matrix *mat(size_t rows, size_t cols, const double *v)
{
	struct matrix *m = matrix_new(rows, cols);

	memcpy(m->v, v, rows * cols * sizeof(double));
	return m;
}

/* numpy.isclose's docstring, case by case: isclose(a, b[, atol]). */
static void test_isclose_numpy_docstring(void **state)
{
	static const struct {
		double a, b, atol;
		bool want;
	} cases[] = {
		/* np.isclose([1e10,1e-7], [1.00001e10,1e-8]) -> [True, False] */
		{1e10, 1.00001e10, ATOL, true}, {1e-7, 1e-8, ATOL, false},
		/* np.isclose([1e10,1e-8], [1.00001e10,1e-9]) -> [True, True] */
		{1e10, 1.00001e10, ATOL, true}, {1e-8, 1e-9, ATOL, true},
		/* np.isclose([1e10,1e-8], [1.0001e10,1e-9]) -> [False, True] */
		{1e10, 1.0001e10, ATOL, false}, {1e-8, 1e-9, ATOL, true},
		/* np.isclose([1.0, np.nan], [1.0, np.nan]) -> [True, False] */
		{1.0, 1.0, ATOL, true}, {NAN, NAN, ATOL, false},
		/* np.isclose([1e-8, 1e-7], [0.0, 0.0]) -> [True, False] */
		{1e-8, 0.0, ATOL, true}, {1e-7, 0.0, ATOL, false},
		/* np.isclose([1e-100, 1e-7], [0.0, 0.0], atol=0.0) -> [False, False] */
		{1e-100, 0.0, 0.0, false}, {1e-7, 0.0, 0.0, false},
		/* np.isclose([1e-10, 1e-10], [1e-20, 0.0]) -> [True, True] */
		{1e-10, 1e-20, ATOL, true}, {1e-10, 0.0, ATOL, true},
		/* np.isclose([1e-10, 1e-10], [1e-20, 0.999999e-10], atol=0.0) -> [False, True] */
		{1e-10, 1e-20, 0.0, false}, {1e-10, 0.999999e-10, 0.0, true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (metrics_isclose(cases[i].a, cases[i].b, RTOL, cases[i].atol) != cases[i].want)
			fail_msg("case %zu: isclose(%g, %g) should be %d", i, cases[i].a, cases[i].b,
				 cases[i].want);
}

static void test_isclose_infinities_and_asymmetry(void **state)
{
	(void)state;
	assert_true(metrics_isclose(INFINITY, INFINITY, RTOL, ATOL));
	assert_true(metrics_isclose(-INFINITY, -INFINITY, RTOL, ATOL));
	assert_false(metrics_isclose(INFINITY, -INFINITY, RTOL, ATOL));
	assert_false(metrics_isclose(INFINITY, 1e308, RTOL, ATOL));
	assert_false(metrics_isclose(1.0, INFINITY, 1.0, 1.0));
	assert_false(metrics_isclose(NAN, 1.0, RTOL, 1e300));
	assert_false(metrics_isclose(1.0, NAN, RTOL, 1e300));
	/* b is the reference: |1 - 1.11| <= 0.1 * 1.11, but not <= 0.1 * 1. */
	assert_true(metrics_isclose(1.0, 1.11, 0.1, 0.0));
	assert_false(metrics_isclose(1.11, 1.0, 0.1, 0.0));
}

static void test_argmax_like_numpy(void **state)
{
	(void)state;
	assert_int_equal(metrics_argmax((const double[]){1, 3, 3, 2}, 4), 1);       /* first of a tie */
	assert_int_equal(metrics_argmax((const double[]){1, NAN, 3, NAN}, 4), 1);   /* first NaN */
	assert_int_equal(metrics_argmax((const double[]){5, 4, NAN}, 3), 2);
	assert_int_equal(metrics_argmax((const double[]){-INFINITY, -INFINITY}, 2), 0);
	assert_int_equal(metrics_argmax((const double[]){-1, INFINITY, INFINITY}, 3), 1);
	assert_int_equal(metrics_argmax(NULL, 0), 0);
}

/* Differences by hand:
 *   row 0: |0.7-0.6| = 0.1, |0.2-0.3| = 0.1      argmax 1 / 1
 *   row 1: equal                                  argmax 0 / 0
 *   row 2: |0.3-0.4| = 0.1, |0.4-0.3| = 0.1      argmax 2 / 0 (tie: first)
 *   row 3: |3-3.5| = 0.5                          argmax 2 / 2
 * max 0.5; sum 0.9 over 12 values: mean 0.075; per column 0.1/4, 0.1/4,
 * 0.7/4; one disagreeing row of four. allclose at numpy's defaults fails
 * the five differing values; at rtol 0.2, atol 0 only those above 0.2|b|:
 * 0.1 > 0.06, 0.1 > 0.08, 0.1 > 0.06, so three. */
static void test_metrics_by_hand(void **state)
{
	static const double a[] = {0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.3, 0.3, 0.4, 1, 2, 3};
	static const double b[] = {0.1, 0.6, 0.3, 0.5, 0.3, 0.2, 0.4, 0.3, 0.3, 1, 2, 3.5};
	struct matrix *ma = mat(4, 3, a), *mb = mat(4, 3, b);
	struct metrics m;
	char *err = NULL;

	(void)state;
	assert_int_equal(metrics_compute(ma, mb, RTOL, ATOL, &m, &err), 0);
	assert_int_equal(m.rows, 4);
	assert_int_equal(m.cols, 3);
	near_value(m.max_abs_diff, 0.5, 1e-15);
	near_value(m.mean_abs_diff, 0.075, 1e-15);
	near_value(m.class_mean_abs_diff[0], 0.025, 1e-15);
	near_value(m.class_mean_abs_diff[1], 0.025, 1e-15);
	near_value(m.class_mean_abs_diff[2], 0.175, 1e-15);
	assert_int_equal(m.allclose_violations, 5);
	assert_int_equal(m.disagreements, 1);
	near_value(m.argmax_agreement, 0.75, 0);
	assert_int_equal(m.nexamples, 1);
	assert_int_equal(m.examples[0].index, 2);
	assert_int_equal(m.examples[0].argmax, 2);
	assert_int_equal(m.examples[0].base_argmax, 0);
	assert_memory_equal(m.examples[0].values, a + 6, 3 * sizeof(double));
	assert_memory_equal(m.examples[0].base_values, b + 6, 3 * sizeof(double));
	metrics_release(&m);

	assert_int_equal(metrics_compute(ma, mb, 0.2, 0.0, &m, &err), 0);
	assert_int_equal(m.allclose_violations, 3);
	metrics_release(&m);

	/* Against itself: all zero, full agreement. */
	assert_int_equal(metrics_compute(ma, ma, RTOL, ATOL, &m, &err), 0);
	near_value(m.max_abs_diff, 0, 0);
	near_value(m.mean_abs_diff, 0, 0);
	assert_int_equal(m.allclose_violations, 0);
	near_value(m.argmax_agreement, 1, 0);
	metrics_release(&m);
	matrix_free(ma);
	matrix_free(mb);
}

static void test_metrics_nan_and_inf(void **state)
{
	struct metrics m;
	char *err = NULL;
	struct matrix *a, *b;

	(void)state;
	/* Same specials differ by 0, yet NaN is never close, even to NaN. */
	a = mat(1, 4, (const double[]){NAN, INFINITY, -INFINITY, 1});
	b = mat(1, 4, (const double[]){NAN, INFINITY, -INFINITY, 2});
	assert_int_equal(metrics_compute(a, b, RTOL, ATOL, &m, &err), 0);
	near_value(m.max_abs_diff, 1, 0);
	near_value(m.mean_abs_diff, 0.25, 0);
	assert_int_equal(m.allclose_violations, 2);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);

	/* NaN against a number, or opposite infinities: +inf, so checks fail. */
	a = mat(2, 2, (const double[]){NAN, 1, INFINITY, 0});
	b = mat(2, 2, (const double[]){1, 1, -INFINITY, 0});
	assert_int_equal(metrics_compute(a, b, RTOL, ATOL, &m, &err), 0);
	assert_true(isinf(m.max_abs_diff));
	assert_true(isinf(m.mean_abs_diff));
	assert_true(isinf(m.class_mean_abs_diff[0]));
	near_value(m.class_mean_abs_diff[1], 0, 0);
	/* Row 0: argmax of [NaN, 1] is the NaN's index 0, of [1, 1] the first:
	 * they agree. Row 1: [inf, 0] against [-inf, 0] does not. */
	assert_int_equal(m.disagreements, 1);
	assert_int_equal(m.examples[0].index, 1);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);

	a = mat(1, 3, (const double[]){1, NAN, 3});
	b = mat(1, 3, (const double[]){1, 2, 3});
	assert_int_equal(metrics_compute(a, b, RTOL, ATOL, &m, &err), 0);
	assert_int_equal(m.disagreements, 1);
	assert_int_equal(m.examples[0].argmax, 1);
	assert_int_equal(m.examples[0].base_argmax, 2);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);
}

static void test_metrics_shapes(void **state)
{
	struct matrix *a = matrix_new(200, 3), *b = matrix_new(199, 3);
	struct matrix *e = matrix_new(0, 3);
	struct metrics m;
	char *err = NULL;

	(void)state;
	assert_int_equal(metrics_compute(a, b, RTOL, ATOL, &m, &err), -1);
	assert_string_equal(err, "shape (200, 3) differs from the baseline's (199, 3)");
	metrics_release(&m);
	free(err);
	assert_int_equal(metrics_compute(e, e, RTOL, ATOL, &m, &err), 0);
	near_value(m.max_abs_diff, 0, 0);
	near_value(m.mean_abs_diff, 0, 0);
	near_value(m.argmax_agreement, 1, 0);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);
	matrix_free(e);
}

/* Only the first METRICS_EXAMPLES disagreeing rows are kept; all count. */
static void test_metrics_examples_capped(void **state)
{
	struct matrix *a = matrix_new(50, 2), *b = matrix_new(50, 2);
	struct metrics m;
	char *err = NULL;

	(void)state;
	for (size_t r = 0; r < 50; r++) {
		MATRIX_AT(a, r, 0) = 1;
		MATRIX_AT(b, r, r % 2) = 1;     /* odd rows disagree */
	}
	assert_int_equal(metrics_compute(a, b, RTOL, ATOL, &m, &err), 0);
	assert_int_equal(m.disagreements, 25);
	near_value(m.argmax_agreement, 0.5, 0);
	assert_int_equal(m.nexamples, METRICS_EXAMPLES);
	for (size_t i = 0; i < METRICS_EXAMPLES; i++)
		assert_int_equal(m.examples[i].index, 2 * i + 1);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);
}

static void test_tolerance_messages(void **state)
{
	struct metrics m;
	struct tolerance t;
	struct tolerance_verdict v[TOL_METRICS];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.rows = 600;
	m.cols = 3;
	m.max_abs_diff = 0.0023;
	m.mean_abs_diff = 2.1e-5;
	m.rtol = 1e-5;
	m.atol = 1e-8;
	m.allclose_violations = 37;
	m.disagreements = 3;
	m.argmax_agreement = 597.0 / 600.0;
	t = (struct tolerance){
		.has_max_abs_diff = true, .max_abs_diff = 1e-4,
		.has_mean_abs_diff = true, .mean_abs_diff = 1e-4,
		.has_allclose = true, .rtol = 1e-5, .atol = 1e-8,
		.has_argmax_agreement = true, .argmax_agreement = 0.999,
		.has_max_disagreements = true, .max_disagreements = 1,
	};
	assert_int_equal(tolerance_check(&t, &m, v), 4);
	assert_string_equal(v[TOL_MAX_ABS_DIFF].metric, "max_abs_diff");
	assert_false(v[TOL_MAX_ABS_DIFF].pass);
	assert_string_equal(v[TOL_MAX_ABS_DIFF].message, "max_abs_diff 0.0023 > 0.0001");
	assert_true(v[TOL_MEAN_ABS_DIFF].pass);
	assert_string_equal(v[TOL_MEAN_ABS_DIFF].message, "mean_abs_diff 2.1e-05 <= 0.0001");
	assert_string_equal(v[TOL_ALLCLOSE].message, "allclose_violations 37 > 0 (rtol 1e-05, atol 1e-08)");
	assert_string_equal(v[TOL_ARGMAX_AGREEMENT].message, "argmax_agreement 0.995 < 0.999");
	assert_string_equal(v[TOL_MAX_DISAGREEMENTS].message, "disagreements 3 > 1");
	tolerance_verdicts_release(v);

	/* Passing, and values that only differ beyond six digits. */
	m.max_abs_diff = 0.00010000001;
	m.allclose_violations = 0;
	m.disagreements = 0;
	m.argmax_agreement = 1.0;
	assert_int_equal(tolerance_check(&t, &m, v), 1);
	assert_string_equal(v[TOL_MAX_ABS_DIFF].message, "max_abs_diff 0.00010000001 > 0.0001");
	assert_string_equal(v[TOL_ALLCLOSE].message, "allclose_violations 0 (rtol 1e-05, atol 1e-08)");
	assert_string_equal(v[TOL_ARGMAX_AGREEMENT].message, "argmax_agreement 1 >= 0.999");
	assert_string_equal(v[TOL_MAX_DISAGREEMENTS].message, "disagreements 0 <= 1");
	tolerance_verdicts_release(v);

	/* Inclusive limits; unchecked metrics pass silently. */
	m.max_abs_diff = 1e-4;
	t = (struct tolerance){.has_max_abs_diff = true, .max_abs_diff = 1e-4};
	assert_int_equal(tolerance_check(&t, &m, v), 0);
	assert_string_equal(v[TOL_MAX_ABS_DIFF].message, "max_abs_diff 0.0001 <= 0.0001");
	assert_false(v[TOL_ALLCLOSE].checked);
	assert_true(v[TOL_ALLCLOSE].pass);
	assert_null(v[TOL_ALLCLOSE].message);
	tolerance_verdicts_release(v);

	/* Infinite differences fail and say so. */
	m.max_abs_diff = INFINITY;
	assert_int_equal(tolerance_check(&t, &m, v), 1);
	assert_string_equal(v[TOL_MAX_ABS_DIFF].message, "max_abs_diff inf > 0.0001");
	tolerance_verdicts_release(v);

	/* Metrics counted with other tolerances cannot be judged. */
	t = (struct tolerance){.has_allclose = true, .rtol = 1e-3, .atol = 0};
	assert_int_equal(tolerance_check(&t, &m, v), 1);
	assert_string_equal(v[TOL_ALLCLOSE].message,
			    "allclose: metrics were counted with rtol 1e-05, atol 1e-08, "
			    "not rtol 0.001, atol 0");
	tolerance_verdicts_release(v);
}

static void test_softmax_sigmoid(void **state)
{
	const double row[] = {1, 2, 3};
	const double big[] = {1000, 1001, 1002};
	const double sum = exp(1) + exp(2) + exp(3);

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		near_value(metrics_softmax(row, 3, i), exp((double)i + 1) / sum, 1e-15);
		/* Shifted by 999: naive exp overflows, the stable form does not. */
		near_value(metrics_softmax(big, 3, i), exp((double)i + 1) / sum, 1e-15);
	}
	near_value(metrics_softmax(row, 3, 0), 0.09003057317038046, 1e-16);
	near_value(metrics_softmax((const double[]){-1000, -1000}, 2, 1), 0.5, 0);
	near_value(metrics_softmax((const double[]){INFINITY, 1, INFINITY}, 3, 0), 0.5, 0);
	near_value(metrics_softmax((const double[]){INFINITY, 1, INFINITY}, 3, 1), 0.0, 0);
	assert_true(isnan(metrics_softmax((const double[]){1, NAN}, 2, 0)));
	assert_true(isnan(metrics_softmax((const double[]){-INFINITY, -INFINITY}, 2, 0)));

	near_value(metrics_sigmoid(0), 0.5, 0);
	near_value(metrics_sigmoid(2), 1.0 / (1.0 + exp(-2.0)), 1e-16);
	near_value(metrics_sigmoid(-2), exp(-2.0) / (1.0 + exp(-2.0)), 1e-17);
	near_value(metrics_sigmoid(800), 1, 0);
	near_value(metrics_sigmoid(-800), 0, 0);
	assert_true(metrics_sigmoid(-740) > 0);        /* subnormal, not flushed to NaN or 0 */
	near_value(metrics_sigmoid(INFINITY), 1, 0);
	near_value(metrics_sigmoid(-INFINITY), 0, 0);
	assert_true(isnan(metrics_sigmoid(NAN)));
}

static void test_scores(void **state)
{
	struct matrix *m = mat(2, 3, (const double[]){1, 2, 3, 0, 0, -2});
	struct score_rule r = {SCORE_INDEX, 2};
	double *s = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(metrics_scores(m, &r, &s, &err), 0);
	near_value(s[0], 3, 0);
	near_value(s[1], -2, 0);
	free(s);
	r = (struct score_rule){SCORE_SOFTMAX, 0};
	assert_int_equal(metrics_scores(m, &r, &s, &err), 0);
	near_value(s[0], exp(1) / (exp(1) + exp(2) + exp(3)), 1e-15);
	near_value(s[1], 1.0 / (2.0 + exp(-2.0)), 1e-15);
	free(s);
	r = (struct score_rule){SCORE_SIGMOID, 1};
	assert_int_equal(metrics_scores(m, &r, &s, &err), 0);
	near_value(s[0], 1.0 / (1.0 + exp(-2.0)), 1e-16);
	near_value(s[1], 0.5, 0);
	free(s);
	r.index = 3;
	assert_int_equal(metrics_scores(m, &r, &s, &err), -1);
	assert_null(s);
	assert_string_equal(err, "score index 3 is out of range: rows have 3 values");
	free(err);
	matrix_free(m);
}

/* Decisions at 0.5: base F T F T F(NaN), env F F T T T: rows 1, 2 and 4
 * flip. Within 0.02 of 0.5 in either environment: rows 1 and 2. */
static void test_flips_and_near(void **state)
{
	const double base[] = {0.2, 0.5, 0.49, 0.8, NAN};
	const double env[] = {0.2, 0.49, 0.5, 0.8, 0.9};
	const double *both[] = {base, env};
	size_t first[5];

	(void)state;
	assert_true(metrics_decision(0.5, 0.5));
	assert_false(metrics_decision(0.4999, 0.5));
	assert_false(metrics_decision(NAN, 0.5));
	assert_int_equal(metrics_flips(env, base, 5, 0.5, first, 2), 3);
	assert_int_equal(first[0], 1);
	assert_int_equal(first[1], 2);
	assert_int_equal(metrics_flips(env, base, 5, 0.5, NULL, 0), 3);
	assert_int_equal(metrics_flips(base, base, 5, 0.5, first, 5), 0);
	assert_int_equal(metrics_near(both, 2, 5, 0.5, 0.02, first, 5), 2);
	assert_int_equal(first[0], 1);
	assert_int_equal(first[1], 2);
	/* Inclusive: a distance of exactly 0 with near 0. */
	assert_int_equal(metrics_near(both, 2, 5, 0.5, 0.0, first, 5), 2);
	assert_int_equal(metrics_near(both, 1, 5, 0.5, 0.0, first, 5), 1);
	assert_int_equal(metrics_near(both, 2, 5, 0.5, 0.35, NULL, 0), 5 - 1);
}

/* A matrix big enough to be split between two threads, with NaN, the
 * infinities and disagreeing rows in both halves: the same metrics as the
 * rules worked out element by element here, the first disagreeing rows in
 * row order. */
static void test_metrics_split(void **state)
{
	const size_t rows = 1500, cols = 1000;
	struct matrix *a = matrix_new(rows, cols), *b = matrix_new(rows, cols);
	struct metrics m;
	char *err = NULL;
	double max = 0, total = 0;
	size_t viol = 0, dis = 0, first[METRICS_EXAMPLES], nfirst = 0;
	uint64_t x = 0x2545f4914f6cdd1du;

	(void)state;
	for (size_t i = 0; i < rows * cols; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->v[i] = (double)(x % 100000) / 1000.0;
		a->v[i] = b->v[i] + ((x >> 20) % 3 == 0 ? 1e-9 : (x >> 20) % 3 == 1 ? 1e-3 : 0);
	}
	a->v[5 * cols + 3] = NAN;                       /* first half */
	a->v[1200 * cols + 7] = INFINITY;               /* second half */
	b->v[1200 * cols + 7] = INFINITY;
	a->v[1300 * cols + 9] = -INFINITY;
	for (size_t r = 0; r < rows; r += 97)           /* disagreements in both halves */
		MATRIX_AT(a, r, r % cols) = 1e6;
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < cols; c++) {
			double p = MATRIX_AT(a, r, c), q = MATRIX_AT(b, r, c);
			double d = isnan(p) || isnan(q) ? (isnan(p) && isnan(q) ? 0 : INFINITY)
				   : p == q ? 0 : fabs(p - q);
			viol += !metrics_isclose(p, q, 1e-5, 1e-8);
			max = d > max ? d : max;
			total += d;
		}
		if (metrics_argmax(&MATRIX_AT(a, r, 0), cols) != metrics_argmax(&MATRIX_AT(b, r, 0), cols)) {
			if (nfirst < METRICS_EXAMPLES)
				first[nfirst++] = r;
			dis++;
		}
	}
	assert_int_equal(metrics_compute(a, b, 1e-5, 1e-8, &m, &err), 0);
	assert_true(max == INFINITY && m.max_abs_diff == INFINITY);
	assert_int_equal(m.allclose_violations, viol);
	assert_int_equal(m.disagreements, dis);
	assert_true(dis > METRICS_EXAMPLES);
	assert_int_equal(m.nexamples, METRICS_EXAMPLES);
	for (size_t i = 0; i < METRICS_EXAMPLES; i++)
		assert_int_equal(m.examples[i].index, first[i]);
	assert_true(isinf(total) && isinf(m.mean_abs_diff));
	metrics_release(&m);
	/* finite only: the mean agrees to rounding */
	a->v[5 * cols + 3] = b->v[5 * cols + 3];
	a->v[1300 * cols + 9] = b->v[1300 * cols + 9];
	total = 0;
	for (size_t i = 0; i < rows * cols; i++)
		total += a->v[i] == b->v[i] ? 0 : fabs(a->v[i] - b->v[i]);
	assert_int_equal(metrics_compute(a, b, 1e-5, 1e-8, &m, &err), 0);
	assert_true(fabs(m.mean_abs_diff - total / (double)(rows * cols)) <= 1e-12 * total);
	assert_true(m.max_abs_diff == 1e6 - MATRIX_AT(b, 0, 0) || m.max_abs_diff > 9e5);
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);
}

/* m's values as a new matrix of doubles */
static struct matrix *widened(const struct matrix *m)
{
	struct matrix *w = matrix_new(m->rows, m->cols);

	for (size_t i = 0; i < m->rows * m->cols; i++)
		w->v[i] = (double)m->f[i];
	return w;
}

static void same_metrics(const struct metrics *x, const struct metrics *y)
{
	assert_true(x->max_abs_diff == y->max_abs_diff ||
		    (isnan(x->max_abs_diff) && isnan(y->max_abs_diff)));
	assert_true(x->mean_abs_diff == y->mean_abs_diff ||
		    (isnan(x->mean_abs_diff) && isnan(y->mean_abs_diff)));
	assert_int_equal(x->allclose_violations, y->allclose_violations);
	assert_int_equal(x->disagreements, y->disagreements);
	assert_int_equal(x->nexamples, y->nexamples);
	for (size_t i = 0; i < x->nexamples; i++) {
		assert_int_equal(x->examples[i].index, y->examples[i].index);
		assert_int_equal(x->examples[i].argmax, y->examples[i].argmax);
		assert_memory_equal(x->examples[i].values, y->examples[i].values,
				    x->cols * sizeof(double));
	}
	for (size_t c = 0; c < x->cols; c++)
		assert_true(x->class_mean_abs_diff[c] == y->class_mean_abs_diff[c] ||
			    (isnan(x->class_mean_abs_diff[c]) && isnan(y->class_mean_abs_diff[c])));
}

/* float32 storage (both, or one side) gives the very numbers the same
 * values as doubles give, on the fast path and (with a NaN) the exact one,
 * split over two threads. */
static void test_metrics_float32_storage(void **state)
{
	const size_t rows = 1500, cols = 1000;
	struct matrix *a = matrix_try_new_f32(rows, cols), *b = matrix_try_new_f32(rows, cols);
	uint64_t x = 0x9e3779b97f4a7c15u;
	char *err = NULL;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->float32 && a->f && !a->v);
	for (size_t i = 0; i < rows * cols; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->f[i] = (float)(x % 100000) / 1000.0f;
		a->f[i] = b->f[i] + ((x >> 20) % 3 == 0 ? 1e-3f : 0.0f);
	}
	for (size_t r = 0; r < rows; r += 97)
		a->f[r * cols + r % cols] = 1e6f;
	for (int pass = 0; pass < 2; pass++) {
		struct matrix *wa = widened(a), *wb = widened(b);
		struct metrics ff, dd, fd;
		assert_int_equal(metrics_compute(a, b, 1e-5, 1e-8, &ff, &err), 0);
		assert_int_equal(metrics_compute(wa, wb, 1e-5, 1e-8, &dd, &err), 0);
		assert_int_equal(metrics_compute(a, wb, 1e-5, 1e-8, &fd, &err), 0);
		assert_true(dd.disagreements > METRICS_EXAMPLES);
		assert_true(pass == 0 ? isfinite(dd.max_abs_diff) : isinf(dd.max_abs_diff));
		same_metrics(&ff, &dd);
		same_metrics(&fd, &dd);
		metrics_release(&ff);
		metrics_release(&dd);
		metrics_release(&fd);
		matrix_free(wa);
		matrix_free(wb);
		a->f[7 * cols + 3] = NAN;               /* the exact rules next */
	}
	matrix_free(a);
	matrix_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isclose_numpy_docstring),
		cmocka_unit_test(test_isclose_infinities_and_asymmetry),
		cmocka_unit_test(test_argmax_like_numpy),
		cmocka_unit_test(test_metrics_by_hand),
		cmocka_unit_test(test_metrics_nan_and_inf),
		cmocka_unit_test(test_metrics_shapes),
		cmocka_unit_test(test_metrics_examples_capped),
		cmocka_unit_test(test_metrics_split),
		cmocka_unit_test(test_metrics_float32_storage),
		cmocka_unit_test(test_tolerance_messages),
		cmocka_unit_test(test_softmax_sigmoid),
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_flips_and_near),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
