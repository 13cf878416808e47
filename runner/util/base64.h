/* base64: the standard alphabet with padding (RFC 4648 section 4), for
 * binary arrays inside JSON facts.
 *
 * Layer: util. May include: nothing. */
#ifndef PARITY_BASE64_H
#define PARITY_BASE64_H
#include <stddef.h>

/* Characters base64_encode writes for n bytes (no NUL). */
#define BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Writes the encoding of n bytes at in to out (BASE64_LEN(n) characters,
 * no NUL). Calling it on consecutive pieces whose sizes are multiples of 3
 * (all but the last) gives the encoding of the whole. */
void base64_encode(const void *in, size_t n, char *out);

/* Decodes n characters at in (n a multiple of 4, padding only at the end)
 * into out (room for n / 4 * 3 bytes); *len gets the bytes written.
 * -1 when the text is not base64, with *bad the offset of the first
 * character that is wrong. Consecutive pieces of multiples of 4 decode as
 * the whole. */
int base64_decode(const char *in, size_t n, void *out, size_t *len, size_t *bad);

#endif
