/* matrix: a dense row-major matrix of doubles, the one numeric value the data
 * readers (.npy, .csv, .jsonl, HTTP responses) produce and the metrics and
 * statistics consume. A 1-D input is a column: n rows x 1 col. JSON has no
 * NaN or infinity, so matrix_to_json writes NaN as null and the infinities as
 * the strings "Infinity" and "-Infinity", which read back as themselves.
 *
 * Layer: data. May include: util.
 */
#ifndef PARITY_MATRIX_H
#define PARITY_MATRIX_H
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct matrix {
	size_t rows, cols;
	double *v;              /* rows * cols values, row-major; NULL when f holds them */
	float *f;               /* the values as float32, row-major, or NULL: float32
				 * data (.npy '<f4'/'<f2', the packed "<f4") stays 4 bytes a
				 * value until a reader needs doubles (matrix_widen) */
	bool float32;           /* read from float32 (or float16) data: every value is a
				 * float32, and .npy writes it back as '<f4'; true when f */
};

/* Element (r, c) of m, an lvalue: only for a matrix of doubles (m->v). */
#define MATRIX_AT(m, r, c) ((m)->v[(size_t)(r) * (m)->cols + (size_t)(c)])

/* Element (r, c) of m, whichever storage it has. */
static inline double matrix_get(const struct matrix *m, size_t r, size_t c)
{
	size_t i = r * m->cols + c;
	return m->f ? (double)m->f[i] : m->v[i];
}

/* Row r of m as doubles: a pointer into m->v, or for float32 storage the
 * row converted into tmp (room for m->cols doubles), which is returned. */
const double *matrix_row(const struct matrix *m, size_t r, double *tmp);

/* All of m's values as doubles: m->v, or for float32 storage a converted
 * copy, also put in *own for the caller to free (*own is NULL otherwise).
 * Exits (status 3) when memory is exhausted. */
const double *matrix_doubles(const struct matrix *m, double **own);

/* Converts float32 storage to doubles in place (m->v set, m->f freed);
 * a no-op for a matrix of doubles. Exits (status 3) when memory is
 * exhausted. For the readers that need m->v. */
void matrix_widen(struct matrix *m);

/* A rows x cols matrix of zeros, owned by the caller (matrix_free). Exits
 * (status 3) when memory is exhausted, like xalloc. */
struct matrix *matrix_new(size_t rows, size_t cols);
/* The same for sizes read from outside input: NULL when rows * cols doubles
 * overflow size_t or cannot be allocated. */
struct matrix *matrix_try_new(size_t rows, size_t cols);
void matrix_free(struct matrix *m);             /* matrix_free(NULL) is a no-op */
/* A rows x cols matrix of float32 zeros (m->f, m->float32 set), or NULL as
 * matrix_try_new. */
struct matrix *matrix_try_new_f32(size_t rows, size_t cols);

/* Appends one row of m->cols values (borrowed) to m (of doubles), growing m->v by
 * doubling. *cap_rows is the number of rows m->v has room for: start it at
 * m->rows for a matrix from matrix_new. */
void matrix_append_row(struct matrix *m, size_t *cap_rows, const double *row);

/* Column col (< m->cols) of m as a new rows x 1 matrix owned by the caller. */
struct matrix *matrix_column(const struct matrix *m, size_t col);

/* The shape as Python prints a 2-D shape, "(200, 3)", into buf (returned). */
#define MATRIX_SHAPE_LEN 48
const char *matrix_shape(const struct matrix *m, char buf[MATRIX_SHAPE_LEN]);

/* A JSON value as a table of numbers, into *out (owned by the caller):
 * an array of arrays of numbers is one row per inner array (all the same
 * length); an array of numbers is ONE COLUMN, n rows x 1 col, like a 1-D
 * .npy; a number alone is 1 x 1. Numbers are read by json_lenient_number
 * (null is NaN). j is borrowed. On failure *err (owned by the caller) says
 * where: "row 2 has 3 values, earlier rows have 4". */
int matrix_from_json(const json_t *j, struct matrix **out, char **err);
/* (An object with "base64" is the packed form matrix_to_json writes; its
 * errors start "packed matrix: ".) */

/* A JSON value as ONE ROW, into *out (owned by the caller): an array of
 * numbers is 1 x n, a number alone 1 x 1. This is how an inference output
 * vector reads. */
int matrix_row_from_json(const json_t *j, struct matrix **out, char **err);

/* Appends the JSON value j (borrowed; a number or an array of numbers) to m
 * as one row, the way matrix_row_from_json reads it. The first row appended
 * to an empty 0 x 0 matrix sets m->cols; later rows must match it
 * ("row has 3 values, earlier rows have 4"). *cap_rows as for
 * matrix_append_row. m is unchanged on failure. */
int matrix_append_json_row(struct matrix *m, size_t *cap_rows, const json_t *j, char **err);

/* An array of row arrays, owned by the caller; NaN becomes null, +-inf the
 * strings "Infinity" and "-Infinity". From MATRIX_PACKED_MIN values on, the
 * packed form instead, about 5.4 bytes a value rather than a JSON tree of
 * about 150: {"dtype": "<f4", "shape": [rows, cols], "base64": ["...", ...]},
 * the values' little-endian bytes in row-major order, base64 in strings of
 * 4 MiB (3 MiB of values) at most, as numpy's
 * np.frombuffer(base64.b64decode("".join(parts)), dtype).reshape(shape)
 * reads them; "<f4" when every value is a float32 (or NaN), "<f8" otherwise.
 * matrix_from_json reads both forms. */
#define MATRIX_PACKED_MIN 4096
json_t *matrix_to_json(const struct matrix *m);

#endif
