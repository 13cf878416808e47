/* score: scoring rows over HTTP for the inference step: each input row is
 * rendered into the body template, the requests go out through
 * transport/http's http_batch, and each response's output vector is read by
 * JSON Pointer into a matrix of outputs, one row per input row. Bodies are
 * written and answers read on http_batch's worker threads, one per core. */
#ifndef PARITY_SCORE_H
#define PARITY_SCORE_H
#include <stddef.h>
#include "data/matrix.h"
#include "steps/protocol.h"
#include "transport/http.h"

struct score_opts {
	const char *body;               /* template: "${row}" -> the row as a JSON array,
					 * "${index}" -> the row number; NULL: "${row}", the
					 * bare array */
	const char *output;             /* JSON Pointer to the output vector (NULL or "": the
					 * whole response); a number counts as a one-column row */
	int concurrency;                /* connections; default 8 */
	int retries;                    /* per request, on connection errors and 5xx;
					 * 0 (or negative): none. The inference step's
					 * default is 2 */
	size_t max_response;            /* 0: HTTP_MAX_RESPONSE */
	const struct protocol *proto;   /* NULL: json, one row a request (body and output
					 * above); otherwise body and output are ignored */
	double *latency_ms;             /* NULL, or one slot per request: its latency */
};

/* The number of requests score_rows sends for rows. */
size_t score_requests(const struct score_opts *o, size_t rows);

/* Scores every row of inputs with one POST (t's method) each, or one per
 * o->proto->batch rows (messages then name "batch from row 640"). Returns 0 with
 * *outputs (rows = inputs->rows, owned by the caller), or -1 with *err
 * naming the first failed row, its status and the start of its body:
 * "row 17: HTTP 500 from http://127.0.0.1:8081/predict: {\"error\": ...";
 * http_batch's messages, with rows for requests. *stats is filled either way. */
int score_rows(const struct http_target *t, const struct matrix *inputs,
	       const struct score_opts *o, struct matrix **outputs,
	       struct http_batch_stats *stats, char **err);

/* x as JSON text into out (returned): an integer below 2^53 without a
 * point or an exponent ("3", "-0"), otherwise the shortest of "%.15g",
 * "%.16g" and "%.17g" that reads back as x exactly, and "null" for NaN and
 * +-infinity, which JSON cannot write. */
#define SCORE_NUMBER_LEN 32
const char *score_format_number(double x, char out[SCORE_NUMBER_LEN]);

/* The n values of row as a compact JSON array ("[1,0.5,null]"), numbers
 * as score_format_number writes them, appended to b. */
struct buf;
void score_put_row(struct buf *b, const double *row, size_t n);

/* tmpl with every "${row}" replaced by the n values of row as a compact
 * JSON array ("[1,0.5,null]") and every "${index}" by index; other text,
 * other ${...} included, is kept; appended to b. */
void score_put_body(struct buf *b, const char *tmpl, const double *row, size_t n,
		    size_t index);
/* The same as a string owned by the caller. */
char *score_render_body(const char *tmpl, const double *row, size_t n, size_t index);

/* Row `row`'s output from a response body: parsed as JSON (NaN and Infinity
 * accepted), the value at the JSON Pointer ptr must be a number (one column)
 * or a non-empty array of numbers (null reads as NaN). Returns 0 with *vals
 * (owned by the caller) and *n, or -1 with *err (owned by the caller):
 * "row 5: output '/outputs/0' is a string, expected an array of numbers". */
int score_read_output(const char *body, size_t len, const char *ptr, size_t row,
		      double **vals, size_t *n, char **err);

#endif
