/* protocol: request bodies and response readers of the serving protocols,
 * written after the published REST specs: the Open Inference Protocol v2
 * (inference request / response JSON objects), TensorFlow Serving's
 * predict API (row format: "instances" / "predictions") and MLflow's
 * /invocations ("inputs" or "dataframe_split"; "predictions"). */
#include "steps/protocol.h"
#include "data/jsonptr.h"
#include "data/jsonscan.h"
#include "steps/score.h"
#include "transport/http.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

const char *const protocol_names[] = {"json", "v2", "tf-serving", "mlflow", NULL};

static const char *const datatypes[] = {
	"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
	"FP16", "FP32", "FP64", NULL
};

int protocol_from_name(const char *name)
{
	for (int i = 0; protocol_names[i]; i++)
		if (!strcmp(protocol_names[i], name))
			return i;
	return -1;
}

bool protocol_datatype_ok(const char *name)
{
	for (int i = 0; datatypes[i]; i++)
		if (!strcmp(datatypes[i], name))
			return true;
	return false;
}

char *protocol_path(enum protocol_kind kind, const char *model, const char *version)
{
	bool v = version && *version;
	switch (kind) {
	case PROTOCOL_V2:
		return v ? xasprintf("/v2/models/%s/versions/%s/infer", model, version)
			 : xasprintf("/v2/models/%s/infer", model);
	case PROTOCOL_TF_SERVING:
		return v ? xasprintf("/v1/models/%s/versions/%s:predict", model, version)
			 : xasprintf("/v1/models/%s:predict", model);
	case PROTOCOL_MLFLOW:
		return xstrdup("/invocations");
	default:
		return xstrdup("");
	}
}

/* ---- bodies */

/* [[...],[...]]: the n rows as a JSON array of arrays. */
static void put_rows(struct buf *b, const double *rows, size_t n, size_t cols)
{
	buf_putc(b, '[');
	for (size_t r = 0; r < n; r++) {
		if (r)
			buf_putc(b, ',');
		score_put_row(b, rows + r * cols, cols);
	}
	buf_putc(b, ']');
}

/* The json protocol: the template with ${rows} (or "${rows}" in JSON text),
 * ${row} (the first row) and ${index} (the first row's number) replaced. */
static void put_template(struct buf *b, const struct protocol *p, const double *rows, size_t n,
			 size_t cols, size_t first)
{
	const char *q = p->body_json ? "\"" : "";
	size_t ql = strlen(q);
	char tok[3][16];

	snprintf(tok[0], sizeof tok[0], "%s${rows}%s", q, q);
	snprintf(tok[1], sizeof tok[1], "%s${row}%s", q, q);
	snprintf(tok[2], sizeof tok[2], "%s${index}%s", q, q);
	for (const char *s = p->body ? p->body : "${row}"; *s;) {
		/* the text up to where a token may start, as it is */
		size_t plain = strcspn(s, ql ? "\"" : "$");
		if (plain) {
			buf_add(b, s, plain);
			s += plain;
			continue;
		}
		if (!strncmp(s, tok[0], 7 + 2 * ql)) {
			put_rows(b, rows, n, cols);
			s += 7 + 2 * ql;
		} else if (!strncmp(s, tok[1], 6 + 2 * ql)) {
			score_put_row(b, rows, cols);
			s += 6 + 2 * ql;
		} else if (!strncmp(s, tok[2], 8 + 2 * ql)) {
			buf_printf(b, "%zu", first);
			s += 8 + 2 * ql;
		} else {
			buf_putc(b, *s++);
		}
	}
}

/* A JSON string for text that parity wrote itself (names from the contract). */
static void put_string(struct buf *b, const char *s)
{
	json_t *j = json_string(s);
	char *d = json_dumps(j, JSON_ENCODE_ANY);
	buf_puts(b, d ? d : "\"\"");
	free(d);
	json_decref(j);
}

