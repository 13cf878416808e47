/* registry: the table of step kinds. A new kind is a file and a row here:
 * X(name) declares `name_kind` (defined in steps/name.c) and lists it, in the
 * order `parity kinds`, the schema and the docs show. */
#include "steps/step.h"

#include <string.h>

#define KINDS(X) \
	X(artifact) \
	X(command) \
	X(version) \
	X(packages) \
	X(env) \
	X(gpu) \
	X(preprocess) \
	X(inference) \
	X(postprocess) \
	X(drift) \
	X(http) \
	X(replay)

#define DECLARE(name) extern const struct step_kind name##_kind;
KINDS(DECLARE)
#undef DECLARE

#define ROW(name) &name##_kind,
static const struct step_kind *const kinds[] = {KINDS(ROW)};
#undef ROW

#define N_KINDS (sizeof kinds / sizeof kinds[0])

const struct step_kind *step_kind_find(const char *name)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

const char *const *step_kind_names(void)
{
	static const char *names[N_KINDS + 1];
	for (size_t i = 0; i < N_KINDS; i++)
		names[i] = kinds[i]->name;
	names[N_KINDS] = NULL;
	return names;
}

const struct step_kind *const *step_kinds(size_t *n)
{
	*n = N_KINDS;
	return kinds;
}
