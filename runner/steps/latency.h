/* latency: request latencies of the http and inference steps: percentiles
 * of the times measured, absolute bounds (p95_ms: 50) and bounds relative
 * to the baseline environment's (p95_ratio: 1.1). A step with a ratio runs
 * exclusively (struct step's exclusive), so that its environments are
 * measured without other steps' requests competing on the runner. */
#ifndef PARITY_LATENCY_H
#define PARITY_LATENCY_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "steps/step.h"

#define LATENCY_N 3                     /* p50, p95, p99 */

struct latency_bounds {
	double ms[LATENCY_N];           /* largest p50/p95/p99 in ms; NAN: none */
	double ratio[LATENCY_N];        /* largest multiple of the baseline's; NAN: none */
};

/* Reads p50_ms .. p99_ms (when allow_ms) and p50_ratio .. p99_ratio of map
 * into *b (NAN where absent). Returns 0, or -1 after reporting a value that
 * is not a number of milliseconds >= 0 or a ratio > 0. */
int latency_parse(const struct parse_ctx *p, const struct node *map, bool allow_ms,
		  struct latency_bounds *b);
/* Whether any ratio is set. */
bool latency_has_ratio(const struct latency_bounds *b);

/* {"requests": n, "p50_ms": ..., "p95_ms": ..., "p99_ms": ...} from n
 * latencies in ms (sorted in place; nearest rank). New reference. */
json_t *latency_summary(double *ms, size_t n);

/* For every environment whose fact has a summary at key: the p50/p95/p99
 * metrics, a check per absolute bound, and, for the environments other than
 * the baseline, a check per ratio against the baseline's summary. */
void latency_evaluate(const struct eval_ctx *e, struct step_result *r, const char *key,
		      const struct latency_bounds *b);

#endif