static void put_v2(struct buf *b, const struct protocol *p, const double *rows, size_t n,
		   size_t cols)
{
	buf_puts(b, "{\"inputs\":[{\"name\":");
	put_string(b, p->input_name ? p->input_name : "input-0");
	buf_printf(b, ",\"shape\":[%zu,%zu],\"datatype\":", n, cols);
	put_string(b, p->datatype ? p->datatype : "FP32");
	buf_puts(b, ",\"data\":");
	if (p->datatype && !strcmp(p->datatype, "BOOL")) {
		buf_putc(b, '[');
		for (size_t k = 0; k < n * cols; k++)
			buf_puts(b, rows[k] != 0 ? (k ? ",true" : "true") : (k ? ",false" : "false"));
		buf_putc(b, ']');
	} else {
		score_put_row(b, rows, n * cols);
	}
	buf_puts(b, "}]}");
}

#define BODY_ROOM_MAX ((size_t)1 << 20)

void protocol_put_body(const struct protocol *p, struct buf *b, const double *rows, size_t n,
		       size_t cols, size_t first)
{
	/* room for the rows at once (up to a MiB): one allocation, not one per
	 * doubling */
	size_t room = n * (cols * (SCORE_NUMBER_LEN + 1) + 3);
	buf_room(b, 256 + (p->body ? strlen(p->body) : 0) + (room < BODY_ROOM_MAX ? room : BODY_ROOM_MAX));
	switch (p->kind) {
	case PROTOCOL_V2:
		put_v2(b, p, rows, n, cols);
		break;
	case PROTOCOL_TF_SERVING:
		if (p->signature_name) {
			buf_puts(b, "{\"signature_name\":");
			put_string(b, p->signature_name);
			buf_puts(b, ",\"instances\":");
		} else {
			buf_puts(b, "{\"instances\":");
		}
		put_rows(b, rows, n, cols);
		buf_putc(b, '}');
		break;
	case PROTOCOL_MLFLOW:
		if (p->columns) {
			buf_puts(b, "{\"dataframe_split\":{\"columns\":[");
			for (size_t c = 0; p->columns[c]; c++) {
				if (c)
					buf_putc(b, ',');
				put_string(b, p->columns[c]);
			}
			buf_puts(b, "],\"data\":");
			put_rows(b, rows, n, cols);
			buf_puts(b, "}}");
		} else {
			buf_puts(b, "{\"inputs\":");
			put_rows(b, rows, n, cols);
			buf_putc(b, '}');
		}
		break;
	default:
		put_template(b, p, rows, n, cols, first);
	}
}

char *protocol_body(const struct protocol *p, const double *rows, size_t n, size_t cols,
		    size_t first)
{
	struct buf b;
	buf_init(&b);
	protocol_put_body(p, &b, rows, n, cols, first);
	char *text = buf_detach(&b);
	buf_release(&b);
	return text;
}

/* ---- responses */

/* "row 5" or "batch from row 640": the name of a request in messages. */
static char *where_of(const struct protocol *p, size_t first)
{
	return p->batch > 1 ? xasprintf("batch from row %zu", first) : xasprintf("row %zu", first);
}

static int number_of(const json_t *v, double *x)
{
	if (json_is_boolean(v)) {
		*x = json_is_true(v) ? 1 : 0;
		return 0;
	}
	return json_lenient_number(v, x);
}

/* Appends the numbers of v (a number, or arrays nested to any depth) to
 * vals; -1 at the first value that is not a number (*bad). */
static int flatten(const json_t *v, double **vals, size_t *n, size_t *cap, const json_t **bad)
{
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (flatten(json_array_get(v, i), vals, n, cap, bad) < 0)
				return -1;
		return 0;
	}
	double x;
	if (number_of(v, &x) < 0) {
		*bad = v;
		return -1;
	}
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*vals = xrealloc(*vals, *cap * sizeof **vals);
	}
	(*vals)[(*n)++] = x;
	return 0;
}

