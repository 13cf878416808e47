/* drift: has the input distribution moved? PSI (the spec's binning rule,
 * stated in the report), the two-sample KS statistic and MMD (RBF kernel,
 * median heuristic) between a reference and a sample, each a local file of
 * values or a column of another step's outputs in one environment. With
 * two local files the step runs once, not per environment. */
#include "data/input.h"
#include "data/stats.h"
#include "load/check.h"
#include "steps/step.h"
#include "steps/numeric.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	{"reference", true,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/source\"}]}",
	 "Reference values."},
	{"sample", true,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/source\"}]}",
	 "Sample values tested against the reference."},
	{"psi", false,
	 "{\"type\":\"object\",\"properties\":{\"bins\":{"
	 "\"description\":\"Number of bins.\",\"type\":\"integer\",\"minimum\":2,"
	 "\"default\":10,\"maximum\":1000},\"strategy\":{"
	 "\"description\":\"Bin edges: reference quantiles,"
	 " or uniform over the reference's range.\",\"type\":\"string\",\"enum\":["
	 "\"quantile\",\"uniform\"],\"default\":\"quantile\"},\"max\":{"
	 "\"description\":\"Fail above this PSI.\",\"type\":\"number\",\"minimum\":0},"
	 "\"warn\":{\"description\":\"Warn above this PSI.\",\"type\":\"number\","
	 "\"minimum\":0},\"epsilon\":{"
	 "\"description\":\"Floor for empty-bin shares.\",\"type\":\"number\","
	 "\"exclusiveMinimum\":0,\"default\":0.0001,\"exclusiveMaximum\":1}},"
	 "\"additionalProperties\":false}",
	 "Population stability index. Quantile edges come from the reference, "
	 "outer bins are open, bins are [a,b), empty-bin shares are floored "
	 "at epsilon."},
	{"ks", false,
	 "{\"type\":\"object\",\"properties\":{\"max\":{"
	 "\"description\":\"Fail above this statistic.\",\"type\":\"number\","
	 "\"minimum\":0}},\"additionalProperties\":false}",
	 "Two-sample Kolmogorov-Smirnov statistic."},
	{"mmd", false,
	 "{\"type\":\"object\",\"properties\":{\"max\":{"
	 "\"description\":\"Fail above this MMD.\",\"type\":\"number\","
	 "\"minimum\":0}},\"additionalProperties\":false}",
	 "Maximum mean discrepancy, RBF kernel, median heuristic."},
	{NULL, false, NULL, NULL},
};
static const char *const source_keys[] = {"path", "field", "column", "from", "env", NULL};
static const char *const psi_keys[] = {"bins", "strategy", "max", "warn", "epsilon", NULL};
static const char *const max_keys[] = {"max", NULL};

struct drift_source {
	char *path;             /* a local file (relative to the contract's folder), or */
	char *from, *env;       /* a step's outputs in one environment */
	char *field;            /* file: CSV column / JSONL field */
	long column;            /* from: the output column */
};

struct drift {
	struct drift_source ref, sample;
	bool psi, ks, mmd;
	struct psi_options psi_opt;
	double psi_max, psi_warn, ks_max, mmd_max;
	bool has_psi_warn;
};

