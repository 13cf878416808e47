/* metrics: tolerance metrics of one environment's output against the
 * baseline's, in one pass over the rows (each row is read once, with both
 * argmaxes taken while it is in cache; large matrices in two halves on two
 * threads), and the verdicts and messages the inference and postprocess
 * steps report. */
#include "data/metrics.h"
#include "util/xalloc.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
/* the loops of fast_row, vectorized (GCC does it from -O3 on) */
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

/* The hot loops also in AVX2 where the CPU has it (GCC's function
 * multi-versioning picks at load time); plain SSE2 elsewhere. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) && defined(__x86_64__)
#define HOT __attribute__((target_clones("avx2", "default")))
#else
#define HOT
#endif

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool metrics_isclose(double a, double b, double rtol, double atol)
{
	if (isnan(a) || isnan(b))
		return false;
	if (isinf(a) || isinf(b))
		return a == b;
	return fabs(a - b) <= atol + rtol * fabs(b);
}

size_t metrics_argmax(const double *row, size_t n)
{
	size_t best = 0;

	for (size_t i = 0; i < n; i++) {
		if (isnan(row[i]))
			return i;
		if (row[i] > row[best])
			best = i;
	}
	return best;
}

/* |a-b| with the NaN and infinity rules of struct metrics. */
static double abs_diff(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) ? 0.0 : INFINITY;
	if (a == b)
		return 0.0;
	return fabs(a - b);
}

/* One share of the rows: its sums per column, maximum, counts and first
 * disagreeing rows, merged into the struct metrics afterwards. */
struct share {
	const struct matrix *a, *b;
	double rtol, atol;
	size_t r0, r1;
	double *sums;
	double *top;            /* the fast pass: per column, the largest |a-b| */
	double *viol;           /* and the isclose violations (exact below 2^53) */
	double *ta, *tb;        /* a row of a and of b as doubles, for float32 storage */
	double max;
	size_t violations, disagreements, nexamples;
	struct metrics_row examples[METRICS_EXAMPLES];
};

/* Row r of a and of b as doubles: pointers into the matrices, or for
 * float32 storage converted into the share's buffers. */
static void rows_of(struct share *s, size_t r, const double **x, const double **y)
{
	*x = matrix_row(s->a, r, s->ta);
	*y = matrix_row(s->b, r, s->tb);
}

static void keep_example(struct share *s, size_t r, size_t ax, size_t bx)
{
	struct metrics_row *e = &s->examples[s->nexamples++];
	size_t cols = s->a->cols;
	size_t bytes = (cols ? cols : 1) * sizeof(double);
	const double *x, *y;

	e->index = r;
	e->argmax = ax;
	e->base_argmax = bx;
	e->values = xmalloc(bytes);
	e->base_values = xmalloc(bytes);
	rows_of(s, r, &x, &y);
	memcpy(e->values, x, cols * sizeof(double));
	memcpy(e->base_values, y, cols * sizeof(double));
}

/* The fast pass over a row: |a-b| as fabs(a-b) and isclose as the plain
 * comparison, which hold whenever both values and their difference are
 * finite, kept per column (sums, maxima, violations) so that every
 * statement is one per element and the compiler turns the loop into vector
 * code. A NaN or an infinity anywhere leaves a column sum that is not
 * finite: then the share is counted again with the exact rules. */
HOT static void fast_row(struct share *s, const double *x, const double *y, size_t cols)
{
	const double rtol = s->rtol, atol = s->atol;
	double *restrict sums = s->sums, *restrict top = s->top;
	double *restrict viol = s->viol;

	for (size_t c = 0; c < cols; c++) {
		double d = fabs(x[c] - y[c]);
		sums[c] += d;
		top[c] = d > top[c] ? d : top[c];
		viol[c] += d > atol + rtol * fabs(y[c]) ? 1.0 : 0.0;
	}
}

