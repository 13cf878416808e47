/* inference: score the same golden inputs in every environment, over HTTP
 * (one request per row, concurrent, kept-alive) or with a command that
 * scores all rows from stdin, and compare each environment's outputs with
 * the baseline's within tolerance bands: max/mean |diff|, allclose,
 * argmax agreement, disagreeing rows. */
#include "data/input.h"
#include "load/check.h"
#include "steps/step.h"
#include "steps/latency.h"
#include "steps/judge.h"
#include "steps/numeric.h"
#include "steps/protocol.h"
#include "steps/request.h"
#include "steps/score.h"
#include "transport/exec.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	 "\"path\":{\"description\":\"Path appended to the environment's url; "
	 "the protocol's by default.\","
	 "\"type\":\"string\"},\"body\":{\"description\":\"json protocol: the body "
	 "template (${row}: one row, ${rows}: the batch's rows, ${index}), or a mapping or "
	 "list written as JSON where a string that is exactly one of those becomes its "
	 "value.\",\"type\":[\"string\",\"object\",\"array\"]},"
	 "\"protocol\":{\"description\":\"How requests and responses look.\","
	 "\"enum\":[\"json\",\"v2\",\"tf-serving\",\"mlflow\"],\"default\":\"json\"},"
	 "\"model\":{\"description\":\"v2, tf-serving: the model's name in the path.\","
	 "\"type\":\"string\"},\"version\":{\"description\":\"v2, tf-serving: the "
	 "model version in the path.\",\"type\":[\"string\",\"integer\"]},"
	 "\"input_name\":{\"description\":\"v2: the input tensor's name (default "
	 "input-0).\",\"type\":\"string\"},\"datatype\":{\"description\":\"v2: the "
	 "input tensor's datatype.\",\"enum\":[\"BOOL\",\"UINT8\",\"UINT16\",\"UINT32\","
	 "\"UINT64\",\"INT8\",\"INT16\",\"INT32\",\"INT64\",\"FP16\",\"FP32\",\"FP64\"],"
	 "\"default\":\"FP32\"},\"output_name\":{\"description\":\"v2: the output to "
	 "read (default the first); tf-serving, mlflow: a JSON Pointer into each "
	 "prediction that is an object.\",\"type\":\"string\"},\"signature_name\":{"
	 "\"description\":\"tf-serving: the signature to call.\",\"type\":\"string\"},"
	 "\"columns\":{\"description\":\"mlflow: the input columns' names: requests "
	 "use dataframe_split.\",\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	 "\"batch\":{\"description\":\"Rows per request.\",\"type\":\"integer\","
	 "\"minimum\":1,\"default\":1},\"batch_check\":{\"description\":\"Also score "
	 "the first N rows one per request and compare them with their batched outputs.\","
	 "\"type\":\"integer\",\"minimum\":1},"
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
	{"latency", false,
	 "{\"type\":\"object\",\"properties\":{\"p50_ratio\":{\"type\":\"number\","
	 "\"exclusiveMinimum\":0},\"p95_ratio\":{\"type\":\"number\","
	 "\"exclusiveMinimum\":0},\"p99_ratio\":{\"type\":\"number\","
	 "\"exclusiveMinimum\":0}},\"additionalProperties\":false}",
	 "HTTP only: each environment's request latency percentiles at most this multiple "
	 "of the baseline's; the step then runs alone."},
	{"tolerance", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/tolerance\"}]}",
	 "Bands the outputs must keep against the baseline's (max_abs_diff, allclose, "
	 "argmax_agreement, ...)."},
	STEP_KEYS_NAMES,
	JUDGE_KEYS,
	{NULL, false, NULL, NULL},
};
static const char *const http_keys[] = {
	"method", "path", "body", "output", "concurrency", "headers", "timeout", "retries",
	"protocol", "model", "version", "input_name", "datatype", "output_name", "signature_name",
	"columns", "batch", "batch_check", NULL
};
static const char *const latency_keys[] = {"p50_ratio", "p95_ratio", "p99_ratio", NULL};

#define BATCH_MAX 100000
static const char *const command_keys_[] = {"run", "shell", "output", "field", NULL};