static int parse_source(const struct node *n, const char *key, struct drift_source *src,
			const struct parse_ctx *p)
{
	if (n->type == NODE_SCALAR && !node_is_null(n)) {
		src->path = arena_strdup(p->arena, n->str);
		return 0;
	}
	if (check_map(p->d, n, key) < 0)
		return -1;
	check_keys(p->d, n, source_keys, key[0] == 'r' ? "in 'reference'" : "in 'sample'");
	kit_string(p, n, "path", &src->path);
	kit_string(p, n, "field", &src->field);
	kit_string(p, n, "from", &src->from);
	kit_string(p, n, "env", &src->env);
	get_count(p->d, n, "column", &src->column);
	if (!!src->path == !!src->from) {
		diag_at(p->d, &n->mark, "'%s' is a file ('path: values.npy', or just the path) or a "
			"step's outputs ('from: STEP, env: NAME, column: i')", key);
		return -1;
	}
	if (src->from) {
		if (!parse_from(p, node_get(n, "from"), CAP_MATRIX, "an inference or preprocess step"))
			return -1;
		if (!src->env) {
			diag_at(p->d, &n->mark, "'%s' from a step needs 'env': the environment whose "
				"outputs to use", key);
			return -1;
		}
		if (contract_env_index(p->c, src->env) < 0) {
			diag_at(p->d, &node_get(n, "env")->mark, "unknown environment '%s' in '%s'",
				src->env, key);
			return -1;
		}
	}
	return 0;
}

static int parse_max(const struct node *n, const char *key, double *max, const struct parse_ctx *p)
{
	if (check_map(p->d, n, key) < 0)
		return -1;
	check_keys(p->d, n, max_keys, key[0] == 'k' ? "in 'ks'" : "in 'mmd'");
	const struct node *m = node_get(n, "max");
	if (!m || node_double(m, max) < 0 || !(*max >= 0)) {
		diag_at(p->d, &(m ? m : n)->mark, "'%s' needs 'max', a non-negative number", key);
		return -1;
	}
	return 0;
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct drift *d = kit_new(p, sizeof *d);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = d;

	if (check_required(p->d, b, "reference", p->where) < 0 ||
	    check_required(p->d, b, "sample", p->where) < 0)
		return -1;
	parse_source(node_get(b, "reference"), "reference", &d->ref, p);
	parse_source(node_get(b, "sample"), "sample", &d->sample, p);
	d->psi_opt.bins = STATS_PSI_BINS;
	d->psi_opt.strategy = PSI_QUANTILE;
	d->psi_opt.epsilon = STATS_PSI_EPSILON;
	d->psi_max = 0.2;
	n = node_get(b, "psi");
	if (n && check_map(p->d, n, "psi") == 0) {
		long bins = (long)d->psi_opt.bins;
		const struct node *x;
		d->psi = true;
		check_keys(p->d, n, psi_keys, "in 'psi'");
		if (get_count(p->d, n, "bins", &bins) == 0 && (bins < 2 || bins > 1000))
			diag_at(p->d, &node_get(n, "bins")->mark, "'bins' must be from 2 to 1000");
		d->psi_opt.bins = (size_t)bins;
		x = node_get(n, "strategy");
		if (x && x->type == NODE_SCALAR && !strcmp(x->str, "uniform"))
			d->psi_opt.strategy = PSI_UNIFORM;
		else if (x && !(x->type == NODE_SCALAR && !strcmp(x->str, "quantile")))
			diag_at(p->d, &x->mark, "'strategy' must be quantile or uniform");
		x = node_get(n, "max");
		if (x && (node_double(x, &d->psi_max) < 0 || !(d->psi_max >= 0)))
			diag_at(p->d, &x->mark, "'max' must be a non-negative number");
		x = node_get(n, "warn");
		if (x && (node_double(x, &d->psi_warn) < 0 || !(d->psi_warn >= 0)))
			diag_at(p->d, &x->mark, "'warn' must be a non-negative number");
		d->has_psi_warn = x != NULL;
		x = node_get(n, "epsilon");
		if (x && (node_double(x, &d->psi_opt.epsilon) < 0 || !(d->psi_opt.epsilon > 0 &&
								      d->psi_opt.epsilon < 1)))
			diag_at(p->d, &x->mark, "'epsilon' must be a number between 0 and 1");
	}
	n = node_get(b, "ks");
	if (n && parse_max(n, "ks", &d->ks_max, p) == 0)
		d->ks = true;
	n = node_get(b, "mmd");
	if (n && parse_max(n, "mmd", &d->mmd_max, p) == 0)
		d->mmd = true;
	if (!d->psi && !d->ks && !d->mmd)
		d->psi = true;          /* psi with the usual alarm at 0.2 */
	s->once = true;
	return p->d->errors == errors ? 0 : -1;
}

