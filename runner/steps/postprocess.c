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
#include <stdio.h>
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

/* 'score:' {index: i}, {softmax: i} or {sigmoid: i} into *rule. */
static void parse_score(struct score_rule *rule, const struct node *n, const struct parse_ctx *p)
{
	static const char *const forms[] = {"index", "softmax", "sigmoid", NULL};
	check_keys(p->d, n, forms, "in 'score'");
	if (node_map_len(n) != 1) {
		diag_at(p->d, &n->mark, "'score' takes one of {index: i}, {softmax: i}, {sigmoid: i}");
		return;
	}
	const struct node *k = node_map_key(n, 0), *v = node_map_value(n, 0);
	long i;
	for (int f = 0; forms[f]; f++)
		if (!strcmp(k->str, forms[f]))
			rule->kind = (enum score_kind)f;
	if (node_long(v, &i) < 0 || i < 0)
		diag_at(p->d, &v->mark, "'%s' must be a column index (0, 1, ...)", k->str);
	else
		rule->index = (size_t)i;
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct postprocess *pp = kit_new(p, sizeof *pp);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = pp;

	if (check_required(p->d, b, "from", p->where) < 0 ||
	    check_required(p->d, b, "threshold", p->where) < 0)
		return -1;
	if (kit_string(p, b, "from", &pp->from) < 0)
		return -1;
	if (!parse_from(p, node_get(b, "from"), CAP_MODEL_OUTPUTS, "an inference step"))
		return -1;
	n = node_get(b, "threshold");
	if (n->type == NODE_SCALAR && interp_has_refs(n->str))
		pp->threshold_raw = arena_strdup(p->arena, n->str);
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
	kit_list(p, b, "labels", false, &pp->labels, NULL);
	pp->rule.kind = SCORE_INDEX;
	pp->rule.index = 0;
	n = node_get(b, "score");
	if (n && check_map(p->d, n, "score") == 0)
		parse_score(&pp->rule, n, p);
	return p->d->errors == errors ? 0 : -1;
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

/* Scores and thresholds, one per environment, and the rows they cover. */
struct decisions {
	double **scores;        /* NULL where the environment has none */
	double *thr;
	size_t rows;
	size_t first[SHOWN_ROWS];  /* the rows a check's detail shows */
};

static void add_rows_detail(struct check *c, const struct eval_ctx *e, const struct postprocess *pp,
			    const struct decisions *ds, size_t n)
{
	struct buf b;
	buf_init(&b);
	for (size_t j = 0; j < n && j < SHOWN_ROWS; j++) {
		size_t row = ds->first[j];
		buf_printf(&b, "row %zu:", row);
		for (size_t i = 0; i < e->c->n_envs; i++)
			if (ds->scores[i])
				buf_printf(&b, " %s %.6g (%s)", eval_env_name(e, i), ds->scores[i][row],
					   label(pp, metrics_decision(ds->scores[i][row], ds->thr[i])));
		buf_putc(&b, '\n');
	}
	result_check_detail(c, b.data);
	buf_release(&b);
}

/* Each environment's scores of the outputs of pp->from; a "decisions" error
 * check where there are none, or not as many rows as elsewhere. */
static void score_all(const struct eval_ctx *e, const struct postprocess *pp,
		      struct decisions *ds, struct step_result *r)
{
	const struct fact *from = eval_facts_of(e, pp->from);
	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		char *err = NULL;
		struct matrix *m = NULL;
		if (!from || from[i].state != FACT_OK)
			err = xasprintf("no outputs of step '%s' in %s", pp->from, env);
		else if (threshold_in(e, pp, i, &ds->thr[i], &err) == 0)
			m = fact_matrix(from[i].value, "outputs", &err);
		if (m && metrics_scores(m, &pp->rule, &ds->scores[i], &err) == 0 && ds->rows &&
		    m->rows != ds->rows) {
			err = xasprintf("%zu rows of outputs, other environments have %zu", m->rows,
					ds->rows);
			free(ds->scores[i]);
			ds->scores[i] = NULL;
		}
		if (err)
			eval_check(r, env, ST_ERROR, "decisions", NULL, NULL, "%s", err);
		else
			ds->rows = m->rows;
		free(err);
		matrix_free(m);
	}
}

/* The rows whose score is within pp->near of the threshold in some environment. */
static void eval_near(const struct eval_ctx *e, const struct postprocess *pp,
		      struct decisions *ds, struct step_result *r)
{
	size_t near = 0;
	for (size_t k = 0; k < ds->rows; k++) {
		bool hit = false;
		for (size_t i = 0; i < e->c->n_envs; i++)
			hit |= ds->scores[i] && fabs(ds->scores[i][k] - ds->thr[i]) <= pp->near;
		if (hit && near < SHOWN_ROWS)
			ds->first[near] = k;
		near += hit;
	}
	for (size_t i = 0; i < e->c->n_envs; i++)
		if (ds->scores[i])
			result_metric(r, eval_env_name(e, i), "near", json_integer((json_int_t)near));
	struct check *c = eval_check(r, NULL, ST_PASS, "near the threshold", NULL, NULL,
				     "%zu row%s within %g of the threshold in some environment",
				     near, near == 1 ? "" : "s", pp->near);
	if (near)
		add_rows_detail(c, e, pp, ds, near);
}

