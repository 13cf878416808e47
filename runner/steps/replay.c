/* replay: a traffic recording replayed. The recorded environment's facts
 * are the recording itself, read at evaluation; every other environment is
 * sent each logged request as logged (over HTTP, concurrent) and keeps the
 * compared parts of its responses, and optionally the model's features
 * computed for each request. Evaluation streams the recording once and
 * compares field by field (data/jsondiff.h) and feature by feature, with
 * the shape of each difference (data/shape.h). */
#include "data/jsondiff.h"
#include "data/jsonptr.h"
#include "data/recording.h"
#include "data/shape.h"
#include "load/check.h"
#include "steps/request.h"
#include "steps/step.h"
#include "transport/http.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POINTER_SCHEMA "{\"type\":\"string\",\"pattern\":\"^(/([^~]|~[01])*)?$\"}"
#define HTTP_SCHEMA \
	"{\"type\":\"object\",\"properties\":{\"method\":{\"type\":\"string\"}," \
	"\"path\":{\"type\":\"string\"},\"headers\":{\"allOf\":[{\"$ref\":\"#/definitions/headers\"}]}," \
	"\"concurrency\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":256}," \
	"\"timeout\":{\"allOf\":[{\"$ref\":\"#/definitions/duration\"}]}," \
	"\"retries\":{\"type\":\"integer\",\"minimum\":0},\"output\":" POINTER_SCHEMA "}," \
	"\"additionalProperties\":false}"
#define BAND_SCHEMA \
	"{\"oneOf\":[{\"const\":\"exact\"},{\"type\":\"object\",\"properties\":{\"max_abs_diff\":" \
	"{\"type\":\"number\",\"minimum\":0}},\"required\":[\"max_abs_diff\"]," \
	"\"additionalProperties\":false}]}"

static const struct step_key kind_keys[] = {
	{"recording", true, "{\"type\":\"string\"}",
	 "The traffic recording, a file on this host (relative to the contract)."},
	{"format", false, "{\"enum\":[\"jsonl\",\"sagemaker\",\"cloudevents\",\"har\"]}",
	 "jsonl (default), sagemaker (Data Capture), cloudevents (KServe's inference logger) or "
	 "har (HAR 1.2)."},
	{"recorded", true, "{\"type\":\"string\"}",
	 "The environment whose answers the recording holds."},
	{"request", false, POINTER_SCHEMA,
	 "jsonl: JSON Pointer to each record's request body (default /request)."},
	{"response", false, POINTER_SCHEMA,
	 "jsonl: JSON Pointer to each record's response body (default /response)."},
	{"id", false, POINTER_SCHEMA, "jsonl: JSON Pointer to each record's id, shown in reports."},
	{"limit", false, "{\"type\":\"integer\",\"minimum\":1}", "Replay only the first N records."},
	{"http", false, HTTP_SCHEMA,
	 "How every other environment is sent each logged request, as logged: method, path, "
	 "headers, concurrency (8), timeout, retries (2)."},
	{"compare", false,
	 "{\"type\":\"object\",\"propertyNames\":" POINTER_SCHEMA ",\"additionalProperties\":"
	 BAND_SCHEMA "}",
	 "JSON Pointers into the responses, each 'exact' or {max_abs_diff: x}; absent: every "
	 "leaf, exactly."},
	{"ignore", false, "{\"type\":\"array\",\"items\":" POINTER_SCHEMA "}",
	 "JSON Pointers never compared (with everything under them)."},
	{"features", false,
	 "{\"type\":\"object\",\"properties\":{\"recorded\":" POINTER_SCHEMA ",\"names\":{"
	 "\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"names_from\":{\"type\":\"string\"},"
	 "\"http\":" HTTP_SCHEMA ",\"run\":{\"allOf\":[{\"$ref\":\"#/definitions/argv\"}]},"
	 "\"shell\":{\"type\":\"string\"},\"tolerance\":" BAND_SCHEMA "},\"required\":[\"recorded\"],"
	 "\"additionalProperties\":false}",
	 "The model's inputs, per feature: recorded (pointer into the record), names or "
	 "names_from (a .csv's header), http or run/shell (how another environment computes "
	 "them), tolerance."},
	{NULL, false, NULL, NULL},
};
static const char *const http_keys[] = {
	"method", "path", "headers", "concurrency", "timeout", "retries", "output", NULL
};
static const char *const feature_keys[] = {
	"recorded", "names", "names_from", "http", "run", "shell", "tolerance", NULL
};

