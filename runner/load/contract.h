/* contract: the contract model built from the node tree, strictly
 * validated: types, unknown keys with suggestions, duplicate ids,
 * environments named in only/baseline, references, durations, includes.
 * The loader knows no step kinds: it keeps each step's settings node, and
 * the bind pass (steps/bind.h) resolves kinds and parses their settings.
 * Nothing runs unless both returned 0.
 *
 * Layer: load. May include: util. (Layers, top down: cli, engine, report,
 * steps, model, transport, data, load, util; tests/e2e/layers.t checks.) */
#ifndef PARITY_CONTRACT_H
#define PARITY_CONTRACT_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "load/interp.h"
#include "load/node.h"
#include "util/arena.h"
#include "util/diag.h"

enum stage {
	STAGE_ARTIFACT, STAGE_ENVIRONMENT, STAGE_HARDWARE, STAGE_PREPROCESS,
	STAGE_INFERENCE, STAGE_POSTPROCESS, STAGE_DISTRIBUTION, STAGE_SERVICE,
	STAGE_COUNT
};
const char *stage_name(enum stage s);
int stage_from_name(const char *name);          /* -1 when unknown */
extern const char *const stage_names[];         /* NULL-terminated */

struct header {
	char *name;
	char *value;            /* interpolated; may hold a secret */
};

struct env {
	char *name;
	const struct node *node;
	int index;
	char **exec;            /* argv prefix, NULL-terminated; NULL: this host */
	size_t n_exec;
	char *dir;              /* working directory, or NULL */
	char *url;
	struct header *headers;
	size_t n_headers;
	char *tls_ca, *tls_cert, *tls_key;
	bool tls_verify;
	struct vars vars;       /* contract vars overridden by the environment's */
	char *facts_path;       /* evaluate saved facts instead of gathering live */
	char *parity_path;      /* parity there, for `parity probe` through exec; NULL: PATH */
	int replica_of;         /* index of the environment this one replicates (gathered, never
				 * gated: its difference from the baseline is the noise), or -1 */
};

enum severity { SEV_ERROR, SEV_WARNING };

struct step_kind;

struct step {
	char *id;
	const struct step_kind *kind;   /* set by the bind pass; NULL until then */
	const struct node *node;        /* the step mapping */
	const struct node *body;        /* the kind key's value, set by the bind pass */
	int load_errors;                /* errors the loader found in this step */
	enum stage stage;
	char *description;
	char **only;                    /* environment names, NULL-terminated, or NULL */
	enum severity severity;
	long timeout_ms;
	int retries;
	char **tags;
	int index;
	bool once;                      /* gathered in one environment only (the baseline) */
	bool exclusive;                 /* run with no other step in flight (latency gates) */
	char **after;                   /* 'after:' step ids, NULL-terminated, or NULL */
	int *after_idx;                 /* their indexes into the contract's steps (n_after) */
	size_t n_after;
	void *data;                     /* the kind's parsed settings, in the contract's arena */
};

struct waiver {
	char *step;
	char *reason;
	char until[11];                 /* YYYY-MM-DD */
	const struct node *node;
};

struct contract {
	char *path;
	char sha256[65];                /* of the contract file, then its includes in load order */
	char *name;
	char *description;
	struct vars vars;
	int baseline;                   /* index into envs */
	long default_timeout_ms;
	int default_retries;
	enum severity default_severity;
	double noise_factor;            /* defaults.noise_factor: a difference fails only beyond
					 * the replica's own times this (default 10) */
	struct env *envs;
	size_t n_envs, cap_envs;
	struct step *steps;
	size_t n_steps, cap_steps;
	struct waiver *waivers;
	size_t n_waivers, cap_waivers;
	char *lock_path;                /* resolved against the contract's folder */
	json_t *lock;                   /* {"step id": {pins}} or NULL */
	struct node_doc **docs;         /* the contract and its includes */
	size_t n_docs, cap_docs;
	char **env_names_cache;   /* for contract_env_names */
	struct arena arena;       /* what lives as long as the contract: parsed step settings */
};

/* Diagnostic order keys (diag_order): the loader's messages about step i
 * and the bind pass's sort together, between the environments and the
 * waivers; a step entry the loader could not take sorts just before the
 * next step's key. */
#define DIAG_ORDER_STEP(i) (2 * (int)(i) + 2)
#define DIAG_ORDER_AFTER_STEPS (1 << 30)

/* The keys every step takes besides its kind's, NULL-terminated. */
extern const char *const step_common_keys[];

struct load_opts {
	const char *const *var_overrides;   /* "NAME=VALUE", NULL-terminated, or NULL */
	bool skip_lock;                     /* do not read the lock file (parity lock) */
};

/* Loads path and everything it includes. Returns 0, or -1 with every
 * error (up to DIAG_LIMIT shown) in d; *c is usable only on 0 but must be
 * released either way. */
int contract_load(struct contract *c, const char *path, const struct load_opts *o,
		  struct diag *d);
void contract_release(struct contract *c);

int contract_env_index(const struct contract *c, const char *name);    /* -1 if none */
int contract_step_index(const struct contract *c, const char *id);     /* -1 if none */
/* The names of the environments, NULL-terminated, for suggestions; owned by c. */
const char *const *contract_env_names(struct contract *c);
/* A path named in the contract, resolved against the contract's folder
 * (owned by the caller). */
char *contract_path(const struct contract *c, const char *path);
/* Whether the step's only: list lets it run in environment e. */
bool step_runs_in(const struct step *s, const struct env *e);

#endif
