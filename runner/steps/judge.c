/* judge: labels, accuracy, segments and OOD rates for the inference step.
 * Parse keeps the bands; gather stores each environment's labels (as class
 * indexes) and segment keys in its fact beside the outputs; evaluate pairs
 * every environment's argmax with the baseline's on the same rows. */
#include "steps/judge.h"
#include "data/classify.h"
#include "data/columns.h"
#include "data/input.h"
#include "load/check.h"
#include "steps/numeric.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENTS_SHOWN 10       /* segments listed in a check's detail */

struct key_source {
	char *column;           /* in the inputs, or in path */
	char *path;             /* raw; NULL: the inputs */
};

struct judge {
	bool has_labels, has_segments;
	struct key_source labels, segments;
	char **classes;         /* NULL-ended, or NULL: labels are class indexes */
	size_t nclasses;
	bool has_max_drop, has_class_drop, has_min, has_sig;
	double max_drop, class_drop, min, sig;
	bool has_seg_dis, has_seg_acc;
	double seg_dis, seg_acc;
	long min_rows;
	bool has_ood, has_max_rate, has_rate_diff;
	double energy_above, max_rate, max_rate_diff;
	const char *skip[3];
};

/* ---- parse */

static int parse_source(const struct parse_ctx *p, const struct node *n, const char *key,
			const char *inputs, struct key_source *s)
{
	static const char *const keys[] = {"column", "path", "classes", NULL};
	static const char *const seg_keys[] = {"column", "path", NULL};
	char *where = xasprintf("in '%s' of an inference step", key);
	int rc = -1;

	if (check_map(p->d, n, key) < 0)
		goto out;
	int unknown = check_keys(p->d, n, strcmp(key, "labels") ? seg_keys : keys, where);
	kit_string(p, n, "column", &s->column);
	kit_string(p, n, "path", &s->path);
	if (!s->column && !s->path) {
		if (unknown)
			goto out;
		diag_at(p->d, &n->mark, "'%s' needs 'column' (a column of the inputs) or 'path' "
			"(a file with one value per input row)", key);
		goto out;
	}
	const char *file = s->path ? s->path : inputs;
	int fmt = file && !interp_has_refs(file) ? data_format_of_path(file) : -1;
	if (s->path && fmt < 0 && !interp_has_refs(s->path))
		diag_at(p->d, &node_get(n, "path")->mark, "'path' in '%s' must be a .npy, .csv or "
			".jsonl file, got '%s'", key, s->path);
	else if (!s->column && (fmt == FMT_CSV || fmt == FMT_JSONL))
		diag_at(p->d, &n->mark, "'%s' needs 'column': the %s of '%s' that holds the key", key,
			fmt == FMT_CSV ? "column" : "field (a JSON Pointer like /label)", file);
	else if (s->column && fmt == FMT_NPY)
		diag_at(p->d, &node_get(n, "column")->mark, "'column' in '%s' names a column, and .npy "
			"files have none: give 'path' to a file of %s, one per row", key, key);
	else
		rc = 0;
out:
	free(where);
	return rc;
}

static void parse_classes(const struct parse_ctx *p, const struct node *labels, struct judge *j)
{
	const struct node *n = node_get(labels, "classes");
	if (!n || kit_list(p, labels, "classes", false, &j->classes, &j->nclasses) < 0)
		return;
	if (j->nclasses == 0)
		diag_at(p->d, &n->mark, "'classes' is empty: name each class, in the order of the "
			"output columns");
	for (size_t a = 0; a < j->nclasses; a++)
		for (size_t b = a + 1; b < j->nclasses; b++)
			if (!strcmp(j->classes[a], j->classes[b]))
				diag_at(p->d, &n->mark, "class '%s' is listed twice in 'classes'",
					j->classes[a]);
}

