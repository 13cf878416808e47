/* contract: builds the contract model from the node tree of the contract
 * and its includes, reporting every problem at its place. Order: the
 * includes (vars and steps merge in first), vars, environments, defaults,
 * steps, waivers, baseline, references, lock. */
#include "load/contract.h"
#include "load/check.h"
#include "load/interp.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INCLUDE_DEPTH 16

const char *const stage_names[] = {
	"artifact", "environment", "hardware", "preprocess",
	"inference", "postprocess", "distribution", "service", NULL
};

static const char *const top_keys[] = {
	"parity", "name", "description", "include", "vars", "baseline", "defaults",
	"environments", "steps", "waivers", "lock", NULL
};
static const char *const fragment_keys[] = {
	"parity", "description", "include", "vars", "steps", NULL
};
static const char *const env_keys[] = {
	"exec", "dir", "url", "headers", "tls", "vars", "facts", "parity_path", "replica_of", NULL
};
static const char *const tls_keys[] = {"ca", "cert", "key", "verify", NULL};
static const char *const defaults_keys[] = {"timeout", "retries", "severity", "noise_factor",
					    NULL};
static const char *const waiver_keys[] = {"step", "reason", "until", NULL};
const char *const step_common_keys[] = {
	"id", "stage", "description", "only", "severity", "timeout", "retries", "tags", "after",
	NULL
};

struct loader {
	struct contract *c;
	struct diag *d;
	const struct node *var_nodes[256];      /* where each var came from, for messages */
	char *stack[MAX_INCLUDE_DEPTH + 1];     /* real paths being loaded, for cycles */
	int depth;
	const struct node *step_lists[64];      /* 'steps:' of each document, in load order */
	size_t n_step_lists;
	const char *const *overrides;           /* --var NAME=VALUE, which win everywhere */
	struct vars declared;                   /* every name a vars: defines, for --var */
	struct included {                       /* every file included, for repeats */
		char *real;
		struct mark from;
	} included[256];
	size_t n_included;
	struct strmap step_ids;                 /* id -> index, for duplicates */
};

const char *stage_name(enum stage s)
{
	return s < STAGE_COUNT ? stage_names[s] : "?";
}

int stage_from_name(const char *name)
{
	for (int i = 0; stage_names[i]; i++)
		if (!strcmp(stage_names[i], name))
			return i;
	return -1;
}

/* --var NAME=VALUE settings, which win over the contract and environments. */
static void apply_overrides(struct vars *vs, const char *const *overrides)
{
	for (size_t i = 0; overrides && overrides[i]; i++) {
		const char *eq = strchr(overrides[i], '=');
		char *name = xstrndup(overrides[i], (size_t)(eq - overrides[i]));
		vars_set(vs, name, eq + 1);
		free(name);
	}
}

/* Whether --var sets name: then no vars: does, and what refers to it sees
 * the --var value. */
static bool overridden(const struct loader *L, const char *name)
{
	for (size_t i = 0; L->overrides && L->overrides[i]; i++) {
		size_t len = strcspn(L->overrides[i], "=");
		if (strlen(name) == len && !strncmp(L->overrides[i], name, len))
			return true;
	}
	return false;
}

/* vars: {NAME: scalar}; values may use ${env.X} (and earlier vars). */
static void load_vars(struct loader *L, const struct node *n, struct vars *into)
{
	if (check_map(L->d, n, "vars") < 0)
		return;
	for (size_t i = 0; i < node_map_len(n); i++) {
		const struct node *k = node_map_key(n, i), *v = node_map_value(n, i);
		if (!text_is_name(k->str)) {
			diag_at(L->d, &k->mark, "invalid variable name '%s': use letters, digits, '.', "
				"'_' and '-'", k->str);
			continue;
		}
		if (v->type != NODE_SCALAR || node_is_null(v)) {
			diag_at(L->d, &v->mark, "variable '%s' must be a string or a number, got %s",
				k->str, node_type_name(v));
			continue;
		}
		vars_set(&L->declared, k->str, "");
		if (overridden(L, k->str))
			continue;
		struct interp_ctx ctx = {&L->c->vars, NULL, "a variable's value"};
		char *val = interp_node(&ctx, v, L->d);
		if (!val)
			continue;
		vars_set(into, k->str, val);
		free(val);
	}
}

static void load_document(struct loader *L, const char *path, const struct mark *from,
			  bool fragment);

