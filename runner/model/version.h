/* version: version strings and specifiers. Python versions follow PEP 440
 * (normalization, epochs, pre/post/dev releases, local labels) as
 * pypa/packaging 26.x reads and matches them; Debian versions follow Debian
 * policy 5.6.12 (epoch, upstream, revision, '~' sorting before everything).
 * A specifier is a comma-separated AND of clauses with == != >= <= > < ~=
 * and ==X.* / !=X.* prefixes. */
#ifndef PARITY_VERSION_H
#define PARITY_VERSION_H
#include <stdbool.h>

enum version_scheme { SCHEME_PEP440, SCHEME_DEBIAN };

struct version_spec;

/* Parses a specifier such as ">=1.26,<1.27" or "~=2.3.1" or "==1.2.*".
 * Returns NULL with *err (owned by the caller) on a malformed specifier:
 * "invalid version specifier '>=1,,2': empty clause". */
struct version_spec *version_spec_new(const char *text, char **err);
void version_spec_free(struct version_spec *s);
const char *version_spec_text(const struct version_spec *s);
/* Parses every clause's version under scheme, so that a loader that knows
 * the scheme reports a bad specifier before anything runs: 0, or -1 with
 * *err (owned by the caller), e.g. "invalid version specifier '>=1.0+cu121':
 * a local version label is only allowed with == and !=". */
int version_spec_check(const struct version_spec *s, enum version_scheme scheme, char **err);

/* 1 when version satisfies every clause, 0 when not (with *why saying which
 * clause failed, e.g. "1.27.0 is not < 1.27"), -1 when version (or a clause's
 * version) cannot be parsed under scheme (*why: "cannot parse version
 * 'banana' (PEP 440)"). *why is owned by the caller and may be NULL. */
int version_spec_match(const struct version_spec *s, const char *version,
		       enum version_scheme scheme, char **why);

/* Three-way comparisons: 0 with *cmp < 0, 0 or > 0; -1 with *err when a
 * version cannot be parsed. PEP 440 compares with local labels. */
int pep440_compare(const char *a, const char *b, int *cmp, char **err);
int debian_compare(const char *a, const char *b, int *cmp, char **err);
/* The PEP 440 normal form of v ("1.0-RC1" -> "1.0rc1"), owned by the caller;
 * NULL when v cannot be parsed. */
char *pep440_normalize(const char *v);
/* PEP 503 normalized distribution name: lowercase, runs of -_. as "-". */
char *pep503_name(const char *name);

#endif
