/* shape: the shape of the difference between two matrices, column by
 * column: identical, a constant offset, an affine map, a permutation of
 * columns, standardization with the batch's own statistics, another
 * missing-value default, clipping, lost precision, rounding to k
 * significant digits, or none of these. docs/diagnosis.md says how each
 * is detected and with which thresholds.
 *
 * Layer: data. May include: util, jansson. */
#ifndef PARITY_SHAPE_H
#define PARITY_SHAPE_H
#include <stddef.h>

#include <jansson.h>

#define SHAPE_TOP 3             /* largest differences kept for the report */

enum shape_kind {
	SHAPE_IDENTICAL, SHAPE_OFFSET, SHAPE_AFFINE, SHAPE_PERMUTATION,
	SHAPE_BATCH_STANDARDIZED, SHAPE_MISSING_DEFAULT, SHAPE_CLIPPING,
	SHAPE_PRECISION, SHAPE_DIGITS, SHAPE_UNEXPLAINED,
};

struct shape {
	enum shape_kind kind;
	size_t rows, differ;        /* rows compared, rows whose values differ */
	double max_abs_diff;        /* over the differing rows; +inf where one side is NaN */
	double slope, offset, residual; /* affine / offset: other = slope * base + offset;
	                                 * residual: root mean square of the fit's errors */
	size_t source;              /* permutation: other's column equals base's column `source` */
	int standardized_side;      /* batch standardized: 0 base side, 1 other side */
	double sentinel;            /* missing default: the value the other side uses (NaN allowed) */
	double bound;               /* clipping: the bound (the upper one when both) */
	const char *precision;      /* "float16", "bfloat16", "tf32", "float32" (static) */
	int digits;                 /* agree to exactly `digits` significant digits */
	/* Added to the agreed API: */
	size_t column;              /* the column this shape describes */
	double replaced;            /* missing default: the base side's value in those rows */
	double lower, upper;        /* clipping: the bounds, NaN when that side is not clipped */
	int side;                   /* precision, digits: 0 base, 1 other is the coarser side */
	int exact;                  /* precision: 1 when the coarser side is exactly rounded */
	double max_rel_diff;        /* precision: the largest relative difference */
	size_t ntop;                /* the largest differences, largest first */
	size_t top_row[SHAPE_TOP];
	double top_base[SHAPE_TOP], top_other[SHAPE_TOP], top_diff[SHAPE_TOP];
};

/* Diagnose every column of two row-major matrices (rows x cols, doubles; NaN allowed),
 * base = the baseline environment's, other = the compared one's. out has cols entries.
 * Inputs are borrowed; out is filled entirely (no allocation to release). */
void shape_diagnose(const double *base, const double *other, size_t rows, size_t cols,
	struct shape *out);

/* One line: "production = 1.23 x staging - 0.41 (affine: another scaler's mean and
 * standard deviation)"; env names given; names (cols entries, or NULL: "column N",
 * N from 0) name the source of a permutation; returns malloc'd text. */
char *shape_describe(const struct shape *s, const char *base_env, const char *other_env,
	const char *const *names /* column names or NULL */, size_t cols);

/* The shape as a new JSON object: {"column", "name" (with names), "shape", "rows",
 * "differ", "max_abs_diff", and the kind's parameters}; NaN and infinities are
 * written as null. names as in shape_describe (NULL: no names). Owned by the caller. */
json_t *shape_to_json(const struct shape *s, const char *const *names);

/* "identical", "offset", "affine", "permutation", "batch_standardized",
 * "missing_default", "clipping", "precision", "digits", "unexplained" (static). */
const char *shape_kind_name(enum shape_kind k);

#endif
