/* schema: the per-kind parts of the contract schema, from the descriptors. */
#include "steps/schema.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* JSON text of a descriptor as a value; NULL with *err. */
static json_t *parse_fragment(const char *text, const char *kind, const char *what, char **err)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	if (!v)
		*err = xasprintf("the %s of kind '%s' is not JSON: %s", what, kind, je.text);
	return v;
}

static json_t *settings_schema(const struct step_kind *k, char **err)
{
	json_t *props = json_object(), *req = json_array();
	json_t *s = json_pack("{s:s, s:s, s:s}", "title", k->name, "description", k->summary,
			      "type", "object");
	for (size_t i = 0; k->keys[i].name; i++) {
		const struct step_key *key = &k->keys[i];
		json_t *v = parse_fragment(key->schema, k->name, key->name, err);
		if (!v || !json_is_object(v)) {
			if (v && !*err)
				*err = xasprintf("the schema of key '%s' of kind '%s' is not an object",
						 key->name, k->name);
			json_decref(v);
			goto fail;
		}
		json_t *p = key->doc && *key->doc ? json_pack("{s:s}", "description", key->doc)
						  : json_object();
		json_object_update(p, v);
		json_decref(v);
		json_object_set_new(props, key->name, p);
		if (key->required)
			json_array_append_new(req, json_string(key->name));
	}
	if (json_array_size(req))
		json_object_set(s, "required", req);
	json_object_set(s, "properties", props);
	json_object_set_new(s, "additionalProperties", json_false());
	if (k->schema_extra) {
		json_t *x = parse_fragment(k->schema_extra, k->name, "schema_extra", err);
		if (!x)
			goto fail;
		json_object_update(s, x);
		json_decref(x);
	}
	json_decref(props);
	json_decref(req);
	return s;
fail:
	json_decref(props);
	json_decref(req);
	json_decref(s);
	return NULL;
}

static json_t *ref(const char *def)
{
	char *r = xasprintf("#/definitions/%s", def);
	json_t *j = json_pack("{s:s}", "$ref", r);
	free(r);
	return j;
}

static json_t *step_schema(const struct step_kind *k)
{
	json_t *stages = json_array();
	for (int i = 0; stage_names[i]; i++)
		json_array_append_new(stages, json_string(stage_names[i]));
	char *title = xasprintf("%s step", k->name);
	char *desc = xasprintf("A step of kind %s: %s", k->name, k->summary);
	char *stage_doc = xasprintf("Pipeline stage, used to find the first point of divergence. "
				    "Default for this kind: %s.", stage_name(k->default_stage));
	char *kind_def = xasprintf("kind_%s", k->name);
	json_t *props = json_pack("{s:o, s:{s:s, s:s, s:o, s:s}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
				  "s:o}",
				  "id", ref("stepId"),
				  "stage", "description", stage_doc, "type", "string", "enum", stages,
				  "default", stage_name(k->default_stage),
				  "description", ref("stepDescription"), "only", ref("only"),
				  "severity", ref("stepSeverity"), "timeout", ref("stepTimeout"),
				  "retries", ref("stepRetries"), "tags", ref("tags"),
				  "after", ref("stepAfter"), k->name, ref(kind_def));
	json_t *s = json_pack("{s:s, s:s, s:s, s:[s, s], s:o, s:b}", "title", title,
			      "description", desc, "type", "object", "required", "id", k->name,
			      "properties", props, "additionalProperties", 0);
	free(kind_def);
	free(stage_doc);
	free(desc);
	free(title);
	return s;
}

static json_t *steps_schema(void)
{
	size_t n;
	const struct step_kind *const *kinds = step_kinds(&n);
	struct buf names;
	json_t *one_of = json_array();
	buf_init(&names);
	for (size_t i = 0; i < n; i++) {
		char *def = xasprintf("step_%s", kinds[i]->name);
		json_array_append_new(one_of, ref(def));
		buf_printf(&names, "%s%s", i ? ", " : "", kinds[i]->name);
		free(def);
	}
	char *desc = xasprintf("A check: id, exactly one kind key (%s) holding the kind's fields, "
			       "and optionally stage, description, only, severity, timeout, "
			       "retries, tags, after.", names.data);
	json_t *s = json_pack("{s:s, s:s, s:o}", "title", "Step", "description", desc,
			      "oneOf", one_of);
	free(desc);
	buf_release(&names);
	return s;
}

char *schema_render(const char *base, char **err)
{
	json_error_t je;
	size_t n;
	const struct step_kind *const *kinds = step_kinds(&n);
	json_t *root = json_loads(base, 0, &je);
	json_t *defs = root ? json_object_get(root, "definitions") : NULL;
	char *text = NULL;

	*err = NULL;
	if (!json_is_object(defs)) {
		*err = xasprintf("the base schema has no 'definitions': %s", root ? "" : je.text);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = settings_schema(kinds[i], err);
		if (!s)
			goto out;
		char *kd = xasprintf("kind_%s", kinds[i]->name);
		char *sd = xasprintf("step_%s", kinds[i]->name);
		json_object_set_new(defs, kd, s);
		json_object_set_new(defs, sd, step_schema(kinds[i]));
		free(sd);
		free(kd);
	}
	json_object_set_new(defs, "step", steps_schema());
	char *dump = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	text = xasprintf("%s\n", dump);
	free(dump);
out:
	json_decref(root);
	return text;
}

json_t *schema_kinds_json(void)
{
	size_t n;
	const struct step_kind *const *kinds = step_kinds(&n);
	json_t *all = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct step_kind *k = kinds[i];
		json_t *keys = json_array(), *caps = json_array();
		for (size_t j = 0; k->keys[j].name; j++)
			json_array_append_new(keys, json_pack("{s:s, s:b, s:s, s:s}", "name",
							      k->keys[j].name, "required",
							      k->keys[j].required, "doc", k->keys[j].doc,
							      "schema", k->keys[j].schema));
		if (k->caps & CAP_MATRIX)
			json_array_append_new(caps, json_string("matrix"));
		if (k->caps & CAP_MODEL_OUTPUTS)
			json_array_append_new(caps, json_string("model-outputs"));
		if (k->caps & CAP_DERIVED)
			json_array_append_new(caps, json_string("derived"));
		json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}", "name", k->name,
						     "summary", k->summary, "stage",
						     stage_name(k->default_stage), "caps", caps,
						     "lock", k->lock != NULL, "keys", keys));
	}
	return all;
}
