/* matrix: allocation, row appends and JSON conversion for the dense matrices
 * every data reader returns. Sizes from outside input go through
 * matrix_try_new so that a header claiming 2^60 values is an error, not an
 * exit. */
#include "data/matrix.h"
#include "data/jsonptr.h"
#include "util/base64.h"
#include "util/bigmem.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A rows x cols matrix of zeros, doubles or (f32) float32; NULL when the
 * size overflows or memory is exhausted. */
static struct matrix *try_new(size_t rows, size_t cols, bool f32)
{
	size_t n;
	struct matrix *m;
	void *p;

	if (cols != 0 && rows > SIZE_MAX / cols)
		return NULL;
	n = rows * cols;
	if (n > SIZE_MAX / sizeof(double))
		return NULL;
	p = bigmem_try_calloc(n, f32 ? sizeof(float) : sizeof(double));
	if (!p)
		return NULL;
	m = xmalloc(sizeof(*m));
	m->v = f32 ? NULL : p;
	m->f = f32 ? p : NULL;
	m->rows = rows;
	m->cols = cols;
	m->float32 = f32;
	return m;
}

struct matrix *matrix_try_new(size_t rows, size_t cols)
{
	return try_new(rows, cols, false);
}

struct matrix *matrix_try_new_f32(size_t rows, size_t cols)
{
	return try_new(rows, cols, true);
}

const double *matrix_doubles(const struct matrix *m, double **own)
{
	size_t n = m->rows * m->cols;

	*own = NULL;
	if (!m->f)
		return m->v;
	*own = bigmem_try_calloc(n ? n : 1, sizeof(double));
	if (!*own) {
		fputs("parity: fatal: out of memory\n", stderr);
		exit(3);
	}
	for (size_t i = 0; i < n; i++)
		(*own)[i] = (double)m->f[i];
	return *own;
}

void matrix_widen(struct matrix *m)
{
	double *v;

	if (!m->f)
		return;
	matrix_doubles(m, &v);
	free(m->f);
	m->f = NULL;
	m->v = v;
}

const double *matrix_row(const struct matrix *m, size_t r, double *tmp)
{
	const float *src;

	if (!m->f)
		return m->v + r * m->cols;
	src = m->f + r * m->cols;
	for (size_t c = 0; c < m->cols; c++)
		tmp[c] = (double)src[c];
	return tmp;
}

struct matrix *matrix_new(size_t rows, size_t cols)
{
	struct matrix *m = matrix_try_new(rows, cols);

	if (!m) {
		fputs("parity: fatal: out of memory\n", stderr);
		exit(3);
	}
	return m;
}

void matrix_free(struct matrix *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->f);
	free(m);
}

void matrix_append_row(struct matrix *m, size_t *cap_rows, const double *row)
{
	matrix_widen(m);
	if (m->rows + 1 > *cap_rows) {
		size_t cap = *cap_rows ? *cap_rows : 16;
		while (cap < m->rows + 1)
			cap *= 2;
		if (m->cols != 0 && cap > SIZE_MAX / sizeof(double) / m->cols) {
			fputs("parity: fatal: out of memory\n", stderr);
			exit(3);
		}
		size_t n = cap * m->cols;
		m->v = xrealloc(m->v, (n ? n : 1) * sizeof(double));
		*cap_rows = cap;
	}
	if (m->cols)
		memcpy(m->v + m->rows * m->cols, row, m->cols * sizeof(double));
	m->rows++;
}

struct matrix *matrix_column(const struct matrix *m, size_t col)
{
	struct matrix *c = matrix_new(m->rows, 1);

	for (size_t r = 0; r < m->rows; r++)
		c->v[r] = matrix_get(m, r, col);
	return c;
}

const char *matrix_shape(const struct matrix *m, char buf[MATRIX_SHAPE_LEN])
{
	snprintf(buf, MATRIX_SHAPE_LEN, "(%zu, %zu)", m->rows, m->cols);
	return buf;
}

