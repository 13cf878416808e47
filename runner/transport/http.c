/* http: libcurl behind http.h. http_batch keeps `concurrency` easy handles
 * on multi handles (each owns its connection cache, so connections stay
 * alive from one request to the next), feeds each free handle the next
 * request, and puts a failed one back after a backoff. With parallel ops
 * the handles are shared out among one worker thread per core, each with
 * its own multi handle, taking requests from one shared counter. No global
 * state besides curl_global_init: several threads may send batches at once. */
#include "transport/http.h"
#include "util/buf.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/text.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONCURRENCY 8
#define MAX_CONCURRENCY 256
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
#define POLL_MAX_MS 100
#define EXCERPT_MAX 200

void http_setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_teardown(void)
{
	curl_global_cleanup();
}

char *http_excerpt(const char *body, size_t len)
{
	struct buf b;
	size_t n = len > EXCERPT_MAX ? EXCERPT_MAX : len;
	bool utf8;

	/* do not cut a UTF-8 sequence in two */
	while (n < len && n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
		n--;
	utf8 = text_utf8_valid(body, n, NULL);
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)body[i];
		if (ch == '\n')
			buf_puts(&b, "\\n");
		else if (ch == '\r')
			buf_puts(&b, "\\r");
		else if (ch == '\t')
			buf_puts(&b, "\\t");
		else if (ch < 0x20 || ch == 0x7f || (ch > 0x7f && !utf8))
			buf_printf(&b, "\\x%02x", ch);
		else
			buf_putc(&b, (char)ch);
	}
	if (n < len)
		buf_puts(&b, "…");
	char *text = buf_detach(&b);
	buf_release(&b);
	return text;
}

/* ---- one transfer's plumbing, shared by http_batch and http_request */

/* Where a response body goes: up to max bytes, then the transfer stops. */
struct sink {
	struct buf b;
	size_t max;
	bool over;
};

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (n > s->max - s->b.len) {
		buf_add(&s->b, p, s->max - s->b.len);
		s->over = true;
		return 0;       /* CURLE_WRITE_ERROR: stop reading */
	}
	buf_add(&s->b, p, n);
	return n;
}

/* "16 MiB", "64 KiB", "1000 bytes" */
static char *size_text(size_t n)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		return xasprintf("%zu MiB", n >> 20);
	if (n >= 1024 && n % 1024 == 0)
		return xasprintf("%zu KiB", n >> 10);
	return xasprintf("%zu bytes", n);
}

static char *join_url(const char *base, const char *path)
{
	size_t bl = strlen(base);
	if (!path)
		path = "";
	if (bl && base[bl - 1] == '/' && path[0] == '/')
		bl--;
	return xasprintf("%.*s%s", (int)bl, base, path);
}

static bool has_header(const struct http_target *t, const char *name)
{
	for (size_t i = 0; i < t->n_headers; i++)
		if (!strcasecmp(t->headers[i].name, name))
			return true;
	return false;
}

/* The request headers as curl wants them. They may hold secrets: this list
 * is never printed. */
static struct curl_slist *header_list(const struct http_target *t, bool body)
{
	struct curl_slist *l = NULL;

