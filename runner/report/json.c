/* json: the whole result model as one JSON document, for machines and for
 * sign-off records. schemas/report.schema.json describes it; keys are
 * written in a fixed order so that two runs diff cleanly. */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>

/* A JSON string of s (invalid UTF-8 repaired), or null for NULL. */
static json_t *jstr(const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	v = json_string(s);
	if (!v) {
		char *fixed = report_utf8(s);
		v = json_string(fixed);
		free(fixed);
	}
	return v;
}

/* The same for a field the schema requires to be a string. */
static json_t *jreq(const char *s)
{
	return jstr(s ? s : "");
}

/* A duration in seconds: never negative, never NaN (not JSON). */
static json_t *jnum(double d)
{
	return json_real(isfinite(d) && d > 0 ? d : 0.0);
}

static void set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

static json_t *contract_doc(const struct run_result *r)
{
	json_t *c = json_object();

	set(c, "name", jreq(r->contract_name));
	set(c, "path", jreq(r->contract_path));
	set(c, "sha256", jreq(r->contract_sha256));
	if (r->description)
		set(c, "description", jstr(r->description));
	return c;
}

static json_t *environments_doc(const struct run_result *r)
{
	json_t *envs = json_object();

	for (size_t i = 0; i < r->n_envs; i++) {
		const struct env_result *e = &r->envs[i];
		json_t *env = json_object();
		set(env, "source", jreq(e->source ? e->source : "live"));
		if (e->facts_path)
			set(env, "facts", jstr(e->facts_path));
		set(env, "baseline", json_boolean(e->baseline));
		if (e->replica_of)
			set(env, "replica_of", jstr(e->replica_of));
		set(env, "host", json_is_object(e->host) ? json_incref(e->host) : json_object());
		char *name = report_utf8(e->name ? e->name : "");
		set(envs, name, env);
		free(name);
	}
	return envs;
}

static json_t *summary_doc(const struct run_result *r)
{
	const struct summary *m = &r->summary;
	json_t *s = json_object();
	json_t *checks = json_object();

	set(s, "passed", json_integer(m->passed));
	set(s, "failed", json_integer(m->failed));
	set(s, "errors", json_integer(m->errors));
	set(s, "skipped", json_integer(m->skipped));
	set(s, "waived", json_integer(m->waived));
	set(s, "warnings", json_integer(m->warnings));
	set(checks, "passed", json_integer(m->c_passed));
	set(checks, "failed", json_integer(m->c_failed));
	set(checks, "errors", json_integer(m->c_errors));
	set(checks, "skipped", json_integer(m->c_skipped));
	set(checks, "waived", json_integer(m->c_waived));
	set(s, "checks", checks);
	set(s, "status", json_string(m->ok ? "pass" : "fail"));
	if (m->first_divergence >= 0 && (size_t)m->first_divergence < r->n_steps) {
		const struct step_result *st = &r->steps[m->first_divergence];
		json_t *fd = json_object();
		set(fd, "stage", jreq(st->stage));
		set(fd, "step", jreq(st->id));
		set(fd, "cause", json_string(m->cause == CAUSE_ERROR ? "error" : "divergence"));
		set(fd, "verdict", jreq(m->verdict));
		set(s, "first_divergence", fd);
	} else {
		set(s, "first_divergence", json_null());
	}
	return s;
}

static json_t *check_doc(const struct check *c)
{
	json_t *j = json_object();

	set(j, "name", jreq(c->name));
	set(j, "env", jstr(c->env));
	set(j, "status", json_string(status_name(c->status)));
	set(j, "warning", json_boolean(c->warning));
	set(j, "message", jreq(c->message));
	if (c->expected)
		set(j, "expected", jstr(c->expected));
	if (c->actual)
		set(j, "actual", jstr(c->actual));
	if (c->detail)
		set(j, "detail", jstr(c->detail));
	return j;
}

static json_t *step_doc(const struct step_result *s)
{
	json_t *j = json_object();
	json_t *checks = json_array();

	set(j, "id", jreq(s->id));
	set(j, "kind", jreq(s->kind));
	set(j, "stage", jreq(s->stage));
	if (s->description)
		set(j, "description", jstr(s->description));
	set(j, "severity", json_string(s->severity_warning ? "warning" : "error"));
	set(j, "status", json_string(status_name(s->status)));
	set(j, "warning", json_boolean(s->warning));
	set(j, "consequence", json_boolean(s->consequence));
	if (s->finding)
		set(j, "finding", jstr(s->finding));
	if (s->waiver) {
		json_t *w = json_object();
		set(w, "reason", jstr(s->waiver));
		set(w, "until", jstr(s->waiver_until));
		set(w, "expired", json_boolean(s->waiver_expired));
		set(j, "waiver", w);
	}
	set(j, "seconds", jnum(s->seconds));
	for (size_t k = 0; k < s->n_checks; k++)
		json_array_append_new(checks, check_doc(&s->checks[k]));
	set(j, "checks", checks);
	set(j, "metrics", json_is_object(s->metrics) ? json_incref(s->metrics) : json_object());
	return j;
}

json_t *report_json_doc(const struct run_result *r)
{
	json_t *doc = json_object();
	json_t *runner = json_object();
	json_t *steps = json_array();

	set(doc, "parity", json_integer(1));
	set(doc, "contract", contract_doc(r));
	set(runner, "version", jreq(r->runner_version));
	set(doc, "runner", runner);
	set(doc, "command", jreq(r->command ? r->command : "run"));
	set(doc, "started_at", jreq(r->started_at));
	set(doc, "duration_s", jnum(r->duration_s));
	set(doc, "baseline", jreq(r->baseline));
	set(doc, "environments", environments_doc(r));
	set(doc, "summary", summary_doc(r));
	for (size_t i = 0; i < r->n_steps; i++)
		json_array_append_new(steps, step_doc(&r->steps[i]));
	set(doc, "steps", steps);
	return doc;
}

int report_json(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	json_t *doc = report_json_doc(r);
	int rc = 0;

	(void)o;
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF)
		rc = -1;
	if (ferror(f))
		rc = -1;
	json_decref(doc);
	return rc;
}
