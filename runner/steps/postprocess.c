/* postprocess: turn an inference step's outputs into decisions (score by
 * index, softmax or sigmoid, against a threshold) in every environment and
 * count the rows whose decision differs from the baseline's. When outputs
 * agree but decisions flip, the divergence is in post-processing; rows near
 * the threshold show where reduced precision moves decisions. */
#include "load/check.h"
#include "steps/step.h"
#include "steps/numeric.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	{"from", true,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/name\"}]}",
	 "Id of the inference step whose outputs are used."},
	{"score", false,
	 "{\"oneOf\":[{\"description\":\"Column i as is.\",\"type\":\"object\","
	 "\"required\":[\"index\"],\"properties\":{\"index\":{"
	 "\"description\":\"Column index.\",\"type\":\"integer\",\"minimum\":0}},"
	 "\"additionalProperties\":false},{"
	 "\"description\":\"Column i after softmax over the row.\","
	 "\"type\":\"object\",\"required\":[\"softmax\"],\"properties\":{\"softmax\":{"
	 "\"description\":\"Column index.\",\"type\":\"integer\",\"minimum\":0}},"
	 "\"additionalProperties\":false},{"
	 "\"description\":\"Column i after sigmoid.\",\"type\":\"object\","
	 "\"required\":[\"sigmoid\"],\"properties\":{\"sigmoid\":{"
	 "\"description\":\"Column index.\",\"type\":\"integer\",\"minimum\":0}},"
	 "\"additionalProperties\":false}]}",
	 "How a row's score is taken: a column as is, after softmax, or after "
	 "sigmoid."},
	{"threshold", true,
	 "{\"anyOf\":[{\"type\":\"number\"},{\"type\":\"string\",\"pattern\":\"\\\\$\\\\{"
	 "vars\\\\.[A-Za-z0-9._-]+\\\\}\"}]}",
	 "Decision threshold: score >= threshold is the positive decision. A "
	 "number, or ${vars.NAME} to read it per environment."},
	{"max_flips", false,
	 "{\"type\":\"integer\",\"minimum\":0}",
	 "Largest allowed number of rows whose decision differs from the "
	 "baseline's."},
	{"near", false,
	 "{\"type\":\"number\",\"minimum\":0}",
	 "Report rows whose score lies within this distance of the threshold "
	 "in any environment."},
	{"labels", false,
	 "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}",
	 "Names of the decisions, for the report."},
	{NULL, false, NULL, NULL},
};

#define SHOWN_ROWS 10

struct postprocess {
	char *from;
	struct score_rule rule;
	double threshold;
	char *threshold_raw;    /* with ${vars.X}: read per environment at evaluation */
	long max_flips;
	bool has_near;
	double near;
	char **labels;          /* [negative, positive] names, or NULL */
};

static void postprocess_release(struct step *s);

/* Until the settings move into the arena: freed with the contract. */
static void release_step(void *s)
{
	postprocess_release(s);
}