	/* a header of the list, not CURLOPT_USERAGENT, which curl formats anew
	 * for every request; first, where curl puts its own */
	if (!has_header(t, "User-Agent"))
		l = curl_slist_append(l, "User-Agent: parity/" PARITY_VERSION);
	for (size_t i = 0; i < t->n_headers; i++) {
		/* curl drops "Name:" with nothing after it; "Name;" sends it empty */
		char *h = t->headers[i].value[0]
			? xasprintf("%s: %s", t->headers[i].name, t->headers[i].value)
			: xasprintf("%s;", t->headers[i].name);
		struct curl_slist *nl = curl_slist_append(l, h);
		free(h);
		if (!nl) {
			fputs("parity: fatal: out of memory\n", stderr);
			exit(3);
		}
		l = nl;
	}
	if (body && !has_header(t, "Content-Type"))
		l = curl_slist_append(l, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip before larger bodies */
	if (!has_header(t, "Expect"))
		l = curl_slist_append(l, "Expect:");
	return l;
}

static const char *method_of(const struct http_target *t, bool body)
{
	return t->method && t->method[0] ? t->method : body ? "POST" : "GET";
}

/* Whether a variable names a proxy that curl would use: http_proxy (curl
 * reads no HTTP_PROXY), https_proxy or HTTPS_PROXY, all_proxy or ALL_PROXY
 * (set and not empty). */
static bool proxy_in_env(void)
{
	static const char *const names[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
					    "all_proxy", "ALL_PROXY"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return true;
	}
	return false;
}

/* Options that stay the same for every request of a handle. */
static void handle_setup(CURL *h, const struct http_target *t, const char *url,
			 struct curl_slist *hdrs, struct sink *s, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* waiting to multiplex pays only where HTTP/2 can be negotiated (TLS); over
	 * plain HTTP it holds a batch's first requests until the first answer */
	if (!strncasecmp(url, "https:", 6))
		curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* no proxy in the environment: curl need not look for one (and for
	 * no_proxy) again at every request */
	if (!proxy_in_env()) {
		curl_easy_setopt(h, CURLOPT_PROXY, "");
		curl_easy_setopt(h, CURLOPT_NOPROXY, "");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (t->tls_ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, t->tls_ca);
	if (t->tls_cert)
		curl_easy_setopt(h, CURLOPT_SSLCERT, t->tls_cert);
	if (t->tls_key)
		curl_easy_setopt(h, CURLOPT_SSLKEY, t->tls_key);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, t->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, t->tls_verify ? 2L : 0L);
}

/* The method and body (len bytes) of one request; body stays borrowed
 * until the transfer ends. */
static void handle_body(CURL *h, const char *method, const char *body, size_t len)
{
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
}

/* The per-request timeout: the target's, but never past the deadline. */
static long request_timeout(const struct http_target *t, int64_t now)
{
	long ms = t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (t->deadline_ms > 0) {
		int64_t left = t->deadline_ms - now;
		if (left < ms)
			ms = left > 1 ? (long)left : 1;
	}
	return ms;
}

/* Transfer failures worth another try: the connection, not the request. */
static bool retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Why a transfer brought no response, for "row 3: <this>". */
static char *transfer_error(CURLcode rc, const char *errbuf, const char *url, long timeout_ms)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)    /* perform_one's: a stop was asked for */
		return xstrdup("interrupted");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("no response from %s within %.1fs", url, (double)timeout_ms / 1000);
	return xasprintf("cannot reach %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static const char *version_name(CURL *h)
{
	long v = 0;
	curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &v);
	switch (v) {
	case CURL_HTTP_VERSION_1_0: return "1.0";
	case CURL_HTTP_VERSION_1_1: return "1.1";
	case CURL_HTTP_VERSION_2_0: return "2";
#ifdef CURL_HTTP_VERSION_3
	case CURL_HTTP_VERSION_3: return "3";
#endif
	default: return "1.1";
	}
}

/* ---- http_batch */

/* One connection: an easy handle and the request it carries. */
struct slot {
	CURL *h;
	struct sink sink;
	char errbuf[CURL_ERROR_SIZE];
	struct buf body;        /* the request's body, alive until its last try ends */
	size_t i;               /* the request */
	int tries;              /* sent for this request */
	long timeout_ms;        /* of the try in flight */
	bool busy;              /* added to the multi handle */
	bool waiting;           /* holds a request that waits for its retry */
	int64_t retry_at;
};

/* What the workers share. The atomics are read without the lock; the lock
 * guards the error and the failure counts. */
