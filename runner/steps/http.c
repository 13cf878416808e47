/* http: the service stage's step. Sends one request to each environment's
 * url (then, with `latency:`, more of them, timed one after the other),
 * and checks the status, the body or values picked from a JSON body by
 * JSON Pointer, and latency percentiles; the status compares across
 * environments. */
#include "model/matcher.h"
#include "data/jsonptr.h"
#include "load/check.h"
#include "steps/latency.h"
#include "steps/request.h"
#include "steps/score.h"
#include "steps/step.h"
#include "transport/http.h"
#include "util/clock.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct step_key kind_keys[] = {
	{"request", false,
	 "{\"type\":\"object\",\"properties\":{\"method\":{"
	 "\"description\":\"HTTP method.\",\"type\":\"string\",\"default\":\"GET\"},"
	 "\"path\":{\"description\":\"Path appended to the environment's url.\","
	 "\"type\":\"string\"},\"body\":{\"description\":\"Request body.\","
	 "\"type\":\"string\"},\"headers\":{\"description\":\"Headers,"
	 " added to the environment's.\",\"allOf\":[{"
	 "\"$ref\":\"#/definitions/headers\"}]}},\"additionalProperties\":false}",
	 "The request."},
	{"status", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Expected HTTP status."},
	{"body", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/matcher\"}]}",
	 "Matcher on the response body."},
	{"json", false,
	 "{\"type\":\"object\",\"propertyNames\":{\"pattern\":\"^(/([^~]|~["
	 "01])*)?$\"},\"additionalProperties\":{"
	 "\"$ref\":\"#/definitions/matcher\"}}",
	 "JSON Pointer (RFC 6901) into the response to matcher."},
	{"latency", false,
	 "{\"type\":\"object\",\"properties\":{\"requests\":{"
	 "\"description\":\"Number of requests.\",\"type\":\"integer\",\"minimum\":1,"
	 "\"default\":50},\"p50_ms\":{"
	 "\"description\":\"Largest allowed median latency in ms.\","
	 "\"type\":\"number\",\"minimum\":0},\"p95_ms\":{"
	 "\"description\":\"Largest allowed 95th percentile latency in ms.\","
	 "\"type\":\"number\",\"minimum\":0},\"p99_ms\":{"
	 "\"description\":\"Largest allowed 99th percentile latency in ms.\","
	 "\"type\":\"number\",\"minimum\":0},\"p50_ratio\":{"
	 "\"description\":\"Largest allowed median as a multiple of the baseline's.\","
	 "\"type\":\"number\",\"exclusiveMinimum\":0},\"p95_ratio\":{"
	 "\"description\":\"Largest allowed 95th percentile as a multiple of the "
	 "baseline's.\",\"type\":\"number\",\"exclusiveMinimum\":0},\"p99_ratio\":{"
	 "\"description\":\"Largest allowed 99th percentile as a multiple of the "
	 "baseline's.\",\"type\":\"number\",\"exclusiveMinimum\":0}},"
	 "\"additionalProperties\":false}",
	 "Latency over repeated requests; with a ratio the step runs alone."},
	{"same", false,
	 "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"pattern\":"
	 "\"^(/([^~]|~[01])*)?$\"}}",
	 "JSON Pointers into the response whose values must equal the baseline's."},
	{NULL, false, NULL, NULL},
};
static const char *const request_keys[] = {"method", "path", "body", "headers", NULL};
static const char *const latency_keys[] = {
	"requests", "p50_ms", "p95_ms", "p99_ms", "p50_ratio", "p95_ratio", "p99_ratio", NULL
};
static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL
};

#define BODY_KEPT (64u << 10)           /* body bytes kept in the fact */
#define SHOWN_MAX 4000                  /* body kept in a check's actual value */
#define LATENCY_DEFAULT 50
#define LATENCY_MAX 10000

struct json_pin {
	char *pointer;
	struct matcher *m;
};

