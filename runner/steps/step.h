/* step: what a step kind is, and the small API its author uses.
 *
 * A kind is one file in steps/ that exports exactly one descriptor,
 * `const struct step_kind NAME_kind`, with static functions behind it, and
 * one row in registry.c. The descriptor carries everything said about the
 * kind elsewhere: its keys (with their JSON Schema and a line of doc), its
 * default stage and its capabilities. Key checking, the contract schema and
 * `parity kinds` are driven by the descriptors.
 *
 * Life of a step: the loader (load/) keeps the settings node; the bind pass
 * (steps/bind.h) finds the kind and calls parse, which keeps its settings in
 * the contract's arena (no release functions); the engine calls gather in
 * each environment and evaluate over all of them.
 *
 * Layer: steps. May include: model, transport, data, load, util. Nothing
 * below this folder knows a kind by name. (tests/e2e/layers.t checks.) */
#ifndef PARITY_STEP_H
#define PARITY_STEP_H
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "load/contract.h"
#include "load/interp.h"
#include "model/fact.h"
#include "model/matcher.h"
#include "model/result.h"
#include "transport/exec.h"
#include "transport/process.h"
#include "util/diag.h"
#include "util/regex.h"

/* One key of a kind's settings. */
struct step_key {
	const char *name;
	bool required;                  /* for the schema and docs; parse reports it missing */
	const char *schema;             /* JSON Schema of its value, as JSON text */
	const char *doc;                /* one line: what it means */
};

/* The rows of 'run' and 'shell', for the kinds that run a command (parse_run). */
#define STEP_KEYS_RUN_SHELL \
	{"run", false, "{\"allOf\":[{\"$ref\":\"#/definitions/argv\"}]}", \
	 "Command as an argv array, run without a shell (through the " \
	 "environment's exec prefix, if any)."}, \
	{"shell", false, "{\"type\":\"string\"}", \
	 "Command line run with /bin/sh -c: the explicit opt-in to a shell."}

/* What a kind can do, for the kinds that read other steps' facts. */
enum step_caps {
	CAP_MATRIX = 1 << 0,            /* its fact holds per-row values other steps read (from:) */
	CAP_MODEL_OUTPUTS = 1 << 1,     /* ... and those values are a model's outputs */
	CAP_DERIVED = 1 << 2,           /* computed from other steps' facts: nothing to gather */
};

/* Passed to parse: the contract being bound and where to report. */
struct parse_ctx {
	struct contract *c;
	const struct step *step;        /* the step being bound */
	struct diag *d;
	struct interp_ctx pin_ctx;      /* interpolation for pinned values (contract vars) */
	const char *where;              /* "artifact step 'model'", for messages */
	struct arena *arena;            /* the contract's: parsed settings live here */
};

struct gather_ctx {
	const struct contract *c;
	const struct step *step;
	const struct env *env;
	struct exec_where where;        /* the environment's transport for commands */
	int64_t deadline_ms;            /* clock_ms() value; the step's timeout */
};

struct eval_ctx {
	const struct contract *c;
	const struct step *step;
	const struct fact *facts;       /* one per environment (c->n_envs), FACT_OK or not */
	int baseline;                   /* reference environment for cross checks, -1 if none ran */
	const json_t *lock;             /* this step's lock-file pins, or NULL */
	const struct fact_table *all;   /* every step's facts */
};

struct step_kind {
	const char *name;               /* key in the contract */
	const char *summary;            /* one line, for `parity kinds` and the schema */
	enum stage default_stage;
	unsigned caps;                  /* enum step_caps */
	const struct step_key *keys;    /* the kind's keys, ended by {NULL} */
	const char *schema_extra;       /* JSON object text merged into the settings' schema
					 * (oneOf, dependencies), or NULL */
	/* Parses s->body into s->data (in p->arena); returns 0, or -1 after
	 * reporting. Unknown keys are reported before parse is called, from
	 * keys; parse reports missing required keys. */
	int (*parse)(struct step *s, const struct parse_ctx *p);
	/* Gathers one environment's fact; returns 0 with *value (new reference), or
	 * -1 with *err (owned by the caller): the step could not run there.
	 * NULL for CAP_DERIVED kinds: their fact is an empty object. */
	int (*gather)(const struct gather_ctx *g, json_t **value, char **err);
	/* Adds checks for the environments whose fact is FACT_OK. */
	void (*evaluate)(const struct eval_ctx *e, struct step_result *r);
	/* The pins parity lock records from a fact (new reference); NULL: the
	 * kind has no lock pins. */
	json_t *(*lock)(const struct step *s, const json_t *value);
};

/* ---- the registry (registry.c) */

const struct step_kind *step_kind_find(const char *name);
/* NULL-terminated names of all kinds, in registry order. */
const char *const *step_kind_names(void);
/* The kinds in registry order, and their count. */
const struct step_kind *const *step_kinds(size_t *n);

/* ---- parse: settings into the contract's arena (kit.c) */

