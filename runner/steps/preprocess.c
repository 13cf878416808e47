/* preprocess: run the serving path's preprocessing on a fixture in each
 * environment; pin the sha256 of the output bytes, compare it across
 * environments, or, for numeric output (npy, csv, jsonl), compare the
 * values within a tolerance. The most common, self-inflicted divergence:
 * fit_transform where training called transform, another resize, a stale
 * scaler. */
#include "model/matcher.h"
#include "data/input.h"
#include "load/check.h"
#include "steps/step.h"
#include "steps/numeric.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct step_key kind_keys[] = {
	STEP_KEYS_RUN_SHELL,
	{"input", false,
	 "{\"type\":\"string\"}",
	 "Local fixture file sent to stdin."},
	{"output", false,
	 "{\"type\":\"string\",\"enum\":[\"bytes\",\"npy\",\"csv\",\"jsonl\"],"
	 "\"default\":\"bytes\"}",
	 "Format of the command's output."},
	{"sha256", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/sha256\"}]}",
	 "Pinned digest of the output bytes."},
	{"tolerance", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/tolerance\"}]}",
	 "Numeric tolerance across environments (npy, csv, jsonl output)."},
	{"field", false,
	 "{\"type\":\"string\"}",
	 "With output csv: the column (name or 0-based index); with jsonl: "
	 "the field (JSON Pointer or top-level name)."},
	{"same", false,
	 "{\"type\":\"boolean\"}",
	 "Without a tolerance: the output's sha256 must equal the baseline "
	 "environment's. Default true."},
	STEP_KEYS_NAMES,
	{NULL, false, NULL, NULL},
};

struct preprocess {
	char **run;
	char *shell;
	char *input;            /* raw; relative to the contract's folder */
	enum data_format output;
	char *field;
	struct matcher *pin;
	bool has_tolerance;
	struct tolerance tol;
	bool same;
	struct column_names names;
};

/* 'sha256:' as an exact matcher on the lowercased digest (owned by the arena). */
static struct matcher *parse_sha256(const struct node *n, const struct parse_ctx *p)
{
	char *v = n->type == NODE_SCALAR ? interp_node(&p->pin_ctx, n, p->d) : NULL;
	size_t len = v ? strlen(v) : 0;
	bool hex = len == 64;
	struct matcher *m = NULL;
	for (size_t i = 0; v && i < len; i++) {
		hex = hex && isxdigit((unsigned char)v[i]);
		v[i] = (char)tolower((unsigned char)v[i]);
	}
	if (!hex)
		diag_at(p->d, &n->mark, "'sha256' must be 64 hex digits");
	else
		m = kit_own_matcher(p, matcher_exact(v));
	free(v);
	return m;
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct preprocess *pp = kit_new(p, sizeof *pp);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;
	s->data = pp;
	pp->same = true;

	if (parse_run(p, b, true, &pp->run, &pp->shell) < 0)
		return -1;
	kit_string(p, b, "input", &pp->input);
	kit_string(p, b, "field", &pp->field);
	n = node_get(b, "output");
	if (n) {
		int f = n->type == NODE_SCALAR ? data_format_from_name(n->str) : -1;
		if (f < 0)
			diag_at(p->d, &n->mark, "'output' must be bytes, npy, csv or jsonl, got '%s'",
				n->type == NODE_SCALAR ? n->str : node_type_name(n));
		else
			pp->output = (enum data_format)f;
	}
	n = node_get(b, "sha256");
	if (n)
		pp->pin = parse_sha256(n, p);
	n = node_get(b, "tolerance");
	if (n) {
		if (pp->output == FMT_BYTES)
			diag_at(p->d, &n->mark, "'tolerance' needs numeric output: add 'output: npy', "
				"'csv' or 'jsonl'");
		else if (tolerance_parse(n, p, &pp->tol) == 0)
			pp->has_tolerance = true;
	}
	get_bool(p->d, b, "same", &pp->same);
	column_names_parse(p, b, &pp->names);
	pp->names.noun = "feature";
	return p->d->errors == errors ? 0 : -1;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct preprocess *pp = g->step->data;
	struct proc_result r;
	int rc = -1;

	if (gather_exec(g, pp->run, pp->shell, pp->input, NULL, 0, &r, err) < 0)
		return -1;
	if (!r.exited || r.status != 0) {
		*err = xasprintf("preprocessing failed (%s %d): %.300s", r.exited ? "exit status" : "signal",
				 r.exited ? r.status : r.signal, r.err.data);
		goto out;
	}
	if (r.out_truncated) {
		*err = xasprintf("preprocessing output is larger than the %u MiB capture cap",
				 PROC_DEFAULT_CAP >> 20);
		goto out;
	}
	char hex[SHA256_HEX_LEN + 1];
	hash_sha256_hex(r.out.data, r.out.len, hex);
	json_t *f = json_pack("{s:s, s:I}", "sha256", hex, "bytes", (json_int_t)r.out.len);
	if (pp->output != FMT_BYTES) {
		struct matrix *m = NULL;
		if (data_read_bytes(r.out.data, r.out.len, pp->output, pp->field, "preprocessing output",
				    &m, err) < 0) {
			json_decref(f);
			goto out;
		}
		json_object_set_new(f, "outputs", matrix_to_json(m));
		matrix_free(m);
	}
	*value = f;
	rc = 0;
out:
	proc_result_release(&r);
	return rc;
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct preprocess *pp = e->step->data;
	const char *lock_pin = fact_str(e->lock, "sha256");

	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		const char *hex = fact_str(eval_value(e, i), "sha256");
		if (pp->pin || lock_pin)
			eval_pin(r, env, "output sha256", pp->pin, lock_pin, hex);
		else if (!pp->has_tolerance)
			eval_check(r, env, ST_PASS, "output sha256", NULL, hex,
				   "output sha256 recorded (nothing pinned)");
	}
	if (pp->has_tolerance)
		eval_tolerance(e, r, "outputs", &pp->tol, &pp->names);
	else if (pp->same)
		eval_same(e, r, "sha256", "output sha256");
}

static json_t *lock(const struct step *s, const json_t *value)
{
	const struct preprocess *pp = s->data;
	/* with a tolerance the values are compared, not the bytes: nothing to pin */
	if (pp->has_tolerance)
		return NULL;
	const char *hex = fact_str(value, "sha256");
	return hex ? json_pack("{s:s}", "sha256", hex) : NULL;
}

const struct step_kind preprocess_kind = {
	.name = "preprocess",
	.summary = "Run a preprocessing command on a fixture and compare its output "
		   "(stage preprocess).",
	.default_stage = STAGE_PREPROCESS,
	.caps = CAP_MATRIX,
	.keys = kind_keys,
	.schema_extra = "{\"oneOf\":[{\"required\":[\"run\"]},{\"required\":[\"shell\"]}]}",
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
