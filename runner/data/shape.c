/* shape: the shape of the difference between two matrices, per column.
 * Each column goes through a table of detectors, most specific first; the
 * first that explains every differing row names the shape. Thresholds and
 * the reasons for them are in docs/diagnosis.md. */
#include "data/shape.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

#define FIT_EXPLAINED 1e-3      /* a fit explains the difference: residual <= this x rms diff */
#define STD_MEAN_TOL 1e-4       /* |mean| of a batch-standardized column */
#define STD_SD_TOL 1e-3         /* |sd - 1| of a batch-standardized column (ddof 0 or 1) */
#define PERM_RTOL 1e-12         /* a permuted column equals its source up to this */
#define DIGITS_MAX 15

/* One column of a row-major matrix. */
struct col {
	const double *v;
	size_t stride, n;
};

static double at(const struct col *c, size_t r)
{
	return c->v[r * c->stride];
}

static bool same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* Whether every row where the columns differ holds finite values on both sides. */
static bool differing_finite(const struct col *b, const struct col *o)
{
	for (size_t r = 0; r < b->n; r++) {
		double x = at(b, r), y = at(o, r);

		if (!same(x, y) && !(isfinite(x) && isfinite(y)))
			return false;
	}
	return true;
}

/* Keeps the SHAPE_TOP largest differences, largest first (NaN counts as +inf). */
static void keep_top(struct shape *s, size_t row, double x, double y, double d)
{
	size_t i;

	if (s->ntop < SHAPE_TOP)
		i = s->ntop++;
	else if (d > s->top_diff[SHAPE_TOP - 1])
		i = SHAPE_TOP - 1;
	else
		return;
	for (; i > 0 && d > s->top_diff[i - 1]; i--) {
		s->top_row[i] = s->top_row[i - 1];
		s->top_base[i] = s->top_base[i - 1];
		s->top_other[i] = s->top_other[i - 1];
		s->top_diff[i] = s->top_diff[i - 1];
	}
	s->top_row[i] = row;
	s->top_base[i] = x;
	s->top_other[i] = y;
	s->top_diff[i] = d;
}

static void count_differences(const struct col *b, const struct col *o, struct shape *s)
{
	for (size_t r = 0; r < b->n; r++) {
		double x = at(b, r), y = at(o, r), d;

		if (same(x, y))
			continue;
		s->differ++;
		d = isfinite(x) && isfinite(y) ? fabs(y - x) : INFINITY;
		if (d > s->max_abs_diff)
			s->max_abs_diff = d;
		keep_top(s, r, x, y, isnan(x) || isnan(y) ? INFINITY : d);
	}
}

/* ---- rounding ---- */

static double round_digits(double x, int k)
{
	char text[64];

	if (!isfinite(x))
		return x;
	snprintf(text, sizeof text, "%.*e", k - 1, x);
	return strtod(text, NULL);
}

/* x rounded to `bits` significant bits, to nearest even, with no quantum
 * below 2^min_e (the format's smallest subnormal). */
static double round_bits(double x, int bits, int min_e)
{
	int e;

	if (!isfinite(x) || x == 0)
		return x;
	frexp(x, &e);
	e -= bits;
	if (e < min_e)
		e = min_e;
	return ldexp(nearbyint(ldexp(x, -e)), e);
}

struct format {
	const char *name;
	int bits, min_e;
	double max;             /* the largest finite value */
};

/* Narrowest first, so that a column rounded to bfloat16 is not called float16. */
static const struct format formats[] = {
	{"bfloat16", 8, -133, 3.3895313892515355e38},
	{"float16", 11, -24, 65504},
	{"tf32", 11, -136, 3.4028234663852886e38},
	{"float32", 24, -149, 3.4028234663852886e38},
};

static double max_rel_diff(const struct col *b, const struct col *o)
{
	double m = 0;

	for (size_t r = 0; r < b->n; r++) {
		double x = at(b, r), y = at(o, r), scale = fmax(fabs(x), fabs(y));

		if (!same(x, y) && scale > 0 && fabs(y - x) / scale > m)
			m = fabs(y - x) / scale;
	}
	return m;
}

