/* Unit tests for the data readers: matrix and JSON conversion, JSON Pointer
 * (RFC 6901's own examples), .npy in every dtype, version, byte order and
 * order (fixtures from fixtures/data/make_npy.py), CSV and JSON Lines, with
 * the exact text of every error, and a 50 MB .npy read in bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/csv.h"
#include "data/jsonl.h"
#include "data/jsonptr.h"
#include "data/matrix.h"
#include "data/metrics.h"
#include "data/input.h"
#include "data/npy.h"
#include "transport/exec.h"
#include "util/base64.h"
#include "util/xalloc.h"

#define FIX "fixtures/data/"
#define BAD "fixtures/data/bad/"

/* got is want exactly: the same NaN-ness, the same sign of zero. */
static void same(double got, double want)
{
	if (isnan(want)) {
		if (!isnan(got))
			fail_msg("got %.17g, want NaN", got);
		return;
	}
	if (got != want || signbit(got) != signbit(want))
		fail_msg("got %.17g, want %.17g", got, want);
}

/* Value i (row-major) of m, whichever storage it has. */
static double at(const struct matrix *m, size_t i)
{
	return m->f ? (double)m->f[i] : m->v[i];
}

static void same_values(const struct matrix *m, size_t rows, size_t cols, const double *want)
{
	assert_int_equal(m->rows, rows);
	assert_int_equal(m->cols, cols);
	for (size_t i = 0; i < rows * cols; i++)
		same(at(m, i), want[i]);
}

static void expect_error(const char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
}

/* --- matrix ------------------------------------------------------------ */

static void test_matrix_basics(void **state)
{
	struct matrix *m = matrix_new(0, 2), *c;
	size_t cap = 0;
	const double r0[] = {1, 2}, r1[] = {3, NAN};
	char shape[MATRIX_SHAPE_LEN];
	char *text;
	json_t *j;

	(void)state;
	for (int i = 0; i < 40; i++)
		matrix_append_row(m, &cap, i % 2 ? r1 : r0);
	assert_int_equal(m->rows, 40);
	same(MATRIX_AT(m, 39, 0), 3);
	same(MATRIX_AT(m, 38, 1), 2);
	assert_string_equal(matrix_shape(m, shape), "(40, 2)");
	c = matrix_column(m, 1);
	assert_int_equal(c->rows, 40);
	assert_int_equal(c->cols, 1);
	same(c->v[0], 2);
	same(c->v[1], NAN);
	matrix_free(c);
	matrix_free(m);
	matrix_free(NULL);

	m = matrix_new(2, 2);
	m->v[0] = 1.5;
	m->v[1] = NAN;
	m->v[2] = -INFINITY;
	m->v[3] = -2;
	j = matrix_to_json(m);
	text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "[[1.5,null],[\"-Infinity\",-2.0]]");
	free(text);
	json_decref(j);
	matrix_free(m);
	assert_null(matrix_try_new(SIZE_MAX / 2, 3));
}

static struct matrix *from_json(const char *text, bool as_row, char **err)
{
	json_error_t e;
	json_t *j = json_lenient_loads(text, strlen(text), &e);
	struct matrix *m = NULL;

	assert_non_null(j);
	if (as_row)
		matrix_row_from_json(j, &m, err);
	else
		matrix_from_json(j, &m, err);
	json_decref(j);
	return m;
}

static void test_matrix_from_json(void **state)
{
	char *err = NULL;
	struct matrix *m;

	(void)state;
	m = from_json("[[1, 2.5, -3], [4, null, 6e-1]]", false, &err);
	same_values(m, 2, 3, (const double[]){1, 2.5, -3, 4, NAN, 0.6});
	matrix_free(m);
	/* An array of numbers is a column for matrix_from_json ... */
	m = from_json("[1, 2, NaN]", false, &err);
	same_values(m, 3, 1, (const double[]){1, 2, NAN});
	matrix_free(m);
	/* ... and one row (an output vector) for matrix_row_from_json. */
	m = from_json("[1, 2, -Infinity]", true, &err);
	same_values(m, 1, 3, (const double[]){1, 2, -INFINITY});
	matrix_free(m);
	m = from_json("7", false, &err);
	same_values(m, 1, 1, (const double[]){7});
	matrix_free(m);
	m = from_json("7", true, &err);
	same_values(m, 1, 1, (const double[]){7});
	matrix_free(m);
	m = from_json("[]", false, &err);
	assert_int_equal(m->rows, 0);
	matrix_free(m);

	assert_null(from_json("[[1, 2, 3], [4, 5]]", false, &err));
	expect_error(err, "row 1 has 2 values, earlier rows have 3");
	free(err);
	assert_null(from_json("[[1], 2]", false, &err));
	expect_error(err, "row 1: expected an array of numbers, found a number");
	free(err);
	assert_null(from_json("[[1, 2], [3, \"x\"]]", false, &err));
	expect_error(err, "row 1, column 1: expected a number, found a string");
	free(err);
	assert_null(from_json("[1, {}]", false, &err));
	expect_error(err, "element 1: expected a number, found an object");
	free(err);
	assert_null(from_json("\"x\"", false, &err));
	expect_error(err, "expected an array or a number, found a string");
	free(err);
	assert_null(from_json("{\"a\": 1}", true, &err));
	expect_error(err, "expected a number or an array of numbers, found an object");
	free(err);
}

static void test_matrix_append_json_row(void **state)
{
	struct matrix *m = matrix_new(0, 0);
	size_t cap = 0;
	char *err = NULL;
	json_t *a = json_pack("[f, f]", 1.0, 2.0);
	json_t *b = json_pack("[f, f, f]", 1.0, 2.0, 3.0);
	json_t *c = json_pack("[f, b]", 1.0, 1);

	(void)state;
	assert_int_equal(matrix_append_json_row(m, &cap, a, &err), 0);
	assert_int_equal(matrix_append_json_row(m, &cap, a, &err), 0);
	assert_int_equal(matrix_append_json_row(m, &cap, b, &err), -1);
	expect_error(err, "row has 3 values, earlier rows have 2");
	free(err);
	assert_int_equal(matrix_append_json_row(m, &cap, c, &err), -1);
	expect_error(err, "element 1: expected a number, found true");
	free(err);
	same_values(m, 2, 2, (const double[]){1, 2, 1, 2});
	json_decref(a);
	json_decref(b);
	json_decref(c);
	matrix_free(m);
}

/* --- JSON Pointer ------------------------------------------------------ */

