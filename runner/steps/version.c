/* version: one version string per environment, from a Python distribution
 * (importlib.metadata), a Debian package (dpkg-query), a file or a command,
 * checked with matchers ({version: ...} under PEP 440, or Debian rules for
 * dpkg) and compared across environments. Not installed is a failure. */
#include "model/matcher.h"
#include "load/check.h"
#include "steps/step.h"
#include "util/regex.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	STEP_KEYS_RUN_SHELL,
	{"python", false,
	 "{\"type\":\"string\"}",
	 "Python distribution name: its version through importlib.metadata, "
	 "asked of `interpreter`."},
	{"dpkg", false,
	 "{\"type\":\"string\"}",
	 "Debian package name: its installed version from dpkg-query "
	 "(compared by Debian's rules)."},
	{"file", false,
	 "{\"type\":\"string\"}",
	 "File holding the version, read in the environment (relative to its "
	 "dir); requires capture."},
	{"interpreter", false,
	 "{\"anyOf\":[{\"type\":\"string\",\"description\":\"One program,"
	 " never split at spaces: python3, /opt/venv/bin/python.\"},{"
	 "\"$ref\":\"#/definitions/argv\","
	 "\"description\":\"A program with options: [python3, -S], [conda, run,"
	 " -n, serve, python].\"}],\"default\":\"python3\"}",
	 "Python asked for `python:`: a program name or path, or an argv "
	 "list. Default python3."},
	{"capture", false,
	 "{\"type\":\"string\"}",
	 "PCRE2 with one group, or a group named `value`, that picks the "
	 "version out of the file's or the command's output (file, run, shell "
	 "only)."},
	{"expect", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Pinned expectation: usually {version: \">=1.26,<1.27\"}; a scalar is "
	 "an exact string match."},
	{"same", false,
	 "{\"type\":\"boolean\",\"default\":true}",
	 "The version must be the same string as the baseline's."},
	{NULL, false, NULL, NULL},
};

enum vsource { SRC_COMMAND, SRC_PYTHON, SRC_DPKG, SRC_FILE };

static const char *const source_names[] = {"command", "python", "dpkg", "file"};

struct version {
	enum vsource source;
	char *name;             /* distribution, package or file (raw) */
	char **run;             /* command argv (raw) */
	char *shell;
	char **interpreter;
	struct regex *capture;
	struct matcher *expect;
	bool same;
};

/* Prints the distribution's version; exit 3 when it is not installed. */
static const char python_script[] =
	"import sys\n"
	"from importlib import metadata\n"
	"try:\n"
	"    print(metadata.version(sys.argv[1]))\n"
	"except metadata.PackageNotFoundError:\n"
	"    sys.exit(3)\n";

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct version *v = kit_new(p, sizeof *v);
	const struct node *b = s->body, *n;
	static const char *const sources[] = {"run", "shell", "python", "dpkg", "file", NULL};
	const char *found = NULL;
	int errors = p->d->errors;
	s->data = v;
	v->same = true;

	for (int i = 0; sources[i]; i++) {
		n = node_get(b, sources[i]);
		if (!n)
			continue;
		if (found) {
			diag_at(p->d, &n->mark, "%s has both '%s' and '%s': give one source of the version",
				p->where, found, sources[i]);
			return -1;
		}
		found = sources[i];
	}
	if (!found) {
		diag_at(p->d, &b->mark, "%s needs a source: 'python: DIST', 'dpkg: PACKAGE', "
			"'file: PATH' with 'capture', or 'run'/'shell'", p->where);
		return -1;
	}
	if (node_get(b, "run") || node_get(b, "shell")) {
		v->source = SRC_COMMAND;
		if (parse_run(p, b, true, &v->run, &v->shell) < 0)
			return -1;
	} else if (node_get(b, "python")) {
		v->source = SRC_PYTHON;
		kit_string(p, b, "python", &v->name);
	} else if (node_get(b, "dpkg")) {
		v->source = SRC_DPKG;
		kit_string(p, b, "dpkg", &v->name);
	} else {
		v->source = SRC_FILE;
		kit_string(p, b, "file", &v->name);
		if (!node_get(b, "capture"))
			diag_at(p->d, &b->mark, "%s reads a file: add 'capture', a pattern whose group "
				"is the version, like \"VERSION=(\\\\S+)\"", p->where);
	}
	if (node_get(b, "interpreter") && v->source != SRC_PYTHON)
		diag_at(p->d, &node_get(b, "interpreter")->mark, "'interpreter' goes with 'python:'");
	if (v->source == SRC_PYTHON)
		parse_interpreter(p, b, &v->interpreter);
	n = node_get(b, "capture");
	if (n && (v->source == SRC_PYTHON || v->source == SRC_DPKG))
		diag_at(p->d, &n->mark, "'capture' goes with 'file', 'run' or 'shell'");
	else if (n && (n->type != NODE_SCALAR || node_is_null(n)))
		diag_at(p->d, &n->mark, "'capture' must be a regular expression, got %s",
			node_type_name(n));
	else if (n)
		v->capture = compile_pattern(n, p, "capture");
	n = node_get(b, "expect");
	if (n)
		v->expect = kit_matcher(p, n);
	get_bool(p->d, b, "same", &v->same);
	return p->d->errors == errors ? 0 : -1;
}