struct inference {
	char *inputs;           /* raw; relative to the contract's folder */
	char *field;
	bool http;
	/* http */
	struct step_request req;        /* body: the row template; path: the protocol's
					 * when not set */
	char *output;
	long concurrency, retries, timeout_ms;
	struct protocol proto;          /* body and output are set per environment */
	long batch_check;               /* 0: none */
	struct latency_bounds latency;
	/* command */
	char **run;
	char *shell;
	enum data_format format;
	char *out_field;
	struct tolerance tol;
	struct column_names names;
	struct judge *judge;    /* labels, segments, ood: NULL when none */
};

/* 'protocol' and the keys that go with it. */
static int parse_protocol(struct inference *in, const struct node *h, const struct parse_ctx *p)
{
	const struct node *n = node_get(h, "protocol");
	char *name = NULL, *model = NULL, *version = NULL;
	int k = 0;

	if (n && (kit_string(p, h, "protocol", &name) < 0 || !name))
		return -1;
	if (name && (k = protocol_from_name(name)) < 0) {
		const char *sug = text_suggest(name, protocol_names);
		if (sug)
			diag_at(p->d, &n->mark, "unknown protocol '%s' (did you mean '%s'?)", name, sug);
		else
			diag_at(p->d, &n->mark, "unknown protocol '%s': use json, v2, tf-serving or "
				"mlflow", name);
		return -1;
	}
	in->proto.kind = (enum protocol_kind)k;
	const char *pname = protocol_names[k];
	static const struct {
		const char *key;
		unsigned kinds;         /* 1 << enum protocol_kind */
	} only[] = {
		{"body", 1u << PROTOCOL_JSON},
		{"output", 1u << PROTOCOL_JSON},
		{"model", 1u << PROTOCOL_V2 | 1u << PROTOCOL_TF_SERVING},
		{"version", 1u << PROTOCOL_V2 | 1u << PROTOCOL_TF_SERVING},
		{"input_name", 1u << PROTOCOL_V2},
		{"datatype", 1u << PROTOCOL_V2},
		{"output_name", 1u << PROTOCOL_V2 | 1u << PROTOCOL_TF_SERVING | 1u << PROTOCOL_MLFLOW},
		{"signature_name", 1u << PROTOCOL_TF_SERVING},
		{"columns", 1u << PROTOCOL_MLFLOW},
	};
	for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
		const struct node *v = node_get(h, only[i].key);
		if (v && !(only[i].kinds & 1u << k)) {
			diag_at(p->d, &v->mark, "'%s' does not apply to protocol %s (it is for %s)",
				only[i].key, pname, only[i].kinds & 1u << PROTOCOL_JSON ? "json" :
				only[i].kinds == 1u << PROTOCOL_V2 ? "v2" :
				only[i].kinds == 1u << PROTOCOL_TF_SERVING ? "tf-serving" :
				only[i].kinds == 1u << PROTOCOL_MLFLOW ? "mlflow" :
				only[i].kinds & 1u << PROTOCOL_MLFLOW ? "v2, tf-serving and mlflow" :
				"v2 and tf-serving");
			return -1;
		}
	}
	char *input = NULL, *dt = NULL, *out = NULL, *sig = NULL;
	if (kit_string(p, h, "model", &model) < 0 || kit_string(p, h, "version", &version) < 0 ||
	    kit_string(p, h, "input_name", &input) < 0 || kit_string(p, h, "datatype", &dt) < 0 ||
	    kit_string(p, h, "output_name", &out) < 0 ||
	    kit_string(p, h, "signature_name", &sig) < 0)
		return -1;
	in->proto.input_name = input;
	in->proto.datatype = dt;
	in->proto.output_name = out;
	in->proto.signature_name = sig;
	if (node_get(h, "columns")) {
		char **cols = NULL;
		size_t nc = 0;
		if (kit_list(p, h, "columns", false, &cols, &nc) < 0)
			return -1;
		in->proto.columns = cols;
	}
	if (in->proto.datatype && !protocol_datatype_ok(in->proto.datatype)) {
		diag_at(p->d, &node_get(h, "datatype")->mark, "unknown datatype '%s': use BOOL, "
			"UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32 or FP64",
			in->proto.datatype);
		return -1;
	}
	if ((k == PROTOCOL_V2 || k == PROTOCOL_TF_SERVING) && !model && !in->req.path) {
		diag_at(p->d, &h->mark, "'protocol: %s' needs 'model': the model's name, which the "
			"path %s holds (or write the whole 'path')", pname,
			k == PROTOCOL_V2 ? "/v2/models/MODEL/infer" : "/v1/models/MODEL:predict");
		return -1;
	}
	if (!in->req.path && k != PROTOCOL_JSON) {
		char *path = protocol_path(in->proto.kind, model, version);
		in->req.path = kit_adopt(p, path, free);
	}
	return 0;
}

