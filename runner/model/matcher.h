/* matcher: a pinned expectation: a scalar (exact), {regex}, {version}
 * (PEP 440 or Debian ordering), {min, max}, {one_of: [...]}. Parsed (and
 * regexes and specifiers compiled) once at load; tested against strings. */
#ifndef PARITY_MATCHER_H
#define PARITY_MATCHER_H
#include <stdbool.h>
#include "model/version.h"
#include "load/interp.h"
#include "load/node.h"
#include "util/diag.h"

struct matcher;

/* Parses n. ctx interpolates the values. Returns NULL after reporting in d. */
struct matcher *matcher_parse(const struct node *n, const struct interp_ctx *ctx,
			      struct diag *d);
/* An exact-match matcher on s (for lock-file pins). */
struct matcher *matcher_exact(const char *s);
void matcher_free(struct matcher *m);

/* 1 matches, 0 does not, -1 could not tell (a regex hit its match limit,
 * a number that does not parse is 0 with *why); *why (owned by the caller,
 * may be NULL) explains a mismatch or an error. */
int matcher_test(const struct matcher *m, const char *actual, char **why);
/* matcher_test with the version scheme that {version} clauses use (matcher_test
 * uses PEP 440). */
int matcher_test_scheme(const struct matcher *m, const char *actual,
			enum version_scheme scheme, char **why);
/* A matcher from a version specifier text (">=1.26,<1.27"); NULL with *err. */
struct matcher *matcher_version(const char *spec, char **err);
/* "\"1.2.2\"", "matches /^1\\.2\\./", ">= 1 and <= 2", "one of [...]"; owned by the caller. */
char *matcher_describe(const struct matcher *m);

#endif
