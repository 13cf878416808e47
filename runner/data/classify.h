/* classify: a classifier's outputs judged against labels and against the
 * baseline's outputs on the same rows: accuracy, recall per true class,
 * McNemar's exact test on the paired outcomes, energy scores and the rate
 * of rows flagged out of distribution, and the same per segment of rows.
 * Pure functions over arrays; nothing here reads files. */
#ifndef PARITY_CLASSIFY_H
#define PARITY_CLASSIFY_H
#include <stddef.h>

#include "data/matrix.h"

/* The argmax of every row of m (numpy.argmax per row) into pred (m->rows). */
void classify_predict(const struct matrix *m, size_t *pred);

/* Accuracy of pred against label over n rows: the share of rows with
 * pred == label; 0 when n is 0. */
double classify_accuracy(const size_t *pred, const size_t *label, size_t n);

/* Recall per true class: acc[k] = share of the rows labelled k that pred
 * gets right, for k < k_classes; support[k] = how many rows are labelled k
 * (acc[k] is 0 when none is). Labels >= k_classes are not counted. */
void classify_per_class(const size_t *pred, const size_t *label, size_t n, size_t k_classes,
			double *acc, size_t *support);

/* The discordant pairs of two classifiers on the same rows: *b counts rows
 * the baseline gets right and the other wrong, *c the reverse. sel, when
 * not NULL, keeps only rows i with sel[i] != 0. */
void classify_discordant(const size_t *pred, const size_t *base_pred, const size_t *label,
			 size_t n, const unsigned char *sel, size_t *b, size_t *c);

/* McNemar's exact test: the two-sided binomial test on the discordant
 * pairs, p = min(1, 2 * P(X <= min(b, c))) with X ~ Bin(b + c, 1/2), as
 * scipy.stats.binomtest(min(b,c), b+c).pvalue. Summed in log space, so
 * b + c in the millions neither underflows nor overflows. 1 when b + c is 0. */
double classify_mcnemar(size_t b, size_t c);

/* energy = -logsumexp(row) of n logits, computed stably (the maximum
 * factored out); +inf for an empty row or a row of -inf, NaN when the row
 * holds NaN. */
double classify_energy(const double *row, size_t n);

/* The share of m's rows whose energy is above threshold (NaN rows count as
 * out of distribution); 0 for no rows. */
double classify_ood_rate(const struct matrix *m, double threshold);

/* One segment's rows, from the segment keys (as indexes 0 .. nseg-1). */
struct classify_segment {
	size_t rows;
	size_t disagreements;           /* rows whose argmax differs from the baseline's */
	size_t correct, base_correct;   /* with labels: rows each gets right */
	double disagreement;            /* disagreements / rows */
	double accuracy, base_accuracy; /* correct / rows; 0 without labels */
};

/* Fills seg[0 .. nseg-1] from seg_of[i] (< nseg) for n rows; label may be
 * NULL (no accuracies). */
void classify_segments(const size_t *pred, const size_t *base_pred, const size_t *label,
		       const size_t *seg_of, size_t n, size_t nseg, struct classify_segment *seg);

#endif
