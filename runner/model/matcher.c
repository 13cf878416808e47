/* matcher: pinned expectations. The forms are a table: a mapping matcher
 * has exactly one form key (min and max go together). */
#include "model/matcher.h"
#include "util/buf.h"
#include "util/regex.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum form { M_EXACT, M_REGEX, M_VERSION, M_RANGE, M_ONE_OF };

struct matcher {
	enum form form;
	char *value;            /* exact: the expected text */
	bool numeric;           /* exact: the expectation is a YAML number */
	struct regex *re;
	struct version_spec *spec;
	bool has_min, has_max;
	double min, max;
	struct matcher **alts;  /* one_of */
	size_t n_alts;
};

static const char *const form_keys[] = {"regex", "version", "min", "max", "one_of", NULL};

static bool parse_number(const char *s, double *out)
{
	char *end;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!*s)
		return false;
	errno = 0;
	double v = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (errno == ERANGE || *end || isnan(v))
		return false;
	*out = v;
	return true;
}

struct matcher *matcher_exact(const char *s)
{
	struct matcher *m = xcalloc(1, sizeof *m);
	m->form = M_EXACT;
	m->value = xstrdup(s);
	return m;
}

static struct matcher *parse_scalar(const struct node *n, const struct interp_ctx *ctx,
				    struct diag *d)
{
	double x;
	if (node_is_null(n)) {
		diag_at(d, &n->mark, "expected a value or a matcher ({regex: ...}, {min: ..., "
			"max: ...}, {one_of: [...]}), got null");
		return NULL;
	}
	char *v = interp_node(ctx, n, d);
	if (!v)
		return NULL;
	struct matcher *m = matcher_exact(v);
	free(v);
	m->numeric = n->plain && node_double(n, &x) == 0;
	return m;
}

static int parse_bound(const struct node *n, const char *key, double *out, struct diag *d)
{
	if (node_double(n, out) < 0) {
		diag_at(d, &n->mark, "'%s' must be a number, got %s", key, node_type_name(n));
		return -1;
	}
	return 0;
}

/* The form key of a matcher mapping (min and max go together); NULL after
 * reporting an unknown key, a second form or none. */
static const struct node *form_key(const struct node *n, struct diag *d)
{
	const struct node *first = NULL;
	int errors = d->errors;

	for (size_t i = 0; i < node_map_len(n); i++) {
		const struct node *k = node_map_key(n, i);
		bool known = false;
		for (int j = 0; form_keys[j]; j++)
			known |= !strcmp(k->str, form_keys[j]);
		if (!known) {
			const char *sug = text_suggest(k->str, form_keys);
			if (sug)
				diag_at(d, &k->mark, "unknown matcher '%s' (did you mean '%s'?)", k->str, sug);
			else
				diag_at(d, &k->mark, "unknown matcher '%s': use regex, version, min/max "
					"or one_of", k->str);
			continue;
		}
		bool range = !strcmp(k->str, "min") || !strcmp(k->str, "max");
		if (first) {
			bool first_range = !strcmp(first->str, "min") || !strcmp(first->str, "max");
			if (!(range && first_range)) {
				diag_at(d, &k->mark, "a matcher has one form: '%s' cannot go with '%s' "
					"(use one_of for alternatives)", k->str, first->str);
				continue;
			}
		} else {
			first = k;
		}
	}
	if (!first && d->errors == errors)
		diag_at(d, &n->mark, "empty matcher: use regex, version, min/max or one_of");
	return d->errors == errors ? first : NULL;
}

/* {regex: PATTERN} into m; -1 after reporting, at the offending character
 * of the pattern when the source spells it as is. */