/* json_pointer_get without the reason. */
static json_t *pointer_at(const json_t *root, const char *ptr)
{
	char *why = NULL;
	json_t *v = json_pointer_get((json_t *)(uintptr_t)root, ptr, &why);
	free(why);
	return v;
}

struct sender {
	struct step_request req;
	char *output;                   /* features: pointer to the vector in the response */
	long concurrency, retries, timeout_ms;
};

struct replay {
	char *recording;                /* raw; relative to the contract's folder */
	char *recorded;
	struct recording_opts ro;
	struct sender http;
	struct jsondiff_rule *rules;
	size_t n_rules;
	char **ignore;
	/* features */
	char *f_recorded;               /* NULL: no features */
	char **names;
	size_t n_names;
	struct sender f_http;
	bool f_has_http;
	char **f_run;
	char *f_shell;
	double f_band;
};

static int parse_band(const struct parse_ctx *p, const struct node *n, double *band)
{
	if (n->type == NODE_SCALAR && !strcmp(n->str, "exact")) {
		*band = -1;
		return 0;
	}
	const struct node *m = n->type == NODE_MAP ? node_get(n, "max_abs_diff") : NULL;
	char *end = NULL;
	if (m && m->type == NODE_SCALAR && node_map_len(n) == 1) {
		errno = 0;
		*band = strtod(m->str, &end);
		if (end != m->str && !*end && errno == 0 && *band >= 0)
			return 0;
	}
	diag_at(p->d, &(m ? m : n)->mark, "a band must be 'exact' or {max_abs_diff: X} with X a "
		"number >= 0, like {max_abs_diff: 1e-4}");
	return -1;
}

static void check_pointer(const struct parse_ctx *p, const struct node *n, const char *key)
{
	char *why = NULL;
	if (n && n->type == NODE_SCALAR && json_pointer_check(n->str, &why) < 0)
		diag_at(p->d, &n->mark, "'%s': %s (a JSON Pointer like /logits or /outputs/0)", key, why);
	free(why);
}

static void parse_sender(const struct parse_ctx *p, const struct node *h, struct sender *s,
			 const char *where)
{
	s->concurrency = 8;
	s->retries = 2;
	s->timeout_ms = 30000;
	if (!h || check_map(p->d, h, "http") < 0)
		return;
	check_keys(p->d, h, http_keys, where);
	request_parse(p, h, &s->req);
	kit_string(p, h, "output", &s->output);
	check_pointer(p, node_get(h, "output"), "output");
	get_count(p->d, h, "concurrency", &s->concurrency);
	get_count(p->d, h, "retries", &s->retries);
	get_duration(p->d, h, "timeout", &s->timeout_ms);
	if (s->concurrency < 1 || s->concurrency > 256)
		diag_at(p->d, &node_get(h, "concurrency")->mark, "'concurrency' must be from 1 to 256");
}

static void parse_compare(const struct parse_ctx *p, const struct node *c, struct replay *rp)
{
	if (check_map(p->d, c, "compare") < 0)
		return;
	rp->rules = kit_new(p, (node_map_len(c) + 1) * sizeof *rp->rules);
	for (size_t i = 0; i < node_map_len(c); i++) {
		const struct node *k = node_map_key(c, i);
		check_pointer(p, k, "compare");
		if (k->str[0] == '\0') {
			diag_at(p->d, &k->mark, "'compare' takes pointers into the response, like /logits: "
				"leave 'compare' out to compare every leaf");
			continue;
		}
		if (parse_band(p, node_map_value(c, i), &rp->rules[rp->n_rules].max_abs_diff) == 0)
			rp->rules[rp->n_rules++].path = arena_strdup(p->arena, k->str);
	}
}