/* Environment i's decisions against the baseline's (base). */
static void eval_flips(const struct eval_ctx *e, const struct postprocess *pp,
		       struct decisions *ds, size_t i, size_t base, struct step_result *r)
{
	const char *env = eval_env_name(e, i), *benv = eval_env_name(e, base);
	size_t flips = 0, rows = ds->rows;
	for (size_t k = 0; k < rows; k++) {
		bool d = metrics_decision(ds->scores[i][k], ds->thr[i]);
		bool bd = metrics_decision(ds->scores[base][k], ds->thr[base]);
		if (d != bd && flips < SHOWN_ROWS)
			ds->first[flips] = k;
		flips += d != bd;
	}
	result_metric(r, env, "flips", json_integer((json_int_t)flips));
	char *what = xasprintf("decisions as %s", benv);
	char want[48], got[48];
	snprintf(want, sizeof want, "<= %ld flips", pp->max_flips);
	snprintf(got, sizeof got, "%zu flips", flips);
	struct check *c = eval_check(r, env, flips <= (size_t)pp->max_flips ? ST_PASS : ST_FAIL,
				     what, want, got, "%zu of %zu decision%s differ from %s's "
				     "(max_flips %ld)%s", flips, rows, rows == 1 ? "" : "s", benv,
				     pp->max_flips,
				     ds->thr[i] != ds->thr[base] ? "; the thresholds differ" : "");
	if (flips)
		add_rows_detail(c, e, pp, ds, flips);
	free(what);
}

#define SAMPLE_MARKED 64     /* flipped rows, then near rows, kept in the score sample */
#define SAMPLE_EVEN 128      /* and rows taken evenly */

static bool flipped(const struct decisions *ds, size_t i, size_t base, size_t k)
{
	return ds->scores[base] && metrics_decision(ds->scores[i][k], ds->thr[i]) !=
				   metrics_decision(ds->scores[base][k], ds->thr[base]);
}

static bool near_row(const struct postprocess *pp, const struct decisions *ds, size_t n, size_t k)
{
	bool hit = false;
	for (size_t i = 0; pp->has_near && i < n; i++)
		hit |= ds->scores[i] && fabs(ds->scores[i][k] - ds->thr[i]) <= pp->near;
	return hit;
}

/* A bounded sample of each environment's scores for the HTML report: the
 * first flipped and near rows, and rows taken evenly; with the threshold
 * and which of the sampled rows flipped (against the baseline) or lie near
 * the threshold. */
static void put_score_samples(const struct eval_ctx *e, const struct postprocess *pp,
			      const struct decisions *ds, struct step_result *r)
{
	size_t n = e->c->n_envs, base = e->baseline >= 0 ? (size_t)e->baseline : 0;
	size_t step = ds->rows / SAMPLE_EVEN + 1, nflip = 0, nnear = 0;
	bool *pick = xcalloc(ds->rows + 1, sizeof *pick);

	for (size_t k = 0; k < ds->rows; k++) {
		bool f = false;
		for (size_t i = 0; e->baseline >= 0 && i < n; i++)
			f |= ds->scores[i] && i != base && flipped(ds, i, base, k);
		bool nr = near_row(pp, ds, n, k);
		pick[k] = k % step == 0 || (f && nflip < SAMPLE_MARKED) || (nr && nnear < SAMPLE_MARKED);
		nflip += f;
		nnear += nr;
	}
	EVAL_ENVS(e, i) {
		if (!ds->scores[i])
			continue;
		json_t *o = json_object(), *idx = json_array(), *sc = json_array();
		json_t *fl = json_array(), *ne = json_array();
		for (size_t k = 0; k < ds->rows; k++) {
			if (!pick[k])
				continue;
			double v = ds->scores[i][k];
			json_array_append_new(idx, json_integer((json_int_t)k));
			json_array_append_new(sc, isfinite(v) ? json_real(v) : json_null());
			if (e->baseline >= 0 && i != base && flipped(ds, i, base, k))
				json_array_append_new(fl, json_integer((json_int_t)k));
			if (near_row(pp, ds, n, k))
				json_array_append_new(ne, json_integer((json_int_t)k));
		}
		json_object_set_new(o, "threshold", json_real(ds->thr[i]));
		json_object_set_new(o, "rows", json_integer((json_int_t)ds->rows));
		json_object_set_new(o, "index", idx);
		json_object_set_new(o, "scores", sc);
		json_object_set_new(o, "flipped", fl);
		json_object_set_new(o, "near", ne);
		result_metric(r, eval_env_name(e, i), "score_sample", o);
	}
	free(pick);
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct postprocess *pp = e->step->data;
	struct decisions ds = {xcalloc(e->c->n_envs, sizeof *ds.scores),
			       xcalloc(e->c->n_envs, sizeof *ds.thr), 0, {0}};

	score_all(e, pp, &ds, r);
	if (pp->has_near && ds.rows)
		eval_near(e, pp, &ds, r);
	if (ds.rows)
		put_score_samples(e, pp, &ds, r);
	if (e->baseline >= 0 && ds.scores[e->baseline]) {
		EVAL_OTHERS(e, i) {
			if (ds.scores[i])
				eval_flips(e, pp, &ds, i, (size_t)e->baseline, r);
		}
	}
	for (size_t i = 0; i < e->c->n_envs; i++)
		free(ds.scores[i]);
	free(ds.scores);
	free(ds.thr);
}

const struct step_kind postprocess_kind = {
	.name = "postprocess",
	.summary = "Turn an inference step's outputs into decisions and compare the "
		   "decisions (stage postprocess).",
	.default_stage = STAGE_POSTPROCESS,
	.caps = CAP_DERIVED,
	.keys = kind_keys,
	.parse = parse,
	.evaluate = evaluate,
};