static json_t *read_values(const struct gather_ctx *g, const struct drift_source *src, char **err)
{
	char *raw = gather_expand(g, src->path, err);
	if (!raw)
		return NULL;
	char *path = contract_path(g->c, raw);
	struct matrix *m = NULL;
	json_t *v = NULL;
	if (data_read_path(path, src->field, &m, err) == 0) {
		if (m->cols != 1) {
			*err = xasprintf("'%s' has %zu values a row: pick one with 'field'", path, m->cols);
		} else {
			v = json_array();
			for (size_t i = 0; i < m->rows; i++)
				json_array_append_new(v, isfinite(matrix_get(m, i, 0))
							      ? json_real(matrix_get(m, i, 0)) : json_null());
		}
	}
	matrix_free(m);
	free(path);
	free(raw);
	return v;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct drift *d = g->step->data;
	json_t *f = json_object();
	const struct drift_source *srcs[] = {&d->ref, &d->sample};
	const char *keys[] = {"reference", "sample"};
	for (int i = 0; i < 2; i++) {
		if (!srcs[i]->path)
			continue;
		json_t *v = read_values(g, srcs[i], err);
		if (!v) {
			json_decref(f);
			return -1;
		}
		json_object_set_new(f, keys[i], v);
	}
	*value = f;
	return 0;
}

/* The values of a source: from this step's fact, or a column of a step's outputs. */
static double *values_of(const struct eval_ctx *e, const json_t *fact, const struct drift_source *src,
			 const char *key, size_t *n, char **err)
{
	double *v = NULL;
	if (src->path) {
		json_t *a = json_object_get(fact, key);
		*n = json_array_size(a);
		v = xcalloc(*n + 1, sizeof *v);
		for (size_t i = 0; i < *n; i++) {
			json_t *x = json_array_get(a, i);
			v[i] = json_is_number(x) ? json_number_value(x) : NAN;
		}
		return v;
	}
	int env = contract_env_index(e->c, src->env);
	const struct fact *ff = eval_facts_of(e, src->from);
	if (env < 0) {
		*err = xasprintf("unknown environment '%s' in the %s", src->env, key);
		return NULL;
	}
	if (!ff || ff[env].state != FACT_OK) {
		*err = xasprintf("step '%s' has no outputs in %s", src->from, src->env);
		return NULL;
	}
	struct matrix *m = fact_matrix(ff[env].value, "outputs", err);
	if (!m)
		return NULL;
	if ((size_t)src->column >= m->cols) {
		*err = xasprintf("column %ld is out of range: step '%s' has %zu output columns",
				 src->column, src->from, m->cols);
		matrix_free(m);
		return NULL;
	}
	*n = m->rows;
	v = xcalloc(*n + 1, sizeof *v);
	for (size_t i = 0; i < *n; i++)
		v[i] = matrix_get(m, i, (size_t)src->column);
	matrix_free(m);
	return v;
}

static void bound_check(struct step_result *r, const char *env, const char *metric, double value,
			double max, const char *detail)
{
	char *msg = xasprintf("%s %.4g %s %g", metric, value, value <= max ? "<=" : ">", max);
	char want[40], got[40];
	snprintf(want, sizeof want, "<= %g", max);
	snprintf(got, sizeof got, "%.6g", value);
	struct check *c = result_add_check(r, env, value <= max ? ST_PASS : ST_FAIL, metric, msg, want, got);
	if (detail)
		result_check_detail(c, detail);
	result_metric(r, env, metric, json_real(value));
	free(msg);
}

/* The bins behind the PSI, for the HTML report: the inner edges, each
 * bin's reference and sample shares (as the PSI used them), and the KS
 * distance of the same values (computed even when the step checks no KS). */
