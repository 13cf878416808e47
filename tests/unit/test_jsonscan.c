/* Unit tests for data/jsonscan against the JSON loader it stands in for:
 * whatever jsonscan_numbers takes must be what json_lenient_loads and
 * json_pointer_get give (the same shape, the same doubles to the bit), over
 * a table of edges and 200,000 random documents, some of them broken; and
 * it must take the plain responses models send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/jsonptr.h"
#include "data/jsonscan.h"
#include "util/buf.h"

static uint64_t state_x = 0x2545f4914f6cdd1du;

static uint64_t next(void)
{
	state_x ^= state_x << 13;
	state_x ^= state_x >> 7;
	state_x ^= state_x << 17;
	return state_x;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

/* The loader's reading of one item: a number, or a non-empty flat array of
 * numbers; -1 for anything else (jsonscan must have declined it). */
static int loader_row(const json_t *v, double *out, size_t cap, size_t *n)
{
	if (!json_is_array(v)) {
		*n = 1;
		return json_is_number(v) ? (out[0] = json_number_value(v), 0) : -1;
	}
	if (json_array_size(v) == 0 || json_array_size(v) > cap)
		return -1;
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (!json_is_number(json_array_get(v, i)))
			return -1;
		out[i] = json_number_value(json_array_get(v, i));
	}
	*n = json_array_size(v);
	return 0;
}

/* jsonscan on text either declines or agrees with the loader; returns
 * whether it took the text. */
static bool agrees(const char *text, size_t len, const char *ptr, enum jsonscan_mode mode)
{
	double *vals = NULL, row[256];
	size_t rows = 0, cols = 0, n = 0;
	char *why = NULL;

	if (jsonscan_numbers(text, len, ptr, mode, &vals, &rows, &cols) < 0)
		return false;
	json_t *root = json_lenient_loads(text, len, NULL);
	if (!root)
		fail_msg("jsonscan took '%.*s' (%s), which the loader does not", (int)len, text, ptr);
	json_t *v = json_pointer_get(root, ptr, &why);
	if (!v)
		fail_msg("jsonscan found '%s' in '%.*s'; the loader: %s", ptr, (int)len, text, why);
	size_t want_rows = mode == JSONSCAN_ROWS ? json_array_size(v) : 1;
	if (mode == JSONSCAN_ROWS && !json_is_array(v))
		fail_msg("'%.*s' (%s): rows from a non-array", (int)len, text, ptr);
	assert_int_equal(rows, want_rows);
	for (size_t r = 0; r < rows; r++) {
		const json_t *item = mode == JSONSCAN_ROWS ? json_array_get(v, r) : v;
		if (loader_row(item, row, 256, &n) < 0 || n != cols)
			fail_msg("'%.*s' (%s): row %zu is not %zu numbers", (int)len, text, ptr, r, cols);
		if (memcmp(row, vals + r * cols, n * sizeof *row) != 0)
			fail_msg("'%.*s' (%s): row %zu differs: %.17g", (int)len, text, ptr, r, row[0]);
	}
	json_decref(root);
	free(why);
	free(vals);
	return true;
}

static void take(const char *text, const char *ptr, enum jsonscan_mode mode, size_t rows,
		 size_t cols, const double *want)
{
	double *vals = NULL;
	size_t r = 0, c = 0;

	if (jsonscan_numbers(text, strlen(text), ptr, mode, &vals, &r, &c) < 0)
		fail_msg("declined '%s' (%s)", text, ptr);
	assert_int_equal(r, rows);
	assert_int_equal(c, cols);
	for (size_t i = 0; i < rows * cols; i++)
		assert_true(vals[i] == want[i]);
	assert_true(agrees(text, strlen(text), ptr, mode));
	free(vals);
}

static void decline(const char *text, const char *ptr, enum jsonscan_mode mode)
{
	double *vals = NULL;
	size_t r = 0, c = 0;

	if (jsonscan_numbers(text, strlen(text), ptr, mode, &vals, &r, &c) == 0)
		fail_msg("took '%s' (%s)", text, ptr);
	assert_null(vals);
}

