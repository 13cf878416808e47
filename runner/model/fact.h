/* fact: what a step gathered in one environment: a JSON value, or the
 * reason it could not be gathered. Facts files hold these per step. */
#ifndef PARITY_FACT_H
#define PARITY_FACT_H
#include <stddef.h>
#include <jansson.h>

enum fact_state { FACT_NONE, FACT_OK, FACT_ERROR };

struct fact {
	enum fact_state state;  /* FACT_NONE: not planned in this environment */
	json_t *value;          /* FACT_OK; owned */
	char *error;            /* FACT_ERROR; owned */
	double seconds;
	int attempts;
};

/* Every step's fact in every environment. */
struct fact_table {
	struct fact *facts;     /* n_steps * n_envs */
	size_t n_steps, n_envs;
};

/* The fact of step in env. */
struct fact *fact_at(const struct fact_table *t, size_t step, size_t env);

void fact_release(struct fact *f);
/* {"kind","status","value"|"error","seconds","attempts"}; new reference. */
json_t *fact_to_json(const struct fact *f, const char *kind);
/* Fills f from fact_to_json's form; -1 with *err when malformed. */
int fact_from_json(struct fact *f, const json_t *j, char **err);

#endif
