/* calibrate: gathers one environment several times over the engine, the
 * steps that take a tolerance only, compares every run's output matrix with
 * the first run's (and each replica's with its own run's environment), and
 * turns the largest differences into proposed bands. */
#include "engine/calibrate.h"
#include "engine/engine.h"
#include "steps/numeric.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool takes_tolerance(const struct step *s)
{
	for (const struct step_key *k = s->kind->keys; k->name; k++)
		if (!strcmp(k->name, "tolerance"))
			return true;
	return false;
}

/* The largest of each metric over one step's comparisons. */
struct observed {
	size_t comparisons;
	size_t cols;
	double max_abs_diff, mean_abs_diff;
	double disagreement;    /* fraction of rows whose argmax differs */
	char *error;            /* no matrix, another shape, values not finite */
};

/* Compares fact a's outputs with fact b's into o. */
static void observe(struct observed *o, const json_t *a_fact, const json_t *b_fact,
		    const char *what)
{
	char *err = NULL;
	struct metrics m;
	struct matrix *a = fact_matrix(a_fact, "outputs", &err);
	struct matrix *b = a ? fact_matrix(b_fact, "outputs", &err) : NULL;
	memset(&m, 0, sizeof m);
	if (!a || !b || metrics_compute(a, b, METRICS_RTOL_DEFAULT, METRICS_ATOL_DEFAULT, &m,
					&err) < 0) {
		if (!o->error)
			o->error = xasprintf("%s: %s", what, err);
		free(err);
	} else if (!isfinite(m.max_abs_diff)) {
		if (!o->error)
			o->error = xasprintf("%s: the outputs differ by NaN or infinity", what);
	} else {
		o->comparisons++;
		o->cols = m.cols;
		o->max_abs_diff = fmax(o->max_abs_diff, m.max_abs_diff);
		o->mean_abs_diff = fmax(o->mean_abs_diff, m.mean_abs_diff);
		o->disagreement = fmax(o->disagreement, 1 - m.argmax_agreement);
	}
	metrics_release(&m);
	matrix_free(a);
	matrix_free(b);
}

/* x rounded up to two significant digits (4.13e-06 -> 4.2e-06). */
static double round_up(double x)
{
	if (!(x > 0))
		return 0;
	double p = pow(10, floor(log10(x)) - 1);
	return ceil(x / p - 1e-9) * p;
}

static json_t *proposal_of(const struct observed *o, const struct calibrate_opts *opt,
			   size_t replicas)
{
	json_t *seen = json_pack("{s:f, s:f}", "max_abs_diff", o->max_abs_diff, "mean_abs_diff",
				 o->mean_abs_diff);
	json_t *tol = json_pack("{s:f, s:f}",
				"max_abs_diff", fmax(round_up(o->max_abs_diff * opt->margin),
						     CALIBRATE_FLOOR_MAX_ABS_DIFF),
				"mean_abs_diff", fmax(round_up(o->mean_abs_diff * opt->margin),
						      CALIBRATE_FLOOR_MEAN_ABS_DIFF));
	if (o->cols > 1) {
		double agree = 1 - o->disagreement * opt->margin;
		agree = floor((agree < 0 ? 0 : agree) * 1e4) / 1e4;
		json_object_set_new(seen, "argmax_agreement", json_real(1 - o->disagreement));
		json_object_set_new(tol, "argmax_agreement",
				    json_real(fmin(agree, CALIBRATE_AGREEMENT_CAP)));
	}
	return json_pack("{s:i, s:i, s:i, s:b, s:o, s:o}", "runs", opt->runs, "replicas",
			 (json_int_t)replicas, "comparisons", (json_int_t)o->comparisons, "exact",
			 o->max_abs_diff == 0, "observed", seen, "tolerance", tol);
}

/* One gather of env and its replicas: every measured step's fact is
 * compared with the first run's (kept in first) and each replica's with
 * env's of the same run. -1 with *err when a step could not run. */
static int one_run(const struct contract *c, size_t env, int run, char **only, char **envs,
		   const struct calibrate_opts *o, json_t **first, struct observed *obs,
		   char **err)
{
	struct plan p;
	int rc = 0;
	plan_init(&p, c, only, envs);
	if (o->jobs)
		p.jobs = o->jobs;
	p.progress = o->progress;
	engine_gather(&p);
	for (size_t s = 0; s < c->n_steps && !rc; s++) {
		if (!p.step_on[s])
			continue;
		for (size_t e = 0; e < c->n_envs && !rc; e++) {
			const struct fact *f = fact_at(&p.facts, s, e);
			if (!p.env_on[e] || f->state == FACT_NONE)
				continue;
			if (f->state != FACT_OK) {
				char *why = secret_mask(f->error);
				*err = xasprintf("step '%s' could not run in '%s' (run %d of %d): %s",
						 c->steps[s].id, c->envs[e].name, run + 1, o->runs, why);
				free(why);
				rc = -1;
			} else if (e == env && run == 0) {
				first[s] = json_incref(f->value);
			} else if (e == env) {
				char *what = xasprintf("run %d against run 1", run + 1);
				observe(&obs[s], f->value, first[s], what);
				free(what);
			} else if (fact_at(&p.facts, s, env)->state == FACT_OK) {
				char *what = xasprintf("replica '%s' against '%s' (run %d)", c->envs[e].name,
						       c->envs[env].name, run + 1);
				observe(&obs[s], f->value, fact_at(&p.facts, s, env)->value, what);
				free(what);
			}
		}
	}
	plan_release(&p);
	return rc;
}

