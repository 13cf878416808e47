/* inference: score the same golden inputs in every environment, over HTTP
 * (one request per row, concurrent, kept-alive) or with a command that
 * scores all rows from stdin, and compare each environment's outputs with
 * the baseline's within tolerance bands: max/mean |diff|, allclose,
 * argmax agreement, disagreeing rows. */
#include "data/input.h"
#include "load/check.h"
#include "steps/step.h"
#include "steps/judge.h"
#include "steps/numeric.h"
#include "steps/request.h"
#include "steps/score.h"
#include "transport/exec.h"
#include "util/xalloc.h"

#include <stdlib.h>

static const struct step_key kind_keys[] = {
	{"inputs", true,
	 "{\"type\":\"string\"}",
	 "Local .npy, .csv or .jsonl file of input rows."},
	{"field", false,
	 "{\"type\":\"string\"}",
	 "For .jsonl inputs: the JSON field of each line that holds the row."},
	{"http", false,
	 "{\"type\":\"object\",\"properties\":{\"method\":{"
	 "\"description\":\"HTTP method.\",\"type\":\"string\",\"default\":\"POST\"},"
	 "\"path\":{\"description\":\"Path appended to the environment's url.\","
	 "\"type\":\"string\"},\"body\":{\"description\":\"Body template; ${"
	 "row} is the JSON array of one input row.\",\"type\":\"string\"},"
	 "\"output\":{\"description\":\"JSON Pointer (RFC 6901) to the output vec"
	 "tor in the response.\",\"type\":\"string\",\"pattern\":\"^(/([^~]|~["
	 "01])*)?$\"},\"concurrency\":{"
	 "\"description\":\"Requests in flight at once.\",\"type\":\"integer\","
	 "\"minimum\":1,\"maximum\":256},\"headers\":{"
	 "\"description\":\"Headers for these requests,"
	 " added to the environment's.\",\"allOf\":[{"
	 "\"$ref\":\"#/definitions/headers\"}]},\"timeout\":{"
	 "\"description\":\"Timeout of one request.\",\"allOf\":[{"
	 "\"$ref\":\"#/definitions/duration\"}]},\"retries\":{"
	 "\"description\":\"Retries of one request after a connection error or "
	 "a 5xx answer, with backoff. Default 2.\",\"type\":\"integer\","
	 "\"minimum\":0}},\"additionalProperties\":false}",
	 "Score each row over HTTP at the environment's url."},
	{"command", false,
	 "{\"type\":\"object\",\"properties\":{\"run\":{"
	 "\"description\":\"Command as an argv array,"
	 " run without a shell (through the environment's exec prefix,"
	 " if any).\",\"allOf\":[{\"$ref\":\"#/definitions/argv\"}]},\"shell\":{"
	 "\"description\":\"Command line run with /bin/sh -c: the explicit opt-"
	 "in to a shell.\",\"type\":\"string\"},\"output\":{"
	 "\"description\":\"Format of the command's output.\",\"type\":\"string\","
	 "\"enum\":[\"npy\",\"csv\",\"jsonl\"]},\"field\":{"
	 "\"description\":\"With output csv: the column; with jsonl: the field "
	 "holding each output row.\",\"type\":\"string\"}},"
	 "\"additionalProperties\":false,\"oneOf\":[{\"required\":[\"run\"]},{"
	 "\"required\":[\"shell\"]}]}",
	 "Score all inputs at once with a command: inputs on stdin, outputs "
	 "on stdout."},
	{"tolerance", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/tolerance\"}]}",
	 "Bands the outputs must keep against the baseline's (max_abs_diff, allclose, "
	 "argmax_agreement, ...)."},
	JUDGE_KEYS,
	{NULL, false, NULL, NULL},
};
static const char *const http_keys[] = {
	"method", "path", "body", "output", "concurrency", "headers", "timeout", "retries", NULL
};
static const char *const command_keys_[] = {"run", "shell", "output", "field", NULL};

struct inference {
	char *inputs;           /* raw; relative to the contract's folder */
	char *field;
	bool http;
	/* http */
	struct step_request req;        /* body: the row template */
	char *output;
	long concurrency, retries, timeout_ms;
	/* command */
	char **run;
	char *shell;
	enum data_format format;
	char *out_field;
	struct tolerance tol;
	struct judge *judge;    /* labels, segments, ood: NULL when none */
};

