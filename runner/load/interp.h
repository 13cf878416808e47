/* interp: ${vars.NAME}, ${env.NAME} and ${environment} in strings.
 * "$${" is a literal "${". ${env.X} values are registered as secrets.
 * Another dotted name (${var.x}) is an error; anything else (${HOME},
 * ${X:-1}) is left as it is, for the shell. */
#ifndef PARITY_INTERP_H
#define PARITY_INTERP_H
#include <stdbool.h>
#include <stddef.h>
#include "load/node.h"
#include "util/diag.h"

/* Variables: names and their interpolated values. */
struct var {
	char *name;
	char *value;            /* interpolated */
};

struct vars {
	struct var *v;
	size_t n, cap;
};
const char *vars_get(const struct vars *vs, const char *name);
void vars_set(struct vars *vs, const char *name, const char *value);   /* copies */
/* Sets every variable of src in dst. */
void vars_copy(struct vars *dst, const struct vars *src);
/* Frees the contents of vs and empties it. */
void vars_release(struct vars *vs);

struct interp_ctx {
	const struct vars *vars;        /* variables in scope */
	const char *environment;        /* ${environment}, or NULL where not allowed */
	const char *where;              /* for the message when environment is NULL */
};

/* Expands n's scalar text. Returns the result (owned by the caller), or
 * NULL with an error at n's place in d (d may be NULL to stay quiet). */
char *interp_node(const struct interp_ctx *ctx, const struct node *n, struct diag *d);
/* Expands a raw string whose references were checked at load; on an
 * undefined reference returns NULL and sets *err. */
char *interp_string(const struct interp_ctx *ctx, const char *s, char **err);
/* Whether s contains a reference at all. */
bool interp_has_refs(const char *s);

#endif