static void parse_accuracy(const struct parse_ctx *p, const struct node *n, struct judge *j)
{
	static const char *const keys[] = {"max_drop", "per_class_max_drop", "min", "significance",
					   NULL};
	int errors = p->d->errors;
	if (check_map(p->d, n, "accuracy") < 0)
		return;
	check_keys(p->d, n, keys, "in 'accuracy' of an inference step");
	kit_number_in(p, n, "max_drop", 0, 1, &j->has_max_drop, &j->max_drop);
	kit_number_in(p, n, "per_class_max_drop", 0, 1, &j->has_class_drop, &j->class_drop);
	kit_number_in(p, n, "min", 0, 1, &j->has_min, &j->min);
	kit_number_in(p, n, "significance", 0, 1, &j->has_sig, &j->sig);
	if (p->d->errors != errors)
		return;
	if (!j->has_max_drop && !j->has_class_drop && !j->has_min && !j->has_sig)
		diag_at(p->d, &n->mark, "empty 'accuracy': give at least one of max_drop, "
			"per_class_max_drop, min");
	else if (j->has_sig && !j->has_max_drop && !j->has_class_drop)
		diag_at(p->d, &node_get(n, "significance")->mark, "'significance' tests a drop: give "
			"'max_drop' or 'per_class_max_drop' too");
}

static void parse_by_segment(const struct parse_ctx *p, const struct node *n, struct judge *j)
{
	static const char *const keys[] = {"max_disagreement", "max_accuracy_drop", "min_rows", NULL};
	if (check_map(p->d, n, "by_segment") < 0)
		return;
	check_keys(p->d, n, keys, "in 'by_segment' of an inference step");
	kit_number_in(p, n, "max_disagreement", 0, 1, &j->has_seg_dis, &j->seg_dis);
	kit_number_in(p, n, "max_accuracy_drop", 0, 1, &j->has_seg_acc, &j->seg_acc);
	int errors = p->d->errors;
	get_count(p->d, n, "min_rows", &j->min_rows);
	if (node_get(n, "min_rows") && j->min_rows < 1)
		diag_at(p->d, &node_get(n, "min_rows")->mark, "'min_rows' must be at least 1");
	if (!j->has_seg_dis && !j->has_seg_acc && p->d->errors == errors)
		diag_at(p->d, &n->mark, "empty 'by_segment': give max_disagreement or "
			"max_accuracy_drop");
	if (j->has_seg_acc && !j->has_labels)
		diag_at(p->d, &node_get(n, "max_accuracy_drop")->mark, "'max_accuracy_drop' needs "
			"'labels': the true class of each row");
}

static void parse_ood(const struct parse_ctx *p, const struct node *n, struct judge *j)
{
	static const char *const keys[] = {"energy_above", "max_rate", "max_rate_diff", NULL};
	bool has_energy = false;
	if (check_map(p->d, n, "ood") < 0)
		return;
	check_keys(p->d, n, keys, "in 'ood' of an inference step");
	if (check_required(p->d, n, "energy_above", "'ood'") < 0)
		return;
	kit_number_in(p, n, "energy_above", -INFINITY, INFINITY, &has_energy, &j->energy_above);
	kit_number_in(p, n, "max_rate", 0, 1, &j->has_max_rate, &j->max_rate);
	kit_number_in(p, n, "max_rate_diff", 0, 1, &j->has_rate_diff, &j->max_rate_diff);
	j->has_ood = has_energy;
}

/* A band that needs a key the step does not give. */
static void needs(const struct parse_ctx *p, const struct node *n, const char *key,
		  bool has, const char *need, const char *why)
{
	if (n && !has)
		diag_at(p->d, &n->mark, "'%s' needs '%s': %s", key, need, why);
}

struct judge *judge_parse(const struct parse_ctx *p, const struct node *body, const char *inputs)
{
	const struct node *l = node_get(body, "labels"), *s = node_get(body, "segments");
	const struct node *a = node_get(body, "accuracy"), *bs = node_get(body, "by_segment");
	const struct node *o = node_get(body, "ood");
	int errors = p->d->errors;
	size_t nskip = 0;