static void load_includes(struct loader *L, const struct node *root, const char *from_path)
{
	const struct node *inc = node_get(root, "include");
	char **list = NULL;
	size_t n = 0;

	if (get_list(L->d, root, "include", true, &list, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct node *at = inc->type == NODE_SEQ ? inc->kids[i] : inc;
		char *p = file_beside(from_path, list[i]);
		load_document(L, p, &at->mark, true);
		free(p);
	}
	free_list(list);
}

/* An environment's headers: {Name: value}, values interpolated there. */
static void load_headers(struct diag *d, const struct node *x, const struct interp_ctx *ctx,
			 struct env *e)
{
	e->headers = xcalloc(node_map_len(x) + 1, sizeof *e->headers);
	for (size_t i = 0; i < node_map_len(x); i++) {
		const struct node *hv = node_map_value(x, i);
		if (hv->type != NODE_SCALAR || node_is_null(hv)) {
			diag_at(d, &hv->mark, "header '%s' must be a string, got %s",
				node_map_key(x, i)->str, node_type_name(hv));
			continue;
		}
		char *val = interp_node(ctx, hv, d);
		if (!val)
			continue;
		e->headers[e->n_headers].name = xstrdup(node_map_key(x, i)->str);
		e->headers[e->n_headers].value = val;
		e->n_headers++;
	}
}

/* An environment's tls: {ca, cert, key: paths beside the contract, verify}. */
static void load_tls(struct loader *L, const struct node *x, const struct interp_ctx *ctx,
		     struct env *e)
{
	static const char *const tk[] = {"ca", "cert", "key", NULL};
	char **ts[] = {&e->tls_ca, &e->tls_cert, &e->tls_key};
	char what[300];

	snprintf(what, sizeof what, "in 'tls' of environment '%s'", e->name);
	check_keys(L->d, x, tls_keys, what);
	for (int i = 0; tk[i]; i++) {
		const struct node *t = node_get(x, tk[i]);
		if (!t)
			continue;
		if (t->type != NODE_SCALAR || node_is_null(t)) {
			diag_at(L->d, &t->mark, "'%s' must be a file path, got %s", tk[i], node_type_name(t));
			continue;
		}
		char *val = interp_node(ctx, t, L->d);
		if (val) {
			*ts[i] = file_beside(L->c->path, val);
			free(val);
		}
	}
	get_bool(L->d, x, "verify", &e->tls_verify);
}

static void load_env(struct loader *L, const struct node *k, const struct node *v)
{
	struct contract *c = L->c;
	struct diag *d = L->d;
	char what[300];

	if (!text_is_name(k->str))
		diag_at(d, &k->mark, "invalid environment name '%s': use letters, digits, '.', '_' "
			"and '-'", k->str);
	XGROW(c->envs, c->cap_envs, c->n_envs + 1);
	struct env *e = &c->envs[c->n_envs];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(k->str);
	e->node = v;
	e->index = (int)c->n_envs;
	e->replica_of = -1;
	e->tls_verify = true;
	c->n_envs++;
	if (node_is_null(v)) {
		vars_copy(&e->vars, &c->vars);
		e->dir = file_beside(c->path, ".");
		return;
	}
	if (check_map(d, v, k->str) < 0)
		return;
	snprintf(what, sizeof what, "in environment '%s'", k->str);
	check_keys(d, v, env_keys, what);

	/* the environment's own vars override the contract's */
	vars_copy(&e->vars, &c->vars);
	const struct node *vn = node_get(v, "vars");
	if (vn)
		load_vars(L, vn, &e->vars);
	apply_overrides(&e->vars, L->overrides);

	struct interp_ctx ctx = {&e->vars, e->name, NULL};
	const struct node *x;
	char **exec = NULL;
	if (get_list(d, v, "exec", false, &exec, &e->n_exec) == 0 && exec) {
		x = node_get(v, "exec");
		if (e->n_exec == 0)
			diag_at(d, &x->mark, "'exec' must name a command, like [docker, exec, -i, NAME]");
		e->exec = xcalloc(e->n_exec + 1, sizeof *e->exec);
		for (size_t i = 0; i < e->n_exec; i++) {
			e->exec[i] = interp_node(&ctx, x->kids[i], d);
			if (!e->exec[i])
				e->exec[i] = xstrdup("");
		}
	}
	free_list(exec);
	static const char *const strs[] = {"dir", "url", "facts", "parity_path", NULL};
	char **slots[] = {&e->dir, &e->url, &e->facts_path, &e->parity_path};
	for (int i = 0; strs[i]; i++) {
		x = node_get(v, strs[i]);
		if (!x)
			continue;
		if (x->type != NODE_SCALAR || node_is_null(x)) {
			diag_at(d, &x->mark, "'%s' must be a string, got %s", strs[i], node_type_name(x));
			continue;
		}
		*slots[i] = interp_node(&ctx, x, d);
	}
	if (!e->exec) {
		/* on this host, commands and relative paths start in the contract's folder */
		char *p = file_beside(c->path, e->dir ? e->dir : ".");
		free(e->dir);
		e->dir = p;
	}
	if (e->facts_path) {
		char *p = file_beside(c->path, e->facts_path);
		free(e->facts_path);
		e->facts_path = p;
	}
	x = node_get(v, "headers");
	if (x && check_map(d, x, "headers") == 0)
		load_headers(d, x, &ctx, e);
	x = node_get(v, "tls");
	if (x && check_map(d, x, "tls") == 0)
		load_tls(L, x, &ctx, e);
}

static void load_defaults(struct loader *L, const struct node *n)
{
	if (check_map(L->d, n, "defaults") < 0)
		return;
	check_keys(L->d, n, defaults_keys, "in 'defaults'");
	get_duration(L->d, n, "timeout", &L->c->default_timeout_ms);
	long r = L->c->default_retries;
	if (get_count(L->d, n, "retries", &r) == 0)
		L->c->default_retries = (int)(r > 100 ? 100 : r);
	const struct node *nf = node_get(n, "noise_factor");
	double f;
	if (nf && (node_double(nf, &f) < 0 || !(f >= 1)))
		diag_at(L->d, &nf->mark, "'noise_factor' must be a number of at least 1, got '%s'",
			nf->type == NODE_SCALAR ? nf->str : node_type_name(nf));
	else if (nf)
		L->c->noise_factor = f;
	const struct node *s = node_get(n, "severity");
	if (s) {
		if (s->type == NODE_SCALAR && !strcmp(s->str, "warning"))
			L->c->default_severity = SEV_WARNING;
		else if (s->type == NODE_SCALAR && !strcmp(s->str, "error"))
			L->c->default_severity = SEV_ERROR;
		else
			diag_at(L->d, &s->mark, "'severity' must be 'error' or 'warning', got '%s'",
				s->type == NODE_SCALAR ? s->str : node_type_name(s));
	}
}

static void load_step(struct loader *L, const struct node *n)
{
	struct contract *c = L->c;
	struct diag *d = L->d;
	int errors = d->errors;

	diag_order(d, DIAG_ORDER_STEP(c->n_steps) - 1);
	if (n->type != NODE_MAP) {
		diag_at(d, &n->mark, "a step must be a mapping with 'id' and a kind, got %s",
			node_type_name(n));
		return;
	}
	const struct node *idn = node_get(n, "id");
	if (!idn) {
		diag_at(d, &n->mark, "step needs 'id'");
		return;
	}
	if (idn->type != NODE_SCALAR || !text_is_name(idn->str)) {
		diag_at(d, &idn->mark, "invalid step id '%s': use letters, digits, '.', '_' and '-'",
			idn->type == NODE_SCALAR ? idn->str : node_type_name(idn));
		return;
	}
	int dup = strmap_get(&L->step_ids, idn->str);
	if (dup >= 0) {
		diag_at(d, &idn->mark, "duplicate step id '%s' (first used at %s:%d)", idn->str,
			c->steps[dup].node->mark.src->path, c->steps[dup].node->mark.line);
		return;
	}
	XGROW(c->steps, c->cap_steps, c->n_steps + 1);
	struct step *s = &c->steps[c->n_steps];
	memset(s, 0, sizeof *s);
	s->id = xstrdup(idn->str);
	s->node = n;
	s->index = (int)c->n_steps;
	strmap_put(&L->step_ids, s->id, s->index);
	s->severity = c->default_severity;
	s->timeout_ms = c->default_timeout_ms;
	s->retries = c->default_retries;
	s->stage = STAGE_COUNT;         /* the kind's default, set by the bind pass */
	c->n_steps++;
	diag_order(d, DIAG_ORDER_STEP(s->index));

	const struct node *x = node_get(n, "stage");
	if (x) {
		int st = x->type == NODE_SCALAR ? stage_from_name(x->str) : -1;
		if (st < 0) {
			const char *sug = x->type == NODE_SCALAR ? text_suggest(x->str, stage_names) : NULL;
			if (sug)
				diag_at(d, &x->mark, "unknown stage '%s' (did you mean '%s'?)", x->str, sug);
			else
				diag_at(d, &x->mark, "unknown stage '%s': use one of artifact, environment, "
					"hardware, preprocess, inference, postprocess, distribution, service",
					x->type == NODE_SCALAR ? x->str : node_type_name(x));
		} else {
			s->stage = (enum stage)st;
		}
	}
	get_string(d, n, "description", &s->description);
	get_list(d, n, "only", false, &s->only, NULL);
	get_list(d, n, "tags", false, &s->tags, NULL);
	get_list(d, n, "after", true, &s->after, &s->n_after);
	get_duration(d, n, "timeout", &s->timeout_ms);
	long r = s->retries;
	if (get_count(d, n, "retries", &r) == 0)
		s->retries = (int)(r > 100 ? 100 : r);
	x = node_get(n, "severity");
	if (x) {
		if (x->type == NODE_SCALAR && !strcmp(x->str, "warning"))
			s->severity = SEV_WARNING;
		else if (x->type == NODE_SCALAR && !strcmp(x->str, "error"))
			s->severity = SEV_ERROR;
		else
			diag_at(d, &x->mark, "'severity' must be 'error' or 'warning', got '%s'",
				x->type == NODE_SCALAR ? x->str : node_type_name(x));
	}

	s->load_errors = d->errors - errors;
}

static void load_steps(struct loader *L, const struct node *n)
{
	if (n->type != NODE_SEQ) {
		diag_at(L->d, &n->mark, "'steps' must be a list of steps, got %s", node_type_name(n));
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		load_step(L, n->kids[i]);
}

static void check_parity(struct loader *L, const struct node *root, bool fragment)
{
	const struct node *p = node_get(root, "parity");
	long v;
	if (!p) {
		if (!fragment)
			diag_at(L->d, &root->mark, "missing required key 'parity': start the contract "
				"with 'parity: 1'");
		return;
	}
	if (node_long(p, &v) < 0 || v != 1)
		diag_at(L->d, &p->mark, "unsupported contract format 'parity: %s': this runner reads "
			"format 1", p->type == NODE_SCALAR ? p->str : node_type_name(p));
}

/* Where the file real was included before, or NULL (and from is noted). */
static const struct mark *included_before(struct loader *L, const char *real,
					  const struct mark *from)
{
	for (size_t i = 0; i < L->n_included; i++)
		if (!strcmp(L->included[i].real, real))
			return &L->included[i].from;
	if (L->n_included < sizeof L->included / sizeof L->included[0]) {
		L->included[L->n_included].real = xstrdup(real);
		L->included[L->n_included].from = *from;
		L->n_included++;
	}
	return NULL;
}

static void load_document(struct loader *L, const char *path, const struct mark *from,
			  bool fragment)
{
	struct contract *c = L->c;
	struct diag *d = L->d;
	char real[PATH_MAX];

	if (!realpath(path, real)) {
		if (from)
			diag_at(d, from, "cannot read include '%s': %s", path, strerror(errno));
		else
			diag_err(d, "cannot read contract '%s': %s", path, strerror(errno));
		return;
	}
	for (int i = 0; i < L->depth; i++)
		if (!strcmp(L->stack[i], real)) {
			diag_at(d, from, "include cycle: '%s' includes itself (through %d file%s)", path,
				L->depth - i, L->depth - i == 1 ? "" : "s");
			return;
		}
	if (L->depth >= MAX_INCLUDE_DEPTH) {
		diag_at(d, from, "includes nested deeper than %d levels", MAX_INCLUDE_DEPTH);
		return;
	}
	const struct mark *first = from ? included_before(L, real, from) : NULL;
	struct node_doc *doc = xcalloc(1, sizeof *doc);
	XGROW(c->docs, c->cap_docs, c->n_docs + 1);
	c->docs[c->n_docs++] = doc;
	if (node_load(doc, path, from, d) < 0)
		return;
	const struct node *root = doc->root;
	if (!root) {
		struct mark m = {&doc->src, 1, 1};
		diag_at(d, &m, fragment ? "empty fragment: it should hold 'steps:' or 'vars:'"
			: "empty contract: a contract starts with 'parity: 1'");
		return;
	}
	if (root->type != NODE_MAP) {
		diag_at(d, &root->mark, "a contract is a mapping of keys (parity, name, environments, "
			"steps), got %s", node_type_name(root));
		return;
	}
	L->stack[L->depth++] = xstrdup(real);
	check_keys(d, root, fragment ? fragment_keys : top_keys,
		   fragment ? "in a fragment (fragments hold parity, description, include, vars and steps)"
		   : "at the top level");
	check_parity(L, root, fragment);

	/* a file included again adds its vars again (harmless), never its steps */
	const struct node *x = node_get(root, "include");
	if (x && !first)
		load_includes(L, root, path);
	x = node_get(root, "vars");
	if (x)
		load_vars(L, x, &c->vars);
	if (!fragment) {
		const struct node *nm = node_get(root, "name");
		if (!nm)
			diag_at(d, &root->mark, "missing required key 'name': name the contract, like "
				"'name: fraud-scorer'");
		else if (nm->type != NODE_SCALAR || !text_is_name(nm->str))
			diag_at(d, &nm->mark, "invalid contract name '%s': use letters, digits, '.', '_' "
				"and '-'", nm->type == NODE_SCALAR ? nm->str : node_type_name(nm));
		else
			c->name = xstrdup(nm->str);
		get_string(d, root, "description", &c->description);
		x = node_get(root, "defaults");
		if (x)
			load_defaults(L, x);
	}
	x = node_get(root, "steps");
	if (x && first)
		diag_at(d, from, "'%s' is included twice (first at %s:%d:%d): its steps would be "
			"defined twice, include it once", path, first->src->path, first->line, first->col);
	else if (x && L->n_step_lists < 64)
		L->step_lists[L->n_step_lists++] = x;
	else if (!x && !fragment)
		diag_at(d, &root->mark, "missing required key 'steps': a contract lists at least "
			"one step");
	L->depth--;
	free(L->stack[L->depth]);
}

static int valid_date(const char *s)
{
	int y, m, dd;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3)
		return 0;
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || dd < 1 || dd > days[m - 1])
		return 0;
	if (m == 2 && dd == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

static void load_waivers(struct loader *L, const struct node *n)
{
	struct contract *c = L->c;
	struct diag *d = L->d;
	if (n->type != NODE_SEQ) {
		diag_at(d, &n->mark, "'waivers' must be a list, got %s", node_type_name(n));
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct node *w = n->kids[i];
		if (check_map(d, w, "waivers item") < 0)
			continue;
		check_keys(d, w, waiver_keys, "in a waiver");
		if (check_required(d, w, "step", "a waiver") < 0 ||
		    check_required(d, w, "reason", "a waiver (say why the failure is accepted)") < 0 ||
		    check_required(d, w, "until", "a waiver (an expiry date, like 2026-12-31)") < 0)
			continue;
		struct waiver wv = {0};
		wv.node = w;
		if (get_string(d, w, "step", &wv.step) < 0 || get_string(d, w, "reason", &wv.reason) < 0)
			goto next;
		const struct node *u = node_get(w, "until");
		if (u->type != NODE_SCALAR || !valid_date(u->str)) {
			diag_at(d, &u->mark, "invalid date '%s' for 'until': write YYYY-MM-DD",
				u->type == NODE_SCALAR ? u->str : node_type_name(u));
			goto next;
		}
		memcpy(wv.until, u->str, 11);
		if (contract_step_index(c, wv.step) < 0) {
			const char *names[1024];
			size_t k = 0;
			for (size_t j = 0; j < c->n_steps && k < 1023; j++)
				names[k++] = c->steps[j].id;
			names[k] = NULL;
			const char *sug = text_suggest(wv.step, names);
			const struct node *sn = node_get(w, "step");
			if (sug)
				diag_at(d, &sn->mark, "waiver for unknown step '%s' (did you mean '%s'?)",
					wv.step, sug);
			else
				diag_at(d, &sn->mark, "waiver for unknown step '%s'", wv.step);
			goto next;
		}
		XGROW(c->waivers, c->cap_waivers, c->n_waivers + 1);
		c->waivers[c->n_waivers++] = wv;
		continue;
next:
		free(wv.step);
		free(wv.reason);
	}
}

static void report_unknown_env(struct loader *L, const struct node *at, const char *name,
			       const char *role)
{
	const char *sug = text_suggest(name, contract_env_names(L->c));
	if (sug)
		diag_at(L->d, &at->mark, "unknown environment '%s' in %s (did you mean '%s'?)", name,
			role, sug);
	else
		diag_at(L->d, &at->mark, "unknown environment '%s' in %s: the contract defines %s",
			name, role, L->c->n_envs ? "other environments" : "none");
}

/* Each environment's 'replica_of' names another environment, neither the
 * baseline nor itself nor a replica. */
static void resolve_replicas(struct loader *L)
{
	struct contract *c = L->c;
	for (size_t i = 0; i < c->n_envs; i++) {
		const struct node *r = node_get(c->envs[i].node, "replica_of");
		if (!r)
			continue;
		if (r->type != NODE_SCALAR || node_is_null(r)) {
			diag_at(L->d, &r->mark, "'replica_of' must be an environment name, got %s",
				node_type_name(r));
			continue;
		}
		int k = contract_env_index(c, r->str);
		if (k < 0)
			report_unknown_env(L, r, r->str, "'replica_of'");
		else if (k == (int)i)
			diag_at(L->d, &r->mark, "environment '%s' cannot be a replica of itself: name the "
				"environment it is a second deployment of", r->str);
		else if ((int)i == c->baseline)
			diag_at(L->d, &r->mark, "the baseline '%s' cannot be a replica (a replica is never "
				"gated): make '%s' the baseline, or remove 'replica_of'", c->envs[i].name,
				r->str);
		else if (node_get(c->envs[k].node, "replica_of"))
			diag_at(L->d, &r->mark, "'replica_of' names '%s', itself a replica: name the "
				"environment that '%s' replicates", r->str, r->str);
		else
			c->envs[i].replica_of = k;
	}
}

/* The node of entry j of step s's 'after' (a list, or one scalar). */
static const struct node *after_node(const struct step *s, size_t j)
{
	const struct node *a = node_get(s->node, "after");
	return a->type == NODE_SEQ ? a->kids[j] : a;
}

/* Depth-first search from step i for a path back to a step on the stack;
 * reports the 'after' entry that closes a cycle. state: 0 new, 1 on the
 * stack, 2 done. */
static bool after_cycle(struct loader *L, size_t i, int *state, size_t *stack, size_t depth)
{
	struct contract *c = L->c;
	struct step *s = &c->steps[i];
	state[i] = 1;
	stack[depth] = i;
	for (size_t j = 0; j < s->n_after; j++) {
		size_t k = (size_t)s->after_idx[j];
		if (state[k] == 1) {
			struct buf b;
			size_t from = 0;
			buf_init(&b);
			while (stack[from] != k)
				from++;
			for (size_t m = from; m <= depth; m++)
				buf_printf(&b, "'%s' after ", c->steps[stack[m]].id);
			buf_printf(&b, "'%s'", c->steps[k].id);
			diag_at(L->d, &after_node(s, j)->mark, "'after' makes a cycle: %s; no step of it "
				"could start: remove one of these 'after' entries", b.data);
			buf_release(&b);
			return true;
		}
		if (state[k] == 0 && after_cycle(L, k, state, stack, depth + 1))
			return true;
	}
	state[i] = 2;
	return false;
}

/* Resolves every step's 'after' ids to indexes: known ids, not the step
 * itself, and no cycle (one error for the first one found). */
static void resolve_after(struct loader *L)
{
	struct contract *c = L->c;
	int errors = L->d->errors;
	const char **ids = xcalloc(c->n_steps + 1, sizeof *ids);
	for (size_t i = 0; i < c->n_steps; i++)
		ids[i] = c->steps[i].id;
	for (size_t i = 0; i < c->n_steps; i++) {
		struct step *s = &c->steps[i];
		s->after_idx = s->n_after ? xcalloc(s->n_after, sizeof *s->after_idx) : NULL;
		for (size_t j = 0; j < s->n_after; j++) {
			const struct node *n = after_node(s, j);
			int k = contract_step_index(c, s->after[j]);
			const char *sug = k < 0 ? text_suggest(s->after[j], ids) : NULL;
			s->after_idx[j] = k;
			if (k == (int)i)
				diag_at(L->d, &n->mark, "step '%s' cannot run after itself: name another "
					"step in 'after'", s->id);
			else if (k < 0 && sug)
				diag_at(L->d, &n->mark, "unknown step '%s' in 'after' of step '%s' (did you "
					"mean '%s'?)", s->after[j], s->id, sug);
			else if (k < 0)
				diag_at(L->d, &n->mark, "unknown step '%s' in 'after' of step '%s': name a "
					"step id of this contract", s->after[j], s->id);
		}
	}
	free(ids);
	if (L->d->errors != errors || !c->n_steps)
		return;
	int *state = xcalloc(c->n_steps, sizeof *state);
	size_t *stack = xcalloc(c->n_steps, sizeof *stack);
	for (size_t i = 0; i < c->n_steps; i++)
		if (state[i] == 0 && after_cycle(L, i, state, stack, 0))
			break;
	free(stack);
	free(state);
}

/* Every scalar under n with a reference must expand in each environment
 * where the step runs; one error per node. */
static void check_refs(struct loader *L, const struct node *n, const struct step *s)
{
	if (n->type == NODE_SCALAR) {
		if (!interp_has_refs(n->str))
			return;
		for (size_t i = 0; i < L->c->n_envs; i++) {
			struct env *e = &L->c->envs[i];
			if (s && !step_runs_in(s, e))
				continue;
			struct interp_ctx ctx = {&e->vars, e->name, NULL};
			char *v = interp_node(&ctx, n, L->d);
			free(v);
			if (!v)
				return;
		}
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		if (n->type == NODE_SEQ || i % 2 == 1)
			check_refs(L, n->kids[i], s);
}

/* check_refs over the step's settings: every key but the common ones. */
static void check_step_refs(struct loader *L, const struct step *s)
{
	for (size_t i = 0; i < node_map_len(s->node); i++) {
		const struct node *k = node_map_key(s->node, i);
		bool common = false;
		for (size_t j = 0; step_common_keys[j]; j++)
			common |= !strcmp(k->str, step_common_keys[j]);
		if (!common)
			check_refs(L, node_map_value(s->node, i), s);
	}
}

static const char *const lock_keys[] = {"parity-lock", "contract", "environment", "steps", NULL};

/* A lock file's pin: a scalar, and a digest when named sha256 (lower-cased,
 * as a contract's sha256 pins are). New reference, or NULL after reporting. */
static json_t *lock_pin(struct loader *L, const char *step, const struct node *k,
			const struct node *v)
{
	if (v->type != NODE_SCALAR || node_is_null(v)) {
		diag_at(L->d, &v->mark, "pin '%s' of step '%s' must be a string, got %s", k->str, step,
			node_type_name(v));
		return NULL;
	}
	if (strcmp(k->str, "sha256"))
		return json_string(v->str);
	char *hex = xstrdup(v->str);
	bool ok = v->len == 64;
	for (size_t i = 0; i < v->len; i++) {
		ok = ok && isxdigit((unsigned char)hex[i]);
		hex[i] = (char)tolower((unsigned char)hex[i]);
	}
	json_t *j = ok ? json_string(hex) : NULL;
	if (!ok)
		diag_at(L->d, &v->mark, "pin 'sha256' of step '%s' must be 64 hex digits, got %zu "
			"character%s '%s'", step, v->len, v->len == 1 ? "" : "s", v->str);
	free(hex);
	return j;
}

/* The lock file's steps: {step id: {pin: value}}, every id a step of the
 * contract. New reference, or NULL after reporting. */
static json_t *lock_steps(struct loader *L, const struct node *steps)
{
	struct contract *c = L->c;
	int errors = L->d->errors;
	json_t *all = json_object();
	for (size_t i = 0; i < node_map_len(steps); i++) {
		const struct node *k = node_map_key(steps, i), *v = node_map_value(steps, i);
		if (contract_step_index(c, k->str) < 0) {
			const char **ids = xcalloc(c->n_steps + 1, sizeof *ids);
			for (size_t j = 0; j < c->n_steps; j++)
				ids[j] = c->steps[j].id;
			const char *sug = text_suggest(k->str, ids);
			if (sug)
				diag_at(L->d, &k->mark, "lock file pins unknown step '%s' (did you mean '%s'?)",
					k->str, sug);
			else
				diag_at(L->d, &k->mark, "lock file pins unknown step '%s': regenerate it with "
					"'parity lock %s --from ENV'", k->str, c->path);
			free(ids);
			continue;
		}
		if (v->type != NODE_MAP) {
			diag_at(L->d, &v->mark, "pins of step '%s' must be a mapping of names to values, "
				"got %s", k->str, node_type_name(v));
			continue;
		}
		json_t *pins = json_object();
		for (size_t j = 0; j < node_map_len(v); j++) {
			json_t *pin = lock_pin(L, k->str, node_map_key(v, j), node_map_value(v, j));
			if (pin)
				json_object_set_new(pins, node_map_key(v, j)->str, pin);
		}
		json_object_set_new(all, k->str, pins);
	}
	if (L->d->errors != errors) {
		json_decref(all);
		return NULL;
	}
	return all;
}

/* The header of a lock file: its format, and the contract digest. */
static int lock_header(struct loader *L, const struct node *root)
{
	struct diag *d = L->d;
	int errors = d->errors;
	check_keys(d, root, lock_keys, "in the lock file");
	const struct node *f = node_get(root, "parity-lock");
	long v;
	if (!f)
		diag_at(d, &root->mark, "missing 'parity-lock: 1': not a parity lock file (write it with "
			"'parity lock %s --from ENV')", L->c->path);
	else if (node_long(f, &v) < 0 || v != 1)
		diag_at(d, &f->mark, "unsupported lock file format 'parity-lock: %s': this runner reads "
			"format 1 (write it again with 'parity lock %s --from ENV')",
			f->type == NODE_SCALAR ? f->str : node_type_name(f), L->c->path);
	const struct node *h = node_get(root, "contract");
	bool hex = h && h->type == NODE_SCALAR && h->len == 64;
	for (size_t i = 0; hex && i < h->len; i++)
		hex = isxdigit((unsigned char)h->str[i]);
	if (h && !hex)
		diag_at(d, &h->mark, "'contract' in the lock file must be the contract's sha256, 64 hex "
			"digits, got %s", h->type == NODE_SCALAR ? "another string" : node_type_name(h));
	const struct node *e = node_get(root, "environment");
	if (e && (e->type != NODE_SCALAR || node_is_null(e)))
		diag_at(d, &e->mark, "'environment' in the lock file must be a string, got %s",
			node_type_name(e));
	return d->errors == errors ? 0 : -1;
}

static void load_lock(struct loader *L, const struct node *ln, const struct load_opts *o)
{
	struct contract *c = L->c;
	if (ln->type != NODE_SCALAR || node_is_null(ln)) {
		diag_at(L->d, &ln->mark, "'lock' must be a file path, got %s", node_type_name(ln));
		return;
	}
	c->lock_path = file_beside(c->path, ln->str);
	if (o && o->skip_lock)
		return;
	struct node_doc *doc = xcalloc(1, sizeof *doc);
	XGROW(c->docs, c->cap_docs, c->n_docs + 1);
	c->docs[c->n_docs++] = doc;
	const char *why;
	FILE *f = node_open_regular(c->lock_path, &why);
	if (!f) {
		if (access(c->lock_path, F_OK) < 0)
			diag_at(L->d, &ln->mark, "cannot read lock file '%s': %s (write it with 'parity "
				"lock %s --from ENV')", c->lock_path, why, c->path);
		else
			diag_at(L->d, &ln->mark, "cannot read lock file '%s': %s", c->lock_path, why);
		return;
	}
	fclose(f);
	if (node_load(doc, c->lock_path, &ln->mark, L->d) < 0)
		return;
	const struct node *steps = doc->root ? node_get(doc->root, "steps") : NULL;
	if (!doc->root || doc->root->type != NODE_MAP || !steps || steps->type != NODE_MAP) {
		struct mark m = {&doc->src, 1, 1};
		diag_at(L->d, steps ? &steps->mark : &m, "not a parity lock file: expected 'steps:' "
			"mapping step ids to pins");
		return;
	}
	int header = lock_header(L, doc->root);
	json_t *pins = lock_steps(L, steps);
	if (header == 0)
		c->lock = pins;
	else
		json_decref(pins);
}

/* Adds to names every NAME of a ${vars.NAME} in the scalars of the documents. */
static void referenced_vars(const struct contract *c, struct vars *names)
{
	for (size_t i = 0; i < c->n_docs; i++)
		for (size_t j = 0; j < c->docs[i]->n_all; j++) {
			const char *p = c->docs[i]->all[j]->str;
			while (p && (p = strstr(p, "${vars.")) != NULL) {
				p += 7;
				size_t len = strcspn(p, "}");
				if (p[len] != '}')
					break;
				char *name = xstrndup(p, len);
				vars_set(names, name, "");
				free(name);
				p += len;
			}
		}
}

/* Every --var must name a variable the contract defines or refers to: a
 * misspelt name would leave the default in place, a false pass. */
static void check_overrides(struct loader *L)
{
	struct vars known = {0};
	vars_copy(&known, &L->declared);
	referenced_vars(L->c, &known);
	const char **names = xcalloc(known.n + 1, sizeof *names);
	for (size_t i = 0; i < known.n; i++)
		names[i] = known.v[i].name;
	for (size_t i = 0; L->overrides && L->overrides[i]; i++) {
		char *name = xstrndup(L->overrides[i], strcspn(L->overrides[i], "="));
		const char *sug = text_suggest(name, names);
		if (vars_get(&known, name)) {
			free(name);
			continue;
		}
		if (!text_is_name(name) && sug)
			diag_err(L->d, "invalid variable name '%s' in --var (did you mean '%s'?)", name, sug);
		else if (!text_is_name(name))
			diag_err(L->d, "invalid variable name '%s' in --var: use letters, digits, '.', '_' "
				 "and '-'", name);
		else if (sug)
			diag_err(L->d, "unknown variable '%s' in --var (did you mean '%s'?)", name, sug);
		else if (known.n)
			diag_err(L->d, "unknown variable '%s' in --var: no vars: defines it and nothing "
				 "refers to it as '${vars.%s}'", name, name);
		else
			diag_err(L->d, "unknown variable '%s' in --var: the contract has no variables", name);
		free(name);
	}
	free(names);
	vars_release(&known);
}

int contract_load(struct contract *c, const char *path, const struct load_opts *o,
		  struct diag *d)
{
	struct loader L = {0};
	int errors = d->errors;

	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	diag_order(d, 0);
	c->default_timeout_ms = 60000;
	c->default_severity = SEV_ERROR;
	c->noise_factor = 10;
	c->baseline = 0;
	L.c = c;
	L.d = d;
	L.overrides = o ? o->var_overrides : NULL;

	/* --var wins over everything: set first, and re-set after the documents */
	for (size_t i = 0; o && o->var_overrides && o->var_overrides[i]; i++) {
		if (!strchr(o->var_overrides[i], '=')) {
			diag_err(d, "invalid variable '%s': write NAME=VALUE", o->var_overrides[i]);
			return -1;
		}
	}
	apply_overrides(&c->vars, L.overrides);
	load_document(&L, path, NULL, false);
	if (!c->n_docs || !c->docs[0]->root || c->docs[0]->root->type != NODE_MAP)
		goto out;
	apply_overrides(&c->vars, L.overrides);

	const struct node *root = c->docs[0]->root;
	const struct node *envs = node_get(root, "environments");
	if (!envs) {
		diag_at(d, &root->mark, "missing required key 'environments': name at least one, "
			"like 'environments: {staging: {}, production: {}}'");
	} else if (check_map(d, envs, "environments") == 0) {
		if (node_map_len(envs) == 0)
			diag_at(d, &envs->mark, "'environments' is empty: name at least one");
		for (size_t i = 0; i < node_map_len(envs); i++)
			load_env(&L, node_map_key(envs, i), node_map_value(envs, i));
	}
	diag_order(d, -1);
	check_overrides(&L);
	diag_order(d, 0);
	/* steps are parsed once every variable is known: fragments' first */
	for (size_t i = 0; i < L.n_step_lists; i++)
		load_steps(&L, L.step_lists[i]);
	strmap_release(&L.step_ids);
	diag_order(d, DIAG_ORDER_AFTER_STEPS);
	const struct node *steps = node_get(root, "steps");
	if (steps && steps->type == NODE_SEQ && steps->n == 0 && c->n_steps == 0)
		diag_at(d, &steps->mark, "'steps' is empty: a contract lists at least one step");

	const struct node *b = node_get(root, "baseline");
	if (b) {
		int bi = b->type == NODE_SCALAR ? contract_env_index(c, b->str) : -1;
		if (bi < 0 && b->type == NODE_SCALAR)
			report_unknown_env(&L, b, b->str, "'baseline'");
		else if (bi < 0)
			diag_at(d, &b->mark, "'baseline' must be an environment name, got %s",
				node_type_name(b));
		else
			c->baseline = bi;
	}
	for (size_t i = 0; i < c->n_steps; i++) {
		struct step *s = &c->steps[i];
		const struct node *on = node_get(s->node, "only");
		for (size_t j = 0; s->only && s->only[j]; j++)
			if (contract_env_index(c, s->only[j]) < 0)
				report_unknown_env(&L, on->kids[j], s->only[j], "'only'");
	}
	resolve_replicas(&L);
	resolve_after(&L);
	const struct node *w = node_get(root, "waivers");
	if (w)
		load_waivers(&L, w);
	for (size_t i = 0; i < c->n_steps; i++)
		check_step_refs(&L, &c->steps[i]);
	const struct node *ln = node_get(root, "lock");
	if (ln && d->errors == errors)
		load_lock(&L, ln, o);

	/* the digest covers the contract and then its includes, in load order */
	struct buf all;
	buf_init(&all);
	for (size_t i = 0; i < c->n_docs; i++)
		if (c->docs[i]->src.text && (!c->lock_path || !c->docs[i]->src.path ||
					     strcmp(c->docs[i]->src.path, c->lock_path)))
			buf_add(&all, c->docs[i]->src.text, c->docs[i]->src.len);
	hash_sha256_hex(all.data, all.len, c->sha256);
	buf_release(&all);
out:
	for (int i = 0; i < L.depth; i++)
		free(L.stack[i]);
	for (size_t i = 0; i < L.n_included; i++)
		free(L.included[i].real);
	vars_release(&L.declared);
	return d->errors == errors ? 0 : -1;
}

void contract_release(struct contract *c)
{
	/* first: what the step kinds parsed may point into the steps */
	arena_release(&c->arena);
	for (size_t i = 0; i < c->n_steps; i++) {
		struct step *s = &c->steps[i];
		free(s->id);
		free(s->description);
		free_list(s->only);
		free_list(s->tags);
		free_list(s->after);
		free(s->after_idx);
	}
	free(c->steps);
	for (size_t i = 0; i < c->n_envs; i++) {
		struct env *e = &c->envs[i];
		free(e->name);
		free_list(e->exec);
		free(e->dir);
		free(e->url);
		for (size_t j = 0; j < e->n_headers; j++) {
			free(e->headers[j].name);
			free(e->headers[j].value);
		}
		free(e->headers);
		free(e->tls_ca);
		free(e->tls_cert);
		free(e->tls_key);
		vars_release(&e->vars);
		free(e->facts_path);
		free(e->parity_path);
	}
	free(c->envs);
	for (size_t i = 0; i < c->n_waivers; i++) {
		free(c->waivers[i].step);
		free(c->waivers[i].reason);
	}
	free(c->waivers);
	vars_release(&c->vars);
	for (size_t i = 0; i < c->n_docs; i++) {
		node_doc_release(c->docs[i]);
		free(c->docs[i]);
	}
	free(c->docs);
	json_decref(c->lock);
	free(c->lock_path);
	free(c->name);
	free(c->description);
	free(c->path);
	free(c->env_names_cache);
	memset(c, 0, sizeof *c);
}

int contract_env_index(const struct contract *c, const char *name)
{
	for (size_t i = 0; i < c->n_envs; i++)
		if (!strcmp(c->envs[i].name, name))
			return (int)i;
	return -1;
}

int contract_step_index(const struct contract *c, const char *id)
{
	for (size_t i = 0; i < c->n_steps; i++)
		if (!strcmp(c->steps[i].id, id))
			return (int)i;
	return -1;
}

const char *const *contract_env_names(struct contract *c)
{
	free(c->env_names_cache);
	c->env_names_cache = xcalloc(c->n_envs + 1, sizeof(char *));
	for (size_t i = 0; i < c->n_envs; i++)
		c->env_names_cache[i] = c->envs[i].name;
	return (const char *const *)c->env_names_cache;
}

bool step_runs_in(const struct step *s, const struct env *e)
{
	if (!s->only)
		return true;
	for (size_t i = 0; s->only[i]; i++)
		if (!strcmp(s->only[i], e->name))
			return true;
	return false;
}

char *contract_path(const struct contract *c, const char *path)
{
	return file_beside(c->path, path);
}
