/* Unit tests for transport/http and the inference step's scoring over it
 * (steps/score): number formatting and body templates, excerpts of response
 * bodies, output extraction with its exact error texts, score_rows,
 * http_batch and http_request against a real server on loopback
 * (tests/e2e/servers/model_server.py, started here and stopped at the end):
 * 2000 rows at concurrency 8, retries, caps, deadlines, threads, 10,000
 * rows on four worker threads, and a batch stopped by util/cancel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "data/jsonptr.h"
#include "data/matrix.h"
#include "steps/score.h"
#include "transport/http.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define SERVER "tests/e2e/servers/model_server.py"

/* ---- servers started by the tests, all stopped by the group teardown */

struct server {
	pid_t pid;
	int port;
	char url[64];
};

#define MAX_SERVERS 32
static pid_t started[MAX_SERVERS];
static int n_started;
static const char *python;

static void server_stop(struct server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	for (int i = 0; i < n_started; i++)
		if (started[i] == s->pid)
			started[i] = 0;
	s->pid = 0;
}

/* Starts model_server.py with the given flags (NULL-terminated) and reads
 * the port from its first line. */
static void server_start(struct server *s, ...)
{
	char *argv[24];
	int n = 0, fds[2];
	va_list ap;

	argv[n++] = (char *)(uintptr_t)python;
	argv[n++] = SERVER;
	argv[n++] = "--max-seconds";
	argv[n++] = "120";
	va_start(ap, s);
	for (char *a = va_arg(ap, char *); a && n < 22; a = va_arg(ap, char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe(fds), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	assert_true(n_started < MAX_SERVERS);
	started[n_started++] = s->pid;
	char line[32] = "";
	size_t got = 0;
	struct pollfd p = {fds[0], POLLIN, 0};
	while (got < sizeof line - 1 && !strchr(line, '\n') && poll(&p, 1, 10000) == 1) {
		ssize_t r = read(fds[0], line + got, sizeof line - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		line[got] = '\0';
	}
	close(fds[0]);
	s->port = atoi(line);
	assert_true(s->port > 0);
	snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
}

/* A loopback port where nothing listens. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	http_setup();
	python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < n_started; i++) {
		if (started[i] > 0) {
			kill(started[i], SIGTERM);
			waitpid(started[i], NULL, 0);
		}
	}
	http_teardown();
	return 0;
}

/* The server's model, computed the way Python computes it. */
static double weight(int k, size_t i)
{
	return (double)(((k + 1) * ((int)i + 2)) % 7 - 3) / 5.0;
}

static void predict(const double *row, size_t n, double bias, double out[3])
{
	double logits[3], top, total = 0;
	for (int k = 0; k < 3; k++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += row[i] * weight(k, i);
		logits[k] = s + 0.1 * k + bias;
	}
	top = fmax(logits[0], fmax(logits[1], logits[2]));
	for (int k = 0; k < 3; k++) {
		out[k] = exp(logits[k] - top);
		total += out[k];
	}
	for (int k = 0; k < 3; k++)
		out[k] /= total;
}

static struct matrix *inputs(size_t rows, size_t cols)
{
	struct matrix *m = matrix_new(rows, cols);
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			MATRIX_AT(m, r, c) = sin((double)(r * cols + c)) * 3.0;
	return m;
}

static struct http_target target(const char *url, const char *path)
{
	struct http_target t;
	memset(&t, 0, sizeof t);
	t.base_url = url;
	t.path = path;
	t.tls_verify = true;
	return t;
}

/* ---- formatting */

static void test_format_number(void **state)
{
	char b[SCORE_NUMBER_LEN];

	(void)state;
	assert_string_equal(score_format_number(3, b), "3");
	assert_string_equal(score_format_number(-42, b), "-42");
	assert_string_equal(score_format_number(0, b), "0");
	assert_string_equal(score_format_number(-0.0, b), "-0");
	assert_string_equal(score_format_number(0.1, b), "0.1");
	assert_string_equal(score_format_number(0.5, b), "0.5");
	assert_string_equal(score_format_number(1.0 / 3, b), "0.3333333333333333");
	assert_string_equal(score_format_number(0.1 + 0.2, b), "0.30000000000000004");
	assert_string_equal(score_format_number(1e-7, b), "1e-07");
	assert_string_equal(score_format_number(1e300, b), "1e+300");
	assert_string_equal(score_format_number(9007199254740992.0, b), "9007199254740992");
	assert_string_equal(score_format_number(9007199254740991.0, b), "9007199254740991");
	assert_string_equal(score_format_number(1e20, b), "1e+20");
	assert_string_equal(score_format_number(5e-324, b), "4.94065645841247e-324");
	assert_string_equal(score_format_number(NAN, b), "null");
	assert_string_equal(score_format_number(INFINITY, b), "null");
	assert_string_equal(score_format_number(-INFINITY, b), "null");
	/* every finite value reads back exactly */
	for (int i = 0; i < 10000; i++) {
		double x = sin(i) * pow(10, (i % 40) - 20);
		assert_true(strtod(score_format_number(x, b), NULL) == x);
	}
}

static void test_render_body(void **state)
{
	double row[] = {1, 0.5, NAN, -2.25};
	char *s;

	(void)state;
	s = score_render_body("${row}", row, 4, 7);
	assert_string_equal(s, "[1,0.5,null,-2.25]");
	free(s);
	s = score_render_body("{\"features\": ${row}, \"index\": ${index}, \"again\": ${row}}", row, 2, 12);
	assert_string_equal(s, "{\"features\": [1,0.5], \"index\": 12, \"again\": [1,0.5]}");
	free(s);
	s = score_render_body("${rows} ${ROW} ${env.X} $ ${index", row, 1, 0);
	assert_string_equal(s, "${rows} ${ROW} ${env.X} $ ${index");
	free(s);
	s = score_render_body("${row}", row, 0, 0);
	assert_string_equal(s, "[]");
	free(s);
	s = score_render_body("", row, 4, 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_excerpt(void **state)
{
	char big[300];
	char *s;

	(void)state;
	s = http_excerpt("{\"error\": \"x\"}\n\tline\r\x01\x7f", 23);
	assert_string_equal(s, "{\"error\": \"x\"}\\n\\tline\\r\\x01\\x7f");
	free(s);
	s = http_excerpt("", 0);
	assert_string_equal(s, "");
	free(s);
	s = http_excerpt("a\0b", 3);
	assert_string_equal(s, "a\\x00b");
	free(s);
	memset(big, 'x', sizeof big);
	s = http_excerpt(big, sizeof big);
	assert_int_equal(strlen(s), 200 + strlen("…"));
	assert_string_equal(s + 200, "…");
	free(s);
	/* "é" (2 bytes) straddling byte 200 is not cut in two */
	memset(big, 'x', sizeof big);
	big[199] = (char)0xC3;
	big[200] = (char)0xA9;
	s = http_excerpt(big, sizeof big);
	assert_int_equal(strlen(s), 199 + strlen("…"));
	free(s);
	s = http_excerpt("caf\xc3\xa9", 5);
	assert_string_equal(s, "caf\xc3\xa9");
	free(s);
	s = http_excerpt("bad \xff\xfe", 6);
	assert_string_equal(s, "bad \\xff\\xfe");
	free(s);
}

/* ---- output extraction */

static void expect_output(const char *body, const char *ptr, size_t n, const double *want)
{
	double *v = NULL;
	size_t got = 0;
	char *err = NULL;

	assert_int_equal(score_read_output(body, strlen(body), ptr, 0, &v, &got, &err), 0);
	assert_null(err);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++) {
		if (isnan(want[i]))
			assert_true(isnan(v[i]));
		else
			assert_true(v[i] == want[i]);
	}
	free(v);
}

static void expect_output_error(const char *body, const char *ptr, size_t row, const char *msg)
{
	double *v = NULL;
	size_t got = 7;
	char *err = NULL;

	assert_int_equal(score_read_output(body, strlen(body), ptr, row, &v, &got, &err), -1);
	assert_null(v);
	assert_int_equal(got, 0);
	assert_non_null(err);
	assert_string_equal(err, msg);
	free(err);
}

static void expect_not_found(const char *body, const char *ptr, size_t row)
{
	json_t *root = json_loads(body, 0, NULL);
	char *why = NULL;

	assert_non_null(root);
	assert_null(json_pointer_get(root, ptr, &why));
	assert_non_null(why);
	assert_true(!strncmp(why, "'", 1));
	char *msg = xasprintf("row %zu: output %s", row, why);
	expect_output_error(body, ptr, row, msg);
	free(msg);
	free(why);
	json_decref(root);
}

static void expect_not_json(const char *body, size_t row, const char *tail)
{
	double *v = NULL;
	size_t n = 0;
	char *err = NULL, *head = xasprintf("row %zu: the response is not JSON (", row);

	assert_int_equal(score_read_output(body, strlen(body), "", row, &v, &n, &err), -1);
	assert_non_null(err);
	assert_true(!strncmp(err, head, strlen(head)));
	assert_true(strlen(err) > strlen(tail));
	assert_string_equal(err + strlen(err) - strlen(tail), tail);
	free(head);
	free(err);
}

static void test_read_output(void **state)
{
	(void)state;
	expect_output("{\"outputs\": [[0.25, 0.75]]}", "/outputs/0", 2, (double[]){0.25, 0.75});
	expect_output("[1, 2, 3]", "", 3, (double[]){1, 2, 3});
	expect_output("0.5", "", 1, (double[]){0.5});
	expect_output("{\"score\": 7}", "/score", 1, (double[]){7});
	expect_output("{\"a/b\": {\"~k\": [1]}}", "/a~1b/~0k", 1, (double[]){1});
	expect_output("{\"p\": [NaN, Infinity, -Infinity, null]}", "/p", 4,
		      (double[]){NAN, INFINITY, -INFINITY, NAN});
	expect_output("{\"p\": [0.1000000000000000055511151231257827]}", "/p", 1, (double[]){0.1});

	expect_output_error("{\"outputs\": [\"high\"]}", "/outputs/0", 5,
			    "row 5: output '/outputs/0' is a string, expected an array of numbers");
	expect_output_error("{\"outputs\": [{\"p\": 1}]}", "/outputs/0", 2,
			    "row 2: output '/outputs/0' is an object, expected an array of numbers");
	expect_output_error("{\"outputs\": [[1, \"x\", 3]]}", "/outputs/0", 3,
			    "row 3: output '/outputs/0' item 1 is a string, expected a number");
	expect_output_error("{\"outputs\": [[[1, 2]]]}", "/outputs/0", 3,
			    "row 3: output '/outputs/0' item 0 is an array, expected a number");
	expect_output_error("{\"outputs\": [[]]}", "/outputs/0", 4,
			    "row 4: output '/outputs/0' is an empty array, expected an array of numbers");
	expect_output_error("{\"outputs\": true}", "/outputs", 0,
			    "row 0: output '/outputs' is true, expected an array of numbers");
	/* a pointer that points nowhere: json_pointer_get's reason after "row N: output " */
	expect_not_found("{\"result\": [1]}", "/outputs/0", 8);
	expect_not_found("{\"outputs\": [[1]]}", "/outputs/1", 8);
	expect_not_found("{\"outputs\": 3}", "/outputs/0", 1);
	expect_not_found("{\"outputs\": []}", "/outputs/x", 1);
	/* not JSON: jansson's reason in parentheses, then the start of the body */
	expect_not_json("<html>oops</html>", 9, "): <html>oops</html>");
	expect_not_json("", 1, "): ");
	expect_not_json("{\"outputs\": [[1, 2]]} trailing", 2, "): {\"outputs\": [[1, 2]]} trailing");
}

/* ---- score_rows against the model server */

static void test_score_2000_rows(void **state)
{
	struct server srv;
	struct matrix *in = inputs(2000, 4), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	server_start(&srv, NULL);
	struct http_target t = target(srv.url, "/predict");
	struct score_opts o = {.output = "/outputs/0", .concurrency = 8};
	assert_int_equal(score_rows(&t, in, &o, &out, &st, &err), 0);
	assert_null(err);
	assert_int_equal(out->rows, 2000);
	assert_int_equal(out->cols, 3);
	for (size_t r = 0; r < 2000; r++) {
		double want[3];
		predict(&MATRIX_AT(in, r, 0), 4, 0, want);
		for (int k = 0; k < 3; k++)
			assert_true(MATRIX_AT(out, r, k) == want[k]);   /* bit for bit */
	}
	assert_int_equal(st.requests, 2000);
	assert_int_equal(st.retries, 0);
	assert_non_null(st.http_version);
	assert_string_equal(st.http_version, "1.1");
	assert_true(st.seconds > 0);
	/* kept alive: at most one connection per handle, however many rows */
	struct http_target ts = target(srv.url, "/stats");
	struct http_response r;
	assert_int_equal(http_request(&ts, NULL, 0, &r, &err), 0);
	json_t *stats = json_loads(r.body, 0, NULL);
	assert_non_null(stats);
	assert_int_equal(json_integer_value(json_object_get(stats, "requests")), 2001);
	assert_true(json_integer_value(json_object_get(stats, "connections")) <= 9);
	json_decref(stats);
	http_response_release(&r);
	matrix_free(out);
	matrix_free(in);
	server_stop(&srv);
}

static void test_score_template_and_index(void **state)
{
	struct server srv;
	struct matrix *in = inputs(20, 2), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	server_start(&srv, NULL);
	struct http_target t = target(srv.url, "/predict");
	struct score_opts o = {.body = "{\"features\": ${row}, \"index\": ${index}}",
				    .output = "/outputs/0/2", .concurrency = 3};
	assert_int_equal(score_rows(&t, in, &o, &out, &st, &err), 0);
	assert_int_equal(out->rows, 20);
	assert_int_equal(out->cols, 1);      /* a number is a one-column row */
	for (size_t r = 0; r < 20; r++) {
		double want[3];
		predict(&MATRIX_AT(in, r, 0), 2, 0, want);
		assert_true(MATRIX_AT(out, r, 0) == want[2]);
	}
	matrix_free(out);
	matrix_free(in);
	server_stop(&srv);
}

static void test_score_retries(void **state)
{
	struct server srv;
	struct matrix *in = inputs(200, 3), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	server_start(&srv, "--fail-every", "7", NULL);
	struct http_target t = target(srv.url, "/predict");
	struct score_opts o = {.output = "/outputs/0", .concurrency = 4, .retries = 3};
	assert_int_equal(score_rows(&t, in, &o, &out, &st, &err), 0);
	assert_null(err);
	assert_int_equal(out->rows, 200);
	assert_true(st.retries >= 200 / 7);
	assert_int_equal(st.requests, 200 + st.retries);
	matrix_free(out);
	matrix_free(in);
	server_stop(&srv);
}

static void expect_score_error(const struct http_target *t, size_t rows,
			       const struct score_opts *o, const char *msg,
			       size_t requests)
{
	struct matrix *in = inputs(rows, 2), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	assert_int_equal(score_rows(t, in, o, &out, &st, &err), -1);
	assert_null(out);
	assert_non_null(err);
	assert_string_equal(err, msg);
	if (requests)
		assert_int_equal(st.requests, requests);
	free(err);
	matrix_free(in);
}

static void test_score_errors(void **state)
{
	struct server srv, s503, sbig, sshort, sstr;
	char msg[512], url[64];

	(void)state;
	server_start(&srv, NULL);
	server_start(&s503, "--status-for-path", "/predict=503", NULL);
	server_start(&sbig, "--big", NULL);
	server_start(&sshort, "--short-row", "5", NULL);
	server_start(&sstr, "--string-output", NULL);

	/* 5xx: retried, then named with the start of the body */
	struct http_target t = target(s503.url, "/predict");
	struct score_opts o = {.output = "/outputs/0", .concurrency = 1, .retries = 2};
	snprintf(msg, sizeof msg, "HTTP 503 on 1 of 1 row; the first: row 0: HTTP 503 from "
		 "%s/predict (3 attempts): {\"error\": \"status 503 for /predict\"}", s503.url);
	expect_score_error(&t, 1, &o, msg, 3);

	/* every row answered, the failures counted; once one failed for good, the
	 * others are not retried */
	snprintf(msg, sizeof msg, "HTTP 503 on 5 of 5 rows; the first: row 0: HTTP 503 from "
		 "%s/predict (3 attempts): {\"error\": \"status 503 for /predict\"}", s503.url);
	expect_score_error(&t, 5, &o, msg, 7);

	/* 4xx: not retried */
	t = target(srv.url, "/nope");
	snprintf(msg, sizeof msg, "HTTP 404 on 1 of 1 row; the first: row 0: HTTP 404 from "
		 "%s/nope: {\"error\": \"no route /nope\"}", srv.url);
	expect_score_error(&t, 1, &o, msg, 1);

	/* a 400 for a body the server cannot read */
	t = target(srv.url, "/predict");
	struct score_opts bad = {.body = "{\"features\": ${row", .output = "/outputs/0"};
	struct matrix *in1 = inputs(1, 2), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;
	assert_int_equal(score_rows(&t, in1, &bad, &out, &st, &err), -1);
	snprintf(msg, sizeof msg, "HTTP 400 on 1 of 1 row; the first: row 0: HTTP 400 from "
		 "%s/predict: {\"error\": \"bad JSON: ", srv.url);
	assert_true(!strncmp(err, msg, strlen(msg)));
	assert_int_equal(st.requests, 1);
	free(err);
	err = NULL;
	matrix_free(in1);

	/* the response cap */
	t = target(sbig.url, "/predict");
	snprintf(msg, sizeof msg, "row 0: response larger than 16 MiB from %s/predict", sbig.url);
	expect_score_error(&t, 1, &o, msg, 1);
	t = target(srv.url, "/predict");
	struct score_opts small = {.output = "/outputs/0", .max_response = 64};
	snprintf(msg, sizeof msg, "row 0: response larger than 64 bytes from %s/predict", srv.url);
	expect_score_error(&t, 1, &small, msg, 1);
	small.max_response = 1024;
	struct matrix *in = inputs(1, 2);
	assert_int_equal(score_rows(&t, in, &small, &out, &st, &err), 0);
	matrix_free(out);
	matrix_free(in);

	/* rows of different widths, in order at concurrency 1 */
	t = target(sshort.url, "/predict");
	struct score_opts idx = {.body = "{\"features\": ${row}, \"index\": ${index}}",
				      .output = "/outputs/0", .concurrency = 1};
	expect_score_error(&t, 10, &idx, "row 5: 2 outputs, earlier rows had 3", 6);

	/* an output that is not numbers */
	t = target(sstr.url, "/predict");
	expect_score_error(&t, 3, &o, "row 0: output '/outputs/0' is a string, expected an "
			   "array of numbers", 1);

	/* a pointer that points nowhere */
	t = target(srv.url, "/predict");
	struct score_opts nowhere = {.output = "/result", .concurrency = 1};
	json_t *doc = json_pack("{s:[[f]]}", "outputs", 0.5);
	char *why = NULL;
	assert_null(json_pointer_get(doc, "/result", &why));
	snprintf(msg, sizeof msg, "row 0: output %s", why);
	expect_score_error(&t, 2, &nowhere, msg, 1);
	free(why);
	json_decref(doc);

	/* a refused connection names the URL; retried, then given up */
	snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
	t = target(url, "/predict");
	struct matrix *one = inputs(1, 2);
	struct score_opts r2 = {.output = "/outputs/0", .retries = 2};
	assert_int_equal(score_rows(&t, one, &r2, &out, &st, &err), -1);
	snprintf(msg, sizeof msg, "row 0: cannot reach %s/predict: ", url);
	assert_true(!strncmp(err, msg, strlen(msg)));
	assert_non_null(strstr(err, "(3 attempts)"));
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.retries, 2);
	free(err);
	err = NULL;
	struct score_opts r0 = {.output = "/outputs/0"};
	assert_int_equal(score_rows(&t, one, &r0, &out, &st, &err), -1);
	assert_true(!strncmp(err, msg, strlen(msg)));
	assert_null(strstr(err, "attempts"));
	assert_int_equal(st.requests, 1);
	free(err);
	matrix_free(one);

	server_stop(&sstr);
	server_stop(&sshort);
	server_stop(&sbig);
	server_stop(&s503);
	server_stop(&srv);
}

static void test_score_deadline(void **state)
{
	struct server srv;
	struct matrix *in = inputs(40, 2), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	server_start(&srv, "--delay-ms", "200", NULL);
	struct http_target t = target(srv.url, "/predict");
	t.deadline_ms = clock_ms() + 700;
	struct score_opts o = {.output = "/outputs/0", .concurrency = 2};
	int64_t t0 = clock_ms();
	assert_int_equal(score_rows(&t, in, &o, &out, &st, &err), -1);
	assert_true(clock_ms() - t0 < 1500);
	assert_non_null(err);
	assert_true(!strncmp(err, "timed out after 0.7s with ", 26) ||
		    !strncmp(err, "timed out after 0.8s with ", 26));
	assert_non_null(strstr(err, " of 40 rows scored"));
	int scored = atoi(err + 26);
	assert_true(scored >= 2 && scored <= 8);
	free(err);
	matrix_free(in);
	server_stop(&srv);
}

static void test_score_empty(void **state)
{
	struct matrix *in = matrix_new(0, 3), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	struct http_target t = target("http://127.0.0.1:9", "/predict");
	struct score_opts o = {0};
	assert_int_equal(score_rows(&t, in, &o, &out, &st, &err), 0);
	assert_int_equal(out->rows, 0);
	assert_int_equal(st.requests, 0);
	matrix_free(out);
	matrix_free(in);
}

struct job {
	const char *url;
	int ok;
};

static void *score_thread(void *arg)
{
	struct job *j = arg;
	struct matrix *in = inputs(300, 4), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;
	struct http_target t = target(j->url, "/predict");
	struct score_opts o = {.output = "/outputs/0", .concurrency = 4};

	for (int round = 0; round < 3; round++) {
		if (score_rows(&t, in, &o, &out, &st, &err) == 0 && out->rows == 300) {
			double want[3];
			predict(&MATRIX_AT(in, 299, 0), 4, 0, want);
			if (MATRIX_AT(out, 299, 1) == want[1])
				j->ok++;
		}
		free(err);
		err = NULL;
		matrix_free(out);
		out = NULL;
	}
	matrix_free(in);
	return NULL;
}

static void test_score_threads(void **state)
{
	struct server srv;
	pthread_t th[4];
	struct job jobs[4];

	(void)state;
	server_start(&srv, NULL);
	for (int i = 0; i < 4; i++) {
		jobs[i].url = srv.url;
		jobs[i].ok = 0;
		assert_int_equal(pthread_create(&th[i], NULL, score_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(jobs[i].ok, 3);
	}
	server_stop(&srv);
}

/* ---- http_batch on several threads */

struct scored {
	const struct matrix *in;
	struct matrix *out;
};

static void scored_body(void *ctx, size_t i, struct buf *out)
{
	const struct scored *s = ctx;
	score_put_body(out, "${row}", &MATRIX_AT(s->in, i, 0), s->in->cols, i);
}

/* each response writes its own row: safe on any thread */
static int scored_take(void *ctx, size_t i, long status, const char *body, size_t len,
		       char **err)
{
	struct scored *s = ctx;
	double *v = NULL;
	size_t n = 0;

	(void)status;
	if (score_read_output(body, len, "/outputs/0", i, &v, &n, err) < 0)
		return -1;
	memcpy(&MATRIX_AT(s->out, i, 0), v, (n < 3 ? n : 3) * sizeof *v);
	free(v);
	return 0;
}

static void expect_predictions(const struct matrix *in, const struct matrix *out)
{
	assert_int_equal(out->rows, in->rows);
	assert_int_equal(out->cols, 3);
	for (size_t r = 0; r < in->rows; r++) {
		double want[3];
		predict(&MATRIX_AT(in, r, 0), in->cols, 0, want);
		for (int k = 0; k < 3; k++)
			if (MATRIX_AT(out, r, k) != want[k])
				fail_msg("row %zu output %d: %.17g, want %.17g", r, k,
					 MATRIX_AT(out, r, k), want[k]);
	}
}

/* 10,000 rows, each answer computed from its row, on four threads (however
 * many cores) and through score_rows (one per core): every row in its place;
 * a failing row in the middle still gives the one-thread message. */
static void test_batch_parallel(void **state)
{
	struct server srv, sshort;
	struct matrix *in = inputs(10000, 4), *out = NULL;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	server_start(&srv, NULL);
	struct http_target t = target(srv.url, "/predict");
	struct scored s = {in, matrix_new(10000, 3)};
	struct http_batch_ops ops = {scored_body, scored_take};
	struct http_batch_opts o = {.item = "row", .concurrency = 8, .parallel = true,
				    .threads = 4, .latency_ms = xcalloc(10000, sizeof(double))};
	assert_int_equal(http_batch(&t, 10000, &ops, &s, &o, &st, &err), 0);
	assert_null(err);
	expect_predictions(in, s.out);
	assert_int_equal(st.requests, 10000);
	assert_int_equal(st.answered, 10000);
	assert_string_equal(st.http_version, "1.1");
	for (size_t i = 0; i < 10000; i++)
		assert_true(o.latency_ms[i] > 0);
	free(o.latency_ms);
	matrix_free(s.out);

	struct score_opts so = {.output = "/outputs/0", .concurrency = 8};
	assert_int_equal(score_rows(&t, in, &so, &out, &st, &err), 0);
	expect_predictions(in, out);
	assert_int_equal(st.requests, 10000);
	matrix_free(out);
	out = NULL;

	server_start(&sshort, "--short-row", "5000", NULL);
	t = target(sshort.url, "/predict");
	struct score_opts idx = {.body = "{\"features\": ${row}, \"index\": ${index}}",
				 .output = "/outputs/0", .concurrency = 8};
	assert_int_equal(score_rows(&t, in, &idx, &out, &st, &err), -1);
	assert_null(out);
	assert_string_equal(err, "row 5000: 2 outputs, earlier rows had 3");
	free(err);
	server_stop(&sshort);
	server_stop(&srv);
	matrix_free(in);
}

/* ---- http_batch on its own: any requests, the caller's words */

struct answers {
	size_t answered;
	unsigned seen;          /* bit i: request i answered */
	long status;
	int fail_at;            /* the request refused; -1: none */
	bool echo;              /* check that /echo saw request i's own body */
};

static void numbered_body(void *ctx, size_t i, struct buf *out)
{
	(void)ctx;
	buf_printf(out, "{\"i\": %zu}", i);
}

static int take(void *ctx, size_t i, long status, const char *body, size_t len, char **err)
{
	struct answers *a = ctx;

	if ((int)i == a->fail_at) {
		*err = xasprintf("request %zu: not wanted (%zu bytes)", i, len);
		return -1;
	}
	assert_int_equal(strlen(body), len);
	if (a->echo) {
		char *want = xasprintf("\"body\": \"{\\\"i\\\": %zu}\"", i);
		assert_non_null(strstr(body, want));
		free(want);
	} else {
		assert_non_null(strstr(body, "\"status\": \"ok\""));
	}
	assert_false(a->seen & (1u << i));
	a->seen |= 1u << i;
	a->status = status;
	a->answered++;
	return 0;
}

/* With no proxy variable parity tells curl not to look for one; with one,
 * requests go through it (the server sees the whole URL), single and in a
 * batch, and no_proxy still exempts a host. */
static void test_proxy_from_environment(void **state)
{
	struct server srv;
	struct http_response r;
	struct http_batch_stats st;
	char *err = NULL;

	(void)state;
	server_start(&srv, NULL);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	setenv("http_proxy", srv.url, 1);

	struct http_target t = target("http://parity-proxy.invalid", "/target");
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"target\": \"http://parity-proxy.invalid/target\"}");
	http_response_release(&r);

	struct http_batch_ops get = {NULL, take};
	struct http_batch_opts o = {.concurrency = 2};
	struct answers a = {.fail_at = -1};
	struct http_target health = target("http://parity-proxy.invalid", "/health");
	assert_int_equal(http_batch(&health, 4, &get, &a, &o, &st, &err), 0);
	assert_null(err);
	assert_int_equal(a.answered, 4);
	assert_int_equal(a.status, 200);

	setenv("no_proxy", "parity-proxy.invalid", 1);
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "Could not resolve host: parity-proxy.invalid"));
	free(err);
	err = NULL;
	unsetenv("no_proxy");
	unsetenv("http_proxy");

	/* none set: the name is resolved, not proxied */
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), -1);
	assert_non_null(strstr(err, "Could not resolve host: parity-proxy.invalid"));
	free(err);
	server_stop(&srv);
}