	if (!l && !s && !a && !bs && !o)
		return NULL;
	struct judge *j = kit_new(p, sizeof *j);
	j->min_rows = 20;
	if (l && parse_source(p, l, "labels", inputs, &j->labels) == 0) {
		j->has_labels = true;
		parse_classes(p, l, j);
	}
	if (s && parse_source(p, s, "segments", inputs, &j->segments) == 0)
		j->has_segments = true;
	needs(p, a, "accuracy", l, "labels", "the true class of each row");
	needs(p, bs, "by_segment", s, "segments", "a segment key for each row");
	if (a)
		parse_accuracy(p, a, j);
	if (bs && s)
		parse_by_segment(p, bs, j);
	if (o)
		parse_ood(p, o, j);
	if (j->has_labels && !j->labels.path)
		j->skip[nskip++] = j->labels.column;
	if (j->has_segments && !j->segments.path)
		j->skip[nskip++] = j->segments.column;
	return p->d->errors == errors ? j : NULL;
}

const char *const *judge_skip(const struct judge *j)
{
	return j && j->skip[0] ? j->skip : NULL;
}

/* ---- gather */

/* The keys of one source for this environment: from the inputs or its own
 * file. */
static int read_keys(const struct gather_ctx *g, const struct key_source *s, const char *inputs,
		     size_t rows, const char *what, struct column *out, char **err)
{
	char *path = NULL;
	if (s->path) {
		char *raw = gather_expand(g, s->path, err);
		if (!raw)
			return -1;
		path = contract_path(g->c, raw);
		free(raw);
	}
	const char *file = path ? path : inputs;
	int rc = column_read(file, s->column, out, err);
	if (rc == 0 && out->n != rows) {
		*err = xasprintf("%s: %zu %s for %zu input rows: give one per row", file, out->n, what,
				 rows);
		column_release(out);
		rc = -1;
	}
	free(path);
	return rc;
}

/* A label as a class index: its place in classes, or a whole number. */
static int label_index(const struct judge *j, const char *text, size_t row, const char *file,
		       json_int_t *k, char **err)
{
	if (j->classes) {
		for (size_t c = 0; c < j->nclasses; c++) {
			if (!strcmp(j->classes[c], text)) {
				*k = (json_int_t)c;
				return 0;
			}
		}
		struct buf b;
		buf_init(&b);
		for (size_t c = 0; c < j->nclasses && c < 10; c++)
			buf_printf(&b, "%s%s", c ? ", " : "", j->classes[c]);
		*err = xasprintf("%s: row %zu: label '%.40s' is not one of the classes (%s)", file, row,
				 text, b.data ? b.data : "");
		buf_release(&b);
		return -1;
	}
	char *end = NULL;
	long long v = strtoll(text, &end, 10);
	if (!*text || *end || v < 0) {
		*err = xasprintf("%s: row %zu: label '%.40s' is not a class index (0, 1, ...): name "
				 "the classes with 'classes: [...]' in 'labels'", file, row, text);
		return -1;
	}
	*k = (json_int_t)v;
	return 0;
}

int judge_gather(const struct gather_ctx *g, const struct judge *j, const char *inputs,
		 size_t rows, json_t *f, char **err)
{
	struct column c;
	if (!j)
		return 0;
	if (j->has_labels) {
		if (read_keys(g, &j->labels, inputs, rows, "labels", &c, err) < 0)
			return -1;
		json_t *a = json_array();
		for (size_t i = 0; i < c.n; i++) {
			json_int_t k;
			if (label_index(j, c.v[i], i, j->labels.path ? j->labels.path : inputs, &k,
					err) < 0) {
				json_decref(a);
				column_release(&c);
				return -1;
			}
			json_array_append_new(a, json_integer(k));
		}
		json_object_set_new(f, "labels", a);
		column_release(&c);
	}
	if (j->has_segments) {
		if (read_keys(g, &j->segments, inputs, rows, "segment keys", &c, err) < 0)
			return -1;
		json_t *a = json_array();
		for (size_t i = 0; i < c.n && a; i++) {
			json_t *s = json_string(c.v[i]);
			if (!s) {
				*err = xasprintf("%s: row %zu: the segment key is not UTF-8 text",
						 j->segments.path ? j->segments.path : inputs, i);
				json_decref(a);
				a = NULL;
			}
			json_array_append_new(a, s);
		}
		if (!a) {
			column_release(&c);
			return -1;
		}
		json_object_set_new(f, "segments", a);
		column_release(&c);
	}
	return 0;
}