static void test_edges(void **state)
{
	(void)state;
	take("{\"outputs\":[0.1,0.2,0.7]}", "/outputs", JSONSCAN_VALUES, 1, 3,
	     (double[]){0.1, 0.2, 0.7});
	take(" {\"outputs\": [[0.25, 0.75]], \"model\": \"m\"} ", "/outputs/0", JSONSCAN_VALUES, 1,
	     2, (double[]){0.25, 0.75});
	take("7", "", JSONSCAN_VALUES, 1, 1, (double[]){7});
	take("{\"a\": {\"x\": [true, null, {\"k\": []}], \"s\": 3}}", "/a/s", JSONSCAN_VALUES, 1, 1,
	     (double[]){3});
	take("{\"predictions\":[[1,2],[3,4],[5,-6e-1]]}", "/predictions", JSONSCAN_ROWS, 3, 2,
	     (double[]){1, 2, 3, 4, 5, -0.6});
	take("[1, 2, 3]", "", JSONSCAN_ROWS, 3, 1, (double[]){1, 2, 3});
	take("{\"a/b\": {\"~k\": [1]}}", "/a~1b/~0k", JSONSCAN_VALUES, 1, 1, (double[]){1});
	take("{\"p\": [-0, 0.1000000000000000055511151231257827, 123456789012345]}", "/p",
	     JSONSCAN_VALUES, 1, 3, (double[]){0, 0.1, 123456789012345.0});
	take("{\"p\": []}", "/p", JSONSCAN_ROWS, 0, 0, NULL);
	/* the loader decides these */
	decline("{\"p\": [NaN]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1, null]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [true]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": []}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [[1]]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [[1], [2, 3]]}", "/p", JSONSCAN_ROWS);
	decline("{\"p\": [[]]}", "/p", JSONSCAN_ROWS);
	decline("{\"p\": [{\"a\": 1}]}", "/p", JSONSCAN_ROWS);
	decline("{\"p\": 1, \"p\": 2}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [12345678901234567]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1e400]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1], \"q\": 1e400}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1], \"q\": \"a\\\"b\"}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1], \"q\": \"\xc3\xa9\"}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1]} x", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1],}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [01]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1.]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [+1]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1]", "/p", JSONSCAN_VALUES);
	decline("{\"q\": [1]}", "/p", JSONSCAN_VALUES);
	decline("{\"p\": [1]}", "p", JSONSCAN_VALUES);
	decline("{\"p\": [1]}", "/~2", JSONSCAN_VALUES);
	decline("[[1], [2]]", "/01", JSONSCAN_VALUES);
	decline("", "", JSONSCAN_VALUES);
	/* a NUL inside the text */
	assert_int_equal(jsonscan_numbers("[1]\0", 4, "", JSONSCAN_VALUES, &(double *){NULL},
					  &(size_t){0}, &(size_t){0}), -1);
}

/* ---- random documents */

static void random_number(struct buf *b)
{
	static const char *const odd[] = {"-0", "0", "1e400", "-1e-400", "12345678901234567",
					  "123456789012345", "1E5", "2.5e+3", "-0.0", "01", "1.",
					  ".5", "-", "NaN", "Infinity", "-Infinity", "4.9e-324"};
	switch (pick(6)) {
	case 0:
		buf_puts(b, odd[pick(sizeof odd / sizeof odd[0])]);
		break;
	case 1:
		buf_printf(b, "%d", (int)pick(2000) - 1000);
		break;
	case 2:
		buf_printf(b, "%.*f", (int)pick(10), (double)(int64_t)next() / 1e15);
		break;
	default:
		buf_printf(b, "%.*g", 1 + (int)pick(17), ldexp((double)(next() >> 11), -53) *
			   pow(10, (int)pick(40) - 20) * (pick(2) ? 1 : -1));
	}
}

static const char *const keys[] = {"a", "b", "p", "outputs", "predictions", "a/b", "~k", "\\u0061",
				   "\xc3\xa9"};

static void random_value(struct buf *b, int depth);

static void random_container(struct buf *b, int depth, bool obj)
{
	unsigned n = pick(5);

	buf_putc(b, obj ? '{' : '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			buf_puts(b, pick(8) ? "," : ", ");
		if (obj)
			buf_printf(b, "\"%s\":%s", keys[pick(sizeof keys / sizeof keys[0])],
				   pick(3) ? "" : " ");
		random_value(b, depth + 1);
	}
	buf_putc(b, obj ? '}' : ']');
}

static void random_value(struct buf *b, int depth)
{
	unsigned k = depth > 4 ? pick(3) : pick(8);

	if (k == 0 || k == 1) {
		random_number(b);
	} else if (k == 2) {
		static const char *const other[] = {"true", "false", "null", "\"s\"", "\"x\\ny\"",
						    "\"\xc3\xa9\""};
		buf_puts(b, other[pick(sizeof other / sizeof other[0])]);
	} else if (k < 6) {
		/* arrays of numbers, as models answer */
		unsigned n = 1 + pick(4);
		buf_putc(b, '[');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			if (k == 5) {
				buf_putc(b, '[');
				random_number(b);
				buf_puts(b, pick(2) ? "," : ", ");
				random_number(b);
				buf_putc(b, ']');
			} else {
				random_number(b);
			}
		}
		buf_putc(b, ']');
	} else {
		random_container(b, depth, k == 6);
	}
}

static void test_random(void **state)
{
	static const char *const ptrs[] = {"", "/a", "/p", "/outputs", "/outputs/0", "/a/0",
					   "/b/1", "/a~1b", "/~0k", "/predictions", "/0", "/1"};
	struct buf b;
	size_t taken = 0;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 200000; i++) {
		buf_reset(&b);
		random_value(&b, 0);
		if (pick(10) == 0 && b.len) /* broken: a byte changed, or cut short */
			b.data[pick((unsigned)b.len)] = "x,]}[{\":0 "[pick(10)];
		size_t len = pick(20) == 0 ? pick((unsigned)b.len + 1) : b.len;
		const char *ptr = ptrs[pick(sizeof ptrs / sizeof ptrs[0])];
		taken += agrees(b.data, len, ptr, JSONSCAN_VALUES);
		taken += agrees(b.data, len, ptr, JSONSCAN_ROWS);
	}
	buf_release(&b);
	/* enough of them plain and found to mean something */
	assert_true(taken > 15000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