/* ---- detectors: each returns true and fills s when its shape explains the column ---- */

typedef bool detector(const struct col *b, const struct col *o, struct shape *s);

static bool rounds_to_digits(const struct col *fine, const struct col *coarse, int k)
{
	for (size_t r = 0; r < fine->n; r++)
		if (!same(round_digits(at(fine, r), k), at(coarse, r)))
			return false;
	return true;
}

static bool detect_digits(const struct col *b, const struct col *o, struct shape *s)
{
	size_t first = 0;

	if (s->differ < 2 || !differing_finite(b, o))
		return false;
	while (same(at(b, first), at(o, first)))
		first++;
	for (int side = 1; side >= 0; side--) {
		const struct col *fine = side ? b : o, *coarse = side ? o : b;

		for (int k = 1; k <= DIGITS_MAX; k++) {
			if (round_digits(at(fine, first), k) != at(coarse, first) ||
			    !rounds_to_digits(fine, coarse, k))
				continue;
			s->kind = SHAPE_DIGITS;
			s->digits = k;
			s->side = side;
			s->max_rel_diff = max_rel_diff(b, o);
			return true;
		}
	}
	return false;
}

static bool rounds_to_format(const struct col *fine, const struct col *coarse,
			     const struct format *f)
{
	for (size_t r = 0; r < fine->n; r++) {
		double x = at(fine, r);

		if (fabs(x) > f->max || !same(round_bits(x, f->bits, f->min_e), at(coarse, r)))
			return false;
	}
	return true;
}

static bool detect_rounded(const struct col *b, const struct col *o, struct shape *s)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		for (int side = 1; side >= 0; side--) {
			if (!rounds_to_format(side ? b : o, side ? o : b, &formats[i]))
				continue;
			s->kind = SHAPE_PRECISION;
			s->precision = formats[i].name;
			s->side = side;
			s->exact = 1;
			s->max_rel_diff = max_rel_diff(b, o);
			return true;
		}
	return false;
}

/* Least squares o = a b + c over all rows (all finite where they differ;
 * rows equal as NaN are skipped). False when b has no spread. */
static bool fit_line(const struct col *b, const struct col *o, double *a, double *c,
		     double *residual, double *diff_rms)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, rr = 0, dd = 0;
	size_t n = 0;

	for (size_t r = 0; r < b->n; r++)
		if (isfinite(at(b, r)) && isfinite(at(o, r))) {
			mx += at(b, r);
			my += at(o, r);
			n++;
		}
	if (n < 3)
		return false;
	mx /= (double)n;
	my /= (double)n;
	for (size_t r = 0; r < b->n; r++)
		if (isfinite(at(b, r)) && isfinite(at(o, r))) {
			sxx += (at(b, r) - mx) * (at(b, r) - mx);
			sxy += (at(b, r) - mx) * (at(o, r) - my);
		}
	if (!(sxx > 0))
		return false;
	*a = sxy / sxx;
	*c = my - *a * mx;
	for (size_t r = 0; r < b->n; r++)
		if (isfinite(at(b, r)) && isfinite(at(o, r))) {
			double e = at(o, r) - (*a * at(b, r) + *c), d = at(o, r) - at(b, r);

			rr += e * e;
			dd += d * d;
		}
	*residual = sqrt(rr / (double)n);
	*diff_rms = sqrt(dd / (double)n);
	return true;
}

static bool explained_by_line(const struct col *b, const struct col *o, struct shape *s)
{
	double a, c, res, rms;

	if (!differing_finite(b, o) || !fit_line(b, o, &a, &c, &res, &rms))
		return false;
	if (!(res <= FIT_EXPLAINED * rms))
		return false;
	s->slope = a;
	s->offset = c;
	s->residual = res;
	return true;
}