/* ---- evaluate */

/* The baseline's side of every comparison. */
struct view {
	const struct judge *j;
	const char *base_env;
	struct matrix *base;
	size_t *base_pred;
	size_t *label;                  /* NULL without labels */
	size_t *seg_of;                 /* NULL without segments */
	const char **seg_name;          /* nseg, borrowed from the baseline's fact */
	size_t nseg;
	double base_acc, *base_class, base_ood;
	size_t *support;
};

static const char *class_name(const struct view *v, size_t k, char buf[24])
{
	if (v->j->classes && k < v->j->nclasses)
		return v->j->classes[k];
	snprintf(buf, 24, "%zu", k);
	return buf;
}

/* The baseline's labels as class indexes below its number of outputs. */
static int view_labels(struct view *v, const json_t *fact, char **err)
{
	const json_t *a = json_object_get(fact, "labels");
	size_t k = v->base->cols;
	if (!json_is_array(a) || json_array_size(a) != v->base->rows) {
		*err = xasprintf("the fact has no labels for its %zu rows", v->base->rows);
		return -1;
	}
	if (v->j->classes && v->j->nclasses != k) {
		*err = xasprintf("'classes' names %zu classes, and the outputs have %zu columns",
				 v->j->nclasses, k);
		return -1;
	}
	v->label = xcalloc(v->base->rows + 1, sizeof *v->label);
	for (size_t i = 0; i < v->base->rows; i++) {
		json_int_t x = json_integer_value(json_array_get(a, i));
		if (!json_is_integer(json_array_get(a, i)) || x < 0 || (size_t)x >= k) {
			*err = xasprintf("row %zu: label %lld is not a class of the %zu outputs (0 to %zu)",
					 i, (long long)x, k, k ? k - 1 : 0);
			return -1;
		}
		v->label[i] = (size_t)x;
	}
	v->base_class = xcalloc(k + 1, sizeof *v->base_class);
	v->support = xcalloc(k + 1, sizeof *v->support);
	v->base_acc = classify_accuracy(v->base_pred, v->label, v->base->rows);
	classify_per_class(v->base_pred, v->label, v->base->rows, k, v->base_class, v->support);
	return 0;
}

struct keyed {
	const char *key;
	size_t row;
};

static int by_key(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->row < y->row ? -1 : x->row > y->row;
}

/* The baseline's segment keys as indexes 0 .. nseg-1, in key order. */
static int view_segments(struct view *v, const json_t *fact, char **err)
{
	const json_t *a = json_object_get(fact, "segments");
	size_t n = v->base->rows;
	if (!json_is_array(a) || json_array_size(a) != n) {
		*err = xasprintf("the fact has no segment keys for its %zu rows", n);
		return -1;
	}
	struct keyed *rows = xcalloc(n + 1, sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		rows[i].key = s ? s : "";
		rows[i].row = i;
	}
	qsort(rows, n, sizeof *rows, by_key);
	v->seg_of = xcalloc(n + 1, sizeof *v->seg_of);
	v->seg_name = xcalloc(n + 1, sizeof *v->seg_name);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(rows[i].key, rows[i - 1].key))
			v->seg_name[v->nseg++] = rows[i].key;
		v->seg_of[rows[i].row] = v->nseg - 1;
	}
	free(rows);
	return 0;
}

static void view_release(struct view *v)
{
	matrix_free(v->base);
	free(v->base_pred);
	free(v->label);
	free(v->seg_of);
	free(v->seg_name);
	free(v->base_class);
	free(v->support);
}

