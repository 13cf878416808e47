/* history: every run of a contract appended to an SQLite file (--history):
 * the contract's name and sha256, the environments, each step's status and
 * checks, every metric, the first divergence and the facts' digests. WAL
 * mode and a busy timeout let two runs write the same file at once. The
 * trend (`parity history`) reads it back: status per run, each metric's
 * series, and the runs between which a fact changed. */
#ifndef PARITY_HISTORY_H
#define PARITY_HISTORY_H
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "engine/engine.h"
#include "model/result.h"

/* Runs a series keeps for the reports (run_result.history). */
#define HISTORY_SERIES 30

/* Appends run r (its facts from p, which may be NULL) to the file at path,
 * created when missing, in one transaction. Returns 0, or -1 with *err
 * (owned by the caller). */
int history_append(const char *path, const struct plan *p, const struct run_result *r,
		   char **err);

/* The last `last` runs of contract `name`, oldest first, as
 * {"step id": {"env": {"metric": [value, ...]}}}: a run without the metric
 * adds null. New reference, or NULL with *err. */
json_t *history_series(const char *path, const char *name, size_t last, char **err);

struct history_query {
	const char *contract;   /* NULL: every contract in the file */
	const char *step;       /* NULL: every step */
	size_t last;            /* runs per contract */
};

/* Prints the trend to f. Returns 0, or -1 with *err (a missing file, an
 * unknown contract or step, not a history file). */
int history_print(const char *path, const struct history_query *q, FILE *f, char **err);

#endif