/* The example document of RFC 6901, section 5, with its expected results. */
static void test_json_pointer_rfc6901(void **state)
{
	static const char doc[] =
		"{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"e^f\": 3, "
		"\"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, \"m~n\": 8}";
	static const struct {
		const char *ptr;
		json_int_t want;
	} ints[] = {
		{"/", 0}, {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
		{"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7}, {"/m~0n", 8},
	};
	json_t *root = json_loads(doc, 0, NULL);
	char *err = NULL;
	json_t *v;

	(void)state;
	assert_non_null(root);
	assert_ptr_equal(json_pointer_get(root, "", &err), root);
	v = json_pointer_get(root, "/foo", &err);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_pointer_get(root, "/foo/0", &err)), "bar");
	assert_string_equal(json_string_value(json_pointer_get(root, "/foo/1", &err)), "baz");
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v = json_pointer_get(root, ints[i].ptr, &err);
		assert_non_null(v);
		assert_int_equal(json_integer_value(v), ints[i].want);
	}
	json_decref(root);
}

static void test_json_pointer_errors(void **state)
{
	static const struct {
		const char *ptr;
		const char *err;
	} cases[] = {
		{"/foo/2", "'/foo/2' not found: index 2 is out of range: the array at '/foo' has 2 elements"},
		{"/foo/01", "'/foo/01' not found: '01' is not an index of the array at '/foo'"},
		{"/foo/-", "'/foo/-' not found: '-' is not an index of the array at '/foo'"},
		{"/x", "'/x' not found: no member 'x' in the root object"},
		{"/n/x", "'/n/x' not found: '/n' is a number, not an object or an array"},
		{"/o/a~1b", "'/o/a~1b' not found: no member 'a/b' in the object at '/o'"},
		{"abc", "invalid JSON Pointer 'abc': it must be empty or start with '/'"},
		{"/a~2", "invalid JSON Pointer '/a~2': '~' must be followed by '0' or '1'"},
		{"/a~", "invalid JSON Pointer '/a~': '~' must be followed by '0' or '1'"},
	};
	json_t *root = json_loads("{\"foo\": [1, 2], \"n\": 3, \"o\": {}}", 0, NULL);
	json_t *scalar = json_integer(1);
	char *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_null(json_pointer_get(root, cases[i].ptr, &err));
		expect_error(err, cases[i].err);
		free(err);
		err = NULL;
	}
	assert_null(json_pointer_get(scalar, "/a", &err));
	expect_error(err, "'/a' not found: the root is a number, not an object or an array");
	free(err);
	assert_int_equal(json_pointer_check("", &err), 0);
	assert_int_equal(json_pointer_check("/a~0~1/0", &err), 0);
	json_decref(scalar);
	json_decref(root);
}

static void test_json_lenient(void **state)
{
	static const char text[] =
		"{\"a\": NaN, \"b\": [Infinity, -Infinity, 1], \"s\": \"NaN Infinity\", "
		"\"t\": \"Infinity\", \"n\": null}";
	json_error_t e;
	json_t *j = json_lenient_loads(text, strlen(text), &e);
	double x = 0;

	(void)state;
	assert_non_null(j);
	assert_int_equal(json_lenient_number(json_object_get(j, "a"), &x), 0);
	same(x, NAN);
	assert_int_equal(json_lenient_number(json_pointer_get(j, "/b/0", NULL), &x), 0);
	same(x, INFINITY);
	assert_int_equal(json_lenient_number(json_pointer_get(j, "/b/1", NULL), &x), 0);
	same(x, -INFINITY);
	assert_string_equal(json_string_value(json_object_get(j, "s")), "NaN Infinity");
	/* The string "Infinity" is an infinity: facts keep infinities that way. */
	assert_int_equal(json_lenient_number(json_object_get(j, "t"), &x), 0);
	same(x, INFINITY);
	assert_int_equal(json_lenient_number(json_object_get(j, "n"), &x), 0);
	same(x, NAN);
	json_decref(j);

	j = json_lenient_loads("NaN", 3, &e);
	assert_non_null(j);
	assert_int_equal(json_lenient_number(j, &x), 0);
	same(x, NAN);
	json_decref(j);
	assert_null(json_lenient_loads("[NaNa]", 6, &e));
	assert_null(json_lenient_loads("[1 NaN]", 7, &e));
	assert_null(json_lenient_loads("nan", 3, &e));
}

/* --- npy --------------------------------------------------------------- */

static struct matrix *npy(const char *path)
{
	struct matrix *m = NULL;
	char *err = NULL;

	if (npy_read(path, &m, &err) < 0)
		fail_msg("%s", err);
	return m;
}

static void npy_is(const char *path, size_t rows, size_t cols, const double *want)
{
	struct matrix *m = npy(path);

	same_values(m, rows, cols, want);
	matrix_free(m);
}

static void test_npy_floats(void **state)
{
	static const double rows[] = {1.5, -2.0, 3.0, 4.0, 5.0, 6.25};

	(void)state;
	npy_is(FIX "f8_le_v1.npy", 2, 3, rows);
	npy_is(FIX "f8_be_v1.npy", 2, 3, rows);
	npy_is(FIX "f4_be_v2.npy", 2, 3, rows);
	/* float32 values widen exactly: 0.1f is not 0.1. */
	npy_is(FIX "f4_le_v3.npy", 3, 1, (const double[]){(double)0.1f, -0.5, (double)1e-3f});
}

static void test_npy_half(void **state)
{
	const double want[] = {
		0.0, -0.0, 1.0, -2.0, 65504.0,
		ldexp(1, -14),                  /* smallest normal */
		ldexp(1, -24),                  /* smallest subnormal */
		1023 * ldexp(1, -24),           /* largest subnormal */
		INFINITY, -INFINITY, NAN,
		0.333251953125,
	};

	(void)state;
	npy_is(FIX "f2_le.npy", 12, 1, want);
	npy_is(FIX "f2_be_v2.npy", 2, 2, (const double[]){1.0, ldexp(1, -24), -INFINITY, 0.333251953125});
}

static void test_npy_integers(void **state)
{
	(void)state;
	npy_is(FIX "i1.npy", 4, 1, (const double[]){-128, -1, 0, 127});
	npy_is(FIX "i2_be.npy", 3, 1, (const double[]){-32768, 32767, -2});
	npy_is(FIX "i4_le.npy", 2, 1, (const double[]){-2147483648.0, 2147483647.0});
	npy_is(FIX "i8_be.npy", 3, 1, (const double[]){-9223372036854775808.0, 9223372036854775807.0, -3});
	npy_is(FIX "u1.npy", 2, 1, (const double[]){0, 255});
	npy_is(FIX "u2_le.npy", 2, 1, (const double[]){65535, 1});
	npy_is(FIX "u4_be.npy", 2, 1, (const double[]){4294967295.0, 7});
	/* 2^53 + 1 rounds to 2^53. */
	npy_is(FIX "u8_le.npy", 2, 1, (const double[]){18446744073709551615.0, 9007199254740992.0});
	npy_is(FIX "b1.npy", 4, 1, (const double[]){1, 0, 1, 1});
}

