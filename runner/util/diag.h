/* diag: diagnostics that carry a place, printed the way a compiler does:
 *   contract.yaml:12:5: error: unknown key 'sha265' ... (did you mean 'sha256'?)
 *      12 |     sha265: abc
 *         |     ^
 * Errors accumulate (up to a limit) so that one load reports them all.
 * Each message carries the current order key (diag_order): messages are
 * shown sorted by key, then in the order they came, so that a later pass
 * (binding step kinds) can report among the loader's messages for the same
 * step. */
#ifndef PARITY_DIAG_H
#define PARITY_DIAG_H
#include <stdarg.h>
#include <stddef.h>
#include "util/buf.h"

/* A loaded text file; the diagnostics quote its lines. */
struct source {
	char *path;             /* as given on the command line or in include */
	char *text;             /* whole file, NUL-terminated */
	size_t len;
};

/* A place in a source; line and col are 1-based. src may be NULL. */
struct mark {
	const struct source *src;
	int line;
	int col;
};

#define DIAG_LIMIT 20

struct diag_entry;

struct diag {
	struct buf text;        /* rendered messages, sorted, errors up to DIAG_LIMIT */
	int errors;             /* errors reported, including dropped ones */
	int warnings;
	int order;              /* key given to the next messages; 0 at first */
	struct diag_entry *entries;
	size_t n_entries, cap_entries;
	int shown;              /* errors in text */
};

/* Messages from now on sort under key (stable among equal keys). */
void diag_order(struct diag *d, int key);

/* The start of 1-based line 'line' in src and its length without the line
 * break; line breaks are \n, \r\n and a lone \r, as YAML counts them.
 * NULL when the source has fewer lines. */
const char *diag_line(const struct source *src, int line, size_t *len);

void diag_init(struct diag *d);
void diag_release(struct diag *d);

/* An error at a place (m may be NULL for none). */
void diag_at(struct diag *d, const struct mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_vat(struct diag *d, const struct mark *m, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* A warning at a place; does not make the load fail. */
void diag_warn_at(struct diag *d, const struct mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error without a place: "parity: error: ..." */
void diag_err(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes everything reported, plus "N errors" past the limit, to f. */
void diag_print(const struct diag *d, void *file /* FILE* */);

#endif