json_t *calibrate_run(const struct contract *c, size_t env, const struct calibrate_opts *o,
		      char **err)
{
	char **only = xcalloc(c->n_steps + 1, sizeof *only);
	char **envs = xcalloc(c->n_envs + 1, sizeof *envs);
	json_t **first = xcalloc(c->n_steps + 1, sizeof *first);
	struct observed *obs = xcalloc(c->n_steps + 1, sizeof *obs);
	json_t *out = NULL;
	size_t n_only = 0, n_envs = 0;

	*err = NULL;
	for (size_t s = 0; s < c->n_steps; s++)
		if (takes_tolerance(&c->steps[s]) && step_runs_in(&c->steps[s], &c->envs[env]))
			only[n_only++] = c->steps[s].id;
	envs[n_envs++] = c->envs[env].name;
	for (size_t e = 0; e < c->n_envs; e++)
		if (c->envs[e].replica_of == (int)env)
			envs[n_envs++] = c->envs[e].name;
	if (!n_only) {
		*err = xasprintf("no step of '%s' that runs in '%s' takes a tolerance: calibrate "
				 "measures inference and preprocess steps", c->path, c->envs[env].name);
		goto out;
	}
	for (int run = 0; run < o->runs; run++)
		if (one_run(c, env, run, only, envs, o, first, obs, err) < 0)
			goto out;
	out = json_object();
	for (size_t s = 0; s < c->n_steps; s++) {
		if (!first[s])
			continue;
		if (obs[s].error) {
			*err = xasprintf("step '%s': %s", c->steps[s].id, obs[s].error);
			json_decref(out);
			out = NULL;
			goto out;
		}
		json_object_set_new(out, c->steps[s].id, proposal_of(&obs[s], o, n_envs - 1));
	}
out:
	for (size_t s = 0; s < c->n_steps; s++) {
		json_decref(first[s]);
		free(obs[s].error);
	}
	free(obs);
	free(first);
	free(envs);
	free(only);
	return out;
}

/* "{max_abs_diff: 4.2e-06, mean_abs_diff: 1.2e-06}" from a metrics object. */
static void put_flow(struct buf *b, const json_t *m)
{
	static const char *const keys[] = {"max_abs_diff", "mean_abs_diff", "argmax_agreement"};
	bool first = true;
	buf_putc(b, '{');
	for (int k = 0; k < 3; k++) {
		const json_t *v = json_object_get(m, keys[k]);
		if (!v)
			continue;
		buf_printf(b, "%s%s: %.*g", first ? "" : ", ", keys[k], k == 2 ? 6 : 2,
			   json_number_value(v));
		first = false;
	}
	buf_putc(b, '}');
}

char *calibrate_yaml(const struct contract *c, size_t env, const struct calibrate_opts *o,
		     const json_t *proposal)
{
	struct buf b, exact;
	buf_init(&b);
	buf_init(&exact);
	buf_printf(&b, "# parity calibrate: %d runs of '%s'", o->runs, c->envs[env].name);
	for (size_t e = 0; e < c->n_envs; e++)
		if (c->envs[e].replica_of == (int)env)
			buf_printf(&b, ", beside its replica '%s'", c->envs[e].name);
	buf_printf(&b, "; margin %g; floors: max_abs_diff %g, mean_abs_diff %g.\n"
		   "# Paste each tolerance under its step, or write them into the lock file with -o\n"
		   "# (a step without 'tolerance' uses the lock file's).\n",
		   o->margin, CALIBRATE_FLOOR_MAX_ABS_DIFF, CALIBRATE_FLOOR_MEAN_ABS_DIFF);
	for (size_t s = 0; s < c->n_steps; s++) {
		const json_t *p = json_object_get(proposal, c->steps[s].id);
		if (!p)
			continue;
		bool same = json_is_true(json_object_get(p, "exact"));
		buf_printf(&b, "\n# step '%s': %s over %d comparisons: ", c->steps[s].id,
			   same ? "exactly reproducible (every value equal)" : "largest difference",
			   (int)json_integer_value(json_object_get(p, "comparisons")));
		put_flow(&b, json_object_get(p, "observed"));
		buf_printf(&b, "\n%s:\n  tolerance: ", c->steps[s].id);
		put_flow(&b, json_object_get(p, "tolerance"));
		buf_putc(&b, '\n');
		if (same)
			buf_printf(&exact, "%s'%s'", exact.len ? ", " : "", c->steps[s].id);
	}
	if (exact.len)
		buf_printf(&b, "\n# exactly reproducible: %s\n", exact.data);
	else
		buf_puts(&b, "\n# no step was exactly reproducible\n");
	buf_release(&exact);
	char *r = buf_detach(&b);
	buf_release(&b);
	return r;
}

json_t *calibrate_pins(const json_t *proposal, const json_t *old)
{
	static const char *const keys[] = {"max_abs_diff", "mean_abs_diff", "argmax_agreement"};
	json_t *all = old ? json_deep_copy(old) : json_object();
	const char *id;
	json_t *p;
	json_object_foreach((json_t *)(uintptr_t)proposal, id, p) {
		json_t *pins = json_object_get(all, id);
		if (!pins) {
			pins = json_object();
			json_object_set_new(all, id, pins);
		}
		for (int k = 0; k < 3; k++) {
			char *name = xasprintf("tolerance.%s", keys[k]);
			const json_t *v = json_object_get(json_object_get(p, "tolerance"), keys[k]);
			json_object_del(pins, name);
			if (v) {
				char text[32];
				snprintf(text, sizeof text, "%.*g", k == 2 ? 6 : 2, json_number_value(v));
				json_object_set_new(pins, name, json_string(text));
			}
			free(name);
		}
	}
	return all;
}
