/* result: the one result model every reporter reads. It is self-contained
 * (strings copied, secrets already masked) so reporters need nothing else.
 * A run has steps; a step has checks; each check is pass, fail, error,
 * skip or waived.
 *
 * Layer: model. May include: load, util.
 */
#ifndef PARITY_RESULT_H
#define PARITY_RESULT_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum status { ST_PASS, ST_FAIL, ST_ERROR, ST_SKIP, ST_WAIVED };
const char *status_name(enum status s);      /* "pass", "fail", ... */

struct check {
	char *name;             /* unique within the step: "production: sha256 pin" */
	char *env;              /* environment name, or NULL for cross-env checks */
	enum status status;
	bool warning;           /* failed, but the step's severity is warning */
	char *message;          /* one line */
	char *expected;         /* may be NULL */
	char *actual;           /* may be NULL */
	char *detail;           /* multi-line detail (diff, disagreeing rows), may be NULL */
};

struct step_result {
	char *id;
	char *kind;
	char *stage;            /* stage_name() */
	int stage_index;        /* pipeline order, 0 = artifact */
	char *description;      /* may be NULL */
	bool severity_warning;  /* severity: warning */
	enum status status;     /* worst of its checks after waivers */
	bool warning;           /* failed, but severity warning: does not fail the gate */
	bool consequence;       /* failed in a stage after the first divergence */
	bool interrupted;       /* a stop request (signal) cut its gathering short: its error is
				 * not a divergence */
	char *waiver;           /* waiver reason when waived, NULL otherwise */
	char *waiver_until;     /* "YYYY-MM-DD" */
	bool waiver_expired;    /* a waiver exists but has expired */
	double seconds;         /* gather time, summed over environments */
	struct check *checks;
	size_t n_checks, cap_checks;
	json_t *metrics;        /* {"env": {"name": number...}} or NULL; owned */
};

struct env_result {
	char *name;
	char *source;           /* "live" or "facts" */
	char *facts_path;       /* facts file when source is facts */
	bool baseline;
	json_t *host;           /* host facts; owned */
};

/* What the first failing step is: environments shown to differ (a failed
 * check), or a step that could not measure (only errors: a server that
 * answered 500, a command that could not run). */
enum cause { CAUSE_NONE, CAUSE_DIVERGENCE, CAUSE_ERROR };
const char *cause_name(enum cause c);        /* "divergence", "error"; NULL for none */

struct summary {
	/* counts of steps by status; warnings are failed steps of severity warning */
	int passed, failed, errors, skipped, waived, warnings;
	/* the same counts over checks */
	int c_passed, c_failed, c_errors, c_skipped, c_waived;
	bool ok;                /* the gate passes: exit 0 */
	int first_divergence;   /* step index, -1 when none */
	enum cause cause;       /* of the first divergence; CAUSE_NONE when none */
	char *verdict;          /* one-line diagnosis, NULL when everything passed */
};

struct run_result {
	char *contract_name;
	char *contract_path;
	char *contract_sha256;
	char *description;
	char *runner_version;
	char *command;          /* "run", "compare" */
	char started_at[32];    /* ISO 8601 UTC */
	double duration_s;
	char *baseline;
	struct env_result *envs;
	size_t n_envs;
	struct step_result *steps;
	size_t n_steps;
	struct summary summary;
	json_t *history;        /* per step and metric, the last runs' values (--history), or NULL */
};

/* Where a kind cut a long value short ("abc… (5000 bytes in all)"). */
#define RESULT_CUT_MARK "\xe2\x80\xa6"

void result_init(struct run_result *r);
void result_release(struct run_result *r);

/* Adds a check to s; strings are copied and masked (secret_mask_cut with
 * RESULT_CUT_MARK: a value a kind cut short, "…", cannot show the beginning
 * of a secret either). Returns it. */
struct check *result_add_check(struct step_result *s, const char *env, enum status st,
			       const char *name, const char *message,
			       const char *expected, const char *actual);
/* Sets a check's multi-line detail (copied, masked). */
void result_check_detail(struct check *c, const char *detail);
/* Sets metrics[env][name] = value on s. */
void result_metric(struct step_result *s, const char *env, const char *name, json_t *value);

/* Computes step statuses from checks, then the summary and the first point
 * of divergence: the failing step of the earliest stage (in one stage, one
 * with a failed check before one with errors only), its cause, and the
 * verdict. Call after all checks are in. */
void result_finish(struct run_result *r);

/* Exit status of the run: 0 gate passes, 1 otherwise. */
int result_exit_status(const struct run_result *r);

#endif