static int view_init(const struct eval_ctx *e, const struct judge *j, struct view *v,
		     char **err)
{
	const json_t *fact = eval_value(e, (size_t)e->baseline);
	memset(v, 0, sizeof *v);
	v->j = j;
	v->base_env = eval_env_name(e, (size_t)e->baseline);
	v->base = fact_matrix(fact, "outputs", err);
	if (!v->base)
		return -1;
	v->base_pred = xcalloc(v->base->rows + 1, sizeof *v->base_pred);
	classify_predict(v->base, v->base_pred);
	if (j->has_labels && view_labels(v, fact, err) < 0)
		return -1;
	if (j->has_segments && view_segments(v, fact, err) < 0)
		return -1;
	if (j->has_ood)
		v->base_ood = classify_ood_rate(v->base, j->energy_above);
	return 0;
}

/* Whether a drop beyond its band fails: always, or only when significant. */
static bool drop_fails(const struct judge *j, double drop, double band, double p)
{
	return drop > band && (!j->has_sig || p < j->sig);
}

static void check_drop(struct step_result *r, const char *env, const struct view *v,
		       double acc, double p, size_t b, size_t c)
{
	const struct judge *j = v->j;
	double drop = v->base_acc - acc;
	bool fails = drop_fails(j, drop, j->max_drop, p);
	char expected[40], actual[40];
	snprintf(expected, sizeof expected, "<= %g", j->max_drop);
	snprintf(actual, sizeof actual, "%.4f", drop);
	if (drop > j->max_drop && !fails)
		eval_check(r, env, ST_PASS, "accuracy drop", expected, actual, "accuracy %.4f vs %.4f "
			   "on %s: drop %.4f > %g but not significant: McNemar p %.3g >= %g (b %zu, "
			   "c %zu)", acc, v->base_acc, v->base_env, drop, j->max_drop, p, j->sig, b, c);
	else
		eval_check(r, env, fails ? ST_FAIL : ST_PASS, "accuracy drop", expected, actual,
			   "accuracy %.4f vs %.4f on %s: drop %.4f %s %g (McNemar p %.3g: b %zu, c %zu)",
			   acc, v->base_acc, v->base_env, drop, fails ? ">" : "<=", j->max_drop, p, b, c);
}

/* Recall per class against the baseline's, the worst class named. */
static void check_classes(struct step_result *r, const char *env, const struct view *v,
			  const size_t *pred, const double *acc)
{
	const struct judge *j = v->j;
	size_t k = v->base->cols, n = v->base->rows, worst = k, failing = 0;
	unsigned char *sel = xcalloc(n + 1, 1);
	double *p = xcalloc(k + 1, sizeof *p);
	struct buf d;
	char nb[24], expected[40], actual[40];

	buf_init(&d);
	for (size_t c = 0; c < k; c++) {
		size_t db, dc;
		for (size_t i = 0; i < n; i++)
			sel[i] = v->label[i] == c;
		classify_discordant(pred, v->base_pred, v->label, n, sel, &db, &dc);
		p[c] = classify_mcnemar(db, dc);
		double drop = v->base_class[c] - acc[c];
		if (!v->support[c])
			continue;
		failing += drop_fails(j, drop, j->class_drop, p[c]);
		if (worst == k || drop > v->base_class[worst] - acc[worst])
			worst = c;
		buf_printf(&d, "class %s: %.4f vs %.4f, drop %.4f (%zu rows, McNemar p %.3g)\n",
			   class_name(v, c, nb), acc[c], v->base_class[c], drop, v->support[c], p[c]);
	}
	snprintf(expected, sizeof expected, "<= %g", j->class_drop);
	if (worst == k) {
		eval_check(r, env, ST_PASS, "per-class accuracy drop", expected, NULL, "no labelled rows");
	} else {
		double drop = v->base_class[worst] - acc[worst];
		snprintf(actual, sizeof actual, "%.4f", drop);
		struct check *ch = eval_check(r, env, failing ? ST_FAIL : ST_PASS,
					      "per-class accuracy drop", expected, actual,
					      "worst class '%s': accuracy %.4f vs %.4f on %s, drop %.4f "
					      "%s %g (%zu rows, McNemar p %.3g)", class_name(v, worst, nb),
					      acc[worst], v->base_class[worst], v->base_env, drop,
					      drop > j->class_drop ? ">" : "<=", j->class_drop,
					      v->support[worst], p[worst]);
		result_check_detail(ch, d.data ? d.data : "");
	}
	buf_release(&d);
	free(p);
	free(sel);
}

