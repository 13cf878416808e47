/* kit: what every step kind uses: settings kept in the contract's arena,
 * strings expanded and commands run in an environment, and facts turned into
 * pin and same checks, so that messages read alike across kinds. */
#include "load/check.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void release_list(void *p)
{
	free_list(p);
}

static void release_matcher(void *p)
{
	matcher_free(p);
}

static void release_regex(void *p)
{
	regex_free(p);
}

void *kit_new(const struct parse_ctx *p, size_t size)
{
	return arena_alloc(p->arena, size);
}

void *kit_adopt(const struct parse_ctx *p, void *ptr, void (*release)(void *))
{
	return arena_adopt(p->arena, ptr, release);
}

int kit_number_in(const struct parse_ctx *p, const struct node *map, const char *key,
		   double lo, double hi, bool *has, double *out)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	if (node_double(n, out) < 0 || isnan(*out) || *out < lo || *out > hi) {
		diag_at(p->d, &n->mark, "'%s' must be a number from %g to %g, got %s%s%s", key, lo, hi,
			node_type_name(n), n->type == NODE_SCALAR ? " " : "",
			n->type == NODE_SCALAR ? n->str : "");
		return -1;
	}
	*has = true;
	return 0;
}

int kit_string(const struct parse_ctx *p, const struct node *map, const char *key, char **out)
{
	char *s = NULL;
	if (get_string(p->d, map, key, &s) < 0)
		return -1;
	if (s)
		*out = kit_adopt(p, s, free);
	return 0;
}

int kit_list(const struct parse_ctx *p, const struct node *map, const char *key,
	     bool allow_scalar, char ***out, size_t *n)
{
	char **l = NULL;
	int rc = get_list(p->d, map, key, allow_scalar, &l, n);
	if (l)
		*out = kit_adopt(p, l, release_list);
	return rc;
}

struct matcher *kit_own_matcher(const struct parse_ctx *p, struct matcher *m)
{
	return kit_adopt(p, m, release_matcher);
}

struct matcher *kit_matcher(const struct parse_ctx *p, const struct node *n)
{
	return kit_adopt(p, matcher_parse(n, &p->pin_ctx, p->d), release_matcher);
}

const struct step *parse_from(const struct parse_ctx *p, const struct node *n, unsigned caps,
			      const char *what)
{
	const struct step *s = p->step;
	const char *id = n && n->type == NODE_SCALAR ? n->str : "";
	int i = contract_step_index(p->c, id);
	const struct step *from = i >= 0 ? &p->c->steps[i] : NULL;
	if (from && i < s->index && from->kind && (from->kind->caps & caps) == caps)
		return from;
	if (from && i >= s->index) {
		diag_at(p->d, &n->mark, "'from' names step '%s', listed %s: it must name %s "
			"listed before this one", id, i == s->index ? "here" : "after this one", what);
		return NULL;
	}
	if (from) {
		diag_at(p->d, &n->mark, "'from' names %s step '%s': it must name %s listed before "
			"this one", from->kind ? from->kind->name : "a", id, what);
		return NULL;
	}
	/* suggest among the earlier steps that would do */
	const char **ids = xcalloc((size_t)s->index + 1, sizeof *ids);
	size_t n_ids = 0;
	for (int k = 0; k < s->index; k++) {
		const struct step *c = &p->c->steps[k];
		if (c->kind && (c->kind->caps & caps) == caps)
			ids[n_ids++] = c->id;
	}
	const char *sug = text_suggest(id, ids);
	if (sug)
		diag_at(p->d, &n->mark, "'from' must name %s listed before this one, got '%s' "
			"(did you mean '%s'?)", what, id, sug);
	else
		diag_at(p->d, &n->mark, "'from' must name %s listed before this one, got '%s'",
			what, id);
	free(ids);
	return NULL;
}

char *gather_expand(const struct gather_ctx *g, const char *raw, char **err)
{
	struct interp_ctx ctx = {&g->env->vars, g->env->name, NULL};
	return interp_string(&ctx, raw, err);
}

size_t eval_env_next(const struct eval_ctx *e, size_t i)
{
	/* a replica is gathered, never gated: only the noise comparisons read it */
	for (i++; i < e->c->n_envs; i++)
		if (e->facts[i].state == FACT_OK && e->c->envs[i].replica_of < 0)
			return i;
	return e->c->n_envs;
}

const char *eval_env_name(const struct eval_ctx *e, size_t i)
{
	return e->c->envs[i].name;
}