/* 'batch', 'batch_check' and the body a batch needs. */
static int parse_batch(struct inference *in, const struct node *h, const struct parse_ctx *p)
{
	long batch = 1;
	const struct node *b = node_get(h, "batch"), *bc = node_get(h, "batch_check");

	if (get_count(p->d, h, "batch", &batch) < 0 || get_count(p->d, h, "batch_check",
								&in->batch_check) < 0)
		return -1;
	if (b && (batch < 1 || batch > BATCH_MAX)) {
		diag_at(p->d, &b->mark, "'batch' must be from 1 to %d rows per request, got %ld",
			BATCH_MAX, batch);
		return -1;
	}
	in->proto.batch = (size_t)batch;
	if (bc && in->batch_check < 1) {
		diag_at(p->d, &bc->mark, "'batch_check' must be a number of rows >= 1, got %ld",
			in->batch_check);
		return -1;
	}
	if (bc && batch < 2) {
		diag_at(p->d, &bc->mark, "'batch_check' compares rows scored alone with the same "
			"rows scored in a batch: set 'batch' above 1");
		return -1;
	}
	if (in->proto.kind == PROTOCOL_JSON && batch > 1 &&
	    !(in->req.body && strstr(in->req.body, "${rows}"))) {
		diag_at(p->d, &(node_get(h, "body") ? node_get(h, "body") : h)->mark, "with 'batch: "
			"%ld' the body must hold ${rows}, the batch's rows as a JSON array of arrays "
			"(like body: {instances: \"${rows}\"})", batch);
		return -1;
	}
	return 0;
}

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
	request_parse_yaml(p, h, true, &in->req);
	if (parse_protocol(in, h, p) < 0)
		return -1;
	if (!in->req.body && in->proto.kind == PROTOCOL_JSON)
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
	if (in->proto.kind != PROTOCOL_V2 && in->proto.output_name &&
	    in->proto.output_name[0] != '/')
		diag_at(p->d, &node_get(h, "output_name")->mark, "'output_name' must be a JSON "
			"Pointer into each prediction with protocol %s, like /scores, got '%s'",
			protocol_names[in->proto.kind], in->proto.output_name);
	return parse_batch(in, h, p);
}

