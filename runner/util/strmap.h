/* strmap: strings to ints in an open-addressing hash table (FNV-1a, linear
 * probing, doubling at half full), for finding duplicates among thousands
 * of names without comparing every pair. Keys are borrowed: they must
 * outlive the map and not change.
 *
 * Layer: util. May include: nothing. */
#ifndef PARITY_STRMAP_H
#define PARITY_STRMAP_H
#include <stddef.h>

struct strmap {
	const char **keys;      /* cap slots, NULL where empty */
	int *vals;
	size_t cap, n;
};

/* A zeroed struct strmap is an empty map; strmap_release empties it. */
void strmap_release(struct strmap *m);

/* The value of key, or -1 when it is not in m. */
int strmap_get(const struct strmap *m, const char *key);

/* Sets key to val (>= 0), replacing any value it had. */
void strmap_put(struct strmap *m, const char *key, int val);

#endif