static int parse_http(struct inference *in, const struct node *h, const struct parse_ctx *p)
{
	if (check_map(p->d, h, "http") < 0)
		return -1;
	check_keys(p->d, h, http_keys, "in 'http' of an inference step");
	in->http = true;
	in->output = arena_strdup(p->arena, "");
	in->concurrency = 8;
	in->retries = 2;
	in->timeout_ms = 30000;
	request_parse(p, h, &in->req);
	if (!in->req.body)
		in->req.body = arena_strdup(p->arena, "${row}");
	kit_string(p, h, "output", &in->output);
	get_count(p->d, h, "concurrency", &in->concurrency);
	get_count(p->d, h, "retries", &in->retries);
	get_duration(p->d, h, "timeout", &in->timeout_ms);
	if (in->concurrency < 1 || in->concurrency > 256)
		diag_at(p->d, &node_get(h, "concurrency")->mark, "'concurrency' must be from 1 to 256");
	if (in->output[0] && in->output[0] != '/')
		diag_at(p->d, &node_get(h, "output")->mark, "'output' must be a JSON Pointer like "
			"/outputs/0 (or empty for the whole response), got '%s'", in->output);
	return 0;
}

static int parse_command(struct inference *in, const struct node *c, const struct parse_ctx *p)
{
	if (check_map(p->d, c, "command") < 0)
		return -1;
	check_keys(p->d, c, command_keys_, "in 'command' of an inference step");
	if (parse_run(p, c, true, &in->run, &in->shell) < 0)
		return -1;
	kit_string(p, c, "field", &in->out_field);
	const struct node *o = node_get(c, "output");
	int f = o && o->type == NODE_SCALAR ? data_format_from_name(o->str) : -1;
	if (!o || f <= 0) {
		diag_at(p->d, &(o ? o : c)->mark, "'command' needs 'output: npy', 'csv' or 'jsonl': "
			"the format its stdout is read in (inputs go to stdin in the same format)");
		return -1;
	}
	in->format = (enum data_format)f;
	return 0;
}

static int inference_parse(struct step *s, const struct parse_ctx *p)
{
	struct inference *in = kit_new(p, sizeof *in);
	const struct node *b = s->body, *h = node_get(b, "http"), *c = node_get(b, "command");
	int errors = p->d->errors;
	s->data = in;

	if (check_required(p->d, b, "inputs", p->where) < 0)
		return -1;
	kit_string(p, b, "inputs", &in->inputs);
	kit_string(p, b, "field", &in->field);
	if (in->inputs && data_format_of_path(in->inputs) < 0 && !interp_has_refs(in->inputs))
		diag_at(p->d, &node_get(b, "inputs")->mark, "'inputs' must be a .npy, .csv or .jsonl "
			"file, got '%s'", in->inputs);
	if ((h && c) || (!h && !c)) {
		diag_at(p->d, &(h && c ? c : b)->mark, "%s needs exactly one of 'http' (score each row "
			"at the environment's url) and 'command' (score all rows from stdin)", p->where);
		return -1;
	}
	if (h)
		parse_http(in, h, p);
	else
		parse_command(in, c, p);
	const struct node *t = node_get(b, "tolerance");
	if (t)
		tolerance_parse(t, p, &in->tol);
	else
		tolerance_default(&in->tol);
	in->judge = judge_parse(p, b, in->inputs);
	return p->d->errors == errors ? 0 : -1;
}

/* The inputs without the key columns; *path (owned by the caller) is where. */
static struct matrix *read_inputs(const struct gather_ctx *g, const struct inference *in,
				  char **path, char **err)
{
	char *raw = gather_expand(g, in->inputs, err);
	if (!raw)
		return NULL;
	*path = contract_path(g->c, raw);
	struct matrix *m = NULL;
	data_read_path_skip(*path, in->field, judge_skip(in->judge), &m, err);
	free(raw);
	return m;
}

