/* recording: streaming readers of traffic recordings (see recording.h).
 * Lines are read with getline into one buffer; each format turns its line
 * (or HAR entry) into the request body as logged, its content type and the
 * response as JSON. */
#include "data/recording.h"
#include "data/jsonptr.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* json_pointer_get without the reason. */
static json_t *pointer_at(const json_t *root, const char *ptr)
{
	char *why = NULL;
	json_t *v = json_pointer_get((json_t *)(uintptr_t)root, ptr, &why);
	free(why);
	return v;
}

struct recording {
	struct recording_opts o;
	const char *name;
	FILE *f;
	char *line;
	size_t line_cap, lineno, emitted, skipped;
	json_t *root;                   /* the current line's JSON, or HAR's document */
	json_t *record;                 /* the current record (for the other formats) */
	json_t *pending;                /* cloudevents: id -> {"line", "event"} waiting */
	size_t entry;                   /* har: the next entry */
	char *body, *id, *ctype;
};

int recording_format_from_name(const char *name)
{
	static const char *const names[] = {"jsonl", "sagemaker", "cloudevents", "har"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

static int b64(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
}

int recording_base64(const char *text, size_t n, char **out, size_t *len)
{
	char *o = xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)text[i];
		if (c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		int v = b64(c);
		if (v < 0) {
			free(o);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (char)((acc >> bits) & 0xff);
		}
	}
	o[k] = '\0';
	*out = o;
	*len = k;
	return 0;
}

/* A payload's text as JSON: JSON when it parses, a CSV line of numbers as an
 * array, else the text as a string. New reference. */
static json_t *payload_json(const char *text, size_t len)
{
	json_error_t je;
	json_t *j = json_lenient_loads(text, len, &je);
	if (j)
		return j;
	json_t *a = json_array();
	const char *p = text, *end = text + len;
	while (len && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	while (p < end) {
		char *stop;
		errno = 0;
		double x = strtod(p, &stop);
		if (stop == p || errno == ERANGE || (stop < end && *stop != ','))
			break;
		json_array_append_new(a, json_real(x));
		p = stop < end ? stop + 1 : stop;
		if (p == end && stop < end)
			break;
	}
	if (p >= end && json_array_size(a) > 0)
		return a;
	json_decref(a);
	return json_stringn_nocheck(text, (size_t)(end - text));
}

int recording_open(const char *path, const char *name, const struct recording_opts *o,
		   struct recording **out, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		*err = xasprintf("cannot read recording '%s': %s", name, strerror(errno));
		return -1;
	}
	return recording_open_file(f, name, o, out, err);
}

int recording_open_file(FILE *f, const char *name, const struct recording_opts *o,
			struct recording **out, char **err)
{
	struct recording *r = xcalloc(1, sizeof *r);
	r->o = *o;
	if (!r->o.request)
		r->o.request = "/request";
	if (!r->o.response)
		r->o.response = "/response";
	r->name = name;
	r->f = f;
	r->pending = json_object();
	if (o->format == REC_HAR) {
		json_error_t je;
		r->root = json_loadf(f, 0, &je);
		if (!r->root || !json_is_array(json_object_get(json_object_get(r->root, "log"), "entries"))) {
			*err = r->root ? xasprintf("%s: not a HAR file: it needs log.entries, an array", name)
				       : xasprintf("%s:%d:%d: invalid HAR: %s", name, je.line, je.column, je.text);
			recording_close(r);
			return -1;
		}
	}
	*out = r;
	return 0;
}

void recording_close(struct recording *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->line);
	json_decref(r->root);
	json_decref(r->record);
	json_decref(r->pending);
	free(r->body);
	free(r->id);
	free(r->ctype);
	free(r);
}

size_t recording_skipped(const struct recording *r)
{
	return r->skipped;
}

static void set_body(struct recording *r, char *body, size_t len, const char *ctype)
{
	free(r->body);
	r->body = body;
	free(r->ctype);
	r->ctype = xstrdup(ctype && *ctype ? ctype : "application/json");
	(void)len;
}

static void set_id(struct recording *r, const char *id, const char *unit, size_t where)
{
	free(r->id);
	r->id = id && *id ? xstrdup(id) : xasprintf("%s %zu", unit, where);
}

/* The next non-blank line parsed as JSON into r->root: 1, 0 at the end, -1. */
static int next_line(struct recording *r, char **err)
{
	for (;;) {
		ssize_t n = getline(&r->line, &r->line_cap, r->f);
		if (n < 0)
			return 0;
		r->lineno++;
		size_t k = 0;
		while (k < (size_t)n && strchr(" \t\r\n", r->line[k]))
			k++;
		if (k == (size_t)n)
			continue;
		json_error_t je;
		json_decref(r->root);
		r->root = json_lenient_loads(r->line, (size_t)n, &je);
		if (!r->root) {
			*err = xasprintf("%s:%zu: invalid JSON: %s", r->name, r->lineno, je.text);
			return -1;
		}
		if (!json_is_object(r->root)) {
			*err = xasprintf("%s:%zu: a record must be a JSON object, got %s", r->name,
					 r->lineno, json_kind_name(r->root));
			return -1;
		}
		return 1;
	}
}