/* Mean and standard deviation (ddof 0 and 1) of the finite values. */
static bool standardized(const struct col *c)
{
	double m = 0, ss = 0;
	size_t n = 0;

	for (size_t r = 0; r < c->n; r++)
		if (isfinite(at(c, r))) {
			m += at(c, r);
			n++;
		}
	if (n < 3)
		return false;
	m /= (double)n;
	for (size_t r = 0; r < c->n; r++)
		if (isfinite(at(c, r)))
			ss += (at(c, r) - m) * (at(c, r) - m);
	return fabs(m) <= STD_MEAN_TOL &&
	       (fabs(sqrt(ss / (double)n) - 1) <= STD_SD_TOL ||
		fabs(sqrt(ss / (double)(n - 1)) - 1) <= STD_SD_TOL);
}

static bool detect_standardized(const struct col *b, const struct col *o, struct shape *s)
{
	bool sb = standardized(b), so = standardized(o);

	if (sb == so || !explained_by_line(b, o, s))
		return false;
	s->kind = SHAPE_BATCH_STANDARDIZED;
	s->standardized_side = so ? 1 : 0;
	return true;
}

static bool detect_offset(const struct col *b, const struct col *o, struct shape *s)
{
	double d = 0, rr = 0, dd = 0;
	size_t n = 0;

	if (b->n < 2 || !differing_finite(b, o))
		return false;
	for (size_t r = 0; r < b->n; r++)
		if (isfinite(at(b, r))) {
			d += at(o, r) - at(b, r);
			n++;
		}
	if (n < 2)
		return false;
	d /= (double)n;
	for (size_t r = 0; r < b->n; r++)
		if (isfinite(at(b, r))) {
			double e = at(o, r) - at(b, r);

			rr += (e - d) * (e - d);
			dd += e * e;
		}
	if (!(sqrt(rr / (double)n) <= FIT_EXPLAINED * sqrt(dd / (double)n)))
		return false;
	s->kind = SHAPE_OFFSET;
	s->slope = 1;
	s->offset = d;
	s->residual = sqrt(rr / (double)n);
	return true;
}

static bool detect_affine(const struct col *b, const struct col *o, struct shape *s)
{
	if (!explained_by_line(b, o, s))
		return false;
	s->kind = SHAPE_AFFINE;
	return true;
}

/* Every differing row holds one value on the base side and one on the other. */
static bool detect_missing(const struct col *b, const struct col *o, struct shape *s)
{
	bool seen = false;
	double t = 0, v = 0;

	for (size_t r = 0; r < b->n; r++) {
		double x = at(b, r), y = at(o, r);

		if (same(x, y))
			continue;
		if (!seen) {
			t = x;
			v = y;
			seen = true;
		} else if (!same(x, t) || !same(y, v)) {
			return false;
		}
	}
	s->kind = SHAPE_MISSING_DEFAULT;
	s->replaced = t;
	s->sentinel = v;
	return true;
}

/* The clipped side sits at lo (the free side below it) or hi (above it) in
 * every differing row, and nowhere else does the free side pass a bound. */
static bool clipped(const struct col *free, const struct col *clip, double *lo, double *hi)
{
	*lo = NAN;
	*hi = NAN;
	for (size_t r = 0; r < free->n; r++) {
		double x = at(free, r), y = at(clip, r);
		double *bound = x > y ? hi : lo;

		if (same(x, y))
			continue;
		if (isnan(x) || isnan(y) || isinf(y))
			return false;
		if (isnan(*bound))
			*bound = y;
		else if (*bound != y)
			return false;
	}
	for (size_t r = 0; r < free->n; r++) {
		double x = at(free, r);

		if (same(x, at(clip, r)) && (x > *hi || x < *lo))
			return false;
	}
	return !isnan(*lo) || !isnan(*hi);
}

