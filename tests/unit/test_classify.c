/* Unit tests for data/classify. Oracles: McNemar p-values computed exactly
 * with Python's fractions (2 * sum C(n, i) / 2^n, i <= min(b, c)), which is
 * scipy.stats.binomtest(min(b, c), b + c).pvalue; energies from math.log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "data/classify.h"

static void near_rel(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want)))
		fail_msg("got %.17g, want %.17g (relative %g)", got, want, rel);
}

static void test_mcnemar_exact(void **state)
{
	(void)state;
	near_rel(classify_mcnemar(0, 0), 1, 0);
	near_rel(classify_mcnemar(1, 0), 1, 0);
	near_rel(classify_mcnemar(4, 3), 1, 1e-12);
	near_rel(classify_mcnemar(10, 2), 0.03857421875, 1e-12);
	near_rel(classify_mcnemar(1, 9), 0.021484375, 1e-12);
	near_rel(classify_mcnemar(0, 30), 1.862645149230957e-09, 1e-12);
	near_rel(classify_mcnemar(25, 5), 0.00032491423189640045, 1e-11);
	near_rel(classify_mcnemar(3000, 2700), 7.457315554470237e-05, 1e-9);
	/* a million discordant pairs: no underflow, no overflow */
	double p = classify_mcnemar(500000, 500000);
	assert_true(p > 0.99 && p <= 1);
	assert_true(classify_mcnemar(1000000, 0) == 0);
}

static void test_accuracy_and_classes(void **state)
{
	const size_t pred[] = {0, 1, 2, 2, 1, 0};
	const size_t label[] = {0, 1, 1, 2, 1, 2};
	double acc[3];
	size_t support[3];
	(void)state;
	near_rel(classify_accuracy(pred, label, 6), 4.0 / 6, 1e-15);
	classify_per_class(pred, label, 6, 3, acc, support);
	assert_int_equal(support[0], 1);
	assert_int_equal(support[1], 3);
	assert_int_equal(support[2], 2);
	near_rel(acc[0], 1, 0);
	near_rel(acc[1], 2.0 / 3, 1e-15);
	near_rel(acc[2], 0.5, 0);
}

static void test_discordant(void **state)
{
	const size_t label[] = {0, 1, 1, 2, 1, 2};
	const size_t base[] = {0, 1, 1, 2, 0, 0};
	const size_t pred[] = {0, 0, 1, 1, 1, 0};
	const unsigned char sel[] = {0, 1, 1, 0, 1, 0};
	size_t b, c;
	(void)state;
	classify_discordant(pred, base, label, 6, NULL, &b, &c);
	assert_int_equal(b, 2);         /* rows 1 and 3 */
	assert_int_equal(c, 1);         /* row 4 */
	classify_discordant(pred, base, label, 6, sel, &b, &c);
	assert_int_equal(b, 1);
	assert_int_equal(c, 1);
}

static void test_energy(void **state)
{
	const double row[] = {1, 2, 3}, big[] = {1000, 999}, inf[] = {-INFINITY, -INFINITY};
	const double nan_row[] = {1, NAN};
	(void)state;
	near_rel(classify_energy(row, 3), -3.40760596444438, 1e-14);
	near_rel(classify_energy(big, 2), -1000.3132616875182, 1e-14);
	assert_true(isinf(classify_energy(inf, 2)) && classify_energy(inf, 2) > 0);
	assert_true(isnan(classify_energy(nan_row, 2)));
	double v[] = {1, 2, 3, -5, -5, -5};
	struct matrix m = {.rows = 2, .cols = 3, .v = v};
	near_rel(classify_ood_rate(&m, -3), 0.5, 0);
	near_rel(classify_ood_rate(&m, -10), 1, 0);
}

static void test_segments(void **state)
{
	const size_t label[] = {0, 1, 1, 0};
	const size_t base[] = {0, 1, 1, 0};
	const size_t pred[] = {1, 1, 0, 0};
	const size_t seg_of[] = {0, 0, 1, 1};
	struct classify_segment s[2];
	(void)state;
	classify_segments(pred, base, label, seg_of, 4, 2, s);
	assert_int_equal(s[0].rows, 2);
	assert_int_equal(s[0].disagreements, 1);
	near_rel(s[0].disagreement, 0.5, 0);
	near_rel(s[0].accuracy, 0.5, 0);
	near_rel(s[0].base_accuracy, 1, 0);
	near_rel(s[1].accuracy, 0.5, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcnemar_exact),
		cmocka_unit_test(test_accuracy_and_classes),
		cmocka_unit_test(test_discordant),
		cmocka_unit_test(test_energy),
		cmocka_unit_test(test_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