static json_t *psi_bins(const struct psi_result *pr, const double *ref, size_t nr,
			const double *smp, size_t ns)
{
	json_t *o = json_object(), *edges = json_array(), *rs = json_array(), *ss = json_array();
	double ks;
	char *err = NULL;

	for (size_t k = 0; k + 1 < pr->bins; k++)
		json_array_append_new(edges, json_real(pr->edges[k]));
	for (size_t k = 0; k < pr->bins; k++) {
		json_array_append_new(rs, json_real(pr->ref_shares[k]));
		json_array_append_new(ss, json_real(pr->sample_shares[k]));
	}
	json_object_set_new(o, "edges", edges);
	json_object_set_new(o, "reference", rs);
	json_object_set_new(o, "sample", ss);
	if (stats_ks(ref, nr, smp, ns, &ks, &err) == 0)
		json_object_set_new(o, "ks", json_real(ks));
	free(err);
	return o;
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct drift *d = e->step->data;
	size_t at = eval_env_first(e);
	if (at == e->c->n_envs)
		return;
	/* the step runs once: its fact is in the first environment that has one */
	const char *env = d->sample.env ? d->sample.env : eval_env_name(e, at);
	const json_t *fact = eval_value(e, at);
	size_t nr = 0, ns = 0;
	char *err = NULL;
	double *rv = NULL, *sv = NULL, *ref = NULL, *smp = NULL;

	rv = values_of(e, fact, &d->ref, "reference", &nr, &err);
	if (rv)
		sv = values_of(e, fact, &d->sample, "sample", &ns, &err);
	if (!rv || !sv)
		goto fail;
	nr = stats_drop_nan(rv, nr, &ref);
	ns = stats_drop_nan(sv, ns, &smp);
	if (nr < 2 || ns < 2) {
		err = xasprintf("too few values to compare: %zu in the reference, %zu in the sample", nr, ns);
		goto fail;
	}
	if (d->psi) {
		struct psi_result pr;
		memset(&pr, 0, sizeof pr);
		if (stats_psi(ref, nr, smp, ns, &d->psi_opt, &pr, &err) < 0) {
			stats_psi_release(&pr);
			goto fail;
		}
		bound_check(r, env, "psi", pr.psi, d->psi_max, pr.rule);
		result_metric(r, env, "psi_bins", psi_bins(&pr, ref, nr, smp, ns));
		if (d->has_psi_warn && pr.psi > d->psi_warn && pr.psi <= d->psi_max) {
			char *msg = xasprintf("psi %.4g is above the warning level %g (alarm at %g)", pr.psi,
					      d->psi_warn, d->psi_max);
			result_add_check(r, env, ST_PASS, "psi warning", msg, NULL, NULL);
			free(msg);
		}
		stats_psi_release(&pr);
	}
	if (d->ks) {
		double ks;
		if (stats_ks(ref, nr, smp, ns, &ks, &err) < 0)
			goto fail;
		bound_check(r, env, "ks", ks, d->ks_max, NULL);
	}
	if (d->mmd) {
		struct mmd_result mr;
		if (stats_mmd2(ref, nr, smp, ns, 0, &mr, &err) < 0)
			goto fail;
		char *detail = xasprintf("squared MMD, unbiased estimator, RBF kernel with sigma %.4g "
					 "(median heuristic), %zu and %zu values", mr.sigma, mr.na, mr.nb);
		bound_check(r, env, "mmd", mr.mmd2, d->mmd_max, detail);
		free(detail);
	}
	goto out;
fail:
	result_add_check(r, env, ST_ERROR, "drift", err ? err : "cannot compute drift", NULL, NULL);
	free(err);
out:
	free(rv);
	free(sv);
	free(ref);
	free(smp);
}

const struct step_kind drift_kind = {
	.name = "drift",
	.summary = "Compare a sample's distribution with a reference (stage "
		   "distribution).",
	.default_stage = STAGE_DISTRIBUTION,
	.keys = kind_keys,
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
};