const json_t *eval_value(const struct eval_ctx *e, size_t i)
{
	return e->facts[i].state == FACT_OK ? e->facts[i].value : NULL;
}

const struct fact *eval_facts_of(const struct eval_ctx *e, const char *id)
{
	int i = contract_step_index(e->c, id);
	return i < 0 ? NULL : fact_at(e->all, (size_t)i, 0);
}

struct check *eval_check(struct step_result *r, const char *env, enum status st,
			 const char *name, const char *expected, const char *actual,
			 const char *fmt, ...)
{
	struct buf msg;
	va_list ap;
	buf_init(&msg);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	char *full = check_name(env, name);
	struct check *k = result_add_check(r, env, st, full, msg.data, expected, actual);
	free(full);
	buf_release(&msg);
	return k;
}

char *check_name(const char *env, const char *what)
{
	return env ? xasprintf("%s: %s", env, what) : xstrdup(what);
}

const char *fact_str(const json_t *value, const char *key)
{
	return json_string_value(json_object_get(value, key));
}

void eval_pin(struct step_result *r, const char *env, const char *what,
	      const struct matcher *m, const char *lock_pin, const char *actual)
{
	eval_pin_scheme(r, env, what, m, lock_pin, actual, SCHEME_PEP440);
}

void eval_pin_scheme(struct step_result *r, const char *env, const char *what,
		     const struct matcher *m, const char *lock_pin, const char *actual,
		     enum version_scheme scheme)
{
	struct matcher *tmp = NULL;
	char *why = NULL, *desc, *name, *msg;

	if (!m && !lock_pin)
		return;
	if (!m) {
		tmp = matcher_exact(lock_pin);
		m = tmp;
	}
	desc = matcher_describe(m);
	if (tmp) {
		char *d2 = xasprintf("%s (lock file)", desc);
		free(desc);
		desc = d2;
	}
	name = check_name(env, what);
	int t = actual ? matcher_test_scheme(m, actual, scheme, &why) : 0;
	if (!actual)
		msg = xasprintf("no %s to compare with %s", what, desc);
	else if (t > 0)
		msg = xasprintf("%s matches the %s", what, tmp ? "lock file's pin" : "pin");
	else if (t == 0)
		msg = why ? xasprintf("%s does not match the %s: %s", what, tmp ? "lock file's pin" : "pin", why)
			  : xasprintf("%s does not match the %s", what, tmp ? "lock file's pin" : "pin");
	else
		msg = xasprintf("cannot check %s: %s", what, why ? why : "matcher error");
	result_add_check(r, env, t > 0 ? ST_PASS : t == 0 ? ST_FAIL : ST_ERROR, name, msg,
			 desc, actual);
	free(msg);
	free(name);
	free(why);
	free(desc);
	matcher_free(tmp);
}

/* "first difference at line 3:\n  staging:    ...\n  production: ..." */
static char *first_difference(const char *a, const char *b, const char *an, const char *bn)
{
	int line = 1;
	const char *la = a, *lb = b;
	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	int wa = (int)strcspn(la, "\n"), wb = (int)strcspn(lb, "\n");
	int w = (int)(strlen(an) > strlen(bn) ? strlen(an) : strlen(bn)) + 1;
	return xasprintf("first difference at line %d:\n  %-*s %.*s%s\n  %-*s %.*s%s", line,
			 w, an, wa > 200 ? 200 : wa, la, wa > 200 ? "…" : "", w, bn,
			 wb > 200 ? 200 : wb, lb, wb > 200 ? "…" : "");
}

void eval_same(const struct eval_ctx *e, struct step_result *r, const char *key,
	       const char *what)
{
	if (e->baseline < 0)
		return;
	const char *base_name = e->c->envs[e->baseline].name;
	const char *base = fact_str(e->facts[e->baseline].value, key);
	for (size_t i = 0; i < e->c->n_envs; i++) {
		if ((int)i == e->baseline || e->facts[i].state != FACT_OK)
			continue;
		const char *env = e->c->envs[i].name;
		const char *v = fact_str(e->facts[i].value, key);
		char *label = xasprintf("same %s as %s", what, base_name);
		char *name = check_name(env, label);
		char *msg;
		enum status st;
		if (!base || !v) {
			st = ST_FAIL;
			msg = xasprintf("no %s in %s", what, !v ? env : base_name);
			if (!base && !v) {
				st = ST_PASS;
				free(msg);
				msg = xasprintf("no %s in either environment", what);
			}
		} else if (!strcmp(base, v)) {
			st = ST_PASS;
			msg = xasprintf("%s equals %s's", what, base_name);
		} else {
			st = ST_FAIL;
			msg = xasprintf("%s differs from %s's", what, base_name);
		}
		struct check *k = result_add_check(r, env, st, name, msg, base, v);
		if (st == ST_FAIL && base && v && (strchr(base, '\n') || strchr(v, '\n'))) {
			char *d = first_difference(base, v, base_name, env);
			result_check_detail(k, d);
			free(d);
		}
		free(msg);
		free(name);
		free(label);
	}
}

