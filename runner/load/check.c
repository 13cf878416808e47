/* check: typed getters over the node tree, reporting at the node's place. */
#include "load/check.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

int check_keys(struct diag *d, const struct node *map, const char *const *allowed,
	       const char *what)
{
	int bad = 0;
	for (size_t i = 0; i < node_map_len(map); i++) {
		const struct node *k = node_map_key(map, i);
		bool ok = false;
		for (size_t j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(k->str, allowed[j]);
		if (ok)
			continue;
		bad++;
		const char *sug = text_suggest(k->str, allowed);
		if (sug) {
			diag_at(d, &k->mark, "unknown key '%s' %s (did you mean '%s'?)", k->str, what, sug);
		} else {
			struct buf list;
			buf_init(&list);
			for (size_t j = 0; allowed[j]; j++)
				buf_printf(&list, "%s%s", j ? ", " : "", allowed[j]);
			diag_at(d, &k->mark, "unknown key '%s' %s (known keys: %s)", k->str, what,
				list.data);
			buf_release(&list);
		}
	}
	return bad;
}

int check_required(struct diag *d, const struct node *map, const char *key, const char *what)
{
	if (node_get(map, key))
		return 0;
	diag_at(d, &map->mark, "%s needs '%s'", what, key);
	return -1;
}

int check_map(struct diag *d, const struct node *n, const char *key)
{
	if (n->type == NODE_MAP)
		return 0;
	diag_at(d, &n->mark, "'%s' must be a mapping, got %s", key, node_type_name(n));
	return -1;
}

int get_string(struct diag *d, const struct node *map, const char *key, char **out)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	if (n->type != NODE_SCALAR || node_is_null(n)) {
		diag_at(d, &n->mark, "'%s' must be a string, got %s", key, node_type_name(n));
		return -1;
	}
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

int get_bool(struct diag *d, const struct node *map, const char *key, bool *out)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	if (node_bool(n, out) < 0) {
		diag_at(d, &n->mark, "'%s' must be true or false, got %s", key, node_type_name(n));
		return -1;
	}
	return 0;
}

int get_long(struct diag *d, const struct node *map, const char *key, long *out)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	if (node_long(n, out) < 0) {
		diag_at(d, &n->mark, "'%s' must be an integer, got %s", key, node_type_name(n));
		return -1;
	}
	return 0;
}

int get_count(struct diag *d, const struct node *map, const char *key, long *out)
{
	const struct node *n = node_get(map, key);
	long v;
	if (!n)
		return 0;
	if (node_long(n, &v) < 0 || v < 0) {
		diag_at(d, &n->mark, "'%s' must be a non-negative integer, got %s%s%s", key,
			node_type_name(n), n->type == NODE_SCALAR ? " " : "",
			n->type == NODE_SCALAR ? n->str : "");
		return -1;
	}
	*out = v;
	return 0;
}

/* Why text, which text_duration_ms refused or read as more than the bound,
 * is not a duration: a number and a unit it reads ("0.0001s", "10000000h"),
 * or not one at all (NULL). */
static const char *duration_problem(const char *text, long ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	size_t digits = strspn(text, "0123456789");
	const char *unit = text + digits;
	if (!digits)
		return NULL;
	if (*unit == '.') {
		size_t frac = strspn(unit + 1, "0123456789");
		if (!frac)
			return NULL;
		unit += 1 + frac;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		double v = ms >= 0 ? (double)ms : strtod(text, NULL) * units[i].ms;
		return v > DURATION_MAX_MS ? "is longer than 24 hours: give at most 24h"
		       : "is not a whole number of milliseconds: round it (the shortest is 1ms)";
	}
	return NULL;
}

int get_duration(struct diag *d, const struct node *map, const char *key, long *ms)
{
	const struct node *n = node_get(map, key);
	if (!n)
		return 0;
	long v = n->type == NODE_SCALAR ? text_duration_ms(n->str) : -1;
	const char *why = n->type == NODE_SCALAR && (v < 0 || v > DURATION_MAX_MS)
			  ? duration_problem(n->str, v) : NULL;
	if (why) {
		diag_at(d, &n->mark, "duration '%s' for '%s' %s", n->str, key, why);
		return -1;
	}
	if (v < 0) {
		diag_at(d, &n->mark, "malformed duration '%s' for '%s': write a number and a unit, "
			"like 500ms, 30s or 5m", n->type == NODE_SCALAR ? n->str : node_type_name(n), key);
		return -1;
	}
	if (v == 0) {
		diag_at(d, &n->mark, "'%s' must be greater than zero", key);
		return -1;
	}
	*ms = v;
	return 0;
}

int get_list(struct diag *d, const struct node *map, const char *key, bool allow_scalar,
	     char ***out, size_t *n_out)
{
	const struct node *n = node_get(map, key);
	char **list;
	size_t n_items;

	if (!n)
		return 0;
	if (allow_scalar && n->type == NODE_SCALAR && !node_is_null(n)) {
		list = xcalloc(2, sizeof *list);
		list[0] = xstrdup(n->str);
		n_items = 1;
	} else if (n->type == NODE_SEQ) {
		list = xcalloc(n->n + 1, sizeof *list);
		for (size_t i = 0; i < n->n; i++) {
			const struct node *k = n->kids[i];
			if (k->type != NODE_SCALAR || node_is_null(k)) {
				diag_at(d, &k->mark, "items of '%s' must be strings, got %s", key,
					node_type_name(k));
				free_list(list);
				return -1;
			}
			list[i] = xstrdup(k->str);
		}
		n_items = n->n;
	} else {
		diag_at(d, &n->mark, "'%s' must be a list%s, got %s", key,
			allow_scalar ? " or a string" : "", node_type_name(n));
		return -1;
	}
	free_list(*out);
	*out = list;
	if (n_out)
		*n_out = n_items;
	return 0;
}

void free_list(char **list)
{
	if (!list)
		return;
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}

json_t *node_to_json(const struct node *n)
{
	bool b;
	long l;
	double d;
	json_t *j;

	if (node_is_null(n))
		return json_null();
	switch (n->type) {
	case NODE_SEQ:
		j = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(j, node_to_json(n->kids[i]));
		return j;
	case NODE_MAP:
		j = json_object();
		for (size_t i = 0; i < node_map_len(n); i++)
			json_object_set_new(j, node_map_key(n, i)->str, node_to_json(node_map_value(n, i)));
		return j;
	default:
		if (n->plain && node_bool(n, &b) == 0)
			return json_boolean(b);
		if (n->plain && node_long(n, &l) == 0)
			return json_integer(l);
		if (n->plain && node_double(n, &d) == 0)
			return json_real(d);
		return json_string(n->str);
	}
}