/* The header line of a .csv, split at commas, as the feature names. */
static void names_from_csv(const struct parse_ctx *p, const struct node *n, struct replay *rp)
{
	char *path = contract_path(p->c, n->str);
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	if (!f || getline(&line, &cap, f) < 0) {
		diag_at(p->d, &n->mark, "'names_from': cannot read the header of '%s': %s", n->str,
			f ? "the file is empty" : strerror(errno));
	} else {
		line[strcspn(line, "\r\n")] = '\0';
		rp->names = kit_new(p, (strlen(line) / 2 + 2) * sizeof *rp->names);
		for (char *save = NULL, *t = strtok_r(line, ",", &save); t; t = strtok_r(NULL, ",", &save))
			rp->names[rp->n_names++] = arena_strdup(p->arena, t);
	}
	if (f)
		fclose(f);
	free(line);
	free(path);
}

static void parse_features(const struct parse_ctx *p, const struct node *f, struct replay *rp)
{
	if (check_map(p->d, f, "features") < 0)
		return;
	check_keys(p->d, f, feature_keys, "in 'features' of a replay step");
	if (check_required(p->d, f, "recorded", "'features'") < 0)
		return;
	kit_string(p, f, "recorded", &rp->f_recorded);
	check_pointer(p, node_get(f, "recorded"), "recorded");
	const struct node *nf = node_get(f, "names_from"), *h = node_get(f, "http");
	if (node_get(f, "names") && nf)
		diag_at(p->d, &nf->mark, "'features' has both 'names' and 'names_from': give one");
	else if (node_get(f, "names"))
		kit_list(p, f, "names", false, &rp->names, &rp->n_names);
	else if (nf && nf->type == NODE_SCALAR)
		names_from_csv(p, nf, rp);
	if (parse_run(p, f, false, &rp->f_run, &rp->f_shell) < 0)
		return;
	if (h && (rp->f_run || rp->f_shell)) {
		diag_at(p->d, &h->mark, "'features' has both 'http' and '%s': give one",
			rp->f_run ? "run" : "shell");
		return;
	}
	if (!h && !rp->f_run && !rp->f_shell) {
		diag_at(p->d, &f->mark, "'features' needs 'http' (a path that answers a logged request "
			"with its features) or 'run'/'shell' (logged requests as JSON Lines on stdin, "
			"features out)");
		return;
	}
	if (h) {
		rp->f_has_http = true;
		parse_sender(p, h, &rp->f_http, "in 'http' of a replay step's 'features'");
	}
	rp->f_band = 1e-6;
	const struct node *t = node_get(f, "tolerance");
	if (t)
		parse_band(p, t, &rp->f_band);
}

static void parse_recorded(const struct parse_ctx *p, const struct node *b, struct replay *rp)
{
	const struct node *n = node_get(b, "recorded");
	kit_string(p, b, "recorded", &rp->recorded);
	if (!rp->recorded || contract_env_index(p->c, rp->recorded) >= 0)
		return;
	const char *sug = text_suggest(rp->recorded, contract_env_names(p->c));
	diag_at(p->d, &n->mark, "'recorded' must name the environment whose answers the recording "
		"holds, got '%s'%s%s%s", rp->recorded, sug ? " (did you mean '" : "",
		sug ? sug : "", sug ? "'?)" : "");
}

static void parse_format(const struct parse_ctx *p, const struct node *b, struct replay *rp)
{
	const struct node *n = node_get(b, "format");
	int f = n && n->type == NODE_SCALAR ? recording_format_from_name(n->str) : 0;
	if (f < 0 || (n && n->type != NODE_SCALAR)) {
		diag_at(p->d, &n->mark, "'format' must be jsonl, sagemaker, cloudevents or har, got '%s'",
			n->type == NODE_SCALAR ? n->str : node_type_name(n));
		return;
	}
	rp->ro.format = (enum recording_format)f;
	static const char *const jsonl_only[] = {"request", "response", "id", NULL};
	for (size_t i = 0; jsonl_only[i]; i++) {
		const struct node *k = node_get(b, jsonl_only[i]);
		if (k && f != REC_JSONL)
			diag_at(p->d, &k->mark, "'%s' is for format jsonl: a %s recording says where "
				"its requests, responses and ids are", jsonl_only[i], n->str);
		check_pointer(p, k, jsonl_only[i]);
	}
}