static int parse_regex(struct matcher *m, const struct node *v, const struct interp_ctx *ctx,
		       struct diag *d)
{
	char *err = NULL;
	size_t off = 0;
	if (!node_is_string(v)) {
		diag_at(d, &v->mark, "'regex' must be a string, got %s", node_type_name(v));
		return -1;
	}
	char *pat = interp_node(ctx, v, d);
	if (!pat)
		return -1;
	m->form = M_REGEX;
	m->re = regex_new(pat, &err, &off);
	if (!m->re) {
		struct mark at = v->mark;
		/* point into the pattern when the source spells it as is (no escapes) */
		size_t len = 0;
		const char *line = v->mark.src && !interp_has_refs(v->str)
			? diag_line(v->mark.src, v->mark.line, &len) : NULL;
		size_t at_col = (size_t)v->mark.col - 1 + (v->plain ? 0 : 1);
		if (line && at_col + strlen(pat) <= len && !strncmp(line + at_col, pat, strlen(pat)))
			at.col += (int)off + (v->plain ? 0 : 1);
		diag_at(d, &at, "invalid regular expression '%s': %s at offset %zu", pat, err, off);
		free(err);
		free(pat);
		return -1;
	}
	free(pat);
	return 0;
}

/* {version: SPEC} into m; -1 after reporting. */
static int parse_version_form(struct matcher *m, const struct node *v,
			      const struct interp_ctx *ctx, struct diag *d)
{
	char *err = NULL;
	if (v->type != NODE_SCALAR || node_is_null(v)) {
		diag_at(d, &v->mark, "'version' must be a specifier like \">=1.26,<1.27\", got %s",
			node_type_name(v));
		return -1;
	}
	char *text = interp_node(ctx, v, d);
	if (!text)
		return -1;
	m->form = M_VERSION;
	m->spec = version_spec_new(text, &err);
	free(text);
	if (!m->spec) {
		diag_at(d, &v->mark, "%s", err);
		free(err);
		return -1;
	}
	/* the scheme is known only when a step tests it: refuse what neither reads */
	if (version_spec_check(m->spec, SCHEME_PEP440, &err) < 0) {
		char *err2 = NULL;
		if (version_spec_check(m->spec, SCHEME_DEBIAN, &err2) < 0) {
			diag_at(d, &v->mark, "%s", err);
			free(err);
			free(err2);
			return -1;
		}
		free(err);
	}
	return 0;
}

static struct matcher *parse_map(const struct node *n, const struct interp_ctx *ctx,
				 struct diag *d)
{
	struct matcher *m = xcalloc(1, sizeof *m);
	int errors = d->errors;
	const struct node *first = form_key(n, d);

	if (!first)
		goto fail;
	if (!strcmp(first->str, "regex")) {
		if (parse_regex(m, node_get(n, "regex"), ctx, d) < 0)
			goto fail;
	} else if (!strcmp(first->str, "version")) {
		if (parse_version_form(m, node_get(n, "version"), ctx, d) < 0)
			goto fail;
	} else if (!strcmp(first->str, "one_of")) {
		const struct node *v = node_get(n, "one_of");
		if (v->type != NODE_SEQ || v->n == 0) {
			diag_at(d, &v->mark, "'one_of' must be a non-empty list of values, got %s",
				node_type_name(v));
			goto fail;
		}
		m->form = M_ONE_OF;
		m->alts = xcalloc(v->n, sizeof *m->alts);
		for (size_t i = 0; i < v->n; i++) {
			m->alts[m->n_alts] = matcher_parse(v->kids[i], ctx, d);
			if (m->alts[m->n_alts])
				m->n_alts++;
		}
		if (m->n_alts != v->n)
			goto fail;
	} else {
		const struct node *lo = node_get(n, "min"), *hi = node_get(n, "max");
		m->form = M_RANGE;
		if (lo && parse_bound(lo, "min", &m->min, d) == 0)
			m->has_min = true;
		if (hi && parse_bound(hi, "max", &m->max, d) == 0)
			m->has_max = true;
		if (d->errors != errors)
			goto fail;
		if (m->has_min && m->has_max && m->min > m->max) {
			diag_at(d, &n->mark, "empty range: min %g is greater than max %g", m->min, m->max);
			goto fail;
		}
	}
	return m;
fail:
	matcher_free(m);
	return NULL;
}

