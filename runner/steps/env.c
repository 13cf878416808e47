/* env: environment variables as the environment sees them (read through its
 * exec prefix with `env -0`): matchers per variable, null meaning "must be
 * unset", and names that must be equal across environments. Only the named
 * variables are kept in facts, so nothing else leaks into reports. */
#include "load/check.h"
#include "steps/step.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	{"vars", false,
	 "{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":[{"
	 "\"$ref\":\"#/definitions/matcher\"},{\"type\":\"null\"}]},"
	 "\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"}}",
	 "Variable name to matcher on its value; null means the variable must "
	 "be unset."},
	{"same", false,
	 "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z_]["
	 "A-Za-z0-9_]*$\"}}",
	 "Variables that must have the baseline's value (unset in both counts "
	 "as equal)."},
	{NULL, false, NULL, NULL},
};


struct env_var {
	char *name;
	struct matcher *m;      /* NULL: must be unset */
};

struct env_step {
	struct env_var *vars;
	size_t n_vars;
	char **same;            /* NULL-terminated */
};

static bool valid_var_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct env_step *es = kit_new(p, sizeof *es);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = es;

	n = node_get(b, "vars");
	if (!n && !node_get(b, "same")) {
		diag_at(p->d, &b->mark, "%s needs 'vars' (NAME: matcher, or null for unset) or "
			"'same' (names that must be equal)", p->where);
		return -1;
	}
	if (n && check_map(p->d, n, "vars") == 0) {
		es->vars = kit_new(p, (node_map_len(n) + 1) * sizeof *es->vars);
		for (size_t i = 0; i < node_map_len(n); i++) {
			const struct node *k = node_map_key(n, i), *v = node_map_value(n, i);
			if (!valid_var_name(k->str)) {
				diag_at(p->d, &k->mark, "invalid environment variable name '%s': use letters, "
					"digits and '_', not starting with a digit", k->str);
				continue;
			}
			struct env_var *ev = &es->vars[es->n_vars];
			if (!node_is_null(v)) {
				ev->m = kit_matcher(p, v);
				if (!ev->m)
					continue;
			}
			ev->name = arena_strdup(p->arena, k->str);
			es->n_vars++;
		}
	}
	if (kit_list(p, b, "same", false, &es->same, NULL) == 0 && es->same) {
		n = node_get(b, "same");
		for (size_t i = 0; es->same[i]; i++)
			if (!valid_var_name(es->same[i]))
				diag_at(p->d, &n->kids[i]->mark, "invalid environment variable name '%s': use "
					"letters, digits and '_', not starting with a digit",
					es->same[i]);
	}
	return p->d->errors == errors ? 0 : -1;
}

static bool wanted(const struct env_step *es, const char *name, size_t len)
{
	for (size_t i = 0; i < es->n_vars; i++)
		if (strlen(es->vars[i].name) == len && !strncmp(es->vars[i].name, name, len))
			return true;
	for (size_t i = 0; es->same && es->same[i]; i++)
		if (strlen(es->same[i]) == len && !strncmp(es->same[i], name, len))
			return true;
	return false;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct env_step *es = g->step->data;
	char *const argv[] = {"env", "-0", NULL};
	struct proc_result r;

	if (gather_run(g, argv, NULL, &r, err) < 0)
		return -1;
	if (!r.exited || r.status != 0) {
		*err = xasprintf("reading the environment with 'env -0' failed (%s %d): %.300s",
				 r.exited ? "exit status" : "signal", r.exited ? r.status : r.signal,
				 r.err.data);
		proc_result_release(&r);
		return -1;
	}
	json_t *vars = json_object();
	for (size_t at = 0; at < r.out.len;) {
		const char *entry = r.out.data + at;
		size_t len = strnlen(entry, r.out.len - at);
		const char *eq = memchr(entry, '=', len);
		if (eq && wanted(es, entry, (size_t)(eq - entry))) {
			char *name = xstrndup(entry, (size_t)(eq - entry));
			json_object_set_new(vars, name, json_stringn(eq + 1, len - (size_t)(eq - entry) - 1));
			free(name);
		}
		at += len + 1;
	}
	proc_result_release(&r);
	*value = json_pack("{s:o}", "vars", vars);
	return 0;
}