/* The version from a command's stdout: the capture, or the trimmed output. */
static int take_version(const struct version *v, json_t *f, const char *out, char **err)
{
	char *val = NULL, *why = NULL;
	if (v->capture) {
		int m = regex_match(v->capture, out, strlen(out), &val, &why);
		if (m <= 0) {
			*err = m < 0 ? why : xasprintf("the capture pattern /%s/ did not match: '%.200s'",
						       regex_pattern(v->capture), out);
			if (m < 0)
				why = NULL;
			free(why);
			return -1;
		}
	} else {
		size_t a = strspn(out, " \t\r\n"), n = strlen(out + a);
		while (n && strchr(" \t\r\n", out[a + n - 1]))
			n--;
		val = xstrndup(out + a, n);
	}
	json_object_set_new(f, "installed", json_true());
	json_object_set_new(f, "version", json_string(val));
	free(val);
	return 0;
}

/* dpkg-query's answer for a package that is not installed: unknown (exit 1,
 * "no packages found"), or known but removed (status other than "ii"). */
static bool dpkg_absent(const struct proc_result *r)
{
	if (!r->exited)
		return false;
	if (r->status == 1)
		return strstr(r->err.data, "no packages found") != NULL;
	return r->status == 0 && strncmp(r->out.data, "ii", 2) != 0;
}

/* The argv of a python, dpkg or file source, its name left raw (gather_run
 * expands it, once); NULL for a command. Owned by the caller, not its strings. */
static char **source_argv(const struct version *v)
{
	char **argv = NULL;
	size_t n = 0;
	switch (v->source) {
	case SRC_PYTHON:
		while (v->interpreter[n])
			n++;
		argv = xcalloc(n + 4, sizeof *argv);
		for (size_t i = 0; i < n; i++)
			argv[i] = v->interpreter[i];
		argv[n] = "-c";
		argv[n + 1] = (char *)(uintptr_t)python_script;
		argv[n + 2] = v->name;
		break;
	case SRC_DPKG:
		argv = xcalloc(5, sizeof *argv);
		argv[0] = "dpkg-query";
		argv[1] = "-W";
		argv[2] = "-f=$${db:Status-Abbrev}\t$${Version}\n"; /* $${: literal after expansion */
		argv[3] = v->name;
		break;
	case SRC_FILE:
		argv = xcalloc(3, sizeof *argv);
		argv[0] = "cat";
		argv[1] = v->name;
		break;
	case SRC_COMMAND:
		break;
	}
	return argv;
}

/* Why the version is not there, by its source's signs (name expanded), or
 * NULL. Owned by the caller. */
