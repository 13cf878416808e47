/* secret: values that came from ${env.X}; every report, log and facts file
 * shows them as "***", as written and in the forms they take on the way
 * out: JSON-escaped, percent-encoded, base64 (at any byte alignment, as in
 * "Authorization: Basic" built from user:secret). The registry is
 * process-wide and thread-safe.
 *
 * Layer: util. May include: nothing. */
#ifndef PARITY_SECRET_H
#define PARITY_SECRET_H

/* Values shorter than this are not masked: masking a one-character value
 * would hide that character in every number and digest of every report. */
#define SECRET_MIN_LEN 4

enum secret_added {
	SECRET_ADDED,           /* new: masked from now on */
	SECRET_SEEN,            /* added before (or refused before), or empty or NULL */
	SECRET_TOO_SHORT,       /* shorter than SECRET_MIN_LEN: not masked; said once a value */
};

/* Registers value (copied). Returns what became of it. */
enum secret_added secret_add(const char *value);

/* Returns a copy of s (owned by the caller) with every secret, in every form
 * above, replaced by "***"; NULL for NULL. Longer secrets are replaced
 * first. A match of fewer than 16 characters inside a sha256 digest (a
 * word of exactly 64 hex digits, or of 12 or more followed by "…" as a
 * shortened one) is left alone: such a match is chance, since any 4 hex
 * digits turn up in one digest in a thousand, while 16 never do. */
char *secret_mask(const char *s);

/* secret_mask for text in which each occurrence of mark (say "…") may end a
 * value that was cut short: a secret whose beginning ends the text just
 * before a mark is masked too (one whole byte of it, or two base64
 * characters, suffice). NULL for NULL. */
char *secret_mask_cut(const char *s, const char *mark);

void secret_clear(void);

#endif