static void test_npy_fortran_order(void **state)
{
	(void)state;
	npy_is(FIX "fortran_f8.npy", 2, 3, (const double[]){1, 2, 3, 4, 5, 6});
	npy_is(FIX "fortran_i2_be.npy", 3, 2, (const double[]){1, 2, 3, 4, 5, 6});
}

static void test_npy_shapes_and_headers(void **state)
{
	(void)state;
	npy_is(FIX "scalar.npy", 1, 1, (const double[]){42.5});
	npy_is(FIX "empty_1d.npy", 0, 1, NULL);
	npy_is(FIX "empty_2d.npy", 0, 3, NULL);
	npy_is(FIX "odd_header.npy", 2, 2, (const double[]){1, -2, 3, -4});
	npy_is(FIX "py2_long.npy", 3, 1, (const double[]){1, 2, 3});
}

static void test_npy_errors(void **state)
{
	static const struct {
		const char *file;
		const char *err;
	} cases[] = {
		{"bad_magic.npy", "byte 0: not an npy file: bad magic string"},
		{"empty.npy", "byte 0: not an npy file: bad magic string"},
		{"version4.npy", "byte 6: unsupported npy version 4.0"},
		{"version1_1.npy", "byte 6: unsupported npy version 1.1"},
		{"short_length.npy", "byte 8: truncated: the header length needs 4 bytes, found 1"},
		{"header_cut.npy", "byte 10: truncated: the header length says 118 bytes, found 40"},
		{"no_descr.npy", "byte 10: malformed header: expected 'descr'"},
		{"complex.npy",
		 "byte 20: unsupported dtype '<c16' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)"},
		{"structured.npy", "byte 20: unsupported dtype: structured arrays are not supported"},
		{"duplicate_key.npy", "byte 27: malformed header: duplicate key 'descr'"},
		{"bad_fortran.npy", "byte 44: malformed header: 'fortran_order' must be True or False"},
		{"shape_not_tuple.npy", "byte 60: malformed header: 'shape' must be a tuple: write (3,)"},
		{"negative_dim.npy", "byte 61: malformed header: expected an integer in 'shape'"},
		{"unknown_key.npy", "byte 66: malformed header: unknown key 'foo'"},
		{"trailing_text.npy", "byte 68: malformed header: unexpected text after the dictionary"},
		{"unclosed.npy", "byte 128: malformed header: expected ',' or '}'"},
		{"dims3.npy", "npy arrays of more than 2 dimensions are not supported: shape (2, 3, 4)"},
		{"truncated.npy", "truncated: header says 200 values, found 37"},
	};
	struct matrix *m = NULL;
	char *err = NULL, *want;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = xasprintf(BAD "%s", cases[i].file);
		assert_int_equal(npy_read(path, &m, &err), -1);
		assert_null(m);
		want = xasprintf("%s: %s", path, cases[i].err);
		expect_error(err, want);
		free(want);
		free(err);
		free(path);
		err = NULL;
	}
	assert_int_equal(npy_read(BAD "no-such-file.npy", &m, &err), -1);
	expect_error(err, BAD "no-such-file.npy: cannot open: No such file or directory");
	free(err);
}

/* Through a pipe nothing tells the size up front: truncation shows while
 * streaming, with the same message. */
static void test_npy_pipe(void **state)
{
	struct matrix *m = NULL;
	char *err = NULL;
	FILE *p;

	(void)state;
	p = popen("cat " FIX "fortran_f8.npy", "r");
	assert_non_null(p);
	assert_int_equal(npy_read_file(p, "pipe", &m, &err), 0);
	pclose(p);
	same_values(m, 2, 3, (const double[]){1, 2, 3, 4, 5, 6});
	matrix_free(m);
	p = popen("cat " BAD "truncated.npy", "r");
	assert_non_null(p);
	assert_int_equal(npy_read_file(p, "pipe", &m, &err), -1);
	pclose(p);
	expect_error(err, "pipe: truncated: header says 200 values, found 37");
	free(err);
}