/* Reads the elements of the array a (numbers only) into vals. */
static int read_numbers(const json_t *a, double *vals, const char *what, size_t row,
			char **err)
{
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		if (json_lenient_number(e, &vals[i]) < 0) {
			if (what)
				*err = xasprintf("%s %zu, column %zu: expected a number, found %s", what, row,
						 i, json_kind_name(e));
			else
				*err = xasprintf("element %zu: expected a number, found %s", i,
						 json_kind_name(e));
			return -1;
		}
	}
	return 0;
}

/* Packed matrices: values PIECE at a time through a small buffer, whose
 * size in bytes is a multiple of 3 (whole base64 groups) and of 8. */
#define PIECE 3072u

/* Whether every value of m is a float32 (or NaN): then 4 bytes each hold it. */
static bool all_float(const struct matrix *m)
{
	size_t n = m->rows * m->cols;
	bool ok = true;

	if (m->f)
		return true;
	for (size_t i = 0; i < n; i++)
		ok &= (double)(float)m->v[i] == m->v[i] || isnan(m->v[i]);
	return ok;
}

/* n values of m from index i as little-endian float32 or float64 bytes at
 * dst */
static void put_values(unsigned char *dst, const struct matrix *m, size_t i0, size_t n, bool f4)
{
	for (size_t i = 0; i < n; i++) {
		double x = m->f ? (double)m->f[i0 + i] : m->v[i0 + i];
		if (f4) {
			float f = (float)x;
			uint32_t u;
			memcpy(&u, &f, sizeof(u));
			for (unsigned b = 0; b < 4; b++)
				dst[4 * i + b] = (unsigned char)(u >> (8 * b));
		} else {
			uint64_t u;
			memcpy(&u, &x, sizeof(u));
			for (unsigned b = 0; b < 8; b++)
				dst[8 * i + b] = (unsigned char)(u >> (8 * b));
		}
	}
}

/* n values at src (little-endian float32 or float64 bytes) into m from
 * index i0: float32 into m->f where m has it */
static void get_values(struct matrix *m, size_t i0, const unsigned char *src, size_t n, bool f4)
{
	for (size_t i = 0; i < n; i++) {
		if (f4) {
			uint32_t u = 0;
			float f;
			for (unsigned b = 4; b-- > 0;)
				u = u << 8 | src[4 * i + b];
			memcpy(&f, &u, sizeof(f));
			if (m->f)
				m->f[i0 + i] = f;
			else
				m->v[i0 + i] = (double)f;
		} else {
			uint64_t u = 0;
			for (unsigned b = 8; b-- > 0;)
				u = u << 8 | src[8 * i + b];
			memcpy(&m->v[i0 + i], &u, sizeof(u));
		}
	}
}

/* The base64 text goes in strings of CHUNK bytes' worth (4 MiB of text),
 * so that only one chunk is ever held twice (here and in its JSON string). */
#define CHUNK ((size_t)3 << 20)

static json_t *to_packed(const struct matrix *m)
{
	const bool f4 = all_float(m);
	const size_t width = f4 ? 4 : 8, per = PIECE / width, n = m->rows * m->cols;
	const size_t per_chunk = CHUNK / width;
	unsigned char piece[PIECE];
	char *text = xmalloc(BASE64_LEN(CHUNK));
	json_t *parts = json_array();

	for (size_t c0 = 0; c0 < n; c0 += per_chunk) {
		size_t c1 = n - c0 < per_chunk ? n : c0 + per_chunk;
		char *o = text;
		for (size_t i = c0; i < c1; i += per) {
			size_t k = c1 - i < per ? c1 - i : per;
			put_values(piece, m, i, k, f4);
			base64_encode(piece, k * width, o);
			o += BASE64_LEN(k * width);
		}
		json_array_append_new(parts, json_stringn_nocheck(text, (size_t)(o - text)));
	}
	free(text);
	return json_pack("{s:s,s:[I,I],s:o}", "dtype", f4 ? "<f4" : "<f8", "shape",
			 (json_int_t)m->rows, (json_int_t)m->cols, "base64", parts);
}

