/* score: the inference step's rows over HTTP: bodies rendered from rows,
 * outputs read from responses, and http_batch in between. */
#include "steps/score.h"
#include "data/jsonptr.h"
#include "data/jsonscan.h"
#include "util/buf.h"
#include "util/fastfloat.h"
#include "util/xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* x as JSON text into out (SCORE_NUMBER_LEN bytes); returns its length. */
static size_t number_text(double x, char *out)
{
	if (!isfinite(x)) {
		memcpy(out, "null", 5);
		return 4;
	}
	/* below 1e15, fastfloat writes integers as "%.0f" does */
	if (fabs(x) >= 1e15 && fabs(x) < 9007199254740992.0 && x == trunc(x))
		return (size_t)snprintf(out, SCORE_NUMBER_LEN, "%.0f", x);
	return fastfloat_format(x, out);
}

_Static_assert(SCORE_NUMBER_LEN >= FASTFLOAT_FORMAT_LEN, "fastfloat_format needs the room");

const char *score_format_number(double x, char out[SCORE_NUMBER_LEN])
{
	number_text(x, out);
	return out;
}

void score_put_row(struct buf *b, const double *row, size_t n)
{
	/* each number and its comma fit in SCORE_NUMBER_LEN + 1 */
	char *p = buf_room(b, 2 + n * (SCORE_NUMBER_LEN + 1));
	size_t len = 0;

	p[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			p[len++] = ',';
		len += number_text(row[i], p + len);
	}
	p[len++] = ']';
	buf_commit(b, len);
}

void score_put_body(struct buf *b, const char *tmpl, const double *row, size_t n,
		    size_t index)
{
	for (const char *p = tmpl; *p;) {
		const char *d = strchr(p, '$');
		if (!d) {
			buf_puts(b, p);
			break;
		}
		buf_add(b, p, (size_t)(d - p));
		p = d;
		if (!strncmp(p, "${row}", 6)) {
			score_put_row(b, row, n);
			p += 6;
		} else if (!strncmp(p, "${index}", 8)) {
			buf_printf(b, "%zu", index);
			p += 8;
		} else {
			buf_putc(b, *p++);
		}
	}
}

char *score_render_body(const char *tmpl, const double *row, size_t n, size_t index)
{
	struct buf b;

	buf_init(&b);
	score_put_body(&b, tmpl, row, n, index);
	char *text = buf_detach(&b);
	buf_release(&b);
	return text;
}

int score_read_output(const char *body, size_t len, const char *ptr, size_t row,
		     double **vals, size_t *n, char **err)
{
	json_error_t jerr;
	json_t *root, *v;
	char *why = NULL;
	int rc = -1;

	*vals = NULL;
	*n = 0;
	/* plain JSON without a tree; anything else the loader reads, with its messages */
	size_t rows = 0;
	if (jsonscan_numbers(body, len, ptr, JSONSCAN_VALUES, vals, &rows, n) == 0)
		return 0;
	root = json_lenient_loads(body, len, &jerr);
	if (!root) {
		char *ex = http_excerpt(body, len);
		*err = xasprintf("row %zu: the response is not JSON (%s at line %d, column %d): %s",
				 row, jerr.text, jerr.line, jerr.column, ex);
		free(ex);
		return -1;
	}
	v = json_pointer_get(root, ptr, &why);
	if (!v) {
		*err = xasprintf("row %zu: output %s", row, why);
		goto out;
	}
	if (!json_is_array(v)) {
		double x;
		if (json_lenient_number(v, &x) < 0) {
			*err = xasprintf("row %zu: output '%s' is %s, expected an array of numbers", row,
					 ptr, json_kind_name(v));
			goto out;
		}
		*vals = xmalloc(sizeof **vals);
		(*vals)[0] = x;
		*n = 1;
		rc = 0;
		goto out;
	}
	if (json_array_size(v) == 0) {
		*err = xasprintf("row %zu: output '%s' is an empty array, expected an array of "
				 "numbers", row, ptr);
		goto out;
	}
	*vals = xmalloc(json_array_size(v) * sizeof **vals);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		if (json_lenient_number(e, &(*vals)[i]) < 0) {
			*err = xasprintf("row %zu: output '%s' item %zu is %s, expected a number", row,
					 ptr, i, json_kind_name(e));
			free(*vals);
			*vals = NULL;
			goto out;
		}
	}
	*n = json_array_size(v);
	rc = 0;
out:
	free(why);
	json_decref(root);
	return rc;
}

/* ---- score_rows: http_batch's caller */

/* What the requests share. http_batch calls row_body and row_output from
 * several threads at once (http_batch_opts.parallel): each response writes
 * its own rows of out; the lock guards out's creation and its width. */
