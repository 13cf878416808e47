/* fastfloat: decimal text to double without strtod for the numbers data
 * files are mostly made of, exactly as strtod rounds them, and back: a
 * double to the shortest of "%.15g", "%.16g", "%.17g" that reads back,
 * without snprintf for the short decimals most data holds. Clinger's fast
 * path: a decimal of at most 19 digits whose digits fit in 2^53 and whose
 * power of ten is at most 22 away is one exact integer and one exact power
 * of ten, so a single IEEE multiplication or division rounds it correctly.
 * Everything else (more digits, far exponents, inf, nan, hex, anything
 * malformed) is declined for the caller's strtod.
 *
 * Layer: util. May include: nothing. */
#ifndef PARITY_FASTFLOAT_H
#define PARITY_FASTFLOAT_H
#include <stddef.h>

/* Parses all of s[0, len): [+-]digits[.digits][(e|E)[+-]digits] (".5" and
 * "5." too). 0 with *out the correctly rounded value; -1 when declined
 * (then *out is unchanged): ask strtod, which may accept it or not. */
int fastfloat_parse(const char *s, size_t len, double *out);

/* x, finite, as the shortest of "%.15g", "%.16g" and "%.17g" whose text
 * reads back as x, byte for byte what snprintf writes, into out (NUL-ended);
 * returns its length. Zero, and a decimal of at most 15 significant digits
 * from 1e-4 to below 1e15, are written without snprintf or strtod (the
 * round trip is exact arithmetic: an integer below 2^53 over an exact power
 * of ten). All FASTFLOAT_FORMAT_LEN bytes of out may be written. */
#define FASTFLOAT_FORMAT_LEN 32
size_t fastfloat_format(double x, char out[FASTFLOAT_FORMAT_LEN]);

#endif
