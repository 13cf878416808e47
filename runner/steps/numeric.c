/* numeric: tolerance blocks and matrix comparisons for preprocess and
 * inference, output matrices for postprocess and drift. Each checked metric
 * is its own check, so a report says which band was broken
 * ("max_abs_diff 0.0023 > 0.0001"). */
#include "data/shape.h"
#include "load/check.h"
#include "steps/numeric.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHAPES_SHOWN 64         /* differing columns listed in metrics and detail */

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
	t->is_default = true;
}

/* The tolerance a lock file holds for the step ("tolerance.max_abs_diff" and
 * its kin, written by parity calibrate); false when it holds none. */
static bool lock_tolerance(const json_t *lock, struct tolerance *t)
{
	static const char *const keys[] = {
		"tolerance.max_abs_diff", "tolerance.mean_abs_diff", "tolerance.argmax_agreement"
	};
	bool any = false;
	memset(t, 0, sizeof *t);
	t->rtol = METRICS_RTOL_DEFAULT;
	t->atol = METRICS_ATOL_DEFAULT;
	for (int k = 0; k < 3; k++) {
		const char *v = json_string_value(json_object_get(lock, keys[k]));
		char *end = NULL;
		double x = v ? strtod(v, &end) : NAN;
		if (!v || *end || !(x >= 0))
			continue;
		any = true;
		if (k == 0) {
			t->has_max_abs_diff = true;
			t->max_abs_diff = x;
		} else if (k == 1) {
			t->has_mean_abs_diff = true;
			t->mean_abs_diff = x;
		} else {
			t->has_argmax_agreement = true;
			t->argmax_agreement = x;
		}
	}
	return any;
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
	kit_number_in(p, n, "max_abs_diff", 0, INFINITY, &t->has_max_abs_diff, &t->max_abs_diff);
	kit_number_in(p, n, "mean_abs_diff", 0, INFINITY, &t->has_mean_abs_diff, &t->mean_abs_diff);
	kit_number_in(p, n, "argmax_agreement", 0, 1, &t->has_argmax_agreement, &t->argmax_agreement);
	double md = 0;
	bool has_md = false;
	if (kit_number_in(p, n, "max_disagreements", 0, 1e15, &has_md, &md) == 0 && has_md) {
		t->has_max_disagreements = true;
		t->max_disagreements = (size_t)md;
	}
	const struct node *ac = node_get(n, "allclose");
	if (ac && check_map(p->d, ac, "allclose") == 0) {
		static const char *const ac_keys[] = {"rtol", "atol", NULL};
		bool dummy = false;
		check_keys(p->d, ac, ac_keys, "in 'allclose'");
		kit_number_in(p, ac, "rtol", 0, INFINITY, &dummy, &t->rtol);
		kit_number_in(p, ac, "atol", 0, INFINITY, &dummy, &t->atol);
		t->has_allclose = true;
	}
	if (!t->has_max_abs_diff && !t->has_mean_abs_diff && !t->has_allclose &&
	    !t->has_argmax_agreement && !t->has_max_disagreements && p->d->errors == errors)
		diag_at(p->d, &n->mark, "empty 'tolerance': give at least one of max_abs_diff, "
			"mean_abs_diff, allclose, argmax_agreement, max_disagreements");
	return p->d->errors == errors ? 0 : -1;
}

static void release_names(void *p)
{
	free_list(p);
}

/* The fields of a CSV header line (RFC 4180 quotes), NULL-terminated, owned. */
static char **split_header(const char *line, size_t *n)
{
	char **l = NULL;
	size_t cap = 0;
	struct buf f;
	bool quoted = false;

	buf_init(&f);
	*n = 0;
	for (const char *c = line;; c++) {
		if (quoted && *c == '"' && c[1] == '"') {
			buf_putc(&f, *c++);
		} else if (*c == '"') {
			quoted = !quoted;
		} else if (*c && (quoted || (*c != ',' && *c != '\r' && *c != '\n'))) {
			buf_putc(&f, *c);
		} else {
			XGROW(l, cap, *n + 2);
			l[(*n)++] = buf_detach(&f);
			if (*c != ',')
				break;
		}
	}
	buf_release(&f);
	l[*n] = NULL;
	return l;
}