struct scoring {
	const struct matrix *in;
	const char *tmpl, *output;
	const struct protocol *proto;   /* NULL: one row a request, tmpl and output */
	struct matrix *out;     /* sized by the first response taken */
	pthread_mutex_t lock;
};

static size_t batch_of(const struct scoring *s)
{
	return s->proto ? s->proto->batch : 1;
}

static void row_body(void *ctx, size_t i, struct buf *out)
{
	const struct scoring *s = ctx;
	size_t b = batch_of(s), first = i * b;
	size_t n = s->in->rows - first < b ? s->in->rows - first : b;
	if (!s->proto)
		score_put_body(out, s->tmpl, s->in->v + i * s->in->cols, s->in->cols, i);
	else
		protocol_put_body(s->proto, out, s->in->v + first * s->in->cols, n, s->in->cols,
				  first);
}

/* The output matrix, made by the first response taken, which sets the
 * width; NULL with *err when `row` has another width or it does not fit. */
static struct matrix *output_of(struct scoring *s, size_t row, size_t cols, char **err)
{
	struct matrix *out;

	pthread_mutex_lock(&s->lock);
	if (!s->out) {
		s->out = matrix_try_new(s->in->rows, cols);
		if (!s->out)
			*err = xasprintf("row %zu: %zu outputs for %zu rows do not fit in memory", row,
					 cols, s->in->rows);
	} else if (cols != s->out->cols) {
		*err = xasprintf("row %zu: %zu output%s, earlier rows had %zu", row, cols,
				 cols == 1 ? "" : "s", s->out->cols);
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	out = s->out;
	pthread_mutex_unlock(&s->lock);
	return out;
}

/* Stores n rows of cols outputs from row `first` on. */
static int store_rows(struct scoring *s, size_t first, const double *vals, size_t n,
		      size_t cols, char **err)
{
	struct matrix *out = output_of(s, first, cols, err);
	if (!out)
		return -1;
	memcpy(out->v + first * cols, vals, n * cols * sizeof *vals);
	return 0;
}

/* Request i's rows through the protocol's reader. */
static int batch_output(struct scoring *s, size_t i, const char *body, size_t len, char **err)
{
	size_t b = batch_of(s), first = i * b;
	size_t n = s->in->rows - first < b ? s->in->rows - first : b;
	struct matrix *m = NULL;

	if (protocol_read(s->proto, body, len, first, n, &m, err) < 0)
		return -1;
	int rc = store_rows(s, first, m->v, n, m->cols, err);
	matrix_free(m);
	return rc;
}

static int row_output(void *ctx, size_t i, long status, const char *body, size_t len,
		      char **err)
{
	struct scoring *s = ctx;
	double *vals = NULL;
	size_t n = 0;

	(void)status;
	if (s->proto)
		return batch_output(s, i, body, len, err);
	int rc = score_read_output(body, len, s->output, i, &vals, &n, err) == 0
		? store_rows(s, i, vals, 1, n, err) : -1;
	free(vals);
	return rc;
}

size_t score_requests(const struct score_opts *o, size_t rows)
{
	size_t b = o->proto && o->proto->batch > 1 ? o->proto->batch : 1;
	return (rows + b - 1) / b;
}

int score_rows(const struct http_target *t, const struct matrix *inputs,
	       const struct score_opts *o, struct matrix **outputs,
	       struct http_batch_stats *stats, char **err)
{
	static const struct http_batch_ops ops = {row_body, row_output};
	const struct protocol *p = o->proto;
	/* the json protocol, one row a request, keeps its own template and reader */
	bool plain = !p || (p->kind == PROTOCOL_JSON && p->batch <= 1 && !p->body_json &&
			    !(p->body && strstr(p->body, "${rows}")));
	struct scoring s = {inputs, o->body, o->output, plain ? NULL : p, NULL,
			    PTHREAD_MUTEX_INITIALIZER};
	size_t stride = p && p->batch > 1 ? p->batch : 1;
	bool batched = stride > 1;
	struct http_batch_opts bo = {batched ? "batch from row" : "row",
				     batched ? "batches scored" : "rows scored", o->concurrency,
				     o->retries, o->max_response, stride,
				     batched ? "batches" : NULL, o->latency_ms, true, 0};

	if (plain && p) {
		s.tmpl = p->body;
		s.output = p->output;
	}
	if (!s.tmpl)
		s.tmpl = "${row}";
	if (!s.output)
		s.output = "";
	*outputs = NULL;
	int rc = http_batch(t, score_requests(o, inputs->rows), &ops, &s, &bo, stats, err);
	pthread_mutex_destroy(&s.lock);
	if (rc < 0) {
		matrix_free(s.out);
		return -1;
	}
	*outputs = s.out ? s.out : matrix_new(0, 0);
	return 0;
}