/* Row k of the batch from item: the value at ptr when item is an object. */
static int item_row(const struct protocol *p, json_t *item, size_t row, double **vals,
		    size_t *n, char **err)
{
	size_t cap = 0;
	const json_t *bad = NULL;
	char *why = NULL;

	if (json_is_object(item)) {
		const char *ptr = p->output && *p->output ? p->output : NULL;
		if (!ptr) {
			const char *key = json_object_iter_key(json_object_iter(item));
			*err = xasprintf("row %zu: the prediction is an object: set 'output_name' to a "
					 "JSON Pointer into it, like /%s", row, key ? key : "name");
			return -1;
		}
		item = json_pointer_get(item, ptr, &why);
		if (!item) {
			*err = xasprintf("row %zu: prediction %s", row, why);
			free(why);
			return -1;
		}
	}
	if (flatten(item, vals, n, &cap, &bad) < 0 || *n == 0) {
		*err = bad ? xasprintf("row %zu: the prediction holds %s, expected numbers", row,
				       json_kind_name(bad))
			   : xasprintf("row %zu: the prediction is empty, expected numbers", row);
		return -1;
	}
	return 0;
}

/* The n rows of a batch from a JSON array of per-row predictions. */
static int read_items(const struct protocol *p, json_t *arr, const char *what, size_t first,
		      size_t n, struct matrix **out, char **err)
{
	if (!json_is_array(arr) || json_array_size(arr) != n) {
		char *w = where_of(p, first);
		*err = json_is_array(arr)
			? xasprintf("%s: the response has %zu rows for %zu sent (%s)", w,
				    json_array_size(arr), n, what)
			: xasprintf("%s: %s is %s, expected an array of one prediction per row", w,
				    what, json_kind_name(arr));
		free(w);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		double *vals = NULL;
		size_t m = 0;
		if (item_row(p, json_array_get(arr, k), first + k, &vals, &m, err) < 0) {
			free(vals);
			return -1;
		}
		if (!*out)
			*out = matrix_new(n, m);
		if (m != (*out)->cols) {
			*err = xasprintf("row %zu: %zu output%s, row %zu had %zu", first + k, m,
					 m == 1 ? "" : "s", first, (*out)->cols);
			free(vals);
			return -1;
		}
		memcpy((*out)->v + k * m, vals, m * sizeof *vals);
		free(vals);
	}
	return 0;
}

/* The v2 output to read: named, or the first. */
static json_t *v2_output(const struct protocol *p, json_t *root, const char *w, char **err)
{
	json_t *outs = json_object_get(root, "outputs");
	if (!json_is_array(outs) || json_array_size(outs) == 0) {
		*err = xasprintf("%s: the response has no 'outputs' (an Open Inference Protocol "
				 "response is {\"model_name\": ..., \"outputs\": [...]})", w);
		return NULL;
	}
	if (!p->output_name)
		return json_array_get(outs, 0);
	struct buf names;
	buf_init(&names);
	for (size_t i = 0; i < json_array_size(outs); i++) {
		json_t *o = json_array_get(outs, i);
		const char *name = json_string_value(json_object_get(o, "name"));
		if (name && !strcmp(name, p->output_name)) {
			buf_release(&names);
			return o;
		}
		buf_printf(&names, "%s'%s'", i ? ", " : "", name ? name : "?");
	}
	*err = xasprintf("%s: no output named '%s' in the response (it has %s)", w, p->output_name,
			 names.data);
	buf_release(&names);
	return NULL;
}

static int read_v2(const struct protocol *p, json_t *root, size_t first, size_t n,
		   struct matrix **out, char **err)
{
	char *w = where_of(p, first);
	json_t *o = v2_output(p, root, w, err);
	double *vals = NULL;
	size_t m = 0, cap = 0;
	const json_t *bad = NULL;
	int rc = -1;

	if (!o)
		goto out;
	json_t *data = json_object_get(o, "data"), *shape = json_object_get(o, "shape");
	const char *dt = json_string_value(json_object_get(o, "datatype"));
	if (dt && !protocol_datatype_ok(dt)) {
		*err = xasprintf("%s: output datatype '%s' does not hold numbers", w, dt);
		goto out;
	}
	if (!json_is_array(data) || flatten(data, &vals, &m, &cap, &bad) < 0) {
		*err = bad ? xasprintf("%s: output 'data' holds %s, expected numbers", w,
				       json_kind_name(bad))
			   : xasprintf("%s: output 'data' is %s, expected an array", w,
				       json_kind_name(data));
		goto out;
	}
	size_t rows = json_is_array(shape) && json_array_size(shape) > 0
		? (size_t)json_integer_value(json_array_get(shape, 0))
		: json_array_size(data);
	if (rows != n || m % n != 0 || m == 0) {
		char *s = json_is_array(shape) ? json_dumps(shape, JSON_COMPACT) : NULL;
		*err = xasprintf("%s: the response has %zu rows for %zu sent (output shape %s)", w,
				 rows, n, s ? s : "missing");
		free(s);
		goto out;
	}
	*out = matrix_new(n, m / n);
	memcpy((*out)->v, vals, m * sizeof *vals);
	rc = 0;
out:
	free(vals);
	free(w);
	return rc;
}