static int parse_latency(struct inference *in, struct step *s, const struct node *n,
			 const struct parse_ctx *p)
{
	char what[300];

	if (check_map(p->d, n, "latency") < 0)
		return -1;
	snprintf(what, sizeof what, "in 'latency' of %s", p->where);
	if (check_keys(p->d, n, latency_keys, what) > 0)
		return -1;
	if (!in->http) {
		diag_at(p->d, &n->mark, "'latency' needs 'http': a command's scoring has no "
			"requests to time");
		return -1;
	}
	if (latency_parse(p, n, false, &in->latency) < 0)
		return -1;
	s->exclusive = latency_has_ratio(&in->latency);
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
	for (int k = 0; k < LATENCY_N; k++)
		in->latency.ms[k] = in->latency.ratio[k] = NAN;
	const struct node *l = node_get(b, "latency");
	if (l && parse_latency(in, s, l, p) < 0)
		return -1;
	const struct node *t = node_get(b, "tolerance");
	if (t)
		tolerance_parse(t, p, &in->tol);
	else
		tolerance_default(&in->tol);
	column_names_parse(p, b, &in->names);
	in->names.noun = "output";
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

/* The first batch_check rows scored one per request, into the fact. */
static int gather_singles(const struct inference *in, const struct protocol *proto,
			  const struct request_target *rt, const struct matrix *inputs, json_t *f,
			  char **err)
{
	struct protocol one = *proto;
	struct http_batch_stats st;
	struct matrix *out = NULL;
	size_t k = (size_t)in->batch_check;

	if (k > inputs->rows) {
		*err = xasprintf("'batch_check: %zu' asks for more rows than the %zu inputs have", k,
				 inputs->rows);
		return -1;
	}
	struct matrix head = {k, inputs->cols, inputs->v, inputs->f, inputs->float32};
	one.batch = 1;
	struct score_opts o = {rt->body, in->output, (int)in->concurrency, (int)in->retries, 0,
			       &one, NULL};
	if (score_rows(&rt->t, &head, &o, &out, &st, err) < 0)
		return -1;
	json_object_set_new(f, "batch_check_outputs", matrix_to_json(out));
	matrix_free(out);
	return 0;
}

static void put_stats(json_t *f, const struct http_batch_stats *st, size_t rows)
{
	json_object_set_new(f, "requests", json_integer((json_int_t)st->requests));
	json_object_set_new(f, "retries", json_integer((json_int_t)st->retries));
	json_object_set_new(f, "http_version", json_string(st->http_version ? st->http_version
									    : "?"));
	json_object_set_new(f, "rows_per_second",
			    json_real(st->seconds > 0 ? (double)rows / st->seconds : 0));
}

static int gather_http(const struct gather_ctx *g, const struct inference *in,
		       const struct matrix *inputs, json_t *f, char **err)
{
	struct request_target rt;
	struct http_batch_stats st;
	struct matrix *out = NULL;
	struct protocol proto = in->proto;

	if (!g->env->url) {
		*err = xasprintf("environment '%s' has no 'url': add the model server's base URL",
				 g->env->name);
		return -1;
	}
	if (request_target_init(g, &in->req, &rt, err) < 0)
		return -1;
	rt.t.timeout_ms = in->timeout_ms;
	proto.body = rt.body;
	proto.body_json = in->req.body_json;
	proto.output = proto.kind == PROTOCOL_JSON ? in->output : proto.output_name;
	struct score_opts o = {rt.body, in->output, (int)in->concurrency, (int)in->retries, 0,
			       &proto, NULL};
	size_t n = score_requests(&o, inputs->rows);
	o.latency_ms = xcalloc(n ? n : 1, sizeof *o.latency_ms);
	int rc = score_rows(&rt.t, inputs, &o, &out, &st, err);
	if (rc == 0) {
		json_object_set_new(f, "outputs", matrix_to_json(out));
		put_stats(f, &st, inputs->rows);
		json_object_set_new(f, "batch", json_integer((json_int_t)proto.batch));
		json_object_set_new(f, "latency", latency_summary(o.latency_ms, n));
		if (in->batch_check > 0)
			rc = gather_singles(in, &proto, &rt, inputs, f, err);
	}
	free(o.latency_ms);
	matrix_free(out);
	request_target_release(&rt);
	return rc;
}

/* The command scorer: inputs (taken: freed once they are the scorer's
 * stdin bytes, so that a large step holds each copy only while it is
 * needed) in, the output matrix out as the fact's "outputs". */
static int gather_command(const struct gather_ctx *g, const struct inference *in,
			  struct matrix **inputs, json_t *f, char **err)
{
	char *data = NULL;
	size_t len = 0, rows = (*inputs)->rows;
	struct proc_result r;
	struct matrix *out = NULL;
	int rc = -1;

	rc = data_write_bytes(*inputs, in->format, &data, &len, err);
	matrix_free(*inputs);
	*inputs = NULL;
	if (rc < 0)
		return -1;
	rc = gather_exec(g, in->run, in->shell, NULL, data, len, &r, err);
	free(data);
	if (rc < 0)
		return -1;
	rc = -1;
	if (!r.exited || r.status != 0) {
		*err = xasprintf("scoring failed (%s %d): %.300s", r.exited ? "exit status" : "signal",
				 r.exited ? r.status : r.signal, r.err.data);
	} else if (data_read_bytes(r.out.data, r.out.len, in->format, in->out_field, "scoring output",
				   &out, err) == 0) {
		proc_result_release(&r);
		if (out->rows != rows) {
			*err = xasprintf("scoring output has %zu rows for %zu inputs", out->rows, rows);
		} else {
			json_object_set_new(f, "outputs", matrix_to_json(out));
			rc = 0;
		}
	}
	matrix_free(out);
	proc_result_release(&r);
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
	if (rc == 0 && in->http)
		matrix_widen(inputs);   /* request bodies are written from rows of doubles */
	if (rc == 0)
		rc = in->http ? gather_http(g, in, inputs, f, err) : gather_command(g, in, &inputs, f, err);
	matrix_free(inputs);
	free(path);
	if (rc < 0) {
		json_decref(f);
		return -1;
	}
	*value = f;
	return 0;
}

/* The largest difference between a row's output scored alone and in a batch. */
static double row_diff(const struct matrix *one, const struct matrix *batched, size_t r)
{
	double worst = 0;
	for (size_t c = 0; c < one->cols; c++) {
		double d = fabs(matrix_get(one, r, c) - matrix_get(batched, r, c));
		if (isnan(d) && isnan(matrix_get(one, r, c)) != isnan(matrix_get(batched, r, c)))
			d = INFINITY;
		if (d > worst)
			worst = d;
	}
	return worst;
}

/* The first row outside the tolerance's bands (the farthest when no band is
 * per element), and its largest difference in *diff. */
static size_t first_differing(const struct matrix *one, const struct matrix *batched,
			      const struct tolerance *t, double *diff)
{
	size_t far = 0;
	double far_d = -1;
	for (size_t r = 0; r < one->rows; r++) {
		double d = row_diff(one, batched, r);
		bool out = t->has_max_abs_diff && d > t->max_abs_diff;
		for (size_t c = 0; t->has_allclose && c < one->cols; c++)
			out |= !metrics_isclose(matrix_get(one, r, c), matrix_get(batched, r, c), t->rtol,
						t->atol);
		if (out) {
			*diff = d;
			return r;
		}
		if (d > far_d) {
			far_d = d;
			far = r;
		}
	}
	*diff = far_d;
	return far;
}

/* The first rows scored one per request must match the same rows scored in
 * batches within the step's tolerance. */
static void check_batch(struct step_result *r, const char *env, const json_t *f,
			const struct tolerance *t)
{
	char *err = NULL;
	struct matrix *one = fact_matrix(f, "batch_check_outputs", &err);
	struct matrix *all = one ? fact_matrix(f, "outputs", &err) : NULL;
	struct metrics m;
	struct tolerance_verdict v[TOL_METRICS];

	memset(&m, 0, sizeof m);
	if (!all) {
		eval_check(r, env, ST_ERROR, "batch-invariant", NULL, NULL, "%s", err);
		goto out;
	}
	struct matrix head = {one->rows, all->cols, all->v, all->f, all->float32};
	if (one->cols != all->cols || metrics_compute(one, &head, t->rtol, t->atol, &m, &err) < 0) {
		eval_check(r, env, ST_FAIL, "batch-invariant", NULL, NULL, "outputs depend on batch "
			   "composition: rows scored alone have %zu outputs, in a batch %zu",
			   one->cols, all->cols);
		goto out;
	}
	size_t failed = tolerance_check(t, &m, v);
	double diff;
	size_t row = first_differing(one, &head, t, &diff);
	if (failed)
		eval_check(r, env, ST_FAIL, "batch-invariant", NULL, NULL, "outputs depend on batch "
			   "composition: row %zu scored alone differs by %g from the same row scored "
			   "in a batch (%zu rows checked)", row, diff, one->rows);
	else
		eval_check(r, env, ST_PASS, "batch-invariant", NULL, NULL, "%zu rows scored alone "
			   "match their batched outputs (largest difference %g)", one->rows,
			   m.max_abs_diff);
	tolerance_verdicts_release(v);
out:
	metrics_release(&m);
	free(err);
	matrix_free(all);
	matrix_free(one);
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
	eval_tolerance(e, r, "outputs", &in->tol, &in->names);
	judge_evaluate(e, r, in->judge);
	if (in->batch_check > 0)
		EVAL_ENVS(e, i)
			check_batch(r, eval_env_name(e, i), eval_value(e, i), &in->tol);
	if (in->http)
		latency_evaluate(e, r, "latency", &in->latency);
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
