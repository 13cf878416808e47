/* facts: reading and writing facts files (JSON). */
#include "engine/facts.h"
#include "steps/step.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

json_t *facts_read(const char *path, char **err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		if (je.line < 0 || strstr(je.text, "unable to open"))
			*err = xasprintf("cannot read facts file '%s': %s", path, je.text);
		else
			*err = xasprintf("%s:%d:%d: invalid facts file: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	const char *type = json_string_value(json_object_get(doc, "type"));
	json_t *steps = json_object_get(doc, "steps");
	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "parity")) != 1 ||
	    !type || strcmp(type, "facts") || !json_is_object(steps) ||
	    !json_string_value(json_object_get(json_object_get(doc, "contract"), "sha256"))) {
		*err = xasprintf("'%s' is not a parity facts file (write one with 'parity capture')", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *json_masked(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	json_t *r;

	switch (json_typeof(j)) {
	case JSON_STRING: {
		char *m = secret_mask(json_string_value(j));
		r = json_string(m);
		free(m);
		return r ? r : json_string("");
	}
	case JSON_OBJECT:
		r = json_object();
		json_object_foreach((json_t *)(uintptr_t)j, k, v)
			json_object_set_new(r, k, json_masked(v));
		return r;
	case JSON_ARRAY:
		r = json_array();
		json_array_foreach(j, i, v)
			json_array_append_new(r, json_masked(v));
		return r;
	default:
		return json_deep_copy(j);
	}
}

json_t *facts_doc(const struct contract *c, size_t env, const struct fact_table *facts,
		  const bool *step_on, const json_t *host)
{
	char stamp[32];
	clock_iso8601(time(NULL), stamp);
	json_t *steps = json_object();
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct fact *f = fact_at(facts, i, env);
		if ((step_on && !step_on[i]) || f->state == FACT_NONE)
			continue;
		json_object_set_new(steps, c->steps[i].id, fact_to_json(f, c->steps[i].kind->name));
	}
	json_t *doc = json_pack("{s:i, s:s, s:{s:s, s:s, s:s}, s:{s:s}, s:s, s:s, s:O, s:o}",
				"parity", 1, "type", "facts",
				"contract", "name", c->name, "path", c->path, "sha256", c->sha256,
				"runner", "version", PARITY_VERSION,
				"environment", c->envs[env].name,
				"captured_at", stamp,
				"host", host,
				"steps", steps);
	json_t *masked = json_masked(doc);
	json_decref(doc);
	return masked;
}

int facts_write(const json_t *doc, const char *path, char **err)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc = 0;
	if (!text) {
		*err = xstrdup("cannot encode the facts as JSON");
		return -1;
	}
	if (!path || !strcmp(path, "-")) {
		if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
			*err = xasprintf("cannot write facts to stdout: %s", strerror(errno));
			rc = -1;
		}
	} else {
		size_t n = strlen(text);
		char *withnl = xasprintf("%s\n", text);
		rc = file_write_text(path, NULL, withnl, n + 1, err);
		free(withnl);
	}
	free(text);
	return rc;
}
