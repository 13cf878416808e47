/* Unit tests for util/strmap: every key of thousands found again, after
 * the table grew many times; absent keys; a value replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "util/strmap.h"

#define N 5000

static void test_strmap(void **state)
{
	static char keys[N][16];
	struct strmap m = {0};

	(void)state;
	assert_int_equal(strmap_get(&m, "step-0"), -1);
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof keys[i], "step-%d", i);
		assert_int_equal(strmap_get(&m, keys[i]), -1);
		strmap_put(&m, keys[i], i);
	}
	assert_int_equal(m.n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(strmap_get(&m, keys[i]), i);
	assert_int_equal(strmap_get(&m, "step-5000"), -1);
	assert_int_equal(strmap_get(&m, ""), -1);
	strmap_put(&m, keys[7], 70);
	assert_int_equal(strmap_get(&m, "step-7"), 70);
	assert_int_equal(m.n, N);
	strmap_release(&m);
	assert_int_equal(strmap_get(&m, "step-7"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
