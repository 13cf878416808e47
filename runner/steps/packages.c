/* packages: every distribution an interpreter sees (importlib.metadata, not
 * pip freeze) or every installed Debian package, checked against pins (in
 * the contract or a pip-freeze lockfile) and compared across environments.
 * Names compare in PEP 503 normalized form; each mismatch is one check. */
#include "model/matcher.h"
#include "load/check.h"
#include "steps/step.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	{"from", true,
	 "{\"type\":\"string\",\"enum\":[\"pip\",\"dpkg\"]}",
	 "Package manager to list."},
	{"interpreter", false,
	 "{\"anyOf\":[{\"type\":\"string\",\"description\":\"One program,"
	 " never split at spaces: python3, /opt/venv/bin/python.\"},{"
	 "\"$ref\":\"#/definitions/argv\","
	 "\"description\":\"A program with options: [python3, -S], [conda, run,"
	 " -n, serve, python].\"}],\"default\":\"python3\"}",
	 "Python whose distributions are listed, with `from: pip`: a program "
	 "name or path, or an argv list. Default python3."},
	{"pins", false,
	 "{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":[{"
	 "\"description\":\"A version (==version) or a specifier.\",\"type\":["
	 "\"string\",\"number\"]},{\"$ref\":\"#/definitions/matcher\"}]}}",
	 "Pinned packages, by name (PEP 503 normalized with from: pip). A "
	 "scalar is a version and means ==version (\"1.26.4\"), or a specifier "
	 "when it starts with an operator (\">=1.26,<1.27\"); any other matcher "
	 "works too."},
	{"lockfile", false,
	 "{\"type\":\"string\"}",
	 "Requirements file in pip freeze format (name==version lines; "
	 "comments, --hash options and continuation lines ignored; markers "
	 "ignored with a note), relative to the contract's folder. Not with "
	 "pins."},
	{"same", false,
	 "{\"type\":\"string\",\"enum\":[\"all\",\"pinned\",\"none\"],"
	 "\"default\":\"pinned\"}",
	 "Which packages must be equal across environments: all, only the "
	 "pinned ones, or none."},
	{NULL, false, NULL, NULL},
};

enum same_mode { SAME_PINNED, SAME_ALL, SAME_NONE };

struct pin {
	char *name;             /* normalized (pip) or as written (dpkg) */
	char *shown;            /* as written */
	struct matcher *m;
};

struct packages {
	bool dpkg;
	char **interpreter;
	struct pin *pins;       /* room made first: the map's entries or the lockfile's lines */
	size_t n_pins;
	enum same_mode same;
};

/* {"normalized name": ["Name", "version"]} of every distribution on sys.path */
static const char pip_script[] =
	"import json, re, sys\n"
	"from importlib import metadata\n"
	"seen = {}\n"
	"for d in metadata.distributions():\n"
	"    name = d.metadata['Name'] or ''\n"
	"    key = re.sub(r'[-_.]+', '-', name).lower()\n"
	"    if key and key not in seen:\n"
	"        seen[key] = [name, d.version]\n"
	"json.dump(seen, sys.stdout)\n";

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Room for n pins, in the arena. */
static void reserve_pins(struct packages *pk, const struct parse_ctx *p, size_t n)
{
	pk->pins = kit_new(p, n * sizeof *pk->pins);
}

/* m is the arena's already; the pin's names go there too. */
static void add_pin(struct packages *pk, const struct parse_ctx *p, const char *name,
		    struct matcher *m)
{
	struct pin *pin = &pk->pins[pk->n_pins++];
	pin->name = pk->dpkg ? arena_strdup(p->arena, name) : kit_adopt(p, pep503_name(name), free);
	pin->shown = arena_strdup(p->arena, name);
	pin->m = m;
}

/* A scalar pin is a specifier (">=1.26") or a version, which then means
 * "==version" (so 1.2 pins 1.2.0 too); other forms are matchers. The
 * matcher (owned by the arena), or NULL after reporting. */
static struct matcher *parse_pin(const struct node *n, const struct parse_ctx *p)
{
	if (n->type != NODE_SCALAR || node_is_null(n) || interp_has_refs(n->str))
		return kit_matcher(p, n);
	char *err = NULL;
	bool op = strchr("=!<>~", n->str[0]) != NULL;
	char *spec = op ? xstrdup(n->str) : xasprintf("==%s", n->str);
	struct matcher *m = matcher_version(spec, &err);
	free(spec);
	if (!m && !op) {
		free(err);
		return kit_matcher(p, n);
	}
	if (!m) {
		diag_at(p->d, &n->mark, "%s", err);
		free(err);
	}
	return kit_own_matcher(p, m);
}

/* pip freeze format: "name==version", comments, --hash options, markers.
 * Problems are reported at the lockfile's own line: a pin that cannot be
 * read is an error (a pin silently dropped would go unchecked). */
static void read_lockfile(struct packages *pk, const struct parse_ctx *p, const struct node *at)
{
	char *raw = interp_node(&p->pin_ctx, at, p->d);
	if (!raw)
		return;
	struct node_doc doc;        /* only for its source: marks and quoted lines */
	char *path = contract_path(p->c, raw);
	int lineno = 0, markers = 0;
	free(raw);
	if (node_load_text(&doc, path, &at->mark, p->d) < 0) {
		free(path);
		return;
	}
	size_t lines = 1;
	for (const char *c = doc.src.text; *c; c++)
		lines += *c == '\n';
	reserve_pins(pk, p, lines);
	for (char *line = doc.src.text; line && *line; ) {
		char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);
		char *s = xstrndup(line, len), *text = s;
		struct mark m = {&doc.src, ++lineno, 1};
		line = next ? next + 1 : NULL;
		s[strcspn(s, "\r")] = '\0';
		char *hash = strstr(s, " #");
		if (s[0] == '#' || hash == s)
			goto next_line;
		if (hash)
			*hash = '\0';
		char *opt = strstr(s, " --");
		if (opt)
			*opt = '\0';
		char *semi = strchr(s, ';');
		if (semi) {
			*semi = '\0';
			markers++;
		}
		size_t n = strlen(s);
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\\'))
			s[--n] = '\0';
		s += strspn(s, " \t");
		if (!strncmp(s, "-r", 2) || !strncmp(s, "-c", 2))
			diag_warn_at(p->d, &m, "'%s' is not followed: pin those packages in this file", s);
		if (!*s || s[0] == '-')
			goto next_line;     /* blank, a continuation's option, -r/-e/--index-url */
		char *eq = strstr(s, "==");
		if (!eq || eq == s) {
			diag_warn_at(p->d, &m, "not a 'name==version' pin, ignored: '%s'", s);
			goto next_line;
		}
		*eq = '\0';
		char *name = s, *ver = eq + 2;
		name[strcspn(name, " [")] = '\0';   /* extras: name[extra]==1.0 */
		ver += strspn(ver, " ");
		char *err = NULL, *spec = xasprintf("==%s", ver);
		struct matcher *mt = matcher_version(spec, &err);
		if (!mt) {
			diag_at(p->d, &m, "%s: fix the pin in the lockfile", err);
			free(err);
		} else {
			add_pin(pk, p, name, kit_own_matcher(p, mt));
		}
		free(spec);
next_line:
		free(text);
	}
	if (markers)
		diag_warn_at(p->d, NULL, "%s: %d environment marker%s ignored (pins apply in every "
			     "environment)", path, markers, markers == 1 ? "" : "s");
	node_doc_release(&doc);
	free(path);
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct packages *pk = kit_new(p, sizeof *pk);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = pk;

	n = node_get(b, "from");
	if (!n) {
		diag_at(p->d, &b->mark, "%s needs 'from: pip' or 'from: dpkg'", p->where);
		return -1;
	}
	if (n->type == NODE_SCALAR && !strcmp(n->str, "dpkg"))
		pk->dpkg = true;
	else if (!(n->type == NODE_SCALAR && !strcmp(n->str, "pip")))
		diag_at(p->d, &n->mark, "'from' must be 'pip' or 'dpkg', got '%s'",
			n->type == NODE_SCALAR ? n->str : node_type_name(n));
	if (node_get(b, "interpreter") && pk->dpkg)
		diag_at(p->d, &node_get(b, "interpreter")->mark, "'interpreter' goes with 'from: pip'");
	if (!pk->dpkg)
		parse_interpreter(p, b, &pk->interpreter);
	n = node_get(b, "pins");
	if (n && node_get(b, "lockfile"))
		diag_at(p->d, &node_get(b, "lockfile")->mark, "%s has both 'pins' and 'lockfile': "
			"give one", p->where);
	else if (n && check_map(p->d, n, "pins") == 0) {
		reserve_pins(pk, p, node_map_len(n));
		for (size_t i = 0; i < node_map_len(n); i++) {
			struct matcher *m = parse_pin(node_map_value(n, i), p);
			if (m)
				add_pin(pk, p, node_map_key(n, i)->str, m);
		}
	}
	const struct node *lf = node_get(b, "lockfile");
	if (lf && lf->type != NODE_SCALAR)
		diag_at(p->d, &lf->mark, "'lockfile' must be a file path, got %s", node_type_name(lf));
	else if (lf && !n)
		read_lockfile(pk, p, lf);
	n = node_get(b, "same");
	if (n) {
		static const char *const modes[] = {"pinned", "all", "none", NULL};
		int k = -1;
		for (int i = 0; n->type == NODE_SCALAR && modes[i]; i++)
			if (!strcmp(n->str, modes[i]))
				k = i;
		if (k < 0)
			diag_at(p->d, &n->mark, "'same' must be all, pinned or none, got '%s'",
				n->type == NODE_SCALAR ? n->str : node_type_name(n));
		else
			pk->same = k == 0 ? SAME_PINNED : k == 1 ? SAME_ALL : SAME_NONE;
	}
	return p->d->errors == errors ? 0 : -1;
}