static bool detect_clipping(const struct col *b, const struct col *o, struct shape *s)
{
	for (int side = 1; side >= 0; side--) {
		double lo, hi;

		if (!clipped(side ? b : o, side ? o : b, &lo, &hi))
			continue;
		s->kind = SHAPE_CLIPPING;
		s->side = side;
		s->lower = lo;
		s->upper = hi;
		s->bound = isnan(hi) ? lo : hi;
		return true;
	}
	return false;
}

/* Relative differences at a format's scale: up to 4 units of its roundoff. */
static bool detect_precision_scale(const struct col *b, const struct col *o, struct shape *s)
{
	static const struct {
		const char *name;
		double limit;
	} scales[] = {
		{"float32", 0x1p-22}, {"float16", 0x1p-9}, {"bfloat16", 0x1p-6},
	};
	double m;

	if (!differing_finite(b, o))
		return false;
	m = max_rel_diff(b, o);
	for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++)
		if (m <= scales[i].limit) {
			s->kind = SHAPE_PRECISION;
			s->precision = scales[i].name;
			s->max_rel_diff = m;
			s->exact = 0;
			return true;
		}
	return false;
}

static detector *const detectors[] = {
	detect_digits, detect_rounded, detect_standardized, detect_offset, detect_affine,
	detect_missing, detect_clipping, detect_precision_scale,
};

static void shape_init(struct shape *s, size_t column, size_t rows)
{
	memset(s, 0, sizeof *s);
	s->kind = SHAPE_UNEXPLAINED;
	s->column = column;
	s->rows = rows;
	s->slope = 1;
	s->source = column;
	s->sentinel = NAN;
	s->replaced = NAN;
	s->bound = NAN;
	s->lower = NAN;
	s->upper = NAN;
	s->side = 1;
	s->standardized_side = 1;
}

static bool equal_columns(const struct col *a, const struct col *b)
{
	for (size_t r = 0; r < a->n; r++) {
		double x = at(a, r), y = at(b, r);

		if (!same(x, y) && !(fabs(x - y) <= PERM_RTOL * fmax(fabs(x), fabs(y))))
			return false;
	}
	return true;
}

void shape_diagnose(const double *base, const double *other, size_t rows, size_t cols,
	struct shape *out)
{
	for (size_t c = 0; c < cols; c++) {
		struct col b = {base + c, cols, rows}, o = {other + c, cols, rows};
		struct shape *s = &out[c];

		shape_init(s, c, rows);
		count_differences(&b, &o, s);
		if (s->differ == 0) {
			s->kind = SHAPE_IDENTICAL;
			continue;
		}
		for (size_t k = 0; k < cols && s->kind == SHAPE_UNEXPLAINED; k++) {
			struct col src = {base + k, cols, rows};

			if (k != c && equal_columns(&o, &src)) {
				s->kind = SHAPE_PERMUTATION;
				s->source = k;
			}
		}
		for (size_t i = 0; i < sizeof detectors / sizeof detectors[0]; i++)
			if (s->kind != SHAPE_UNEXPLAINED || detectors[i](&b, &o, s))
				break;
	}
}

/* ---- text and JSON ---- */

static const char *const kind_names[] = {
	[SHAPE_IDENTICAL] = "identical", [SHAPE_OFFSET] = "offset",
	[SHAPE_AFFINE] = "affine", [SHAPE_PERMUTATION] = "permutation",
	[SHAPE_BATCH_STANDARDIZED] = "batch_standardized",
	[SHAPE_MISSING_DEFAULT] = "missing_default", [SHAPE_CLIPPING] = "clipping",
	[SHAPE_PRECISION] = "precision", [SHAPE_DIGITS] = "digits",
	[SHAPE_UNEXPLAINED] = "unexplained",
};

const char *shape_kind_name(enum shape_kind k)
{
	return (size_t)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "unknown";
}

static void put_num(struct buf *b, double x)
{
	if (isnan(x))
		buf_puts(b, "NaN");
	else
		buf_printf(b, "%.6g", x);
}

static void put_column(struct buf *b, const char *const *names, size_t cols, size_t c)
{
	if (names && c < cols && names[c])
		buf_printf(b, "'%s'", names[c]);
	else
		buf_printf(b, "column %zu", c);
}

