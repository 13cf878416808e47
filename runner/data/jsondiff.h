/* jsondiff: two JSON documents compared path by path over many records (a
 * replay's recorded responses against another environment's), with counts
 * per path: records compared, records that differ, the largest |diff| of
 * numbers, the first differing records by id with both values, and the
 * numbers themselves for a diagnosis of the difference's shape. Every path
 * is a JSON Pointer, written so that it can be pasted into a contract.
 *
 * Layer: data. May include: util. */
#ifndef PARITY_JSONDIFF_H
#define PARITY_JSONDIFF_H
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define JSONDIFF_EXAMPLES 10

/* A compared path and its band: max_abs_diff < 0 means exact. */
struct jsondiff_rule {
	const char *path;
	double max_abs_diff;
};

struct jsondiff_example {
	char *id;
	char *base, *other;             /* compact JSON, "missing" when absent */
};

struct jsondiff_path {
	char *path;
	double band;                    /* the rule's max_abs_diff; < 0: exact */
	size_t compared, differ;
	double max_abs_diff;            /* over the numbers compared; 0 when none */
	struct jsondiff_example ex[JSONDIFF_EXAMPLES];
	size_t n_ex;
	/* the values when every record held numbers of one width (else numeric
	 * is false): rows x width, row-major */
	bool numeric;
	size_t width, rows;
	double *base, *other;
};

struct jsondiff;

/* rules (n of them, copied) are the paths compared; n 0: every leaf path
 * (an array of scalars is one path) of either document. A path under an
 * ignore prefix (a NULL-terminated list, copied) is never compared. */
struct jsondiff *jsondiff_new(const struct jsondiff_rule *rules, size_t n, char *const *ignore);
void jsondiff_free(struct jsondiff *d);
/* Compares one record's documents; id (copied when kept) names it. */
void jsondiff_add(struct jsondiff *d, const char *id, const json_t *base, const json_t *other);
/* jsondiff_add for documents already cut down to the rules' values:
 * objects whose members are named by the rules' paths ({"/logits": [...]}). */
void jsondiff_add_picked(struct jsondiff *d, const char *id, const json_t *base,
			 const json_t *other);
size_t jsondiff_count(const struct jsondiff *d);
const struct jsondiff_path *jsondiff_get(const struct jsondiff *d, size_t i);
/* {"compared", "differ", "max_abs_diff", "examples": [{"id", "base", "other"}]}. */
json_t *jsondiff_path_json(const struct jsondiff_path *p, const char *base_name,
			   const char *other_name);
/* A JSON Pointer token escaped (~ as ~0, / as ~1), appended to prefix; owned. */
char *jsondiff_join(const char *prefix, const char *token);

#endif