static void eval_labels(const struct eval_ctx *e, struct step_result *r, const struct view *v,
			size_t i, const size_t *pred)
{
	const struct judge *j = v->j;
	const char *env = eval_env_name(e, i);
	size_t k = v->base->cols, n = v->base->rows, b = 0, c = 0;
	double *acc = xcalloc(k + 1, sizeof *acc);
	size_t *support = xcalloc(k + 1, sizeof *support);
	char nb[24];

	double a = classify_accuracy(pred, v->label, n);
	classify_per_class(pred, v->label, n, k, acc, support);
	result_metric(r, env, "accuracy", json_real(a));
	json_t *pc = json_object();
	for (size_t x = 0; x < k; x++)
		json_object_set_new(pc, class_name(v, x, nb), json_real(acc[x]));
	result_metric(r, env, "per_class_accuracy", pc);
	if (j->has_min)
		eval_check(r, env, a >= j->min ? ST_PASS : ST_FAIL, "accuracy", NULL, NULL,
			   "accuracy %.4f %s %g (%zu rows)", a, a >= j->min ? ">=" : "<", j->min, n);
	if ((int)i != e->baseline) {
		classify_discordant(pred, v->base_pred, v->label, n, NULL, &b, &c);
		double p = classify_mcnemar(b, c);
		result_metric(r, env, "accuracy_drop", json_real(v->base_acc - a));
		result_metric(r, env, "mcnemar_p", json_real(p));
		result_metric(r, env, "mcnemar_b", json_integer((json_int_t)b));
		result_metric(r, env, "mcnemar_c", json_integer((json_int_t)c));
		if (j->has_max_drop)
			check_drop(r, env, v, a, p, b, c);
		if (j->has_class_drop)
			check_classes(r, env, v, pred, acc);
	}
	free(support);
	free(acc);
}

/* One segment in the order it is shown: gated ones first, worst first. */
struct seg_rank {
	size_t k;
	bool gated;
	double badness;         /* the largest value over its band */
	const struct classify_segment *s;
	const char *name;
};

static int by_rank(const void *a, const void *b)
{
	const struct seg_rank *x = a, *y = b;
	if (x->gated != y->gated)
		return x->gated ? -1 : 1;
	if (x->badness != y->badness)
		return x->badness > y->badness ? -1 : 1;
	if (x->s->rows != y->s->rows)
		return x->s->rows > y->s->rows ? -1 : 1;
	return strcmp(x->name, y->name);
}

static double seg_drop(const struct classify_segment *s)
{
	return s->base_accuracy - s->accuracy;
}

static struct seg_rank *rank_segments(const struct view *v, const struct classify_segment *seg)
{
	const struct judge *j = v->j;
	struct seg_rank *o = xcalloc(v->nseg + 1, sizeof *o);
	for (size_t k = 0; k < v->nseg; k++) {
		double dis = seg[k].disagreement, drop = v->label ? seg_drop(&seg[k]) : 0;
		o[k].k = k;
		o[k].s = &seg[k];
		o[k].name = v->seg_name[k];
		o[k].gated = seg[k].rows >= (size_t)j->min_rows;
		o[k].badness = j->has_seg_dis ? dis / (j->seg_dis > 0 ? j->seg_dis : 1e-300) : dis;
		if (j->has_seg_acc) {
			double b = drop / (j->seg_acc > 0 ? j->seg_acc : 1e-300);
			o[k].badness = j->has_seg_dis && o[k].badness > b ? o[k].badness : b;
		}
	}
	qsort(o, v->nseg, sizeof *o, by_rank);
	return o;
}

