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

/* The matrix stored in a fact under key (new, owned by the caller), or NULL
 * with *err. */
struct matrix *fact_matrix(const json_t *fact, const char *key, char **err);

/* For every environment other than the baseline with a fact: compares the
 * matrix under key with the baseline's, adds one check per checked metric
 * (or a shape check, or an "outputs" error when a fact has no matrix), and
 * the metrics under the environment's name. */
void eval_tolerance(const struct eval_ctx *e, struct step_result *r, const char *key,
		    const struct tolerance *t);

#endif