int parse_interpreter(const struct parse_ctx *p, const struct node *body, char ***argv)
{
	const struct node *n = node_get(body, "interpreter");
	if (!n) {
		*argv = kit_new(p, 2 * sizeof **argv);
		(*argv)[0] = arena_strdup(p->arena, "python3");
		return 0;
	}
	if (kit_list(p, body, "interpreter", true, argv, NULL) < 0)
		return -1;
	if (!(*argv)[0]) {
		diag_at(p->d, &n->mark, "'interpreter' is empty: name a Python, like python3 or "
			"[/opt/venv/bin/python, -S]");
		return -1;
	}
	return 0;
}

int gather_exec(const struct gather_ctx *g, char *const *argv, const char *shell,
		const char *stdin_raw, const char *data, size_t len, struct proc_result *r, char **err)
{
	size_t n = 0;
	char **args = NULL, *sh = NULL, *in = NULL;
	int rc = -1;

	if (shell) {
		sh = gather_expand(g, shell, err);
		if (!sh)
			return -1;
	} else {
		while (argv[n])
			n++;
		args = xcalloc(n + 1, sizeof *args);
		for (size_t i = 0; i < n; i++) {
			args[i] = gather_expand(g, argv[i], err);
			if (!args[i])
				goto out;
		}
	}
	if (stdin_raw) {
		char *raw = gather_expand(g, stdin_raw, err);
		if (!raw)
			goto out;
		in = contract_path(g->c, raw);
		free(raw);
	}
	struct env_cmd cmd = {args, sh, in, data ? EXEC_CAP_DATA : 0, data, len};
	if (env_run(&g->where, &cmd, g->deadline_ms, r, err) < 0)
		goto out;
	if (r->timed_out) {
		*err = xasprintf("timed out after %.1fs (raise the step's 'timeout')", r->seconds);
		proc_result_release(r);
		goto out;
	}
	rc = 0;
out:
	free_list(args);
	free(sh);
	free(in);
	return rc;
}

int gather_run(const struct gather_ctx *g, char *const *argv, const char *shell,
	       struct proc_result *r, char **err)
{
	return gather_exec(g, argv, shell, NULL, NULL, 0, r, err);
}

struct regex *compile_pattern(const struct node *n, const struct parse_ctx *p, const char *key)
{
	char *err = NULL;
	size_t off = 0;
	char *pat = interp_node(&p->pin_ctx, n, p->d);
	if (!pat)
		return NULL;
	struct regex *re = regex_new(pat, &err, &off);
	if (!re) {
		diag_at(p->d, &n->mark, "invalid regular expression '%s' in '%s': %s at offset %zu",
			pat, key, err, off);
		free(err);
	}
	free(pat);
	return kit_adopt(p, re, release_regex);
}

int parse_run(const struct parse_ctx *p, const struct node *map, bool required, char ***run,
	      char **shell)
{
	const struct node *r = node_get(map, "run"), *sh = node_get(map, "shell");
	if (r && sh) {
		diag_at(p->d, &sh->mark, "%s has both 'run' and 'shell': use 'run' for an argv list, "
			"or 'shell' to opt in to /bin/sh -c", p->where);
		return -1;
	}
	if (!r && !sh) {
		if (!required)
			return 0;
		diag_at(p->d, &map->mark, "%s needs 'run' (an argv list, like [python3, -V]) or "
			"'shell' (a /bin/sh -c command line)", p->where);
		return -1;
	}
	if (r && r->type != NODE_SEQ) {
		diag_at(p->d, &r->mark, "'run' must be a list of arguments, like [python3, -V], got %s "
			"(use 'shell:' for a command line)", node_type_name(r));
		return -1;
	}
	if (kit_list(p, map, "run", false, run, NULL) < 0 || kit_string(p, map, "shell", shell) < 0)
		return -1;
	if (*run && !(*run)[0]) {
		diag_at(p->d, &r->mark, "'run' is empty: name the program to run");
		return -1;
	}
	return 0;
}
