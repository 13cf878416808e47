/* numeric: tolerance blocks and matrix comparisons for preprocess and
 * inference, output matrices for postprocess and drift. Each checked metric
 * is its own check, so a report says which band was broken
 * ("max_abs_diff 0.0023 > 0.0001"). */
#include "load/check.h"
#include "steps/numeric.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const tolerance_keys[] = {
	"max_abs_diff", "mean_abs_diff", "allclose", "argmax_agreement", "max_disagreements", NULL
};

void tolerance_default(struct tolerance *t)
{
	memset(t, 0, sizeof *t);
	t->rtol = METRICS_RTOL_DEFAULT;
	t->atol = METRICS_ATOL_DEFAULT;
	t->has_max_abs_diff = true;
	t->max_abs_diff = 1e-4;
	t->has_argmax_agreement = true;
	t->argmax_agreement = 0.999;
}

static int number_at(const struct parse_ctx *p, const struct node *map, const char *key,
		     double lo, double hi, bool *has, double *out)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	if (node_double(n, out) < 0 || isnan(*out) || *out < lo || *out > hi) {
		diag_at(p->d, &n->mark, "'%s' must be a number from %g to %g, got %s%s%s", key, lo, hi,
			node_type_name(n), n->type == NODE_SCALAR ? " " : "",
			n->type == NODE_SCALAR ? n->str : "");
		return -1;
	}
	*has = true;
	return 0;
}

int tolerance_parse(const struct node *n, const struct parse_ctx *p, struct tolerance *t)
{
	int errors = p->d->errors;
	memset(t, 0, sizeof *t);
	t->rtol = METRICS_RTOL_DEFAULT;
	t->atol = METRICS_ATOL_DEFAULT;
	if (check_map(p->d, n, "tolerance") < 0)
		return -1;
	check_keys(p->d, n, tolerance_keys, "in 'tolerance'");
	number_at(p, n, "max_abs_diff", 0, INFINITY, &t->has_max_abs_diff, &t->max_abs_diff);
	number_at(p, n, "mean_abs_diff", 0, INFINITY, &t->has_mean_abs_diff, &t->mean_abs_diff);
	number_at(p, n, "argmax_agreement", 0, 1, &t->has_argmax_agreement, &t->argmax_agreement);
	double md = 0;
	bool has_md = false;
	if (number_at(p, n, "max_disagreements", 0, 1e15, &has_md, &md) == 0 && has_md) {
		t->has_max_disagreements = true;
		t->max_disagreements = (size_t)md;
	}
	const struct node *ac = node_get(n, "allclose");
	if (ac && check_map(p->d, ac, "allclose") == 0) {
		static const char *const ac_keys[] = {"rtol", "atol", NULL};
		bool dummy = false;
		check_keys(p->d, ac, ac_keys, "in 'allclose'");
		number_at(p, ac, "rtol", 0, INFINITY, &dummy, &t->rtol);
		number_at(p, ac, "atol", 0, INFINITY, &dummy, &t->atol);
		t->has_allclose = true;
	}
	if (!t->has_max_abs_diff && !t->has_mean_abs_diff && !t->has_allclose &&
	    !t->has_argmax_agreement && !t->has_max_disagreements && p->d->errors == errors)
		diag_at(p->d, &n->mark, "empty 'tolerance': give at least one of max_abs_diff, "
			"mean_abs_diff, allclose, argmax_agreement, max_disagreements");
	return p->d->errors == errors ? 0 : -1;
}

struct matrix *fact_matrix(const json_t *fact, const char *key, char **err)
{
	struct matrix *m = NULL;
	json_t *j = json_object_get(fact, key);
	if (!j) {
		*err = xasprintf("the fact has no '%s'", key);
		return NULL;
	}
	if (matrix_from_json(j, &m, err) < 0)
		return NULL;
	return m;
}

static void put_row(struct buf *b, const double *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n && i < 12; i++)
		buf_printf(b, "%s%.6g", i ? ", " : "", v[i]);
	if (n > 12)
		buf_printf(b, ", … (%zu values)", n);
	buf_putc(b, ']');
}