static int postprocess_parse(struct step *s, const struct parse_ctx *p)
{
	kit_adopt(p, s, release_step);
	struct postprocess *pp = xcalloc(1, sizeof *pp);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = pp;

	if (check_required(p->d, b, "from", p->where) < 0 ||
	    check_required(p->d, b, "threshold", p->where) < 0)
		return -1;
	if (get_string(p->d, b, "from", &pp->from) < 0)
		return -1;
	if (!parse_from(p, node_get(b, "from"), CAP_MODEL_OUTPUTS, "an inference step"))
		return -1;
	n = node_get(b, "threshold");
	if (n->type == NODE_SCALAR && interp_has_refs(n->str))
		pp->threshold_raw = xstrdup(n->str);
	else if (node_double(n, &pp->threshold) < 0 || isnan(pp->threshold))
		diag_at(p->d, &n->mark, "'threshold' must be a number (or ${vars.NAME} set per "
			"environment), got %s", node_type_name(n));
	get_count(p->d, b, "max_flips", &pp->max_flips);
	n = node_get(b, "near");
	if (n) {
		if (node_double(n, &pp->near) < 0 || !(pp->near >= 0))
			diag_at(p->d, &n->mark, "'near' must be a non-negative number, got %s",
				node_type_name(n));
		pp->has_near = true;
	}
	get_list(p->d, b, "labels", false, &pp->labels, NULL);
	n = node_get(b, "score");
	pp->rule.kind = SCORE_INDEX;
	pp->rule.index = 0;
	if (n && check_map(p->d, n, "score") == 0) {
		static const char *const forms[] = {"index", "softmax", "sigmoid", NULL};
		check_keys(p->d, n, forms, "in 'score'");
		if (node_map_len(n) != 1) {
			diag_at(p->d, &n->mark, "'score' takes one of {index: i}, {softmax: i}, {sigmoid: i}");
		} else {
			const struct node *k = node_map_key(n, 0), *v = node_map_value(n, 0);
			long i;
			for (int f = 0; forms[f]; f++)
				if (!strcmp(k->str, forms[f]))
					pp->rule.kind = (enum score_kind)f;
			if (node_long(v, &i) < 0 || i < 0)
				diag_at(p->d, &v->mark, "'%s' must be a column index (0, 1, ...)", k->str);
			else
				pp->rule.index = (size_t)i;
		}
	}
	return p->d->errors == errors ? 0 : -1;
}

static void postprocess_release(struct step *s)
{
	struct postprocess *pp = s->data;
	if (!pp)
		return;
	free(pp->from);
	free(pp->threshold_raw);
	free_list(pp->labels);
	free(pp);
	s->data = NULL;
}

static const char *label(const struct postprocess *pp, bool d)
{
	static const char *const plain[] = {"negative", "positive"};
	if (pp->labels && pp->labels[0] && pp->labels[1])
		return pp->labels[d ? 1 : 0];
	return plain[d ? 1 : 0];
}