/* The packed form's shape: [rows, cols], integers >= 0. */
static int packed_shape(const json_t *shape, size_t *rows, size_t *cols, char **err)
{
	const json_t *r = json_array_get(shape, 0), *c = json_array_get(shape, 1);

	if (json_array_size(shape) != 2 || !json_is_integer(r) || !json_is_integer(c) ||
	    json_integer_value(r) < 0 || json_integer_value(c) < 0) {
		*err = xasprintf("packed matrix: 'shape' must be [rows, cols], two integers >= 0");
		return -1;
	}
	*rows = (size_t)json_integer_value(r);
	*cols = (size_t)json_integer_value(c);
	return 0;
}

/* One string of the base64 array, whole values only, into m from value
 * index first on; the number of values in *n. */
static int decode_part(const json_t *part, size_t index, bool f4, size_t room,
		       struct matrix *m, size_t first, size_t *n, char **err)
{
	const size_t width = f4 ? 4 : 8, chars = BASE64_LEN(PIECE);
	const char *text = json_string_value(part);
	size_t len = json_string_length(part), got = 0, bad = 0;
	unsigned char piece[PIECE];

	*n = 0;
	if (!text) {
		*err = xasprintf("packed matrix: 'base64' item %zu is not a string", index);
		return -1;
	}
	for (size_t at = 0; at < len; at += chars) {
		size_t k = len - at < chars ? len - at : chars;
		if (base64_decode(text + at, k, piece, &got, &bad) < 0) {
			*err = xasprintf("packed matrix: 'base64' item %zu is not base64 at character %zu",
					 index, at + bad);
			return -1;
		}
		if (got % width || got / width > room - *n) {
			*err = xasprintf("packed matrix: 'base64' item %zu does not hold whole values "
					 "of the shape", index);
			return -1;
		}
		get_values(m, first + *n, piece, got / width, f4);
		*n += got / width;
	}
	return 0;
}