/* size zeroed bytes that live as long as the contract. */
void *kit_new(const struct parse_ctx *p, size_t size);
/* The arena takes p and calls release(p) when the contract is released. */
void *kit_adopt(const struct parse_ctx *p, void *ptr, void (*release)(void *));
/* load/check.h's getters, their results owned by the arena. */
int kit_string(const struct parse_ctx *p, const struct node *map, const char *key, char **out);
/* map's number under key, when present, within [lo, hi]: *out and *has set;
 * 0 when absent, -1 after an error at its place. */
int kit_number_in(const struct parse_ctx *p, const struct node *map, const char *key,
		  double lo, double hi, bool *has, double *out);
int kit_list(const struct parse_ctx *p, const struct node *map, const char *key,
	     bool allow_scalar, char ***out, size_t *n);
/* A matcher at n (owned by the arena), or NULL after reporting. */
struct matcher *kit_matcher(const struct parse_ctx *p, const struct node *n);
/* The arena takes m, a matcher built by hand (matcher_exact, a lowercased
 * digest); returns m. */
struct matcher *kit_own_matcher(const struct parse_ctx *p, struct matcher *m);
/* Compiles the regex at n (a scalar, interpolated like pinned values), owned
 * by the arena; NULL after reporting "invalid regular expression ... in '<key>'". */
struct regex *compile_pattern(const struct node *n, const struct parse_ctx *p, const char *key);
/* 'run' (an argv list, not empty) or 'shell' (a command line) of map, one of
 * the two, or neither when !required; owned by the arena. Returns 0, or -1
 * after reporting. */
int parse_run(const struct parse_ctx *p, const struct node *map, bool required, char ***run,
	      char **shell);
/* 'interpreter:' as an argv (a string or a list; default [python3]), owned
 * by the arena. */
int parse_interpreter(const struct parse_ctx *p, const struct node *body, char ***argv);
/* The step named at n, listed before p's step, that has every capability in caps,
 * or NULL after reporting at n: "'from' must name <what> listed before this
 * one, got 'x' (did you mean 'y'?)". */
const struct step *parse_from(const struct parse_ctx *p, const struct node *n, unsigned caps,
			      const char *what);

/* ---- gather (kit.c) */

/* Expands a raw string for the gather's environment. */
char *gather_expand(const struct gather_ctx *g, const char *raw, char **err);
/* Runs argv or shell (raw: expanded here for the environment) in the
 * gather's environment, stdin from a local file (raw, relative to the
 * contract's folder) or from data. 0 with r filled (release it), -1 with
 * *err; a timeout is an error here. */
int gather_exec(const struct gather_ctx *g, char *const *argv, const char *shell,
		const char *stdin_raw, const char *data, size_t len, struct proc_result *r, char **err);
/* gather_exec without stdin. */
int gather_run(const struct gather_ctx *g, char *const *argv, const char *shell,
	       struct proc_result *r, char **err);

/* ---- evaluate (kit.c) */

/* The environments whose fact is usable, in order, less the replicas
 * (replica_of: never gated; eval_tolerance reads them for the noise):
 *   for (size_t i = eval_env_first(e); i < e->c->n_envs; i = eval_env_next(e, i))
 * EVAL_OTHERS skips the baseline too (for checks against it). */
size_t eval_env_next(const struct eval_ctx *e, size_t i);
#define eval_env_first(e) eval_env_next((e), (size_t)-1)
#define EVAL_ENVS(e, i) \
	for (size_t i = eval_env_first(e); i < (e)->c->n_envs; i = eval_env_next((e), i))
#define EVAL_OTHERS(e, i) EVAL_ENVS(e, i) if ((int)i != (e)->baseline)
/* The environment's name. */
const char *eval_env_name(const struct eval_ctx *e, size_t i);
/* The fact value of this step in environment i (NULL unless FACT_OK). */
const json_t *eval_value(const struct eval_ctx *e, size_t i);
/* The facts (one per environment) of the step with this id, or NULL. */
const struct fact *eval_facts_of(const struct eval_ctx *e, const char *id);
/* Adds a check named "<env>: <name>" (or just name when env is NULL) with a
 * formatted message; expected and actual may be NULL. Returns the check,
 * for result_check_detail. */
struct check *eval_check(struct step_result *r, const char *env, enum status st,
			 const char *name, const char *expected, const char *actual,
			 const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Check name "<env>: <what>" (owned by the caller). */
char *check_name(const char *env, const char *what);
/* Adds a pin check of actual against m (or against the lock pin string when
 * m is NULL and lock_pin is not); nothing when neither pins anything. */
void eval_pin(struct step_result *r, const char *env, const char *what,
	      const struct matcher *m, const char *lock_pin, const char *actual);
/* eval_pin with the version scheme for {version} matchers (dpkg: Debian). */
void eval_pin_scheme(struct step_result *r, const char *env, const char *what,
		     const struct matcher *m, const char *lock_pin, const char *actual,
		     enum version_scheme scheme);
/* Adds, for every environment other than the baseline with a fact, a check
 * that the string at key equals the baseline's. */
void eval_same(const struct eval_ctx *e, struct step_result *r, const char *key,
	       const char *what);
/* The string member key of a fact value, or NULL. */
const char *fact_str(const json_t *value, const char *key);

#endif