/* The rows without a JSON tree (data/jsonscan) where the response is plain
 * and has the shape the readers below take: 0 with *out, or -1 to leave
 * it to them (for the same numbers, or their messages). v2 always goes to
 * them. */
static int fast_read(const struct protocol *p, const char *body, size_t len, size_t n,
		     struct matrix **out)
{
	enum jsonscan_mode mode = JSONSCAN_ROWS;
	const char *ptr;
	double *vals = NULL;
	size_t rows = 0, cols = 0;

	if (p->kind == PROTOCOL_JSON) {
		ptr = p->output ? p->output : "";
		if (p->batch <= 1 && !(p->body && strstr(p->body, "${rows}")))
			mode = JSONSCAN_VALUES;
	} else if (p->kind == PROTOCOL_TF_SERVING || p->kind == PROTOCOL_MLFLOW) {
		/* {"predictions": [...]}, or a bare list (what a non-object gets read as) */
		size_t k = 0;
		while (k < len && (body[k] == ' ' || body[k] == '\t' || body[k] == '\r' ||
				   body[k] == '\n'))
			k++;
		ptr = k < len && body[k] == '[' ? "" : "/predictions";
	} else {
		return -1;
	}
	if (jsonscan_numbers(body, len, ptr, mode, &vals, &rows, &cols) < 0)
		return -1;
	if (rows != n || cols == 0) {
		free(vals);
		return -1;
	}
	*out = matrix_new(n, cols);
	memcpy((*out)->v, vals, n * cols * sizeof *vals);
	free(vals);
	return 0;
}

int protocol_read(const struct protocol *p, const char *body, size_t len, size_t first,
		  size_t n, struct matrix **out, char **err)
{
	json_error_t jerr;
	json_t *root;
	char *why = NULL;
	int rc = -1;

	*out = NULL;
	if (fast_read(p, body, len, n, out) == 0)
		return 0;
	root = json_lenient_loads(body, len, &jerr);
	if (!root) {
		char *ex = http_excerpt(body, len), *w = where_of(p, first);
		*err = xasprintf("%s: the response is not JSON (%s at line %d, column %d): %s", w,
				 jerr.text, jerr.line, jerr.column, ex);
		free(w);
		free(ex);
		return -1;
	}
	if (p->kind == PROTOCOL_V2) {
		rc = read_v2(p, root, first, n, out, err);
	} else if (p->kind == PROTOCOL_JSON) {
		json_t *v = json_pointer_get(root, p->output ? p->output : "", &why);
		struct protocol q = *p;
		q.output = NULL;
		if (!v) {
			char *w = where_of(p, first);
			*err = xasprintf("%s: output %s", w, why);
			free(w);
		} else if (p->batch > 1 || (p->body && strstr(p->body, "${rows}"))) {
			rc = read_items(&q, v, p->output && *p->output ? p->output : "the response",
					first, n, out, err);
		} else {
			/* one row a request: the pointer names that row's output */
			json_t *one = json_pack("[O]", v);
			rc = read_items(&q, one, "the response", first, n, out, err);
			json_decref(one);
		}
	} else {
		/* tf-serving and mlflow: {"predictions": [...]}; MLflow 1.x: a bare list */
		json_t *v = json_is_array(root) && p->kind == PROTOCOL_MLFLOW
			? root : json_object_get(root, "predictions");
		rc = read_items(p, v ? v : root, v ? "'predictions'" : "the response", first, n,
				out, err);
	}
	if (rc < 0) {
		matrix_free(*out);
		*out = NULL;
	}
	free(why);
	json_decref(root);
	return rc;
}