struct http_step {
	struct step_request req;        /* method NULL: GET, or POST with a body */
	struct matcher *status;         /* default: exactly 200 */
	struct matcher *body_m;
	struct json_pin *json;
	size_t n_json;
	long latency;                   /* extra timed requests; 0: no latency block */
	struct latency_bounds bounds;
	char **same;                    /* JSON Pointers compared with the baseline's */
	size_t n_same;
};

static int check_method(const char *method, const struct node *n, const struct parse_ctx *p)
{
	for (int i = 0; methods[i]; i++)
		if (!strcmp(methods[i], method))
			return 0;
	const char *sug = text_suggest(method, methods);
	for (int i = 0; !sug && methods[i]; i++)
		if (!strcasecmp(methods[i], method))
			sug = methods[i];
	if (sug)
		diag_at(p->d, &n->mark, "unknown HTTP method '%s' (did you mean '%s'?)", method, sug);
	else
		diag_at(p->d, &n->mark, "unknown HTTP method '%s': use GET, HEAD, POST, PUT, PATCH, "
			"DELETE or OPTIONS", method);
	return -1;
}

static int parse_request(struct http_step *h, const struct node *req, const struct parse_ctx *p)
{
	char what[300];
	const char *path;

	if (check_map(p->d, req, "request") < 0)
		return -1;
	snprintf(what, sizeof what, "in 'request' of %s", p->where);
	if (check_keys(p->d, req, request_keys, what) > 0)
		return -1;
	if (request_parse(p, req, &h->req) < 0)
		return -1;
	if (h->req.method && check_method(h->req.method, node_get(req, "method"), p) < 0)
		return -1;
	path = h->req.path;
	if (path && path[0] && path[0] != '/' && path[0] != '?' && strncmp(path, "${", 2)) {
		diag_at(p->d, &node_get(req, "path")->mark, "'path' must start with '/' (it is "
			"appended to the environment's url), got '%s'", path);
		return -1;
	}
	return 0;
}

static int parse_json(struct http_step *h, const struct node *n, const struct parse_ctx *p)
{
	if (check_map(p->d, n, "json") < 0)
		return -1;
	size_t len = node_map_len(n);
	h->json = kit_new(p, (len ? len : 1) * sizeof *h->json);
	for (size_t i = 0; i < len; i++) {
		const struct node *k = node_map_key(n, i);
		char *err = NULL;
		if (json_pointer_check(k->str, &err) < 0) {
			diag_at(p->d, &k->mark, "%s (the keys of 'json' are JSON Pointers, like "
				"\"/model/version\")", err);
			free(err);
			return -1;
		}
		struct matcher *m = kit_matcher(p, node_map_value(n, i));
		if (!m)
			return -1;
		h->json[h->n_json].pointer = arena_strdup(p->arena, k->str);
		h->json[h->n_json].m = m;
		h->n_json++;
	}
	return 0;
}

static int parse_latency(struct http_step *h, const struct node *n, const struct parse_ctx *p)
{
	char what[300];

	if (check_map(p->d, n, "latency") < 0)
		return -1;
	snprintf(what, sizeof what, "in 'latency' of %s", p->where);
	if (check_keys(p->d, n, latency_keys, what) > 0)
		return -1;
	h->latency = LATENCY_DEFAULT;
	if (get_count(p->d, n, "requests", &h->latency) < 0)
		return -1;
	if (h->latency < 1 || h->latency > LATENCY_MAX) {
		diag_at(p->d, &node_get(n, "requests")->mark, "'requests' must be from 1 to %d, "
			"got %ld", LATENCY_MAX, h->latency);
		return -1;
	}
	return latency_parse(p, n, true, &h->bounds);
}