struct batch {
	const struct http_target *t;
	size_t n;
	const struct http_batch_ops *ops;
	void *ctx;
	const char *item, *done, *method, *items;
	size_t stride;
	double *latency_ms;
	int retries;
	size_t max_response;
	char *url;
	struct curl_slist *hdrs;
	int64_t start_ms;
	atomic_size_t next;     /* the next request to start (may run past n) */
	atomic_size_t answered; /* responses ops->response took */
	atomic_bool stop;       /* err is set: every worker ends */
	atomic_bool failed_any; /* a request failed for good: no more retries */
	pthread_mutex_t lock;
	char *err;              /* the error that stopped the batch */
	size_t err_at;          /* its request; SIZE_MAX: the batch's own (deadline...) */
	size_t failed;          /* requests answered with a status outside 2xx */
	long failed_status;     /* the first one's status */
	bool mixed;             /* and others had another */
	char *first_failure;    /* the message of the lowest such request */
	size_t first_failure_at;
};

/* One thread's share of the batch: a multi handle and its connections. */
struct worker {
	struct batch *b;
	CURLM *multi;
	CURLU *url;             /* b->url parsed once, not at every request; or NULL */
	struct slot *slots;
	size_t n_slots;
	size_t requests, retries;
	const char *http_version;
	pthread_t thread;
	bool started;
};

/* The number messages give a slot's request: its first row for batches. */
static size_t at(const struct batch *b, const struct slot *sl)
{
	return sl->i * b->stride;
}

/* msg (taken) stops the batch, unless a lower request's error already did:
 * which error is named does not depend on which thread saw it first. */
static void batch_fail(struct batch *b, size_t i, char *msg)
{
	pthread_mutex_lock(&b->lock);
	if (!b->err || i < b->err_at) {
		free(b->err);
		b->err = msg;
		b->err_at = i;
	} else {
		free(msg);
	}
	pthread_mutex_unlock(&b->lock);
	atomic_store(&b->stop, true);
}

/* A status outside 2xx for request i: counted, and the batch goes on. */
static void batch_failure(struct batch *b, size_t i, long status, char *msg)
{
	pthread_mutex_lock(&b->lock);
	if (!b->failed) {
		b->failed_status = status;
	} else {
		b->mixed |= status != b->failed_status;
	}
	if (!b->first_failure || i < b->first_failure_at) {
		free(b->first_failure);
		b->first_failure = msg;
		b->first_failure_at = i;
	} else {
		free(msg);
	}
	b->failed++;
	pthread_mutex_unlock(&b->lock);
	atomic_store(&b->failed_any, true);
}

static bool past_deadline(const struct batch *b, int64_t now)
{
	return b->t->deadline_ms > 0 && now >= b->t->deadline_ms;
}

static char *deadline_error(struct batch *b, int64_t now)
{
	return xasprintf("timed out after %.1fs with %zu of %zu %s",
			 (double)(now - b->start_ms) / 1000, atomic_load(&b->answered), b->n,
			 b->done);
}

/* The next request nobody has started, or n when none is left. */
static size_t take_next(struct batch *b)
{
	if (atomic_load(&b->next) >= b->n)
		return b->n;
	size_t i = atomic_fetch_add(&b->next, 1);
	return i < b->n ? i : b->n;
}

static int slot_send(struct worker *w, struct slot *sl, int64_t now)
{
	struct batch *b = w->b;

	if (sl->tries == 0 && b->ops->body) {
		buf_reset(&sl->body);
		b->ops->body(b->ctx, sl->i, &sl->body);
	}
	handle_body(sl->h, b->method, b->ops->body ? sl->body.data : NULL, sl->body.len);
	sl->timeout_ms = request_timeout(b->t, now);
	curl_easy_setopt(sl->h, CURLOPT_TIMEOUT_MS, sl->timeout_ms);
	buf_reset(&sl->sink.b);
	sl->sink.over = false;
	sl->errbuf[0] = '\0';
	if (curl_multi_add_handle(w->multi, sl->h) != CURLM_OK) {
		batch_fail(b, sl->i, xasprintf("%s %zu: cannot start a request to %s", b->item,
					       at(b, sl), b->url));
		return -1;
	}
	sl->busy = true;
	sl->waiting = false;
	sl->tries++;
	w->requests++;
	return 0;
}