/* "other = 1.23 x base - 0.41", the slope omitted when 1, the offset when 0. */
static void put_line(struct buf *b, const struct shape *s, const char *base_env,
		     const char *other_env)
{
	buf_printf(b, "%s = ", other_env);
	if (s->slope != 1 || s->kind != SHAPE_OFFSET) {
		put_num(b, s->slope);
		buf_puts(b, " x ");
	}
	buf_puts(b, base_env);
	if (s->offset != 0 && fabs(s->offset) > 1e-12 * fmax(1, fabs(s->slope))) {
		buf_puts(b, s->offset < 0 ? " - " : " + ");
		put_num(b, fabs(s->offset));
	}
}

static void put_top(struct buf *b, const struct shape *s, const char *base_env,
		    const char *other_env)
{
	buf_printf(b, "; largest differences: ");
	for (size_t i = 0; i < s->ntop; i++) {
		buf_printf(b, "%srow %zu: %s ", i ? ", " : "", s->top_row[i], base_env);
		put_num(b, s->top_base[i]);
		buf_printf(b, " vs %s ", other_env);
		put_num(b, s->top_other[i]);
	}
}

static void put_precision(struct buf *b, const struct shape *s, const char *coarse,
			  const char *fine)
{
	if (s->exact) {
		buf_printf(b, "%s = %s rounded to %s (precision: relative differences up to %.2g)",
			   coarse, fine, s->precision, s->max_rel_diff);
		return;
	}
	buf_printf(b, "relative differences up to %.2g, at %s's scale (precision: %s)",
		   s->max_rel_diff, s->precision,
		   strcmp(s->precision, "float16") == 0 ? "2^-11, float16 or tf32" :
		   strcmp(s->precision, "bfloat16") == 0 ? "2^-8" : "2^-24");
}

static void put_clipping(struct buf *b, const struct shape *s, const char *clip,
			 const char *free)
{
	if (!isnan(s->lower) && !isnan(s->upper)) {
		buf_printf(b, "differs only where %s lies outside [", free);
		put_num(b, s->lower);
		buf_puts(b, ", ");
		put_num(b, s->upper);
		buf_printf(b, "]: %s sits at the bound there (clipping)", clip);
		return;
	}
	buf_printf(b, "differs only where %s lies %s ", free, isnan(s->upper) ? "below" : "above");
	put_num(b, s->bound);
	buf_printf(b, ": %s sits at ", clip);
	put_num(b, s->bound);
	buf_puts(b, " there (clipping)");
}

char *shape_describe(const struct shape *s, const char *base_env, const char *other_env,
	const char *const *names, size_t cols)
{
	struct buf b;
	const char *coarse = s->side ? other_env : base_env, *fine = s->side ? base_env : other_env;

	buf_init(&b);
	switch (s->kind) {
	case SHAPE_IDENTICAL:
		buf_puts(&b, "identical");
		break;
	case SHAPE_OFFSET:
		put_line(&b, s, base_env, other_env);
		buf_puts(&b, " (constant offset: another centering or origin)");
		break;
	case SHAPE_AFFINE:
		put_line(&b, s, base_env, other_env);
		buf_puts(&b, " (affine: another scaler's mean and standard deviation)");
		break;
	case SHAPE_PERMUTATION:
		buf_printf(&b, "%s's ", other_env);
		put_column(&b, names, cols, s->column);
		buf_printf(&b, " equals %s's ", base_env);
		put_column(&b, names, cols, s->source);
		buf_puts(&b, " (permutation: feature order changed)");
		break;
	case SHAPE_BATCH_STANDARDIZED:
		buf_printf(&b, "%s has mean 0 and standard deviation 1 over these rows, %s does not: ",
			   s->standardized_side ? other_env : base_env,
			   s->standardized_side ? base_env : other_env);
		put_line(&b, s, base_env, other_env);
		buf_puts(&b, " (standardized with the batch's own statistics: fit_transform"
			 " where transform was meant)");
		break;
	case SHAPE_MISSING_DEFAULT:
		buf_printf(&b, "differs only where %s is ", base_env);
		put_num(&b, s->replaced);
		buf_printf(&b, " and %s is ", other_env);
		put_num(&b, s->sentinel);
		buf_puts(&b, " (another missing-value default)");
		break;
	case SHAPE_CLIPPING:
		put_clipping(&b, s, coarse, fine);
		break;
	case SHAPE_PRECISION:
		put_precision(&b, s, coarse, fine);
		break;
	case SHAPE_DIGITS:
		buf_printf(&b, "%s = %s rounded to %d significant digits (transport rounding,"
			   " as TensorFlow Serving's JSON does at 6)", coarse, fine, s->digits);
		break;
	default:
		buf_puts(&b, "no known shape (not an offset, affine map, permutation, batch"
			 " standardization, missing-value default, clipping or precision loss)");
		put_top(&b, s, base_env, other_env);
		break;
	}
	return buf_detach(&b);
}