/* A JSON value as a request body: a string as it is, else compact JSON. */
static char *value_text(const json_t *v, size_t *len)
{
	char *s = json_is_string(v) ? xstrdup(json_string_value(v))
				    : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!s)
		s = xstrdup("null");
	*len = strlen(s);
	return s;
}

static int next_jsonl(struct recording *r, struct record *rec, char **err)
{
	for (;;) {
		int rc = next_line(r, err);
		if (rc <= 0)
			return rc;
		char *why = NULL;
		json_t *req = json_pointer_get(r->root, r->o.request, &why);
		if (!req) {
			*err = xasprintf("%s:%zu: no request at '%s': %s", r->name, r->lineno,
					 r->o.request, why);
			free(why);
			return -1;
		}
		free(why);
		why = NULL;
		json_t *resp = json_pointer_get(r->root, r->o.response, &why);
		free(why);
		if (!resp || json_is_null(resp)) {
			r->skipped++;
			continue;
		}
		size_t len;
		set_body(r, value_text(req, &len), len, NULL);
		json_t *id = r->o.id ? pointer_at(r->root, r->o.id) : NULL;
		char num[32];
		if (json_is_integer(id))
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(id));
		set_id(r, json_is_integer(id) ? num : json_string_value(id), "line", r->lineno);
		rec->response = resp;
		rec->record = r->root;
		return 1;
	}
}

/* A logged payload {data, encoding, observedContentType | mode} into text;
 * -1 with why (static). */
static int decode_payload(const json_t *p, const char *data_key, const char *enc_key,
			  char **text, size_t *len, const char **why)
{
	const json_t *d = json_object_get(p, data_key);
	const char *enc = json_string_value(json_object_get(p, enc_key));
	if (!json_is_string(d)) {
		*why = "no 'data' string";
		return -1;
	}
	const char *s = json_string_value(d);
	size_t n = json_string_length(d);
	if (enc && !strcasecmp(enc, "BASE64")) {
		if (recording_base64(s, n, text, len) < 0) {
			*why = "'data' is not base64";
			return -1;
		}
		return 0;
	}
	if (enc && strcasecmp(enc, "JSON") && strcasecmp(enc, "CSV")) {
		*why = "'encoding' must be JSON, CSV or BASE64";
		return -1;
	}
	*text = xmalloc(n + 1);
	memcpy(*text, s, n);
	(*text)[n] = '\0';
	*len = n;
	return 0;
}

/* The other formats' record: {"id", "request", "response"}. */
static void make_record(struct recording *r, struct record *rec, const char *req, size_t req_len,
			json_t *resp)
{
	json_decref(r->record);
	r->record = json_pack("{s:s, s:o, s:o}", "id", r->id, "request", payload_json(req, req_len),
			      "response", resp);
	rec->response = json_object_get(r->record, "response");
	rec->record = r->record;
}

static int next_sagemaker(struct recording *r, struct record *rec, char **err)
{
	for (;;) {
		int rc = next_line(r, err);
		if (rc <= 0)
			return rc;
		json_t *cd = json_object_get(r->root, "captureData");
		json_t *in = json_object_get(cd, "endpointInput"), *out = json_object_get(cd, "endpointOutput");
		const char *why = NULL;
		char *req = NULL, *resp = NULL;
		size_t req_len = 0, resp_len = 0;
		if (!json_is_object(in)) {
			*err = xasprintf("%s:%zu: not a SageMaker Data Capture record: no "
					 "captureData.endpointInput", r->name, r->lineno);
			return -1;
		}
		if (decode_payload(in, "data", "encoding", &req, &req_len, &why) < 0) {
			*err = xasprintf("%s:%zu: captureData.endpointInput: %s", r->name, r->lineno, why);
			return -1;
		}
		if (!json_is_object(out)) {
			free(req);
			r->skipped++;
			continue;
		}
		if (decode_payload(out, "data", "encoding", &resp, &resp_len, &why) < 0) {
			free(req);
			*err = xasprintf("%s:%zu: captureData.endpointOutput: %s", r->name, r->lineno, why);
			return -1;
		}
		set_body(r, req, req_len, json_string_value(json_object_get(in, "observedContentType")));
		set_id(r, json_string_value(json_object_get(json_object_get(r->root, "eventMetadata"),
							    "eventId")), "line", r->lineno);
		make_record(r, rec, req, req_len, payload_json(resp, resp_len));
		free(resp);
		return 1;
	}
}

/* A CloudEvent's data as text: data (JSON value or string) or data_base64. */
static int event_data(const json_t *ev, char **text, size_t *len, const char **why)
{
	const json_t *b = json_object_get(ev, "data_base64"), *d = json_object_get(ev, "data");
	if (json_is_string(b)) {
		if (recording_base64(json_string_value(b), json_string_length(b), text, len) < 0) {
			*why = "'data_base64' is not base64";
			return -1;
		}
		return 0;
	}
	if (!d) {
		*why = "no 'data' or 'data_base64'";
		return -1;
	}
	*text = value_text(d, len);
	return 0;
}