/* 'same': a list of JSON Pointers. */
static int parse_same(struct http_step *h, const struct parse_ctx *p)
{
	if (kit_list(p, p->step->body, "same", false, &h->same, &h->n_same) < 0)
		return -1;
	for (size_t i = 0; i < h->n_same; i++) {
		char *err = NULL;
		if (json_pointer_check(h->same[i], &err) < 0) {
			const struct node *l = node_get(p->step->body, "same");
			diag_at(p->d, &l->kids[i]->mark, "%s (the items of 'same' are JSON Pointers, "
				"like \"/version\")", err);
			free(err);
			return -1;
		}
	}
	return 0;
}

static int http_step_parse(struct step *s, const struct parse_ctx *p)
{
	struct http_step *h = kit_new(p, sizeof *h);
	const struct node *b = s->body, *n;
	int errors = p->d->errors;

	s->data = h;
	for (int i = 0; i < LATENCY_N; i++)
		h->bounds.ms[i] = h->bounds.ratio[i] = NAN;
	n = node_get(b, "request");
	if (n && parse_request(h, n, p) < 0)
		return -1;
	const struct node *bm = node_get(b, "body"), *jm = node_get(b, "json");
	if (bm && jm) {
		diag_at(p->d, &jm->mark, "%s has both 'body' and 'json': match the whole body, or "
			"values in it by JSON Pointer, not both", p->where);
		return -1;
	}
	n = node_get(b, "status");
	h->status = n ? kit_matcher(p, n) : kit_own_matcher(p, matcher_exact("200"));
	if (bm)
		h->body_m = kit_matcher(p, bm);
	if (jm && parse_json(h, jm, p) < 0)
		return -1;
	n = node_get(b, "latency");
	if (n && parse_latency(h, n, p) < 0)
		return -1;
	s->exclusive = latency_has_ratio(&h->bounds);
	if (node_get(b, "same") && parse_same(h, p) < 0)
		return -1;
	return p->d->errors == errors ? 0 : -1;
}

/* ---- gather */

/* The first max bytes of s (cut on a UTF-8 boundary) as a JSON string;
 * invalid UTF-8 becomes U+FFFD. */
static json_t *text_json(const char *s, size_t len, size_t max)
{
	size_t n = len;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	if (text_utf8_valid(s, n, NULL))
		return json_stringn(s, n);
	char *fixed = text_utf8_repair(s, n);
	json_t *j = json_string(fixed);
	free(fixed);
	return j;
}

/* latency.requests more requests, one after the other, into a fact. */
static json_t *measure(const struct http_target *t, const char *body, long count,
		       char **err)
{
	double *ms = xcalloc((size_t)count, sizeof *ms);
	json_t *lat = NULL;
	double t0 = clock_seconds();

	for (long i = 0; i < count; i++) {
		struct http_response r;
		char *why = NULL;
		if (t->deadline_ms > 0 && clock_ms() >= t->deadline_ms) {
			*err = xasprintf("timed out after %.1fs at latency request %ld of %ld (raise the "
					 "step's 'timeout' or lower 'requests')",
					 clock_seconds() - t0, i + 1, count);
			goto out;
		}
		if (http_request(t, body, 0, &r, &why) < 0) {
			*err = xasprintf("latency request %ld of %ld: %s", i + 1, count, why);
			free(why);
			goto out;
		}
		ms[i] = r.seconds * 1000.0;
		http_response_release(&r);
	}
	lat = latency_summary(ms, (size_t)count);
out:
	free(ms);
	return lat;
}

