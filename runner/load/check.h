/* check: typed access to contract nodes that reports what is wrong at the
 * node's place: "'retries' must be a non-negative integer, got string".
 * Used by the contract loader and by every step kind's parse. */
#ifndef PARITY_CHECK_H
#define PARITY_CHECK_H
#include <stdbool.h>
#include <jansson.h>
#include "load/node.h"
#include "util/diag.h"

/* Reports every key of map not in allowed (with a suggestion) as
 * "unknown key 'k' <where>", where is "in step 'x'" or "at the top level".
 * Returns the number of unknown keys. */
int check_keys(struct diag *d, const struct node *map, const char *const *allowed,
	       const char *what);
/* Reports "<what> needs 'key'" at map when key is absent; returns -1 then. */
int check_required(struct diag *d, const struct node *map, const char *key, const char *what);
/* Reports that n must be a mapping; returns -1 when it is not. */
int check_map(struct diag *d, const struct node *n, const char *key);

/* Each returns 0 and sets *out when key is absent (leaving *out) or valid,
 * -1 after reporting when present but of the wrong type. Strings returned
 * are owned by the caller; a scalar number or boolean is accepted as text. */
int get_string(struct diag *d, const struct node *map, const char *key, char **out);
int get_bool(struct diag *d, const struct node *map, const char *key, bool *out);
int get_count(struct diag *d, const struct node *map, const char *key, long *out);    /* >= 0 */
int get_long(struct diag *d, const struct node *map, const char *key, long *out);
/* A duration ("500ms", "1.5s", "5m", "2h") in whole milliseconds, from 1ms
 * up to DURATION_MAX_MS; "0.0001s" and "25h" are errors that say so. */
#define DURATION_MAX_MS (24L * 60 * 60 * 1000)
int get_duration(struct diag *d, const struct node *map, const char *key, long *ms);
/* A sequence of scalars as a NULL-terminated array (owned); also a single
 * scalar when allow_scalar. */
int get_list(struct diag *d, const struct node *map, const char *key, bool allow_scalar,
	     char ***out, size_t *n);
void free_list(char **list);

/* The node as JSON: plain scalars that read as null, a boolean or a number
 * become those, every other scalar a string. New reference. */
json_t *node_to_json(const struct node *n);

#endif