static void test_batch(void **state)
{
	struct server srv, slow;
	struct http_batch_stats st;
	char *err = NULL, msg[256];

	(void)state;
	server_start(&srv, NULL);

	/* no bodies: GETs; every request answered once */
	struct http_batch_ops get = {NULL, take};
	struct http_batch_opts o = {.concurrency = 3};
	struct answers a = {.fail_at = -1};
	struct http_target t = target(srv.url, "/health");
	assert_int_equal(http_batch(&t, 7, &get, &a, &o, &st, &err), 0);
	assert_null(err);
	assert_int_equal(a.answered, 7);
	assert_int_equal(a.seen, 0x7f);
	assert_int_equal(a.status, 200);
	assert_int_equal(st.requests, 7);
	assert_int_equal(st.answered, 7);
	assert_int_equal(st.retries, 0);
	assert_string_equal(st.http_version, "1.1");

	/* bodies: POSTs, each its own */
	struct http_batch_ops post = {numbered_body, take};
	struct answers e = {.fail_at = -1, .echo = true};
	t = target(srv.url, "/echo");
	assert_int_equal(http_batch(&t, 5, &post, &e, &o, &st, &err), 0);
	assert_int_equal(e.seen, 0x1f);

	/* nothing to send */
	assert_int_equal(http_batch(&t, 0, &post, &e, &o, &st, &err), 0);
	assert_int_equal(st.requests, 0);

	/* the default words, and the caller's own error, passed through */
	t = target(srv.url, "/nope");
	snprintf(msg, sizeof msg, "HTTP 404 on 1 of 1 request; the first: request 0: HTTP 404 "
		 "from %s/nope: {\"error\": \"no route /nope\"}", srv.url);
	assert_int_equal(http_batch(&t, 1, &get, &a, &o, &st, &err), -1);
	assert_string_equal(err, msg);
	free(err);
	err = NULL;
	struct answers refuse = {.fail_at = 2};
	struct http_batch_opts one = {.concurrency = 1};
	t = target(srv.url, "/health");
	assert_int_equal(http_batch(&t, 5, &get, &refuse, &one, &st, &err), -1);
	assert_non_null(err);
	assert_true(!strncmp(err, "request 2: not wanted (", 23));
	assert_int_equal(st.answered, 2);
	assert_int_equal(st.requests, 3);
	free(err);
	err = NULL;

	/* the deadline, in the default words */
	server_start(&slow, "--delay-ms", "200", NULL);
	t = target(slow.url, "/health");
	t.deadline_ms = clock_ms() + 500;
	struct answers b = {.fail_at = -1};
	assert_int_equal(http_batch(&t, 10, &get, &b, &one, &st, &err), -1);
	assert_true(!strncmp(err, "timed out after 0.5s with ", 26) ||
		    !strncmp(err, "timed out after 0.6s with ", 26));
	assert_non_null(strstr(err, " of 10 requests answered"));
	free(err);
	server_stop(&slow);
	server_stop(&srv);
}