static bool ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);
	return a >= b && !strcmp(s + a - b, end);
}

/* Joins a request and a response event of one id into a record. */
static int join_events(struct recording *r, struct record *rec, const char *id, json_t *req_ev,
		       json_t *resp_ev, char **err)
{
	char *req = NULL, *resp = NULL;
	size_t req_len = 0, resp_len = 0;
	const char *why = NULL;
	if (event_data(req_ev, &req, &req_len, &why) < 0 ||
	    event_data(resp_ev, &resp, &resp_len, &why) < 0) {
		free(req);
		*err = xasprintf("%s:%zu: event '%s': %s", r->name, r->lineno, id, why);
		return -1;
	}
	set_body(r, req, req_len, json_string_value(json_object_get(req_ev, "datacontenttype")));
	set_id(r, id, "line", r->lineno);
	make_record(r, rec, req, req_len, payload_json(resp, resp_len));
	free(resp);
	return 1;
}

static int next_cloudevents(struct recording *r, struct record *rec, char **err)
{
	for (;;) {
		int rc = next_line(r, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->skipped += json_object_size(r->pending);
			json_object_clear(r->pending);
			return 0;
		}
		const char *type = json_string_value(json_object_get(r->root, "type"));
		const char *id = json_string_value(json_object_get(r->root, "id"));
		bool is_req = type && ends_with(type, ".request"), is_resp = type && ends_with(type, ".response");
		if (!id || !(is_req || is_resp)) {
			*err = xasprintf("%s:%zu: not an inference logger CloudEvent: it needs 'id' and a "
					 "'type' ending in .request or .response", r->name, r->lineno);
			return -1;
		}
		json_t *other = json_object_get(r->pending, id);
		bool other_req = other && json_is_true(json_object_get(other, "request"));
		if (!other || other_req == is_req) {
			json_object_set_new(r->pending, id, json_pack("{s:b, s:O}", "request", is_req,
								     "event", r->root));
			continue;
		}
		json_t *o = json_incref(json_object_get(other, "event"));
		json_object_del(r->pending, id);
		char *idc = xstrdup(id);
		rc = join_events(r, rec, idc, is_req ? r->root : o, is_req ? o : r->root, err);
		free(idc);
		json_decref(o);
		return rc;
	}
}

/* The text at name[.text] of a HAR message, base64-decoded per 'encoding'. */
static int har_text(const json_t *m, char **text, size_t *len)
{
	const json_t *t = json_object_get(m, "text");
	if (!json_is_string(t))
		return -1;
	const char *enc = json_string_value(json_object_get(m, "encoding"));
	if (enc && !strcasecmp(enc, "base64"))
		return recording_base64(json_string_value(t), json_string_length(t), text, len);
	*len = json_string_length(t);
	*text = xmalloc(*len + 1);
	memcpy(*text, json_string_value(t), *len + 1);
	return 0;
}

static int next_har(struct recording *r, struct record *rec, char **err)
{
	json_t *entries = json_object_get(json_object_get(r->root, "log"), "entries");
	while (r->entry < json_array_size(entries)) {
		size_t i = r->entry++;
		json_t *e = json_array_get(entries, i);
		json_t *pd = json_object_get(json_object_get(e, "request"), "postData");
		json_t *ct = json_object_get(json_object_get(e, "response"), "content");
		char *req = NULL, *resp = NULL;
		size_t req_len = 0, resp_len = 0;
		if (har_text(pd, &req, &req_len) < 0) {
			*err = xasprintf("%s: entry %zu: no request.postData.text (or it is not the base64 "
					 "its encoding says)", r->name, i);
			return -1;
		}
		if (har_text(ct, &resp, &resp_len) < 0) {
			free(req);
			r->skipped++;
			continue;
		}
		set_body(r, req, req_len, json_string_value(json_object_get(pd, "mimeType")));
		set_id(r, NULL, "entry", i);
		make_record(r, rec, req, req_len, payload_json(resp, resp_len));
		free(resp);
		rec->where = i;
		return 1;
	}
	return 0;
}

int recording_next(struct recording *r, struct record *rec, char **err)
{
	if (r->o.limit && r->emitted >= r->o.limit)
		return 0;
	memset(rec, 0, sizeof *rec);
	int rc;
	switch (r->o.format) {
	case REC_SAGEMAKER:
		rc = next_sagemaker(r, rec, err);
		break;
	case REC_CLOUDEVENTS:
		rc = next_cloudevents(r, rec, err);
		break;
	case REC_HAR:
		rc = next_har(r, rec, err);
		break;
	default:
		rc = next_jsonl(r, rec, err);
		break;
	}
	if (rc <= 0)
		return rc;
	r->emitted++;
	if (r->o.format != REC_HAR)
		rec->where = r->lineno;
	rec->id = r->id;
	rec->body = r->body;
	rec->len = strlen(r->body);
	rec->content_type = r->ctype;
	return 1;
}