static int replay_parse(struct step *s, const struct parse_ctx *p)
{
	struct replay *rp = kit_new(p, sizeof *rp);
	const struct node *b = s->body, *h = node_get(b, "http"), *c = node_get(b, "compare");
	int errors = p->d->errors;
	long limit = 0;
	s->data = rp;

	if (check_required(p->d, b, "recording", p->where) < 0 ||
	    check_required(p->d, b, "recorded", p->where) < 0)
		return -1;
	kit_string(p, b, "recording", &rp->recording);
	parse_recorded(p, b, rp);
	parse_format(p, b, rp);
	kit_string(p, b, "request", (char **)(uintptr_t)&rp->ro.request);
	kit_string(p, b, "response", (char **)(uintptr_t)&rp->ro.response);
	kit_string(p, b, "id", (char **)(uintptr_t)&rp->ro.id);
	if (get_count(p->d, b, "limit", &limit) == 0 && node_get(b, "limit") && limit < 1)
		diag_at(p->d, &node_get(b, "limit")->mark, "'limit' must be 1 or more records");
	rp->ro.limit = (size_t)limit;
	if (h)
		parse_sender(p, h, &rp->http, "in 'http' of a replay step");
	else
		parse_sender(p, NULL, &rp->http, NULL);
	if (c)
		parse_compare(p, c, rp);
	kit_list(p, b, "ignore", true, &rp->ignore, NULL);
	for (size_t i = 0; rp->ignore && rp->ignore[i]; i++) {
		char *why = NULL;
		if (json_pointer_check(rp->ignore[i], &why) < 0)
			diag_at(p->d, &node_get(b, "ignore")->mark, "'ignore': %s", why);
		free(why);
	}
	if (node_get(b, "features"))
		parse_features(p, node_get(b, "features"), rp);
	return p->d->errors == errors ? 0 : -1;
}

/* ---- gather: every environment but the recorded one is sent the requests */

struct replayer {
	struct recording *rec;
	const struct replay *rp;
	bool features;                  /* keep feature vectors, not responses */
	json_t *out;                    /* one entry per record */
	char *err;                      /* the recording's, while sending */
};

static void send_body(void *ctx, size_t i, struct buf *out)
{
	struct replayer *s = ctx;
	struct record r;
	char *err = NULL;
	int rc = s->err ? -1 : recording_next(s->rec, &r, &err);
	if (rc <= 0 && !s->err)
		s->err = err ? err : xasprintf("record %zu: the recording changed while it was replayed", i);
	if (rc > 0)
		buf_puts(out, r.body);
}

/* A feature vector: an array of numbers, or an object of them by name. */
static json_t *feature_vector(const json_t *v, char *const *names, size_t n_names)
{
	json_t *a = json_array();
	if (json_is_object(v) && names) {
		for (size_t i = 0; i < n_names; i++)
			json_array_append(a, json_object_get(v, names[i]) ? json_object_get(v, names[i])
									   : json_null());
		return a;
	}
	if (json_is_array(v))
		json_array_extend(a, (json_t *)(uintptr_t)v);
	else if (json_is_number(v))
		json_array_append(a, (json_t *)(uintptr_t)v);
	return a;
}

static json_t *response_value(const char *body, size_t len)
{
	json_error_t je;
	json_t *j = json_lenient_loads(body, len, &je);
	return j ? j : json_stringn_nocheck(body, len);
}

/* What a live environment keeps of a response: the compared values only. */
static json_t *keep_response(const struct replay *rp, json_t *resp)
{
	if (!rp->n_rules)
		return json_incref(resp);
	json_t *o = json_object();
	for (size_t i = 0; i < rp->n_rules; i++) {
		json_t *v = pointer_at(resp, rp->rules[i].path);
		if (v)
			json_object_set(o, rp->rules[i].path, v);
	}
	return o;
}

static int take_response(void *ctx, size_t i, long status, const char *body, size_t len, char **err)
{
	struct replayer *s = ctx;
	(void)status;
	if (s->err) {
		*err = xstrdup(s->err);
		return -1;
	}
	json_t *resp = response_value(body, len), *kept;
	if (s->features) {
		const char *ptr = s->rp->f_http.output ? s->rp->f_http.output : "";
		kept = feature_vector(pointer_at(resp, ptr), s->rp->names, s->rp->n_names);
	} else {
		kept = keep_response(s->rp, resp);
	}
	json_array_set_new(s->out, i, kept);
	json_decref(resp);
	return 0;
}