static void *cancel_later(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	cancel_request(0);
	return NULL;
}

/* In a child, since the stop flag cannot be lowered again: a stop asked for
 * 300 ms into a batch (batch) or one request (!batch) to a server that
 * answers after 3 s ends it with "interrupted" well before. */
static int interrupted_child(const char *url, bool batch, bool parallel)
{
	struct http_batch_ops get = {NULL, take};
	struct http_batch_opts o = {.concurrency = 2, .parallel = parallel, .threads = 2};
	struct http_batch_stats st = {0};
	struct answers a = {.fail_at = -1};
	struct http_target t = target(url, "/health");
	struct http_response r;
	char *err = NULL;
	pthread_t th;

	if (pthread_create(&th, NULL, cancel_later, NULL) != 0)
		return 2;
	int64_t t0 = clock_ms();
	int rc = batch ? http_batch(&t, 4, &get, &a, &o, &st, &err)
		       : http_request(&t, NULL, 0, &r, &err);
	int64_t ms = clock_ms() - t0;
	pthread_join(th, NULL);
	if (rc != -1 || !err || strcmp(err, "interrupted") || ms < 250 || ms > 1500 ||
	    st.answered != 0) {
		fprintf(stderr, "# %s: rc %d in %lld ms: %s\n", batch ? "batch" : "request", rc,
			(long long)ms, err ? err : "-");
		return 1;
	}
	/* once asked, nothing more starts */
	free(err);
	err = NULL;
	t0 = clock_ms();
	rc = batch ? http_request(&t, NULL, 0, &r, &err)
		   : http_batch(&t, 4, &get, &a, &o, &st, &err);
	return rc == -1 && err && !strcmp(err, "interrupted") && clock_ms() - t0 < 100 ? 0 : 3;
}