static void slot_retry(struct worker *w, struct slot *sl, int64_t now)
{
	int k = sl->tries - 1;
	long ms = BACKOFF_FIRST_MS << (k > 5 ? 5 : k);
	sl->waiting = true;
	sl->retry_at = now + (ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms);
	w->retries++;
}

/* A transfer that brought no usable response: retried, or the batch's error. */
static void slot_failed(struct worker *w, struct slot *sl, CURLcode rc, int64_t now)
{
	struct batch *b = w->b;

	if (rc == CURLE_WRITE_ERROR && sl->sink.over) {
		char *sz = size_text(sl->sink.max);
		batch_fail(b, sl->i, xasprintf("%s %zu: response larger than %s from %s", b->item,
					       at(b, sl), sz, b->url));
		free(sz);
	} else if (past_deadline(b, now)) {
		batch_fail(b, SIZE_MAX, deadline_error(b, now));
	} else if (retryable(rc) && sl->tries <= b->retries) {
		slot_retry(w, sl, now);
	} else {
		char *why = transfer_error(rc, sl->errbuf, b->url, sl->timeout_ms);
		batch_fail(b, sl->i, sl->tries > 1
			   ? xasprintf("%s %zu: %s (%d attempts)", b->item, at(b, sl), why, sl->tries)
			   : xasprintf("%s %zu: %s", b->item, at(b, sl), why));
		free(why);
	}
}

/* A 2xx response: its latency, then the caller's. */
static void slot_answered(struct worker *w, struct slot *sl, long status)
{
	struct batch *b = w->b;
	char *e = NULL;

	if (!w->http_version)
		w->http_version = version_name(sl->h);
	if (b->latency_ms) {
		double total = 0;
		curl_easy_getinfo(sl->h, CURLINFO_TOTAL_TIME, &total);
		b->latency_ms[sl->i] = total * 1000.0;
	}
	if (b->ops->response(b->ctx, sl->i, status, sl->sink.b.data, sl->sink.b.len, &e) < 0) {
		batch_fail(b, sl->i, e ? e : xasprintf("%s %zu: the response was not taken", b->item,
						       at(b, sl)));
		return;
	}
	free(e);
	atomic_fetch_add(&b->answered, 1);
}

static void slot_done(struct worker *w, struct slot *sl, CURLcode rc, int64_t now)
{
	struct batch *b = w->b;
	long status = 0;

	curl_multi_remove_handle(w->multi, sl->h);
	sl->busy = false;
	if (rc != CURLE_OK) {
		slot_failed(w, sl, rc, now);
		return;
	}
	curl_easy_getinfo(sl->h, CURLINFO_RESPONSE_CODE, &status);
	/* once one request failed for good, the server is failing: no more retries */
	if (status >= 500 && sl->tries <= b->retries && !atomic_load(&b->failed_any)) {
		slot_retry(w, sl, now);
		return;
	}
	if (status < 200 || status > 299) {
		char *ex = http_excerpt(sl->sink.b.data, sl->sink.b.len);
		batch_failure(b, sl->i, status, sl->tries > 1
			      ? xasprintf("%s %zu: HTTP %ld from %s (%d attempts): %s", b->item,
					  at(b, sl), status, b->url, sl->tries, ex)
			      : xasprintf("%s %zu: HTTP %ld from %s: %s", b->item, at(b, sl), status,
					  b->url, ex));
		free(ex);
		return;
	}
	slot_answered(w, sl, status);
}

/* Starts what can start now; *wait_ms is how long nothing else can, *active
 * whether a slot is busy or waits for a retry. */
