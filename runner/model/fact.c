/* fact: one step's gathered fact in one environment, and its JSON form in
 * facts files. */
#include "model/fact.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void fact_release(struct fact *f)
{
	json_decref(f->value);
	free(f->error);
	memset(f, 0, sizeof *f);
}

json_t *fact_to_json(const struct fact *f, const char *kind)
{
	json_t *j = json_object();
	json_object_set_new(j, "kind", json_string(kind));
	json_object_set_new(j, "status", json_string(f->state == FACT_OK ? "ok" : "error"));
	if (f->state == FACT_OK)
		json_object_set(j, "value", f->value);
	else
		json_object_set_new(j, "error", json_string(f->error ? f->error : "not gathered"));
	json_object_set_new(j, "seconds", json_real(f->seconds));
	json_object_set_new(j, "attempts", json_integer(f->attempts > 0 ? f->attempts : 1));
	return j;
}

int fact_from_json(struct fact *f, const json_t *j, char **err)
{
	const char *status = json_string_value(json_object_get(j, "status"));
	memset(f, 0, sizeof *f);
	if (!json_is_object(j) || !status) {
		*err = xstrdup("a step's fact must be an object with \"status\"");
		return -1;
	}
	f->seconds = json_number_value(json_object_get(j, "seconds"));
	f->attempts = (int)json_integer_value(json_object_get(j, "attempts"));
	if (!strcmp(status, "ok")) {
		json_t *v = json_object_get(j, "value");
		if (!v) {
			*err = xstrdup("a fact with status \"ok\" needs \"value\"");
			return -1;
		}
		f->state = FACT_OK;
		f->value = json_incref(v);
		return 0;
	}
	if (!strcmp(status, "error")) {
		const char *e = json_string_value(json_object_get(j, "error"));
		f->state = FACT_ERROR;
		f->error = xstrdup(e ? e : "error");
		return 0;
	}
	*err = xasprintf("unknown fact status \"%s\" (expected \"ok\" or \"error\")", status);
	return -1;
}

struct fact *fact_at(const struct fact_table *t, size_t step, size_t env)
{
	return &t->facts[step * t->n_envs + env];
}