static int gather_http(const struct gather_ctx *g, const struct inference *in,
		       const struct matrix *inputs, json_t *f, char **err)
{
	struct request_target rt;
	struct http_batch_stats st;
	struct matrix *out = NULL;

	if (!g->env->url) {
		*err = xasprintf("environment '%s' has no 'url': add the model server's base URL",
				 g->env->name);
		return -1;
	}
	if (request_target_init(g, &in->req, &rt, err) < 0)
		return -1;
	rt.t.timeout_ms = in->timeout_ms;
	struct score_opts o = {rt.body, in->output, (int)in->concurrency, (int)in->retries, 0};
	int rc = score_rows(&rt.t, inputs, &o, &out, &st, err);
	if (rc == 0) {
		json_object_set_new(f, "outputs", matrix_to_json(out));
		json_object_set_new(f, "requests", json_integer((json_int_t)st.requests));
		json_object_set_new(f, "retries", json_integer((json_int_t)st.retries));
		json_object_set_new(f, "http_version",
				    json_string(st.http_version ? st.http_version : "?"));
		json_object_set_new(f, "rows_per_second",
				    json_real(st.seconds > 0 ? (double)inputs->rows / st.seconds : 0));
	}
	matrix_free(out);
	request_target_release(&rt);
	return rc;
}

static int gather_command(const struct gather_ctx *g, const struct inference *in,
			  const struct matrix *inputs, json_t *f, char **err)
{
	char *data = NULL;
	size_t len = 0;
	struct proc_result r;
	struct matrix *out = NULL;
	int rc = -1;

	if (data_write_bytes(inputs, in->format, &data, &len, err) < 0)
		return -1;
	if (gather_exec(g, in->run, in->shell, NULL, data, len, &r, err) < 0) {
		free(data);
		return -1;
	}
	if (!r.exited || r.status != 0) {
		*err = xasprintf("scoring failed (%s %d): %.300s", r.exited ? "exit status" : "signal",
				 r.exited ? r.status : r.signal, r.err.data);
	} else if (data_read_bytes(r.out.data, r.out.len, in->format, in->out_field, "scoring output",
				   &out, err) == 0) {
		if (out->rows != inputs->rows) {
			*err = xasprintf("scoring output has %zu rows for %zu inputs", out->rows, inputs->rows);
		} else {
			json_object_set_new(f, "outputs", matrix_to_json(out));
			rc = 0;
		}
	}
	matrix_free(out);
	proc_result_release(&r);
	free(data);
	return rc;
}

static int inference_gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct inference *in = g->step->data;
	char *path = NULL;
	struct matrix *inputs = read_inputs(g, in, &path, err);
	if (!inputs) {
		free(path);
		return -1;
	}
	json_t *f = json_pack("{s:I}", "rows", (json_int_t)inputs->rows);
	int rc = judge_gather(g, in->judge, path, inputs->rows, f, err);
	if (rc == 0)
		rc = in->http ? gather_http(g, in, inputs, f, err) : gather_command(g, in, inputs, f, err);
	matrix_free(inputs);
	free(path);
	if (rc < 0) {
		json_decref(f);
		return -1;
	}
	*value = f;
	return 0;
}

static void inference_evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct inference *in = e->step->data;
	EVAL_ENVS(e, i) {
		const json_t *f = eval_value(e, i);
		long long rows = (long long)json_integer_value(json_object_get(f, "rows"));
		if (in->http)
			eval_check(r, eval_env_name(e, i), ST_PASS, "scored", NULL, NULL,
				   "%lld rows scored (%lld requests, %lld retries)", rows,
				   (long long)json_integer_value(json_object_get(f, "requests")),
				   (long long)json_integer_value(json_object_get(f, "retries")));
		else
			eval_check(r, eval_env_name(e, i), ST_PASS, "scored", NULL, NULL,
				   "%lld rows scored", rows);
	}
	eval_tolerance(e, r, "outputs", &in->tol);
	judge_evaluate(e, r, in->judge);
}

const struct step_kind inference_kind = {
	.name = "inference",
	.summary = "Score the same inputs in each environment and compare the outputs "
		   "against the baseline (stage inference).",
	.default_stage = STAGE_INFERENCE,
	.caps = CAP_MATRIX | CAP_MODEL_OUTPUTS,
	.keys = kind_keys,
	.schema_extra = "{\"oneOf\":[{\"required\":[\"http\"]},{\"required\":[\"command\"]}]}",
	.parse = inference_parse,
	.gather = inference_gather,
	.evaluate = inference_evaluate,
};