/* The threshold in environment i: the number, or ${vars.X} read there. */
static int threshold_in(const struct eval_ctx *e, const struct postprocess *pp, size_t i,
			double *out, char **err)
{
	if (!pp->threshold_raw) {
		*out = pp->threshold;
		return 0;
	}
	const struct env *env = &e->c->envs[i];
	struct interp_ctx ctx = {&env->vars, env->name, NULL};
	char *v = interp_string(&ctx, pp->threshold_raw, err);
	char *end;
	if (!v)
		return -1;
	*out = strtod(v, &end);
	if (end == v || *end || isnan(*out)) {
		*err = xasprintf("threshold '%s' in %s is not a number", v, env->name);
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

static void add_rows_detail(struct check *c, const struct eval_ctx *e, const struct postprocess *pp,
			    double *const *scores, const double *thr, const size_t *rows, size_t n)
{
	struct buf b;
	buf_init(&b);
	for (size_t j = 0; j < n && j < SHOWN_ROWS; j++) {
		buf_printf(&b, "row %zu:", rows[j]);
		for (size_t i = 0; i < e->c->n_envs; i++)
			if (scores[i])
				buf_printf(&b, " %s %.6g (%s)", e->c->envs[i].name, scores[i][rows[j]],
					   label(pp, metrics_decision(scores[i][rows[j]], thr[i])));
		buf_putc(&b, '\n');
	}
	result_check_detail(c, b.data);
	buf_release(&b);
}

static void postprocess_evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct postprocess *pp = e->step->data;
	const struct fact *from = eval_facts_of(e, pp->from);
	size_t nenv = e->c->n_envs, rows = 0;
	double **scores = xcalloc(nenv, sizeof *scores);
	double *thr = xcalloc(nenv, sizeof *thr);
	int base = e->baseline;

	for (size_t i = 0; i < nenv; i++) {
		if (e->facts[i].state != FACT_OK)
			continue;
		const char *env = e->c->envs[i].name;
		char *err = NULL;
		struct matrix *m = NULL;
		if (!from || from[i].state != FACT_OK)
			err = xasprintf("no outputs of step '%s' in %s", pp->from, env);
		else if (threshold_in(e, pp, i, &thr[i], &err) == 0)
			m = fact_matrix(from[i].value, "outputs", &err);
		if (m && metrics_scores(m, &pp->rule, &scores[i], &err) == 0 && rows && m->rows != rows) {
			err = xasprintf("%zu rows of outputs, other environments have %zu", m->rows, rows);
			free(scores[i]);
			scores[i] = NULL;
		}
		if (err) {
			char *name = check_name(env, "decisions");
			result_add_check(r, env, ST_ERROR, name, err, NULL, NULL);
			free(name);
			free(err);
		} else {
			rows = m->rows;
		}
		matrix_free(m);
	}
	if (base >= 0 && !scores[base])
		base = -1;

	size_t *first = xcalloc(SHOWN_ROWS, sizeof *first);
	if (pp->has_near && rows) {
		size_t near = 0;
		for (size_t k = 0; k < rows; k++) {
			bool hit = false;
			for (size_t i = 0; i < nenv; i++)
				hit |= scores[i] && fabs(scores[i][k] - thr[i]) <= pp->near;
			if (hit && near < SHOWN_ROWS)
				first[near] = k;
			near += hit;
		}
		for (size_t i = 0; i < nenv; i++)
			if (scores[i])
				result_metric(r, e->c->envs[i].name, "near", json_integer((json_int_t)near));
		char *msg = xasprintf("%zu row%s within %g of the threshold in some environment", near,
				      near == 1 ? "" : "s", pp->near);
		struct check *c = result_add_check(r, NULL, ST_PASS, "near the threshold", msg, NULL, NULL);
		if (near)
			add_rows_detail(c, e, pp, scores, thr, first, near);
		free(msg);
	}
	for (size_t i = 0; base >= 0 && i < nenv; i++) {
		if ((int)i == base || !scores[i])
			continue;
		const char *env = e->c->envs[i].name, *benv = e->c->envs[base].name;
		size_t flips = 0;
		for (size_t k = 0; k < rows; k++) {
			bool d = metrics_decision(scores[i][k], thr[i]);
			bool bd = metrics_decision(scores[base][k], thr[base]);
			if (d != bd && flips < SHOWN_ROWS)
				first[flips] = k;
			flips += d != bd;
		}
		result_metric(r, env, "flips", json_integer((json_int_t)flips));
		char *what = xasprintf("decisions as %s", benv);
		char *name = check_name(env, what);
		char *msg = xasprintf("%zu of %zu decision%s differ from %s's (max_flips %ld)%s", flips, rows,
				      rows == 1 ? "" : "s", benv, pp->max_flips,
				      thr[i] != thr[base] ? "; the thresholds differ" : "");
		char *want = xasprintf("<= %ld flips", pp->max_flips);
		char *got = xasprintf("%zu flips", flips);
		struct check *c = result_add_check(r, env, flips <= (size_t)pp->max_flips ? ST_PASS : ST_FAIL,
						   name, msg, want, got);
		if (flips)
			add_rows_detail(c, e, pp, scores, thr, first, flips);
		free(got);
		free(want);
		free(msg);
		free(name);
		free(what);
	}
	free(first);
	for (size_t i = 0; i < nenv; i++)
		free(scores[i]);
	free(scores);
	free(thr);
}

const struct step_kind postprocess_kind = {
	.name = "postprocess",
	.summary = "Turn an inference step's outputs into decisions and compare the "
		   "decisions (stage postprocess).",
	.default_stage = STAGE_POSTPROCESS,
	.caps = CAP_DERIVED,
	.keys = kind_keys,
	.parse = postprocess_parse,
	.evaluate = postprocess_evaluate,
};