/* Counts the records (and finds the first content type) in one pass. */
static int count_records(const char *path, const char *name, const struct replay *rp, size_t *n,
			 size_t *skipped, char **ctype, char **err)
{
	struct recording *r;
	struct record rec;
	int rc;
	*n = 0;
	*ctype = NULL;
	if (recording_open(path, name, &rp->ro, &r, err) < 0)
		return -1;
	while ((rc = recording_next(r, &rec, err)) > 0) {
		if (!*ctype)
			*ctype = xstrdup(rec.content_type);
		(*n)++;
	}
	*skipped = recording_skipped(r);
	recording_close(r);
	return rc;
}

/* Sends every record's request to the environment with sender s; out gets
 * each answer (its compared values, or its feature vector). */
static int send_all(const struct gather_ctx *g, const struct replay *rp, const struct sender *s,
		    bool features, const char *path, size_t n, const char *ctype, json_t *f,
		    json_t **out, char **err)
{
	struct request_target rt;
	struct http_batch_stats st;
	struct replayer ctx = {NULL, rp, features, json_array(), NULL};
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(ctx.out, json_null());
	if (request_target_init(g, &s->req, &rt, err) < 0)
		goto out;
	rt.t.timeout_ms = s->timeout_ms;
	/* the logged content type, unless the environment or the step sets one */
	struct http_header *hs = xcalloc(rt.t.n_headers + 2, sizeof *hs);
	bool has_ct = false;
	for (size_t i = 0; i < rt.t.n_headers; i++) {
		hs[i] = rt.t.headers[i];
		has_ct |= !strcasecmp(hs[i].name, "Content-Type");
	}
	if (!has_ct && ctype)
		hs[rt.t.n_headers++] = (struct http_header){"Content-Type", ctype};
	rt.t.headers = hs;
	if (recording_open(path, rp->recording, &rp->ro, &ctx.rec, err) == 0) {
		struct http_batch_ops ops = {send_body, take_response};
		struct http_batch_opts o = {.item = "record", .done = "records replayed",
					    .concurrency = (int)s->concurrency,
					    .retries = (int)s->retries};
		rc = http_batch(&rt.t, n, &ops, &ctx, &o, &st, err);
		if (rc == 0 && !features) {
			json_object_set_new(f, "requests", json_integer((json_int_t)st.requests));
			json_object_set_new(f, "retries", json_integer((json_int_t)st.retries));
		}
		recording_close(ctx.rec);
	}
	free(hs);
	request_target_release(&rt);
out:
	free(ctx.err);
	if (rc == 0)
		*out = ctx.out;
	else
		json_decref(ctx.out);
	return rc;
}

/* Features from a command: the logged requests as JSON Lines on stdin, one
 * feature vector (an array, or an object by name) per line out. */