struct matcher *matcher_parse(const struct node *n, const struct interp_ctx *ctx, struct diag *d)
{
	if (n->type == NODE_SCALAR)
		return parse_scalar(n, ctx, d);
	if (n->type == NODE_MAP)
		return parse_map(n, ctx, d);
	diag_at(d, &n->mark, "expected a value or a matcher mapping, got a sequence "
		"(for alternatives write {one_of: [...]})");
	return NULL;
}

void matcher_free(struct matcher *m)
{
	if (!m)
		return;
	free(m->value);
	regex_free(m->re);
	version_spec_free(m->spec);
	for (size_t i = 0; i < m->n_alts; i++)
		matcher_free(m->alts[i]);
	free(m->alts);
	free(m);
}

struct matcher *matcher_version(const char *spec, char **err)
{
	struct version_spec *s = version_spec_new(spec, err);
	if (!s)
		return NULL;
	struct matcher *m = xcalloc(1, sizeof *m);
	m->form = M_VERSION;
	m->spec = s;
	return m;
}

int matcher_test(const struct matcher *m, const char *actual, char **why)
{
	return matcher_test_scheme(m, actual, SCHEME_PEP440, why);
}

int matcher_test_scheme(const struct matcher *m, const char *actual,
			enum version_scheme scheme, char **why)
{
	double x, y;
	char *err = NULL;
	int r;

	if (why)
		*why = NULL;
	switch (m->form) {
	case M_EXACT:
		if (!strcmp(m->value, actual))
			return 1;
		if (m->numeric && parse_number(m->value, &x) && parse_number(actual, &y) && x == y)
			return 1;
		return 0;
	case M_REGEX:
		r = regex_match(m->re, actual, strlen(actual), NULL, &err);
		if (r < 0 && why)
			*why = err;
		else
			free(err);
		return r;
	case M_VERSION:
		/* a version that cannot be parsed is a failed check, quoted in why */
		r = version_spec_match(m->spec, actual, scheme, &err);
		if (r < 0)
			r = 0;
		if (r != 1 && why)
			*why = err;
		else
			free(err);
		return r;
	case M_RANGE:
		if (!parse_number(actual, &x)) {
			if (why)
				*why = xasprintf("'%s' is not a number", actual);
			return 0;
		}
		return (!m->has_min || x >= m->min) && (!m->has_max || x <= m->max);
	case M_ONE_OF: {
		/* a match anywhere wins; otherwise the first error, if any, is the answer */
		int result = 0;
		for (size_t i = 0; i < m->n_alts; i++) {
			char *w = NULL;
			r = matcher_test_scheme(m->alts[i], actual, scheme, &w);
			if (r > 0) {
				free(w);
				if (why) {
					free(*why);
					*why = NULL;
				}
				return 1;
			}
			if (r < 0 && result == 0) {
				result = -1;
				if (why)
					*why = w;
				else
					free(w);
			} else {
				free(w);
			}
		}
		return result;
	}
	}
	return 0;
}

static void describe(const struct matcher *m, struct buf *b)
{
	switch (m->form) {
	case M_EXACT:
		if (m->numeric)
			buf_puts(b, m->value);
		else
			buf_printf(b, "\"%s\"", m->value);
		break;
	case M_REGEX:
		buf_printf(b, "matches /%s/", regex_pattern(m->re));
		break;
	case M_VERSION:
		buf_printf(b, "version %s", version_spec_text(m->spec));
		break;
	case M_RANGE:
		if (m->has_min)
			buf_printf(b, ">= %g", m->min);
		if (m->has_min && m->has_max)
			buf_puts(b, " and ");
		if (m->has_max)
			buf_printf(b, "<= %g", m->max);
		break;
	case M_ONE_OF:
		buf_puts(b, "one of [");
		for (size_t i = 0; i < m->n_alts; i++) {
			if (i)
				buf_puts(b, ", ");
			describe(m->alts[i], b);
		}
		buf_puts(b, "]");
		break;
	}
}

char *matcher_describe(const struct matcher *m)
{
	struct buf b;
	buf_init(&b);
	describe(m, &b);
	char *r = buf_detach(&b);
	buf_release(&b);
	return r;
}
