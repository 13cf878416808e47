/* interp: expansion of ${vars.NAME}, ${env.NAME} and ${environment}.
 * One scanner serves load-time checking (errors at the node's place, with
 * suggestions) and gather-time expansion. */
#include "load/interp.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* "ns.rest" where ns is a name: the form of our references. */
static bool is_namespaced(const char *ref)
{
	size_t n = strcspn(ref, ".");
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(ref[i] == '_' || (ref[i] >= 'a' && ref[i] <= 'z') || (ref[i] >= 'A' && ref[i] <= 'Z') ||
		      (i > 0 && ref[i] >= '0' && ref[i] <= '9')))
			return false;
	return true;
}

/* Expands s into out; returns NULL on success or an error message (owned).
 * d, at m: where a warning goes (NULL: none). */
static char *expand(const struct interp_ctx *ctx, const char *s, struct buf *out,
		    struct diag *d, const struct mark *m)
{
	const char *p = s;

	while (*p) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_puts(out, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			buf_putc(out, *p++);
			continue;
		}
		const char *end = strchr(p + 2, '}');
		if (!end)
			return xasprintf("unterminated '${' in '%s': close it with '}' "
					 "(write '$${' for a literal '${')", s);
		char *ref = xstrndup(p + 2, (size_t)(end - p - 2));
		char *err = NULL;
		if (!strcmp(ref, "environment")) {
			if (ctx->environment)
				buf_puts(out, ctx->environment);
			else
				err = xasprintf("'${environment}' cannot be used in %s: it is the "
						"same for every environment", ctx->where ? ctx->where : "this value");
		} else if (!strncmp(ref, "vars.", 5)) {
			const char *v = ctx->vars ? vars_get(ctx->vars, ref + 5) : NULL;
			if (v) {
				buf_puts(out, v);
			} else {
				const char *names[64];
				size_t n = 0;
				for (size_t i = 0; ctx->vars && i < ctx->vars->n && n < 63; i++)
					names[n++] = ctx->vars->v[i].name;
				names[n] = NULL;
				const char *sug = text_suggest(ref + 5, names);
				if (sug)
					err = xasprintf("undefined variable '%s' in '${%s}' (did you mean "
							"'%s'?)", ref + 5, ref, sug);
				else
					err = xasprintf("undefined variable '%s' in '${%s}': define it "
							"under 'vars:'", ref + 5, ref);
			}
		} else if (!strncmp(ref, "env.", 4)) {
			const char *v = getenv(ref + 4);
			if (v) {
				if (secret_add(v) == SECRET_TOO_SHORT && d)
					diag_warn_at(d, m, "'${%s}' is too short to be masked (%zu character%s): "
						     "reports show it as it is; a secret needs %d or more",
						     ref, strlen(v), strlen(v) == 1 ? "" : "s", SECRET_MIN_LEN);
				buf_puts(out, v);
			} else {
				err = xasprintf("environment variable '%s' is not set (referenced as "
						"'${%s}'): export it before running parity", ref + 4, ref);
			}
		} else if (strchr(ref, '.') && is_namespaced(ref)) {
			static const char *const spaces[] = {"vars", "env", NULL};
			char *ns = xstrndup(ref, strcspn(ref, "."));
			const char *sug = text_suggest(ns, spaces);
			if (sug)
				err = xasprintf("unknown reference '${%s}' (did you mean '${%s%s}'?)", ref,
						sug, ref + strlen(ns));
			else
				err = xasprintf("unknown reference '${%s}': use ${vars.NAME}, ${env.NAME} "
						"or ${environment}", ref);
			free(ns);
		} else {
			/* not ours: a shell expansion such as ${HOME} or ${X:-1}, kept as is */
			buf_printf(out, "${%s}", ref);
		}
		free(ref);
		if (err)
			return err;
		p = end + 1;
	}
	return NULL;
}

static char *interp(const struct interp_ctx *ctx, const char *s, char **err, struct diag *d,
		    const struct mark *m)
{
	struct buf out;
	buf_init(&out);
	char *e = expand(ctx, s, &out, d, m);
	if (e) {
		buf_release(&out);
		if (err)
			*err = e;
		else
			free(e);
		return NULL;
	}
	char *r = buf_detach(&out);
	buf_release(&out);
	return r;
}

char *interp_string(const struct interp_ctx *ctx, const char *s, char **err)
{
	return interp(ctx, s, err, NULL, NULL);
}

char *interp_node(const struct interp_ctx *ctx, const struct node *n, struct diag *d)
{
	char *err = NULL;
	char *r = interp(ctx, n->str ? n->str : "", &err, d, &n->mark);
	if (!r) {
		if (d)
			diag_at(d, &n->mark, "%s", err);
		free(err);
	}
	return r;
}

bool interp_has_refs(const char *s)
{
	return s && strstr(s, "${") != NULL;
}

const char *vars_get(const struct vars *vs, const char *name)
{
	for (size_t i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].name, name))
			return vs->v[i].value;
	return NULL;
}

void vars_set(struct vars *vs, const char *name, const char *value)
{
	for (size_t i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].name, name)) {
			free(vs->v[i].value);
			vs->v[i].value = xstrdup(value);
			return;
		}
	XGROW(vs->v, vs->cap, vs->n + 1);
	vs->v[vs->n].name = xstrdup(name);
	vs->v[vs->n].value = xstrdup(value);
	vs->n++;
}

void vars_copy(struct vars *dst, const struct vars *src)
{
	for (size_t i = 0; i < src->n; i++)
		vars_set(dst, src->v[i].name, src->v[i].value);
}

void vars_release(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	memset(vs, 0, sizeof *vs);
}
