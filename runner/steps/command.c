/* command: run a command in each environment and check its exit status,
 * its output (matchers) and a value captured from stdout with a PCRE2
 * pattern; the captured value (or stdout) compares across environments. */
#include "model/matcher.h"
#include "load/check.h"
#include "steps/step.h"
#include "transport/exec.h"
#include "util/regex.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	STEP_KEYS_RUN_SHELL,
	{"stdin", false,
	 "{\"type\":\"string\"}",
	 "Local file sent to the command's stdin."},
	{"exit", false,
	 "{\"type\":\"integer\",\"minimum\":0,\"maximum\":255,\"default\":0}",
	 "Expected exit status."},
	{"stdout", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Matcher on the standard output."},
	{"stderr", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Matcher on the standard error."},
	{"capture", false,
	 "{\"type\":\"string\"}",
	 "PCRE2 with one group, or a group named `value`, applied to stdout: "
	 "the captured text becomes the fact compared by expect and same."},
	{"expect", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Pinned expectation on the captured value; without capture, on stdout "
	 "less its final newline."},
	{"same", false,
	 "{\"type\":\"boolean\"}",
	 "The captured value (with capture) or the whole stdout (without) "
	 "must equal the baseline environment's. Default: true with capture, "
	 "false without."},
	{NULL, false, NULL, NULL},
};

#define SHOWN_MAX 4000          /* output kept in a check's actual value */

struct command {
	char **run;             /* raw argv, expanded per environment */
	char *shell;
	char *stdin_path;       /* raw; a local file relative to the contract's folder */
	long exit;
	struct matcher *out, *err, *expect;
	struct regex *capture;
	bool same;
};

/* The matcher at key, NULL when absent (or after reporting); in the arena. */
static struct matcher *matcher_at(const struct parse_ctx *p, const struct node *map,
				  const char *key)
{
	const struct node *n = node_get(map, key);
	return n ? kit_matcher(p, n) : NULL;
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct command *c = kit_new(p, sizeof *c);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = c;

	if (parse_run(p, b, true, &c->run, &c->shell) < 0)
		return -1;
	kit_string(p, b, "stdin", &c->stdin_path);
	if (get_long(p->d, b, "exit", &c->exit) == 0 && (c->exit < 0 || c->exit > 255))
		diag_at(p->d, &node_get(b, "exit")->mark, "'exit' must be an exit status from 0 to "
			"255, got %ld", c->exit);
	c->out = matcher_at(p, b, "stdout");
	c->err = matcher_at(p, b, "stderr");
	c->expect = matcher_at(p, b, "expect");
	n = node_get(b, "capture");
	if (n && (n->type != NODE_SCALAR || node_is_null(n)))
		diag_at(p->d, &n->mark, "'capture' must be a regular expression, got %s",
			node_type_name(n));
	else if (n)
		c->capture = compile_pattern(n, p, "capture");
	c->same = c->capture != NULL;
	get_bool(p->d, b, "same", &c->same);
	return p->d->errors == errors ? 0 : -1;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct command *c = g->step->data;
	struct proc_result r;

	if (gather_exec(g, c->run, c->shell, c->stdin_path, NULL, 0, &r, err) < 0)
		return -1;
	json_t *f = json_object();
	json_object_set_new(f, "exit", r.exited ? json_integer(r.status) : json_null());
	json_object_set_new(f, "signal", r.signal ? json_integer(r.signal) : json_null());
	json_object_set_new(f, "stdout", json_stringn(r.out.data, r.out.len));
	json_object_set_new(f, "stderr", json_stringn(r.err.data, r.err.len));
	json_object_set_new(f, "stdout_truncated", json_boolean(r.out_truncated));
	json_object_set_new(f, "stderr_truncated", json_boolean(r.err_truncated));
	if (c->capture) {
		char *cap = NULL, *why = NULL;
		int m = regex_match(c->capture, r.out.data, r.out.len, &cap, &why);
		if (m < 0) {
			/* the pattern could not be run (PCRE2's match limit): not a failed check */
			*err = xasprintf("the capture pattern could not be matched: %s", why);
			free(why);
			json_decref(f);
			proc_result_release(&r);
			return -1;
		}
		if (m > 0)
			json_object_set_new(f, "value", json_string(cap));
		else
			json_object_set_new(f, "capture_error",
					    json_string("the capture pattern did not match stdout"));
		free(cap);
		free(why);
	}
	*value = f;
	proc_result_release(&r);
	return 0;
}

static char *shorten(const char *s)
{
	size_t n = strlen(s);
	if (n <= SHOWN_MAX)
		return xstrdup(s);
	return xasprintf("%.*s… (%zu bytes in all)", SHOWN_MAX, s, n);
}

/* A stream as matchers see it: like $(...) in the shell, the final newline
 * is not part of the text; shortened for the report. Owned by the caller. */
static char *stream_text(const json_t *v, const char *key)
{
	const char *s = fact_str(v, key) ? fact_str(v, key) : "";
	size_t n = strlen(s);
	char *trimmed = xstrndup(s, n && s[n - 1] == '\n' ? n - 1 : n);
	char *out = shorten(trimmed);
	free(trimmed);
	return out;
}

static void check_stream(struct step_result *r, const char *env, const char *what,
			 const struct matcher *m, const json_t *v, const char *key)
{
	if (!m)
		return;
	char *out = stream_text(v, key);
	eval_pin(r, env, what, m, NULL, out);
	free(out);
}

/* The exit status against 'exit'; on a mismatch, stderr goes in the detail. */
static void check_exit(struct step_result *r, const char *env, const struct command *c,
		       const json_t *v)
{
	const json_t *ex = json_object_get(v, "exit");
	char want[24], got[32];
	snprintf(want, sizeof want, "%ld", c->exit);
	if (json_is_integer(ex))
		snprintf(got, sizeof got, "%lld", (long long)json_integer_value(ex));
	else
		snprintf(got, sizeof got, "signal %lld",
			 (long long)json_integer_value(json_object_get(v, "signal")));
	if (json_is_integer(ex) && json_integer_value(ex) == c->exit) {
		eval_check(r, env, ST_PASS, "exit status", want, got, "exit status as expected");
		return;
	}
	struct check *k = eval_check(r, env, ST_FAIL, "exit status", want, got,
				     "exit status %s, expected %ld", got, c->exit);
	const char *errout = fact_str(v, "stderr");
	if (errout && *errout) {
		char *tail = shorten(errout);
		char *d = xasprintf("stderr:\n%s", tail);
		result_check_detail(k, d);
		free(d);
		free(tail);
	}
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct command *c = e->step->data;
	const char *lock_pin = fact_str(e->lock, "value");

	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		const json_t *v = eval_value(e, i);
		const char *val = fact_str(v, "value"), *cap_err = fact_str(v, "capture_error");
		check_exit(r, env, c, v);
		check_stream(r, env, "stdout", c->out, v, "stdout");
		check_stream(r, env, "stderr", c->err, v, "stderr");
		/* only when something reads stdout: an exit-status check does not care */
		if ((c->out || c->expect || c->capture || c->same) &&
		    json_is_true(json_object_get(v, "stdout_truncated")))
			eval_check(r, env, ST_FAIL, "stdout size", NULL, NULL, "stdout was truncated "
				   "at the capture cap: matchers saw only its beginning");
		if (!c->capture) {
			/* without capture, expect applies to stdout less its final newline */
			check_stream(r, env, "output", c->expect, v, "stdout");
		} else if (!val) {
			char *out = shorten(fact_str(v, "stdout") ? fact_str(v, "stdout") : "");
			/* no capture_error only in a hand-edited facts file */
			eval_check(r, env, ST_FAIL, "capture", regex_pattern(c->capture), out, "%s",
				   cap_err ? cap_err : "");
			free(out);
		} else {
			eval_pin(r, env, "value", c->expect, lock_pin, val);
		}
	}
	if (c->same)
		eval_same(e, r, c->capture ? "value" : "stdout", c->capture ? "value" : "stdout");
}

static json_t *lock(const struct step *s, const json_t *value)
{
	(void)s;
	const char *v = fact_str(value, "value");
	return v ? json_pack("{s:s}", "value", v) : NULL;
}

const struct step_kind command_kind = {
	.name = "command",
	.summary = "Run a command in each environment and check its status and output "
		   "(stage environment).",
	.default_stage = STAGE_ENVIRONMENT,
	.keys = kind_keys,
	.schema_extra = "{\"oneOf\":[{\"required\":[\"run\"]},{\"required\":[\"shell\"]}]}",
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
