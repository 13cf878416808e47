/* classify: accuracy, recall per class, McNemar's exact test, energy and
 * OOD rates, per-segment rows. The binomial tail is summed in log space
 * with lgamma, the largest term factored out, as logsumexp is. */
#include "data/classify.h"
#include "data/metrics.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

void classify_predict(const struct matrix *m, size_t *pred)
{
	double *tmp = xcalloc(m->cols ? m->cols : 1, sizeof *tmp);

	for (size_t r = 0; r < m->rows; r++)
		pred[r] = metrics_argmax(matrix_row(m, r, tmp), m->cols);
	free(tmp);
}

double classify_accuracy(const size_t *pred, const size_t *label, size_t n)
{
	size_t ok = 0;
	for (size_t i = 0; i < n; i++)
		ok += pred[i] == label[i];
	return n ? (double)ok / (double)n : 0;
}

void classify_per_class(const size_t *pred, const size_t *label, size_t n, size_t k_classes,
			double *acc, size_t *support)
{
	memset(support, 0, k_classes * sizeof *support);
	for (size_t k = 0; k < k_classes; k++)
		acc[k] = 0;
	for (size_t i = 0; i < n; i++) {
		if (label[i] >= k_classes)
			continue;
		support[label[i]]++;
		acc[label[i]] += pred[i] == label[i];
	}
	for (size_t k = 0; k < k_classes; k++)
		acc[k] = support[k] ? acc[k] / (double)support[k] : 0;
}

void classify_discordant(const size_t *pred, const size_t *base_pred, const size_t *label,
			 size_t n, const unsigned char *sel, size_t *b, size_t *c)
{
	*b = *c = 0;
	for (size_t i = 0; i < n; i++) {
		if (sel && !sel[i])
			continue;
		bool ok = pred[i] == label[i], base_ok = base_pred[i] == label[i];
		*b += base_ok && !ok;
		*c += ok && !base_ok;
	}
}

/* log C(n, k) */
static double log_choose(double n, double k)
{
	return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

double classify_mcnemar(size_t b, size_t c)
{
	size_t n = b + c, k = b < c ? b : c;
	if (n == 0)
		return 1;
	/* terms i = 0 .. k of C(n, i) 2^-n grow with i up to n/2 >= k: the
	 * largest is the last */
	double top = log_choose((double)n, (double)k);
	double sum = 0;
	for (size_t i = 0; i <= k; i++)
		sum += exp(log_choose((double)n, (double)i) - top);
	double log_tail = top + log(sum) - (double)n * log(2.0);
	double p = 2 * exp(log_tail);
	return p < 1 ? p : 1;
}

double classify_energy(const double *row, size_t n)
{
	double top = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (isnan(row[i]))
			return NAN;
		if (row[i] > top)
			top = row[i];
	}
	if (top == -INFINITY)
		return INFINITY;
	if (top == INFINITY)
		return -INFINITY;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += exp(row[i] - top);
	return -(top + log(sum));
}

double classify_ood_rate(const struct matrix *m, double threshold)
{
	size_t ood = 0;
	double *tmp = xcalloc(m->cols ? m->cols : 1, sizeof *tmp);
	for (size_t r = 0; r < m->rows; r++) {
		double e = classify_energy(matrix_row(m, r, tmp), m->cols);
		ood += isnan(e) || e > threshold;
	}
	free(tmp);
	return m->rows ? (double)ood / (double)m->rows : 0;
}

void classify_segments(const size_t *pred, const size_t *base_pred, const size_t *label,
		       const size_t *seg_of, size_t n, size_t nseg, struct classify_segment *seg)
{
	memset(seg, 0, nseg * sizeof *seg);
	for (size_t i = 0; i < n; i++) {
		struct classify_segment *s = &seg[seg_of[i]];
		s->rows++;
		s->disagreements += pred[i] != base_pred[i];
		if (label) {
			s->correct += pred[i] == label[i];
			s->base_correct += base_pred[i] == label[i];
		}
	}
	for (size_t k = 0; k < nseg; k++) {
		struct classify_segment *s = &seg[k];
		double rows = s->rows ? (double)s->rows : 1;
		s->disagreement = (double)s->disagreements / rows;
		s->accuracy = (double)s->correct / rows;
		s->base_accuracy = (double)s->base_correct / rows;
	}
}