static char *absent_reason(const struct version *v, const struct proc_result *r, const char *name)
{
	if (v->source == SRC_PYTHON && r->exited && r->status == 3)
		return xasprintf("Python distribution '%s' is not installed", name);
	if (v->source == SRC_DPKG && dpkg_absent(r))
		return xasprintf("Debian package '%s' is not installed", name);
	if (v->source == SRC_FILE && r->exited && r->status != 0)
		return xasprintf("cannot read '%s': %.200s", name, r->err.data);
	return NULL;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct version *v = g->step->data;
	struct proc_result r;
	char *name = v->name ? gather_expand(g, v->name, err) : NULL;
	char *why = NULL, **argv = source_argv(v);
	json_t *f = NULL;
	int rc = -1;

	if (v->name && !name)
		goto out;
	if (gather_run(g, argv ? argv : v->run, argv ? NULL : v->shell, &r, err) < 0)
		goto out;
	f = json_pack("{s:s}", "source", source_names[v->source]);
	if (name)
		json_object_set_new(f, "name", json_string(name));
	why = absent_reason(v, &r, name);
	if (why) {
		json_object_set_new(f, "installed", json_false());
		json_object_set_new(f, "reason", json_string(why));
		rc = 0;
	} else if (!r.exited || r.status != 0) {
		*err = xasprintf("%s %d: %.300s", r.exited ? "exit status" : "signal",
				 r.exited ? r.status : r.signal, r.err.data);
	} else if (v->source == SRC_DPKG) {
		/* the first line: multi-arch packages print one line per architecture */
		const char *tab = strchr(r.out.data, '\t');
		char *line = xstrndup(tab ? tab + 1 : "", strcspn(tab ? tab + 1 : "", "\n"));
		rc = take_version(v, f, line, err);
		free(line);
	} else {
		rc = take_version(v, f, r.out.data, err);
	}
	proc_result_release(&r);
	if (rc == 0) {
		*value = f;
		f = NULL;
	}
out:
	json_decref(f);
	free(why);
	free(argv);
	free(name);
	return rc;
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct version *v = e->step->data;
	const char *lock_pin = fact_str(e->lock, "version");
	enum version_scheme scheme = v->source == SRC_DPKG ? SCHEME_DEBIAN : SCHEME_PEP440;

	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		const json_t *f = eval_value(e, i);
		const char *ver = fact_str(f, "version"), *why = fact_str(f, "reason");
		if (!json_is_true(json_object_get(f, "installed")))
			eval_check(r, env, ST_FAIL, "installed", "installed", "not installed", "%s",
				   why ? why : "");
		else if (v->expect || lock_pin)
			eval_pin_scheme(r, env, "version", v->expect, lock_pin, ver, scheme);
		else
			eval_check(r, env, ST_PASS, "version", NULL, ver,
				   "version recorded (nothing pinned)");
	}
	if (v->same)
		eval_same(e, r, "version", "version");
}

static json_t *lock(const struct step *s, const json_t *value)
{
	(void)s;
	const char *v = fact_str(value, "version");
	return v ? json_pack("{s:s}", "version", v) : NULL;
}

const struct step_kind version_kind = {
	.name = "version",
	.summary = "Read a version and check it (stage environment): from a command, or "
		   "a shorthand python, dpkg or file.",
	.default_stage = STAGE_ENVIRONMENT,
	.keys = kind_keys,
	.schema_extra = "{\"oneOf\":[{\"required\":[\"run\"]},{\"required\":[\"shell\"]},{"
			"\"required\":[\"python\"]},{\"required\":[\"dpkg\"]},{\"required\":["
			"\"file\"]}],\"allOf\":[{\"if\":{\"required\":[\"file\"]},\"then\":{"
			"\"required\":[\"capture\"]}},{\"if\":{\"required\":[\"interpreter\"]},"
			"\"then\":{\"required\":[\"python\"]}},{\"if\":{\"required\":[\"capture\"]},"
			"\"then\":{\"not\":{\"anyOf\":[{\"required\":[\"python\"]},{\"required\":["
			"\"dpkg\"]}]}}}]}",
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
