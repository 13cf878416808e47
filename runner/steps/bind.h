/* bind: the pass after the loader that gives each step its kind: finds the
 * kind key among the step's keys, checks the step's keys and the kind's
 * settings against the kind's descriptor, and calls the kind's parse. Its
 * messages sort with the loader's for the same step (diag_order). */
#ifndef PARITY_BIND_H
#define PARITY_BIND_H
#include "load/contract.h"
#include "util/diag.h"

/* Binds every step of c that the loader took. Returns 0, or -1 after
 * reporting in d. */
int steps_bind(struct contract *c, struct diag *d);

/* contract_load, then steps_bind even when the load reported errors (so
 * that one run reports them all). Returns 0 when both found nothing; *c
 * must be released either way. */
int contract_open(struct contract *c, const char *path, const struct load_opts *o,
		  struct diag *d);

#endif