static int names_from_file(const struct parse_ctx *p, const struct node *n, char ***out,
			   size_t *count)
{
	char *raw = interp_node(&p->pin_ctx, n, p->d);
	char *path = raw ? contract_path(p->c, raw) : NULL, *line = NULL;
	size_t cap = 0;
	FILE *f = path ? fopen(path, "r") : NULL;
	int rc = -1;

	free(raw);
	if (!path)
		return -1;
	if (!f)
		diag_at(p->d, &n->mark, "cannot read 'names_from' file '%s': %s", path, strerror(errno));
	else if (getline(&line, &cap, f) < 0 || strspn(line, " \t\r\n") == strlen(line))
		diag_at(p->d, &n->mark, "'names_from' file '%s' has no header row: its first line "
			"must name the columns", path);
	else
		rc = 0;
	if (rc == 0)
		*out = kit_adopt(p, split_header(line, count), release_names);
	free(line);
	if (f)
		fclose(f);
	free(path);
	return rc;
}

int column_names_parse(const struct parse_ctx *p, const struct node *body,
		       struct column_names *out)
{
	const struct node *from = node_get(body, "names_from");

	memset(out, 0, sizeof *out);
	if (from && node_get(body, "names")) {
		diag_at(p->d, &from->mark, "%s has both 'names' and 'names_from': keep one",
			p->where);
		return -1;
	}
	if (!from)
		return kit_list(p, body, "names", false, &out->names, &out->n);
	if (from->type != NODE_SCALAR) {
		diag_at(p->d, &from->mark, "'names_from' must be a .csv file name, got %s",
			node_type_name(from));
		return -1;
	}
	return names_from_file(p, from, &out->names, &out->n);
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
	double *tmp = xcalloc(am->cols ? am->cols : 1, sizeof *tmp);
	buf_init(&b);
	buf_printf(&b, "per-class mean |diff|:");
	for (size_t c = 0; c < m->cols && c < 32; c++)
		buf_printf(&b, " %.3g", m->class_mean_abs_diff[c]);
	buf_putc(&b, '\n');
	/* the rows whose largest |diff| is beyond the band, with both vectors */
	for (size_t r = 0; r < am->rows; r++) {
		double worst = 0;
		for (size_t c = 0; c < am->cols; c++) {
			double x = matrix_get(am, r, c), y = matrix_get(bm, r, c);
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
		put_row(&b, matrix_row(bm, r, tmp), bm->cols);
		buf_printf(&b, "\n    %s ", env);
		put_row(&b, matrix_row(am, r, tmp), am->cols);
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
	free(tmp);
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

static char *column_label(const struct column_names *cn, const char *const *names, size_t c)
{
	if (names)
		return xasprintf("%s '%s'", cn->noun ? cn->noun : "column", names[c]);
	return xasprintf("column %zu", c);
}

static char *differ_line(const struct shape *s, const struct column_names *cn,
			 const char *const *names, const char *base_env, const char *env)
{
	char *label = column_label(cn, names, s->column);
	char *text = shape_describe(s, base_env, env, names, cn && names ? cn->n : 0);
	char *line = xasprintf("%s differs in %zu of %zu rows: %s", label, s->differ, s->rows, text);

	free(text);
	free(label);
	return line;
}

/* Diagnoses each column of a (env's) against base (data/shape.h): the
 * "shapes" metric, one line per differing column into detail, and the
 * finding (owned by the caller; NULL when no column differs) for the
 * column that differs most, the first on ties. The step's finding (the
 * verdict's words) is set only when that shape is a known one: otherwise
 * the stage's meaning says more than "none of the known shapes". */
static char *diagnose(struct step_result *r, const char *env, const char *base_env,
		      const struct matrix *a, const struct matrix *base,
		      const struct column_names *cn, struct buf *detail)
{
	size_t cols = a->cols, worst = cols, ndiff = 0;
	struct shape *s = xcalloc(cols ? cols : 1, sizeof *s);
	const char *const *names = cn && cn->n && cn->n == cols ? (const char *const *)cn->names
								: NULL;
	json_t *list = json_array();
	char *finding = NULL;

	double *own_base, *own_a;
	shape_diagnose(matrix_doubles(base, &own_base), matrix_doubles(a, &own_a), a->rows, cols, s);
	free(own_base);
	free(own_a);
	if (cn && cn->n && cn->n != cols)
		buf_printf(detail, "  'names' has %zu names for %zu columns: columns shown by index\n",
			   cn->n, cols);
	for (size_t c = 0; c < cols; c++) {
		if (s[c].kind == SHAPE_IDENTICAL)
			continue;
		if (worst == cols || s[c].max_abs_diff > s[worst].max_abs_diff)
			worst = c;
		if (ndiff++ >= SHAPES_SHOWN)
			continue;
		json_array_append_new(list, shape_to_json(&s[c], names));
		char *line = differ_line(&s[c], cn, names, base_env, env);
		buf_printf(detail, "  %s\n", line);
		free(line);
	}
	if (ndiff > SHAPES_SHOWN)
		buf_printf(detail, "  … %zu columns differ in all\n", ndiff);
	result_metric(r, env, "shapes", list);
	if (worst < cols) {
		char *line = differ_line(&s[worst], cn, names, base_env, env);
		const char *noun = names && cn->noun ? cn->noun : "column";
		finding = ndiff == 1 ? xstrdup(line) :
			  xasprintf("%s (%zu more %s%s differ%s)", line, ndiff - 1, noun,
				    ndiff > 2 ? "s" : "", ndiff > 2 ? "" : "s");
		free(line);
		if (s[worst].kind != SHAPE_UNEXPLAINED)
			result_finding(r, finding);
	}
	free(s);
	return finding;
}

/* How far a metric is from agreement, larger is worse, to compare with the
 * noise: the argmax agreement as its disagreeing fraction. */
static double badness(const struct metrics *m, int k)
{
	switch (k) {
	case TOL_MAX_ABS_DIFF: return m->max_abs_diff;
	case TOL_MEAN_ABS_DIFF: return m->mean_abs_diff;
	case TOL_ALLCLOSE: return (double)m->allclose_violations;
	case TOL_ARGMAX_AGREEMENT: return 1 - m->argmax_agreement;
	default: return (double)m->disagreements;
	}
}

/* The noise floor: how far the baseline's replicas are from it. */
struct noise {
	bool any;
	double value[TOL_METRICS];      /* the largest badness over the replicas */
	const char *env;                /* the replica with the largest max_abs_diff */
};

/* A failed verdict passes when within noise_factor times the noise; every
 * message says the noise beside the metric. */
static void apply_noise(const struct eval_ctx *e, const struct noise *n, const struct metrics *m,
			struct tolerance_verdict v[TOL_METRICS], struct step_result *r,
			const char *env)
{
	if (!n->any)
		return;
	double f = e->c->noise_factor;
	json_t *j = json_object();
	for (int k = 0; k < TOL_METRICS; k++) {
		json_object_set_new(j, v[k].metric, json_real(isfinite(n->value[k]) ? n->value[k]
							     : 1e308));
		if (!v[k].checked)
			continue;
		bool within = badness(m, k) <= n->value[k] * f;
		char *msg = xasprintf("%s; noise %.3g (replica '%s'), x %g = %.3g%s", v[k].message,
				      n->value[k], n->env, f, n->value[k] * f,
				      v[k].pass ? "" : within ? ": within the noise, not a failure"
				      : ": beyond the noise too");
		free(v[k].message);
		v[k].message = msg;
		v[k].pass |= within;
	}
	json_object_set_new(j, "replica", json_string(n->env));
	json_object_set_new(j, "noise_factor", json_real(f));
	result_metric(r, env, "noise", j);
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
		double x = a->f ? (double)a->f[k] : a->v[k], y = b->f ? (double)b->f[k] : b->v[k];
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
			const struct tolerance *t, const struct matrix *base, const char *base_env,
			const struct column_names *names, const struct noise *noise)
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
		struct buf shapes;
		char *finding = NULL;
		bool failed = false;
		buf_init(&shapes);
		tolerance_check(t, &m, v);
		apply_noise(e, noise, &m, v, r, env);
		for (int k = 0; k < TOL_METRICS; k++)
			failed |= v[k].checked && !v[k].pass;
		if (failed)
			finding = diagnose(r, env, base_env, a, base, names, &shapes);
		for (int k = 0; k < TOL_METRICS; k++) {
			if (!v[k].checked)
				continue;
			bool named = !v[k].pass && !shown && finding;
			struct check *c = eval_check(r, env, v[k].pass ? ST_PASS : ST_FAIL, v[k].metric,
						     NULL, NULL, "%s%s%s", v[k].message,
						     named ? ": " : "", named ? finding : "");
			if (!v[k].pass && !shown) {
				/* built only for a failure: it scans every row again */
				char *detail = disagreements_detail(&m, env, base_env, a, base,
								    t->has_max_abs_diff ? t->max_abs_diff : 0);
				char *both = xasprintf("the shape of the difference, per column:\n%s%s",
						       shapes.data, detail);
				result_check_detail(c, shapes.len ? both : detail);
				free(both);
				free(detail);
			}
			shown |= !v[k].pass;
		}
		free(finding);
		buf_release(&shapes);
		tolerance_verdicts_release(v);
		put_metrics(r, env, &m);
		result_metric(r, env, "abs_diff_histogram", abs_diff_histogram(a, base, t));
	}
	metrics_release(&m);
	matrix_free(a);
}

/* The baseline's replicas against it: their metrics go in the report (no
 * check: a replica is never gated) and their largest badness is the noise. */
static void replica_noise(const struct eval_ctx *e, struct step_result *r, const char *key,
			  const struct tolerance *t, const struct matrix *base, struct noise *n)
{
	memset(n, 0, sizeof *n);
	for (size_t i = 0; i < e->c->n_envs; i++) {
		if (e->c->envs[i].replica_of != e->baseline || e->facts[i].state != FACT_OK)
			continue;
		const char *env = eval_env_name(e, i);
		char *err = NULL;
		struct metrics m;
		struct matrix *a = fact_matrix(e->facts[i].value, key, &err);
		memset(&m, 0, sizeof m);
		if (!a || metrics_compute(a, base, t->rtol, t->atol, &m, &err) < 0) {
			eval_check(r, env, ST_ERROR, "outputs", NULL, NULL, "replica: %s", err);
			free(err);
		} else {
			if (!n->any || !(badness(&m, TOL_MAX_ABS_DIFF) < n->value[TOL_MAX_ABS_DIFF]))
				n->env = env;
			for (int k = 0; k < TOL_METRICS; k++) {
				double b = badness(&m, k);
				if (!n->any || !(b <= n->value[k]))
					n->value[k] = isnan(b) ? INFINITY : b;
			}
			n->any = true;
			put_metrics(r, env, &m);
		}
		metrics_release(&m);
		matrix_free(a);
	}
}

void eval_tolerance(const struct eval_ctx *e, struct step_result *r, const char *key,
		    const struct tolerance *t, const struct column_names *names)
{
	struct tolerance locked;
	if (e->baseline < 0)
		return;
	if (t->is_default && lock_tolerance(e->lock, &locked))
		t = &locked;
	const char *base_env = eval_env_name(e, (size_t)e->baseline);
	char *err = NULL;
	struct matrix *base = fact_matrix(eval_value(e, (size_t)e->baseline), key, &err);
	if (!base) {
		eval_check(r, base_env, ST_ERROR, "outputs", NULL, NULL, "%s", err);
		free(err);
		return;
	}
	struct noise noise;
	replica_noise(e, r, key, t, base, &noise);
	EVAL_OTHERS(e, i)
		compare_env(e, r, i, key, t, base, base_env, names, &noise);
	matrix_free(base);
}
