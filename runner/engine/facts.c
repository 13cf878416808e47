/* facts: reading and writing facts files (JSON). */
#include "engine/facts.h"
#include "load/node.h"
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

static const char *json_type_name(const json_t *j)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "true",
		[JSON_FALSE] = "false", [JSON_NULL] = "null",
	};
	return j ? names[json_typeof(j)] : "missing";
}

/* One step's entry in a facts file, as fact_from_json reads it and
 * schemas/facts.schema.json says; NULL, or what is wrong (owned). */
static char *step_problem(const json_t *f)
{
	if (!json_is_object(f))
		return xasprintf("must be an object, got %s", json_type_name(f));
	const json_t *st = json_object_get(f, "status"), *v = json_object_get(f, "value");
	const json_t *kind = json_object_get(f, "kind"), *e = json_object_get(f, "error");
	const char *status = json_string_value(st);
	if (!json_is_string(kind))
		return xasprintf("'kind' must be the step's kind, a string, got %s", json_type_name(kind));
	if (!status || (strcmp(status, "ok") && strcmp(status, "error")))
		return xasprintf("'status' must be \"ok\" or \"error\", got %s", json_type_name(st));
	if (!strcmp(status, "ok") && !json_is_object(v))
		return xasprintf("'value' must be an object, the fact gathered, got %s", json_type_name(v));
	if (!strcmp(status, "error") && !json_is_string(e))
		return xasprintf("'error' must be a string, why the fact could not be gathered, got %s",
				 json_type_name(e));
	return NULL;
}

/* The shape of a facts document; NULL, or what is wrong and where (owned). */
static char *facts_problem(const json_t *doc, const char *path)
{
	const json_t *fmt = json_object_get(doc, "parity"), *type = json_object_get(doc, "type");
	const json_t *steps = json_object_get(doc, "steps"), *env = json_object_get(doc, "environment");
	const json_t *sha = json_object_get(json_object_get(doc, "contract"), "sha256");
	const char *k;
	const json_t *v;

	if (!json_is_object(doc))
		return xasprintf("'%s' is not a parity facts file: it holds %s, not an object (write one "
				 "with 'parity capture')", path, json_type_name(doc));
	if (!json_is_string(type) || strcmp(json_string_value(type), "facts"))
		return xasprintf("'%s' is not a parity facts file: 'type' must be \"facts\", got %s "
				 "(write one with 'parity capture')", path, json_type_name(type));
	if (!json_is_integer(fmt) || json_integer_value(fmt) != 1) {
		if (json_is_integer(fmt))
			return xasprintf("facts file '%s' is format 'parity: %lld': this runner reads format "
					 "1 (capture the facts again with this parity)", path,
					 (long long)json_integer_value(fmt));
		return xasprintf("facts file '%s': 'parity' must be the format number 1, got %s", path,
				 json_type_name(fmt));
	}
	if (!json_is_string(sha))
		return xasprintf("facts file '%s': 'contract' must hold 'sha256', the contract's digest, "
				 "got %s", path, json_type_name(sha));
	if (!json_is_string(env))
		return xasprintf("facts file '%s': 'environment' must be the environment's name, got %s",
				 path, json_type_name(env));
	if (!json_is_object(steps))
		return xasprintf("facts file '%s': 'steps' must be an object of facts by step id, got %s",
				 path, json_type_name(steps));
	json_object_foreach((json_t *)(uintptr_t)steps, k, v) {
		char *why = step_problem(v);
		if (why) {
			char *r = xasprintf("facts file '%s', step '%s': %s (capture the facts again)", path,
					    k, why);
			free(why);
			return r;
		}
	}
	return NULL;
}

json_t *facts_read(const char *path, char **err)
{
	json_error_t je;
	const char *why;
	FILE *f = node_open_regular(path, &why);
	if (!f) {
		*err = xasprintf("cannot read facts file '%s': %s", path, why);
		return NULL;
	}
	json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!doc) {
		*err = xasprintf("%s:%d:%d: invalid facts file: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	*err = facts_problem(doc, path);
	if (*err) {
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