/* dpkg-query lines "name\tversion\tstatus" of installed packages. */
static json_t *parse_dpkg(const char *out)
{
	json_t *all = json_object();
	const char *p = out;
	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		char *t1 = strchr(line, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t1 && t2 && !strncmp(t2 + 1, "ii", 2)) {
			*t1 = *t2 = '\0';
			char *arch = strchr(line, ':');   /* libc6:amd64 -> libc6 */
			if (arch)
				*arch = '\0';
			if (!json_object_get(all, line))
				json_object_set_new(all, line, json_pack("[ss]", line, t1 + 1));
		}
		free(line);
		p += len;
		if (*p)
			p++;
	}
	return all;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct packages *pk = g->step->data;
	struct proc_result r;
	char **argv;
	size_t n = 0;

	if (pk->dpkg) {
		argv = xcalloc(4, sizeof *argv);
		argv[0] = "dpkg-query";
		argv[1] = "-W";
		argv[2] = "-f=$${binary:Package}\t$${Version}\t$${db:Status-Abbrev}\n";
	} else {
		while (pk->interpreter[n])
			n++;
		argv = xcalloc(n + 3, sizeof *argv);
		for (size_t i = 0; i < n; i++)
			argv[i] = pk->interpreter[i];
		argv[n] = "-c";
		argv[n + 1] = (char *)(uintptr_t)pip_script;
	}
	int rc = gather_run(g, argv, NULL, &r, err);
	free(argv);
	if (rc < 0)
		return -1;
	rc = -1;
	if (!r.exited || r.status != 0) {
		*err = xasprintf("listing %s failed (%s %d): %.300s", pk->dpkg ? "Debian packages" :
				 "Python distributions", r.exited ? "exit status" : "signal",
				 r.exited ? r.status : r.signal, r.err.data);
		goto out;
	}
	json_t *all;
	if (pk->dpkg) {
		all = parse_dpkg(r.out.data);
	} else {
		json_error_t je;
		all = json_loads(r.out.data, 0, &je);
		if (!json_is_object(all)) {
			json_decref(all);
			*err = xasprintf("cannot read the interpreter's list of distributions: %s", je.text);
			goto out;
		}
	}
	*value = json_pack("{s:s, s:o}", "from", pk->dpkg ? "dpkg" : "pip", "packages", all);
	rc = 0;
