/* facts: facts files, written by `parity capture` in one environment and
 * read by `parity compare` (or an environment's `facts:`). Every string is
 * masked for secrets before it is written. See schemas/facts.schema.json. */
#ifndef PARITY_FACTS_H
#define PARITY_FACTS_H
#include <jansson.h>
#include "model/fact.h"
#include "load/contract.h"

/* Reads and checks the shape of a facts file; new reference, or NULL with *err. */
json_t *facts_read(const char *path, char **err);
/* The facts document of environment env (facts: one per step, n_steps). */
json_t *facts_doc(const struct contract *c, size_t env, const struct fact_table *facts,
		  const bool *step_on, const json_t *host);
/* Writes doc to path atomically ("-" or NULL: stdout); -1 with *err. */
int facts_write(const json_t *doc, const char *path, char **err);
/* A copy of j with every string masked (secret_mask). */
json_t *json_masked(const json_t *j);

#endif