static char *disagreements_detail(const struct metrics *m, const char *env, const char *base,
				  const struct matrix *am, const struct matrix *bm, double band)
{
	struct buf b;
	size_t shown = 0, beyond = 0;
	buf_init(&b);
	buf_printf(&b, "per-class mean |diff|:");
	for (size_t c = 0; c < m->cols && c < 32; c++)
		buf_printf(&b, " %.3g", m->class_mean_abs_diff[c]);
	buf_putc(&b, '\n');
	/* the rows whose largest |diff| is beyond the band, with both vectors */
	for (size_t r = 0; r < am->rows; r++) {
		double worst = 0;
		for (size_t c = 0; c < am->cols; c++) {
			double x = MATRIX_AT(am, r, c), y = MATRIX_AT(bm, r, c);
			/* as the metrics count them: NaN and NaN, or equal infinities, do not differ */
			double d = (isnan(x) && isnan(y)) || x == y ? 0 : fabs(x - y);
			worst = isnan(d) ? INFINITY : d > worst ? d : worst;
		}
		if (!(worst > band))
			continue;
		beyond++;
		if (shown++ >= 5)
			continue;
		if (shown == 1)
			buf_printf(&b, "rows beyond |diff| %g:\n", band);
		buf_printf(&b, "  row %zu: |diff| %.3g\n    %s ", r, worst, base);
		put_row(&b, &MATRIX_AT(bm, r, 0), bm->cols);
		buf_printf(&b, "\n    %s ", env);
		put_row(&b, &MATRIX_AT(am, r, 0), am->cols);
		buf_putc(&b, '\n');
	}
	if (beyond > 5)
		buf_printf(&b, "  … %zu rows in all\n", beyond);
	if (m->nexamples)
		buf_printf(&b, "first disagreeing rows (row: %s argmax vs %s argmax):\n", base, env);
	for (size_t i = 0; i < m->nexamples; i++) {
		const struct metrics_row *x = &m->examples[i];
		buf_printf(&b, "  row %zu: %zu vs %zu\n    %s ", x->index, x->base_argmax, x->argmax, base);
		put_row(&b, x->base_values, m->cols);
		buf_printf(&b, "\n    %s ", env);
		put_row(&b, x->values, m->cols);
		buf_putc(&b, '\n');
	}
	char *r = buf_detach(&b);
	buf_release(&b);
	return r;
}

static void put_metrics(struct step_result *r, const char *env, const struct metrics *m)
{
	result_metric(r, env, "max_abs_diff", json_real(isfinite(m->max_abs_diff) ? m->max_abs_diff : 1e308));
	result_metric(r, env, "mean_abs_diff", json_real(isfinite(m->mean_abs_diff) ? m->mean_abs_diff : 1e308));
	result_metric(r, env, "argmax_agreement", json_real(m->argmax_agreement));
	result_metric(r, env, "disagreements", json_integer((json_int_t)m->disagreements));
	result_metric(r, env, "allclose_violations", json_integer((json_int_t)m->allclose_violations));
	result_metric(r, env, "rows", json_integer((json_int_t)m->rows));
	result_metric(r, env, "cols", json_integer((json_int_t)m->cols));
	json_t *pc = json_array();
	for (size_t c = 0; c < m->cols; c++)
		json_array_append_new(pc, json_real(isfinite(m->class_mean_abs_diff[c]) ?
						    m->class_mean_abs_diff[c] : 1e308));
	result_metric(r, env, "per_class_mean_abs_diff", pc);
}

/* The |diff| histogram on a log axis, for the HTML report: decade bins
 * from HIST_LO to HIST_HI (edges 10^k), below and above them one open bin
 * each, exact zeros counted apart (a log axis has no 0); differences as
 * the metrics count them (NaN or mismatched infinities are +inf, in the
 * last bin); bound is the tolerance's max_abs_diff, when it sets one. */
