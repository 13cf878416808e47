/* http: HTTP through libcurl, with plain structs in and out. http_batch sends
 * n requests to one target on `concurrency` kept-alive connections (HTTP/2
 * when the server offers it over TLS), from one multi handle, or from one
 * per core when the caller's callbacks are thread-safe; it retries
 * connection errors and 5xx with backoff, caps response sizes and keeps the
 * deadline; the caller gives each request's body and takes each response.
 * http_request is one plain request (status, body, latency).
 *
 * Layer: transport. May include: util. Knows nothing of rows, matrices or
 * contracts: the inference step's scoring lives in steps/score.h. */
#ifndef PARITY_HTTP_H
#define PARITY_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

#define HTTP_MAX_RESPONSE (16u << 20)   /* bytes per response */

struct http_header {
	const char *name;
	const char *value;              /* may hold a secret: never logged unmasked */
};

struct http_target {
	const char *base_url;           /* "http://127.0.0.1:8081" */
	const char *method;             /* NULL or "": POST with a body, GET without */
	const char *path;               /* "/predict", appended to base_url */
	const struct http_header *headers;
	size_t n_headers;
	const char *tls_ca, *tls_cert, *tls_key;   /* NULL: system defaults */
	bool tls_verify;
	long timeout_ms;                /* per request; 0: 30 s */
	int64_t deadline_ms;            /* clock_ms() value for the whole job; 0: none */
};

/* What http_batch asks of its caller for request i (0 <= i < n). Requests
 * start in order and answer in any order. Without http_batch_opts.parallel
 * both are called from the thread that called http_batch; with it, from
 * several threads at once (request i's body and response on one thread,
 * never two calls for the same i at once), so they must be thread-safe. */
struct http_batch_ops {
	/* Appends request i's body to out: empty, owned by http_batch, which
	 * sends it again on a retry and reuses it for the connection's next
	 * request (one buffer a connection, not one allocation a request).
	 * NULL function: requests without a body. */
	void (*body)(void *ctx, size_t i, struct buf *out);
	/* Takes request i's 2xx response (body NUL-terminated, len bytes,
	 * borrowed for the call). Returns 0, or -1 with *err (owned by the
	 * caller of http_batch, which gets it back) to stop the batch. */
	int (*response)(void *ctx, size_t i, long status, const char *body, size_t len,
			char **err);
};

struct http_batch_opts {
	const char *item;               /* names request i in messages: "row" gives "row 17:
					 * HTTP 500 from ..."; NULL: "request" */
	const char *done;               /* what a deadline message counts: "rows scored" gives
					 * "timed out after 2.0s with 5 of 40 rows scored";
					 * NULL: "requests answered" */
	int concurrency;                /* connections; default 8, at most 256 */
	int retries;                    /* per request, on connection errors and 5xx;
					 * 0 (or negative): none */
	size_t max_response;            /* 0: HTTP_MAX_RESPONSE */
	size_t stride;                  /* messages name request i as item i * stride
					 * ("batch from row 640"); 0: 1 */
	const char *items;              /* the plural in counts ("HTTP 500 on 3 of 9
					 * batches"); NULL: item + "s" */
	double *latency_ms;             /* NULL, or n slots: each answered request's time
					 * (its last try), in milliseconds */
	bool parallel;                  /* ops are thread-safe: the connections are shared
					 * out among one thread per online core (at most one
					 * per connection), each with its own multi handle.
					 * false: everything on the calling thread */
	int threads;                    /* with parallel: at most this many threads;
					 * 0: one per online core */
};

struct http_batch_stats {
	size_t requests;                /* sent, retries included */
	size_t retries;
	size_t answered;                /* responses ops->response took */
	double seconds;
	const char *http_version;       /* "1.1" or "2" as negotiated (static string),
					 * NULL before the first answer */
};

/* Sends n requests to t (method, path and headers the same for all) until
 * each has an answer ops->response took. Returns 0, or -1 with *err (owned by
 * the caller) at the first failure, which stops the batch (when threads
 * fail at once, the lowest request's error):
 *   "row 17: HTTP 500 from http://127.0.0.1:8081/predict (3 attempts): {\"error\": ..."
 *   "row 3: cannot reach http://...: <curl's reason>"  "row 3: no response from ... within 30.0s"
 *   "row 0: response larger than 16 MiB from http://..."
 *   "timed out after 2.0s with 5 of 40 rows scored"     (t->deadline_ms passed)
 *   "interrupted"                                        (cancel_requested(), util/cancel.h)
 * or ops->response's own error. A status outside 2xx does not stop the batch:
 * every request is sent, and the error counts them and names the lowest
 * request's ("HTTP 500 on 3 of 9 rows; the first: row 2: HTTP 500 from ...").
 * *stats is filled either way. */
int http_batch(const struct http_target *t, size_t n, const struct http_batch_ops *ops,
	       void *ctx, const struct http_batch_opts *o, struct http_batch_stats *stats,
	       char **err);

struct http_response {
	long status;
	char *body;                     /* NUL-terminated, up to max_response */
	size_t len;
	bool truncated;
	double seconds;                 /* total time */
	char *content_type;
};

/* One request with an optional body. Returns 0 with *resp (release it), or
 * -1 with *err when no response came (connection refused, timeout, TLS,
 * "interrupted"). Any status is a response. */
int http_request(const struct http_target *t, const char *body, size_t max_response,
		 struct http_response *resp, char **err);
void http_response_release(struct http_response *r);

/* Call once at start-up (curl_global_init) and at exit. */
void http_setup(void);
void http_teardown(void);

/* The start of a response body for a message: at most 200 bytes, cut on a
 * UTF-8 boundary, control characters written as \n, \r, \t or \xNN (every
 * byte above 0x7f too when the text is not UTF-8), and "…" when cut.
 * Owned by the caller. */
char *http_excerpt(const char *body, size_t len);

#endif
