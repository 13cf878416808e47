/* metrics: how far an environment's output matrix is from the baseline's,
 * computed in one pass over the rows, the tolerance verdicts drawn from
 * them, and the post-processing helpers (scores, decisions, flips, rows
 * near the threshold). The baseline is always the second argument, b. */
#ifndef PARITY_METRICS_H
#define PARITY_METRICS_H
#include <stdbool.h>
#include <stddef.h>

#include "data/matrix.h"

#define METRICS_RTOL_DEFAULT 1e-5       /* numpy.isclose's defaults */
#define METRICS_ATOL_DEFAULT 1e-8
#define METRICS_EXAMPLES 10             /* disagreeing rows kept for the report */

/* numpy.isclose(a, b, rtol, atol) with equal_nan=False: finite values are
 * close when |a-b| <= atol + rtol*|b| (b is the baseline, so it is not
 * symmetric); NaN is never close, not even to NaN; an infinity is close only
 * to the same infinity. */
bool metrics_isclose(double a, double b, double rtol, double atol);

/* numpy.argmax of n values: the first maximum; the first NaN if any. 0 for
 * an empty row. */
size_t metrics_argmax(const double *row, size_t n);

/* A row whose argmax differs from the baseline's. */
struct metrics_row {
	size_t index;
	size_t argmax, base_argmax;
	double *values, *base_values;   /* cols values each, owned by the struct metrics */
};

struct metrics {
	size_t rows, cols;
	/* Absolute differences: two NaNs, or two equal infinities, differ by 0;
	 * any other pair involving NaN or infinity differs by +inf. (Not numpy's
	 * NaN propagation: a NaN metric would pass every "<=" check.) */
	double max_abs_diff;            /* 0 when there are no elements */
	double mean_abs_diff;
	double *class_mean_abs_diff;    /* cols values, per column over the rows */
	double rtol, atol;              /* what allclose_violations was counted with */
	size_t allclose_violations;     /* elements where metrics_isclose is false */
	size_t disagreements;           /* rows whose argmax differs */
	double argmax_agreement;        /* (rows - disagreements) / rows; 1 with no rows */
	size_t nexamples;
	struct metrics_row examples[METRICS_EXAMPLES];  /* the first disagreeing rows */
};

/* Compares a (an environment's output) with b (the baseline's) into *out,
 * which the caller releases with metrics_release (also after a failure).
 * Argmax metrics are only meaningful with more than one column. Fails only
 * on a shape mismatch: *err (owned by the caller) reads
 * "shape (200, 3) differs from the baseline's (199, 3)". */
int metrics_compute(const struct matrix *a, const struct matrix *b, double rtol, double atol,
		    struct metrics *out, char **err);
void metrics_release(struct metrics *m);

/* A `tolerance:` block: each metric is checked only when its has_ flag is
 * set. metrics_compute must have been given the same rtol and atol. */
struct tolerance {
	bool has_max_abs_diff;
	double max_abs_diff;
	bool has_mean_abs_diff;
	double mean_abs_diff;
	bool has_allclose;
	double rtol, atol;
	bool has_argmax_agreement;
	double argmax_agreement;
	bool has_max_disagreements;
	size_t max_disagreements;
	bool is_default;                /* the step wrote none: a lock file's (parity calibrate) applies */
};

enum tolerance_metric {
	TOL_MAX_ABS_DIFF,
	TOL_MEAN_ABS_DIFF,
	TOL_ALLCLOSE,
	TOL_ARGMAX_AGREEMENT,
	TOL_MAX_DISAGREEMENTS,
	TOL_METRICS
};

struct tolerance_verdict {
	const char *metric;             /* "max_abs_diff", ...; static */
	bool checked;                   /* the tolerance sets this metric */
	bool pass;                      /* true when unchecked */
	char *message;                  /* "max_abs_diff 0.0023 > 0.0001"; NULL when unchecked */
};

/* Checks m against t into v[TOL_METRICS] (messages owned by v: release with
 * tolerance_verdicts_release). Returns the number of failed metrics. Limits
 * are inclusive: max_abs_diff <= limit passes, argmax_agreement >= limit. */
size_t tolerance_check(const struct tolerance *t, const struct metrics *m,
		       struct tolerance_verdict v[TOL_METRICS]);
void tolerance_verdicts_release(struct tolerance_verdict v[TOL_METRICS]);

/* Post-processing: how a row becomes a score. */
enum score_kind {
	SCORE_INDEX,            /* row[i] as it is */
	SCORE_SOFTMAX,          /* softmax(row)[i] */
	SCORE_SIGMOID,          /* 1 / (1 + exp(-row[i])) */
};

struct score_rule {
	enum score_kind kind;
	size_t index;
};

/* Numerically stable: softmax subtracts the row's maximum first; sigmoid
 * never evaluates exp of a positive number. A NaN in the row gives NaN; +inf
 * entries share the whole mass; a row of only -inf gives NaN. */
double metrics_softmax(const double *row, size_t n, size_t i);
double metrics_sigmoid(double x);
double metrics_score(const double *row, size_t n, const struct score_rule *rule);

/* One score per row of m, into *scores (m->rows values, owned by the
 * caller). Fails when rule->index >= m->cols:
 * "score index 3 is out of range: rows have 3 values". */
int metrics_scores(const struct matrix *m, const struct score_rule *rule, double **scores,
		   char **err);

/* The decision: score >= threshold (false for NaN). */
bool metrics_decision(double score, double threshold);

/* Rows whose decision in scores differs from base's (n each). The first
 * indexes (up to max_first) go to first, which may be NULL. */
size_t metrics_flips(const double *scores, const double *base, size_t n, double threshold,
		     size_t *first, size_t max_first);

/* Rows whose score lies within `near` of the threshold (inclusive) in any of
 * the nenv environments' score arrays (n each). First indexes as above. */
size_t metrics_near(const double *const *scores, size_t nenv, size_t n, double threshold,
		    double near, size_t *first, size_t max_first);

#endif