static int start_slots(struct worker *w, int64_t now, long *wait_ms, bool *active)
{
	struct batch *b = w->b;
	long wait = POLL_MAX_MS;

	*active = false;
	for (size_t k = 0; k < w->n_slots; k++) {
		struct slot *sl = &w->slots[k];
		if (sl->busy) {
			*active = true;
			continue;
		}
		if (sl->waiting) {
			*active = true;
			if (now < sl->retry_at) {
				if (sl->retry_at - now < wait)
					wait = (long)(sl->retry_at - now);
				continue;
			}
		} else {
			size_t i = take_next(b);
			if (i >= b->n)
				continue;
			sl->i = i;
			sl->tries = 0;
		}
		if (slot_send(w, sl, now) < 0)
			return -1;
		*active = true;
	}
	if (b->t->deadline_ms > 0 && b->t->deadline_ms - now < wait)
		wait = b->t->deadline_ms - now > 0 ? (long)(b->t->deadline_ms - now) : 0;
	*wait_ms = wait;
	return 0;
}

/* Hands each finished transfer to its slot; -1 once the batch is stopped. */
static int collect(struct worker *w)
{
	int left = 0;
	CURLMsg *m;

	while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		char *p = NULL;
		CURLcode rc = m->data.result;   /* m goes with the handle's removal */
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		struct slot *sl = (struct slot *)(void *)p;
		if (sl && sl->busy)
			slot_done(w, sl, rc, clock_ms());
		if (atomic_load(&w->b->stop))
			return -1;
	}
	return 0;
}

/* Whether the worker is done (nothing in flight or waiting, nothing left to
 * take); *wait_ms becomes 0 when a free slot can take a request at once. */
static bool worker_idle(struct worker *w, long *wait_ms)
{
	bool active = false, free_slot = false;

	for (size_t k = 0; k < w->n_slots; k++) {
		if (w->slots[k].busy || w->slots[k].waiting)
			active = true;
		else
			free_slot = true;
	}
	if (free_slot && atomic_load(&w->b->next) < w->b->n) {
		*wait_ms = 0;
		return false;
	}
	return !active;
}

/* One worker's loop: its connections take requests until none is left or
 * the batch stops. */
static void worker_run(struct worker *w)
{
	struct batch *b = w->b;
	struct curl_waitfd stop_fd = {cancel_fd(), CURL_WAIT_POLLIN, 0};

	for (;;) {
		int64_t now = clock_ms();
		long wait = 0;
		int running = 0;
		bool active = false;

		if (atomic_load(&b->stop))
			return;
		if (cancel_requested()) {
			batch_fail(b, SIZE_MAX, xstrdup("interrupted"));
			return;
		}
		if (past_deadline(b, now)) {
			batch_fail(b, SIZE_MAX, deadline_error(b, now));
			return;
		}
		if (start_slots(w, now, &wait, &active) < 0 || !active)
			return;
		if (curl_multi_perform(w->multi, &running) != CURLM_OK) {
			size_t next = atomic_load(&b->next);
			batch_fail(b, SIZE_MAX, xasprintf("%s %zu: the transfer failed", b->item,
							  (next < b->n ? next : b->n) * b->stride));
			return;
		}
		if (collect(w) < 0 || worker_idle(w, &wait))
			return;
		/* the stop pipe wakes the poll at once when a stop is asked for */
		if (wait > 0)
			curl_multi_poll(w->multi, stop_fd.fd >= 0 ? &stop_fd : NULL,
					stop_fd.fd >= 0 ? 1 : 0, (int)wait, NULL);
	}
}

static void *worker_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "parity-http");      /* for top -H, perf */
	worker_run(arg);
	return NULL;
}

/* Worker w's multi handle and its `slots` easy handles; -1 when libcurl
 * cannot start them. */
