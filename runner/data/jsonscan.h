/* jsonscan: numbers read straight from JSON text, without a JSON tree, for
 * text read by the thousand: model responses (jsonscan_numbers), rows of
 * JSON Lines (jsonscan_number, by data/jsonl). Only a
 * plain subset is taken (strings without escapes or bytes above 0x7f, no
 * NaN or Infinity, integers of at most 15 digits, nesting up to 64 deep, no
 * member named twice on the pointer's path); anything else is declined, and
 * the caller's JSON loader (json_lenient_loads) decides instead, giving the
 * same numbers or its error. What is taken is checked whole to be JSON the
 * loader accepts, and its numbers are the very doubles the loader reads. */
#ifndef PARITY_JSONSCAN_H
#define PARITY_JSONSCAN_H
#include <stddef.h>

/* One JSON number at *pp (RFC 8259's grammar) into *out, *pp moved past
 * it; -1 for anything else, and for integers of more than 15 digits, which
 * the loader reads as integers first, and for numbers that overflow (the
 * loader's "real number overflow"). "-0" is 0, as the loader's integer. */
int jsonscan_number(const char **pp, const char *end, double *out);

enum jsonscan_mode {
	JSONSCAN_VALUES,        /* a number, or a non-empty array of numbers: one row */
	JSONSCAN_ROWS,          /* an array whose items are numbers or non-empty
				 * arrays of numbers, all of one width: a row each */
};

/* The numbers of the value at JSON Pointer ptr in text[0, len), shaped by
 * mode. Returns 0 with *vals (owned by the caller; *rows x *cols values,
 * row-major; NULL when there are none), or -1 when declined: the value is
 * not found or not of that shape, or the text is not plain (see above). */
int jsonscan_numbers(const char *text, size_t len, const char *ptr, enum jsonscan_mode mode,
		     double **vals, size_t *rows, size_t *cols);

#endif
