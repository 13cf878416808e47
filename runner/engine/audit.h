/* audit: many contracts at once (`parity audit`), the nightly audit. Each
 * contract runs as its own `parity run` process, up to `jobs` at a time,
 * its reports under OUT/NAME/; then one summary of them all: console,
 * OUT/summary.json, OUT/summary.md, OUT/junit.xml (one testsuite per
 * contract) and OUT/index.html linking each contract's reports. */
#ifndef PARITY_AUDIT_H
#define PARITY_AUDIT_H
#include <stdbool.h>
#include <stddef.h>

struct audit_opts {
	char *const *paths;             /* contract files and folders of them */
	size_t n_paths;
	const char *const *vars;        /* "NAME=VALUE" */
	size_t n_vars;
	const char *history;            /* --history FILE, or NULL */
	const char *out;                /* report folder */
	int jobs;                       /* contracts at once */
	const char *self;               /* the parity binary each contract runs with */
	bool color;
};

/* Runs the audit; returns the worst exit status of the contracts (0 passed,
 * 1 failed, 2 invalid, 3 a runner error, 128+N interrupted), or 2 when the
 * command line names nothing to run or a --var no contract declares, or 3
 * when the summary cannot be written. Errors go to stderr. */
int audit_run(const struct audit_opts *o);

#endif