#define HIST_LO -12
#define HIST_HI 2
static json_t *abs_diff_histogram(const struct matrix *a, const struct matrix *b,
				  const struct tolerance *t)
{
	size_t counts[HIST_HI - HIST_LO + 2] = {0}, zeros = 0, nbins = HIST_HI - HIST_LO + 2;
	json_t *h = json_object(), *edges = json_array(), *cj = json_array();

	for (size_t k = 0; k < a->rows * a->cols; k++) {
		double x = a->v[k], y = b->v[k];
		double d = (isnan(x) && isnan(y)) || x == y ? 0 : fabs(x - y);
		if (d == 0) {
			zeros++;
			continue;
		}
		double e = isnan(d) || isinf(d) ? HIST_HI : floor(log10(d));
		/* log10 may round across an edge: the edges themselves decide */
		if (e > HIST_LO && e <= HIST_HI && d < pow(10, e))
			e--;
		else if (e >= HIST_LO - 1 && e < HIST_HI && d >= pow(10, e + 1))
			e++;
		long bin = e < HIST_LO ? 0 : e >= HIST_HI ? (long)nbins - 1 : (long)e - HIST_LO + 1;
		counts[bin]++;
	}
	for (int e = HIST_LO; e <= HIST_HI; e++)
		json_array_append_new(edges, json_real(pow(10, e)));
	for (size_t k = 0; k < nbins; k++)
		json_array_append_new(cj, json_integer((json_int_t)counts[k]));
	json_object_set_new(h, "edges", edges);
	json_object_set_new(h, "counts", cj);
	json_object_set_new(h, "zeros", json_integer((json_int_t)zeros));
	if (t->has_max_abs_diff)
		json_object_set_new(h, "bound", json_real(t->max_abs_diff));
	return h;
}

/* Environment i's matrix under key against the baseline's (base, in base_env). */
static void compare_env(const struct eval_ctx *e, struct step_result *r, size_t i, const char *key,
			const struct tolerance *t, const struct matrix *base, const char *base_env)
{
	const char *env = eval_env_name(e, i);
	char *err = NULL;
	struct metrics m;
	struct matrix *a = fact_matrix(eval_value(e, i), key, &err);
	if (!a) {
		eval_check(r, env, ST_ERROR, "outputs", NULL, NULL, "%s", err);
		free(err);
		return;
	}
	memset(&m, 0, sizeof m);
	if (metrics_compute(a, base, t->rtol, t->atol, &m, &err) < 0) {
		char bs[MATRIX_SHAPE_LEN], as[MATRIX_SHAPE_LEN];
		char *label = xasprintf("shape as %s", base_env);
		eval_check(r, env, ST_FAIL, label, matrix_shape(base, bs), matrix_shape(a, as), "%s",
			   err);
		free(label);
		free(err);
	} else {
		struct tolerance_verdict v[TOL_METRICS];
		bool shown = false;
		tolerance_check(t, &m, v);
		for (int k = 0; k < TOL_METRICS; k++) {
			if (!v[k].checked)
				continue;
			struct check *c = eval_check(r, env, v[k].pass ? ST_PASS : ST_FAIL, v[k].metric,
						     NULL, NULL, "%s", v[k].message);
			if (!v[k].pass && !shown) {
				/* built only for a failure: it scans every row again */
				char *detail = disagreements_detail(&m, env, base_env, a, base,
								    t->has_max_abs_diff ? t->max_abs_diff : 0);
				result_check_detail(c, detail);
				free(detail);
			}
			shown |= !v[k].pass;
		}
		tolerance_verdicts_release(v);
		put_metrics(r, env, &m);
		result_metric(r, env, "abs_diff_histogram", abs_diff_histogram(a, base, t));
	}
	metrics_release(&m);
	matrix_free(a);
}

void eval_tolerance(const struct eval_ctx *e, struct step_result *r, const char *key,
		    const struct tolerance *t)
{
	if (e->baseline < 0)
		return;
	const char *base_env = eval_env_name(e, (size_t)e->baseline);
	char *err = NULL;
	struct matrix *base = fact_matrix(eval_value(e, (size_t)e->baseline), key, &err);
	if (!base) {
		eval_check(r, base_env, ST_ERROR, "outputs", NULL, NULL, "%s", err);
		free(err);
		return;
	}
	EVAL_OTHERS(e, i)
		compare_env(e, r, i, key, t, base, base_env);
	matrix_free(base);
}