static int from_packed(const json_t *j, struct matrix **out, char **err)
{
	const char *dtype = json_string_value(json_object_get(j, "dtype"));
	const json_t *parts = json_object_get(j, "base64");
	size_t rows, cols, done = 0, n;

	if (!dtype || (strcmp(dtype, "<f4") != 0 && strcmp(dtype, "<f8") != 0)) {
		*err = xasprintf("packed matrix: 'dtype' must be \"<f4\" or \"<f8\"");
		return -1;
	}
	if (packed_shape(json_object_get(j, "shape"), &rows, &cols, err) < 0)
		return -1;
	if (!json_is_array(parts)) {
		*err = xasprintf("packed matrix: 'base64' must be an array of strings");
		return -1;
	}
	/* the text must be as long as the shape says before memory is taken */
	size_t chars = 0, width = dtype[2] == '4' ? 4 : 8;
	for (size_t i = 0; i < json_array_size(parts); i++) {
		if (!json_is_string(json_array_get(parts, i))) {
			*err = xasprintf("packed matrix: 'base64' item %zu is not a string", i);
			return -1;
		}
		chars += json_string_length(json_array_get(parts, i));
	}
	if (cols && rows > SIZE_MAX / 16 / cols) {
		*err = xasprintf("packed matrix: shape [%zu, %zu] is too large", rows, cols);
		return -1;
	}
	if (chars != BASE64_LEN(rows * cols * width)) {
		*err = xasprintf("packed matrix: 'base64' has %zu characters, shape [%zu, %zu] of %s "
				 "needs %zu", chars, rows, cols, dtype, BASE64_LEN(rows * cols * width));
		return -1;
	}
	struct matrix *m = width == 4 ? matrix_try_new_f32(rows, cols) : matrix_try_new(rows, cols);
	if (!m) {
		*err = xasprintf("packed matrix: shape [%zu, %zu] is too large", rows, cols);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(parts); i++) {
		if (decode_part(json_array_get(parts, i), i, width == 4, rows * cols - done, m, done,
				&n, err) < 0) {
			matrix_free(m);
			return -1;
		}
		done += n;
	}
	if (done != rows * cols) {
		*err = xasprintf("packed matrix: 'base64' holds %zu values, shape [%zu, %zu] needs %zu",
				 done, rows, cols, rows * cols);
		matrix_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int matrix_row_from_json(const json_t *j, struct matrix **out, char **err)
{
	struct matrix *m = matrix_new(0, 0);
	size_t cap = 0;

	*out = NULL;
	if (matrix_append_json_row(m, &cap, j, err) < 0) {
		matrix_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int matrix_from_json(const json_t *j, struct matrix **out, char **err)
{
	struct matrix *m = NULL;
	size_t rows;
	int rc = -1;

	*out = NULL;
	if (json_is_object(j) && json_object_get(j, "base64"))
		return from_packed(j, out, err);
	if (!json_is_array(j)) {
		double x;
		if (json_lenient_number(j, &x) < 0) {
			*err = xasprintf("expected an array or a number, found %s", json_kind_name(j));
			goto out;
		}
		m = matrix_new(1, 1);
		m->v[0] = x;
		rc = 0;
		goto out;
	}
	rows = json_array_size(j);
	if (rows == 0 || !json_is_array(json_array_get(j, 0))) {
		/* An array of numbers: one column. */
		m = matrix_new(rows, 1);
		if (read_numbers(j, m->v, NULL, 0, err) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	size_t cols = json_array_size(json_array_get(j, 0));
	m = matrix_new(rows, cols);
	for (size_t r = 0; r < rows; r++) {
		const json_t *row = json_array_get(j, r);
		if (!json_is_array(row)) {
			*err = xasprintf("row %zu: expected an array of numbers, found %s", r,
					 json_kind_name(row));
			goto out;
		}
		if (json_array_size(row) != cols) {
			*err = xasprintf("row %zu has %zu value%s, earlier rows have %zu", r,
					 json_array_size(row), json_array_size(row) == 1 ? "" : "s", cols);
			goto out;
		}
		if (read_numbers(row, m->v + r * cols, "row", r, err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0)
		*out = m;
	else
		matrix_free(m);
	return rc;
}

int matrix_append_json_row(struct matrix *m, size_t *cap_rows, const json_t *j, char **err)
{
	double one;
	double *vals = NULL;
	size_t n;
	int rc = -1;

	if (json_is_array(j)) {
		n = json_array_size(j);
		vals = xmalloc((n ? n : 1) * sizeof(double));
		if (read_numbers(j, vals, NULL, 0, err) < 0)
			goto out;
	} else if (json_lenient_number(j, &one) == 0) {
		n = 1;
		vals = xmalloc(sizeof(double));
		vals[0] = one;
	} else {
		*err = xasprintf("expected a number or an array of numbers, found %s",
				 json_kind_name(j));
		goto out;
	}
	if (m->rows == 0) {
		m->cols = n;
		*cap_rows = 0;
	} else if (n != m->cols) {
		*err = xasprintf("row has %zu value%s, earlier rows have %zu", n, n == 1 ? "" : "s",
				 m->cols);
		goto out;
	}
	matrix_append_row(m, cap_rows, vals);
	rc = 0;
out:
	free(vals);
	return rc;
}

json_t *matrix_to_json(const struct matrix *m)
{
	if (m->rows * m->cols >= MATRIX_PACKED_MIN)
		return to_packed(m);
	json_t *rows = json_array();

	for (size_t r = 0; r < m->rows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < m->cols; c++) {
			double x = matrix_get(m, r, c);
			/* JSON has no infinities: facts spell them as strings, so that they
			 * read back as themselves (NaN stays null) */
			json_array_append_new(row, isfinite(x) ? json_real(x) : isnan(x) ? json_null()
					      : json_string(x > 0 ? "Infinity" : "-Infinity"));
		}
		json_array_append_new(rows, row);
	}
	return rows;
}
