/* jsondiff: path-by-path comparison of JSON documents (see jsondiff.h). */
#include "data/jsondiff.h"
#include "data/jsonptr.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* json_pointer_get without the reason. */
static json_t *pointer_at(const json_t *root, const char *ptr)
{
	char *why = NULL;
	json_t *v = json_pointer_get((json_t *)(uintptr_t)root, ptr, &why);
	free(why);
	return v;
}

struct jsondiff {
	struct jsondiff_path *paths;
	size_t n, cap;
	bool every_leaf;
	char **ignore;
	size_t n_ignore;
};

/* One record's comparison at one path. */
struct cmp {
	const struct jsondiff *d;
	double band, max;
	bool differ;
};

char *jsondiff_join(const char *prefix, const char *token)
{
	size_t n = strlen(prefix), k = n;
	char *s = xmalloc(n + 2 * strlen(token) + 2);
	memcpy(s, prefix, n);
	s[k++] = '/';
	for (const char *t = token; *t; t++) {
		if (*t == '~' || *t == '/') {
			s[k++] = '~';
			s[k++] = *t == '~' ? '0' : '1';
		} else {
			s[k++] = *t;
		}
	}
	s[k] = '\0';
	return s;
}

static bool ignored(const struct jsondiff *d, const char *path)
{
	for (size_t i = 0; i < d->n_ignore; i++) {
		size_t n = strlen(d->ignore[i]);
		if (!strncmp(path, d->ignore[i], n) && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static struct jsondiff_path *add_path(struct jsondiff *d, const char *path, double band)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->paths = xrealloc(d->paths, d->cap * sizeof *d->paths);
	}
	struct jsondiff_path *p = &d->paths[d->n++];
	memset(p, 0, sizeof *p);
	p->path = xstrdup(path);
	p->band = band;
	p->numeric = true;
	return p;
}

struct jsondiff *jsondiff_new(const struct jsondiff_rule *rules, size_t n, char *const *ignore)
{
	struct jsondiff *d = xcalloc(1, sizeof *d);
	for (size_t i = 0; i < n; i++)
		add_path(d, rules[i].path, rules[i].max_abs_diff);
	d->every_leaf = n == 0;
	while (ignore && ignore[d->n_ignore])
		d->n_ignore++;
	d->ignore = xcalloc(d->n_ignore + 1, sizeof *d->ignore);
	for (size_t i = 0; i < d->n_ignore; i++)
		d->ignore[i] = xstrdup(ignore[i]);
	return d;
}

void jsondiff_free(struct jsondiff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct jsondiff_path *p = &d->paths[i];
		for (size_t k = 0; k < p->n_ex; k++) {
			free(p->ex[k].id);
			free(p->ex[k].base);
			free(p->ex[k].other);
		}
		free(p->path);
		free(p->base);
		free(p->other);
	}
	for (size_t i = 0; i < d->n_ignore; i++)
		free(d->ignore[i]);
	free(d->ignore);
	free(d->paths);
	free(d);
}

size_t jsondiff_count(const struct jsondiff *d)
{
	return d->n;
}

const struct jsondiff_path *jsondiff_get(const struct jsondiff *d, size_t i)
{
	return &d->paths[i];
}

static bool number(const json_t *v, double *x)
{
	if (json_is_number(v)) {
		*x = json_number_value(v);
		return true;
	}
	/* json_lenient_loads' NaN and Infinity markers start with a NUL */
	return json_is_string(v) && json_string_length(v) > 0 && json_string_value(v)[0] == '\0' &&
	       json_lenient_number(v, x) == 0;
}

static void compare(struct cmp *c, const char *path, const json_t *a, const json_t *b);

static void compare_objects(struct cmp *c, const char *path, const json_t *a, const json_t *b)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)(uintptr_t)a, k, v) {
		char *sub = jsondiff_join(path, k);
		if (!ignored(c->d, sub))
			compare(c, sub, v, json_object_get(b, k));
		free(sub);
	}
	json_object_foreach((json_t *)(uintptr_t)b, k, v) {
		char *sub = jsondiff_join(path, k);
		if (!json_object_get(a, k) && !ignored(c->d, sub))
			c->differ = true;
		free(sub);
	}
}

static void compare(struct cmp *c, const char *path, const json_t *a, const json_t *b)
{
	double x, y;
	if (!a || !b) {
		c->differ |= a != b;
		return;
	}
	if (number(a, &x) && number(b, &y)) {
		if (isnan(x) || isnan(y)) {
			c->differ |= isnan(x) != isnan(y);
			return;
		}
		double d = fabs(x - y);
		if (d > c->max)
			c->max = d;
		c->differ |= c->band < 0 ? x != y : !(d <= c->band);
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			c->differ = true;
		for (size_t i = 0; i < json_array_size(a) && i < json_array_size(b); i++) {
			char num[24];
			snprintf(num, sizeof num, "%zu", i);
			char *sub = jsondiff_join(path, num);
			if (!ignored(c->d, sub))
				compare(c, sub, json_array_get(a, i), json_array_get(b, i));
			free(sub);
		}
		return;
	}
	if (json_is_object(a) && json_is_object(b)) {
		compare_objects(c, path, a, b);
		return;
	}
	c->differ |= !json_equal((json_t *)(uintptr_t)a, (json_t *)(uintptr_t)b);
}

