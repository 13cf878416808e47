/* bind: kinds for the loaded steps, settings checked against descriptors. */
#include "steps/bind.h"
#include "load/check.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

static bool is_common(const char *key)
{
	for (size_t j = 0; step_common_keys[j]; j++)
		if (!strcmp(key, step_common_keys[j]))
			return true;
	return false;
}

/* The kind key of a step mapping: exactly one key naming a kind. */
static const struct node *find_kind_key(struct diag *d, const struct node *n, const char *id)
{
	const struct node *found = NULL;
	for (size_t i = 0; i < node_map_len(n); i++) {
		const struct node *k = node_map_key(n, i);
		if (!step_kind_find(k->str))
			continue;
		if (found) {
			diag_at(d, &k->mark, "step '%s' has two kinds ('%s' and '%s'): a step does one "
				"thing, split it into two steps", id, found->str, k->str);
			return NULL;
		}
		found = k;
	}
	if (found)
		return found;
	const char *const *names = step_kind_names();
	for (size_t i = 0; i < node_map_len(n); i++) {
		const struct node *k = node_map_key(n, i);
		const char *sug = text_suggest(k->str, names);
		if (sug && !is_common(k->str)) {
			diag_at(d, &k->mark, "unknown step kind '%s' in step '%s' (did you mean '%s'?)",
				k->str, id, sug);
			return NULL;
		}
	}
	/* settings written beside id: name the kind that has most of them */
	size_t n_kinds, best = 0;
	const struct step_kind *const *kinds = step_kinds(&n_kinds);
	const struct step_kind *owner = NULL;
	const struct step_key *hint = NULL;
	const struct node *flat = NULL;
	for (size_t i = 0; i < n_kinds; i++) {
		size_t hits = 0;
		const struct step_key *first_key = NULL;
		const struct node *first = NULL;
		for (size_t j = 0; j < node_map_len(n); j++) {
			const struct node *k = node_map_key(n, j);
			for (const struct step_key *sk = kinds[i]->keys; sk->name && !is_common(k->str); sk++)
				if (!strcmp(sk->name, k->str) && hits++ == 0) {
					first_key = sk;
					first = k;
				}
		}
		if (hits > best) {
			best = hits;
			owner = kinds[i];
			hint = first_key;
			flat = first;
		}
	}
	if (owner) {
		/* the value's shape, from the key's schema: a list, a mapping or a scalar */
		bool list = !strncmp(hint->schema, "{\"type\":\"array\"", 15) ||
			    strstr(hint->schema, "/definitions/argv\"");
		const char *shape = list ? "[...]" : !strncmp(hint->schema, "{\"type\":\"object\"", 16)
				    ? "{...}" : "...";
		diag_at(d, &flat->mark, "unknown key '%s' in step '%s': a kind's settings go under the "
			"kind key, like '%s: {%s: %s}'", flat->str, id, owner->name, flat->str, shape);
	}
	struct buf list;
	buf_init(&list);
	for (size_t i = 0; names[i]; i++)
		buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
	diag_at(d, &n->mark, "step '%s' has no kind: add one of %s", id, list.data);
	buf_release(&list);
	return NULL;
}

/* Unknown keys among the kind's settings; 0 or -1 after reporting. Required
 * keys are the kind's parse's to check: it says best what a missing one means. */
static int check_settings(struct diag *d, const struct step_kind *kind, const struct node *body,
			  const char *id)
{
	const char *allowed[64];
	size_t n = 0;
	char what[300];
	for (size_t i = 0; kind->keys[i].name && n < 63; i++)
		allowed[n++] = kind->keys[i].name;
	allowed[n] = NULL;
	snprintf(what, sizeof what, "in %s step '%s'", kind->name, id);
	return check_keys(d, body, allowed, what) ? -1 : 0;
}

static void bind_step(struct contract *c, struct step *s, struct diag *d)
{
	char what[300];
	int errors = d->errors;

	const struct node *kk = find_kind_key(d, s->node, s->id);
	if (!kk)
		return;
	const struct step_kind *kind = step_kind_find(kk->str);
	const char *allowed[16];
	size_t na = 0;
	for (size_t i = 0; step_common_keys[i] && na < 14; i++)
		allowed[na++] = step_common_keys[i];
	allowed[na++] = kk->str;
	allowed[na] = NULL;
	snprintf(what, sizeof what, "in step '%s'", s->id);
	check_keys(d, s->node, allowed, what);

	s->kind = kind;
	s->body = node_get(s->node, kk->str);
	if (s->stage == STAGE_COUNT)
		s->stage = kind->default_stage;
	if (s->body->type != NODE_MAP) {
		diag_at(d, &s->body->mark, "'%s' must be a mapping of the step's settings, got %s",
			kk->str, node_type_name(s->body));
		return;
	}
	if (check_settings(d, kind, s->body, s->id) < 0 || d->errors != errors || s->load_errors)
		return;
	snprintf(what, sizeof what, "%s step '%s'", kind->name, s->id);
	struct parse_ctx p = {c, s, d, {&c->vars, NULL, "a pinned value"}, what, &c->arena};
	kind->parse(s, &p);
}

int steps_bind(struct contract *c, struct diag *d)
{
	int errors = d->errors;
	for (size_t i = 0; i < c->n_steps; i++) {
		diag_order(d, DIAG_ORDER_STEP(i));
		bind_step(c, &c->steps[i], d);
	}
	diag_order(d, DIAG_ORDER_AFTER_STEPS);
	return d->errors == errors ? 0 : -1;
}

int contract_open(struct contract *c, const char *path, const struct load_opts *o,
		  struct diag *d)
{
	int errors = d->errors;
	contract_load(c, path, o, d);
	steps_bind(c, d);
	return d->errors == errors ? 0 : -1;
}
