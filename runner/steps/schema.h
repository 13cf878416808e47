/* schema: the parts of the contract JSON Schema that the step kinds' descriptors
 * say: each kind's settings (kind_NAME), its step (step_NAME, with the stage
 * enum and the kind's default), and the list of steps. The rest of the schema
 * (top level, environments, matchers, shared definitions) is written by hand
 * in schemas/contract.schema.json, which `make schema` rewrites whole. */
#ifndef PARITY_SCHEMA_H
#define PARITY_SCHEMA_H
#include <jansson.h>

/* The schema text base (the committed file) with every per-kind part made
 * anew from the descriptors. Returns the text (owned by the caller, ending
 * in a newline), or NULL with *err (owned) when base or a descriptor's
 * JSON is malformed. */
char *schema_render(const char *base, char **err);

/* The descriptors as JSON, for `parity kinds --json`: [{name, summary,
 * stage, caps: [...], lock, keys: [{name, required, doc, schema}]}].
 * New reference. */
json_t *schema_kinds_json(void);

#endif