/* The segments, worst first, as the checks' detail and the metric. */
static char *segments_table(const struct view *v, const struct seg_rank *o, json_t *metric)
{
	struct buf b;
	buf_init(&b);
	for (size_t x = 0; x < v->nseg; x++) {
		const struct classify_segment *s = o[x].s;
		json_t *row = json_pack("{s:s,s:I,s:f,s:b}", "segment", o[x].name, "rows",
					(json_int_t)s->rows, "disagreement", s->disagreement,
					"gated", o[x].gated);
		if (v->label) {
			json_object_set_new(row, "accuracy", json_real(s->accuracy));
			json_object_set_new(row, "accuracy_drop", json_real(seg_drop(s)));
		}
		json_array_append_new(metric, row);
		if (x >= SEGMENTS_SHOWN)
			continue;
		buf_printf(&b, "segment '%.60s': %zu rows, disagreement %.4f", o[x].name, s->rows,
			   s->disagreement);
		if (v->label)
			buf_printf(&b, ", accuracy %.4f vs %.4f", s->accuracy, s->base_accuracy);
		buf_puts(&b, o[x].gated ? "\n" : " (under min_rows: not gated)\n");
	}
	if (v->nseg > SEGMENTS_SHOWN)
		buf_printf(&b, "... %zu segments in all\n", v->nseg);
	char *t = buf_detach(&b);
	buf_release(&b);
	return t ? t : xstrdup("");
}

/* One band over the gated segments: the worst one named. */
static void check_segments(struct step_result *r, const char *env, const struct view *v,
			   const struct seg_rank *o, bool accuracy, const char *detail)
{
	const struct judge *j = v->j;
	double band = accuracy ? j->seg_acc : j->seg_dis;
	size_t gated = 0, failing = 0, worst = v->nseg;
	char expected[40], actual[40];
	for (size_t x = 0; x < v->nseg; x++) {
		double val = accuracy ? seg_drop(o[x].s) : o[x].s->disagreement;
		if (!o[x].gated)
			continue;
		gated++;
		failing += val > band;
		if (worst == v->nseg || val > (accuracy ? seg_drop(o[worst].s) : o[worst].s->disagreement))
			worst = x;
	}
	const char *what = accuracy ? "segment accuracy drop" : "segment disagreement";
	snprintf(expected, sizeof expected, "<= %g", band);
	if (worst == v->nseg) {
		eval_check(r, env, ST_PASS, what, expected, NULL, "no segment has %ld rows or more "
			   "(%zu segments reported, not gated)", j->min_rows, v->nseg);
		return;
	}
	const struct classify_segment *s = o[worst].s;
	double val = accuracy ? seg_drop(s) : s->disagreement;
	snprintf(actual, sizeof actual, "%.4f", val);
	struct check *c;
	if (accuracy)
		c = eval_check(r, env, failing ? ST_FAIL : ST_PASS, what, expected, actual,
			       "segment '%.60s': accuracy %.4f vs %.4f on %s, drop %.4f %s %g (%zu rows; "
			       "%zu of %zu gated segments beyond)", o[worst].name, s->accuracy,
			       s->base_accuracy, v->base_env, val, failing ? ">" : "<=", band, s->rows,
			       failing, gated);
	else
		c = eval_check(r, env, failing ? ST_FAIL : ST_PASS, what, expected, actual,
			       "segment '%.60s': %zu of %zu rows disagree with %s (%.4f %s %g; %zu of "
			       "%zu gated segments beyond)", o[worst].name, s->disagreements, s->rows,
			       v->base_env, val, failing ? ">" : "<=", band, failing, gated);
	result_check_detail(c, detail);
}

static void eval_segments(const struct eval_ctx *e, struct step_result *r, const struct view *v,
			  size_t i, const size_t *pred)
{
	const char *env = eval_env_name(e, i);
	struct classify_segment *seg = xcalloc(v->nseg + 1, sizeof *seg);
	classify_segments(pred, v->base_pred, v->label, v->seg_of, v->base->rows, v->nseg, seg);
	struct seg_rank *o = rank_segments(v, seg);
	json_t *metric = json_array();
	char *detail = segments_table(v, o, metric);
	result_metric(r, env, "segments", metric);
	if ((int)i != e->baseline && v->j->has_seg_dis)
		check_segments(r, env, v, o, false, detail);
	if ((int)i != e->baseline && v->j->has_seg_acc)
		check_segments(r, env, v, o, true, detail);
	free(detail);
	free(o);
	free(seg);
}