static void set_num(json_t *o, const char *key, double x)
{
	json_object_set_new(o, key, isfinite(x) ? json_real(x) : json_null());
}

static const char *side_name(int side)
{
	return side ? "other" : "base";
}

static void set_params(json_t *o, const struct shape *s, const char *const *names)
{
	switch (s->kind) {
	case SHAPE_OFFSET:
	case SHAPE_AFFINE:
	case SHAPE_BATCH_STANDARDIZED:
		set_num(o, "slope", s->slope);
		set_num(o, "offset", s->offset);
		set_num(o, "residual", s->residual);
		if (s->kind == SHAPE_BATCH_STANDARDIZED)
			json_object_set_new(o, "standardized_side",
					    json_string(side_name(s->standardized_side)));
		break;
	case SHAPE_PERMUTATION:
		json_object_set_new(o, "source", json_integer((json_int_t)s->source));
		if (names && names[s->source])
			json_object_set_new(o, "source_name", json_string(names[s->source]));
		break;
	case SHAPE_MISSING_DEFAULT:
		set_num(o, "replaced", s->replaced);
		set_num(o, "sentinel", s->sentinel);
		break;
	case SHAPE_CLIPPING:
		set_num(o, "bound", s->bound);
		set_num(o, "lower", s->lower);
		set_num(o, "upper", s->upper);
		json_object_set_new(o, "clipped_side", json_string(side_name(s->side)));
		break;
	case SHAPE_PRECISION:
		json_object_set_new(o, "precision", json_string(s->precision));
		json_object_set_new(o, "exact", json_boolean(s->exact));
		set_num(o, "max_rel_diff", s->max_rel_diff);
		break;
	case SHAPE_DIGITS:
		json_object_set_new(o, "digits", json_integer(s->digits));
		json_object_set_new(o, "rounded_side", json_string(side_name(s->side)));
		break;
	default:
		break;
	}
}

json_t *shape_to_json(const struct shape *s, const char *const *names)
{
	json_t *o = json_object(), *top = json_array();

	json_object_set_new(o, "column", json_integer((json_int_t)s->column));
	if (names && names[s->column])
		json_object_set_new(o, "name", json_string(names[s->column]));
	json_object_set_new(o, "shape", json_string(shape_kind_name(s->kind)));
	json_object_set_new(o, "rows", json_integer((json_int_t)s->rows));
	json_object_set_new(o, "differ", json_integer((json_int_t)s->differ));
	set_num(o, "max_abs_diff", s->max_abs_diff);
	set_params(o, s, names);
	for (size_t i = 0; i < s->ntop; i++) {
		json_t *t = json_object();

		json_object_set_new(t, "row", json_integer((json_int_t)s->top_row[i]));
		set_num(t, "base", s->top_base[i]);
		set_num(t, "other", s->top_other[i]);
		json_array_append_new(top, t);
	}
	json_object_set_new(o, "largest", top);
	return o;
}