static void test_batch_interrupted(void **state)
{
	struct server srv;

	(void)state;
	server_start(&srv, "--delay-ms", "3000", NULL);
	/* one request; a batch on the calling thread; a batch on two threads */
	for (int batch = 0; batch < 3; batch++) {
		int status = 0;
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(interrupted_child(srv.url, batch > 0, batch > 1));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	server_stop(&srv);
}

/* ---- http_request */

static void test_request(void **state)
{
	struct server srv;
	struct http_response r;
	char *err = NULL;
	char url[64], msg[256];

	(void)state;
	server_start(&srv, NULL);

	struct http_target t = target(srv.url, "/health");
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\": \"ok\", \"model\": {\"name\": \"fraud\", "
			    "\"version\": \"1.4.2\"}}");
	assert_int_equal(r.len, strlen(r.body));
	assert_false(r.truncated);
	assert_string_equal(r.content_type, "application/json");
	assert_true(r.seconds > 0 && r.seconds < 5);
	http_response_release(&r);

	/* headers go out; a body is JSON unless the caller says otherwise */
	struct http_header h[] = {{"X-Token", "s3cret"}, {"X-Empty", ""}};
	t = target(srv.url, "/echo");
	t.headers = h;
	t.n_headers = 2;
	assert_int_equal(http_request(&t, "{\"a\": 1}", 0, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"X-Token\": \"s3cret\""));
	assert_non_null(strstr(r.body, "\"X-Empty\": \"\""));
	assert_non_null(strstr(r.body, "\"Content-Type\": \"application/json\""));
	assert_non_null(strstr(r.body, "\"body\": \"{\\\"a\\\": 1}\""));
	assert_null(strstr(r.body, "Expect"));
	http_response_release(&r);
	struct http_header ct[] = {{"content-type", "text/plain"}};
	t.headers = ct;
	t.n_headers = 1;
	assert_int_equal(http_request(&t, "hello", 0, &r, &err), 0);
	assert_non_null(strstr(r.body, "text/plain"));
	assert_null(strstr(r.body, "application/json"));
	http_response_release(&r);

	/* statuses are responses, not errors */
	t = target(srv.url, "/missing");
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), 0);
	assert_int_equal(r.status, 404);
	http_response_release(&r);
	t = target(srv.url, "/health");
	t.method = "HEAD";
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 0);
	http_response_release(&r);

	/* the cap truncates */
	t = target(srv.url, "/big");
	assert_int_equal(http_request(&t, NULL, 1024, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.truncated);
	assert_int_equal(r.len, 1024);
	assert_int_equal(strlen(r.body), 1024);
	http_response_release(&r);

	/* no response: connection refused and timeouts */
	snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
	t = target(url, "/health");
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), -1);
	snprintf(msg, sizeof msg, "cannot reach %s/health: ", url);
	assert_true(!strncmp(err, msg, strlen(msg)));
	free(err);
	err = NULL;
	server_stop(&srv);

	server_start(&srv, "--delay-ms", "2000", NULL);
	t = target(srv.url, "/health");
	t.timeout_ms = 300;
	assert_int_equal(http_request(&t, NULL, 0, &r, &err), -1);
	snprintf(msg, sizeof msg, "no response from %s/health within 0.3s", srv.url);
	assert_string_equal(err, msg);
	free(err);
	server_stop(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_number),
		cmocka_unit_test(test_render_body),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_read_output),
		cmocka_unit_test(test_score_2000_rows),
		cmocka_unit_test(test_score_template_and_index),
		cmocka_unit_test(test_score_retries),
		cmocka_unit_test(test_score_errors),
		cmocka_unit_test(test_score_deadline),
		cmocka_unit_test(test_score_empty),
		cmocka_unit_test(test_score_threads),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_proxy_from_environment),
		cmocka_unit_test(test_batch_parallel),
		cmocka_unit_test(test_batch_interrupted),
		cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