static int http_step_gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct http_step *h = g->step->data;
	struct request_target rt;
	struct http_response r;
	int rc = -1;

	memset(&r, 0, sizeof r);
	if (!g->env->url) {
		*err = xasprintf("environment '%s' has no 'url'", g->env->name);
		return -1;
	}
	if (request_target_init(g, &h->req, &rt, err) < 0)
		return -1;
	if (http_request(&rt.t, rt.body, 0, &r, err) < 0)
		goto out;
	json_t *f = json_object();
	json_object_set_new(f, "status", json_integer(r.status));
	json_object_set_new(f, "body", text_json(r.body, r.len, BODY_KEPT));
	json_object_set_new(f, "body_bytes", json_integer((json_int_t)r.len));
	json_object_set_new(f, "body_truncated", json_boolean(r.truncated || r.len > BODY_KEPT));
	json_object_set_new(f, "content_type", r.content_type ? json_string(r.content_type)
							      : json_null());
	json_object_set_new(f, "seconds", json_real(r.seconds));
	json_t *doc = r.truncated ? NULL : json_loadb(r.body, r.len, JSON_DECODE_ANY, NULL);
	if (doc)
		json_object_set_new(f, "json", doc);
	if (h->latency > 0) {
		json_t *lat = measure(&rt.t, rt.body, h->latency, err);
		if (!lat) {
			json_decref(f);
			goto out;
		}
		json_object_set_new(f, "latency", lat);
	} else {
		double one = r.seconds * 1000.0;
		json_object_set_new(f, "latency", latency_summary(&one, 1));
	}
	*value = f;
	rc = 0;
out:
	http_response_release(&r);
	request_target_release(&rt);
	return rc;
}

/* ---- evaluate */

static char *shorten(const char *s)
{
	size_t n = strlen(s);
	if (n <= SHOWN_MAX)
		return xstrdup(s);
	return xasprintf("%.*s… (%zu bytes in all)", SHOWN_MAX, s, n);
}

/* A JSON value as the text a matcher sees: strings as they are, numbers
 * as JSON writes them, other values as compact JSON. Owned by the caller. */
static char *json_text(const json_t *v)
{
	char num[SCORE_NUMBER_LEN];

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xstrdup(score_format_number(json_real_value(v), num));
	char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *out = xstrdup(d ? d : "null");
	free(d);
	return out;
}

/* The matchers take the fact as it is read back from a facts file: const.
 * json_pointer_get does not modify the tree. */
static json_t *tree(const json_t *v)
{
	json_t *p;
	memcpy(&p, &v, sizeof p);
	return p;
}

static char *status_text(const json_t *v)
{
	return xasprintf("%lld", (long long)json_integer_value(json_object_get(v, "status")));
}

static void check_status(struct step_result *r, const char *env, const struct http_step *h,
			 const json_t *v)
{
	char *status = status_text(v);
	size_t before = r->n_checks;
	const char *body = fact_str(v, "body");

	eval_pin(r, env, "status", h->status, NULL, status);
	if (r->n_checks > before && r->checks[r->n_checks - 1].status != ST_PASS && body && *body) {
		char *ex = http_excerpt(body, strlen(body));
		char *d = xasprintf("body: %s", ex);
		result_check_detail(&r->checks[r->n_checks - 1], d);
		free(d);
		free(ex);
	}
	free(status);
}

static void check_json(struct step_result *r, const char *env, const struct json_pin *pin,
		       const json_t *v)
{
	json_t *doc = json_object_get(v, "json");
	char *what = xasprintf("json %s", pin->pointer[0] ? pin->pointer : "(whole document)");
	char *desc = matcher_describe(pin->m);
	char *why = NULL;
	json_t *found = doc ? json_pointer_get(tree(doc), pin->pointer, &why) : NULL;

	if (!doc) {
		const char *body = fact_str(v, "body");
		char *ex = http_excerpt(body ? body : "", body ? strlen(body) : 0);
		const char *ct = fact_str(v, "content_type");
		json_int_t bytes = json_integer_value(json_object_get(v, "body_bytes"));
		if (bytes >= (json_int_t)HTTP_MAX_RESPONSE)
			eval_check(r, env, ST_FAIL, what, desc, ex,
				   "the response is too large to read as JSON");
		else
			eval_check(r, env, ST_FAIL, what, desc, ex,
				   "the response is not JSON (content type %s)", ct ? ct : "unknown");
		free(ex);
	} else if (!found) {
		eval_check(r, env, ST_FAIL, what, desc, NULL, "%s", why);
	} else {
		char *text = json_text(found);
		char *shown = shorten(text);
		eval_pin(r, env, what, pin->m, NULL, shown);
		free(shown);
		free(text);
	}
	free(why);
	free(desc);
	free(what);
}