static int features_by_command(const struct gather_ctx *g, const struct replay *rp,
			       const char *path, size_t n, json_t **out, char **err)
{
	struct recording *r;
	struct record rec;
	struct buf in;
	struct proc_result pr;
	int rc;

	if (recording_open(path, rp->recording, &rp->ro, &r, err) < 0)
		return -1;
	buf_init(&in);
	while ((rc = recording_next(r, &rec, err)) > 0) {
		json_t *j = response_value(rec.body, rec.len);
		char *line = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		buf_printf(&in, "%s\n", line ? line : "null");
		free(line);
		json_decref(j);
	}
	recording_close(r);
	if (rc < 0 || gather_exec(g, rp->f_run, rp->f_shell, NULL, in.data, in.len, &pr, err) < 0) {
		buf_release(&in);
		return -1;
	}
	buf_release(&in);
	rc = -1;
	if (!pr.exited || pr.status != 0) {
		*err = xasprintf("features command failed (%s %d): %.300s", pr.exited ? "exit status" :
				 "signal", pr.exited ? pr.status : pr.signal, pr.err.data ? pr.err.data : "");
		goto done;
	}
	*out = json_array();
	for (char *save = NULL, *l = strtok_r(pr.out.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *j = response_value(l, strlen(l));
		json_array_append_new(*out, feature_vector(j, rp->names, rp->n_names));
		json_decref(j);
	}
	if (json_array_size(*out) != n) {
		*err = xasprintf("features command wrote %zu lines for %zu logged requests",
				 json_array_size(*out), n);
		json_decref(*out);
		goto done;
	}
	rc = 0;
done:
	proc_result_release(&pr);
	return rc;
}

static int replay_live(const struct gather_ctx *g, const struct replay *rp, const char *path,
		       json_t *f, char **err)
{
	size_t n = 0, skipped = 0;
	char *ctype = NULL;
	json_t *out = NULL;
	int rc = -1;

	if (!g->env->url) {
		*err = xasprintf("environment '%s' has no 'url': add the model server's base URL to "
				 "replay the recording there", g->env->name);
		return -1;
	}
	if (count_records(path, rp->recording, rp, &n, &skipped, &ctype, err) < 0)
		return -1;
	json_object_set_new(f, "records", json_integer((json_int_t)n));
	json_object_set_new(f, "skipped", json_integer((json_int_t)skipped));
	if (send_all(g, rp, &rp->http, false, path, n, ctype, f, &out, err) < 0)
		goto done;
	json_object_set_new(f, "responses", out);
	if (rp->f_recorded) {
		if (rp->f_has_http ? send_all(g, rp, &rp->f_http, true, path, n, ctype, f, &out, err)
				   : features_by_command(g, rp, path, n, &out, err))
			goto done;
		json_object_set_new(f, "features", out);
	}
	rc = 0;
done:
	free(ctype);
	return rc;
}

static int replay_gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct replay *rp = g->step->data;
	char *raw = gather_expand(g, rp->recording, err);
	if (!raw)
		return -1;
	char *path = contract_path(g->c, raw);
	json_t *f = json_pack("{s:s}", "recording", raw);
	int rc = 0;
	/* the recorded environment's answers are the recording, read at evaluation */
	if (!strcmp(g->env->name, rp->recorded))
		json_object_set_new(f, "recorded", json_true());
	else
		rc = replay_live(g, rp, path, f, err);
	free(path);
	free(raw);
	if (rc < 0) {
		json_decref(f);
		return -1;
	}
	*value = f;
	return 0;
}

/* ---- evaluate: the recording streamed once against every live environment */

struct side {
	size_t env;
	const json_t *responses, *features;
	size_t records;                 /* the fact's count */
	struct jsondiff *d;
	double *fb, *fo;                /* features: the live environment's, the recording's */
	size_t frows, width;
};

static void vector_into(const json_t *v, double *row, size_t width)
{
	for (size_t j = 0; j < width; j++) {
		double x = NAN;
		const json_t *e = json_array_get(v, j);
		if (e && json_lenient_number(e, &x) < 0)
			x = NAN;
		row[j] = x;
	}
}

static void add_features(struct side *s, const struct replay *rp, size_t k, const json_t *rec_vec)
{
	const json_t *live = json_array_get(s->features, k);
	if (!s->width)
		s->width = rp->n_names ? rp->n_names : json_array_size(rec_vec);
	if (!s->width)
		return;
	if ((s->frows & (s->frows - 1)) == 0) {
		size_t cap = (s->frows ? 2 * s->frows : 1) * s->width;
		s->fb = xrealloc(s->fb, cap * sizeof *s->fb);
		s->fo = xrealloc(s->fo, cap * sizeof *s->fo);
	}
	vector_into(live, s->fb + s->frows * s->width, s->width);
	vector_into(rec_vec, s->fo + s->frows * s->width, s->width);
	s->frows++;
}

/* Streams the recording through every side; the record count, or -1 with *err. */
static long stream(const struct eval_ctx *e, const struct replay *rp, const char *path,
		   struct side *sides, size_t n_sides, size_t *skipped, char **err)
{
	struct recording *r;
	struct record rec;
	size_t k = 0;
	int rc;
	if (recording_open(path, rp->recording, &rp->ro, &r, err) < 0)
		return -1;
	while ((rc = recording_next(r, &rec, err)) > 0) {
		json_t *kept = keep_response(rp, rec.response), *vec = NULL;
		if (rp->f_recorded)
			vec = feature_vector(pointer_at(rec.record, rp->f_recorded), rp->names,
					     rp->n_names);
		for (size_t i = 0; i < n_sides; i++) {
			struct side *s = &sides[i];
			if (k >= s->records)
				continue;
			jsondiff_add_picked(s->d, rec.id, json_array_get(s->responses, k), kept);
			if (vec && s->features)
				add_features(s, rp, k, vec);
		}
		json_decref(kept);
		json_decref(vec);
		k++;
	}
	*skipped = recording_skipped(r);
	recording_close(r);
	(void)e;
	return rc < 0 ? -1 : (long)k;
}