static void eval_ood(const struct eval_ctx *e, struct step_result *r, const struct view *v,
		     size_t i, const struct matrix *out)
{
	const struct judge *j = v->j;
	const char *env = eval_env_name(e, i);
	double rate = classify_ood_rate(out, j->energy_above);
	size_t rows = (size_t)llround(rate * (double)out->rows);
	char expected[40], actual[40];
	result_metric(r, env, "ood_rate", json_real(rate));
	snprintf(actual, sizeof actual, "%.4f", rate);
	if (j->has_max_rate) {
		snprintf(expected, sizeof expected, "<= %g", j->max_rate);
		eval_check(r, env, rate > j->max_rate ? ST_FAIL : ST_PASS, "ood rate", expected, actual,
			   "ood rate %.4f %s %g: %zu of %zu rows with energy above %g", rate,
			   rate > j->max_rate ? ">" : "<=", j->max_rate, rows, out->rows, j->energy_above);
	}
	if (j->has_rate_diff && (int)i != e->baseline) {
		double diff = fabs(rate - v->base_ood);
		snprintf(expected, sizeof expected, "<= %g", j->max_rate_diff);
		snprintf(actual, sizeof actual, "%.4f", diff);
		eval_check(r, env, diff > j->max_rate_diff ? ST_FAIL : ST_PASS, "ood rate diff",
			   expected, actual, "ood rate %.4f vs %.4f on %s: diff %.4f %s %g", rate,
			   v->base_ood, v->base_env, diff, diff > j->max_rate_diff ? ">" : "<=",
			   j->max_rate_diff);
	}
}

/* Environment i's outputs and keys against the baseline's. */
static void eval_env(const struct eval_ctx *e, struct step_result *r, const struct view *v,
		     size_t i)
{
	const char *env = eval_env_name(e, i);
	const json_t *f = eval_value(e, i), *bf = eval_value(e, (size_t)e->baseline);
	char *err = NULL;
	struct matrix *out = fact_matrix(f, "outputs", &err);
	if (!out) {
		free(err);
		return;         /* the tolerance checks say so */
	}
	if (out->rows != v->base->rows || out->cols != v->base->cols) {
		matrix_free(out);
		return;         /* the shape check says so */
	}
	static const char *const keys[] = {"labels", "segments"};
	for (size_t k = 0; k < 2; k++) {
		const json_t *x = json_object_get(f, keys[k]), *y = json_object_get(bf, keys[k]);
		if ((x || y) && !json_equal(x, y)) {
			eval_check(r, env, ST_ERROR, keys[k], NULL, NULL, "the %s differ from %s's: "
				   "judge the same rows in every environment", keys[k], v->base_env);
			matrix_free(out);
			return;
		}
	}
	size_t *pred = xcalloc(out->rows + 1, sizeof *pred);
	classify_predict(out, pred);
	if (v->label)
		eval_labels(e, r, v, i, pred);
	if (v->seg_of)
		eval_segments(e, r, v, i, pred);
	if (v->j->has_ood)
		eval_ood(e, r, v, i, out);
	free(pred);
	matrix_free(out);
}

void judge_evaluate(const struct eval_ctx *e, struct step_result *r, const struct judge *j)
{
	struct view v;
	char *err = NULL;
	if (!j || e->baseline < 0)
		return;
	if (view_init(e, j, &v, &err) < 0) {
		if (v.base)
			eval_check(r, v.base_env, ST_ERROR, j->has_labels && !v.label ? "labels" :
				   "segments", NULL, NULL, "%s", err);
		free(err);
		view_release(&v);
		return;
	}
	EVAL_ENVS(e, i)
		eval_env(e, r, &v, i);
	view_release(&v);
}