/* The value at ptr in a fact's JSON body as compact text, or NULL. */
static char *pointed(const json_t *v, const char *ptr)
{
	json_t *doc = json_object_get(v, "json");
	char *why = NULL;
	json_t *found = doc ? json_pointer_get(tree(doc), ptr, &why) : NULL;
	free(why);
	if (!found)
		return NULL;
	char *d = json_dumps(found, JSON_COMPACT | JSON_ENCODE_ANY);
	char *out = shorten(d ? d : "null");
	free(d);
	return out;
}

/* The status must be the same in every environment as in the baseline. */
static void same_status(const struct eval_ctx *e, struct step_result *r)
{
	if (e->baseline < 0)
		return;
	const char *base_name = eval_env_name(e, (size_t)e->baseline);
	char *base = status_text(eval_value(e, (size_t)e->baseline));
	char *label = xasprintf("same status as %s", base_name);

	EVAL_OTHERS(e, i) {
		char *got = status_text(eval_value(e, i));
		if (!strcmp(base, got))
			eval_check(r, eval_env_name(e, i), ST_PASS, label, base, got,
				   "status equals %s's", base_name);
		else
			eval_check(r, eval_env_name(e, i), ST_FAIL, label, base, got,
				   "status %s differs from %s's %s", got, base_name, base);
		free(got);
	}
	free(label);
	free(base);
}

static void check_body(struct step_result *r, const char *env, const struct http_step *h,
		       const json_t *v)
{
	const char *body = fact_str(v, "body");
	char *shown = shorten(body ? body : "");
	eval_pin(r, env, "body", h->body_m, NULL, shown);
	free(shown);
	if (json_is_true(json_object_get(v, "body_truncated")))
		eval_check(r, env, ST_FAIL, "body size", NULL, NULL, "the body is larger than 64 KiB: "
			   "the matcher saw only its beginning");
}

/* The value at ptr must be the same in every environment as in the baseline. */
static void same_value(const struct eval_ctx *e, struct step_result *r, const char *ptr)
{
	if (e->baseline < 0)
		return;
	const char *base_name = eval_env_name(e, (size_t)e->baseline);
	char *label = xasprintf("same %s as %s", ptr, base_name);
	char *base = pointed(eval_value(e, (size_t)e->baseline), ptr);

	EVAL_OTHERS(e, i) {
		char *got = pointed(eval_value(e, i), ptr);
		if (base && got && !strcmp(base, got))
			eval_check(r, eval_env_name(e, i), ST_PASS, label, base, got,
				   "%s equals %s's", ptr, base_name);
		else
			eval_check(r, eval_env_name(e, i), ST_FAIL, label, base, got,
				   "%s is %s, %s has %s", ptr, got ? got : "missing", base_name,
				   base ? base : "none");
		free(got);
	}
	free(label);
	free(base);
}

static void http_step_evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct http_step *h = e->step->data;

	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		const json_t *v = eval_value(e, i);
		check_status(r, env, h, v);
		if (h->body_m)
			check_body(r, env, h, v);
		for (size_t k = 0; k < h->n_json; k++)
			check_json(r, env, &h->json[k], v);
	}
	latency_evaluate(e, r, "latency", &h->bounds);
	same_status(e, r);
	for (size_t k = 0; k < h->n_same; k++)
		same_value(e, r, h->same[k]);
}

const struct step_kind http_kind = {
	.name = "http",
	.summary = "Send a request to the environment's url and check the response "
		   "(stage service).",
	.default_stage = STAGE_SERVICE,
	.keys = kind_keys,
	.schema_extra = "{\"not\":{\"required\":[\"body\",\"json\"]}}",
	.parse = http_step_parse,
	.gather = http_step_gather,
	.evaluate = http_step_evaluate,
};