/* Pins per variable (null: must be unset), and lock pins for 'same' names. */
static void eval_pins(const struct eval_ctx *e, const struct env_step *es, size_t i,
		      struct step_result *r)
{
	const char *env = eval_env_name(e, i);
	const json_t *vars = json_object_get(eval_value(e, i), "vars");
	for (size_t k = 0; k < es->n_vars; k++) {
		const struct env_var *ev = &es->vars[k];
		const char *v = json_string_value(json_object_get(vars, ev->name));
		if (!ev->m && v) {
			eval_check(r, env, ST_FAIL, ev->name, "unset", v, "%s is set to '%s', "
				   "expected unset", ev->name, v);
		} else if (!ev->m) {
			eval_check(r, env, ST_PASS, ev->name, "unset", "unset", "%s is unset",
				   ev->name);
		} else if (!v) {
			char *want = matcher_describe(ev->m);
			eval_check(r, env, ST_FAIL, ev->name, want, "unset", "%s is not set", ev->name);
			free(want);
		} else {
			eval_pin(r, env, ev->name, ev->m, fact_str(e->lock, ev->name), v);
		}
	}
	/* lock-file pins for the names of 'same' (parity lock wrote them) */
	for (size_t k = 0; e->lock && es->same && es->same[k]; k++) {
		bool pinned = false;
		for (size_t j = 0; j < es->n_vars; j++)
			pinned |= !strcmp(es->vars[j].name, es->same[k]);
		const char *pin = pinned ? NULL : fact_str(e->lock, es->same[k]);
		const char *v = json_string_value(json_object_get(vars, es->same[k]));
		if (pin)
			eval_pin(r, env, es->same[k], NULL, pin, v ? v : "unset");
	}
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct env_step *es = e->step->data;

	EVAL_ENVS(e, i)
		eval_pins(e, es, i, r);
	if (!es->same || e->baseline < 0)
		return;
	const char *base_env = eval_env_name(e, (size_t)e->baseline);
	const json_t *base = json_object_get(eval_value(e, (size_t)e->baseline), "vars");
	EVAL_OTHERS(e, i) {
		const char *env = eval_env_name(e, i);
		const json_t *vars = json_object_get(eval_value(e, i), "vars");
		for (size_t k = 0; es->same[k]; k++) {
			const char *name = es->same[k];
			const char *a = json_string_value(json_object_get(base, name));
			const char *b = json_string_value(json_object_get(vars, name));
			char *label = xasprintf("same %s as %s", name, base_env);
			if ((!a && !b) || (a && b && !strcmp(a, b)))
				eval_check(r, env, ST_PASS, label, a ? a : "unset", b ? b : "unset",
					   "%s equals %s's", name, base_env);
			else
				eval_check(r, env, ST_FAIL, label, a ? a : "unset", b ? b : "unset",
					   "%s is %s%s%s in %s, %s%s%s in %s", name, b ? "'" : "",
					   b ? b : "unset", b ? "'" : "", env, a ? "'" : "",
					   a ? a : "unset", a ? "'" : "", base_env);
			free(label);
		}
	}
}

static json_t *lock(const struct step *s, const json_t *value)
{
	const struct env_step *es = s->data;
	json_t *pins = json_object();
	const json_t *vars = json_object_get(value, "vars");
	/* pins for the variables the contract names but does not pin itself */
	for (size_t i = 0; es->same && es->same[i]; i++) {
		const char *v = json_string_value(json_object_get(vars, es->same[i]));
		if (v)
			json_object_set_new(pins, es->same[i], json_string(v));
	}
	return pins;
}

const struct step_kind env_kind = {
	.name = "env",
	.summary = "Check environment variables (stage environment), read through the "
		   "environment's exec prefix.",
	.default_stage = STAGE_ENVIRONMENT,
	.keys = kind_keys,
	.schema_extra = "{\"anyOf\":[{\"required\":[\"vars\"]},{\"required\":[\"same\"]}]}",
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