out:
	proc_result_release(&r);
	return rc;
}

/* The version of normalized name in a fact, or NULL when absent. */
static const char *version_of(const json_t *fact, const char *name)
{
	json_t *e = json_object_get(json_object_get(fact, "packages"), name);
	return json_string_value(json_array_get(e, 1));
}

static bool is_pinned(const struct packages *pk, const char *name)
{
	for (size_t i = 0; i < pk->n_pins; i++)
		if (!strcmp(pk->pins[i].name, name))
			return true;
	return false;
}

/* A failed check when name's version differs from the baseline's; counts it
 * in *equal otherwise. */
static void same_check(const struct eval_ctx *e, struct step_result *r, size_t i,
		       const char *name, const char *shown, int *equal)
{
	const char *base_env = eval_env_name(e, (size_t)e->baseline), *env = eval_env_name(e, i);
	const char *a = version_of(eval_value(e, (size_t)e->baseline), name);
	const char *b = version_of(eval_value(e, i), name);
	if (a && b && !strcmp(a, b)) {
		(*equal)++;
		return;
	}
	char *label = xasprintf("same %s as %s", shown, base_env);
	const char *want = a ? a : "not installed", *got = b ? b : "not installed";
	if (!a && !b)
		eval_check(r, env, ST_FAIL, label, want, got, "%s is installed in neither %s nor %s",
			   shown, env, base_env);
	else if (!a)
		eval_check(r, env, ST_FAIL, label, want, got, "%s is installed in %s only (%s)",
			   shown, env, b);
	else if (!b)
		eval_check(r, env, ST_FAIL, label, want, got, "%s is installed in %s only (%s)",
			   shown, base_env, a);
	else
		eval_check(r, env, ST_FAIL, label, want, got, "%s %s in %s, %s in %s", shown, b, env,
			   a, base_env);
	free(label);
}