/* Numbers of v into out (width n): a number or an array of numbers. */
static bool numbers(const json_t *v, double *out, size_t *n, size_t cap)
{
	double x;
	if (v && number(v, &x)) {
		if (cap >= 1)
			out[0] = x;
		*n = 1;
		return true;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	*n = json_array_size(v);
	for (size_t i = 0; i < *n; i++) {
		if (!number(json_array_get(v, i), &x))
			return false;
		if (i < cap)
			out[i] = x;
	}
	return true;
}

static void keep_numbers(struct jsondiff_path *p, const json_t *a, const json_t *b)
{
	size_t na = 0, nb = 0;
	if (!p->numeric)
		return;
	if (!numbers(a, NULL, &na, 0) || !numbers(b, NULL, &nb, 0) || na != nb ||
	    (p->rows && na != p->width)) {
		p->numeric = false;
		return;
	}
	p->width = na;
	if ((p->rows & (p->rows - 1)) == 0) {
		size_t cap = (p->rows ? 2 * p->rows : 1) * na;
		p->base = xrealloc(p->base, cap * sizeof *p->base);
		p->other = xrealloc(p->other, cap * sizeof *p->other);
	}
	numbers(a, p->base + p->rows * na, &na, na);
	numbers(b, p->other + p->rows * na, &nb, nb);
	p->rows++;
}

static char *render(const json_t *v)
{
	if (!v)
		return xstrdup("missing");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
			     JSON_REAL_PRECISION(15));
	if (s && strlen(s) > 200)
		strcpy(s + 197, "...");
	return s ? s : xstrdup("?");
}

static void record_at(struct jsondiff *d, size_t pi, const char *id, const json_t *a, const json_t *b)
{
	struct jsondiff_path *p = &d->paths[pi];
	struct cmp c = {d, p->band, 0, false};
	if (!a && !b)
		return;
	compare(&c, p->path, a, b);
	p = &d->paths[pi];
	p->compared++;
	if (c.max > p->max_abs_diff)
		p->max_abs_diff = c.max;
	keep_numbers(p, a, b);
	if (!c.differ)
		return;
	p->differ++;
	if (p->n_ex < JSONDIFF_EXAMPLES) {
		struct jsondiff_example *e = &p->ex[p->n_ex++];
		e->id = xstrdup(id);
		e->base = render(a);
		e->other = render(b);
	}
}

static size_t find_path(struct jsondiff *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->paths[i].path, path))
			return i;
	add_path(d, path, -1);
	return d->n - 1;
}

static bool scalars(const json_t *v)
{
	size_t i;
	const json_t *x;
	json_array_foreach(v, i, x)
		if (json_is_object(x) || json_is_array(x))
			return false;
	return true;
}

/* Every leaf path under path: the first pass walks a (base), the second
 * walks b (other) for what a lacks. */
static void leaves(struct jsondiff *d, const char *id, const char *path, const json_t *a,
		   const json_t *b, bool first)
{
	const json_t *v = first ? a : b, *o = first ? b : a;
	if (!v || ignored(d, path))
		return;
	if (json_is_object(v) && (!o || json_is_object(o))) {
		const char *k;
		const json_t *x;
		json_object_foreach((json_t *)(uintptr_t)v, k, x) {
			char *sub = jsondiff_join(path, k);
			leaves(d, id, sub, a ? json_object_get(a, k) : NULL,
			       b ? json_object_get(b, k) : NULL, first);
			free(sub);
		}
		return;
	}
	if (json_is_array(v) && !scalars(v) && json_is_array(o) &&
	    json_array_size(a) == json_array_size(b)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			char num[24];
			snprintf(num, sizeof num, "%zu", i);
			char *sub = jsondiff_join(path, num);
			leaves(d, id, sub, json_array_get(a, i), json_array_get(b, i), first);
			free(sub);
		}
		return;
	}
	if (first || !a)
		record_at(d, find_path(d, path), id, a, b);
}

void jsondiff_add(struct jsondiff *d, const char *id, const json_t *base, const json_t *other)
{
	if (d->every_leaf) {
		leaves(d, id, "", base, other, true);
		leaves(d, id, "", base, other, false);
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		json_t *a = pointer_at(base, d->paths[i].path);
		json_t *b = pointer_at(other, d->paths[i].path);
		record_at(d, i, id, a, b);
	}
}

void jsondiff_add_picked(struct jsondiff *d, const char *id, const json_t *base,
			 const json_t *other)
{
	if (d->every_leaf) {
		jsondiff_add(d, id, base, other);
		return;
	}
	for (size_t i = 0; i < d->n; i++)
		record_at(d, i, id, json_object_get(base, d->paths[i].path),
			  json_object_get(other, d->paths[i].path));
}

json_t *jsondiff_path_json(const struct jsondiff_path *p, const char *base_name,
			   const char *other_name)
{
	json_t *ex = json_array();
	for (size_t i = 0; i < p->n_ex; i++)
		json_array_append_new(ex, json_pack("{s:s, s:s, s:s}", "id", p->ex[i].id, base_name,
						    p->ex[i].base, other_name, p->ex[i].other));
	return json_pack("{s:I, s:I, s:f, s:o}", "compared", (json_int_t)p->compared, "differ",
			 (json_int_t)p->differ, "max_abs_diff", p->max_abs_diff, "examples", ex);
}
