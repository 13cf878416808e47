/* matrix: allocation, row appends and JSON conversion for the dense matrices
 * every data reader returns. Sizes from outside input go through
 * matrix_try_new so that a header claiming 2^60 values is an error, not an
 * exit. */
#include "data/matrix.h"
#include "data/jsonptr.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct matrix *matrix_try_new(size_t rows, size_t cols)
{
	size_t n;
	struct matrix *m;

	if (cols != 0 && rows > SIZE_MAX / cols)
		return NULL;
	n = rows * cols;
	if (n > SIZE_MAX / sizeof(double))
		return NULL;
	m = xmalloc(sizeof(*m));
	m->v = xtry_calloc(n, sizeof(double));
	if (!m->v) {
		free(m);
		return NULL;
	}
	m->rows = rows;
	m->cols = cols;
	return m;
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
	free(m);
}

void matrix_append_row(struct matrix *m, size_t *cap_rows, const double *row)
{
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
		c->v[r] = MATRIX_AT(m, r, col);
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
	json_t *rows = json_array();

	for (size_t r = 0; r < m->rows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < m->cols; c++) {
			double x = MATRIX_AT(m, r, c);
			/* JSON has no infinities: facts spell them as strings, so that they
			 * read back as themselves (NaN stays null) */
			json_array_append_new(row, isfinite(x) ? json_real(x) : isnan(x) ? json_null()
					      : json_string(x > 0 ? "Infinity" : "-Infinity"));
		}
		json_array_append_new(rows, row);
	}
	return rows;
}
