/* engine: plan which (step, environment) pairs run, gather their facts on a
 * bounded pool of worker threads (per-step timeout and retries), and
 * evaluate the facts into the result model. Gather and evaluate are apart
 * so that capture + compare give exactly the verdict of run.
 * The engine layer also holds facts files, lock files, host facts, the run
 * history (history.h) and audits of many contracts (audit.h).
 *
 * Layer: engine. May include: steps, report, model, transport, data, load, util.
 * (Layers, top down: cli, engine, report, steps, model, transport, data,
 * load, util; tests/e2e/layers.t checks them, docs/hacking.md explains.) */
#ifndef PARITY_ENGINE_H
#define PARITY_ENGINE_H
#include <stdbool.h>
#include <jansson.h>
#include "model/fact.h"
#include "model/result.h"
#include "load/contract.h"

struct plan {
	const struct contract *c;
	bool *step_on;          /* per step: selected (--only) */
	bool *env_on;           /* per env: selected (--env) */
	json_t **env_facts;     /* per env: a facts file's "steps" object, or NULL: live */
	char **env_facts_path;
	json_t **env_host;      /* per env: host facts (from the facts file, or this host) */
	struct fact_table facts;        /* every step in every environment: fact_at */
	bool *cut;              /* per fact: a stop request cut its gathering short or kept it
				 * from starting (an error fact "interrupted by SIGTERM") */
	int jobs;
	bool progress;          /* progress lines on stderr */
};

/* Selects steps and environments: only_ids and env_names are NULL (all) or
 * NULL-terminated lists already validated by the caller. */
void plan_init(struct plan *p, const struct contract *c, char *const *only_ids,
	       char *const *env_names);
void plan_release(struct plan *p);
/* Makes environment env read its facts from a facts file. Returns 0, or -1
 * with *err (also when the file was captured under another contract digest). */
int plan_use_facts(struct plan *p, size_t env, const char *path, char **err);
/* Whether step s runs in environment e under the plan. */
bool plan_wants(const struct plan *p, size_t s, size_t e);

/* Gathers every planned fact: live ones on the worker pool, others from
 * their facts files. On a stop request (util/cancel.h) no job starts, the
 * running ones end (their processes are killed), and every live fact not
 * gathered before the request is an error "interrupted by SIGTERM" (or
 * "interrupted by SIGTERM before it started"), marked in p->cut. */
void engine_gather(struct plan *p);
/* Builds the result model from the facts (r is initialized by the caller). */
void engine_evaluate(const struct plan *p, struct run_result *r);

/* Today's date as YYYY-MM-DD (UTC), or PARITY_TODAY when set (for tests). */
void engine_today(char out[11]);

#endif
