/* numeric: what the numeric kinds share: the `tolerance:` block
 * (preprocess, inference), output matrices in facts (also read by
 * postprocess and drift), and the comparison of each environment's matrix
 * with the baseline's into checks, metrics and the first disagreeing rows. */
#ifndef PARITY_NUMERIC_H
#define PARITY_NUMERIC_H
#include "data/metrics.h"
#include "steps/step.h"

/* Parses `tolerance:` at n into *t (rtol/atol default to numpy's). *t holds
 * no pointers: nothing to release, nothing put in p's arena. Returns 0, or
 * -1 after reporting. */
int tolerance_parse(const struct node *n, const struct parse_ctx *p, struct tolerance *t);
/* The default when a step has no tolerance: max_abs_diff 1e-4 and argmax
 * agreement 0.999, the healthy bands of a replay of golden inputs. */
void tolerance_default(struct tolerance *t);

/* Column names for the diagnosis of a failed comparison (docs/diagnosis.md):
 * `names: [a, b]` or `names_from: file.csv` (its header row, read when the
 * contract is loaded, relative to the contract's folder). */
struct column_names {
	char **names;           /* n names, owned by the contract's arena; NULL when none */
	size_t n;
	const char *noun;       /* what a column is: "feature", "output" (static) */
};
#define STEP_KEYS_NAMES \
	{"names", false, "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", \
	 "Column names, in order, for the diagnosis of a difference."}, \
	{"names_from", false, "{\"type\":\"string\"}", \
	 "A .csv file whose header row names the columns (instead of names)."}

/* Parses `names:` or `names_from:` in body into *out (noun set by the
 * caller afterwards). Returns 0, or -1 after reporting. */
int column_names_parse(const struct parse_ctx *p, const struct node *body,
		       struct column_names *out);

/* The matrix stored in a fact under key (new, owned by the caller), or NULL
 * with *err. */
struct matrix *fact_matrix(const json_t *fact, const char *key, char **err);

/* For every environment other than the baseline with a fact: compares the
 * matrix under key with the baseline's, adds one check per checked metric
 * (or a shape check, or an "outputs" error when a fact has no matrix), and
 * the metrics under the environment's name. When a band is broken, the
 * columns that differ are diagnosed (data/shape.h): the failing check's
 * message and the step's finding name the column that differs most and the
 * shape of its difference, metrics["env"]["shapes"] lists every differing
 * column's. names may be NULL. */
void eval_tolerance(const struct eval_ctx *e, struct step_result *r, const char *key,
		    const struct tolerance *t, const struct column_names *names);

#endif