static void test_npy_write_roundtrip(void **state)
{
	char path[] = "/tmp/parity-npy-XXXXXX";
	struct matrix *m = matrix_new(3, 2), *back = NULL;
	unsigned char head[10];
	char *err = NULL;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const double vals[] = {1.0 / 3.0, -0.0, NAN, INFINITY, -1e-310, 1e308};
	memcpy(m->v, vals, sizeof(vals));
	assert_int_equal(npy_write_f64(path, m, &err), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	/* Magic, version 1.0, and data aligned to 64 bytes. */
	assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
	assert_int_equal((10 + head[8] + 256 * head[9]) % 64, 0);
	assert_int_equal(ftell(f), 10 + head[8] + 256 * head[9] + 6 * 8);
	fclose(f);
	assert_int_equal(npy_read(path, &back, &err), 0);
	same_values(back, 3, 2, vals);
	matrix_free(back);
	matrix_free(m);

	m = matrix_new(0, 4);
	assert_int_equal(npy_write_f64(path, m, &err), 0);
	assert_int_equal(npy_read(path, &back, &err), 0);
	assert_int_equal(back->rows, 0);
	assert_int_equal(back->cols, 4);
	matrix_free(back);
	matrix_free(m);
	unlink(path);

	m = matrix_new(1, 1);
	assert_int_equal(npy_write_f64("/nonexistent-dir/x.npy", m, &err), -1);
	expect_error(err, "/nonexistent-dir/x.npy: cannot create: No such file or directory");
	free(err);
	matrix_free(m);
}

/* The peak resident set (VmHWM) in KiB, after resetting it when asked. */
static long peak_kib(bool reset)
{
	char line[256];
	long kib = -1;
	FILE *f;

	if (reset) {
		f = fopen("/proc/self/clear_refs", "w");
		if (!f)
			return -1;
		fputs("5", f);
		if (fclose(f) != 0)
			return -1;
	}
	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* A 50 MiB float64 .npy, written here in chunks, is read with a peak
 * resident set no more than the matrix plus a few MiB: the reader streams
 * through its fixed buffer. (Time is not asserted.) */
static void test_npy_streaming_memory(void **state)
{
	enum { ROWS = 819200, COLS = 8 };
	char path[] = "/tmp/parity-npy-big-XXXXXX";
	unsigned char chunk[8 * COLS * 256];
	struct matrix *m = NULL;
	char *err = NULL;
	long before, after;
	size_t k = 0;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	{
		char head[128];
		int n = snprintf(head, sizeof(head),
				 "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }",
				 ROWS, COLS);
		size_t len = (size_t)n;
		size_t pad = 63 - (10 + len) % 64;
		fwrite("\x93NUMPY\x01\x00", 1, 8, f);
		fputc((int)((len + pad + 1) & 0xff), f);
		fputc((int)((len + pad + 1) >> 8), f);
		fwrite(head, 1, len, f);
		for (size_t i = 0; i < pad; i++)
			fputc(' ', f);
		fputc('\n', f);
	}
	for (size_t r = 0; r < ROWS; r += 256) {
		for (size_t i = 0; i < 256 * COLS; i++) {
			double x = (double)(k++) * 0.5;
			uint64_t bits;
			memcpy(&bits, &x, 8);
			for (int b = 0; b < 8; b++)
				chunk[8 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
		}
		assert_int_equal(fwrite(chunk, 1, sizeof(chunk), f), sizeof(chunk));
	}
	assert_int_equal(fclose(f), 0);

	before = peak_kib(true);
	assert_int_equal(npy_read(path, &m, &err), 0);
	after = peak_kib(false);
	unlink(path);
	assert_int_equal(m->rows, ROWS);
	assert_int_equal(m->cols, COLS);
	same(MATRIX_AT(m, 0, 1), 0.5);
	same(MATRIX_AT(m, ROWS - 1, COLS - 1), (double)(ROWS * COLS - 1) * 0.5);
	if (before > 0 && after > 0) {
		long matrix_kib = (long)(ROWS * COLS * sizeof(double) / 1024);
		long slack_kib = 16 * 1024;     /* the chunk, stdio, and sanitizer shadow pages */
		print_message("# peak grew by %ld KiB for a %ld KiB matrix\n", after - before,
			      matrix_kib);
		assert_true(after - before <= matrix_kib + slack_kib);
	}
	matrix_free(m);
}

/* --- csv --------------------------------------------------------------- */

static struct matrix *csv(const char *path, const struct csv_options *o)
{
	struct matrix *m = NULL;
	char *err = NULL;

	if (csv_read(path, o, &m, &err) < 0)
		fail_msg("%s", err);
	return m;
}

static void csv_fails(const char *path, const struct csv_options *o, const char *want)
{
	struct matrix *m = NULL;
	char *err = NULL;

	assert_int_equal(csv_read(path, o, &m, &err), -1);
	assert_null(m);
	expect_error(err, want);
	free(err);
}

static void test_csv_select(void **state)
{
	struct csv_options o = {.column = "score"};
	struct matrix *m;

	(void)state;
	/* Quoted header names, a quoted field spanning two lines, "" escapes,
	 * an empty field and NaN, spaces around a number. */
	m = csv(FIX "scores.csv", &o);
	same_values(m, 5, 1, (const double[]){0.5, 1e-3, NAN, NAN, 7.25});
	matrix_free(m);
	o = (struct csv_options){.column = "logit_a"};
	m = csv(FIX "scores.csv", &o);
	same_values(m, 5, 1, (const double[]){1.0, 0.25, -0.5, 2, 4.5});
	matrix_free(m);
	o = (struct csv_options){.has_index = true, .index = 5};
	m = csv(FIX "scores.csv", &o);
	same_values(m, 5, 1, (const double[]){-1.0, 0.75, 0.5, 3, -INFINITY});
	matrix_free(m);
}

static void test_csv_all_columns(void **state)
{
	struct csv_options o = {.header = CSV_HEADER_PRESENT};
	struct matrix *m;

	(void)state;
	/* A byte order mark, CRLF, a blank line; no header detected. */
	m = csv(FIX "numeric_crlf.csv", NULL);
	same_values(m, 3, 3, (const double[]){1, 2.5, -3, 4, NAN, 1e308, 7, INFINITY, -0.0});
	matrix_free(m);
	/* Told there is a header, the first row names the columns. */
	m = csv(FIX "numeric_crlf.csv", &o);
	same_values(m, 2, 3, (const double[]){4, NAN, 1e308, 7, INFINITY, -0.0});
	matrix_free(m);
	o.column = "2.5";
	m = csv(FIX "numeric_crlf.csv", &o);
	same_values(m, 2, 1, (const double[]){NAN, INFINITY});
	matrix_free(m);
	o = (struct csv_options){.delimiter = ';', .column = "b"};
	m = csv(FIX "semicolon.csv", &o);
	same_values(m, 2, 1, (const double[]){1, -3});
	matrix_free(m);
}

static void test_csv_errors(void **state)
{
	struct csv_options o = {0};

	(void)state;
	csv_fails(FIX "scores.csv", NULL,
		  FIX "scores.csv:2: column 'label': 'cat' is not a number");
	csv_fails(BAD "fields.csv", NULL, BAD "fields.csv:7: expected 4 fields, found 3");
	o.column = "score";
	csv_fails(BAD "number.csv", &o, BAD "number.csv:3: column 'score': 'abc' is not a number");
	csv_fails(BAD "unterminated.csv", NULL, BAD "unterminated.csv:2: unterminated quoted field");
	csv_fails(BAD "after_quote.csv", NULL,
		  BAD "after_quote.csv:2: unexpected text after a closing quote");
	o.column = "nope";
	csv_fails(FIX "scores.csv", &o,
		  FIX "scores.csv:1: no column 'nope' in the header (columns: id, score, label, "
		      "note, with comma, logit_a, logit_b)");
	o.column = "a";
	csv_fails(FIX "numeric_crlf.csv", &o,
		  FIX "numeric_crlf.csv:1: column 'a' needs a header row, and the first row is all numbers");
	o = (struct csv_options){.has_index = true, .index = 6};
	csv_fails(FIX "scores.csv", &o, FIX "scores.csv:1: column 6 is out of range: records have 6 fields");
	o = (struct csv_options){.header = CSV_HEADER_ABSENT, .has_index = true, .index = 0};
	csv_fails(FIX "scores.csv", &o, FIX "scores.csv:1: column 0: 'id' is not a number");
	o = (struct csv_options){.delimiter = ';'};
	csv_fails(FIX "semicolon.csv", &o, FIX "semicolon.csv:2: column 'a': '0,5' is not a number");
	csv_fails(FIX "missing.csv", NULL, FIX "missing.csv: cannot open: No such file or directory");
}

static void test_csv_empty_and_header_only(void **state)
{
	char path[] = "/tmp/parity-csv-XXXXXX";
	struct csv_options o = {.column = "b"};
	struct matrix *m;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	m = csv(path, NULL);
	assert_int_equal(m->rows, 0);
	matrix_free(m);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a,b\n\n", f);
	fclose(f);
	m = csv(path, &o);
	assert_int_equal(m->rows, 0);
	assert_int_equal(m->cols, 1);
	matrix_free(m);
	unlink(path);
}

static void test_csv_parse_number(void **state)
{
	static const struct {
		const char *text;
		double want;
	} good[] = {
		{"", NAN}, {"  ", NAN}, {"nan", NAN}, {"NaN", NAN}, {"NAN", NAN},
		{" 1.5 ", 1.5}, {"\t-2e3", -2000}, {"+0.25", 0.25}, {"-0", -0.0},
		{"inf", INFINITY}, {"-Infinity", -INFINITY}, {"1e-3", 1e-3}, {".5", 0.5},
	};
	static const char *const bad[] = {"abc", "1.5x", "1,5", "0x10", "-0X1p3", "1 2", "\n1"};
	double x;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(csv_parse_number(good[i].text, strlen(good[i].text), &x), 0);
		same(x, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(csv_parse_number(bad[i], strlen(bad[i]), &x), -1);
	/* The length bounds the field: no NUL is needed after it. */
	assert_int_equal(csv_parse_number("2.5,7", 3, &x), 0);
	same(x, 2.5);
}

/* A locale whose decimal point is ',': an installed one, or de_DE built
 * with localedef into a temporary LOCPATH. NULL when neither is possible. */
static const char *comma_locale(char *dir, size_t dirlen)
{
	static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
	const char *set = NULL;
	char *cmd;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !set; i++)
		set = setlocale(LC_NUMERIC, names[i]);
	if (set)
		return set;
	snprintf(dir, dirlen, "/tmp/parity-locale-XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	cmd = xasprintf("localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1", dir);
	if (system(cmd) == 0 && setenv("LOCPATH", dir, 1) == 0)
		set = setlocale(LC_NUMERIC, "de_DE.UTF-8");
	free(cmd);
	return set;
}

/* Under a locale whose decimal point is ',' numbers still read the C way.
 * Where no such locale can be had, it says so and checks nothing. */
static void test_csv_locale(void **state)
{
	struct csv_options o = {.column = "logit_a"};
	char dir[64] = "";
	struct matrix *m;
	char *cmd;
	double x;

	(void)state;
	if (!comma_locale(dir, sizeof(dir))) {
		print_message("# no locale with a decimal comma: not checked\n");
	} else {
		assert_true(strtod("0,5", NULL) == 0.5);        /* the locale is in effect */
		assert_int_equal(csv_parse_number("0.5", 3, &x), 0);
		same(x, 0.5);
		assert_int_equal(csv_parse_number("0,5", 3, &x), -1);
		m = csv(FIX "scores.csv", &o);
		same_values(m, 5, 1, (const double[]){1.0, 0.25, -0.5, 2, 4.5});
		matrix_free(m);
	}
	setlocale(LC_NUMERIC, "C");
	if (dir[0]) {
		unsetenv("LOCPATH");
		cmd = xasprintf("rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

/* --- jsonl ------------------------------------------------------------- */

static struct matrix *jsonl(const char *path, const char *field)
{
	struct matrix *m = NULL;
	char *err = NULL;

	if (jsonl_read(path, field, &m, &err) < 0)
		fail_msg("%s", err);
	return m;
}

static void jsonl_fails(const char *path, const char *field, const char *want)
{
	struct matrix *m = NULL;
	char *err = NULL;

	assert_int_equal(jsonl_read(path, field, &m, &err), -1);
	assert_null(m);
	expect_error(err, want);
	free(err);
}

static void test_jsonl_fields(void **state)
{
	struct matrix *m;

	(void)state;
	/* Blank lines skipped; null, NaN and -Infinity read as numbers. */
	m = jsonl(FIX "rows.jsonl", "features");
	same_values(m, 4, 3, (const double[]){0.5, 1.5, -2, 1, 2, 3, NAN, -INFINITY, 1e-3, 0, 0, 0});
	matrix_free(m);
	m = jsonl(FIX "rows.jsonl", "/features");
	assert_int_equal(m->rows, 4);
	matrix_free(m);
	m = jsonl(FIX "rows.jsonl", "/features/1");
	same_values(m, 4, 1, (const double[]){1.5, 2, -INFINITY, 0});
	matrix_free(m);
	m = jsonl(FIX "rows.jsonl", "/meta/a~1b/x~0y");
	same_values(m, 4, 1, (const double[]){1, 2, 3.5, -4});
	matrix_free(m);
	m = jsonl(FIX "rows.jsonl", "score");
	same_values(m, 4, 1, (const double[]){0.25, NAN, 3, -1});
	matrix_free(m);
	m = jsonl(FIX "numbers.jsonl", NULL);
	same_values(m, 4, 1, (const double[]){0.5, -1, 2000, INFINITY});
	matrix_free(m);
	m = jsonl(FIX "numbers.jsonl", "");
	assert_int_equal(m->rows, 4);
	matrix_free(m);
}

static void test_jsonl_errors(void **state)
{
	(void)state;
	jsonl_fails(BAD "invalid.jsonl", "x",
		    BAD "invalid.jsonl:12: invalid JSON: unexpected token near '}'");
	jsonl_fails(BAD "missing.jsonl", "/features", BAD "missing.jsonl:4: field '/features' not found");
	jsonl_fails(BAD "missing.jsonl", "features", BAD "missing.jsonl:4: field 'features' not found");
	jsonl_fails(BAD "ragged.jsonl", "/features",
		    BAD "ragged.jsonl:9: row has 3 values, earlier rows have 4");
	jsonl_fails(BAD "element.jsonl", "/features",
		    BAD "element.jsonl:1: field '/features': element 1: expected a number, found a string");
	jsonl_fails(FIX "rows.jsonl", "/label",
		    FIX "rows.jsonl:1: field '/label': expected a number or an array of numbers, "
			"found a string");
	jsonl_fails(FIX "rows.jsonl", NULL,
		    FIX "rows.jsonl:1: expected a number or an array of numbers, found an object");
	jsonl_fails(FIX "rows.jsonl", "/a~2",
		    FIX "rows.jsonl: invalid JSON Pointer '/a~2': '~' must be followed by '0' or '1'");
	jsonl_fails(FIX "numbers.jsonl", "x", FIX "numbers.jsonl:1: field 'x' not found");
	jsonl_fails(FIX "nope.jsonl", NULL, FIX "nope.jsonl: cannot open: No such file or directory");
}

/* --- the readers' inputs from memory (issue 9) -------------------------- */

static void test_jsonl_bom(void **state)
{
	static const char text[] = "\xEF\xBB\xBF[1, 2]\n[3, 4]\n";
	static const char later[] = "[1, 2]\n\xEF\xBB\xBF[3, 4]\n";
	const double want[] = {1, 2, 3, 4};
	struct matrix *m = NULL;
	char *err = NULL;

	(void)state;
	/* a byte order mark at the start is skipped, as csv does */
	FILE *f = fmemopen((void *)(uintptr_t)text, sizeof text - 1, "r");
	assert_int_equal(jsonl_read_file(f, "bom.jsonl", NULL, &m, &err), 0);
	fclose(f);
	same_values(m, 2, 2, want);
	matrix_free(m);
	/* only there: further in, it is not JSON */
	f = fmemopen((void *)(uintptr_t)later, sizeof later - 1, "r");
	assert_int_equal(jsonl_read_file(f, "bom.jsonl", NULL, &m, &err), -1);
	fclose(f);
	expect_error(err, "bom.jsonl:2: invalid JSON: invalid token near '\xEF\xBB\xBF'");
	free(err);
}

static void csv_mem_fails(const char *text, size_t len, const struct csv_options *o,
			  const char *want)
{
	struct matrix *m = NULL;
	char *err = NULL;
	FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");

	assert_int_equal(csv_read_file(f, "nul.csv", o, &m, &err), -1);
	fclose(f);
	assert_null(m);
	expect_error(err, want);
	free(err);
}

static void test_csv_nul(void **state)
{
	static const char named[] = "a,b\n1,2\n3,4\0" "5\n";
	static const char bare[] = "1,2\n\0" "3,4\n";
	struct csv_options o = {.header = CSV_HEADER_ABSENT};

	(void)state;
	/* the field is not empty: it holds a NUL, and the message says so */
	csv_mem_fails(named, sizeof named - 1, NULL,
		      "nul.csv:3: column 'b': the field holds a NUL byte (at byte 2 of the field): "
		      "is the file text?");
	csv_mem_fails(bare, sizeof bare - 1, &o,
		      "nul.csv:2: column 0: the field holds a NUL byte (at byte 1 of the field): "
		      "is the file text?");
}

/* Facts keep infinities as "Infinity" and "-Infinity" (NaN as null), and
 * +inf against -inf differs by +inf, as docs/steps/inference.md says. */
static void test_infinities_in_facts(void **state)
{
	const double row[] = {INFINITY, -INFINITY, NAN, 1.5};
	const double neg[] = {-INFINITY, -INFINITY, NAN, 1.5};
	struct matrix *a = matrix_new(0, 4), *b = matrix_new(0, 4), *back = NULL;
	struct metrics mt;
	size_t cap_a = 0, cap_b = 0;
	char *err = NULL;

	(void)state;
	matrix_append_row(a, &cap_a, row);
	matrix_append_row(b, &cap_b, neg);
	json_t *j = matrix_to_json(a);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "[[\"Infinity\",\"-Infinity\",null,1.5]]");
	free(text);
	assert_int_equal(matrix_from_json(j, &back, &err), 0);
	json_decref(j);
	same_values(back, 1, 4, row);
	assert_int_equal(metrics_compute(back, b, 1e-5, 1e-8, &mt, &err), 0);
	same(mt.max_abs_diff, INFINITY);
	assert_int_equal(mt.allclose_violations, 2);    /* +inf vs -inf, NaN vs NaN */
	metrics_release(&mt);
	matrix_free(back);
	matrix_free(a);
	matrix_free(b);
}

/* RFC 4648's test vectors, both ways, and where a bad character is. */
static void test_base64(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					    "Zm9vYmFy"};
	char out[16], back[16];
	size_t len, bad;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		size_t n = strlen(plain[i]);
		assert_int_equal(BASE64_LEN(n), strlen(coded[i]));
		base64_encode(plain[i], n, out);
		assert_memory_equal(out, coded[i], BASE64_LEN(n));
		assert_int_equal(base64_decode(coded[i], strlen(coded[i]), back, &len, &bad), 0);
		assert_int_equal(len, n);
		assert_memory_equal(back, plain[i], n);
	}
	assert_int_equal(base64_decode("Zm9v!mFy", 8, back, &len, &bad), -1);
	assert_int_equal(bad, 4);
	assert_int_equal(base64_decode("Zg=a", 4, back, &len, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(base64_decode("Zm9", 3, back, &len, &bad), -1);
	assert_int_equal(bad, 0);
}

/* A matrix of MATRIX_PACKED_MIN values or more goes to facts packed:
 * "<f4" when every value is a float32 (NaN and infinities included), "<f8"
 * otherwise; both read back exactly. */
/* A Fortran-order '<f4' (2, 3) .npy holding 1..6 in the file's order. */
static size_t fortran_f4(unsigned char out[256])
{
	static const char hdr[] = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
	size_t len = 10 + sizeof hdr - 1, pad = 63 - len % 64;

	memcpy(out, "\x93NUMPY\x01\x00", 8);
	memcpy(out + 10, hdr, sizeof hdr - 1);
	memset(out + len, ' ', pad);
	out[len + pad] = '\n';
	out[8] = (unsigned char)(len + pad + 1 - 10);
	out[9] = 0;
	for (int i = 0; i < 6; i++) {
		float f = (float)(i + 1);
		memcpy(out + len + pad + 1 + 4 * i, &f, 4);
	}
	return len + pad + 1 + 24;
}

/* float32 data stays float32 (m->f) through the .npy reader, either order,
 * and the packed form; every accessor and writer reads it. */
static void test_matrix_float32_storage(void **state)
{
	static const double want[] = {1, 3, 5, 2, 4, 6};
	unsigned char npy[256];
	size_t len = fortran_f4(npy);
	struct matrix *m = NULL, *back = NULL;
	char *err = NULL, *bytes = NULL;
	double tmp[3], *own = NULL;

	(void)state;
	assert_int_equal(data_read_bytes((const char *)npy, len, FMT_NPY, NULL, "x", &m, &err), 0);
	assert_true(m->f && !m->v && m->float32);
	same_values(m, 2, 3, want);
	same(matrix_get(m, 1, 2), 6);
	same(matrix_row(m, 1, tmp)[0], 2);
	assert_ptr_equal(matrix_row(m, 1, tmp), tmp);
	const double *all = matrix_doubles(m, &own);
	assert_non_null(own);
	for (size_t i = 0; i < 6; i++)
		same(all[i], want[i]);
	free(own);
	/* .npy back out: '<f4' as it came, and '<f8' when asked */
	assert_int_equal(npy_encode(m, &bytes, &len, &err), 0);
	assert_non_null(memmem(bytes, len, "'descr': '<f4'", 14));
	assert_int_equal(data_read_bytes(bytes, len, FMT_NPY, NULL, "x", &back, &err), 0);
	same_values(back, 2, 3, want);
	matrix_free(back);
	free(bytes);
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(npy_write_f64_file(f, "tmp", m, &err), 0);
	rewind(f);
	assert_int_equal(npy_read_file(f, "tmp", &back, &err), 0);
	assert_true(back->v && !back->f && !back->float32);
	same_values(back, 2, 3, want);
	matrix_free(back);
	fclose(f);
	/* widened in place: doubles, the same values */
	matrix_widen(m);
	assert_true(m->v && !m->f && m->float32);
	same_values(m, 2, 3, want);
	matrix_free(m);
	/* the packed "<f4" form reads back as float32 storage */
	m = matrix_try_new_f32(1024, 5);
	for (size_t i = 0; i < 1024 * 5; i++)
		m->f[i] = (float)i / 3.0f;
	json_t *j = matrix_to_json(m);
	assert_string_equal(json_string_value(json_object_get(j, "dtype")), "<f4");
	assert_int_equal(matrix_from_json(j, &back, &err), 0);
	assert_non_null(back->f);
	assert_memory_equal(back->f, m->f, 1024 * 5 * sizeof(float));
	json_decref(j);
	matrix_free(back);
	matrix_free(m);
}

static void test_matrix_packed(void **state)
{
	struct matrix *m = matrix_new(1024, 5), *back = NULL;
	char *err = NULL;

	(void)state;
	for (size_t i = 0; i < 1024 * 5; i++)
		m->v[i] = (double)(float)((double)i / 7.0 - 300.0);
	m->v[3] = NAN;
	m->v[4] = -INFINITY;
	m->v[5] = -0.0;
	for (int pass = 0; pass < 2; pass++) {
		json_t *j = matrix_to_json(m);
		assert_string_equal(json_string_value(json_object_get(j, "dtype")), pass ? "<f8" : "<f4");
		assert_int_equal(json_array_size(json_object_get(j, "base64")), 1);
		assert_int_equal(json_string_length(json_array_get(json_object_get(j, "base64"), 0)),
				 BASE64_LEN(1024 * 5 * (pass ? 8 : 4)));
		assert_int_equal(matrix_from_json(j, &back, &err), 0);
		assert_int_equal(back->rows, 1024);
		assert_int_equal(back->cols, 5);
		for (size_t i = 0; i < 1024 * 5; i++)
			same(at(back, i), at(m, i));
		matrix_free(back);
		json_decref(j);
		m->v[7] = 0.1;                      /* not a float32: "<f8" next */
	}
	matrix_free(m);
	/* a small matrix stays an array of rows */
	m = matrix_new(2, 2);
	json_t *small = matrix_to_json(m);
	assert_true(json_is_array(small));
	json_decref(small);
	matrix_free(m);
}

static void packed_error(const char *text, const char *want)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	struct matrix *m = NULL;
	char *err = NULL;

	assert_non_null(j);
	assert_int_equal(matrix_from_json(j, &m, &err), -1);
	assert_null(m);
	assert_string_equal(err, want);
	free(err);
	json_decref(j);
}

static void test_matrix_packed_errors(void **state)
{
	(void)state;
	packed_error("{\"dtype\": \"<i4\", \"shape\": [1, 1], \"base64\": [\"AAAAAA==\"]}",
		     "packed matrix: 'dtype' must be \"<f4\" or \"<f8\"");
	packed_error("{\"dtype\": \"<f4\", \"shape\": [1], \"base64\": [\"AAAAAA==\"]}",
		     "packed matrix: 'shape' must be [rows, cols], two integers >= 0");
	packed_error("{\"dtype\": \"<f4\", \"shape\": [1, 1], \"base64\": \"AAAAAA==\"}",
		     "packed matrix: 'base64' must be an array of strings");
	packed_error("{\"dtype\": \"<f4\", \"shape\": [1, 2], \"base64\": [\"AAAAAA==\"]}",
		     "packed matrix: 'base64' has 8 characters, shape [1, 2] of <f4 needs 12");
	packed_error("{\"dtype\": \"<f8\", \"shape\": [10000000000, 10000000000], \"base64\": []}",
		     "packed matrix: shape [10000000000, 10000000000] is too large");
	packed_error("{\"dtype\": \"<f4\", \"shape\": [1, 3], \"base64\": [\"AAAAAA==\", \"AAAAAAAA\"]}",
		     "packed matrix: 'base64' item 1 does not hold whole values of the shape");
	packed_error("{\"dtype\": \"<f4\", \"shape\": [1, 2], \"base64\": [\"AAAAAA==\", 7]}",
		     "packed matrix: 'base64' item 1 is not a string");
	packed_error("{\"dtype\": \"<f4\", \"shape\": [1, 1], \"base64\": [\"AA*AAA==\"]}",
		     "packed matrix: 'base64' item 0 is not base64 at character 2");
}

/* .npy from a float32 file goes back out as '<f4' (a scorer's stdin), and
 * reads back the same. */
static void test_npy_encode_float32(void **state)
{
	struct matrix *m = NULL, *back = NULL;
	char *err = NULL, *bytes = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(npy_read(FIX "f4_le_v3.npy", &m, &err), 0);
	assert_true(m->float32);
	assert_int_equal(data_write_bytes(m, FMT_NPY, &bytes, &len, &err), 0);
	assert_non_null(memmem(bytes, len, "'descr': '<f4'", 14));
	assert_int_equal(len % 4, 0);
	assert_int_equal(data_read_bytes(bytes, len, FMT_NPY, NULL, "x", &back, &err), 0);
	assert_int_equal(back->rows * back->cols, m->rows * m->cols);
	for (size_t i = 0; i < m->rows * m->cols; i++)
		same(at(back, i), at(m, i));
	free(bytes);
	matrix_free(back);
	m->float32 = false;
	assert_int_equal(data_write_bytes(m, FMT_NPY, &bytes, &len, &err), 0);
	assert_non_null(memmem(bytes, len, "'descr': '<f8'", 14));
	free(bytes);
	matrix_free(m);
}

static void test_exec_parse_size(void **state)
{
	size_t n = 0;

	(void)state;
	assert_int_equal(exec_parse_size("1048576", &n), 0);
	assert_int_equal(n, 1048576);
	assert_int_equal(exec_parse_size("512M", &n), 0);
	assert_int_equal(n, (size_t)512 << 20);
	assert_int_equal(exec_parse_size("4GiB", &n), 0);
	assert_int_equal(n, (size_t)4 << 30);
	assert_int_equal(exec_parse_size("8GB", &n), 0);
	assert_int_equal(n, (size_t)8 << 30);
	assert_int_equal(exec_parse_size("0", &n), -1);
	assert_int_equal(exec_parse_size("lots", &n), -1);
	assert_int_equal(exec_parse_size("4 G", &n), -1);
	assert_int_equal(exec_parse_size("99999999999999999999", &n), -1);
	assert_int_equal(exec_parse_size("99999999999T", &n), -1);
}

/* JSON Lines of plain number arrays take the reader's fast path: every
 * value the same double the JSON loader gives (random bit patterns written
 * with %.17g, short decimals, integers, -0), and a line the fast path does
 * not take (null, NaN, an object) still reads through the loader. */
static void test_jsonl_fast_path(void **state)
{
	char path[] = "/tmp/parity-jsonl-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	uint64_t x = 88172645463325252u;
	json_t *want = json_array();
	struct matrix *m = NULL;
	char *err = NULL;

	(void)state;
	assert_non_null(f);
	for (int r = 0; r < 2000; r++) {
		json_t *row = json_array();
		fputc('[', f);
		for (int c = 0; c < 6; c++) {
			char text[40];
			double d;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(&d, &x, sizeof d);
			if (!isfinite(d) || c == 1)
				d = (double)(int64_t)(x % 2000001) - 1000000.0;
			if (c == 2)
				snprintf(text, sizeof text, "%.6f", (double)(x % 2000001) / 3e5);
			else if (c == 3)
				snprintf(text, sizeof text, "%s", r % 2 ? "-0" : "123456789012345678");
			else
				snprintf(text, sizeof text, "%.17g", d);
			json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
			if (!v)
				fail_msg("json_loads refuses '%s'", text);
			json_array_append_new(row, v);
			fprintf(f, "%s%s", c ? ", " : " ", text);
		}
		fputs(" ]\n", f);
		json_array_append_new(want, row);
	}
	fputs("[null, NaN, 1, 2, 3, 4]\n", f);
	fclose(f);
	json_array_append_new(want, json_pack("[n,n,i,i,i,i]", 1, 2, 3, 4));
	assert_int_equal(jsonl_read(path, NULL, &m, &err), 0);
	unlink(path);
	assert_int_equal(m->rows, 2001);
	assert_int_equal(m->cols, 6);
	for (size_t r = 0; r < 2001; r++)
		for (size_t c = 0; c < 6; c++) {
			const json_t *v = json_array_get(json_array_get(want, r), c);
			same(MATRIX_AT(m, r, c), json_is_null(v) ? NAN : json_number_value(v));
		}
	json_decref(want);
	matrix_free(m);
}

/* Rows written for a scorer's stdin as CSV and JSON Lines read back as the
 * same doubles: short decimals in 15 digits, the rest in 17, and -0, NaN
 * and the infinities. */
static void test_write_bytes_roundtrip(void **state)
{
	struct matrix *m = matrix_new(3000, 4), *back = NULL;
	uint64_t x = 0x853c49e6748fea9bu;
	char *bytes = NULL, *err = NULL;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < 3000 * 4; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double d;
		memcpy(&d, &x, sizeof d);
		m->v[i] = i % 4 == 0 ? (double)(x % 1000000) / 1000.0 : isfinite(d) ? d : 1.5;
	}
	m->v[1] = -0.0;
	for (int f = FMT_CSV; f <= FMT_JSONL; f++) {
		if (f == FMT_JSONL) {
			m->v[1] = 0.5;          /* the JSON loader reads "-0" as the integer 0 */
			m->v[2] = NAN;
			m->v[3] = -INFINITY;
		}
		assert_int_equal(data_write_bytes(m, (enum data_format)f, &bytes, &len, &err), 0);
		if (data_read_bytes(bytes, len, (enum data_format)f, NULL, "x", &back, &err) < 0)
			fail_msg("%s", err);
		assert_int_equal(back->rows, 3000);
		assert_int_equal(back->cols, 4);
		for (size_t i = 0; i < 3000 * 4; i++)
			same(at(back, i), at(m, i));
		if (f == FMT_CSV) { /* a short decimal is written short */
			char want[40];
			snprintf(want, sizeof want, "%.15g,-0,", m->v[0]);
			assert_memory_equal(bytes, want, strlen(want));
		}
		free(bytes);
		matrix_free(back);
	}
	matrix_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_basics),
		cmocka_unit_test(test_matrix_from_json),
		cmocka_unit_test(test_matrix_append_json_row),
		cmocka_unit_test(test_json_pointer_rfc6901),
		cmocka_unit_test(test_json_pointer_errors),
		cmocka_unit_test(test_json_lenient),
		cmocka_unit_test(test_npy_floats),
		cmocka_unit_test(test_npy_half),
		cmocka_unit_test(test_npy_integers),
		cmocka_unit_test(test_npy_fortran_order),
		cmocka_unit_test(test_npy_shapes_and_headers),
		cmocka_unit_test(test_npy_errors),
		cmocka_unit_test(test_npy_pipe),
		cmocka_unit_test(test_npy_write_roundtrip),
		cmocka_unit_test(test_npy_streaming_memory),
		cmocka_unit_test(test_csv_select),
		cmocka_unit_test(test_csv_all_columns),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_empty_and_header_only),
		cmocka_unit_test(test_csv_parse_number),
		cmocka_unit_test(test_csv_locale),
		cmocka_unit_test(test_jsonl_fields),
		cmocka_unit_test(test_jsonl_errors),
		cmocka_unit_test(test_jsonl_bom),
		cmocka_unit_test(test_csv_nul),
		cmocka_unit_test(test_infinities_in_facts),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_write_bytes_roundtrip),
		cmocka_unit_test(test_jsonl_fast_path),
		cmocka_unit_test(test_matrix_packed),
		cmocka_unit_test(test_matrix_float32_storage),
		cmocka_unit_test(test_matrix_packed_errors),
		cmocka_unit_test(test_npy_encode_float32),
		cmocka_unit_test(test_exec_parse_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