static char *feature_name(const struct replay *rp, size_t j)
{
	return j < rp->n_names ? xasprintf("'%s'", rp->names[j]) : xasprintf("%zu", j);
}

static void check_features(const struct eval_ctx *e, struct step_result *r, const struct replay *rp,
			   const struct side *s)
{
	const char *env = eval_env_name(e, s->env);
	struct shape *sh = xcalloc(s->width + 1, sizeof *sh);
	json_t *m = json_object();
	shape_diagnose(s->fb, s->fo, s->frows, s->width, sh);
	for (size_t j = 0; j < s->width; j++) {
		size_t differ = 0;
		double max = 0;
		for (size_t i = 0; i < s->frows; i++) {
			double a = s->fb[i * s->width + j], b = s->fo[i * s->width + j], d = fabs(a - b);
			bool nan = isnan(a) || isnan(b);
			if (nan ? isnan(a) != isnan(b) : rp->f_band < 0 ? a != b : d > rp->f_band)
				differ++;
			if (!nan && d > max)
				max = d;
		}
		char *name = feature_name(rp, j), *what = xasprintf("feature %s", name);
		json_t *fj = json_pack("{s:I, s:I, s:f, s:o}", "records", (json_int_t)s->frows, "differ",
				       (json_int_t)differ, "max_abs_diff", max, "shape",
				       shape_to_json(&sh[j], (const char *const *)rp->names));
		json_object_set_new(m, j < rp->n_names ? rp->names[j] : name, fj);
		if (differ) {
			char *how = shape_describe(&sh[j], env, rp->recorded,
						   (const char *const *)rp->names, s->width);
			char *line = xasprintf("feature %s differs in %zu of %zu records: %s", name,
					       differ, s->frows, how);
			eval_check(r, env, ST_FAIL, what, NULL, NULL, "%s", line);
			result_finding(r, line);        /* the verdict names the first feature */
			free(line);
			free(how);
		} else {
			eval_check(r, env, ST_PASS, what, NULL, NULL, "feature %s agrees in %zu records "
				   "(max |diff| %.3g)", name, s->frows, max);
		}
		free(what);
		free(name);
	}
	result_metric(r, env, "features", m);
	free(sh);
}

/* The shape of a numeric field's difference: its most different column's. */
static char *field_shape(const struct jsondiff_path *p, const char *env, const char *recorded,
			 json_t **shape_json)
{
	*shape_json = NULL;
	if (!p->numeric || !p->rows || !p->width)
		return NULL;
	bool whole = true;              /* labels and classes: no shape to tell */
	for (size_t i = 0; whole && i < p->rows * p->width; i++)
		whole = p->base[i] == floor(p->base[i]) && p->other[i] == floor(p->other[i]);
	if (whole)
		return NULL;
	struct shape *sh = xcalloc(p->width, sizeof *sh);
	shape_diagnose(p->base, p->other, p->rows, p->width, sh);
	size_t best = 0;
	for (size_t j = 1; j < p->width; j++)
		if (sh[j].max_abs_diff > sh[best].max_abs_diff)
			best = j;
	char *how = shape_describe(&sh[best], env, recorded, NULL, p->width);
	*shape_json = shape_to_json(&sh[best], NULL);
	free(sh);
	return how;
}