/* same_check for every name in either environment, in sorted order for
 * stable reports. */
static void same_all(const struct eval_ctx *e, struct step_result *r, size_t i, int *equal)
{
	json_t *names = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(eval_value(e, (size_t)e->baseline), "packages"), k, v)
		json_object_set(names, k, json_array_get(v, 0));
	json_object_foreach(json_object_get(eval_value(e, i), "packages"), k, v)
		if (!json_object_get(names, k))
			json_object_set(names, k, json_array_get(v, 0));
	const char **keys = xcalloc(json_object_size(names) + 1, sizeof *keys);
	size_t nk = 0;
	json_object_foreach(names, k, v)
		keys[nk++] = k;
	qsort(keys, nk, sizeof *keys, cmp_str);
	for (size_t j = 0; j < nk; j++)
		same_check(e, r, i, keys[j], json_string_value(json_object_get(names, keys[j])), equal);
	free(keys);
	json_decref(names);
}

/* The pins (the contract's, or the lock file's when it pins nothing) in
 * environment i. */
static void check_pins(const struct eval_ctx *e, const struct packages *pk, size_t i,
		       struct step_result *r)
{
	enum version_scheme scheme = pk->dpkg ? SCHEME_DEBIAN : SCHEME_PEP440;
	const json_t *lock_pins = pk->n_pins ? NULL : e->lock;
	const char *env = eval_env_name(e, i);
	const json_t *f = eval_value(e, i);

	for (size_t k = 0; k < pk->n_pins; k++) {
		const struct pin *pin = &pk->pins[k];
		const char *v = version_of(f, pin->name);
		if (v) {
			eval_pin_scheme(r, env, pin->shown, pin->m, NULL, v, scheme);
			continue;
		}
		char *want = matcher_describe(pin->m);
		eval_check(r, env, ST_FAIL, pin->shown, want, "not installed",
			   "%s is not installed in %s", pin->shown, env);
		free(want);
	}
	const char *name;
	json_t *lock_pin;
	json_object_foreach((json_t *)(uintptr_t)lock_pins, name, lock_pin) {
		const char *v = version_of(f, name);
		eval_pin_scheme(r, env, name, NULL, json_string_value(lock_pin),
				v ? v : "not installed", scheme);
	}
	if (!pk->n_pins && !lock_pins && pk->same == SAME_NONE)
		eval_check(r, env, ST_PASS, "packages", NULL, NULL,
			   "%zu packages listed (nothing pinned)",
			   json_object_size(json_object_get(f, "packages")));
}

/* Environment i against the baseline: a check per difference, or one that
 * says how many are equal. */
static void check_same(const struct eval_ctx *e, const struct packages *pk, size_t i,
		       struct step_result *r)
{
	const char *base_env = eval_env_name(e, (size_t)e->baseline);
	size_t before = r->n_checks;
	int equal = 0;

	if (pk->same == SAME_PINNED)
		for (size_t k = 0; k < pk->n_pins; k++)
			same_check(e, r, i, pk->pins[k].name, pk->pins[k].shown, &equal);
	else
		same_all(e, r, i, &equal);
	if (r->n_checks != before)
		return;
	char *label = xasprintf("same packages as %s", base_env);
	eval_check(r, eval_env_name(e, i), ST_PASS, label, NULL, NULL, "%d %spackage%s equal %s's",
		   equal, pk->same == SAME_PINNED ? "pinned " : "", equal == 1 ? "" : "s", base_env);
	free(label);
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct packages *pk = e->step->data;

	EVAL_ENVS(e, i)
		check_pins(e, pk, i, r);
	if (pk->same == SAME_NONE || e->baseline < 0)
		return;
	EVAL_OTHERS(e, i)
		check_same(e, pk, i, r);
}

static json_t *lock(const struct step *s, const json_t *value)
{
	const struct packages *pk = s->data;
	json_t *pins = json_object();
	const char *k;
	json_t *v;
	/* the pinned names, or every package when nothing is pinned */
	json_object_foreach(json_object_get(value, "packages"), k, v)
		if (!pk->n_pins || is_pinned(pk, k))
			json_object_set(pins, k, json_array_get(v, 1));
	return pins;
}

const struct step_kind packages_kind = {
	.name = "packages",
	.summary = "Compare installed packages (stage environment). Names compare in "
		   "PEP 503 normalized form.",
	.default_stage = STAGE_ENVIRONMENT,
	.keys = kind_keys,
	.schema_extra = "{\"not\":{\"required\":[\"pins\",\"lockfile\"]},\"allOf\":[{\"if\":{"
			"\"properties\":{\"from\":{\"const\":\"dpkg\"}},\"required\":[\"from\"]},"
			"\"then\":{\"not\":{\"required\":[\"interpreter\"]}}}]}",
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
