/* csv: comma-separated values (RFC 4180) read into a matrix of doubles, all
 * columns or one picked by header name or 0-based index. Numbers parse in
 * the C locale whatever the process locale; an empty field or nan/NaN is
 * NaN. Blank lines are skipped; CRLF and LF both end records. */
#ifndef PARITY_CSV_H
#define PARITY_CSV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "data/matrix.h"

enum csv_header {
	CSV_HEADER_AUTO,        /* the first record is a header when one of its fields is not a number */
	CSV_HEADER_PRESENT,
	CSV_HEADER_ABSENT,
};

/* A zeroed struct reads every column, detects the header, splits on ','. */
struct csv_options {
	enum csv_header header;
	const char *column;     /* select the column with this header name (borrowed), or NULL */
	bool has_index;         /* select column `index` (0-based) */
	size_t index;
	char delimiter;         /* 0 means ',' */
	const char *const *skip; /* with neither column nor index: header names of columns
				  * not read (a label, a segment key), NULL-ended; borrowed */
};

/* Reads the CSV file at path into *out (owned by the caller): one row per
 * record, one column per selected field. opt may be NULL (defaults). Only
 * the selected fields must be numbers, yet every record must have as many
 * fields as the first. On failure *err (owned by the caller) gives the file
 * and the line the record starts on: "FILE:7: expected 4 fields, found 3",
 * "FILE:3: column 'score': 'abc' is not a number". */
int csv_read(const char *path, const struct csv_options *opt, struct matrix **out, char **err);

/* The same from an open stream; name (borrowed) stands for it in messages. */
int csv_read_file(FILE *f, const char *name, const struct csv_options *opt,
		  struct matrix **out, char **err);

/* The text of the column with this header name in every record of the CSV
 * file at path, into *vals (*n strings, each and the array owned by the
 * caller; csv_text_free), quoted fields unquoted, unquoted ones trimmed of
 * spaces and tabs. Errors as csv_read's ("FILE:1: no column 'x' in the
 * header (columns: a, b)"). */
int csv_read_text_column(const char *path, const char *column, char ***vals, size_t *n,
			 char **err);
void csv_text_free(char **vals, size_t n);

/* Parses a whole field as a number in the C locale: surrounding spaces and
 * tabs allowed; "" and nan (any case) give NaN; inf and infinity are
 * accepted; hexadecimal is not. Returns 0, or -1 when s is not a number. */
int csv_parse_number(const char *s, size_t len, double *out);

#endif
