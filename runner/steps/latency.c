/* latency: percentiles of request times and their checks, for the http and
 * inference steps. */
#include "steps/latency.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const int percentiles[LATENCY_N] = {50, 95, 99};

static int parse_one(const struct parse_ctx *p, const struct node *map, const char *key,
		     bool ratio, double *out)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	if (node_double(n, out) < 0 || isinf(*out) || !(ratio ? *out > 0 : *out >= 0)) {
		diag_at(p->d, &n->mark, ratio ? "'%s' must be a number > 0 (a multiple of the "
			"baseline's latency, like 1.1), got %s" : "'%s' must be a number of "
			"milliseconds >= 0, got %s", key,
			n->type == NODE_SCALAR && !node_is_null(n) ? n->str : node_type_name(n));
		*out = NAN;
		return -1;
	}
	return 0;
}

int latency_parse(const struct parse_ctx *p, const struct node *map, bool allow_ms,
		  struct latency_bounds *b)
{
	int rc = 0;
	for (int k = 0; k < LATENCY_N; k++) {
		char key[16];
		b->ms[k] = NAN;
		b->ratio[k] = NAN;
		snprintf(key, sizeof key, "p%d_ms", percentiles[k]);
		if (allow_ms && parse_one(p, map, key, false, &b->ms[k]) < 0)
			rc = -1;
		snprintf(key, sizeof key, "p%d_ratio", percentiles[k]);
		if (parse_one(p, map, key, true, &b->ratio[k]) < 0)
			rc = -1;
	}
	return rc;
}

bool latency_has_ratio(const struct latency_bounds *b)
{
	for (int k = 0; k < LATENCY_N; k++)
		if (!isnan(b->ratio[k]))
			return true;
	return false;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least pct% of the values at or below it. */
static double percentile(const double *sorted, size_t n, int pct)
{
	size_t rank = (size_t)ceil((double)pct / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

json_t *latency_summary(double *ms, size_t n)
{
	json_t *lat = json_object();
	json_object_set_new(lat, "requests", json_integer((json_int_t)n));
	if (n == 0)
		return lat;
	qsort(ms, n, sizeof *ms, cmp_double);
	for (int k = 0; k < LATENCY_N; k++) {
		char key[16];
		double x = percentile(ms, n, percentiles[k]);
		snprintf(key, sizeof key, "p%d_ms", percentiles[k]);
		json_object_set_new(lat, key, json_real(round(x * 1000.0) / 1000.0));
	}
	return lat;
}

static double pct_of(const json_t *lat, int k)
{
	char key[16];
	snprintf(key, sizeof key, "p%d_ms", percentiles[k]);
	const json_t *x = json_object_get(lat, key);
	return json_is_number(x) ? json_number_value(x) : NAN;
}

static void check_bound(struct step_result *r, const char *env, int k, double ms, double bound,
			long n)
{
	char what[32];
	snprintf(what, sizeof what, "latency p%d", percentiles[k]);
	char *want = xasprintf("<= %g ms", bound);
	char *got = xasprintf("%g ms", ms);
	bool ok = ms <= bound;
	eval_check(r, env, ok ? ST_PASS : ST_FAIL, what, want, got,
		   "p%d %g ms %s %g ms over %ld requests", percentiles[k], ms, ok ? "<=" : ">",
		   bound, n);
	free(got);
	free(want);
}

static void check_ratio(struct step_result *r, const char *env, const char *base_env, int k,
			double ms, double base, double ratio)
{
	char what[48];
	snprintf(what, sizeof what, "latency p%d vs %s", percentiles[k], base_env);
	char *want = xasprintf("<= %g x %g ms", ratio, base);
	char *got = xasprintf("%g ms", ms);
	bool ok = ms <= ratio * base;
	eval_check(r, env, ok ? ST_PASS : ST_FAIL, what, want, got,
		   "p%d %g ms is %.2fx %s's %g ms (at most %gx)", percentiles[k], ms,
		   base > 0 ? ms / base : INFINITY, base_env, base, ratio);
	free(got);
	free(want);
}

void latency_evaluate(const struct eval_ctx *e, struct step_result *r, const char *key,
		      const struct latency_bounds *b)
{
	const json_t *base = e->baseline >= 0
		? json_object_get(eval_value(e, (size_t)e->baseline), key) : NULL;

	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		const json_t *lat = json_object_get(eval_value(e, i), key);
		long n = (long)json_integer_value(json_object_get(lat, "requests"));
		for (int k = 0; lat && k < LATENCY_N; k++) {
			char name[16];
			double ms = pct_of(lat, k);
			if (isnan(ms))
				continue;
			snprintf(name, sizeof name, "p%d_ms", percentiles[k]);
			result_metric(r, env, name, json_real(ms));
			if (!isnan(b->ms[k]))
				check_bound(r, env, k, ms, b->ms[k], n);
			if (!isnan(b->ratio[k]) && base && (int)i != e->baseline &&
			    !isnan(pct_of(base, k)))
				check_ratio(r, env, eval_env_name(e, (size_t)e->baseline), k, ms,
					    pct_of(base, k), b->ratio[k]);
		}
	}
}