/* The same over float32 rows, in doubles: the same sums and verdicts as
 * fast_row over the rows widened, reading half the bytes. */
HOT static void fast_row_f(struct share *s, const float *x, const float *y, size_t cols)
{
	const double rtol = s->rtol, atol = s->atol;
	double *restrict sums = s->sums, *restrict top = s->top;
	double *restrict viol = s->viol;

	for (size_t c = 0; c < cols; c++) {
		double xd = x[c], yd = y[c];
		double d = fabs(xd - yd);
		sums[c] += d;
		top[c] = d > top[c] ? d : top[c];
		viol[c] += d > atol + rtol * fabs(yd) ? 1.0 : 0.0;
	}
}

/* The same with the exact rules for NaN and the infinities. */
static void exact_row(struct share *s, const double *x, const double *y, size_t cols)
{
	for (size_t c = 0; c < cols; c++) {
		double d = abs_diff(x[c], y[c]);
		s->violations += !metrics_isclose(x[c], y[c], s->rtol, s->atol);
		s->sums[c] += d;
		s->max = d > s->max ? d : s->max;
	}
}

/* The fast pass's columns into max and violations; false when a column sum
 * is not finite (the exact rules are needed; the sums are cleared). */
static bool fast_totals(struct share *s, size_t cols)
{
	bool finite = true;

	for (size_t c = 0; c < cols; c++)
		finite &= isfinite(s->sums[c]) != 0;
	if (!finite) {
		memset(s->sums, 0, cols * sizeof(double));
		return false;
	}
	for (size_t c = 0; c < cols; c++) {
		s->max = s->top[c] > s->max ? s->top[c] : s->max;
		s->violations += (size_t)s->viol[c];
	}
	return true;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#pragma GCC push_options
#pragma GCC optimize("finite-math-only", "no-signed-zeros")
#endif
/* The largest of n > 0 values, all finite: a max reduction the compiler
 * may vectorize. (A NaN or an infinity gives any value: the caller's fast
 * pass is then counted again.) */
HOT static double finite_max(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* The same over floats. */
HOT static float finite_max_f(const float *v, size_t n)
{
	float m = v[0];

	for (size_t i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#pragma GCC pop_options
#endif

/* numpy.argmax of n > 0 finite values: the first that equals the maximum. */
static size_t finite_argmax(const double *v, size_t n)
{
	const double m = finite_max(v, n);

	for (size_t i = 0; i < n; i++)
		if (v[i] == m)
			return i;
	return 0;
}

/* The first index of m in v: blocks of 16 compared at once (a loop the
 * compiler vectorizes), then the block that holds it value by value. */
HOT static size_t first_equal_f(const float *v, size_t n, float m)
{
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		int hit = 0;
		for (size_t k = 0; k < 16; k++)
			hit |= v[i + k] == m;
		if (hit)
			break;
	}
	for (; i < n; i++)
		if (v[i] == m)
			return i;
	return 0;
}

static size_t finite_argmax_f(const float *v, size_t n)
{
	return first_equal_f(v, n, finite_max_f(v, n));
}

/* Rows r0..r1 of the share: disagreements, and the first of them kept,
 * by argmax (exact) or finite_argmax (fast). */
static void argmaxes(struct share *s, size_t r0, size_t r1, bool exact)
{
	const size_t cols = s->a->cols;
	const bool f32 = !exact && s->a->f && s->b->f;

	for (size_t r = r0; r < r1 && cols; r++) {
		size_t ax, bx;
		if (f32) {
			ax = finite_argmax_f(s->a->f + r * cols, cols);
			bx = finite_argmax_f(s->b->f + r * cols, cols);
		} else {
			const double *x, *y;
			rows_of(s, r, &x, &y);
			ax = exact ? metrics_argmax(x, cols) : finite_argmax(x, cols);
			bx = exact ? metrics_argmax(y, cols) : finite_argmax(y, cols);
		}
		if (ax != bx) {
			s->disagreements++;
			if (s->nexamples < METRICS_EXAMPLES)
				keep_example(s, r, ax, bx);
		}
	}
}

/* The fast pass over the share's rows (each row's argmaxes while it is in
 * cache); when it met a NaN or an infinity, everything again with the
 * exact rules. */
static void *run_share(void *arg)
{
	struct share *s = arg;
	const size_t cols = s->a->cols;
	const bool f32 = s->a->f && s->b->f;
	const double *x, *y;

	for (size_t r = s->r0; r < s->r1; r++) {
		if (f32) {
			fast_row_f(s, s->a->f + r * cols, s->b->f + r * cols, cols);
		} else {
			rows_of(s, r, &x, &y);
			fast_row(s, x, y, cols);
		}
		argmaxes(s, r, r + 1, false);
	}
	if (!fast_totals(s, cols)) {
		for (size_t i = 0; i < s->nexamples; i++) {
			free(s->examples[i].values);
			free(s->examples[i].base_values);
		}
		s->nexamples = 0;
		s->disagreements = 0;
		for (size_t r = s->r0; r < s->r1; r++) {
			rows_of(s, r, &x, &y);
			exact_row(s, x, y, cols);
		}
		argmaxes(s, s->r0, s->r1, true);
	}
	free(s->top);
	free(s->viol);
	free(s->ta);
	free(s->tb);
	return NULL;
}

/* Matrices from this many values on are split between two threads. */
#define SPLIT_MIN ((size_t)1 << 20)

/* The second share into out after the first: sums, counts, the first
 * disagreeing rows in row order (the surplus freed). */
static void merge(struct share *first, struct share *second, size_t cols)
{
	for (size_t c = 0; c < cols; c++)
		first->sums[c] += second->sums[c];
	first->max = second->max > first->max ? second->max : first->max;
	first->violations += second->violations;
	first->disagreements += second->disagreements;
	for (size_t i = 0; i < second->nexamples; i++) {
		if (first->nexamples < METRICS_EXAMPLES) {
			first->examples[first->nexamples++] = second->examples[i];
		} else {
			free(second->examples[i].values);
			free(second->examples[i].base_values);
		}
	}
	free(second->sums);
}

int metrics_compute(const struct matrix *a, const struct matrix *b, double rtol, double atol,
		    struct metrics *out, char **err)
{
	memset(out, 0, sizeof(*out));
	out->rtol = rtol;
	out->atol = atol;
	out->argmax_agreement = 1.0;
	if (a->rows != b->rows || a->cols != b->cols) {
		char sa[MATRIX_SHAPE_LEN], sb[MATRIX_SHAPE_LEN];
		*err = xasprintf("shape %s differs from the baseline's %s", matrix_shape(a, sa),
				 matrix_shape(b, sb));
		return -1;
	}
	const size_t rows = a->rows, cols = a->cols;
	struct share sh[2];
	pthread_t helper;
	bool split = rows >= 2 && rows * cols >= SPLIT_MIN;
	double total = 0.0;

	for (int i = 0; i < 2; i++) {
		sh[i] = (struct share){.a = a, .b = b, .rtol = rtol, .atol = atol};
		sh[i].sums = xcalloc(cols ? cols : 1, sizeof(double));
		sh[i].top = xcalloc(cols ? cols : 1, sizeof(double));
		sh[i].viol = xcalloc(cols ? cols : 1, sizeof(double));
		sh[i].ta = xcalloc(cols ? cols : 1, sizeof(double));
		sh[i].tb = xcalloc(cols ? cols : 1, sizeof(double));
	}
	sh[0].r1 = split ? rows / 2 : rows;
	sh[1].r0 = sh[0].r1;
	sh[1].r1 = rows;
	if (split && pthread_create(&helper, NULL, run_share, &sh[1]) != 0)
		split = false;
	run_share(&sh[0]);
	if (split)
		pthread_join(helper, NULL);
	else
		run_share(&sh[1]);
	merge(&sh[0], &sh[1], cols);

	out->rows = rows;
	out->cols = cols;
	out->class_mean_abs_diff = sh[0].sums;
	out->allclose_violations = sh[0].violations;
	out->disagreements = sh[0].disagreements;
	out->nexamples = sh[0].nexamples;
	memcpy(out->examples, sh[0].examples, sizeof out->examples);
	for (size_t c = 0; c < cols; c++) {
		total += sh[0].sums[c];
		sh[0].sums[c] = rows ? sh[0].sums[c] / (double)rows : 0.0;
	}
	out->max_abs_diff = sh[0].max;
	out->mean_abs_diff = rows && cols ? total / ((double)rows * (double)cols) : 0.0;
	if (rows)
		out->argmax_agreement = (double)(rows - out->disagreements) / (double)rows;
	return 0;
}

void metrics_release(struct metrics *m)
{
	for (size_t i = 0; i < m->nexamples; i++) {
		free(m->examples[i].values);
		free(m->examples[i].base_values);
	}
	free(m->class_mean_abs_diff);
	memset(m, 0, sizeof(*m));
}

/* x and limit printed with the fewest significant digits (6 at least) that
 * tell them apart, so a failure never reads "0.0001 > 0.0001". */
static void format_pair(double x, double limit, char xs[32], char ls[32])
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(xs, 32, "%.*g", prec, x);
		snprintf(ls, 32, "%.*g", prec, limit);
		if (x == limit || strcmp(xs, ls) != 0)
			return;
	}
}

/* "name value op limit", with op picked by pass. */
static char *compare_message(const char *name, double x, double limit, bool pass,
			     const char *pass_op, const char *fail_op)
{
	char xs[32], ls[32];

	format_pair(x, limit, xs, ls);
	return xasprintf("%s %s %s %s", name, xs, pass ? pass_op : fail_op, ls);
}

size_t tolerance_check(const struct tolerance *t, const struct metrics *m,
		       struct tolerance_verdict v[TOL_METRICS])
{
	static const char *const names[TOL_METRICS] = {
		"max_abs_diff", "mean_abs_diff", "allclose", "argmax_agreement", "max_disagreements",
	};
	size_t failed = 0;

	for (int i = 0; i < TOL_METRICS; i++)
		v[i] = (struct tolerance_verdict){.metric = names[i], .checked = false, .pass = true,
						  .message = NULL};
	if (t->has_max_abs_diff) {
		struct tolerance_verdict *x = &v[TOL_MAX_ABS_DIFF];
		x->checked = true;
		x->pass = m->max_abs_diff <= t->max_abs_diff;
		x->message = compare_message("max_abs_diff", m->max_abs_diff, t->max_abs_diff,
					     x->pass, "<=", ">");
	}
	if (t->has_mean_abs_diff) {
		struct tolerance_verdict *x = &v[TOL_MEAN_ABS_DIFF];
		x->checked = true;
		x->pass = m->mean_abs_diff <= t->mean_abs_diff;
		x->message = compare_message("mean_abs_diff", m->mean_abs_diff, t->mean_abs_diff,
					     x->pass, "<=", ">");
	}
	if (t->has_allclose) {
		struct tolerance_verdict *x = &v[TOL_ALLCLOSE];
		x->checked = true;
		if (m->rtol != t->rtol || m->atol != t->atol) {
			x->pass = false;
			x->message = xasprintf("allclose: metrics were counted with rtol %g, atol %g, "
					       "not rtol %g, atol %g", m->rtol, m->atol, t->rtol,
					       t->atol);
		} else {
			x->pass = m->allclose_violations == 0;
			x->message = xasprintf("allclose_violations %zu%s (rtol %g, atol %g)",
					       m->allclose_violations, x->pass ? "" : " > 0", t->rtol,
					       t->atol);
		}
	}
	if (t->has_argmax_agreement) {
		struct tolerance_verdict *x = &v[TOL_ARGMAX_AGREEMENT];
		x->checked = true;
		x->pass = m->argmax_agreement >= t->argmax_agreement;
		x->message = compare_message("argmax_agreement", m->argmax_agreement,
					     t->argmax_agreement, x->pass, ">=", "<");
	}
	if (t->has_max_disagreements) {
		struct tolerance_verdict *x = &v[TOL_MAX_DISAGREEMENTS];
		x->checked = true;
		x->pass = m->disagreements <= t->max_disagreements;
		x->message = xasprintf("disagreements %zu %s %zu", m->disagreements,
				       x->pass ? "<=" : ">", t->max_disagreements);
	}
	for (int i = 0; i < TOL_METRICS; i++)
		if (!v[i].pass)
			failed++;
	return failed;
}

void tolerance_verdicts_release(struct tolerance_verdict v[TOL_METRICS])
{
	for (int i = 0; i < TOL_METRICS; i++) {
		free(v[i].message);
		v[i].message = NULL;
	}
}

double metrics_softmax(const double *row, size_t n, size_t i)
{
	double max = -INFINITY, sum = 0.0;
	size_t ninf = 0;

	for (size_t k = 0; k < n; k++) {
		if (isnan(row[k]))
			return NAN;
		if (row[k] > max)
			max = row[k];
		if (row[k] == INFINITY)
			ninf++;
	}
	if (ninf)
		return row[i] == INFINITY ? 1.0 / (double)ninf : 0.0;
	if (max == -INFINITY)
		return NAN;
	for (size_t k = 0; k < n; k++)
		sum += exp(row[k] - max);
	return exp(row[i] - max) / sum;
}

double metrics_sigmoid(double x)
{
	double e;

	if (x >= 0)
		return 1.0 / (1.0 + exp(-x));
	e = exp(x);                     /* NaN lands here and stays NaN */
	return e / (1.0 + e);
}

double metrics_score(const double *row, size_t n, const struct score_rule *rule)
{
	switch (rule->kind) {
	case SCORE_INDEX:
		return row[rule->index];
	case SCORE_SOFTMAX:
		return metrics_softmax(row, n, rule->index);
	case SCORE_SIGMOID:
		return metrics_sigmoid(row[rule->index]);
	}
	return NAN;
}

int metrics_scores(const struct matrix *m, const struct score_rule *rule, double **scores,
		   char **err)
{
	double *s;

	*scores = NULL;
	if (rule->index >= m->cols) {
		*err = xasprintf("score index %zu is out of range: rows have %zu value%s", rule->index,
				 m->cols, m->cols == 1 ? "" : "s");
		return -1;
	}
	s = xmalloc((m->rows ? m->rows : 1) * sizeof(double));
	double *tmp = xcalloc(m->cols ? m->cols : 1, sizeof *tmp);
	for (size_t r = 0; r < m->rows; r++)
		s[r] = metrics_score(matrix_row(m, r, tmp), m->cols, rule);
	free(tmp);
	*scores = s;
	return 0;
}

bool metrics_decision(double score, double threshold)
{
	return score >= threshold;
}

size_t metrics_flips(const double *scores, const double *base, size_t n, double threshold,
		     size_t *first, size_t max_first)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (metrics_decision(scores[i], threshold) == metrics_decision(base[i], threshold))
			continue;
		if (first && count < max_first)
			first[count] = i;
		count++;
	}
	return count;
}

size_t metrics_near(const double *const *scores, size_t nenv, size_t n, double threshold,
		    double near, size_t *first, size_t max_first)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		bool hit = false;
		for (size_t e = 0; e < nenv && !hit; e++)
			hit = fabs(scores[e][i] - threshold) <= near;
		if (!hit)
			continue;
		if (first && count < max_first)
			first[count] = i;
		count++;
	}
	return count;
}
