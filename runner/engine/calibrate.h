/* calibrate: tolerances learned from the noise floor. Gathers one
 * environment several times (and its replicas, replica_of, beside it),
 * measures every tolerance metric between the runs and between the
 * environment and its replicas, and proposes per step a band: the largest
 * difference observed times a margin, never tighter than the floors below. */
#ifndef PARITY_CALIBRATE_H
#define PARITY_CALIBRATE_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "load/contract.h"

/* The floors: below these a band says nothing a float32 model can keep
 * (1e-6 is about 8 float32 steps at 1.0). argmax_agreement is never
 * proposed above CALIBRATE_AGREEMENT_CAP. */
#define CALIBRATE_FLOOR_MAX_ABS_DIFF 1e-6
#define CALIBRATE_FLOOR_MEAN_ABS_DIFF 1e-7
#define CALIBRATE_AGREEMENT_CAP 0.999

struct calibrate_opts {
	int runs;               /* gathers of the environment, at least 2 */
	double margin;          /* the band: largest observed times this */
	int jobs;               /* workers per gather; 0: the engine's default */
	bool progress;
};

/* Gathers environment env o->runs times and measures the steps whose kind
 * takes a tolerance and whose fact holds output values. Returns
 * {"step id": {"runs", "exact", "observed": {metric: largest},
 * "tolerance": {metric: proposed}}} (new reference), or NULL with *err
 * (owned by the caller) when a step could not run or no step takes a
 * tolerance. */
json_t *calibrate_run(const struct contract *c, size_t env, const struct calibrate_opts *o,
		      char **err);

/* The proposal as YAML to paste under each step, with comments saying what
 * was observed and which steps were exactly reproducible (owned by the
 * caller). */
char *calibrate_yaml(const struct contract *c, size_t env, const struct calibrate_opts *o,
		     const json_t *proposal);

/* The pins the lock file gets: {"step id": {"tolerance.max_abs_diff": "4.2e-06", ...}},
 * merged into old (a lock file's steps, borrowed, may be NULL). New reference. */
json_t *calibrate_pins(const json_t *proposal, const json_t *old);

#endif
