/* lock: the lock file `parity lock` writes: for each step id, the pins
 * observed in a known-good environment. The loader reads it back (a pin in
 * the contract wins). Pins that would reveal a secret are left out. */
#ifndef PARITY_LOCK_H
#define PARITY_LOCK_H
#include <stddef.h>
#include "model/fact.h"
#include "load/contract.h"

/* The YAML text of the lock file (owned by the caller); *skipped counts
 * pins left out because they held a secret. The calibrated bands
 * ("tolerance.*" pins) of old, the lock file's steps as the contract read
 * them (borrowed, may be NULL), are kept. */
char *lock_render(const struct contract *c, size_t env, const struct fact_table *facts,
		  const char *hostname, const json_t *old, size_t *skipped);
/* The lock file for pins {"step id": {"pin": "value"}} (borrowed), steps
 * in contract order, observed in env; how ends the header's "from
 * environment ..." line (", calibrated over 5 runs", or ""). */
char *lock_render_pins(const struct contract *c, const char *env, const json_t *pins,
		       const char *hostname, const char *how, size_t *skipped);

#endif
