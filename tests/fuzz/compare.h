/* compare: what fuzz_facts and fuzz_lock share, the evaluation half of
 * `parity compare` on a fixed contract with one step of every kind and two
 * environments, a (the baseline) and b. Facts come from facts files, so no
 * step runs and nothing is reached over the network. */
#ifndef PARITY_FUZZ_COMPARE_H
#define PARITY_FUZZ_COMPARE_H
#include <jansson.h>

#include "load/contract.h"

/* The lock file the contract names (COMPARE_LOCK_NAME), as `parity lock
 * --from a` wrote it for the facts of compare_facts. */
extern const char compare_lock_text[];
#define COMPARE_LOCK_NAME "fuzz.lock.yaml"

/* Writes the contract into dir as contract.yaml; returns its path (owned by
 * the caller). Aborts when it cannot. */
char *compare_write_contract(const char *dir);

/* The "steps" of a captured facts file of environment env (0: a, 1: b),
 * parsed once; borrowed. */
json_t *compare_facts(int env);

/* Gathers from the facts (steps objects, borrowed, one per environment),
 * evaluates and renders every report format to /dev/null, as `parity
 * compare` does, then frees it all. */
void compare_evaluate(const struct contract *c, json_t *steps_a, json_t *steps_b);

#endif