static void check_field(const struct eval_ctx *e, struct step_result *r, const struct replay *rp,
			const struct jsondiff_path *p, const char *env, json_t *m)
{
	json_t *shape = NULL, *pj = jsondiff_path_json(p, env, rp->recorded);
	const char *path = p->path[0] ? p->path : "";
	char *what = xasprintf("'%s'", path);
	(void)e;
	if (!p->compared) {
		eval_check(r, env, ST_FAIL, what, NULL, NULL, "'%s' is in no response of either "
			   "environment: check the pointer in 'compare'", path);
	} else if (p->differ) {
		char *how = field_shape(p, env, rp->recorded, &shape);
		struct buf d;
		buf_init(&d);
		buf_printf(&d, "first differing records at '%s':", path);
		for (size_t i = 0; i < p->n_ex; i++)
			buf_printf(&d, "\n  %s: %s %s, %s %s", p->ex[i].id, rp->recorded, p->ex[i].other,
				   env, p->ex[i].base);
		char *line = xasprintf("'%s' differs in %zu of %zu records (max |diff| %.3g)%s%s",
				       path, p->differ, p->compared, p->max_abs_diff, how ? ": " : "",
				       how ? how : "");
		struct check *k = eval_check(r, env, ST_FAIL, what, NULL, NULL, "%s", line);
		result_finding(r, line);        /* else the verdict names the first field */
		free(line);
		result_check_detail(k, d.data);
		buf_release(&d);
		free(how);
	} else {
		eval_check(r, env, ST_PASS, what, NULL, NULL, "'%s' agrees in %zu records (max |diff| "
			   "%.3g)", path, p->compared, p->max_abs_diff);
	}
	if (shape)
		json_object_set_new(pj, "shape", shape);
	json_object_set_new(m, path, pj);
	free(what);
}

static void check_side(const struct eval_ctx *e, struct step_result *r, const struct replay *rp,
		       const struct side *s, size_t records, size_t skipped)
{
	const char *env = eval_env_name(e, s->env);
	if (s->records != records) {
		eval_check(r, env, ST_ERROR, "replayed", NULL, NULL, "the recording now has %zu records, "
			   "%s answered %zu: replay it again", records, env, s->records);
		return;
	}
	eval_check(r, env, ST_PASS, "replayed", NULL, NULL, "%zu records replayed from '%s' (%zu "
		   "skipped: no response)", records, rp->recording, skipped);
	result_metric(r, env, "records", json_integer((json_int_t)records));
	if (s->features && s->frows)
		check_features(e, r, rp, s);
	json_t *m = json_object();
	for (size_t i = 0; i < jsondiff_count(s->d); i++)
		check_field(e, r, rp, jsondiff_get(s->d, i), env, m);
	result_metric(r, env, "fields", m);
}

/* The recording's path: as the facts name it, else as the contract does. */
static char *recording_path(const struct eval_ctx *e, const struct replay *rp)
{
	const char *raw = rp->recording;
	EVAL_ENVS(e, i) {
		const char *f = fact_str(eval_value(e, i), "recording");
		if (f) {
			raw = f;
			break;
		}
	}
	return contract_path(e->c, raw);
}

static void replay_evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct replay *rp = e->step->data;
	struct side *sides = xcalloc(e->c->n_envs + 1, sizeof *sides);
	size_t n = 0, skipped = 0;
	char *err = NULL, *path = recording_path(e, rp);

	EVAL_ENVS(e, i) {
		const json_t *f = eval_value(e, i);
		if (!strcmp(eval_env_name(e, i), rp->recorded))
			continue;
		struct side *s = &sides[n++];
		s->env = i;
		s->responses = json_object_get(f, "responses");
		s->features = json_object_get(f, "features");
		s->records = json_array_size(s->responses);
		s->d = jsondiff_new(rp->rules, rp->n_rules, rp->ignore);
	}
	long records = stream(e, rp, path, sides, n, &skipped, &err);
	if (records < 0)
		eval_check(r, rp->recorded, ST_ERROR, "recording", NULL, NULL, "%s", err);
	else if (n == 0)
		eval_check(r, NULL, ST_SKIP, "replay", NULL, NULL, "no environment besides '%s' to "
			   "replay the recording in", rp->recorded);
	for (size_t i = 0; records >= 0 && i < n; i++)
		check_side(e, r, rp, &sides[i], (size_t)records, skipped);
	for (size_t i = 0; i < n; i++) {
		jsondiff_free(sides[i].d);
		free(sides[i].fb);
		free(sides[i].fo);
	}
	free(sides);
	free(err);
	free(path);
}

const struct step_kind replay_kind = {
	.name = "replay",
	.summary = "Replay a traffic recording in every other environment and compare the "
		   "responses field by field and the features by name (stage inference).",
	.default_stage = STAGE_INFERENCE,
	.keys = kind_keys,
	.parse = replay_parse,
	.gather = replay_gather,
	.evaluate = replay_evaluate,
};