static int worker_init(struct worker *w, struct batch *b, size_t slots)
{
	w->b = b;
	w->n_slots = slots;
	w->slots = xcalloc(slots, sizeof *w->slots);
	w->multi = curl_multi_init();
	if (!w->multi)
		return -1;
	/* a URL curl's parser refuses stays a string: curl names the error */
	w->url = curl_url();
	if (w->url && curl_url_set(w->url, CURLUPART_URL, b->url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(w->url);
		w->url = NULL;
	}
	curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)slots);
	curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)slots);
	for (size_t k = 0; k < slots; k++) {
		struct slot *sl = &w->slots[k];
		buf_init(&sl->sink.b);
		buf_init(&sl->body);
		sl->sink.max = b->max_response;
		sl->h = curl_easy_init();
		if (!sl->h)
			return -1;
		handle_setup(sl->h, b->t, b->url, b->hdrs, &sl->sink, sl->errbuf);
		if (w->url)
			curl_easy_setopt(sl->h, CURLOPT_CURLU, w->url);
		curl_easy_setopt(sl->h, CURLOPT_PRIVATE, (void *)sl);
	}
	return 0;
}

static void worker_release(struct worker *w)
{
	for (size_t k = 0; w->slots && k < w->n_slots; k++) {
		struct slot *sl = &w->slots[k];
		if (sl->busy)
			curl_multi_remove_handle(w->multi, sl->h);
		if (sl->h)
			curl_easy_cleanup(sl->h);
		buf_release(&sl->sink.b);
		buf_release(&sl->body);
	}
	free(w->slots);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	curl_url_cleanup(w->url);
}

/* How many workers share `slots` connections: one unless the caller's ops
 * are thread-safe, then one per core (or o->threads), at most one per
 * connection. */
static size_t worker_count(const struct http_batch_opts *o, size_t slots)
{
	long cores = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (!o->parallel || cores <= 1)
		return 1;
	return (size_t)cores < slots ? (size_t)cores : slots;
}

/* Runs the workers: all but the first on threads of their own (blocking the
 * stop signals, whose handler belongs to the calling thread), the first
 * here, then waits for the others. */
static void workers_run(struct worker *ws, size_t n)
{
	sigset_t old;

	cancel_block(&old);
	for (size_t k = 1; k < n; k++)
		ws[k].started = pthread_create(&ws[k].thread, NULL, worker_thread, &ws[k]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (size_t k = 0; k < n; k++)
		if (!ws[k].started)
			worker_run(&ws[k]);     /* the first, and any that could not start */
	for (size_t k = 1; k < n; k++)
		if (ws[k].started)
			pthread_join(ws[k].thread, NULL);
}

/* The batch's outcome once every worker is done: 0, or -1 with b->err. */
static int batch_finish(struct batch *b, struct worker *ws, size_t n,
			struct http_batch_stats *stats)
{
	for (size_t k = 0; k < n; k++) {
		stats->requests += ws[k].requests;
		stats->retries += ws[k].retries;
		if (!stats->http_version)
			stats->http_version = ws[k].http_version;
	}
	stats->answered = atomic_load(&b->answered);
	if (b->err)
		return -1;
	if (b->failed) {
		/* "HTTP 500 on 100 of 100 rows; the first: row 0: HTTP 500 from ..." */
		char status[32];
		snprintf(status, sizeof status, "HTTP %ld", b->failed_status);
		b->err = xasprintf("%s on %zu of %zu %s%s; the first: %s",
				   b->mixed ? "HTTP errors" : status, b->failed, b->n,
				   b->items ? b->items : b->item,
				   b->items || b->n == 1 ? "" : "s", b->first_failure);
		return -1;
	}
	return 0;
}

/* Starts the workers over b's requests, conc connections in all. */
static int batch_run(struct batch *b, const struct http_batch_opts *o, size_t conc,
		     struct http_batch_stats *stats)
{
	size_t slots = conc < b->n ? conc : b->n;
	size_t n = worker_count(o, slots);
	struct worker *ws = xcalloc(n, sizeof *ws);
	int rc = -1;

	for (size_t k = 0; k < n; k++) {
		if (worker_init(&ws[k], b, slots / n + (k < slots % n)) < 0) {
			b->err = xstrdup("cannot start libcurl");
			goto out;
		}
	}
	workers_run(ws, n);
	rc = batch_finish(b, ws, n, stats);
out:
	for (size_t k = 0; k < n; k++)
		worker_release(&ws[k]);
	free(ws);
	return rc;
}

int http_batch(const struct http_target *t, size_t n, const struct http_batch_ops *ops,
	       void *ctx, const struct http_batch_opts *o, struct http_batch_stats *stats,
	       char **err)
{
	struct batch b;
	double t0 = clock_seconds();
	int conc = o->concurrency > 0 ? o->concurrency : DEFAULT_CONCURRENCY;
	int rc = 0;

	memset(&b, 0, sizeof b);
	memset(stats, 0, sizeof *stats);
	b.t = t;
	b.n = n;
	b.ops = ops;
	b.ctx = ctx;
	b.item = o->item ? o->item : "request";
	b.items = o->items;
	b.stride = o->stride ? o->stride : 1;
	b.latency_ms = o->latency_ms;
	b.done = o->done ? o->done : "requests answered";
	b.method = method_of(t, ops->body != NULL);
	b.retries = o->retries > 0 ? o->retries : 0;
	b.max_response = o->max_response ? o->max_response : HTTP_MAX_RESPONSE;
	b.start_ms = clock_ms();
	b.url = join_url(t->base_url, t->path);
	atomic_init(&b.next, 0);
	atomic_init(&b.answered, 0);
	atomic_init(&b.stop, false);
	atomic_init(&b.failed_any, false);
	pthread_mutex_init(&b.lock, NULL);
	if (conc > MAX_CONCURRENCY)
		conc = MAX_CONCURRENCY;
	if (n > 0) {
		b.hdrs = header_list(t, ops->body != NULL);
		rc = batch_run(&b, o, (size_t)conc, stats);
	}
	curl_slist_free_all(b.hdrs);
	free(b.first_failure);
	free(b.url);
	pthread_mutex_destroy(&b.lock);
	stats->seconds = clock_seconds() - t0;
	if (rc < 0)
		*err = b.err;
	else
		free(b.err);
	return rc;
}

/* ---- http_request */

/* curl_easy_perform, but ended within POLL_MAX_MS when a stop is asked for
 * (CURLE_ABORTED_BY_CALLBACK then). */
static CURLcode perform_one(CURL *h)
{
	CURLM *m = curl_multi_init();
	CURLcode rc = CURLE_FAILED_INIT;
	CURLMsg *msg;
	int running = 1, left = 0;

	if (!m)
		return rc;
	if (curl_multi_add_handle(m, h) != CURLM_OK) {
		curl_multi_cleanup(m);
		return rc;
	}
	while (running) {
		if (cancel_requested()) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, POLL_MAX_MS, NULL);
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return rc;
}

int http_request(const struct http_target *t, const char *body, size_t max_response,
		 struct http_response *resp, char **err)
{
	struct sink sink;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = join_url(t->base_url, t->path);
	struct curl_slist *hdrs = header_list(t, body != NULL);
	const char *method = method_of(t, body != NULL);
	long timeout = request_timeout(t, clock_ms());
	CURL *h = curl_easy_init();
	int rc = -1;

	memset(resp, 0, sizeof *resp);
	buf_init(&sink.b);
	sink.max = max_response ? max_response : HTTP_MAX_RESPONSE;
	sink.over = false;
	if (!h) {
		*err = xstrdup("cannot start libcurl");
		goto out;
	}
	handle_setup(h, t, url, hdrs, &sink, errbuf);
	handle_body(h, method, body, body ? strlen(body) : 0);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	CURLcode c = perform_one(h);
	if (c != CURLE_OK && !(c == CURLE_WRITE_ERROR && sink.over)) {
		*err = transfer_error(c, errbuf, url, timeout);
		goto out;
	}
	const char *ctype = NULL;
	curl_off_t us = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
	resp->content_type = xstrdup(ctype);
	resp->seconds = (double)us / 1e6;
	resp->truncated = sink.over;
	resp->len = sink.b.len;
	resp->body = buf_detach(&sink.b);
	rc = 0;
out:
	buf_release(&sink.b);
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

void http_response_release(struct http_response *r)
{
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof *r);
}
